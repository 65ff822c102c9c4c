// The engine's one failure type and the error catalogue lookups.
#pragma once

#include <inetkit/errors.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace inetkit {

using ErrorCode = std::uint32_t;

// Thrown by the engine; the API barrier turns it into a code and a message.
class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string &message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

[[noreturn]] void fail(ErrorCode code, const std::string &message);

// The catalogue's static text for a code, or nullptr for a number it lacks.
const char *error_text(ErrorCode code) noexcept;

// Winsock-numbered code for an errno value (INETKIT_ERROR_SYSTEM if unmapped).
ErrorCode error_from_errno(int errnum) noexcept;

// Throws the code mapped from errnum with the message "what: <strerror>".
// Callers copy errno into a local first: building `what` may make system
// calls that overwrite it, and arguments are evaluated in no fixed order.
[[noreturn]] void fail_errno(int errnum, const std::string &what);

} // namespace inetkit
