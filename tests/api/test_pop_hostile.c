/*
 * The Pop family against a scripted hostile server (tests/support/pop_script.h):
 * the hostile-input catalogue of the reliability notes, sections A (framing and
 * responses), B (STLS and implicit TLS), C (authentication) and D (API
 * arguments), items 1-43, plus cases the catalogue lacks (X*).
 *
 * Every test plays its transcripts in the three chunkings (one byte per write,
 * each reply in one write, random splits with a logged seed; replay a random
 * run with INETKIT_SCRIPT_SEED=<seed>), checks the documented error code and
 * the exact bytes the client sent.
 */
#include "tls_test.h" /* first: it sets _GNU_SOURCE */
#include "pop_script.h"

#include <dirent.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>

#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif
#ifndef HOSTILE_ASAN
#define HOSTILE_ASAN 0
#endif

/* ---- helpers ------------------------------------------------------------------------- */

/* POP_HOSTILE_CHUNKING=one-byte|whole|random plays only that chunking (for per-chunking counts). */
static int only_chunking_ = -1;
#define EACH_CHUNKING(c)                                                                           \
    for (ps_chunking c = PS_ONE_BYTE; c < PS_CHUNKINGS; c = (ps_chunking)(c + 1))                  \
        if (only_chunking_ < 0 || (int)c == only_chunking_)

#define USER "u"
#define PASS "p"
#define GREETING "+OK POP3 server ready\r\n"
#define CAPA_BASIC "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n"
#define CAPA_PIPE "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n"
#define CAPA_STLS "+OK Capability list follows\r\nSTLS\r\nUSER\r\nUIDL\r\n.\r\n"
/* What the client sends for a connect and a USER/PASS login. */
#define T_LOGIN "CAPA\r\nUSER " USER "\r\nPASS " PASS "\r\nCAPA\r\n"

static const char *pop_message(void) {
    static __thread char text[1100];
    DWORD size = sizeof text;
    if (PopGetLastErrorMessage(text, &size) != 0) snprintf(text, sizeof text, "<message unavailable>");
    return text;
}

/* The script being checked, for the failure messages. */
static ps_script *current_;

/* Only called when a check fails: stops the server so its view can be shown. */
static const char *where(void) {
    static __thread char text[8192];
    if (current_ == NULL) return "";
    ps_finish(current_, 100); /* a moment to record what the client sent last */
    snprintf(text, sizeof text, "%s\n  server: %s\n  client sent: '%s'\n ", ps_describe(current_),
             ps_error(current_) ? ps_error(current_) : "ok", ps_transcript_escaped(current_));
    return text;
}

#define assert_pop_ok(call)                                                                        \
    do {                                                                                           \
        DWORD rc_ = (call);                                                                        \
        if (rc_ != 0) fail_msg("%s %s returned %u: %s", where(), #call, (unsigned)rc_, pop_message()); \
    } while (0)

#define assert_pop_fails(call, code)                                                               \
    do {                                                                                           \
        DWORD rc_ = (call);                                                                        \
        if (rc_ != (DWORD)(code))                                                                  \
            fail_msg("%s %s returned %u (%s), expected %u", where(), #call, (unsigned)rc_, pop_message(), \
                     (unsigned)(code));                                                            \
        if (PopGetLastError() != (DWORD)(code))                                                    \
            fail_msg("%s %s: last error %u, expected %u", where(), #call, (unsigned)PopGetLastError(), \
                     (unsigned)(code));                                                            \
    } while (0)

#define assert_pop_fails2(call, code1, code2)                                                      \
    do {                                                                                           \
        DWORD rc_ = (call);                                                                        \
        if (rc_ != (DWORD)(code1) && rc_ != (DWORD)(code2))                                        \
            fail_msg("%s %s returned %u (%s), expected %u or %u", where(), #call, (unsigned)rc_,    \
                     pop_message(), (unsigned)(code1), (unsigned)(code2));                         \
        assert_int_equal(PopGetLastError(), rc_);                                                  \
    } while (0)

/* The connect fails: no handle, the code in the store. */
#define assert_connect_fails(h, code)                                                              \
    do {                                                                                           \
        if ((h) != INVALID_CLIENT) fail_msg("%s PopConnect succeeded, expected %u", where(), (unsigned)(code)); \
        if (PopGetLastError() != (DWORD)(code))                                                    \
            fail_msg("%s PopConnect failed with %u (%s), expected %u", where(), (unsigned)PopGetLastError(), \
                     pop_message(), (unsigned)(code));                                             \
    } while (0)

#define assert_connect_fails2(h, code1, code2)                                                     \
    do {                                                                                           \
        if ((h) != INVALID_CLIENT) fail_msg("%s PopConnect succeeded, expected %u", where(), (unsigned)(code1)); \
        DWORD e_ = PopGetLastError();                                                              \
        if (e_ != (DWORD)(code1) && e_ != (DWORD)(code2))                                          \
            fail_msg("%s PopConnect failed with %u (%s), expected %u or %u", where(), (unsigned)e_, \
                     pop_message(), (unsigned)(code1), (unsigned)(code2));                         \
    } while (0)

static ps_script *script(ps_chunking c, const char *name) {
    ps_script *s = ps_new(c, name);
    current_ = s;
    return s;
}

static unsigned start(ps_script *s) {
    unsigned port = ps_start(s);
    if (port == 0) fail_msg("%s cannot start the script: %s", ps_describe(s), ps_error(s));
    return port;
}

/* Starts the script and connects (nTimeout seconds). */
static HCLIENT connect_to(ps_script *s, UINT timeout, DWORD options, const SECURITYCREDENTIALS *creds) {
    unsigned port = start(s);
    return PopConnect("127.0.0.1", port, timeout, options, creds);
}

/* A connected session with a 2 s inactivity limit and pipelining off unless the test says. */
static HCLIENT open_session(ps_script *s) {
    HCLIENT h = connect_to(s, 2, POP_OPTION_NONE, NULL);
    if (h == INVALID_CLIENT)
        fail_msg("%s PopConnect: %u %s (server: %s)", where(), (unsigned)PopGetLastError(), pop_message(),
                 ps_error(s) ? ps_error(s) : "ok");
    assert_pop_ok(PopConfig(h, "Timeout=2000"));
    return h;
}

static HCLIENT open_logged_in(ps_script *s) {
    HCLIENT h = open_session(s);
    assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
    return h;
}

static void script_greeting(ps_script *s, const char *capa) {
    ps_send(s, GREETING);
    ps_expect(s, "CAPA\r\n");
    ps_send(s, capa);
}

static void script_login(ps_script *s, const char *capa) {
    ps_expect(s, "USER " USER "\r\n");
    ps_send(s, "+OK send PASS\r\n");
    ps_expect(s, "PASS " PASS "\r\n");
    ps_send(s, "+OK logged in\r\n");
    ps_expect(s, "CAPA\r\n");
    ps_send(s, capa);
}

/* The engine checks message numbers against STAT once per session, and
   PopGetMessage asks LIST n (MaxMemoryMessage) unless the list is known. */
static void script_stat(ps_script *s, const char *reply) {
    ps_expect(s, "STAT\r\n");
    ps_send(s, reply);
}

static void script_list_one(ps_script *s, unsigned message, unsigned long long octets) {
    char line[64];
    snprintf(line, sizeof line, "LIST %u\r\n", message);
    ps_expect(s, line);
    ps_sendf(s, "+OK %u %llu\r\n", message, octets);
}

static int utf8_valid(const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || (n == 1 && *p < 0xC2)) return 0;
        ++p;
        for (int i = 0; i < n; ++i, ++p)
            if ((*p & 0xC0) != 0x80) return 0;
    }
    return 1;
}

/* Disconnects (when h is a handle) and lets the server finish. */
static void end_session(ps_script *s, HCLIENT h) {
    if (h != INVALID_CLIENT) {
        DWORD rc = PopDisconnect(h);
        if (rc != 0) fail_msg("%s PopDisconnect returned %u: %s", where(), (unsigned)rc, pop_message());
    }
    ps_finish(s, 3000);
}

/* Every step was played and the client sent nothing unexpected. */
static void assert_script_ok(ps_script *s) {
    if (ps_error(s) != NULL)
        fail_msg("%s server: %s\n  client sent: '%s'", ps_describe(s), ps_error(s), ps_transcript_escaped(s));
}

/* No expect step saw a wrong line (the client may have left while the server was sending). */
static void assert_script_clean(ps_script *s) {
    if (!ps_no_mismatch(s))
        fail_msg("%s server: %s\n  client sent: '%s'", ps_describe(s), ps_error(s), ps_transcript_escaped(s));
}

static void assert_transcript_(ps_script *s, const char *const *expected, size_t n, const char *file, int line) {
    size_t len;
    const char *t = ps_transcript(s, &len);
    for (size_t i = 0; i < n; ++i)
        if (strlen(expected[i]) == len && memcmp(t, expected[i], len) == 0) return;
    char want[4096] = "";
    for (size_t i = 0; i < n; ++i) {
        strncat(want, i ? "' or '" : "'", sizeof want - strlen(want) - 1);
        strncat(want, ps_escape(expected[i], strlen(expected[i])), sizeof want - strlen(want) - 1);
    }
    strncat(want, "'", sizeof want - strlen(want) - 1);
    fail_msg("%s:%d %s\n  the client sent '%s'\n  expected       %s\n  server: %s", file, line, ps_describe(s),
             ps_transcript_escaped(s), want, ps_error(s) ? ps_error(s) : "ok");
}

#define assert_transcript(s, ...)                                                                  \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__};                                                 \
        assert_transcript_((s), want_, sizeof want_ / sizeof want_[0], __FILE__, __LINE__);         \
    } while (0)

/* The transcript starts with prefix. */
static void assert_transcript_prefix(ps_script *s, const char *prefix) {
    size_t len;
    const char *t = ps_transcript(s, &len);
    if (len < strlen(prefix) || memcmp(t, prefix, strlen(prefix)) != 0)
        fail_msg("%s the client sent '%s', expected it to start '%s'", ps_describe(s), ps_transcript_escaped(s),
                 ps_escape(prefix, strlen(prefix)));
}

/* None of these plaintext commands appears anywhere in what the client sent. */
static void assert_never_sent(ps_script *s, const char *what) {
    size_t len;
    const char *t = ps_transcript(s, &len);
    if (memmem(t, len, what, strlen(what)) != NULL)
        fail_msg("%s the client sent '%s', which it must never send here: '%s'", ps_describe(s), what,
                 ps_transcript_escaped(s));
}

static void assert_no_credentials_sent(ps_script *s) {
    assert_never_sent(s, "USER ");
    assert_never_sent(s, "PASS ");
    assert_never_sent(s, "AUTH ");
    assert_never_sent(s, "APOP ");
}

static void assert_elapsed_below(double t0, double limit, const char *what) {
    double el = seconds_now() - t0;
    if (el > limit) fail_msg("%s %s took %.2f s, limit %.2f s", where(), what, el, limit);
}

static uint64_t heap_in_use(void) {
#if HOSTILE_ASAN
    return 0;
#else
    struct mallinfo2 mi = mallinfo2();
    return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
#endif
}

static char *repeat(char ch, size_t n) {
    char *p = malloc(n + 1);
    assert_non_null(p);
    memset(p, ch, n);
    p[n] = '\0';
    return p;
}

/* A collecting data callback. */
typedef struct {
    char *data;
    size_t len, cap;
    unsigned calls;
    DWORD max_piece;
    DWORD message;
} sink_t;

static BOOL INETKIT_CALL sink_proc(HCLIENT h, DWORD msg, LPCVOID data, DWORD n, LPVOID param) {
    (void)h;
    sink_t *k = param;
    k->calls++;
    k->message = msg;
    if (n > k->max_piece) k->max_piece = n;
    if (k->len + n + 1 > k->cap) {
        k->cap = (k->len + n + 1) * 2;
        k->data = realloc(k->data, k->cap);
        if (k->data == NULL) return FALSE;
    }
    if (n) memcpy(k->data + k->len, data, n);
    k->len += n;
    k->data[k->len] = '\0';
    return TRUE;
}

static void sink_free(sink_t *k) {
    free(k->data);
    memset(k, 0, sizeof *k);
}

static void assert_bytes_equal(const void *got, size_t got_len, const void *want, size_t want_len) {
    if (got_len != want_len || memcmp(got, want, want_len) != 0)
        fail_msg("%s delivered '%s' (%zu bytes), expected '%s' (%zu bytes)", where(), ps_escape(got, got_len),
                 got_len, ps_escape(want, want_len), want_len);
}

static void remove_tree(const char *dir);

/* Private temporary directories, removed by the test teardown even when a check fails. */
static char *temp_dirs_[8];

static char *make_temp_dir(void) {
    const char *tmp = getenv("TMPDIR");
    char *path = malloc(PATH_MAX);
    assert_non_null(path);
    snprintf(path, PATH_MAX, "%s/inetkit-pop-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(path));
    for (size_t i = 0; i < sizeof temp_dirs_ / sizeof temp_dirs_[0]; ++i)
        if (temp_dirs_[i] == NULL) {
            temp_dirs_[i] = path;
            return path;
        }
    fail_msg("too many temporary directories");
    return NULL;
}

/* Removes the directory and everything in it, and frees the path. */
static void drop_temp_dir(char *dir) {
    for (size_t i = 0; i < sizeof temp_dirs_ / sizeof temp_dirs_[0]; ++i)
        if (temp_dirs_[i] == dir) temp_dirs_[i] = NULL;
    remove_tree(dir);
    free(dir);
}

static int count_dir_entries(const char *dir, char *names, size_t cap) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    if (names && cap) names[0] = '\0';
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        ++n;
        if (names) {
            strncat(names, e->d_name, cap - strlen(names) - 1);
            strncat(names, " ", cap - strlen(names) - 1);
        }
    }
    closedir(d);
    return n;
}

static void remove_tree(const char *dir) {
    fixture_remove_tree(dir);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- A. POP3 framing and responses ------------------------------------------------------- */

/* A1: +OK greeting then megabytes with no LF: LINE_TOO_LONG at the cap, the client stops
   reading and closes; after connect, MaxLineLength is the cap. */
static void test_A01_line_without_lf_is_capped(void **state) {
    (void)state;
    const uint64_t flood = 4u << 20;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A01/connect");
        ps_send(s, GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send_stream(s, "A", 1, flood); /* the CAPA status line, never ended */
        double t0 = seconds_now();
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails2(h, INETKIT_ERROR_LINE_TOO_LONG, INETKIT_ERROR_RESPONSE_TOO_LARGE);
        assert_elapsed_below(t0, 1.5, "the capped connect");
        ps_finish(s, 3000);
        assert_script_clean(s);
        assert_transcript(s, "CAPA\r\n");
        if (ps_bytes_sent(s) >= flood + strlen(GREETING))
            fail_msg("%s the client read the whole %llu-byte line: no cap", ps_describe(s), (unsigned long long)flood);
        assert_true(ps_client_closed(s) || ps_client_left_early(s));
        ps_free(s);

        /* the setting: a status line of cap-10 passes, cap+100 does not */
        s = script(c, "A01/setting");
        script_greeting(s, CAPA_BASIC);
        char *ok_line = repeat('x', 990), *long_line = repeat('y', 1100);
        ps_expect(s, "NOOP\r\n");
        ps_sendf(s, "+OK %s\r\n", ok_line);
        ps_expect(s, "NOOP\r\n");
        ps_sendf(s, "+OK %s\r\n", long_line);
        h = open_session(s);
        assert_pop_ok(PopConfig(h, "MaxLineLength=1000"));
        assert_pop_ok(PopNoop(h));
        assert_pop_fails2(PopNoop(h), INETKIT_ERROR_LINE_TOO_LONG, INETKIT_ERROR_RESPONSE_TOO_LARGE);
        end_session(s, h);
        assert_script_clean(s);
        assert_transcript(s, "CAPA\r\nNOOP\r\nNOOP\r\n", "CAPA\r\nNOOP\r\nNOOP\r\nQUIT\r\n");
        free(ok_line);
        free(long_line);
        ps_free(s);
    }
}

/* A2: a -ERR greeting: SERVER_ERROR, nothing sent, the text kept with control characters escaped. */
static void test_A02_err_greeting(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A02/plain");
        ps_send(s, "-ERR go away\r\n");
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_SERVER_ERROR);
        if (strstr(pop_message(), "go away") == NULL)
            fail_msg("%s the error message '%s' lacks the server's text", where(), pop_message());
        ps_finish(s, 3000);
        assert_script_ok(s);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "A02/control");
        ps_send(s, "-ERR go\x1b[2J\x07 away\r\n");
        h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_SERVER_ERROR);
        for (const char *p = pop_message(); *p; ++p)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                fail_msg("%s a raw control character in the error message '%s'", where(),
                         ps_escape(pop_message(), strlen(pop_message())));
        ps_finish(s, 3000);
        assert_script_ok(s);
        assert_transcript(s, "");
        ps_free(s);

        /* every string is UTF-8 (common.h): 8-bit junk in the server's text must not leak raw */
        s = script(c, "A02/8bit");
        ps_send(s, "-ERR go \xff\xfe\xc3 away\r\n");
        h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_SERVER_ERROR);
        if (!utf8_valid(pop_message()))
            fail_msg("%s the error message is not UTF-8: '%s'", where(), ps_escape(pop_message(), strlen(pop_message())));
        ps_finish(s, 3000);
        assert_transcript(s, "");
        ps_free(s);
    }
}

/* A3: a greeting that does not start with +OK/-ERR: PROTOCOL, no command sent. */
static void test_A03_not_a_pop3_greeting(void **state) {
    (void)state;
    static const struct { const char *name; const char *bytes; size_t len; } greetings[] = {
        {"imap", "* OK IMAP4rev1 Service Ready\r\n", 0},
        {"http", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 0},
        {"smtp", "220 mail.example ESMTP\r\n", 0},
        {"binary", "\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03\xff\xfe\r\n", 15},
        {"continuation", "+ ready\r\n", 0},
        {"lowercase-ok-without-space", "+OKAY ready\r\n", 0},
    };
    EACH_CHUNKING(c) {
        for (size_t i = 0; i < sizeof greetings / sizeof greetings[0]; ++i) {
            char name[64];
            snprintf(name, sizeof name, "A03/%s", greetings[i].name);
            ps_script *s = script(c, name);
            size_t len = greetings[i].len ? greetings[i].len : strlen(greetings[i].bytes);
            ps_send_bytes(s, greetings[i].bytes, len);
            HCLIENT h = connect_to(s, 2, 0, NULL);
            assert_connect_fails(h, INETKIT_ERROR_PROTOCOL);
            ps_finish(s, 3000);
            assert_script_clean(s);
            assert_transcript(s, "");
            ps_free(s);
        }
    }
}

/* A4: an empty greeting line, a close or reset before/within the greeting: an error, never a hang. */
static void test_A04_empty_or_missing_greeting(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A04/empty-line");
        ps_send(s, "\r\n");
        double t0 = seconds_now();
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_PROTOCOL);
        assert_elapsed_below(t0, 1.5, "the empty greeting");
        ps_finish(s, 3000);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "A04/fin-first");
        ps_close(s);
        t0 = seconds_now();
        h = connect_to(s, 2, 0, NULL);
        assert_connect_fails2(h, INETKIT_ERROR_CONNECTION_CLOSED, INETKIT_ERROR_PROTOCOL);
        assert_elapsed_below(t0, 1.5, "the closed greeting");
        ps_finish(s, 3000);
        assert_script_ok(s);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "A04/fin-mid-greeting");
        ps_send(s, "+OK rea");
        ps_close(s);
        t0 = seconds_now();
        h = connect_to(s, 2, 0, NULL);
        assert_connect_fails2(h, INETKIT_ERROR_CONNECTION_CLOSED, INETKIT_ERROR_PROTOCOL);
        assert_elapsed_below(t0, 1.5, "the half greeting");
        ps_finish(s, 3000);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "A04/reset-first");
        ps_stall(s, 20);
        ps_reset(s);
        t0 = seconds_now();
        h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_CONNECTION_RESET);
        assert_elapsed_below(t0, 1.5, "the reset greeting");
        ps_finish(s, 3000);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* A5: a NUL byte inside a response line: PROTOCOL; after a whole line the session stays usable. */
static void test_A05_nul_in_response_line(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A05/greeting");
        ps_send_bytes(s, "+OK hel\0lo\r\n", 12);
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_PROTOCOL);
        ps_finish(s, 3000);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "A05/session");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        ps_expect(s, "STAT\r\n");
        ps_send_bytes(s, "+OK 2\0 320\r\n", 12);
        h = open_logged_in(s);
        DWORD count = 99;
        assert_pop_fails(PopGetMessageCount(h, &count, NULL), INETKIT_ERROR_PROTOCOL);
        /* A NUL is a framing doubt (the status line may open a multi-line reply
           whose data is still coming), so the session is closed: nothing more
           is sent (pop.h REPLIES). */
        assert_pop_fails(PopNoop(h), INETKIT_ERROR_NOT_CONNECTED);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\n");
        ps_free(s);
    }
}

/* A6: a bare CR is not a line end: it runs into the cap, or into the timeout; no misparse. */
static void test_A06_bare_cr_is_not_a_line_end(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A06/greeting");
        ps_send_stream(s, "+OK\r", 4, 12000);
        ps_stall(s, 3000);
        double t0 = seconds_now();
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails2(h, INETKIT_ERROR_LINE_TOO_LONG, INETKIT_ERROR_RESPONSE_TOO_LARGE);
        assert_elapsed_below(t0, 1.5, "the CR-only greeting");
        ps_finish(s, 3000);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "A06/reply");
        script_greeting(s, CAPA_BASIC);
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r+OK\r");
        ps_stall(s, 3000);
        h = open_session(s);
        assert_pop_ok(PopConfig(h, "Timeout=300"));
        t0 = seconds_now();
        assert_pop_fails(PopNoop(h), INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.5, "the CR-only reply");
        /* the reply was never read to its end: the session is closed */
        assert_pop_fails(PopNoop(h), INETKIT_ERROR_NOT_CONNECTED);
        end_session(s, h);
        assert_script_clean(s);
        assert_transcript(s, "CAPA\r\nNOOP\r\n");
        ps_free(s);
    }
}

/* A7: LF-only status lines are accepted; a message that ends LF . LF never ends. */
static void test_A07_lf_only_status_lines(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A07");
        ps_send(s, "+OK ready\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        ps_expect(s, "USER " USER "\r\n");
        ps_send(s, "+OK\n");
        ps_expect(s, "PASS " PASS "\r\n");
        ps_send(s, "+OK\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        ps_expect(s, "STAT\r\n");
        ps_send(s, "+OK 2 320\n");
        ps_expect(s, "LIST 1\r\n");
        ps_send(s, "+OK 1 20\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\nSubject: a\r\n\r\nbody\r\n.\r\n");
        ps_expect(s, "LIST 2\r\n");
        ps_send(s, "+OK 2 300\n");
        ps_expect(s, "RETR 2\r\n");
        ps_send(s, "+OK\nSubject: b\n\nbody\n.\n");
        ps_close(s);
        HCLIENT h = open_logged_in(s);
        DWORD count = 0;
        ULONGLONG octets = 0;
        assert_pop_ok(PopGetMessageCount(h, &count, &octets));
        assert_int_equal(count, 2);
        assert_int_equal(octets, 320);
        char buf[256];
        DWORD n = sizeof buf;
        assert_pop_ok(PopGetMessage(h, 1, buf, &n));
        assert_bytes_equal(buf, n, "Subject: a\r\n\r\nbody\r\n", 20);
        n = sizeof buf;
        assert_pop_fails(PopGetMessage(h, 2, buf, &n), INETKIT_ERROR_MESSAGE_INCOMPLETE);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST 1\r\nRETR 1\r\nLIST 2\r\nRETR 2\r\n");
        ps_free(s);
    }
}

/* A8: dot-unstuffing: ".." -> ".", "..." -> "..", and ".x" (invalid stuffing) passes through. */
static void test_A08_dot_unstuffing(void **state) {
    (void)state;
    static const char wire[] = "+OK 60 octets\r\n..body\r\n...triple\r\n.x\r\nplain\r\n..\r\n.\r\n";
    static const char want[] = ".body\r\n..triple\r\n.x\r\nplain\r\n.\r\n";
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A08");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 60\r\n");
        script_list_one(s, 1, 60);
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, wire);
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, wire);
        ps_expect(s, "TOP 1 3\r\n");
        ps_send(s, wire);
        HCLIENT h = open_logged_in(s);
        char buf[256];
        DWORD n = sizeof buf;
        assert_pop_ok(PopGetMessage(h, 1, buf, &n));
        assert_bytes_equal(buf, n, want, sizeof want - 1);
        /* the stream interface, one byte per read */
        assert_pop_ok(PopOpenMessage(h, 1, POP_ALL_LINES));
        size_t got = 0;
        for (;;) {
            DWORD k = 0;
            assert_pop_ok(PopRead(h, buf + got, 1, &k));
            if (k == 0) break;
            got += k;
            assert_true(got < sizeof buf);
        }
        assert_pop_ok(PopCloseMessage(h));
        assert_bytes_equal(buf, got, want, sizeof want - 1);
        n = sizeof buf;
        assert_pop_ok(PopGetMessageTop(h, 1, 3, buf, &n));
        assert_bytes_equal(buf, n, want, sizeof want - 1);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST 1\r\nRETR 1\r\nRETR 1\r\nTOP 1 3\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* A9: the terminator split across reads at every point. */
static void test_A09_terminator_split_everywhere(void **state) {
    (void)state;
    static const char wire[] = "+OK\r\nline\r\n..\r\n.\r\n";
    static const char want[] = "line\r\n.\r\n";
    const size_t wlen = sizeof wire - 1;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A09");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 10\r\n");
        for (size_t cut = 1; cut < wlen; ++cut) {
            ps_expect(s, "RETR 1\r\n");
            ps_send_bytes(s, wire, cut);
            ps_stall(s, 15);
            ps_send_bytes(s, wire + cut, wlen - cut);
        }
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_logged_in(s);
        for (size_t cut = 1; cut < wlen; ++cut) {
            sink_t k = {0};
            assert_pop_ok(PopRetrieveMessage(h, 1, sink_proc, &k));
            if (k.len != sizeof want - 1 || memcmp(k.data, want, k.len) != 0)
                fail_msg("%s split at %zu: delivered '%s'", where(), cut, ps_escape(k.data ? k.data : "", k.len));
            sink_free(&k);
        }
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* A10: FIN or RST before CRLF.CRLF: MESSAGE_INCOMPLETE, nothing reported complete, no DELE. */
static void test_A10_connection_lost_mid_message(void **state) {
    (void)state;
    static const char *const cuts[] = {
        "+OK\r\nSubject: x\r\n\r\nbody line\r\n", /* mid-body */
        "+OK\r\nSubject: x\r\n\r\nbody\r\n.",     /* half the terminator */
        "+OK\r\nSubject: x\r\n\r\nbody\r\n.\r",   /* all but its last byte */
        "+OK\r\n",                                /* right after the status line */
    };
    EACH_CHUNKING(c) {
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; ++i) {
            for (int rst = 0; rst < 2; ++rst) {
                char name[64];
                snprintf(name, sizeof name, "A10/get-%zu-%s", i, rst ? "rst" : "fin");
                ps_script *s = script(c, name);
                script_greeting(s, CAPA_BASIC);
                script_login(s, CAPA_BASIC);
                script_stat(s, "+OK 2 300\r\n");
                script_list_one(s, 1, 100);
                ps_expect(s, "RETR 1\r\n");
                ps_send(s, cuts[i]);
                if (rst) {
                    ps_stall(s, 30);
                    ps_reset(s);
                } else {
                    ps_close(s);
                }
                HCLIENT h = open_logged_in(s);
                char buf[256];
                DWORD n = sizeof buf;
                assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_MESSAGE_INCOMPLETE);
                assert_pop_fails(PopNoop(h), INETKIT_ERROR_NOT_CONNECTED);
                assert_pop_fails(PopDeleteMessage(h, 1), INETKIT_ERROR_NOT_CONNECTED);
                end_session(s, h);
                assert_script_ok(s);
                if (!rst) assert_transcript(s, T_LOGIN "STAT\r\nLIST 1\r\nRETR 1\r\n");
                assert_never_sent(s, "DELE");
                ps_free(s);
            }
        }

        /* the callback and the stream interfaces */
        ps_script *s = script(c, "A10/callback");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 300\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\npartial line\r\nmore");
        ps_stall(s, 30);
        ps_reset(s);
        HCLIENT h = open_logged_in(s);
        sink_t k = {0};
        assert_pop_fails(PopRetrieveMessage(h, 1, sink_proc, &k), INETKIT_ERROR_MESSAGE_INCOMPLETE);
        sink_free(&k);
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);

        s = script(c, "A10/top");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 300\r\n");
        ps_expect(s, "TOP 1 0\r\n");
        ps_send(s, "+OK\r\nSubject: x\r\n");
        ps_close(s);
        h = open_logged_in(s);
        char buf[256];
        DWORD n = sizeof buf;
        assert_pop_fails(PopGetMessageHeaders(h, 1, buf, &n), INETKIT_ERROR_MESSAGE_INCOMPLETE);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nTOP 1 0\r\n");
        ps_free(s);

        s = script(c, "A10/stream");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 300\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\nabc\r\n");
        ps_close(s);
        h = open_logged_in(s);
        assert_pop_ok(PopOpenMessage(h, 1, POP_ALL_LINES));
        DWORD rc = 0, got = 0;
        for (int guard = 0; guard < 100; ++guard) {
            DWORD kk = 0;
            rc = PopRead(h, buf, sizeof buf, &kk);
            if (rc != 0) break;
            if (kk == 0) fail_msg("%s PopRead reported the end of a message that was cut", where());
            got += kk;
        }
        assert_int_equal(rc, INETKIT_ERROR_MESSAGE_INCOMPLETE);
        assert_true(got <= 5);
        end_session(s, h);
        ps_free(s);

        /* PopStoreMessage: no file under the name, and no temporary file left beside it */
        char *dir = make_temp_dir();
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/msg.eml", dir);
        s = script(c, "A10/store");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 300\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\nSubject: x\r\n\r\nhalf a bo");
        ps_close(s);
        h = open_logged_in(s);
        assert_pop_fails(PopStoreMessage(h, 1, path), INETKIT_ERROR_MESSAGE_INCOMPLETE);
        end_session(s, h);
        assert_int_equal(file_size(path), -1);
        char names[512];
        if (count_dir_entries(dir, names, sizeof names) != 0)
            fail_msg("%s files left after a failed store: %s", where(), names);
        assert_script_ok(s);
        ps_free(s);

        /* PopStoreNewMessages: the complete one stored and remembered, the cut one neither */
        char seen[PATH_MAX];
        snprintf(seen, sizeof seen, "%s/seen.txt", dir);
        char out[PATH_MAX - 64];
        snprintf(out, sizeof out, "%s/mail", dir);
        assert_int_equal(mkdir(out, 0700), 0);
        s = script(c, "A10/store-new");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 70\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK 2 messages\r\n1 30\r\n2 40\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\nSubject: one\r\n\r\nfirst\r\n.\r\n");
        ps_expect(s, "RETR 2\r\n");
        ps_send(s, "+OK\r\nSubject: two\r\n\r\nsec");
        ps_close(s);
        h = open_logged_in(s);
        DWORD stored = 99;
        assert_pop_fails(PopStoreNewMessages(h, seen, out, &stored), INETKIT_ERROR_MESSAGE_INCOMPLETE);
        assert_int_equal(stored, 1);
        end_session(s, h);
        assert_script_ok(s);
        assert_never_sent(s, "DELE");
        char *seen_text = read_text_file(seen);
        if (strstr(seen_text, "uid-one") == NULL || strstr(seen_text, "uid-two") != NULL)
            fail_msg("%s seen file holds '%s'", where(), ps_escape(seen_text, strlen(seen_text)));
        free(seen_text);
        if (count_dir_entries(out, names, sizeof names) != 1)
            fail_msg("%s mail directory holds: %s", where(), names);
        snprintf(path, sizeof path, "%s/uid-one.eml", out);
        assert_int_equal(file_size(path), (long)strlen("Subject: one\r\n\r\nfirst\r\n"));
        drop_temp_dir(dir);
        ps_free(s);
    }
}

/* A11: an endless multi-line reply: TIMED_OUT at the deadline, or RESPONSE_TOO_LARGE at the
   memory limit; memory stays bounded. */
typedef struct {
    uint64_t bytes, heap_base, heap_peak;
} count_sink_t;

static BOOL INETKIT_CALL count_proc(HCLIENT h, DWORD msg, LPCVOID data, DWORD n, LPVOID param) {
    (void)h; (void)msg; (void)data;
    count_sink_t *k = param;
    k->bytes += n;
    uint64_t used = heap_in_use();
    if (used > k->heap_peak) k->heap_peak = used;
    return TRUE;
}

static void test_A11_endless_multiline(void **state) {
    (void)state;
    static const char line[] = "an endless line of message text, never a terminator\r\n";
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A11/deadline");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 1000\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\n");
        ps_send_stream(s, line, sizeof line - 1, 512u << 20);
        HCLIENT h = open_logged_in(s);
        assert_pop_ok(PopConfig(h, "Timeout=300"));
        assert_pop_ok(PopConfig(h, "Deadline=800"));
        count_sink_t k = {0, heap_in_use(), 0};
        double t0 = seconds_now();
        assert_pop_fails(PopRetrieveMessage(h, 1, count_proc, &k), INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.6, "the endless retrieval");
        assert_true(seconds_now() - t0 >= 0.7);
        assert_true(k.bytes > 0);
        if (k.heap_peak > k.heap_base && k.heap_peak - k.heap_base > (16u << 20))
            fail_msg("%s heap grew by %llu bytes while streaming", where(),
                     (unsigned long long)(k.heap_peak - k.heap_base));
        end_session(s, h);
        assert_script_clean(s);
        assert_transcript(s, T_LOGIN "STAT\r\nRETR 1\r\n");
        ps_free(s);

        s = script(c, "A11/memory-limit");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 1000\r\n");
        script_list_one(s, 1, 1000); /* the server understates the size */
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK 1000 octets\r\n");
        ps_send_stream(s, line, sizeof line - 1, 64u << 20);
        h = open_logged_in(s);
        assert_pop_ok(PopConfig(h, "MaxMemoryMessage=1048576"));
        assert_pop_ok(PopConfig(h, "Deadline=5000"));
        char *buf = malloc(4u << 20);
        DWORD n = 4u << 20;
        t0 = seconds_now();
        assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_RESPONSE_TOO_LARGE);
        assert_elapsed_below(t0, 2.0, "the limited retrieval");
        free(buf);
        end_session(s, h);
        assert_script_clean(s);
        if (ps_bytes_sent(s) >= (64u << 20))
            fail_msg("%s the client read all 64 MiB past a 1 MiB limit", ps_describe(s));
        if (ps_peak_heap_growth(s) > (16u << 20))
            fail_msg("%s heap grew by %llu bytes past a 1 MiB limit", ps_describe(s),
                     (unsigned long long)ps_peak_heap_growth(s));
        ps_free(s);
    }
}

/* A12: slowloris (a byte every 100-200 ms): the whole-call deadline still holds. */
static void test_A12_slowloris(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A12/reply");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        ps_expect(s, "STAT\r\n");
        ps_drip(s, "+OK 2 3200000000000000000000000000000000000000\r\n", 100);
        HCLIENT h = open_logged_in(s);
        assert_pop_ok(PopConfig(h, "Timeout=300"));
        assert_pop_ok(PopConfig(h, "Deadline=800"));
        double t0 = seconds_now();
        assert_pop_fails(PopGetMessageCount(h, NULL, NULL), INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.5, "the dripped STAT");
        end_session(s, h);
        assert_script_clean(s);
        assert_transcript(s, T_LOGIN "STAT\r\n");
        ps_free(s);

        /* the connect: greeting and CAPA lines each in time, the whole beyond nTimeout */
        s = script(c, "A12/capa-lines");
        ps_send(s, GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, "+OK\r\n");
        for (int i = 0; i < 20; ++i) {
            ps_sendf(s, "X-SLOW-%d\r\n", i);
            ps_stall(s, 200);
        }
        ps_send(s, ".\r\n");
        t0 = seconds_now();
        h = connect_to(s, 1, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.8, "CAPA dripped line by line (nTimeout 1 s)");
        ps_finish(s, 3000);
        assert_script_clean(s);
        ps_free(s);

        /* many lines, each in time: the whole call still ends at the deadline */
        s = script(c, "A12/list-lines");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 40 4000\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n");
        for (int i = 1; i <= 40; ++i) {
            ps_sendf(s, "%d 100\r\n", i);
            ps_stall(s, 100);
        }
        ps_send(s, ".\r\n");
        h = open_logged_in(s);
        assert_pop_ok(PopGetMessageCount(h, NULL, NULL));
        assert_pop_ok(PopConfig(h, "Timeout=300"));
        assert_pop_ok(PopConfig(h, "Deadline=800"));
        t0 = seconds_now();
        assert_pop_fails(PopListMessages(h, NULL), INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.5, "LIST dripped line by line (Deadline 800 ms)");
        end_session(s, h);
        assert_script_clean(s);
        ps_free(s);

        s = script(c, "A12/greeting");
        ps_drip(s, "+OK a very slow greeting that takes far too long\r\n", 150);
        t0 = seconds_now();
        h = connect_to(s, 1, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.8, "the dripped greeting (nTimeout 1 s)");
        ps_finish(s, 3000);
        assert_transcript(s, "");
        ps_free(s);
    }
}

/* A13: malformed STAT replies: PROTOCOL, the session kept, the next command works. */
static void test_A13_bad_stat(void **state) {
    (void)state;
    static const char *const bad[] = {
        "+OK 7 #octets\r\n", "+OK -1 5\r\n", "+OK 99999999999999999999 1\r\n", "+OK\r\n",
        "+OK 4294967296 10\r\n", "+OK 7 18446744073709551616\r\n", "+OK 7\r\n", "+OK seven 5\r\n",
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A13");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        for (size_t i = 0; i < nbad; ++i) {
            ps_expect(s, "STAT\r\n");
            ps_send(s, bad[i]);
            ps_expect(s, "NOOP\r\n");
            ps_send(s, "+OK\r\n");
        }
        ps_expect(s, "STAT\r\n");
        ps_send(s, "+OK 2 320\r\n");
        HCLIENT h = open_logged_in(s);
        for (size_t i = 0; i < nbad; ++i) {
            DWORD count = 12345;
            ULONGLONG octets = 12345;
            DWORD rc = PopGetMessageCount(h, &count, &octets);
            if (rc != INETKIT_ERROR_PROTOCOL)
                fail_msg("%s STAT reply '%s': returned %u (count %u), expected PROTOCOL", where(),
                         ps_escape(bad[i], strlen(bad[i])), (unsigned)rc, (unsigned)count);
            assert_pop_ok(PopNoop(h));
        }
        DWORD count = 0;
        ULONGLONG octets = 0;
        assert_pop_ok(PopGetMessageCount(h, &count, &octets));
        assert_int_equal(count, 2);
        assert_int_equal(octets, 320);
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

static void init_info(POPMESSAGEINFO *info) {
    memset(info, 0xAB, sizeof *info);
    info->dwSize = sizeof *info;
}

/* A14: a LIST size above 32 bits is kept whole; above 64 bits it is PROTOCOL. */
static void test_A14_list_size_over_32_bits(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A14");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 3 4294967620\r\n");
        ps_expect(s, "LIST 2\r\n");
        ps_send(s, "+OK 2 4294967400\r\n");
        ps_expect(s, "LIST 3\r\n");
        ps_send(s, "+OK 3 18446744073709551616\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK 3 messages\r\n1 120\r\n2 4294967400\r\n3 100\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 uid-one\r\n2 uid-two\r\n3 uid-three\r\n.\r\n");
        HCLIENT h = open_logged_in(s);
        ULONGLONG size = 0;
        assert_pop_ok(PopGetMessageSize(h, 2, &size));
        assert_true(size == 4294967400ull);
        assert_pop_fails(PopGetMessageSize(h, 3, &size), INETKIT_ERROR_PROTOCOL);
        DWORD count = 0;
        assert_pop_ok(PopListMessages(h, &count));
        assert_int_equal(count, 3);
        POPMESSAGEINFO info;
        init_info(&info);
        assert_pop_ok(PopGetMessageInfo(h, 2, &info));
        assert_int_equal(info.dwMessage, 2);
        assert_true(info.ullOctets == 4294967400ull);
        assert_false(info.bDeleted);
        assert_string_equal(info.szUid, "uid-two");
        size = 0;
        assert_pop_ok(PopGetMessageSize(h, 2, &size)); /* the listed value: nothing sent */
        assert_true(size == 4294967400ull);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST 2\r\nLIST 3\r\nLIST\r\nUIDL\r\nQUIT\r\n");
        ps_free(s);

        /* the largest value ULONGLONG holds is a size like any other */
        s = script(c, "A14/uint64-max");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 5\r\n");
        ps_expect(s, "LIST 1\r\n");
        ps_send(s, "+OK 1 18446744073709551615\r\n");
        h = open_logged_in(s);
        size = 0;
        assert_pop_ok(PopGetMessageSize(h, 1, &size));
        assert_true(size == 18446744073709551615ull);
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* A15: LIST lines without a size, above the STAT count, duplicated or out of order:
   PROTOCOL, partial results dropped, the stream in step up to ".". */
static void test_A15_bad_list_lines(void **state) {
    (void)state;
    static const char *const bad[] = {
        "+OK\r\n1 100\r\n7\r\n.\r\n",              /* missing size */
        "+OK\r\n1 100\r\n8 8192\r\n.\r\n",         /* number above the STAT count (7) */
        "+OK\r\n1 100\r\n1 100\r\n.\r\n",          /* duplicate */
        "+OK\r\n1 100\r\n2 abc\r\n.\r\n",          /* not a number */
        "+OK\r\n0 100\r\n.\r\n",                   /* message 0 */
        "+OK\r\n2 200\r\n1 100\r\n.\r\n",          /* out of order (last: the catalogue's strictest case) */
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A15");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 7 700\r\n");
        for (size_t i = 0; i < nbad; ++i) {
            ps_expect(s, "LIST\r\n");
            ps_send(s, bad[i]);
            ps_expect(s, "UIDL\r\n");
            ps_send(s, "+OK\r\n.\r\n");
            ps_expect(s, "NOOP\r\n");
            ps_send(s, "+OK\r\n");
        }
        /* a good listing afterwards holds nothing of the bad ones */
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 11\r\n2 22\r\n3 33\r\n4 44\r\n5 55\r\n6 66\r\n7 77\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n.\r\n");
        HCLIENT h = open_logged_in(s);
        DWORD count = 0;
        assert_pop_ok(PopGetMessageCount(h, &count, NULL));
        assert_int_equal(count, 7);
        for (size_t i = 0; i < nbad; ++i) {
            DWORD listed = 0;
            DWORD rc = PopListMessages(h, &listed);
            if (rc != INETKIT_ERROR_PROTOCOL)
                fail_msg("%s LIST reply '%s': returned %u, expected PROTOCOL", where(),
                         ps_escape(bad[i], strlen(bad[i])), (unsigned)rc);
            assert_pop_ok(PopNoop(h));
        }
        assert_pop_ok(PopListMessages(h, &count));
        assert_int_equal(count, 7);
        for (DWORD m = 1; m <= 7; ++m) {
            POPMESSAGEINFO info;
            init_info(&info);
            assert_pop_ok(PopGetMessageInfo(h, m, &info));
            assert_true(info.ullOctets == 11u * m);
            assert_string_equal(info.szUid, "");
        }
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* X18: a STAT count of four billion: a listing is refused with RESPONSE_TOO_LARGE before
   anything is allocated for it (the fuzzer found a 190 GB vector), and the session stays usable. */
static void test_X18_huge_stat_count(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X18");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 4000000000 1\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 1\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 a\r\n.\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_logged_in(s);
        DWORD count = 0;
        assert_pop_ok(PopGetMessageCount(h, &count, NULL));
        assert_int_equal(count, 4000000000u);
        uint64_t heap = heap_in_use();
        assert_pop_fails(PopListMessages(h, &count), INETKIT_ERROR_RESPONSE_TOO_LARGE);
        if (heap_in_use() > heap + (16u << 20))
            fail_msg("%s the refused listing kept %llu bytes", where(), (unsigned long long)(heap_in_use() - heap));
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* A16 (+X3): UIDL lines with a missing uid, one over 70 characters, bytes outside 0x21-0x7E
   (a space among them), duplicate uids: PROTOCOL; a 70-character uid is fine. */
static void test_A16_bad_uidl_lines(void **state) {
    (void)state;
    char uid70[71], uid71[72];
    memset(uid70, 'u', 70);
    uid70[70] = '\0';
    memset(uid71, 'v', 71);
    uid71[71] = '\0';
    char long_line[128], ok_line[128], single71[128];
    snprintf(long_line, sizeof long_line, "+OK\r\n1 a\r\n2 %s\r\n3 c\r\n.\r\n", uid71);
    snprintf(ok_line, sizeof ok_line, "+OK\r\n1 a\r\n2 %s\r\n3 c\r\n.\r\n", uid70);
    snprintf(single71, sizeof single71, "+OK 1 %s\r\n", uid71);
    const char *const bad[] = {
        "+OK\r\n1 a\r\n2 b\r\n3\r\n.\r\n",              /* missing uid */
        long_line,                                       /* 71 characters */
        "+OK\r\n1 a\r\n2 b\x7f\r\n3 c\r\n.\r\n",         /* DEL */
        "+OK\r\n1 a\r\n2 b\xc3\xa9\r\n3 c\r\n.\r\n",     /* 8-bit */
        "+OK\r\n1 a\r\n2 b\tc\r\n3 c\r\n.\r\n",          /* tab */
        "+OK\r\n1 abc def\r\n2 b\r\n3 c\r\n.\r\n",       /* a space inside the uid */
        "+OK\r\n1 same\r\n2 same\r\n3 c\r\n.\r\n",       /* duplicate */
        "+OK\r\n1 a\r\n4 d\r\n.\r\n",                    /* above the STAT count */
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A16");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 3 60\r\n");
        ps_expect(s, "UIDL 1\r\n");
        ps_send(s, "+OK 1 abc def\r\n");
        ps_expect(s, "UIDL 1\r\n");
        ps_send(s, single71);
        for (size_t i = 0; i < nbad; ++i) {
            ps_expect(s, "LIST\r\n");
            ps_send(s, "+OK\r\n1 10\r\n2 20\r\n3 30\r\n.\r\n");
            ps_expect(s, "UIDL\r\n");
            ps_send(s, bad[i]);
            ps_expect(s, "NOOP\r\n");
            ps_send(s, "+OK\r\n");
        }
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 10\r\n2 20\r\n3 30\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, ok_line);
        HCLIENT h = open_logged_in(s);
        char uid[128];
        DWORD n = sizeof uid;
        assert_pop_fails(PopGetMessageUid(h, 1, uid, &n), INETKIT_ERROR_PROTOCOL);
        n = sizeof uid;
        assert_pop_fails(PopGetMessageUid(h, 1, uid, &n), INETKIT_ERROR_PROTOCOL);
        for (size_t i = 0; i < nbad; ++i) {
            DWORD rc = PopListMessages(h, NULL);
            if (rc != INETKIT_ERROR_PROTOCOL)
                fail_msg("%s UIDL reply '%s': returned %u, expected PROTOCOL", where(),
                         ps_escape(bad[i], strlen(bad[i])), (unsigned)rc);
            assert_pop_ok(PopNoop(h));
        }
        assert_pop_ok(PopListMessages(h, NULL));
        POPMESSAGEINFO info;
        init_info(&info);
        assert_pop_ok(PopGetMessageInfo(h, 2, &info));
        assert_string_equal(info.szUid, uid70);
        n = sizeof uid;
        assert_pop_ok(PopGetMessageUid(h, 2, uid, &n));
        assert_int_equal(n, 70);
        assert_string_equal(uid, uid70);
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);

        /* UIDL n: the same character rules as the listing */
        static const char *const single_bad[] = {"+OK 1 b\xc3\xa9\r\n", "+OK 1 b\x7f\r\n", "+OK 1 b\x01\r\n"};
        for (size_t i = 0; i < sizeof single_bad / sizeof single_bad[0]; ++i) {
            s = script(c, "A16/single");
            script_greeting(s, CAPA_BASIC);
            script_login(s, CAPA_BASIC);
            script_stat(s, "+OK 3 60\r\n");
            ps_expect(s, "UIDL 1\r\n");
            ps_send(s, single_bad[i]);
            h = open_logged_in(s);
            n = sizeof uid;
            DWORD rc = PopGetMessageUid(h, 1, uid, &n);
            if (rc != INETKIT_ERROR_PROTOCOL)
                fail_msg("%s UIDL 1 reply '%s': returned %u (uid '%s'), expected PROTOCOL", where(),
                         ps_escape(single_bad[i], strlen(single_bad[i])), (unsigned)rc,
                         rc == 0 ? ps_escape(uid, strlen(uid)) : "");
            end_session(s, h);
            assert_script_ok(s);
            ps_free(s);
        }
    }
}

/* A17: CAPA with 100,000 lines, or one 1 MB line: capped. */
static void test_A17_huge_capa(void **state) {
    (void)state;
    static const char capline[] = "X-CAPABILITY-WITH-A-LONG-NAME\r\n";
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A17/lines");
        ps_send(s, GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, "+OK\r\n");
        ps_send_stream(s, capline, sizeof capline - 1, (uint64_t)(sizeof capline - 1) * 100000u);
        ps_send(s, ".\r\n");
        double t0 = seconds_now();
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails(h, INETKIT_ERROR_RESPONSE_TOO_LARGE);
        assert_elapsed_below(t0, 1.5, "the huge CAPA");
        ps_finish(s, 3000);
        assert_script_clean(s);
        assert_transcript(s, "CAPA\r\n");
        ps_free(s);

        s = script(c, "A17/one-line");
        ps_send(s, GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, "+OK\r\n");
        ps_send_stream(s, "Z", 1, 1u << 20);
        ps_send(s, "\r\n.\r\n");
        h = connect_to(s, 2, 0, NULL);
        assert_connect_fails2(h, INETKIT_ERROR_LINE_TOO_LONG, INETKIT_ERROR_RESPONSE_TOO_LARGE);
        ps_finish(s, 3000);
        assert_script_clean(s);
        assert_transcript(s, "CAPA\r\n");
        ps_free(s);
    }
}

/* A18: CAPA answered -ERR: no capabilities; with STLS required, TLS_REQUIRED and no credentials. */
static void test_A18_capa_err(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A18/plain");
        script_greeting(s, "-ERR unknown command\r\n");
        ps_expect(s, "USER " USER "\r\n");
        ps_send(s, "+OK\r\n");
        ps_expect(s, "PASS " PASS "\r\n");
        ps_send(s, "+OK\r\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, "-ERR still unknown\r\n");
        HCLIENT h = open_session(s);
        char caps[64] = "junk";
        DWORD n = sizeof caps;
        assert_pop_ok(PopGetCapabilities(h, caps, &n));
        assert_int_equal(n, 0);
        assert_string_equal(caps, "");
        n = sizeof caps;
        assert_pop_fails(PopGetCapability(h, "UIDL", caps, &n), INETKIT_ERROR_NOT_FOUND);
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "QUIT\r\n");
        ps_free(s);

        SECURITYCREDENTIALS creds;
        creds_client(&creds);
        s = script(c, "A18/stls-required");
        script_greeting(s, "-ERR unknown command\r\n");
        h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
        assert_connect_fails(h, INETKIT_ERROR_TLS_REQUIRED);
        ps_finish(s, 3000);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\n", "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* A19 (+X4): with PIPELINING, more or fewer replies than commands, or replies out of order:
   PROTOCOL (or the connection error), nothing attributed to the wrong command. */
static void test_A19_pipelining_mismatch(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        /* the UIDL reply first, then LIST's: the LIST parser sees "1 uid-a" */
        ps_script *s = script(c, "A19/out-of-order");
        script_greeting(s, CAPA_PIPE);
        script_login(s, CAPA_PIPE);
        ps_expect(s, "STAT\r\n");
        ps_expect(s, "LIST\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK 2 300\r\n+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n+OK\r\n1 100\r\n2 200\r\n.\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        assert_pop_ok(PopConfig(h, "Pipelining=on"));
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        assert_pop_fails(PopListMessages(h, NULL), INETKIT_ERROR_PROTOCOL);
        assert_pop_ok(PopNoop(h)); /* every reply was read: still in step */
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST\r\nUIDL\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);

        /* fewer replies, then the connection closes: the acknowledged DELEs are counted */
        s = script(c, "A19/fewer-replies");
        script_greeting(s, CAPA_PIPE);
        script_login(s, CAPA_PIPE);
        script_stat(s, "+OK 3 300\r\n");
        ps_expect(s, "DELE 1\r\n");
        ps_expect(s, "DELE 2\r\n");
        ps_expect(s, "DELE 3\r\n");
        ps_send(s, "+OK deleted\r\n+OK deleted\r\n");
        ps_close(s);
        h = open_session(s);
        assert_pop_ok(PopConfig(h, "Pipelining=on"));
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        const DWORD three[] = {1, 2, 3};
        DWORD deleted = 99;
        assert_pop_fails(PopDeleteMessages(h, three, 3, &deleted), INETKIT_ERROR_CONNECTION_CLOSED);
        assert_int_equal(deleted, 2);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nDELE 1\r\nDELE 2\r\nDELE 3\r\n");
        ps_free(s);

        /* one reply too many: it must not become the reply to the next command */
        s = script(c, "A19/extra-reply");
        script_greeting(s, CAPA_PIPE);
        script_login(s, CAPA_PIPE);
        ps_expect(s, "STAT\r\n");
        ps_expect(s, "LIST\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK 2 300\r\n+OK\r\n1 100\r\n2 200\r\n.\r\n+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n+OK spurious\r\n");
        h = open_session(s);
        assert_pop_ok(PopConfig(h, "Pipelining=on"));
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        assert_pop_ok(PopListMessages(h, NULL));
        sleep_ms(100); /* the spurious reply has arrived in every chunking */
        assert_pop_fails(PopDeleteMessage(h, 1), INETKIT_ERROR_PROTOCOL);
        end_session(s, h);
        assert_script_ok(s);
        assert_never_sent(s, "DELE");
        ps_free(s);
    }
}

/* A20: DELE answered -ERR: not deleted, the reply kept, RSET still possible. */
static void test_A20_dele_err(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A20");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 300\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 100\r\n2 200\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n");
        ps_expect(s, "DELE 1\r\n");
        ps_send(s, "-ERR message 1 is locked\r\n");
        ps_expect(s, "DELE 2\r\n");
        ps_send(s, "+OK message 2 deleted\r\n");
        ps_expect(s, "RSET\r\n");
        ps_send(s, "+OK maildrop has 2 messages\r\n");
        /* After RSET the client lists afresh (messages deleted before a
           listing are missing from it); the highest number is known. */
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 100\r\n2 200\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 uid-a\r\n2 uid-b\r\n.\r\n");
        HCLIENT h = open_logged_in(s);
        assert_pop_ok(PopListMessages(h, NULL));
        assert_pop_fails(PopDeleteMessage(h, 1), INETKIT_ERROR_SERVER_ERROR);
        BOOL ok = TRUE;
        char reply[128];
        DWORD n = sizeof reply;
        assert_pop_ok(PopGetLastReply(h, &ok, reply, &n));
        assert_false(ok);
        assert_string_equal(reply, "-ERR message 1 is locked");
        POPMESSAGEINFO info;
        init_info(&info);
        assert_pop_ok(PopGetMessageInfo(h, 1, &info));
        assert_false(info.bDeleted);
        assert_pop_ok(PopDeleteMessage(h, 2));
        init_info(&info);
        assert_pop_ok(PopGetMessageInfo(h, 2, &info));
        assert_true(info.bDeleted);
        assert_pop_ok(PopReset(h));
        init_info(&info);
        assert_pop_ok(PopGetMessageInfo(h, 2, &info));
        assert_false(info.bDeleted);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST\r\nUIDL\r\nDELE 1\r\nDELE 2\r\nRSET\r\nLIST\r\nUIDL\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* A21: +OK then "." straight away: an empty message, not an error. */
static void test_A21_empty_message(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        char *dir = make_temp_dir();
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/empty.eml", dir);
        ps_script *s = script(c, "A21");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 0\r\n");
        script_list_one(s, 1, 0);
        for (int i = 0; i < 3; ++i) {
            ps_expect(s, "RETR 1\r\n");
            ps_send(s, "+OK 0 octets\r\n.\r\n");
        }
        ps_expect(s, "TOP 1 0\r\n");
        ps_send(s, "+OK\r\n.\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\n.\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_logged_in(s);
        char buf[16] = "unchanged";
        DWORD n = sizeof buf;
        assert_pop_ok(PopGetMessage(h, 1, buf, &n));
        assert_int_equal(n, 0);
        sink_t k = {0};
        assert_pop_ok(PopRetrieveMessage(h, 1, sink_proc, &k));
        assert_int_equal(k.len, 0);
        sink_free(&k);
        assert_pop_ok(PopStoreMessage(h, 1, path));
        assert_int_equal(file_size(path), 0);
        n = sizeof buf;
        assert_pop_ok(PopGetMessageHeaders(h, 1, buf, &n));
        assert_int_equal(n, 0);
        assert_pop_ok(PopOpenMessage(h, 1, POP_ALL_LINES));
        DWORD got = 99;
        assert_pop_ok(PopRead(h, buf, sizeof buf, &got));
        assert_int_equal(got, 0);
        assert_pop_ok(PopCloseMessage(h));
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST 1\r\nRETR 1\r\nRETR 1\r\nRETR 1\r\nTOP 1 0\r\nRETR 1\r\nNOOP\r\nQUIT\r\n");
        drop_temp_dir(dir);
        ps_free(s);
    }
}

/* A22: a big message streams through the callback and to a file with bounded memory. */
typedef struct {
    uint64_t bytes, heap_base, heap_peak, bad_offset;
    DWORD max_piece;
    int bad;
    const char *pattern;
    size_t plen;
} verify_sink_t;

static BOOL INETKIT_CALL verify_proc(HCLIENT h, DWORD msg, LPCVOID data, DWORD n, LPVOID param) {
    (void)h; (void)msg;
    verify_sink_t *k = param;
    const char *p = data;
    if (n > k->max_piece) k->max_piece = n;
    for (DWORD i = 0; i < n && !k->bad; ++i)
        if (p[i] != k->pattern[(k->bytes + i) % k->plen]) {
            k->bad = 1;
            k->bad_offset = k->bytes + i;
        }
    k->bytes += n;
    uint64_t used = heap_in_use();
    if (used > k->heap_peak) k->heap_peak = used;
    return TRUE;
}

typedef struct {
    ULONGLONG last, expected;
    unsigned calls;
    int backwards;
} progress_t;

static BOOL INETKIT_CALL progress_proc(HCLIENT h, DWORD msg, ULONGLONG done, ULONGLONG expected, LPVOID param) {
    (void)h; (void)msg;
    progress_t *p = param;
    if (done < p->last) p->backwards = 1;
    p->last = done;
    p->expected = expected;
    p->calls++;
    return TRUE;
}

static void test_A22_big_message_bounded_memory(void **state) {
    (void)state;
    /* 64-byte lines, none starting with a dot */
    static const char line[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
    const uint64_t total = 64u << 20;
    assert_int_equal(sizeof line - 1, 64); /* whole lines: the terminator lands at a line start */
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "A22/callback");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 67108864\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK 67108864 octets\r\n");
        ps_send_stream(s, line, sizeof line - 1, total);
        ps_send(s, ".\r\n");
        HCLIENT h = open_logged_in(s);
        assert_pop_ok(PopConfig(h, "Timeout=5000"));
        progress_t prog = {0, 0, 0, 0};
        assert_pop_ok(PopSetProgressCallback(h, progress_proc, &prog));
        verify_sink_t k = {0, heap_in_use(), 0, 0, 0, 0, line, sizeof line - 1};
        double t0 = seconds_now();
        assert_pop_ok(PopRetrieveMessage(h, 1, verify_proc, &k));
        double el = seconds_now() - t0;
        if (k.bad) fail_msg("%s wrong byte at offset %llu", where(), (unsigned long long)k.bad_offset);
        assert_true(k.bytes == total);
        assert_true(k.max_piece <= 65536);
        if (k.heap_peak > k.heap_base && k.heap_peak - k.heap_base > (8u << 20))
            fail_msg("%s heap grew by %llu bytes for a 64 MiB message", where(),
                     (unsigned long long)(k.heap_peak - k.heap_base));
        assert_true(prog.calls > 0);
        assert_false(prog.backwards);
        assert_true(prog.last == total);
        assert_pop_ok(PopSetProgressCallback(h, NULL, NULL));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nRETR 1\r\nQUIT\r\n");
        print_message("  A22 %s: 64 MiB in %.2f s, heap growth %lld bytes\n", ps_chunking_name(c), el,
                      (long long)(k.heap_peak > k.heap_base ? k.heap_peak - k.heap_base : 0));
        ps_free(s);

        /* to a file */
        char *dir = make_temp_dir();
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/big.eml", dir);
        s = script(c, "A22/store");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 16777216\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\n");
        ps_send_stream(s, line, sizeof line - 1, 16u << 20);
        ps_send(s, ".\r\n");
        h = open_logged_in(s);
        assert_pop_ok(PopConfig(h, "Timeout=5000"));
        assert_pop_ok(PopStoreMessage(h, 1, path));
        assert_true(file_size(path) == (long)(16u << 20));
        end_session(s, h);
        assert_script_ok(s);
        if (ps_peak_heap_growth(s) > (8u << 20))
            fail_msg("%s heap grew by %llu bytes storing 16 MiB", ps_describe(s),
                     (unsigned long long)ps_peak_heap_growth(s));
        drop_temp_dir(dir);
        ps_free(s);
    }
}

/* ---- B. STLS / implicit TLS ----------------------------------------------------------------- */

/* B23: plaintext after the STLS +OK in the same segment: PLAINTEXT_INJECTION, no handshake, no
   credentials (in split chunkings the bytes may reach the TLS layer instead: a handshake failure). */
static void test_B23_stls_injection_same_segment(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B23");
        script_greeting(s, CAPA_STLS);
        ps_expect(s, "STLS\r\n");
        ps_send(s, "+OK Begin TLS\r\n+OK\r\nSASL PLAIN\r\n.\r\n");
        HCLIENT h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
        if (c == PS_WHOLE) assert_connect_fails(h, INETKIT_ERROR_PLAINTEXT_INJECTION);
        else assert_connect_fails2(h, INETKIT_ERROR_PLAINTEXT_INJECTION, INETKIT_ERROR_SECURITY_HANDSHAKE);
        DWORD err = PopGetLastError();
        ps_finish(s, 3000);
        assert_script_clean(s);
        if (err == INETKIT_ERROR_PLAINTEXT_INJECTION) {
            assert_transcript(s, "CAPA\r\nSTLS\r\n");
        } else {
            size_t len;
            const char *t = ps_transcript(s, &len);
            assert_transcript_prefix(s, "CAPA\r\nSTLS\r\n");
            assert_true(len > 12 && (unsigned char)t[12] == 0x16);
        }
        assert_no_credentials_sent(s);
        ps_free(s);
    }
}

/* B24: plaintext after the ClientHello reaches the TLS layer: SECURITY_HANDSHAKE, never parsed. */
static void test_B24_stls_injection_later_segment(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B24");
        script_greeting(s, CAPA_STLS);
        ps_expect(s, "STLS\r\n");
        ps_send(s, "+OK Begin TLS\r\n");
        ps_expect_tls_record(s);
        ps_send(s, "+OK\r\nSASL PLAIN\r\n.\r\n");
        HCLIENT h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
        assert_connect_fails(h, INETKIT_ERROR_SECURITY_HANDSHAKE);
        ps_finish(s, 3000);
        assert_script_clean(s);
        size_t len;
        const char *t = ps_transcript(s, &len);
        assert_transcript_prefix(s, "CAPA\r\nSTLS\r\n");
        assert_true(len > 12 && (unsigned char)t[12] == 0x16);
        assert_no_credentials_sent(s);
        assert_never_sent(s, "QUIT");
        assert_never_sent(s, "CAPA\r\nSTLS\r\nCAPA");
        ps_free(s);
    }
}

/* B25/B26: STLS required but not offered, or refused: TLS_REQUIRED before any credentials. */
static void test_B25_stls_not_offered(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B25");
        script_greeting(s, "+OK\r\nUSER\r\nSASL PLAIN\r\nUIDL\r\n.\r\n");
        HCLIENT h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
        assert_connect_fails(h, INETKIT_ERROR_TLS_REQUIRED);
        ps_finish(s, 3000);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\n", "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
}

static void test_B26_stls_refused(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B26");
        script_greeting(s, CAPA_STLS);
        ps_expect(s, "STLS\r\n");
        ps_send(s, "-ERR TLS not available right now\r\n");
        HCLIENT h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
        assert_connect_fails(h, INETKIT_ERROR_TLS_REQUIRED);
        ps_finish(s, 3000);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nSTLS\r\n", "CAPA\r\nSTLS\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* B27: the server goes silent after +OK to STLS, or stalls in the handshake: TIMED_OUT in time. */
static void test_B27_stls_stall(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B27/silent");
        script_greeting(s, CAPA_STLS);
        ps_expect(s, "STLS\r\n");
        ps_send(s, "+OK Begin TLS\r\n");
        ps_stall(s, 4000);
        double t0 = seconds_now();
        HCLIENT h = connect_to(s, 1, POP_OPTION_SECURE_EXPLICIT, &creds);
        assert_connect_fails(h, INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.8, "the silent STLS (nTimeout 1 s)");
        ps_finish(s, 3000);
        assert_script_clean(s);
        assert_no_credentials_sent(s);
        ps_free(s);

        s = script(c, "B27/mid-handshake");
        script_greeting(s, CAPA_STLS);
        ps_expect(s, "STLS\r\n");
        ps_send(s, "+OK Begin TLS\r\n");
        ps_expect_tls_record(s);
        ps_send_bytes(s, "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11); /* a ServerHello that never ends */
        ps_stall(s, 4000);
        t0 = seconds_now();
        h = connect_to(s, 1, POP_OPTION_SECURE_EXPLICIT, &creds);
        assert_connect_fails(h, INETKIT_ERROR_TIMED_OUT);
        assert_elapsed_below(t0, 1.8, "the stalled handshake (nTimeout 1 s)");
        ps_finish(s, 3000);
        assert_script_clean(s);
        assert_no_credentials_sent(s);
        ps_free(s);
    }
}

/* B28: implicit TLS against a plaintext POP3 server: a fast SECURITY_HANDSHAKE. */
static void test_B28_implicit_tls_plaintext_server(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B28");
        ps_send(s, GREETING);
        double t0 = seconds_now();
        HCLIENT h = connect_to(s, 5, POP_OPTION_SECURE_IMPLICIT, &creds);
        /* The plaintext greeting fails the handshake, or, when it arrives
           before the handshake starts, is caught as plaintext before TLS. */
        DWORD code = PopGetLastError();
        assert_connect_fails2(h, INETKIT_ERROR_SECURITY_HANDSHAKE, INETKIT_ERROR_PLAINTEXT_INJECTION);
        assert_elapsed_below(t0, 2.0, "the handshake with a plaintext server (nTimeout 5 s)");
        ps_finish(s, 3000);
        assert_script_clean(s);
        size_t len;
        const char *t = ps_transcript(s, &len);
        if (code == INETKIT_ERROR_PLAINTEXT_INJECTION)
            assert_int_equal(len, 0); /* refused before a byte went out */
        else
            assert_true(len > 0 && (unsigned char)t[0] == 0x16); /* a ClientHello, nothing else */
        assert_never_sent(s, "CAPA");
        assert_no_credentials_sent(s);
        ps_free(s);
    }
}

/* B29: STLS again after TLS is up: never sent; PopCommand refuses it. */
static void test_B29_second_stls(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "B29/explicit");
        script_greeting(s, CAPA_STLS);
        ps_expect(s, "STLS\r\n");
        ps_send(s, "+OK Begin TLS\r\n");
        ps_starttls(s, 1);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_STLS); /* offered again */
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
        if (h == INVALID_CLIENT)
            fail_msg("%s PopConnect: %u %s (server: %s)", where(), (unsigned)PopGetLastError(), pop_message(),
                     ps_error(s) ? ps_error(s) : "ok");
        INETSECURITYINFO info;
        memset(&info, 0, sizeof info);
        info.dwSize = sizeof info;
        assert_pop_ok(PopGetSecurityInfo(h, &info));
        assert_true(info.dwProtocol >= INET_PROTOCOL_TLS1_2);
        assert_pop_fails(PopCommand(h, "STLS", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopCommand(h, "stls", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nSTLS\r\n<TLS>CAPA\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);

        s = script(c, "B29/implicit");
        ps_starttls(s, 1);
        script_greeting(s, CAPA_STLS);
        h = connect_to(s, 2, POP_OPTION_SECURE_IMPLICIT, &creds);
        if (h == INVALID_CLIENT)
            fail_msg("%s PopConnect: %u %s (server: %s)", where(), (unsigned)PopGetLastError(), pop_message(),
                     ps_error(s) ? ps_error(s) : "ok");
        assert_pop_fails(PopCommand(h, "STLS", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "<TLS>CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* B30: an APOP timestamp from before STLS is used only when APOP is asked for by name. */
#define APOP_GREETING "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
#define APOP_LINE "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n" /* RFC 1939's example */

static void test_B30_apop_after_stls(void **state) {
    (void)state;
    SECURITYCREDENTIALS creds;
    creds_client(&creds);
    EACH_CHUNKING(c) {
        for (int by_name = 0; by_name < 2; ++by_name) {
            ps_script *s = script(c, by_name ? "B30/apop-by-name" : "B30/default");
            ps_send(s, APOP_GREETING);
            ps_expect(s, "CAPA\r\n");
            ps_send(s, CAPA_STLS);
            ps_expect(s, "STLS\r\n");
            ps_send(s, "+OK Begin TLS\r\n");
            ps_starttls(s, 1);
            ps_expect(s, "CAPA\r\n");
            ps_send(s, CAPA_BASIC);
            if (by_name) {
                ps_expect(s, APOP_LINE);
                ps_send(s, "+OK maildrop locked and ready\r\n");
            } else {
                ps_expect(s, "USER mrose\r\n");
                ps_send(s, "+OK\r\n");
                ps_expect(s, "PASS tanstaaf\r\n");
                ps_send(s, "+OK\r\n");
            }
            ps_expect(s, "CAPA\r\n");
            ps_send(s, CAPA_BASIC);
            HCLIENT h = connect_to(s, 2, POP_OPTION_SECURE_EXPLICIT, &creds);
            if (h == INVALID_CLIENT)
                fail_msg("%s PopConnect: %u %s (server: %s)", where(), (unsigned)PopGetLastError(), pop_message(),
                         ps_error(s) ? ps_error(s) : "ok");
            assert_pop_ok(PopLogin(h, by_name ? POP_AUTH_APOP : POP_AUTH_DEFAULT, "mrose", "tanstaaf"));
            end_session(s, h);
            assert_script_ok(s);
            if (by_name) assert_transcript(s, "CAPA\r\nSTLS\r\n<TLS>CAPA\r\n" APOP_LINE "CAPA\r\nQUIT\r\n");
            else assert_transcript(s, "CAPA\r\nSTLS\r\n<TLS>CAPA\r\nUSER mrose\r\nPASS tanstaaf\r\nCAPA\r\nQUIT\r\n");
            ps_free(s);
        }

        /* on a plain session the default picks APOP over sending the password */
        ps_script *s = script(c, "B30/plain-default");
        ps_send(s, APOP_GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        ps_expect(s, APOP_LINE);
        ps_send(s, "+OK\r\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        HCLIENT h = open_session(s);
        assert_pop_ok(PopLogin(h, POP_AUTH_DEFAULT, "mrose", "tanstaaf"));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\n" APOP_LINE "CAPA\r\nQUIT\r\n");
        ps_free(s);

        /* a timestamp without '@' is not an APOP timestamp: nothing else fits a plain session */
        s = script(c, "B30/bad-timestamp");
        ps_send(s, "+OK POP3 ready <nonsense>\r\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        h = open_session(s);
        assert_pop_fails(PopLogin(h, POP_AUTH_DEFAULT, "mrose", "tanstaaf"), INETKIT_ERROR_AUTH_UNAVAILABLE);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* ---- C. Authentication ---------------------------------------------------------------------- */

#define CAPA_ALL_SASL \
    "+OK\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\r\n.\r\n"

static const UINT all_mechanisms[] = {
    POP_AUTH_DEFAULT, POP_AUTH_PASS, POP_AUTH_APOP, POP_AUTH_LOGIN, POP_AUTH_PLAIN,
    POP_AUTH_CRAM_MD5, POP_AUTH_SCRAM_SHA1, POP_AUTH_SCRAM_SHA256, POP_AUTH_XOAUTH2, POP_AUTH_OAUTHBEARER,
};
#define N_MECHANISMS (sizeof all_mechanisms / sizeof all_mechanisms[0])

/* C31: CR or LF in the user name or password: INVALID_PARAMETER before anything is sent. */
static void test_C31_crlf_in_credentials(void **state) {
    (void)state;
    static const char *const bad[] = {"u\r\nPASS x", "u\rx", "u\nx", "\r\n", "u\r"};
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C31");
        ps_send(s, APOP_GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_ALL_SASL);
        script_login(s, CAPA_ALL_SASL);
        HCLIENT h = open_session(s);
        for (size_t m = 0; m < N_MECHANISMS; ++m)
            for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
                DWORD rc = PopLogin(h, all_mechanisms[m], bad[i], PASS);
                if (rc != INETKIT_ERROR_INVALID_PARAMETER)
                    fail_msg("%s mechanism %u user '%s': %u, expected INVALID_PARAMETER", where(),
                             all_mechanisms[m], ps_escape(bad[i], strlen(bad[i])), (unsigned)rc);
                rc = PopLogin(h, all_mechanisms[m], USER, bad[i]);
                if (rc != INETKIT_ERROR_INVALID_PARAMETER)
                    fail_msg("%s mechanism %u password '%s': %u, expected INVALID_PARAMETER", where(),
                             all_mechanisms[m], ps_escape(bad[i], strlen(bad[i])), (unsigned)rc);
                assert_int_equal(PopGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
            }
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "QUIT\r\n");
        ps_free(s);
    }
}

/* C32: a user name or password over 4096 bytes: INVALID_PARAMETER, nothing sent. */
static void test_C32_overlong_credentials(void **state) {
    (void)state;
    char *big = repeat('n', 4097);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C32");
        ps_send(s, APOP_GREETING);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_ALL_SASL);
        HCLIENT h = open_session(s);
        for (size_t m = 0; m < N_MECHANISMS; ++m) {
            DWORD rc = PopLogin(h, all_mechanisms[m], big, PASS);
            if (rc != INETKIT_ERROR_INVALID_PARAMETER)
                fail_msg("%s mechanism %u, 4097-byte user: %u", where(), all_mechanisms[m], (unsigned)rc);
            rc = PopLogin(h, all_mechanisms[m], USER, big);
            if (rc != INETKIT_ERROR_INVALID_PARAMETER)
                fail_msg("%s mechanism %u, 4097-byte password: %u", where(), all_mechanisms[m], (unsigned)rc);
        }
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
    free(big);
}

/* C33: a user name of more than 2 GiB (one page mapped many times): INVALID_PARAMETER at once. */
static char *map_huge_string(size_t *mapped) {
    const size_t chunk = 1u << 20, count = 2049; /* 2 GiB + 1 MiB */
    int a = memfd_create("inetkit-a", MFD_CLOEXEC), z = memfd_create("inetkit-z", MFD_CLOEXEC);
    if (a < 0 || z < 0 || ftruncate(a, (off_t)chunk) != 0 || ftruncate(z, (off_t)chunk) != 0) return NULL;
    char *page = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
    if (page == MAP_FAILED) return NULL;
    memset(page, 'a', chunk);
    munmap(page, chunk);
    page = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    if (page == MAP_FAILED) return NULL;
    memset(page, 'a', chunk);
    page[chunk - 1] = '\0';
    munmap(page, chunk);
    char *base = mmap(NULL, chunk * count, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return NULL;
    for (size_t i = 0; i < count; ++i)
        if (mmap(base + i * chunk, chunk, PROT_READ, MAP_SHARED | MAP_FIXED, i + 1 == count ? z : a, 0) == MAP_FAILED) {
            munmap(base, chunk * count);
            base = NULL;
            break;
        }
    close(a);
    close(z);
    *mapped = chunk * count;
    return base;
}

static void test_C33_huge_credentials(void **state) {
    (void)state;
    size_t mapped = 0;
    char *huge = map_huge_string(&mapped);
    if (huge == NULL) {
        print_message("  C33: cannot map a 2 GiB string here; skipped\n");
        skip();
    }
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C33");
        script_greeting(s, CAPA_ALL_SASL);
        HCLIENT h = open_session(s);
        double t0 = seconds_now();
        assert_pop_fails(PopLogin(h, POP_AUTH_PASS, huge, PASS), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopLogin(h, POP_AUTH_PLAIN, USER, huge), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopLogin(h, POP_AUTH_XOAUTH2, USER, huge), INETKIT_ERROR_INVALID_PARAMETER);
        assert_elapsed_below(t0, 3.0, "refusing 2 GiB credentials");
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
    munmap(huge, mapped);
}

/* C34: a SASL challenge that is not base64: the client cancels with "*", AUTH_FAILED, still usable. */
static void test_C34_sasl_rubbish_challenge(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C34");
        script_greeting(s, CAPA_ALL_SASL);
        ps_expect(s, "AUTH CRAM-MD5\r\n");
        ps_send(s, "+ Rubbish!!\r\n");
        ps_expect(s, "*\r\n");
        ps_send(s, "-ERR authentication canceled\r\n");
        ps_expect_prefix(s, "AUTH LOGIN");
        ps_send(s, "+ Rubbish!!\r\n");
        ps_expect(s, "*\r\n");
        ps_send(s, "-ERR authentication canceled\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        assert_pop_fails(PopLogin(h, POP_AUTH_CRAM_MD5, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_fails(PopLogin(h, POP_AUTH_LOGIN, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* C35: a bare "+" continuation: an empty challenge or AUTH_FAILED, no crash, still usable. */
static void test_C35_sasl_bare_continuation(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C35");
        script_greeting(s, CAPA_ALL_SASL);
        ps_expect(s, "AUTH CRAM-MD5\r\n");
        ps_send(s, "+\r\n");
        ps_expect_any_line(s);
        ps_send(s, "-ERR no\r\n");
        ps_expect_prefix(s, "AUTH SCRAM-SHA-256"); /* with or without its initial response */
        ps_send(s, "+\r\n");
        ps_expect_any_line(s);
        ps_send(s, "-ERR no\r\n");
        ps_expect_prefix(s, "AUTH LOGIN");
        ps_send(s, "+\r\n");
        ps_expect_any_line(s);
        ps_send(s, "-ERR no\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        assert_pop_fails(PopLogin(h, POP_AUTH_CRAM_MD5, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_fails(PopLogin(h, POP_AUTH_SCRAM_SHA256, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_fails(PopLogin(h, POP_AUTH_LOGIN, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* C36: a challenge over 16 KiB decoded, or holding a NUL: cancelled with "*", AUTH_FAILED. */
static void test_C36_sasl_oversized_or_nul_challenge(void **state) {
    (void)state;
    /* 17,000 bytes of '<' ... '>' encoded: "PDw8" repeats ("<<<") */
    size_t raw = 17001, enc_len = (raw / 3) * 4;
    char *enc = malloc(enc_len + 1);
    for (size_t i = 0; i < enc_len; i += 4) memcpy(enc + i, "PDw8", 4);
    enc[enc_len] = '\0';
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C36");
        script_greeting(s, CAPA_ALL_SASL);
        ps_expect(s, "AUTH CRAM-MD5\r\n");
        ps_sendf(s, "+ %s\r\n", enc);
        ps_expect(s, "*\r\n");
        ps_send(s, "-ERR canceled\r\n");
        ps_expect(s, "AUTH CRAM-MD5\r\n");
        ps_send(s, "+ PDEyQHg+AGV2aWw=\r\n"); /* "<12@x>\0evil" */
        ps_expect(s, "*\r\n");
        ps_send(s, "-ERR canceled\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        assert_pop_ok(PopConfig(h, "MaxLineLength=65536")); /* so the SASL limit is what is tested */
        assert_pop_fails(PopLogin(h, POP_AUTH_CRAM_MD5, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_fails(PopLogin(h, POP_AUTH_CRAM_MD5, USER, PASS), INETKIT_ERROR_AUTH_FAILED);
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nAUTH CRAM-MD5\r\n*\r\nAUTH CRAM-MD5\r\n*\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);
    }
    free(enc);
}

/* C37: the preferred mechanism fails on a plain connection: no fallback to PLAIN, LOGIN or USER. */
#define RFC2195_CHALLENGE "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
#define RFC2195_RESPONSE "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"

static void test_C37_no_plaintext_fallback(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C37/fails");
        script_greeting(s, "+OK\r\nUSER\r\nSASL CRAM-MD5 PLAIN LOGIN\r\n.\r\n");
        ps_expect(s, "AUTH CRAM-MD5\r\n");
        ps_send(s, "+ " RFC2195_CHALLENGE "\r\n");
        ps_expect(s, RFC2195_RESPONSE "\r\n");
        ps_send(s, "-ERR [AUTH] invalid credentials\r\n");
        HCLIENT h = open_session(s);
        assert_pop_fails(PopLogin(h, POP_AUTH_DEFAULT, "tim", "tanstaaftanstaaf"), INETKIT_ERROR_AUTH_FAILED);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nAUTH CRAM-MD5\r\n" RFC2195_RESPONSE "\r\nQUIT\r\n");
        ps_free(s);

        s = script(c, "C37/only-plaintext");
        script_greeting(s, "+OK\r\nUSER\r\nSASL PLAIN LOGIN XOAUTH2\r\n.\r\n");
        h = open_session(s);
        assert_pop_fails(PopLogin(h, POP_AUTH_DEFAULT, "tim", "tanstaaftanstaaf"), INETKIT_ERROR_AUTH_UNAVAILABLE);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* X12: OAuth: XOAUTH2 and OAUTHBEARER initial responses byte for byte; a
   token too long for one command line goes in a second step (RFC 5034, the
   Office 365 case); the JSON error challenge is answered empty and the
   failure reported as AUTH_FAILED; no token ever appears in the trace. */
static void INETKIT_CALL record_trace(HCLIENT h, DWORD direction, LPCSTR line, LPVOID param) {
    (void)h; (void)direction;
    char *log = param;
    size_t used = strlen(log);
    snprintf(log + used, 8192 - used, "%s\n", line);
}

static void test_X12_oauth(void **state) {
    (void)state;
    char long_token[301];
    memset(long_token, 'L', 300);
    long_token[300] = '\0';
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X12/xoauth2");
        script_greeting(s, "+OK\r\nUSER\r\nSASL XOAUTH2 OAUTHBEARER\r\n.\r\n");
        ps_expect(s, "AUTH XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHlhMjkuc2hvcnQtdG9rZW4BAQ==\r\n");
        ps_send(s, "+OK welcome\r\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, "+OK\r\nUSER\r\n.\r\n");
        HCLIENT h = open_session(s);
        static char log[8192];
        log[0] = '\0';
        assert_pop_ok(PopSetTraceCallback(h, record_trace, log));
        assert_pop_ok(PopLogin(h, POP_AUTH_XOAUTH2, USER, "ya29.short-token"));
        end_session(s, h);
        assert_script_ok(s);
        assert_null(strstr(log, "ya29"));
        assert_null(strstr(log, "dXNlcj11"));
        ps_free(s);

        s = script(c, "X12/two-step");
        script_greeting(s, "+OK\r\nUSER\r\nSASL XOAUTH2\r\n.\r\n");
        ps_expect(s, "AUTH XOAUTH2\r\n");
        ps_send(s, "+ \r\n");
        ps_expect(s, "dXNlcj11AWF1dGg9QmVhcmVyIExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTAEB\r\n");
        ps_send(s, "+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\r\n");
        ps_expect(s, "\r\n"); /* the error challenge is answered empty */
        ps_send(s, "-ERR [AUTH] invalid token\r\n");
        h = open_session(s);
        assert_pop_fails(PopLogin(h, POP_AUTH_XOAUTH2, USER, long_token), INETKIT_ERROR_AUTH_FAILED);
        assert_non_null(strstr(pop_message(), "invalid token"));
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);

        s = script(c, "X12/oauthbearer");
        script_greeting(s, "+OK\r\nUSER\r\nSASL OAUTHBEARER\r\n.\r\n");
        ps_expect(s, "AUTH OAUTHBEARER bixhPXUsAWF1dGg9QmVhcmVyIHlhMjkuc2hvcnQtdG9rZW4BAQ==\r\n");
        ps_send(s, "+OK welcome\r\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, "+OK\r\nUSER\r\n.\r\n");
        h = open_session(s);
        assert_pop_ok(PopLogin(h, POP_AUTH_OAUTHBEARER, USER, "ya29.short-token"));
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* X13: thread ownership of a Pop handle: another thread is refused with both
   thread ids named until PopAttachThread hands the handle over, and nothing
   is sent for the refused call. */
struct pop_handoff {
    HCLIENT h;
    DWORD owner, refused, previous, noop, returned;
    char message[1100];
};

static void *use_pop_elsewhere(void *arg) {
    struct pop_handoff *t = arg;
    t->refused = PopNoop(t->h);
    DWORD size = sizeof t->message;
    PopGetLastErrorMessage(t->message, &size);
    t->previous = PopAttachThread(t->h, 0);
    t->noop = PopNoop(t->h);
    t->returned = PopAttachThread(t->h, t->owner);
    return NULL;
}

static void test_X13_pop_thread_handoff(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X13");
        script_greeting(s, CAPA_BASIC);
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        struct pop_handoff t = {.h = h, .owner = (DWORD)syscall(SYS_gettid)};
        pthread_t worker;
        pthread_create(&worker, NULL, use_pop_elsewhere, &t);
        pthread_join(worker, NULL);
        assert_int_equal(t.refused, INETKIT_ERROR_WRONG_THREAD);
        char owner[32];
        snprintf(owner, sizeof owner, "thread %u", (unsigned)t.owner);
        assert_non_null(strstr(t.message, owner));
        assert_int_equal(t.previous, t.owner);
        assert_int_equal(t.noop, 0);
        assert_true(t.returned != 0 && t.returned != t.owner); /* the worker's id */
        end_session(s, h); /* owned by this thread again: QUIT is sent */
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* C38: RFC 2449/3206 response codes map to their own errors; the text is kept. */
static void test_C38_response_codes(void **state) {
    (void)state;
    static const struct { const char *reply; DWORD code; } cases[] = {
        {"-ERR [AUTH] bad password", INETKIT_ERROR_AUTH_FAILED},
        {"-ERR [IN-USE] mailbox locked by another session", INETKIT_ERROR_MAILBOX_IN_USE},
        {"-ERR [LOGIN-DELAY] wait a while", INETKIT_ERROR_LOGIN_DELAY},
        {"-ERR [SYS/TEMP] try again later", INETKIT_ERROR_SERVER_TEMPORARY},
        {"-ERR [SYS/PERM] account disabled", INETKIT_ERROR_SERVER_PERMANENT},
        {"-ERR invalid password", INETKIT_ERROR_AUTH_FAILED},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "C38");
        script_greeting(s, CAPA_BASIC);
        for (size_t i = 0; i < n; ++i) {
            ps_expect(s, "USER " USER "\r\n");
            ps_send(s, "+OK\r\n");
            ps_expect(s, "PASS " PASS "\r\n");
            ps_sendf(s, "%s\r\n", cases[i].reply);
        }
        ps_expect(s, "USER " USER "\r\n");
        ps_send(s, "-ERR [IN-USE] locked at USER\r\n");
        HCLIENT h = open_session(s);
        for (size_t i = 0; i < n; ++i) {
            DWORD rc = PopLogin(h, POP_AUTH_PASS, USER, PASS);
            if (rc != cases[i].code)
                fail_msg("%s '%s': %u, expected %u", where(), cases[i].reply, (unsigned)rc, (unsigned)cases[i].code);
            BOOL ok = TRUE;
            char reply[128];
            DWORD len = sizeof reply;
            assert_pop_ok(PopGetLastReply(h, &ok, reply, &len));
            assert_false(ok);
            assert_string_equal(reply, cases[i].reply);
        }
        assert_pop_fails(PopLogin(h, POP_AUTH_PASS, USER, PASS), INETKIT_ERROR_MAILBOX_IN_USE);
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
}

/* ---- D. API arguments -------------------------------------------------------------------------- */

/* D39: message 0, above the STAT count, or past INT_MAX: INVALID_PARAMETER, nothing sent. */
static void test_D39_bad_message_numbers(void **state) {
    (void)state;
    static const DWORD bad[] = {0, 3, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
    EACH_CHUNKING(c) {
        char *dir = make_temp_dir();
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/m.eml", dir);
        ps_script *s = script(c, "D39");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        ps_expect(s, "STAT\r\n");
        ps_send(s, "+OK 2 300\r\n");
        HCLIENT h = open_logged_in(s);
        DWORD count = 0;
        assert_pop_ok(PopGetMessageCount(h, &count, NULL));
        assert_int_equal(count, 2);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
            DWORD m = bad[i];
            char buf[64];
            DWORD n = sizeof buf;
            ULONGLONG size;
            sink_t k = {0};
            assert_pop_fails(PopGetMessage(h, m, buf, &n), INETKIT_ERROR_INVALID_PARAMETER);
            n = sizeof buf;
            assert_pop_fails(PopGetMessageHeaders(h, m, buf, &n), INETKIT_ERROR_INVALID_PARAMETER);
            n = sizeof buf;
            assert_pop_fails(PopGetMessageTop(h, m, 5, buf, &n), INETKIT_ERROR_INVALID_PARAMETER);
            assert_pop_fails(PopGetMessageSize(h, m, &size), INETKIT_ERROR_INVALID_PARAMETER);
            n = sizeof buf;
            assert_pop_fails(PopGetMessageUid(h, m, buf, &n), INETKIT_ERROR_INVALID_PARAMETER);
            assert_pop_fails(PopDeleteMessage(h, m), INETKIT_ERROR_INVALID_PARAMETER);
            assert_pop_fails(PopRetrieveMessage(h, m, sink_proc, &k), INETKIT_ERROR_INVALID_PARAMETER);
            assert_pop_fails(PopOpenMessage(h, m, POP_ALL_LINES), INETKIT_ERROR_INVALID_PARAMETER);
            assert_pop_fails(PopStoreMessage(h, m, path), INETKIT_ERROR_INVALID_PARAMETER);
            const DWORD list[] = {1, m};
            DWORD deleted = 99, stored = 99;
            assert_pop_fails(PopDeleteMessages(h, list, 2, &deleted), INETKIT_ERROR_INVALID_PARAMETER);
            assert_pop_fails(PopStoreMessages(h, list, 2, dir, &stored), INETKIT_ERROR_INVALID_PARAMETER);
            sink_free(&k);
        }
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nQUIT\r\n");
        assert_int_equal(count_dir_entries(dir, NULL, 0), 0);
        drop_temp_dir(dir);
        ps_free(s);
    }
}

/* D40: TOP with 4294967295 lines is sent as that decimal; the server's -ERR comes back. */
static void test_D40_top_max_lines(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "D40");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 100\r\n");
        ps_expect(s, "TOP 1 4294967295\r\n");
        ps_send(s, "-ERR line count out of range\r\n");
        HCLIENT h = open_logged_in(s);
        char buf[64];
        DWORD n = sizeof buf;
        assert_pop_fails(PopGetMessageTop(h, 1, 0xFFFFFFFFu, buf, &n), INETKIT_ERROR_SERVER_ERROR);
        BOOL ok = TRUE;
        char reply[64];
        DWORD len = sizeof reply;
        assert_pop_ok(PopGetLastReply(h, &ok, reply, &len));
        assert_false(ok);
        assert_string_equal(reply, "-ERR line count out of range");
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nTOP 1 4294967295\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* D41: NULL where a pointer or callback is required: INVALID_PARAMETER, no crash, nothing sent. */
static void test_D41_null_arguments(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        assert_true(PopConnect(NULL, 110, 1, 0, NULL) == INVALID_CLIENT);
        assert_int_equal(PopGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
        assert_true(PopConnect("127.0.0.1", 110, 1, 0x80000000u, NULL) == INVALID_CLIENT); /* unknown option bit */
        assert_int_equal(PopGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);

        ps_script *s = script(c, "D41");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 300\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        char buf[64];
        DWORD n = sizeof buf;
        assert_pop_fails(PopLogin(h, POP_AUTH_PASS, NULL, PASS), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopLogin(h, POP_AUTH_PASS, USER, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopLogin(h, 999, USER, PASS), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        assert_pop_fails(PopGetMessage(h, 1, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetMessageHeaders(h, 1, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetMessageTop(h, 1, 1, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetMessageSize(h, 1, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetMessageInfo(h, 1, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        POPMESSAGEINFO info;
        memset(&info, 0, sizeof info); /* dwSize 0 */
        assert_pop_fails(PopGetMessageInfo(h, 1, &info), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopRetrieveMessage(h, 1, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopStoreMessage(h, 1, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopStoreMessages(h, NULL, 2, "/tmp", NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopStoreMessages(h, NULL, 0, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopStoreNewMessages(h, NULL, "/tmp", NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopStoreNewMessages(h, "/tmp/seen", NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopDeleteMessages(h, NULL, 2, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopFindMessage(h, NULL, &n), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopFindMessage(h, "uid", NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopCommand(h, NULL, FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopCommand(h, "NOOP\r\nDELE 1", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopConfig(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopConfig(h, "NoSuchSetting=1"), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopConfig(h, "Timeout=banana"), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetCapabilities(h, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetCapability(h, NULL, buf, &n), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetSecurityInfo(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopRead(h, NULL, 10, &n), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_ok(PopGetMessageCount(h, NULL, NULL)); /* both NULL is allowed */
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);

        /* a buffer without its size: a caller's mistake, refused before any network traffic */
        s = script(c, "D41/size-pointer");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        h = open_logged_in(s);
        assert_pop_fails(PopGetMessageUid(h, 1, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        assert_pop_fails(PopGetLastReply(h, NULL, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "QUIT\r\n");
        ps_free(s);
    }
}

/* D42: output buffers too small: INSUFFICIENT_BUFFER with the size needed, nothing written. */
static void test_D42_small_buffers(void **state) {
    (void)state;
    static const char message[] = "Subject: small\r\n\r\nbody text\r\n";
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "D42");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 29\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 29\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 uid-one\r\n.\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_sendf(s, "+OK 29 octets\r\n%s.\r\n", message);
        HCLIENT h = open_logged_in(s);
        assert_pop_ok(PopListMessages(h, NULL));
        char buf[64];
        memset(buf, 'Z', sizeof buf);
        DWORD n = 7;
        assert_pop_fails(PopGetMessageUid(h, 1, buf, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(n, 8);
        for (size_t i = 0; i < sizeof buf; ++i) assert_int_equal(buf[i], 'Z');
        n = 0;
        assert_pop_fails(PopGetMessageUid(h, 1, NULL, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(n, 8);
        n = 8;
        assert_pop_ok(PopGetMessageUid(h, 1, buf, &n));
        assert_int_equal(n, 7);
        assert_string_equal(buf, "uid-one");

        /* the last reply and the capabilities */
        BOOL ok;
        DWORD need = 0;
        assert_pop_fails(PopGetLastReply(h, &ok, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_true(need > 3);
        memset(buf, 'Z', sizeof buf);
        n = need - 1;
        assert_true(n < sizeof buf);
        assert_pop_fails(PopGetLastReply(h, &ok, buf, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(n, need);
        for (size_t i = 0; i < sizeof buf; ++i) assert_int_equal(buf[i], 'Z');
        need = 0;
        assert_pop_fails(PopGetCapabilities(h, NULL, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(need, strlen("USER\nUIDL\nTOP\n") + 1);
        need = 2;
        memset(buf, 'Z', sizeof buf);
        assert_pop_fails(PopGetCapabilities(h, buf, &need), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        for (size_t i = 0; i < sizeof buf; ++i) assert_int_equal(buf[i], 'Z');

        /* a message: a byte count, no NUL; kept for the retry (one RETR on the wire) */
        memset(buf, 'Z', sizeof buf);
        n = 10;
        assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(n, sizeof message - 1);
        for (size_t i = 0; i < sizeof buf; ++i) assert_int_equal(buf[i], 'Z');
        n = sizeof message - 1;
        assert_pop_ok(PopGetMessage(h, 1, buf, &n));
        assert_bytes_equal(buf, n, message, sizeof message - 1);
        assert_int_equal(buf[sizeof message - 1], 'Z');

        /* the error strings */
        char small[4];
        DWORD sn = sizeof small;
        assert_int_equal(PopGetErrorString(INETKIT_ERROR_MAILBOX_IN_USE, small, &sn), INETKIT_ERROR_INSUFFICIENT_BUFFER);
        assert_int_equal(sn, strlen("The mailbox is in use by another session") + 1);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* D43: commands in the wrong state: INVALID_STATE, nothing sent. */
static void test_D43_wrong_state(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "D43");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 40\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\nline one\r\nline two\r\nline three\r\n.\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_session(s);
        char buf[64];
        DWORD n = sizeof buf;
        assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopDeleteMessage(h, 1), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopGetMessageCount(h, NULL, NULL), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopListMessages(h, NULL), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopOpenMessage(h, 1, POP_ALL_LINES), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopReset(h), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopRead(h, buf, sizeof buf, &n), INETKIT_ERROR_INVALID_STATE);
        assert_pop_ok(PopLogin(h, POP_AUTH_PASS, USER, PASS));
        assert_pop_fails(PopLogin(h, POP_AUTH_PASS, USER, PASS), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopRead(h, buf, sizeof buf, &n), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopCloseMessage(h), INETKIT_ERROR_INVALID_STATE);
        assert_pop_ok(PopOpenMessage(h, 1, POP_ALL_LINES));
        assert_pop_ok(PopRead(h, buf, 4, &n));
        assert_true(n > 0 && n <= 4);
        /* while a message is open, other commands fail (pop.h) */
        assert_pop_fails(PopGetMessageCount(h, NULL, NULL), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopOpenMessage(h, 1, POP_ALL_LINES), INETKIT_ERROR_INVALID_STATE);
        n = sizeof buf;
        assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopCommand(h, "NOOP", FALSE, NULL, NULL), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopNoop(h), INETKIT_ERROR_INVALID_STATE);
        assert_pop_fails(PopEnableUtf8(h), INETKIT_ERROR_INVALID_STATE);
        assert_pop_ok(PopCloseMessage(h)); /* reads and drops the rest */
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nRETR 1\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* ---- X. cases the catalogue lacks -------------------------------------------------------------- */

/* X1: a +OK greeting longer than the line cap is refused; one just under it is fine. */
static void test_X01_greeting_longer_than_cap(void **state) {
    (void)state;
    char *longtext = repeat('g', 9000), *oktext = repeat('h', 8000);
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X01/long");
        ps_sendf(s, "+OK %s\r\n", longtext);
        HCLIENT h = connect_to(s, 2, 0, NULL);
        assert_connect_fails2(h, INETKIT_ERROR_LINE_TOO_LONG, INETKIT_ERROR_RESPONSE_TOO_LARGE);
        ps_finish(s, 3000);
        assert_script_clean(s);
        assert_transcript(s, "");
        ps_free(s);

        s = script(c, "X01/ok");
        ps_sendf(s, "+OK %s\r\n", oktext);
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        h = open_session(s);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
    free(longtext);
    free(oktext);
}

/* X2: QUIT answered with garbage or -ERR: an error, never success; no second QUIT. */
static void test_X02_quit_reply_garbage(void **state) {
    (void)state;
    static const struct { const char *reply; DWORD code; } cases[] = {
        {"garbage\r\n", INETKIT_ERROR_PROTOCOL},
        {"-ERR some deleted messages not removed\r\n", INETKIT_ERROR_SERVER_ERROR},
    };
    EACH_CHUNKING(c) {
        for (size_t i = 0; i < 2; ++i) {
            ps_script *s = script(c, i ? "X02/err" : "X02/garbage");
            ps_set_quit_reply(s, NULL);
            script_greeting(s, CAPA_BASIC);
            script_login(s, CAPA_BASIC);
            script_stat(s, "+OK 1 100\r\n");
            ps_expect(s, "DELE 1\r\n");
            ps_send(s, "+OK\r\n");
            ps_expect(s, "QUIT\r\n");
            ps_send(s, cases[i].reply);
            ps_close(s);
            HCLIENT h = open_logged_in(s);
            assert_pop_ok(PopDeleteMessage(h, 1));
            assert_pop_fails(PopQuit(h), cases[i].code);
            /* the session is over after QUIT whatever the reply: later commands are refused */
            assert_pop_fails(PopNoop(h), INETKIT_ERROR_NOT_CONNECTED);
            end_session(s, h);
            assert_script_ok(s);
            assert_transcript(s, T_LOGIN "STAT\r\nDELE 1\r\nQUIT\r\n");
            ps_free(s);
        }
    }
}

/* X5: 8-bit bytes and a 100 KB line inside a message body pass untouched (the status-line cap
   does not apply to message text). */
static void test_X05_long_lines_and_8bit_in_body(void **state) {
    (void)state;
    size_t big = 100000;
    char *body = malloc(big + 64);
    size_t len = 0;
    len += (size_t)sprintf(body, "Subject: \xc3\xa9t\xc3\xa9\r\n\r\n\x80\xfe\xff\r\n");
    memset(body + len, 'L', big);
    len += big;
    memcpy(body + len, "\r\n", 2);
    len += 2;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X05");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 100100\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\n");
        ps_send_bytes(s, body, len);
        ps_send(s, ".\r\n");
        HCLIENT h = open_logged_in(s);
        sink_t k = {0};
        assert_pop_ok(PopRetrieveMessage(h, 1, sink_proc, &k));
        assert_bytes_equal(k.data, k.len, body, len);
        sink_free(&k);
        end_session(s, h);
        assert_script_ok(s);
        ps_free(s);
    }
    free(body);
}

/* X6: an unsolicited reply waiting before a command (no pipelining): PROTOCOL, the command not sent. */
static void test_X06_unsolicited_reply(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X06");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 100\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n+OK message 1 deleted\r\n");
        HCLIENT h = open_logged_in(s);
        assert_pop_ok(PopGetMessageCount(h, NULL, NULL));
        assert_pop_ok(PopNoop(h));
        sleep_ms(100);
        assert_pop_fails(PopDeleteMessage(h, 1), INETKIT_ERROR_PROTOCOL);
        end_session(s, h);
        assert_script_ok(s);
        assert_never_sent(s, "DELE");
        ps_free(s);
    }
}

/* X7: FIN or RST outside a message: CONNECTION_CLOSED / CONNECTION_RESET, then NOT_CONNECTED. */
static void test_X07_connection_lost_between_commands(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        for (int rst = 0; rst < 2; ++rst) {
            ps_script *s = script(c, rst ? "X07/rst" : "X07/fin");
            script_greeting(s, CAPA_BASIC);
            script_login(s, CAPA_BASIC);
            ps_expect(s, "STAT\r\n");
            ps_send(s, "+OK 2");
            if (rst) {
                ps_stall(s, 30);
                ps_reset(s);
            } else {
                ps_close(s);
            }
            HCLIENT h = open_logged_in(s);
            assert_pop_fails(PopGetMessageCount(h, NULL, NULL),
                             rst ? INETKIT_ERROR_CONNECTION_RESET : INETKIT_ERROR_CONNECTION_CLOSED);
            assert_pop_fails(PopNoop(h), INETKIT_ERROR_NOT_CONNECTED);
            end_session(s, h);
            assert_script_ok(s);
            if (!rst) assert_transcript(s, T_LOGIN "STAT\r\n");
            ps_free(s);
        }
    }
}

/* X8: -ERR with a response code to RETR: that code; the session stays usable. */
static void test_X08_retr_response_code(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X08");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 1 100\r\n");
        script_list_one(s, 1, 100);
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "-ERR [SYS/TEMP] storage unavailable\r\n");
        script_list_one(s, 1, 100);
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "-ERR no such message\r\n");
        ps_expect(s, "NOOP\r\n");
        ps_send(s, "+OK\r\n");
        HCLIENT h = open_logged_in(s);
        char buf[64];
        DWORD n = sizeof buf;
        assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_SERVER_TEMPORARY);
        n = sizeof buf;
        assert_pop_fails(PopGetMessage(h, 1, buf, &n), INETKIT_ERROR_SERVER_ERROR);
        assert_pop_ok(PopNoop(h));
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST 1\r\nRETR 1\r\nLIST 1\r\nRETR 1\r\nNOOP\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* X9: a bare "+OK" greeting (no text) is a valid greeting. */
static void test_X09_minimal_greeting(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        ps_script *s = script(c, "X09");
        ps_send(s, "+OK\r\n");
        ps_expect(s, "CAPA\r\n");
        ps_send(s, CAPA_BASIC);
        HCLIENT h = open_session(s);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, "CAPA\r\nQUIT\r\n");
        ps_free(s);
    }
}

/* X10: without PIPELINING the client sends no command while a reply is still arriving
   (RFC 2449: pipelining only when the server advertises it). */
static void test_X10_no_command_before_reply_complete(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        char *dir = make_temp_dir();
        ps_script *s = script(c, "X10");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 2 60\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 30\r\n2 30\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n");
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, "+OK\r\n");
        ps_expect_silence(s, 150);
        ps_send(s, "Subject: one\r\n\r\nbody\r\n.\r\n");
        ps_expect(s, "RETR 2\r\n");
        ps_send(s, "+OK\r\nSubject: two\r\n\r\nbody\r\n.\r\n");
        HCLIENT h = open_logged_in(s);
        DWORD stored = 0;
        assert_pop_ok(PopStoreMessages(h, NULL, 0, dir, &stored));
        assert_int_equal(stored, 2);
        end_session(s, h);
        assert_script_ok(s);
        assert_transcript(s, T_LOGIN "STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n");
        drop_temp_dir(dir);
        ps_free(s);
    }
}

/* X11: a hostile UIDL uid ("../../x", ".hidden") never becomes a path: such messages are stored
   as "<number>.eml" inside the directory; a plain uid names its file. */
static void test_X11_uid_is_not_a_path(void **state) {
    (void)state;
    EACH_CHUNKING(c) {
        char *dir = make_temp_dir();
        char inner[PATH_MAX - 64];
        snprintf(inner, sizeof inner, "%s/a/b", dir);
        char mid[PATH_MAX];
        snprintf(mid, sizeof mid, "%s/a", dir);
        assert_int_equal(mkdir(mid, 0700), 0);
        assert_int_equal(mkdir(inner, 0700), 0);
        ps_script *s = script(c, "X11");
        script_greeting(s, CAPA_BASIC);
        script_login(s, CAPA_BASIC);
        script_stat(s, "+OK 3 90\r\n");
        ps_expect(s, "LIST\r\n");
        ps_send(s, "+OK\r\n1 30\r\n2 30\r\n3 30\r\n.\r\n");
        ps_expect(s, "UIDL\r\n");
        ps_send(s, "+OK\r\n1 ../../evil\r\n2 .hidden\r\n3 good-uid_1.x\r\n.\r\n");
        for (int m = 1; m <= 3; ++m) {
            char line[32];
            snprintf(line, sizeof line, "RETR %d\r\n", m);
            ps_expect(s, line);
            ps_sendf(s, "+OK\r\nSubject: %d\r\n\r\nbody\r\n.\r\n", m);
        }
        HCLIENT h = open_logged_in(s);
        DWORD stored = 0;
        assert_pop_ok(PopStoreMessages(h, NULL, 0, inner, &stored));
        assert_int_equal(stored, 3);
        end_session(s, h);
        assert_script_ok(s);
        char names[512];
        count_dir_entries(inner, names, sizeof names);
        char path[PATH_MAX];
        /* Unsafe bytes are percent-encoded: the name stays in the directory. */
        snprintf(path, sizeof path, "%s/%%2E.%%2F..%%2Fevil.eml", inner);
        if (file_size(path) <= 0) fail_msg("%s no %%2E.%%2F..%%2Fevil.eml; the directory holds: %s", where(), names);
        snprintf(path, sizeof path, "%s/%%2Ehidden.eml", inner);
        if (file_size(path) <= 0) fail_msg("%s no %%2Ehidden.eml; the directory holds: %s", where(), names);
        snprintf(path, sizeof path, "%s/good-uid_1.x.eml", inner);
        if (file_size(path) <= 0) fail_msg("%s no good-uid_1.x.eml; the directory holds: %s", where(), names);
        assert_int_equal(count_dir_entries(inner, NULL, 0), 3);
        assert_int_equal(count_dir_entries(mid, NULL, 0), 1);   /* only b */
        assert_int_equal(count_dir_entries(dir, NULL, 0), 1);   /* only a */
        drop_temp_dir(dir);
        ps_free(s);
    }
}

/* ---- the suite ------------------------------------------------------------------------------------ */

static int group_setup(void **state) {
    (void)state;
    if (PopInitialize() != 0) return -1;
    if (tls_pki_setup() != 0) return -1;
    ps_set_tls_files(pki("server.pem"), pki("server.key"));
    ps_base_seed(); /* logs the seed */
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    ps_cleanup_all();
    tls_pki_cleanup();
    fprintf(stderr, "pop_script: scripts played: %u one-byte, %u whole, %u random (INETKIT_SCRIPT_SEED=%llu)\n",
            ps_runs(PS_ONE_BYTE), ps_runs(PS_WHOLE), ps_runs(PS_RANDOM), (unsigned long long)ps_base_seed());
    return PopUninitialize() == 0 ? 0 : -1;
}

static int test_teardown(void **state) {
    (void)state;
    ps_cleanup_all();
    for (size_t i = 0; i < sizeof temp_dirs_ / sizeof temp_dirs_[0]; ++i)
        if (temp_dirs_[i] != NULL) drop_temp_dir(temp_dirs_[i]);
    current_ = NULL;
    return 0;
}

#define HOSTILE_TEST(f) cmocka_unit_test_teardown(f, test_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        HOSTILE_TEST(test_A01_line_without_lf_is_capped),
        HOSTILE_TEST(test_A02_err_greeting),
        HOSTILE_TEST(test_A03_not_a_pop3_greeting),
        HOSTILE_TEST(test_A04_empty_or_missing_greeting),
        HOSTILE_TEST(test_A05_nul_in_response_line),
        HOSTILE_TEST(test_A06_bare_cr_is_not_a_line_end),
        HOSTILE_TEST(test_A07_lf_only_status_lines),
        HOSTILE_TEST(test_A08_dot_unstuffing),
        HOSTILE_TEST(test_A09_terminator_split_everywhere),
        HOSTILE_TEST(test_A10_connection_lost_mid_message),
        HOSTILE_TEST(test_A11_endless_multiline),
        HOSTILE_TEST(test_A12_slowloris),
        HOSTILE_TEST(test_A13_bad_stat),
        HOSTILE_TEST(test_A14_list_size_over_32_bits),
        HOSTILE_TEST(test_A15_bad_list_lines),
        HOSTILE_TEST(test_A16_bad_uidl_lines),
        HOSTILE_TEST(test_X18_huge_stat_count),
        HOSTILE_TEST(test_A17_huge_capa),
        HOSTILE_TEST(test_A18_capa_err),
        HOSTILE_TEST(test_A19_pipelining_mismatch),
        HOSTILE_TEST(test_A20_dele_err),
        HOSTILE_TEST(test_A21_empty_message),
        HOSTILE_TEST(test_A22_big_message_bounded_memory),
        HOSTILE_TEST(test_B23_stls_injection_same_segment),
        HOSTILE_TEST(test_B24_stls_injection_later_segment),
        HOSTILE_TEST(test_B25_stls_not_offered),
        HOSTILE_TEST(test_B26_stls_refused),
        HOSTILE_TEST(test_B27_stls_stall),
        HOSTILE_TEST(test_B28_implicit_tls_plaintext_server),
        HOSTILE_TEST(test_X12_oauth),
        HOSTILE_TEST(test_X13_pop_thread_handoff),
        HOSTILE_TEST(test_B29_second_stls),
        HOSTILE_TEST(test_B30_apop_after_stls),
        HOSTILE_TEST(test_C31_crlf_in_credentials),
        HOSTILE_TEST(test_C32_overlong_credentials),
        HOSTILE_TEST(test_C33_huge_credentials),
        HOSTILE_TEST(test_C34_sasl_rubbish_challenge),
        HOSTILE_TEST(test_C35_sasl_bare_continuation),
        HOSTILE_TEST(test_C36_sasl_oversized_or_nul_challenge),
        HOSTILE_TEST(test_C37_no_plaintext_fallback),
        HOSTILE_TEST(test_C38_response_codes),
        HOSTILE_TEST(test_D39_bad_message_numbers),
        HOSTILE_TEST(test_D40_top_max_lines),
        HOSTILE_TEST(test_D41_null_arguments),
        HOSTILE_TEST(test_D42_small_buffers),
        HOSTILE_TEST(test_D43_wrong_state),
        HOSTILE_TEST(test_X01_greeting_longer_than_cap),
        HOSTILE_TEST(test_X02_quit_reply_garbage),
        HOSTILE_TEST(test_X05_long_lines_and_8bit_in_body),
        HOSTILE_TEST(test_X06_unsolicited_reply),
        HOSTILE_TEST(test_X07_connection_lost_between_commands),
        HOSTILE_TEST(test_X08_retr_response_code),
        HOSTILE_TEST(test_X09_minimal_greeting),
        HOSTILE_TEST(test_X10_no_command_before_reply_complete),
        HOSTILE_TEST(test_X11_uid_is_not_a_path),
    };
    const char *only = getenv("POP_HOSTILE_CHUNKING");
    if (only != NULL && *only != '\0') {
        for (int c = 0; c < PS_CHUNKINGS; ++c)
            if (strcmp(only, ps_chunking_name((ps_chunking)c)) == 0) only_chunking_ = c;
        if (only_chunking_ < 0) {
            fprintf(stderr, "POP_HOSTILE_CHUNKING is one-byte, whole or random\n");
            return 2;
        }
    }
    /* POP_HOSTILE_FILTER="test_A1*" runs a subset */
    const char *filter = getenv("POP_HOSTILE_FILTER");
    if (filter != NULL && *filter != '\0') cmocka_set_test_filter(filter);
    const char *skip_filter = getenv("POP_HOSTILE_SKIP"); /* e.g. "test_C37*" */
    if (skip_filter != NULL && *skip_filter != '\0') cmocka_set_skip_filter(skip_filter);
    return cmocka_run_group_tests_name("pop_hostile", tests, group_setup, group_teardown);
}
