/*
 * Helpers for the POP3 suites that run against a real Dovecot (tests/pop/dovecot.sh).
 *
 * The server is started once per test binary (pop_fixture_start, usually from
 * the group setup) in a fresh temporary directory and stopped by
 * pop_fixture_stop. tests/pop/dovecot.sh is found through the environment
 * variable INETKIT_SOURCE_DIR, else the macro of the same name (the
 * repository root, set by the build). The script is given our PID, so the
 * server also stops if this binary is killed (a ctest timeout) or crashes.
 *
 * Mailboxes (users from dovecot.sh, password "<user>-pass"):
 *   alice  every test message, the 50 MiB one included (read-only tests)
 *   bob    every test message but the 50 MiB one (login and store tests)
 *   carol  the same (the tests that delete)
 *   dave   the same (spare)
 * pop_manifest_load reads DIR/USER.manifest: per message its number, the size
 * and SHA-256 of the text RETR serves, its name and the size LIST reports.
 *
 * Set INETKIT_KEEP_POP=1 to keep the directory (its dovecot.log helps).
 */
#ifndef INETKIT_POP_TEST_H
#define INETKIT_POP_TEST_H

#include "fixture_lib.h" /* first: it sets _GNU_SOURCE */
#include "inetkit_test.h"

#include <openssl/evp.h>
#include <sys/stat.h>

/* ---- errors through the Pop family ------------------------------------------------ */

/* The calling thread's last error message (valid until the next call of this helper). */
static inline const char *pop_last_message(void) {
    static __thread char text[1100];
    DWORD size = sizeof text;
    if (PopGetLastErrorMessage(text, &size) != 0) snprintf(text, sizeof text, "<message unavailable>");
    return text;
}

/* Fails the test with the code and message when call does not return 0. */
#define pop_assert_ok(call)                                                                   \
    do {                                                                                      \
        DWORD prc_ = (call);                                                                  \
        if (prc_ != 0) fail_msg("%s returned %u: %s", #call, (unsigned)prc_, pop_last_message()); \
    } while (0)

/* Checks both the return value and the thread's last-error store. */
#define pop_assert_fails_with(call, code)                                                     \
    do {                                                                                      \
        DWORD prc_ = (call);                                                                  \
        if (prc_ != (DWORD)(code))                                                            \
            fail_msg("%s returned %u (%s), expected %u", #call, (unsigned)prc_, pop_last_message(), \
                     (unsigned)(code));                                                       \
        assert_int_equal(PopGetLastError(), (code));                                          \
    } while (0)

#define pop_assert_valid_handle(h)                                                            \
    do {                                                                                      \
        if ((h) == INVALID_CLIENT)                                                            \
            fail_msg("no handle: %u %s", (unsigned)PopGetLastError(), pop_last_message());    \
    } while (0)

/* ---- SHA-256 (OpenSSL EVP) ------------------------------------------------------------ */

typedef struct {
    EVP_MD_CTX *ctx;
    ULONGLONG bytes;
} sha256_stream;

static inline void sha256_begin(sha256_stream *s) {
    s->ctx = EVP_MD_CTX_new();
    s->bytes = 0;
    if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) fail_msg("EVP_DigestInit_ex failed");
}

static inline void sha256_add(sha256_stream *s, const void *data, size_t size) {
    if (size > 0 && EVP_DigestUpdate(s->ctx, data, size) != 1) fail_msg("EVP_DigestUpdate failed");
    s->bytes += size;
}

/* Writes the digest as 64 lower-case hex digits and a NUL; frees the context. */
static inline void sha256_end(sha256_stream *s, char hex[65]) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(s->ctx, digest, &len) != 1 || len != 32) fail_msg("EVP_DigestFinal_ex failed");
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
    for (unsigned i = 0; i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* SHA-256 of a buffer, in hex. */
static inline void sha256_hex(const void *data, size_t size, char hex[65]) {
    sha256_stream s;
    sha256_begin(&s);
    sha256_add(&s, data, size);
    sha256_end(&s, hex);
}

/* SHA-256 of a file, in hex, and its size (optional). 0 on success, -1 if unreadable. */
static inline int sha256_file_hex(const char *path, char hex[65], ULONGLONG *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    sha256_stream s;
    sha256_begin(&s);
    static __thread unsigned char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) sha256_add(&s, chunk, got);
    int bad = ferror(f);
    fclose(f);
    sha256_end(&s, hex);
    if (size != NULL) *size = s.bytes;
    return bad ? -1 : 0;
}

/* ---- the manifest -------------------------------------------------------------------- */

typedef struct {
    DWORD number;        /* message number in a fresh session */
    ULONGLONG size;      /* octets RETR delivers */
    ULONGLONG list_size; /* octets LIST reports */
    char sha256[65];     /* of the octets RETR delivers */
    char name[32];       /* simple, dots, latin1, utf8, longline, emptybody, nofinalcrlf, tenkb-crlf, big */
} pop_manifest_entry;

typedef struct {
    DWORD count;
    ULONGLONG list_total; /* what STAT reports */
    pop_manifest_entry msg[32];
} pop_manifest;

/* ---- the fixture ----------------------------------------------------------------------- */

static char pop_dir_[1024]; /* short enough that every path made from it fits PATH_MAX */
static UINT pop_plain_port_, pop_tls_port_;

static inline const char *pop_fixture_dir(void) { return pop_dir_; }
static inline UINT pop_plain_port(void) { return pop_plain_port_; }
static inline UINT pop_tls_port(void) { return pop_tls_port_; }

/* A path inside the fixture directory; the result lives until 16 more calls. */
static inline const char *pop_path(const char *name) {
    static __thread char paths[16][PATH_MAX];
    static __thread unsigned next;
    char *path = paths[next++ % 16];
    snprintf(path, PATH_MAX, "%s/%s", pop_dir_, name);
    return path;
}

/* The test CA that signed Dovecot's certificate. */
static inline const char *pop_ca_file(void) { return pop_path("pki/ca.pem"); }

/* Runs `bash tests/pop/dovecot.sh ARGS...`; returns its exit status (-1 if it did not exit). */
static inline int pop_script_(const char *a1, const char *a2, const char *a3, const char *a4) {
    const char *args[] = {a1, a2, a3, a4, NULL};
    return fixture_script("tests/pop/dovecot.sh", args);
}

/* Removes a directory tree (a test's own scratch directory). */
static inline void pop_remove_tree(const char *path) { fixture_remove_tree(path); }

/* Stops the server and removes its directory (unless INETKIT_KEEP_POP is set). */
static inline void pop_fixture_stop(void) {
    if (pop_dir_[0] == '\0') return;
    pop_script_("stop", pop_dir_, NULL, NULL);
    if (getenv("INETKIT_KEEP_POP") != NULL) fprintf(stderr, "pop_test: fixture kept in %s\n", pop_dir_);
    else pop_remove_tree(pop_dir_);
    pop_dir_[0] = '\0';
}

/*
 * Makes the directory, starts Dovecot, fills the mailboxes and reads the
 * ports. 0 on success; on failure everything started is stopped again.
 */
static inline int pop_fixture_start(void) {
    const char *source = fixture_source_dir();
    if (source == NULL || *source == '\0') {
        fprintf(stderr, "pop_test: set INETKIT_SOURCE_DIR to the repository root\n");
        return -1;
    }
    /* Dovecot's sockets live below the directory: keep its path short. */
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40) tmp = "/tmp";
    snprintf(pop_dir_, sizeof pop_dir_, "%s/inetkit-dovecot-XXXXXX", tmp);
    if (mkdtemp(pop_dir_) == NULL) {
        fprintf(stderr, "pop_test: mkdtemp %s: %s\n", pop_dir_, strerror(errno));
        pop_dir_[0] = '\0';
        return -1;
    }
    char me[32];
    snprintf(me, sizeof me, "%ld", (long)getpid());
    double start = seconds_now();
    if (pop_script_("start", pop_dir_, me, NULL) != 0) {
        fprintf(stderr, "pop_test: dovecot.sh start %s failed\n", pop_dir_);
        pop_fixture_stop();
        return -1;
    }
    if (pop_script_("fill", pop_dir_, "alice", NULL) != 0 || pop_script_("fill", pop_dir_, "bob", "small") != 0 ||
        pop_script_("fill", pop_dir_, "carol", "small") != 0 || pop_script_("fill", pop_dir_, "dave", "small") != 0) {
        fprintf(stderr, "pop_test: dovecot.sh fill failed\n");
        pop_fixture_stop();
        return -1;
    }
    FILE *f = fopen(pop_path("ports"), "r");
    if (f != NULL) {
        char line[64];
        while (fgets(line, sizeof line, f) != NULL) {
            unsigned port;
            if (sscanf(line, "plain=%u", &port) == 1) pop_plain_port_ = port;
            if (sscanf(line, "tls=%u", &port) == 1) pop_tls_port_ = port;
        }
        fclose(f);
    }
    if (pop_plain_port_ == 0 || pop_tls_port_ == 0) {
        fprintf(stderr, "pop_test: no ports in %s\n", pop_path("ports"));
        pop_fixture_stop();
        return -1;
    }
    if (getenv("INETKIT_POP_VERBOSE") != NULL)
        fprintf(stderr, "pop_test: dovecot in %s on ports %u (STLS) and %u (TLS), ready in %.2f s\n", pop_dir_,
                pop_plain_port_, pop_tls_port_, seconds_now() - start);
    return 0;
}

/* Reads DIR/USER.manifest into m; fails the test if it cannot. */
static inline void pop_manifest_load(const char *user, pop_manifest *m) {
    char name[64];
    snprintf(name, sizeof name, "%s.manifest", user);
    FILE *f = fopen(pop_path(name), "r");
    if (f == NULL) fail_msg("cannot open %s: %s", pop_path(name), strerror(errno));
    memset(m, 0, sizeof *m);
    char line[256];
    while (fgets(line, sizeof line, f) != NULL && m->count < sizeof m->msg / sizeof m->msg[0]) {
        pop_manifest_entry *e = &m->msg[m->count];
        unsigned number;
        unsigned long long size, list_size;
        if (sscanf(line, "%u %llu %64s %31s %llu", &number, &size, e->sha256, e->name, &list_size) != 5) continue;
        e->number = number;
        e->size = size;
        e->list_size = list_size;
        m->list_total += list_size;
        m->count++;
    }
    fclose(f);
    if (m->count == 0) fail_msg("%s lists no messages", pop_path(name));
}

/* The entry called name ("big"), or NULL. */
static inline const pop_manifest_entry *pop_manifest_find(const pop_manifest *m, const char *name) {
    for (DWORD i = 0; i < m->count; ++i)
        if (strcmp(m->msg[i].name, name) == 0) return &m->msg[i];
    return NULL;
}

/* ---- memory ----------------------------------------------------------------------------- */

/* A "VmRSS"/"VmHWM" value of /proc/self/status in KiB, or -1. */
static inline long proc_status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return -1;
    char line[256];
    long value = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            value = strtol(line + len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return value;
}

/* Resets VmHWM to the current RSS (Linux 4.0+); 0 when it worked. */
static inline int reset_peak_rss(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL) return -1;
    int ok = fputs("5", f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Whether this binary runs under a sanitizer (whose allocator keeps freed memory). */
static inline int pop_under_sanitizer(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
    return 1;
#else
    return getenv("INETKIT_POP_SKIP_RSS") != NULL;
#endif
#else
    return getenv("INETKIT_POP_SKIP_RSS") != NULL;
#endif
}

/* ---- group fixtures ------------------------------------------------------------------------ */

static inline int pop_group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (pop_fixture_start() != 0) return -1;
    if (PopInitialize() != 0) {
        pop_fixture_stop();
        return -1;
    }
    return 0;
}

static inline int pop_group_teardown(void **state) {
    (void)state;
    DWORD rc = PopUninitialize();
    pop_fixture_stop();
    return rc == 0 ? 0 : -1;
}

#endif
