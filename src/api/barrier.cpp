#include "api/barrier.hpp"

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <system_error>

namespace inetkit::api {

DWORD record_current_exception() noexcept {
    char text[last_error::max_message + 1];
    try {
        throw;
    } catch (const Error &error) {
        last_error::set(error.code(), error.what());
        return error.code();
    } catch (const std::bad_alloc &) {
        last_error::set(INETKIT_ERROR_NOT_ENOUGH_MEMORY, "out of memory");
        return INETKIT_ERROR_NOT_ENOUGH_MEMORY;
    } catch (const std::system_error &error) {
        std::snprintf(text, sizeof text, "system error: %s", error.what());
        last_error::set(INETKIT_ERROR_SYSTEM, text);
        return INETKIT_ERROR_SYSTEM;
    } catch (const std::exception &error) {
        std::snprintf(text, sizeof text, "internal error: %s", error.what());
        last_error::set(INETKIT_ERROR_INTERNAL, text);
        return INETKIT_ERROR_INTERNAL;
    } catch (...) {
        last_error::set(INETKIT_ERROR_INTERNAL, "internal error: unknown exception");
        return INETKIT_ERROR_INTERNAL;
    }
}

DWORD copy_string(std::string_view text, LPSTR buffer, LPDWORD size) noexcept {
    if (!size) return INETKIT_ERROR_INVALID_PARAMETER;
    if (text.size() >= 0xFFFFFFFFu) return INETKIT_ERROR_INTERNAL;
    DWORD needed = static_cast<DWORD>(text.size() + 1);
    if (!buffer || *size < needed) {
        *size = needed;
        return INETKIT_ERROR_INSUFFICIENT_BUFFER;
    }
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    *size = needed - 1;
    return INETKIT_ERROR_NONE;
}

void copy_out(std::string_view text, LPSTR buffer, LPDWORD size) {
    DWORD given = size ? *size : 0;
    switch (copy_string(text, buffer, size)) {
    case INETKIT_ERROR_NONE: return;
    case INETKIT_ERROR_INSUFFICIENT_BUFFER:
        fail(INETKIT_ERROR_INSUFFICIENT_BUFFER,
             buffer ? "the buffer holds " + std::to_string(given) + " bytes; " + std::to_string(*size) + " are needed"
                    : "size query: " + std::to_string(*size) + " bytes are needed");
    case INETKIT_ERROR_INVALID_PARAMETER: fail(INETKIT_ERROR_INVALID_PARAMETER, "the size pointer is NULL");
    default: fail(INETKIT_ERROR_INTERNAL, "string too long to return");
    }
}

DWORD last_error_message(LPSTR buffer, LPDWORD size) noexcept {
    const last_error::Record &record = last_error::get();
    return copy_string(std::string_view(record.message, record.length), buffer, size);
}

DWORD error_string(DWORD code, LPSTR buffer, LPDWORD size) noexcept {
    const char *text = error_text(code);
    if (!text) return INETKIT_ERROR_INVALID_PARAMETER;
    return copy_string(text, buffer, size);
}

void require_argument(const void *pointer, const char *name) {
    if (!pointer) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(name) + " is NULL");
}

} // namespace inetkit::api
