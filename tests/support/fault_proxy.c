/* fault_proxy.c - the TCP fault proxy and UDP relay of fault_proxy.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "fault_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A flow stops reading its sender while this much waits to be forwarded. */
#define FLOW_CAP (256 * 1024)
/* Longest poll sleep, so holds and pauses are served on time. */
#define TICK_MS 50
#define SWAP_HOLD_MS 1000

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "fault_proxy: out of memory\n");
        abort();
    }
    return q;
}

static void append(char **buf, size_t *len, size_t *cap, const void *data, size_t n) {
    if (*len + n > *cap) {
        *cap = (*len + n) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Closes with SO_LINGER 0: the peer sees RST instead of FIN. */
static void reset_fd(int *fd) {
    if (*fd < 0) return;
    struct linger lg = {1, 0};
    setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close_fd(fd);
}

static void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static struct sockaddr_in loopback(unsigned port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* A socket bound to 127.0.0.1:*port (0: a port the kernel picks, stored back); -1 on failure. */
static int bind_loopback(int type, unsigned *port) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = loopback(*port);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || (type == SOCK_STREAM && listen(fd, 16) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    set_nonblocking(fd);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Both kinds share the thread plumbing: a wake pipe, a lock, a registry. */
typedef struct runner {
    char name[128];
    unsigned upstream_port;
    pthread_t thread;
    pthread_mutex_t lock;
    int wake[2];
    int started, stopping, stopped;
    void (*stop)(void *);
    void (*release)(void *);
    void *self;
    struct runner *next;
} runner;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static runner *registry;

static void runner_init(runner *r, void *self, unsigned upstream_port, const char *name, void (*stop)(void *),
                        void (*release)(void *)) {
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    r->upstream_port = upstream_port;
    pthread_mutex_init(&r->lock, NULL);
    r->wake[0] = r->wake[1] = -1;
    r->self = self;
    r->stop = stop;
    r->release = release;
    pthread_mutex_lock(&registry_lock);
    r->next = registry;
    registry = r;
    pthread_mutex_unlock(&registry_lock);
}

static int runner_start(runner *r, void *(*body)(void *)) {
    if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    if (pthread_create(&r->thread, NULL, body, r->self) != 0) return -1;
    r->started = 1;
    return 0;
}

/* Tells the thread to finish its last pass and joins it. */
static void runner_join(runner *r) {
    if (r->started && !r->stopped) {
        pthread_mutex_lock(&r->lock);
        r->stopping = 1;
        pthread_mutex_unlock(&r->lock);
        ssize_t ignored = write(r->wake[1], "x", 1);
        (void)ignored;
        pthread_join(r->thread, NULL);
    }
    r->stopped = 1;
    close_fd(&r->wake[0]);
    close_fd(&r->wake[1]);
}

static void runner_unregister(runner *r) {
    pthread_mutex_lock(&registry_lock);
    for (runner **at = &registry; *at; at = &(*at)->next)
        if (*at == r) {
            *at = r->next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_destroy(&r->lock);
}

static int stopping(runner *r) {
    pthread_mutex_lock(&r->lock);
    int s = r->stopping;
    pthread_mutex_unlock(&r->lock);
    return s;
}

void fp_cleanup_all(void) {
    for (;;) {
        pthread_mutex_lock(&registry_lock);
        runner *r = registry;
        pthread_mutex_unlock(&registry_lock);
        if (r == NULL) return;
        r->stop(r->self);
        r->release(r->self); /* unregisters it */
    }
}

/* ==== TCP proxy ============================================================================ */

enum fp_kind { FP_DELAY, FP_FRAGMENT, FP_STALL, FP_RESET, FP_TRUNCATE, FP_DROP_UPSTREAM };

typedef struct {
    enum fp_kind kind;
    fp_direction dir;
    char *anchor; /* NULL: the connection's start */
    uint64_t offset, length;
    size_t piece;
    unsigned ms;
} fp_rule;

typedef struct {
    int armed, fired;
    uint64_t base;
} rule_state;

typedef struct {
    uint64_t received, forwarded;
    char *buf; /* received, not yet forwarded */
    size_t len, cap;
    int64_t hold_until;
    size_t piece;
    unsigned pause_ms;
    uint64_t fragment_end;
    int stalled, source_done, blocked;
} flow;

typedef struct {
    int client, upstream;
    int client_eof; /* the client closed its side (or vanished) */
    flow f[2];      /* f[FP_UP]: client to upstream; f[FP_DOWN]: upstream to client */
    char *sent;     /* every byte the client sent */
    size_t sent_len, sent_cap;
    rule_state *rs;
} fp_conn;

struct fp_proxy {
    runner r;
    int listen_fd;
    fp_rule *rules;
    size_t nrules;
    fp_conn *conns;
    size_t nconns;
    int arm_pending;
    /* results, read without the lock */
    _Atomic uint64_t received[2], forwarded[2];
    _Atomic unsigned fired, accepted;
    char *escaped;
};

static void fp_stop_any(void *p) { fp_stop(p); }
static void fp_free_any(void *p) { fp_free(p); }

fp_proxy *fp_new(unsigned upstream_port, const char *name) {
    fp_proxy *p = calloc(1, sizeof *p);
    if (p == NULL) abort();
    p->listen_fd = -1;
    runner_init(&p->r, p, upstream_port, name, fp_stop_any, fp_free_any);
    return p;
}

static fp_rule *add_rule(fp_proxy *p, enum fp_kind kind, fp_direction dir, const char *anchor, uint64_t offset) {
    p->rules = xrealloc(p->rules, (p->nrules + 1) * sizeof *p->rules);
    fp_rule *r = &p->rules[p->nrules++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->dir = dir;
    r->anchor = anchor ? strdup(anchor) : NULL;
    r->offset = offset;
    return r;
}

void fp_delay(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset, unsigned ms) {
    add_rule(p, FP_DELAY, dir, anchor, offset)->ms = ms;
}
void fp_fragment(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset, size_t piece, unsigned pause_ms,
                 uint64_t length) {
    fp_rule *r = add_rule(p, FP_FRAGMENT, dir, anchor, offset);
    r->piece = piece ? piece : 1;
    r->ms = pause_ms;
    r->length = length;
}
void fp_stall(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset) {
    add_rule(p, FP_STALL, dir, anchor, offset);
}
void fp_reset(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset) {
    add_rule(p, FP_RESET, dir, anchor, offset);
}
void fp_truncate(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset) {
    add_rule(p, FP_TRUNCATE, dir, anchor, offset);
}
void fp_drop_upstream(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset) {
    add_rule(p, FP_DROP_UPSTREAM, dir, anchor, offset);
}

void fp_arm(fp_proxy *p) {
    pthread_mutex_lock(&p->r.lock);
    p->arm_pending = 1;
    pthread_mutex_unlock(&p->r.lock);
}

/* Ends both sides for good; the transcript stays. */
static void conn_close(fp_conn *c) {
    close_fd(&c->client);
    close_fd(&c->upstream);
    c->client_eof = 1;
    for (int d = 0; d < 2; ++d) c->f[d].len = 0;
}

static void fire(fp_proxy *p, fp_conn *c, const fp_rule *r, rule_state *s) {
    flow *f = &c->f[r->dir];
    s->fired = 1;
    p->fired++;
    switch (r->kind) {
    case FP_DELAY: f->hold_until = now_ms() + r->ms; break;
    case FP_FRAGMENT:
        f->piece = r->piece;
        f->pause_ms = r->ms;
        f->fragment_end = f->forwarded + r->length;
        break;
    case FP_STALL:
        f->stalled = 1;
        f->len = 0;
        break;
    case FP_RESET:
        reset_fd(&c->client);
        close_fd(&c->upstream);
        conn_close(c);
        break;
    case FP_TRUNCATE:
        if (c->client >= 0) shutdown(c->client, SHUT_WR);
        close_fd(&c->upstream);
        c->f[FP_UP].len = c->f[FP_DOWN].len = 0;
        c->f[FP_DOWN].source_done = 1;
        break;
    case FP_DROP_UPSTREAM:
        reset_fd(&c->upstream);
        c->f[FP_UP].len = c->f[FP_DOWN].len = 0;
        c->f[FP_DOWN].stalled = 1; /* no FIN follows: the client hears nothing more */
        break;
    }
}

/* Acts on the rules of dir whose offset the flow has reached; returns how
   many bytes may go before the next one (SIZE_MAX: no limit). */
static size_t fire_due(fp_proxy *p, fp_conn *c, fp_direction dir) {
    flow *f = &c->f[dir];
    size_t limit = SIZE_MAX;
    for (size_t i = 0; i < p->nrules; ++i) {
        const fp_rule *r = &p->rules[i];
        rule_state *s = &c->rs[i];
        if (r->dir != dir || s->fired || !s->armed) continue;
        uint64_t at = s->base + r->offset;
        if (at <= f->forwarded) {
            fire(p, c, r, s);
            if (c->client < 0) return 0;
        } else if (at - f->forwarded < limit) {
            limit = (size_t)(at - f->forwarded);
        }
    }
    return limit;
}

/* Arms the anchored rules that the client bytes just read (from offset from) satisfy. */
static void arm_anchors(fp_proxy *p, fp_conn *c, size_t from) {
    int armed_now = p->arm_pending;
    p->arm_pending = 0;
    for (size_t i = 0; i < p->nrules; ++i) {
        const fp_rule *r = &p->rules[i];
        rule_state *s = &c->rs[i];
        if (s->armed || r->anchor == NULL) continue;
        uint64_t up_at = from;
        if (strcmp(r->anchor, FP_ARMED) == 0) {
            if (!armed_now) continue;
        } else {
            size_t n = strlen(r->anchor);
            size_t start = from >= n ? from - n + 1 : 0;
            const char *hit = c->sent_len > start ? memmem(c->sent + start, c->sent_len - start, r->anchor, n) : NULL;
            if (hit == NULL) continue;
            up_at = (uint64_t)(hit - c->sent);
        }
        s->armed = 1;
        s->base = r->dir == FP_UP ? up_at : c->f[FP_DOWN].received;
    }
}

static void fp_accept(fp_proxy *p) {
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = loopback(p->r.upstream_port);
    if (up < 0 || connect(up, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "fault_proxy %s: cannot reach upstream port %u: %s\n", p->r.name, p->r.upstream_port,
                strerror(errno));
        if (up >= 0) close(up);
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblocking(fd);
    set_nonblocking(up);
    p->conns = xrealloc(p->conns, (p->nconns + 1) * sizeof *p->conns);
    fp_conn *c = &p->conns[p->nconns++];
    memset(c, 0, sizeof *c);
    c->client = fd;
    c->upstream = up;
    p->accepted++;
    c->rs = calloc(p->nrules + 1, sizeof *c->rs);
    if (c->rs == NULL) abort();
    for (size_t i = 0; i < p->nrules; ++i) c->rs[i].armed = p->rules[i].anchor == NULL;
}

/* Reads what the sender of dir has; returns 0 when it has nothing more now. */
static int fp_read(fp_proxy *p, fp_conn *c, fp_direction dir) {
    flow *f = &c->f[dir];
    int fd = dir == FP_UP ? c->client : c->upstream;
    char chunk[65536];
    ssize_t n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    if (n <= 0) {
        if (dir == FP_UP) {
            c->client_eof = 1;
            if (n < 0) conn_close(c); /* the client reset: nothing more to do */
        }
        f->source_done = 1;
        return 0;
    }
    p->received[dir] += (uint64_t)n;
    if (dir == FP_UP) {
        size_t from = c->sent_len;
        append(&c->sent, &c->sent_len, &c->sent_cap, chunk, (size_t)n);
        arm_anchors(p, c, from);
    }
    f->received += (uint64_t)n;
    int gone = dir == FP_UP ? c->upstream < 0 : c->client < 0;
    if (!f->stalled && !gone) append(&f->buf, &f->len, &f->cap, chunk, (size_t)n);
    return 1;
}

/* Forwards what dir may send now, acting on the rules on the way. */
static void fp_forward(fp_proxy *p, fp_conn *c, fp_direction dir) {
    flow *f = &c->f[dir];
    for (;;) {
        if (c->client < 0 || f->stalled || now_ms() < f->hold_until) return;
        size_t limit = fire_due(p, c, dir);
        int to = dir == FP_UP ? c->upstream : c->client;
        if (c->client < 0 || f->stalled || to < 0 || now_ms() < f->hold_until) return;
        if (f->len == 0) {
            /* The sender finished and everything went: pass its FIN on. */
            if (f->source_done && dir == FP_DOWN && c->upstream >= 0) {
                shutdown(c->client, SHUT_WR);
                close_fd(&c->upstream);
            } else if (f->source_done && dir == FP_UP && c->upstream >= 0) {
                shutdown(c->upstream, SHUT_WR);
            }
            return;
        }
        size_t n = f->len < limit ? f->len : limit;
        int fragmenting = f->fragment_end > f->forwarded;
        if (fragmenting) {
            if (n > f->piece) n = f->piece;
            if (n > f->fragment_end - f->forwarded) n = (size_t)(f->fragment_end - f->forwarded);
        }
        ssize_t sent = send(to, f->buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        f->blocked = 0;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            f->blocked = 1;
            return;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) { /* the receiver is gone */
            if (dir == FP_DOWN) conn_close(c);
            else close_fd(&c->upstream);
            return;
        }
        memmove(f->buf, f->buf + sent, f->len - (size_t)sent);
        f->len -= (size_t)sent;
        f->forwarded += (uint64_t)sent;
        p->forwarded[dir] += (uint64_t)sent;
        if (fragmenting && f->pause_ms > 0) f->hold_until = now_ms() + f->pause_ms;
    }
}

/* The poll timeout that serves the nearest hold or pause. */
static int next_wait(const fp_proxy *p) {
    int64_t now = now_ms(), wait = TICK_MS;
    for (size_t i = 0; i < p->nconns; ++i)
        for (int d = 0; d < 2; ++d) {
            const flow *f = &p->conns[i].f[d];
            if (f->hold_until > now && f->hold_until - now < wait) wait = f->hold_until - now;
        }
    return (int)wait;
}

static void *fp_thread(void *arg) {
    fp_proxy *p = arg;
    struct pollfd *fds = NULL;
    for (;;) {
        pthread_mutex_lock(&p->r.lock);
        int last_pass = p->r.stopping;
        for (size_t i = 0; i < p->nconns; ++i) {
            fp_conn *c = &p->conns[i];
            /* Read the client to its end; the server only while its bytes can go on. */
            if (c->client >= 0 && !c->client_eof)
                while (fp_read(p, c, FP_UP) && c->client >= 0) {
                }
            if (c->upstream >= 0 && !c->f[FP_DOWN].source_done && !c->f[FP_DOWN].stalled &&
                c->f[FP_DOWN].len < FLOW_CAP)
                fp_read(p, c, FP_DOWN);
            fp_forward(p, c, FP_UP);
            fp_forward(p, c, FP_DOWN);
            if (c->client_eof && c->client >= 0 && c->f[FP_UP].len == 0) {
                close_fd(&c->client);
                close_fd(&c->upstream);
            }
        }
        if (last_pass) {
            pthread_mutex_unlock(&p->r.lock);
            break;
        }
        fds = xrealloc(fds, (2 * p->nconns + 2) * sizeof *fds);
        size_t nfds = 0;
        fds[nfds++] = (struct pollfd){p->r.wake[0], POLLIN, 0};
        fds[nfds++] = (struct pollfd){p->listen_fd, POLLIN, 0};
        for (size_t i = 0; i < p->nconns; ++i) {
            fp_conn *c = &p->conns[i];
            /* A socket with nothing to wait for stays out: poll would keep reporting its hangup. */
            if (c->client >= 0) {
                short ev = c->client_eof ? 0 : POLLIN;
                if (c->f[FP_DOWN].blocked) ev |= POLLOUT;
                if (ev) fds[nfds++] = (struct pollfd){c->client, ev, 0};
            }
            if (c->upstream >= 0) {
                short ev = 0;
                if (!c->f[FP_DOWN].source_done && !c->f[FP_DOWN].stalled && c->f[FP_DOWN].len < FLOW_CAP) ev |= POLLIN;
                if (c->f[FP_UP].blocked) ev |= POLLOUT;
                if (ev) fds[nfds++] = (struct pollfd){c->upstream, ev, 0};
            }
        }
        int wait = next_wait(p);
        pthread_mutex_unlock(&p->r.lock);
        poll(fds, nfds, wait);
        if (fds[1].revents & POLLIN) {
            pthread_mutex_lock(&p->r.lock);
            fp_accept(p);
            pthread_mutex_unlock(&p->r.lock);
        }
        if (stopping(&p->r)) continue; /* one more pass reads what the client sent last */
    }
    free(fds);
    return NULL;
}

unsigned fp_start(fp_proxy *p) { return fp_start_on(p, 0); }

unsigned fp_start_on(fp_proxy *p, unsigned port) {
    p->listen_fd = bind_loopback(SOCK_STREAM, &port);
    if (p->listen_fd < 0 || runner_start(&p->r, fp_thread) != 0) return 0;
    return port;
}

void fp_stop(fp_proxy *p) {
    runner_join(&p->r);
    close_fd(&p->listen_fd);
    for (size_t i = 0; i < p->nconns; ++i) conn_close(&p->conns[i]);
}

void fp_free(fp_proxy *p) {
    if (p == NULL) return;
    fp_stop(p);
    runner_unregister(&p->r);
    for (size_t i = 0; i < p->nrules; ++i) free(p->rules[i].anchor);
    for (size_t i = 0; i < p->nconns; ++i) {
        fp_conn *c = &p->conns[i];
        free(c->sent);
        free(c->rs);
        for (int d = 0; d < 2; ++d) free(c->f[d].buf);
    }
    free(p->rules);
    free(p->conns);
    free(p->escaped);
    free(p);
}

uint64_t fp_received(fp_proxy *p, fp_direction dir) { return p->received[dir]; }
uint64_t fp_forwarded(fp_proxy *p, fp_direction dir) { return p->forwarded[dir]; }
unsigned fp_connections(fp_proxy *p) { return p->accepted; }
unsigned fp_fired(fp_proxy *p) { return p->fired; }

int fp_client_sent(fp_proxy *p, const char *text) {
    size_t n = strlen(text);
    int found = 0;
    pthread_mutex_lock(&p->r.lock);
    for (size_t i = 0; i < p->nconns && !found; ++i)
        found = memmem(p->conns[i].sent, p->conns[i].sent_len, text, n) != NULL;
    pthread_mutex_unlock(&p->r.lock);
    return found;
}

const char *fp_client_text(fp_proxy *p, unsigned index) {
    pthread_mutex_lock(&p->r.lock);
    const char *data = index < p->nconns ? p->conns[index].sent : "";
    size_t n = index < p->nconns ? p->conns[index].sent_len : 0;
    p->escaped = xrealloc(p->escaped, 4 * n + 1);
    char *out = p->escaped;
    for (size_t i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\r') out += sprintf(out, "\\r");
        else if (ch == '\n') out += sprintf(out, "\\n");
        else if (ch < 0x20 || ch >= 0x7f || ch == '\\') out += sprintf(out, "\\x%02X", ch);
        else *out++ = (char)ch;
    }
    *out = '\0';
    pthread_mutex_unlock(&p->r.lock);
    return p->escaped;
}

/* ==== UDP relay ============================================================================= */

enum fu_kind { FU_DROP, FU_DELAY, FU_TRUNCATE, FU_DUPLICATE, FU_SWAP };

typedef struct {
    enum fu_kind kind;
    fp_direction dir;
    uint32_t first, count;
    unsigned ms;
    size_t size;
} fu_rule;

typedef struct {
    fp_direction dir;
    int64_t due;
    int held; /* a swap: waits for the next datagram of its direction */
    struct sockaddr_in to;
    size_t len;
    unsigned char data[65536];
} datagram;

/* Where the answer to a DNS id goes: the client that asked. */
typedef struct {
    uint16_t id;
    struct sockaddr_in from;
} asker;

struct fu_relay {
    runner r;
    int front, back; /* front: the clients' side; back: towards the server */
    fu_rule *rules;
    size_t nrules;
    datagram **queue;
    size_t nqueue;
    asker askers[64];
    size_t nasked;
    /* results, read without the lock */
    _Atomic unsigned received[2], sent[2];
    _Atomic size_t last_size[2];
};

static void fu_stop_any(void *u) { fu_stop(u); }
static void fu_free_any(void *u) { fu_free(u); }

fu_relay *fu_new(unsigned upstream_port, const char *name) {
    fu_relay *u = calloc(1, sizeof *u);
    if (u == NULL) abort();
    u->front = u->back = -1;
    runner_init(&u->r, u, upstream_port, name, fu_stop_any, fu_free_any);
    return u;
}

static fu_rule *fu_add(fu_relay *u, enum fu_kind kind, fp_direction dir, uint32_t first, uint32_t count) {
    u->rules = xrealloc(u->rules, (u->nrules + 1) * sizeof *u->rules);
    fu_rule *r = &u->rules[u->nrules++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->dir = dir;
    r->first = first;
    r->count = count;
    return r;
}

void fu_drop(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count) { fu_add(u, FU_DROP, dir, first, count); }
void fu_delay(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count, unsigned ms) {
    fu_add(u, FU_DELAY, dir, first, count)->ms = ms;
}
void fu_truncate(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count, size_t size) {
    fu_add(u, FU_TRUNCATE, dir, first, count)->size = size;
}
void fu_duplicate(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count) {
    fu_add(u, FU_DUPLICATE, dir, first, count);
}
void fu_swap(fu_relay *u, fp_direction dir, uint32_t index) { fu_add(u, FU_SWAP, dir, index, 1); }

static int applies(const fu_rule *r, fp_direction dir, uint32_t index) {
    return r->dir == dir && index >= r->first && (r->count == FU_ALL || index - r->first < r->count);
}

static void enqueue(fu_relay *u, const datagram *d) {
    u->queue = xrealloc(u->queue, (u->nqueue + 1) * sizeof *u->queue);
    datagram *copy = malloc(sizeof *copy);
    if (copy == NULL) abort();
    *copy = *d;
    u->queue[u->nqueue++] = copy;
}

static uint16_t dns_id(const unsigned char *data, size_t len) {
    return len >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
}

/* Reads one datagram from the side of dir and queues it as the rules say. */
static int fu_read(fu_relay *u, fp_direction dir) {
    static __thread datagram d;
    struct sockaddr_in from;
    socklen_t fromlen = sizeof from;
    int fd = dir == FP_UP ? u->front : u->back;
    ssize_t n = recvfrom(fd, d.data, sizeof d.data, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
    if (n < 0) return 0;
    uint32_t index = u->received[dir]++;
    u->last_size[dir] = (size_t)n;
    d.dir = dir;
    d.len = (size_t)n;
    d.due = now_ms();
    d.held = 0;
    if (dir == FP_UP) {
        asker *a = &u->askers[u->nasked++ % 64];
        a->id = dns_id(d.data, d.len);
        a->from = from;
        d.to = loopback(u->r.upstream_port);
    } else {
        uint16_t id = dns_id(d.data, d.len);
        size_t known = u->nasked < 64 ? u->nasked : 64;
        d.to = u->askers[(u->nasked + 63) % 64].from; /* the latest asker, unless the id says otherwise */
        for (size_t i = 0; i < known; ++i)
            if (u->askers[i].id == id) d.to = u->askers[i].from;
    }
    int copies = 1;
    for (size_t i = 0; i < u->nrules; ++i) {
        const fu_rule *r = &u->rules[i];
        if (!applies(r, dir, index)) continue;
        switch (r->kind) {
        case FU_DROP: copies = 0; break;
        case FU_DELAY: d.due += r->ms; break;
        case FU_TRUNCATE:
            if (d.len > r->size) d.len = r->size;
            break;
        case FU_DUPLICATE: copies = 2; break;
        case FU_SWAP:
            d.held = 1;
            d.due = now_ms() + SWAP_HOLD_MS;
            break;
        }
    }
    for (int i = 0; i < copies; ++i) enqueue(u, &d);
    return 1;
}

static void fu_send(fu_relay *u, size_t i) {
    datagram *d = u->queue[i];
    int fd = d->dir == FP_UP ? u->back : u->front;
    sendto(fd, d->data, d->len, MSG_DONTWAIT, (struct sockaddr *)&d->to, sizeof d->to);
    u->sent[d->dir]++;
    memmove(&u->queue[i], &u->queue[i + 1], (u->nqueue - i - 1) * sizeof *u->queue);
    u->nqueue--;
    /* A held datagram goes right after the next one of its direction. */
    if (!d->held)
        for (size_t j = 0; j < u->nqueue; ++j)
            if (u->queue[j]->held && u->queue[j]->dir == d->dir) {
                u->queue[j]->held = 0;
                u->queue[j]->due = now_ms();
            }
    free(d);
}

static void *fu_thread(void *arg) {
    fu_relay *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->r.lock);
        if (u->r.stopping) {
            pthread_mutex_unlock(&u->r.lock);
            break;
        }
        while (fu_read(u, FP_UP)) {
        }
        while (fu_read(u, FP_DOWN)) {
        }
        int64_t now = now_ms(), wait = TICK_MS;
        for (size_t i = 0; i < u->nqueue;) {
            if (u->queue[i]->due <= now) {
                fu_send(u, i);
                i = 0; /* a send may release a held datagram */
                continue;
            }
            if (u->queue[i]->due - now < wait) wait = u->queue[i]->due - now;
            ++i;
        }
        pthread_mutex_unlock(&u->r.lock);
        struct pollfd fds[3] = {{u->r.wake[0], POLLIN, 0}, {u->front, POLLIN, 0}, {u->back, POLLIN, 0}};
        poll(fds, 3, (int)wait);
    }
    return NULL;
}

/* Binds the upstream side and starts the thread, once the front socket is bound. */
static unsigned fu_run(fu_relay *u, unsigned port) {
    unsigned back_port = 0;
    u->back = bind_loopback(SOCK_DGRAM, &back_port);
    if (u->front < 0 || u->back < 0 || runner_start(&u->r, fu_thread) != 0) return 0;
    return port;
}

unsigned fu_start(fu_relay *u) {
    unsigned port = 0;
    u->front = bind_loopback(SOCK_DGRAM, &port);
    return fu_run(u, port);
}

unsigned fu_start_with_tcp(fu_relay *u, fp_proxy *tcp) {
    /* The kernel picks a free UDP port; the same number over TCP may belong to
       someone else (another test), so pick again until both are ours. */
    for (int attempt = 0; attempt < 50; ++attempt) {
        unsigned port = 0;
        u->front = bind_loopback(SOCK_DGRAM, &port);
        if (u->front < 0) return 0;
        if (fp_start_on(tcp, port) == port) return fu_run(u, port);
        close_fd(&u->front);
    }
    return 0;
}

void fu_stop(fu_relay *u) {
    runner_join(&u->r);
    close_fd(&u->front);
    close_fd(&u->back);
}

void fu_free(fu_relay *u) {
    if (u == NULL) return;
    fu_stop(u);
    runner_unregister(&u->r);
    for (size_t i = 0; i < u->nqueue; ++i) free(u->queue[i]);
    free(u->queue);
    free(u->rules);
    free(u);
}

unsigned fu_received(fu_relay *u, fp_direction dir) { return u->received[dir]; }
unsigned fu_sent(fu_relay *u, fp_direction dir) { return u->sent[dir]; }
size_t fu_last_size(fu_relay *u, fp_direction dir) { return u->last_size[dir]; }
