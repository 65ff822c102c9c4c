#include "mx/dns_wire.hpp"

#include "core/error.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace inetkit::mx::wire {

namespace {

constexpr std::size_t header_size = 12;
constexpr std::size_t max_name_wire = 255; // RFC 1035 section 3.1, the root byte included

// What a byte of a label is written as: itself, or in lower case, for
// letters, digits, '-' and '_'; 0 for the bytes written as \DDD. A table,
// as names are most of the work of parsing an answer.
constexpr std::array<char, 256> presentation = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 256; ++c) {
        if (c >= 'A' && c <= 'Z') table[c] = static_cast<char>(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') table[c] = static_cast<char>(c);
    }
    return table;
}();

// Reads one message front to back. at() records what is being read
// ("answer 3 of 4") so every failure says where the packet went wrong; the
// text is only put together when there is a failure.
class Reader {
public:
    Reader(const std::uint8_t *data, std::size_t size) : data_(data), size_(size) {}

    [[noreturn]] void bad(const std::string &fault) const {
        std::string where = section_;
        if (count_) where += " " + std::to_string(index_) + " of " + std::to_string(count_);
        fail(INETKIT_ERROR_DNS_BAD_RESPONSE, where + ": " + fault);
    }

    void at(const char *section, unsigned index = 0, unsigned count = 0) {
        section_ = section;
        index_ = index;
        count_ = count;
    }
    std::size_t pos() const { return pos_; }
    std::size_t left() const { return size_ - pos_; }

    std::uint16_t u16() {
        need(2, "field");
        std::uint16_t value = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
        pos_ += 2;
        return value;
    }

    std::uint32_t u32() {
        need(4, "field");
        std::uint32_t value = std::uint32_t{data_[pos_]} << 24 | std::uint32_t{data_[pos_ + 1]} << 16 |
                              std::uint32_t{data_[pos_ + 2]} << 8 | std::uint32_t{data_[pos_ + 3]};
        pos_ += 4;
        return value;
    }

    void need(std::size_t count, const char *what) const {
        if (count > left()) short_of(count, what);
    }

    void skip(std::size_t count) { pos_ += count; }
    const std::uint8_t *here() const { return data_ + pos_; }

    // Reads the name at the current position and moves past it (past the
    // first compression pointer, if any). Each pointer must land before the
    // first byte read so far for this name: the offsets read then only go
    // down, so no loop can form and no byte is read twice.
    std::string name() {
        std::string text;
        name_into(text);
        return text;
    }

    // The same into out, whose buffer is reused when it is large enough.
    void name_into(std::string &out) {
        // Put together on the stack and copied once: appending to a string
        // reallocated it several times per name (10% of a bulk run). 253
        // label bytes, each at most 4 characters (\DDD), plus the dots.
        char text[4 * max_name_wire];
        std::size_t length_out = 0;
        std::size_t at = pos_;
        std::size_t lowest = pos_; // start of the run of labels being read
        std::size_t resume = 0;    // where the outer reader continues, once a pointer was taken
        bool jumped = false;
        std::size_t wire = 0;
        for (;;) {
            if (at >= size_) bad("name runs past the end of the packet at offset " + std::to_string(at));
            std::uint8_t length = data_[at];
            if ((length & 0xC0) == 0xC0) {
                if (at + 1 >= size_) bad("compression pointer cut short at the end of the packet");
                std::size_t target = static_cast<std::size_t>((length & 0x3F) << 8 | data_[at + 1]);
                if (target >= size_)
                    bad("compression pointer at offset " + std::to_string(at) + " points past the end of the packet (" +
                        std::to_string(target) + ")");
                if (target >= lowest)
                    bad("compression pointer at offset " + std::to_string(at) + " does not point backwards (" +
                        std::to_string(target) + "): a loop");
                if (!jumped) resume = at + 2;
                jumped = true;
                at = lowest = target;
                continue;
            }
            // 0x40 and 0x80 are the obsolete extended label types (RFC 6891
            // section 5): to us a label length over 63.
            if (length & 0xC0)
                bad("label length byte 0x" + hex(length) + " at offset " + std::to_string(at) +
                    ": over 63 (an extended label type)");
            if (length == 0) {
                ++wire;
                if (wire > max_name_wire) bad("name longer than 255 bytes");
                pos_ = jumped ? resume : at + 1;
                out.assign(text, length_out);
                return;
            }
            if (at + 1 + length > size_) bad("label runs past the end of the packet at offset " + std::to_string(at));
            wire += 1u + length;
            // The root byte still has to fit.
            if (wire + 1 > max_name_wire) bad("name longer than 255 bytes");
            if (length_out != 0) text[length_out++] = '.';
            length_out += append_label(text + length_out, data_ + at + 1, length);
            at += 1u + length;
        }
    }

private:
    // Out of line, so the checks that pass (all of them, in a good answer) stay small.
    [[noreturn]] [[gnu::noinline, gnu::cold]] void short_of(std::size_t count, const char *what) const {
        bad(std::string(what) + " runs past the end of the packet (needs " + std::to_string(count) + " bytes at offset " +
            std::to_string(pos_) + " of " + std::to_string(size_) + ")");
    }

    static std::string hex(std::uint8_t byte) {
        const char *digits = "0123456789abcdef";
        return {digits[byte >> 4], digits[byte & 15]};
    }

    // Presentation form (dns_wire.hpp): lower case, and \DDD for any byte that
    // could be mistaken for structure ('.', '\\') or is not plain text.
    // Returns the characters written (at most 4 * length).
    static std::size_t append_label(char *out, const std::uint8_t *label, std::size_t length) {
        char *start = out;
        for (std::size_t i = 0; i < length; ++i) {
            unsigned char c = label[i];
            if (char plain = presentation[c]) {
                *out++ = plain;
            } else {
                *out++ = '\\';
                *out++ = static_cast<char>('0' + c / 100);
                *out++ = static_cast<char>('0' + c / 10 % 10);
                *out++ = static_cast<char>('0' + c % 10);
            }
        }
        return static_cast<std::size_t>(out - start);
    }

    const std::uint8_t *data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    const char *section_ = "header";
    unsigned index_ = 0, count_ = 0;
};

void address_text(int family, const std::uint8_t *bytes, std::string &out) {
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, bytes, text, sizeof text)) text[0] = '\0'; // cannot fail for 4 or 16 bytes
    out.assign(text);
}

// Reads the RDATA name of an MX, CNAME or NS record, which must end exactly
// where RDLENGTH says.
void rdata_name(Reader &in, std::size_t end, const char *what, std::string &out) {
    in.name_into(out);
    if (in.pos() != end)
        in.bad(std::string(what) + (in.pos() > end ? " runs past" : " ends before") + " RDLENGTH");
}

// Reads one resource record into out (every field set, its strings' buffers
// reused); returns false for a type that is checked and skipped.
bool record(Reader &in, Record &out) {
    in.name_into(out.owner);
    out.preference = 0;
    out.target.clear();
    out.address.clear();
    in.need(10, "record header");
    out.type = in.u16();
    out.klass = in.u16();
    std::uint32_t ttl = in.u32();
    out.ttl = ttl > 0x7FFFFFFFu ? 0 : ttl;
    std::uint16_t rdlength = in.u16();
    in.need(rdlength, "RDATA");
    std::size_t end = in.pos() + rdlength;
    switch (out.type) {
    case A:
    case AAAA: {
        std::size_t want = out.type == A ? 4 : 16;
        if (rdlength != want)
            in.bad(std::string(out.type == A ? "A" : "AAAA") + " record with RDLENGTH " + std::to_string(rdlength) +
                   " instead of " + std::to_string(want));
        address_text(out.type == A ? AF_INET : AF_INET6, in.here(), out.address);
        in.skip(rdlength);
        return true;
    }
    case MX:
        if (rdlength < 3) in.bad("MX record with RDLENGTH " + std::to_string(rdlength) + ", too short for one");
        out.preference = in.u16();
        rdata_name(in, end, "MX exchange", out.target);
        return true;
    case CNAME:
        rdata_name(in, end, "CNAME target", out.target);
        return true;
    case NS:
        rdata_name(in, end, "NS name", out.target);
        return true;
    case SOA: {
        // Two names and five 32-bit numbers; only the shape is checked.
        in.name_into(out.target);
        in.name_into(out.target);
        out.target.clear();
        if (in.pos() > end || end - in.pos() != 20) in.bad("SOA record whose RDATA does not match RDLENGTH");
        in.skip(20);
        return true;
    }
    case OPT: // EDNS(0): nothing of it is decoded
        in.skip(rdlength);
        return true;
    default:
        in.skip(rdlength);
        return false;
    }
}

void section(Reader &in, std::uint16_t count, const char *name, std::vector<Record> &out) {
    // The count only bounds the loop: a slot is added only when a record is
    // read into it. Slots left from the previous message are reused.
    std::size_t kept = 0;
    for (unsigned i = 1; i <= count; ++i) {
        in.at(name, i, count);
        if (kept == out.size()) out.emplace_back();
        if (record(in, out[kept])) ++kept;
    }
    out.resize(kept);
}

} // namespace

Message parse(const std::uint8_t *data, std::size_t size) {
    Message message;
    parse(data, size, message);
    return message;
}

void parse(const std::uint8_t *data, std::size_t size, Message &message) {
    if (!data) size = 0;
    Reader in(data, size);
    if (size < header_size)
        in.bad("the packet has " + std::to_string(size) + " bytes, fewer than the 12-byte header");

    message.id = in.u16();
    std::uint16_t flags = in.u16();
    message.response = (flags & 0x8000) != 0;
    message.opcode = static_cast<std::uint8_t>(flags >> 11 & 0x0F);
    message.authoritative = (flags & 0x0400) != 0;
    message.truncated = (flags & 0x0200) != 0;
    message.recursion_desired = (flags & 0x0100) != 0;
    message.recursion_available = (flags & 0x0080) != 0;
    message.rcode = static_cast<std::uint8_t>(flags & 0x0F);
    std::uint16_t qdcount = in.u16();
    std::uint16_t ancount = in.u16();
    std::uint16_t nscount = in.u16();
    std::uint16_t arcount = in.u16();
    if (qdcount != 1) in.bad("QDCOUNT is " + std::to_string(qdcount) + ", not 1");

    in.at("question");
    in.name_into(message.question_name);
    in.need(4, "question type and class");
    message.question_type = in.u16();
    message.question_class = in.u16();

    section(in, ancount, "answer", message.answers);
    section(in, nscount, "authority", message.authority);
    section(in, arcount, "additional", message.additional);

    if (in.left() != 0) {
        in.at("end of packet");
        in.bad(std::to_string(in.left()) + (in.left() == 1 ? " byte" : " bytes") + " left after the last record");
    }
}

} // namespace inetkit::mx::wire
