// libFuzzer target: what MxResolve accepts as an address or a domain
// (src/mx/names.cpp), with IDN on and off. Either a target that keeps the
// promises of names.hpp comes back, or INETKIT_ERROR_INVALID_PARAMETER.
#include "core/error.hpp"
#include "mx/names.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace inetkit;
using namespace inetkit::mx;

void check(const MailTarget &target) {
    if (target.kind == MailTarget::Kind::Literal) {
        unsigned char bytes[sizeof(in6_addr)];
        int family = target.family == 4 ? AF_INET : target.family == 6 ? AF_INET6 : -1;
        if (family < 0 || inet_pton(family, target.literal.c_str(), bytes) != 1 || !target.domain.empty())
            std::abort();
        return;
    }
    const std::string &domain = target.domain;
    if (domain.empty() || domain.size() > 253 || !target.literal.empty()) std::abort();
    std::size_t label = 0;
    for (char c : domain) {
        if (c == '.') {
            if (label == 0) std::abort();
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) std::abort();
        if (++label > 63) std::abort();
    }
    if (label == 0) std::abort();
}

// The outcome of one call: the code, and the target when there was none.
struct Outcome {
    ErrorCode code = INETKIT_ERROR_NONE;
    MailTarget target;
};

Outcome run(std::string_view input, bool use_idn) {
    Outcome outcome;
    try {
        outcome.target = parse_mail_target(input, use_idn);
        check(outcome.target);
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_INVALID_PARAMETER) std::abort();
        outcome.code = error.code();
    }
    return outcome;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    Outcome with_idn = run(input, true);
    Outcome without = run(input, false);
    // Turning IDN off only refuses more: whatever passes without it passes
    // with it, unchanged.
    if (without.code == INETKIT_ERROR_NONE) {
        if (with_idn.code != INETKIT_ERROR_NONE || with_idn.target.kind != without.target.kind ||
            with_idn.target.domain != without.target.domain || with_idn.target.literal != without.target.literal)
            std::abort();
    }
    return 0;
}
