// A strict reader of DNS messages (RFC 1035 section 4) for the answers the
// MX engine gets: c-ares 1.18 hands over the raw bytes, and its own parsers
// drop the TTLs and the AA bit. Every length and pointer is checked against
// the packet; anything out of bounds or inconsistent is a malformed answer,
// never a partial one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace inetkit::mx::wire {

enum RecordType : std::uint16_t { A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, AAAA = 28, OPT = 41 };
constexpr std::uint16_t class_in = 1;

// Names are in presentation form: labels joined by '.', ASCII letters in
// lower case, no trailing dot, "" for the root. A byte other than a letter,
// digit, '-' or '_' inside a label is written as \DDD (decimal), so a label
// holding a '.' or a NUL can never pass for a different name; host-name checks
// (names.hpp) reject any name holding a backslash.
struct Record {
    std::string owner;
    std::uint16_t type = 0;
    std::uint16_t klass = 0;
    std::uint32_t ttl = 0;          // seconds; values above 2^31-1 read as 0 (RFC 2181 section 8)
    std::uint16_t preference = 0;   // MX
    std::string target;             // MX exchange or CNAME target ("" = the root, as in a null MX)
    std::string address;            // A or AAAA, numeric text ("192.0.2.1", "2001:db8::1")
};

struct Message {
    std::uint16_t id = 0;
    bool response = false;          // QR
    std::uint8_t opcode = 0;
    bool authoritative = false;     // AA
    bool truncated = false;         // TC
    bool recursion_desired = false; // RD
    bool recursion_available = false; // RA
    std::uint8_t rcode = 0;         // the header's 4-bit RCODE
    std::string question_name;      // the one question (responses to our queries carry exactly one)
    std::uint16_t question_type = 0;
    std::uint16_t question_class = 0;
    std::vector<Record> answers;    // records of the types above; others are checked and skipped
    std::vector<Record> authority;
    std::vector<Record> additional;
};

// Parses a whole message. Throws inetkit::Error(INETKIT_ERROR_DNS_BAD_RESPONSE)
// with a message naming the fault ("answer 3: compression pointer loop") for:
// a packet shorter than its header; QDCOUNT other than 1; a name whose labels
// run past the packet, exceed 63 bytes, or whose wire form exceeds 255 bytes;
// a compression pointer that is cut short, points outside the packet or not
// strictly backwards (so no loop can form); a record or RDATA running past the
// packet; RDLENGTH disagreeing with the RDATA of A (4), AAAA (16), MX and CNAME
// (the name must end exactly at RDLENGTH); bytes left after the last record.
// Counts are never trusted for allocation: ANCOUNT 65535 with one record in
// the packet fails at the second record.
Message parse(const std::uint8_t *data, std::size_t size);
// The same into message, reusing its vectors and strings (a resolver parses
// thousands of answers a second; this saves most allocations). Every field is
// set; after a throw its content is unspecified.
void parse(const std::uint8_t *data, std::size_t size, Message &message);

} // namespace inetkit::mx::wire
