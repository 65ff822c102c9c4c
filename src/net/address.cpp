#include "net/address.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>

namespace inetkit::net {
namespace {

struct AddrinfoDeleter {
    void operator()(addrinfo *list) const { freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

ErrorCode resolver_code(int status) {
    switch (status) {
    case EAI_NONAME: return INETKIT_ERROR_HOST_NOT_FOUND;
    case EAI_AGAIN: return INETKIT_ERROR_TRY_AGAIN;
    case EAI_FAIL: return INETKIT_ERROR_NO_RECOVERY;
#ifdef EAI_NODATA
    case EAI_NODATA: return INETKIT_ERROR_NO_DATA;
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY: return INETKIT_ERROR_NO_DATA;
#endif
    case EAI_MEMORY: return INETKIT_ERROR_NOT_ENOUGH_MEMORY;
    case EAI_FAMILY: return INETKIT_ERROR_FAMILY_NOT_SUPPORTED;
    default: return INETKIT_ERROR_HOST_NOT_FOUND;
    }
}

AddrinfoList lookup(const std::string &host, std::uint16_t port, int flags, const char *what) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = flags | AI_NUMERICSERV;
    std::string service = std::to_string(port);
    addrinfo *list = nullptr;
    int status = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
    if (status == EAI_SYSTEM) {
        int error = errno; // before the message is built
        fail_errno(error, std::string(what) + " " + host);
    }
    if (status != 0)
        fail(resolver_code(status), std::string(what) + " " + host + ": " + gai_strerror(status));
    return AddrinfoList(list);
}

} // namespace

std::string checked_host(const char *host) {
    if (!host) fail(INETKIT_ERROR_INVALID_PARAMETER, "the host name is NULL");
    std::size_t length = strnlen(host, 256);
    if (length == 0) fail(INETKIT_ERROR_INVALID_PARAMETER, "the host name is empty");
    if (length > 255) fail(INETKIT_ERROR_INVALID_PARAMETER, "the host name is longer than 255 bytes");
    for (std::size_t i = 0; i < length; ++i) {
        unsigned char c = static_cast<unsigned char>(host[i]);
        if (c <= 0x20 || c == 0x7F)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "the host name holds a space or control character");
    }
    std::string name(host, length);
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    return name;
}

std::vector<SocketAddress> resolve(const std::string &host, std::uint16_t port, bool prefer_ipv6) {
    AddrinfoList list = lookup(host, port, 0, "cannot resolve");
    std::vector<SocketAddress> addresses;
    for (const addrinfo *entry = list.get(); entry; entry = entry->ai_next) {
        if (entry->ai_family != AF_INET && entry->ai_family != AF_INET6) continue;
        SocketAddress address;
        std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
        address.length = entry->ai_addrlen;
        // getaddrinfo repeats an address once per protocol on some systems.
        bool seen = std::any_of(addresses.begin(), addresses.end(), [&](const SocketAddress &other) {
            return other.length == address.length && std::memcmp(&other.storage, &address.storage, address.length) == 0;
        });
        if (!seen) addresses.push_back(address);
    }
    if (addresses.empty()) fail(INETKIT_ERROR_NO_DATA, "host " + host + " has no IPv4 or IPv6 address");
    int first = prefer_ipv6 ? AF_INET6 : AF_INET;
    std::stable_partition(addresses.begin(), addresses.end(),
                          [first](const SocketAddress &address) { return address.family() == first; });
    return addresses;
}

SocketAddress numeric_address(const std::string &address, std::uint16_t port, bool *any_interface) {
    *any_interface = address.empty();
    SocketAddress result;
    if (address.empty()) {
        auto *v6 = reinterpret_cast<sockaddr_in6 *>(&result.storage);
        v6->sin6_family = AF_INET6;
        v6->sin6_addr = in6addr_any;
        v6->sin6_port = htons(port);
        result.length = sizeof *v6;
        return result;
    }
    AddrinfoList list = lookup(address, port, AI_NUMERICHOST | AI_PASSIVE, "not a numeric address:");
    std::memcpy(&result.storage, list->ai_addr, list->ai_addrlen);
    result.length = list->ai_addrlen;
    return result;
}

Endpoint endpoint_of(const SocketAddress &address) {
    Endpoint endpoint;
    char text[INET6_ADDRSTRLEN] = "";
    if (address.family() == AF_INET) {
        const auto *v4 = reinterpret_cast<const sockaddr_in *>(&address.storage);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        endpoint.port = ntohs(v4->sin_port);
    } else if (address.family() == AF_INET6) {
        const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&address.storage);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
        else
            inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        endpoint.port = ntohs(v6->sin6_port);
    }
    endpoint.address = text;
    return endpoint;
}

std::string describe(const SocketAddress &address) {
    Endpoint endpoint = endpoint_of(address);
    bool v6 = endpoint.address.find(':') != std::string::npos;
    return (v6 ? "[" + endpoint.address + "]" : endpoint.address) + ":" + std::to_string(endpoint.port);
}

} // namespace inetkit::net
