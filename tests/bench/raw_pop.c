/*
 * raw_pop - the reference POP3 client of pop_bench: the least a client can
 * do to fetch a whole mailbox, so its time is the wire's (and the server's)
 * limit. One connection; STLS with OpenSSL directly; USER/PASS; LIST for
 * the sizes; then every RETR sent at once (or --window N in flight), the
 * replies read into one buffer, dot-stuffing undone only as far as counting
 * needs (a line starting with a dot counts one byte less), each message's
 * size checked against LIST. Nothing is copied or stored.
 *
 *   raw_pop HOST PORT USER PASS plain|stls CAFILE [--window N]
 *
 * Prints "ok SECONDS BYTES MESSAGES PROTOCOL CIPHER" (the time from connect
 * to close) and exits 0, or "err MESSAGE" and exits 1. Bad arguments: 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define BUF_SIZE (1u << 20)   /* read buffer: a line longer than half of it is refused */
#define TIMEOUT_MS 60000

static int g_fd = -1;
static SSL *g_ssl;
static char *g_in;            /* received, not yet parsed: g_in[g_start..g_end) */
static size_t g_start, g_end;
static char *g_out;           /* to send: g_out[g_out_start..g_out_len) */
static size_t g_out_start, g_out_len, g_out_cap;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long e = ERR_get_error();
    if (e) {
        char ossl[256];
        ERR_error_string_n(e, ossl, sizeof ossl);
        printf("err raw_pop: %s (%s)\n", msg, ossl);
    } else {
        printf("err raw_pop: %s\n", msg);
    }
    fflush(stdout);
    exit(1);
}

static void queue(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        fail("command too long");
    if (g_out_len + (size_t)n > g_out_cap) {
        g_out_cap = (g_out_len + (size_t)n) * 2;
        g_out = realloc(g_out, g_out_cap);
        if (!g_out)
            fail("out of memory");
    }
    memcpy(g_out + g_out_len, line, (size_t)n);
    g_out_len += (size_t)n;
}

/*
 * Moves bytes both ways once: sends what is queued, reads what has come.
 * Blocks in poll only when neither could make progress. Returns the bytes
 * read (0 when only sending progressed); a closed connection fails.
 */
static size_t pump(void) {
    for (;;) {
        int want_in = 1, want_out = 0, progressed = 0;
        if (g_out_start < g_out_len) {
            size_t len = g_out_len - g_out_start;
            ssize_t n;
            if (g_ssl) {
                int r = SSL_write(g_ssl, g_out + g_out_start, len > INT32_MAX ? INT32_MAX : (int)len);
                n = r > 0 ? r : -1;
                if (r <= 0) {
                    int e = SSL_get_error(g_ssl, r);
                    if (e == SSL_ERROR_WANT_WRITE)
                        want_out = 1;
                    else if (e != SSL_ERROR_WANT_READ)
                        fail("TLS write failed (SSL error %d)", e);
                }
            } else {
                n = send(g_fd, g_out + g_out_start, len, MSG_NOSIGNAL);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                    fail("send: %s", strerror(errno));
                if (n < 0)
                    want_out = 1;
            }
            if (n > 0) {
                g_out_start += (size_t)n;
                progressed = 1;
            }
        }
        /* Room to read: keep the unparsed tail, slide it to the front. */
        if (g_start > 0 && g_end - g_start < BUF_SIZE / 2) {
            memmove(g_in, g_in + g_start, g_end - g_start);
            g_end -= g_start;
            g_start = 0;
        }
        if (BUF_SIZE - g_end < 4096)
            fail("a line longer than %u bytes", BUF_SIZE / 2);
        ssize_t got;
        if (g_ssl) {
            int r = SSL_read(g_ssl, g_in + g_end, (int)(BUF_SIZE - g_end));
            got = r;
            if (r <= 0) {
                int e = SSL_get_error(g_ssl, r);
                if (e == SSL_ERROR_WANT_WRITE)
                    want_out = 1, got = -1;
                else if (e == SSL_ERROR_WANT_READ)
                    got = -1;
                else if (e == SSL_ERROR_ZERO_RETURN)
                    got = 0;
                else
                    fail("TLS read failed (SSL error %d)", e);
            }
        } else {
            got = recv(g_fd, g_in + g_end, BUF_SIZE - g_end, 0);
            if (got < 0 && errno != EAGAIN && errno != EINTR)
                fail("recv: %s", strerror(errno));
        }
        if (got == 0)
            fail("the server closed the connection");
        if (got > 0) {
            g_end += (size_t)got;
            return (size_t)got;
        }
        if (progressed)
            return 0;
        struct pollfd p = {g_fd, (short)((want_in ? POLLIN : 0) | (want_out ? POLLOUT : 0)), 0};
        int r = poll(&p, 1, TIMEOUT_MS);
        if (r == 0)
            fail("no progress for %d s", TIMEOUT_MS / 1000);
        if (r < 0 && errno != EINTR)
            fail("poll: %s", strerror(errno));
    }
}

/* The next complete line (without CR LF) and its length; pumps until one has come. */
static const char *next_line(size_t *len) {
    for (;;) {
        char *nl = memchr(g_in + g_start, '\n', g_end - g_start);
        if (nl) {
            const char *line = g_in + g_start;
            size_t n = (size_t)(nl - line);
            g_start += n + 1;
            if (n > 0 && line[n - 1] == '\r')
                n--;
            *len = n;
            return line;
        }
        pump();
    }
}

static void expect_ok(const char *what) {
    size_t len;
    const char *line = next_line(&len);
    if (len < 3 || memcmp(line, "+OK", 3) != 0)
        fail("%s: %.*s", what, (int)(len > 200 ? 200 : len), line);
}

static void command(const char *what, const char *fmt, const char *arg) {
    queue(fmt, arg);
    expect_ok(what);
}

static void start_tls(const char *host, const char *ca) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        fail("cannot load the CA file %s", ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    g_ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    X509_VERIFY_PARAM *param = SSL_get0_param(g_ssl);
    if (!g_ssl || X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 || SSL_set_fd(g_ssl, g_fd) != 1)
        fail("TLS set-up failed");
    if (g_start != g_end)
        fail("plaintext after the STLS reply");
    for (;;) {
        int r = SSL_connect(g_ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(g_ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            fail("TLS handshake failed: %s", X509_verify_cert_error_string(SSL_get_verify_result(g_ssl)));
        struct pollfd p = {g_fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 0};
        if (poll(&p, 1, TIMEOUT_MS) == 0)
            fail("TLS handshake timed out");
    }
}

static unsigned long parse_num(const char *s, const char *what, unsigned long max) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max) {
        fprintf(stderr, "raw_pop: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    unsigned long window = 0; /* 0: every RETR at once */
    if (argc == 9 && strcmp(argv[7], "--window") == 0)
        window = parse_num(argv[8], "window", 1000000);
    else if (argc != 7) {
        fprintf(stderr, "usage: raw_pop HOST PORT USER PASS plain|stls CAFILE [--window N]\n");
        return 2;
    }
    const char *host = argv[1], *user = argv[3], *pass = argv[4], *ca = argv[6];
    unsigned port = (unsigned)parse_num(argv[2], "port", 65535);
    int tls = strcmp(argv[5], "stls") == 0;
    if (!tls && strcmp(argv[5], "plain") != 0) {
        fprintf(stderr, "raw_pop: the mode must be plain or stls, not '%s'\n", argv[5]);
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "raw_pop: HOST must be an IPv4 address, not '%s'\n", host);
        return 2;
    }
    g_in = malloc(BUF_SIZE);
    if (!g_in)
        fail("out of memory");

    double t0 = now_s();
    g_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (g_fd < 0 || setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        fail("socket: %s", strerror(errno));
    if (connect(g_fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        fail("connect %s:%u: %s", host, port, strerror(errno));
    fcntl(g_fd, F_SETFL, O_NONBLOCK);
    expect_ok("greeting");
    if (tls) {
        command("STLS", "STLS\r\n", "");
        start_tls(host, ca);
    }
    command("USER", "USER %s\r\n", user);
    command("PASS", "PASS %s\r\n", pass);

    /* LIST: the sizes every RETR is checked against. */
    queue("LIST\r\n");
    expect_ok("LIST");
    uint64_t *sizes = NULL;
    size_t count = 0, cap = 0;
    for (;;) {
        size_t len;
        const char *line = next_line(&len);
        if (len == 1 && line[0] == '.')
            break;
        unsigned long n;
        unsigned long long size;
        if (sscanf(line, "%lu %llu", &n, &size) != 2 || n != count + 1)
            fail("LIST: unexpected line %.*s", (int)(len > 100 ? 100 : len), line);
        if (count == cap) {
            cap = cap ? cap * 2 : 1024;
            sizes = realloc(sizes, cap * sizeof *sizes);
            if (!sizes)
                fail("out of memory");
        }
        sizes[count++] = size;
    }

    /* The RETRs: queued up to the window (all of them by default), QUIT last. */
    size_t sent = 0, done = 0;
    uint64_t total = 0;
    while (done < count) {
        while (sent < count && (window == 0 || sent - done < window))
            queue("RETR %zu\r\n", ++sent);
        if (sent == count && (window == 0 || sent - done < window))
            queue("QUIT\r\n"), sent++; /* counted past count: queued once */
        expect_ok("RETR");
        uint64_t bytes = 0;
        for (;;) {
            size_t len;
            const char *line = next_line(&len);
            if (line[0] == '.') {
                if (len == 1)
                    break;
                len--; /* dot-stuffed */
            }
            bytes += len + 2;
        }
        if (bytes != sizes[done])
            fail("message %zu: %llu bytes, LIST said %llu", done + 1, (unsigned long long)bytes,
                 (unsigned long long)sizes[done]);
        total += bytes;
        done++;
    }
    if (sent == count) /* empty mailbox */
        queue("QUIT\r\n");
    expect_ok("QUIT");
    char proto[32] = "-", cipher[64] = "-";
    if (g_ssl) {
        snprintf(proto, sizeof proto, "%s", SSL_get_version(g_ssl));
        snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(g_ssl));
        SSL_shutdown(g_ssl);
        SSL_free(g_ssl);
    }
    close(g_fd);
    double t1 = now_s();
    printf("ok %.6f %llu %zu %s %s\n", t1 - t0, (unsigned long long)total, count, proto, cipher);
    free(sizes);
    free(g_in);
    free(g_out);
    return 0;
}
