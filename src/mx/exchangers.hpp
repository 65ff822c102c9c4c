// What an MX answer means once it is parsed: where a CNAME chain ends, and
// the mail exchangers in the order to try them. Pure functions of the
// answer, so the resolver and the fuzzer run the same code.
#pragma once

#include "mx/dns_wire.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace inetkit::mx {

struct Address {
    int family = 4;
    std::uint32_t ttl = 0;
    std::string text;
};

struct Exchanger {
    std::string name;
    std::uint16_t preference = 0;
    std::uint32_t ttl = 0;
    std::uint32_t flags = 0;
    std::vector<Address> addresses;
};

// Where the CNAME chain that starts at name ends inside one answer. Sets
// *alias when it moved, and *loop when a name came back (or the chain is
// longer than 16 aliases, which no sane zone needs).
std::string chase(const wire::Message &message, std::string name, bool *alias, bool *loop = nullptr);

struct Exchangers {
    std::vector<Exchanger> list; // valid host names, each once, by preference; at most max_records
    std::size_t records = 0;     // MX records of class IN for the name in the answer
    bool null_mx = false;        // the only record is a null MX ("0 .", RFC 7505): no mail
    bool dropped = false;        // records left out: not host names, or past max_records
    std::string first_invalid;   // the first exchanger that is not a host name ("." for the root)
};

// The MX records of answers owned by name, as RFC 5321 section 5.1 orders
// them: names that are not host names dropped, a name listed twice kept once
// with its better preference, lowest preference first, equal preferences
// shuffled by shuffle (nullptr: by name), then cut to max_records. The
// shuffle starts from the records sorted by name, so one seed gives one
// order whatever order the server listed them in.
Exchangers order_exchangers(const std::vector<wire::Record> &answers, const std::string &name, std::uint32_t max_records,
                            std::mt19937_64 *shuffle);

} // namespace inetkit::mx
