/*
 * dns_script.h - an in-process scripted (hostile) DNS server for the C test
 * suites (implementation in dns_script.c; link Threads::Threads).
 *
 * One server thread answers on 127.0.0.1, UDP and TCP on the same port (the
 * kernel picks it). Every query it receives is recorded (transport, ID, flags,
 * QNAME, QTYPE, whether it carried an EDNS OPT record and its UDP size, the
 * raw bytes), then answered by a STEP of the script:
 *
 *     ds_server *s = ds_new("E44/self-loop");
 *     ds_step *st = ds_step_add(s, DS_BOTH, DS_TYPE_MX);
 *     ds_pkt *p = ds_reply(st, DS_NOERROR, DS_AA);     // ID and question copied from the query
 *     ds_rr_mx(p, NULL, 300, 10, "mx.example");        // owner NULL: a pointer to the question name
 *     unsigned port = ds_start(s);
 *     ... MxSetDnsServer(h, "127.0.0.1:<port>") ... MxResolve ...
 *     ds_stop(s);
 *     ds_query_count(s, DS_UDP), ds_query(s, 0)->qname ...
 *
 * CHOOSING THE STEP: steps are kept in the order added, each for DS_UDP, DS_TCP
 * or both, for one QTYPE (DS_TYPE_ANY: every type) and optionally for one
 * QNAME (ds_step_qname). A query is answered by
 * the first step for its transport and type that has not been used yet; once
 * every such step was used, the last of them answers again (so a single step
 * answers every query). A query no step matches gets no answer (silence).
 *
 * A STEP is a list of packets sent in order (none: silence), after an optional
 * delay, and on TCP optionally followed by closing the connection. A packet is
 * either crafted (ds_reply: a header, the question copied from the query or
 * replaced, then the records and raw bytes added) or raw bytes (ds_raw).
 * Options of a packet: the ID (copied, or deliberately wrong), the question
 * (copied, another name, or none), counts forced to any value, truncation of
 * the assembled packet at N bytes, and (TCP) a frame cut short: the 2-byte
 * length announces the whole packet but only N bytes follow, then the
 * connection is closed.
 *
 * Names in the builder are text ("mx.example", no escapes) written as plain
 * labels; ds_rr_mx_wire and ds_body take wire-format bytes for hostile names
 * (pointers, odd bytes). A crafted packet's absolute offsets (for hand-made
 * compression pointers) are: 12 for the question, ds_question_len(qname) more
 * for the first record; ds_pkt_offset gives the offset of the next byte added.
 *
 * Lifetime: ds_stop joins the thread and closes every socket (idempotent);
 * ds_free releases the server; ds_cleanup_all stops and frees every server
 * still alive (use it in teardowns). Build the script before ds_start; read
 * the records while it runs (they are copied under a lock) or after ds_stop.
 */
#ifndef INETKIT_DNS_SCRIPT_H
#define INETKIT_DNS_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_UDP  1u
#define DS_TCP  2u
#define DS_BOTH 3u

#define DS_TYPE_ANY   0u
#define DS_TYPE_A     1u
#define DS_TYPE_NS    2u
#define DS_TYPE_CNAME 5u
#define DS_TYPE_SOA   6u
#define DS_TYPE_MX    15u
#define DS_TYPE_TXT   16u
#define DS_TYPE_AAAA  28u
#define DS_TYPE_SRV   33u
#define DS_TYPE_OPT   41u

/* RCODEs */
#define DS_NOERROR  0u
#define DS_FORMERR  1u
#define DS_SERVFAIL 2u
#define DS_NXDOMAIN 3u
#define DS_NOTIMP   4u
#define DS_REFUSED  5u

/* Header flags of a crafted reply (QR is always set, RD copied from the query). */
#define DS_AA 0x0400u
#define DS_TC 0x0200u
#define DS_RA 0x0080u

/* Sections of ds_rr. */
#define DS_ANSWER     0
#define DS_AUTHORITY  1
#define DS_ADDITIONAL 2

typedef struct ds_server ds_server;
typedef struct ds_step ds_step;
typedef struct ds_pkt ds_pkt;

/* One query the server received. */
typedef struct {
    unsigned transport;   /* DS_UDP or DS_TCP */
    uint16_t id;
    uint16_t flags;       /* the header's second 16 bits (RD = 0x0100) */
    uint16_t qdcount, ancount, nscount, arcount;
    char qname[1024];     /* presentation form, labels as received (case kept), no trailing dot;
                             bytes outside printable ASCII and '.', '\\' inside labels as \DDD */
    uint16_t qtype, qclass;
    int has_opt;          /* an OPT record in the additional section */
    uint16_t opt_udp_size;/* its CLASS field: the UDP payload size offered */
    int step;             /* index of the step that answered it, -1 for none */
    unsigned peer_port;   /* the client's source port */
    double time;          /* seconds since ds_start */
    size_t size;
    unsigned char raw[1024]; /* the first bytes of the query */
} ds_query_info;

/* ---- building (before ds_start) ------------------------------------------------------ */

ds_server *ds_new(const char *name);
/* A step for transports (DS_UDP, DS_TCP, DS_BOTH) and qtype (DS_TYPE_ANY for every type). */
ds_step *ds_step_add(ds_server *s, unsigned transports, unsigned qtype);
/* The step answers only queries for this name (case-insensitive, no trailing dot). */
void ds_step_qname(ds_step *st, const char *qname);
/* Waits ms before sending the step's packets. */
void ds_step_delay(ds_step *st, unsigned ms);
/* TCP: closes the connection after the step's packets (with none: closes at once). */
void ds_step_close(ds_step *st);

/* A crafted reply: QR, the flags given, RD copied, opcode 0, rcode; ID and question copied. */
ds_pkt *ds_reply(ds_step *st, unsigned rcode, unsigned flags);
/* A packet of exactly these bytes (n may be 0: an empty datagram); with copy_id the
   first two bytes (if n >= 2) are replaced by the query's ID. */
ds_pkt *ds_raw(ds_step *st, const void *bytes, size_t n, int copy_id);

/* The packet's ID is the query's XOR 0x5a5a instead of the query's. */
void ds_pkt_wrong_id(ds_pkt *p);
/* The question is this name (text) with the query's type and class, instead of the query's. */
void ds_pkt_question_name(ds_pkt *p, const char *name);
/* No question section (QDCOUNT 0 unless forced). */
void ds_pkt_no_question(ds_pkt *p);
/* Forces a count (-1 keeps the computed one). */
void ds_pkt_counts(ds_pkt *p, int qdcount, int ancount, int nscount, int arcount);
/* Sends only the first n bytes of the assembled packet (UDP: a datagram of n bytes;
   TCP: a frame of length n). */
void ds_pkt_truncate(ds_pkt *p, size_t n);
/* TCP: the frame announces the whole packet but only n bytes of it are sent, then the
   connection is closed. UDP: as ds_pkt_truncate. */
void ds_pkt_cut_frame(ds_pkt *p, size_t n);

/* Raw bytes appended after what was added so far (counts unchanged). */
void ds_body(ds_pkt *p, const void *bytes, size_t n);
/* A record in section sec (DS_ANSWER...): owner text (NULL: a pointer to the question name,
   0xC00C), type, ttl, and rdata given as bytes; increments that section's count. */
void ds_rr(ds_pkt *p, int sec, const char *owner, unsigned type, uint32_t ttl, const void *rdata, size_t rdlen);
/* An MX record in the answer section (target text; "" is the root, a null MX). */
void ds_rr_mx(ds_pkt *p, const char *owner, uint32_t ttl, unsigned pref, const char *target);
/* An MX record whose exchange is given in wire form (n bytes, used as they are: they may
   hold pointers, odd bytes or be malformed); RDLENGTH is 2 + n unless rdlength >= 0. */
void ds_rr_mx_wire(ds_pkt *p, const char *owner, uint32_t ttl, unsigned pref, const void *wire, size_t n,
                   int rdlength);
void ds_rr_a(ds_pkt *p, int sec, const char *owner, uint32_t ttl, const char *ipv4);
void ds_rr_aaaa(ds_pkt *p, int sec, const char *owner, uint32_t ttl, const char *ipv6);
void ds_rr_cname(ds_pkt *p, int sec, const char *owner, uint32_t ttl, const char *target);
/* An SRV record (0 0 25 target) in the answer section: the wrong type for an MX question. */
void ds_rr_srv(ds_pkt *p, const char *owner, uint32_t ttl, const char *target);
/* An SOA in the authority section (what a NODATA or NXDOMAIN answer carries). */
void ds_rr_soa(ds_pkt *p, const char *zone, uint32_t minimum);

/* Wire length of a text name (labels + root byte); ds_question_len adds QTYPE and QCLASS. */
size_t ds_wire_len(const char *name);
size_t ds_question_len(const char *qname);
/* Absolute offset in the assembled packet of the next byte added to p, for a query
   whose name is qname (only meaningful for a crafted packet with the copied question). */
size_t ds_pkt_offset(const ds_pkt *p, const char *qname);
/* Writes a text name in wire form to out (at least ds_wire_len bytes); returns its length. */
size_t ds_name_to_wire(const char *name, unsigned char *out);

/* ---- running ------------------------------------------------------------------------- */

/* Binds UDP and TCP on 127.0.0.1 (same port), starts the thread; returns the port, 0 on failure. */
unsigned ds_start(ds_server *s);
unsigned ds_port(const ds_server *s);
/* "127.0.0.1:<port>" (lives as long as the server). */
const char *ds_address(const ds_server *s);
/* Stops the thread and closes every socket. Idempotent. */
void ds_stop(ds_server *s);
void ds_free(ds_server *s);
void ds_cleanup_all(void);

/* ---- results --------------------------------------------------------------------------- */

/* Queries received over transports (DS_UDP, DS_TCP or DS_BOTH). */
size_t ds_query_count(ds_server *s, unsigned transports);
/* A copy of query i (in the order received, both transports), or NULL. The copy lives
   until the next ds_query call on this thread for that slot (8 slots rotate). */
const ds_query_info *ds_query(ds_server *s, size_t i);
/* Queries of this type received (both transports). */
size_t ds_query_count_type(ds_server *s, unsigned qtype);
/* TCP connections accepted. */
size_t ds_tcp_connections(ds_server *s);
/* Datagrams/frames sent. */
size_t ds_packets_sent(ds_server *s);
/* "name: N queries (udp U, tcp T): MX qname ..." for failure messages. */
const char *ds_describe(ds_server *s);

#ifdef __cplusplus
}
#endif

#endif
