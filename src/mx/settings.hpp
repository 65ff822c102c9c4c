// The resolver's settings: the MX properties and the MxConfig names, with
// their defaults, their checks and their text form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inetkit::mx {

enum class ConnectionMode { Auto, Udp, Tcp };
enum class Ipv6Use { Auto, On, Off };

// One DNS server as the caller gave it; port 0 means "the DnsPort property".
struct ServerAddress {
    std::string address; // numeric, without brackets
    int family = 4;
    std::uint16_t port = 0;
};

struct Settings {
    // Properties.
    std::optional<std::vector<ServerAddress>> servers; // unset: the system's
    std::uint16_t dns_port = 53;
    std::uint32_t timeout_seconds = 60;
    std::string local_host;
    // Config names.
    std::uint16_t local_port = 0;
    Ipv6Use use_ipv6 = Ipv6Use::Auto;
    std::uint32_t max_packet_size = 1232; // EDNS(0) payload; 0 = no EDNS
    std::uint32_t absolute_timeout_ms = 0;
    std::uint32_t query_timeout_ms = 2000;
    std::uint32_t retries = 3;
    ConnectionMode connection_mode = ConnectionMode::Auto;
    bool implicit_mx = true;
    bool use_idn = true;
    bool resolve_addresses = false;
    std::uint32_t max_records = 64;
    bool shuffle_equal = true;
    std::uint64_t shuffle_seed = 0;
    std::uint32_t shuffle_seed_sets = 0; // counts ShuffleSeed settings: setting the same seed again restarts the order
    std::uint32_t max_in_flight = 64;
    std::string resolv_conf = "/etc/resolv.conf";

    // Sets "Name" to value; throws INVALID_PARAMETER (unknown, malformed,
    // read-only) or NOT_SUPPORTED (a code page other than UTF-8).
    void set(std::string_view name, std::string_view value);
    // The text form of "Name"; throws INVALID_PARAMETER for unknown names.
    std::string get(std::string_view name) const;
    // Whether changing "Name" changes how queries go on the wire (such
    // changes wait until nothing is in flight).
    static bool affects_network(std::string_view name);
};

// "192.0.2.1, [::1]:5353,127.0.0.1:53" -> the list; throws INVALID_PARAMETER
// naming the entry that is not a numeric address with an optional port.
std::vector<ServerAddress> parse_server_list(std::string_view text);
// The list in the form parse_server_list reads.
std::string format_server_list(const std::vector<ServerAddress> &servers);
// The nameserver lines of a resolv.conf (at most 64 KiB read, lines over 1 KiB
// and malformed entries skipped; a missing or unreadable file gives none).
std::vector<ServerAddress> read_resolv_conf(const std::string &path);

} // namespace inetkit::mx
