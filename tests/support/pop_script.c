/* pop_script.c - the scripted POP3 server of pop_script.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "pop_script.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#if defined(__SANITIZE_ADDRESS__)
#define PS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PS_ASAN 1
#endif
#endif
#ifndef PS_ASAN
#define PS_ASAN 0
#endif

enum step_kind {
    ST_SEND, ST_STREAM, ST_DRIP, ST_EXPECT, ST_EXPECT_PREFIX, ST_EXPECT_ANY, ST_EXPECT_OR_EOF,
    ST_EXPECT_TLS, ST_EXPECT_SILENCE, ST_CLOSE, ST_RESET, ST_STALL, ST_STARTTLS
};

typedef struct {
    enum step_kind kind;
    char *data;
    size_t len;
    uint64_t total;
    unsigned ms;
    int flag;
} ps_step;

struct ps_script {
    char name[160];
    ps_chunking chunking;
    uint64_t seed, rng;
    ps_step *steps;
    size_t nsteps, capsteps;
    char *quit_reply;
    unsigned step_timeout;
    int listen_fd, fd, stop_fd, done_fd;
    pthread_t thread;
    int started, finished;
    SSL_CTX *ctx;
    SSL *ssl;
    /* what the client sent */
    char *rec;
    size_t rec_len, rec_cap, consumed;
    /* results, written by the server thread, read after the join */
    char error[2048];
    int mismatch;
    size_t steps_done;
    int left_early, client_closed, tls_failed, eof_accepted;
    uint64_t bytes_sent;
    uint64_t heap_base, heap_peak;
    char *escaped;
    char describe[256];
    struct ps_script *next;
};

/* ---- globals (test thread) ------------------------------------------------------------ */

static ps_script *ps_all_;
static char ps_tls_chain_[4096], ps_tls_key_[4096];
static uint64_t ps_base_seed_;
static int ps_seed_ready_;
static unsigned ps_runs_[PS_CHUNKINGS];

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t ps_base_seed(void) {
    if (!ps_seed_ready_) {
        const char *env = getenv("INETKIT_SCRIPT_SEED");
        if (env != NULL && *env != '\0') {
            ps_base_seed_ = strtoull(env, NULL, 0);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t x = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
            ps_base_seed_ = splitmix64(&x) & 0xffffffffffffull;
        }
        ps_seed_ready_ = 1;
        fprintf(stderr, "pop_script: random chunking seed INETKIT_SCRIPT_SEED=%llu\n",
                (unsigned long long)ps_base_seed_);
    }
    return ps_base_seed_;
}

const char *ps_chunking_name(ps_chunking c) {
    switch (c) {
    case PS_ONE_BYTE: return "one-byte";
    case PS_WHOLE: return "whole";
    case PS_RANDOM: return "random";
    default: return "?";
    }
}

unsigned ps_runs(ps_chunking c) { return (unsigned)c < PS_CHUNKINGS ? ps_runs_[c] : 0; }

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_us(unsigned us) {
    struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static size_t escape_into(char *out, size_t cap, const void *data, size_t n) {
    const unsigned char *p = data;
    size_t o = 0;
    size_t i = 0;
    for (; i < n && o + 8 < cap; ++i) {
        unsigned char c = p[i];
        if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\\') { out[o++] = '\\'; out[o++] = '\\'; }
        else if (c < 0x20 || c >= 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    out[o] = '\0';
    if (i < n) snprintf(out + (o > cap - 40 ? cap - 40 : o), 40, "...(%zu bytes)", n);
    return o;
}

/* A ring of static buffers shared by both threads. */
static char ps_escape_ring_[16][8192];
static unsigned ps_escape_next_;
static pthread_mutex_t ps_escape_lock_ = PTHREAD_MUTEX_INITIALIZER;

const char *ps_escape(const void *data, size_t n) {
    pthread_mutex_lock(&ps_escape_lock_);
    char *out = ps_escape_ring_[ps_escape_next_++ % 16];
    pthread_mutex_unlock(&ps_escape_lock_);
    escape_into(out, sizeof ps_escape_ring_[0], data, n);
    return out;
}

/* ---- building --------------------------------------------------------------------------- */

ps_script *ps_new(ps_chunking chunking, const char *name) {
    ps_script *s = calloc(1, sizeof *s);
    if (s == NULL) abort();
    snprintf(s->name, sizeof s->name, "%s", name ? name : "script");
    s->chunking = chunking;
    uint64_t x = ps_base_seed() ^ ((uint64_t)chunking << 56);
    for (const char *p = s->name; *p; ++p) x = (x ^ (unsigned char)*p) * 0x100000001b3ull; /* FNV-1a */
    s->seed = splitmix64(&x);
    s->rng = s->seed;
    s->quit_reply = strdup("+OK bye\r\n");
    s->step_timeout = 5000;
    s->listen_fd = s->fd = s->stop_fd = s->done_fd = -1;
    s->next = ps_all_;
    ps_all_ = s;
    return s;
}

static ps_step *add_step(ps_script *s, enum step_kind kind, const void *data, size_t len) {
    if (s->started) {
        fprintf(stderr, "pop_script: %s: steps added after ps_start\n", s->name);
        abort();
    }
    if (s->nsteps == s->capsteps) {
        s->capsteps = s->capsteps ? s->capsteps * 2 : 16;
        s->steps = realloc(s->steps, s->capsteps * sizeof *s->steps);
        if (s->steps == NULL) abort();
    }
    ps_step *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    if (data != NULL) {
        st->data = malloc(len + 1);
        if (st->data == NULL) abort();
        memcpy(st->data, data, len);
        st->data[len] = '\0';
        st->len = len;
    }
    return st;
}

void ps_send(ps_script *s, const char *text) { add_step(s, ST_SEND, text, strlen(text)); }
void ps_send_bytes(ps_script *s, const void *data, size_t n) { add_step(s, ST_SEND, data, n); }

void ps_sendf(ps_script *s, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    char *text = NULL;
    int n = vasprintf(&text, format, ap);
    va_end(ap);
    if (n < 0) abort();
    add_step(s, ST_SEND, text, (size_t)n);
    free(text);
}

void ps_send_stream(ps_script *s, const void *pattern, size_t n, uint64_t total) {
    if (n == 0) abort();
    add_step(s, ST_STREAM, pattern, n)->total = total;
}

void ps_drip(ps_script *s, const char *text, unsigned interval_ms) {
    add_step(s, ST_DRIP, text, strlen(text))->ms = interval_ms;
}

void ps_expect(ps_script *s, const char *line) { add_step(s, ST_EXPECT, line, strlen(line)); }
void ps_expect_prefix(ps_script *s, const char *prefix) { add_step(s, ST_EXPECT_PREFIX, prefix, strlen(prefix)); }
void ps_expect_any_line(ps_script *s) { add_step(s, ST_EXPECT_ANY, NULL, 0); }
void ps_expect_or_eof(ps_script *s, const char *line) { add_step(s, ST_EXPECT_OR_EOF, line, strlen(line)); }
void ps_expect_tls_record(ps_script *s) { add_step(s, ST_EXPECT_TLS, NULL, 0); }
void ps_expect_silence(ps_script *s, unsigned ms) { add_step(s, ST_EXPECT_SILENCE, NULL, 0)->ms = ms; }
void ps_close(ps_script *s) { add_step(s, ST_CLOSE, NULL, 0); }
void ps_reset(ps_script *s) { add_step(s, ST_RESET, NULL, 0); }
void ps_stall(ps_script *s, unsigned ms) { add_step(s, ST_STALL, NULL, 0)->ms = ms; }
void ps_starttls(ps_script *s, int must_succeed) { add_step(s, ST_STARTTLS, NULL, 0)->flag = must_succeed; }

void ps_set_quit_reply(ps_script *s, const char *reply) {
    free(s->quit_reply);
    s->quit_reply = reply ? strdup(reply) : NULL;
}

void ps_set_step_timeout(ps_script *s, unsigned ms) { s->step_timeout = ms; }

void ps_set_tls_files(const char *chain_pem, const char *key_pem) {
    snprintf(ps_tls_chain_, sizeof ps_tls_chain_, "%s", chain_pem);
    snprintf(ps_tls_key_, sizeof ps_tls_key_, "%s", key_pem);
}

/* ---- the server thread: I/O ---------------------------------------------------------------- */

enum { IO_OK = 1, IO_EOF = 0, IO_ERROR = -1, IO_STOP = -2, IO_TIMEOUT = -3 };

static void set_error(ps_script *s, int mismatch, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void set_error(ps_script *s, int mismatch, const char *format, ...) {
    if (mismatch) s->mismatch = 1;
    if (s->error[0] != '\0') return; /* keep the first */
    va_list ap;
    va_start(ap, format);
    vsnprintf(s->error, sizeof s->error, format, ap);
    va_end(ap);
}

/* Waits for events on the connection or the stop signal, until deadline (0: forever). */
static int wait_fd(ps_script *s, int fd, short events, uint64_t deadline) {
    for (;;) {
        struct pollfd p[2] = {{fd, events, 0}, {s->stop_fd, POLLIN, 0}};
        int timeout = -1;
        if (deadline != 0) {
            uint64_t now = now_ms();
            if (now >= deadline) return IO_TIMEOUT;
            timeout = (int)(deadline - now);
        }
        int rc = poll(p, 2, timeout);
        if (rc < 0) {
            if (errno == EINTR) continue;
            return IO_ERROR;
        }
        if (p[1].revents) return IO_STOP;
        if (rc == 0) return IO_TIMEOUT;
        if (p[0].revents) return IO_OK;
    }
}

static void record(ps_script *s, const char *data, size_t n) {
    if (s->rec_len + n + 1 > s->rec_cap) {
        size_t cap = s->rec_cap ? s->rec_cap : 4096;
        while (cap < s->rec_len + n + 1) cap *= 2;
        char *grown = realloc(s->rec, cap);
        if (grown == NULL) abort();
        s->rec = grown;
        s->rec_cap = cap;
    }
    memcpy(s->rec + s->rec_len, data, n);
    s->rec_len += n;
    s->rec[s->rec_len] = '\0';
}

/* Reads what the client has sent (at least one byte) into the record. */
static int fill(ps_script *s, uint64_t deadline) {
    char buf[16384];
    if (s->fd < 0) return IO_ERROR;
    for (;;) {
        if (s->ssl != NULL) {
            ERR_clear_error();
            int n = SSL_read(s->ssl, buf, sizeof buf);
            if (n > 0) {
                record(s, buf, (size_t)n);
                return IO_OK;
            }
            int e = SSL_get_error(s->ssl, n);
            short events;
            if (e == SSL_ERROR_WANT_READ) events = POLLIN;
            else if (e == SSL_ERROR_WANT_WRITE) events = POLLOUT;
            else if (e == SSL_ERROR_ZERO_RETURN) { s->client_closed = 1; return IO_EOF; }
            else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && n == 0) { s->client_closed = 1; return IO_EOF; }
            else {
                /* an unexpected EOF (no close_notify) reads as SSL_R_UNEXPECTED_EOF_WHILE_READING */
                unsigned long err = ERR_peek_error();
                if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) { s->client_closed = 1; return IO_EOF; }
                return IO_ERROR;
            }
            int rc = wait_fd(s, s->fd, events, deadline);
            if (rc != IO_OK) return rc;
        } else {
            ssize_t n = recv(s->fd, buf, sizeof buf, 0);
            if (n > 0) {
                record(s, buf, (size_t)n);
                return IO_OK;
            }
            if (n == 0) { s->client_closed = 1; return IO_EOF; }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return IO_ERROR;
            int rc = wait_fd(s, s->fd, POLLIN, deadline);
            if (rc != IO_OK) return rc;
        }
    }
}

/* Writes n bytes with as few calls as the kernel allows (one TLS record per call up to 16 KiB). */
static int write_all(ps_script *s, const char *p, size_t n) {
    uint64_t deadline = now_ms() + s->step_timeout;
    while (n > 0) {
        if (s->fd < 0) return IO_ERROR;
        if (s->ssl != NULL) {
            ERR_clear_error();
            int k = SSL_write(s->ssl, p, (int)(n > 16384 ? 16384 : n));
            if (k > 0) {
                p += k; n -= (size_t)k; s->bytes_sent += (uint64_t)k;
                continue;
            }
            int e = SSL_get_error(s->ssl, k);
            short events;
            if (e == SSL_ERROR_WANT_WRITE) events = POLLOUT;
            else if (e == SSL_ERROR_WANT_READ) events = POLLIN;
            else return IO_ERROR;
            int rc = wait_fd(s, s->fd, events, deadline);
            if (rc != IO_OK) return rc;
        } else {
            ssize_t k = send(s->fd, p, n, MSG_NOSIGNAL);
            if (k > 0) {
                p += k; n -= (size_t)k; s->bytes_sent += (uint64_t)k;
                continue;
            }
            if (k < 0 && errno == EINTR) continue;
            if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return IO_ERROR;
            int rc = wait_fd(s, s->fd, POLLOUT, deadline);
            if (rc != IO_OK) return rc;
        }
    }
    return IO_OK;
}

/* Sleeps ms without reading, waking early for the stop signal, or when the
   client has closed or reset the connection (nothing it sends is consumed). */
static int stall(ps_script *s, unsigned ms) {
    struct pollfd p[2] = {{s->stop_fd, POLLIN, 0}, {s->fd, POLLRDHUP, 0}};
    uint64_t deadline = now_ms() + ms;
    for (;;) {
        uint64_t now = now_ms();
        if (now >= deadline) return IO_OK;
        int rc = poll(p, 2, (int)(deadline - now));
        if (rc < 0 && errno != EINTR) return IO_ERROR;
        if (rc <= 0) continue;
        if (p[0].revents) return IO_STOP;
        if (p[1].revents) return IO_OK; /* the client is gone: waiting longer proves nothing */
    }
}

static void sample_heap(ps_script *s) {
#if !PS_ASAN
    struct mallinfo2 mi = mallinfo2();
    uint64_t used = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    if (s->heap_base == 0) s->heap_base = used;
    if (used > s->heap_peak) s->heap_peak = used;
#else
    (void)s;
#endif
}

/* Writes data in the script's chunking. */
static int send_chunked(ps_script *s, const char *data, size_t n) {
    size_t off = 0;
    while (off < n) {
        size_t left = n - off, k = left;
        unsigned pause = 0;
        switch (s->chunking) {
        case PS_ONE_BYTE:
            if (off < 65536) {
                k = 1;
                if (off < 2048) pause = 30;
            } else {
                k = left < 16384 ? left : 16384;
            }
            break;
        case PS_WHOLE:
            k = left;
            break;
        case PS_RANDOM: {
            uint64_t r = splitmix64(&s->rng);
            unsigned pick = (unsigned)(r % 100u);
            if (off >= 65536) k = 16384 + (size_t)((r >> 8) % 16384u);
            else if (pick < 40) k = 1 + (size_t)((r >> 8) % 3u);
            else if (pick < 75) k = 1 + (size_t)((r >> 8) % 64u);
            else if (pick < 95) k = 1 + (size_t)((r >> 8) % 1024u);
            else k = left;
            if (k > left) k = left;
            if ((r >> 40) % 2u == 0) pause = 20 + (unsigned)((r >> 44) % 400u);
            break;
        }
        default:
            break;
        }
        int rc = write_all(s, data + off, k);
        if (rc != IO_OK) return rc;
        off += k;
        if (pause && off < n) pause_us(pause);
    }
    return IO_OK;
}

static int do_stream(ps_script *s, const ps_step *st) {
    size_t plen = st->len;
    uint64_t total = st->total, sent = 0;
    const size_t big = 65536;
    char *buf = malloc(big + plen);
    if (buf == NULL) abort();
    s->heap_base = 0;
    s->heap_peak = 0;
    sample_heap(s);
    /* the first 4 KiB in the chunking */
    size_t first = 4096;
    if (total < first) first = (size_t)total;
    for (size_t i = 0; i < first; ++i) buf[i] = st->data[i % plen];
    int rc = send_chunked(s, buf, first);
    sent = first;
    unsigned samples = 0;
    while (rc == IO_OK && sent < total) {
        size_t phase = (size_t)(sent % plen);
        uint64_t left = total - sent;
        size_t k = left < big ? (size_t)left : big;
        for (size_t i = 0; i < k; ++i) buf[i] = st->data[(phase + i) % plen];
        rc = write_all(s, buf, k);
        if (rc == IO_OK) sent += k;
        if ((++samples & 3u) == 0) sample_heap(s);
    }
    sample_heap(s);
    free(buf);
    if (rc == IO_ERROR && total == PS_UNTIL_CLOSED) return IO_OK; /* the client went away: the end */
    return rc;
}

static int line_matches(const ps_step *st, const char *line, size_t n) {
    switch (st->kind) {
    case ST_EXPECT:
    case ST_EXPECT_OR_EOF:
        return n == st->len && memcmp(line, st->data, n) == 0;
    case ST_EXPECT_PREFIX:
        return n >= st->len && memcmp(line, st->data, st->len) == 0;
    default:
        return 1;
    }
}

static int do_expect(ps_script *s, const ps_step *st, size_t index) {
    uint64_t deadline = now_ms() + s->step_timeout;
    for (;;) {
        const char *start = s->rec + s->consumed;
        size_t avail = s->rec_len - s->consumed;
        if (st->kind == ST_EXPECT_TLS) {
            if (avail >= 1 && (unsigned char)start[0] != 0x16) {
                set_error(s, 1, "%s step %zu: expected a TLS handshake record, got '%s'", s->name, index,
                          ps_escape(start, avail));
                return IO_ERROR;
            }
            if (avail >= 5) {
                size_t need = 5 + (((size_t)(unsigned char)start[3] << 8) | (unsigned char)start[4]);
                if (avail >= need) {
                    s->consumed += need;
                    return IO_OK;
                }
            }
        } else if (avail > 0) {
            const char *lf = memchr(start, '\n', avail);
            if (lf != NULL) {
                size_t n = (size_t)(lf - start) + 1;
                s->consumed += n;
                if (line_matches(st, start, n)) return IO_OK;
                set_error(s, 1, "%s step %zu: expected %s'%s', the client sent '%s'", s->name, index,
                          st->kind == ST_EXPECT_PREFIX ? "a line starting " : "",
                          st->data ? ps_escape(st->data, st->len) : "", ps_escape(start, n));
                return IO_ERROR;
            }
        }
        int rc = fill(s, deadline);
        if (rc == IO_OK) continue;
        if (rc == IO_EOF && st->kind == ST_EXPECT_OR_EOF) {
            s->eof_accepted = 1;
            return IO_EOF;
        }
        const char *why = rc == IO_EOF ? "the client closed the connection"
                        : rc == IO_TIMEOUT ? "timed out"
                        : rc == IO_STOP ? "stopped by ps_finish"
                        : "the connection failed";
        if (rc != IO_STOP) s->left_early = rc != IO_TIMEOUT;
        set_error(s, rc != IO_STOP, "%s step %zu: %s while waiting for %s'%s' (unread: '%s')", s->name, index, why,
                  st->kind == ST_EXPECT_PREFIX ? "a line starting " : st->kind == ST_EXPECT_TLS ? "a TLS record" : "",
                  st->data ? ps_escape(st->data, st->len) : "", ps_escape(start, avail));
        return rc;
    }
}

static const char *ssl_error_text(void) {
    static __thread char text[256];
    unsigned long e = ERR_peek_last_error();
    if (e == 0) return "no OpenSSL error";
    ERR_error_string_n(e, text, sizeof text);
    return text;
}

/* Nothing may arrive for ms (a client that sends before the reply it waits for is complete). */
static int do_silence(ps_script *s, const ps_step *st, size_t index) {
    uint64_t deadline = now_ms() + st->ms;
    size_t before = s->rec_len;
    for (;;) {
        if (s->rec_len > s->consumed) {
            set_error(s, 1, "%s step %zu: the client sent '%s' while the server was still replying", s->name, index,
                      ps_escape(s->rec + s->consumed, s->rec_len - s->consumed));
            return IO_ERROR;
        }
        int rc = fill(s, deadline);
        if (rc == IO_TIMEOUT) return IO_OK;
        if (rc == IO_OK) continue;
        if (rc == IO_EOF || rc == IO_ERROR) {
            s->left_early = 1;
            set_error(s, 1, "%s step %zu: the client left while the server was still replying", s->name, index);
            return IO_ERROR;
        }
        (void)before;
        return rc;
    }
}

static int do_starttls(ps_script *s, const ps_step *st, size_t index) {
    if (s->consumed < s->rec_len) {
        set_error(s, 1, "%s step %zu: the client sent '%s' before the handshake", s->name, index,
                  ps_escape(s->rec + s->consumed, s->rec_len - s->consumed));
        return IO_ERROR;
    }
    s->ssl = SSL_new(s->ctx);
    if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
        set_error(s, 1, "%s step %zu: SSL_new failed", s->name, index);
        return IO_ERROR;
    }
    SSL_set_accept_state(s->ssl);
    uint64_t deadline = now_ms() + s->step_timeout;
    for (;;) {
        ERR_clear_error();
        int rc = SSL_accept(s->ssl);
        if (rc == 1) break;
        int e = SSL_get_error(s->ssl, rc);
        short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        int w = events ? wait_fd(s, s->fd, events, deadline) : IO_ERROR;
        if (w != IO_OK) {
            s->tls_failed = 1;
            if (st->flag || w == IO_STOP)
                set_error(s, w != IO_STOP, "%s step %zu: TLS handshake failed: %s", s->name, index,
                          w == IO_TIMEOUT ? "timed out" : w == IO_STOP ? "stopped" : ssl_error_text());
            SSL_free(s->ssl);
            s->ssl = NULL;
            return w == IO_STOP ? IO_STOP : IO_ERROR;
        }
    }
    record(s, "<TLS>", 5);
    s->consumed = s->rec_len;
    return IO_OK;
}

static void close_fd(ps_script *s) {
    if (s->ssl != NULL) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

/* After the last step: record until the client closes; answer QUIT. */
static void drain(ps_script *s) {
    int quit_answered = 0;
    for (;;) {
        while (!quit_answered && s->consumed < s->rec_len) {
            const char *start = s->rec + s->consumed;
            const char *lf = memchr(start, '\n', s->rec_len - s->consumed);
            if (lf == NULL) break;
            size_t n = (size_t)(lf - start) + 1;
            s->consumed += n;
            if (s->quit_reply != NULL && (n == 6 || n == 5) && strncasecmp(start, "QUIT", 4) == 0 &&
                (start[4] == '\r' || start[4] == '\n')) {
                quit_answered = 1;
                if (write_all(s, s->quit_reply, strlen(s->quit_reply)) != IO_OK) return;
                if (s->ssl != NULL) SSL_shutdown(s->ssl);
                shutdown(s->fd, SHUT_WR);
            }
        }
        if (quit_answered) s->consumed = s->rec_len;
        int rc = fill(s, 0);
        if (rc != IO_OK) return;
    }
}

static void *server_main(void *arg) {
    ps_script *s = arg;
    uint64_t deadline = now_ms() + s->step_timeout;
    int rc = wait_fd(s, s->listen_fd, POLLIN, deadline);
    if (rc == IO_OK) {
        s->fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s->fd < 0) set_error(s, 1, "%s: accept: %s", s->name, strerror(errno));
    } else {
        set_error(s, rc != IO_STOP, "%s: no client connected (%s)", s->name,
                  rc == IO_TIMEOUT ? "timed out" : rc == IO_STOP ? "stopped" : "poll failed");
    }
    close(s->listen_fd);
    s->listen_fd = -1;
    if (s->fd >= 0) {
        int one = 1;
        setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int stopped = 0, no_drain = 0;
        for (size_t i = 0; i < s->nsteps && !stopped; ++i) {
            const ps_step *st = &s->steps[i];
            int r = IO_OK;
            switch (st->kind) {
            case ST_SEND:
                r = send_chunked(s, st->data, st->len);
                break;
            case ST_STREAM:
                r = do_stream(s, st);
                break;
            case ST_DRIP:
                for (size_t k = 0; k < st->len && r == IO_OK; ++k) {
                    r = write_all(s, st->data + k, 1);
                    if (r == IO_OK && k + 1 < st->len) r = stall(s, st->ms);
                }
                break;
            case ST_EXPECT:
            case ST_EXPECT_PREFIX:
            case ST_EXPECT_ANY:
            case ST_EXPECT_OR_EOF:
            case ST_EXPECT_TLS:
                r = do_expect(s, st, i);
                if (r == IO_EOF && s->eof_accepted) {
                    s->steps_done = s->nsteps; /* the client may leave here: the script ends */
                    stopped = 1;
                    continue;
                }
                break;
            case ST_EXPECT_SILENCE:
                r = do_silence(s, st, i);
                break;
            case ST_CLOSE:
                if (s->ssl != NULL) SSL_shutdown(s->ssl);
                shutdown(s->fd, SHUT_WR);
                break;
            case ST_RESET: {
                struct linger lg = {1, 0};
                setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                close_fd(s);
                break;
            }
            case ST_STALL:
                r = stall(s, st->ms);
                break;
            case ST_STARTTLS:
                r = do_starttls(s, st, i);
                if (r == IO_ERROR && !st->flag) {
                    /* a failure the test allows: the script ends here, nothing more to record */
                    s->steps_done = s->nsteps;
                    stopped = 1;
                    no_drain = 1;
                    continue;
                }
                break;
            }
            if (r == IO_OK) {
                s->steps_done = i + 1;
                continue;
            }
            stopped = 1;
            int is_send = st->kind == ST_SEND || st->kind == ST_STREAM || st->kind == ST_DRIP;
            if (r == IO_ERROR && is_send) {
                s->left_early = 1;
                set_error(s, 0, "%s step %zu: the client went away while the server was sending", s->name, i);
            } else if (r == IO_TIMEOUT && is_send) {
                set_error(s, 1, "%s step %zu: timed out sending (the client stopped reading?)", s->name, i);
            } else if (r == IO_STOP) {
                set_error(s, 0, "%s step %zu: stopped by ps_finish", s->name, i);
            }
        }
        if (!no_drain && s->fd >= 0) drain(s); /* also after the client left: record what it had sent */
    }
    close_fd(s);
    uint64_t one = 1;
    if (write(s->done_fd, &one, sizeof one) < 0) {}
    return NULL;
}

/* ---- running ------------------------------------------------------------------------------ */

unsigned ps_start(ps_script *s) {
    if (s->started) return 0;
    signal(SIGPIPE, SIG_IGN); /* SSL_write uses write(): a closed peer must not kill the tests */
    for (size_t i = 0; i < s->nsteps; ++i)
        if (s->steps[i].kind == ST_STARTTLS && s->ctx == NULL) {
            s->ctx = SSL_CTX_new(TLS_server_method());
            if (s->ctx == NULL || SSL_CTX_use_certificate_chain_file(s->ctx, ps_tls_chain_) != 1 ||
                SSL_CTX_use_PrivateKey_file(s->ctx, ps_tls_key_, SSL_FILETYPE_PEM) != 1) {
                set_error(s, 1, "%s: cannot load the server certificate '%s' / key '%s': %s", s->name, ps_tls_chain_,
                          ps_tls_key_, ssl_error_text());
                return 0;
            }
        }
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->listen_fd < 0 || s->stop_fd < 0 || s->done_fd < 0) {
        set_error(s, 1, "%s: socket/eventfd: %s", s->name, strerror(errno));
        return 0;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 4) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        set_error(s, 1, "%s: bind/listen: %s", s->name, strerror(errno));
        return 0;
    }
    if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
        set_error(s, 1, "%s: pthread_create failed", s->name);
        return 0;
    }
    s->started = 1;
    ps_runs_[s->chunking]++;
    return ntohs(a.sin_port);
}

int ps_finish(ps_script *s, unsigned wait_ms) {
    if (s->started && !s->finished) {
        struct pollfd p = {s->done_fd, POLLIN, 0};
        uint64_t deadline = now_ms() + wait_ms;
        for (;;) {
            uint64_t now = now_ms();
            int timeout = now >= deadline ? 0 : (int)(deadline - now);
            int rc = poll(&p, 1, timeout);
            if (rc >= 0 || errno != EINTR) break;
        }
        uint64_t one = 1;
        if (write(s->stop_fd, &one, sizeof one) < 0) {}
        pthread_join(s->thread, NULL);
        s->finished = 1;
    }
    if (s->listen_fd >= 0) { close(s->listen_fd); s->listen_fd = -1; }
    if (s->stop_fd >= 0) { close(s->stop_fd); s->stop_fd = -1; }
    if (s->done_fd >= 0) { close(s->done_fd); s->done_fd = -1; }
    close_fd(s);
    if (s->ctx != NULL) { SSL_CTX_free(s->ctx); s->ctx = NULL; }
    if (s->error[0] == '\0' && s->steps_done < s->nsteps)
        set_error(s, 0, "%s: stopped after %zu of %zu steps", s->name, s->steps_done, s->nsteps);
    return ps_error(s) == NULL ? 0 : -1;
}

void ps_free(ps_script *s) {
    if (s == NULL) return;
    ps_finish(s, 0);
    for (ps_script **pp = &ps_all_; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    for (size_t i = 0; i < s->nsteps; ++i) free(s->steps[i].data);
    free(s->steps);
    free(s->quit_reply);
    free(s->rec);
    free(s->escaped);
    free(s);
}

void ps_cleanup_all(void) {
    while (ps_all_ != NULL) ps_free(ps_all_);
}

/* ---- results --------------------------------------------------------------------------------- */

const char *ps_transcript(const ps_script *s, size_t *len) {
    if (len) *len = s->rec_len;
    return s->rec ? s->rec : "";
}

const char *ps_transcript_escaped(const ps_script *s) {
    ps_script *m = (ps_script *)s;
    free(m->escaped);
    size_t cap = s->rec_len * 4 + 64;
    if (cap > 65536) cap = 65536;
    m->escaped = malloc(cap);
    if (m->escaped == NULL) return "<out of memory>";
    escape_into(m->escaped, cap, s->rec ? s->rec : "", s->rec_len);
    return m->escaped;
}

const char *ps_error(const ps_script *s) {
    if (s->error[0] != '\0') return s->error;
    if (s->finished && s->steps_done < s->nsteps) return "not every step was played";
    return NULL;
}

int ps_no_mismatch(const ps_script *s) { return !s->mismatch; }
size_t ps_steps_done(const ps_script *s) { return s->steps_done; }
size_t ps_steps_total(const ps_script *s) { return s->nsteps; }
int ps_client_left_early(const ps_script *s) { return s->left_early; }
int ps_client_closed(const ps_script *s) { return s->client_closed; }
uint64_t ps_bytes_sent(const ps_script *s) { return s->bytes_sent; }
uint64_t ps_peak_heap_growth(const ps_script *s) {
    return s->heap_peak > s->heap_base ? s->heap_peak - s->heap_base : 0;
}
int ps_tls_failed(const ps_script *s) { return s->tls_failed; }
uint64_t ps_seed(const ps_script *s) { return s->seed; }

const char *ps_describe(const ps_script *s) {
    ps_script *m = (ps_script *)s;
    snprintf(m->describe, sizeof m->describe, "[%s, chunking=%s, seed=0x%llx, INETKIT_SCRIPT_SEED=%llu]", s->name,
             ps_chunking_name(s->chunking), (unsigned long long)s->seed, (unsigned long long)ps_base_seed());
    return m->describe;
}
