/*
 * pop_bench - POP3 retrieval figures for inetkit, side by side with other POP3
 * clients against the same local Dovecot in the same run.
 *
 * It starts a private Dovecot 2.3 with tests/pop/dovecot.sh in a temporary
 * directory (on 127.0.0.1 only), writes the mailboxes itself straight into
 * the fixture's maildirs before any session (--small messages of 10 KiB for
 * alice, --large messages of 5 MiB for bob, nothing for carol), and times
 * the retrieval of every message of a mailbox, as one whole session
 * (connect, STLS, login, retrieve, QUIT), plain and with STLS:
 *
 *   inetkit store       PopStoreMessages(NULL, 0, DIR): one file per message,
 *                       with Pipelining=on and with Pipelining=off
 *   inetkit retrieve    PopRetrieveMessage for 1..STAT count, one at a time,
 *                       to a callback that only counts the bytes
 *   Python, .NET        the store, pipelined, through the bindings
 *                       (pop_bench_py.py; PopBindBench.exe on Mono)
 *   raw                 raw_pop: the reference, the least a client can do
 *                       (every RETR sent at once, or one at a time)
 *   poplib              Python's poplib (retr for 1..stat count)
 *   curl                one curl process, one pop3:// URL per message (one
 *                       connection, reused), output to a pipe
 *   mpop                delivery to a maildir (pipelined RETR)
 *   fetchmail           --bsmtp FILE (no MTA, no MDA process per message)
 *
 * Each inetkit measurement runs in a fresh child process (this program
 * re-executed), so that its peak RSS (getrusage ru_maxrss, by wait4) is its
 * own; the peers are processes too and their peak RSS is taken the same way.
 * Every client's result is checked: the number of messages and the total of
 * bytes must equal what was written into the maildir (in its CR LF form, as
 * POP3 serves it). The peers that are not installed are skipped with a note.
 *
 * Only loopback is used. Nothing here is a pass/fail assertion on time: the
 * program prints figures and exits 0 when every client completed its work
 * with exact contents, 1 otherwise.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <inetkit/inet.h>
#include <inetkit/pop.h>

#define HOST "127.0.0.1"
#define SMALL_SIZE 10240u         /* served size (CR LF) of one small message: 10 KiB */
#define LARGE_SIZE (5u << 20)     /* served size of one large message: 5 MiB */
#define BODY_LINE 72              /* characters of a full body line */
#define PYTHON_DEFAULT "/usr/bin/python3"

/* ---- options ------------------------------------------------------------- */

static struct {
    int runs;
    unsigned small, large;
    const char *dovecot; /* tests/pop/dovecot.sh */
    const char *python;
    int keep;
    const char *raw;     /* raw_pop; default beside this program */
    const char *dotnet;  /* PopBindBench.exe; no .NET column without it */
    const char *summary; /* where to write the summary lines (run.sh) */
    int sweep;           /* also time how the cost grows with count and size */
} opt = {3, 2000, 20, NULL, PYTHON_DEFAULT, 0, NULL, NULL, NULL, 0};

static void usage(FILE *f) {
    fprintf(f,
            "usage: pop_bench [--runs N] [--small N] [--large N] [--dovecot PATH]\n"
            "                 [--python PATH] [--raw PATH] [--dotnet EXE] [--sweep]\n"
            "                 [--summary FILE] [--keep] [--help]\n"
            "\n"
            "POP3 retrieval benchmark: inetkit (PopStoreMessages pipelined and not,\n"
            "PopRetrieveMessage one by one) beside Python's poplib, curl, mpop and\n"
            "fetchmail (those installed), all fetching every message of the same mailboxes\n"
            "from a private Dovecot on 127.0.0.1 that this program starts and stops.\n"
            "\n"
            "  --runs N       repetitions; the median is shown (default 3)\n"
            "  --small N      messages of 10 KiB in the small mailbox (default 2000; 0: none)\n"
            "  --large N      messages of 5 MiB in the large mailbox (default 20; 0: none)\n"
            "  --dovecot P    the fixture script tests/pop/dovecot.sh (default: found beside\n"
            "                 this source tree, or $INETKIT_SOURCE_DIR/tests/pop/dovecot.sh)\n"
            "  --python P     the Python interpreter for poplib and the binding (default " PYTHON_DEFAULT ")\n"
            "  --raw P        the reference client raw_pop (default: beside this program)\n"
            "  --dotnet EXE   PopBindBench.exe (the .NET binding's column, run with mono)\n"
            "  --sweep        also time inetkit and raw_pop over message counts 100-10,000\n"
            "                 and sizes 1 KiB-50 MiB (minutes; needs about 1 GB of disk)\n"
            "  --summary F    also write the headline figures to F, one tab-separated line each\n"
            "  --keep         keep the temporary directory (Dovecot's log, peer logs)\n"
            "\n"
            "Needs dovecot-core and dovecot-pop3d. Prints one table on stdout, progress on\n"
            "stderr; exits 0 when every client retrieved every message exactly, 1 otherwise.\n");
}

/* ---- small utilities ----------------------------------------------------- */

static char g_tmp[PATH_MAX];  /* the fixture directory (DOVECOT DIR) */
static char g_shm[PATH_MAX];  /* a directory on tmpfs, where storing costs no disk (else g_tmp) */
static char g_self[PATH_MAX]; /* this executable, re-run for the inetkit children */
static char g_ca[PATH_MAX];
static unsigned g_port;       /* plain port; STLS on it */
static int g_started;         /* dovecot.sh start succeeded */
static volatile pid_t g_child = -1;
static int g_failed;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pop_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    g_failed = 1;
    exit(1);
}

static void path_in(char *dst, const char *dir, const char *name) {
    if ((size_t)snprintf(dst, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        die("path too long: %s/%s", dir, name);
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

/* An executable named `name`: as given when it holds a '/', else searched in PATH. */
static int find_exe(const char *name, char *out) {
    if (strchr(name, '/')) {
        if (access(name, X_OK) != 0)
            return 0;
        snprintf(out, PATH_MAX, "%s", name);
        return 1;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && len < PATH_MAX - 64) {
            snprintf(out, PATH_MAX, "%.*s/%s", (int)len, path, name);
            if (access(out, X_OK) == 0)
                return 1;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0)
        die("%s: %s", path, strerror(errno));
    chmod(path, mode);
}

static void make_dir(const char *path, mode_t mode) {
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        die("mkdir %s: %s", path, strerror(errno));
}

/* Remove the entries of a directory (one level: files only). */
static void empty_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        path_in(path, dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* ---- running processes ----------------------------------------------------- */

struct proc {
    int status;          /* exit status, 128+signal, or -1 when it timed out */
    double secs;         /* fork to reap */
    long maxrss_kb;      /* ru_maxrss of the process */
    uint64_t out_bytes;  /* bytes it wrote to stdout */
    char out[4096];      /* the first of them, NUL-terminated */
};

/*
 * Runs argv (argv[0] an absolute path) with stdin /dev/null, stdout read
 * through a pipe (counted, the first 4 KiB kept), stderr appended to `err`
 * (NULL: /dev/null); HOME set to `home` when not NULL. Kills it after
 * `timeout` seconds. The child dies with us (PR_SET_PDEATHSIG).
 */
static void run_proc(char *const argv[], const char *home, const char *err, double timeout, struct proc *r) {
    memset(r, 0, sizeof *r);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    pid_t parent = getpid();
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int fi = open("/dev/null", O_RDONLY);
        int fe = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fi < 0 || fe < 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fds[1], 1);
        dup2(fe, 2);
        if (home)
            setenv("HOME", home, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    g_child = pid;
    close(fds[1]);
    double deadline = t0 + timeout;
    int timed_out = 0;
    char buf[65536];
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int n = poll(&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (r->out_bytes < sizeof r->out - 1) {
            size_t room = sizeof r->out - 1 - (size_t)r->out_bytes;
            memcpy(r->out + r->out_bytes, buf, (size_t)got < room ? (size_t)got : room);
        }
        r->out_bytes += (uint64_t)got;
    }
    close(fds[0]);
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    /* The stream has ended: the process is on its way out. Wait (a little) for it. */
    for (;;) {
        pid_t w = wait4(pid, &st, timed_out ? 0 : WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            die("wait4: %s", strerror(errno));
        if (!timed_out && now_s() > deadline) {
            timed_out = 1;
            kill(pid, SIGKILL);
            continue;
        }
        if (timed_out) {
            kill(pid, SIGKILL);
            continue;
        }
        usleep(100);
    }
    r->secs = now_s() - t0;
    g_child = -1;
    r->maxrss_kb = ru.ru_maxrss;
    r->status = timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void on_signal(int sig) {
    /* Async-signal-safe only: kill the client running now and leave. The
       watcher that dovecot.sh started with our PID stops Dovecot and removes
       the directory once we are gone. */
    if (g_child > 0)
        kill(g_child, SIGKILL);
    _exit(128 + sig);
}

/* ---- the fixture ------------------------------------------------------------ */

static void dovecot_cmd(const char *verb, int with_pid) {
    char bash[PATH_MAX], pidbuf[32], log[PATH_MAX];
    if (!find_exe("bash", bash))
        die("bash is not installed");
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
    path_in(log, g_tmp, "fixture.log");
    char *argv[] = {bash, (char *)opt.dovecot, (char *)verb, g_tmp, with_pid ? pidbuf : NULL, NULL};
    struct proc r;
    run_proc(argv, NULL, log, 120, &r);
    if (r.status != 0) {
        print_file_tail(log, 3000);
        if (strcmp(verb, "stop") == 0) {
            fprintf(stderr, "pop_bench: `dovecot.sh stop` exited with %d\n", r.status);
            g_failed = 1;
            return;
        }
        die("`dovecot.sh %s %s` exited with %d", verb, g_tmp, r.status);
    }
}

static void cleanup(void) {
    if (g_child > 0) {
        kill(g_child, SIGKILL);
        waitpid(g_child, NULL, 0);
        g_child = -1;
    }
    if (g_started) {
        g_started = 0;
        dovecot_cmd("stop", 0);
    }
    if (g_shm[0] && strcmp(g_shm, g_tmp) != 0)
        nftw(g_shm, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_shm[0] = 0;
    if (g_tmp[0]) {
        if (opt.keep || g_failed)
            fprintf(stderr, "pop_bench: kept %s (dovecot.log, logs/)\n", g_tmp);
        else
            nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        g_tmp[0] = 0;
    }
}

/* Whether every directory above `path` lets others through (Dovecot's helpers
   run as other users when we are root). */
static int parents_searchable(const char *path) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
        if (slash == p)
            p[1] = 0;
        else
            *slash = 0;
        struct stat st;
        if (stat(p, &st) != 0 || !(st.st_mode & S_IXOTH))
            return 0;
        if (slash == p)
            break;
    }
    return 1;
}

static void make_tmp(void) {
    const char *base = getenv("TMPDIR");
    char real[PATH_MAX];
    /* dovecot.sh wants at most 60 characters (Unix socket paths), and every
       parent world-searchable; else /tmp. */
    if (!base || !*base || !realpath(base, real) || strlen(real) > 36 || !parents_searchable(real)) {
        snprintf(real, sizeof real, "/tmp");
    }
    snprintf(g_tmp, sizeof g_tmp, "%.64s/ik-popbench.XXXXXX", strcmp(real, "/") ? real : "");
    if (!mkdtemp(g_tmp))
        die("mkdtemp %s: %s", g_tmp, strerror(errno));
    chmod(g_tmp, 0755);
}

/* ---- the mailboxes -------------------------------------------------------- */

struct workload {
    const char *key;   /* "small", "large", "empty" */
    const char *user;
    unsigned count;
    unsigned size;     /* served size of each message */
    uint64_t total;    /* count * size */
    char label[64];
};

static struct workload g_work[3];
static int g_nwork;

static char g_text[1 << 16]; /* random printable text the body lines are cut from */

static void init_text(void) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz    ABCDEFGHIJ0123456789,.;:-";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof g_text; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        g_text[i] = alphabet[x % (sizeof alphabet - 1)];
    }
}

/*
 * Writes message `k` of `w` into buf with LF line ends (the maildir form) and
 * returns its length. Served by POP3, every LF becomes CR LF and the size is
 * exactly w->size. Every 37th body line starts with a dot, so the server
 * dot-stuffs and the clients must undo it.
 */
static size_t build_message(char *buf, const struct workload *w, unsigned k) {
    size_t len = (size_t)sprintf(buf,
                                 "From: Bench Sender <sender@example.org>\n"
                                 "To: %s@example.org\n"
                                 "Subject: pop_bench %s message %u of %u\n"
                                 "Date: Mon, 1 Jan 2024 12:00:00 +0000\n"
                                 "Message-ID: <%u.%s.%s@pop-bench.example.org>\n"
                                 "MIME-Version: 1.0\n"
                                 "Content-Type: text/plain; charset=us-ascii\n"
                                 "\n",
                                 w->user, w->key, k, w->count, k, w->key, w->user);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    size_t remaining = w->size - (len + lines); /* served bytes still to write */
    uint64_t x = 0x2545F4914F6CDD1Dull ^ ((uint64_t)k << 20) ^ (uint64_t)w->size;
    unsigned line = 0;
    while (remaining > 0) {
        size_t chars;
        if (remaining > 2 * (BODY_LINE + 2))
            chars = BODY_LINE;
        else if (remaining > BODY_LINE + 2)
            chars = remaining / 2 - 2; /* two last lines share the rest */
        else
            chars = remaining - 2;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t from = (size_t)(x % (sizeof g_text - BODY_LINE));
        memcpy(buf + len, g_text + from, chars);
        if (chars > 0 && line % 37 == 5)
            buf[len] = '.';
        len += chars;
        buf[len++] = '\n';
        remaining -= chars + 2;
        line++;
    }
    return len;
}

/* Writes the mailbox of w into DIR/mail/USER/Maildir/new, owned like DIR/mail. */
static void fill_maildir(const struct workload *w) {
    char mail[PATH_MAX], home[PATH_MAX], md[PATH_MAX], sub[PATH_MAX], file[PATH_MAX];
    path_in(mail, g_tmp, "mail");
    struct stat st;
    if (stat(mail, &st) != 0)
        die("%s: %s (did dovecot.sh change its layout?)", mail, strerror(errno));
    path_in(home, mail, w->user);
    path_in(md, home, "Maildir");
    const char *dirs[] = {home, md, NULL};
    for (int i = 0; dirs[i]; i++) {
        make_dir(dirs[i], 0755);
        if (chown(dirs[i], st.st_uid, st.st_gid) != 0)
            die("chown %s: %s", dirs[i], strerror(errno));
    }
    static const char *subs[] = {"new", "cur", "tmp"};
    for (int i = 0; i < 3; i++) {
        path_in(sub, md, subs[i]);
        make_dir(sub, 0755);
        if (chown(sub, st.st_uid, st.st_gid) != 0)
            die("chown %s: %s", sub, strerror(errno));
    }
    if (w->count == 0)
        return;
    char *buf = malloc(w->size + 1024);
    if (!buf)
        die("out of memory");
    long t = (long)time(NULL) - 86400;
    for (unsigned k = 1; k <= w->count; k++) {
        size_t len = build_message(buf, w, k);
        /* Dovecot numbers new files in the order of their names; S= and W=
           (file size, CR LF size) spare it reading the files to learn them. */
        char name[128];
        snprintf(name, sizeof name, "new/%ld.M%07uP%d.pop-bench,S=%zu,W=%u", t, k, (int)getpid(), len, w->size);
        path_in(file, md, name);
        int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fchown(fd, st.st_uid, st.st_gid) != 0 || close(fd) != 0)
            die("%s: %s", file, strerror(errno));
    }
    free(buf);
}

/* ---- clients -------------------------------------------------------------- */

enum {
    C_IK_PIPE, C_IK_NOPIPE, C_IK_SHM, C_IK_RETR, /* inetkit from C: always there */
    C_PY, C_NET,                       /* inetkit through the bindings */
    C_RAW, C_RAW1,                     /* the reference: raw_pop */
    C_POPLIB, C_CURL, C_MPOP, C_FETCHMAIL, NCLIENTS
};

static const char *g_head1[NCLIENTS] = {"inetkit", "inetkit", "inetkit", "inetkit", "Python", ".NET", "raw", "raw",
                                        "poplib", "curl", "mpop", "fetchmail"};
static const char *g_head2[NCLIENTS] = {"store[1]", "store[1]", "tmpfs[12]", "retr.[2]", "tmpfs[9]", "tmpfs[9]",
                                        "[10]", "[10]", "[3]", "[4]", "[5]", "[6]"};
static const char *g_head3[NCLIENTS] = {"pipelined", "unpipel.", "pipelined", "callback", "pipelined",
                                        "pipelined", "pipelined", "1 by 1", "", "", "", ""};

static struct {
    int available;
    char exe[PATH_MAX];
    char version[96];
    char why[160]; /* why not available */
} g_peer[NCLIENTS];

struct result {
    int ok;
    double secs;
    uint64_t bytes;
    uint64_t msgs;
    long rss_kb;
    char err[320];
};

static char g_ik_tls[96] = "?"; /* what inetkit negotiated on STLS */
static char g_pyscript[PATH_MAX]; /* pop_bench_py.py */
static char g_dotnet[PATH_MAX];   /* PopBindBench.exe */

static double proc_timeout(const struct workload *w) { return 60.0 + (double)w->total / 2e6; }

static void set_err(struct result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->ok = 0;
}

static void log_path(char *out, const char *name) {
    char dir[PATH_MAX];
    path_in(dir, g_tmp, "logs");
    path_in(out, dir, name);
}

static void proc_failed(struct result *r, const char *who, const struct proc *p, const char *log) {
    if (p->status < 0)
        set_err(r, "%s timed out (log %s)", who, log);
    else
        set_err(r, "%s exited with %d (log %s)", who, p->status, log);
}

/* Reads "ok SECONDS BYTES MESSAGES [PROTOCOL CIPHER]" or "err MESSAGE" from a
   measured child's stdout into r. */
static void parse_child(const struct proc *p, int tls, const char *who, const char *log, struct result *r) {
    double secs = 0;
    unsigned long long bytes = 0, msgs = 0;
    char proto[32] = "", cipher[64] = "";
    r->rss_kb = p->maxrss_kb;
    if (p->status == 0 && sscanf(p->out, "ok %lf %llu %llu %31s %63s", &secs, &bytes, &msgs, proto, cipher) >= 3) {
        r->ok = 1;
        r->secs = secs;
        r->bytes = bytes;
        r->msgs = msgs;
        if (tls && !strcmp(who, "the inetkit child") && proto[0] && strcmp(proto, "-") != 0)
            snprintf(g_ik_tls, sizeof g_ik_tls, "%s %s", proto, cipher);
    } else if (strncmp(p->out, "err ", 4) == 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "%.*s", (int)strcspn(p->out + 4, "\n"), p->out + 4);
        set_err(r, "%s", msg);
    } else {
        proc_failed(r, who, p, log);
    }
}

static uint64_t count_files(const char *dir, int lf, uint64_t *bytes);

/* raw_pop, every RETR at once (C_RAW) or one at a time (C_RAW1). */
static void run_raw(int client, const struct workload *w, int tls, struct result *r) {
    char port[16], pass[64], log[PATH_MAX];
    snprintf(port, sizeof port, "%u", g_port);
    snprintf(pass, sizeof pass, "%s-pass", w->user);
    log_path(log, "raw_pop.log");
    char *argv[] = {g_peer[C_RAW].exe, HOST, port, (char *)w->user, pass, tls ? "stls" : "plain", g_ca,
                    client == C_RAW1 ? "--window" : NULL, "1", NULL};
    struct proc p;
    run_proc(argv, NULL, log, proc_timeout(w), &p);
    parse_child(&p, tls, "raw_pop", log, r);
}

/* The bindings: the program stores into OUTDIR, this one counts what is there. */
static void run_binding(int client, const struct workload *w, int tls, struct result *r) {
    char port[16], pass[64], log[PATH_MAX], outdir[PATH_MAX];
    snprintf(port, sizeof port, "%u", g_port);
    snprintf(pass, sizeof pass, "%s-pass", w->user);
    path_in(outdir, g_shm, "out/binding");
    log_path(log, client == C_PY ? "python-binding.log" : "dotnet-binding.log");
    uint64_t junk;
    count_files(outdir, 0, &junk); /* what a failed run may have left */
    char *py[] = {g_peer[C_PY].exe, g_pyscript, port, (char *)w->user, pass, tls ? "stls" : "plain", g_ca, outdir,
                  NULL};
    char *net[] = {g_peer[C_NET].exe, g_dotnet, port, (char *)w->user, pass, tls ? "stls" : "plain", g_ca, outdir,
                   NULL};
    struct proc p;
    run_proc(client == C_PY ? py : net, NULL, log, proc_timeout(w) + 30, &p);
    parse_child(&p, tls, client == C_PY ? "the Python binding" : "the .NET binding", log, r);
    uint64_t bytes = 0, files = count_files(outdir, 0, &bytes);
    if (r->ok && files != r->msgs) {
        set_err(r, "the binding reported %llu stored, the directory holds %llu files", (unsigned long long)r->msgs,
                (unsigned long long)files);
        return;
    }
    r->bytes = bytes;
}

/* inetkit: the child re-runs this program with --child. */
static void run_inetkit(int client, const struct workload *w, int tls, struct result *r) {
    static const char *modes[] = {"store-pipe", "store-nopipe", "store-pipe", "retrieve"};
    char port[16], outdir[PATH_MAX], log[PATH_MAX];
    snprintf(port, sizeof port, "%u", g_port);
    path_in(outdir, client == C_IK_SHM ? g_shm : g_tmp, "out/inetkit");
    log_path(log, "inetkit.log");
    empty_dir(outdir); /* what a failed run may have left */
    char pass[64];
    snprintf(pass, sizeof pass, "%s-pass", w->user);
    char *argv[] = {g_self, "--child", (char *)modes[client], (char *)w->user, pass, port,
                    tls ? "stls" : "plain", g_ca, outdir, NULL};
    struct proc p;
    run_proc(argv, NULL, log, proc_timeout(w), &p);
    parse_child(&p, tls, "the inetkit child", log, r);
}

static const char POPLIB_SCRIPT[] =
    "import poplib, ssl, sys\n"
    "port, user, password, tls, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == 'stls', sys.argv[5]\n"
    "p = poplib.POP3('" HOST "', port, timeout=60)\n"
    "if tls:\n"
    "    p.stls(ssl.create_default_context(cafile=ca))\n"
    "p.user(user)\n"
    "p.pass_(password)\n"
    "count = p.stat()[0]\n"
    "total = 0\n"
    "for i in range(1, count + 1):\n"
    "    total += sum(len(line) + 2 for line in p.retr(i)[1])\n"
    "p.quit()\n"
    "print(count, total)\n";

static void run_poplib(const struct workload *w, int tls, struct result *r) {
    char port[16], pass[64], log[PATH_MAX];
    snprintf(port, sizeof port, "%u", g_port);
    snprintf(pass, sizeof pass, "%s-pass", w->user);
    log_path(log, "poplib.log");
    char *argv[] = {g_peer[C_POPLIB].exe, "-I", "-c", (char *)POPLIB_SCRIPT, port, (char *)w->user, pass,
                    tls ? "stls" : "plain", g_ca, NULL};
    struct proc p;
    run_proc(argv, NULL, log, proc_timeout(w), &p);
    r->rss_kb = p.maxrss_kb;
    unsigned long long count = 0, bytes = 0;
    if (p.status != 0 || sscanf(p.out, "%llu %llu", &count, &bytes) != 2) {
        proc_failed(r, "python3 (poplib)", &p, log);
        return;
    }
    r->ok = 1;
    r->secs = p.secs;
    r->msgs = count;
    r->bytes = bytes;
}

/* curl: a config file with one URL per message; everything arrives on stdout. */
static void run_curl(const struct workload *w, int tls, struct result *r) {
    char cfg[PATH_MAX], name[64], log[PATH_MAX];
    snprintf(name, sizeof name, "curl-%s-%s.cfg", w->user, tls ? "stls" : "plain");
    path_in(cfg, g_tmp, "peers");
    strncat(cfg, "/", PATH_MAX - strlen(cfg) - 1);
    strncat(cfg, name, PATH_MAX - strlen(cfg) - 1);
    log_path(log, "curl.log");
    if (access(cfg, R_OK) != 0) {
        FILE *f = fopen(cfg, "w");
        if (!f)
            die("%s: %s", cfg, strerror(errno));
        fchmod(fileno(f), 0600);
        fprintf(f, "silent\nshow-error\nuser = \"%s:%s-pass\"\nlogin-options = \"AUTH=PLAIN\"\n", w->user, w->user);
        fprintf(f, "write-out = \"%%{stderr}pop-bench-transfer %%{exitcode}\\n\"\n");
        if (tls)
            fprintf(f, "ssl-reqd\ncacert = \"%s\"\n", g_ca);
        if (w->count == 0)
            fprintf(f, "url = \"pop3://" HOST ":%u/\"\n", g_port); /* LIST: what a session on an empty box does */
        for (unsigned k = 1; k <= w->count; k++)
            fprintf(f, "url = \"pop3://" HOST ":%u/%u\"\n", g_port, k);
        if (fclose(f) != 0)
            die("%s: %s", cfg, strerror(errno));
    }
    truncate(log, 0);
    char *argv[] = {g_peer[C_CURL].exe, "-q", "-K", cfg, NULL};
    struct proc p;
    run_proc(argv, NULL, log, proc_timeout(w), &p);
    r->rss_kb = p.maxrss_kb;
    if (p.status != 0) {
        proc_failed(r, "curl", &p, log);
        return;
    }
    /* One "pop-bench-transfer 0" line on stderr per transfer that succeeded. */
    FILE *f = fopen(log, "r");
    char line[512];
    uint64_t good = 0, bad = 0;
    while (f && fgets(line, sizeof line, f)) {
        int code;
        if (sscanf(line, "pop-bench-transfer %d", &code) == 1)
            *(code == 0 ? &good : &bad) += 1;
    }
    if (f)
        fclose(f);
    if (bad) {
        set_err(r, "curl: %llu transfers failed (log %s)", (unsigned long long)bad, log);
        return;
    }
    r->ok = 1;
    r->secs = p.secs;
    r->bytes = p.out_bytes;
    r->msgs = good;
    if (w->count == 0) { /* the output is the (empty) LIST, not messages */
        if (good != 1 || p.out_bytes > 2) {
            set_err(r, "curl: unexpected LIST of the empty mailbox: %llu bytes", (unsigned long long)p.out_bytes);
            return;
        }
        r->bytes = r->msgs = 0;
    }
}

/* Sums the sizes of the regular files in dir (and, with lf, their LF bytes:
   LF files count as CR LF), then deletes them. Returns the file count. */
static uint64_t count_files(const char *dir, int lf, uint64_t *bytes) {
    DIR *d = opendir(dir);
    uint64_t files = 0;
    *bytes = 0;
    if (!d)
        return 0;
    struct dirent *e;
    char path[PATH_MAX];
    static char buf[1 << 20];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        path_in(path, dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        files++;
        *bytes += (uint64_t)st.st_size;
        if (lf) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            ssize_t n;
            while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
                for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
                    ++*bytes;
            if (fd >= 0)
                close(fd);
        }
        unlink(path);
    }
    closedir(d);
    return files;
}

static void mpop_files(char *rc, char *md, char *uidls, const struct workload *w, int tls) {
    char peers[PATH_MAX], name[64];
    path_in(peers, g_tmp, "peers");
    snprintf(name, sizeof name, "mpop-%s-%s.rc", w->user, tls ? "stls" : "plain");
    path_in(rc, peers, name);
    path_in(md, g_tmp, "out/mpop");
    path_in(uidls, peers, "mpop.uidls");
    if (access(rc, R_OK) == 0)
        return;
    char text[4 * PATH_MAX], tls_lines[PATH_MAX + 128];
    if (tls)
        snprintf(tls_lines, sizeof tls_lines, "tls on\ntls_starttls on\ntls_certcheck on\ntls_trust_file %s\n", g_ca);
    else
        snprintf(tls_lines, sizeof tls_lines, "tls off\n");
    snprintf(text, sizeof text,
             "defaults\n"
             "keep on\n"
             "only_new off\n"
             "received_header off\n"
             "pipelining auto\n"
             "\n"
             "account bench\n"
             "host " HOST "\n"
             "port %u\n"
             "timeout 60\n"
             "user %s\n"
             "password %s-pass\n"
             "auth user\n"
             "%s"
             "uidls_file %s\n"
             "delivery maildir %s\n",
             g_port, w->user, w->user, tls_lines, uidls, md);
    write_file(rc, text, 0600);
}

static void run_mpop(const struct workload *w, int tls, struct result *r) {
    char rc[PATH_MAX], md[PATH_MAX], uidls[PATH_MAX], log[PATH_MAX], peers[PATH_MAX], newdir[PATH_MAX];
    mpop_files(rc, md, uidls, w, tls);
    path_in(peers, g_tmp, "peers");
    log_path(log, "mpop.log");
    unlink(uidls);
    char *argv[] = {g_peer[C_MPOP].exe, "-q", "-C", rc, "bench", NULL};
    struct proc p;
    run_proc(argv, peers, log, proc_timeout(w), &p);
    r->rss_kb = p.maxrss_kb;
    path_in(newdir, md, "new");
    uint64_t bytes = 0, files = count_files(newdir, 1, &bytes);
    char tmpdir[PATH_MAX];
    uint64_t junk;
    path_in(tmpdir, md, "tmp");
    count_files(tmpdir, 0, &junk);
    if (p.status != 0) {
        proc_failed(r, "mpop", &p, log);
        return;
    }
    r->ok = 1;
    r->secs = p.secs;
    r->msgs = files;
    r->bytes = bytes;
}

/* Counts the messages of a BSMTP file and their bytes as served (the DATA
   lines with their dot-stuffing undone, CR LF each), then deletes it. */
static uint64_t count_bsmtp(const char *path, uint64_t *bytes) {
    FILE *f = fopen(path, "r");
    uint64_t msgs = 0;
    *bytes = 0;
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int in_data = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        if (!in_data) {
            if (len == 4 && memcmp(line, "DATA", 4) == 0)
                in_data = 1;
            continue;
        }
        if (len == 1 && line[0] == '.') {
            in_data = 0;
            msgs++;
            continue;
        }
        *bytes += (line[0] == '.' ? len - 1 : len) + 2;
    }
    free(line);
    fclose(f);
    unlink(path);
    return msgs;
}

static void run_fetchmail(const struct workload *w, int tls, struct result *r) {
    char peers[PATH_MAX], rc[PATH_MAX], name[64], ids[PATH_MAX], pidf[PATH_MAX], out[PATH_MAX], log[PATH_MAX];
    path_in(peers, g_tmp, "peers");
    snprintf(name, sizeof name, "fetchmail-%s-%s.rc", w->user, tls ? "stls" : "plain");
    path_in(rc, peers, name);
    path_in(ids, peers, "fetchmail.ids");
    path_in(pidf, peers, "fetchmail.pid");
    path_in(out, g_tmp, "out/fetchmail.bsmtp");
    log_path(log, "fetchmail.log");
    if (access(rc, R_OK) != 0) {
        char text[4 * PATH_MAX], tls_opts[PATH_MAX + 128];
        if (tls) /* STLS required, chain checked against the CA; fetchmail checks
                    DNS names only, so the name is the certificate's "localhost" */
            snprintf(tls_opts, sizeof tls_opts,
                     "sslproto \"TLS1.2+\" sslcertck sslcertfile \"%s\" sslcommonname localhost", g_ca);
        else
            snprintf(tls_opts, sizeof tls_opts, "sslproto \"\"");
        snprintf(text, sizeof text,
                 "set no bouncemail\n"
                 "poll " HOST " service %u protocol pop3 auth password timeout 60\n"
                 "  user \"%s\" password \"%s-pass\" is root here\n"
                 "  keep fetchall no rewrite %s\n",
                 g_port, w->user, w->user, tls_opts);
        write_file(rc, text, 0600);
    }
    unlink(ids);
    unlink(out);
    char *argv[] = {g_peer[C_FETCHMAIL].exe, "-f", rc, "-i", ids, "--pidfile", pidf, "--invisible", "--bsmtp", out,
                    "--nosyslog", NULL};
    struct proc p;
    run_proc(argv, peers, log, proc_timeout(w), &p);
    r->rss_kb = p.maxrss_kb;
    uint64_t bytes = 0, msgs = count_bsmtp(out, &bytes);
    /* Exit 1 is fetchmail's "no mail": right for the empty mailbox. */
    if (p.status != 0 && !(p.status == 1 && w->count == 0)) {
        proc_failed(r, "fetchmail", &p, log);
        return;
    }
    r->ok = 1;
    r->secs = p.secs;
    r->msgs = msgs;
    r->bytes = bytes;
}

static void run_client(int c, const struct workload *w, int tls, struct result *r) {
    memset(r, 0, sizeof *r);
    switch (c) {
    case C_IK_PIPE:
    case C_IK_NOPIPE:
    case C_IK_SHM:
    case C_IK_RETR: run_inetkit(c, w, tls, r); break;
    case C_PY:
    case C_NET: run_binding(c, w, tls, r); break;
    case C_RAW:
    case C_RAW1: run_raw(c, w, tls, r); break;
    case C_POPLIB: run_poplib(w, tls, r); break;
    case C_CURL: run_curl(w, tls, r); break;
    case C_MPOP: run_mpop(w, tls, r); break;
    default: run_fetchmail(w, tls, r); break;
    }
    if (r->ok && (r->msgs != w->count || r->bytes != w->total))
        set_err(r, "retrieved %llu messages, %llu bytes; the mailbox holds %u messages, %llu bytes",
                (unsigned long long)r->msgs, (unsigned long long)r->bytes, w->count, (unsigned long long)w->total);
}

/* ---- peers: which are there ----------------------------------------------- */

static void first_line(const char *text, const char *skip_prefix, char *out, size_t n) {
    const char *s = text;
    if (skip_prefix) { /* the first line holding skip_prefix */
        const char *at = strstr(text, skip_prefix);
        if (at)
            s = at;
    }
    size_t len = strcspn(s, "\r\n");
    snprintf(out, n, "%.*s", (int)len, s);
}

/* The source tree: three levels above tests/pop/dovecot.sh. */
static void source_dir(char *out) {
    snprintf(out, PATH_MAX, "%s", opt.dovecot);
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(out, '/');
        if (!slash)
            die("cannot tell the source tree from %s", opt.dovecot);
        *slash = 0;
    }
}

/* raw_pop and the bindings' programs: ours, so a missing one is a note, and a
   broken one a failure of its column. */
static void probe_ours(void) {
    struct proc p;
    char src[PATH_MAX], dir[PATH_MAX], def[PATH_MAX];
    source_dir(src);
    snprintf(dir, sizeof dir, "%s", g_self);
    *strrchr(dir, '/') = 0;
    path_in(def, dir, "raw_pop");
    if (find_exe(opt.raw ? opt.raw : def, g_peer[C_RAW].exe)) {
        g_peer[C_RAW].available = g_peer[C_RAW1].available = 1;
        snprintf(g_peer[C_RAW1].exe, PATH_MAX, "%s", g_peer[C_RAW].exe);
    } else {
        snprintf(g_peer[C_RAW].why, sizeof g_peer[C_RAW].why, "%.100s not found (cmake --build BUILD --target raw_pop)",
                 opt.raw ? opt.raw : def);
        snprintf(g_peer[C_RAW1].why, sizeof g_peer[C_RAW1].why, "%s", g_peer[C_RAW].why);
    }
    /* The Python binding from the source tree, on the library this program uses. */
    Dl_info info;
    char pypath[PATH_MAX];
    if (!dladdr((void *)PopConnect, &info) || !info.dli_fname || !realpath(info.dli_fname, def))
        die("cannot tell where libinetkit is loaded from");
    setenv("INETKIT_LIBRARY", def, 1);
    path_in(pypath, src, "bindings/python");
    setenv("PYTHONPATH", pypath, 1);
    path_in(g_pyscript, src, "tests/bench/pop_bench_py.py");
    if (find_exe(opt.python, g_peer[C_PY].exe) && access(g_pyscript, R_OK) == 0) {
        char *argv[] = {g_peer[C_PY].exe, "-c", "import inetkit, sys; print(inetkit.__name__)", NULL};
        run_proc(argv, NULL, NULL, 20, &p);
        g_peer[C_PY].available = p.status == 0;
        if (!g_peer[C_PY].available)
            snprintf(g_peer[C_PY].why, sizeof g_peer[C_PY].why, "%.40s cannot import inetkit from %.80s", opt.python, pypath);
    } else {
        snprintf(g_peer[C_PY].why, sizeof g_peer[C_PY].why, "%.40s or %.100s is missing", opt.python, g_pyscript);
    }
    if (!opt.dotnet)
        snprintf(g_peer[C_NET].why, sizeof g_peer[C_NET].why, "no --dotnet EXE given (run.sh builds it with mcs)");
    else if (!find_exe("mono", g_peer[C_NET].exe))
        snprintf(g_peer[C_NET].why, sizeof g_peer[C_NET].why, "mono is not installed (apt-get install mono-runtime)");
    else if (!realpath(opt.dotnet, g_dotnet))
        snprintf(g_peer[C_NET].why, sizeof g_peer[C_NET].why, "--dotnet %.100s: %s", opt.dotnet, strerror(errno));
    else
        g_peer[C_NET].available = 1;
}

static void probe_peers(void) {
    char peers[PATH_MAX];
    path_in(peers, g_tmp, "peers");
    struct proc p;
    /* Python with poplib and ssl */
    if (find_exe(opt.python, g_peer[C_POPLIB].exe)) {
        char *argv[] = {g_peer[C_POPLIB].exe, "-I", "-c",
                        "import poplib, ssl, sys; print('Python ' + sys.version.split()[0] + ' poplib')", NULL};
        run_proc(argv, NULL, NULL, 20, &p);
        if (p.status == 0) {
            g_peer[C_POPLIB].available = 1;
            first_line(p.out, NULL, g_peer[C_POPLIB].version, sizeof g_peer[C_POPLIB].version);
        } else {
            snprintf(g_peer[C_POPLIB].why, sizeof g_peer[C_POPLIB].why, "%s cannot import poplib and ssl", opt.python);
        }
    } else {
        snprintf(g_peer[C_POPLIB].why, sizeof g_peer[C_POPLIB].why, "%s is not installed (apt-get install python3)",
                 opt.python);
    }
    /* curl with pop3 and TLS */
    if (find_exe("curl", g_peer[C_CURL].exe)) {
        char *argv[] = {g_peer[C_CURL].exe, "--version", NULL};
        run_proc(argv, NULL, NULL, 20, &p);
        const char *protocols = strstr(p.out, "Protocols:");
        char list[1024] = "";
        if (protocols)
            first_line(protocols, NULL, list, sizeof list);
        strncat(list, " ", sizeof list - strlen(list) - 1);
        if (p.status == 0 && strstr(list, " pop3 ") && strstr(list, " pop3s ")) {
            g_peer[C_CURL].available = 1;
            char v[64] = "?";
            sscanf(p.out, "curl %63s", v);
            snprintf(g_peer[C_CURL].version, sizeof g_peer[C_CURL].version, "curl %s", v);
        } else {
            snprintf(g_peer[C_CURL].why, sizeof g_peer[C_CURL].why, "curl lacks pop3 or TLS support (curl --version)");
        }
    } else {
        snprintf(g_peer[C_CURL].why, sizeof g_peer[C_CURL].why, "not installed (apt-get install curl)");
    }
    /* mpop */
    if (find_exe("mpop", g_peer[C_MPOP].exe)) {
        char *argv[] = {g_peer[C_MPOP].exe, "--version", NULL};
        run_proc(argv, peers, NULL, 20, &p);
        g_peer[C_MPOP].available = p.status == 0;
        char v[64] = "?";
        sscanf(p.out, "mpop version %63s", v);
        snprintf(g_peer[C_MPOP].version, sizeof g_peer[C_MPOP].version, "mpop %s", v);
        if (!g_peer[C_MPOP].available)
            snprintf(g_peer[C_MPOP].why, sizeof g_peer[C_MPOP].why, "mpop --version failed");
    } else {
        snprintf(g_peer[C_MPOP].why, sizeof g_peer[C_MPOP].why, "not installed (apt-get install mpop)");
    }
    /* fetchmail: -V prints the version (and exits non-zero without a configuration) */
    if (find_exe("fetchmail", g_peer[C_FETCHMAIL].exe)) {
        char *argv[] = {g_peer[C_FETCHMAIL].exe, "--version", NULL};
        run_proc(argv, peers, NULL, 20, &p);
        const char *rel = strstr(p.out, "fetchmail release ");
        if (rel) {
            char line[256];
            first_line(rel, NULL, line, sizeof line);
            snprintf(g_peer[C_FETCHMAIL].version, sizeof g_peer[C_FETCHMAIL].version, "fetchmail %.*s",
                     (int)strcspn(line + strlen("fetchmail release "), "+ "), line + strlen("fetchmail release "));
            g_peer[C_FETCHMAIL].available = 1;
        } else {
            snprintf(g_peer[C_FETCHMAIL].why, sizeof g_peer[C_FETCHMAIL].why, "fetchmail --version failed");
        }
    } else {
        snprintf(g_peer[C_FETCHMAIL].why, sizeof g_peer[C_FETCHMAIL].why, "not installed (apt-get install fetchmail)");
    }
    for (int c = 0; c < C_PY; c++)
        g_peer[c].available = 1;
    probe_ours();
}

/* ---- the inetkit child ------------------------------------------------------ */

static uint64_t g_cb_bytes;

static BOOL INETKIT_CALL discard(HCLIENT h, DWORD msg, LPCVOID data, DWORD size, LPVOID param) {
    (void)h;
    (void)msg;
    (void)data;
    (void)param;
    g_cb_bytes += size;
    return TRUE;
}

static int child_fail(const char *what) {
    char msg[1024];
    DWORD len = sizeof msg;
    if (PopGetLastErrorMessage(msg, &len) != 0)
        snprintf(msg, sizeof msg, "(no message)");
    printf("err inetkit %s failed: error %u: %s\n", what, (unsigned)PopGetLastError(), msg);
    fflush(stdout);
    return 1;
}

/* pop_bench --child MODE USER PASS PORT plain|stls CA OUTDIR: one session;
   prints "ok SECONDS BYTES MESSAGES PROTOCOL CIPHER" or "err MESSAGE". */
static int child_main(int argc, char **argv) {
    if (argc != 9)
        return 2;
    const char *mode = argv[2], *user = argv[3], *pass = argv[4], *dir = argv[8];
    UINT port = (UINT)atoi(argv[5]);
    int tls = strcmp(argv[6], "stls") == 0;
    int store = strncmp(mode, "store", 5) == 0;
    if (PopInitialize() != 0)
        return child_fail("PopInitialize");
    SECURITYCREDENTIALS cred;
    memset(&cred, 0, sizeof cred);
    cred.dwSize = sizeof cred;
    cred.lpszCaFile = argv[7];
    DWORD count = 0;
    uint64_t bytes = 0;

    double t0 = now_s();
    HCLIENT h = PopConnect(HOST, port, 60, tls ? POP_OPTION_SECURE_EXPLICIT : POP_OPTION_NONE, tls ? &cred : NULL);
    if (h == INVALID_CLIENT)
        return child_fail("PopConnect");
    if (store && PopConfig(h, strcmp(mode, "store-pipe") == 0 ? "Pipelining=on" : "Pipelining=off") != 0)
        return child_fail("PopConfig(Pipelining)");
    if (PopLogin(h, POP_AUTH_PASS, user, pass) != 0)
        return child_fail("PopLogin(POP_AUTH_PASS)");
    if (store) {
        if (PopStoreMessages(h, NULL, 0, dir, &count) != 0)
            return child_fail("PopStoreMessages");
    } else {
        if (PopGetMessageCount(h, &count, NULL) != 0)
            return child_fail("PopGetMessageCount");
        for (DWORD i = 1; i <= count; i++)
            if (PopRetrieveMessage(h, i, discard, NULL) != 0)
                return child_fail("PopRetrieveMessage");
        bytes = g_cb_bytes;
    }
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    int have_info = tls && PopGetSecurityInfo(h, &info) == 0 && info.dwProtocol;
    if (PopQuit(h) != 0)
        return child_fail("PopQuit");
    if (PopDisconnect(h) != 0)
        return child_fail("PopDisconnect");
    double t1 = now_s();

    if (store) { /* what is on disk: the .eml files, and nothing else */
        uint64_t files = 0;
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];
        bytes = 0;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            path_in(path, dir, e->d_name);
            struct stat st;
            size_t len = strlen(e->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && len > 4 && strcmp(e->d_name + len - 4, ".eml") == 0) {
                files++;
                bytes += (uint64_t)st.st_size;
            } else {
                printf("err unexpected file in the store directory: %s\n", e->d_name);
                return 1;
            }
        }
        if (d)
            closedir(d);
        if (files != count) {
            printf("err PopStoreMessages reported %u stored, the directory holds %llu files\n", (unsigned)count,
                   (unsigned long long)files);
            return 1;
        }
        empty_dir(dir);
    }
    PopUninitialize();
    printf("ok %.6f %llu %u %s %s\n", t1 - t0, (unsigned long long)bytes, (unsigned)count,
           have_info ? info.szProtocol : "-", have_info ? info.szCipher : "-");
    fflush(stdout);
    return 0;
}

/* ---- statistics and output ------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    if (n == 0)
        return -1;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAXRUNS 100
#define NROWS 6 /* workloads x {plain, STLS} */

struct cell {
    double secs[MAXRUNS];
    int n;           /* successful runs */
    int failed;      /* runs that failed */
    long rss_kb;     /* max over runs */
    char err[320];   /* the first failure */
};

static struct cell g_cells[NROWS][NCLIENTS];

/* The median seconds of a cell, or -1 when the client did not run or failed. */
static double cell_median(int rw, int c) {
    struct cell *cell = &g_cells[rw][c];
    if (!g_peer[c].available || cell->failed || cell->n == 0)
        return -1;
    return median(cell->secs, cell->n);
}

static FILE *g_summary;

/* One headline figure: printed, and written to --summary as
   "pop<TAB>ROW<TAB>FIGURE<TAB>VALUE<TAB>TARGET<TAB>met|missed|-". */
static void headline(const char *rowname, const char *figure, double value, const char *unit, double target,
                     int below) {
    char v[32], t[32];
    snprintf(v, sizeof v, value < 0 ? "-" : "%.2f%s", value, unit);
    snprintf(t, sizeof t, target > 0 ? "%s %.2f%s" : "-", below ? "<=" : ">=", target, unit);
    const char *verdict = value < 0 || target <= 0 ? "-" : (below ? value <= target : value >= target) ? "met" : "missed";
    printf("    %-30s %-42s %9s %10s  %s\n", rowname, figure, v, t, verdict);
    if (g_summary)
        fprintf(g_summary, "pop\t%s\t%s\t%s\t%s\t%s\n", rowname, figure, v, t, verdict);
}

/* The targets, each a ratio of two columns of this run. */
static void print_targets(void) {
    printf("\n  targets (ratios of this run; a missed target is reported, it does not fail the run)\n");
    printf("    %-30s %-42s %9s %10s\n", "mailbox", "figure", "value", "target");
    long rss_store = 0;
    for (int rw = 0; rw < g_nwork * 2; rw++) {
        const struct workload *w = &g_work[rw / 2];
        char name[96];
        snprintf(name, sizeof name, "%s, %s", w->count ? w->label : "empty mailbox", rw % 2 ? "STLS" : "plain");
        char *mark = strchr(name, '[');
        if (mark) /* drop the footnote mark */
            memmove(mark, mark + 3, strlen(mark + 3) + 1);
        double pipe = cell_median(rw, C_IK_SHM), retr = cell_median(rw, C_IK_RETR);
        double raw = cell_median(rw, C_RAW), curl = cell_median(rw, C_CURL);
        if (w->count == 0)
            continue;
        for (int c = C_IK_PIPE; c <= C_IK_SHM; c++)
            if (g_cells[rw][c].rss_kb > rss_store)
                rss_store = g_cells[rw][c].rss_kb;
        if (w->size < (1u << 20)) {
            headline(name, "inetkit store tmpfs / raw pipelined", pipe > 0 && raw > 0 ? pipe / raw : -1, "",
                     1.2, 1);
            /* The same net of each one's empty session (connect, STLS, login, QUIT): the
               per-message cost alone, without inetkit loading the system CAs. */
            int empty = (g_nwork - 1) * 2 + rw % 2;
            double pipe0 = cell_median(empty, C_IK_SHM), raw0 = cell_median(empty, C_RAW);
            headline(name, "  the same, net of the empty session",
                     pipe > 0 && raw > 0 && pipe0 > 0 && raw0 > 0 && raw > raw0 ? (pipe - pipe0) / (raw - raw0) : -1,
                     "", 1.2, 1);
        } else {
            double best = -1;
            int who = -1;
            for (int c = C_RAW; c < NCLIENTS; c++) {
                double m = c == C_RAW1 ? -1 : cell_median(rw, c);
                if (m > 0 && (best < 0 || m < best))
                    best = m, who = c;
            }
            char fig[64];
            snprintf(fig, sizeof fig, "inetkit store tmpfs / fastest (%s)", who >= 0 ? g_head1[who] : "-");
            headline(name, fig, pipe > 0 && best > 0 ? pipe / best : -1, "", 1.1, 1);
        }
        headline(name, "inetkit retrieve 1 by 1 / curl", retr > 0 && curl > 0 ? retr / curl : -1, "", 1.0, 1);
        double py = cell_median(rw, C_PY), net = cell_median(rw, C_NET);
        headline(name, "Python store / C store (tmpfs)", py > 0 && pipe > 0 ? py / pipe : -1, "", 1.2, 1);
        headline(name, ".NET store / C store (tmpfs)", net > 0 && pipe > 0 ? net / pipe : -1, "", 1.2, 1);
    }
    headline("every mailbox", "inetkit store: peak RSS, MiB", rss_store ? rss_store / 1024.0 : -1, "", 16, 1);
}

static void sizes_text(char *out, size_t n, unsigned size);

/*
 * --sweep: how the time grows with the message count (10 KiB each) and with
 * the message size, for inetkit's pipelined store, its one-by-one callback
 * retrieval and raw_pop, plain. Each point refills dave's maildir (the
 * index too) and makes one untimed pass before its runs.
 */
static void run_sweep(void) {
    static const struct {
        unsigned count, size;
    } points[] = {{100, 10240},  {1000, 10240},    {3000, 10240},     {10000, 10240}, {1000, 1024},
                  {300, 102400}, {50, 1u << 20},   {5, 10u << 20},    {2, 50u << 20}};
    static const int who[] = {C_IK_SHM, C_IK_RETR, C_RAW};
    printf("\n  how time grows (plain; median of %d run%s; seconds, and x raw pipelined)\n", opt.runs,
           opt.runs == 1 ? "" : "s");
    printf("    %-26s %10s %10s %10s %9s %9s %11s\n", "mailbox", "ik tmpfs", "ik retr.", "raw", "store/raw",
           "retr./raw", "store RSS");
    char home[PATH_MAX], md[PATH_MAX], mail[PATH_MAX];
    path_in(mail, g_tmp, "mail");
    path_in(home, mail, "dave");
    path_in(md, home, "Maildir");
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        struct workload w = {"sweep", "dave", points[i].count, points[i].size, 0, ""};
        w.total = (uint64_t)w.count * w.size;
        char size[32];
        sizes_text(size, sizeof size, w.size);
        snprintf(w.label, sizeof w.label, "%u x %s = %.1f MB", w.count, size, (double)w.total / 1e6);
        fprintf(stderr, "pop_bench: sweep %s...\n", w.label);
        nftw(md, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        fill_maildir(&w);
        struct result r;
        run_client(C_IK_RETR, &w, 0, &r);
        if (!r.ok)
            die("sweep warm-up on %s: %s", w.label, r.err);
        double secs[3][MAXRUNS];
        int n[3] = {0, 0, 0};
        long rss = 0;
        for (int run = 0; run < opt.runs; run++)
            for (int k = 0; k < 3; k++) {
                int j = (run + k) % 3;
                if (!g_peer[who[j]].available)
                    continue;
                run_client(who[j], &w, 0, &r);
                if (!r.ok) {
                    fprintf(stderr, "pop_bench: sweep %s, %s: %s\n", w.label, g_head1[who[j]], r.err);
                    g_failed = 1;
                    continue;
                }
                secs[j][n[j]++] = r.secs;
                if (who[j] == C_IK_SHM && r.rss_kb > rss)
                    rss = r.rss_kb;
            }
        double med[3];
        char cells[3][24], store_raw[24] = "-", retr_raw[24] = "-", rss_text[24] = "-";
        for (int j = 0; j < 3; j++) {
            med[j] = n[j] ? median(secs[j], n[j]) : -1;
            snprintf(cells[j], sizeof cells[j], n[j] ? "%.3f" : "FAILED", med[j]);
        }
        if (med[2] > 0 && med[0] > 0)
            snprintf(store_raw, sizeof store_raw, "%.2f", med[0] / med[2]);
        if (med[2] > 0 && med[1] > 0)
            snprintf(retr_raw, sizeof retr_raw, "%.2f", med[1] / med[2]);
        if (rss)
            snprintf(rss_text, sizeof rss_text, "%.1f MiB", rss / 1024.0);
        printf("    %-26s %10s %10s %10s %9s %9s %11s\n", w.label, cells[0], cells[1], cells[2], store_raw, retr_raw,
               rss_text);
        fflush(stdout);
        if (g_summary)
            fprintf(g_summary, "pop-sweep\t%s\tinetkit store / raw\t%s\t-\t-\npop-sweep\t%s\tinetkit store peak RSS\t%s\t<= 16 MiB\t%s\n",
                    w.label, store_raw, w.label, rss_text, !rss ? "-" : rss <= 16 * 1024 ? "met" : "missed");
    }
    nftw(md, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void row(const char *label, char cells[NCLIENTS][24]) {
    printf("  %-26s", label);
    for (int c = 0; c < NCLIENTS; c++)
        printf(" %9s", cells[c]);
    printf("\n");
}

static void sizes_text(char *out, size_t n, unsigned size) {
    if (size % (1u << 20) == 0)
        snprintf(out, n, "%u MiB", size >> 20);
    else if (size % 1024 == 0)
        snprintf(out, n, "%u KiB", size >> 10);
    else
        snprintf(out, n, "%u B", size);
}

/* ---- main ----------------------------------------------------------------------- */

static int parse_count(const char *s, unsigned max, unsigned *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return 0;
    *out = (unsigned)v;
    return 1;
}

static void find_dovecot_sh(void) {
    static char found[PATH_MAX];
    if (opt.dovecot) {
        if (!realpath(opt.dovecot, found))
            die("--dovecot %s: %s", opt.dovecot, strerror(errno));
        opt.dovecot = found;
        return;
    }
    const char *candidates[4];
    int n = 0;
    char env[PATH_MAX] = "";
    const char *src = getenv("INETKIT_SOURCE_DIR");
    if (src && *src) {
        snprintf(env, sizeof env, "%s/tests/pop/dovecot.sh", src);
        candidates[n++] = env;
    }
#ifdef POP_BENCH_SOURCE_DIR
    candidates[n++] = POP_BENCH_SOURCE_DIR "/tests/pop/dovecot.sh";
#endif
    candidates[n++] = "tests/pop/dovecot.sh";
    for (int i = 0; i < n; i++)
        if (access(candidates[i], R_OK) == 0 && realpath(candidates[i], found)) {
            opt.dovecot = found;
            return;
        }
    die("tests/pop/dovecot.sh not found: give --dovecot PATH (or set INETKIT_SOURCE_DIR)");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--runs") && val) {
            unsigned v;
            if (!parse_count(val, MAXRUNS, &v) || v < 1) {
                fprintf(stderr, "pop_bench: --runs must be 1-%d\n", MAXRUNS);
                return 2;
            }
            opt.runs = (int)v;
            i++;
        } else if (!strcmp(a, "--small") && val) {
            if (!parse_count(val, 1000000, &opt.small)) {
                fprintf(stderr, "pop_bench: --small must be 0-1000000\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--large") && val) {
            if (!parse_count(val, 2000, &opt.large)) {
                fprintf(stderr, "pop_bench: --large must be 0-2000\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--dovecot") && val) {
            opt.dovecot = val;
            i++;
        } else if (!strcmp(a, "--python") && val) {
            opt.python = val;
            i++;
        } else if (!strcmp(a, "--raw") && val) {
            opt.raw = val;
            i++;
        } else if (!strcmp(a, "--dotnet") && val) {
            opt.dotnet = val;
            i++;
        } else if (!strcmp(a, "--summary") && val) {
            opt.summary = val;
            i++;
        } else if (!strcmp(a, "--sweep")) {
            opt.sweep = 1;
        } else if (!strcmp(a, "--keep")) {
            opt.keep = 1;
        } else {
            fprintf(stderr, "pop_bench: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    find_dovecot_sh();
    ssize_t len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (len <= 0)
        die("readlink /proc/self/exe: %s", strerror(errno));
    g_self[len] = 0;

    /* The workloads: rows are these x {plain, STLS}. */
    if (opt.small) {
        g_work[g_nwork] = (struct workload){"small", "alice", opt.small, SMALL_SIZE, 0, ""};
        g_nwork++;
    }
    if (opt.large) {
        g_work[g_nwork] = (struct workload){"large", "bob", opt.large, LARGE_SIZE, 0, ""};
        g_nwork++;
    }
    g_work[g_nwork] = (struct workload){"empty", "carol", 0, SMALL_SIZE, 0, ""};
    g_nwork++;
    for (int i = 0; i < g_nwork; i++) {
        struct workload *w = &g_work[i];
        w->total = (uint64_t)w->count * w->size;
        char size[32];
        sizes_text(size, sizeof size, w->size);
        if (w->count)
            snprintf(w->label, sizeof w->label, "%u x %s = %.1f MB", w->count, size, (double)w->total / 1e6);
        else
            snprintf(w->label, sizeof w->label, "empty mailbox[7]");
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    make_tmp();
    atexit(cleanup);
    char sub[PATH_MAX];
    const char *subs[] = {"logs", "peers", "out", "out/inetkit", "out/mpop", "out/mpop/new", "out/mpop/cur",
                          "out/mpop/tmp", NULL};
    for (int i = 0; subs[i]; i++) {
        path_in(sub, g_tmp, subs[i]);
        make_dir(sub, 0700);
    }
    /* The tmpfs stores: what the client costs without the disk's fsyncs. */
    snprintf(g_shm, sizeof g_shm, "/dev/shm/ik-popbench.XXXXXX");
    if (!mkdtemp(g_shm)) {
        fprintf(stderr, "pop_bench: no tmpfs at /dev/shm (%s); the tmpfs columns store under %s\n", strerror(errno),
                 g_tmp);
        snprintf(g_shm, sizeof g_shm, "%s", g_tmp);
    }
    const char *shm_subs[] = {"out", "out/inetkit", "out/binding", NULL};
    for (int i = 0; shm_subs[i]; i++) {
        path_in(sub, g_shm, shm_subs[i]);
        make_dir(sub, 0700);
    }

    fprintf(stderr, "pop_bench: starting Dovecot in %s (%s)...\n", g_tmp, opt.dovecot);
    double t_setup = now_s();
    dovecot_cmd("start", 1);
    g_started = 1;
    {
        char ports[PATH_MAX];
        path_in(ports, g_tmp, "ports");
        FILE *f = fopen(ports, "r");
        char line[64];
        while (f && fgets(line, sizeof line, f))
            sscanf(line, "plain=%u", &g_port);
        if (f)
            fclose(f);
        if (!g_port)
            die("%s holds no plain= port", ports);
        path_in(g_ca, g_tmp, "pki/ca.pem");
        if (access(g_ca, R_OK) != 0)
            die("%s: %s", g_ca, strerror(errno));
    }
    char dovecot_version[64] = "?";
    {
        char exe[PATH_MAX];
        struct proc p;
        if (find_exe("dovecot", exe) || find_exe("/usr/sbin/dovecot", exe)) {
            char *argv2[] = {exe, "--version", NULL};
            run_proc(argv2, NULL, NULL, 20, &p);
            if (p.status == 0) {
                p.out[strcspn(p.out, " \n")] = 0;
                snprintf(dovecot_version, sizeof dovecot_version, "%.63s", p.out);
            }
        }
    }

    fprintf(stderr, "pop_bench: writing the mailboxes...\n");
    init_text();
    for (int i = 0; i < g_nwork; i++)
        fill_maildir(&g_work[i]);
    probe_peers();
    for (int c = C_PY; c < NCLIENTS; c++)
        if (!g_peer[c].available && c != C_RAW1)
            fprintf(stderr, "pop_bench: %s skipped: %s\n", g_head1[c], g_peer[c].why);

    /* One untimed pass per mailbox: Dovecot indexes a maildir in its first
       session, and the files enter the page cache. */
    fprintf(stderr, "pop_bench: warm-up pass (Dovecot indexes the maildirs)...\n");
    for (int i = 0; i < g_nwork; i++) {
        struct result r;
        run_client(C_IK_RETR, &g_work[i], 0, &r);
        if (!r.ok)
            die("warm-up on %s's mailbox: %s", g_work[i].user, r.err);
    }
    fprintf(stderr, "pop_bench: set-up took %.1f s; plain and STLS on " HOST ":%u\n", now_s() - t_setup, g_port);

    /* The runs: each client in turn, in an order that rotates with the run
       and the row, so that neither drift nor position favours one. */
    int nrows = g_nwork * 2;
    double t_runs = now_s();
    for (int run = 0; run < opt.runs; run++) {
        fprintf(stderr, "pop_bench: run %d/%d...\n", run + 1, opt.runs);
        for (int rw = 0; rw < nrows; rw++) {
            const struct workload *w = &g_work[rw / 2];
            int tls = rw % 2;
            for (int k = 0; k < NCLIENTS; k++) {
                int c = (run + rw + k) % NCLIENTS;
                if (!g_peer[c].available)
                    continue;
                struct result r;
                run_client(c, w, tls, &r);
                struct cell *cell = &g_cells[rw][c];
                if (r.rss_kb > cell->rss_kb)
                    cell->rss_kb = r.rss_kb;
                if (r.ok) {
                    cell->secs[cell->n++] = r.secs;
                } else {
                    if (!cell->failed++)
                        snprintf(cell->err, sizeof cell->err, "%s", r.err);
                    fprintf(stderr, "pop_bench: %s%s%s, %s, %s: %s\n", g_head1[c], g_head3[c][0] ? " " : "",
                            g_head3[c], w->label, tls ? "STLS" : "plain", r.err);
                    g_failed = 1;
                }
            }
        }
    }
    double t_end = now_s();

    /* ---- the table ---- */
    char ik_ossl[128] = "?";
    if (InetInitialize() == 0) {
        DWORD l = sizeof ik_ossl;
        if (InetGetLibraryInfo(INET_LIBRARY_OPENSSL_VERSION, ik_ossl, &l) != 0)
            snprintf(ik_ossl, sizeof ik_ossl, "?");
        InetUninitialize();
    }
    printf("\ninetkit POP3 retrieval benchmark - Dovecot %s on loopback " HOST ", median of %d run%s\n",
           dovecot_version, opt.runs, opt.runs == 1 ? "" : "s");
    printf("  whole session each: connect, [STLS,] login, retrieve every message, QUIT; MB = 10^6 bytes\n");
    printf("  inetkit %s on %s; STLS negotiated by inetkit: %s; %ld CPUs\n", INETKIT_VERSION_STRING, ik_ossl,
           g_ik_tls, sysconf(_SC_NPROCESSORS_ONLN));
    printf("  peers:");
    for (int c = C_POPLIB; c < NCLIENTS; c++)
        printf(" %s%s", g_peer[c].available ? g_peer[c].version : g_head1[c],
               g_peer[c].available ? (c + 1 < NCLIENTS ? ";" : "") : (c + 1 < NCLIENTS ? " (skipped);" : " (skipped)"));
    printf("\n\n");
    {
        char h1[NCLIENTS][24], h2[NCLIENTS][24], h3[NCLIENTS][24];
        for (int c = 0; c < NCLIENTS; c++) {
            snprintf(h1[c], sizeof h1[c], "%s", g_head1[c]);
            snprintf(h2[c], sizeof h2[c], "%s", g_head2[c]);
            snprintf(h3[c], sizeof h3[c], "%s", g_head3[c]);
        }
        row("", h1);
        row("", h2);
        row("", h3);
    }
    for (int rw = 0; rw < nrows; rw++) {
        const struct workload *w = &g_work[rw / 2];
        char title[96];
        snprintf(title, sizeof title, "%s, %s", w->label, rw % 2 ? "STLS" : "plain");
        printf("  %s\n", title);
        char s[NCLIENTS][24], m[NCLIENTS][24];
        for (int c = 0; c < NCLIENTS; c++) {
            struct cell *cell = &g_cells[rw][c];
            if (!g_peer[c].available) {
                snprintf(s[c], sizeof s[c], "-");
                snprintf(m[c], sizeof m[c], "-");
            } else if (cell->failed || cell->n == 0) {
                snprintf(s[c], sizeof s[c], "FAILED");
                snprintf(m[c], sizeof m[c], "FAILED");
            } else {
                double med = median(cell->secs, cell->n);
                snprintf(s[c], sizeof s[c], "%.3f", med);
                if (w->total)
                    snprintf(m[c], sizeof m[c], "%.1f", (double)w->total / med / 1e6);
                else
                    snprintf(m[c], sizeof m[c], "-");
            }
        }
        row("    seconds", s);
        if (w->total)
            row("    MB/s", m);
        double raw = cell_median(rw, C_RAW);
        if (raw > 0) {
            for (int c = 0; c < NCLIENTS; c++) {
                double med = cell_median(rw, c);
                if (med > 0)
                    snprintf(s[c], sizeof s[c], "%.2f", med / raw);
                else
                    snprintf(s[c], sizeof s[c], "-");
            }
            row("    x raw pipelined[11]", s);
        }
    }
    printf("  peak RSS, MiB (largest of the runs)[8]\n");
    for (int rw = 0; rw < nrows; rw++) {
        const struct workload *w = &g_work[rw / 2];
        char title[96], cells[NCLIENTS][24];
        snprintf(title, sizeof title, "    %s, %s", w->count ? w->key : "empty", rw % 2 ? "STLS" : "plain");
        for (int c = 0; c < NCLIENTS; c++) {
            if (!g_peer[c].available || g_cells[rw][c].rss_kb == 0)
                snprintf(cells[c], sizeof cells[c], "-");
            else
                snprintf(cells[c], sizeof cells[c], "%.1f", (double)g_cells[rw][c].rss_kb / 1024.0);
        }
        row(title, cells);
    }

    if (opt.summary && !(g_summary = fopen(opt.summary, "w")))
        die("--summary %s: %s", opt.summary, strerror(errno));
    print_targets();
    if (opt.sweep)
        run_sweep();
    if (g_summary && fclose(g_summary) != 0)
        die("--summary %s: %s", opt.summary, strerror(errno));
    g_summary = NULL;

    /* Correctness. */
    int bad = 0;
    for (int rw = 0; rw < nrows; rw++)
        for (int c = 0; c < NCLIENTS; c++)
            if (g_peer[c].available && g_cells[rw][c].failed) {
                if (!bad++)
                    printf("\n  FAILURES (first of each cell):\n");
                printf("    %s%s%s, %s, %s: %s\n", g_head1[c], g_head3[c][0] ? " " : "", g_head3[c], g_work[rw / 2].label,
                       rw % 2 ? "STLS" : "plain", g_cells[rw][c].err);
            }
    if (!bad) {
        printf("\n  verified: in every run, every client that ran retrieved exactly the mailbox:\n");
        for (int i = 0; i < g_nwork; i++)
            printf("    %-6s %u messages, %llu bytes\n", g_work[i].key, g_work[i].count,
                   (unsigned long long)g_work[i].total);
        printf("  (the maildir's contents with LF turned into CR LF; for mpop its LF files count as\n"
               "  CR LF, for fetchmail the BSMTP DATA with its dot-stuffing undone)\n");
    }
    for (int c = C_PY; c < NCLIENTS; c++)
        if (!g_peer[c].available && c != C_RAW1)
            printf("  %s skipped: %s\n", g_head1[c], g_peer[c].why);

    printf("\n"
           "  [1] PopStoreMessages(NULL, 0, DIR) after PopConfig(\"Pipelining=on\"/\"off\"): LIST and UIDL,\n"
           "      then RETR into one file per message, each fsync'ed and renamed into place, and the\n"
           "      directory fsync'ed after each rename. Pipelined: up to 64 RETR in flight.\n"
           "  [2] PopGetMessageCount, then PopRetrieveMessage for each message, one at a time, to a\n"
           "      callback that only counts the bytes (no pipelining, no disk).\n"
           "  [3] Python's poplib: stat(), then retr(i) for each message (lines held in memory, counted).\n"
           "      STLS: stls(ssl.create_default_context(cafile=CA)).\n"
           "  [4] one curl process with one pop3://" HOST ":PORT/N URL per message (the connection is\n"
           "      reused: one session), output to a pipe; STLS: --ssl-reqd --cacert CA. curl logs in with\n"
           "      SASL PLAIN (it cannot be told to use USER/PASS), every other client with USER/PASS.\n"
           "  [5] mpop, delivery to a maildir (LF line ends, each file fsync'ed), pipelined; STLS:\n"
           "      tls_starttls with tls_trust_file CA. keep on, only_new off, received_header off.\n"
           "  [6] fetchmail --bsmtp FILE (no MTA or MDA), keep fetchall; it sends LIST n before each\n"
           "      RETR n and does not pipeline. STLS: sslproto TLS1.2+, sslcertck with the CA, checking\n"
           "      the name \"localhost\" (fetchmail does not check IP addresses).\n"
           "  [7] the fixed cost of a session: connect, STLS, login, STAT or LIST, QUIT; curl lists the\n"
           "      mailbox. For the peers (processes) it includes their start-up, which their other rows\n"
           "      include too; inetkit is timed in its process from PopConnect to PopDisconnect.\n"
           "  [8] getrusage ru_maxrss of each client's process, from wait4. Each inetkit measurement\n"
           "      runs in a fresh process of its own (this program re-executed), never in the one that\n"
           "      runs the peers. The empty-mailbox row is each client's baseline.\n"
           "  [9] the bindings doing [1] pipelined: Python's PopClient.store_many (ctypes, bindings/python)\n"
           "      and .NET's PopClient.StoreMany (P/Invoke, bindings/dotnet on Mono), timed in their\n"
           "      process from connect to close (the interpreter's or runtime's start-up excluded).\n"
           "  [10] raw_pop, the reference: OpenSSL directly for STLS (only the CA file, no system CAs),\n"
           "      USER/PASS, LIST, then every RETR sent at once (pipelined) or one at a time (1 by 1);\n"
           "      each reply counted in its read buffer (dot-stuffing undone) and checked against LIST,\n"
           "      nothing copied or stored: the wire's and the server's limit.\n"
           "  [11] each column's seconds / raw pipelined seconds, same row: the cost above the wire.\n"
           "  [12] [1] pipelined into a directory on tmpfs (/dev/shm): the same files, fsyncs and renames,\n"
           "      without the disk's latency; the column the targets compare with raw and the bindings.\n"
           "  seconds: median over the runs; MB/s = mailbox bytes (CR LF form, as served) / seconds.\n"
           "  Every RETR is served from the page cache (an untimed warm-up pass reads each mailbox\n"
           "  first); the stores go to a temporary directory under %.*s (fsync included).\n",
           (int)(strrchr(g_tmp, '/') - g_tmp), g_tmp);
    printf("  measured in %.0f s (%d run%s)\n", t_end - t_runs, opt.runs, opt.runs == 1 ? "" : "s");
    fflush(stdout);
    return g_failed ? 1 : 0;
}
