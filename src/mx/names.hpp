// What the caller asks about (RFC 5321 addresses and domains, IDN) and which
// names an answer may hand back as mail exchangers.
#pragma once

#include <string>
#include <string_view>

namespace inetkit::mx {

struct MailTarget {
    enum class Kind { Domain, Literal };
    Kind kind = Kind::Domain;
    // Kind::Domain: the domain in A-label form, ASCII lower case, no trailing
    // dot, 1-253 bytes, labels of letters, digits, '-' and '_' of 1-63 bytes.
    std::string domain;
    // Kind::Literal: the address of a domain literal, numeric ("192.0.2.1",
    // "2001:db8::1") and its family (4 or 6).
    std::string literal;
    int family = 0;
};

// Parses what MxResolve was given: "local@domain" (the local part may be a
// quoted string holding '@' and backslash escapes, "\"a@b\"@example.com"),
// "local@[192.0.2.1]", "local@[IPv6:2001:db8::1]", or a bare domain, with or
// without a trailing dot. A domain with non-ASCII bytes must be valid UTF-8
// and is converted with libidn2 (UTS 46 non-transitional, NFC) when use_idn,
// and refused otherwise. Throws inetkit::Error(INETKIT_ERROR_INVALID_PARAMETER)
// with a message saying what is wrong for: empty input or domain, more than
// 320 bytes, control bytes (CR, LF, TAB, DEL, ...) anywhere, an unterminated
// quoted local part, an empty label (".." or a leading dot), a label over 63
// or a domain over 253 bytes, bytes outside letters, digits, '-' and '_' in
// an ASCII label, a malformed literal, a name libidn2 rejects.
MailTarget parse_mail_target(std::string_view input, bool use_idn);

// Whether an exchanger name from an answer (presentation form, as
// wire::Record::target) is a usable host name: labels of letters, digits and
// '-' only, 1-63 bytes each, 1-253 bytes in all, not starting or ending with
// '-', and not an IP address written as a name (the last label all digits,
// as in "192.0.2.1"). The root ("") is not a host name.
bool is_host_name(std::string_view name);

// Part of a caller's or a server's text for an error message: in double
// quotes; control bytes, '"', backslash and invalid UTF-8 escaped; cut at 64 bytes.
std::string quote_for_message(std::string_view text);

} // namespace inetkit::mx
