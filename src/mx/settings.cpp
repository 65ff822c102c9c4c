#include "mx/settings.hpp"

#include "core/error.hpp"
#include "mx/names.hpp"

#include <ares.h>
#include <idn2.h>
#include <inetkit/common.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>

namespace inetkit::mx {
namespace {

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}


std::uint64_t number(std::string_view name, std::string_view value, std::uint64_t low, std::uint64_t high) {
    std::uint64_t result = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() || result < low || result > high)
        fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(name) + " is a number from " + std::to_string(low) + " to " +
                                                  std::to_string(high) + ", not " + quote_for_message(value));
    return result;
}

bool on_off(std::string_view name, std::string_view value) {
    if (same_name(value, "on") || value == "1" || same_name(value, "true")) return true;
    if (same_name(value, "off") || value == "0" || same_name(value, "false")) return false;
    fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(name) + " is on or off, not " + quote_for_message(value));
}

const char *on_off(bool value) { return value ? "on" : "off"; }

// Checks an IPv4/IPv6 literal; returns its family or 0.
int address_family(const std::string &address) {
    unsigned char buffer[16];
    if (inet_pton(AF_INET, address.c_str(), buffer) == 1) return 4;
    if (inet_pton(AF_INET6, address.c_str(), buffer) == 1) return 6;
    return 0;
}

std::string trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return std::string(text);
}

ServerAddress parse_server(std::string_view entry) {
    std::string text = trimmed(entry);
    ServerAddress server;
    std::string port;
    if (!text.empty() && text.front() == '[') { // [v6] or [v6]:port
        std::size_t close = text.find(']');
        if (close == std::string::npos) fail(INETKIT_ERROR_INVALID_PARAMETER, "DNS server " + quote_for_message(text) + " lacks its ']'");
        server.address = text.substr(1, close - 1);
        std::string rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') fail(INETKIT_ERROR_INVALID_PARAMETER, "DNS server " + quote_for_message(text) + " is malformed");
            port = rest.substr(1);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) { // v4:port
        std::size_t colon = text.find(':');
        server.address = text.substr(0, colon);
        port = text.substr(colon + 1);
    } else {
        server.address = text;
    }
    server.family = address_family(server.address);
    if (server.family == 0)
        fail(INETKIT_ERROR_INVALID_PARAMETER,
             "DNS server " + quote_for_message(text) + " is not a numeric IPv4 or IPv6 address (host names are not accepted)");
    if (!port.empty() || text.back() == ':') server.port = static_cast<std::uint16_t>(number("the DNS server's port", port, 1, 65535));
    return server;
}

constexpr std::string_view network_names[] = {"LocalHost", "LocalPort", "UseIPv6", "MaxPacketSize", "QueryTimeout",
                                              "Retries", "ConnectionMode", "ResolvConf"};

} // namespace

std::vector<ServerAddress> parse_server_list(std::string_view text) {
    std::vector<ServerAddress> servers;
    if (text.size() > 4096) fail(INETKIT_ERROR_INVALID_PARAMETER, "the DNS server list is longer than 4096 bytes");
    while (!trimmed(text).empty()) {
        std::size_t comma = text.find(',');
        servers.push_back(parse_server(text.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
        if (trimmed(text).empty()) fail(INETKIT_ERROR_INVALID_PARAMETER, "the DNS server list ends with a comma");
    }
    if (servers.size() > 32) fail(INETKIT_ERROR_INVALID_PARAMETER, "more than 32 DNS servers");
    return servers;
}

std::string format_server_list(const std::vector<ServerAddress> &servers) {
    std::string out;
    for (const ServerAddress &server : servers) {
        if (!out.empty()) out += ',';
        bool bracket = server.family == 6 && server.port != 0;
        out += bracket ? "[" + server.address + "]" : server.address;
        if (server.port != 0) out += ":" + std::to_string(server.port);
    }
    return out;
}

std::vector<ServerAddress> read_resolv_conf(const std::string &path) {
    std::vector<ServerAddress> servers;
    std::ifstream file(path, std::ios::binary);
    std::string line;
    std::size_t total = 0;
    char c;
    // Byte by byte with caps, so a hostile file (a NUL first byte, a 1 MB line) costs nothing.
    while (total < 65536 && servers.size() < 32 && file.get(c)) {
        ++total;
        if (c != '\n') {
            if (line.size() <= 1024) line += c;
            continue;
        }
        if (line.size() <= 1024 && line.compare(0, 11, "nameserver ") == 0 && line.find('\0') == std::string::npos) {
            std::string address = trimmed(std::string_view(line).substr(11));
            address = address.substr(0, address.find_first_of(" \t#;%\r"));
            int family = address_family(address);
            if (family != 0) servers.push_back({address, family, 0});
        }
        line.clear();
    }
    return servers;
}

bool Settings::affects_network(std::string_view name) {
    return std::any_of(std::begin(network_names), std::end(network_names),
                       [&](std::string_view known) { return same_name(known, name); });
}

void Settings::set(std::string_view name, std::string_view value) {
    auto is = [&](std::string_view known) { return same_name(name, known); };
    if (is("LocalHost")) {
        std::string address = trimmed(value);
        if (!address.empty() && address_family(address) == 0)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "LocalHost " + quote_for_message(value) + " is not a numeric IPv4 or IPv6 address");
        local_host = address;
    } else if (is("LocalPort")) {
        local_port = static_cast<std::uint16_t>(number(name, value, 0, 65535));
    } else if (is("UseIPv6")) {
        if (same_name(value, "auto")) use_ipv6 = Ipv6Use::Auto;
        else if (same_name(value, "on")) use_ipv6 = Ipv6Use::On;
        else if (same_name(value, "off")) use_ipv6 = Ipv6Use::Off;
        else fail(INETKIT_ERROR_INVALID_PARAMETER, "UseIPv6 is auto, on or off, not " + quote_for_message(value));
    } else if (is("MaxPacketSize")) {
        std::uint64_t size = number(name, value, 0, 4096);
        if (size != 0 && size < 512) fail(INETKIT_ERROR_INVALID_PARAMETER, "MaxPacketSize is 0 (no EDNS) or 512 to 4096");
        max_packet_size = static_cast<std::uint32_t>(size);
    } else if (is("AbsoluteTimeout")) {
        absolute_timeout_ms = static_cast<std::uint32_t>(number(name, value, 0, 0x7FFFFFFF));
    } else if (is("QueryTimeout")) {
        query_timeout_ms = static_cast<std::uint32_t>(number(name, value, 10, 600000));
    } else if (is("Retries")) {
        retries = static_cast<std::uint32_t>(number(name, value, 0, 10));
    } else if (is("ConnectionMode")) {
        if (same_name(value, "auto")) connection_mode = ConnectionMode::Auto;
        else if (same_name(value, "udp")) connection_mode = ConnectionMode::Udp;
        else if (same_name(value, "tcp")) connection_mode = ConnectionMode::Tcp;
        else fail(INETKIT_ERROR_INVALID_PARAMETER, "ConnectionMode is auto, udp or tcp, not " + quote_for_message(value));
    } else if (is("ImplicitMX")) {
        implicit_mx = on_off(name, value);
    } else if (is("UseIDN")) {
        use_idn = on_off(name, value);
    } else if (is("ResolveAddresses")) {
        resolve_addresses = on_off(name, value);
    } else if (is("MaxRecords")) {
        max_records = static_cast<std::uint32_t>(number(name, value, 1, 1024));
    } else if (is("ShuffleEqual")) {
        shuffle_equal = on_off(name, value);
    } else if (is("ShuffleSeed")) {
        shuffle_seed = number(name, value, 0, UINT64_MAX);
        ++shuffle_seed_sets;
    } else if (is("MaxInFlight")) {
        max_in_flight = static_cast<std::uint32_t>(number(name, value, 1, 4096));
    } else if (is("CodePage")) {
        std::uint64_t page = number(name, value, 0, 0xFFFFFFFF);
        if (page != 65001)
            fail(INETKIT_ERROR_NOT_SUPPORTED, "CodePage " + std::to_string(page) +
                                                  " is not supported: names are UTF-8 (65001); convert them before calling");
    } else if (is("BuildInfo")) {
        fail(INETKIT_ERROR_INVALID_PARAMETER, "BuildInfo is read-only");
    } else if (is("ResolvConf")) {
        if (value.empty() || value.size() > 4096 || value.find('\0') != std::string_view::npos)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "ResolvConf is a file path");
        resolv_conf = std::string(value);
    } else {
        fail(INETKIT_ERROR_INVALID_PARAMETER, "unknown setting " + quote_for_message(name));
    }
}

std::string Settings::get(std::string_view name) const {
    auto is = [&](std::string_view known) { return same_name(name, known); };
    if (is("LocalHost")) return local_host;
    if (is("LocalPort")) return std::to_string(local_port);
    if (is("UseIPv6")) return use_ipv6 == Ipv6Use::Auto ? "auto" : use_ipv6 == Ipv6Use::On ? "on" : "off";
    if (is("MaxPacketSize")) return std::to_string(max_packet_size);
    if (is("AbsoluteTimeout")) return std::to_string(absolute_timeout_ms);
    if (is("QueryTimeout")) return std::to_string(query_timeout_ms);
    if (is("Retries")) return std::to_string(retries);
    if (is("ConnectionMode"))
        return connection_mode == ConnectionMode::Auto ? "auto" : connection_mode == ConnectionMode::Udp ? "udp" : "tcp";
    if (is("ImplicitMX")) return on_off(implicit_mx);
    if (is("UseIDN")) return on_off(use_idn);
    if (is("ResolveAddresses")) return on_off(resolve_addresses);
    if (is("MaxRecords")) return std::to_string(max_records);
    if (is("ShuffleEqual")) return on_off(shuffle_equal);
    if (is("ShuffleSeed")) return std::to_string(shuffle_seed);
    if (is("MaxInFlight")) return std::to_string(max_in_flight);
    if (is("CodePage")) return "65001";
    if (is("BuildInfo"))
        return std::string("inetkit ") + INETKIT_VERSION_STRING + "; c-ares " + ares_version(nullptr) + "; libidn2 " +
               idn2_check_version(nullptr);
    if (is("ResolvConf")) return resolv_conf;
    fail(INETKIT_ERROR_INVALID_PARAMETER, "unknown setting " + quote_for_message(name));
}

} // namespace inetkit::mx
