// The Inet family's exports: each one is argument checks, a handle lease and
// one engine call, inside the exception barrier.
#include "api/barrier.hpp"
#include "api/credentials.hpp"
#include "core/library.hpp"
#include "net/connection.hpp"

#include <inetkit/inet.h>

#include <ares.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
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

// The TLS context for InetConnect/InetListen, or none for a plain handle.
std::shared_ptr<net::TlsContext> secure_context(DWORD options, LPCSECURITYCREDENTIALS credentials, bool server) {
    if (options & INET_OPTION_SECURE) return tls_context(credentials, options, server);
    if (credentials || (options & tls_options))
        fail(INETKIT_ERROR_INVALID_PARAMETER,
             "TLS credentials or options without INET_OPTION_SECURE (pass them to InetStartTls to upgrade later)");
    return nullptr;
}

const net::TlsStream &secured(const net::Connection &connection) {
    if (!connection.tls()) fail(INETKIT_ERROR_SECURITY_NOT_ESTABLISHED, "the connection is not secure");
    return *connection.tls();
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
    return last_error_message(lpszMessage, lpcchMessage);
}

DWORD INETKIT_CALL InetGetErrorString(DWORD dwErrorCode, LPSTR lpszText, LPDWORD lpcchText) noexcept {
    return error_string(dwErrorCode, lpszText, lpcchText);
}

HCLIENT INETKIT_CALL InetConnect(LPCSTR lpszHost, UINT nPort, UINT nTimeout, DWORD dwOptions,
                                 LPCSECURITYCREDENTIALS lpCredentials) noexcept {
    return guarded_create([&] {
        library::require(library::Family::Inet);
        check_options(dwOptions, INET_OPTION_PREFER_IPV6 | INET_OPTION_FREETHREAD | INET_OPTION_SECURE | tls_options);
        std::string host = net::checked_host(lpszHost);
        std::uint16_t port = checked_port(nPort, false);
        auto tls = secure_context(dwOptions, lpCredentials, false); // checked before any traffic
        Milliseconds timeout = from_seconds(nTimeout);
        auto started = net::Clock::now();
        auto connection = net::Connection::connect(host, port, timeout, (dwOptions & INET_OPTION_PREFER_IPV6) != 0);
        if (tls) {
            // The handshake gets what the connect left of the same timeout.
            auto used = std::chrono::duration_cast<Milliseconds>(net::Clock::now() - started);
            connection->start_tls(tls, timeout == no_limit ? no_limit : std::max(Milliseconds(1), timeout - used));
        }
        return issue(std::make_shared<InetConnectionObject>(std::move(connection),
                                                            (dwOptions & INET_OPTION_FREETHREAD) != 0));
    });
}

HCLIENT INETKIT_CALL InetListen(LPCSTR lpszLocalAddress, UINT nLocalPort, UINT nBacklog, DWORD dwOptions,
                                LPCSECURITYCREDENTIALS lpCredentials) noexcept {
    return guarded_create([&] {
        library::require(library::Family::Inet);
        check_options(dwOptions, INET_OPTION_FREETHREAD | INET_OPTION_SECURE | tls_options);
        std::string address = lpszLocalAddress && *lpszLocalAddress ? net::checked_host(lpszLocalAddress) : "";
        std::uint16_t port = checked_port(nLocalPort, true);
        int backlog = nBacklog > INT_MAX ? INT_MAX : static_cast<int>(nBacklog);
        auto listener = net::Listener::listen(address, port, backlog, secure_context(dwOptions, lpCredentials, true));
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
            run_callback("trace", [&] { lpfnTrace(handle, static_cast<DWORD>(direction), data, static_cast<DWORD>(size), lpParam); });
        });
    });
}

DWORD INETKIT_CALL InetStartTls(HCLIENT hClient, DWORD dwOptions, LPCSECURITYCREDENTIALS lpCredentials) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        check_options(dwOptions, tls_options);
        net::Connection &connection = *object.connection;
        auto context = tls_context(lpCredentials, dwOptions, connection.accepted());
        struct HandshakeHandle { // verify callbacks see this handle
            explicit HandshakeHandle(HCLIENT h) { handshake_handle = h; }
            ~HandshakeHandle() { handshake_handle = INVALID_CLIENT; }
        } current(hClient);
        connection.start_tls(std::move(context), connection.timeouts().call);
    });
}

DWORD INETKIT_CALL InetCheckCredentials(LPCSECURITYCREDENTIALS lpCredentials, BOOL bServer) noexcept {
    return guarded([&] {
        require_argument(lpCredentials, "lpCredentials");
        tls_context(lpCredentials, INET_OPTION_NONE, bServer != FALSE);
    });
}

namespace {
// InetCreateCredentials hands out the first member; the strings live beside it.
struct OwnedCredentials {
    SECURITYCREDENTIALS credentials{};
    std::string certificate_file, private_key_file, password;
};
std::mutex owned_mutex;
std::set<SECURITYCREDENTIALS *> owned; // what InetDeleteCredentials may free
const char *c_str_or_null(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }
} // namespace

DWORD INETKIT_CALL InetCreateCredentials(LPCSTR lpszCertificateFile, LPCSTR lpszPrivateKeyFile, LPCSTR lpszPassword,
                                         LPSECURITYCREDENTIALS *lplpCredentials) noexcept {
    if (lplpCredentials) *lplpCredentials = nullptr;
    return guarded([&] {
        require_argument(lplpCredentials, "lplpCredentials");
        auto created = std::make_unique<OwnedCredentials>();
        created->certificate_file = lpszCertificateFile ? lpszCertificateFile : "";
        created->private_key_file = lpszPrivateKeyFile ? lpszPrivateKeyFile : "";
        created->password = lpszPassword ? lpszPassword : "";
        SECURITYCREDENTIALS &c = created->credentials;
        c.dwSize = sizeof c;
        c.lpszCertificateFile = c_str_or_null(created->certificate_file);
        c.lpszPrivateKeyFile = c_str_or_null(created->private_key_file);
        c.lpszPassword = c_str_or_null(created->password);
        tls_context(&c, INET_OPTION_NONE, false);
        std::lock_guard lock(owned_mutex);
        owned.insert(&c);
        *lplpCredentials = &created.release()->credentials;
    });
}

DWORD INETKIT_CALL InetDeleteCredentials(LPSECURITYCREDENTIALS lpCredentials) noexcept {
    return guarded([&] {
        if (!lpCredentials) return;
        std::lock_guard lock(owned_mutex);
        if (owned.erase(lpCredentials) == 0)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "these credentials were not made by InetCreateCredentials, or were already deleted");
        // credentials is the first member, so the pointer is the OwnedCredentials'.
        delete reinterpret_cast<OwnedCredentials *>(lpCredentials);
    });
}

DWORD INETKIT_CALL InetGetSecurityInfo(HCLIENT hClient, INETSECURITYINFO *lpInfo) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        fill_security_info(*object.connection, lpInfo);
    });
}

DWORD INETKIT_CALL InetGetSecurityValue(HCLIENT hClient, DWORD dwField, LPDWORD lpdwValue) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        require_argument(lpdwValue, "lpdwValue");
        const net::TlsStream *tls = object.connection->tls();
        net::SecurityDetails d = tls ? tls->details() : net::SecurityDetails{};
        switch (dwField) {
        case INET_SECURITY_PROTOCOL: *lpdwValue = d.protocol; break;
        case INET_SECURITY_CIPHER_BITS: *lpdwValue = d.cipher_bits; break;
        case INET_SECURITY_RESUMED: *lpdwValue = d.resumed; break;
        case INET_SECURITY_VERIFY_RESULT: *lpdwValue = static_cast<DWORD>(d.verify_result); break;
        case INET_SECURITY_PEER_CERTIFICATES: *lpdwValue = static_cast<DWORD>(d.peer_certificates); break;
        default: fail(INETKIT_ERROR_INVALID_PARAMETER, "dwField " + std::to_string(dwField) + " is not an INET_SECURITY_* value");
        }
    });
}

DWORD INETKIT_CALL InetGetVerifyErrors(HCLIENT hClient, LPSTR lpszErrors, LPDWORD lpcchErrors) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        std::string lines;
        for (const net::VerifyProblem &p : secured(*object.connection).problems())
            lines += std::to_string(p.error) + ":" + p.fingerprint + ":" + std::to_string(p.depth) + ":" + p.description + "\n";
        copy_out(lines, lpszErrors, lpcchErrors);
    });
}

DWORD INETKIT_CALL InetGetCertificateInfo(HCLIENT hClient, DWORD dwCertificate, DWORD dwField, LPVOID lpValue,
                                          LPDWORD lpcbValue) noexcept {
    return with_handle<InetConnectionObject>(hClient, connection_kind, [&](InetConnectionObject &object) {
        require_argument(lpcbValue, "lpcbValue");
        bool local = dwCertificate == INET_CERTIFICATE_LOCAL;
        net::CertificateText c = secured(*object.connection).certificate(local ? 0 : dwCertificate, local);
        const std::string *field = nullptr;
        switch (dwField) {
        case INET_CERT_SUBJECT: field = &c.subject; break;
        case INET_CERT_ISSUER: field = &c.issuer; break;
        case INET_CERT_SERIAL: field = &c.serial; break;
        case INET_CERT_NOT_BEFORE: field = &c.not_before; break;
        case INET_CERT_NOT_AFTER: field = &c.not_after; break;
        case INET_CERT_SAN: field = &c.san; break;
        case INET_CERT_FINGERPRINT: field = &c.fingerprint; break;
        case INET_CERT_PEM: field = &c.pem; break;
        case INET_CERT_PUBLIC_KEY_PIN: field = &c.public_key_pin; break;
        case INET_CERT_DER: {
            DWORD needed = static_cast<DWORD>(c.der.size());
            if (!lpValue || *lpcbValue < needed) {
                DWORD given = *lpcbValue;
                *lpcbValue = needed;
                fail(INETKIT_ERROR_INSUFFICIENT_BUFFER, "the certificate is " + std::to_string(needed) +
                                                            " bytes of DER; the buffer holds " + std::to_string(lpValue ? given : 0));
            }
            std::memcpy(lpValue, c.der.data(), c.der.size());
            *lpcbValue = needed;
            return;
        }
        default: fail(INETKIT_ERROR_INVALID_PARAMETER, "dwField " + std::to_string(dwField) + " is not an INET_CERT_* value");
        }
        copy_out(*field, static_cast<LPSTR>(lpValue), lpcbValue);
    });
}

DWORD INETKIT_CALL InetGetLibraryInfo(DWORD dwWhat, LPSTR lpszValue, LPDWORD lpcchValue) noexcept {
    return guarded([&] {
        switch (dwWhat) {
        case INET_LIBRARY_VERSION: copy_out(INETKIT_VERSION_STRING, lpszValue, lpcchValue); break;
        case INET_LIBRARY_OPENSSL_VERSION: copy_out(OpenSSL_version(OPENSSL_VERSION), lpszValue, lpcchValue); break;
        case INET_LIBRARY_OPENSSL_BUILT: copy_out(OPENSSL_VERSION_TEXT, lpszValue, lpcchValue); break;
        case INET_LIBRARY_CARES_VERSION: copy_out(ares_version(nullptr), lpszValue, lpcchValue); break;
        default: fail(INETKIT_ERROR_INVALID_PARAMETER, "dwWhat " + std::to_string(dwWhat) + " is not an INET_LIBRARY_* value");
        }
    });
}

} // extern "C"
