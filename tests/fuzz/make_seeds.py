#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (corpus/<target>).

The seeds are kept in the tree; run this again only to change them. Each DNS
seed is a whole message, valid or broken in one of the ways of the
reliability catalogue (section E, items 44-48 and 53). The POP3 seeds are
Dovecot 2.3 transcripts (its greeting, CAPA, UIDL format and response codes)
laid out in the order fuzz_pop_session's script asks, then broken in the ways
of the catalogue's POP3 items; the SASL seeds are the RFC 5802, 7677 and 2195
exchanges.
"""
import base64
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


# ---- mx_order: MaxRecords (2 bytes LE), flags, seed (8 bytes), DNS message ----

def mx_set(records, owner="example.com", cname=None):
    """An answer with MX records (preference, exchange) for owner, CNAME first if given."""
    p = Packet(an=len(records) + (1 if cname else 0))
    p.question(cname or owner)
    if cname:
        rd = p.pointer(12).rr(CNAME, 300)
        p.name(owner).end(rd)
    for pref, host in records:
        p.name(owner)
        rd = p.rr(MX, 3600)
        p.u16(pref)
        if host == "":
            p.raw(b"\0")
        elif isinstance(host, bytes):
            p.label(host).raw(b"\0")
        else:
            p.name(host)
        p.end(rd)
    return bytes(p.b)


def order_header(max_records=64, shuffle=True, seed=0):
    return struct.pack("<HB", max_records - 1, 1 if shuffle else 0) + struct.pack(">Q", seed)


def mx_orders():
    google = [(5, "gmail-smtp-in.l.google.com"), (10, "alt1.gmail-smtp-in.l.google.com"),
              (20, "alt2.gmail-smtp-in.l.google.com"), (30, "alt3.gmail-smtp-in.l.google.com"),
              (40, "alt4.gmail-smtp-in.l.google.com")]
    equal = [(10, "mx%d.example.com" % i) for i in range(6)]
    return {
        "google": order_header() + mx_set(google),
        "equal_shuffled": order_header(seed=42) + mx_set(equal),
        "equal_by_name": order_header(shuffle=False) + mx_set(equal),
        "capped": order_header(max_records=3, seed=7) + mx_set(equal + [(5, "best.example.com")]),
        "duplicates": order_header() + mx_set([(20, "mx.example.com"), (10, "mx.example.com"), (30, "mx.example.com")]),
        "null_mx": order_header() + mx_set([(0, "")]),
        "null_mx_mixed": order_header() + mx_set([(0, ""), (10, "mx.example.com")]),
        "invalid_names": order_header() + mx_set([(10, "192.0.2.1"), (20, "-bad.example.com"), (30, b"a.b"),
                                                  (40, "ok.example.com"), (50, "_srv.example.com")]),
        "all_invalid": order_header() + mx_set([(10, "10.0.0.1"), (20, b"x\0y")]),
        "cname": order_header() + mx_set([(10, "mx.example.net")], owner="mail.example.net", cname="example.com"),
        "other_owner": order_header() + mx_set([(10, "mx.example.org")], owner="example.org"),
        "mixed_sections": order_header(max_records=1) + bytes(mixed().b),
    }


# ---- net_address: port (2 bytes), then the text ----

def net_addresses():
    texts = [b"127.0.0.1", b"::1", b"[::1]", b"[2001:db8::1]", b"::ffff:192.0.2.1", b"fe80::1%lo", b"fe80::1%1",
             b"0.0.0.0", b"", b"192.0.2.300", b"1.2.3", b"0x7f.1", b"pop.example.com", b"[::1", b"a b",
             b"host\r\nname", b"[]", b"x" * 256, b"2001:db8:0:0:0:0:2:1", b"::", b"1.2.3.4\0junk"]
    names = ["v4", "v6", "v6_brackets", "v6_doc", "v4_mapped", "scope_name", "scope_number", "any_v4", "empty",
             "v4_octet", "v4_short", "v4_hex", "name", "open_bracket", "space", "crlf", "empty_brackets", "long",
             "v6_long_form", "any_v6", "nul"]
    return {name: struct.pack(">H", 110 if i % 2 else 995) + text for i, (name, text) in enumerate(zip(names, texts))}


# ---- sasl: mechanism, flags, user 0xFF password 0xFF challenges... ----

PLAIN, LOGIN, CRAM, SCRAM1, SCRAM256, XOAUTH2, OAUTHBEARER = range(7)
ENCODED, SIGN, INITIAL = 1, 2, 4


def sasl_seed(mechanism, flags, user, password, *challenges):
    return bytes([mechanism, flags]) + b"\xff".join([user, password] + list(challenges))


def b64(data):
    return base64.b64encode(data)


def sasl_seeds():
    first = b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
    final = b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="
    first256 = b"r=fyko+d2lbbFgONRv9qkxdawL%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    cram = b"<1896.697170952@postoffice.reston.mci.net>"
    return {
        "plain": sasl_seed(PLAIN, INITIAL, b"tim", b"tanstaaftanstaaf"),
        "plain_two_step": sasl_seed(PLAIN, ENCODED, b"tim", b"tanstaaftanstaaf", b""),
        "plain_extra": sasl_seed(PLAIN, INITIAL, b"tim", b"pw", b"more?"),
        "login": sasl_seed(LOGIN, ENCODED, b"tim", b"secret", b"VXNlcm5hbWU6", b"UGFzc3dvcmQ6"),
        "login_third": sasl_seed(LOGIN, 0, b"tim", b"secret", b"Username:", b"Password:", b"Again:"),
        "cram_md5_rfc2195": sasl_seed(CRAM, ENCODED, b"tim", b"tanstaaftanstaaf", b64(cram)),
        "cram_md5_empty": sasl_seed(CRAM, 0, b"tim", b"x", b""),
        "scram_sha1_rfc5802": sasl_seed(SCRAM1, INITIAL, b"user", b"pencil", first, final),
        "scram_sha1_encoded": sasl_seed(SCRAM1, INITIAL | ENCODED, b"user", b"pencil", b64(first), b64(final)),
        "scram_sha1_two_step": sasl_seed(SCRAM1, ENCODED, b"user", b"pencil", b"", b64(first), b64(final)),
        "scram_sha1_signed": sasl_seed(SCRAM1, INITIAL | SIGN, b"user", b"pencil", first, b""),
        "scram_sha256_signed": sasl_seed(SCRAM256, INITIAL | SIGN, b"user", b"pencil", first256, b"x=ext"),
        "scram_error": sasl_seed(SCRAM256, INITIAL, b"user", b"pencil", first256, b"e=invalid-proof"),
        "scram_bad_nonce": sasl_seed(SCRAM1, INITIAL, b"user", b"pencil", b"r=other,s=QSXCR+Q6sek8bf92,i=4096"),
        "scram_mandatory_ext": sasl_seed(SCRAM1, INITIAL, b"user", b"pencil", b"m=x," + first),
        "scram_iterations_high": sasl_seed(SCRAM1, INITIAL, b"user", b"pencil", first[:-4] + b"99999999"),
        "scram_user_escape": sasl_seed(SCRAM256, INITIAL | SIGN, b"a=b,c", b"p\xc3\xa4ss", first256, b""),
        "xoauth2_error": sasl_seed(XOAUTH2, INITIAL | ENCODED, b"someuser@example.com", b"ya29.token",
                                   b64(b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')),
        "oauthbearer_error": sasl_seed(OAUTHBEARER, INITIAL, b"user@example.com", b"token",
                                       b'{"status":"invalid_token"}', b"again"),
        "bad_base64": sasl_seed(CRAM, ENCODED, b"tim", b"pw", b"PDE4OTY=x==="),
    }


# ---- pop_session: options byte, then the server's replies separated by 0xFF ----
# Options: bits 0-1 pipelining (auto, on, off), bit 2 linebreak, bits 3-6 the
# login mechanism (pop::Auth, modulo 10), bit 7 MaxLineLength 512.
AUTH_DEFAULT, AUTH_PASS, AUTH_APOP, AUTH_LOGIN, AUTH_PLAIN, AUTH_CRAM, AUTH_SCRAM1, AUTH_SCRAM256, AUTH_XOAUTH2 = range(9)
PIPE_ON, PIPE_OFF, LINEBREAK, SHORT_LINES = 1, 2, 4, 0x80

GREETING = b"+OK Dovecot (Debian) ready.\r\n"
CAPA = b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"
CAPA_STRONG = (b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\n"
               b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2\r\n.\r\n")
MESSAGE_1 = (b"Return-Path: <alice@example.org>\r\nFrom: Alice <alice@example.org>\r\nTo: bob@example.com\r\n"
             b"Subject: dots\r\nMessage-ID: <1@example.org>\r\n\r\n"
             b"..a line that starts with a dot\r\n...two dots\r\n.\tdot tab\r\nlast line\r\n")
MESSAGE_2 = b"Subject: two\r\n\r\nbody\r\n"


def stuffed_reply(body, status=b"+OK %d octets\r\n"):
    text = status % len(body) if b"%d" in status else status
    return text + body + b".\r\n"


def mailbox_replies(retr1=None, retr2=None, top2=None):
    """The replies after login, in the script's order (pipelined LIST+UIDL)."""
    retr1 = retr1 or stuffed_reply(MESSAGE_1)
    retr2 = retr2 or stuffed_reply(MESSAGE_2)
    top2 = top2 or b"+OK\r\nSubject: two\r\n\r\n.\r\n"
    return [
        b"+OK 2 %d\r\n" % (len(MESSAGE_1) + len(MESSAGE_2)),                          # STAT
        b"+OK 2 messages:\r\n1 %d\r\n2 %d\r\n.\r\n" % (len(MESSAGE_1), len(MESSAGE_2)),  # LIST
        b"+OK\r\n1 00000001535f1ab2\r\n2 00000002535f1ab2\r\n.\r\n",                    # UIDL
        retr1,                                                                        # RETR 1
        top2,                                                                         # TOP 2 0
        retr1,                                                                        # RETR 1 (stream)
        retr1,                                                                        # RETR 1 (store)
        retr1, retr2,                                                                 # RETR 1, 2 (store_many)
        b"+OK Marked to be deleted.\r\n",                                             # DELE 1
        b"-ERR Message is deleted.\r\n", b"+OK Marked to be deleted.\r\n",            # DELE 1, 2
        b"+OK\r\n",                                                                   # RSET
        b"+OK\r\n",                                                                   # NOOP
        b"-ERR Unknown command: XTND\r\n",                                            # XTND XMIT
        b"-ERR Unknown command: UTF8\r\n",                                            # UTF8
        b"+OK Logging out.\r\n",                                                      # QUIT
    ]


def user_pass_login(capa=CAPA):
    return [b"+OK\r\n", b"+OK Logged in.\r\n", capa]                               # USER, PASS, CAPA


def pop_seed(options, replies):
    return bytes([options]) + b"\xff".join(replies)


def pop_sessions():
    login = user_pass_login()
    cram = b"+ " + b64(b"<1896.697170952@dovecot.example.com>") + b"\r\n"
    scram_first = b"+ " + b64(b"r=nonce-of-another-client,s=QSXCR+Q6sek8bf92,i=4096") + b"\r\n"
    out = {
        # Default login on plaintext: no strong mechanism, so USER/PASS is tried next.
        "dovecot_user_pass": pop_seed(0, [GREETING, CAPA] + login + mailbox_replies()),
        "pipelining_off": pop_seed(PIPE_OFF, [GREETING, CAPA] + login +
                                   [mailbox_replies()[0], mailbox_replies()[1], mailbox_replies()[2]] + mailbox_replies()[3:]),
        "linebreak": pop_seed(LINEBREAK | PIPE_ON, [GREETING, CAPA] + login + mailbox_replies()),
        "pass": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + mailbox_replies()),
        "apop": pop_seed(AUTH_DEFAULT << 3, [b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", CAPA,
                                             b"+OK maildrop has 2 messages\r\n", CAPA] + mailbox_replies()),
        "cram_md5": pop_seed(AUTH_CRAM << 3, [GREETING, CAPA_STRONG, cram, b"+OK Logged in.\r\n", CAPA_STRONG] +
                             mailbox_replies()),
        "login": pop_seed(AUTH_LOGIN << 3, [GREETING, CAPA, b"+ VXNlcm5hbWU6\r\n", b"+ UGFzc3dvcmQ6\r\n",
                                            b"+OK Logged in.\r\n", CAPA] + mailbox_replies()),
        "plain": pop_seed(AUTH_PLAIN << 3, [GREETING, CAPA, b"+OK Logged in.\r\n", CAPA] + mailbox_replies()),
        "scram_bad_nonce": pop_seed(AUTH_SCRAM256 << 3, [GREETING, CAPA_STRONG, scram_first,
                                                         b"-ERR [AUTH] Authentication failed.\r\n"] + login + mailbox_replies()),
        "xoauth2_error": pop_seed(AUTH_XOAUTH2 << 3, [GREETING, CAPA_STRONG,
                                                      b"+ " + b64(b'{"status":"401","schemes":"bearer"}') + b"\r\n",
                                                      b"-ERR [AUTH] Invalid credentials\r\n"] + login + mailbox_replies()),
        "auth_failed": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"+OK\r\n", b"-ERR [AUTH] Authentication failed.\r\n"]),
        "in_use": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"+OK\r\n",
                                            b"-ERR [IN-USE] Couldn't open INBOX: Mailbox is locked\r\n"]),
        "sys_temp": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"+OK\r\n", b"-ERR [SYS/TEMP] Internal error occurred.\r\n"]),
        "login_delay": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"+OK\r\n", b"-ERR [LOGIN-DELAY] wait 900 seconds\r\n"]),
        "refused": pop_seed(0, [b"-ERR [SYS/PERM] Too many connections\r\n"]),
        "old_server_no_capa": pop_seed(AUTH_PASS << 3, [GREETING, b"-ERR Unknown command.\r\n", b"+OK\r\n", b"+OK\r\n",
                                                        b"-ERR\r\n"] + mailbox_replies()),
        "empty_mailbox": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + [b"+OK 0 0\r\n", b"+OK\r\n.\r\n", b"+OK\r\n.\r\n"]),
        "no_uidl": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + mailbox_replies()[:2] + [b"-ERR Unknown command\r\n"] +
                            mailbox_replies()[3:]),
        # Hostile replies (reliability catalogue, POP3 items).
        "unterminated_body": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + mailbox_replies()[:3] +
                                      [b"+OK 10 octets\r\nno end in sight\r\n"]),
        "bare_lf_body": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login +
                                 mailbox_replies(retr1=b"+OK\r\nline\n.\nstill body\r\n.\r\n")),
        "unstuffed_dot": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login +
                                  mailbox_replies(retr1=b"+OK\r\n.not stuffed\r\n.\r\r\n.\r\n")),
        "two_replies_at_once": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + [b"+OK 2 100\r\n+OK extra\r\n"] +
                                        mailbox_replies()[1:]),
        "nul_in_reply": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"+OK\0hidden\r\n"]),
        "neither_ok_nor_err": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"OK\r\n"]),
        "long_line": pop_seed(SHORT_LINES | AUTH_PASS << 3, [GREETING, CAPA, b"+OK " + b"x" * 600 + b"\r\n"]),
        "list_out_of_order": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + [b"+OK 2 10\r\n", b"+OK\r\n2 5\r\n1 5\r\n.\r\n",
                                                                             b"+OK\r\n.\r\n"]),
        "uidl_repeated": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + [b"+OK 2 10\r\n", b"+OK\r\n1 5\r\n2 5\r\n.\r\n",
                                                                         b"+OK\r\n1 same\r\n2 same\r\n.\r\n"]),
        "uid_unsafe": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + mailbox_replies()[:2] +
                               [b"+OK\r\n1 ../../etc/passwd\r\n2 .hidden%2F\r\n.\r\n"] + mailbox_replies()[3:]),
        "stat_huge": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + [b"+OK 4294967296 1\r\n"]),
        "stat_many": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + [b"+OK 4000000000 18446744073709551615\r\n"]),
        "closed_midway": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + mailbox_replies()[:3]),
        "retr_err": pop_seed(AUTH_PASS << 3, [GREETING, CAPA] + login + mailbox_replies()[:3] +
                             [b"-ERR [SYS/PERM] Message is corrupted\r\n"] * 4),
        "continuation_outside_auth": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"+ more\r\n"]),
        "empty_reply": pop_seed(AUTH_PASS << 3, [GREETING, CAPA, b"", b"+OK\r\n"]),
    }
    return out


# ---- config: selector byte (see fuzz_config.cpp), then the text ----

def configs():
    mx_settings = ["MaxRecords=10", "maxrecords=1024", "MaxRecords=0", "ShuffleSeed=18446744073709551615",
                   "ShuffleEqual=TRUE", "UseIPv6=auto", "UseIDN=off", "QueryTimeout=10", "Retries=11",
                   "ConnectionMode=tcp", "MaxPacketSize=511", "MaxPacketSize=0", "LocalHost=::1", "LocalHost= 127.0.0.1 ",
                   "LocalPort=65536", "CodePage=65001", "CodePage=1252", "BuildInfo=x", "ResolvConf=/nonexistent",
                   "AbsoluteTimeout=2147483647", "MaxInFlight=4096", "Unknown=1", "NoEquals", "=", "ImplicitMX=1",
                   "ResolveAddresses=on"]
    lists = ["192.0.2.1", "192.0.2.1, [::1]:5353,127.0.0.1:53", "[2001:db8::1]", "::1", "127.0.0.1:", "[::1]x",
             "1.2.3.4,", "host.example", ",".join(["10.0.0.%d" % i for i in range(33)]), "[::1:53", " , "]
    resolv = [b"nameserver 192.0.2.53\nnameserver 2001:db8::53\n", b"# comment\nsearch example.com\nnameserver 127.0.0.1 # x\n",
              b"nameserver fe80::1%eth0\nnameserver\t1.2.3.4\nnameserver 999.1.1.1\n", b"\0nameserver 1.1.1.1\n",
              b"nameserver 8.8.8.8\r\noptions edns0\n", b"nameserver " + b"1" * 1100 + b"\nnameserver 9.9.9.9\n",
              b"".join(b"nameserver 10.0.0.%d\n" % i for i in range(40))]
    pop = ["Pipelining=on", "Pipelining=ON", "Timeout=0", "Timeout=2147483648", "Deadline=0", "MaxLineLength=511",
           "MaxLineLength=1048576", "MaxMemoryMessage=4294967294", "MaxMemoryMessage=-1", "Timeout=007", "Bogus=1", "Timeout"]
    pin = "sha256//" + base64.b64encode(b"\x01" * 32).decode()
    fingerprint = "AB" * 32
    inet = [b"\x00\x00\x00" + b"\xff".join([("20:" + fingerprint).encode(), pin.encode(), b"client", b"00ff", b"", b"",
                                           b"mail.example.com", b""]),
            b"\x03\x05\x02" + b"\xff".join([("18:%s:0:self signed,10:%s" % (fingerprint, fingerprint.lower())).encode(),
                                           (pin + ";" + pin).encode(), b"", b"", b"ECDHE+AESGCM:!aNULL",
                                           b"TLS_AES_128_GCM_SHA256", b"", b""]),
            b"\x05\x03\x01" + b"\xff".join([b"x:y", b"sha256//short", b"id", b"abc", b"NONE", b"BOGUS", b"", b""]),
            b"\x00\x00\x03" + b"\xff" * 7 + b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"]
    out = {}
    out.update({"mx_%02d" % i: b"\x00" + t.encode() for i, t in enumerate(mx_settings)})
    out.update({"servers_%02d" % i: b"\x01" + t.encode() for i, t in enumerate(lists)})
    out.update({"resolv_%02d" % i: b"\x02" + t for i, t in enumerate(resolv)})
    out.update({"pop_%02d" % i: b"\x03" + t.encode() for i, t in enumerate(pop)})
    out.update({"inet_%02d" % i: b"\x04" + t for i, t in enumerate(inet)})
    out.update({"inet_check_%02d" % i: b"\x05" + t for i, t in enumerate(inet)})
    return out


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    write(os.path.join(root, "dns_wire"), seeds())
    write(os.path.join(root, "mail_target"), mail_targets())
    write(os.path.join(root, "mx_order"), mx_orders())
    write(os.path.join(root, "net_address"), net_addresses())
    write(os.path.join(root, "sasl"), sasl_seeds())
    write(os.path.join(root, "pop_session"), pop_sessions())
    write(os.path.join(root, "config"), configs())
