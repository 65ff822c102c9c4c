#include "mx/exchangers.hpp"

#include "mx/names.hpp"

#include <algorithm>

namespace inetkit::mx {

std::string chase(const wire::Message &message, std::string name, bool *alias, bool *loop) {
    std::vector<std::string> seen; // filled once the chain moves: most answers have no CNAME
    for (;;) {
        auto cname = std::find_if(message.answers.begin(), message.answers.end(), [&](const wire::Record &record) {
            return record.type == wire::CNAME && record.klass == wire::class_in && record.owner == name;
        });
        if (cname == message.answers.end()) return name;
        if (seen.empty()) seen.push_back(name);
        name = cname->target;
        *alias = true;
        if (seen.size() > 16 || std::find(seen.begin(), seen.end(), name) != seen.end()) {
            if (loop) *loop = true;
            return name;
        }
        seen.push_back(name);
    }
}

Exchangers order_exchangers(const std::vector<wire::Record> &answers, const std::string &name, std::uint32_t max_records,
                            std::mt19937_64 *shuffle) {
    Exchangers found;
    auto is_mx = [&](const wire::Record &record) {
        return record.type == wire::MX && record.klass == wire::class_in && record.owner == name;
    };
    const wire::Record *first = nullptr;
    for (const wire::Record &record : answers)
        if (is_mx(record) && found.records++ == 0) first = &record;
    // RFC 7505: a null MX alone means no mail; mixed with others it is just an invalid record.
    found.null_mx = found.records == 1 && first->target.empty();
    std::vector<Exchanger> &exchangers = found.list;
    exchangers.reserve(found.records);
    for (const wire::Record &each : answers) {
        if (!is_mx(each)) continue;
        const wire::Record *record = &each;
        if (!is_host_name(record->target)) {
            if (found.first_invalid.empty()) found.first_invalid = record->target.empty() ? "." : record->target;
            found.dropped = true;
            continue;
        }
        auto same = std::find_if(exchangers.begin(), exchangers.end(), [&](const Exchanger &e) { return e.name == record->target; });
        if (same != exchangers.end()) { // listed twice: the better preference counts
            same->preference = std::min(same->preference, record->preference);
            continue;
        }
        exchangers.push_back({record->target, record->preference, record->ttl, 0, {}});
    }
    // Sorted by name first, so a seeded shuffle gives the same order whatever
    // order the server listed the records in.
    std::sort(exchangers.begin(), exchangers.end(), [](const Exchanger &a, const Exchanger &b) { return a.name < b.name; });
    if (shuffle) std::shuffle(exchangers.begin(), exchangers.end(), *shuffle);
    auto by_preference = [](const Exchanger &a, const Exchanger &b) { return a.preference < b.preference; };
    if (exchangers.size() <= 16) {
        // Insertion sort: stable, and no buffer to allocate as stable_sort does.
        for (std::size_t i = 1; i < exchangers.size(); ++i)
            for (std::size_t j = i; j > 0 && by_preference(exchangers[j], exchangers[j - 1]); --j)
                std::swap(exchangers[j], exchangers[j - 1]);
    } else {
        std::stable_sort(exchangers.begin(), exchangers.end(), by_preference);
    }
    if (exchangers.size() > max_records) {
        exchangers.resize(max_records);
        found.dropped = true;
    }
    return found;
}

} // namespace inetkit::mx
