// Host names, numeric addresses and socket addresses.
#pragma once

#include <cstdint>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace inetkit::net {

struct Endpoint {
    std::string address; // numeric; IPv4-mapped IPv6 addresses are shown as IPv4
    std::uint16_t port = 0;
};

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr *get() const { return reinterpret_cast<const sockaddr *>(&storage); }
};

// Checks a caller's host argument: non-empty, at most 255 bytes, no control
// characters or spaces; strips the brackets of "[v6-literal]".
std::string checked_host(const char *host);

// All addresses of host for TCP, IPv4 first (IPv6 first with prefer_ipv6).
// Throws the 1100x codes when the name does not resolve.
std::vector<SocketAddress> resolve(const std::string &host, std::uint16_t port, bool prefer_ipv6);

// A numeric address for binding; empty means every interface (IPv6 and IPv4).
SocketAddress numeric_address(const std::string &address, std::uint16_t port, bool *any_interface);

Endpoint endpoint_of(const SocketAddress &address);
std::string describe(const SocketAddress &address); // "[::1]:110" / "127.0.0.1:110"

} // namespace inetkit::net
