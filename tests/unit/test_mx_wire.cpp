// Unit tests of the MX engine's strict DNS message reader and of its name
// rules: real answers built byte by byte (compression included), the
// hostile packets of the reliability catalogue (items 44-48 and 53), and the
// addresses and domains MxResolve accepts or refuses before anything is sent.
// The engine headers come before cmocka.h, whose fail() macro would
// otherwise rewrite inetkit::fail.
#include "core/error.hpp"
#include "mx/dns_wire.hpp"
#include "mx/names.hpp"

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
extern "C" {
#include <cmocka.h>
}

#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

using namespace inetkit;
using namespace inetkit::mx;

namespace {

using namespace std::string_literals; // "\0..."s keeps the NULs

ErrorCode code_of(const std::function<void()> &body, std::string *message = nullptr) {
    try {
        body();
    } catch (const Error &error) {
        if (message) *message = error.what();
        return error.code();
    }
    return INETKIT_ERROR_NONE;
}

// An exception escaping a test would end the whole run inside cmocka's C
// frames; this turns it into that test's failure instead.
template <void (*body)(void **)>
void guarded(void **state) {
    std::string escaped;
    bool threw = false;
    try {
        body(state);
    } catch (const std::exception &error) {
        threw = true;
        escaped = error.what();
    }
    if (threw) fail_msg("unexpected exception: %s", escaped.c_str()); // outside the handler: it longjmps
}

bool contains(const std::string &text, const char *fragment) { return text.find(fragment) != std::string::npos; }

// ---- building packets ---------------------------------------------------------

using Bytes = std::vector<std::uint8_t>;

// Appends DNS fields in network order; names are written label by label, so
// a test can put any byte (a '.', a NUL) inside a label.
struct Packet {
    Bytes b;

    Packet &u8(unsigned v) {
        b.push_back(static_cast<std::uint8_t>(v));
        return *this;
    }
    Packet &u16(unsigned v) { return u8(v >> 8 & 0xFF).u8(v & 0xFF); }
    Packet &u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
    Packet &bytes(std::initializer_list<unsigned> list) {
        for (unsigned v : list) u8(v);
        return *this;
    }
    Packet &label(const std::string &text) {
        u8(static_cast<unsigned>(text.size()));
        b.insert(b.end(), text.begin(), text.end());
        return *this;
    }
    // The labels of a dotted name without the root byte, to end in a pointer.
    Packet &labels(const std::string &dotted) {
        std::size_t start = 0;
        while (start < dotted.size()) {
            std::size_t dot = dotted.find('.', start);
            if (dot == std::string::npos) dot = dotted.size();
            label(dotted.substr(start, dot - start));
            start = dot + 1;
        }
        return *this;
    }
    Packet &name(const std::string &dotted) { return labels(dotted).u8(0); }
    Packet &pointer(std::size_t offset) { return u16(0xC000u | static_cast<unsigned>(offset)); }
    std::size_t here() const { return b.size(); }

    Packet &header(unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
        return u16(0xBEEF).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
    }
    // The question at offset 12; its name is what later owners point to.
    Packet &question(const std::string &qname, unsigned type) { return name(qname).u16(type).u16(wire::class_in); }
    // Type, class, TTL and a RDLENGTH patched by end(); returns where RDATA starts.
    std::size_t rr(unsigned type, std::uint32_t ttl = 3600) {
        u16(type).u16(wire::class_in).u32(ttl).u16(0);
        return here();
    }
    Packet &end(std::size_t rdata) {
        std::size_t length = here() - rdata;
        b[rdata - 2] = static_cast<std::uint8_t>(length >> 8);
        b[rdata - 1] = static_cast<std::uint8_t>(length & 0xFF);
        return *this;
    }
};

constexpr unsigned flags_response = 0x8180; // QR, RD, RA, NOERROR
constexpr std::size_t question_offset = 12;
constexpr unsigned type_txt = 16;

wire::Message parse(const Bytes &packet) { return wire::parse(packet.data(), packet.size()); }

// The packet must be refused as malformed, with a message holding `fragment`.
void expect_bad(const Bytes &packet, const std::string &fragment) {
    std::string message;
    ErrorCode code = code_of([&] { parse(packet); }, &message);
    if (code != INETKIT_ERROR_DNS_BAD_RESPONSE || !contains(message, fragment.c_str()))
        print_error("code %u, message \"%s\", wanted \"%s\"\n", static_cast<unsigned>(code), message.c_str(),
                    fragment.c_str());
    assert_int_equal(code, INETKIT_ERROR_DNS_BAD_RESPONSE);
    assert_true(contains(message, fragment.c_str()));
}

// example.com MX: 10 mx1.example.com, 20 mx2.example.com, and mx1's address,
// written out byte by byte with the compression a server would use.
const std::uint8_t mx_answer[] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, // QR RD RA; 1 question, 2 answers, 1 additional
    // 12: example.com MX IN
    0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00, 0x00, 0x0F, 0x00, 0x01,
    // 29: <12> MX IN TTL 3600, RDLENGTH 8: 10 mx1.<12>
    0xC0, 0x0C, 0x00, 0x0F, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x08, //
    0x00, 0x0A, 0x03, 'm', 'x', '1', 0xC0, 0x0C,
    // 49: <12> MX IN TTL 3600, RDLENGTH 8: 20 mx2.<12>
    0xC0, 0x0C, 0x00, 0x0F, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x08, //
    0x00, 0x14, 0x03, 'm', 'x', '2', 0xC0, 0x0C,
    // 69: <43> (mx1.example.com) A IN TTL 300: 192.0.2.1
    0xC0, 0x2B, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2C, 0x00, 0x04, 192, 0, 2, 1,
};

Bytes mx_answer_bytes() { return Bytes(std::begin(mx_answer), std::end(mx_answer)); }

// Answer and additional of several kinds, with an alias at the query name:
// mail.example.org CNAME mx.example.net, three MX, A, AAAA and an OPT.
Bytes mixed_answer() {
    Packet p;
    p.header(0x8580, 1, 4, 1, 4).question("mail.example.org", wire::MX); // AA set
    p.pointer(question_offset);
    std::size_t rd = p.rr(wire::CNAME, 300);
    std::size_t canonical = p.here();
    p.name("mx.example.net").end(rd);
    const struct {
        unsigned preference;
        const char *host;
    } exchangers[] = {{5, "a"}, {5, "b"}, {10, "backup"}};
    std::size_t first_exchanger = 0;
    for (const auto &mx : exchangers) {
        p.pointer(canonical);
        rd = p.rr(wire::MX, 7200);
        p.u16(mx.preference);
        if (!first_exchanger) first_exchanger = p.here();
        p.labels(mx.host).pointer(canonical + 3).end(rd); // <host>.example.net
    }
    p.pointer(canonical + 3); // authority: example.net NS ns1.example.net
    rd = p.rr(wire::NS, 86400);
    p.labels("ns1").pointer(canonical + 3).end(rd);
    p.pointer(first_exchanger); // a.example.net A
    rd = p.rr(wire::A, 60);
    p.bytes({198, 51, 100, 7}).end(rd);
    p.pointer(first_exchanger); // a.example.net AAAA
    rd = p.rr(wire::AAAA, 0xFFFFFFFFu);
    p.bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}).end(rd);
    p.name("").u16(type_txt).u16(1).u32(0).u16(2).bytes({1, 'x'}); // skipped
    p.name("").u16(wire::OPT).u16(1232).u32(0x00008000u).u16(0);  // EDNS(0), DO bit
    return p.b;
}

// One MX answer for example.com whose exchange is built by `exchange`, with
// RDLENGTH computed from what it wrote.
template <typename Exchange>
Bytes mx_with(Exchange exchange, unsigned preference = 10) {
    Packet p;
    p.header(flags_response, 1, 1, 0, 0).question("example.com", wire::MX);
    p.pointer(question_offset);
    std::size_t rd = p.rr(wire::MX);
    p.u16(preference);
    exchange(p);
    p.end(rd);
    return p.b;
}

// ---- valid answers ---------------------------------------------------------------

void test_real_mx_answer(void **) {
    wire::Message m = parse(mx_answer_bytes());
    assert_int_equal(m.id, 0x1234);
    assert_true(m.response);
    assert_int_equal(m.opcode, 0);
    assert_false(m.authoritative);
    assert_false(m.truncated);
    assert_true(m.recursion_desired);
    assert_true(m.recursion_available);
    assert_int_equal(m.rcode, 0);
    assert_string_equal(m.question_name.c_str(), "example.com");
    assert_int_equal(m.question_type, wire::MX);
    assert_int_equal(m.question_class, wire::class_in);
    assert_int_equal(m.answers.size(), 2);
    assert_int_equal(m.authority.size(), 0);
    assert_int_equal(m.additional.size(), 1);
    const wire::Record &first = m.answers[0];
    assert_string_equal(first.owner.c_str(), "example.com");
    assert_int_equal(first.type, wire::MX);
    assert_int_equal(first.klass, wire::class_in);
    assert_int_equal(first.ttl, 3600);
    assert_int_equal(first.preference, 10);
    assert_string_equal(first.target.c_str(), "mx1.example.com");
    assert_int_equal(m.answers[1].preference, 20);
    assert_string_equal(m.answers[1].target.c_str(), "mx2.example.com");
    const wire::Record &glue = m.additional[0];
    assert_string_equal(glue.owner.c_str(), "mx1.example.com"); // a pointer into an MX's RDATA
    assert_int_equal(glue.type, wire::A);
    assert_int_equal(glue.ttl, 300);
    assert_string_equal(glue.address.c_str(), "192.0.2.1");
    for (const auto &rr : m.answers) assert_true(is_host_name(rr.target));
}

void test_mixed_sections(void **) {
    wire::Message m = parse(mixed_answer());
    assert_true(m.authoritative);
    assert_string_equal(m.question_name.c_str(), "mail.example.org");
    assert_int_equal(m.answers.size(), 4);
    assert_int_equal(m.answers[0].type, wire::CNAME);
    assert_string_equal(m.answers[0].owner.c_str(), "mail.example.org");
    assert_string_equal(m.answers[0].target.c_str(), "mx.example.net");
    assert_int_equal(m.answers[0].ttl, 300);
    const char *hosts[] = {"a.example.net", "b.example.net", "backup.example.net"};
    const unsigned preferences[] = {5, 5, 10};
    for (std::size_t i = 0; i < 3; ++i) {
        const wire::Record &rr = m.answers[i + 1];
        assert_int_equal(rr.type, wire::MX);
        assert_string_equal(rr.owner.c_str(), "mx.example.net");
        assert_string_equal(rr.target.c_str(), hosts[i]);
        assert_int_equal(rr.preference, preferences[i]);
        assert_int_equal(rr.ttl, 7200);
    }
    assert_int_equal(m.authority.size(), 1);
    assert_int_equal(m.authority[0].type, wire::NS);
    assert_string_equal(m.authority[0].owner.c_str(), "example.net");
    assert_string_equal(m.authority[0].target.c_str(), "ns1.example.net");
    // A, AAAA and OPT are kept; the TXT record between them is skipped.
    assert_int_equal(m.additional.size(), 3);
    assert_int_equal(m.additional[0].type, wire::A);
    assert_string_equal(m.additional[0].owner.c_str(), "a.example.net");
    assert_string_equal(m.additional[0].address.c_str(), "198.51.100.7");
    assert_int_equal(m.additional[0].ttl, 60);
    assert_int_equal(m.additional[1].type, wire::AAAA);
    assert_string_equal(m.additional[1].address.c_str(), "2001:db8::1");
    assert_int_equal(m.additional[1].ttl, 0); // above 2^31-1 reads as 0
    assert_int_equal(m.additional[2].type, wire::OPT);
    assert_string_equal(m.additional[2].owner.c_str(), "");
    assert_int_equal(m.additional[2].klass, 1232);
    assert_string_equal(m.additional[2].target.c_str(), "");
    assert_string_equal(m.additional[2].address.c_str(), "");
}

void test_header_flags(void **) {
    // TC with no records, as a UDP answer cut short by the server.
    Packet tc;
    tc.header(0x8380, 1, 0, 0, 0).question("example.com", wire::MX);
    wire::Message m = parse(tc.b);
    assert_true(m.truncated);
    assert_false(m.authoritative);
    assert_int_equal(m.answers.size(), 0);

    // NXDOMAIN, authoritative, with the zone's SOA in authority.
    Packet nx;
    nx.header(0x8403, 1, 0, 1, 0).question("nowhere.example.com", wire::MX);
    nx.pointer(question_offset + 8); // example.com
    std::size_t rd = nx.rr(wire::SOA, 900);
    nx.labels("ns").pointer(question_offset + 8).labels("hostmaster").pointer(question_offset + 8);
    nx.u32(2024010101).u32(7200).u32(3600).u32(1209600).u32(300).end(rd);
    m = parse(nx.b);
    assert_true(m.authoritative);
    assert_false(m.truncated);
    assert_false(m.recursion_desired);
    assert_false(m.recursion_available);
    assert_int_equal(m.rcode, 3);
    assert_int_equal(m.authority.size(), 1);
    assert_int_equal(m.authority[0].type, wire::SOA);
    assert_string_equal(m.authority[0].owner.c_str(), "example.com");
    assert_int_equal(m.authority[0].ttl, 900);

    // Every RCODE and an opcode are read as they are; a query (QR 0) too.
    for (unsigned rcode : {1u, 2u, 4u, 5u, 15u}) {
        Packet p;
        p.header(0x8000 | 0x2000 | rcode, 1, 0, 0, 0).question("example.com", wire::MX); // opcode 4 (NOTIFY)
        m = parse(p.b);
        assert_int_equal(m.rcode, rcode);
        assert_int_equal(m.opcode, 4);
        assert_true(m.response);
    }
    Packet query;
    query.header(0x0100, 1, 0, 0, 0).question("example.com", wire::MX);
    m = parse(query.b);
    assert_false(m.response);
    assert_true(m.recursion_desired);
}

void test_null_mx(void **) {
    Bytes p = mx_with([](Packet &q) { q.u8(0); }, 0); // "0 ."
    assert_int_equal(p[p.size() - 4], 3);            // RDLENGTH: the preference and the root byte
    wire::Message m = parse(p);
    assert_int_equal(m.answers.size(), 1);
    assert_int_equal(m.answers[0].preference, 0);
    assert_string_equal(m.answers[0].target.c_str(), "");
    assert_false(is_host_name(m.answers[0].target));
}

void test_ttls_and_case(void **) {
    for (std::uint32_t ttl : {0u, 1u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
        Packet p;
        p.header(flags_response, 1, 1, 0, 0).question("EXAMPLE.Com", wire::MX);
        p.pointer(question_offset);
        std::size_t rd = p.rr(wire::MX, ttl);
        p.u16(1).name("MX.Example.COM").end(rd);
        wire::Message m = parse(p.b);
        assert_int_equal(m.answers[0].ttl, ttl > 0x7FFFFFFFu ? 0 : ttl);
        assert_string_equal(m.question_name.c_str(), "example.com");
        assert_string_equal(m.answers[0].owner.c_str(), "example.com");
        assert_string_equal(m.answers[0].target.c_str(), "mx.example.com");
    }
}

void test_unknown_types_skipped(void **) {
    // TXT, SRV and a private type between two MX are read over and dropped.
    Packet p;
    p.header(flags_response, 1, 5, 0, 0).question("example.com", wire::MX);
    p.pointer(question_offset);
    std::size_t rd = p.rr(wire::MX);
    p.u16(1).labels("one").pointer(question_offset).end(rd);
    p.pointer(question_offset);
    rd = p.rr(type_txt);
    p.bytes({3, 'a', 'b', 'c'}).end(rd);
    p.pointer(question_offset);
    rd = p.rr(33); // SRV
    p.u16(0).u16(0).u16(25).name("smtp.example.com").end(rd);
    p.pointer(question_offset);
    rd = p.rr(65280);
    p.end(rd); // empty RDATA
    p.pointer(question_offset);
    rd = p.rr(wire::MX);
    p.u16(2).labels("two").pointer(question_offset).end(rd);
    wire::Message m = parse(p.b);
    assert_int_equal(m.answers.size(), 2);
    assert_string_equal(m.answers[0].target.c_str(), "one.example.com");
    assert_string_equal(m.answers[1].target.c_str(), "two.example.com");

    // Skipped, but still bounded by the packet.
    Packet cut;
    cut.header(flags_response, 1, 1, 0, 0).question("example.com", wire::MX);
    cut.pointer(question_offset).u16(type_txt).u16(1).u32(0).u16(40).bytes({3, 'a', 'b', 'c'});
    expect_bad(cut.b, "answer 1 of 1: RDATA runs past the end of the packet");
}

// The longest name: 3 labels of 63 bytes and one of 61, 255 bytes on the wire.
const std::string longest_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                                 std::string(61, 'd');

void test_longest_name(void **) {
    Bytes p = mx_with([](Packet &q) { q.name(longest_name); });
    wire::Message m = parse(p);
    assert_string_equal(m.answers[0].target.c_str(), longest_name.c_str());
    assert_int_equal(m.answers[0].target.size(), 253); // 255 on the wire is 253 written out
    assert_true(is_host_name(m.answers[0].target));
}

// ---- hostile answers (reliability catalogue section E) ---------------------

// 44: compression loops of every shape end in an error, at once.
void test_pointer_loops(void **) {
    // The question name itself: C0 0E at 12 points ahead to C0 0C at 14, the classic C0 02 C0 00.
    Packet two;
    two.header(flags_response, 1, 0, 0, 0).bytes({0xC0, 0x0E, 0xC0, 0x0C}).u16(wire::MX).u16(1);
    expect_bad(two.b, "question: compression pointer at offset 12 does not point backwards");

    // A pointer to itself.
    Packet self;
    self.header(flags_response, 1, 0, 0, 0).pointer(question_offset).u16(wire::MX).u16(1);
    expect_bad(self.b, "question: compression pointer at offset 12 does not point backwards (12)");

    // The MX exchange points to itself.
    Bytes p = mx_with([](Packet &q) { q.pointer(q.here()); });
    expect_bad(p, "answer 1 of 1: compression pointer");

    // A label, then a pointer back to that label: a.a.a.... if followed.
    p = mx_with([](Packet &q) {
        std::size_t start = q.here();
        q.label("a").pointer(start);
    });
    expect_bad(p, "does not point backwards");

    // Two labels pointing at each other: "a" in a skipped TXT record points
    // ahead to "b" in the MX, which points back to "a".
    Packet loop;
    loop.header(flags_response, 1, 2, 0, 0).question("example.com", wire::MX);
    loop.pointer(question_offset);
    std::size_t rd = loop.rr(type_txt);
    std::size_t a = loop.here();
    loop.label("a").u16(0); // pointer patched below
    loop.end(rd);
    loop.pointer(question_offset);
    rd = loop.rr(wire::MX);
    loop.u16(10);
    std::size_t b = loop.here();
    loop.label("b").pointer(a).end(rd);
    loop.b[a + 2] = static_cast<std::uint8_t>(0xC0 | b >> 8);
    loop.b[a + 3] = static_cast<std::uint8_t>(b & 0xFF);
    expect_bad(loop.b, "answer 2 of 2: compression pointer at offset " + std::to_string(a + 2) +
                           " does not point backwards (" + std::to_string(b) + ")");

    // A chain of backward pointers is fine as long as each goes further back.
    Packet chain;
    chain.header(flags_response, 1, 2, 0, 0).question("example.com", wire::MX);
    std::size_t mx1 = 0;
    chain.pointer(question_offset);
    rd = chain.rr(wire::MX);
    chain.u16(1);
    mx1 = chain.here();
    chain.labels("mx").pointer(question_offset).end(rd);
    chain.pointer(question_offset);
    rd = chain.rr(wire::MX);
    chain.u16(2).labels("backup").pointer(mx1).end(rd);
    wire::Message m = parse(chain.b);
    assert_string_equal(m.answers[1].target.c_str(), "backup.mx.example.com");
}

// 45: pointers outside the packet, and a pointer cut in half.
void test_pointer_out_of_bounds(void **) {
    Bytes p = mx_with([](Packet &q) { q.pointer(0x3FFF); });
    expect_bad(p, "points past the end of the packet (16383)");
    p = mx_with([](Packet &q) { q.pointer(q.here() + 2); }); // just past the end
    expect_bad(p, "points past the end of the packet");

    // A 1-byte pointer at the very end of the packet (RDLENGTH agrees).
    p = mx_with([](Packet &q) { q.u8(0xC0); });
    expect_bad(p, "compression pointer cut short");
    Packet question;
    question.header(flags_response, 1, 0, 0, 0).u8(0xC0);
    expect_bad(question.b, "question: compression pointer cut short");
}

// 46: every proper prefix of a valid answer is refused, never a partial parse.
void test_truncated_everywhere(void **) {
    const Bytes answers[] = {mx_answer_bytes(), mixed_answer()};
    for (const Bytes &full : answers) {
        assert_int_equal(code_of([&] { parse(full); }), INETKIT_ERROR_NONE);
        for (std::size_t length = 0; length < full.size(); ++length) {
            Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
            ErrorCode code = code_of([&] { wire::parse(cut.data(), cut.size()); });
            if (code != INETKIT_ERROR_DNS_BAD_RESPONSE) print_error("prefix of %zu bytes\n", length);
            assert_int_equal(code, INETKIT_ERROR_DNS_BAD_RESPONSE);
        }
    }
    expect_bad(Bytes(mx_answer, mx_answer + 11), "header: the packet has 11 bytes");
    expect_bad(Bytes(mx_answer, mx_answer + 19), "question: label runs past the end of the packet");
    expect_bad(Bytes(mx_answer, mx_answer + 27), "question: question type and class runs past the end");
    expect_bad(Bytes(mx_answer, mx_answer + 35), "answer 1 of 2: record header runs past the end");
    expect_bad(Bytes(mx_answer, mx_answer + 45), "answer 1 of 2: RDATA runs past the end");
    expect_bad(Bytes(mx_answer, mx_answer + 84), "additional 1 of 1: RDATA runs past the end");
    assert_int_equal(code_of([] { wire::parse(nullptr, 0); }), INETKIT_ERROR_DNS_BAD_RESPONSE);
}

// 47 and the RDATA rules: the exchange must end exactly at RDLENGTH.
void test_rdlength_mismatch(void **) {
    Bytes base = mx_answer_bytes();
    const std::size_t rdlength_at = 39; // the first MX's RDLENGTH (8)
    for (unsigned rdlength : {0u, 1u, 2u}) {
        Bytes p = base;
        p[rdlength_at + 1] = static_cast<std::uint8_t>(rdlength);
        expect_bad(p, "answer 1 of 2: MX record with RDLENGTH");
    }
    // Shorter than the exchange: the name runs on past RDLENGTH.
    for (unsigned rdlength : {3u, 5u, 7u}) {
        Bytes p = base;
        p[rdlength_at + 1] = static_cast<std::uint8_t>(rdlength);
        expect_bad(p, "answer 1 of 2: MX exchange runs past RDLENGTH");
    }
    // Longer than the exchange, inside the packet: the following bytes would be swallowed.
    Bytes p = base;
    p[rdlength_at + 1] = 9;
    expect_bad(p, "answer 1 of 2: MX exchange ends before RDLENGTH");
    // Longer than the packet.
    p = base;
    p[rdlength_at] = 0x01;
    expect_bad(p, "answer 1 of 2: RDATA runs past the end of the packet");
    p = base;
    p[p.size() - 5] = 0xFF; // the A record's RDLENGTH, 0x00FF
    expect_bad(p, "additional 1 of 1: RDATA runs past the end of the packet");

    // A and AAAA must hold exactly 4 and 16 bytes.
    for (unsigned length : {0u, 3u, 5u, 16u}) {
        Packet a;
        a.header(flags_response, 1, 1, 0, 0).question("example.com", wire::A).pointer(question_offset);
        std::size_t rd = a.rr(wire::A);
        for (unsigned i = 0; i < length; ++i) a.u8(i);
        a.end(rd);
        expect_bad(a.b, ("A record with RDLENGTH " + std::to_string(length) + " instead of 4").c_str());
    }
    for (unsigned length : {4u, 15u, 17u}) {
        Packet a;
        a.header(flags_response, 1, 1, 0, 0).question("example.com", wire::AAAA).pointer(question_offset);
        std::size_t rd = a.rr(wire::AAAA);
        for (unsigned i = 0; i < length; ++i) a.u8(i);
        a.end(rd);
        expect_bad(a.b, ("AAAA record with RDLENGTH " + std::to_string(length) + " instead of 16").c_str());
    }
    // CNAME: the target must fill RDATA exactly.
    Packet cname;
    cname.header(flags_response, 1, 1, 0, 0).question("example.com", wire::MX).pointer(question_offset);
    std::size_t rd = cname.rr(wire::CNAME);
    cname.name("alias.example.net").u8(0).end(rd); // one byte too many
    expect_bad(cname.b, "answer 1 of 1: CNAME target ends before RDLENGTH");
    cname.b[rd - 1] = static_cast<std::uint8_t>(cname.b[rd - 1] - 2); // now one byte too few
    expect_bad(cname.b, "CNAME target runs past RDLENGTH");
    // SOA: two names and exactly 20 bytes.
    Packet soa;
    soa.header(flags_response, 1, 0, 1, 0).question("example.com", wire::MX).pointer(question_offset);
    rd = soa.rr(wire::SOA);
    soa.pointer(question_offset).pointer(question_offset).u32(1).u32(2).u32(3).u32(4).end(rd);
    expect_bad(soa.b, "authority 1 of 1: SOA record whose RDATA does not match RDLENGTH");
}

// 48: counts are not trusted, for allocation or otherwise.
void test_counts_not_trusted(void **) {
    Bytes p = mx_answer_bytes();
    p[6] = 0xFF;
    p[7] = 0xFF; // ANCOUNT 65535; the two answers and the A follow
    expect_bad(p, "answer 4 of 65535: ");
    p = mx_answer_bytes();
    p[11] = 0x00; // ARCOUNT 0: the A record is left over
    expect_bad(p, "16 bytes left after the last record");
    p = mx_answer_bytes();
    p[8] = 0xFF;
    p[9] = 0xFF; // NSCOUNT 65535
    expect_bad(p, "authority 2 of 65535");
    p = mx_answer_bytes();
    p[10] = 0xFF;
    p[11] = 0xFF; // ARCOUNT 65535
    expect_bad(p, "additional 2 of 65535");

    // One record, ANCOUNT 65535: fails at the second.
    Bytes one = mx_with([](Packet &q) { q.labels("mx").pointer(question_offset); });
    one[6] = 0xFF;
    one[7] = 0xFF;
    expect_bad(one, "answer 2 of 65535: name runs past the end of the packet");

    for (unsigned qdcount : {0u, 2u, 65535u}) {
        Packet q;
        q.header(flags_response, qdcount, 0, 0, 0).question("example.com", wire::MX);
        expect_bad(q.b, ("header: QDCOUNT is " + std::to_string(qdcount) + ", not 1").c_str());
    }
    // Trailing bytes after a complete message.
    p = mx_answer_bytes();
    p.push_back(0);
    expect_bad(p, "end of packet: 1 byte left after the last record");
}

// Labels over 63 bytes cannot be written: 0x40 and 0x80 are other label types.
void test_long_labels_and_names(void **) {
    for (unsigned length_byte : {0x40u, 0x41u, 0x7Fu, 0x80u, 0xBFu}) {
        Bytes p = mx_with([&](Packet &q) {
            q.u8(length_byte);
            for (unsigned i = 0; i < (length_byte & 0x3F) + 64; ++i) q.u8('a');
            q.u8(0);
        });
        expect_bad(p, "answer 1 of 1: label length byte 0x");
    }
    // 256 bytes on the wire, written out.
    Bytes p = mx_with([](Packet &q) { q.name(longest_name + "e"); });
    expect_bad(p, "answer 1 of 1: name longer than 255 bytes");
    // 257 bytes, through a pointer to a name that is fine on its own.
    Packet via;
    via.header(flags_response, 1, 2, 0, 0).question("example.com", wire::MX).pointer(question_offset);
    std::size_t rd = via.rr(wire::MX);
    via.u16(1);
    std::size_t longest = via.here();
    via.name(longest_name).end(rd);
    via.pointer(question_offset);
    rd = via.rr(wire::MX);
    via.u16(2).label("x").pointer(longest).end(rd);
    expect_bad(via.b, "answer 2 of 2: name longer than 255 bytes");
    // The question and owners are held to the same limits.
    Packet question;
    question.header(flags_response, 1, 0, 0, 0).question(longest_name + ".e", wire::MX);
    expect_bad(question.b, "question: name longer than 255 bytes");
}

// 53: bytes that are not host-name bytes come out as \DDD and never pass as a host name.
void test_escaped_targets(void **) {
    const struct {
        std::string label;
        const char *presented;
    } cases[] = {
        {"mx.evil", "mx\\046evil.example.com"}, // a '.' inside a label is not a separator
        {"mx\0x"s, "mx\\000x.example.com"},
        {"mx x", "mx\\032x.example.com"},
        {"mx\x80", "mx\\128.example.com"},
        {"mx\xFF", "mx\\255.example.com"},
        {"a\\b", "a\\092b.example.com"},
        {"a;b", "a\\059b.example.com"},
        {"mx\r\n", "mx\\013\\010.example.com"},
        {"[192.0.2.1]", "\\091192\\0460\\0462\\0461\\093.example.com"},
        {"_srv", "_srv.example.com"}, // kept as is, but no host name either
        {"MiXeD", "mixed.example.com"},
    };
    for (const auto &c : cases) {
        Bytes p = mx_with([&](Packet &q) { q.label(c.label).pointer(question_offset); });
        wire::Message m = parse(p);
        assert_string_equal(m.answers[0].target.c_str(), c.presented);
        assert_int_equal(is_host_name(m.answers[0].target), std::strcmp(c.presented, "mixed.example.com") == 0);
    }
    // An owner with odd bytes is rendered the same way.
    Packet owner;
    owner.header(flags_response, 1, 1, 0, 0).question("example.com", wire::MX);
    owner.label("a.b").pointer(question_offset);
    std::size_t rd = owner.rr(wire::A);
    owner.bytes({192, 0, 2, 1}).end(rd);
    wire::Message m = parse(owner.b);
    assert_string_equal(m.answers[0].owner.c_str(), "a\\046b.example.com");
}

// ---- names ----------------------------------------------------------------------

MailTarget target_of(std::string_view input, bool use_idn = true) { return parse_mail_target(input, use_idn); }

// The input must be refused as an invalid parameter, the message holding `fragment`.
void expect_refused(std::string_view input, const char *fragment, bool use_idn = true) {
    std::string message;
    ErrorCode code = code_of([&] { parse_mail_target(input, use_idn); }, &message);
    if (code != INETKIT_ERROR_INVALID_PARAMETER || !contains(message, fragment))
        print_error("input \"%s\": code %u, message \"%s\", wanted \"%s\"\n", std::string(input).c_str(),
                    static_cast<unsigned>(code), message.c_str(), fragment);
    assert_int_equal(code, INETKIT_ERROR_INVALID_PARAMETER);
    assert_true(contains(message, fragment));
    for (char c : message) assert_true(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F); // printable
}

void expect_domain(std::string_view input, const char *domain, bool use_idn = true) {
    MailTarget t = target_of(input, use_idn);
    assert_int_equal(static_cast<int>(t.kind), static_cast<int>(MailTarget::Kind::Domain));
    assert_string_equal(t.domain.c_str(), domain);
    assert_string_equal(t.literal.c_str(), "");
}

void test_plain_domains(void **) {
    expect_domain("example.com", "example.com");
    expect_domain("example.com.", "example.com");
    expect_domain("EXAMPLE.Com", "example.com");
    expect_domain("localhost", "localhost");
    expect_domain("_dmarc.example.com", "_dmarc.example.com");
    expect_domain("user@example.com", "example.com");
    expect_domain("First.Last+tag@Mail.Example.COM.", "mail.example.com");
    expect_domain("müller@example.com", "example.com"); // RFC 6531 local part
    expect_domain("x@example.com", "example.com", false);
}

void test_quoted_local_parts(void **) {
    expect_domain("\"a@b\"@example.com", "example.com");
    expect_domain("\"a\\\"@b\"@example.com", "example.com"); // escaped quote inside
    expect_domain("\"a\\\\\"@example.com", "example.com");    // escaped backslash, then the closing quote
    expect_domain("\"john doe\"@example.com", "example.com");
    expect_domain("\"\"@example.com", "example.com");
    expect_refused("\"abc@example.com", "unterminated quoted local part");
    expect_refused("\"abc\\\"@example.com", "unterminated quoted local part");
    expect_refused("\"a\\", "unterminated quoted local part");
    expect_refused("\"ab\"example.com", "no '@' after its quoted local part");
    expect_refused("\"ab\"", "no '@' after its quoted local part");
    expect_refused("\"ab\"@", "empty domain");
    expect_refused("\"a\"@b@example.com", "holds '@'");
}

void test_address_shape(void **) {
    expect_refused("", "the address is empty");
    expect_refused("user@", "empty domain");
    expect_refused("@example.com", "empty local part");
    expect_refused("a@b@example.com", "more than one '@'");
    expect_refused("a b@example.com", "holds a space (0x20)");
    expect_refused("<user@example.com>", "holds '<'");
    expect_refused(".", "is the root");
    expect_refused("..", "empty label");
    expect_refused(".example.com", "empty label");
    expect_refused("example..com", "empty label");
    expect_refused("example.com..", "empty label");
    expect_refused("user@.example.com", "empty label");
    expect_refused("exa mple.com", "\"exa mple.com\" holds a space (0x20)");
    expect_refused("exa!mple.com", "holds '!' (0x21), which is not a letter, digit, '-' or '_'");
    expect_refused("example.com/", "holds '/'");
}

void test_control_bytes(void **) {
    const std::string bad[] = {"example.com\r\nRCPT TO:<x@y>", "exa\rmple.com", "exa\nmple.com", "exa\tmple.com",
                               "exa\x7Fmple.com",          "exa\0mple.com"s,  "\x1B[31m@example.com",
                               "\"a\nb\"@example.com"};
    for (const std::string &input : bad) expect_refused(input, "holds the control byte");
    expect_refused("exa\rmple.com", "\"exa\\x0Dmple.com\" holds the control byte 0x0D at offset 3");
    expect_refused("exa\x7Fmple.com", "0x7F at offset 3");
    expect_refused("exa\0mple.com"s, "\"exa\\x00mple.com\"");
}

void test_lengths(void **) {
    std::string label63(63, 'a'), label64(64, 'a');
    expect_domain(label63 + ".example", (label63 + ".example").c_str());
    expect_refused(label64 + ".example", "has a label of 64 bytes; at most 63");
    expect_refused("x@" + label64, "has a label of 64 bytes");
    // 253 bytes: 3 labels of 63 and one of 61 with their dots.
    std::string d253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    assert_int_equal(d253.size(), 253);
    expect_domain(d253, d253.c_str());
    expect_domain(d253 + ".", d253.c_str());
    expect_refused(d253 + "b", "is 254 bytes long; at most 253");
    std::string message;
    code_of([&] { parse_mail_target(d253 + "b", true); }, &message);
    assert_true(message.size() < 200); // the domain is quoted cut short
    // 320 bytes of address pass; 321 do not.
    std::string local66(66, 'l');
    expect_domain(local66 + "@" + d253, d253.c_str());
    expect_refused("l" + local66 + "@" + d253, "the address is 321 bytes long; at most 320");
    expect_refused(std::string(100000, 'a'), "the address is 100000 bytes long");
}

void test_literals(void **) {
    MailTarget t = target_of("[192.0.2.1]");
    assert_int_equal(static_cast<int>(t.kind), static_cast<int>(MailTarget::Kind::Literal));
    assert_string_equal(t.literal.c_str(), "192.0.2.1");
    assert_int_equal(t.family, 4);
    assert_string_equal(t.domain.c_str(), "");
    t = target_of("postmaster@[192.0.2.1]");
    assert_string_equal(t.literal.c_str(), "192.0.2.1");
    t = target_of("user@[IPv6:2001:db8::1]");
    assert_int_equal(static_cast<int>(t.kind), static_cast<int>(MailTarget::Kind::Literal));
    assert_string_equal(t.literal.c_str(), "2001:db8::1");
    assert_int_equal(t.family, 6);
    t = target_of("user@[ipv6:2001:DB8:0:0:0:0:0:1]"); // the tag in any case, the address normalised
    assert_string_equal(t.literal.c_str(), "2001:db8::1");
    t = target_of("\"a@[b]\"@[IPv6:::ffff:192.0.2.1]");
    assert_string_equal(t.literal.c_str(), "::ffff:192.0.2.1");

    const char *bad[] = {"[192.0.2.256]", "[192.0.2]",   "[01.2.3.4]",        "[192.0.2.1.5]", "[]",
                         "[ 192.0.2.1]",  "[IPv6:]",     "[IPv6:192.0.2.1]", "[IPv6:zz::1]",  "[IPv6:fe80::1%eth0]",
                         "[2001:db8::1]", "[IPv7:::1]",  "[example.com]",    "[1.2.3.4]x",    "[192.0.2.1",
                         "user@[",        "[IPv6:1::2::3]"};
    for (const char *input : bad) {
        std::string message;
        ErrorCode code = code_of([&] { parse_mail_target(input, true); }, &message);
        if (code != INETKIT_ERROR_INVALID_PARAMETER) print_error("accepted: %s\n", input);
        assert_int_equal(code, INETKIT_ERROR_INVALID_PARAMETER);
        assert_true(contains(message, "address literal"));
    }
    expect_refused("[192.0.2.1", "does not end with ']'");
    expect_refused("[2001:db8::1]", "neither IPv4 nor \"IPv6:\"");
    expect_refused("[IPv6:zz::1]", "does not hold a valid IPv6 address");
    expect_refused("[192.0.2.256]", "does not hold a valid IPv4 address");
}

void test_idn(void **) {
    expect_domain("bücher.example", "xn--bcher-kva.example");
    expect_domain("BÜCHER.Example.", "xn--bcher-kva.example");
    expect_domain("user@bücher.example", "xn--bcher-kva.example");
    expect_domain("faß.de", "xn--fa-hia.de"); // non-transitional: ß stays ß
    expect_domain("u\xCC\x88" "ber.example", "xn--ber-goa.example"); // NFC: u + combining diaeresis is ü
    expect_domain("a\xE3\x80\x82" "b.example", "a.b.example");     // U+3002 is a dot in UTS 46
    expect_domain("xn--bcher-kva.example", "xn--bcher-kva.example");
    // A long UTF-8 label may still give an A-label within 63 bytes.
    std::string umlauts;
    for (int i = 0; i < 40; ++i) umlauts += "ü";
    assert_int_equal(umlauts.size(), 80);
    MailTarget t = target_of(umlauts + ".de");
    assert_true(t.domain.size() < 63 + 3);

    expect_refused("bücher.example", "is internationalised (non-ASCII) and UseIDN is off", false);
    expect_refused("user@faß.de", "\"faß.de\"", false);
    expect_refused("☃.example", "is not a valid internationalised name");
    expect_refused("\xCC\x81" "a.example", "is not a valid internationalised name"); // leading combining mark
    expect_refused("ab--c.bücher", "is not a valid internationalised name");
    expect_refused("exa mple.ü", "holds a space (0x20)"); // libidn2 lets it through; the ASCII rule does not
    expect_refused("bücher..example", "empty label");
    expect_refused(".bücher.example", "empty label");
}

void test_invalid_utf8(void **) {
    const char *bad[] = {
        "b\xC3" "cher.example", // lead byte without its continuation
        "b\xFC" "cher.example", // Latin-1 ü
        "\xC0\xAF.example",     // overlong '/'
        "\xE0\x80\xAF.example", // overlong, three bytes
        "\xED\xA0\x80.example", // a surrogate
        "\xF4\x90\x80\x80.example", // above U+10FFFF
        "\xF5\x80\x80\x80.example",
        "example.\xE2\x82", // cut short at the end
        "\x80@example.com",
    };
    for (const char *input : bad) {
        expect_refused(input, "is not valid UTF-8");
        expect_refused(input, "is not valid UTF-8", false);
    }
    expect_refused("b\xC3" "cher.example", "\"b\\xC3cher.example\" is not valid UTF-8 (byte 0xC3 at offset 1)");
}

void test_is_host_name(void **) {
    const char *good[] = {"mx.example.com", "a", "localhost", "MX1.Example.COM", "a-b.example", "1a.example",
                          "example.123a",   "xn--bcher-kva.example", "a.b.c.d.e.f"};
    for (const char *name : good) {
        if (!is_host_name(name)) print_error("refused: %s\n", name);
        assert_true(is_host_name(name));
    }
    std::string label63(63, 'a');
    std::string d253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    assert_true(is_host_name(d253));
    assert_true(is_host_name(label63 + ".example"));

    const std::string bad[] = {"",
                               "192.0.2.1",
                               "example.123",
                               "123",
                               "-a.example",
                               "a-.example",
                               "a.-b.example",
                               ".",
                               ".example",
                               "example.",
                               "a..example",
                               "_dmarc.example.com",
                               "mx\\046evil.example.com",
                               "mx\\000x.example.com",
                               "a b.example",
                               "a\0b.example"s,
                               "b\xC3\xBC" "cher.example",
                               "[192.0.2.1]",
                               "2001:db8::1",
                               std::string(64, 'a') + ".example",
                               d253 + "b",
                               d253 + ".b"};
    for (const std::string &name : bad) {
        if (is_host_name(name)) print_error("accepted: %s\n", name.c_str());
        assert_false(is_host_name(name));
    }
}

} // namespace

// cmocka_unit_test() with the test wrapped in guarded<>, under its own name.
#define guarded_test(f) CMUnitTest{#f, guarded<f>, nullptr, nullptr, nullptr}

int main() {
    const CMUnitTest tests[] = {
        guarded_test(test_real_mx_answer),
        guarded_test(test_mixed_sections),
        guarded_test(test_header_flags),
        guarded_test(test_null_mx),
        guarded_test(test_ttls_and_case),
        guarded_test(test_unknown_types_skipped),
        guarded_test(test_longest_name),
        guarded_test(test_pointer_loops),
        guarded_test(test_pointer_out_of_bounds),
        guarded_test(test_truncated_everywhere),
        guarded_test(test_rdlength_mismatch),
        guarded_test(test_counts_not_trusted),
        guarded_test(test_long_labels_and_names),
        guarded_test(test_escaped_targets),
        guarded_test(test_plain_domains),
        guarded_test(test_quoted_local_parts),
        guarded_test(test_address_shape),
        guarded_test(test_control_bytes),
        guarded_test(test_lengths),
        guarded_test(test_literals),
        guarded_test(test_idn),
        guarded_test(test_invalid_utf8),
        guarded_test(test_is_host_name),
    };
    return cmocka_run_group_tests_name("mx_unit", tests, nullptr, nullptr);
}
