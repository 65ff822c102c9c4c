/*
 * Helpers for the TLS suites: the test PKI, credentials, and `openssl s_server` /
 * `openssl s_client` child processes on loopback.
 *
 * The PKI is made once per test binary by tests/tls/make-pki.sh in a fresh
 * temporary directory (tls_pki_setup / tls_pki_cleanup). The script is found
 * through the environment variable INETKIT_SOURCE_DIR, else the macro of the
 * same name (the repository root, set by the build).
 *
 * Children are started with fork and exec, listen on 127.0.0.1 only, on a
 * port the kernel picks (-accept 127.0.0.1:0; the port is read from
 * s_server's "ACCEPT" line), and are stopped by their own PID (kill +
 * waitpid). Nothing else is ever signalled. Every child is registered, so a
 * test that fails half way has its children ended by tls_test_teardown (use
 * it as each test's teardown), and PR_SET_PDEATHSIG ends them if the test
 * binary itself dies.
 */
#ifndef INETKIT_TLS_TEST_H
#define INETKIT_TLS_TEST_H

#include "fixture_lib.h" /* first: it sets _GNU_SOURCE (pipe2, nftw) */
#include "inetkit_test.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>

/* ---- the PKI -------------------------------------------------------------------- */

static char tls_pki_dir_[1024]; /* short enough that every path made from it fits PATH_MAX */

/* Creates a temporary directory and runs make-pki.sh into it. 0 on success. */
static inline int tls_pki_setup(void) {
    if (*fixture_source_dir() == '\0') {
        fprintf(stderr, "tls_test: set INETKIT_SOURCE_DIR to the repository root\n");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
    snprintf(tls_pki_dir_, sizeof tls_pki_dir_, "%s/inetkit-tls-XXXXXX", tmp);
    if (mkdtemp(tls_pki_dir_) == NULL) {
        fprintf(stderr, "tls_test: mkdtemp %s: %s\n", tls_pki_dir_, strerror(errno));
        tls_pki_dir_[0] = '\0';
        return -1;
    }
    const char *args[] = {tls_pki_dir_, NULL};
    if (fixture_script("tests/tls/make-pki.sh", args) != 0) {
        fprintf(stderr, "tls_test: tests/tls/make-pki.sh %s failed\n", tls_pki_dir_);
        return -1;
    }
    return 0;
}

/* Removes the temporary directory made by tls_pki_setup (and only that). */
static inline void tls_pki_cleanup(void) {
    if (tls_pki_dir_[0] == '\0') return;
    if (getenv("INETKIT_KEEP_PKI") != NULL) {
        fprintf(stderr, "tls_test: PKI kept in %s\n", tls_pki_dir_);
    } else {
        fixture_remove_tree(tls_pki_dir_);
    }
    tls_pki_dir_[0] = '\0';
}

static inline const char *tls_pki_dir(void) { return tls_pki_dir_; }

/* The path of a PKI file ("ca.pem"); the result lives until 16 more calls. */
static inline const char *pki(const char *name) {
    static __thread char paths[16][PATH_MAX];
    static __thread unsigned next;
    char *path = paths[next++ % 16];
    snprintf(path, PATH_MAX, "%s/%s", tls_pki_dir_, name);
    return path;
}

/* The whole of a file as a NUL-terminated string (free it); fails the test if unreadable. */
static inline char *read_text_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    size_t got = fread(text, 1, (size_t)size, f);
    fclose(f);
    text[got] = '\0';
    return text;
}

/* ---- credentials ------------------------------------------------------------------ */

/* Zeroed credentials with dwSize set. */
static inline void creds_init(SECURITYCREDENTIALS *c) {
    memset(c, 0, sizeof *c);
    c->dwSize = sizeof *c;
}

/* A client that trusts the test root CA. */
static inline void creds_client(SECURITYCREDENTIALS *c) {
    creds_init(c);
    c->lpszCaFile = pki("ca.pem");
}

/* A server presenting NAME.pem (its chain) and NAME.key. */
static inline void creds_server(SECURITYCREDENTIALS *c, const char *name) {
    static __thread char cert[8][PATH_MAX], key[8][PATH_MAX];
    static __thread unsigned next;
    unsigned i = next++ % 8;
    creds_init(c);
    snprintf(cert[i], PATH_MAX, "%s/%s.pem", tls_pki_dir_, name);
    snprintf(key[i], PATH_MAX, "%s/%s.key", tls_pki_dir_, name);
    c->lpszCertificateFile = cert[i];
    c->lpszPrivateKeyFile = key[i];
}

/* ---- child processes ---------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int in;           /* the child's stdin (write end), or -1 */
    int out;          /* the child's stdout (read end), or -1 after EOF */
    int err;          /* the child's stderr (read end), -1 when merged into out or after EOF */
    int status;       /* exit status once reaped (-1: killed or not normal) */
    int reaped;
    UINT port;        /* s_server: the port it listens on */
    char output[65536];
    size_t output_len;
    char errors[32768];
    size_t errors_len;
} tls_child;

static inline void tls_child_append_(char *buffer, size_t capacity, size_t *len, const char *data, size_t n) {
    if (*len + n >= capacity) n = capacity - 1 - *len;
    memcpy(buffer + *len, data, n);
    *len += n;
    buffer[*len] = '\0';
}

/*
 * Every child we start, by PID, so that a test that fails half way (cmocka
 * leaves it with longjmp) still has its children ended by tls_test_teardown.
 */
static pid_t tls_children_[32];

static inline void tls_children_add_(pid_t pid) {
    for (size_t i = 0; i < sizeof tls_children_ / sizeof tls_children_[0]; ++i)
        if (tls_children_[i] == 0) {
            tls_children_[i] = pid;
            return;
        }
}

static inline void tls_children_remove_(pid_t pid) {
    for (size_t i = 0; i < sizeof tls_children_ / sizeof tls_children_[0]; ++i)
        if (tls_children_[i] == pid) tls_children_[i] = 0;
}

/* Ends every child still registered (only ours: each PID is unreaped until here). */
static inline void tls_children_stop_all(void) {
    for (size_t i = 0; i < sizeof tls_children_ / sizeof tls_children_[0]; ++i) {
        pid_t pid = tls_children_[i];
        if (pid <= 0) continue;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        tls_children_[i] = 0;
    }
}

/* The full path of an executable found in PATH, into path; 0 on success. */
static inline int tls_find_program_(const char *name, char *path, size_t size) {
    if (strchr(name, '/') != NULL) {
        snprintf(path, size, "%s", name);
        return access(path, X_OK);
    }
    const char *dirs = getenv("PATH");
    if (dirs == NULL || *dirs == '\0') dirs = "/usr/local/bin:/usr/bin:/bin";
    while (*dirs) {
        const char *end = strchr(dirs, ':');
        size_t len = end ? (size_t)(end - dirs) : strlen(dirs);
        snprintf(path, size, "%.*s/%s", (int)len, len ? dirs : ".", name);
        if (access(path, X_OK) == 0) return 0;
        dirs += len + (end != NULL);
    }
    return -1;
}

/*
 * Starts argv (argv[0] looked up in PATH) with fork and exec, with stdin, stdout
 * and stderr on pipes (stderr merged into stdout when merge_stderr). The child
 * is killed if this thread dies (PR_SET_PDEATHSIG), so a crashed test binary
 * leaves no server behind. Fails the test if it cannot start.
 */
static inline void tls_child_spawn(tls_child *c, char *const argv[], int merge_stderr) {
    memset(c, 0, sizeof *c);
    c->in = c->out = c->err = -1;
    char program[PATH_MAX];
    if (tls_find_program_(argv[0], program, sizeof program) != 0) fail_msg("%s not found in PATH", argv[0]);
    int in[2], out[2], err[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) fail_msg("pipe: %s", strerror(errno));
    if (!merge_stderr && pipe2(err, O_CLOEXEC) != 0) fail_msg("pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Only async-signal-safe calls from here to exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(merge_stderr ? out[1] : err[1], 2) < 0) _exit(126);
        signal(SIGPIPE, SIG_DFL);
        execv(program, argv);
        _exit(127);
    }
    tls_children_add_(pid);
    c->pid = pid;
    close(in[0]);
    close(out[1]);
    if (err[1] >= 0) close(err[1]);
    c->in = in[1];
    c->out = out[0];
    c->err = err[0];
    fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
    if (c->err >= 0) fcntl(c->err, F_SETFL, fcntl(c->err, F_GETFL) | O_NONBLOCK);
}

/* Reads whatever the child has written, waiting up to timeout_ms for something. */
static inline void tls_child_pump(tls_child *c, int timeout_ms) {
    struct pollfd fds[2];
    int n = 0;
    if (c->out >= 0) fds[n++] = (struct pollfd){.fd = c->out, .events = POLLIN};
    if (c->err >= 0) fds[n++] = (struct pollfd){.fd = c->err, .events = POLLIN};
    if (n == 0) {
        if (timeout_ms > 0) sleep_ms((unsigned)timeout_ms);
        return;
    }
    if (poll(fds, (nfds_t)n, timeout_ms) <= 0) return;
    for (int i = 0; i < n; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char chunk[4096];
        ssize_t got;
        int is_out = fds[i].fd == c->out;
        while ((got = read(fds[i].fd, chunk, sizeof chunk)) > 0) {
            if (is_out) tls_child_append_(c->output, sizeof c->output, &c->output_len, chunk, (size_t)got);
            else tls_child_append_(c->errors, sizeof c->errors, &c->errors_len, chunk, (size_t)got);
        }
        if (got == 0) { /* EOF */
            close(fds[i].fd);
            if (is_out) c->out = -1;
            else c->err = -1;
        }
    }
}

/* Waits up to seconds for needle in the child's stdout; returns whether it came. */
static inline int tls_child_wait_output(tls_child *c, const char *needle, double seconds) {
    double end = seconds_now() + seconds;
    while (strstr(c->output, needle) == NULL) {
        if (c->out < 0 || seconds_now() >= end) return 0;
        tls_child_pump(c, 50);
    }
    return 1;
}

/* Closes the child's stdin (it sees end of file). */
static inline void tls_child_close_input(tls_child *c) {
    if (c->in >= 0) close(c->in);
    c->in = -1;
}

/* Writes text to the child's stdin. */
static inline void tls_child_write(tls_child *c, const char *text) {
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(c->in, text + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_msg("write to child %d: %s", (int)c->pid, strerror(errno));
        done += (size_t)n;
    }
}

/*
 * Waits up to seconds for the child to exit on its own, collecting its output.
 * Returns 1 when it exited (c->status holds the status), 0 on timeout (it is
 * then still running; tls_child_stop ends it).
 */
static inline int tls_child_wait_exit(tls_child *c, double seconds) {
    double end = seconds_now() + seconds;
    while (!c->reaped) {
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid) {
            tls_children_remove_(c->pid);
            c->reaped = 1;
            c->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        if (seconds_now() >= end) return 0;
        tls_child_pump(c, 20);
    }
    while (c->out >= 0 || c->err >= 0) tls_child_pump(c, 200); /* the rest of its output */
    return 1;
}

/* Ends the child (SIGTERM, then SIGKILL after 2 s), reaps it and closes the pipes. Idempotent. */
static inline void tls_child_stop(tls_child *c) {
    if (c->pid > 0 && !c->reaped) {
        kill(c->pid, SIGTERM); /* our own child: not reaped, so the PID cannot be reused */
        if (!tls_child_wait_exit(c, 2.0)) {
            kill(c->pid, SIGKILL);
            tls_child_wait_exit(c, 5.0);
        }
    }
    if (c->reaped) {
        for (int i = 0; i < 10 && (c->out >= 0 || c->err >= 0); ++i) tls_child_pump(c, 50);
    }
    tls_child_close_input(c);
    if (c->out >= 0) close(c->out);
    if (c->err >= 0) close(c->err);
    c->out = c->err = -1;
    c->pid = 0;
}

/*
 * Starts `openssl s_server -accept 127.0.0.1:0 -naccept NACCEPT ARGS...` (ARGS
 * ends with NULL; "@name" stands for the PKI file name) and waits until it
 * listens; c->port is its port. Its stdout and stderr are merged in c->output.
 */
static inline void s_server_start(tls_child *c, int naccept, const char *const args[]) {
    char *argv[64];
    char count[16];
    char expanded[32][PATH_MAX];
    int n = 0, e = 0;
    snprintf(count, sizeof count, "%d", naccept);
    argv[n++] = (char *)"openssl";
    argv[n++] = (char *)"s_server";
    argv[n++] = (char *)"-accept";
    argv[n++] = (char *)"127.0.0.1:0";
    argv[n++] = (char *)"-naccept";
    argv[n++] = count;
    for (int i = 0; args[i] != NULL && n < 62; ++i) {
        if (args[i][0] == '@' && e < 32) {
            snprintf(expanded[e], PATH_MAX, "%s/%s", tls_pki_dir_, args[i] + 1);
            argv[n++] = expanded[e++];
        } else {
            argv[n++] = (char *)args[i];
        }
    }
    argv[n] = NULL;
    tls_child_spawn(c, argv, 1);
    if (!tls_child_wait_output(c, "ACCEPT ", 10.0) || !tls_child_wait_output(c, "\n", 1.0)) {
        tls_child_stop(c);
        fail_msg("openssl s_server did not start listening:\n%s", c->output);
    }
    const char *line = strstr(c->output, "ACCEPT ");
    const char *eol = strchr(line, '\n');
    const char *colon = NULL;
    for (const char *p = line; p < eol; ++p)
        if (*p == ':') colon = p;
    if (colon == NULL || strncmp(line, "ACCEPT 127.0.0.1:", 17) != 0) {
        tls_child_stop(c);
        fail_msg("unexpected s_server ACCEPT line:\n%s", c->output);
    }
    c->port = (UINT)strtoul(colon + 1, NULL, 10);
    if (c->port == 0 || c->port > 65535) {
        tls_child_stop(c);
        fail_msg("bad port in s_server output:\n%s", c->output);
    }
}

/*
 * Starts `openssl s_client -connect 127.0.0.1:PORT ARGS...` ("@name" as above).
 * Its stdout (the data, with -quiet) is in c->output, its stderr in c->errors.
 */
static inline void s_client_start(tls_child *c, UINT port, const char *const args[]) {
    char *argv[64];
    char target[32];
    char expanded[32][PATH_MAX];
    int n = 0, e = 0;
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    argv[n++] = (char *)"openssl";
    argv[n++] = (char *)"s_client";
    argv[n++] = (char *)"-connect";
    argv[n++] = target;
    for (int i = 0; args[i] != NULL && n < 62; ++i) {
        if (args[i][0] == '@' && e < 32) {
            snprintf(expanded[e], PATH_MAX, "%s/%s", tls_pki_dir_, args[i] + 1);
            argv[n++] = expanded[e++];
        } else {
            argv[n++] = (char *)args[i];
        }
    }
    argv[n] = NULL;
    tls_child_spawn(c, argv, 0);
}

/* Group fixtures: the Inet family and the PKI. */
static inline int tls_group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* a child that died must not kill us when we write to it */
    if (tls_pki_setup() != 0) {
        tls_pki_cleanup();
        return -1;
    }
    return InetInitialize() == 0 ? 0 : -1;
}

static inline int tls_group_teardown(void **state) {
    (void)state;
    tls_children_stop_all();
    DWORD rc = InetUninitialize();
    tls_pki_cleanup();
    return rc == 0 ? 0 : -1;
}

/* Per-test teardown: children a failed test left running are ended. */
static inline int tls_test_teardown(void **state) {
    (void)state;
    tls_children_stop_all();
    return 0;
}

#endif
