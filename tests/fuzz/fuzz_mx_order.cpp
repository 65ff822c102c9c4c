// libFuzzer target: what the resolver makes of a parsed MX answer
// (src/mx/exchangers.cpp: chase and order_exchangers, the code
// Resolver::handle_mx runs). Input: MaxRecords (2 bytes), a flags byte
// (bit 0: ShuffleEqual), an 8-byte shuffle seed, then a DNS message.
//
// Holds: the list is sorted by preference, names each exchanger once, is at
// most MaxRecords long and holds only host names; each name keeps the best
// preference any of its records gave; a cut list kept the best; a null MX is
// reported only when it is the sole record. Order: with one seed, the list
// is the same whatever order the server put the records in.
#include "fuzz_check.hpp"
#include "core/error.hpp"
#include "mx/dns_wire.hpp"
#include "mx/exchangers.hpp"
#include "mx/names.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

namespace {

using namespace inetkit;
using namespace inetkit::mx;

Exchangers order(const std::vector<wire::Record> &answers, const std::string &name, std::uint32_t max_records,
                 bool shuffle_equal, std::uint64_t seed) {
    std::mt19937_64 shuffle(seed);
    return order_exchangers(answers, name, max_records, shuffle_equal ? &shuffle : nullptr);
}

bool same_order(const Exchangers &a, const Exchangers &b) {
    return a.list.size() == b.list.size() &&
           std::equal(a.list.begin(), a.list.end(), b.list.begin(), [](const Exchanger &x, const Exchanger &y) {
               return x.name == y.name && x.preference == y.preference;
           });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 11) return 0;
    std::uint32_t max_records = (data[0] | data[1] << 8) % 1024 + 1; // MaxRecords is 1 to 1024
    bool shuffle_equal = data[2] & 1;
    std::uint64_t seed = 0;
    for (int i = 0; i < 8; ++i) seed = seed << 8 | data[3 + i];
    wire::Message message;
    try {
        message = wire::parse(data + 11, size - 11);
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_DNS_BAD_RESPONSE) broken("parse failed with another code");
        return 0;
    }

    bool alias = false, loop = false;
    std::string name = chase(message, message.question_name, &alias, &loop);
    if (loop && !alias) broken("a loop without an alias");
    if (!alias && name != message.question_name) broken("the chase moved without an alias");

    Exchangers found = order(message.answers, name, max_records, shuffle_equal, seed);

    // The records the list is made from, and the best preference of each valid name.
    std::size_t records = 0;
    std::map<std::string, std::uint16_t> best;
    bool any_invalid = false;
    for (const wire::Record &record : message.answers) {
        if (record.type != wire::MX || record.klass != wire::class_in || record.owner != name) continue;
        ++records;
        if (!is_host_name(record.target)) {
            any_invalid = true;
            continue;
        }
        auto [at, added] = best.emplace(record.target, record.preference);
        if (!added) at->second = std::min(at->second, record.preference);
    }
    if (found.records != records) broken("wrong record count");
    if (found.null_mx != (records == 1 && message.answers.end() != std::find_if(message.answers.begin(), message.answers.end(),
                                                                                [&](const wire::Record &r) {
                                                                                    return r.type == wire::MX && r.klass == wire::class_in &&
                                                                                           r.owner == name && r.target.empty();
                                                                                })))
        broken("null MX reported wrongly");
    if (found.list.size() != std::min<std::size_t>(best.size(), max_records)) broken("wrong list length");
    if (found.dropped != (any_invalid || best.size() > max_records)) broken("dropped flag wrong");
    if (any_invalid == found.first_invalid.empty()) broken("first_invalid wrong");

    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < found.list.size(); ++i) {
        const Exchanger &exchanger = found.list[i];
        if (!is_host_name(exchanger.name)) broken("an invalid host name in the list");
        if (++seen[exchanger.name] > 1) broken("a name listed twice");
        auto at = best.find(exchanger.name);
        if (at == best.end() || at->second != exchanger.preference) broken("not the name's best preference");
        if (i > 0 && found.list[i - 1].preference > exchanger.preference) broken("not sorted by preference");
    }
    // A cut list keeps the lowest preferences: nothing left out is better than the last kept.
    if (!found.list.empty() && best.size() > found.list.size())
        for (const auto &[host, preference] : best)
            if (!seen.count(host) && preference < found.list.back().preference) broken("the cut dropped a better exchanger");

    // One seed, one order: the records reversed give the same list.
    std::vector<wire::Record> reversed(message.answers.rbegin(), message.answers.rend());
    if (!same_order(found, order(reversed, name, max_records, shuffle_equal, seed))) broken("the order depends on the answer's order");
    if (!same_order(found, order(message.answers, name, max_records, shuffle_equal, seed))) broken("one seed gave two orders");
    return 0;
}
