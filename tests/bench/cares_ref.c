/*
 * cares_ref - the c-ares reference of the MX benchmark (see mx_bench.c and
 * the mx_bench section of README.md): the same lookups as inetkit's Mx
 * family, written directly on c-ares, so that the table can tell inetkit's
 * own cost from the resolver library's.
 *
 *   cares_ref --server ADDR:PORT --names FILE [--window N] [--zone ZONE]
 *
 * Reads the names (one per line, d<i>.<ZONE>, as mx_bench writes them), and
 * asks for the MX records of each with ares_query(C_IN, T_MX), keeping at
 * most --window queries in flight (64 by default; 1 is one at a time): a
 * new query is started from the callback of the one that finished. The
 * loop is ares_getsock + poll + ares_process_fd. EDNS(0) with a 1232-byte
 * UDP size, as inetkit offers by default.
 *
 * Every answer is parsed with ares_parse_mx_reply, sorted by preference
 * and compared with what mx_bench put in the zone for that name (see
 * expected_mx below, the same rule in every contender). The last line of
 * stdout is
 *
 *   RESULT total=N correct=C failed=F secs=S
 *
 * with S the wall time from the first query to the last answer (setup and
 * reading the file excluded). Exit status: 0 when every answer is correct,
 * 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the zone's content, as mx_bench generates it ------------------------- */

/* d<i>.<zone> has two MX records:
     10 + i % 10   mx-<i>.<zone>
     20 + i % 10   backup<i % 3>.example.net                              */
static int expected_mx(const char *zone, const char *name, unsigned *pref1, char *ex1, size_t ex1_size,
                       unsigned *pref2, char *ex2, size_t ex2_size) {
    char *end;
    if (name[0] != 'd' || name[1] < '0' || name[1] > '9')
        return 0;
    unsigned long i = strtoul(name + 1, &end, 10);
    if (*end != '.' || strcmp(end + 1, zone) != 0)
        return 0;
    *pref1 = 10u + (unsigned)(i % 10);
    *pref2 = 20u + (unsigned)(i % 10);
    snprintf(ex1, ex1_size, "mx-%lu.%s", i, zone);
    snprintf(ex2, ex2_size, "backup%lu.example.net", i % 3);
    return 1;
}

/* ---- state ------------------------------------------------------------------ */

static char **g_names;
static size_t g_count, g_next, g_done, g_correct, g_failed;
static const char *g_zone = "mxbench.test";
static ares_channel g_channel;
static int g_reported; /* the first wrong answers are described on stderr */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wrong(const char *name, const char *why) {
    if (g_reported++ < 5)
        fprintf(stderr, "cares_ref: %s: %s\n", name, why);
}

static void check_answer(const char *name, int status, unsigned char *abuf, int alen) {
    if (status != ARES_SUCCESS) {
        ++g_failed;
        wrong(name, ares_strerror(status));
        return;
    }
    struct ares_mx_reply *mx = NULL;
    int rc = ares_parse_mx_reply(abuf, alen, &mx);
    if (rc != ARES_SUCCESS) {
        ++g_failed;
        wrong(name, ares_strerror(rc));
        return;
    }
    /* Two records expected; order them by preference. */
    const struct ares_mx_reply *a = mx, *b = mx ? mx->next : NULL;
    int count = 0;
    for (const struct ares_mx_reply *r = mx; r; r = r->next)
        ++count;
    unsigned p1, p2;
    char e1[300], e2[300];
    if (count != 2 || !expected_mx(g_zone, name, &p1, e1, sizeof e1, &p2, e2, sizeof e2)) {
        wrong(name, "not two MX records");
    } else {
        if (b->priority < a->priority) {
            const struct ares_mx_reply *t = a;
            a = b;
            b = t;
        }
        if (a->priority == p1 && strcasecmp(a->host, e1) == 0 && b->priority == p2 && strcasecmp(b->host, e2) == 0)
            ++g_correct;
        else
            wrong(name, "unexpected exchangers");
    }
    ares_free_data(mx);
}

static void submit_next(void);

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
    (void)timeouts;
    size_t index = (size_t)(uintptr_t)arg;
    if (status == ARES_EDESTRUCTION)
        return;
    ++g_done;
    check_answer(g_names[index], status, abuf, alen);
    submit_next();
}

static void submit_next(void) {
    if (g_next < g_count) {
        size_t index = g_next++;
        ares_query(g_channel, g_names[index], ns_c_in, ns_t_mx, on_answer, (void *)(uintptr_t)index);
    }
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: cares_ref --server ADDR:PORT --names FILE [--window N] [--zone ZONE]\n"
            "  MX lookups with c-ares (ares_query), N in flight (default 64; 1: one at a time),\n"
            "  each answer checked against the benchmark's zone. Prints\n"
            "  RESULT total=N correct=C failed=F secs=S as its last line.\n");
}

static int read_names(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cares_ref: %s: %s\n", path, strerror(errno));
        return 0;
    }
    size_t cap = 1024;
    g_names = malloc(cap * sizeof *g_names);
    char line[1024];
    while (g_names && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        if (g_count == cap) {
            cap *= 2;
            char **grown = realloc(g_names, cap * sizeof *g_names);
            if (!grown)
                break;
            g_names = grown;
        }
        g_names[g_count++] = strdup(line);
    }
    fclose(f);
    return g_names != NULL;
}

int main(int argc, char **argv) {
    const char *server = NULL, *names = NULL;
    long window = 64;
    for (int i = 1; i < argc; ++i) {
        int more = i + 1 < argc;
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("c-ares %s\n", ares_version(NULL));
            return 0;
        } else if (!strcmp(argv[i], "--server") && more)
            server = argv[++i];
        else if (!strcmp(argv[i], "--names") && more)
            names = argv[++i];
        else if (!strcmp(argv[i], "--window") && more)
            window = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--zone") && more)
            g_zone = argv[++i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!server || !names || window < 1 || window > 100000) {
        usage(stderr);
        return 2;
    }
    if (!read_names(names))
        return 1;

    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        fprintf(stderr, "cares_ref: ares_library_init: %s\n", ares_strerror(rc));
        return 1;
    }
    struct ares_options options;
    memset(&options, 0, sizeof options);
    options.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH;
    options.ednspsz = 1232;
    options.timeout = 2000; /* ms, as inetkit's QueryTimeout default */
    options.tries = 4;      /* the first try and 3 retries, as inetkit's Retries default */
    int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    rc = ares_init_options(&g_channel, &options, mask);
    if (rc != ARES_SUCCESS) {
        fprintf(stderr, "cares_ref: ares_init_options: %s\n", ares_strerror(rc));
        return 1;
    }
    rc = ares_set_servers_ports_csv(g_channel, server);
    if (rc != ARES_SUCCESS) {
        fprintf(stderr, "cares_ref: server %s: %s\n", server, ares_strerror(rc));
        return 2;
    }

    double t0 = now_s();
    for (long w = 0; w < window; ++w)
        submit_next();
    while (g_done < g_count) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(g_channel, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        int n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
            short events = 0;
            if (ARES_GETSOCK_READABLE(bits, i))
                events |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, i))
                events |= POLLOUT;
            if (!events)
                continue;
            pfd[n].fd = socks[i];
            pfd[n].events = events;
            pfd[n].revents = 0;
            ++n;
        }
        if (n == 0) {
            fprintf(stderr, "cares_ref: nothing in flight with %zu answers missing\n", g_count - g_done);
            break;
        }
        struct timeval tv, *tvp = ares_timeout(g_channel, NULL, &tv);
        int ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) + 1 : 1000;
        int ready = poll(pfd, (nfds_t)n, ms);
        if (ready < 0 && errno != EINTR) {
            perror("cares_ref: poll");
            break;
        }
        if (ready <= 0) {
            ares_process_fd(g_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
            continue;
        }
        for (int i = 0; i < n; ++i) {
            if (!pfd[i].revents)
                continue;
            ares_socket_t r = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD;
            ares_socket_t w = (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD;
            ares_process_fd(g_channel, r, w);
        }
    }
    double secs = now_s() - t0;
    ares_destroy(g_channel);
    ares_library_cleanup();

    printf("RESULT total=%zu correct=%zu failed=%zu secs=%.6f\n", g_count, g_correct, g_failed, secs);
    for (size_t i = 0; i < g_count; ++i)
        free(g_names[i]);
    free(g_names);
    return g_correct == g_count ? 0 : 1;
}
