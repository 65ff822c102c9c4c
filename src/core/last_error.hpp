// The thread-local last-error store behind <Family>GetLastError.
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <string_view>

namespace inetkit::last_error {

constexpr std::size_t max_message = 1023; // bytes, without the NUL

struct Record {
    ErrorCode code;
    std::size_t length;
    char message[max_message + 1];
};

// Fixed-size, trivially destructible storage: setting an error never allocates,
// so it works for out-of-memory too and costs nothing at thread exit.
const Record &get() noexcept;
void clear() noexcept;
void set(ErrorCode code, std::string_view message) noexcept;

} // namespace inetkit::last_error
