// libFuzzer target: the strict DNS message reader (src/mx/dns_wire.cpp) on
// arbitrary bytes. It must either return a whole message or throw
// INETKIT_ERROR_DNS_BAD_RESPONSE; never crash, hang, read out of bounds or
// hand back a name that breaks the presentation rules of dns_wire.hpp.
#include "core/error.hpp"
#include "mx/dns_wire.hpp"
#include "mx/names.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using namespace inetkit;
using namespace inetkit::mx;

// A presentation name holds lower-case letters, digits, '-', '_', '.' and
// \DDD escapes only, so no byte of the wire can smuggle structure into it.
void check_name(const std::string &name) {
    if (name.size() > 4 * 255) std::abort();
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') continue;
        if (c != '\\' || i + 3 >= name.size()) std::abort();
        int byte = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
            char digit = name[i + k];
            if (digit < '0' || digit > '9') std::abort();
            byte = byte * 10 + (digit - '0');
        }
        // Only bytes that would be ambiguous or unprintable are escaped.
        bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                     byte == '-' || byte == '_';
        if (byte > 255 || plain) std::abort();
        i += 3;
    }
    // A host name never holds an escape, and the check itself must not crash.
    if (is_host_name(name) && name.find('\\') != std::string::npos) std::abort();
}

void check_records(const std::vector<wire::Record> &records) {
    for (const wire::Record &rr : records) {
        check_name(rr.owner);
        check_name(rr.target);
        if (rr.ttl > 0x7FFFFFFFu) std::abort();
        if ((rr.type == wire::A || rr.type == wire::AAAA) && rr.address.empty()) std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    try {
        wire::Message message = wire::parse(data, size);
        if (size < 12) std::abort(); // shorter than a header cannot pass
        check_name(message.question_name);
        check_records(message.answers);
        check_records(message.authority);
        check_records(message.additional);
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_DNS_BAD_RESPONSE) std::abort();
    }
    return 0;
}
