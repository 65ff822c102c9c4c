/*
 * abi_bench - what the C ABI layer costs: nanoseconds per call of trivial
 * exported calls through libinetkit.so (handle lookup, ownership check,
 * error store, exception barrier), beside a plain C function called
 * through a pointer; and the memory an idle connected POP3 handle holds.
 *
 * Everything is on loopback: an inetkit listener in this process for the
 * Inet handles, and a minimal POP3 server in a child process (greeting,
 * CAPA, QUIT) for the Pop handles, so that its memory is not ours.
 *
 * Prints a table on stdout; exits 0 when every call returned what it must
 * (0 on a good handle, 6 on a stale one, 600 from another thread), 1 when
 * one did not, 2 on bad arguments. A slow figure never fails the run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <inetkit/inet.h>
#include <inetkit/pop.h>

#define BATCHES 7
#define ABI_TARGET_NS 100.0
#define IDLE_TARGET_KIB 64.0

static struct {
    double seconds; /* per batch */
    unsigned handles;
    const char *summary;
} opt = {0.2, 500, NULL};

static int g_failed;
static FILE *g_summary;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, DWORD got, DWORD want) {
    char msg[512];
    DWORD len = sizeof msg;
    if (InetGetLastErrorMessage(msg, &len) != 0)
        snprintf(msg, sizeof msg, "(no message)");
    fprintf(stderr, "abi_bench: %s returned %u, expected %u: %s\n", what, (unsigned)got, (unsigned)want, msg);
    g_failed = 1;
}

/* ---- the calls measured ---------------------------------------------------- */

/* The baseline: what a getter costs without any ABI layer. */
struct plain_obj {
    DWORD timeout;
};
static __attribute__((noinline)) DWORD plain_get(void *obj, DWORD kind, LPDWORD out) {
    (void)kind;
    *out = ((struct plain_obj *)obj)->timeout;
    return 0;
}
static DWORD (*volatile g_plain)(void *, DWORD, LPDWORD) = plain_get;
static struct plain_obj g_obj = {30000};

enum { K_PLAIN, K_LASTERROR, K_INET_OWNER, K_INET_FREE, K_POP_OWNER, K_STALE, K_OTHER_THREAD, NKINDS };

static const char *g_names[NKINDS] = {
    "plain C function through a pointer",
    "InetGetLastError()",
    "InetGetTimeout, owner thread",
    "InetGetTimeout, FREETHREAD handle",
    "PopGetSecurityInfo, owner thread",
    "InetGetTimeout, stale handle (6)",
    "InetGetTimeout, another thread (600)",
};

static HCLIENT g_inet, g_inet_free, g_pop, g_stale;

/* One call of kind k; returns its result. */
static inline DWORD call(int k) {
    DWORD v = 0;
    switch (k) {
    case K_PLAIN: return g_plain(&g_obj, INET_TIMEOUT_INACTIVITY, &v);
    case K_LASTERROR: return InetGetLastError();
    case K_INET_OWNER: return InetGetTimeout(g_inet, INET_TIMEOUT_INACTIVITY, &v);
    case K_INET_FREE: return InetGetTimeout(g_inet_free, INET_TIMEOUT_INACTIVITY, &v);
    case K_POP_OWNER: {
        INETSECURITYINFO info;
        info.dwSize = sizeof info;
        return PopGetSecurityInfo(g_pop, &info);
    }
    default: return InetGetTimeout(g_stale, INET_TIMEOUT_INACTIVITY, &v);
    }
}

static DWORD expected(int k) {
    return k == K_STALE ? INETKIT_ERROR_INVALID_HANDLE : k == K_OTHER_THREAD ? INETKIT_ERROR_WRONG_THREAD : 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ns per call of kind k on this thread: the median of BATCHES batches of n calls. */
static double measure(int k) {
    int callk = k == K_OTHER_THREAD ? K_INET_OWNER : k;
    DWORD r = call(callk);
    if (r != expected(k)) {
        fail(g_names[k], r, expected(k));
        return -1;
    }
    /* Calibrate n so a batch lasts about opt.seconds. */
    unsigned long n = 1000;
    for (;;) {
        double t0 = now_s();
        for (unsigned long i = 0; i < n; i++)
            call(callk);
        double t = now_s() - t0;
        if (t > opt.seconds / 4 || n > (1ul << 34))
            break;
        n *= 4;
    }
    double per[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        DWORD bad = 0;
        double t0 = now_s();
        for (unsigned long i = 0; i < n; i++)
            bad |= call(callk) ^ expected(k);
        per[b] = (now_s() - t0) * 1e9 / (double)n;
        if (bad) {
            fail(g_names[k], bad ^ expected(k), expected(k));
            return -1;
        }
    }
    qsort(per, BATCHES, sizeof per[0], cmp_double);
    return per[BATCHES / 2];
}

static void *other_thread(void *arg) {
    *(double *)arg = measure(K_OTHER_THREAD);
    return NULL;
}

/* ---- a minimal POP3 server in a child process ---------------------------- */

static pid_t g_server = -1;

/* Greets, answers CAPA and QUIT, refuses the rest; never closes first. */
static void serve(int listener) {
    size_t cap = 64 + opt.handles * 2;
    struct pollfd *fds = calloc(cap, sizeof *fds);
    if (!fds)
        _exit(1);
    size_t n = 1;
    fds[0] = (struct pollfd){listener, POLLIN, 0};
    char buf[4096];
    for (;;) {
        if (poll(fds, n, -1) < 0 && errno != EINTR)
            _exit(1);
        for (size_t i = n; i-- > 1;) {
            if (!fds[i].revents)
                continue;
            ssize_t got = read(fds[i].fd, buf, sizeof buf - 1);
            int quit = got <= 0;
            if (got > 0) {
                buf[got] = 0;
                for (char *line = buf; *line; line += strcspn(line, "\n"), line += *line == '\n') {
                    const char *reply = "-ERR not here\r\n";
                    if (!strncasecmp(line, "CAPA", 4))
                        reply = "+OK\r\nUIDL\r\n.\r\n";
                    else if (!strncasecmp(line, "QUIT", 4))
                        reply = "+OK bye\r\n", quit = 1;
                    else if (!*line || *line == '\n')
                        continue;
                    if (write(fds[i].fd, reply, strlen(reply)) < 0)
                        quit = 1;
                }
            }
            if (quit) {
                close(fds[i].fd);
                fds[i] = fds[--n];
            }
        }
        if (fds[0].revents & POLLIN) {
            int c = accept(listener, NULL, NULL);
            if (c >= 0 && n < cap) {
                static const char hello[] = "+OK abi_bench ready\r\n";
                if (write(c, hello, sizeof hello - 1) > 0)
                    fds[n++] = (struct pollfd){c, POLLIN, 0};
                else
                    close(c);
            } else if (c >= 0) {
                close(c);
            }
        }
    }
}

static unsigned start_server(void) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 1024) != 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "abi_bench: cannot listen on 127.0.0.1: %s\n", strerror(errno));
        exit(1);
    }
    pid_t parent = getpid();
    g_server = fork();
    if (g_server < 0) {
        fprintf(stderr, "abi_bench: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (g_server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive us */
        if (getppid() != parent)
            _exit(1);
        serve(s);
    }
    close(s);
    return ntohs(sa.sin_port);
}

static void stop_server(void) {
    if (g_server > 0) {
        kill(g_server, SIGTERM);
        waitpid(g_server, NULL, 0);
        g_server = -1;
    }
}

/* Resident bytes of this process, and bytes malloc holds for the program. */
static double rss_bytes(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}
static double heap_bytes(void) {
    struct mallinfo2 m = mallinfo2();
    return (double)m.uordblks + (double)m.hblkhd;
}

/* ---- main ------------------------------------------------------------------- */

static void summary(const char *what, const char *figure, double value, const char *unit, double target) {
    if (!g_summary)
        return;
    char v[32] = "-", t[32] = "-";
    if (!isnan(value))
        snprintf(v, sizeof v, "%.1f%s", value, unit);
    if (target > 0)
        snprintf(t, sizeof t, "< %.0f%s", target, unit);
    fprintf(g_summary, "abi\t%s\t%s\t%s\t%s\t%s\n", what, figure, v, t,
            target <= 0 || isnan(value) ? "-" : value < target ? "met" : "missed");
}

static void usage(FILE *f) {
    fprintf(f, "usage: abi_bench [--seconds S] [--handles N] [--summary FILE] [--help]\n"
               "\n"
               "ABI overhead: ns per call of trivial inetkit exports (owner thread, FREETHREAD,\n"
               "stale handle, another thread) beside a plain C call through a pointer; and the\n"
               "memory of N idle connected POP3 handles (a local fake server), per handle.\n"
               "\n"
               "  --seconds S    length of one of the 7 timed batches per call (default 0.2)\n"
               "  --handles N    idle POP3 handles to open (default 500)\n"
               "  --summary F    also write the headline figures to F, tab-separated\n");
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            opt.seconds = strtod(argv[++i], &end);
            if (*end || !(opt.seconds >= 0.001 && opt.seconds <= 60)) {
                fprintf(stderr, "abi_bench: --seconds must be 0.001-60\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--handles") && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v < 1 || v > 20000) {
                fprintf(stderr, "abi_bench: --handles must be 1-20000\n");
                return 2;
            }
            opt.handles = (unsigned)v;
        } else if (!strcmp(argv[i], "--summary") && i + 1 < argc) {
            opt.summary = argv[++i];
        } else {
            fprintf(stderr, "abi_bench: unknown or incomplete option '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < opt.handles + 64 && rl.rlim_max >= opt.handles + 64) {
        rl.rlim_cur = opt.handles + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (InetInitialize() != 0 || PopInitialize() != 0) {
        fail("InetInitialize/PopInitialize", InetGetLastError(), 0);
        return 1;
    }

    /* Inet handles: a listener here, connections to it. */
    UINT port = 0;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    if (listener == INVALID_CLIENT || InetGetLocalAddress(listener, NULL, NULL, &port) != 0) {
        fail("InetListen", InetGetLastError(), 0);
        return 1;
    }
    HCLIENT peers[3];
    HCLIENT *mine[3] = {&g_inet, &g_inet_free, &g_stale};
    for (int i = 0; i < 3; i++) {
        *mine[i] = InetConnect("127.0.0.1", port, 5, i == 1 ? INET_OPTION_FREETHREAD : INET_OPTION_NONE, NULL);
        peers[i] = *mine[i] == INVALID_CLIENT ? INVALID_CLIENT : InetAccept(listener, 5, INET_OPTION_NONE);
        if (peers[i] == INVALID_CLIENT) {
            fail("InetConnect/InetAccept", InetGetLastError(), 0);
            return 1;
        }
    }
    InetDisconnect(g_stale); /* from now on a stale handle */

    unsigned pop_port = start_server();
    g_pop = PopConnect("127.0.0.1", pop_port, 5, POP_OPTION_NONE, NULL);
    if (g_pop == INVALID_CLIENT) {
        fail("PopConnect to the fake server", PopGetLastError(), 0);
        stop_server();
        return 1;
    }

    double ns[NKINDS];
    for (int k = 0; k < NKINDS; k++) {
        if (k == K_OTHER_THREAD) {
            pthread_t t;
            if (pthread_create(&t, NULL, other_thread, &ns[k]) != 0 || pthread_join(t, NULL) != 0)
                ns[k] = -1, g_failed = 1;
        } else {
            ns[k] = measure(k);
        }
        fprintf(stderr, "abi_bench: %s: %.1f ns\n", g_names[k], ns[k]);
    }

    /* Idle handles: one connect first, so lazy one-time set-up is not counted. */
    PopDisconnect(g_pop);
    HCLIENT *idle = calloc(opt.handles, sizeof *idle);
    HCLIENT warm = PopConnect("127.0.0.1", pop_port, 5, POP_OPTION_NONE, NULL);
    double rss0 = rss_bytes(), heap0 = heap_bytes(), rss1 = rss0, heap1 = heap0;
    unsigned opened = 0;
    if (idle && warm != INVALID_CLIENT) {
        for (; opened < opt.handles; opened++) {
            idle[opened] = PopConnect("127.0.0.1", pop_port, 5, POP_OPTION_NONE, NULL);
            if (idle[opened] == INVALID_CLIENT) {
                fail("PopConnect (idle handles)", PopGetLastError(), 0);
                break;
            }
        }
        rss1 = rss_bytes();
        heap1 = heap_bytes();
        for (unsigned i = 0; i < opened; i++)
            if (PopDisconnect(idle[i]) != 0)
                fail("PopDisconnect", PopGetLastError(), 0);
    } else {
        fail("PopConnect (idle handles)", PopGetLastError(), 0);
    }
    if (warm != INVALID_CLIENT)
        PopDisconnect(warm);
    free(idle);
    stop_server();
    for (int i = 0; i < 3; i++) {
        InetDisconnect(peers[i]);
        if (i != 2)
            InetDisconnect(*mine[i]);
    }
    InetDisconnect(listener);

    if (opt.summary && !(g_summary = fopen(opt.summary, "w"))) {
        fprintf(stderr, "abi_bench: --summary %s: %s\n", opt.summary, strerror(errno));
        return 1;
    }
    printf("\ninetkit ABI overhead - %s, median of %d batches of ~%.2f s each\n", INETKIT_VERSION_STRING, BATCHES,
           opt.seconds);
    printf("  %-40s %9s %15s %8s\n", "call", "ns/call", "added by ABI[1]", "target");
    for (int k = 0; k < NKINDS; k++) {
        char v[32] = "FAILED", a[32] = "-", t[16] = "-";
        if (ns[k] >= 0)
            snprintf(v, sizeof v, "%.1f", ns[k]);
        if (k != K_PLAIN && ns[k] >= 0 && ns[K_PLAIN] >= 0)
            snprintf(a, sizeof a, "%.1f", ns[k] - ns[K_PLAIN]);
        int judged = k == K_INET_OWNER || k == K_INET_FREE || k == K_POP_OWNER || k == K_LASTERROR;
        if (judged)
            snprintf(t, sizeof t, "< %.0f", ABI_TARGET_NS);
        printf("  %-40s %9s %15s %8s\n", g_names[k], v, a, t);
        if (k != K_PLAIN)
            summary(g_names[k], "ns added per call", ns[k] >= 0 && ns[K_PLAIN] >= 0 ? ns[k] - ns[K_PLAIN] : NAN,
                    " ns", judged ? ABI_TARGET_NS : 0);
    }
    double rss_per = opened ? (rss1 - rss0) / opened / 1024 : NAN, heap_per = opened ? (heap1 - heap0) / opened / 1024 : NAN;
    printf("\n  idle POP3 handles[2]: %u connected (plain, after greeting and CAPA)\n", opened);
    printf("  %-40s %9.1f KiB %11s < %.0f KiB\n", "resident memory per handle (RSS delta)", rss_per, "",
           IDLE_TARGET_KIB);
    printf("  %-40s %9.1f KiB %11s < %.0f KiB\n", "heap per handle (malloc delta)", heap_per, "", IDLE_TARGET_KIB);
    summary("idle POP3 handle", "RSS per handle", rss_per, " KiB", IDLE_TARGET_KIB);
    summary("idle POP3 handle", "heap per handle", heap_per, " KiB", IDLE_TARGET_KIB);
    printf("\n  [1] ns/call minus the plain C call's: what the exported layer adds (PLT call, barrier,\n"
           "      handle-table lookup, ownership check, clearing or setting the thread's last error).\n"
           "  [2] a minimal POP3 server in a child process (greeting, CAPA, QUIT); the deltas of this\n"
           "      process's resident set (/proc/self/statm) and of malloc's bytes in use (mallinfo2)\n"
           "      across opening the handles, divided by their number; kernel socket buffers excluded.\n");
    if (g_summary)
        fclose(g_summary);
    InetUninitialize();
    PopUninitialize();
    return g_failed ? 1 : 0;
}
