/* dns_script.c - the scripted DNS server of dns_script.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "dns_script.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DS_NONE ((size_t)-1)
#define DS_MAX_CONNS 64

struct ds_pkt {
    int raw;                 /* bytes given whole (ds_raw) */
    int copy_id;             /* raw: patch the ID */
    unsigned rcode, flags;
    int wrong_id;
    int qmode;               /* 0 copy, 1 other name, 2 none */
    char *qname;             /* qmode 1 */
    int forced[4];           /* -1: computed */
    unsigned counts[4];      /* qd (unused), an, ns, ar as added */
    unsigned char *body;
    size_t len, cap;
    size_t truncate, cut;    /* DS_NONE: not set */
};

struct ds_step {
    unsigned transports, qtype;
    unsigned delay_ms;
    int close;
    int used;
    char *qname;
    ds_pkt **pkts;
    size_t npkts;
};

typedef struct {
    int fd;
    unsigned peer_port;
    unsigned char *buf;
    size_t len, cap;
} ds_conn;

struct ds_server {
    char name[160];
    char address[64];
    ds_step **steps;
    size_t nsteps;
    int udp_fd, tcp_fd, stop_fd;
    unsigned port;
    pthread_t thread;
    int started, stopped;
    double t0;
    ds_conn conns[DS_MAX_CONNS];
    pthread_mutex_t lock;
    ds_query_info *queries;
    size_t nqueries, capqueries;
    size_t tcp_accepted, sent;
    char *describe;
    struct ds_server *next;
};

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static ds_server *all_servers;

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "dns_script: out of memory\n");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    if (q == NULL) {
        fprintf(stderr, "dns_script: out of memory\n");
        abort();
    }
    return q;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- names ------------------------------------------------------------------------- */

size_t ds_name_to_wire(const char *name, unsigned char *out) {
    size_t n = 0;
    if (name == NULL) name = "";
    const char *p = name;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0) { /* a trailing dot (or "."): the root follows */
            if (dot == NULL) break;
            p = dot + 1;
            continue;
        }
        if (len > 255) len = 255;
        out[n++] = (unsigned char)len;
        memcpy(out + n, p, len);
        n += len;
        if (dot == NULL) break;
        p = dot + 1;
    }
    out[n++] = 0;
    return n;
}

size_t ds_wire_len(const char *name) {
    unsigned char tmp[2048];
    if (name != NULL && strlen(name) > 1000) return 0;
    return ds_name_to_wire(name, tmp);
}

size_t ds_question_len(const char *qname) { return ds_wire_len(qname) + 4; }

/* ---- building ----------------------------------------------------------------------- */

ds_server *ds_new(const char *name) {
    ds_server *s = xcalloc(1, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name ? name : "dns");
    s->udp_fd = s->tcp_fd = s->stop_fd = -1;
    for (int i = 0; i < DS_MAX_CONNS; ++i) s->conns[i].fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_lock(&all_lock);
    s->next = all_servers;
    all_servers = s;
    pthread_mutex_unlock(&all_lock);
    return s;
}

ds_step *ds_step_add(ds_server *s, unsigned transports, unsigned qtype) {
    ds_step *st = xcalloc(1, sizeof *st);
    st->transports = transports ? transports : DS_BOTH;
    st->qtype = qtype;
    s->steps = xrealloc(s->steps, (s->nsteps + 1) * sizeof *s->steps);
    s->steps[s->nsteps++] = st;
    return st;
}

void ds_step_qname(ds_step *st, const char *qname) {
    free(st->qname);
    st->qname = strdup(qname ? qname : "");
}

void ds_step_delay(ds_step *st, unsigned ms) { st->delay_ms = ms; }
void ds_step_close(ds_step *st) { st->close = 1; }

static ds_pkt *new_pkt(ds_step *st) {
    ds_pkt *p = xcalloc(1, sizeof *p);
    for (int i = 0; i < 4; ++i) p->forced[i] = -1;
    p->truncate = p->cut = DS_NONE;
    st->pkts = xrealloc(st->pkts, (st->npkts + 1) * sizeof *st->pkts);
    st->pkts[st->npkts++] = p;
    return p;
}

ds_pkt *ds_reply(ds_step *st, unsigned rcode, unsigned flags) {
    ds_pkt *p = new_pkt(st);
    p->rcode = rcode;
    p->flags = flags;
    return p;
}

static void put(ds_pkt *p, const void *bytes, size_t n) {
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < p->len + n) cap *= 2;
        p->body = xrealloc(p->body, cap);
        p->cap = cap;
    }
    if (n) memcpy(p->body + p->len, bytes, n);
    p->len += n;
}

static void put16(ds_pkt *p, unsigned v) {
    unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(p, b, 2);
}

static void put32(ds_pkt *p, uint32_t v) {
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    put(p, b, 4);
}

static void put_name(ds_pkt *p, const char *name) {
    unsigned char wire[2048];
    size_t n = ds_name_to_wire(name, wire);
    put(p, wire, n);
}

static void put_owner(ds_pkt *p, const char *owner) {
    if (owner == NULL) {
        static const unsigned char ptr[2] = {0xC0, 0x0C};
        put(p, ptr, 2);
    } else {
        put_name(p, owner);
    }
}

ds_pkt *ds_raw(ds_step *st, const void *bytes, size_t n, int copy_id) {
    ds_pkt *p = new_pkt(st);
    p->raw = 1;
    p->copy_id = copy_id;
    put(p, bytes, n);
    return p;
}

void ds_pkt_wrong_id(ds_pkt *p) { p->wrong_id = 1; }

void ds_pkt_question_name(ds_pkt *p, const char *name) {
    free(p->qname);
    p->qname = strdup(name ? name : "");
    p->qmode = 1;
}

void ds_pkt_no_question(ds_pkt *p) { p->qmode = 2; }

void ds_pkt_counts(ds_pkt *p, int qdcount, int ancount, int nscount, int arcount) {
    p->forced[0] = qdcount;
    p->forced[1] = ancount;
    p->forced[2] = nscount;
    p->forced[3] = arcount;
}

void ds_pkt_truncate(ds_pkt *p, size_t n) { p->truncate = n; }
void ds_pkt_cut_frame(ds_pkt *p, size_t n) { p->cut = n; }

void ds_body(ds_pkt *p, const void *bytes, size_t n) { put(p, bytes, n); }

void ds_rr(ds_pkt *p, int sec, const char *owner, unsigned type, uint32_t ttl, const void *rdata, size_t rdlen) {
    put_owner(p, owner);
    put16(p, type);
    put16(p, 1);
    put32(p, ttl);
    put16(p, (unsigned)rdlen);
    put(p, rdata, rdlen);
    if (sec >= 0 && sec <= 2) p->counts[1 + sec]++;
}

void ds_rr_mx(ds_pkt *p, const char *owner, uint32_t ttl, unsigned pref, const char *target) {
    unsigned char rdata[2100];
    rdata[0] = (unsigned char)(pref >> 8);
    rdata[1] = (unsigned char)pref;
    size_t n = ds_name_to_wire(target, rdata + 2);
    ds_rr(p, DS_ANSWER, owner, DS_TYPE_MX, ttl, rdata, n + 2);
}

void ds_rr_mx_wire(ds_pkt *p, const char *owner, uint32_t ttl, unsigned pref, const void *wire, size_t n,
                   int rdlength) {
    put_owner(p, owner);
    put16(p, DS_TYPE_MX);
    put16(p, 1);
    put32(p, ttl);
    put16(p, rdlength >= 0 ? (unsigned)rdlength : (unsigned)(n + 2));
    put16(p, pref);
    put(p, wire, n);
    p->counts[1]++;
}

void ds_rr_a(ds_pkt *p, int sec, const char *owner, uint32_t ttl, const char *ipv4) {
    unsigned char a[4] = {0};
    inet_pton(AF_INET, ipv4, a);
    ds_rr(p, sec, owner, DS_TYPE_A, ttl, a, 4);
}

void ds_rr_aaaa(ds_pkt *p, int sec, const char *owner, uint32_t ttl, const char *ipv6) {
    unsigned char a[16] = {0};
    inet_pton(AF_INET6, ipv6, a);
    ds_rr(p, sec, owner, DS_TYPE_AAAA, ttl, a, 16);
}

void ds_rr_cname(ds_pkt *p, int sec, const char *owner, uint32_t ttl, const char *target) {
    unsigned char wire[2048];
    size_t n = ds_name_to_wire(target, wire);
    ds_rr(p, sec, owner, DS_TYPE_CNAME, ttl, wire, n);
}

void ds_rr_srv(ds_pkt *p, const char *owner, uint32_t ttl, const char *target) {
    unsigned char rdata[2100] = {0, 0, 0, 0, 0, 25};
    size_t n = ds_name_to_wire(target, rdata + 6);
    ds_rr(p, DS_ANSWER, owner, DS_TYPE_SRV, ttl, rdata, n + 6);
}

void ds_rr_soa(ds_pkt *p, const char *zone, uint32_t minimum) {
    unsigned char rdata[2100];
    char mname[600], rname[600];
    snprintf(mname, sizeof mname, "ns.%s", zone);
    snprintf(rname, sizeof rname, "hostmaster.%s", zone);
    size_t n = ds_name_to_wire(mname, rdata);
    n += ds_name_to_wire(rname, rdata + n);
    uint32_t v[5] = {1, 3600, 600, 86400, minimum};
    for (int i = 0; i < 5; ++i) {
        rdata[n++] = (unsigned char)(v[i] >> 24);
        rdata[n++] = (unsigned char)(v[i] >> 16);
        rdata[n++] = (unsigned char)(v[i] >> 8);
        rdata[n++] = (unsigned char)v[i];
    }
    ds_rr(p, DS_AUTHORITY, zone, DS_TYPE_SOA, minimum, rdata, n);
}

size_t ds_pkt_offset(const ds_pkt *p, const char *qname) {
    size_t q = 0;
    if (p->qmode == 0) q = ds_question_len(qname);
    else if (p->qmode == 1) q = ds_question_len(p->qname);
    return 12 + q + p->len;
}

/* ---- query parsing ----------------------------------------------------------------------- */

/* Skips a (possibly compressed) name at *off; 0 on success. */
static int skip_name(const unsigned char *m, size_t n, size_t *off) {
    size_t o = *off;
    for (int guard = 0; guard < 256; ++guard) {
        if (o >= n) return -1;
        unsigned char len = m[o];
        if (len == 0) {
            *off = o + 1;
            return 0;
        }
        if ((len & 0xC0) == 0xC0) {
            if (o + 2 > n) return -1;
            *off = o + 2;
            return 0;
        }
        if (len & 0xC0) return -1;
        o += 1 + len;
    }
    return -1;
}

/* Reads the question name (uncompressed, as queries are) into text. */
static int read_qname(const unsigned char *m, size_t n, size_t *off, char *text, size_t cap) {
    size_t o = *off, t = 0;
    text[0] = '\0';
    for (int guard = 0; guard < 128; ++guard) {
        if (o >= n) return -1;
        unsigned char len = m[o++];
        if (len == 0) {
            *off = o;
            if (t < cap) text[t] = '\0';
            return 0;
        }
        if (len & 0xC0) return -1;
        if (o + len > n) return -1;
        if (t > 0 && t + 1 < cap) text[t++] = '.';
        for (unsigned i = 0; i < len; ++i) {
            unsigned char c = m[o + i];
            if (c > 0x20 && c < 0x7F && c != '.' && c != '\\') {
                if (t + 1 < cap) text[t++] = (char)c;
            } else if (t + 5 < cap) {
                t += (size_t)snprintf(text + t, cap - t, "\\%03u", c);
            }
        }
        o += len;
        if (t < cap) text[t] = '\0';
    }
    return -1;
}

typedef struct {
    ds_query_info info;
    const unsigned char *question; /* raw question bytes in the query */
    size_t question_len;
} parsed_query;

static void parse_query(const unsigned char *m, size_t n, unsigned transport, parsed_query *q) {
    memset(q, 0, sizeof *q);
    q->info.transport = transport;
    q->info.size = n;
    memcpy(q->info.raw, m, n < sizeof q->info.raw ? n : sizeof q->info.raw);
    q->info.step = -1;
    if (n < 12) return;
    q->info.id = (uint16_t)(m[0] << 8 | m[1]);
    q->info.flags = (uint16_t)(m[2] << 8 | m[3]);
    q->info.qdcount = (uint16_t)(m[4] << 8 | m[5]);
    q->info.ancount = (uint16_t)(m[6] << 8 | m[7]);
    q->info.nscount = (uint16_t)(m[8] << 8 | m[9]);
    q->info.arcount = (uint16_t)(m[10] << 8 | m[11]);
    size_t off = 12;
    if (q->info.qdcount >= 1) {
        if (read_qname(m, n, &off, q->info.qname, sizeof q->info.qname) != 0 || off + 4 > n) return;
        q->info.qtype = (uint16_t)(m[off] << 8 | m[off + 1]);
        q->info.qclass = (uint16_t)(m[off + 2] << 8 | m[off + 3]);
        off += 4;
        q->question = m + 12;
        q->question_len = off - 12;
        for (unsigned i = 1; i < q->info.qdcount; ++i)
            if (skip_name(m, n, &off) != 0 || (off += 4) > n) return;
    }
    unsigned rrs = (unsigned)q->info.ancount + q->info.nscount + q->info.arcount;
    for (unsigned i = 0; i < rrs; ++i) {
        if (skip_name(m, n, &off) != 0 || off + 10 > n) return;
        unsigned type = (unsigned)(m[off] << 8 | m[off + 1]);
        unsigned klass = (unsigned)(m[off + 2] << 8 | m[off + 3]);
        unsigned rdlen = (unsigned)(m[off + 8] << 8 | m[off + 9]);
        if (i >= (unsigned)q->info.ancount + q->info.nscount && type == DS_TYPE_OPT) {
            q->info.has_opt = 1;
            q->info.opt_udp_size = (uint16_t)klass;
        }
        off += 10 + rdlen;
        if (off > n) return;
    }
}

/* ---- answering ---------------------------------------------------------------------------- */

static ds_step *choose_step(ds_server *s, unsigned transport, unsigned qtype, const char *qname, int *index) {
    ds_step *last = NULL;
    int last_index = -1;
    for (size_t i = 0; i < s->nsteps; ++i) {
        ds_step *st = s->steps[i];
        if (!(st->transports & transport)) continue;
        if (st->qtype != DS_TYPE_ANY && st->qtype != qtype) continue;
        if (st->qname != NULL && strcasecmp(st->qname, qname) != 0) continue;
        if (!st->used) {
            st->used = 1;
            *index = (int)i;
            return st;
        }
        last = st;
        last_index = (int)i;
    }
    *index = last_index;
    return last;
}

/* Assembles packet p for query q into out (grown as needed); returns its length. */
static size_t assemble(const ds_pkt *p, const parsed_query *q, unsigned char **out, size_t *cap) {
    size_t need = 12 + 2048 + p->len + 16;
    if (*cap < need) {
        *out = xrealloc(*out, need);
        *cap = need;
    }
    unsigned char *b = *out;
    size_t n = 0;
    if (p->raw) {
        if (p->len) memcpy(b, p->body, p->len);
        n = p->len;
        if (p->copy_id && n >= 2) {
            uint16_t id = q->info.id;
            if (p->wrong_id) id ^= 0x5a5a;
            b[0] = (unsigned char)(id >> 8);
            b[1] = (unsigned char)id;
        }
    } else {
        uint16_t id = q->info.id;
        if (p->wrong_id) id ^= 0x5a5a;
        unsigned flags = 0x8000u | (p->flags & 0x0780u) | (q->info.flags & 0x0100u) | (p->rcode & 0x0Fu);
        unsigned counts[4] = {0, p->counts[1], p->counts[2], p->counts[3]};
        b[12] = 0;
        n = 12;
        if (p->qmode == 0 && q->question != NULL) {
            memcpy(b + n, q->question, q->question_len);
            n += q->question_len;
            counts[0] = 1;
        } else if (p->qmode == 1) {
            n += ds_name_to_wire(p->qname, b + n);
            b[n++] = (unsigned char)(q->info.qtype >> 8);
            b[n++] = (unsigned char)q->info.qtype;
            b[n++] = (unsigned char)(q->info.qclass >> 8);
            b[n++] = (unsigned char)q->info.qclass;
            counts[0] = 1;
        }
        for (int i = 0; i < 4; ++i)
            if (p->forced[i] >= 0) counts[i] = (unsigned)p->forced[i];
        b[0] = (unsigned char)(id >> 8);
        b[1] = (unsigned char)id;
        b[2] = (unsigned char)(flags >> 8);
        b[3] = (unsigned char)flags;
        for (int i = 0; i < 4; ++i) {
            b[4 + 2 * i] = (unsigned char)(counts[i] >> 8);
            b[5 + 2 * i] = (unsigned char)counts[i];
        }
        if (p->len) memcpy(b + n, p->body, p->len);
        n += p->len;
    }
    if (p->truncate != DS_NONE && p->truncate < n) n = p->truncate;
    return n;
}

static void sleep_ms_(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int write_all(int fd, const unsigned char *b, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {fd, POLLOUT, 0};
                if (poll(&pfd, 1, 2000) <= 0) return -1;
                continue;
            }
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static void close_conn(ds_conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

static void record(ds_server *s, const ds_query_info *info) {
    pthread_mutex_lock(&s->lock);
    if (s->nqueries == s->capqueries) {
        s->capqueries = s->capqueries ? s->capqueries * 2 : 64;
        s->queries = xrealloc(s->queries, s->capqueries * sizeof *s->queries);
    }
    s->queries[s->nqueries++] = *info;
    pthread_mutex_unlock(&s->lock);
}

/* Answers one query; for TCP conn is the connection (closed here when the step says so). */
static void answer(ds_server *s, const unsigned char *m, size_t n, unsigned transport, const struct sockaddr_storage *peer,
                   socklen_t peer_len, ds_conn *conn) {
    parsed_query q;
    parse_query(m, n, transport, &q);
    q.info.time = now_seconds() - s->t0;
    if (peer != NULL && peer->ss_family == AF_INET) q.info.peer_port = ntohs(((const struct sockaddr_in *)peer)->sin_port);
    if (conn != NULL) q.info.peer_port = conn->peer_port;
    int index = -1;
    ds_step *st = choose_step(s, transport, q.info.qtype, q.info.qname, &index);
    q.info.step = index;
    record(s, &q.info);
    if (st == NULL) return;
    if (st->delay_ms) sleep_ms_(st->delay_ms);
    unsigned char *out = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < st->npkts; ++i) {
        const ds_pkt *p = st->pkts[i];
        size_t len = assemble(p, &q, &out, &cap);
        if (transport == DS_UDP) {
            if (p->cut != DS_NONE && p->cut < len) len = p->cut;
            if (sendto(s->udp_fd, out, len, 0, (const struct sockaddr *)peer, peer_len) >= 0) {
                pthread_mutex_lock(&s->lock);
                s->sent++;
                pthread_mutex_unlock(&s->lock);
            }
        } else if (conn != NULL && conn->fd >= 0) {
            unsigned char prefix[2] = {(unsigned char)(len >> 8), (unsigned char)len};
            size_t body = len;
            if (p->cut != DS_NONE && p->cut < len) body = p->cut;
            int fd = conn->fd;
            int bad = write_all(fd, prefix, 2) != 0 || write_all(fd, out, body) != 0;
            pthread_mutex_lock(&s->lock);
            s->sent++;
            pthread_mutex_unlock(&s->lock);
            if (bad || body < len) {
                close_conn(conn);
                break;
            }
        }
    }
    free(out);
    if (transport == DS_TCP && st->close && conn != NULL && conn->fd >= 0) close_conn(conn);
}

static void handle_tcp_data(ds_server *s, ds_conn *c) {
    unsigned char tmp[65536];
    ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (r <= 0) {
        close_conn(c);
        return;
    }
    if (c->len + (size_t)r > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + (size_t)r) cap *= 2;
        c->buf = xrealloc(c->buf, cap);
        c->cap = cap;
    }
    memcpy(c->buf + c->len, tmp, (size_t)r);
    c->len += (size_t)r;
    while (c->fd >= 0 && c->len >= 2) {
        size_t frame = (size_t)c->buf[0] << 8 | c->buf[1];
        if (c->len < 2 + frame) break;
        unsigned char *msg = xcalloc(frame ? frame : 1, 1);
        memcpy(msg, c->buf + 2, frame);
        memmove(c->buf, c->buf + 2 + frame, c->len - 2 - frame);
        c->len -= 2 + frame;
        answer(s, msg, frame, DS_TCP, NULL, 0, c);
        free(msg);
    }
}

static void *server_main(void *arg) {
    ds_server *s = arg;
    unsigned char *buf = xcalloc(65536, 1);
    for (;;) {
        struct pollfd pfds[3 + DS_MAX_CONNS];
        int map[3 + DS_MAX_CONNS];
        nfds_t n = 0;
        pfds[n].fd = s->stop_fd;
        pfds[n].events = POLLIN;
        map[n++] = -1;
        pfds[n].fd = s->udp_fd;
        pfds[n].events = POLLIN;
        map[n++] = -2;
        pfds[n].fd = s->tcp_fd;
        pfds[n].events = POLLIN;
        map[n++] = -3;
        for (int i = 0; i < DS_MAX_CONNS; ++i)
            if (s->conns[i].fd >= 0) {
                pfds[n].fd = s->conns[i].fd;
                pfds[n].events = POLLIN;
                map[n++] = i;
            }
        int rc = poll(pfds, n, 1000);
        if (rc < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pfds[0].revents) break;
        for (nfds_t i = 1; i < n; ++i) {
            if (!pfds[i].revents) continue;
            if (map[i] == -2) {
                for (int k = 0; k < 256; ++k) {
                    struct sockaddr_storage peer;
                    socklen_t plen = sizeof peer;
                    ssize_t r = recvfrom(s->udp_fd, buf, 65536, MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
                    if (r < 0) break;
                    answer(s, buf, (size_t)r, DS_UDP, &peer, plen, NULL);
                }
            } else if (map[i] == -3) {
                struct sockaddr_in from;
                socklen_t flen = sizeof from;
                int fd = accept4(s->tcp_fd, (struct sockaddr *)&from, &flen, SOCK_CLOEXEC);
                if (fd < 0) continue;
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                int slot = -1;
                for (int k = 0; k < DS_MAX_CONNS; ++k)
                    if (s->conns[k].fd < 0) {
                        slot = k;
                        break;
                    }
                if (slot < 0) {
                    close(fd);
                    continue;
                }
                s->conns[slot].fd = fd;
                s->conns[slot].peer_port = ntohs(from.sin_port);
                pthread_mutex_lock(&s->lock);
                s->tcp_accepted++;
                pthread_mutex_unlock(&s->lock);
            } else if (map[i] >= 0) {
                ds_conn *c = &s->conns[map[i]];
                if (c->fd == pfds[i].fd) handle_tcp_data(s, c);
            }
        }
    }
    free(buf);
    return NULL;
}

/* ---- running ---------------------------------------------------------------------------- */

unsigned ds_start(ds_server *s) {
    if (s->started) return s->port;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0; attempt < 50; ++attempt) {
        int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (u < 0 || t < 0) {
            if (u >= 0) close(u);
            if (t >= 0) close(t);
            return 0;
        }
        int one = 1;
        setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int big = 1 << 20;
        setsockopt(u, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (bind(u, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(u, (struct sockaddr *)&a, &len) != 0) {
            close(u);
            close(t);
            return 0;
        }
        if (bind(t, (struct sockaddr *)&a, sizeof a) != 0 || listen(t, 64) != 0) {
            close(u);
            close(t);
            continue; /* the TCP side of that port is taken: another port */
        }
        s->udp_fd = u;
        s->tcp_fd = t;
        s->port = ntohs(a.sin_port);
        break;
    }
    if (s->udp_fd < 0) return 0;
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    snprintf(s->address, sizeof s->address, "127.0.0.1:%u", s->port);
    s->t0 = now_seconds();
    if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
        close(s->udp_fd);
        close(s->tcp_fd);
        close(s->stop_fd);
        s->udp_fd = s->tcp_fd = s->stop_fd = -1;
        return 0;
    }
    s->started = 1;
    return s->port;
}

unsigned ds_port(const ds_server *s) { return s->port; }
const char *ds_address(const ds_server *s) { return s->address; }

void ds_stop(ds_server *s) {
    if (s == NULL || !s->started || s->stopped) return;
    uint64_t one = 1;
    if (write(s->stop_fd, &one, sizeof one) < 0) { /* the thread also wakes every second */
    }
    pthread_join(s->thread, NULL);
    s->stopped = 1;
    for (int i = 0; i < DS_MAX_CONNS; ++i) close_conn(&s->conns[i]);
    close(s->udp_fd);
    close(s->tcp_fd);
    close(s->stop_fd);
    s->udp_fd = s->tcp_fd = s->stop_fd = -1;
}

void ds_free(ds_server *s) {
    if (s == NULL) return;
    ds_stop(s);
    pthread_mutex_lock(&all_lock);
    for (ds_server **pp = &all_servers; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    pthread_mutex_unlock(&all_lock);
    for (size_t i = 0; i < s->nsteps; ++i) {
        ds_step *st = s->steps[i];
        for (size_t k = 0; k < st->npkts; ++k) {
            free(st->pkts[k]->body);
            free(st->pkts[k]->qname);
            free(st->pkts[k]);
        }
        free(st->pkts);
        free(st->qname);
        free(st);
    }
    free(s->steps);
    free(s->queries);
    free(s->describe);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void ds_cleanup_all(void) {
    for (;;) {
        pthread_mutex_lock(&all_lock);
        ds_server *s = all_servers;
        pthread_mutex_unlock(&all_lock);
        if (s == NULL) return;
        ds_free(s);
    }
}

/* ---- results ---------------------------------------------------------------------------- */

size_t ds_query_count(ds_server *s, unsigned transports) {
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nqueries; ++i) n += (s->queries[i].transport & transports) != 0;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t ds_query_count_type(ds_server *s, unsigned qtype) {
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nqueries; ++i) n += s->queries[i].qtype == qtype;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const ds_query_info *ds_query(ds_server *s, size_t i) {
    static __thread ds_query_info slots[8];
    static __thread unsigned next;
    const ds_query_info *r = NULL;
    pthread_mutex_lock(&s->lock);
    if (i < s->nqueries) {
        ds_query_info *slot = &slots[next++ % 8];
        *slot = s->queries[i];
        r = slot;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

size_t ds_tcp_connections(ds_server *s) {
    pthread_mutex_lock(&s->lock);
    size_t n = s->tcp_accepted;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t ds_packets_sent(ds_server *s) {
    pthread_mutex_lock(&s->lock);
    size_t n = s->sent;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static const char *type_name(unsigned t) {
    switch (t) {
    case DS_TYPE_A: return "A";
    case DS_TYPE_AAAA: return "AAAA";
    case DS_TYPE_MX: return "MX";
    case DS_TYPE_CNAME: return "CNAME";
    case DS_TYPE_TXT: return "TXT";
    case DS_TYPE_SRV: return "SRV";
    case DS_TYPE_NS: return "NS";
    case DS_TYPE_SOA: return "SOA";
    default: return "?";
    }
}

const char *ds_describe(ds_server *s) {
    size_t cap = 8192, n = 0;
    char *text = xcalloc(cap, 1);
    pthread_mutex_lock(&s->lock);
    size_t udp = 0, tcp = 0;
    for (size_t i = 0; i < s->nqueries; ++i) {
        udp += s->queries[i].transport == DS_UDP;
        tcp += s->queries[i].transport == DS_TCP;
    }
    n += (size_t)snprintf(text + n, cap - n, "%s on %s: %zu queries (udp %zu, tcp %zu, %zu connections)", s->name,
                          s->address, s->nqueries, udp, tcp, s->tcp_accepted);
    for (size_t i = 0; i < s->nqueries && i < 24 && n + 200 < cap; ++i) {
        const ds_query_info *q = &s->queries[i];
        n += (size_t)snprintf(text + n, cap - n, "\n    %.3fs %s id=%04x %s %s%s step %d", q->time,
                              q->transport == DS_UDP ? "udp" : "tcp", q->id, type_name(q->qtype), q->qname,
                              q->has_opt ? " +edns" : "", q->step);
    }
    pthread_mutex_unlock(&s->lock);
    free(s->describe);
    s->describe = text;
    return text;
}
