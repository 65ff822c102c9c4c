// The Inet family's exports: each one is argument checks, a handle lease and
// one engine call, inside the exception barrier.
#include "api/barrier.hpp"
#include "core/library.hpp"
#include "net/connection.hpp"

#include <inetkit/inet.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace inetkit::api {
namespace {

using net::Milliseconds;
using net::no_limit;

struct InetConnectionObject final : HandleObject {
    InetConnectionObject(std::unique_ptr<net::Connection> engine, bool freethread)
        : HandleObject(HandleKind::InetConnection, freethread), connection(std::move(engine)),
          default_inactivity(connection->timeouts().inactivity) {}
    void cancel_call() noexcept override { connection->cancel(); }
    void abort() noexcept override { connection->abort(); }
    void begin_call() noexcept override { connection->begin_call(); }

    std::unique_ptr<net::Connection> connection;
    const Milliseconds default_inactivity; // what INET_TIMEOUT_INACTIVITY 0 restores
};

struct InetListenerObject final : HandleObject {
    InetListenerObject(std::unique_ptr<net::Listener> engine, bool freethread)
        : HandleObject(HandleKind::InetListener, freethread), listener(std::move(engine)) {}
    void cancel_call() noexcept override { listener->cancel(); }
    void abort() noexcept override { listener->abort(); }
    void begin_call() noexcept override { listener->begin_call(); }

    std::unique_ptr<net::Listener> listener;
};

constexpr KindMask connection_kind = kind_bit(HandleKind::InetConnection);
constexpr KindMask listener_kind = kind_bit(HandleKind::InetListener);

void check_options(DWORD options, DWORD allowed) {
    if (options & ~allowed) {
        char text[96];
        std::snprintf(text, sizeof text, "unknown or unsupported option bits %#x", options & ~allowed);
        fail(INETKIT_ERROR_INVALID_PARAMETER, text);
    }
}

std::uint16_t checked_port(UINT port, bool zero_allowed) {
    if (port > 65535 || (port == 0 && !zero_allowed))
        fail(INETKIT_ERROR_INVALID_PARAMETER, "port " + std::to_string(port) + " is not in 1-65535");
    return static_cast<std::uint16_t>(port);
}

// A timeout in seconds as the header defines it: 0 = default, INFINITE = none.
Milliseconds from_seconds(UINT seconds) {
    if (seconds == 0) return Milliseconds(INET_DEFAULT_TIMEOUT * 1000ll);
    if (seconds == INET_WAIT_INFINITE) return no_limit;
    return Milliseconds(seconds * 1000ll);
}

void refuse_credentials(LPCSECURITYCREDENTIALS credentials) {
    if (credentials)
        fail(INETKIT_ERROR_NOT_SUPPORTED, "security credentials are not supported by this version of inetkit");
}

HCLIENT issue(std::shared_ptr<HandleObject> object) { return HandleTable::instance().insert(std::move(object)); }

DWORD get_endpoint(HCLIENT handle, bool local, LPSTR address, LPDWORD size, LPUINT port) {
    return with_handle<HandleObject>(handle, local ? any_inet_kind : connection_kind, [&](HandleObject &object) {
        if (address && !size) fail(INETKIT_ERROR_INVALID_PARAMETER, "an address buffer was given without its size");
        net::Endpoint endpoint;
        if (object.kind() == HandleKind::InetListener)
            endpoint = static_cast<InetListenerObject &>(object).listener->local_endpoint();
        else {
            auto &connection = *static_cast<InetConnectionObject &>(object).connection;
            endpoint = local ? connection.local_endpoint() : connection.peer_endpoint();
        }
        if (size) copy_out(endpoint.address, address, size);
        if (port) *port = endpoint.port;
    });
}

// InetRead and InetPeek: the same checks around a different engine call.
DWORD read_bytes(HCLIENT handle, LPVOID buffer, DWORD size, LPDWORD count,
                 std::size_t (net::Connection::*read)(void *, std::size_t)) {
    if (count) *count = 0;
    return with_handle<InetConnectionObject>(handle, connection_kind, [&](InetConnectionObject &object) {
        require_argument(buffer, "lpBuffer");
        require_argument(count, "lpcbRead");
        if (size == 0) fail(INETKIT_ERROR_INVALID_PARAMETER, "cbBuffer is 0");
        *count = static_cast<DWORD>(((*object.connection).*read)(buffer, size));
    });
}

} // namespace
} // namespace inetkit::api

using namespace inetkit;
using namespace inetkit::api;

extern "C" {

DWORD INETKIT_CALL InetInitialize(void) noexcept {
    return guarded([] { library::initialize(library::Family::Inet); });
}

DWORD INETKIT_CALL InetUninitialize(void) noexcept {
    return guarded([] { library::uninitialize(library::Family::Inet); });
}

DWORD INETKIT_CALL InetGetVersion(void) noexcept {
    last_error::clear();
    return INETKIT_VERSION_NUMBER;
}

DWORD INETKIT_CALL InetGetLastError(void) noexcept { return last_error::get().code; }

DWORD INETKIT_CALL InetGetLastErrorMessage(LPSTR lpszMessage, LPDWORD lpcchMessage) noexcept {
    const last_error::Record &record = last_error::get();
    return copy_string(std::string_view(record.message, record.length), lpszMessage, lpcchMessage);
}

DWORD INETKIT_CALL InetGetErrorString(DWORD dwErrorCode, LPSTR lpszText, LPDWORD lpcchText) noexcept {
    const char *text = error_text(dwErrorCode);
    if (!text) return INETKIT_ERROR_INVALID_PARAMETER;
    return copy_string(text, lpszText, lpcchText);
}

HCLIENT INETKIT_CALL InetConnect(LPCSTR lpszHost, UINT nPort, UINT nTimeout, DWORD dwOptions,
                                 LPCSECURITYCREDENTIALS lpCredentials) noexcept {
    return guarded_create([&] {
        library::require(library::Family::Inet);
        check_options(dwOptions, INET_OPTION_PREFER_IPV6 | INET_OPTION_FREETHREAD);
        refuse_credentials(lpCredentials);
        std::string host = net::checked_host(lpszHost);
        std::uint16_t port = checked_port(nPort, false);
        auto connection = net::Connection::connect(host, port, from_seconds(nTimeout),
                                                   (dwOptions & INET_OPTION_PREFER_IPV6) != 0);
        return issue(std::make_shared<InetConnectionObject>(std::move(connection),
                                                            (dwOptions & INET_OPTION_FREETHREAD) != 0));
    });
}

HCLIENT INETKIT_CALL InetListen(LPCSTR lpszLocalAddress, UINT nLocalPort, UINT nBacklog, DWORD dwOptions,
                                LPCSECURITYCREDENTIALS lpCredentials) noexcept {
    return guarded_create([&] {
        library::require(library::Family::Inet);
        check_options(dwOptions, INET_OPTION_FREETHREAD);
        refuse_credentials(lpCredentials);
        std::string address = lpszLocalAddress && *lpszLocalAddress ? net::checked_host(lpszLocalAddress) : "";
        std::uint16_t port = checked_port(nLocalPort, true);
        int backlog = nBacklog > INT_MAX ? INT_MAX : static_cast<int>(nBacklog);
        auto listener = net::Listener::listen(address, port, backlog);
        return issue(std::make_shared<InetListenerObject>(std::move(listener),
                                                          (dwOptions & INET_OPTION_FREETHREAD) != 0));
    });
}

HCLIENT INETKIT_CALL InetAccept(HCLIENT hServer, UINT nTimeout, DWORD dwOptions) noexcept {
    return guarded_create([&] {
        check_options(dwOptions, INET_OPTION_FREETHREAD);
        std::unique_ptr<net::Connection> connection;
        {
            CallLease lease(hServer, listener_kind);
            Milliseconds inactivity(INET_DEFAULT_TIMEOUT * 1000ll);
            connection = lease.get<InetListenerObject>().listener->accept(from_seconds(nTimeout),
                                                                          net::Timeouts{inactivity, no_limit});
        }
        return issue(std::make_shared<InetConnectionObject>(std::move(connection),
                                                            (dwOptions & INET_OPTION_FREETHREAD) != 0));
    });
}

DWORD INETKIT_CALL InetDisconnect(HCLIENT hClient) noexcept {
    return guarded([&] { HandleTable::instance().close(hClient, any_inet_kind); });
}

DWORD INETKIT_CALL InetCancel(HCLIENT hClient) noexcept {
    return guarded([&] { HandleTable::instance().find(hClient, any_inet_kind)->cancel_call(); });
}

DWORD INETKIT_CALL InetAttachThread(HCLIENT hClient, DWORD dwThreadId) noexcept {
    thread::Id previous = 0;
    guarded([&] { previous = HandleTable::instance().attach_thread(hClient, any_inet_kind, dwThreadId); });
    return previous;
}

DWORD INETKIT_CALL InetRead(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer, LPDWORD lpcbRead) noexcept {
    return read_bytes(hClient, lpBuffer, cbBuffer, lpcbRead, &net::Connection::read);
}

DWORD INETKIT_CALL InetReadLine(HCLIENT hClient, LPSTR lpszLine, DWORD cchLine, LPDWORD lpcchLine) noexcept {
    if (lpcchLine) *lpcchLine = 0;
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        require_argument(lpszLine, "lpszLine");
        require_argument(lpcchLine, "lpcchLine");
        if (cchLine == 0) fail(INETKIT_ERROR_INVALID_PARAMETER, "cchLine is 0: no room for the NUL");
        std::size_t length = object.connection->read_line(lpszLine, cchLine - 1);
        lpszLine[length] = '\0';
        *lpcchLine = static_cast<DWORD>(length);
    });
}

DWORD INETKIT_CALL InetPeek(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer, LPDWORD lpcbRead) noexcept {
    return read_bytes(hClient, lpBuffer, cbBuffer, lpcbRead, &net::Connection::peek);
}

DWORD INETKIT_CALL InetGetBytesAvailable(HCLIENT hClient, LPDWORD lpcbAvailable) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        require_argument(lpcbAvailable, "lpcbAvailable");
        std::size_t available = object.connection->available();
        *lpcbAvailable = available > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<DWORD>(available);
    });
}

DWORD INETKIT_CALL InetWrite(HCLIENT hClient, LPCVOID lpBuffer, DWORD cbBuffer, LPDWORD lpcbWritten) noexcept {
    std::size_t written = 0;
    DWORD result = with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        if (cbBuffer > 0) require_argument(lpBuffer, "lpBuffer");
        object.connection->write(lpBuffer, cbBuffer, written);
    });
    if (lpcbWritten) *lpcbWritten = static_cast<DWORD>(written);
    return result;
}

DWORD INETKIT_CALL InetWriteLine(HCLIENT hClient, LPCSTR lpszLine) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        require_argument(lpszLine, "lpszLine");
        std::string line(lpszLine);
        if (line.find_first_of("\r\n") != std::string::npos)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "the line holds a CR or LF; nothing was sent");
        line += "\r\n";
        std::size_t written = 0;
        object.connection->write(line.data(), line.size(), written);
    });
}

DWORD INETKIT_CALL InetShutdown(HCLIENT hClient, DWORD dwHow) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        if (dwHow > INET_SHUTDOWN_BOTH)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "dwHow " + std::to_string(dwHow) + " is not an INET_SHUTDOWN_* value");
        object.connection->shutdown(dwHow == INET_SHUTDOWN_RECEIVE ? net::ShutdownDirection::Receive
                                    : dwHow == INET_SHUTDOWN_SEND  ? net::ShutdownDirection::Send
                                                                   : net::ShutdownDirection::Both);
    });
}

DWORD INETKIT_CALL InetGetLocalAddress(HCLIENT hClient, LPSTR lpszAddress, LPDWORD lpcchAddress,
                                       LPUINT lpnPort) noexcept {
    return get_endpoint(hClient, true, lpszAddress, lpcchAddress, lpnPort);
}

DWORD INETKIT_CALL InetGetPeerAddress(HCLIENT hClient, LPSTR lpszAddress, LPDWORD lpcchAddress,
                                      LPUINT lpnPort) noexcept {
    return get_endpoint(hClient, false, lpszAddress, lpcchAddress, lpnPort);
}

DWORD INETKIT_CALL InetSetTimeout(HCLIENT hClient, DWORD dwKind, DWORD dwMilliseconds) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        Milliseconds value = dwMilliseconds == INET_WAIT_INFINITE ? no_limit : Milliseconds(dwMilliseconds);
        net::Timeouts &timeouts = object.connection->timeouts();
        if (dwKind == INET_TIMEOUT_INACTIVITY)
            timeouts.inactivity = dwMilliseconds == 0 ? object.default_inactivity : value;
        else if (dwKind == INET_TIMEOUT_CALL)
            timeouts.call = dwMilliseconds == 0 ? no_limit : value;
        else
            fail(INETKIT_ERROR_INVALID_PARAMETER, "dwKind " + std::to_string(dwKind) + " is not an INET_TIMEOUT_* value");
    });
}

DWORD INETKIT_CALL InetGetTimeout(HCLIENT hClient, DWORD dwKind, LPDWORD lpdwMilliseconds) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        require_argument(lpdwMilliseconds, "lpdwMilliseconds");
        const net::Timeouts &timeouts = object.connection->timeouts();
        Milliseconds value;
        if (dwKind == INET_TIMEOUT_INACTIVITY) value = timeouts.inactivity;
        else if (dwKind == INET_TIMEOUT_CALL) value = timeouts.call;
        else fail(INETKIT_ERROR_INVALID_PARAMETER, "dwKind " + std::to_string(dwKind) + " is not an INET_TIMEOUT_* value");
        *lpdwMilliseconds = value >= Milliseconds(INET_WAIT_INFINITE) ? INET_WAIT_INFINITE : static_cast<DWORD>(value.count());
    });
}

DWORD INETKIT_CALL InetSetTraceCallback(HCLIENT hClient, INETTRACEPROC lpfnTrace, LPVOID lpParam) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        if (!lpfnTrace) {
            object.connection->set_trace(nullptr);
            return;
        }
        HCLIENT handle = object.handle();
        object.connection->set_trace([=](net::TraceDirection direction, const void *data, std::size_t size) {
            // Reads and writes are bounded by DWORD sizes, so size fits.
            lpfnTrace(handle, static_cast<DWORD>(direction), data, static_cast<DWORD>(size), lpParam);
        });
    });
}

} // extern "C"
