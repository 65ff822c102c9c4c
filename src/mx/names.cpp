#include "mx/names.hpp"

#include "core/error.hpp"

#include <arpa/inet.h>
#include <idn2.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace inetkit::mx {

namespace {

constexpr std::size_t max_input = 320; // RFC 5321 section 4.5.3.1: 64 + '@' + 255
constexpr std::size_t max_domain = 253;
constexpr std::size_t max_label = 63;
constexpr std::size_t max_quoted = 64; // bytes of the input shown in a message

bool is_letter_digit(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Length of the valid UTF-8 sequence at text[i], or 0 (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return length;
}

// Offset of the first byte that is not valid UTF-8, or npos.
std::size_t utf8_fault(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = utf8_sequence(text, i);
        if (length == 0) return i;
        i += length;
    }
    return std::string_view::npos;
}

// Part of the caller's input for a message: in double quotes, control bytes,
// '"', '\\' and bytes that are not valid UTF-8 escaped, long parts cut short.
} // namespace

std::string quote_for_message(std::string_view text) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out = "\"";
    std::size_t i = 0;
    while (i < text.size()) {
        if (i >= max_quoted) {
            out += "...";
            break;
        }
        unsigned char c = static_cast<unsigned char>(text[i]);
        std::size_t length = c >= 0x80 ? utf8_sequence(text, i) : 1;
        if (c >= 0x80 && length > 1) {
            out.append(text.substr(i, length));
            i += length;
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7F) {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    return out + "\"";
}

namespace {

[[noreturn]] void refuse(const std::string &message) { fail(INETKIT_ERROR_INVALID_PARAMETER, message); }

std::string byte_name(unsigned char c) {
    static const char digits[] = "0123456789ABCDEF";
    std::string hex = {'0', 'x', digits[c >> 4], digits[c & 15]};
    if (c == ' ') return "a space (0x20)";
    if (c > 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "' (" + hex + ")";
    return hex;
}

void refuse_empty_label(std::string_view shown) {
    refuse("the domain " + quote_for_message(shown) + " has an empty label (a leading dot or two dots in a row)");
}

// An A-label or ASCII domain: labels of 1-63 bytes of letters, digits, '-'
// and '_', 1-253 bytes in all. `shown` is what the caller wrote.
void check_ascii_domain(std::string_view domain, std::string_view shown) {
    if (domain.size() > max_domain)
        refuse("the domain " + quote_for_message(shown) + " is " + std::to_string(domain.size()) + " bytes long; at most " +
               std::to_string(max_domain) + " are allowed");
    std::size_t start = 0;
    for (;;) {
        std::size_t dot = domain.find('.', start);
        std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty()) refuse_empty_label(shown);
        if (label.size() > max_label)
            refuse("the domain " + quote_for_message(shown) + " has a label of " + std::to_string(label.size()) +
                   " bytes; at most 63 are allowed: " + quote_for_message(label));
        for (char ch : label) {
            unsigned char c = static_cast<unsigned char>(ch);
            if (!is_letter_digit(c) && c != '-' && c != '_')
                refuse("the domain " + quote_for_message(shown) + " holds " + byte_name(c) +
                       ", which is not a letter, digit, '-' or '_'");
        }
        if (dot == std::string_view::npos) return;
        start = dot + 1;
    }
}

MailTarget literal(std::string_view domain) {
    // RFC 5321 section 4.1.3; the "IPv6:" tag is case-insensitive like all ABNF strings.
    if (domain.size() < 2 || domain.back() != ']')
        refuse("the address literal " + quote_for_message(domain) + " does not end with ']'");
    std::string inner(domain.substr(1, domain.size() - 2));
    MailTarget target;
    target.kind = MailTarget::Kind::Literal;
    unsigned char bytes[sizeof(in6_addr)];
    char text[INET6_ADDRSTRLEN];
    static const std::string_view tag = "ipv6:";
    bool v6 = inner.size() >= tag.size();
    for (std::size_t i = 0; v6 && i < tag.size(); ++i) {
        char c = inner[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        v6 = c == tag[i];
    }
    if (v6) {
        std::string address = inner.substr(tag.size());
        if (inet_pton(AF_INET6, address.c_str(), bytes) != 1)
            refuse("the address literal " + quote_for_message(domain) + " does not hold a valid IPv6 address");
        inet_ntop(AF_INET6, bytes, text, sizeof text);
        target.family = 6;
    } else {
        if (inner.find(':') != std::string::npos)
            refuse("the address literal " + quote_for_message(domain) + " is neither IPv4 nor \"IPv6:\" followed by an address");
        // glibc's inet_pton takes only four decimal parts, without leading zeros.
        if (inet_pton(AF_INET, inner.c_str(), bytes) != 1)
            refuse("the address literal " + quote_for_message(domain) + " does not hold a valid IPv4 address");
        inet_ntop(AF_INET, bytes, text, sizeof text);
        target.family = 4;
    }
    target.literal = text;
    return target;
}

struct Idn2Free {
    void operator()(std::uint8_t *p) const noexcept { idn2_free(p); }
};

MailTarget domain_target(std::string_view domain, bool use_idn) {
    if (domain.empty()) refuse("the domain is empty");
    std::string_view shown = domain;
    // One trailing dot names the same domain, fully qualified.
    if (domain.back() == '.') domain.remove_suffix(1);
    if (domain.empty()) refuse("the domain " + quote_for_message(shown) + " is the root, which is not a mail domain");

    bool ascii = true;
    for (char ch : domain) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;

    MailTarget target;
    if (ascii) {
        check_ascii_domain(domain, shown);
        target.domain.assign(domain);
        for (char &ch : target.domain)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        return target;
    }
    if (!use_idn)
        refuse("the domain " + quote_for_message(shown) + " is internationalised (non-ASCII) and UseIDN is off");
    // Empty labels are refused before libidn2, which reports them less
    // clearly; lengths only count once converted (a UTF-8 label may be
    // longer than its A-label).
    if (domain.front() == '.' || domain.find("..") != std::string_view::npos) refuse_empty_label(shown);
    std::string input(domain);
    std::uint8_t *converted = nullptr;
    int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t *>(input.c_str()), &converted,
                            IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    std::unique_ptr<std::uint8_t, Idn2Free> owner(converted);
    if (rc != IDN2_OK || !converted)
        refuse("the domain " + quote_for_message(shown) + " is not a valid internationalised name: " + idn2_strerror(rc));
    std::string ace(reinterpret_cast<const char *>(converted));
    // UTS 46 maps some dots (U+3002 ...) to '.', so the result is checked again.
    if (!ace.empty() && ace.back() == '.') ace.pop_back();
    if (ace.empty()) refuse("the domain " + quote_for_message(shown) + " is the root, which is not a mail domain");
    check_ascii_domain(ace, shown);
    for (char &ch : ace)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    target.domain = std::move(ace);
    return target;
}

// RFC 5322 "specials" and space: never part of an unquoted local part.
bool local_byte(unsigned char c) {
    switch (c) {
    case ' ': case '"': case '\\': case '(': case ')': case ',': case ':': case ';':
    case '<': case '>': case '@': case '[': case ']':
        return false;
    default:
        return true;
    }
}

} // namespace

MailTarget parse_mail_target(std::string_view input, bool use_idn) {
    if (input.empty()) refuse("the address is empty");
    if (input.size() > max_input)
        refuse("the address is " + std::to_string(input.size()) + " bytes long; at most " +
               std::to_string(max_input) + " are allowed");
    for (std::size_t i = 0; i < input.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(input[i]);
        if (c < 0x20 || c == 0x7F)
            refuse("the address " + quote_for_message(input) + " holds the control byte " + byte_name(c) + " at offset " +
                   std::to_string(i));
    }
    std::size_t bad = utf8_fault(input);
    if (bad != std::string_view::npos)
        refuse("the address " + quote_for_message(input) + " is not valid UTF-8 (byte " +
               byte_name(static_cast<unsigned char>(input[bad])) + " at offset " + std::to_string(bad) + ")");

    std::string_view domain = input;
    if (input.front() == '"') {
        // Quoted local part: '@' and escaped characters may appear inside.
        std::size_t i = 1;
        for (; i < input.size() && input[i] != '"'; ++i)
            if (input[i] == '\\') ++i;
        if (i >= input.size()) refuse("the address " + quote_for_message(input) + " has an unterminated quoted local part");
        if (i + 1 >= input.size() || input[i + 1] != '@')
            refuse("the address " + quote_for_message(input) + " has no '@' after its quoted local part");
        domain = input.substr(i + 2);
    } else if (std::size_t at = input.find('@'); at != std::string_view::npos) {
        std::string_view local = input.substr(0, at);
        if (local.empty()) refuse("the address " + quote_for_message(input) + " has an empty local part");
        for (char ch : local)
            if (!local_byte(static_cast<unsigned char>(ch)))
                refuse("the local part " + quote_for_message(local) + " holds " + byte_name(static_cast<unsigned char>(ch)) +
                       "; such a local part must be quoted");
        domain = input.substr(at + 1);
        if (domain.find('@') != std::string_view::npos)
            refuse("the address " + quote_for_message(input) + " has more than one '@' outside a quoted local part");
    }
    if (domain.empty()) refuse("the address " + quote_for_message(input) + " has an empty domain");
    if (domain.front() == '[') return literal(domain);
    return domain_target(domain, use_idn);
}

bool is_host_name(std::string_view name) {
    if (name.empty() || name.size() > max_domain) return false;
    std::size_t start = 0;
    for (;;) {
        std::size_t dot = name.find('.', start);
        std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty() || label.size() > max_label) return false;
        if (label.front() == '-' || label.back() == '-') return false;
        bool digits_only = true;
        for (char ch : label) {
            unsigned char c = static_cast<unsigned char>(ch);
            if (!is_letter_digit(c) && c != '-') return false;
            digits_only = digits_only && c >= '0' && c <= '9';
        }
        if (dot == std::string_view::npos) return !digits_only; // "192.0.2.1" is an address, not a name
        start = dot + 1;
    }
}

} // namespace inetkit::mx
