#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (corpus/dns_wire, corpus/mail_target).

The seeds are kept in the tree; run this again only to change them. Each DNS
seed is a whole message, valid or broken in one of the ways of the
reliability catalogue (section E, items 44-48 and 53).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MX, A, AAAA, CNAME, NS, SOA, TXT, OPT = 15, 1, 28, 5, 2, 6, 16, 41


class Packet:
    def __init__(self, flags=0x8180, qd=1, an=0, ns=0, ar=0, ident=0x1234):
        self.b = bytearray(struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar))

    def here(self):
        return len(self.b)

    def raw(self, data):
        self.b += bytes(data)
        return self

    def u16(self, v):
        return self.raw(struct.pack(">H", v))

    def u32(self, v):
        return self.raw(struct.pack(">I", v))

    def labels(self, dotted):
        for label in dotted.split(".") if dotted else []:
            data = label.encode("latin-1") if isinstance(label, str) else label
            self.raw(bytes([len(data)]) + data)
        return self

    def label(self, data):
        return self.raw(bytes([len(data)]) + data)

    def name(self, dotted):
        return self.labels(dotted).raw(b"\0")

    def pointer(self, offset):
        return self.u16(0xC000 | offset)

    def question(self, qname, qtype=MX):
        return self.name(qname).u16(qtype).u16(1)

    def rr(self, rtype, ttl=3600, klass=1):
        self.u16(rtype).u16(klass).u32(ttl).u16(0)
        return self.here()

    def end(self, rdata):
        struct.pack_into(">H", self.b, rdata - 2, self.here() - rdata)
        return self


def mx_answer():
    p = Packet(an=2, ar=1)
    p.question("example.com")
    p.pointer(12)
    rd = p.rr(MX)
    p.u16(10)
    mx1 = p.here()
    p.labels("mx1").pointer(12).end(rd)
    p.pointer(12)
    rd = p.rr(MX)
    p.u16(20).labels("mx2").pointer(12).end(rd)
    p.pointer(mx1)
    rd = p.rr(A, 300)
    p.raw([192, 0, 2, 1]).end(rd)
    return p


def mixed():
    p = Packet(flags=0x8580, an=4, ns=1, ar=4)
    p.question("mail.example.org")
    p.pointer(12)
    rd = p.rr(CNAME, 300)
    canonical = p.here()
    p.name("mx.example.net").end(rd)
    first = None
    for pref, host in ((5, "a"), (5, "b"), (10, "backup")):
        p.pointer(canonical)
        rd = p.rr(MX, 7200)
        p.u16(pref)
        first = first or p.here()
        p.labels(host).pointer(canonical + 3).end(rd)
    p.pointer(canonical + 3)
    rd = p.rr(NS, 86400)
    p.labels("ns1").pointer(canonical + 3).end(rd)
    p.pointer(first)
    rd = p.rr(A, 60)
    p.raw([198, 51, 100, 7]).end(rd)
    p.pointer(first)
    rd = p.rr(AAAA, 0xFFFFFFFF)
    p.raw(bytes.fromhex("20010db8000000000000000000000001")).end(rd)
    p.name("").u16(TXT).u16(1).u32(0).u16(2).raw(b"\x01x")
    p.name("").u16(OPT).u16(1232).u32(0x8000).u16(0)
    return p


def one_mx(exchange, pref=10, an=1):
    p = Packet(an=an)
    p.question("example.com")
    p.pointer(12)
    rd = p.rr(MX)
    p.u16(pref)
    exchange(p)
    return p.end(rd)


def seeds():
    out = {}
    out["mx_answer"] = mx_answer().b
    out["mixed_sections"] = mixed().b
    out["null_mx"] = one_mx(lambda p: p.raw(b"\0"), pref=0).b
    nx = Packet(flags=0x8403, ns=1).question("nowhere.example.com")
    rd = nx.pointer(20).rr(SOA, 900)
    nx.labels("ns").pointer(20).labels("hostmaster").pointer(20)
    nx.u32(2024010101).u32(7200).u32(3600).u32(1209600).u32(300).end(rd)
    out["nxdomain_soa"] = nx.b
    out["truncated_tc"] = Packet(flags=0x8380).question("example.com").b
    out["servfail"] = Packet(flags=0x8182).question("example.com").b
    aaaa = Packet(an=2).question("mx.example.com", AAAA)
    for last in (1, 2):
        rd = aaaa.pointer(12).rr(AAAA, 120)
        aaaa.raw(bytes.fromhex("20010db80000000000000000000000") + bytes([last])).end(rd)
    out["aaaa_answer"] = aaaa.b
    query = Packet(flags=0x0100, ar=1).question("example.com")
    query.name("").u16(OPT).u16(1232).u32(0).u16(0)
    out["query_edns"] = query.b
    longest = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61
    out["longest_name"] = one_mx(lambda p: p.name(longest)).b
    out["escaped_target"] = one_mx(lambda p: p.label(b"mx.x\0 \x80\\").pointer(12)).b

    # Hostile: reliability.md section E.
    loop = Packet().raw([0xC0, 0x0E, 0xC0, 0x0C]).u16(MX).u16(1)
    out["loop_c00e_c00c"] = loop.b
    out["self_pointer"] = Packet().pointer(12).u16(MX).u16(1).b
    out["self_pointer_mx"] = one_mx(lambda p: p.pointer(p.here())).b
    two = Packet(an=2).question("example.com")
    rd = two.pointer(12).rr(TXT)
    a = two.here()
    two.label(b"a").u16(0).end(rd)
    rd = two.pointer(12).rr(MX)
    two.u16(10)
    b = two.here()
    two.label(b"b").pointer(a).end(rd)
    struct.pack_into(">H", two.b, a + 2, 0xC000 | b)
    out["two_label_loop"] = two.b
    out["pointer_past_end"] = one_mx(lambda p: p.pointer(0x3FFF)).b
    out["pointer_cut_short"] = one_mx(lambda p: p.raw(b"\xC0")).b
    short = bytearray(mx_answer().b)
    short[40] = 1
    out["rdlength_short"] = short
    long_ = bytearray(mx_answer().b)
    long_[39] = 1
    out["rdlength_long"] = long_
    many = one_mx(lambda p: p.labels("mx").pointer(12)).b
    many[6:8] = b"\xff\xff"
    out["ancount_65535"] = many
    out["label_0x40"] = one_mx(lambda p: p.raw(b"\x40" + b"a" * 64 + b"\0")).b
    out["name_256"] = one_mx(lambda p: p.name(longest + "e")).b
    out["trailing_byte"] = mx_answer().b + b"\0"
    out["truncated_half"] = mx_answer().b[:40]
    return out


def mail_targets():
    return {
        "domain": b"example.com",
        "trailing_dot": b"example.com.",
        "upper": b"MX.EXAMPLE.COM",
        "address": b"user@example.com",
        "quoted": b'"a@b\\"c"@example.com',
        "literal_v4": b"postmaster@[192.0.2.1]",
        "literal_v6": b"user@[IPv6:2001:db8::1]",
        "literal_bad": b"[IPv6:2001:db8::1%eth0]",
        "idn": "bücher.example".encode(),
        "idn_sharp_s": "user@faß.de".encode(),
        "idn_dots": "a\u3002b\uff0eexample".encode(),
        "invalid_utf8": b"b\xc3cher.example",
        "crlf": b"example.com\r\nRCPT TO:<x@y>",
        "nul": b"exa\0mple.com",
        "empty_label": b"example..com",
        "label_64": b"a" * 64 + b".example",
        "domain_254": b"a" * 63 + b"." + b"b" * 63 + b"." + b"c" * 63 + b"." + b"d" * 62,
        "underscore": b"_dmarc.example.com",
    }


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    write(os.path.join(root, "dns_wire"), seeds())
    write(os.path.join(root, "mail_target"), mail_targets())
