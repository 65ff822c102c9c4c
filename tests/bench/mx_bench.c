/*
 * mx_bench - MX lookups per second: inetkit's Mx family beside c-ares,
 * adns (adnshost) and dnspython, all asking the same private Knot for the
 * same names in the same run. See the mx_bench section of README.md here.
 *
 * It writes a zone of --domains names (d0..d<N-1>.mxbench.test, two MX
 * records each), starts its own knotd on 127.0.0.1 (fork/exec, stopped by
 * its PID at the end), and times each contender resolving every name once:
 *
 *   inetkit  sync       one handle, Timeout 10 s, MxResolve one name at a time
 *   inetkit  async      Timeout 0, MaxInFlight 64: every name submitted, the
 *                       results collected with MxGetNextResult
 *   c-ares   64 in flight / one at a time
 *                       cares_ref (built beside this program): ares_query MX
 *   adnshost            adnshost -a -f -t mx- as a co-process, fed a name on
 *                       its stdin each time an answer comes out: 64 in flight
 *                       (only with --port 53: adns cannot use another port;
 *                       run-mx-bench.sh gives it one in a network namespace)
 *   dnspython sync / asyncio (64 in flight)
 *                       tests/bench/mx/dnspython_ref.py
 *
 * Each contender is a process of its own (inetkit's are this program
 * re-executed with a hidden --child), so its peak RSS (ru_maxrss, from
 * wait4) is its own. Every answer is checked against the zone; the table
 * gives the count of correct answers. The programs time themselves from
 * the first query to the last answer; adnshost is timed from fork to reap.
 *
 * Nothing here is an assertion on time: the program exits 0 when every
 * contender that ran gave every answer right, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <inetkit.h>

#define ZONE "mxbench.test"
#define MAX_DOMAINS 100000u
#define MAX_RUNS 20
#define PYTHON_DEFAULT "/usr/bin/python3"
#define WINDOW 64

/* ---- options ---------------------------------------------------------------- */

static struct {
    unsigned domains;
    int runs;
    unsigned port;          /* Knot's port; 0: a free one */
    const char *python;
    const char *script;     /* dnspython_ref.py */
    const char *cares_ref;
    const char *knotd;
    const char *adnshost;
    int keep;
    int scale; /* --scale: time against the number of names instead of one table */
} opt = {10000, 3, 0, PYTHON_DEFAULT, NULL, NULL, NULL, NULL, 0, 0};

static void usage(FILE *f) {
    fprintf(f,
            "usage: mx_bench [--domains N] [--runs N] [--quick] [--scale] [--port N] [--knotd PATH]\n"
            "                [--cares-ref PATH] [--python PATH] [--script PATH]\n"
            "                [--adnshost PATH] [--keep] [--help]\n"
            "\n"
            "MX lookups per second: inetkit (sync and async) beside a c-ares reference\n"
            "(64 in flight and one at a time), adnshost and dnspython (sync and asyncio),\n"
            "all against a private Knot on 127.0.0.1 that this program starts and stops.\n"
            "\n"
            "  --domains N    names in the zone, each looked up once per run (default 10000,\n"
            "                 at most %u)\n"
            "  --runs N       repetitions; the median is shown (default 3, at most %d)\n"
            "  --quick        --domains 2000 --runs 1 (a smoke test of every contender)\n"
            "  --scale        how time grows with the number of names: inetkit and c-ares\n"
            "                 at 100, 1,000, 10,000 and 100,000 names (up to --domains,\n"
            "                 default then 100,000), one table of medians\n"
            "  --port N       Knot's port on 127.0.0.1 (default: a free one). adnshost only\n"
            "                 runs with 53; run-mx-bench.sh runs everything in a network\n"
            "                 namespace of its own where 53 is free\n"
            "  --knotd P      the Knot daemon (default: knotd in PATH or /usr/sbin)\n"
            "  --cares-ref P  the c-ares reference (default: cares_ref beside this program)\n"
            "  --python P     the interpreter with dnspython (default " PYTHON_DEFAULT ")\n"
            "  --script P     tests/bench/mx/dnspython_ref.py (default: found in the source tree)\n"
            "  --adnshost P   adnshost (default: in PATH)\n"
            "  --keep         keep the temporary directory (zone, Knot's log, outputs)\n"
            "\n"
            "Needs knotd (Debian: knot). Prints one table on stdout, progress on stderr;\n"
            "exits 0 when every contender answered every name correctly, 1 otherwise.\n",
            MAX_DOMAINS, MAX_RUNS);
}

/* ---- the zone's content ------------------------------------------------------- */

/* d<i>.mxbench.test has two MX records (the same rule in cares_ref.c and
   mx/dnspython_ref.py):
     10 + i % 10   mx-<i>.mxbench.test
     20 + i % 10   backup<i % 3>.example.net                                    */
static void expected_mx(unsigned long i, unsigned *p1, char *e1, size_t n1, unsigned *p2, char *e2, size_t n2) {
    *p1 = 10u + (unsigned)(i % 10);
    *p2 = 20u + (unsigned)(i % 10);
    snprintf(e1, n1, "mx-%lu.%s", i, ZONE);
    snprintf(e2, n2, "backup%lu.example.net", i % 3);
}

/* The index of d<i>.mxbench.test, or -1. */
static long name_index(const char *name) {
    char *end;
    if (name[0] != 'd' || name[1] < '0' || name[1] > '9')
        return -1;
    unsigned long i = strtoul(name + 1, &end, 10);
    if (*end != '.' || strcasecmp(end + 1, ZONE) != 0)
        return -1;
    return (long)i;
}

/* ---- small utilities ------------------------------------------------------------ */

static char g_tmp[PATH_MAX];
static char g_names[PATH_MAX];
static char g_self[PATH_MAX];
static volatile pid_t g_knot = -1, g_child = -1;
static int g_failed;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cleanup(void);

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mx_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    g_failed = 1;
    exit(1);
}

static void path_in(char *dst, const char *name) {
    if ((size_t)snprintf(dst, PATH_MAX, "%s/%s", g_tmp, name) >= PATH_MAX)
        die("path too long: %s/%s", g_tmp, name);
}

static int find_exe(const char *name, char *out) {
    if (strchr(name, '/')) {
        if (access(name, X_OK) != 0)
            return 0;
        snprintf(out, PATH_MAX, "%s", name);
        return 1;
    }
    char path[4096];
    const char *env = getenv("PATH");
    snprintf(path, sizeof path, "%s:/usr/sbin:/sbin", env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
    for (char *dir = strtok(path, ":"); dir; dir = strtok(NULL, ":")) {
        if (!*dir)
            continue;
        snprintf(out, PATH_MAX, "%s/%s", dir, name);
        if (access(out, X_OK) == 0)
            return 1;
    }
    return 0;
}

static void print_file_tail(const char *path, long bytes) {
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > bytes ? size - bytes : 0, SEEK_SET);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    fprintf(stderr, "---- %s (tail)\n%s\n----\n", path, buf);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char **read_lines(const char *path, size_t *count) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1024, n = 0;
    char **lines = malloc(cap * sizeof *lines);
    char line[1024];
    while (lines && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        if (n == cap) {
            cap *= 2;
            char **grown = realloc(lines, cap * sizeof *lines);
            if (!grown) {
                free(lines);
                lines = NULL;
                break;
            }
            lines = grown;
        }
        lines[n++] = strdup(line);
    }
    fclose(f);
    *count = n;
    return lines;
}

/* ---- the inetkit contenders (this program re-executed) ------------------------------ */

static unsigned g_reported;

static void child_wrong(const char *name, const char *fmt, ...) {
    if (g_reported++ >= 5)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mx_bench child: %s: ", name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void child_error(const char *name, const char *call, DWORD rc) {
    char message[512];
    DWORD size = sizeof message;
    if (MxGetLastErrorMessage(message, &size) != 0)
        message[0] = 0;
    child_wrong(name, "%s: error %u: %s", call, (unsigned)rc, message);
}

/* Whether the current result is the right answer for names[index]. */
static int check_current(HCLIENT h, const char *name) {
    MXRESULT res;
    memset(&res, 0, sizeof res);
    res.dwSize = sizeof res;
    DWORD rc = MxGetResult(h, &res);
    if (rc != 0) {
        child_error(name, "MxGetResult", rc);
        return 0;
    }
    if (res.dwError != 0) {
        child_wrong(name, "error %u: %s", (unsigned)res.dwError, res.szStatus);
        return 0;
    }
    if (strcmp(res.szDomain, name) != 0) {
        child_wrong(name, "the result is for %s", res.szDomain);
        return 0;
    }
    long index = name_index(name);
    unsigned p1, p2;
    char e1[300], e2[300];
    expected_mx((unsigned long)index, &p1, e1, sizeof e1, &p2, e2, sizeof e2);
    MXRECORD r0, r1;
    memset(&r0, 0, sizeof r0);
    memset(&r1, 0, sizeof r1);
    r0.dwSize = r1.dwSize = sizeof r0;
    if (res.dwCount != 2 || MxGetRecord(h, 0, &r0) != 0 || MxGetRecord(h, 1, &r1) != 0) {
        child_wrong(name, "%u exchangers", (unsigned)res.dwCount);
        return 0;
    }
    if (r0.dwPrecedence != p1 || strcmp(r0.szMailServer, e1) != 0 || r1.dwPrecedence != p2 ||
        strcmp(r1.szMailServer, e2) != 0) {
        child_wrong(name, "got %u %s, %u %s", (unsigned)r0.dwPrecedence, r0.szMailServer, (unsigned)r1.dwPrecedence,
                    r1.szMailServer);
        return 0;
    }
    return 1;
}

static int child_main(int argc, char **argv) {
    const char *mode = NULL, *server = NULL, *names_path = NULL;
    int window = WINDOW;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--server") && i + 1 < argc)
            server = argv[++i];
        else if (!strcmp(argv[i], "--names") && i + 1 < argc)
            names_path = argv[++i];
        else if (!strcmp(argv[i], "--window") && i + 1 < argc)
            window = atoi(argv[++i]);
        else if (!mode)
            mode = argv[i];
        else
            return 2;
    }
    if (!mode || !server || !names_path)
        return 2;
    int async = strcmp(mode, "inetkit-async") == 0;
    if (!async && strcmp(mode, "inetkit-sync") != 0)
        return 2;
    size_t count = 0;
    char **names = read_lines(names_path, &count);
    if (!names) {
        fprintf(stderr, "mx_bench child: %s: %s\n", names_path, strerror(errno));
        return 1;
    }
    DWORD rc = MxInitialize();
    if (rc != 0) {
        child_error("-", "MxInitialize", rc);
        return 1;
    }
    HCLIENT h = MxCreate(MX_OPTION_NONE);
    if (h == INVALID_CLIENT) {
        child_error("-", "MxCreate", MxGetLastError());
        return 1;
    }
    char setting[64];
    snprintf(setting, sizeof setting, "MaxInFlight=%d", window);
    if ((rc = MxSetDnsServer(h, server)) != 0 || (rc = MxSetTimeout(h, async ? 0 : 10)) != 0 ||
        (rc = MxConfig(h, setting)) != 0) {
        child_error("-", "setting up the handle", rc);
        return 1;
    }
    DWORD first = 0;
    MxGetRequestId(h, &first);
    size_t correct = 0, failed = 0;
    double t0 = now_s(), t_submitted = t0;
    if (!async) {
        for (size_t i = 0; i < count; i++) {
            rc = MxResolve(h, names[i], NULL);
            if (rc != 0) {
                failed++;
                child_error(names[i], "MxResolve", rc);
            } else
                correct += (size_t)check_current(h, names[i]);
        }
    } else {
        size_t submitted = 0, collected = 0;
        for (size_t i = 0; i < count; i++) {
            DWORD id = 0;
            rc = MxResolve(h, names[i], &id);
            if (rc != 0) {
                failed++;
                child_error(names[i], "MxResolve", rc);
            } else if (id != first + (DWORD)i) {
                child_wrong(names[i], "request id %u, expected %u", (unsigned)id, (unsigned)(first + i));
            } else
                submitted++;
        }
        t_submitted = now_s();
        for (;;) {
            DWORD id = 0, error = 0;
            rc = MxGetNextResult(h, 30000, &id, &error);
            if (rc == INETKIT_ERROR_NOT_FOUND)
                break;
            if (rc != 0) {
                child_error("-", "MxGetNextResult", rc);
                break;
            }
            collected++;
            size_t index = (size_t)(id - first);
            if (index >= count) {
                child_wrong("-", "unknown request id %u", (unsigned)id);
                continue;
            }
            if (error != 0)
                failed++;
            correct += (size_t)check_current(h, names[index]);
        }
        if (collected != submitted)
            child_wrong("-", "%zu results for %zu requests", collected, submitted);
    }
    double secs = now_s() - t0;
    if (async)
        fprintf(stderr, "mx_bench child: submitting took %.6f s of %.6f s\n", t_submitted - t0, secs);
    MxDestroy(h);
    MxUninitialize();
    printf("RESULT total=%zu correct=%zu failed=%zu secs=%.6f\n", count, correct, failed, secs);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return correct == count ? 0 : 1;
}

/* ---- running processes ----------------------------------------------------------- */

struct proc {
    int status;     /* exit status, 128+signal, or -1 when it was killed at its deadline */
    double secs;    /* fork to reap */
    long maxrss_kb; /* ru_maxrss */
};

static int pidfd_open_(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Runs argv (argv[0] absolute) with stdin from `in` (NULL: /dev/null), stdout to
   `out` (truncated; NULL: /dev/null), stderr appended to `err`. Kills it after
   `timeout` seconds. The child dies with us (PR_SET_PDEATHSIG). */
static void run_proc(char *const argv[], const char *in, const char *out, const char *err, double timeout,
                     struct proc *r) {
    memset(r, 0, sizeof *r);
    pid_t parent = getpid();
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int fi = open(in ? in : "/dev/null", O_RDONLY);
        int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fi < 0 || fo < 0 || fe < 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    g_child = pid;
    int pidfd = pidfd_open_(pid);
    int st = 0, timed_out = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            die("wait4: %s", strerror(errno));
        double left = t0 + timeout - now_s();
        if (left <= 0 && !timed_out) {
            timed_out = 1;
            kill(pid, SIGKILL);
        }
        if (pidfd >= 0) {
            struct pollfd p = {pidfd, POLLIN, 0};
            poll(&p, 1, timed_out ? 100 : (int)(left * 1000) + 1);
        } else
            usleep(200);
    }
    r->secs = now_s() - t0;
    if (pidfd >= 0)
        close(pidfd);
    g_child = -1;
    r->maxrss_kb = ru.ru_maxrss;
    r->status = timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- Knot ------------------------------------------------------------------------- */

static void write_zone(void) {
    char path[PATH_MAX];
    path_in(path, "mxbench.test.zone");
    FILE *f = fopen(path, "w");
    if (!f)
        die("%s: %s", path, strerror(errno));
    fprintf(f,
            "$ORIGIN " ZONE ".\n$TTL 3600\n"
            "@ SOA ns." ZONE ". hostmaster." ZONE ". 1 3600 600 86400 300\n"
            "@ NS ns\nns A 127.0.0.1\n");
    for (unsigned long i = 0; i < opt.domains; i++) {
        unsigned p1, p2;
        char e1[300], e2[300];
        expected_mx(i, &p1, e1, sizeof e1, &p2, e2, sizeof e2);
        fprintf(f, "d%lu MX %u %s.\nd%lu MX %u %s.\n", i, p1, e1, i, p2, e2);
    }
    if (fclose(f) != 0)
        die("%s: %s", path, strerror(errno));

    /* The names, in a shuffled order, so that nobody walks the zone in its order. */
    unsigned *order = malloc(opt.domains * sizeof *order);
    if (!order)
        die("out of memory");
    for (unsigned i = 0; i < opt.domains; i++)
        order[i] = i;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (unsigned i = opt.domains; i > 1; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned j = (unsigned)(x % i);
        unsigned t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    path_in(g_names, "names.txt");
    f = fopen(g_names, "w");
    if (!f)
        die("%s: %s", g_names, strerror(errno));
    for (unsigned i = 0; i < opt.domains; i++)
        fprintf(f, "d%u." ZONE "\n", order[i]);
    free(order);
    if (fclose(f) != 0)
        die("%s: %s", g_names, strerror(errno));
}

static unsigned free_port(void) {
    for (int attempt = 0; attempt < 50; attempt++) {
        unsigned port = 20000u + (unsigned)(now_s() * 1e6) % 12000u + (unsigned)attempt * 7u;
        int ok = 1;
        for (int type = 0; type < 2 && ok; type++) {
            int s = socket(AF_INET, type ? SOCK_STREAM : SOCK_DGRAM, 0);
            struct sockaddr_in a;
            memset(&a, 0, sizeof a);
            a.sin_family = AF_INET;
            a.sin_port = htons((uint16_t)port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0;
            if (s >= 0)
                close(s);
        }
        if (ok)
            return port;
    }
    die("no free port on 127.0.0.1");
    return 0;
}

/* One SOA query for the zone, straight on a UDP socket: whether Knot answers
   it with the AA bit and RCODE 0. */
static int knot_answers(unsigned port) {
    unsigned char q[64], a[512];
    size_t n = 0;
    const unsigned char header[12] = {0x4d, 0x58, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(q, header, sizeof header);
    n = sizeof header;
    const char *label = ZONE;
    while (*label) {
        size_t len = strcspn(label, ".");
        q[n++] = (unsigned char)len;
        memcpy(q + n, label, len);
        n += len;
        label += len;
        if (*label == '.')
            label++;
    }
    q[n++] = 0;
    q[n++] = 0, q[n++] = 6; /* SOA */
    q[n++] = 0, q[n++] = 1; /* IN */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 0;
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    if (sendto(s, q, n, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)n) {
        struct pollfd p = {s, POLLIN, 0};
        if (poll(&p, 1, 200) == 1) {
            ssize_t got = recv(s, a, sizeof a, 0);
            ok = got >= 12 && a[0] == 0x4d && a[1] == 0x58 && (a[2] & 0x84) == 0x84 && (a[3] & 0x0f) == 0 &&
                 (a[6] || a[7]);
        }
    }
    close(s);
    return ok;
}

static void start_knot(void) {
    char conf[PATH_MAX], log[PATH_MAX];
    path_in(conf, "knot.conf");
    path_in(log, "knot.log");
    FILE *f = fopen(conf, "w");
    if (!f)
        die("%s: %s", conf, strerror(errno));
    fprintf(f,
            "server:\n"
            "    listen: 127.0.0.1@%u\n"
            "    rundir: \"%s\"\n"
            "log:\n"
            "  - target: stderr\n"
            "    any: notice\n"
            "database:\n"
            "    storage: \"%s\"\n"
            "template:\n"
            "  - id: default\n"
            "    storage: \"%s\"\n"
            "    zonefile-sync: -1\n"
            "    zonefile-load: whole\n"
            "    journal-content: none\n"
            "zone:\n"
            "  - domain: " ZONE "\n"
            "    file: mxbench.test.zone\n",
            opt.port, g_tmp, g_tmp, g_tmp);
    if (fclose(f) != 0)
        die("%s: %s", conf, strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int fi = open("/dev/null", O_RDONLY);
        int fe = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fi < 0 || fe < 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fe, 1);
        dup2(fe, 2);
        execl(opt.knotd, opt.knotd, "-c", conf, (char *)NULL);
        _exit(127);
    }
    g_knot = pid;
    double deadline = now_s() + 60;
    while (!knot_answers(opt.port)) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            g_knot = -1;
            print_file_tail(log, 3000);
            die("knotd exited before answering (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        if (now_s() > deadline) {
            print_file_tail(log, 3000);
            die("knotd does not answer on 127.0.0.1:%u", opt.port);
        }
        usleep(50000);
    }
}

static void stop_knot(void) {
    if (g_knot <= 0)
        return;
    pid_t pid = g_knot;
    g_knot = -1;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void cleanup(void) {
    if (g_child > 0) {
        kill(g_child, SIGKILL);
        waitpid(g_child, NULL, 0);
        g_child = -1;
    }
    stop_knot();
    if (g_tmp[0]) {
        if (opt.keep || g_failed)
            fprintf(stderr, "mx_bench: kept %s (knot.log, out-*.txt, err-*.txt)\n", g_tmp);
        else
            nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        g_tmp[0] = 0;
    }
}

/* Async-signal-safe only: kill the contender, stop Knot, remove the directory
   with rm (fork and exec are safe where nftw is not), and leave. */
static void on_signal(int sig) {
    if (g_child > 0)
        kill(g_child, SIGKILL);
    if (g_knot > 0) {
        kill(g_knot, SIGTERM);
        waitpid(g_knot, NULL, 0);
    }
    if (g_tmp[0] && !opt.keep) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/rm", "rm", "-rf", g_tmp, (char *)NULL);
            _exit(127);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
    _exit(128 + sig);
}

/* ---- the contenders ---------------------------------------------------------------- */

enum kind { K_SELF, K_CARES, K_ADNS, K_PYTHON };

struct contender {
    const char *tool, *mode;
    enum kind kind;
    const char *arg;       /* inetkit mode, c-ares window, dnspython mode */
    const char *tag;       /* file names */
    int available;
    char why[160];         /* when not available */
    double secs[MAX_RUNS]; /* the measure: in-process time, or fork to reap */
    double wall[MAX_RUNS]; /* fork to reap */
    int n;                 /* runs measured */
    long rss_kb;           /* largest over the runs */
    size_t correct_min;    /* fewest correct answers in a run */
    int failed;            /* runs that did not give every answer right */
    char err[320];         /* the first failure */
    int in_process;        /* secs is the program's own timing */
    long drops;            /* UDP receive-buffer drops during a run, the most of the runs */
    int window;            /* inetkit's MaxInFlight; 0: WINDOW */
    int scaled;            /* also measured by --scale */
};

#define CONTENDER(tool_, mode_, kind_, arg_, tag_, in_process_, ...)                                         \
    { .tool = tool_, .mode = mode_, .kind = kind_, .arg = arg_, .tag = tag_, .available = 1, .in_process = in_process_, \
      __VA_ARGS__ }
static struct contender g_c[] = {
    CONTENDER("inetkit", "sync, one at a time", K_SELF, "inetkit-sync", "inetkit-sync", 1, .scaled = 1),
    CONTENDER("inetkit", "async, 64 in flight", K_SELF, "inetkit-async", "inetkit-async", 1, .scaled = 1),
    CONTENDER("inetkit", "async, MaxInFlight 4096", K_SELF, "inetkit-async", "inetkit-async-4096", 1, .window = 4096),
    CONTENDER("c-ares", "64 in flight (reference)", K_CARES, "64", "cares-64", 1, .scaled = 1),
    CONTENDER("c-ares", "one at a time", K_CARES, "1", "cares-1", 1, .scaled = 1),
    CONTENDER("adnshost", "-f co-process, 64 in flight", K_ADNS, NULL, "adnshost", 0),
    CONTENDER("dnspython", "sync, one at a time", K_PYTHON, "sync", "dnspython-sync", 1),
    CONTENDER("dnspython", "asyncio, 64 in flight", K_PYTHON, "asyncio", "dnspython-asyncio", 1),
};
#define NCONT ((int)(sizeof g_c / sizeof g_c[0]))
#define REFERENCE 3 /* c-ares, 64 in flight */

static char g_adnshost[PATH_MAX], g_python[PATH_MAX], g_cares[PATH_MAX], g_script[PATH_MAX];
static char g_server[64];

/* The last "RESULT ..." line of a contender's output. */
static int read_result(const char *path, size_t *total, size_t *correct, size_t *failed, double *secs) {
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RESULT total=%zu correct=%zu failed=%zu secs=%lf", total, correct, failed, secs) == 4)
            found = 1;
    fclose(f);
    return found;
}

/* adnshost -Fa output: per answer a header "<id> <nrrs> <statustype> <statusnum> ..."
   then <nrrs> lines "<owner> MX <pref> <host>". */
static void check_adns(const char *path, size_t *correct, size_t *failed) {
    *correct = *failed = 0;
    unsigned char *seen = calloc(opt.domains, 1); /* bit 0: first record, bit 1: second, bit 2: other */
    FILE *f = fopen(path, "r");
    if (!seen || !f) {
        free(seen);
        if (f)
            fclose(f);
        return;
    }
    char line[1024];
    unsigned reported = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        unsigned id, nrrs;
        char status[32], owner[300], type[16], host[300];
        if (sscanf(line, "%u %u %31s", &id, &nrrs, status) == 3) {
            if (strcmp(status, "ok") != 0) {
                ++*failed;
                if (reported++ < 5)
                    fprintf(stderr, "mx_bench: adnshost: %s\n", line);
            }
            continue;
        }
        unsigned pref;
        if (sscanf(line, "%299s %15s %u %299s", owner, type, &pref, host) != 4 || strcmp(type, "MX") != 0)
            continue;
        long i = name_index(owner);
        if (i < 0 || (unsigned long)i >= opt.domains)
            continue;
        unsigned p1, p2;
        char e1[300], e2[300];
        expected_mx((unsigned long)i, &p1, e1, sizeof e1, &p2, e2, sizeof e2);
        if (pref == p1 && !strcasecmp(host, e1) && !(seen[i] & 1))
            seen[i] |= 1;
        else if (pref == p2 && !strcasecmp(host, e2) && !(seen[i] & 2))
            seen[i] |= 2;
        else
            seen[i] |= 4;
    }
    fclose(f);
    for (unsigned i = 0; i < opt.domains; i++)
        *correct += seen[i] == 3;
    free(seen);
}

/*
 * adnshost -f as a co-process: the names are written to its stdin `window` at
 * a time, one more each time an answer comes out (its -Fa header line gives
 * the number of record lines that follow), and its stdout is copied to `out`.
 * Given every name at once, adnshost sends every query at once: on loopback
 * the replies overflow a socket's receive buffer within a few hundred names
 * and adns waits 2 s for each retry (see README.md), which measures the
 * kernel's buffer, not adns. Timed fork to reap, like run_proc.
 */
static void run_adns(char *const argv[], const char *out, const char *err, int window, double timeout,
                     struct proc *r) {
    memset(r, 0, sizeof *r);
    size_t count = 0;
    char **names = read_lines(g_names, &count);
    if (!names)
        die("%s: %s", g_names, strerror(errno));
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    FILE *copy = fopen(out, "w");
    if (!copy)
        die("%s: %s", out, strerror(errno));
    pid_t parent = getpid();
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int fe = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fe < 0)
            _exit(127);
        dup2(to[0], 0);
        dup2(from[1], 1);
        dup2(fe, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    g_child = pid;
    close(to[0]);
    close(from[1]);
    size_t written = 0, answered = 0;
    long rest = 0; /* record lines still to come for the current answer */
    char buf[65536], line[2048];
    size_t used = 0;
    int timed_out = 0;
    /* The first window of names. */
    while (written < count && written < (size_t)window) {
        dprintf(to[1], "%s\n", names[written]);
        written++;
    }
    if (written == count) {
        close(to[1]);
        to[1] = -1;
    }
    for (;;) {
        double left = t0 + timeout - now_s();
        if (left <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {from[0], POLLIN, 0};
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        ssize_t got = read(from[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        fwrite(buf, 1, (size_t)got, copy);
        for (ssize_t k = 0; k < got; k++) {
            if (buf[k] != '\n') {
                if (used < sizeof line - 1)
                    line[used++] = buf[k];
                continue;
            }
            line[used] = 0;
            used = 0;
            if (rest > 0) {
                rest--;
                continue;
            }
            unsigned id, nrrs;
            if (sscanf(line, "%u %u", &id, &nrrs) != 2)
                continue;
            rest = (long)nrrs;
            answered++;
            if (to[1] >= 0 && written < count) {
                dprintf(to[1], "%s\n", names[written]);
                written++;
            }
            if (to[1] >= 0 && written == count) {
                close(to[1]);
                to[1] = -1;
            }
        }
    }
    if (to[1] >= 0)
        close(to[1]);
    close(from[0]);
    fclose(copy);
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
        ;
    r->secs = now_s() - t0;
    g_child = -1;
    r->maxrss_kb = ru.ru_maxrss;
    r->status = timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* RcvbufErrors of /proc/net/snmp: UDP datagrams dropped because a socket's
   receive buffer was full, in this network namespace (-1 if unknown). */
static long udp_drops(void) {
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f)
        return -1;
    char names[1024], values[1024];
    long result = -1;
    while (fgets(names, sizeof names, f)) {
        if (strncmp(names, "Udp:", 4) != 0 || !fgets(values, sizeof values, f))
            continue;
        char *np = NULL, *vp = NULL;
        char *n = strtok_r(names, " \n", &np), *v = strtok_r(values, " \n", &vp);
        while (n && v) {
            if (!strcmp(n, "RcvbufErrors")) {
                result = atol(v);
                break;
            }
            n = strtok_r(NULL, " \n", &np);
            v = strtok_r(NULL, " \n", &vp);
        }
        break;
    }
    fclose(f);
    return result;
}

static void run_contender(struct contender *c, int run) {
    char out[PATH_MAX], err[PATH_MAX], window[16], port[16];
    char name[96];
    snprintf(name, sizeof name, "out-%s-%d.txt", c->tag, run);
    path_in(out, name);
    snprintf(name, sizeof name, "err-%s.txt", c->tag);
    path_in(err, name);
    snprintf(window, sizeof window, "%d", c->window ? c->window : WINDOW);
    snprintf(port, sizeof port, "%u", opt.port);
    char *argv[24];
    int a = 0;
    switch (c->kind) {
    case K_SELF:
        argv[a++] = g_self;
        argv[a++] = "--child";
        argv[a++] = (char *)c->arg;
        argv[a++] = "--server";
        argv[a++] = g_server;
        argv[a++] = "--names";
        argv[a++] = g_names;
        argv[a++] = "--window";
        argv[a++] = window;
        break;
    case K_CARES:
        argv[a++] = g_cares;
        argv[a++] = "--server";
        argv[a++] = g_server;
        argv[a++] = "--names";
        argv[a++] = g_names;
        argv[a++] = "--window";
        argv[a++] = (char *)c->arg;
        argv[a++] = "--zone";
        argv[a++] = ZONE;
        break;
    case K_ADNS:
        /* +e: no environment; --config replaces /etc/resolv.conf; -a: answers in the
           order they come, in the -Fa format (a header line per answer); mx-: the MX
           records alone (plain "mx" would also look up every exchanger's addresses). */
        argv[a++] = g_adnshost;
        argv[a++] = "+e";
        argv[a++] = "--config";
        argv[a++] = "nameserver 127.0.0.1";
        argv[a++] = "-a";
        argv[a++] = "-t";
        argv[a++] = "mx-";
        argv[a++] = "-f";
        break;
    case K_PYTHON:
        argv[a++] = g_python;
        argv[a++] = g_script;
        argv[a++] = "--server";
        argv[a++] = "127.0.0.1";
        argv[a++] = "--port";
        argv[a++] = port;
        argv[a++] = "--names";
        argv[a++] = g_names;
        argv[a++] = "--mode";
        argv[a++] = (char *)c->arg;
        argv[a++] = "--window";
        argv[a++] = window;
        argv[a++] = "--zone";
        argv[a++] = ZONE;
        break;
    }
    argv[a] = NULL;

    struct proc r;
    long drops_before = udp_drops();
    if (c->kind == K_ADNS)
        run_adns(argv, out, err, WINDOW, 60.0 + opt.domains / 100.0, &r);
    else
        run_proc(argv, NULL, out, err, 60.0 + opt.domains / 100.0, &r);
    long drops_after = udp_drops();
    if (drops_before >= 0 && drops_after >= drops_before && drops_after - drops_before > c->drops)
        c->drops = drops_after - drops_before;
    size_t total = 0, correct = 0, failed = 0;
    double secs = r.secs;
    int ok;
    if (c->kind == K_ADNS) {
        check_adns(out, &correct, &failed);
        total = opt.domains;
        /* adnshost exits 0, or 1-6 when a query failed: the answers decide. */
        ok = r.status >= 0 && r.status <= 6;
    } else {
        ok = read_result(out, &total, &correct, &failed, &secs) && r.status >= 0;
    }
    if (r.maxrss_kb > c->rss_kb)
        c->rss_kb = r.maxrss_kb;
    if (run == 0 || correct < c->correct_min)
        c->correct_min = correct;
    if (!ok || total != opt.domains || correct != opt.domains) {
        c->failed++;
        if (!c->err[0])
            snprintf(c->err, sizeof c->err, "run %d: exit status %d, %zu of %u answers correct, %zu failed (see %.200s)",
                     run + 1, r.status, correct, opt.domains, failed, err);
        g_failed = 1;
        fprintf(stderr, "  %-9s %-26s FAILED: %zu of %u correct, exit %d\n", c->tool, c->mode, correct, opt.domains,
                r.status);
        print_file_tail(err, 1500);
        return;
    }
    c->secs[c->n] = secs;
    c->wall[c->n] = r.secs;
    c->n++;
    fprintf(stderr, "  %-9s %-26s %8.3f s  %9.0f/s  (process %.3f s, %ld KiB)\n", c->tool, c->mode, secs,
            opt.domains / secs, r.secs, r.maxrss_kb);
}

/* ---- statistics and the table ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    if (n == 0)
        return -1;
    double tmp[MAX_RUNS];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static int parse_count(const char *s, unsigned long max, unsigned *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return 0;
    *out = (unsigned)v;
    return 1;
}

static void find_script(void) {
    if (opt.script) {
        if (!realpath(opt.script, g_script))
            die("--script %s: %s", opt.script, strerror(errno));
        return;
    }
    const char *candidates[3];
    int n = 0;
    char env[PATH_MAX] = "";
    const char *src = getenv("INETKIT_SOURCE_DIR");
    if (src && *src) {
        snprintf(env, sizeof env, "%s/tests/bench/mx/dnspython_ref.py", src);
        candidates[n++] = env;
    }
#ifdef MX_BENCH_SOURCE_DIR
    candidates[n++] = MX_BENCH_SOURCE_DIR "/tests/bench/mx/dnspython_ref.py";
#endif
    candidates[n++] = "tests/bench/mx/dnspython_ref.py";
    for (int i = 0; i < n; i++)
        if (access(candidates[i], R_OK) == 0 && realpath(candidates[i], g_script))
            return;
    g_script[0] = 0;
}

/* The first line a program prints for `--version` (or `-c CODE` for Python). */
static void version_of(char *const argv[], char *out, size_t size) {
    char path[PATH_MAX];
    path_in(path, "version.txt");
    struct proc r;
    run_proc(argv, NULL, path, NULL, 20, &r);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(out, (int)size, f))
            out[strcspn(out, "\r\n")] = 0;
        fclose(f);
    }
    if (r.status != 0)
        out[0] = 0;
}

static void reset_stats(struct contender *c) {
    c->n = 0;
    c->rss_kb = 0;
    c->correct_min = 0;
    c->failed = 0;
    c->err[0] = 0;
    c->drops = 0;
}

/* --scale: the same zone (opt.domains names), asked for its first 100, 1,000,
   10,000 ... names of the shuffled order, by the contenders marked scaled. */
static int scale_main(const char *v_ik, const char *v_cares, const char *v_knot) {
    unsigned zone = opt.domains;
    unsigned sizes[8];
    int nsizes = 0;
    for (unsigned n = 100; n < zone && nsizes < 7; n *= 10)
        sizes[nsizes++] = n;
    sizes[nsizes++] = zone;
    size_t count = 0;
    char **names = read_lines(g_names, &count);
    if (!names || count != zone)
        die("%s: cannot read the %u names", g_names, zone);
    static char full[PATH_MAX];
    memcpy(full, g_names, sizeof full);
    double medians[8][NCONT];
    long drops[8][NCONT];
    double t_start = now_s();
    for (int s = 0; s < nsizes; s++) {
        char file[64];
        snprintf(file, sizeof file, "names-%u.txt", sizes[s]);
        path_in(g_names, file);
        FILE *f = fopen(g_names, "w");
        if (!f)
            die("%s: %s", g_names, strerror(errno));
        for (unsigned i = 0; i < sizes[s]; i++)
            fprintf(f, "%s\n", names[i]);
        if (fclose(f) != 0)
            die("%s: %s", g_names, strerror(errno));
        opt.domains = sizes[s];
        for (int c = 0; c < NCONT; c++)
            reset_stats(&g_c[c]);
        for (int run = 0; run < opt.runs; run++) {
            fprintf(stderr, "mx_bench: %u names, run %d of %d\n", sizes[s], run + 1, opt.runs);
            for (int k = 0; k < NCONT; k++) {
                struct contender *c = &g_c[(k + run) % NCONT];
                if (c->available && c->scaled)
                    run_contender(c, run);
            }
        }
        for (int c = 0; c < NCONT; c++) {
            medians[s][c] = g_c[c].n == opt.runs ? median(g_c[c].secs, g_c[c].n) : -1;
            drops[s][c] = g_c[c].drops;
        }
    }
    double t_end = now_s();
    memcpy(g_names, full, sizeof full);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);

    printf("\nMX lookups against the number of names: the first N names (shuffled order) of a zone\n"
           "of %u (d<i>." ZONE ", 2 MX records each); seconds from the first query to the last\n"
           "answer, median of %d run%s; in brackets that time per 1,000 names (ms).\n"
           "  server: %s on %s\n  inetkit: %s\n  peer: cares_ref on %s\n\n",
           zone, opt.runs, opt.runs == 1 ? "" : "s", v_knot[0] ? v_knot : "knotd", g_server, v_ik, v_cares);
    printf("  %8s", "names");
    for (int c = 0; c < NCONT; c++)
        if (g_c[c].scaled)
            printf("  %-22.22s", g_c[c].mode);
    printf("  %s\n", "async / c-ares 64, sync / c-ares 1 [1]");
    printf("  %8s", "");
    for (int c = 0; c < NCONT; c++)
        if (g_c[c].scaled)
            printf("  %-22s", g_c[c].tool);
    printf("\n");
    for (int s = 0; s < nsizes; s++) {
        printf("  %8u", sizes[s]);
        for (int c = 0; c < NCONT; c++) {
            if (!g_c[c].scaled)
                continue;
            char cell[64];
            if (medians[s][c] < 0)
                snprintf(cell, sizeof cell, "FAILED");
            else
                snprintf(cell, sizeof cell, "%.4f (%.2f)%s", medians[s][c], medians[s][c] * 1e6 / sizes[s],
                         drops[s][c] ? " drops" : "");
            printf("  %-22s", cell);
        }
        double a = medians[s][1], r64 = medians[s][REFERENCE], sy = medians[s][0], r1 = medians[s][REFERENCE + 1];
        if (a > 0 && r64 > 0 && sy > 0 && r1 > 0)
            printf("  %.2f, %.2f", r64 / a, r1 / sy);
        printf("\n");
    }
    printf("\n  [1] the c-ares time divided by inetkit's: above 1 inetkit is faster.\n"
           "  measured in %.0f s\n",
           t_end - t_start);
    return g_failed ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);
    int domains_given = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--domains") && val) {
            domains_given = 1;
            if (!parse_count(val, MAX_DOMAINS, &opt.domains) || opt.domains < 1) {
                fprintf(stderr, "mx_bench: --domains must be 1-%u\n", MAX_DOMAINS);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--runs") && val) {
            if (!parse_count(val, MAX_RUNS, &v) || v < 1) {
                fprintf(stderr, "mx_bench: --runs must be 1-%d\n", MAX_RUNS);
                return 2;
            }
            opt.runs = (int)v;
            i++;
        } else if (!strcmp(a, "--quick")) {
            opt.domains = 2000;
            opt.runs = 1;
        } else if (!strcmp(a, "--scale")) {
            opt.scale = 1;
        } else if (!strcmp(a, "--port") && val) {
            if (!parse_count(val, 65535, &opt.port)) {
                fprintf(stderr, "mx_bench: --port must be 0-65535\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--knotd") && val) {
            opt.knotd = val;
            i++;
        } else if (!strcmp(a, "--cares-ref") && val) {
            opt.cares_ref = val;
            i++;
        } else if (!strcmp(a, "--python") && val) {
            opt.python = val;
            i++;
        } else if (!strcmp(a, "--script") && val) {
            opt.script = val;
            i++;
        } else if (!strcmp(a, "--adnshost") && val) {
            opt.adnshost = val;
            i++;
        } else if (!strcmp(a, "--keep")) {
            opt.keep = 1;
        } else {
            fprintf(stderr, "mx_bench: unknown or incomplete option %s\n", a);
            usage(stderr);
            return 2;
        }
    }

    if (opt.scale && !domains_given)
        opt.domains = MAX_DOMAINS;

    /* The programs. */
    static char knotd[PATH_MAX];
    if (!find_exe(opt.knotd ? opt.knotd : "knotd", knotd)) {
        fprintf(stderr, "mx_bench: knotd not found (Debian: apt-get install knot), or give --knotd PATH\n");
        return 2;
    }
    opt.knotd = knotd;
    ssize_t len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (len <= 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    g_self[len] = 0;
    if (opt.cares_ref) {
        if (!find_exe(opt.cares_ref, g_cares))
            die("--cares-ref %s: not an executable", opt.cares_ref);
    } else {
        snprintf(g_cares, sizeof g_cares, "%.*s/cares_ref", (int)(strrchr(g_self, '/') - g_self), g_self);
        if (access(g_cares, X_OK) != 0)
            die("%s is missing: build the target cares_ref, or give --cares-ref PATH", g_cares);
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, SIG_IGN);
    atexit(cleanup);

    const char *base = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/ik-mxbench.XXXXXX", base && *base && strlen(base) < 200 ? base : "/tmp");
    if (!mkdtemp(g_tmp))
        die("mkdtemp %s: %s", g_tmp, strerror(errno));

    if (opt.port == 0)
        opt.port = free_port();
    snprintf(g_server, sizeof g_server, "127.0.0.1:%u", opt.port);

    /* The peers that can run here. */
    char v_cares[128] = "", v_adns[128] = "", v_py[128] = "", v_knot[128] = "", v_ik[256] = "";
    {
        char *args[] = {(char *)opt.knotd, "--version", NULL};
        version_of(args, v_knot, sizeof v_knot);
    }
    {
        char *args[] = {g_cares, "--version", NULL};
        version_of(args, v_cares, sizeof v_cares);
    }
    for (int c = 0; c < NCONT; c++) {
        struct contender *k = &g_c[c];
        if (k->kind == K_ADNS) {
            if (!find_exe(opt.adnshost ? opt.adnshost : "adnshost", g_adnshost)) {
                k->available = 0;
                snprintf(k->why, sizeof k->why, "adnshost not found (Debian: adns-tools)");
            } else if (opt.port != 53) {
                k->available = 0;
                snprintf(k->why, sizeof k->why,
                         "adns only asks port 53; Knot is on %u (run-mx-bench.sh gives it a network namespace)",
                         opt.port);
            } else {
                char *args[] = {g_adnshost, "--version", NULL};
                version_of(args, v_adns, sizeof v_adns);
            }
        } else if (k->kind == K_PYTHON) {
            find_script();
            char *args[] = {(char *)opt.python, "-c",
                            "import dns.version, dns.asyncresolver, sys; "
                            "print('dnspython %s, Python %s' % (dns.version.version, sys.version.split()[0]))",
                            NULL};
            if (!find_exe(opt.python, g_python)) {
                k->available = 0;
                snprintf(k->why, sizeof k->why, "%s not found", opt.python);
            } else if (!g_script[0]) {
                k->available = 0;
                snprintf(k->why, sizeof k->why, "tests/bench/mx/dnspython_ref.py not found (give --script)");
            } else {
                args[0] = g_python;
                if (!v_py[0])
                    version_of(args, v_py, sizeof v_py);
                if (!v_py[0]) {
                    k->available = 0;
                    snprintf(k->why, sizeof k->why, "%.100s has no dnspython (Debian: python3-dnspython)", g_python);
                }
            }
        }
    }

    fprintf(stderr, "mx_bench: writing a zone of %u names in %s\n", opt.domains, g_tmp);
    write_zone();
    fprintf(stderr, "mx_bench: starting %s on %s\n", opt.knotd, g_server);
    start_knot();

    {
        /* What inetkit reports about itself. */
        MxInitialize();
        HCLIENT h = MxCreate(MX_OPTION_NONE);
        DWORD size = sizeof v_ik;
        if (h == INVALID_CLIENT || MxGetConfig(h, "BuildInfo", v_ik, &size) != 0)
            snprintf(v_ik, sizeof v_ik, "inetkit %s", INETKIT_VERSION_STRING);
        if (h != INVALID_CLIENT)
            MxDestroy(h);
        MxUninitialize();
    }

    if (opt.scale)
        return scale_main(v_ik, v_cares, v_knot);

    double t_start = now_s();
    for (int run = 0; run < opt.runs; run++) {
        fprintf(stderr, "mx_bench: run %d of %d, %u names\n", run + 1, opt.runs, opt.domains);
        /* Rotate the order with the run, so neither drift nor position favours one. */
        for (int k = 0; k < NCONT; k++) {
            struct contender *c = &g_c[(k + run) % NCONT];
            if (c->available)
                run_contender(c, run);
        }
    }
    double t_end = now_s();

    /* The table. */
    double ref = g_c[REFERENCE].n ? (double)opt.domains / median(g_c[REFERENCE].secs, g_c[REFERENCE].n) : 0;
    printf("\nMX lookups: %u names (d<i>." ZONE ", 2 MX records each), each looked up once per run,\n"
           "in a shuffled order; median of %d run%s. No cache between a client and the server.\n"
           "  server: %s on %s (authoritative, zone in memory)\n",
           opt.domains, opt.runs, opt.runs == 1 ? "" : "s", v_knot[0] ? v_knot : "knotd", g_server);
    printf("  inetkit: %s\n  peers: cares_ref on %s; %s; %s\n\n", v_ik, v_cares, v_adns[0] ? v_adns : "adnshost -",
           v_py[0] ? v_py : "dnspython -");
#define ROW "  %-10s %-28s %7s %7s %9s %10s %9s %9s %8s %6s\n"
    printf(ROW, "tool", "mode", "domains", "correct", "seconds", "lookups/s", "vs c-ares", "process", "peak RSS",
           "UDP");
    printf(ROW, "", "", "", "", "[1]", "", "[2]", "s [3]", "MiB [4]", "drops");
    printf(ROW, "", "", "", "", "", "", "", "", "", "[5]");
    for (int c = 0; c < NCONT; c++) {
        struct contender *k = &g_c[c];
        char domains[24], correct[24], secs[24], rate[24], ratio[24], wall[24], rss[24], drops[24];
        snprintf(domains, sizeof domains, "%u", opt.domains);
        if (!k->available) {
            printf(ROW, k->tool, k->mode, domains, "-", "skipped", "-", "-", "-", "-", "-");
            continue;
        }
        snprintf(correct, sizeof correct, "%zu", k->correct_min);
        if (k->n == 0) {
            snprintf(secs, sizeof secs, "FAILED");
            snprintf(rate, sizeof rate, "-");
            snprintf(ratio, sizeof ratio, "-");
            snprintf(wall, sizeof wall, "-");
        } else {
            double m = median(k->secs, k->n);
            snprintf(secs, sizeof secs, "%.3f%s", m, k->in_process ? "" : "*");
            snprintf(rate, sizeof rate, "%.0f", opt.domains / m);
            if (ref > 0)
                snprintf(ratio, sizeof ratio, "%.2f", opt.domains / m / ref);
            else
                snprintf(ratio, sizeof ratio, "-");
            snprintf(wall, sizeof wall, "%.3f", median(k->wall, k->n));
        }
        snprintf(rss, sizeof rss, "%.1f", (double)k->rss_kb / 1024.0);
        snprintf(drops, sizeof drops, "%ld", k->drops);
        printf(ROW, k->tool, k->mode, domains, correct, secs, rate, ratio, wall, rss, drops);
    }
#undef ROW
    int bad = 0;
    for (int c = 0; c < NCONT; c++)
        if (g_c[c].available && g_c[c].failed) {
            if (!bad++)
                printf("\n  FAILURES (the first of each contender):\n");
            printf("    %s, %s: %s\n", g_c[c].tool, g_c[c].mode, g_c[c].err);
        }
    for (int c = 0; c < NCONT; c++)
        if (!g_c[c].available)
            printf("  %s skipped: %s\n", g_c[c].tool, g_c[c].why);
    printf("\n"
           "  correct: answers that matched the zone (both exchangers, preferences and names), the\n"
           "  fewest of the runs; a wrong or missing answer fails the contender.\n"
           "  [1] median of the runs: the program's own time from its first query to its last\n"
           "      answer (parsing and checking included); * = fork to reap, process start-up\n"
           "      included (adnshost cannot time itself; it includes this program feeding it).\n"
           "  [2] lookups/s divided by that of c-ares with 64 in flight: above 1 is faster.\n"
           "  [3] median fork-to-reap time of the process: start-up, reading the names, the\n"
           "      library's set-up and tear-down included (Python's start-up shows here).\n"
           "  [4] ru_maxrss of the contender's process (wait4), the largest of the runs; every\n"
           "      inetkit measurement runs in a fresh process (this program re-executed).\n"
           "  [5] UDP datagrams dropped for a full socket receive buffer while the contender ran\n"
           "      (RcvbufErrors of /proc/net/snmp, the whole network namespace: the client's sockets\n"
           "      and Knot's), the most of the runs. Each one costs a retry after a timeout.\n"
           "  inetkit sync: MxResolve with Timeout 10, one name at a time, then MxGetResult and\n"
           "  MxGetRecord 0 and 1. async: Timeout 0, MaxInFlight 64, every name submitted, then\n"
           "  MxGetNextResult until none is left. c-ares: ares_query(T_MX) + ares_parse_mx_reply,\n"
           "  one poll loop. adnshost: -a -t mx- -f as a co-process, fed a name each time an answer\n"
           "  comes out, 64 in flight (adns has no limit of its own). dnspython:\n"
           "  Resolver.resolve(name, \"MX\"), and asyncresolver with a semaphore of 64.\n");
    printf("  measured in %.0f s\n", t_end - t_start);
    fflush(stdout);
    return g_failed ? 1 : 0;
}
