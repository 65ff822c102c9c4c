/*
 * tls_bench - TLS client figures for inetkit, side by side with OpenSSL's own
 * clients against the same server in the same run.
 *
 * It starts two local `openssl s_server -WWW` processes on loopback (one that
 * never issues tickets or caches sessions, so every handshake is full; one
 * with OpenSSL's defaults, so sessions can be resumed), generates an EC P-256
 * CA and server certificate with the openssl tool (or takes them from
 * --pki DIR), and measures three clients:
 *
 *   inetkit   InetConnect(INET_OPTION_SECURE, lpszCaFile = the CA) / InetRead /
 *             InetDisconnect, verifying the chain and the IP 127.0.0.1
 *   libssl    the same work written directly on libssl in this process (one
 *             SSL_CTX, CA file + system CAs, SSL_VERIFY_PEER, IP check): what
 *             the library underneath can do without inetkit's layer
 *   openssl   the command-line tools: `s_time -new`, `s_time -reuse` and
 *             `s_client` (a separate process each, as a user would run them)
 *
 * Figures:
 *   full handshakes      connect (TCP + TLS) then disconnect, for --seconds:
 *                        connections per second (wall clock) and the median
 *                        connect time
 *   resumed handshakes   connect, GET an empty file, read to the end (so the
 *                        TLS 1.3 tickets arrive), disconnect; the client offers
 *                        the previous session (s_time -reuse -www /empty)
 *   bulk read            GET a --bytes file and read it to the end; MB/s over
 *                        first byte -> end of stream (in process) or over
 *                        s_client's wall time minus that of fetching the empty
 *                        file (startup, handshake, request); median of --runs
 *
 * Only loopback is used. Nothing here is a pass/fail assertion: the program
 * prints figures and exits 0 when every client completed its work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <inetkit/inet.h>

#define HOST "127.0.0.1"
#define REQ_EMPTY "GET /empty HTTP/1.0\r\n\r\n"
#define REQ_BULK "GET /bulk.bin HTTP/1.0\r\n\r\n"
#define READ_BUF (64 * 1024)
#define WARMUP 20

/* ---- options ------------------------------------------------------------- */

static struct {
    double seconds;      /* per handshake phase */
    uint64_t bytes;      /* bulk file size */
    int runs;            /* bulk repetitions per client */
    const char *pki;     /* existing dir with ca.pem, server.pem, server.key */
    const char *openssl; /* the openssl tool */
    int keep;            /* keep the temp dir */
} opt = {5.0, 256ull << 20, 5, NULL, "openssl", 0};

static void usage(FILE *f) {
    fprintf(f,
            "usage: tls_bench [--seconds N] [--bytes N[K|M|G]] [--runs N] [--pki DIR]\n"
            "                 [--openssl PATH] [--keep] [--help]\n"
            "\n"
            "TLS client benchmark: inetkit vs libssl used directly vs the openssl tools\n"
            "(s_time -new, s_time -reuse, s_client), all against the same local\n"
            "`openssl s_server -WWW` on 127.0.0.1 that this program starts and stops.\n"
            "\n"
            "  --seconds N   length of each handshake phase (default 5)\n"
            "  --bytes N     size of the bulk file read (default 256M; K/M/G = KiB/MiB/GiB)\n"
            "  --runs N      bulk reads per client; the median is shown (default 5)\n"
            "  --pki DIR     use DIR/ca.pem, DIR/server.pem, DIR/server.key (e.g. the output\n"
            "                of tests/tls/make-pki.sh) instead of generating an EC P-256 set\n"
            "  --openssl P   the openssl command-line tool (default: openssl from PATH)\n"
            "  --keep        keep the temporary directory (logs, certificates)\n"
            "\n"
            "Prints one table; exits 0 when every measurement completed, 1 otherwise.\n");
}

/* ---- small utilities ----------------------------------------------------- */

static char g_tmp[PATH_MAX];
static char g_ca[PATH_MAX], g_cert[PATH_MAX], g_key[PATH_MAX];

struct server {
    const char *name;
    pid_t pid;
    unsigned port;
    char log[PATH_MAX];
};
static struct server g_full = {"full", -1, 0, ""}, g_resume = {"resume", -1, 0, ""};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stop_server(struct server *s) {
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 200; i++) { /* up to 2 s, then SIGKILL */
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = -1;
            return;
        }
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int g_failed = 0;

static void cleanup(void) {
    stop_server(&g_full);
    stop_server(&g_resume);
    if (g_tmp[0]) {
        if (opt.keep || g_failed)
            fprintf(stderr, "tls_bench: kept %s (logs, certificates)\n", g_tmp);
        else
            nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static void on_signal(int sig) {
    /* Only async-signal-safe calls: stop the servers by PID and leave. */
    if (g_full.pid > 0)
        kill(g_full.pid, SIGTERM);
    if (g_resume.pid > 0)
        kill(g_resume.pid, SIGTERM);
    _exit(128 + sig);
}

static void print_log_tail(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > 2000 ? size - 2000 : 0, SEEK_SET);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    fprintf(stderr, "---- %s (tail)\n%s\n----\n", path, buf);
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tls_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    g_failed = 1;
    exit(1);
}

static void die_inet(const char *what) {
    DWORD code = InetGetLastError();
    char msg[1024];
    DWORD len = sizeof msg;
    if (InetGetLastErrorMessage(msg, &len) != 0)
        snprintf(msg, sizeof msg, "(no message)");
    die("inetkit: %s failed: error %u: %s", what, (unsigned)code, msg);
}

static void die_ssl(const char *what) {
    char buf[256] = "";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    die("libssl: %s failed: %s", what, buf[0] ? buf : "(no OpenSSL error queued)");
}

/*
 * Start argv[0] (searched in PATH) in dir `cwd`, stdin from `in` (NULL:
 * /dev/null), stdout to `out` (NULL: /dev/null), stderr to `err` (NULL:
 * same as stdout). The child dies with us (PR_SET_PDEATHSIG).
 */
static pid_t spawn(char *const argv[], const char *cwd, const char *in, const char *out,
                   const char *err) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    if (cwd && chdir(cwd) != 0)
        _exit(127);
    int fi = open(in ? in : "/dev/null", O_RDONLY);
    int fo = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    int fe = err ? open(err, O_WRONLY | O_CREAT | O_APPEND, 0600) : fo;
    if (fi < 0 || fo < 0 || fe < 0)
        _exit(127);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    execvp(argv[0], argv);
    _exit(127);
}

static int wait_status(pid_t pid) {
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run a command to completion in g_tmp, output appended to g_tmp/setup.log. */
static void run_setup(char *const argv[]) {
    char log[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/setup.log", g_tmp);
    int rc = wait_status(spawn(argv, g_tmp, NULL, log, NULL));
    if (rc != 0) {
        print_log_tail(log);
        die("`%s %s ...` exited with %d", argv[0], argv[1], rc);
    }
}

static void path_in(char *dst, const char *dir, const char *name) {
    if ((size_t)snprintf(dst, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        die("path too long: %s/%s", dir, name);
}

static int tcp_connect(unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1; /* as inetkit does */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* A free port in 20000-32767: high, and below Linux's ephemeral range. */
static unsigned pick_port(void) {
    for (int i = 0; i < 200; i++) {
        unsigned port = 20000 + (unsigned)(rand() % 12768);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (ok)
            return port;
    }
    die("no free port found in 20000-32767");
    return 0;
}

/* ---- setup: certificates, files, servers --------------------------------- */

static void make_pki(void) {
    char *o = (char *)opt.openssl;
    char *ca_key[] = {o, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", "ca.key", NULL};
    char *ca[] = {o, "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=inetkit bench CA",
                  "-days", "2", "-sha256", "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem", NULL};
    char *srv_key[] = {o, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                       "-out", "server.key", NULL};
    char *csr[] = {o, "req", "-new", "-key", "server.key", "-subj", "/CN=localhost",
                   "-out", "server.csr", NULL};
    char *sign[] = {o, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-set_serial", "2", "-days", "2", "-sha256", "-extfile", "server.ext",
                    "-out", "server.pem", NULL};
    char ext[PATH_MAX];
    path_in(ext, g_tmp, "server.ext");
    FILE *f = fopen(ext, "w");
    if (!f)
        die("%s: %s", ext, strerror(errno));
    fputs("basicConstraints=critical,CA:FALSE\n"
          "keyUsage=critical,digitalSignature\n"
          "extendedKeyUsage=serverAuth\n"
          "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
          f);
    fclose(f);
    run_setup(ca_key);
    run_setup(ca);
    run_setup(srv_key);
    run_setup(csr);
    run_setup(sign);
    path_in(g_ca, g_tmp, "ca.pem");
    path_in(g_cert, g_tmp, "server.pem");
    path_in(g_key, g_tmp, "server.key");
}

static void make_file(const char *name, uint64_t size) {
    char path[PATH_MAX];
    path_in(path, g_tmp, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
        die("%s: %s", path, strerror(errno));
    close(fd);
}

/* "EC P-256", "RSA 2048", ... for the server certificate's key. */
static void describe_key(char *out, size_t n) {
    snprintf(out, n, "?");
    FILE *f = fopen(g_cert, "r");
    if (!f)
        return;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return;
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (k) {
        char group[64] = "";
        size_t glen = 0;
        if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
            EVP_PKEY_get_group_name(k, group, sizeof group, &glen) == 1) {
            const char *nice = strcmp(group, "prime256v1") == 0 ? "P-256"
                               : strcmp(group, "secp384r1") == 0 ? "P-384"
                                                                 : group;
            snprintf(out, n, "EC %s", nice);
        } else {
            snprintf(out, n, "%s %d", OBJ_nid2sn(EVP_PKEY_get_base_id(k)), EVP_PKEY_get_bits(k));
        }
    }
    X509_free(x);
}

/*
 * s_server -cert sends only the first certificate of the file; when the
 * server file holds a chain (make-pki.sh writes leaf + intermediate), pass the
 * rest with -cert_chain.
 */
static char g_chain[PATH_MAX];
static int g_chain_len = 1; /* certificates the server sends */

static void split_chain(void) {
    FILE *f = fopen(g_cert, "r");
    if (!f)
        die("%s: %s", g_cert, strerror(errno));
    X509 *x;
    FILE *out = NULL;
    g_chain_len = 0;
    while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        if (g_chain_len++ > 0) {
            if (!out) {
                path_in(g_chain, g_tmp, "server-chain.pem");
                out = fopen(g_chain, "w");
                if (!out)
                    die("%s: %s", g_chain, strerror(errno));
            }
            PEM_write_X509(out, x);
        }
        X509_free(x);
    }
    ERR_clear_error();
    fclose(f);
    if (out)
        fclose(out);
    if (g_chain_len == 0)
        die("%s holds no PEM certificate", g_cert);
}

static void start_server(struct server *s, char *const extra[]) {
    path_in(s->log, g_tmp, s->name);
    strncat(s->log, "-server.log", PATH_MAX - strlen(s->log) - 1);
    for (int attempt = 0; attempt < 10; attempt++) {
        s->port = pick_port();
        char accept[32];
        snprintf(accept, sizeof accept, HOST ":%u", s->port);
        char *argv[32];
        int a = 0;
        argv[a++] = (char *)opt.openssl;
        argv[a++] = "s_server";
        argv[a++] = "-accept";
        argv[a++] = accept;
        argv[a++] = "-cert";
        argv[a++] = g_cert;
        argv[a++] = "-key";
        argv[a++] = g_key;
        if (g_chain[0]) {
            argv[a++] = "-cert_chain";
            argv[a++] = g_chain;
        }
        argv[a++] = "-WWW";
        argv[a++] = "-quiet";
        for (int i = 0; extra[i]; i++)
            argv[a++] = extra[i];
        argv[a] = NULL;
        s->pid = spawn(argv, g_tmp, NULL, s->log, NULL);
        for (int i = 0; i < 500; i++) { /* up to 5 s */
            if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
                s->pid = -1; /* port taken meanwhile, or a bad option */
                break;
            }
            int fd = tcp_connect(s->port);
            if (fd >= 0) { /* s_server drops this non-TLS probe and goes on */
                close(fd);
                return;
            }
            usleep(10000);
        }
        if (s->pid > 0) {
            stop_server(s);
            break;
        }
    }
    print_log_tail(s->log);
    die("openssl s_server (%s) did not start", s->name);
}

/* ---- statistics ---------------------------------------------------------- */

struct samples {
    double *v;
    size_t n, cap;
};

static void push(struct samples *s, double x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            die("out of memory");
    }
    s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    if (n == 0)
        return -1;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct hs_result {
    size_t conns;
    size_t resumed;
    double wall;      /* seconds */
    double median_ms; /* connect time; -1 if unknown */
    int done;
};

static double rate(const struct hs_result *r) { return r->wall > 0 ? (double)r->conns / r->wall : 0; }

/* ---- client 1: inetkit ----------------------------------------------------- */

static SECURITYCREDENTIALS ik_cred;
static char ik_protocol[16] = "?", ik_cipher[64] = "?";

static HCLIENT ik_connect(unsigned port) {
    HCLIENT h = InetConnect(HOST, port, 10, INET_OPTION_SECURE, &ik_cred);
    if (h == INVALID_CLIENT)
        die_inet("InetConnect(INET_OPTION_SECURE)");
    return h;
}

/* Send a request and read to the end of the stream; returns bytes read. */
static uint64_t ik_fetch(HCLIENT h, const char *req, double *t_first, double *t_end) {
    static char buf[READ_BUF];
    if (InetWrite(h, req, (DWORD)strlen(req), NULL) != 0)
        die_inet("InetWrite");
    uint64_t total = 0;
    for (;;) {
        DWORD got = 0;
        if (InetRead(h, buf, sizeof buf, &got) != 0)
            die_inet("InetRead");
        if (got == 0)
            break;
        if (total == 0 && t_first)
            *t_first = now_s();
        total += got;
    }
    if (t_end)
        *t_end = now_s();
    return total;
}

/*
 * keeper_port != 0: hold one more connection with the same credentials open
 * (on the other server) for the whole phase, so that inetkit's shared TLS
 * context - and the client session cache it holds - stays alive between the
 * measured connections.
 */
static void ik_handshakes(unsigned port, int with_get, unsigned keeper_port, struct hs_result *r) {
    struct samples lat = {0};
    memset(r, 0, sizeof *r);
    HCLIENT keeper = keeper_port ? ik_connect(keeper_port) : INVALID_CLIENT;
    for (int i = 0; i < WARMUP; i++) {
        HCLIENT h = ik_connect(port);
        if (with_get)
            ik_fetch(h, REQ_EMPTY, NULL, NULL);
        if (InetDisconnect(h) != 0)
            die_inet("InetDisconnect");
    }
    double start = now_s(), t = start;
    while (t - start < opt.seconds) {
        double t0 = now_s();
        HCLIENT h = ik_connect(port);
        double t1 = now_s();
        push(&lat, t1 - t0);
        if (with_get)
            ik_fetch(h, REQ_EMPTY, NULL, NULL);
        DWORD resumed = 0;
        if (InetGetSecurityValue(h, INET_SECURITY_RESUMED, &resumed) != 0)
            die_inet("InetGetSecurityValue(INET_SECURITY_RESUMED)");
        if (resumed)
            r->resumed++;
        if (r->conns == 0) {
            INETSECURITYINFO info;
            memset(&info, 0, sizeof info);
            info.dwSize = sizeof info;
            if (InetGetSecurityInfo(h, &info) != 0)
                die_inet("InetGetSecurityInfo");
            snprintf(ik_protocol, sizeof ik_protocol, "%s", info.szProtocol);
            snprintf(ik_cipher, sizeof ik_cipher, "%s", info.szCipher);
        }
        if (InetDisconnect(h) != 0)
            die_inet("InetDisconnect");
        r->conns++;
        t = now_s();
    }
    r->wall = t - start;
    if (keeper != INVALID_CLIENT && InetDisconnect(keeper) != 0)
        die_inet("InetDisconnect (keeper)");
    r->median_ms = median(lat.v, lat.n) * 1e3;
    r->done = 1;
    free(lat.v);
}

static double ik_bulk(unsigned port) {
    HCLIENT h = ik_connect(port);
    double t_first = 0, t_end = 0;
    uint64_t got = ik_fetch(h, REQ_BULK, &t_first, &t_end);
    if (InetDisconnect(h) != 0)
        die_inet("InetDisconnect");
    if (got < opt.bytes)
        die("inetkit: bulk read ended after %llu of %llu bytes", (unsigned long long)got,
            (unsigned long long)opt.bytes);
    return (double)opt.bytes / (t_end - t_first) / 1e6;
}

/* ---- client 2: libssl directly ----------------------------------------------- */

static SSL_CTX *ls_ctx;
static char ls_protocol[16] = "?", ls_cipher[64] = "?";

static void ls_init(void) {
    ls_ctx = SSL_CTX_new(TLS_client_method());
    if (!ls_ctx)
        die_ssl("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ls_ctx, TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ls_ctx, g_ca, NULL) != 1)
        die_ssl("SSL_CTX_load_verify_locations");
    SSL_CTX_set_default_verify_paths(ls_ctx);
    SSL_CTX_set_verify(ls_ctx, SSL_VERIFY_PEER, NULL);
    ERR_clear_error();
}

struct ls_conn {
    int fd;
    SSL *ssl;
};

static struct ls_conn ls_connect(unsigned port, SSL_SESSION *sess) {
    struct ls_conn c;
    c.fd = tcp_connect(port);
    if (c.fd < 0)
        die("libssl client: connect to port %u: %s", port, strerror(errno));
    c.ssl = SSL_new(ls_ctx);
    if (!c.ssl)
        die_ssl("SSL_new");
    SSL_set_fd(c.ssl, c.fd);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl), HOST);
    if (sess)
        SSL_set_session(c.ssl, sess);
    if (SSL_connect(c.ssl) != 1)
        die_ssl("SSL_connect");
    return c;
}

static void ls_close(struct ls_conn *c) {
    SSL_shutdown(c->ssl); /* send close_notify, as a library client would */
    SSL_free(c->ssl);
    close(c->fd);
    ERR_clear_error();
}

static uint64_t ls_fetch(struct ls_conn *c, const char *req, double *t_first, double *t_end) {
    static char buf[READ_BUF];
    int len = (int)strlen(req);
    if (SSL_write(c->ssl, req, len) != len)
        die_ssl("SSL_write");
    uint64_t total = 0;
    for (;;) {
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_ZERO_RETURN)
                break;
            if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && total > 0)
                break; /* EOF without close_notify */
            die_ssl("SSL_read");
        }
        if (total == 0 && t_first)
            *t_first = now_s();
        total += (uint64_t)n;
    }
    if (t_end)
        *t_end = now_s();
    return total;
}

static void ls_handshakes(unsigned port, int with_get, struct hs_result *r) {
    struct samples lat = {0};
    SSL_SESSION *sess = NULL;
    memset(r, 0, sizeof *r);
    for (int i = 0; i < WARMUP + 1; i++) {
        struct ls_conn c = ls_connect(port, sess);
        if (with_get) {
            ls_fetch(&c, REQ_EMPTY, NULL, NULL);
            SSL_SESSION_free(sess);
            sess = SSL_get1_session(c.ssl);
        }
        ls_close(&c);
    }
    double start = now_s(), t = start;
    while (t - start < opt.seconds) {
        double t0 = now_s();
        struct ls_conn c = ls_connect(port, sess);
        double t1 = now_s();
        push(&lat, t1 - t0);
        if (SSL_session_reused(c.ssl))
            r->resumed++;
        if (r->conns == 0) {
            snprintf(ls_protocol, sizeof ls_protocol, "%s", SSL_get_version(c.ssl));
            snprintf(ls_cipher, sizeof ls_cipher, "%s", SSL_get_cipher_name(c.ssl));
        }
        if (with_get) {
            ls_fetch(&c, REQ_EMPTY, NULL, NULL);
            SSL_SESSION_free(sess); /* keep the newest ticket, as s_time does */
            sess = SSL_get1_session(c.ssl);
        }
        ls_close(&c);
        r->conns++;
        t = now_s();
    }
    SSL_SESSION_free(sess);
    r->wall = t - start;
    r->median_ms = median(lat.v, lat.n) * 1e3;
    r->done = 1;
    free(lat.v);
}

static double ls_bulk(unsigned port) {
    struct ls_conn c = ls_connect(port, NULL);
    double t_first = 0, t_end = 0;
    uint64_t got = ls_fetch(&c, REQ_BULK, &t_first, &t_end);
    ls_close(&c);
    if (got < opt.bytes)
        die("libssl: bulk read ended after %llu of %llu bytes", (unsigned long long)got,
            (unsigned long long)opt.bytes);
    return (double)opt.bytes / (t_end - t_first) / 1e6;
}

/* ---- client 3: the openssl tools ---------------------------------------------- */

/* s_time for opt.seconds; connections/s over its wall time (process included). */
static void st_handshakes(unsigned port, int reuse, struct hs_result *r) {
    memset(r, 0, sizeof *r);
    char connect[32], secs[16], out[PATH_MAX];
    snprintf(connect, sizeof connect, HOST ":%u", port);
    snprintf(secs, sizeof secs, "%d", (int)(opt.seconds + 0.5) < 1 ? 1 : (int)(opt.seconds + 0.5));
    path_in(out, g_tmp, reuse ? "s_time-reuse.out" : "s_time-new.out");
    unlink(out);
    char *argv[] = {(char *)opt.openssl, "s_time", "-connect", connect,
                    reuse ? "-reuse" : "-new", "-time", secs, "-CAfile", g_ca,
                    reuse ? "-www" : NULL, "/empty", NULL};
    double t0 = now_s();
    int rc = wait_status(spawn(argv, g_tmp, NULL, out, NULL));
    r->wall = now_s() - t0;
    FILE *f = fopen(out, "r");
    if (!f)
        die("%s: %s", out, strerror(errno));
    char line[1 << 16];
    long conns = -1;
    size_t marks = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\n");
        if (len > 0 && strspn(line, "*rt123") == len) { /* a progress line: one mark per connection */
            for (size_t i = 0; i < len; i++)
                r->resumed += line[i] == 'r';
            marks += len;
        }
        if (conns < 0 && sscanf(line, "%ld connections in", &conns) != 1)
            conns = -1;
    }
    fclose(f);
    if (rc != 0 || conns <= 0) {
        g_failed = 1;
        print_log_tail(out);
        die("openssl s_time %s exited with %d after %ld connections", reuse ? "-reuse" : "-new", rc,
            conns);
    }
    r->conns = (size_t)conns;
    if (marks < r->resumed || marks == 0)
        r->resumed = 0;
    r->median_ms = -1;
    r->done = 1;
}

/* Wall time of one `s_client -quiet` fetching `path`, output to /dev/null. */
static double sc_fetch_time(unsigned port, const char *req_file) {
    char connect[32], err[PATH_MAX], in[PATH_MAX];
    snprintf(connect, sizeof connect, HOST ":%u", port);
    path_in(err, g_tmp, "s_client.log");
    path_in(in, g_tmp, req_file);
    char *argv[] = {(char *)opt.openssl, "s_client", "-connect", connect, "-CAfile", g_ca,
                    "-verify_return_error", "-verify_ip", HOST, "-quiet", NULL};
    double t0 = now_s();
    int rc = wait_status(spawn(argv, g_tmp, in, NULL, err));
    double t = now_s() - t0;
    if (rc != 0) {
        print_log_tail(err);
        die("openssl s_client exited with %d", rc);
    }
    return t;
}

static void write_text(const char *name, const char *text) {
    char path[PATH_MAX];
    path_in(path, g_tmp, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("%s: %s", path, strerror(errno));
}

/* ---- output ------------------------------------------------------------------- */

#define NCLIENTS 4 /* inetkit, inetkit with its context held, libssl, openssl tool */

static void fmt_num(char *out, size_t n, double v, const char *fmt) {
    if (v < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, fmt, v);
}

static void row(const char *label, char cells[NCLIENTS][32], const char *ratio) {
    printf("  %-30s %11s %11s %11s %14s %9s\n", label, cells[0], cells[1], cells[2], cells[3], ratio);
}

/* v[i] < 0: not measured. The ratio compares inetkit (column 0) with the tool (column 3). */
static void row_num(const char *label, const double v[NCLIENTS], const char *fmt, int higher_better) {
    char cells[NCLIENTS][32], ratio[32];
    for (int i = 0; i < NCLIENTS; i++)
        fmt_num(cells[i], sizeof cells[i], v[i], fmt);
    if (v[0] > 0 && v[3] > 0)
        snprintf(ratio, sizeof ratio, "%.2fx", higher_better ? v[0] / v[3] : v[3] / v[0]);
    else
        snprintf(ratio, sizeof ratio, "-");
    row(label, cells, ratio);
}

static void rows_handshakes(const struct hs_result r[NCLIENTS]) {
    double v[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        v[i] = rate(&r[i]);
    row_num("  handshakes/s", v, "%.1f", 1);
    for (int i = 0; i < NCLIENTS; i++)
        v[i] = r[i].median_ms;
    row_num("  median connect, ms", v, "%.3f", 0);
    for (int i = 0; i < NCLIENTS; i++)
        v[i] = rate(&r[i]) > 0 ? 1e3 / rate(&r[i]) : -1;
    row_num("  mean per connection, ms", v, "%.3f", 0);
    char cells[NCLIENTS][32];
    for (int i = 0; i < NCLIENTS; i++)
        snprintf(cells[i], sizeof cells[i], "%zu/%zu", r[i].resumed, r[i].conns);
    row("  resumed/connections", cells, "");
}

static void section(const char *title, const char *tool) { printf("  %-66s %14s\n", title, tool); }

static void tool_version(char *out, size_t n) {
    char path[PATH_MAX];
    path_in(path, g_tmp, "openssl-version.txt");
    char *argv[] = {(char *)opt.openssl, "version", NULL};
    snprintf(out, n, "?");
    if (wait_status(spawn(argv, NULL, NULL, path, NULL)) != 0)
        return;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(out, (int)n, f)) {
            out[strcspn(out, "\n")] = 0;
            char *lib = strstr(out, " (Library");
            if (lib)
                *lib = 0;
        }
        fclose(f);
    }
}

/* ---- main ----------------------------------------------------------------------- */

static uint64_t parse_size(const char *s) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return 0;
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    return *end ? 0 : v;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--seconds") && val) {
            opt.seconds = atof(val);
            i++;
            if (opt.seconds <= 0) {
                fprintf(stderr, "tls_bench: --seconds must be positive\n");
                return 2;
            }
        } else if (!strcmp(a, "--bytes") && val) {
            opt.bytes = parse_size(val);
            i++;
            if (opt.bytes == 0) {
                fprintf(stderr, "tls_bench: bad --bytes value\n");
                return 2;
            }
        } else if (!strcmp(a, "--runs") && val) {
            opt.runs = atoi(val);
            i++;
            if (opt.runs < 1 || opt.runs > 100) {
                fprintf(stderr, "tls_bench: --runs must be 1-100\n");
                return 2;
            }
        } else if (!strcmp(a, "--pki") && val) {
            opt.pki = val;
            i++;
        } else if (!strcmp(a, "--openssl") && val) {
            opt.openssl = val;
            i++;
        } else if (!strcmp(a, "--keep")) {
            opt.keep = 1;
        } else {
            fprintf(stderr, "tls_bench: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srand((unsigned)(getpid() ^ time(NULL)));
    snprintf(g_tmp, sizeof g_tmp, "%s/inetkit-tls-bench.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_tmp))
        die("mkdtemp: %s", strerror(errno));
    atexit(cleanup);

    if (opt.pki) {
        char dir[PATH_MAX];
        if (!realpath(opt.pki, dir))
            die("--pki %s: %s", opt.pki, strerror(errno));
        path_in(g_ca, dir, "ca.pem");
        path_in(g_cert, dir, "server.pem");
        path_in(g_key, dir, "server.key");
        if (access(g_ca, R_OK) || access(g_cert, R_OK) || access(g_key, R_OK))
            die("--pki %s must hold ca.pem, server.pem and server.key", dir);
        split_chain();
    } else {
        make_pki();
    }
    make_file("empty", 0);
    make_file("bulk.bin", opt.bytes);
    write_text("req-empty", REQ_EMPTY);
    write_text("req-bulk", REQ_BULK);

    char *full_args[] = {"-no_cache", "-no_ticket", "-num_tickets", "0", NULL};
    char *resume_args[] = {NULL};
    start_server(&g_full, full_args);
    start_server(&g_resume, resume_args);

    if (InetInitialize() != 0)
        die_inet("InetInitialize");
    memset(&ik_cred, 0, sizeof ik_cred);
    ik_cred.dwSize = sizeof ik_cred;
    ik_cred.lpszCaFile = g_ca;
    ls_init();

    char key_desc[96], tool_ver[128], ik_ossl[128] = "?";
    describe_key(key_desc, sizeof key_desc);
    tool_version(tool_ver, sizeof tool_ver);
    DWORD len = sizeof ik_ossl;
    if (InetGetLibraryInfo(INET_LIBRARY_OPENSSL_VERSION, ik_ossl, &len) != 0)
        snprintf(ik_ossl, sizeof ik_ossl, "?");

    fprintf(stderr, "tls_bench: servers on " HOST ":%u (full) and :%u (resume); %.0f s per handshake phase\n",
            g_full.port, g_resume.port, opt.seconds);

    /*
     * Handshakes: each client in turn against the same server. Column 1 is
     * inetkit again, with one more connection (same credentials, on the other
     * server) held open through the phase.
     */
    struct hs_result full[NCLIENTS], res[NCLIENTS];
    fprintf(stderr, "tls_bench: full handshakes: inetkit...\n");
    ik_handshakes(g_full.port, 0, 0, &full[0]);
    fprintf(stderr, "tls_bench: full handshakes: inetkit, context held...\n");
    ik_handshakes(g_full.port, 0, g_resume.port, &full[1]);
    fprintf(stderr, "tls_bench: full handshakes: libssl...\n");
    ls_handshakes(g_full.port, 0, &full[2]);
    fprintf(stderr, "tls_bench: full handshakes: s_time -new...\n");
    st_handshakes(g_full.port, 0, &full[3]);
    fprintf(stderr, "tls_bench: resumed handshakes: inetkit...\n");
    ik_handshakes(g_resume.port, 1, 0, &res[0]);
    fprintf(stderr, "tls_bench: resumed handshakes: inetkit, context held...\n");
    ik_handshakes(g_resume.port, 1, g_full.port, &res[1]);
    fprintf(stderr, "tls_bench: resumed handshakes: libssl...\n");
    ls_handshakes(g_resume.port, 1, &res[2]);
    fprintf(stderr, "tls_bench: resumed handshakes: s_time -reuse...\n");
    st_handshakes(g_resume.port, 1, &res[3]);

    /*
     * Bulk. One untimed read first: s_server's first pass over a new file is
     * several times slower than the next ones. Then the clients take turns in
     * a rotating order, so neither drift nor position favours one.
     */
    fprintf(stderr, "tls_bench: bulk read warm-up...\n");
    ls_bulk(g_resume.port);
    double mb[NCLIENTS][100];
    for (int run = 0; run < opt.runs; run++) {
        fprintf(stderr, "tls_bench: bulk read %d/%d...\n", run + 1, opt.runs);
        for (int k = 0; k < 3; k++) {
            switch ((run + k) % 3) {
            case 0:
                mb[0][run] = ik_bulk(g_resume.port);
                break;
            case 1:
                mb[2][run] = ls_bulk(g_resume.port);
                break;
            default: {
                double base = sc_fetch_time(g_resume.port, "req-empty");
                double whole = sc_fetch_time(g_resume.port, "req-bulk");
                double base2 = sc_fetch_time(g_resume.port, "req-empty");
                if (base2 < base)
                    base = base2;
                mb[3][run] = whole > base ? (double)opt.bytes / (whole - base) / 1e6 : -1;
            }
            }
        }
    }

    InetUninitialize();

    /* The table. */
    char size[32];
    if (opt.bytes % (1 << 20) == 0)
        snprintf(size, sizeof size, "%llu MiB", (unsigned long long)(opt.bytes >> 20));
    else
        snprintf(size, sizeof size, "%llu bytes", (unsigned long long)opt.bytes);
    printf("\ninetkit TLS client benchmark - loopback " HOST ", openssl s_server -WWW, %s server certificate\n"
           "  (%s; the server sends %d certificate%s)\n",
           key_desc, opt.pki ? opt.pki : "generated", g_chain_len, g_chain_len == 1 ? "" : "s");
    printf("  inetkit %s on %s; bench libssl %s; tool %s; %ld CPUs\n", INETKIT_VERSION_STRING, ik_ossl,
           OpenSSL_version(OPENSSL_VERSION), tool_ver, sysconf(_SC_NPROCESSORS_ONLN));
    printf("  negotiated: inetkit %s %s; libssl %s %s\n\n", ik_protocol, ik_cipher, ls_protocol, ls_cipher);
    {
        char head[NCLIENTS][32] = {"inetkit", "inetkit[1]", "libssl[2]", "openssl tool"};
        row("", head, "inetkit/");
        char head2[NCLIENTS][32] = {"", "ctx held", "direct", ""};
        row("", head2, "tool");
    }
    char title[128];
    snprintf(title, sizeof title, "full handshake: connect, close (%g s each)", opt.seconds);
    section(title, "s_time -new");
    rows_handshakes(full);
    snprintf(title, sizeof title, "resumption: connect, GET /empty, close (%g s each)", opt.seconds);
    section(title, "s_time -reuse");
    rows_handshakes(res);
    snprintf(title, sizeof title, "bulk read: GET %s, median of %d", size, opt.runs);
    section(title, "s_client");
    {
        double v[NCLIENTS] = {median(mb[0], (size_t)opt.runs), -1, median(mb[2], (size_t)opt.runs),
                              median(mb[3], (size_t)opt.runs)};
        row_num("  MB/s (10^6 bytes/s)", v, "%.1f", 1);
    }
    printf("\n  [1] inetkit with one more connection (same credentials) held open during the phase,\n"
           "      which keeps its shared TLS context and client session cache alive; when the\n"
           "      inetkit column falls far below this one, contexts are being rebuilt per connect.\n"
           "  [2] libssl used directly in this process: one SSL_CTX, same CA + system CAs, verify\n"
           "      peer and IP, TCP_NODELAY; offers the previous connection's session when resuming.\n"
           "  handshakes/s = connections / wall time of the phase (s_time: of the whole process).\n"
           "  median connect = TCP connect + TLS handshake + certificate verification.\n"
           "  MB/s = bytes / (end of stream - first byte); s_client: bytes / (its wall time -\n"
           "  its wall time fetching an empty file). ratio > 1: inetkit does better than the tool.\n");
    fflush(stdout);
    return 0;
}
