// The exception barrier every export runs in: clear the caller's last error,
// run the body, turn any exception into a code and a message. Nothing thrown
// in the engine crosses the C ABI.
#pragma once

#include "core/error.hpp"
#include "core/handle_table.hpp"
#include "core/last_error.hpp"

#include <inetkit/common.h>

#include <string>
#include <string_view>

namespace inetkit::api {

// Records the exception being handled in the last-error store; returns its code.
// Call only from inside a catch block.
DWORD record_current_exception() noexcept;

template <class Body> DWORD guarded(Body &&body) noexcept {
    last_error::clear();
    try {
        body();
        // A callback may have made a failing call on this thread; a success
        // leaves the store clear all the same.
        last_error::clear();
        return INETKIT_ERROR_NONE;
    } catch (...) {
        return record_current_exception();
    }
}

// For exports that return a handle (INVALID_CLIENT on failure).
template <class Body> HCLIENT guarded_create(Body &&body) noexcept {
    last_error::clear();
    try {
        HCLIENT handle = body();
        last_error::clear();
        return handle;
    } catch (...) {
        record_current_exception();
        return INVALID_CLIENT;
    }
}

// Runs body(object) with the handle leased for the length of the call.
template <class Object, class Body> DWORD with_handle(HCLIENT handle, KindMask accepted, Body &&body) noexcept {
    return guarded([&] {
        CallLease lease(handle, accepted);
        body(lease.get<Object>());
    });
}

// Runs a caller's callback. One written in C++ may throw; the exception stops
// here, never unwinding through the engine or across the C ABI, and the call
// fails with CALLBACK_FAILED.
template <class Call> decltype(auto) run_callback(const char *name, Call &&call) {
    try {
        return call();
    } catch (...) {
        fail(INETKIT_ERROR_CALLBACK_FAILED, std::string("the ") + name + " callback threw an exception");
    }
}

// Size-query idiom without touching the last-error store (for the calls that read it).
DWORD copy_string(std::string_view text, LPSTR buffer, LPDWORD size) noexcept;
// The same, throwing INSUFFICIENT_BUFFER / INVALID_PARAMETER with a message.
void copy_out(std::string_view text, LPSTR buffer, LPDWORD size);

// The bodies of every family's GetLastErrorMessage and GetErrorString twins:
// they read, and never change, the last-error store.
DWORD last_error_message(LPSTR buffer, LPDWORD size) noexcept;
DWORD error_string(DWORD code, LPSTR buffer, LPDWORD size) noexcept;

// Throws INVALID_PARAMETER naming the argument when pointer is NULL.
void require_argument(const void *pointer, const char *name);

// An output structure that starts with the caller's dwSize: checks the
// pointer and the size, then zeroes it keeping dwSize (later versions only
// append members, so a larger dwSize is fine).
template <class T> void prepare_output(T *out, const char *type_name, const char *argument) {
    require_argument(out, argument);
    if (out->dwSize < sizeof(T))
        fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(type_name) + ".dwSize is " + std::to_string(out->dwSize) +
                                                  "; set it to sizeof(" + type_name + ") = " + std::to_string(sizeof(T)));
    auto size = out->dwSize;
    *out = T{};
    out->dwSize = size;
}

} // namespace inetkit::api
