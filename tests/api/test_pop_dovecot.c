/*
 * The Pop family through the shared library against a real Dovecot 2.3
 * (tests/pop/dovecot.sh, started once for this binary by pop_test.h):
 * plain, STLS and implicit TLS sessions, every SASL mechanism Dovecot offers,
 * listing, TOP, every way of retrieving a message (each compared byte for
 * byte with the SHA-256 of the fixture's manifest), storing to files and
 * directories, the new-mail helper, deletion semantics, raw commands,
 * callbacks, and a 50 MiB message stored with bounded memory.
 */
#include "pop_test.h"

#include <dirent.h>
#include <openssl/evp.h>

#define HOST "127.0.0.1"
#define TIMEOUT 15u

/* ---- handles a failed test may leave open -------------------------------------------- */

static HCLIENT open_handles_[16];

static HCLIENT track(HCLIENT h) {
    pop_assert_valid_handle(h);
    for (size_t i = 0; i < sizeof open_handles_ / sizeof open_handles_[0]; ++i)
        if (open_handles_[i] == INVALID_CLIENT) {
            open_handles_[i] = h;
            return h;
        }
    fail_msg("too many open handles in one test");
    return h;
}

static void untrack(HCLIENT h) {
    for (size_t i = 0; i < sizeof open_handles_ / sizeof open_handles_[0]; ++i)
        if (open_handles_[i] == h) open_handles_[i] = INVALID_CLIENT;
}

/* PopDisconnect, which must succeed. */
static void disconnect(HCLIENT h) {
    untrack(h);
    pop_assert_ok(PopDisconnect(h));
}

/* ---- the protocol trace ----------------------------------------------------------------- */

typedef struct {
    DWORD direction;
    char *text;
    HCLIENT client;
} trace_line;

/* Global, not on a test's stack: a handle closed by the teardown of a failed test still traces. */
static struct {
    trace_line *v;
    size_t n, cap;
} g_trace;

static void INETKIT_CALL record_trace(HCLIENT h, DWORD direction, LPCSTR line, LPVOID param) {
    (void)param;
    if (g_trace.n == g_trace.cap) {
        size_t cap = g_trace.cap ? g_trace.cap * 2 : 256;
        trace_line *v = realloc(g_trace.v, cap * sizeof *v);
        if (v == NULL) return;
        g_trace.v = v;
        g_trace.cap = cap;
    }
    g_trace.v[g_trace.n].direction = direction;
    g_trace.v[g_trace.n].text = strdup(line != NULL ? line : "(null)");
    g_trace.v[g_trace.n].client = h;
    g_trace.n++;
}

static void trace_reset(void) {
    for (size_t i = 0; i < g_trace.n; ++i) free(g_trace.v[i].text);
    free(g_trace.v);
    memset(&g_trace, 0, sizeof g_trace);
}

static void trace_dump(void) {
    for (size_t i = 0; i < g_trace.n; ++i)
        print_message("  %s %s\n", g_trace.v[i].direction == POP_TRACE_COMMAND ? "C:" : "S:", g_trace.v[i].text);
}

/* Whether a line of that direction starts with prefix (case-insensitive) and then ends or has a space. */
static int traced_command_(DWORD direction, const char *prefix) {
    size_t len = strlen(prefix);
    for (size_t i = 0; i < g_trace.n; ++i) {
        const char *t = g_trace.v[i].text;
        if (g_trace.v[i].direction == direction && strncasecmp(t, prefix, len) == 0 &&
            (t[len] == '\0' || t[len] == ' '))
            return 1;
    }
    return 0;
}
static int traced_command(const char *prefix) { return traced_command_(POP_TRACE_COMMAND, prefix); }

static size_t trace_count(DWORD direction) {
    size_t n = 0;
    for (size_t i = 0; i < g_trace.n; ++i) n += g_trace.v[i].direction == direction;
    return n;
}

/* How many commands that start with prefix were traced. */
static size_t trace_count_prefix(const char *prefix) {
    size_t n = 0, len = strlen(prefix);
    for (size_t i = 0; i < g_trace.n; ++i)
        n += g_trace.v[i].direction == POP_TRACE_COMMAND && strncasecmp(g_trace.v[i].text, prefix, len) == 0;
    return n;
}

/* Fails when any traced line holds needle. */
static void assert_trace_lacks(const char *needle) {
    for (size_t i = 0; i < g_trace.n; ++i)
        if (strstr(g_trace.v[i].text, needle) != NULL) {
            trace_dump();
            fail_msg("the trace shows \"%s\": %s", needle, g_trace.v[i].text);
        }
}

/* The most commands starting with prefix ("" for any) traced with no reply between them. */
static size_t longest_command_run(const char *prefix) {
    size_t best = 0, run = 0, len = strlen(prefix);
    for (size_t i = 0; i < g_trace.n; ++i) {
        if (g_trace.v[i].direction != POP_TRACE_COMMAND) run = 0;
        else if (strncasecmp(g_trace.v[i].text, prefix, len) == 0 && ++run > best) best = run;
    }
    return best;
}

/* ---- progress and data callbacks ---------------------------------------------------------- */

static struct {
    int calls;
    int backwards;       /* ullDone went down */
    DWORD message;
    ULONGLONG last_done, last_expected;
    ULONGLONG cancel_at; /* return FALSE once ullDone reaches it (0: never) */
} g_progress;

static BOOL INETKIT_CALL on_progress(HCLIENT h, DWORD message, ULONGLONG done, ULONGLONG expected, LPVOID param) {
    (void)h;
    (void)param;
    if (g_progress.calls > 0 && done < g_progress.last_done) g_progress.backwards = 1;
    g_progress.calls++;
    g_progress.message = message;
    g_progress.last_done = done;
    g_progress.last_expected = expected;
    return !(g_progress.cancel_at != 0 && done >= g_progress.cancel_at);
}

typedef struct {
    sha256_stream sha;
    DWORD message;       /* expected dwMessage */
    int wrong_message;
    DWORD pieces;
    DWORD largest;
    int lines;           /* every piece must be exactly one line with its CR LF */
    int bad_line;
    DWORD stop_after;    /* return FALSE after this many pieces (0: never) */
} data_sink;

static data_sink g_sink;

static BOOL INETKIT_CALL on_data(HCLIENT h, DWORD message, LPCVOID data, DWORD size, LPVOID param) {
    (void)h;
    data_sink *s = param;
    if (message != s->message) s->wrong_message = 1;
    s->pieces++;
    if (size > s->largest) s->largest = size;
    if (s->lines) {
        const char *p = data;
        const char *crlf = size >= 2 ? memmem(p, size, "\r\n", 2) : NULL;
        if (crlf == NULL || crlf != p + size - 2) s->bad_line = 1;
    }
    sha256_add(&s->sha, data, size);
    return !(s->stop_after != 0 && s->pieces >= s->stop_after);
}

static void sink_begin(data_sink *s, DWORD message, int lines) {
    memset(s, 0, sizeof *s);
    sha256_begin(&s->sha);
    s->message = message;
    s->lines = lines;
}

/* ---- sessions ------------------------------------------------------------------------------- */

static SECURITYCREDENTIALS g_creds;

static const SECURITYCREDENTIALS *creds_ca(void) {
    memset(&g_creds, 0, sizeof g_creds);
    g_creds.dwSize = sizeof g_creds;
    g_creds.lpszCaFile = pop_ca_file();
    return &g_creds;
}

static HCLIENT connect_plain(DWORD options) {
    return track(PopConnect(HOST, pop_plain_port(), TIMEOUT, options, NULL));
}

static HCLIENT connect_stls(DWORD options) {
    return track(PopConnect(HOST, pop_plain_port(), TIMEOUT, options | POP_OPTION_SECURE_EXPLICIT, creds_ca()));
}

static HCLIENT connect_tls(DWORD options) {
    return track(PopConnect(HOST, pop_tls_port(), TIMEOUT, options | POP_OPTION_SECURE_IMPLICIT, creds_ca()));
}

static const char *password_of(const char *user) {
    static __thread char pass[64];
    snprintf(pass, sizeof pass, "%s-pass", user);
    return pass;
}

/* A plain session logged in as user (password "<user>-pass") with nAuthType. */
static HCLIENT login_plain(const char *user, UINT auth, DWORD options) {
    HCLIENT h = connect_plain(options);
    pop_assert_ok(PopLogin(h, auth, user, password_of(user)));
    return h;
}

/* ---- messages --------------------------------------------------------------------------------- */

/* RETR n into a new buffer (free it), with the size-query idiom. */
static unsigned char *fetch(HCLIENT h, DWORD n, DWORD *size) {
    DWORD need = 0;
    DWORD rc = PopGetMessage(h, n, NULL, &need);
    if (rc != INETKIT_ERROR_INSUFFICIENT_BUFFER) fail_msg("PopGetMessage(%u, NULL) returned %u: %s", n, rc, pop_last_message());
    unsigned char *buffer = malloc(need ? need : 1);
    assert_non_null(buffer);
    DWORD got = need;
    pop_assert_ok(PopGetMessage(h, n, buffer, &got));
    assert_int_equal(got, need);
    *size = got;
    return buffer;
}

static void assert_is_message(const pop_manifest_entry *e, const void *data, ULONGLONG size, const char *how) {
    char hex[65];
    sha256_hex(data, (size_t)size, hex);
    if (size != e->size || strcmp(hex, e->sha256) != 0)
        fail_msg("%s of message %u (%s): %llu octets, SHA-256 %s; expected %llu octets, %s", how, e->number, e->name,
                 (unsigned long long)size, hex, (unsigned long long)e->size, e->sha256);
}

static void assert_sink_is_message(data_sink *s, const pop_manifest_entry *e, const char *how) {
    char hex[65];
    ULONGLONG size = s->sha.bytes;
    sha256_end(&s->sha, hex);
    if (size != e->size || strcmp(hex, e->sha256) != 0)
        fail_msg("%s of message %u (%s): %llu octets, SHA-256 %s; expected %llu octets, %s", how, e->number, e->name,
                 (unsigned long long)size, hex, (unsigned long long)e->size, e->sha256);
}

static void assert_file_is_message(const char *path, const pop_manifest_entry *e, const char *how) {
    char hex[65];
    ULONGLONG size = 0;
    if (sha256_file_hex(path, hex, &size) != 0) fail_msg("%s of message %u (%s): cannot read %s", how, e->number, e->name, path);
    if (size != e->size || strcmp(hex, e->sha256) != 0)
        fail_msg("%s of message %u (%s) to %s: %llu octets, SHA-256 %s; expected %llu octets, %s", how, e->number,
                 e->name, path, (unsigned long long)size, hex, (unsigned long long)e->size, e->sha256);
}

/* The length of what TOP n lines gives for a full message: the header block with its blank line, then lines body lines. */
static size_t top_length(const unsigned char *full, size_t size, DWORD lines) {
    const unsigned char *end = memmem(full, size, "\r\n\r\n", 4);
    size_t pos = end ? (size_t)(end - full) + 4 : size;
    for (DWORD i = 0; i < lines && pos < size; ++i) {
        const unsigned char *crlf = memmem(full + pos, size - pos, "\r\n", 2);
        pos = crlf ? (size_t)(crlf - full) + 2 : size;
    }
    return pos;
}

static size_t count_crlf(const unsigned char *data, size_t size) {
    size_t n = 0;
    for (size_t i = 0; i + 1 < size; ++i) n += data[i] == '\r' && data[i + 1] == '\n';
    return n;
}

/* ---- scratch directories ------------------------------------------------------------------------ */

/* A new empty directory DIR/scratch-name (an older one is removed first). */
static const char *scratch(const char *name) {
    char leaf[128];
    snprintf(leaf, sizeof leaf, "scratch-%s", name);
    const char *path = pop_path(leaf);
    pop_remove_tree(path);
    if (mkdir(path, 0700) != 0) fail_msg("mkdir %s: %s", path, strerror(errno));
    return path;
}

/* The entries of a directory (not . and ..), up to max; returns the count. */
static int list_dir(const char *path, char names[][256], int max) {
    DIR *d = opendir(path);
    if (d == NULL) fail_msg("opendir %s: %s", path, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n < max) snprintf(names[n], 256, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) fail_msg("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* ---- group and test fixtures ------------------------------------------------------------------------ */

static pop_manifest g_alice, g_bob, g_carol, g_dave;

static int group_setup(void **state) {
    if (pop_group_setup(state) != 0) return -1;
    return 0;
}

static int test_setup(void **state) {
    (void)state;
    trace_reset();
    memset(&g_progress, 0, sizeof g_progress);
    pop_manifest_load("alice", &g_alice);
    pop_manifest_load("bob", &g_bob);
    pop_manifest_load("carol", &g_carol);
    pop_manifest_load("dave", &g_dave);
    return 0;
}

/* Closes what a failed test left open. */
static int test_teardown(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof open_handles_ / sizeof open_handles_[0]; ++i)
        if (open_handles_[i] != INVALID_CLIENT) {
            PopDisconnect(open_handles_[i]);
            open_handles_[i] = INVALID_CLIENT;
        }
    trace_reset();
    return 0;
}

/* =========================================================================================== */
/* Connections                                                                                   */
/* =========================================================================================== */

static void test_connect_plain(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    pop_assert_ok(PopGetSecurityInfo(h, &info));
    assert_int_equal(info.dwProtocol, 0);
    /* A plain session of a server that offers STLS lists it. */
    char value[256];
    DWORD size = sizeof value;
    pop_assert_ok(PopGetCapability(h, "STLS", value, &size));
    assert_string_equal(value, "");
    BOOL ok = FALSE;
    char reply[512];
    size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    assert_true(ok);
    assert_memory_equal(reply, "+OK", 3);
    disconnect(h);
    pop_assert_fails_with(PopNoop(h), INETKIT_ERROR_INVALID_HANDLE);
}

static void test_connect_bad_arguments(void **state) {
    (void)state;
    assert_true(PopConnect(HOST, pop_plain_port(), TIMEOUT, 0x40000000u, NULL) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    assert_true(PopConnect(NULL, pop_plain_port(), TIMEOUT, 0, NULL) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    /* Nothing listens on port 1. */
    assert_true(PopConnect(HOST, 1, TIMEOUT, 0, NULL) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_CONNECTION_REFUSED);
    pop_assert_fails_with(PopNoop(INVALID_CLIENT), INETKIT_ERROR_INVALID_HANDLE);
}

static void assert_tls_session(HCLIENT h) {
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    pop_assert_ok(PopGetSecurityInfo(h, &info));
    assert_true(info.dwProtocol == INET_PROTOCOL_TLS1_2 || info.dwProtocol == INET_PROTOCOL_TLS1_3);
    assert_int_equal(info.dwVerifyResult, 0);
    assert_true(info.szProtocol[0] != '\0');
    assert_true(info.szCipher[0] != '\0');
    assert_true(info.dwPeerCertificates >= 1);
}

static void test_connect_stls(void **state) {
    (void)state;
    HCLIENT h = connect_stls(POP_OPTION_NONE);
    assert_tls_session(h);
    /* The capabilities were asked again inside TLS: Dovecot no longer offers STLS there. */
    char value[256];
    DWORD size = sizeof value;
    pop_assert_fails_with(PopGetCapability(h, "STLS", value, &size), INETKIT_ERROR_NOT_FOUND);
    size = sizeof value;
    pop_assert_ok(PopGetCapability(h, "SASL", value, &size));
    assert_non_null(strstr(value, "SCRAM-SHA-256"));
    pop_assert_ok(PopLogin(h, POP_AUTH_PLAIN, "bob", "bob-pass"));
    DWORD count = 0;
    pop_assert_ok(PopGetMessageCount(h, &count, NULL));
    assert_int_equal(count, g_bob.count);
    disconnect(h);

    /* The name to verify may be given instead of the connect host. */
    SECURITYCREDENTIALS c = *creds_ca();
    c.lpszVerifyName = "localhost";
    h = track(PopConnect(HOST, pop_plain_port(), TIMEOUT, POP_OPTION_SECURE_EXPLICIT, &c));
    assert_tls_session(h);
    disconnect(h);
}

static void test_connect_implicit_tls(void **state) {
    (void)state;
    HCLIENT h = connect_tls(POP_OPTION_NONE);
    assert_tls_session(h);
    char value[256];
    DWORD size = sizeof value;
    pop_assert_fails_with(PopGetCapability(h, "STLS", value, &size), INETKIT_ERROR_NOT_FOUND);
    pop_assert_ok(PopLogin(h, POP_AUTH_PASS, "bob", "bob-pass"));
    DWORD count = 0;
    ULONGLONG octets = 0;
    pop_assert_ok(PopGetMessageCount(h, &count, &octets));
    assert_int_equal(count, g_bob.count);
    assert_int_equal(octets, g_bob.list_total);
    disconnect(h);

    /* TLS 1.2 only, when asked for. */
    SECURITYCREDENTIALS c = *creds_ca();
    c.dwProtocolMax = INET_PROTOCOL_TLS1_2;
    h = track(PopConnect(HOST, pop_tls_port(), TIMEOUT, POP_OPTION_SECURE_IMPLICIT, &c));
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    pop_assert_ok(PopGetSecurityInfo(h, &info));
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_2);
    disconnect(h);
}

static void test_tls_verify_failures(void **state) {
    (void)state;
    /* Without the test CA, Dovecot's certificate is not trusted: implicit and STLS. */
    assert_true(PopConnect(HOST, pop_tls_port(), TIMEOUT, POP_OPTION_SECURE_IMPLICIT, NULL) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_CERTIFICATE_UNTRUSTED);
    assert_true(PopConnect(HOST, pop_plain_port(), TIMEOUT, POP_OPTION_SECURE_EXPLICIT, NULL) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_CERTIFICATE_UNTRUSTED);

    /* The right CA but the wrong name. */
    SECURITYCREDENTIALS c = *creds_ca();
    c.lpszVerifyName = "wrong.example";
    assert_true(PopConnect(HOST, pop_tls_port(), TIMEOUT, POP_OPTION_SECURE_IMPLICIT, &c) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    assert_true(PopConnect(HOST, pop_plain_port(), TIMEOUT, POP_OPTION_SECURE_EXPLICIT, &c) == INVALID_CLIENT);
    assert_int_equal(PopGetLastError(), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);

    /* TRUSTEDSITE accepts the problem, and says so in the session's details. */
    HCLIENT h = track(PopConnect(HOST, pop_tls_port(), TIMEOUT, POP_OPTION_SECURE_IMPLICIT | POP_OPTION_TRUSTEDSITE, NULL));
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    pop_assert_ok(PopGetSecurityInfo(h, &info));
    assert_true(info.dwProtocol >= INET_PROTOCOL_TLS1_2);
    assert_true(info.dwVerifyResult != 0);
    disconnect(h);
}

/* =========================================================================================== */
/* Capabilities                                                                                  */
/* =========================================================================================== */

/* Whether the capability text has a line that is name, or name followed by a space. */
static int has_capability_line(const char *text, const char *name) {
    size_t len = strlen(name);
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t line = end ? (size_t)(end - p) : strlen(p);
        if (line > 0 && p[line - 1] == '\r') line--;
        if (line >= len && strncasecmp(p, name, len) == 0 && (line == len || p[len] == ' ')) return 1;
        if (end == NULL) break;
        p = end + 1;
    }
    return 0;
}

static char *get_capabilities(HCLIENT h) {
    DWORD need = 0;
    pop_assert_fails_with(PopGetCapabilities(h, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_true(need > 1);
    char *text = malloc(need);
    assert_non_null(text);
    DWORD size = need;
    pop_assert_ok(PopGetCapabilities(h, text, &size));
    assert_int_equal(size, need - 1);
    assert_int_equal(strlen(text), need - 1);
    return text;
}

static int has_word(const char *list, const char *word) {
    size_t len = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ')) return 1;
    return 0;
}

static void test_capabilities(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    char *caps = get_capabilities(h);
    const char *expected[] = {"UIDL", "TOP", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE", "USER", "STLS", "SASL"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; ++i)
        if (!has_capability_line(caps, expected[i])) fail_msg("no %s in the capabilities:\n%s", expected[i], caps);
    free(caps);

    /* One capability's arguments: size-query idiom, case-insensitive name. */
    DWORD need = 0;
    pop_assert_fails_with(PopGetCapability(h, "sasl", NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    char sasl[512];
    assert_true(need > 1 && need <= sizeof sasl);
    DWORD size = need;
    pop_assert_ok(PopGetCapability(h, "Sasl", sasl, &size));
    assert_int_equal(size, need - 1);
    const char *mechanisms[] = {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"};
    for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; ++i)
        if (!has_word(sasl, mechanisms[i])) fail_msg("SASL \"%s\" lacks %s", sasl, mechanisms[i]);

    char value[64];
    size = sizeof value;
    pop_assert_ok(PopGetCapability(h, "UIDL", value, &size));
    assert_string_equal(value, "");
    assert_int_equal(size, 0);
    size = sizeof value;
    pop_assert_fails_with(PopGetCapability(h, "X-NO-SUCH-THING", value, &size), INETKIT_ERROR_NOT_FOUND);

    /* Read again after the login: Dovecot then lists neither SASL nor USER nor STLS. */
    pop_assert_ok(PopLogin(h, POP_AUTH_SCRAM_SHA256, "bob", "bob-pass"));
    caps = get_capabilities(h);
    if (has_capability_line(caps, "SASL") || has_capability_line(caps, "USER") || has_capability_line(caps, "STLS"))
        fail_msg("capabilities not read again after the login:\n%s", caps);
    if (!has_capability_line(caps, "UIDL") || !has_capability_line(caps, "TOP") || !has_capability_line(caps, "PIPELINING"))
        fail_msg("capabilities after the login lack UIDL, TOP or PIPELINING:\n%s", caps);
    free(caps);
    size = sizeof value;
    pop_assert_fails_with(PopGetCapability(h, "SASL", value, &size), INETKIT_ERROR_NOT_FOUND);
    size = sizeof value;
    pop_assert_ok(PopGetCapability(h, "pipelining", value, &size));
    disconnect(h);
}

/* =========================================================================================== */
/* Login                                                                                           */
/* =========================================================================================== */

static void base64(const char *data, size_t size, char *out) {
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)size);
}

/* Nothing in the trace gives away bob's password, in the clear or in base64. */
static void assert_trace_hides_password(void) {
    char b64[128];
    assert_trace_lacks("bob-pass");
    base64("bob-pass", 8, b64);
    assert_trace_lacks(b64);
    base64("\0bob\0bob-pass", 13, b64); /* SASL PLAIN */
    assert_trace_lacks(b64);
    base64("bob\0bob\0bob-pass", 16, b64);
    assert_trace_lacks(b64);
}

static void test_login_every_mechanism(void **state) {
    (void)state;
    static const struct {
        UINT auth;
        const char *command; /* what the trace must show */
    } cases[] = {
        {POP_AUTH_PASS, "USER"},
        {POP_AUTH_APOP, "APOP"},
        {POP_AUTH_LOGIN, "AUTH LOGIN"},
        {POP_AUTH_PLAIN, "AUTH PLAIN"},
        {POP_AUTH_CRAM_MD5, "AUTH CRAM-MD5"},
        {POP_AUTH_SCRAM_SHA1, "AUTH SCRAM-SHA-1"},
        {POP_AUTH_SCRAM_SHA256, "AUTH SCRAM-SHA-256"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        trace_reset();
        /* Named explicitly, every mechanism is used even on a plain connection. */
        HCLIENT h = connect_plain(POP_OPTION_NONE);
        pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
        DWORD rc = PopLogin(h, cases[i].auth, "bob", "bob-pass");
        if (rc != 0) {
            trace_dump();
            fail_msg("PopLogin with %s returned %u: %s", cases[i].command, rc, pop_last_message());
        }
        if (!traced_command(cases[i].command)) {
            trace_dump();
            fail_msg("login %u did not send %s", cases[i].auth, cases[i].command);
        }
        assert_trace_hides_password();
        BOOL ok = FALSE;
        char reply[512];
        DWORD size = sizeof reply;
        pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
        assert_true(ok);
        DWORD count = 0;
        pop_assert_ok(PopGetMessageCount(h, &count, NULL));
        assert_int_equal(count, g_bob.count);
        pop_assert_fails_with(PopLogin(h, cases[i].auth, "bob", "bob-pass"), INETKIT_ERROR_INVALID_STATE);
        disconnect(h);
        assert_trace_hides_password();
    }
}

static void test_login_default_on_plain_picks_scram(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    pop_assert_ok(PopLogin(h, POP_AUTH_DEFAULT, "bob", "bob-pass"));
    if (!traced_command("AUTH SCRAM-SHA-256")) {
        trace_dump();
        fail_msg("POP_AUTH_DEFAULT did not pick SCRAM-SHA-256");
    }
    /* Nothing that sends the password in the clear was tried on the plain connection. */
    const char *never[] = {"AUTH PLAIN", "AUTH LOGIN", "USER", "PASS", "APOP"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; ++i)
        if (traced_command(never[i])) {
            trace_dump();
            fail_msg("POP_AUTH_DEFAULT sent %s on a plain connection", never[i]);
        }
    assert_trace_hides_password();
    disconnect(h);
}

static void test_login_default_on_tls(void **state) {
    (void)state;
    HCLIENT h = connect_stls(POP_OPTION_NONE);
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    pop_assert_ok(PopLogin(h, POP_AUTH_DEFAULT, "bob", "bob-pass"));
    if (!traced_command("AUTH SCRAM-SHA-256")) {
        trace_dump();
        fail_msg("POP_AUTH_DEFAULT on TLS did not pick SCRAM-SHA-256 (the strongest offered)");
    }
    assert_trace_hides_password();
    disconnect(h);
}

static void test_login_wrong_password(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    const UINT mechanisms[] = {POP_AUTH_DEFAULT, POP_AUTH_PASS, POP_AUTH_APOP, POP_AUTH_PLAIN};
    for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; ++i) {
        pop_assert_fails_with(PopLogin(h, mechanisms[i], "bob", "not-the-password"), INETKIT_ERROR_AUTH_FAILED);
        BOOL ok = TRUE;
        char reply[512];
        DWORD size = sizeof reply;
        pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
        assert_false(ok);
        assert_memory_equal(reply, "-ERR", 4);
        assert_non_null(strstr(reply, "[AUTH]"));
    }
    assert_trace_lacks("not-the-password");
    /* An unknown user fails the same way. */
    pop_assert_fails_with(PopLogin(h, POP_AUTH_SCRAM_SHA256, "nobody-here", "x"), INETKIT_ERROR_AUTH_FAILED);
    /* The session is still in the authorization state: the right password works. */
    pop_assert_ok(PopLogin(h, POP_AUTH_SCRAM_SHA256, "bob", "bob-pass"));
    DWORD count = 0;
    pop_assert_ok(PopGetMessageCount(h, &count, NULL));
    assert_int_equal(count, g_bob.count);
    disconnect(h);
}

static void test_login_refuses_bad_arguments(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    static char long_name[4098];
    memset(long_name, 'a', 4097);
    long_name[4097] = '\0';
    const struct {
        const char *user, *pass;
    } bad[] = {
        {"bob\r\nDELE 1", "bob-pass"}, {"bob\n", "bob-pass"}, {"bob\r", "bob-pass"},
        {"bob", "bob-pass\r\nDELE 1"}, {"bob", "bob\npass"},  {"bob", "bob\rpass"},
        {long_name, "bob-pass"},       {"bob", long_name},    {NULL, "bob-pass"},
    };
    const UINT mechanisms[] = {POP_AUTH_DEFAULT, POP_AUTH_PASS, POP_AUTH_APOP, POP_AUTH_LOGIN, POP_AUTH_PLAIN,
                               POP_AUTH_CRAM_MD5, POP_AUTH_SCRAM_SHA1, POP_AUTH_SCRAM_SHA256};
    for (size_t m = 0; m < sizeof mechanisms / sizeof mechanisms[0]; ++m)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
            DWORD rc = PopLogin(h, mechanisms[m], bad[i].user, bad[i].pass);
            if (rc != INETKIT_ERROR_INVALID_PARAMETER)
                fail_msg("PopLogin(mechanism %u, case %zu) returned %u (%s), expected INVALID_PARAMETER", mechanisms[m], i,
                         rc, pop_last_message());
            if (trace_count(POP_TRACE_COMMAND) != 0) {
                trace_dump();
                fail_msg("PopLogin(mechanism %u, case %zu) sent something before refusing", mechanisms[m], i);
            }
        }
    /* Commands with line breaks are refused before sending too. */
    pop_assert_fails_with(PopCommand(h, "NOOP\r\nDELE 1", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    pop_assert_fails_with(PopCommand(h, "NOOP\n", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    pop_assert_fails_with(PopCommand(h, "NOOP\r", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    if (trace_count(POP_TRACE_COMMAND) != 0) {
        trace_dump();
        fail_msg("a refused command was sent");
    }
    /* A 4096-byte password is still allowed (and merely wrong). */
    static char long_pass[4097];
    memset(long_pass, 'p', 4096);
    long_pass[4096] = '\0';
    pop_assert_fails_with(PopLogin(h, POP_AUTH_PLAIN, "bob", long_pass), INETKIT_ERROR_AUTH_FAILED);
    pop_assert_ok(PopLogin(h, POP_AUTH_CRAM_MD5, "bob", "bob-pass"));
    disconnect(h);
}

static void test_trace_file_hides_password(void **state) {
    (void)state;
    const char *dir = scratch("tracefile");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/trace.log", dir);
    const UINT mechanisms[] = {POP_AUTH_PASS, POP_AUTH_PLAIN, POP_AUTH_LOGIN, POP_AUTH_APOP};
    for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; ++i) {
        HCLIENT h = connect_plain(POP_OPTION_NONE);
        char setting[PATH_MAX + 16];
        snprintf(setting, sizeof setting, "TraceFile=%s", path);
        pop_assert_ok(PopConfig(h, setting));
        pop_assert_ok(PopLogin(h, mechanisms[i], "bob", "bob-pass"));
        pop_assert_ok(PopNoop(h));
        pop_assert_ok(PopConfig(h, "TraceFile="));
        disconnect(h);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("no trace file %s", path);
    static char text[1 << 16];
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    assert_true(got > 0);
    assert_non_null(strstr(text, "NOOP"));
    char b64[128];
    assert_null(strstr(text, "bob-pass"));
    base64("bob-pass", 8, b64);
    assert_null(strstr(text, b64));
    base64("\0bob\0bob-pass", 13, b64);
    assert_null(strstr(text, b64));
}

static void test_utf8(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    char value[64];
    DWORD size = sizeof value;
    DWORD offered = PopGetCapability(h, "UTF8", value, &size);
    DWORD rc = PopEnableUtf8(h);
    if (offered == 0) {
        if (rc != 0) fail_msg("PopEnableUtf8 returned %u (%s) though UTF8 is offered", rc, pop_last_message());
    } else {
        /* Dovecot 2.3 does not offer UTF8 for POP3: refused, and the session goes on. */
        assert_int_equal(offered, INETKIT_ERROR_NOT_FOUND);
        if (rc == 0) fail_msg("PopEnableUtf8 succeeded though the server does not offer UTF8");
        assert_int_equal(PopGetLastError(), rc);
        print_message("  PopEnableUtf8 without UTF8 offered: %u (%s)\n", rc, pop_last_message());
    }
    pop_assert_ok(PopLogin(h, POP_AUTH_SCRAM_SHA256, "bob", "bob-pass"));
    pop_assert_ok(PopNoop(h));
    disconnect(h);
}

/* SASL carries UTF-8 user names and passwords without UTF8 (RFC 5034, 4616, 5802). */
static void test_utf8_user_over_sasl(void **state) {
    (void)state;
    const char *user = "d\xc3\xb6rte", *pass = "d\xc3\xb6rte-p\xc3\xa4ss";
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    pop_assert_ok(PopLogin(h, POP_AUTH_SCRAM_SHA256, user, pass));
    DWORD count = 99;
    pop_assert_ok(PopGetMessageCount(h, &count, NULL));
    assert_int_equal(count, 0);
    disconnect(h);
    h = connect_stls(POP_OPTION_NONE);
    pop_assert_ok(PopLogin(h, POP_AUTH_PLAIN, user, pass));
    disconnect(h);
}

static void test_messages_need_login(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    DWORD count;
    pop_assert_fails_with(PopGetMessageCount(h, &count, NULL), INETKIT_ERROR_INVALID_STATE);
    pop_assert_fails_with(PopListMessages(h, &count), INETKIT_ERROR_INVALID_STATE);
    pop_assert_fails_with(PopDeleteMessage(h, 1), INETKIT_ERROR_INVALID_STATE);
    static unsigned char buffer[1024];
    DWORD size = sizeof buffer;
    pop_assert_fails_with(PopGetMessage(h, 1, buffer, &size), INETKIT_ERROR_INVALID_STATE);
    /* NOOP belongs to the transaction state (RFC 1939): refused by the library or by Dovecot. */
    DWORD rc = PopNoop(h);
    if (rc != INETKIT_ERROR_INVALID_STATE && rc != INETKIT_ERROR_SERVER_ERROR)
        fail_msg("PopNoop before the login returned %u (%s)", rc, pop_last_message());
    /* The session is still good for the login. */
    pop_assert_ok(PopLogin(h, POP_AUTH_SCRAM_SHA256, "bob", "bob-pass"));
    pop_assert_ok(PopNoop(h));
    disconnect(h);
}

/* =========================================================================================== */
/* STAT, LIST, UIDL                                                                                */
/* =========================================================================================== */

static void test_stat_list_uidl(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    DWORD count = 0;
    ULONGLONG octets = 0;
    pop_assert_ok(PopGetMessageCount(h, &count, &octets));
    assert_int_equal(count, m->count);
    assert_int_equal(octets, m->list_total);
    pop_assert_ok(PopGetMessageCount(h, NULL, NULL));

    /* Before any listing: UIDL n and LIST n. */
    char uid_first[72];
    DWORD size = sizeof uid_first;
    pop_assert_ok(PopGetMessageUid(h, 1, uid_first, &size));
    assert_int_equal(size, strlen(uid_first));
    ULONGLONG octets1 = 0;
    pop_assert_ok(PopGetMessageSize(h, 1, &octets1));
    assert_int_equal(octets1, m->msg[0].list_size);

    DWORD listed = 0;
    pop_assert_ok(PopListMessages(h, &listed));
    assert_int_equal(listed, m->count);
    char uids[32][72];
    for (DWORD i = 1; i <= count; ++i) {
        const pop_manifest_entry *e = &m->msg[i - 1];
        POPMESSAGEINFO info;
        memset(&info, 0, sizeof info);
        info.dwSize = sizeof info;
        pop_assert_ok(PopGetMessageInfo(h, i, &info));
        assert_int_equal(info.dwMessage, i);
        if (info.ullOctets != e->list_size)
            fail_msg("message %u (%s): LIST gives %llu, expected %llu", i, e->name, (unsigned long long)info.ullOctets,
                     (unsigned long long)e->list_size);
        assert_false(info.bDeleted);
        size_t len = strlen(info.szUid);
        assert_true(len >= 1 && len <= 70);
        for (size_t k = 0; k < len; ++k) assert_true(info.szUid[k] > 0x20 && info.szUid[k] < 0x7f);
        for (DWORD j = 1; j < i; ++j) assert_string_not_equal(uids[j - 1], info.szUid);
        snprintf(uids[i - 1], sizeof uids[i - 1], "%s", info.szUid);

        ULONGLONG n = 0;
        pop_assert_ok(PopGetMessageSize(h, i, &n));
        assert_int_equal(n, e->list_size);

        DWORD need = 0;
        pop_assert_fails_with(PopGetMessageUid(h, i, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(need, len + 1);
        char uid[72];
        size = (DWORD)len; /* one too small */
        pop_assert_fails_with(PopGetMessageUid(h, i, uid, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(size, len + 1);
        size = sizeof uid;
        pop_assert_ok(PopGetMessageUid(h, i, uid, &size));
        assert_string_equal(uid, info.szUid);

        DWORD found = 0;
        pop_assert_ok(PopFindMessage(h, info.szUid, &found));
        assert_int_equal(found, i);
    }
    assert_string_equal(uids[0], uid_first);
    DWORD found = 0;
    pop_assert_fails_with(PopFindMessage(h, "no-such-uid", &found), INETKIT_ERROR_NOT_FOUND);
    POPMESSAGEINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    assert_int_not_equal(PopGetMessageInfo(h, 0, &info), 0);
    assert_int_not_equal(PopGetMessageInfo(h, count + 1, &info), 0);
    disconnect(h);

    /* PopFindMessage lists first when nothing was listed yet. */
    h = login_plain("alice", POP_AUTH_CRAM_MD5, POP_OPTION_NONE);
    pop_assert_ok(PopFindMessage(h, uids[count - 1], &found));
    assert_int_equal(found, count);
    disconnect(h);
}

/* =========================================================================================== */
/* TOP                                                                                              */
/* =========================================================================================== */

static void test_top(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    static unsigned char top[1 << 16];
    for (DWORD i = 0; i < m->count; ++i) {
        const pop_manifest_entry *e = &m->msg[i];
        if (strcmp(e->name, "big") == 0) continue;
        DWORD full_size;
        unsigned char *full = fetch(h, e->number, &full_size);
        assert_is_message(e, full, full_size, "RETR");

        /* TOP n 0: the header block with its blank line. */
        size_t want = top_length(full, full_size, 0);
        DWORD need = 0;
        pop_assert_fails_with(PopGetMessageHeaders(h, e->number, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(need, want);
        DWORD size = sizeof top;
        pop_assert_ok(PopGetMessageHeaders(h, e->number, top, &size));
        if (size != want || memcmp(top, full, want) != 0)
            fail_msg("headers of message %u (%s): %u octets, expected %zu", e->number, e->name, size, want);
        assert_memory_equal(top + size - 4, "\r\n\r\n", 4);

        const DWORD lines[] = {0, 1, 2, 3, 1000};
        for (size_t k = 0; k < sizeof lines / sizeof lines[0]; ++k) {
            want = top_length(full, full_size, lines[k]);
            size = sizeof top;
            pop_assert_ok(PopGetMessageTop(h, e->number, lines[k], top, &size));
            if (size != want || memcmp(top, full, want) != 0)
                fail_msg("TOP %u %u (%s): %u octets, expected %zu", e->number, lines[k], e->name, size, want);
        }
        free(full);
    }
    /* The big one: its headers and two lines, without fetching 50 MiB. */
    const pop_manifest_entry *big = pop_manifest_find(m, "big");
    assert_non_null(big);
    DWORD size = sizeof top;
    pop_assert_ok(PopGetMessageTop(h, big->number, 2, top, &size));
    unsigned char *body = memmem(top, size, "\r\n\r\n", 4);
    assert_non_null(body);
    body += 4;
    assert_int_equal(count_crlf(body, size - (size_t)(body - top)), 2);
    assert_memory_equal(body, ".big line", 9); /* the line starts with a dot (stuffed on the wire) */
    assert_non_null(memmem(body, size - (size_t)(body - top), "\r\nBIG line", 10));
    assert_memory_equal(top + size - 2, "\r\n", 2);
    disconnect(h);
}

/* =========================================================================================== */
/* Retrieval: buffer, file, stream, callback                                                        */
/* =========================================================================================== */

static void test_retrieve_to_buffer(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_SCRAM_SHA1, POP_OPTION_NONE);
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    for (DWORD i = 0; i < m->count; ++i) {
        const pop_manifest_entry *e = &m->msg[i];
        if (strcmp(e->name, "big") == 0) continue;
        trace_reset();
        /* Ask for the size twice (no buffer, then one octet too small), then fetch. */
        DWORD need = 0;
        pop_assert_fails_with(PopGetMessage(h, e->number, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(need, e->size);
        unsigned char *buffer = malloc(need + 16);
        assert_non_null(buffer);
        memset(buffer, 0xAA, need + 16);
        DWORD size = need - 1;
        pop_assert_fails_with(PopGetMessage(h, e->number, buffer, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(size, e->size);
        assert_int_equal(buffer[0], 0xAA); /* left unchanged */
        size = need + 16;
        pop_assert_ok(PopGetMessage(h, e->number, buffer, &size));
        assert_is_message(e, buffer, size, "PopGetMessage");
        assert_int_equal(buffer[size], 0xAA); /* no NUL added */
        free(buffer);
        /* The message was kept between the calls: one RETR. */
        char retr[32];
        snprintf(retr, sizeof retr, "RETR %u", e->number);
        if (trace_count_prefix(retr) != 1) {
            trace_dump();
            fail_msg("message %u was fetched %zu times for one size query and one retry", e->number, trace_count_prefix(retr));
        }
    }
    disconnect(h);
}

static void test_retrieve_to_file(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    const char *dir = scratch("files");
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    int stored = 0;
    for (DWORD i = 0; i < m->count; ++i) {
        const pop_manifest_entry *e = &m->msg[i];
        if (strcmp(e->name, "big") == 0) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/message-%u.eml", dir, e->number);
        if (i % 2 == 0) write_file(path, "an older file, to be replaced\r\n");
        pop_assert_ok(PopStoreMessage(h, e->number, path));
        assert_file_is_message(path, e, "PopStoreMessage");
        stored++;
    }
    /* Only the messages: no temporary file left behind. */
    char names[64][256];
    int n = list_dir(dir, names, 64);
    if (n != stored) {
        for (int k = 0; k < n && k < 64; ++k) print_message("  %s\n", names[k]);
        fail_msg("%d files in %s, expected %d", n, dir, stored);
    }
    pop_assert_fails_with(PopStoreMessage(h, 1, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    disconnect(h);
}

static void test_retrieve_as_stream(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    static unsigned char top[1 << 16];
    for (DWORD i = 0; i < m->count; ++i) {
        const pop_manifest_entry *e = &m->msg[i];
        if (strcmp(e->name, "big") == 0) continue;
        /* The whole message in odd little pieces (dot-unstuffing across their edges). */
        pop_assert_ok(PopOpenMessage(h, e->number, POP_ALL_LINES));
        pop_assert_fails_with(PopNoop(h), INETKIT_ERROR_INVALID_STATE);
        sha256_stream s;
        sha256_begin(&s);
        unsigned char piece[7];
        for (;;) {
            DWORD got = 0;
            pop_assert_ok(PopRead(h, piece, sizeof piece, &got));
            assert_true(got <= sizeof piece);
            if (got == 0) break;
            sha256_add(&s, piece, got);
        }
        char hex[65];
        ULONGLONG bytes = s.bytes;
        sha256_end(&s, hex);
        if (bytes != e->size || strcmp(hex, e->sha256) != 0)
            fail_msg("PopRead of message %u (%s): %llu octets, %s", e->number, e->name, (unsigned long long)bytes, hex);
        pop_assert_ok(PopCloseMessage(h));
        pop_assert_ok(PopNoop(h));

        /* TOP n 2 as a stream equals PopGetMessageTop. */
        DWORD top_size = sizeof top;
        pop_assert_ok(PopGetMessageTop(h, e->number, 2, top, &top_size));
        pop_assert_ok(PopOpenMessage(h, e->number, 2));
        static unsigned char streamed[1 << 16];
        DWORD total = 0;
        for (;;) {
            DWORD got = 0;
            pop_assert_ok(PopRead(h, streamed + total, (DWORD)sizeof streamed - total, &got));
            if (got == 0) break;
            total += got;
        }
        pop_assert_ok(PopCloseMessage(h));
        assert_int_equal(total, top_size);
        assert_memory_equal(streamed, top, top_size);
    }
    /* Closing early drops the rest and keeps the session in step. */
    const pop_manifest_entry *ten = pop_manifest_find(m, "tenkb-crlf");
    assert_non_null(ten);
    pop_assert_ok(PopOpenMessage(h, ten->number, POP_ALL_LINES));
    unsigned char part[100];
    DWORD got = 0;
    pop_assert_ok(PopRead(h, part, sizeof part, &got));
    assert_true(got > 0);
    pop_assert_ok(PopCloseMessage(h));
    DWORD size;
    unsigned char *simple = fetch(h, m->msg[0].number, &size);
    assert_is_message(&m->msg[0], simple, size, "RETR after an early PopCloseMessage");
    free(simple);
    disconnect(h);
}

static void test_retrieve_through_callback(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    for (DWORD i = 0; i < m->count; ++i) {
        const pop_manifest_entry *e = &m->msg[i];
        if (strcmp(e->name, "big") == 0) continue;
        sink_begin(&g_sink, e->number, 0);
        pop_assert_ok(PopRetrieveMessage(h, e->number, on_data, &g_sink));
        assert_false(g_sink.wrong_message);
        assert_true(g_sink.largest <= 65536);
        if (e->size > 0) assert_true(g_sink.pieces >= 1);
        assert_sink_is_message(&g_sink, e, "PopRetrieveMessage");
    }
    disconnect(h);
}

static void test_linebreak_gives_lines(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_LINEBREAK);
    for (DWORD i = 0; i < m->count; ++i) {
        const pop_manifest_entry *e = &m->msg[i];
        if (strcmp(e->name, "big") == 0) continue;
        /* Through the callback: one line, with its CR LF, per call. */
        sink_begin(&g_sink, e->number, 1);
        pop_assert_ok(PopRetrieveMessage(h, e->number, on_data, &g_sink));
        if (g_sink.bad_line) fail_msg("message %u (%s): a piece that is not one line", e->number, e->name);
        DWORD pieces = g_sink.pieces;
        assert_sink_is_message(&g_sink, e, "PopRetrieveMessage with POP_OPTION_LINEBREAK");

        /* Through PopRead: the same lines. */
        pop_assert_ok(PopOpenMessage(h, e->number, POP_ALL_LINES));
        static unsigned char line[8192];
        sha256_stream s;
        sha256_begin(&s);
        DWORD reads = 0;
        for (;;) {
            DWORD got = 0;
            pop_assert_ok(PopRead(h, line, sizeof line, &got));
            if (got == 0) break;
            reads++;
            if (got < 2 || memcmp(line + got - 2, "\r\n", 2) != 0 || memmem(line, got, "\r\n", 2) != line + got - 2)
                fail_msg("PopRead of message %u (%s) with POP_OPTION_LINEBREAK gave %u octets that are not one line",
                         e->number, e->name, got);
            sha256_add(&s, line, got);
        }
        pop_assert_ok(PopCloseMessage(h));
        char hex[65];
        ULONGLONG bytes = s.bytes;
        sha256_end(&s, hex);
        assert_int_equal(bytes, e->size);
        assert_string_equal(hex, e->sha256);
        assert_int_equal(reads, pieces);

        DWORD size;
        unsigned char *full = fetch(h, e->number, &size);
        assert_int_equal(pieces, count_crlf(full, size));
        free(full);
    }
    disconnect(h);
}

static void test_max_memory_message(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    const pop_manifest_entry *ten = pop_manifest_find(m, "tenkb-crlf");
    assert_non_null(ten);
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopConfig(h, "MaxMemoryMessage=4096"));
    static unsigned char buffer[1 << 15];
    DWORD size = sizeof buffer;
    DWORD rc = PopGetMessage(h, ten->number, buffer, &size);
    if (rc == 0 || rc == INETKIT_ERROR_INSUFFICIENT_BUFFER)
        fail_msg("a %llu-octet message above MaxMemoryMessage=4096 gave %u", (unsigned long long)ten->size, rc);
    print_message("  above MaxMemoryMessage: %u (%s)\n", rc, pop_last_message());
    /* A small one still comes, and the session is in step. */
    pop_assert_ok(PopNoop(h));
    size = sizeof buffer;
    pop_assert_ok(PopGetMessage(h, m->msg[0].number, buffer, &size));
    assert_is_message(&m->msg[0], buffer, size, "PopGetMessage under MaxMemoryMessage");
    pop_assert_fails_with(PopConfig(h, "MaxMemoryMessage=lots"), INETKIT_ERROR_INVALID_PARAMETER);
    disconnect(h);
}

/* =========================================================================================== */
/* Storing several messages                                                                        */
/* =========================================================================================== */

/* Checks that dir holds exactly "<uid>.eml" for the listed messages, each complete. */
static void assert_directory_holds(HCLIENT h, const pop_manifest *m, const char *dir, const DWORD *numbers, DWORD n) {
    char names[64][256];
    int files = list_dir(dir, names, 64);
    if (files != (int)n) {
        for (int k = 0; k < files && k < 64; ++k) print_message("  %s\n", names[k]);
        fail_msg("%d files in %s, expected %u", files, dir, n);
    }
    for (DWORD k = 0; k < n; ++k) {
        const pop_manifest_entry *e = &m->msg[numbers[k] - 1];
        char uid[72];
        DWORD size = sizeof uid;
        pop_assert_ok(PopGetMessageUid(h, e->number, uid, &size));
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s.eml", dir, uid);
        if (!file_exists(path)) fail_msg("message %u (%s) is not in %s", e->number, e->name, path);
        assert_file_is_message(path, e, "PopStoreMessages");
    }
}

/* Stores every message of bob's with the setting given; RETRs in flight together must be within the bounds,
   and with max_any 1 no two commands of any kind. */
static void store_all(const char *pipelining, const char *dir_name, size_t want_min_run, size_t want_max_run,
                      size_t max_any) {
    const pop_manifest *m = &g_bob;
    const char *dir = scratch(dir_name);
    HCLIENT h = login_plain("bob", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopConfig(h, pipelining));
    trace_reset();
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    DWORD stored = 99;
    pop_assert_ok(PopStoreMessages(h, NULL, 0, dir, &stored));
    assert_int_equal(stored, m->count);
    size_t run = longest_command_run("RETR"), any = longest_command_run("");
    pop_assert_ok(PopSetTraceCallback(h, NULL, NULL));
    if (run < want_min_run || run > want_max_run || any > max_any) {
        trace_dump();
        fail_msg("%s: up to %zu RETR (%zu commands) were in flight together, expected %zu..%zu (at most %zu)",
                 pipelining, run, any, want_min_run, want_max_run, max_any);
    }
    DWORD all[32];
    for (DWORD i = 0; i < m->count; ++i) all[i] = i + 1;
    assert_directory_holds(h, m, dir, all, m->count);

    /* A chosen few, into another directory. */
    char few_name[64];
    snprintf(few_name, sizeof few_name, "%s-few", dir_name);
    const char *few_dir = scratch(few_name);
    const DWORD few[] = {2, 5};
    pop_assert_ok(PopStoreMessages(h, few, 2, few_dir, &stored));
    assert_int_equal(stored, 2);
    assert_directory_holds(h, m, few_dir, few, 2);
    disconnect(h);
}

static void test_store_messages_pipelined(void **state) {
    (void)state;
    store_all("Pipelining=on", "pipelined", 2, 1000, 1000);
}

static void test_store_messages_not_pipelined(void **state) {
    (void)state;
    store_all("Pipelining=off", "serial", 1, 1, 1);
}

static void test_config_refuses_nonsense(void **state) {
    (void)state;
    HCLIENT h = connect_plain(POP_OPTION_NONE);
    pop_assert_fails_with(PopConfig(h, "Pipelining=maybe"), INETKIT_ERROR_INVALID_PARAMETER);
    pop_assert_fails_with(PopConfig(h, "NoSuchSetting=1"), INETKIT_ERROR_INVALID_PARAMETER);
    pop_assert_fails_with(PopConfig(h, "Pipelining"), INETKIT_ERROR_INVALID_PARAMETER);
    pop_assert_ok(PopConfig(h, "Pipelining=auto"));
    pop_assert_ok(PopConfig(h, "Timeout=20000"));
    disconnect(h);
}

/* The lines of a seen file, into uids (each at most 71 characters); returns the count. */
static int read_seen(const char *path, char uids[][72], int max) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') continue;
        if (n < max) {
            size_t len = strlen(line) < 71 ? strlen(line) : 71;
            memcpy(uids[n], line, len);
            uids[n][len] = '\0';
        }
        n++;
    }
    fclose(f);
    return n;
}

static void test_store_new_messages(void **state) {
    (void)state;
    const pop_manifest *m = &g_dave;
    const char *dir = scratch("new");
    const char *seen_dir = scratch("seen");
    char seen[PATH_MAX];
    snprintf(seen, sizeof seen, "%s/seen.txt", seen_dir);
    HCLIENT h = login_plain("dave", POP_AUTH_DEFAULT, POP_OPTION_NONE);

    /* First run: the seen file is made, every message stored and listed in it. */
    DWORD stored = 99;
    pop_assert_ok(PopStoreNewMessages(h, seen, dir, &stored));
    assert_int_equal(stored, m->count);
    DWORD all[32];
    for (DWORD i = 0; i < m->count; ++i) all[i] = i + 1;
    assert_directory_holds(h, m, dir, all, m->count);
    char uids[64][72];
    assert_int_equal(read_seen(seen, uids, 64), (int)m->count);
    for (DWORD i = 1; i <= m->count; ++i) {
        DWORD found = 0;
        char uid[72];
        DWORD size = sizeof uid;
        pop_assert_ok(PopGetMessageUid(h, i, uid, &size));
        for (DWORD k = 0; k < m->count; ++k)
            if (strcmp(uids[k], uid) == 0) found++;
        if (found != 1) fail_msg("uid %s is %u times in the seen file", uid, found);
    }

    /* Second run: nothing new. */
    pop_assert_ok(PopStoreNewMessages(h, seen, dir, &stored));
    assert_int_equal(stored, 0);
    assert_directory_holds(h, m, dir, all, m->count);
    disconnect(h);

    /* The seen file loses all but three ids and the files go: the others come again, once. */
    FILE *f = fopen(seen, "w");
    assert_non_null(f);
    for (int k = 0; k < 3; ++k) fprintf(f, "%s\n", uids[k]);
    fclose(f);
    pop_remove_tree(dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    h = login_plain("dave", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopStoreNewMessages(h, seen, dir, &stored));
    assert_int_equal(stored, m->count - 3);
    assert_int_equal(list_dir(dir, (char(*)[256])NULL, 0), (int)(m->count - 3));
    char again[64][72];
    assert_int_equal(read_seen(seen, again, 64), (int)m->count);
    for (DWORD i = 0; i < m->count; ++i)
        for (DWORD k = i + 1; k < m->count; ++k) assert_string_not_equal(again[i], again[k]);
    for (int k = 0; k < 3; ++k) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s.eml", dir, uids[k]) >= (int)sizeof path) fail_msg("path too long");
        if (file_exists(path)) fail_msg("%s was stored though its id is in the seen file", path);
    }
    pop_assert_ok(PopStoreNewMessages(h, seen, dir, &stored));
    assert_int_equal(stored, 0);
    disconnect(h);
}

/* =========================================================================================== */
/* DELE, RSET, QUIT                                                                                  */
/* =========================================================================================== */

static DWORD count_of(HCLIENT h) {
    DWORD count = 0;
    pop_assert_ok(PopGetMessageCount(h, &count, NULL));
    return count;
}

static void test_delete_reset_quit(void **state) {
    (void)state;
    HCLIENT h = login_plain("carol", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    DWORD n0 = 0;
    pop_assert_ok(PopListMessages(h, &n0));
    assert_int_equal(n0, g_carol.count);
    char uid1[72];
    DWORD size = sizeof uid1;
    pop_assert_ok(PopGetMessageUid(h, 1, uid1, &size));

    /* DELE then RSET: the message stays. */
    pop_assert_ok(PopDeleteMessage(h, 1));
    POPMESSAGEINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    pop_assert_ok(PopGetMessageInfo(h, 1, &info));
    assert_true(info.bDeleted);
    assert_int_equal(count_of(h), n0 - 1);
    static unsigned char buffer[1 << 15];
    size = sizeof buffer;
    assert_int_not_equal(PopGetMessage(h, 1, buffer, &size), 0); /* a deleted message cannot be fetched */
    pop_assert_ok(PopReset(h));
    pop_assert_ok(PopGetMessageInfo(h, 1, &info));
    assert_false(info.bDeleted);
    assert_int_equal(count_of(h), n0);
    pop_assert_ok(PopQuit(h));
    BOOL ok = FALSE;
    char reply[256];
    size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    assert_true(ok);
    assert_memory_equal(reply, "+OK", 3);
    disconnect(h);

    h = login_plain("carol", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    assert_int_equal(count_of(h), n0);
    DWORD found = 0;
    pop_assert_ok(PopFindMessage(h, uid1, &found));
    assert_int_equal(found, 1);

    /* DELE then QUIT: gone, as a new session sees. */
    pop_assert_ok(PopDeleteMessage(h, 1));
    pop_assert_ok(PopQuit(h));
    disconnect(h);
    h = login_plain("carol", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    assert_int_equal(count_of(h), n0 - 1);
    pop_assert_fails_with(PopFindMessage(h, uid1, &found), INETKIT_ERROR_NOT_FOUND);

    /* PopDeleteMessages, then PopDisconnect, which sends QUIT itself. */
    char uid_a[72], uid_b[72];
    size = sizeof uid_a;
    pop_assert_ok(PopGetMessageUid(h, 1, uid_a, &size));
    size = sizeof uid_b;
    pop_assert_ok(PopGetMessageUid(h, 2, uid_b, &size));
    const DWORD two[] = {1, 2};
    DWORD deleted = 0;
    pop_assert_ok(PopDeleteMessages(h, two, 2, &deleted));
    assert_int_equal(deleted, 2);
    assert_int_equal(count_of(h), n0 - 3);
    disconnect(h);
    h = login_plain("carol", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    assert_int_equal(count_of(h), n0 - 3);
    pop_assert_fails_with(PopFindMessage(h, uid_a, &found), INETKIT_ERROR_NOT_FOUND);
    pop_assert_fails_with(PopFindMessage(h, uid_b, &found), INETKIT_ERROR_NOT_FOUND);

    /* After QUIT the handle still answers PopGetLastReply; the session is over. */
    pop_assert_ok(PopQuit(h));
    size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    assert_true(ok);
    assert_int_not_equal(PopNoop(h), 0);
    disconnect(h);
}

/* =========================================================================================== */
/* PopCommand and PopGetLastReply                                                                    */
/* =========================================================================================== */

static void test_command(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopSetTraceCallback(h, record_trace, NULL));
    pop_assert_ok(PopCommand(h, "NOOP", FALSE, NULL, NULL));
    BOOL ok = FALSE;
    char reply[512];
    DWORD size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    assert_true(ok);

    /* LIST 1, single line. */
    pop_assert_ok(PopCommand(h, "LIST 1", FALSE, NULL, NULL));
    size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    char expected[128];
    snprintf(expected, sizeof expected, "+OK 1 %llu", (unsigned long long)m->msg[0].list_size);
    assert_string_equal(reply, expected);

    /* UIDL, multiline, size-query idiom over bytes. */
    char want[4096] = "";
    for (DWORD i = 1; i <= m->count; ++i) {
        char uid[72];
        DWORD n = sizeof uid;
        pop_assert_ok(PopGetMessageUid(h, i, uid, &n));
        snprintf(want + strlen(want), sizeof want - strlen(want), "%u %s\r\n", i, uid);
    }
    char small[4];
    DWORD need = sizeof small;
    pop_assert_fails_with(PopCommand(h, "UIDL", TRUE, small, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(need, strlen(want));
    static char data[1 << 16];
    DWORD got = sizeof data;
    pop_assert_ok(PopCommand(h, "UIDL", TRUE, data, &got));
    assert_int_equal(got, strlen(want));
    assert_memory_equal(data, want, got);

    /* RETR through PopCommand: dot-unstuffed, the same octets. */
    const pop_manifest_entry *dots = pop_manifest_find(m, "dots");
    assert_non_null(dots);
    char retr[32];
    snprintf(retr, sizeof retr, "RETR %u", dots->number);
    got = sizeof data;
    pop_assert_ok(PopCommand(h, retr, TRUE, data, &got));
    assert_is_message(dots, data, got, "PopCommand RETR");
    /* A multiline reply's data may be dropped. */
    pop_assert_ok(PopCommand(h, "CAPA", TRUE, NULL, NULL));
    pop_assert_ok(PopNoop(h));

    /* -ERR replies. */
    pop_assert_fails_with(PopCommand(h, "XYZZY", FALSE, NULL, NULL), INETKIT_ERROR_SERVER_ERROR);
    size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    assert_false(ok);
    assert_memory_equal(reply, "-ERR", 4);
    pop_assert_fails_with(PopCommand(h, "LIST 999", FALSE, NULL, NULL), INETKIT_ERROR_SERVER_ERROR);

    /* Commands that change the session's state are refused, unsent. */
    size_t before = trace_count(POP_TRACE_COMMAND);
    const char *refused[] = {"USER bob", "PASS bob-pass", "AUTH PLAIN", "APOP bob 0123", "STLS", "QUIT", "quit", "UTF8"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; ++i)
        pop_assert_fails_with(PopCommand(h, refused[i], FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    if (trace_count(POP_TRACE_COMMAND) != before) {
        trace_dump();
        fail_msg("a refused PopCommand was sent");
    }
    pop_assert_ok(PopNoop(h));
    assert_int_equal(count_of(h), m->count);
    disconnect(h);
}

static void test_last_reply(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    assert_int_equal(count_of(h), m->count);
    char expected[128];
    snprintf(expected, sizeof expected, "+OK %u %llu", m->count, (unsigned long long)m->list_total);
    DWORD need = 0;
    BOOL ok = FALSE;
    pop_assert_fails_with(PopGetLastReply(h, &ok, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(need, strlen(expected) + 1);
    char reply[128];
    DWORD size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    assert_true(ok);
    assert_string_equal(reply, expected);
    assert_int_equal(size, strlen(expected));

    ULONGLONG octets;
    assert_int_not_equal(PopGetMessageSize(h, 999, &octets), 0);
    size = sizeof reply;
    pop_assert_ok(PopGetLastReply(h, &ok, reply, &size));
    /* Either the server said -ERR, or the library refused before asking. */
    if (strncmp(reply, "-ERR", 4) == 0) assert_false(ok);
    disconnect(h);
}

/* =========================================================================================== */
/* Progress and cancelling                                                                          */
/* =========================================================================================== */

static void test_progress(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    const pop_manifest_entry *ten = pop_manifest_find(m, "tenkb-crlf");
    assert_non_null(ten);
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopSetProgressCallback(h, on_progress, NULL));
    DWORD size;
    unsigned char *data = fetch(h, ten->number, &size);
    assert_is_message(ten, data, size, "PopGetMessage with progress");
    free(data);
    assert_true(g_progress.calls >= 1);
    assert_false(g_progress.backwards);
    assert_int_equal(g_progress.message, ten->number);
    assert_int_equal(g_progress.last_done, ten->size);
    assert_true(g_progress.last_expected == 0 || g_progress.last_expected == ten->list_size ||
                g_progress.last_expected == ten->size);

    /* Removed: not called again. */
    pop_assert_ok(PopSetProgressCallback(h, NULL, NULL));
    g_progress.calls = 0;
    data = fetch(h, m->msg[0].number, &size);
    free(data);
    assert_int_equal(g_progress.calls, 0);
    disconnect(h);
}

static void test_progress_cancels(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    const pop_manifest_entry *big = pop_manifest_find(m, "big");
    assert_non_null(big);
    const char *dir = scratch("cancel");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/big.eml", dir);

    /* Storing to a file: cancelled after 1 MiB, no file of that name, nothing left. */
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    g_progress.cancel_at = 1u << 20;
    pop_assert_ok(PopSetProgressCallback(h, on_progress, NULL));
    double start = seconds_now();
    pop_assert_fails_with(PopStoreMessage(h, big->number, path), INETKIT_ERROR_CANCELED);
    assert_true(g_progress.last_done >= (1u << 20));
    assert_true(g_progress.last_done < big->size);
    assert_false(file_exists(path));
    char names[8][256];
    int left = list_dir(dir, names, 8);
    if (left != 0) fail_msg("a cancelled PopStoreMessage left %d file(s), e.g. %s", left, names[0]);
    disconnect(h);

    /* The data callback saying stop. */
    h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    sink_begin(&g_sink, big->number, 0);
    g_sink.stop_after = 3;
    pop_assert_fails_with(PopRetrieveMessage(h, big->number, on_data, &g_sink), INETKIT_ERROR_CANCELED);
    assert_int_equal(g_sink.pieces, 3);
    char hex[65];
    sha256_end(&g_sink.sha, hex);
    disconnect(h);
    assert_true(seconds_now() - start < 20);
}

/* Another thread cancels (or disconnects) while the 50 MiB message is coming. */
static struct {
    HCLIENT h;
    int disconnect; /* PopDisconnect instead of PopCancel */
    int go;         /* set by the progress callback once 1 MiB has come */
    int done;       /* set by the other thread after its call */
    DWORD rc;
} g_cancel;

static BOOL INETKIT_CALL progress_then_wait(HCLIENT h, DWORD message, ULONGLONG done, ULONGLONG expected, LPVOID param) {
    (void)h;
    (void)message;
    (void)expected;
    (void)param;
    if (done >= (1u << 20) && !__atomic_load_n(&g_cancel.go, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&g_cancel.go, 1, __ATOMIC_RELEASE);
        /* Hold the retrieval until the other thread's call has returned. */
        for (int i = 0; i < 5000 && !__atomic_load_n(&g_cancel.done, __ATOMIC_ACQUIRE); ++i) sleep_ms(1);
    } else if (done >= (1u << 20)) {
        /* From now on we are slower than Dovecot: data is always waiting, no read
           ever has to block, and the cancel must still be seen. */
        sleep_ms(1);
    }
    return TRUE;
}

static void *cancel_when_told(void *arg) {
    (void)arg;
    for (int i = 0; i < 20000 && !__atomic_load_n(&g_cancel.go, __ATOMIC_ACQUIRE); ++i) sleep_ms(1);
    DWORD rc = g_cancel.disconnect ? PopDisconnect(g_cancel.h) : PopCancel(g_cancel.h);
    g_cancel.rc = rc;
    __atomic_store_n(&g_cancel.done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_cancel_from_another_thread(void **state) {
    (void)state;
    const pop_manifest_entry *big = pop_manifest_find(&g_alice, "big");
    assert_non_null(big);
    for (int disconnect_instead = 0; disconnect_instead <= 1; ++disconnect_instead) {
        HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
        memset(&g_cancel, 0, sizeof g_cancel);
        g_cancel.h = h;
        g_cancel.disconnect = disconnect_instead;
        pop_assert_ok(PopSetProgressCallback(h, progress_then_wait, NULL));
        pthread_t thread;
        assert_int_equal(pthread_create(&thread, NULL, cancel_when_told, NULL), 0);
        sink_begin(&g_sink, big->number, 0);
        DWORD rc = PopRetrieveMessage(h, big->number, on_data, &g_sink);
        DWORD code = PopGetLastError();
        pthread_join(thread, NULL);
        char hex[65];
        sha256_end(&g_sink.sha, hex);
        if (rc != INETKIT_ERROR_CANCELED || code != INETKIT_ERROR_CANCELED)
            fail_msg("%s from another thread: the retrieval returned %u (last error %u), expected CANCELED",
                     disconnect_instead ? "PopDisconnect" : "PopCancel", rc, code);
        assert_int_equal(g_cancel.rc, 0);
        if (disconnect_instead) {
            untrack(h);
            pop_assert_fails_with(PopNoop(h), INETKIT_ERROR_INVALID_HANDLE);
        } else {
            disconnect(h); /* a cancelled retrieval leaves the session out of step */
        }
    }
}

/* The whole-call limit holds even while data keeps coming. */
static BOOL INETKIT_CALL progress_slowly(HCLIENT h, DWORD message, ULONGLONG done, ULONGLONG expected, LPVOID param) {
    (void)h;
    (void)message;
    (void)expected;
    (void)param;
    g_progress.calls++;
    g_progress.last_done = done;
    if (done >= (1u << 20)) sleep_ms(1); /* slower than Dovecot: no read ever has to block */
    return TRUE;
}

static void test_deadline_while_data_flows(void **state) {
    (void)state;
    const pop_manifest_entry *big = pop_manifest_find(&g_alice, "big");
    assert_non_null(big);
    const char *dir = scratch("deadline");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/big.eml", dir);
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopSetProgressCallback(h, progress_slowly, NULL));
    pop_assert_ok(PopConfig(h, "Deadline=100"));
    double start = seconds_now();
    DWORD rc = PopStoreMessage(h, big->number, path);
    double took = seconds_now() - start;
    if (rc != INETKIT_ERROR_TIMED_OUT)
        fail_msg("PopStoreMessage with Deadline=100 returned %u (%s) after %.2f s and %llu octets, expected TIMED_OUT",
                 rc, pop_last_message(), took, (unsigned long long)g_progress.last_done);
    assert_true(took < 5.0);
    assert_false(file_exists(path));
    disconnect(h);
}

/* =========================================================================================== */
/* The 50 MiB message                                                                                */
/* =========================================================================================== */

static void test_big_message_bounded_memory(void **state) {
    (void)state;
    const pop_manifest *m = &g_alice;
    const pop_manifest_entry *big = pop_manifest_find(m, "big");
    assert_non_null(big);
    assert_true(big->size > 50u * 1000 * 1000);
    const char *dir = scratch("big");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/big.eml", dir);
    HCLIENT h = login_plain("alice", POP_AUTH_DEFAULT, POP_OPTION_NONE);
    pop_assert_ok(PopListMessages(h, NULL));
    pop_assert_ok(PopSetProgressCallback(h, on_progress, NULL));

    int measured = reset_peak_rss() == 0;
    long before = proc_status_kib("VmRSS");
    double start = seconds_now();
    pop_assert_ok(PopStoreMessage(h, big->number, path));
    double took = seconds_now() - start;
    long peak = proc_status_kib("VmHWM");
    assert_int_equal(g_progress.last_done, big->size);
    assert_file_is_message(path, big, "PopStoreMessage");
    long growth = peak - before;
    print_message("  50 MiB to a file in %.2f s; peak RSS %ld KiB over %ld KiB before%s\n", took, growth, before,
                  measured ? "" : " (peak not reset: an upper bound)");
    if (!pop_under_sanitizer() && before > 0 && peak > 0 && growth > 16 * 1024)
        fail_msg("storing a %llu-octet message grew the peak RSS by %ld KiB", (unsigned long long)big->size, growth);
    unlink(path);

    /* Through the callback: pieces of at most 64 KiB, memory bounded too. */
    measured = reset_peak_rss() == 0;
    before = proc_status_kib("VmRSS");
    sink_begin(&g_sink, big->number, 0);
    pop_assert_ok(PopRetrieveMessage(h, big->number, on_data, &g_sink));
    peak = proc_status_kib("VmHWM");
    assert_true(g_sink.largest <= 65536);
    assert_false(g_sink.wrong_message);
    assert_sink_is_message(&g_sink, big, "PopRetrieveMessage");
    growth = peak - before;
    print_message("  50 MiB through the callback: peak RSS %ld KiB over before\n", growth);
    if (!pop_under_sanitizer() && before > 0 && peak > 0 && growth > 16 * 1024)
        fail_msg("retrieving a %llu-octet message through the callback grew the peak RSS by %ld KiB",
                 (unsigned long long)big->size, growth);
    pop_assert_ok(PopNoop(h));
    disconnect(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_plain, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_connect_bad_arguments, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_connect_stls, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_connect_implicit_tls, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_tls_verify_failures, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_capabilities, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_login_every_mechanism, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_login_default_on_plain_picks_scram, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_login_default_on_tls, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_login_wrong_password, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_login_refuses_bad_arguments, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_trace_file_hides_password, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_utf8, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_utf8_user_over_sasl, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_messages_need_login, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_stat_list_uidl, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_top, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_retrieve_to_buffer, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_retrieve_to_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_retrieve_as_stream, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_retrieve_through_callback, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_linebreak_gives_lines, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_max_memory_message, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_store_messages_pipelined, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_store_messages_not_pipelined, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_config_refuses_nonsense, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_store_new_messages, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_delete_reset_quit, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_command, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_last_reply, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_progress, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_progress_cancels, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_from_another_thread, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_deadline_while_data_flows, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_big_message_bounded_memory, test_setup, test_teardown),
    };
    return cmocka_run_group_tests_name("pop_dovecot", tests, group_setup, pop_group_teardown);
}
