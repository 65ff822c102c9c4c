// SECURITYCREDENTIALS and the TLS options -> engine TLS settings.
#pragma once

#include "net/connection.hpp"
#include "net/tls.hpp"

#include <inetkit/inet.h>

#include <memory>

namespace inetkit::api {

constexpr DWORD tls_options = INET_OPTION_TRUSTEDSITE | INET_OPTION_SECURE_FALLBACK;

// The handle whose handshake runs on this thread, for verify callbacks
// (INVALID_CLIENT while InetConnect or InetAccept has no handle yet).
extern thread_local HCLIENT handshake_handle;

// Checks every member (throws INVALID_PARAMETER naming it) and copies it.
// credentials may be NULL: the defaults.
net::TlsSettings tls_settings(LPCSECURITYCREDENTIALS credentials, DWORD options, bool server);

// Fills INETSECURITYINFO for a connection (dwProtocol 0 when plain); checks dwSize.
void fill_security_info(const net::Connection &connection, INETSECURITYINFO *info);

// The shared context for those settings: certificates, keys and CAs loaded
// and checked now, before any traffic.
std::shared_ptr<net::TlsContext> tls_context(LPCSECURITYCREDENTIALS credentials, DWORD options, bool server);

} // namespace inetkit::api
