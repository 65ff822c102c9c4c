// libFuzzer target: the caller's host and address text of the Inet and Pop
// families (src/net/address.cpp): checked_host, and numeric_address, which
// only accepts numeric addresses (getaddrinfo with AI_NUMERICHOST: no name
// is ever looked up). Input: two port bytes, then the text (as a C string:
// up to its first NUL).
//
// Holds: checked_host returns 1-255 bytes without spaces or control bytes,
// brackets stripped only as a pair; failures are INVALID_PARAMETER (and the
// resolver codes for numeric_address); an address numeric_address accepts
// comes back from endpoint_of as numeric text that it accepts again as the
// same socket address, and describe() writes "[v6]:port" / "v4:port".
#include "fuzz_check.hpp"
#include "core/error.hpp"
#include "net/address.hpp"

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using namespace inetkit;
using namespace inetkit::net;

bool resolver_code(ErrorCode code) {
    return code == INETKIT_ERROR_INVALID_PARAMETER || code == INETKIT_ERROR_HOST_NOT_FOUND ||
           code == INETKIT_ERROR_NO_DATA || code == INETKIT_ERROR_NO_RECOVERY || code == INETKIT_ERROR_TRY_AGAIN ||
           code == INETKIT_ERROR_FAMILY_NOT_SUPPORTED;
}

// The address part of a socket address, port and scope included.
bool same_address(const SocketAddress &a, const SocketAddress &b) {
    if (a.family() != b.family()) return false;
    if (a.family() == AF_INET) {
        auto *x = reinterpret_cast<const sockaddr_in *>(&a.storage), *y = reinterpret_cast<const sockaddr_in *>(&b.storage);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    auto *x = reinterpret_cast<const sockaddr_in6 *>(&a.storage), *y = reinterpret_cast<const sockaddr_in6 *>(&b.storage);
    return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 2) return 0;
    std::uint16_t port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    std::string text(reinterpret_cast<const char *>(data) + 2, size - 2);
    const char *host = text.c_str(); // what a C caller passes: up to the first NUL

    try {
        std::string checked = checked_host(host);
        std::size_t length = std::strlen(host);
        if (checked.empty() || checked.size() > 255) broken("checked_host returned an empty or long name");
        for (unsigned char c : checked)
            if (c <= 0x20 || c == 0x7F) broken("checked_host let a space or control byte through");
        bool bracketed = length > 2 && host[0] == '[' && host[length - 1] == ']';
        if (checked != (bracketed ? std::string(host + 1, length - 2) : std::string(host))) broken("checked_host changed the name");
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_INVALID_PARAMETER) broken("checked_host failed with another code");
    }

    bool any = false;
    SocketAddress address;
    try {
        address = numeric_address(host, port, &any);
    } catch (const Error &error) {
        if (!resolver_code(error.code())) {
            std::fprintf(stderr, "code %u: %s\n", error.code(), error.what());
            broken("numeric_address failed with an undocumented code");
        }
        return 0;
    }
    if (any != (*host == '\0')) broken("any_interface is wrong");
    if (address.family() != AF_INET && address.family() != AF_INET6) broken("not an IP address");

    Endpoint endpoint = endpoint_of(address);
    if (endpoint.port != port || endpoint.address.empty()) broken("endpoint_of lost the port or the address");
    std::string shown = describe(address);
    bool v6 = endpoint.address.find(':') != std::string::npos;
    std::string expected = (v6 ? "[" + endpoint.address + "]" : endpoint.address) + ":" + std::to_string(port);
    if (shown != expected) broken("describe() is not [v6]:port or v4:port");

    // The numeric text reads back as the same address (v4-mapped v6 is shown as v4).
    bool again_any = false;
    SocketAddress again = numeric_address(endpoint.address, port, &again_any);
    const auto *v6_address = reinterpret_cast<const sockaddr_in6 *>(&address.storage);
    bool mapped = address.family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6_address->sin6_addr);
    if (!mapped && !same_address(address, again)) broken("the shown address reads back differently");
    return 0;
}
