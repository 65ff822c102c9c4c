#include "core/error.hpp"

#include <cerrno>
#include <cstring>

namespace inetkit {

void fail(ErrorCode code, const std::string &message) { throw Error(code, message); }

const char *error_text(ErrorCode code) noexcept {
    switch (code) {
#define INETKIT_ERROR_CASE_(name, number, text) \
    case number:                                \
        return text;
        INETKIT_ERROR_TABLE(INETKIT_ERROR_CASE_)
#undef INETKIT_ERROR_CASE_
    }
    return nullptr;
}

ErrorCode error_from_errno(int errnum) noexcept {
    switch (errnum) {
    case 0: return INETKIT_ERROR_NONE;
    case EINTR: return INETKIT_ERROR_INTERRUPTED;
    case EACCES:
    case EPERM: return INETKIT_ERROR_ACCESS_DENIED;
    case EFAULT: return INETKIT_ERROR_BAD_ADDRESS;
    case EINVAL: return INETKIT_ERROR_INVALID_ARGUMENT;
    case EMFILE:
    case ENFILE: return INETKIT_ERROR_TOO_MANY_SOCKETS;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EAGAIN: return INETKIT_ERROR_WOULD_BLOCK;
    case EALREADY:
    case EINPROGRESS: return INETKIT_ERROR_IN_PROGRESS;
    case EMSGSIZE: return INETKIT_ERROR_MESSAGE_TOO_LONG;
    case EPROTONOSUPPORT: return INETKIT_ERROR_PROTOCOL_NOT_SUPPORTED;
    case EAFNOSUPPORT: return INETKIT_ERROR_FAMILY_NOT_SUPPORTED;
    case EADDRINUSE: return INETKIT_ERROR_ADDRESS_IN_USE;
    case EADDRNOTAVAIL: return INETKIT_ERROR_ADDRESS_NOT_AVAILABLE;
    case ENETDOWN: return INETKIT_ERROR_NETWORK_DOWN;
    case ENETUNREACH: return INETKIT_ERROR_NETWORK_UNREACHABLE;
    case ENETRESET: return INETKIT_ERROR_NETWORK_RESET;
    case ECONNABORTED: return INETKIT_ERROR_CONNECTION_ABORTED;
    case ECONNRESET:
    case EPIPE: return INETKIT_ERROR_CONNECTION_RESET;
    case ENOBUFS: return INETKIT_ERROR_NO_BUFFER_SPACE;
    case ENOMEM: return INETKIT_ERROR_NOT_ENOUGH_MEMORY;
    case EISCONN: return INETKIT_ERROR_ALREADY_CONNECTED;
    case ENOTCONN: return INETKIT_ERROR_NOT_CONNECTED;
    case ESHUTDOWN: return INETKIT_ERROR_SHUTDOWN;
    case ETIMEDOUT: return INETKIT_ERROR_TIMED_OUT;
    case ECONNREFUSED: return INETKIT_ERROR_CONNECTION_REFUSED;
    case EHOSTDOWN: return INETKIT_ERROR_HOST_DOWN;
    case EHOSTUNREACH: return INETKIT_ERROR_HOST_UNREACHABLE;
    default: return INETKIT_ERROR_SYSTEM;
    }
}

void fail_errno(int errnum, const std::string &what) {
    char buffer[128];
    // GNU strerror_r may return a static string instead of filling the buffer.
    const char *text = strerror_r(errnum, buffer, sizeof buffer);
    throw Error(error_from_errno(errnum), what + ": " + text);
}

} // namespace inetkit
