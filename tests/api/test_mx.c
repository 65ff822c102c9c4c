/*
 * The Mx family through the shared library and inetkit/mx.h only:
 *  - against a real authoritative server (Knot) and a real recursive resolver
 *    (unbound) started once for this binary by tests/mx/dns.sh (the zone is
 *    documented at the top of that script): delivery plans, TTLs, the AA bit,
 *    CNAMEs, NXDOMAIN/NODATA, null MX, implicit MX, IDN, large answers over
 *    TCP, addresses, synchronous and asynchronous use, 10,000 requests in flight;
 *  - against the scripted hostile server of tests/support/dns_script.h: the
 *    DNS/MX section E (items 44-58) of the reliability catalogue and the wire
 *    details the header promises (EDNS, A-labels, TCP fallback, modes);
 *  - the API surface: every Config setting, properties, the size-query idiom,
 *    NULL pointers, handle misuse, threads and callbacks.
 *
 * Set INETKIT_KEEP_DNS=1 to keep the Knot/unbound directory (logs, zone).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "dns_fixture.h"
#include "inetkit_test.h"
#include "dns_script.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

static char self_path_[PATH_MAX];

static int group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (dns_fixture_start() != 0) return -1;
    if (MxInitialize() != 0 || InetInitialize() != 0 || PopInitialize() != 0) {
        dns_fixture_stop();
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    DWORD rc = MxUninitialize();
    InetUninitialize();
    PopUninitialize();
    dns_fixture_stop();
    return rc == 0 ? 0 : -1;
}

/* ---- errors and assertions --------------------------------------------------------------- */

static const char *mx_message(void) {
    static __thread char text[1100];
    DWORD size = sizeof text;
    if (MxGetLastErrorMessage(text, &size) != 0) snprintf(text, sizeof text, "<message unavailable>");
    return text;
}

/* The hostile server of the running test, described in failure messages. */
static ds_server *current_;

static const char *where(void) {
    static __thread char text[9000];
    if (current_ == NULL) return "";
    snprintf(text, sizeof text, "[%s]\n ", ds_describe(current_));
    return text;
}

#define MX_OK(call)                                                                                  \
    do {                                                                                             \
        DWORD rc_ = (call);                                                                          \
        if (rc_ != 0) fail_msg("%s%s returned %u: %s", where(), #call, (unsigned)rc_, mx_message()); \
    } while (0)

#define MX_FAILS(call, code)                                                                         \
    do {                                                                                             \
        DWORD rc_ = (call);                                                                          \
        if (rc_ != (DWORD)(code))                                                                    \
            fail_msg("%s%s returned %u (%s), expected %u", where(), #call, (unsigned)rc_, mx_message(), \
                     (unsigned)(code));                                                              \
        if (MxGetLastError() != (DWORD)(code))                                                       \
            fail_msg("%s%s: last error %u, expected %u", where(), #call, (unsigned)MxGetLastError(),  \
                     (unsigned)(code));                                                              \
    } while (0)

#define CHECK(cond, ...)                                                                             \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            char msg_[20000];                                                                        \
            snprintf(msg_, sizeof msg_, __VA_ARGS__);                                             \
            fail_msg("%s%s: %s", where(), #cond, msg_);                                              \
        }                                                                                            \
    } while (0)

/* ---- handles ------------------------------------------------------------------------------- */

static HCLIENT handles_[64];

static HCLIENT track(HCLIENT h) {
    if (h == INVALID_CLIENT) fail_msg("MxCreate failed: %u %s", (unsigned)MxGetLastError(), mx_message());
    for (size_t i = 0; i < sizeof handles_ / sizeof handles_[0]; ++i)
        if (handles_[i] == INVALID_CLIENT) {
            handles_[i] = h;
            return h;
        }
    fail_msg("too many handles in one test");
    return h;
}

static void untrack(HCLIENT h) {
    for (size_t i = 0; i < sizeof handles_ / sizeof handles_[0]; ++i)
        if (handles_[i] == h) handles_[i] = INVALID_CLIENT;
}

static void destroy(HCLIENT h) {
    untrack(h);
    MX_OK(MxDestroy(h));
}

/* A handle asking servers ("" = the system's), synchronous with a 10 s bound. */
static HCLIENT mx_new_opt(const char *servers, DWORD options) {
    HCLIENT h = track(MxCreate(options));
    if (servers != NULL) MX_OK(MxSetDnsServer(h, servers));
    MX_OK(MxSetTimeout(h, 10));
    return h;
}
static HCLIENT mx_new(const char *servers) { return mx_new_opt(servers, MX_OPTION_NONE); }

static void config(HCLIENT h, const char *setting) { MX_OK(MxConfig(h, setting)); }

/* A handle on a hostile server: short query timeouts, one retry. */
static HCLIENT hostile_handle(ds_server *s) {
    HCLIENT h = mx_new(ds_address(s));
    config(h, "QueryTimeout=300");
    config(h, "Retries=1");
    MX_OK(MxSetTimeout(h, 5));
    return h;
}

static int test_setup(void **state) {
    (void)state;
    current_ = NULL;
    return 0;
}

static int test_teardown(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof handles_ / sizeof handles_[0]; ++i)
        if (handles_[i] != INVALID_CLIENT) {
            MxDestroy(handles_[i]);
            handles_[i] = INVALID_CLIENT;
        }
    ds_cleanup_all();
    current_ = NULL;
    return 0;
}

/* ---- results -------------------------------------------------------------------------------- */

typedef struct {
    DWORD rc;           /* what MxResolve returned */
    DWORD id;           /* the request id it gave */
    double seconds;     /* how long MxResolve took */
    DWORD result_rc;    /* MxGetResult's return */
    MXRESULT res;
    DWORD count;        /* MxGetRecordCount */
    MXRECORD *rec;      /* count records from MxGetRecord */
    char message[1100]; /* the last-error message MxResolve left */
} outcome;

static outcome out_;
static const char *esc(const char *text);

static void read_current(HCLIENT h, outcome *o) {
    free(o->rec);
    o->rec = NULL;
    memset(&o->res, 0, sizeof o->res);
    o->res.dwSize = sizeof o->res;
    o->result_rc = MxGetResult(h, &o->res);
    o->count = 0;
    MX_OK(MxGetRecordCount(h, &o->count));
    o->rec = calloc(o->count + 1, sizeof *o->rec);
    for (DWORD i = 0; i < o->count; ++i) {
        o->rec[i].dwSize = sizeof o->rec[i];
        MX_OK(MxGetRecord(h, i, &o->rec[i]));
    }
}

/* MxResolve (synchronous on h) and the current result it leaves. */
static outcome *resolve(HCLIENT h, const char *address) {
    outcome *o = &out_;
    o->id = 0xDEADBEEF;
    double t0 = seconds_now();
    o->rc = MxResolve(h, address, &o->id);
    o->seconds = seconds_now() - t0;
    DWORD last = MxGetLastError();
    snprintf(o->message, sizeof o->message, "%s", mx_message());
    if (last != o->rc) fail_msg("%sMxResolve(%s) returned %u but the last error is %u (%s)", where(), esc(address),
                                (unsigned)o->rc, (unsigned)last, o->message);
    read_current(h, o);
    return o;
}

static const char *describe_outcome(const outcome *o) {
    static __thread char text[16384];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "rc=%u id=%u %.3fs result: rc=%u error=%u status=%u count=%u flags=0x%x domain='%s' "
                                "cname='%s' server='%s' status='%s'",
                                (unsigned)o->rc, (unsigned)o->id, o->seconds, (unsigned)o->result_rc,
                                (unsigned)o->res.dwError, (unsigned)o->res.dwStatusCode, (unsigned)o->res.dwCount,
                                (unsigned)o->res.dwFlags, o->res.szDomain, o->res.szCanonicalName,
                                o->res.szDnsServer, o->res.szStatus);
    for (DWORD i = 0; i < o->count && i < 12 && n + 400 < sizeof text; ++i)
        n += (size_t)snprintf(text + n, sizeof text - n, "\n   [%u] %u %s ttl=%u aa=%d flags=0x%x addrs=%u",
                              (unsigned)i, (unsigned)o->rec[i].dwPrecedence, o->rec[i].szMailServer,
                              (unsigned)o->rec[i].dwTimeToLive, (int)o->rec[i].bAuthoritative,
                              (unsigned)o->rec[i].dwFlags, (unsigned)o->rec[i].dwAddressCount);
    return text;
}

/* The outcome must be success with count records. */
#define EXPECT_OK(o, n)                                                                              \
    do {                                                                                             \
        if ((o)->rc != 0 || (o)->res.dwError != 0 || (o)->count != (DWORD)(n))                       \
            fail_msg("%sexpected success with %u records: %s", where(), (unsigned)(n), describe_outcome(o)); \
    } while (0)

#define EXPECT_ERR(o, code)                                                                          \
    do {                                                                                             \
        if ((o)->rc != (DWORD)(code) || (o)->res.dwError != (DWORD)(code))                           \
            fail_msg("%sexpected error %u: %s", where(), (unsigned)(code), describe_outcome(o));     \
    } while (0)

/* ---- events ---------------------------------------------------------------------------------- */

#define EV_MAX 256

typedef struct {
    HCLIENT h;
    int responses, errors;
    MXRECORD rec[EV_MAX];
    MXADDRESS addr[EV_MAX][8];
    DWORD tid;              /* thread the callbacks must run on */
    int other_thread;       /* a callback ran elsewhere */
    int bad_size;           /* dwSize fields wrong */
    DWORD err_id[EV_MAX], err_code[EV_MAX], err_status[EV_MAX];
    char err_domain[EV_MAX][256];
    char err_desc[EV_MAX][512];
    /* reentrancy probes (set by the tests) */
    int probe_reentrancy;
    DWORD reentrant_get, reentrant_resolve, reentrant_interrupt;
    int destroy_in_callback;
    int calls_after_destroy;
    int destroyed;
} events;

static events ev_;

static void INETKIT_CALL on_response(HCLIENT h, const MXRECORD *r, const MXADDRESS *a, LPVOID param) {
    events *e = param;
    if (e->destroyed) e->calls_after_destroy++;
    if (current_tid() != e->tid) e->other_thread = 1;
    if (r->dwSize != sizeof(MXRECORD)) e->bad_size = 1;
    if (e->responses < EV_MAX) {
        e->rec[e->responses] = *r;
        for (DWORD i = 0; i < r->dwAddressCount && i < 8; ++i) {
            e->addr[e->responses][i] = a[i];
            if (a[i].dwSize != sizeof(MXADDRESS)) e->bad_size = 1;
        }
    }
    e->responses++;
    if (e->probe_reentrancy) {
        DWORD count = 0;
        e->reentrant_get = MxGetRecordCount(h, &count);
        e->reentrant_resolve = MxResolve(h, "multi.mx.test", NULL);
        e->reentrant_interrupt = MxInterrupt(h);
        e->probe_reentrancy = 0;
    }
    if (e->destroy_in_callback) {
        e->destroy_in_callback = 0;
        MxDestroy(h);
        e->destroyed = 1;
    }
}

static void INETKIT_CALL on_error(HCLIENT h, DWORD id, LPCSTR domain, DWORD code, DWORD status, LPCSTR desc,
                                  LPVOID param) {
    (void)h;
    events *e = param;
    if (e->destroyed) e->calls_after_destroy++;
    if (current_tid() != e->tid) e->other_thread = 1;
    if (e->errors < EV_MAX) {
        e->err_id[e->errors] = id;
        e->err_code[e->errors] = code;
        e->err_status[e->errors] = status;
        snprintf(e->err_domain[e->errors], 256, "%s", domain ? domain : "(null)");
        snprintf(e->err_desc[e->errors], 512, "%s", desc ? desc : "(null)");
    }
    e->errors++;
    if (e->destroy_in_callback) {
        e->destroy_in_callback = 0;
        MxDestroy(h);
        e->destroyed = 1;
    }
}

static events *listen_events(HCLIENT h) {
    memset(&ev_, 0, sizeof ev_);
    ev_.h = h;
    ev_.tid = current_tid();
    MX_OK(MxSetResponseCallback(h, on_response, &ev_));
    MX_OK(MxSetErrorCallback(h, on_error, &ev_));
    return &ev_;
}

static void reset_events(events *e) {
    HCLIENT h = e->h;
    DWORD tid = e->tid;
    memset(e, 0, sizeof *e);
    e->h = h;
    e->tid = tid;
}

/* ---- small helpers ---------------------------------------------------------------------------- */

static void get_string(DWORD (*fn)(HCLIENT, LPSTR, LPDWORD), HCLIENT h, char *buf, DWORD size) {
    DWORD n = size;
    DWORD rc = fn(h, buf, &n);
    if (rc != 0) fail_msg("string getter returned %u: %s", (unsigned)rc, mx_message());
    if (n != strlen(buf)) fail_msg("string getter set the length %u for '%s'", (unsigned)n, buf);
}

static void get_config(HCLIENT h, const char *name, char *buf, DWORD size) {
    DWORD n = size;
    DWORD rc = MxGetConfig(h, name, buf, &n);
    if (rc != 0) fail_msg("MxGetConfig(%s) returned %u: %s", name, (unsigned)rc, mx_message());
    if (n != strlen(buf)) fail_msg("MxGetConfig(%s) set the length %u for '%s'", name, (unsigned)n, buf);
}

static void expect_config(HCLIENT h, const char *name, const char *value) {
    char buf[512];
    get_config(h, name, buf, sizeof buf);
    if (strcmp(buf, value) != 0) fail_msg("MxGetConfig(%s) = '%s', expected '%s'", name, buf, value);
}

static int record_index(const outcome *o, const char *server) {
    for (DWORD i = 0; i < o->count; ++i)
        if (strcmp(o->rec[i].szMailServer, server) == 0) return (int)i;
    return -1;
}

/* The exchangers of o joined with spaces. */
static const char *order_of(const outcome *o) {
    static __thread char text[8192];
    size_t n = 0;
    text[0] = '\0';
    for (DWORD i = 0; i < o->count && n + 300 < sizeof text; ++i)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", i ? " " : "", o->rec[i].szMailServer);
    return text;
}

/* Control and 8-bit bytes of text as \xNN (lives until 4 more calls). */
static const char *esc(const char *text) {
    static __thread char bufs[4][1600];
    static __thread unsigned next;
    char *b = bufs[next++ % 4];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < sizeof bufs[0]; ++p) {
        if (*p < 0x20 || *p >= 0x7f) n += (size_t)snprintf(b + n, sizeof bufs[0] - n, "\\x%02x", *p);
        else b[n++] = (char)*p;
    }
    b[n] = '\0';
    return b;
}

static unsigned free_udp_port(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* A hostile server that answers every MX query with the MX records given (pref, name pairs),
   AA, and A/AAAA queries with NODATA. */
static ds_server *mx_server(const char *name, int n, const unsigned *prefs, const char *const *targets) {
    ds_server *s = ds_new(name);
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    for (int i = 0; i < n; ++i) ds_rr_mx(p, NULL, 300, prefs[i], targets[i]);
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_A), DS_NOERROR, DS_AA);
    ds_rr_soa(p, "hostile.test", 60);
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_AAAA), DS_NOERROR, DS_AA);
    ds_rr_soa(p, "hostile.test", 60);
    return s;
}

static void start(ds_server *s) {
    if (ds_start(s) == 0) fail_msg("cannot start the hostile server %s", ds_describe(s));
}

/* ==== through Knot and unbound ================================================================ */

static const char *const multi_twenties[3] = {"mx2a.multi.mx.test", "mx2b.multi.mx.test", "mx2c.multi.mx.test"};

/* The plan for multi.mx.test: 10 mx1, three 20s in some order, 30 mx3. */
static void check_multi(const outcome *o, int authoritative, DWORD ttl_max, DWORD ttl_min) {
    EXPECT_OK(o, 5);
    static const DWORD prefs[5] = {10, 20, 20, 20, 30};
    int seen20[3] = {0, 0, 0};
    for (DWORD i = 0; i < 5; ++i) {
        const MXRECORD *r = &o->rec[i];
        CHECK(r->dwSize == sizeof(MXRECORD), "record %u dwSize %u", (unsigned)i, (unsigned)r->dwSize);
        CHECK(r->dwIndex == i, "record %u has dwIndex %u", (unsigned)i, (unsigned)r->dwIndex);
        CHECK(r->dwCount == 5, "record %u has dwCount %u", (unsigned)i, (unsigned)r->dwCount);
        CHECK(r->dwRequestId == o->id, "record %u has id %u, request %u", (unsigned)i, (unsigned)r->dwRequestId,
              (unsigned)o->id);
        CHECK(r->dwPrecedence == prefs[i], "order: %s", describe_outcome(o));
        CHECK(r->dwTimeToLive <= ttl_max && r->dwTimeToLive >= ttl_min, "ttl %u not in [%u, %u]",
              (unsigned)r->dwTimeToLive, (unsigned)ttl_min, (unsigned)ttl_max);
        CHECK(r->dwStatusCode == MX_STATUS_OK, "status %u", (unsigned)r->dwStatusCode);
        CHECK(strcmp(r->szDescription, "Ok") == 0, "description '%s'", r->szDescription);
        CHECK((r->bAuthoritative != 0) == (authoritative != 0), "bAuthoritative %d", (int)r->bAuthoritative);
        CHECK(r->dwFlags == 0, "record flags 0x%x", (unsigned)r->dwFlags);
        CHECK(r->dwAddressCount == 0, "addresses %u without ResolveAddresses", (unsigned)r->dwAddressCount);
        CHECK(strcmp(r->szDomain, "multi.mx.test") == 0, "szDomain '%s'", r->szDomain);
        if (prefs[i] == 20) {
            int k = -1;
            for (int j = 0; j < 3; ++j)
                if (strcmp(r->szMailServer, multi_twenties[j]) == 0) k = j;
            CHECK(k >= 0 && !seen20[k], "unexpected or repeated exchanger: %s", describe_outcome(o));
            seen20[k] = 1;
        }
    }
    CHECK(strcmp(o->rec[0].szMailServer, "mx1.multi.mx.test") == 0, "%s", describe_outcome(o));
    CHECK(strcmp(o->rec[4].szMailServer, "mx3.multi.mx.test") == 0, "%s", describe_outcome(o));
    const MXRESULT *res = &o->res;
    CHECK(o->result_rc == 0, "MxGetResult returned %u", (unsigned)o->result_rc);
    CHECK(res->dwSize == sizeof(MXRESULT), "dwSize %u", (unsigned)res->dwSize);
    CHECK(res->dwRequestId == o->id, "result id %u, request %u", (unsigned)res->dwRequestId, (unsigned)o->id);
    CHECK(res->dwStatusCode == MX_STATUS_OK, "status %u", (unsigned)res->dwStatusCode);
    CHECK(res->dwCount == 5, "dwCount %u", (unsigned)res->dwCount);
    CHECK(res->dwFlags == (authoritative ? MX_RESULT_AUTHORITATIVE : 0u), "result flags 0x%x",
          (unsigned)res->dwFlags);
    CHECK(res->dwElapsed <= (DWORD)(o->seconds * 1000 + 50), "dwElapsed %u after %.3f s", (unsigned)res->dwElapsed,
          o->seconds);
    CHECK(strcmp(res->szCanonicalName, "") == 0, "szCanonicalName '%s'", res->szCanonicalName);
    CHECK(strcmp(res->szStatus, "OK") == 0, "szStatus '%s'", res->szStatus);
}

static void test_multi_knot_sync(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    events *e = listen_events(h);
    outcome *o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
    CHECK(o->id == 1, "the first request id is %u", (unsigned)o->id);
    CHECK(strcmp(o->res.szDomain, "multi.mx.test") == 0, "szDomain '%s'", o->res.szDomain);
    CHECK(strcmp(o->res.szDnsServer, knot_) == 0, "szDnsServer '%s', expected '%s'", o->res.szDnsServer, knot_);
    /* The events: one Response per exchanger, in order, on this thread, before MxResolve returned. */
    CHECK(e->responses == 5 && e->errors == 0, "responses %d errors %d", e->responses, e->errors);
    CHECK(!e->other_thread && !e->bad_size, "other thread %d, bad size %d", e->other_thread, e->bad_size);
    for (int i = 0; i < 5; ++i)
        CHECK(memcmp(&e->rec[i], &o->rec[i], sizeof(MXRECORD)) == 0,
              "event %d differs from MxGetRecord: %s/%u vs %s/%u", i, e->rec[i].szMailServer,
              (unsigned)e->rec[i].dwIndex, o->rec[i].szMailServer, (unsigned)o->rec[i].dwIndex);
    /* The pull twins. */
    char text[600];
    get_string(MxGetMailServer, h, text, sizeof text);
    CHECK(strcmp(text, "mx1.multi.mx.test") == 0, "MxGetMailServer '%s'", text);
    get_string(MxGetStatus, h, text, sizeof text);
    CHECK(strcmp(text, "OK") == 0, "MxGetStatus '%s'", text);
    MXRECORD r;
    r.dwSize = sizeof r;
    MX_FAILS(MxGetRecord(h, 5, &r), INETKIT_ERROR_NOT_FOUND);
    MXADDRESS a;
    a.dwSize = sizeof a;
    MX_FAILS(MxGetRecordAddress(h, 0, 0, &a), INETKIT_ERROR_NOT_FOUND);
    DWORD next = 0;
    MX_OK(MxGetRequestId(h, &next));
    CHECK(next == 2, "RequestId after one request: %u", (unsigned)next);
    /* A second request: the id moves on, the result replaces the first. */
    o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
    CHECK(o->id == 2, "the second request id is %u", (unsigned)o->id);
}

static void test_multi_unbound_sync(void **state) {
    (void)state;
    HCLIENT h = mx_new(unbound_);
    events *e = listen_events(h);
    outcome *o = resolve(h, "multi.mx.test");
    check_multi(o, 0, 3600, 3000);
    CHECK(strcmp(o->res.szDnsServer, unbound_) == 0, "szDnsServer '%s'", o->res.szDnsServer);
    CHECK(e->responses == 5, "responses %d", e->responses);
    /* Every kind of answer through a recursive resolver too. */
    o = resolve(h, "nosuch.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_HOST_NOT_FOUND);
    CHECK(o->res.dwStatusCode == MX_STATUS_NAME_ERROR, "status %u", (unsigned)o->res.dwStatusCode);
    o = resolve(h, "alias.mx.test");
    EXPECT_OK(o, 5);
    CHECK(o->res.dwFlags == MX_RESULT_CNAME, "flags 0x%x", (unsigned)o->res.dwFlags);
    CHECK(strcmp(o->res.szCanonicalName, "multi.mx.test") == 0, "%s", describe_outcome(o));
    o = resolve(h, "big.mx.test");
    EXPECT_OK(o, 64);
    CHECK(o->res.dwFlags == (MX_RESULT_TRUNCATED | MX_RESULT_RECORDS_DROPPED), "%s", describe_outcome(o));
    o = resolve(h, "nullmx.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NULL_MX);
    o = resolve(h, "implicit.mx.test");
    EXPECT_OK(o, 1);
    CHECK(o->rec[0].dwFlags == MX_RECORD_IMPLICIT && o->rec[0].bAuthoritative == FALSE, "%s", describe_outcome(o));
    o = resolve(h, "txtonly.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
}

/* The order of equal.mx.test's eight exchangers under a handle set up by the caller. */
static void equal_order(HCLIENT h, char *order, size_t size) {
    outcome *o = resolve(h, "equal.mx.test");
    EXPECT_OK(o, 8);
    int seen[9] = {0};
    for (DWORD i = 0; i < 8; ++i) {
        unsigned k = 0;
        CHECK(o->rec[i].dwPrecedence == 10, "%s", describe_outcome(o));
        CHECK(sscanf(o->rec[i].szMailServer, "e%u.equal.mx.test", &k) == 1 && k >= 1 && k <= 8 && !seen[k],
              "%s", describe_outcome(o));
        seen[k] = 1;
    }
    snprintf(order, size, "%s", order_of(o));
}

static void test_equal_preferences_shuffle(void **state) {
    (void)state;
    char first[2048], again[2048], other[2048];
    /* The same seed gives the same order, on a fresh handle and after setting it again. */
    HCLIENT h = mx_new(knot_);
    config(h, "ShuffleSeed=1234");
    equal_order(h, first, sizeof first);
    HCLIENT h2 = mx_new(knot_);
    config(h2, "ShuffleSeed=1234");
    equal_order(h2, again, sizeof again);
    CHECK(strcmp(first, again) == 0, "seed 1234 gave '%s' then '%s'", first, again);
    config(h, "ShuffleSeed=1234");
    equal_order(h, again, sizeof again);
    CHECK(strcmp(first, again) == 0, "seed 1234 set again gave '%s' then '%s'", first, again);
    /* Different seeds give different orders (8! orders: eight seeds all alike would be a bug). */
    int distinct = 0;
    for (int seed = 1; seed <= 8; ++seed) {
        char setting[64];
        snprintf(setting, sizeof setting, "ShuffleSeed=%d", seed);
        config(h2, setting);
        equal_order(h2, other, sizeof other);
        distinct += strcmp(other, first) != 0;
    }
    CHECK(distinct > 0, "eight seeds all gave '%s'", first);
    /* The random seed (0) shuffles: ten resolves in one order would be a bug. */
    HCLIENT h3 = mx_new(knot_);
    equal_order(h3, first, sizeof first);
    distinct = 0;
    for (int i = 0; i < 10; ++i) {
        equal_order(h3, other, sizeof other);
        distinct += strcmp(other, first) != 0;
    }
    CHECK(distinct > 0, "ten resolves with ShuffleSeed=0 all gave '%s'", first);
    /* ShuffleEqual=off: one stable order. */
    config(h3, "ShuffleEqual=off");
    equal_order(h3, first, sizeof first);
    for (int i = 0; i < 3; ++i) {
        equal_order(h3, other, sizeof other);
        CHECK(strcmp(first, other) == 0, "ShuffleEqual=off gave '%s' then '%s'", first, other);
    }
}

static void test_implicit_mx(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    events *e = listen_events(h);
    outcome *o = resolve(h, "implicit.mx.test");
    EXPECT_OK(o, 1);
    const MXRECORD *r = &o->rec[0];
    CHECK(strcmp(r->szMailServer, "implicit.mx.test") == 0, "%s", describe_outcome(o));
    CHECK(r->dwPrecedence == 0 && r->dwFlags == MX_RECORD_IMPLICIT, "%s", describe_outcome(o));
    CHECK(r->dwTimeToLive == 900, "the implicit MX's TTL is the A/AAAA answer's (900): %u", (unsigned)r->dwTimeToLive);
    CHECK(r->bAuthoritative == TRUE, "aa %d", (int)r->bAuthoritative);
    CHECK(e->responses == 1 && e->rec[0].dwFlags == MX_RECORD_IMPLICIT, "responses %d", e->responses);
    /* An AAAA-only domain is a mail domain too. */
    o = resolve(h, "implicit6.mx.test");
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "implicit6.mx.test") == 0 && o->rec[0].dwFlags == MX_RECORD_IMPLICIT,
          "%s", describe_outcome(o));
    /* ...unless AAAA is not asked for. */
    config(h, "UseIPv6=off");
    o = resolve(h, "implicit6.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
    config(h, "UseIPv6=auto");
    /* Without the fallback: no MX is no data. */
    config(h, "ImplicitMX=off");
    o = resolve(h, "implicit.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
    CHECK(o->res.dwStatusCode == MX_STATUS_OK, "status %u", (unsigned)o->res.dwStatusCode);
}

static void test_null_mx(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    events *e = listen_events(h);
    outcome *o = resolve(h, "nullmx.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NULL_MX);
    CHECK(o->count == 0 && o->res.dwCount == 0, "%s", describe_outcome(o));
    CHECK(o->res.dwStatusCode == MX_STATUS_OK, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(strstr(o->res.szStatus, "nullmx.mx.test") != NULL, "the message names the domain: '%s'", o->res.szStatus);
    CHECK(e->responses == 0 && e->errors == 1, "responses %d errors %d", e->responses, e->errors);
    CHECK(e->err_code[0] == INETKIT_ERROR_NULL_MX && e->err_id[0] == o->id &&
              strcmp(e->err_domain[0], "nullmx.mx.test") == 0 && e->err_status[0] == MX_STATUS_OK,
          "error event %u id %u domain '%s' status %u", (unsigned)e->err_code[0], (unsigned)e->err_id[0],
          e->err_domain[0], (unsigned)e->err_status[0]);
    CHECK(strcmp(e->err_desc[0], o->res.szStatus) == 0, "event text '%s', status '%s'", e->err_desc[0], o->res.szStatus);
    char text[64];
    get_string(MxGetMailServer, h, text, sizeof text);
    CHECK(text[0] == '\0', "MxGetMailServer '%s'", text);
    /* Not even with ResolveAddresses does the A record come into play. */
    config(h, "ResolveAddresses=on");
    o = resolve(h, "nullmx.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NULL_MX);
}

static void test_cname_followed(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    outcome *o = resolve(h, "alias.mx.test");
    EXPECT_OK(o, 5);
    CHECK(o->res.dwFlags == (MX_RESULT_CNAME | MX_RESULT_AUTHORITATIVE), "flags 0x%x", (unsigned)o->res.dwFlags);
    CHECK(strcmp(o->res.szDomain, "alias.mx.test") == 0, "szDomain '%s'", o->res.szDomain);
    CHECK(strcmp(o->res.szCanonicalName, "multi.mx.test") == 0, "szCanonicalName '%s'", o->res.szCanonicalName);
    CHECK(strcmp(o->rec[0].szMailServer, "mx1.multi.mx.test") == 0 && o->rec[0].dwTimeToLive == 3600,
          "%s", describe_outcome(o));
    CHECK(strcmp(o->rec[0].szDomain, "alias.mx.test") == 0, "record szDomain '%s'", o->rec[0].szDomain);
    /* A CNAME loop is not an answer. */
    o = resolve(h, "loop1.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NO_RECOVERY);
}

static void test_nxdomain(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    events *e = listen_events(h);
    outcome *o = resolve(h, "nosuch.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_HOST_NOT_FOUND);
    CHECK(o->res.dwStatusCode == MX_STATUS_NAME_ERROR, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(o->count == 0, "%s", describe_outcome(o));
    CHECK(o->res.dwFlags & MX_RESULT_AUTHORITATIVE, "flags 0x%x", (unsigned)o->res.dwFlags);
    CHECK(strstr(o->res.szStatus, "nosuch.mx.test") != NULL && strstr(o->res.szStatus, "127.0.0.1") != NULL,
          "the message names the domain and the server: '%s'", o->res.szStatus);
    CHECK(strcmp(o->res.szDnsServer, knot_) == 0, "szDnsServer '%s'", o->res.szDnsServer);
    char text[600];
    get_string(MxGetStatus, h, text, sizeof text);
    CHECK(strcmp(text, o->res.szStatus) == 0, "MxGetStatus '%s'", text);
    CHECK(strstr(o->message, "nosuch.mx.test") != NULL && strcmp(o->message, o->res.szStatus) == 0,
          "last error message '%s', status '%s'", o->message, o->res.szStatus);
    CHECK(e->errors == 1 && e->err_code[0] == INETKIT_ERROR_HOST_NOT_FOUND && e->err_status[0] == MX_STATUS_NAME_ERROR,
          "errors %d code %u status %u", e->errors, (unsigned)e->err_code[0], (unsigned)e->err_status[0]);
    /* A name below a name that does not exist. */
    o = resolve(h, "deeper.nosuch.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_HOST_NOT_FOUND);
}

static void test_nodata(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    outcome *o = resolve(h, "txtonly.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
    CHECK(o->res.dwStatusCode == MX_STATUS_OK, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(strstr(o->res.szStatus, "txtonly.mx.test") != NULL, "message '%s'", o->res.szStatus);
    /* An empty non-terminal (multi.mx.test has children) is no data either, on a child without MX. */
    o = resolve(h, "mx3.multi.mx.test");
    EXPECT_OK(o, 1); /* it has an A record: implicit MX */
    CHECK(o->rec[0].dwFlags == MX_RECORD_IMPLICIT, "%s", describe_outcome(o));
}

static void check_big(const outcome *o, DWORD expected, DWORD flags) {
    EXPECT_OK(o, expected);
    CHECK(o->res.dwFlags == flags, "flags 0x%x, expected 0x%x", (unsigned)o->res.dwFlags, (unsigned)flags);
    for (DWORD i = 0; i < expected; ++i) {
        char name[200];
        snprintf(name, sizeof name, "host-%03u-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.exchangers-for-the-large-set.example",
                 (unsigned)(i + 1));
        CHECK(o->rec[i].dwPrecedence == i + 1 && strcmp(o->rec[i].szMailServer, name) == 0 &&
                  o->rec[i].dwCount == expected && o->rec[i].dwTimeToLive == 3600,
              "record %u: %u %s count %u", (unsigned)i, (unsigned)o->rec[i].dwPrecedence, o->rec[i].szMailServer,
              (unsigned)o->rec[i].dwCount);
    }
}

static void test_large_answer_over_tcp(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    const DWORD aa = MX_RESULT_AUTHORITATIVE, tc = MX_RESULT_TRUNCATED, dropped = MX_RESULT_RECORDS_DROPPED;
    outcome *o = resolve(h, "big.mx.test");
    check_big(o, 64, aa | tc | dropped);
    config(h, "MaxRecords=1024");
    o = resolve(h, "big.mx.test");
    check_big(o, 120, aa | tc);
    config(h, "MaxRecords=120");
    o = resolve(h, "big.mx.test");
    check_big(o, 120, aa | tc);
    config(h, "MaxRecords=119");
    o = resolve(h, "big.mx.test");
    check_big(o, 119, aa | tc | dropped);
    config(h, "MaxRecords=1");
    o = resolve(h, "big.mx.test");
    check_big(o, 1, aa | tc | dropped);
    config(h, "MaxRecords=1024");
    config(h, "MaxPacketSize=512");
    o = resolve(h, "big.mx.test");
    check_big(o, 120, aa | tc);
    config(h, "MaxPacketSize=4096");
    o = resolve(h, "big.mx.test");
    check_big(o, 120, aa | tc);
    config(h, "MaxPacketSize=0");
    o = resolve(h, "big.mx.test");
    check_big(o, 120, aa | tc);
    /* TCP from the start: nothing was truncated. */
    config(h, "ConnectionMode=tcp");
    o = resolve(h, "big.mx.test");
    check_big(o, 120, aa);
    o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
    /* UDP only: the truncated answer must not pass for "no MX". */
    config(h, "ConnectionMode=udp");
    o = resolve(h, "big.mx.test");
    CHECK(o->rc != INETKIT_ERROR_NO_DATA && o->rc != INETKIT_ERROR_HOST_NOT_FOUND &&
              !(o->rc == 0 && o->count == 1 && (o->rec[0].dwFlags & MX_RECORD_IMPLICIT)),
          "a truncated UDP answer taken for the absence of MX records: %s", describe_outcome(o));
    if (o->rc == 0) CHECK(o->count > 0 && !(o->res.dwFlags & MX_RESULT_TRUNCATED), "%s", describe_outcome(o));
    o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
}

static void test_idn(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    outcome *o = resolve(h, "user@b\xc3\xbc" "cher.mx.test");
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->res.szDomain, "xn--bcher-kva.mx.test") == 0, "szDomain '%s'", o->res.szDomain);
    CHECK(strcmp(o->rec[0].szDomain, "xn--bcher-kva.mx.test") == 0, "record szDomain '%s'", o->rec[0].szDomain);
    CHECK(strcmp(o->rec[0].szMailServer, "mail.xn--bcher-kva.mx.test") == 0 && o->rec[0].dwPrecedence == 10,
          "%s", describe_outcome(o));
    /* UTS 46 maps upper case (B\xc3\x9c = "BÜ"); the A-label itself works as given. */
    o = resolve(h, "B\xc3\x9c" "CHER.MX.TEST");
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->res.szDomain, "xn--bcher-kva.mx.test") == 0, "szDomain '%s'", o->res.szDomain);
    o = resolve(h, "postmaster@xn--bcher-kva.mx.test");
    EXPECT_OK(o, 1);
    /* UseIDN=off refuses internationalised names, before any query. */
    config(h, "UseIDN=off");
    o = resolve(h, "user@b\xc3\xbc" "cher.mx.test");
    CHECK(o->rc == INETKIT_ERROR_INVALID_PARAMETER, "UseIDN=off: %s", describe_outcome(o));
    o = resolve(h, "user@xn--bcher-kva.mx.test");
    EXPECT_OK(o, 1);
}

static void test_address_forms(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    static const char *const forms[] = {
        "user@multi.mx.test", "\"a@b\"@multi.mx.test", "\"quoted \\\"local\\\" @ part\"@multi.mx.test",
        "multi.mx.test.",     "MULTI.Mx.TEST",         "first.last+tag@multi.mx.test",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; ++i) {
        outcome *o = resolve(h, forms[i]);
        if (o->rc != 0) fail_msg("%s: %s", forms[i], describe_outcome(o));
        check_multi(o, 1, 3600, 3600);
        CHECK(strcmp(o->res.szDomain, "multi.mx.test") == 0, "%s: szDomain '%s'", forms[i], o->res.szDomain);
    }
}

/* Domain literals need no lookup: a server that would only time out is never asked. */
static void test_domain_literals(void **state) {
    (void)state;
    ds_server *s = ds_new("literal/silent");
    current_ = s;
    start(s);
    HCLIENT h = mx_new(ds_address(s));
    events *e = listen_events(h);
    outcome *o = resolve(h, "user@[192.0.2.1]");
    EXPECT_OK(o, 1);
    CHECK(o->seconds < 1.0, "a literal took %.3f s", o->seconds);
    CHECK(strcmp(o->rec[0].szMailServer, "192.0.2.1") == 0 && o->rec[0].dwFlags == MX_RECORD_LITERAL &&
              o->rec[0].dwAddressCount == 1,
          "%s", describe_outcome(o));
    MXADDRESS a;
    a.dwSize = sizeof a;
    MX_OK(MxGetRecordAddress(h, 0, 0, &a));
    CHECK(a.dwFamily == 4 && strcmp(a.szAddress, "192.0.2.1") == 0 && a.dwTimeToLive == 0 && a.dwSize == sizeof a,
          "address %u %s ttl %u", (unsigned)a.dwFamily, a.szAddress, (unsigned)a.dwTimeToLive);
    MX_FAILS(MxGetRecordAddress(h, 0, 1, &a), INETKIT_ERROR_NOT_FOUND);
    CHECK(e->responses == 1 && e->rec[0].dwAddressCount == 1 && e->addr[0][0].dwFamily == 4 &&
              strcmp(e->addr[0][0].szAddress, "192.0.2.1") == 0,
          "responses %d", e->responses);
    o = resolve(h, "user@[IPv6:2001:DB8::1]");
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "2001:db8::1") == 0 && o->rec[0].dwFlags == MX_RECORD_LITERAL,
          "%s", describe_outcome(o));
    MX_OK(MxGetRecordAddress(h, 0, 0, &a));
    CHECK(a.dwFamily == 6 && strcmp(a.szAddress, "2001:db8::1") == 0, "address %u %s", (unsigned)a.dwFamily,
          a.szAddress);
    o = resolve(h, "\"x@[192.0.2.9]\"@[192.0.2.2]");
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "192.0.2.2") == 0, "%s", describe_outcome(o));
    CHECK(ds_query_count(s, DS_BOTH) == 0, "a literal caused %zu queries", ds_query_count(s, DS_BOTH));
}

/* Malformed addresses fail with INVALID_PARAMETER before any query. */
static void test_invalid_inputs(void **state) {
    (void)state;
    static const unsigned prefs[1] = {10};
    static const char *const targets[1] = {"mx.hostile.test"};
    ds_server *s = mx_server("E58/invalid-input", 1, prefs, targets);
    start(s);
    HCLIENT h = hostile_handle(s);
    char label64[80], long_domain[300], over320[400], max_domain[300];
    memset(label64, 'a', 64);
    strcpy(label64 + 64, ".test");
    /* 254 bytes: 50 labels "abcd." (250) + "test" */
    long_domain[0] = '\0';
    for (int i = 0; i < 50; ++i) strcat(long_domain, "abcd.");
    strcat(long_domain, "test");
    memset(over320, 'u', 300);
    strcpy(over320 + 300, "@multi.mx.test.example.org");
    static const char *const bad[] = {
        "", "@", "user@", "a..b.test", ".a.test", "a.test..", "a\r\nb.test", "a\nb.test", "a\rb.test",
        "a\tb.test", "a\x7f" "b.test", "a\x01" "b.test", "user@a\r\n.test", "a b.test", "a;b.test",
        "a/b.test", "a\\b.test", "\"unterminated@a.test", "user@[300.1.1.1]", "user@[192.0.2.1",
        "user@[IPv6:zz::1]", "user@[]", "\xff\xfe.test", "b\xc3.test",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        outcome *o = resolve(h, bad[i]);
        if (o->rc != INETKIT_ERROR_INVALID_PARAMETER)
            fail_msg("%s'%s' (case %zu): %s", where(), esc(bad[i]), i, describe_outcome(o));
    }
    const char *more[] = {label64, long_domain, over320};
    for (size_t i = 0; i < 3; ++i) {
        outcome *o = resolve(h, more[i]);
        if (o->rc != INETKIT_ERROR_INVALID_PARAMETER)
            fail_msg("%slong input %zu (%zu bytes): %s", where(), i, strlen(more[i]), describe_outcome(o));
    }
    MX_FAILS(MxResolve(h, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    CHECK(ds_query_count(s, DS_BOTH) == 0, "invalid input sent %zu queries", ds_query_count(s, DS_BOTH));
    /* The limits themselves are fine: a 63-byte label, a 253-byte domain. */
    label64[63] = '\0';
    strcat(label64, ".hostile.test");
    outcome *o = resolve(h, label64);
    EXPECT_OK(o, 1);
    /* 3 labels of 63 (192 bytes with dots), one of 48 and its dot (49), "hostile.test" (12): 253 */
    max_domain[0] = '\0';
    for (int i = 0; i < 3; ++i) {
        size_t n = strlen(max_domain);
        memset(max_domain + n, 'a' + i, 63);
        strcpy(max_domain + n + 63, ".");
    }
    size_t n = strlen(max_domain);
    memset(max_domain + n, 'z', 48);
    strcpy(max_domain + n + 48, ".hostile.test");
    CHECK(strlen(max_domain) == 253, "test bug: %zu", strlen(max_domain));
    o = resolve(h, max_domain);
    EXPECT_OK(o, 1);
}

/* ---- addresses of the exchangers -------------------------------------------------------------- */

typedef struct {
    const char *server;
    int count;
    const char *addr[2];
    DWORD family[2], ttl[2];
} expected_addresses;

/* Checks record i's addresses, from MxGetRecordAddress, as a set. */
static void check_addresses(HCLIENT h, const outcome *o, DWORD i, const expected_addresses *x) {
    const MXRECORD *r = &o->rec[i];
    CHECK(strcmp(r->szMailServer, x->server) == 0, "record %u is %s, expected %s", (unsigned)i, r->szMailServer,
          x->server);
    CHECK(r->dwAddressCount == (DWORD)x->count, "%s has %u addresses, expected %d", x->server,
          (unsigned)r->dwAddressCount, x->count);
    int used[2] = {0, 0};
    for (DWORD k = 0; k < r->dwAddressCount; ++k) {
        MXADDRESS a;
        memset(&a, 0, sizeof a);
        a.dwSize = sizeof a;
        MX_OK(MxGetRecordAddress(h, i, k, &a));
        int match = -1;
        for (int j = 0; j < x->count; ++j)
            if (!used[j] && strcmp(a.szAddress, x->addr[j]) == 0) match = j;
        CHECK(match >= 0, "%s: unexpected address %s", x->server, a.szAddress);
        used[match] = 1;
        CHECK(a.dwFamily == x->family[match] && a.dwTimeToLive == x->ttl[match] && a.dwSize == sizeof a,
              "%s %s: family %u ttl %u (expected %u, %u)", x->server, a.szAddress, (unsigned)a.dwFamily,
              (unsigned)a.dwTimeToLive, (unsigned)x->family[match], (unsigned)x->ttl[match]);
    }
    MXADDRESS a;
    a.dwSize = sizeof a;
    MX_FAILS(MxGetRecordAddress(h, i, r->dwAddressCount, &a), INETKIT_ERROR_NOT_FOUND);
}

static void test_resolve_addresses(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    config(h, "ResolveAddresses=on");
    config(h, "ShuffleSeed=7");
    events *e = listen_events(h);
    outcome *o = resolve(h, "multi.mx.test");
    EXPECT_OK(o, 5);
    const expected_addresses mx1 = {"mx1.multi.mx.test", 2, {"192.0.2.11", "2001:db8::11"}, {4, 6}, {1200, 1300}};
    const expected_addresses mx2a = {"mx2a.multi.mx.test", 1, {"192.0.2.21"}, {4}, {1200}};
    const expected_addresses mx2b = {"mx2b.multi.mx.test", 1, {"2001:db8::22"}, {6}, {1300}};
    const expected_addresses mx2c = {"mx2c.multi.mx.test", 2, {"192.0.2.23", "192.0.2.24"}, {4, 4}, {1200, 1200}};
    const expected_addresses mx3 = {"mx3.multi.mx.test", 1, {"192.0.2.31"}, {4}, {1200}};
    const expected_addresses *all[5] = {&mx1, &mx2a, &mx2b, &mx2c, &mx3};
    for (DWORD i = 0; i < 5; ++i) {
        const expected_addresses *x = NULL;
        for (int k = 0; k < 5; ++k)
            if (strcmp(o->rec[i].szMailServer, all[k]->server) == 0) x = all[k];
        CHECK(x != NULL, "%s", describe_outcome(o));
        check_addresses(h, o, i, x);
        CHECK(o->rec[i].dwFlags == 0 && o->rec[i].dwTimeToLive == 3600, "%s", describe_outcome(o));
        /* The Response event carried the same addresses. */
        CHECK(e->rec[i].dwAddressCount == o->rec[i].dwAddressCount, "event %u addresses %u", (unsigned)i,
              (unsigned)e->rec[i].dwAddressCount);
        for (DWORD k = 0; k < o->rec[i].dwAddressCount; ++k) {
            MXADDRESS a;
            a.dwSize = sizeof a;
            MX_OK(MxGetRecordAddress(h, i, k, &a));
            CHECK(memcmp(&a, &e->addr[i][k], sizeof a) == 0, "event address %u/%u differs: %s vs %s", (unsigned)i,
                  (unsigned)k, e->addr[i][k].szAddress, a.szAddress);
        }
    }
    CHECK(e->responses == 5 && !e->bad_size, "responses %d", e->responses);
    /* No AAAA asked for: mx2b has no address left. */
    config(h, "UseIPv6=off");
    o = resolve(h, "multi.mx.test");
    EXPECT_OK(o, 5);
    for (DWORD i = 0; i < 5; ++i) {
        if (strcmp(o->rec[i].szMailServer, "mx2b.multi.mx.test") == 0) {
            CHECK(o->rec[i].dwFlags == MX_RECORD_NO_ADDRESS && o->rec[i].dwAddressCount == 0, "%s",
                  describe_outcome(o));
        } else if (strcmp(o->rec[i].szMailServer, "mx1.multi.mx.test") == 0) {
            const expected_addresses v4 = {"mx1.multi.mx.test", 1, {"192.0.2.11"}, {4}, {1200}};
            check_addresses(h, o, i, &v4);
        } else {
            CHECK(o->rec[i].dwFlags == 0 && o->rec[i].dwAddressCount > 0, "%s", describe_outcome(o));
        }
    }
    config(h, "UseIPv6=auto");
    /* An exchanger that does not exist stays in the plan, flagged. */
    o = resolve(h, "noaddr.mx.test");
    EXPECT_OK(o, 2);
    CHECK(strcmp(o->rec[0].szMailServer, "nowhere.mx.test") == 0 && o->rec[0].dwFlags == MX_RECORD_NO_ADDRESS &&
              o->rec[0].dwAddressCount == 0,
          "%s", describe_outcome(o));
    check_addresses(h, o, 1, &mx1);
    /* The implicit MX gets the domain's own addresses. */
    o = resolve(h, "implicit.mx.test");
    EXPECT_OK(o, 1);
    const expected_addresses imp = {"implicit.mx.test", 2, {"192.0.2.50", "2001:db8::50"}, {4, 6}, {900, 900}};
    check_addresses(h, o, 0, &imp);
    CHECK(o->rec[0].dwFlags == MX_RECORD_IMPLICIT, "%s", describe_outcome(o));
    /* Through unbound too (TTLs counting down from the zone's). */
    MX_OK(MxSetDnsServer(h, unbound_));
    o = resolve(h, "xn--bcher-kva.mx.test");
    EXPECT_OK(o, 1);
    CHECK(o->rec[0].dwAddressCount == 1, "%s", describe_outcome(o));
    MXADDRESS a;
    a.dwSize = sizeof a;
    MX_OK(MxGetRecordAddress(h, 0, 0, &a));
    CHECK(strcmp(a.szAddress, "192.0.2.80") == 0 && a.dwTimeToLive <= 1200 && a.dwTimeToLive > 1000,
          "address %s ttl %u", a.szAddress, (unsigned)a.dwTimeToLive);
}

static void test_alias_exchanger(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    outcome *o = resolve(h, "aliasmx.mx.test");
    EXPECT_OK(o, 2);
    CHECK(o->rec[0].dwFlags == 0 && o->rec[1].dwFlags == 0, "MX_RECORD_ALIAS is seen only with ResolveAddresses: %s",
          describe_outcome(o));
    config(h, "ResolveAddresses=on");
    o = resolve(h, "aliasmx.mx.test");
    EXPECT_OK(o, 2);
    CHECK(strcmp(o->rec[0].szMailServer, "cname-host.mx.test") == 0 && o->rec[0].dwFlags == MX_RECORD_ALIAS,
          "%s", describe_outcome(o));
    CHECK(strcmp(o->rec[1].szMailServer, "real-host.mx.test") == 0 && o->rec[1].dwFlags == 0, "%s",
          describe_outcome(o));
    const expected_addresses real = {"real-host.mx.test", 1, {"192.0.2.70"}, {4}, {1200}};
    check_addresses(h, o, 1, &real);
    CHECK(o->rec[0].dwAddressCount == 1, "the alias's addresses are its target's: %s", describe_outcome(o));
}

static void test_ip_literal_exchanger(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    outcome *o = resolve(h, "ipmx.mx.test");
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "valid.ipmx.mx.test") == 0 && o->rec[0].dwPrecedence == 20 &&
              o->rec[0].dwIndex == 0 && o->rec[0].dwCount == 1,
          "%s", describe_outcome(o));
    CHECK(o->res.dwFlags == (MX_RESULT_AUTHORITATIVE | MX_RESULT_RECORDS_DROPPED), "%s", describe_outcome(o));
    o = resolve(h, "iponly.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_DNS_BAD_NAME);
    CHECK(o->count == 0, "%s", describe_outcome(o));
}

/* ---- servers --------------------------------------------------------------------------------- */

static void test_multiple_servers(void **state) {
    (void)state;
    char list[256];
    /* A port nobody listens on, then Knot. */
    snprintf(list, sizeof list, "127.0.0.1:%u,%s", free_udp_port(), knot_);
    HCLIENT h = mx_new(list);
    config(h, "QueryTimeout=300");
    outcome *o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
    CHECK(strcmp(o->res.szDnsServer, knot_) == 0, "servers '%s': szDnsServer '%s'", list, o->res.szDnsServer);
    CHECK(o->seconds < 3.0, "took %.3f s", o->seconds);
    /* A server that never answers, then unbound. */
    ds_server *silent = ds_new("silent-first");
    start(silent);
    snprintf(list, sizeof list, "%s,%s", ds_address(silent), unbound_);
    MX_OK(MxSetDnsServer(h, list));
    o = resolve(h, "multi.mx.test");
    check_multi(o, 0, 3600, 3000);
    CHECK(strcmp(o->res.szDnsServer, unbound_) == 0, "szDnsServer '%s'", o->res.szDnsServer);
    CHECK(o->seconds < 4.0, "took %.3f s", o->seconds);
    CHECK(ds_query_count(silent, DS_BOTH) >= 1, "the first server was not asked");
    /* The port of entries without one is DnsPort. */
    MX_OK(MxSetDnsServer(h, "127.0.0.1"));
    MX_OK(MxSetDnsPort(h, knot_port_));
    o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
    CHECK(strcmp(o->res.szDnsServer, knot_) == 0, "szDnsServer '%s'", o->res.szDnsServer);
    /* IPv6 loopback, when Knot listens there. */
    if (knot_ipv6_) {
        snprintf(list, sizeof list, "[::1]:%u", knot_port_);
        MX_OK(MxSetDnsServer(h, list));
        o = resolve(h, "multi.mx.test");
        check_multi(o, 1, 3600, 3600);
        CHECK(strcmp(o->res.szDnsServer, list) == 0, "szDnsServer '%s', expected '%s'", o->res.szDnsServer, list);
        MX_OK(MxSetDnsServer(h, "::1"));
        o = resolve(h, "multi.mx.test");
        check_multi(o, 1, 3600, 3600);
        /* UseIPv6=off skips IPv6 servers: with only one, nothing is left to ask. */
        snprintf(list, sizeof list, "[::1]:%u,%s", knot_port_, unbound_);
        MX_OK(MxSetDnsServer(h, list));
        config(h, "UseIPv6=off");
        o = resolve(h, "multi.mx.test");
        check_multi(o, 0, 3600, 3000);
        CHECK(strcmp(o->res.szDnsServer, unbound_) == 0, "UseIPv6=off asked '%s'", o->res.szDnsServer);
        config(h, "UseIPv6=on");
        snprintf(list, sizeof list, "%s,[::1]:%u", unbound_, knot_port_);
        MX_OK(MxSetDnsServer(h, list));
        o = resolve(h, "multi.mx.test");
        check_multi(o, 1, 3600, 3600);
        snprintf(list, sizeof list, "[::1]:%u", knot_port_);
        CHECK(strcmp(o->res.szDnsServer, list) == 0, "UseIPv6=on asked '%s' first", o->res.szDnsServer);
    } else {
        print_message("test_mx: ::1 unusable here; IPv6 server checks skipped\n");
    }
}

/* The first "nameserver" of /etc/resolv.conf, or "" */
static void system_first_server(char *out, size_t size) {
    out[0] = '\0';
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        char addr[256];
        if (sscanf(line, " nameserver %255s", addr) == 1) {
            snprintf(out, size, "%s", addr);
            break;
        }
    }
    fclose(f);
}

static void test_dns_server_property(void **state) {
    (void)state;
    HCLIENT h = track(MxCreate(MX_OPTION_NONE));
    char list[1024], fresh[1024], first[256];
    get_string(MxGetDnsServer, h, fresh, sizeof fresh);
    system_first_server(first, sizeof first);
    if (first[0] != '\0')
        CHECK(strstr(fresh, first) != NULL, "the default list '%s' lacks resolv.conf's %s", fresh, first);
    UINT port = 0;
    MX_OK(MxGetDnsPort(h, &port));
    CHECK(port == MX_DNS_PORT, "DnsPort %u", port);
    MX_OK(MxSetDnsServer(h, "192.0.2.53,[::1]:5353,127.0.0.1:5300,::1"));
    get_string(MxGetDnsServer, h, list, sizeof list);
    /* The entries, in order. */
    char copy[1024], *save = NULL;
    snprintf(copy, sizeof copy, "%s", list);
    const char *parts[8];
    int n = 0;
    for (char *t = strtok_r(copy, ",", &save); t != NULL && n < 8; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') ++t;
        parts[n++] = t;
    }
    CHECK(n == 4, "'%s' has %d entries", list, n);
    CHECK(strncmp(parts[0], "192.0.2.53", 10) == 0, "entry 0 '%s' of '%s'", parts[0], list);
    CHECK(strstr(parts[1], "::1") != NULL && strstr(parts[1], "5353") != NULL, "entry 1 '%s' of '%s'", parts[1], list);
    CHECK(strcmp(parts[2], "127.0.0.1:5300") == 0, "entry 2 '%s' of '%s'", parts[2], list);
    CHECK(strstr(parts[3], "::1") != NULL && strstr(parts[3], "5353") == NULL, "entry 3 '%s' of '%s'", parts[3], list);
    /* What it gives back is accepted again, unchanged. */
    MX_OK(MxSetDnsServer(h, list));
    get_string(MxGetDnsServer, h, copy, sizeof copy);
    CHECK(strcmp(copy, list) == 0, "'%s' became '%s'", list, copy);
    /* Refused: host names, bad ports, broken addresses; the list in use stays. */
    static const char *const bad[] = {"dns.example.com", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:abc",
                                      "[::1",            "999.1.1.1",   "127.0.0.1,localhost", "[::1]:",
                                      "1.2.3.4:53:53",   "\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        DWORD rc = MxSetDnsServer(h, bad[i]);
        CHECK(rc == INETKIT_ERROR_INVALID_PARAMETER && MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER,
              "MxSetDnsServer('%s') returned %u", esc(bad[i]), (unsigned)rc);
        get_string(MxGetDnsServer, h, copy, sizeof copy);
        CHECK(strcmp(copy, list) == 0, "after '%s' the list is '%s'", esc(bad[i]), copy);
    }
    /* "" and NULL go back to the system's servers. */
    MX_OK(MxSetDnsServer(h, ""));
    get_string(MxGetDnsServer, h, copy, sizeof copy);
    CHECK(strcmp(copy, fresh) == 0, "'' gave '%s', a fresh handle '%s'", copy, fresh);
    MX_OK(MxSetDnsServer(h, knot_));
    MX_OK(MxSetDnsServer(h, NULL));
    get_string(MxGetDnsServer, h, copy, sizeof copy);
    CHECK(strcmp(copy, fresh) == 0, "NULL gave '%s', a fresh handle '%s'", copy, fresh);
    /* DnsPort */
    MX_FAILS(MxSetDnsPort(h, 0), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxSetDnsPort(h, 65536), INETKIT_ERROR_INVALID_PARAMETER);
    MX_OK(MxSetDnsPort(h, 5353));
    MX_OK(MxGetDnsPort(h, &port));
    CHECK(port == 5353, "DnsPort %u", port);
    MX_OK(MxSetDnsPort(h, 65535));
    MX_OK(MxGetDnsPort(h, &port));
    CHECK(port == 65535, "DnsPort %u", port);
}

/* The part of test_no_dns_server that runs in a child process with a private mount
   namespace whose /etc/resolv.conf names no server. Exit 0: passed, 77: cannot set up. */
static int no_dns_server_child(const char *knot) {
    /* As root a mount namespace is enough; otherwise a user namespace gives the right to mount in it. */
    if (unshare(CLONE_NEWNS) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return 77;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return 77;
    char empty[] = "/tmp/inetkit-resolv-XXXXXX";
    int fd = mkstemp(empty);
    if (fd < 0) return 77;
    static const char text[] = "# inetkit test: no nameserver\noptions timeout:1\n";
    if (write(fd, text, sizeof text - 1) < 0) return 77;
    close(fd);
    int mounted = mount(empty, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0;
    unlink(empty);
    if (!mounted) return 77;
    int failures = 0;
#define CHILD_CHECK(cond, ...)                                                    \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "no-dns-server child: %s: ", #cond);                  \
            fprintf(stderr, __VA_ARGS__);                                         \
            fprintf(stderr, "\n");                                                \
            failures++;                                                           \
        }                                                                         \
    } while (0)
    if (MxInitialize() != 0) return 1;
    HCLIENT h = MxCreate(MX_OPTION_NONE);
    CHILD_CHECK(h != INVALID_CLIENT, "MxCreate failed: %u", (unsigned)MxGetLastError());
    if (h == INVALID_CLIENT) return 1;
    char list[512] = "unset";
    DWORD n = sizeof list;
    DWORD rc = MxGetDnsServer(h, list, &n);
    CHILD_CHECK(rc == 0 && list[0] == '\0', "MxGetDnsServer returned %u '%s', expected ''", (unsigned)rc, list);
    MxSetTimeout(h, 3);
    rc = MxResolve(h, "multi.mx.test", NULL);
    CHILD_CHECK(rc == INETKIT_ERROR_NO_DNS_SERVER && MxGetLastError() == INETKIT_ERROR_NO_DNS_SERVER,
                "synchronous MxResolve returned %u (%s), expected 290", (unsigned)rc, mx_message());
    MxSetTimeout(h, 0);
    rc = MxResolve(h, "multi.mx.test", NULL);
    CHILD_CHECK(rc == INETKIT_ERROR_NO_DNS_SERVER, "asynchronous MxResolve returned %u, expected 290", (unsigned)rc);
    MxSetTimeout(h, 3);
    /* With a server set it works; back to the system's, none again. */
    MxSetDnsServer(h, knot);
    rc = MxResolve(h, "multi.mx.test", NULL);
    CHILD_CHECK(rc == 0, "with %s MxResolve returned %u (%s)", knot, (unsigned)rc, mx_message());
    MxSetDnsServer(h, "");
    rc = MxResolve(h, "multi.mx.test", NULL);
    CHILD_CHECK(rc == INETKIT_ERROR_NO_DNS_SERVER, "after MxSetDnsServer('') MxResolve returned %u", (unsigned)rc);
    /* A literal needs no server. */
    rc = MxResolve(h, "user@[192.0.2.1]", NULL);
    CHILD_CHECK(rc == 0, "a literal without servers returned %u", (unsigned)rc);
    MxDestroy(h);
    MxUninitialize();
    return failures ? 1 : 0;
}

static void test_no_dns_server(void **state) {
    (void)state;
    char *argv[] = {self_path_, (char *)"--no-dns-server-child", knot_, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self_path_, NULL, NULL, argv, environ);
    CHECK(rc == 0, "cannot run %s: %s", self_path_, strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) break;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        print_message("test_mx: no private mount namespace here; NO_DNS_SERVER untestable\n");
        skip();
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child (no nameserver in resolv.conf) failed: status 0x%x",
          status);
}

/* A handle with servers "" uses the system's resolver configuration. */
static void test_system_servers(void **state) {
    (void)state;
    HCLIENT h = track(MxCreate(MX_OPTION_NONE));
    MX_OK(MxSetDnsServer(h, knot_));
    MX_OK(MxSetDnsServer(h, ""));
    char list[1024], first[256];
    get_string(MxGetDnsServer, h, list, sizeof list);
    system_first_server(first, sizeof first);
    if (first[0] == '\0') skip();
    CHECK(strstr(list, first) != NULL, "servers '%s' lack resolv.conf's %s", list, first);
}

/* E60: a hostile resolv.conf (a NUL first byte, a 1 MB line, 100,000 lines, binary noise, a
   directory) costs nothing: the file is read with caps, and what cannot be read means no server. */
static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(data, 1, n, f) == n, "cannot write %s", path);
    fclose(f);
}

static void test_E60_hostile_resolv_conf(void **state) {
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/hostile-resolv.conf", dns_dir_);
    char setting[PATH_MAX + 16];
    snprintf(setting, sizeof setting, "ResolvConf=%s", path);
    HCLIENT h = track(MxCreate(MX_OPTION_NONE));
    MX_OK(MxSetDnsPort(h, knot_port_));

    /* A NUL-led line is skipped; the good line after it is used. */
    static const char nul_first[] = "\0nameserver 192.0.2.1\nnameserver 127.0.0.1\n";
    write_file(path, nul_first, sizeof nul_first - 1);
    MX_OK(MxConfig(h, setting)); /* the file is read when the channel is (re)built */
    EXPECT_OK(resolve(h, "multi.mx.test"), 5);

    /* A 1 MB line: nothing after it is within the 64 KiB read cap, so there is no server. */
    size_t big = 1u << 20;
    char *text = malloc(big + 64);
    CHECK(text != NULL, "out of memory");
    memset(text, 'x', big);
    strcpy(text + big, "\nnameserver 127.0.0.1\n");
    write_file(path, text, strlen(text));
    MX_OK(MxConfig(h, setting));
    outcome *o = resolve(h, "multi.mx.test");
    CHECK(o->rc == INETKIT_ERROR_NO_DNS_SERVER && strstr(o->message, path) != NULL, "1 MB line: %s (%s)",
          describe_outcome(o), o->message);

    /* 100,000 nameserver lines: capped, and the first ones are used. */
    size_t used = 0;
    for (int i = 0; i < 100000; ++i) {
        if (used + 32 > big) break;
        used += (size_t)sprintf(text + used, "nameserver 127.0.0.%d\n", 1 + i % 200);
    }
    write_file(path, text, used);
    MX_OK(MxConfig(h, setting));
    EXPECT_OK(resolve(h, "multi.mx.test"), 5);
    char list[4096];
    get_string(MxGetDnsServer, h, list, sizeof list);
    int servers = 1;
    for (const char *c = list; *c; ++c) servers += *c == ',';
    CHECK(servers <= 32, "%d servers from a 100,000-line file: %s", servers, list);

    /* Binary noise: no server, no crash. */
    unsigned seed = 60;
    for (size_t i = 0; i < 65536; ++i) text[i] = (char)(rand_r(&seed) & 0xff);
    write_file(path, text, 65536);
    MX_OK(MxConfig(h, setting));
    o = resolve(h, "multi.mx.test");
    CHECK(o->rc == INETKIT_ERROR_NO_DNS_SERVER || o->rc == 0, "noise: %s", describe_outcome(o));
    free(text);

    /* A directory, and a file that does not exist. */
    snprintf(setting, sizeof setting, "ResolvConf=%s", dns_dir_);
    MX_OK(MxConfig(h, setting));
    CHECK(resolve(h, "multi.mx.test")->rc == INETKIT_ERROR_NO_DNS_SERVER, "a directory as resolv.conf");
    snprintf(setting, sizeof setting, "ResolvConf=%s/none", dns_dir_);
    MX_OK(MxConfig(h, setting));
    CHECK(resolve(h, "multi.mx.test")->rc == INETKIT_ERROR_NO_DNS_SERVER, "a missing resolv.conf");
}

/* ==== asynchronous use ============================================================================ */

static void test_async_pull(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    MX_OK(MxSetTimeout(h, 0));
    UINT timeout = 99;
    MX_OK(MxGetTimeout(h, &timeout));
    CHECK(timeout == 0, "Timeout %u", timeout);
    DWORD id1 = 0, id2 = 0, id3 = 0, next = 0;
    double t0 = seconds_now();
    MX_OK(MxResolve(h, "multi.mx.test", &id1));
    CHECK(seconds_now() - t0 < 0.5, "an asynchronous MxResolve took %.3f s", seconds_now() - t0);
    char status[600] = "unset";
    get_string(MxGetStatus, h, status, sizeof status);
    CHECK(status[0] == '\0', "MxGetStatus '%s' while the request is in flight", status);
    MX_OK(MxResolve(h, "nosuch.mx.test", &id2));
    MX_OK(MxSetRequestId(h, 100));
    MX_OK(MxResolve(h, "implicit.mx.test", &id3));
    MX_OK(MxGetRequestId(h, &next));
    CHECK(id1 == 1 && id2 == 2 && id3 == 100 && next == 101, "ids %u %u %u, next %u", (unsigned)id1, (unsigned)id2,
          (unsigned)id3, (unsigned)next);
    BOOL idle = TRUE;
    MX_OK(MxGetIdle(h, &idle));
    CHECK(!idle, "idle with three requests in flight");
    int seen1 = 0, seen2 = 0, seen3 = 0;
    for (int i = 0; i < 3; ++i) {
        DWORD rid = 0, err = 12345;
        MX_OK(MxGetNextResult(h, 5000, &rid, &err));
        outcome *o = &out_;
        o->id = rid;
        read_current(h, o);
        CHECK(o->result_rc == 0 && o->res.dwRequestId == rid && o->res.dwError == err, "%s", describe_outcome(o));
        if (rid == id1) {
            seen1++;
            CHECK(err == 0, "multi: %u", (unsigned)err);
            check_multi(o, 1, 3600, 3600);
        } else if (rid == id2) {
            seen2++;
            CHECK(err == INETKIT_ERROR_HOST_NOT_FOUND && o->res.dwStatusCode == MX_STATUS_NAME_ERROR, "%s",
                  describe_outcome(o));
            get_string(MxGetStatus, h, status, sizeof status);
            CHECK(strstr(status, "nosuch.mx.test") != NULL, "status '%s'", status);
        } else if (rid == id3) {
            seen3++;
            CHECK(err == 0 && o->count == 1 && o->rec[0].dwFlags == MX_RECORD_IMPLICIT && o->rec[0].dwRequestId == id3,
                  "%s", describe_outcome(o));
        } else {
            fail_msg("unknown request id %u", (unsigned)rid);
        }
    }
    CHECK(seen1 == 1 && seen2 == 1 && seen3 == 1, "delivered %d %d %d times", seen1, seen2, seen3);
    MX_FAILS(MxGetNextResult(h, 100, NULL, NULL), INETKIT_ERROR_NOT_FOUND);
    MX_OK(MxGetIdle(h, &idle));
    CHECK(idle, "not idle after every result was taken");
    MX_OK(MxWait(h, 0));
    MX_OK(MxDoEvents(h, 0));
}

static void test_async_callbacks(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    MX_OK(MxSetTimeout(h, 0));
    events *e = listen_events(h);
    static const char *const names[4] = {"multi.mx.test", "nosuch.mx.test", "implicit.mx.test", "nullmx.mx.test"};
    DWORD ids[4];
    for (int i = 0; i < 4; ++i) MX_OK(MxResolve(h, names[i], &ids[i]));
    sleep_ms(200);
    CHECK(e->responses == 0 && e->errors == 0, "events fired outside a call: %d %d", e->responses, e->errors);
    MX_OK(MxWait(h, 5000));
    CHECK(e->responses == 6 && e->errors == 2, "responses %d errors %d", e->responses, e->errors);
    CHECK(!e->other_thread && !e->bad_size, "other thread %d, bad size %d", e->other_thread, e->bad_size);
    /* The records of one request come together, in order. */
    for (int i = 0; i < e->responses; ++i) {
        const MXRECORD *r = &e->rec[i];
        if (r->dwRequestId == ids[0]) {
            CHECK(r->dwCount == 5 && i + (int)(r->dwCount - r->dwIndex) <= e->responses, "record %d", i);
            if (r->dwIndex > 0)
                CHECK(i > 0 && e->rec[i - 1].dwRequestId == r->dwRequestId && e->rec[i - 1].dwIndex == r->dwIndex - 1,
                      "multi's record %u is not after record %u", (unsigned)r->dwIndex, (unsigned)r->dwIndex - 1);
        } else {
            CHECK(r->dwRequestId == ids[2] && r->dwCount == 1 && r->dwFlags == MX_RECORD_IMPLICIT, "record %d id %u", i,
                  (unsigned)r->dwRequestId);
        }
    }
    int nx = -1, nul = -1;
    for (int i = 0; i < 2; ++i) {
        if (e->err_id[i] == ids[1]) nx = i;
        if (e->err_id[i] == ids[3]) nul = i;
    }
    CHECK(nx >= 0 && nul >= 0, "error events for %u and %u", (unsigned)e->err_id[0], (unsigned)e->err_id[1]);
    CHECK(e->err_code[nx] == INETKIT_ERROR_HOST_NOT_FOUND && e->err_status[nx] == MX_STATUS_NAME_ERROR &&
              strcmp(e->err_domain[nx], "nosuch.mx.test") == 0,
          "nxdomain event %u %u %s", (unsigned)e->err_code[nx], (unsigned)e->err_status[nx], e->err_domain[nx]);
    CHECK(e->err_code[nul] == INETKIT_ERROR_NULL_MX && strcmp(e->err_domain[nul], "nullmx.mx.test") == 0,
          "null MX event %u %s", (unsigned)e->err_code[nul], e->err_domain[nul]);
    /* Delivered to the callbacks: nothing waits for MxGetNextResult. */
    MX_FAILS(MxGetNextResult(h, 0, NULL, NULL), INETKIT_ERROR_NOT_FOUND);
    BOOL idle = FALSE;
    MX_OK(MxGetIdle(h, &idle));
    CHECK(idle, "not idle");
    /* The current result is the request delivered last. */
    MXRESULT res;
    res.dwSize = sizeof res;
    MX_OK(MxGetResult(h, &res));
    int last_is_error = e->errors > 0 && (res.dwRequestId == ids[1] || res.dwRequestId == ids[3]);
    CHECK(last_is_error || res.dwRequestId == e->rec[e->responses - 1].dwRequestId, "current result %u",
          (unsigned)res.dwRequestId);
    /* Unregistered: results go to the queue again. */
    MX_OK(MxSetResponseCallback(h, NULL, NULL));
    MX_OK(MxSetErrorCallback(h, NULL, NULL));
    reset_events(e);
    DWORD id = 0, rid = 0, err = 1;
    MX_OK(MxResolve(h, "multi.mx.test", &id));
    MX_OK(MxGetNextResult(h, 5000, &rid, &err));
    CHECK(rid == id && err == 0 && e->responses == 0, "rid %u err %u responses %d", (unsigned)rid, (unsigned)err,
          e->responses);
}

static void test_async_event_loop(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    MX_OK(MxSetTimeout(h, 0));
    events *e = listen_events(h);
    DWORD t = 0;
    MX_OK(MxGetNextTimeout(h, &t));
    CHECK(t == MX_WAIT_INFINITE, "next timeout %u with nothing in flight", (unsigned)t);
    INT fd = -1, fd2 = -2;
    MX_OK(MxGetEventDescriptor(h, &fd));
    MX_OK(MxGetEventDescriptor(h, &fd2));
    CHECK(fd >= 0 && fd == fd2, "descriptors %d %d", (int)fd, (int)fd2);
    struct pollfd pfd = {fd, POLLIN, 0};
    CHECK(poll(&pfd, 1, 0) == 0, "the descriptor is readable on an idle handle");
    /* One request: the descriptor (or the timeout) says when to call MxDoEvents. */
    MX_OK(MxResolve(h, "multi.mx.test", NULL));
    double t0 = seconds_now();
    int loops = 0;
    while (e->responses < 5 && seconds_now() - t0 < 5.0) {
        MX_OK(MxGetNextTimeout(h, &t));
        int wait = t == MX_WAIT_INFINITE || t > 1000 ? 1000 : (int)t;
        pfd.revents = 0;
        poll(&pfd, 1, wait);
        MX_OK(MxDoEvents(h, 0));
        loops++;
    }
    CHECK(e->responses == 5, "responses %d after %d loops", e->responses, loops);
    CHECK(loops < 50, "%d loops for one answer: the descriptor or the timeout is wrong", loops);
    /* Twenty at once. */
    reset_events(e);
    for (int i = 0; i < 20; ++i) {
        char name[64];
        snprintf(name, sizeof name, "d%d.mx.test", i);
        MX_OK(MxResolve(h, name, NULL));
    }
    t0 = seconds_now();
    loops = 0;
    BOOL idle = FALSE;
    while (!idle && seconds_now() - t0 < 5.0) {
        MX_OK(MxGetNextTimeout(h, &t));
        int wait = t == MX_WAIT_INFINITE || t > 1000 ? 1000 : (int)t;
        pfd.revents = 0;
        poll(&pfd, 1, wait);
        MX_OK(MxDoEvents(h, 0));
        MX_OK(MxGetIdle(h, &idle));
        loops++;
    }
    CHECK(idle && e->responses == 20 && e->errors == 0, "idle %d responses %d errors %d", idle, e->responses, e->errors);
    CHECK(!e->other_thread, "a callback on another thread");
    MX_OK(MxGetNextTimeout(h, &t));
    CHECK(t == MX_WAIT_INFINITE, "next timeout %u when idle", (unsigned)t);
    pfd.revents = 0;
    CHECK(poll(&pfd, 1, 0) == 0, "the descriptor stays readable on an idle handle (busy loop)");
    /* MxDoEvents waits up to its timeout for something to happen. */
    MX_OK(MxResolve(h, "implicit.mx.test", NULL));
    reset_events(e);
    t0 = seconds_now();
    while (e->responses == 0 && seconds_now() - t0 < 5.0) MX_OK(MxDoEvents(h, 2000));
    CHECK(e->responses == 1, "responses %d", e->responses);
    CHECK(seconds_now() - t0 < 1.0, "MxDoEvents(2000) returned late: %.3f s", seconds_now() - t0);
    /* Nothing in flight: MxDoEvents(h, 200) returns 0 after waiting at most that long. */
    t0 = seconds_now();
    MX_OK(MxDoEvents(h, 200));
    CHECK(seconds_now() - t0 < 0.5, "MxDoEvents(200) on an idle handle took %.3f s", seconds_now() - t0);
}

/* 10,000 domains in flight on one handle, every answer checked. */
static void test_async_10000(void **state) {
    (void)state;
    enum { N = 10000, FIRST = 1000 };
    HCLIENT h = mx_new(knot_);
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxSetRequestId(h, FIRST));
    unsigned char *seen = calloc(N, 1);
    double t0 = seconds_now();
    for (int i = 0; i < N; ++i) {
        char name[64];
        DWORD id = 0;
        snprintf(name, sizeof name, "d%d.mx.test", i);
        MX_OK(MxResolve(h, name, &id));
        if (id != (DWORD)(FIRST + i)) fail_msg("request %d got id %u", i, (unsigned)id);
    }
    double queued = seconds_now() - t0;
    int received = 0;
    for (;;) {
        DWORD rid = 0, err = 0;
        DWORD rc = MxGetNextResult(h, 10000, &rid, &err);
        if (rc == INETKIT_ERROR_NOT_FOUND) break;
        if (rc != 0) fail_msg("MxGetNextResult returned %u (%s) after %d results", (unsigned)rc, mx_message(), received);
        DWORD i = rid - FIRST;
        if (i >= N || seen[i]) fail_msg("request id %u delivered %s", (unsigned)rid, i < N ? "twice" : "unknown");
        seen[i] = 1;
        received++;
        MXRESULT res;
        res.dwSize = sizeof res;
        MX_OK(MxGetResult(h, &res));
        char domain[64], server[64];
        snprintf(domain, sizeof domain, "d%u.mx.test", (unsigned)i);
        snprintf(server, sizeof server, "mx-%u.bulk.example", (unsigned)i);
        if (err != 0 || res.dwError != 0 || res.dwRequestId != rid || res.dwCount != 1 ||
            strcmp(res.szDomain, domain) != 0)
            fail_msg("request %u (%s): error %u/%u count %u domain '%s' status '%s'", (unsigned)rid, domain,
                     (unsigned)err, (unsigned)res.dwError, (unsigned)res.dwCount, res.szDomain, res.szStatus);
        MXRECORD r;
        r.dwSize = sizeof r;
        MX_OK(MxGetRecord(h, 0, &r));
        if (r.dwPrecedence != i || strcmp(r.szMailServer, server) != 0 || r.dwRequestId != rid ||
            r.dwTimeToLive != 3600 || !r.bAuthoritative)
            fail_msg("request %u (%s): %u %s ttl %u aa %d id %u", (unsigned)rid, domain, (unsigned)r.dwPrecedence,
                     r.szMailServer, (unsigned)r.dwTimeToLive, (int)r.bAuthoritative, (unsigned)r.dwRequestId);
    }
    free(seen);
    double total = seconds_now() - t0;
    CHECK(received == N, "%d of %d results", received, N);
    print_message("test_mx: 10,000 requests: queued in %.3f s, all answered in %.3f s\n", queued, total);
    CHECK(total < 30.0, "10,000 requests took %.1f s", total);
}

/* Truncation is reported for the request whose UDP answer was cut, and only for it, with many
   queries in flight: query ids are random 16-bit numbers, so two of them in flight at once can
   be equal (the flag was once kept per id and went to the wrong request, or was lost). */
static void test_async_truncated_flag_stays_with_its_request(void **state) {
    (void)state;
    enum { N = 2000 };
    HCLIENT h = mx_new(knot_);
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxSetRequestId(h, 1));
    for (int i = 0; i < N; ++i) {
        char name[64];
        snprintf(name, sizeof name, i % 2 ? "d%d.mx.test" : "big.mx.test", i);
        MX_OK(MxResolve(h, name, NULL));
    }
    int received = 0;
    for (;;) {
        DWORD rid = 0, err = 0;
        DWORD rc = MxGetNextResult(h, 10000, &rid, &err);
        if (rc == INETKIT_ERROR_NOT_FOUND) break;
        if (rc != 0) fail_msg("MxGetNextResult returned %u (%s) after %d results", (unsigned)rc, mx_message(), received);
        received++;
        MXRESULT res = {.dwSize = sizeof res};
        MX_OK(MxGetResult(h, &res));
        int big = (rid - 1) % 2 == 0;
        if (err != 0 || res.dwError != 0) fail_msg("request %u: error %u", (unsigned)rid, (unsigned)err);
        if (big != ((res.dwFlags & MX_RESULT_TRUNCATED) != 0))
            fail_msg("request %u (%s): flags 0x%x, truncated %s", (unsigned)rid, res.szDomain, (unsigned)res.dwFlags,
                     big ? "expected" : "not expected");
    }
    CHECK(received == N, "%d of %d results", received, N);
}

/* ==== timeouts, cancellation, busy ====================================================================== */

/* A server that cannot be reached: the socket's own error (ICMP port unreachable
   -> ECONNREFUSED) comes back as its Winsock code, at once rather than at the deadline. */
static void test_unreachable_server(void **state) {
    (void)state;
    HCLIENT h = mx_new("127.0.0.1:9"); /* discard port: nothing listens on loopback */
    MX_OK(MxSetTimeout(h, 10));
    outcome *o = resolve(h, "multi.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_CONNECTION_REFUSED);
    CHECK(o->seconds < 3.0, "a refused server took %.3f s", o->seconds);
    CHECK(strstr(o->res.szStatus, "multi.mx.test") != NULL && strstr(o->res.szStatus, "127.0.0.1:9") != NULL,
          "the message names the domain and the server: '%s'", o->res.szStatus);
    CHECK(o->res.dwStatusCode == MX_STATUS_NO_ANSWER, "status %u", (unsigned)o->res.dwStatusCode);
}

static void test_timeout_silent_server(void **state) {
    (void)state;
    ds_server *s = ds_new("E57/silent");
    current_ = s;
    start(s);
    HCLIENT h = mx_new(ds_address(s));
    MX_OK(MxSetTimeout(h, 2));
    events *e = listen_events(h);
    outcome *o = resolve(h, "silent.hostile.test");
    EXPECT_ERR(o, INETKIT_ERROR_TRY_AGAIN);
    CHECK(o->seconds >= 1.5 && o->seconds <= 3.5, "Timeout 2 s returned after %.3f s", o->seconds);
    CHECK(o->res.dwStatusCode == MX_STATUS_NO_ANSWER, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(o->res.dwElapsed >= 1500 && o->res.dwElapsed <= 3500, "dwElapsed %u", (unsigned)o->res.dwElapsed);
    CHECK(strstr(o->res.szStatus, "silent.hostile.test") != NULL && strstr(o->res.szStatus, "127.0.0.1") != NULL,
          "the message names the domain and the server: '%s'", o->res.szStatus);
    CHECK(e->errors == 1 && e->err_code[0] == INETKIT_ERROR_TRY_AGAIN && e->err_status[0] == MX_STATUS_NO_ANSWER,
          "errors %d code %u status %u", e->errors, (unsigned)e->err_code[0], (unsigned)e->err_status[0]);
    CHECK(ds_query_count(s, DS_BOTH) >= 1, "no query was sent");
    /* AbsoluteTimeout bounds a request below the Timeout. */
    config(h, "AbsoluteTimeout=500");
    MX_OK(MxSetTimeout(h, 10));
    o = resolve(h, "silent.hostile.test");
    EXPECT_ERR(o, INETKIT_ERROR_TRY_AGAIN);
    CHECK(o->seconds >= 0.35 && o->seconds <= 1.5, "AbsoluteTimeout=500 returned after %.3f s", o->seconds);
    /* ...and an asynchronous one. */
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxSetResponseCallback(h, NULL, NULL));
    MX_OK(MxSetErrorCallback(h, NULL, NULL));
    double t0 = seconds_now();
    DWORD id = 0, rid = 0, err = 0;
    MX_OK(MxResolve(h, "silent.hostile.test", &id));
    MX_FAILS(MxGetNextResult(h, 100, &rid, &err), INETKIT_ERROR_TIMED_OUT);
    MX_FAILS(MxWait(h, 100), INETKIT_ERROR_TIMED_OUT);
    MX_OK(MxGetNextResult(h, 5000, &rid, &err));
    double took = seconds_now() - t0;
    CHECK(rid == id && err == INETKIT_ERROR_TRY_AGAIN, "rid %u err %u", (unsigned)rid, (unsigned)err);
    CHECK(took >= 0.35 && took <= 1.5, "asynchronous AbsoluteTimeout=500 ended after %.3f s", took);
    /* Retries: each query waits QueryTimeout, then twice as long. */
    config(h, "AbsoluteTimeout=0");
    config(h, "QueryTimeout=100");
    config(h, "Retries=2");
    MX_OK(MxSetTimeout(h, 10));
    size_t before = ds_query_count(s, DS_BOTH);
    o = resolve(h, "retries.hostile.test");
    EXPECT_ERR(o, INETKIT_ERROR_TRY_AGAIN);
    size_t sent = ds_query_count(s, DS_BOTH) - before;
    CHECK(sent == 3, "Retries=2 sent %zu queries", sent);
    CHECK(o->seconds >= 0.55 && o->seconds < 2.0, "100+200+400 ms took %.3f s", o->seconds);
}

typedef struct {
    HCLIENT h;
    unsigned delay_ms;
    DWORD rc;
    double when;
} interrupter;

static void *interrupt_later(void *arg) {
    interrupter *it = arg;
    sleep_ms(it->delay_ms);
    it->when = seconds_now();
    it->rc = MxInterrupt(it->h);
    return NULL;
}

static void test_interrupt_from_another_thread(void **state) {
    (void)state;
    ds_server *s = ds_new("E57/interrupt");
    current_ = s;
    start(s);
    HCLIENT h = mx_new_opt(ds_address(s), MX_OPTION_FREETHREAD);
    MX_OK(MxSetTimeout(h, 30));
    events *e = listen_events(h);
    interrupter it = {h, 300, 12345, 0};
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, &it);
    outcome *o = resolve(h, "blocked.hostile.test");
    double returned = seconds_now();
    pthread_join(th, NULL);
    CHECK(it.rc == 0, "MxInterrupt returned %u", (unsigned)it.rc);
    EXPECT_ERR(o, INETKIT_ERROR_CANCELED);
    CHECK(o->seconds >= 0.25 && returned - it.when < 1.0, "returned %.3f s after the interrupt (%.3f s in all)",
          returned - it.when, o->seconds);
    CHECK(o->res.dwStatusCode == MX_STATUS_NO_ANSWER, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(e->errors == 1 && e->err_code[0] == INETKIT_ERROR_CANCELED, "error events %d code %u", e->errors,
          (unsigned)e->err_code[0]);
    /* The handle is still good. */
    MX_OK(MxSetDnsServer(h, knot_));
    o = resolve(h, "multi.mx.test");
    EXPECT_OK(o, 5);
    /* A wait on the handle is interrupted too; the request ends with CANCELED, delivered as usual. */
    MX_OK(MxSetDnsServer(h, ds_address(s)));
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxSetResponseCallback(h, NULL, NULL));
    MX_OK(MxSetErrorCallback(h, NULL, NULL));
    DWORD id = 0;
    MX_OK(MxResolve(h, "waiting.hostile.test", &id));
    it.rc = 12345;
    pthread_create(&th, NULL, interrupt_later, &it);
    double t0 = seconds_now();
    DWORD rc = MxWait(h, 20000);
    double took = seconds_now() - t0;
    pthread_join(th, NULL);
    CHECK(rc == INETKIT_ERROR_CANCELED, "MxWait returned %u", (unsigned)rc);
    CHECK(took < 2.0, "MxWait returned after %.3f s", took);
    DWORD rid = 0, err = 0;
    MX_OK(MxGetNextResult(h, 2000, &rid, &err));
    CHECK(rid == id && err == INETKIT_ERROR_CANCELED, "rid %u err %u", (unsigned)rid, (unsigned)err);
    /* MxDoEvents too. */
    MX_OK(MxResolve(h, "waiting2.hostile.test", &id));
    it.rc = 12345;
    pthread_create(&th, NULL, interrupt_later, &it);
    t0 = seconds_now();
    rc = MxDoEvents(h, 20000);
    took = seconds_now() - t0;
    pthread_join(th, NULL);
    CHECK(rc == INETKIT_ERROR_CANCELED, "MxDoEvents returned %u", (unsigned)rc);
    CHECK(took < 2.0, "MxDoEvents returned after %.3f s", took);
    MX_OK(MxGetNextResult(h, 2000, &rid, &err));
    CHECK(rid == id && err == INETKIT_ERROR_CANCELED, "rid %u err %u", (unsigned)rid, (unsigned)err);
}

static void test_interrupt_async_requests(void **state) {
    (void)state;
    ds_server *s = ds_new("interrupt-async");
    current_ = s;
    start(s);
    HCLIENT h = mx_new(ds_address(s));
    MX_OK(MxSetTimeout(h, 0));
    DWORD ids[3];
    for (int i = 0; i < 3; ++i) MX_OK(MxResolve(h, i == 0 ? "a.hostile.test" : i == 1 ? "b.hostile.test" : "c.hostile.test", &ids[i]));
    MX_OK(MxInterrupt(h));
    int seen = 0;
    for (int i = 0; i < 3; ++i) {
        DWORD rid = 0, err = 0;
        MX_OK(MxGetNextResult(h, 2000, &rid, &err));
        CHECK(err == INETKIT_ERROR_CANCELED, "request %u ended with %u", (unsigned)rid, (unsigned)err);
        for (int k = 0; k < 3; ++k) seen += rid == ids[k];
    }
    CHECK(seen == 3, "results for %d of the 3 requests", seen);
    MX_FAILS(MxGetNextResult(h, 0, NULL, NULL), INETKIT_ERROR_NOT_FOUND);
    /* MxReset cancels without events and drops results. */
    events *e = listen_events(h);
    MX_OK(MxResolve(h, "d.hostile.test", NULL));
    MX_OK(MxReset(h));
    BOOL idle = FALSE;
    MX_OK(MxGetIdle(h, &idle));
    CHECK(idle, "not idle after MxReset");
    MX_OK(MxDoEvents(h, 100));
    CHECK(e->errors == 0 && e->responses == 0, "MxReset fired %d/%d events", e->responses, e->errors);
    MXRESULT res;
    res.dwSize = sizeof res;
    MX_FAILS(MxGetResult(h, &res), INETKIT_ERROR_NOT_FOUND);
    /* MxDestroy with requests in flight: no event. */
    MX_OK(MxSetDnsServer(h, ds_address(s)));
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxResolve(h, "e.hostile.test", NULL));
    destroy(h);
    CHECK(e->errors == 0 && e->responses == 0, "MxDestroy fired %d/%d events", e->responses, e->errors);
}

typedef struct {
    HCLIENT h;
    DWORD rc;
    double took;
} blocker;

static void *block_resolve(void *arg) {
    blocker *b = arg;
    double t0 = seconds_now();
    b->rc = MxResolve(b->h, "blocked.hostile.test", NULL);
    b->took = seconds_now() - t0;
    return NULL;
}

static void test_busy(void **state) {
    (void)state;
    ds_server *s = ds_new("busy/silent");
    current_ = s;
    start(s);
    HCLIENT h = hostile_handle(s);
    events *e = listen_events(h);
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxResolve(h, "a.hostile.test", NULL));
    MX_OK(MxSetTimeout(h, 5));
    MX_FAILS(MxResolve(h, "b.hostile.test", NULL), INETKIT_ERROR_BUSY);
    MX_FAILS(MxSetDnsServer(h, knot_), INETKIT_ERROR_BUSY);
    MX_FAILS(MxSetDnsPort(h, 5353), INETKIT_ERROR_BUSY);
    /* The settings the header lists as the network's: servers, ports, packet size, mode, retries. */
    static const char *const network[] = {"Retries=2", "MaxPacketSize=512", "ConnectionMode=tcp", "LocalPort=0"};
    for (size_t i = 0; i < sizeof network / sizeof network[0]; ++i) {
        DWORD rc = MxConfig(h, network[i]);
        CHECK(rc == INETKIT_ERROR_BUSY, "MxConfig(%s) in flight returned %u", network[i], (unsigned)rc);
    }
    /* Settings of the plan are not the network's. */
    config(h, "ShuffleSeed=7");
    config(h, "MaxRecords=5");
    config(h, "ImplicitMX=off");
    MX_OK(MxReset(h));
    CHECK(e->errors == 0, "MxReset fired an error event");
    /* Another thread in a call on a free-threaded handle makes a synchronous MxResolve busy. */
    HCLIENT f = mx_new_opt(ds_address(s), MX_OPTION_FREETHREAD);
    MX_OK(MxSetTimeout(f, 20));
    blocker b = {f, 12345, 0};
    pthread_t th;
    pthread_create(&th, NULL, block_resolve, &b);
    sleep_ms(300);
    double t0 = seconds_now();
    DWORD rc = MxResolve(f, "second.hostile.test", NULL);
    double took = seconds_now() - t0;
    DWORD irc = MxInterrupt(f);
    pthread_join(th, NULL);
    CHECK(rc == INETKIT_ERROR_BUSY && took < 1.0, "a second MxResolve returned %u after %.3f s", (unsigned)rc, took);
    CHECK(irc == 0 && b.rc == INETKIT_ERROR_CANCELED && b.took < 3.0, "the blocked MxResolve returned %u after %.3f s",
          (unsigned)b.rc, b.took);
}

/* ==== threads, callbacks, handles ======================================================================= */

typedef struct {
    HCLIENT h;
    DWORD tid;
    DWORD rc_get, last, rc_attach_back, rc_after, rc_resolve;
    char message[1100];
    DWORD owner;
    int phase;
    pthread_mutex_t m;
    pthread_cond_t c;
} thread_probe;

static void wait_phase(thread_probe *p, int phase) {
    pthread_mutex_lock(&p->m);
    while (p->phase < phase) pthread_cond_wait(&p->c, &p->m);
    pthread_mutex_unlock(&p->m);
}

static void set_phase(thread_probe *p, int phase) {
    pthread_mutex_lock(&p->m);
    p->phase = phase;
    pthread_cond_broadcast(&p->c);
    pthread_mutex_unlock(&p->m);
}

static void *other_thread(void *arg) {
    thread_probe *p = arg;
    p->tid = current_tid();
    UINT t = 0;
    p->rc_get = MxGetTimeout(p->h, &t);
    p->last = MxGetLastError();
    DWORD size = sizeof p->message;
    MxGetLastErrorMessage(p->message, &size);
    set_phase(p, 1);
    wait_phase(p, 2); /* the owner attached the handle to us */
    p->rc_after = MxGetTimeout(p->h, &t);
    p->rc_resolve = MxResolve(p->h, "multi.mx.test", NULL);
    p->rc_attach_back = MxAttachThread(p->h, p->owner); /* the previous owner: this thread */
    set_phase(p, 3);
    return NULL;
}

static void test_wrong_thread_and_attach(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    thread_probe p;
    memset(&p, 0, sizeof p);
    p.h = h;
    p.owner = current_tid();
    pthread_mutex_init(&p.m, NULL);
    pthread_cond_init(&p.c, NULL);
    pthread_t th;
    pthread_create(&th, NULL, other_thread, &p);
    wait_phase(&p, 1);
    CHECK(p.rc_get == INETKIT_ERROR_WRONG_THREAD && p.last == INETKIT_ERROR_WRONG_THREAD, "from another thread: %u/%u",
          (unsigned)p.rc_get, (unsigned)p.last);
    char owner[32], other[32];
    snprintf(owner, sizeof owner, "%u", (unsigned)p.owner);
    snprintf(other, sizeof other, "%u", (unsigned)p.tid);
    CHECK(strstr(p.message, owner) != NULL && strstr(p.message, other) != NULL,
          "the message names both threads (%s, %s): '%s'", owner, other, p.message);
    /* MxAttachThread is InetAttachThread: it returns the previous owner. */
    DWORD previous = MxAttachThread(h, p.tid);
    CHECK(previous == p.owner && MxGetLastError() == 0, "MxAttachThread returned %u (owner %u), last error %u",
          (unsigned)previous, (unsigned)p.owner, (unsigned)MxGetLastError());
    UINT t = 0;
    MX_FAILS(MxGetTimeout(h, &t), INETKIT_ERROR_WRONG_THREAD);
    set_phase(&p, 2);
    wait_phase(&p, 3);
    pthread_join(th, NULL);
    CHECK(p.rc_after == 0 && p.rc_resolve == 0 && p.rc_attach_back == p.tid, "attached thread: %u %u %u",
          (unsigned)p.rc_after, (unsigned)p.rc_resolve, (unsigned)p.rc_attach_back);
    MX_OK(MxGetTimeout(h, &t));
    /* The result the other thread made is current here. */
    char server[300];
    get_string(MxGetMailServer, h, server, sizeof server);
    CHECK(strcmp(server, "mx1.multi.mx.test") == 0, "MxGetMailServer '%s'", server);
    /* No such thread: 0 and INVALID_PARAMETER; 0 is the calling thread. */
    previous = MxAttachThread(h, 0x7FFFFFF0u);
    CHECK(previous == 0 && MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER, "attach to no thread: %u, %u",
          (unsigned)previous, (unsigned)MxGetLastError());
    previous = MxAttachThread(h, 0);
    CHECK(previous == p.owner && MxGetLastError() == 0, "attach to the caller: %u, %u", (unsigned)previous,
          (unsigned)MxGetLastError());
    previous = MxAttachThread((HCLIENT)(uintptr_t)0x1234u, 0);
    CHECK(previous == 0 && MxGetLastError() == INETKIT_ERROR_INVALID_HANDLE, "attach a forged handle: %u, %u",
          (unsigned)previous, (unsigned)MxGetLastError());
    pthread_mutex_destroy(&p.m);
    pthread_cond_destroy(&p.c);
}

typedef struct {
    HCLIENT h;
    DWORD rc_destroy, rc_interrupt;
} any_thread;

static void *destroy_elsewhere(void *arg) {
    any_thread *a = arg;
    a->rc_interrupt = MxInterrupt(a->h);
    a->rc_destroy = MxDestroy(a->h);
    return NULL;
}

static void test_any_thread_calls(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    any_thread a = {h, 12345, 12345};
    pthread_t th;
    pthread_create(&th, NULL, destroy_elsewhere, &a);
    pthread_join(th, NULL);
    untrack(h);
    CHECK(a.rc_interrupt == 0 && a.rc_destroy == 0, "MxInterrupt %u, MxDestroy %u from another thread",
          (unsigned)a.rc_interrupt, (unsigned)a.rc_destroy);
    UINT t;
    MX_FAILS(MxGetTimeout(h, &t), INETKIT_ERROR_INVALID_HANDLE);
}

static void test_reentrancy(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    MX_OK(MxSetTimeout(h, 0));
    events *e = listen_events(h);
    e->probe_reentrancy = 1;
    MX_OK(MxResolve(h, "multi.mx.test", NULL));
    MX_OK(MxResolve(h, "implicit.mx.test", NULL));
    DWORD rc = MxWait(h, 5000);
    CHECK(rc == 0 || rc == INETKIT_ERROR_CANCELED, "MxWait returned %u", (unsigned)rc);
    CHECK(e->reentrant_get == INETKIT_ERROR_REENTRANT_CALL, "MxGetRecordCount in a callback returned %u",
          (unsigned)e->reentrant_get);
    CHECK(e->reentrant_resolve == INETKIT_ERROR_REENTRANT_CALL, "MxResolve in a callback returned %u",
          (unsigned)e->reentrant_resolve);
    CHECK(e->reentrant_interrupt == 0, "MxInterrupt (cancel) in a callback returned %u", (unsigned)e->reentrant_interrupt);
    MX_OK(MxWait(h, 5000));
    /* MxDestroy from inside a callback: nothing fires afterwards, the handle is gone. */
    reset_events(e);
    for (int i = 0; i < 5; ++i) {
        char name[32];
        snprintf(name, sizeof name, "d%d.mx.test", i);
        MX_OK(MxResolve(h, name, NULL));
    }
    e->destroy_in_callback = 1;
    rc = MxWait(h, 5000);
    untrack(h);
    CHECK(e->destroyed && e->calls_after_destroy == 0, "destroyed %d, %d calls after", e->destroyed,
          e->calls_after_destroy);
    BOOL idle;
    MX_FAILS(MxGetIdle(h, &idle), INETKIT_ERROR_INVALID_HANDLE);
    (void)rc;
}

/* ==== the hostile-input catalogue, section E (44-58), through the scripted server ====================== */

#define Q "hostile.test"

/* A server whose every MX query (UDP and TCP) is answered by one crafted packet, built by the caller. */
static ds_pkt *one_answer(const char *name, ds_server **server) {
    ds_server *s = ds_new(name);
    current_ = s;
    *server = s;
    return ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
}

/* Resolves Q on a fresh hostile handle; the outcome must be error code (and quick). */
static void expect_hostile(ds_server *s, DWORD code) {
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_ERR(o, code);
    CHECK(o->count == 0, "a failed request has %u records", (unsigned)o->count);
    CHECK(o->seconds < 2.0, "took %.3f s", o->seconds);
    destroy(h);
}

static void put_u16(unsigned char *b, size_t v) {
    b[0] = (unsigned char)(v >> 8);
    b[1] = (unsigned char)v;
}

static void test_E44_compression_loops(void **state) {
    (void)state;
    ds_server *s;
    unsigned char w[8];
    /* The exchange points at itself. */
    ds_pkt *p = one_answer("E44/self-pointer", &s);
    size_t ex = ds_pkt_offset(p, Q) + 14;
    put_u16(w, 0xC000 | ex);
    ds_rr_mx_wire(p, NULL, 300, 10, w, 2, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* A label, then a pointer back to that label. */
    p = one_answer("E44/two-label-loop", &s);
    ex = ds_pkt_offset(p, Q) + 14;
    w[0] = 1;
    w[1] = 'a';
    put_u16(w + 2, 0xC000 | ex);
    ds_rr_mx_wire(p, NULL, 300, 10, w, 4, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* Two records whose exchanges point at each other. */
    p = one_answer("E44/mutual-pointers", &s);
    ex = ds_pkt_offset(p, Q) + 14;
    put_u16(w, 0xC000 | (ex + 16));
    ds_rr_mx_wire(p, NULL, 300, 10, w, 2, -1);
    put_u16(w, 0xC000 | ex);
    ds_rr_mx_wire(p, NULL, 300, 20, w, 2, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* The owner name points at itself. */
    p = one_answer("E44/owner-self-pointer", &s);
    size_t rr = ds_pkt_offset(p, Q);
    unsigned char raw[16] = {0, 0, 0, 15, 0, 1, 0, 0, 1, 44, 0, 4, 0, 10, 0xC0, 0x0C};
    put_u16(raw, 0xC000 | rr);
    ds_body(p, raw, sizeof raw);
    ds_pkt_counts(p, -1, 1, -1, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* A pointer into the header (offset 2: the flags byte 0x84 is no label length). */
    p = one_answer("E44/pointer-into-header", &s);
    put_u16(w, 0xC002);
    ds_rr_mx_wire(p, NULL, 300, 10, w, 2, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
}

static void test_E45_pointer_past_end(void **state) {
    (void)state;
    ds_server *s;
    unsigned char w[4];
    ds_pkt *p = one_answer("E45/pointer-0x3fff", &s);
    put_u16(w, 0xFFFF);
    ds_rr_mx_wire(p, NULL, 300, 10, w, 2, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* Just past the end: the packet ends with this pointer. */
    p = one_answer("E45/pointer-to-end", &s);
    size_t end = ds_pkt_offset(p, Q) + 16;
    put_u16(w, 0xC000 | end);
    ds_rr_mx_wire(p, NULL, 300, 10, w, 2, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* A 1-byte pointer at the end of the packet. */
    p = one_answer("E45/incomplete-pointer", &s);
    w[0] = 0xC0;
    ds_rr_mx_wire(p, NULL, 300, 10, w, 1, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* A label running past the end. */
    p = one_answer("E45/label-past-end", &s);
    unsigned char l[6] = {40, 'm', 'x', '.', 'x', 'y'};
    ds_rr_mx_wire(p, NULL, 300, 10, l, sizeof l, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* A reserved label type (0x40, 0x80). */
    p = one_answer("E45/label-type-0x40", &s);
    unsigned char t[4] = {0x41, 'a', 0, 0};
    ds_rr_mx_wire(p, NULL, 300, 10, t, 3, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
}

/* The full answer cut at every length: never a success, never a partial list. */
static void test_E46_truncated_at_every_length(void **state) {
    (void)state;
    ds_server *probe;
    ds_pkt *p = one_answer("E46/full", &probe);
    ds_rr_mx(p, NULL, 300, 10, "mx1." Q);
    ds_rr_mx(p, NULL, 300, 20, "mx2." Q);
    size_t total = ds_pkt_offset(p, Q);
    size_t header_question = 12 + ds_question_len(Q);
    start(probe);
    HCLIENT h = hostile_handle(probe);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 2); /* the whole answer is fine */
    destroy(h);
    double t0 = seconds_now();
    for (int tcp = 0; tcp <= 1; ++tcp) {
        for (size_t n = 1; n < total; ++n) {
            /* Over TCP a few lengths are enough: the frame boundary is what differs. */
            if (tcp && !(n == 1 || n == 11 || n == header_question - 1 || n == header_question || n == total - 1 ||
                         n == total - 2 || n == header_question + 5))
                continue;
            char name[64];
            snprintf(name, sizeof name, "E46/%s-cut-at-%zu-of-%zu", tcp ? "tcp" : "udp", n, total);
            ds_server *s = ds_new(name);
            current_ = s;
            ds_pkt *cut = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
            ds_rr_mx(cut, NULL, 300, 10, "mx1." Q);
            ds_rr_mx(cut, NULL, 300, 20, "mx2." Q);
            ds_pkt_truncate(cut, n);
            start(s);
            HCLIENT hc = mx_new(ds_address(s));
            config(hc, "QueryTimeout=100");
            config(hc, "Retries=0");
            if (tcp) config(hc, "ConnectionMode=tcp");
            o = resolve(hc, Q);
            if (n >= header_question) {
                /* The question matches: the answer is ours, and malformed. */
                if (o->rc != INETKIT_ERROR_DNS_BAD_RESPONSE)
                    fail_msg("%scut at %zu of %zu: %s", where(), n, total, describe_outcome(o));
            } else {
                /* Not even the question: the packet cannot be matched to the query (dropped), or is malformed. */
                if (o->rc != INETKIT_ERROR_DNS_BAD_RESPONSE && o->rc != INETKIT_ERROR_TRY_AGAIN)
                    fail_msg("%scut at %zu of %zu: %s", where(), n, total, describe_outcome(o));
            }
            CHECK(o->count == 0, "cut at %zu: %u records", n, (unsigned)o->count);
            destroy(hc);
            ds_free(s);
            current_ = NULL;
        }
    }
    print_message("test_mx: E46: %zu-byte answer cut at every length in %.2f s\n", total, seconds_now() - t0);
}

static void test_E47_rdlength(void **state) {
    (void)state;
    ds_server *s;
    unsigned char w[64];
    size_t n = ds_name_to_wire("mx." Q, w);
    /* RDLENGTH 1: the preference does not even fit. */
    ds_pkt *p = one_answer("E47/rdlength-1", &s);
    ds_rr_mx_wire(p, NULL, 300, 10, w, n, 1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* RDLENGTH past the end of the packet. */
    p = one_answer("E47/rdlength-past-end", &s);
    ds_rr_mx_wire(p, NULL, 300, 10, w, n, 500);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* RDLENGTH longer than the name, the packet long enough: the name must end at RDLENGTH. */
    p = one_answer("E47/rdlength-long", &s);
    ds_rr_mx_wire(p, NULL, 300, 10, w, n, (int)n + 2 + 4);
    static const unsigned char pad[4] = {0, 0, 0, 0};
    ds_body(p, pad, 4);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* RDLENGTH shorter than the name. */
    p = one_answer("E47/rdlength-short", &s);
    ds_rr_mx_wire(p, NULL, 300, 10, w, n, (int)n);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* Bytes after the last record. */
    p = one_answer("E47/trailing-bytes", &s);
    ds_rr_mx(p, NULL, 300, 10, "mx." Q);
    ds_body(p, pad, 3);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
}

static void test_E48_ancount_65535(void **state) {
    (void)state;
    ds_server *s;
    ds_pkt *p = one_answer("E48/ancount-65535", &s);
    ds_rr_mx(p, NULL, 300, 10, "mx." Q);
    ds_pkt_counts(p, -1, 65535, -1, -1);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    p = one_answer("E48/arcount-65535", &s);
    ds_rr_mx(p, NULL, 300, 10, "mx." Q);
    ds_pkt_counts(p, -1, -1, -1, 65535);
    expect_hostile(s, INETKIT_ERROR_DNS_BAD_RESPONSE);
    /* QDCOUNT 2 with one question. */
    p = one_answer("E48/qdcount-2", &s);
    ds_rr_mx(p, NULL, 300, 10, "mx." Q);
    ds_pkt_counts(p, 2, -1, -1, -1);
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    CHECK(o->rc == INETKIT_ERROR_DNS_BAD_RESPONSE || o->rc == INETKIT_ERROR_TRY_AGAIN, "%s", describe_outcome(o));
}

/* CVE-2023-32067: an empty datagram is no reason to give up. */
static void test_E49_empty_datagram(void **state) {
    (void)state;
    ds_server *s = ds_new("E49/empty-then-answer");
    current_ = s;
    ds_step *st = ds_step_add(s, DS_UDP, DS_TYPE_MX);
    ds_raw(st, "", 0, 0);
    ds_pkt *p = ds_reply(st, DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "mx." Q);
    start(s);
    HCLIENT h = mx_new(ds_address(s));
    config(h, "QueryTimeout=1000");
    config(h, "Retries=0");
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "mx." Q) == 0, "%s", describe_outcome(o));
    destroy(h);
    /* An empty datagram and nothing else: a timeout at the deadline, not an early failure. */
    s = ds_new("E49/empty-only");
    current_ = s;
    ds_raw(ds_step_add(s, DS_UDP, DS_TYPE_MX), "", 0, 0);
    start(s);
    h = mx_new(ds_address(s));
    config(h, "QueryTimeout=500");
    config(h, "Retries=0");
    o = resolve(h, Q);
    EXPECT_ERR(o, INETKIT_ERROR_TRY_AGAIN);
    CHECK(o->seconds >= 0.4, "gave up after %.3f s (an empty datagram ended the query early)", o->seconds);
}

static void test_E50_truncation_and_tcp(void **state) {
    (void)state;
    /* TC=1 over UDP, the full answer over TCP. */
    ds_server *s = ds_new("E50/tc-then-tcp");
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_UDP, DS_TYPE_MX), DS_NOERROR, DS_AA | DS_TC);
    ds_rr_mx(p, NULL, 300, 10, "partial." Q);
    p = ds_reply(ds_step_add(s, DS_TCP, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "mx1." Q);
    ds_rr_mx(p, NULL, 300, 20, "mx2." Q);
    ds_rr_mx(p, NULL, 300, 30, "mx3." Q);
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 3);
    CHECK(o->res.dwFlags == (MX_RESULT_AUTHORITATIVE | MX_RESULT_TRUNCATED), "flags 0x%x", (unsigned)o->res.dwFlags);
    CHECK(strcmp(o->rec[0].szMailServer, "mx1." Q) == 0, "%s", describe_outcome(o));
    CHECK(ds_query_count(s, DS_UDP) == 1 && ds_query_count(s, DS_TCP) == 1, "udp %zu tcp %zu",
          ds_query_count(s, DS_UDP), ds_query_count(s, DS_TCP));
    destroy(h);
    /* The TCP stream closed mid-frame, then a good one: a retry succeeds. */
    s = ds_new("E50/tcp-cut-then-good");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_UDP, DS_TYPE_MX), DS_NOERROR, DS_AA | DS_TC);
    p = ds_reply(ds_step_add(s, DS_TCP, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "mx1." Q);
    ds_rr_mx(p, NULL, 300, 20, "mx2." Q);
    ds_pkt_cut_frame(p, 20);
    p = ds_reply(ds_step_add(s, DS_TCP, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "mx1." Q);
    ds_rr_mx(p, NULL, 300, 20, "mx2." Q);
    start(s);
    h = hostile_handle(s);
    config(h, "Retries=2");
    o = resolve(h, Q);
    EXPECT_OK(o, 2);
    CHECK(ds_tcp_connections(s) >= 2, "connections %zu", ds_tcp_connections(s));
    destroy(h);
    /* Always closed mid-frame: a failure to reach the server, not a malformed answer and no crash. */
    s = ds_new("E50/tcp-always-cut");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_UDP, DS_TYPE_MX), DS_NOERROR, DS_AA | DS_TC);
    p = ds_reply(ds_step_add(s, DS_TCP, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "mx1." Q);
    ds_pkt_cut_frame(p, 7);
    start(s);
    h = hostile_handle(s);
    o = resolve(h, Q);
    CHECK(o->rc == INETKIT_ERROR_TRY_AGAIN || (o->rc >= 10000 && o->rc < 11000), "%s", describe_outcome(o));
    CHECK(o->res.dwStatusCode == MX_STATUS_NO_ANSWER, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(o->seconds < 4.0, "took %.3f s", o->seconds);
    destroy(h);
    /* A TCP connection closed right after a FORMERR, with many requests in flight (CVE-2025-31498 class). */
    s = ds_new("E50/formerr-close-many");
    current_ = s;
    ds_step *st = ds_step_add(s, DS_TCP, DS_TYPE_ANY);
    ds_reply(st, DS_FORMERR, 0);
    ds_step_close(st);
    start(s);
    h = hostile_handle(s);
    config(h, "ConnectionMode=tcp");
    MX_OK(MxSetTimeout(h, 0));
    config(h, "AbsoluteTimeout=3000");
    for (int i = 0; i < 40; ++i) {
        char name[64];
        snprintf(name, sizeof name, "m%d." Q, i);
        MX_OK(MxResolve(h, name, NULL));
    }
    int done = 0;
    for (;;) {
        DWORD rid = 0, err = 0;
        DWORD rc = MxGetNextResult(h, 5000, &rid, &err);
        if (rc == INETKIT_ERROR_NOT_FOUND) break;
        MX_OK(rc);
        CHECK(err != 0, "request %u succeeded on FORMERR", (unsigned)rid);
        done++;
    }
    CHECK(done == 40, "%d of 40 finished", done);
}

static void test_E51_nodata_and_wrong_type(void **state) {
    (void)state;
    /* NOERROR, no MX, no A, no AAAA. */
    ds_server *s = ds_new("E51/nodata");
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
    CHECK(o->res.dwStatusCode == MX_STATUS_OK, "status %u", (unsigned)o->res.dwStatusCode);
    CHECK(ds_query_count_type(s, DS_TYPE_A) >= 1 && ds_query_count_type(s, DS_TYPE_AAAA) >= 1,
          "the implicit MX needs the A and AAAA queries: A %zu AAAA %zu", ds_query_count_type(s, DS_TYPE_A),
          ds_query_count_type(s, DS_TYPE_AAAA));
    destroy(h);
    /* ImplicitMX=off: no address query at all. */
    s = ds_new("E51/nodata-no-implicit");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    start(s);
    h = hostile_handle(s);
    config(h, "ImplicitMX=off");
    o = resolve(h, Q);
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
    CHECK(ds_query_count_type(s, DS_TYPE_A) == 0 && ds_query_count_type(s, DS_TYPE_AAAA) == 0, "A %zu AAAA %zu",
          ds_query_count_type(s, DS_TYPE_A), ds_query_count_type(s, DS_TYPE_AAAA));
    destroy(h);
    /* An SRV answer to the MX question is no MX. */
    s = ds_new("E51/srv-for-mx");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_srv(p, NULL, 300, "srv-target." Q);
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_A), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_AAAA), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    start(s);
    h = hostile_handle(s);
    o = resolve(h, Q);
    EXPECT_ERR(o, INETKIT_ERROR_NO_DATA);
    destroy(h);
    /* The same SRV answer with an A record for the domain: the implicit MX. */
    s = ds_new("E51/srv-then-implicit");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_srv(p, NULL, 300, "srv-target." Q);
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_A), DS_NOERROR, DS_AA);
    ds_rr_a(p, DS_ANSWER, NULL, 77, "192.0.2.7");
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_AAAA), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    start(s);
    h = hostile_handle(s);
    o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, Q) == 0 && o->rec[0].dwFlags == MX_RECORD_IMPLICIT &&
              o->rec[0].dwTimeToLive == 77,
          "%s", describe_outcome(o));
}

static void test_E52_null_mx(void **state) {
    (void)state;
    ds_server *s = ds_new("E52/null-mx");
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 0, "");
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_A), DS_NOERROR, DS_AA);
    ds_rr_a(p, DS_ANSWER, NULL, 300, "192.0.2.9");
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_AAAA), DS_NOERROR, DS_AA);
    ds_rr_aaaa(p, DS_ANSWER, NULL, 300, "2001:db8::9");
    start(s);
    HCLIENT h = hostile_handle(s);
    config(h, "ResolveAddresses=on");
    outcome *o = resolve(h, Q);
    EXPECT_ERR(o, INETKIT_ERROR_NULL_MX);
    CHECK(ds_query_count_type(s, DS_TYPE_A) == 0 && ds_query_count_type(s, DS_TYPE_AAAA) == 0,
          "a null MX fell back to the addresses: A %zu AAAA %zu", ds_query_count_type(s, DS_TYPE_A),
          ds_query_count_type(s, DS_TYPE_AAAA));
}

static void test_E53_exchanger_names(void **state) {
    (void)state;
    /* Wire names: each bad one holds one forbidden byte or shape; "good.hostile.test" is valid. */
    static const struct {
        const char *what;
        const char *wire;
        size_t len;
    } bad[] = {
        {"NUL", "\x07" "bad\0mx1" "\x07" "hostile" "\x04" "test", 22},
        {"space", "\x07" "bad mx2" "\x07" "hostile" "\x04" "test", 22},
        {"semicolon", "\x07" "bad;mx3" "\x07" "hostile" "\x04" "test", 22},
        {"0x80", "\x07" "bad\x80mx4" "\x07" "hostile" "\x04" "test", 22},
        {"0xff", "\x07" "bad\xffmx5" "\x07" "hostile" "\x04" "test", 22},
        {"escaped dot", "\x07" "bad.mx6" "\x07" "hostile" "\x04" "test", 22},
        {"CR LF", "\x08" "bad\r\nmx7" "\x07" "hostile" "\x04" "test", 23},
        {"underscore", "\x07" "bad_mx8" "\x07" "hostile" "\x04" "test", 22},
        {"leading hyphen", "\x07" "-badmx9" "\x07" "hostile" "\x04" "test", 22},
        {"trailing hyphen", "\x07" "badmx0-" "\x07" "hostile" "\x04" "test", 22},
        {"backslash", "\x07" "bad\\mxa" "\x07" "hostile" "\x04" "test", 22},
        {"slash", "\x07" "bad/mxb" "\x07" "hostile" "\x04" "test", 22},
        {"at sign", "\x07" "bad@mxc" "\x07" "hostile" "\x04" "test", 22},
        {"the root", "", 1},
    };
    const size_t nbad = sizeof bad / sizeof bad[0];
    ds_server *s = ds_new("E53/mixed");
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    for (size_t i = 0; i < nbad; ++i) ds_rr_mx_wire(p, NULL, 300, 10 + (unsigned)i, bad[i].wire, bad[i].len, -1);
    ds_rr_mx(p, NULL, 300, 50, "good." Q);
    start(s);
    HCLIENT h = hostile_handle(s);
    events *e = listen_events(h);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "good." Q) == 0 && o->rec[0].dwPrecedence == 50, "%s", describe_outcome(o));
    CHECK(o->res.dwFlags & MX_RESULT_RECORDS_DROPPED, "flags 0x%x", (unsigned)o->res.dwFlags);
    CHECK(e->responses == 1 && strcmp(e->rec[0].szMailServer, "good." Q) == 0, "responses %d", e->responses);
    destroy(h);
    /* Each bad name alone: no valid exchanger, DNS_BAD_NAME (the root alone is a null MX). */
    for (size_t i = 0; i + 1 < nbad; ++i) {
        char name[64];
        snprintf(name, sizeof name, "E53/only-%s", bad[i].what);
        s = ds_new(name);
        current_ = s;
        p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
        ds_rr_mx_wire(p, NULL, 300, 10, bad[i].wire, bad[i].len, -1);
        expect_hostile(s, INETKIT_ERROR_DNS_BAD_NAME);
    }
    /* A 253-byte exchanger is fine (the longest a wire name of 255 bytes can give). */
    s = ds_new("E53/253-bytes");
    current_ = s;
    char longest[300] = "";
    for (int i = 0; i < 3; ++i) {
        size_t n = strlen(longest);
        memset(longest + n, 'a' + i, 63);
        strcpy(longest + n + 63, ".");
    }
    size_t n = strlen(longest);
    memset(longest + n, 'q', 48);
    strcpy(longest + n + 48, ".hostile.test");
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, longest);
    start(s);
    h = hostile_handle(s);
    o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, longest) == 0, "%s", describe_outcome(o));
}

static void test_E54_ip_and_alias_exchangers(void **state) {
    (void)state;
    ds_server *s = ds_new("E54/ip-literals");
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "192.0.2.1");
    ds_rr_mx(p, NULL, 300, 11, "[192.0.2.1]");
    ds_rr_mx(p, NULL, 300, 12, "10.0.0.1");
    ds_rr_mx(p, NULL, 300, 20, "mx.192.0.2.example");
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "mx.192.0.2.example") == 0, "%s", describe_outcome(o));
    CHECK(o->res.dwFlags & MX_RESULT_RECORDS_DROPPED, "flags 0x%x", (unsigned)o->res.dwFlags);
    destroy(h);
    /* An exchanger that is a CNAME, with ResolveAddresses. */
    s = ds_new("E54/alias-exchanger");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "alias." Q);
    ds_rr_mx(p, NULL, 300, 20, "real." Q);
    ds_step *st = ds_step_add(s, DS_BOTH, DS_TYPE_A);
    ds_step_qname(st, "alias." Q);
    p = ds_reply(st, DS_NOERROR, DS_AA);
    ds_rr_cname(p, DS_ANSWER, NULL, 300, "real." Q);
    ds_rr_a(p, DS_ANSWER, "real." Q, 120, "192.0.2.5");
    st = ds_step_add(s, DS_BOTH, DS_TYPE_A);
    ds_step_qname(st, "real." Q);
    p = ds_reply(st, DS_NOERROR, DS_AA);
    ds_rr_a(p, DS_ANSWER, NULL, 120, "192.0.2.5");
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_AAAA), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    start(s);
    h = hostile_handle(s);
    config(h, "ResolveAddresses=on");
    o = resolve(h, Q);
    EXPECT_OK(o, 2);
    CHECK(strcmp(o->rec[0].szMailServer, "alias." Q) == 0 && o->rec[0].dwFlags == MX_RECORD_ALIAS &&
              o->rec[0].dwAddressCount == 1,
          "%s", describe_outcome(o));
    CHECK(strcmp(o->rec[1].szMailServer, "real." Q) == 0 && o->rec[1].dwFlags == 0 && o->rec[1].dwAddressCount == 1,
          "%s", describe_outcome(o));
    MXADDRESS a;
    a.dwSize = sizeof a;
    MX_OK(MxGetRecordAddress(h, 0, 0, &a));
    CHECK(strcmp(a.szAddress, "192.0.2.5") == 0 && a.dwTimeToLive == 120, "address %s ttl %u", a.szAddress,
          (unsigned)a.dwTimeToLive);
}

static void test_E55_equal_preferences(void **state) {
    (void)state;
    ds_server *s = ds_new("E55/equal");
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    static const char *const names[7] = {"a." Q, "b." Q, "c." Q, "d." Q, "e." Q, "f." Q, "g." Q};
    ds_rr_mx(p, NULL, 300, 5, "first." Q);
    for (int i = 0; i < 7; ++i) ds_rr_mx(p, NULL, 300, 10, names[i]);
    ds_rr_mx(p, NULL, 300, 10, "a." Q); /* a duplicate is kept as given, never collapsed with the others */
    start(s);
    char orders[3][2048];
    for (int k = 0; k < 3; ++k) {
        HCLIENT h = hostile_handle(s);
        config(h, "ShuffleSeed=99");
        outcome *o = resolve(h, Q);
        CHECK(o->rc == 0 && (o->count == 9 || o->count == 8), "%s", describe_outcome(o));
        CHECK(strcmp(o->rec[0].szMailServer, "first." Q) == 0, "%s", describe_outcome(o));
        for (DWORD i = 1; i < o->count; ++i) CHECK(o->rec[i].dwPrecedence == 10, "%s", describe_outcome(o));
        for (int i = 0; i < 7; ++i) CHECK(record_index(o, names[i]) > 0, "%s lost: %s", names[i], describe_outcome(o));
        snprintf(orders[k], sizeof orders[k], "%s", order_of(o));
        destroy(h);
    }
    CHECK(strcmp(orders[0], orders[1]) == 0 && strcmp(orders[1], orders[2]) == 0, "ShuffleSeed=99: '%s' '%s' '%s'",
          orders[0], orders[1], orders[2]);
}

static void rcode_case(const char *name, unsigned rcode, DWORD expected) {
    ds_server *s = ds_new(name);
    current_ = s;
    ds_pkt *p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), rcode, rcode == DS_NXDOMAIN ? DS_AA : 0);
    if (rcode == DS_NXDOMAIN) ds_rr_soa(p, "test", 60);
    start(s);
    HCLIENT h = hostile_handle(s);
    events *e = listen_events(h);
    outcome *o = resolve(h, Q);
    EXPECT_ERR(o, expected);
    CHECK(o->res.dwStatusCode == rcode, "dwStatusCode %u, RCODE %u", (unsigned)o->res.dwStatusCode, rcode);
    CHECK(e->errors == 1 && e->err_code[0] == expected && e->err_status[0] == rcode, "error event %u status %u",
          (unsigned)e->err_code[0], (unsigned)e->err_status[0]);
    CHECK(strstr(o->res.szStatus, Q) != NULL && strstr(o->res.szStatus, "127.0.0.1") != NULL,
          "the message names the domain and the server: '%s'", o->res.szStatus);
    CHECK(o->seconds < 3.0, "took %.3f s", o->seconds);
    destroy(h);
}

static void test_E56_rcodes(void **state) {
    (void)state;
    rcode_case("E56/SERVFAIL", DS_SERVFAIL, INETKIT_ERROR_TRY_AGAIN);
    rcode_case("E56/REFUSED", DS_REFUSED, INETKIT_ERROR_NO_RECOVERY);
    rcode_case("E56/FORMERR", DS_FORMERR, INETKIT_ERROR_NO_RECOVERY);
    rcode_case("E56/NOTIMP", DS_NOTIMP, INETKIT_ERROR_NO_RECOVERY);
    rcode_case("E56/NXDOMAIN", DS_NXDOMAIN, INETKIT_ERROR_HOST_NOT_FOUND);
    /* A server failure at one server, the answer at the next. */
    ds_server *bad = ds_new("E56/servfail-first");
    ds_reply(ds_step_add(bad, DS_BOTH, DS_TYPE_ANY), DS_SERVFAIL, 0);
    start(bad);
    ds_server *good = ds_new("E56/good-second");
    current_ = good;
    ds_pkt *p = ds_reply(ds_step_add(good, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "mx." Q);
    start(good);
    char list[128];
    snprintf(list, sizeof list, "%s,%s", ds_address(bad), ds_address(good));
    HCLIENT h = mx_new(list);
    config(h, "QueryTimeout=300");
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->res.szDnsServer, ds_address(good)) == 0, "decisive server '%s'", o->res.szDnsServer);
}

/* Spoofing: answers with another ID or another question are not ours. */
static void test_spoofed_answers(void **state) {
    (void)state;
    /* A wrong-ID answer, then the right one, in the same breath. */
    ds_server *s = ds_new("X/wrong-id-then-right");
    current_ = s;
    ds_step *st = ds_step_add(s, DS_UDP, DS_TYPE_MX);
    ds_pkt *p = ds_reply(st, DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "spoofed." Q);
    ds_pkt_wrong_id(p);
    p = ds_reply(st, DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "genuine." Q);
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(strcmp(o->rec[0].szMailServer, "genuine." Q) == 0, "%s", describe_outcome(o));
    destroy(h);
    /* Only wrong IDs: nothing is accepted. */
    s = ds_new("X/wrong-id-only");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "spoofed." Q);
    ds_pkt_wrong_id(p);
    start(s);
    h = hostile_handle(s);
    config(h, "Retries=0");
    o = resolve(h, Q);
    EXPECT_ERR(o, INETKIT_ERROR_TRY_AGAIN);
    destroy(h);
    /* The right ID for another question. */
    s = ds_new("X/other-question");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_pkt_question_name(p, "victim.example");
    ds_rr_mx(p, NULL, 300, 10, "spoofed." Q);
    start(s);
    h = hostile_handle(s);
    config(h, "Retries=0");
    o = resolve(h, Q);
    CHECK(o->rc == INETKIT_ERROR_TRY_AGAIN || o->rc == INETKIT_ERROR_DNS_BAD_RESPONSE, "%s", describe_outcome(o));
    destroy(h);
    /* No question at all. */
    s = ds_new("X/no-question");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_ANY), DS_NOERROR, DS_AA);
    ds_pkt_no_question(p);
    ds_rr_mx(p, "hostile.test", 300, 10, "spoofed." Q);
    start(s);
    h = hostile_handle(s);
    config(h, "Retries=0");
    o = resolve(h, Q);
    CHECK(o->rc == INETKIT_ERROR_TRY_AGAIN || o->rc == INETKIT_ERROR_DNS_BAD_RESPONSE, "%s", describe_outcome(o));
    destroy(h);
    /* MX records for another owner in a genuine answer are not the domain's. */
    s = ds_new("X/foreign-owner");
    current_ = s;
    p = ds_reply(ds_step_add(s, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, "elsewhere.example", 300, 10, "spoofed." Q);
    ds_rr_mx(p, NULL, 300, 20, "genuine." Q);
    start(s);
    h = hostile_handle(s);
    o = resolve(h, Q);
    CHECK(o->rc != 0 || (o->count == 1 && strcmp(o->rec[0].szMailServer, "genuine." Q) == 0),
          "an MX of another owner was used: %s", describe_outcome(o));
}

/* 2000 MX records over TCP (CVE-2020-8277 class): capped, sorted, flagged. */
static void test_many_records_over_tcp(void **state) {
    (void)state;
    ds_server *s = ds_new("X/2000-mx");
    current_ = s;
    ds_reply(ds_step_add(s, DS_UDP, DS_TYPE_MX), DS_NOERROR, DS_AA | DS_TC);
    ds_pkt *p = ds_reply(ds_step_add(s, DS_TCP, DS_TYPE_MX), DS_NOERROR, DS_AA);
    for (int i = 2000; i >= 1; --i) {
        char target[64];
        snprintf(target, sizeof target, "m%d.x", i);
        ds_rr_mx(p, NULL, 300, (unsigned)i, target);
    }
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 64);
    CHECK(o->res.dwFlags == (MX_RESULT_AUTHORITATIVE | MX_RESULT_TRUNCATED | MX_RESULT_RECORDS_DROPPED), "flags 0x%x",
          (unsigned)o->res.dwFlags);
    for (DWORD i = 0; i < 64; ++i) {
        char target[64];
        snprintf(target, sizeof target, "m%u.x", (unsigned)i + 1);
        CHECK(o->rec[i].dwPrecedence == i + 1 && strcmp(o->rec[i].szMailServer, target) == 0, "record %u: %u %s",
              (unsigned)i, (unsigned)o->rec[i].dwPrecedence, o->rec[i].szMailServer);
    }
    config(h, "MaxRecords=1024");
    o = resolve(h, Q);
    EXPECT_OK(o, 1024);
    CHECK(o->rec[1023].dwPrecedence == 1024, "last kept %u", (unsigned)o->rec[1023].dwPrecedence);
}

/* What goes on the wire: EDNS, RD, the A-label, the transports, the source address. */
static void test_wire_queries(void **state) {
    (void)state;
    static const unsigned prefs[1] = {10};
    static const char *const targets[1] = {"mx." Q};
    ds_server *s = mx_server("X/wire", 1, prefs, targets);
    start(s);
    HCLIENT h = hostile_handle(s);
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    const ds_query_info *q = ds_query(s, 0);
    CHECK(q != NULL && q->transport == DS_UDP && q->qtype == DS_TYPE_MX && q->qclass == 1, "first query");
    CHECK(strcasecmp(q->qname, Q) == 0, "QNAME '%s'", q->qname);
    CHECK(q->flags & 0x0100, "RD is not set: flags 0x%04x", q->flags);
    CHECK((q->flags & 0x7800) == 0 && (q->flags & 0x8000) == 0, "opcode/QR in a query: 0x%04x", q->flags);
    CHECK(q->qdcount == 1 && q->ancount == 0 && q->nscount == 0, "counts %u %u %u", q->qdcount, q->ancount, q->nscount);
    CHECK(q->has_opt && q->opt_udp_size == 1232, "EDNS: opt %d size %u (default 1232)", q->has_opt, q->opt_udp_size);
    /* The IDN goes out as its A-label. */
    o = resolve(h, "user@b\xc3\xbc" "cher." Q);
    EXPECT_OK(o, 1);
    q = ds_query(s, ds_query_count(s, DS_BOTH) - 1);
    CHECK(strcasecmp(q->qname, "xn--bcher-kva." Q) == 0, "QNAME '%s'", q->qname);
    CHECK(strcmp(o->res.szDomain, "xn--bcher-kva." Q) == 0, "szDomain '%s'", o->res.szDomain);
    /* MaxPacketSize */
    config(h, "MaxPacketSize=512");
    size_t before = ds_query_count(s, DS_BOTH);
    o = resolve(h, Q);
    q = ds_query(s, before);
    CHECK(q != NULL && q->has_opt && q->opt_udp_size == 512, "MaxPacketSize=512: opt %d size %u", q ? q->has_opt : -1,
          q ? q->opt_udp_size : 0);
    config(h, "MaxPacketSize=4096");
    before = ds_query_count(s, DS_BOTH);
    o = resolve(h, Q);
    q = ds_query(s, before);
    CHECK(q != NULL && q->has_opt && q->opt_udp_size == 4096, "MaxPacketSize=4096: size %u", q ? q->opt_udp_size : 0);
    config(h, "MaxPacketSize=0");
    before = ds_query_count(s, DS_BOTH);
    o = resolve(h, Q);
    q = ds_query(s, before);
    CHECK(q != NULL && !q->has_opt && q->arcount == 0, "MaxPacketSize=0 still sends EDNS");
    /* ConnectionMode=tcp: no UDP at all. */
    config(h, "MaxPacketSize=1232");
    config(h, "ConnectionMode=tcp");
    before = ds_query_count(s, DS_UDP);
    o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(ds_query_count(s, DS_UDP) == before && ds_query_count(s, DS_TCP) >= 1, "udp %zu tcp %zu",
          ds_query_count(s, DS_UDP) - before, ds_query_count(s, DS_TCP));
    CHECK(!(o->res.dwFlags & MX_RESULT_TRUNCATED), "TRUNCATED without a truncated answer");
    destroy(h);
    /* ConnectionMode=udp: a truncated answer never brings TCP. */
    ds_server *t = ds_new("X/udp-only-tc");
    current_ = t;
    ds_pkt *p = ds_reply(ds_step_add(t, DS_UDP, DS_TYPE_MX), DS_NOERROR, DS_AA | DS_TC);
    ds_rr_mx(p, NULL, 300, 10, "partial." Q);
    p = ds_reply(ds_step_add(t, DS_TCP, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_mx(p, NULL, 300, 10, "full." Q);
    start(t);
    h = hostile_handle(t);
    config(h, "ConnectionMode=udp");
    o = resolve(h, Q);
    CHECK(ds_query_count(t, DS_TCP) == 0 && ds_tcp_connections(t) == 0, "ConnectionMode=udp used TCP");
    CHECK(o->rc != INETKIT_ERROR_NO_DATA && o->rc != INETKIT_ERROR_HOST_NOT_FOUND, "%s", describe_outcome(o));
    print_message("test_mx: ConnectionMode=udp with a truncated answer: %s\n", describe_outcome(o));
    /* UseIPv6=off: no AAAA queries for the implicit MX or the addresses. */
    ds_server *u = ds_new("X/no-aaaa");
    current_ = u;
    p = ds_reply(ds_step_add(u, DS_BOTH, DS_TYPE_MX), DS_NOERROR, DS_AA);
    ds_rr_soa(p, Q, 60);
    p = ds_reply(ds_step_add(u, DS_BOTH, DS_TYPE_A), DS_NOERROR, DS_AA);
    ds_rr_a(p, DS_ANSWER, NULL, 300, "192.0.2.8");
    p = ds_reply(ds_step_add(u, DS_BOTH, DS_TYPE_AAAA), DS_NOERROR, DS_AA);
    ds_rr_aaaa(p, DS_ANSWER, NULL, 300, "2001:db8::8");
    start(u);
    h = hostile_handle(u);
    config(h, "UseIPv6=off");
    config(h, "ResolveAddresses=on");
    o = resolve(h, Q);
    EXPECT_OK(o, 1);
    CHECK(o->rec[0].dwFlags == MX_RECORD_IMPLICIT && o->rec[0].dwAddressCount == 1, "%s", describe_outcome(o));
    CHECK(ds_query_count_type(u, DS_TYPE_AAAA) == 0, "UseIPv6=off asked for AAAA %zu times",
          ds_query_count_type(u, DS_TYPE_AAAA));
}

/* Query IDs are unpredictable (CVE-2023-31147 class: a fixed or guessable ID makes spoofing easy). */
static void test_query_ids(void **state) {
    (void)state;
    static const unsigned prefs[1] = {10};
    static const char *const targets[1] = {"mx." Q};
    ds_server *s = mx_server("X/query-ids", 1, prefs, targets);
    start(s);
    HCLIENT h = hostile_handle(s);
    MX_OK(MxSetTimeout(h, 0));
    enum { N = 32 };
    for (int i = 0; i < N; ++i) {
        char name[64];
        snprintf(name, sizeof name, "id%d." Q, i);
        MX_OK(MxResolve(h, name, NULL));
    }
    MX_OK(MxWait(h, 5000));
    size_t n = ds_query_count(s, DS_BOTH);
    CHECK(n >= N, "%zu queries", n);
    unsigned ids[N];
    int distinct = 0, zero = 0;
    for (int i = 0; i < N; ++i) {
        ids[i] = ds_query(s, (size_t)i)->id;
        zero += ids[i] == 0;
        int seen = 0;
        for (int k = 0; k < i; ++k) seen |= ids[k] == ids[i];
        distinct += !seen;
    }
    CHECK(distinct >= N - 2 && zero <= 1, "%d distinct query IDs in %d queries, %d of them 0", distinct, N, zero);
    /* The source port is random too (not one fixed port for every handle). */
    HCLIENT h2 = hostile_handle(s);
    outcome *o = resolve(h2, Q);
    EXPECT_OK(o, 1);
    unsigned p1 = ds_query(s, ds_query_count(s, DS_BOTH) - 1)->peer_port;
    CHECK(p1 != 53 && p1 != 0, "source port %u", p1);
}

static void test_local_address(void **state) {
    (void)state;
    static const unsigned prefs[1] = {10};
    static const char *const targets[1] = {"mx." Q};
    ds_server *s = mx_server("X/local-port", 1, prefs, targets);
    start(s);
    HCLIENT h = hostile_handle(s);
    unsigned port = free_udp_port();
    char setting[64];
    snprintf(setting, sizeof setting, "LocalPort=%u", port);
    config(h, setting);
    MX_OK(MxSetLocalHost(h, "127.0.0.1"));
    outcome *o = resolve(h, Q);
    EXPECT_OK(o, 1);
    const ds_query_info *q = ds_query(s, 0);
    CHECK(q != NULL && q->peer_port == port, "the query came from port %u, LocalPort=%u", q ? q->peer_port : 0, port);
    char text[64];
    get_string(MxGetLocalHost, h, text, sizeof text);
    CHECK(strcmp(text, "127.0.0.1") == 0, "LocalHost '%s'", text);
    expect_config(h, "LocalHost", "127.0.0.1");
}

static void test_max_in_flight(void **state) {
    (void)state;
    ds_server *s = ds_new("X/max-in-flight/silent");
    current_ = s;
    start(s);
    HCLIENT h = hostile_handle(s);
    config(h, "MaxInFlight=3");
    config(h, "QueryTimeout=5000");
    MX_OK(MxSetTimeout(h, 0));
    for (int i = 0; i < 10; ++i) {
        char name[64];
        snprintf(name, sizeof name, "q%d." Q, i);
        MX_OK(MxResolve(h, name, NULL));
    }
    MxDoEvents(h, 300);
    MxDoEvents(h, 100);
    size_t sent = ds_query_count(s, DS_BOTH);
    CHECK(sent == 3, "MaxInFlight=3 put %zu queries on the wire", sent);
    MX_OK(MxInterrupt(h));
    MX_OK(MxWait(h, 2000));
}

/* ==== Config, properties, defaults ======================================================================= */

typedef struct {
    const char *name;
    const char *def;
    const char *good[5];
    const char *bad[6];
} setting_case;

static const setting_case settings_[] = {
    {"LocalHost", "", {"127.0.0.1", "::1", "", NULL}, {"localhost", "1.2.3.4.5", "[::1]", NULL}},
    {"LocalPort", "0", {"5353", "65535", "0", NULL}, {"65536", "-1", "x", "", NULL}},
    {"UseIPv6", "auto", {"on", "off", "auto", NULL}, {"maybe", "", "2", NULL}},
    {"MaxPacketSize", "1232", {"512", "4096", "0", "1232", NULL}, {"511", "4097", "-1", "abc", "", NULL}},
    {"AbsoluteTimeout", "0", {"1500", "0", NULL}, {"x", "-5", "", NULL}},
    {"QueryTimeout", "2000", {"300", "2000", NULL}, {"x", "-1", "", NULL}},
    {"Retries", "3", {"0", "10", "3", NULL}, {"11", "-1", "x", "", NULL}},
    {"ConnectionMode", "auto", {"udp", "tcp", "auto", NULL}, {"both", "", "sctp", NULL}},
    {"ImplicitMX", "on", {"off", "on", NULL}, {"maybe", "", NULL}},
    {"UseIDN", "on", {"off", "on", NULL}, {"maybe", "", NULL}},
    {"ResolveAddresses", "off", {"on", "off", NULL}, {"maybe", "", NULL}},
    {"MaxRecords", "64", {"1", "1024", "64", NULL}, {"0", "1025", "-1", "x", "", NULL}},
    {"ShuffleEqual", "on", {"off", "on", NULL}, {"maybe", "", NULL}},
    {"ShuffleSeed", "0", {"42", "0", NULL}, {"x", "-1", "", NULL}},
    {"MaxInFlight", "64", {"1", "4096", "64", NULL}, {"0", "4097", "-1", "x", NULL}},
    {"CodePage", "65001", {"65001", NULL}, {"x", "", NULL}},
};
#define N_SETTINGS (sizeof settings_ / sizeof settings_[0])

static void expect_defaults(HCLIENT h) {
    for (size_t i = 0; i < N_SETTINGS; ++i) expect_config(h, settings_[i].name, settings_[i].def);
}

static void test_config_settings(void **state) {
    (void)state;
    HCLIENT h = track(MxCreate(MX_OPTION_NONE));
    expect_defaults(h);
    char setting[128], value[256];
    for (size_t i = 0; i < N_SETTINGS; ++i) {
        const setting_case *c = &settings_[i];
        for (int k = 0; c->good[k] != NULL; ++k) {
            snprintf(setting, sizeof setting, "%s=%s", c->name, c->good[k]);
            DWORD rc = MxConfig(h, setting);
            CHECK(rc == 0 && MxGetLastError() == 0, "MxConfig(%s) returned %u (%s)", setting, (unsigned)rc,
                  mx_message());
            expect_config(h, c->name, c->good[k]);
        }
        get_config(h, c->name, value, sizeof value);
        for (int k = 0; c->bad[k] != NULL; ++k) {
            snprintf(setting, sizeof setting, "%s=%s", c->name, c->bad[k]);
            DWORD rc = MxConfig(h, setting);
            CHECK(rc == INETKIT_ERROR_INVALID_PARAMETER && MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER,
                  "MxConfig(%s) returned %u, expected 87", setting, (unsigned)rc);
            expect_config(h, c->name, value); /* unchanged */
        }
    }
    /* Names are case-insensitive. */
    config(h, "maxrecords=7");
    expect_config(h, "MaxRecords", "7");
    expect_config(h, "MAXRECORDS", "7");
    config(h, "USEIPV6=off");
    expect_config(h, "useipv6", "off");
    /* LocalHost is MxSetLocalHost's. */
    config(h, "LocalHost=127.0.0.1");
    char text[64];
    get_string(MxGetLocalHost, h, text, sizeof text);
    CHECK(strcmp(text, "127.0.0.1") == 0, "MxGetLocalHost '%s'", text);
    MX_OK(MxSetLocalHost(h, "::1"));
    expect_config(h, "LocalHost", "::1");
    MX_OK(MxSetLocalHost(h, NULL));
    expect_config(h, "LocalHost", "");
    MX_FAILS(MxSetLocalHost(h, "not-an-address"), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxSetLocalHost(h, "mail.example.com"), INETKIT_ERROR_INVALID_PARAMETER);
    /* CodePage: UTF-8 only. */
    MX_FAILS(MxConfig(h, "CodePage=1252"), INETKIT_ERROR_NOT_SUPPORTED);
    MX_FAILS(MxConfig(h, "CodePage=20127"), INETKIT_ERROR_NOT_SUPPORTED);
    expect_config(h, "CodePage", "65001");
    /* BuildInfo: read-only, names the library, c-ares and libidn2. */
    get_config(h, "BuildInfo", value, sizeof value);
    CHECK(strcasestr(value, "c-ares") != NULL && strcasestr(value, "idn2") != NULL && strlen(value) > 10,
          "BuildInfo '%s'", value);
    CHECK(strstr(value, INETKIT_VERSION_STRING) != NULL, "BuildInfo '%s' lacks the library version %s", value,
          INETKIT_VERSION_STRING);
    MX_FAILS(MxConfig(h, "BuildInfo=anything"), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxConfig(h, "BuildInfo"), INETKIT_ERROR_INVALID_PARAMETER);
    /* Unknown names and broken settings. */
    static const char *const broken[] = {"NoSuchSetting=1", "MaxRecords", "=5", "", "Max Records=5",
                                         "MaxRecords==5",   "Timeout=5",  "DnsServer=127.0.0.1"};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; ++i) {
        DWORD rc = MxConfig(h, broken[i]);
        CHECK(rc == INETKIT_ERROR_INVALID_PARAMETER, "MxConfig('%s') returned %u", broken[i], (unsigned)rc);
    }
    DWORD size = sizeof value;
    MX_FAILS(MxGetConfig(h, "NoSuchSetting", value, &size), INETKIT_ERROR_INVALID_PARAMETER);
    size = sizeof value;
    MX_FAILS(MxGetConfig(h, "", value, &size), INETKIT_ERROR_INVALID_PARAMETER);
    size = sizeof value;
    MX_FAILS(MxGetConfig(h, "MaxRecords=7", value, &size), INETKIT_ERROR_INVALID_PARAMETER);
    /* The last-error store is cleared by a success. */
    MX_OK(MxConfig(h, "MaxRecords=9"));
    CHECK(MxGetLastError() == 0, "last error %u after a success", (unsigned)MxGetLastError());
}

static void test_config_effects(void **state) {
    (void)state;
    /* MaxRecords and ShuffleEqual act on the plan, ImplicitMX and UseIDN on the lookup. */
    HCLIENT h = mx_new(knot_);
    config(h, "MaxRecords=2");
    outcome *o = resolve(h, "multi.mx.test");
    EXPECT_OK(o, 2);
    CHECK(o->rec[0].dwPrecedence == 10 && o->rec[1].dwPrecedence == 20 && o->rec[0].dwCount == 2,
          "%s", describe_outcome(o));
    CHECK(o->res.dwFlags == (MX_RESULT_AUTHORITATIVE | MX_RESULT_RECORDS_DROPPED), "flags 0x%x",
          (unsigned)o->res.dwFlags);
    config(h, "MaxRecords=5");
    o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
}

static void test_reset_restores_defaults(void **state) {
    (void)state;
    HCLIENT h = track(MxCreate(MX_OPTION_NONE));
    char fresh[1024], text[1024];
    get_string(MxGetDnsServer, h, fresh, sizeof fresh);
    events *e = listen_events(h);
    MX_OK(MxSetDnsServer(h, knot_));
    MX_OK(MxSetDnsPort(h, 5353));
    MX_OK(MxSetTimeout(h, 7));
    MX_OK(MxSetRequestId(h, 99));
    MX_OK(MxSetLocalHost(h, "127.0.0.1"));
    static const char *const changes[] = {"LocalPort=5353",   "UseIPv6=off",        "MaxPacketSize=512",
                                          "AbsoluteTimeout=9000", "QueryTimeout=300", "Retries=1",
                                          "ConnectionMode=tcp",  "ImplicitMX=off",  "UseIDN=off",
                                          "ResolveAddresses=on", "MaxRecords=3",    "ShuffleEqual=off",
                                          "ShuffleSeed=5",       "MaxInFlight=2"};
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; ++i) config(h, changes[i]);
    config(h, "LocalPort=0");
    config(h, "LocalHost=");
    MX_OK(MxSetTimeout(h, 7));
    outcome *o = resolve(h, "multi.mx.test");
    EXPECT_OK(o, 3);
    MX_OK(MxReset(h));
    expect_defaults(h);
    UINT u = 0;
    DWORD d = 0;
    MX_OK(MxGetTimeout(h, &u));
    CHECK(u == MX_DEFAULT_TIMEOUT, "Timeout %u", u);
    MX_OK(MxGetDnsPort(h, &u));
    CHECK(u == MX_DNS_PORT, "DnsPort %u", u);
    MX_OK(MxGetRequestId(h, &d));
    CHECK(d == 1, "RequestId %u", (unsigned)d);
    get_string(MxGetDnsServer, h, text, sizeof text);
    CHECK(strcmp(text, fresh) == 0, "servers '%s' after MxReset, fresh '%s'", text, fresh);
    get_string(MxGetLocalHost, h, text, sizeof text);
    CHECK(text[0] == '\0', "LocalHost '%s'", text);
    /* Results are gone. */
    MXRESULT res;
    res.dwSize = sizeof res;
    MX_FAILS(MxGetResult(h, &res), INETKIT_ERROR_NOT_FOUND);
    MX_OK(MxGetRecordCount(h, &d));
    CHECK(d == 0, "%u records after MxReset", (unsigned)d);
    get_string(MxGetStatus, h, text, sizeof text);
    CHECK(text[0] == '\0', "status '%s' after MxReset", text);
    /* Callbacks stay. */
    reset_events(e);
    MX_OK(MxSetDnsServer(h, knot_));
    MX_OK(MxSetTimeout(h, 10));
    o = resolve(h, "multi.mx.test");
    check_multi(o, 1, 3600, 3600);
    CHECK(e->responses == 5, "callbacks after MxReset: %d", e->responses);
}

static void test_fresh_handle(void **state) {
    (void)state;
    HCLIENT h = track(MxCreate(MX_OPTION_NONE));
    UINT u = 0;
    DWORD d = 99;
    MX_OK(MxGetTimeout(h, &u));
    CHECK(u == MX_DEFAULT_TIMEOUT, "Timeout %u", u);
    MX_OK(MxGetDnsPort(h, &u));
    CHECK(u == 53, "DnsPort %u", u);
    MX_OK(MxGetRequestId(h, &d));
    CHECK(d == 1, "RequestId %u", (unsigned)d);
    MXRESULT res;
    res.dwSize = sizeof res;
    MX_FAILS(MxGetResult(h, &res), INETKIT_ERROR_NOT_FOUND);
    MX_OK(MxGetRecordCount(h, &d));
    CHECK(d == 0, "count %u", (unsigned)d);
    MXRECORD r;
    r.dwSize = sizeof r;
    MX_FAILS(MxGetRecord(h, 0, &r), INETKIT_ERROR_NOT_FOUND);
    MXADDRESS a;
    a.dwSize = sizeof a;
    MX_FAILS(MxGetRecordAddress(h, 0, 0, &a), INETKIT_ERROR_NOT_FOUND);
    char text[64] = "unset";
    get_string(MxGetMailServer, h, text, sizeof text);
    CHECK(text[0] == '\0', "MxGetMailServer '%s'", text);
    get_string(MxGetStatus, h, text, sizeof text);
    CHECK(text[0] == '\0', "MxGetStatus '%s'", text);
    get_string(MxGetLocalHost, h, text, sizeof text);
    CHECK(text[0] == '\0', "MxGetLocalHost '%s'", text);
    BOOL idle = FALSE;
    MX_OK(MxGetIdle(h, &idle));
    CHECK(idle, "a fresh handle is not idle");
    MX_OK(MxGetNextTimeout(h, &d));
    CHECK(d == MX_WAIT_INFINITE, "next timeout %u", (unsigned)d);
    MX_FAILS(MxGetNextResult(h, 0, NULL, NULL), INETKIT_ERROR_NOT_FOUND);
    MX_FAILS(MxGetNextResult(h, 1000, NULL, NULL), INETKIT_ERROR_NOT_FOUND); /* at once: nothing in flight */
    MX_OK(MxWait(h, 0));
    MX_OK(MxWait(h, MX_WAIT_INFINITE));
    MX_OK(MxDoEvents(h, 0));
    MX_OK(MxInterrupt(h));
    MX_OK(MxSetRequestId(h, 0xFFFFFFF0u));
    MX_OK(MxGetRequestId(h, &d));
    CHECK(d == 0xFFFFFFF0u, "RequestId %u", (unsigned)d);
    MX_OK(MxSetTimeout(h, 1));
    MX_OK(MxGetTimeout(h, &u));
    CHECK(u == 1, "Timeout %u", u);
}

/* ==== misuse ================================================================================================ */

static void *mini_pop_server(void *arg) {
    int listener = *(int *)arg;
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) return NULL;
    static const char greeting[] = "+OK test POP3 server ready\r\n";
    if (write(fd, greeting, sizeof greeting - 1) < 0) goto done;
    char line[512];
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r <= 0) break;
        if (n + 1 < sizeof line) line[n++] = c;
        if (c != '\n') continue;
        line[n] = '\0';
        n = 0;
        const char *reply = "-ERR not here\r\n";
        if (strncasecmp(line, "CAPA", 4) == 0) reply = "+OK\r\nUSER\r\nUIDL\r\n.\r\n";
        else if (strncasecmp(line, "QUIT", 4) == 0) reply = "+OK bye\r\n";
        if (write(fd, reply, strlen(reply)) < 0) break;
        if (strncasecmp(line, "QUIT", 4) == 0) break;
    }
done:
    close(fd);
    return NULL;
}

static void test_handle_misuse(void **state) {
    (void)state;
    UINT u;
    /* Stale handles. */
    HCLIENT h = MxCreate(MX_OPTION_NONE);
    CHECK(h != INVALID_CLIENT, "MxCreate");
    MX_OK(MxDestroy(h));
    MX_FAILS(MxDestroy(h), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxGetTimeout(h, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxResolve(h, "multi.mx.test", NULL), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxInterrupt(h), INETKIT_ERROR_INVALID_HANDLE);
    /* A new handle in the same slot is not the old one. */
    HCLIENT h2 = track(MxCreate(MX_OPTION_NONE));
    MX_FAILS(MxGetTimeout(h, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_OK(MxGetTimeout(h2, &u));
    /* Null, forged. */
    MX_FAILS(MxGetTimeout(INVALID_CLIENT, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxGetTimeout((HCLIENT)(uintptr_t)0x12345678u, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxGetTimeout((HCLIENT)(uintptr_t)~(uintptr_t)0, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxDestroy((HCLIENT)(uintptr_t)0xDEADBEEFu), INETKIT_ERROR_INVALID_HANDLE);
    /* Unknown options. */
    HCLIENT bad = MxCreate(0x1u);
    CHECK(bad == INVALID_CLIENT && MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER, "MxCreate(0x1): %u",
          (unsigned)MxGetLastError());
    bad = MxCreate(0x80000000u);
    CHECK(bad == INVALID_CLIENT && MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER, "MxCreate(0x80000000): %u",
          (unsigned)MxGetLastError());
    /* An Inet handle given to Mx, an Mx handle given to Inet. */
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    CHECK(listener != INVALID_CLIENT, "InetListen: %u", (unsigned)InetGetLastError());
    MX_FAILS(MxGetTimeout(listener, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxDestroy(listener), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxResolve(listener, "multi.mx.test", NULL), INETKIT_ERROR_INVALID_HANDLE);
    UINT port = 0;
    DWORD rc = InetGetLocalAddress(listener, NULL, NULL, &port);
    CHECK(rc == 0 && port != 0, "the listener was harmed: %u", (unsigned)rc);
    CHECK(InetDisconnect(h2) == INETKIT_ERROR_INVALID_HANDLE, "InetDisconnect took an Mx handle");
    MX_OK(MxGetTimeout(h2, &u));
    /* A Pop handle. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 1) == 0 &&
              getsockname(lfd, (struct sockaddr *)&a, &alen) == 0,
          "mini POP listener");
    pthread_t th;
    pthread_create(&th, NULL, mini_pop_server, &lfd);
    HCLIENT pop = PopConnect("127.0.0.1", ntohs(a.sin_port), 5, POP_OPTION_NONE, NULL);
    if (pop == INVALID_CLIENT) {
        DWORD perr = PopGetLastError();
        shutdown(lfd, SHUT_RDWR);
        close(lfd);
        pthread_join(th, NULL);
        InetDisconnect(listener);
        fail_msg("PopConnect to the mini server failed: %u", (unsigned)perr);
    }
    MX_FAILS(MxGetTimeout(pop, &u), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxDestroy(pop), INETKIT_ERROR_INVALID_HANDLE);
    MX_FAILS(MxSetDnsServer(pop, knot_), INETKIT_ERROR_INVALID_HANDLE);
    CHECK(PopDisconnect(h2) == INETKIT_ERROR_INVALID_HANDLE, "PopDisconnect took an Mx handle");
    PopDisconnect(pop);
    pthread_join(th, NULL);
    close(lfd);
    InetDisconnect(listener);
    MX_OK(MxGetTimeout(h2, &u));
}

static void test_null_pointers(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    MX_FAILS(MxResolve(h, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_OK(MxResolve(h, "multi.mx.test", NULL)); /* the id is optional */
    MX_FAILS(MxGetResult(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetRecordCount(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetRecord(h, 0, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetRecordAddress(h, 0, 0, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetDnsPort(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetTimeout(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetRequestId(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetIdle(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetEventDescriptor(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetNextTimeout(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxConfig(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    char buf[64];
    DWORD size = sizeof buf;
    MX_FAILS(MxGetConfig(h, NULL, buf, &size), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetConfig(h, "MaxRecords", buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetDnsServer(h, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetLocalHost(h, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetMailServer(h, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetStatus(h, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetLastErrorMessage(buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    MX_FAILS(MxGetErrorString(800, buf, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    /* NULL callbacks are fine: they unregister. */
    MX_OK(MxSetResponseCallback(h, NULL, NULL));
    MX_OK(MxSetErrorCallback(h, NULL, NULL));
    /* Optional outputs. */
    MX_OK(MxSetTimeout(h, 0));
    MX_OK(MxResolve(h, "multi.mx.test", NULL));
    MX_OK(MxGetNextResult(h, 5000, NULL, NULL));
}

/* The size-query idiom on one getter: NULL, one byte short, exact. */
typedef DWORD (*string_getter)(HCLIENT, LPSTR, LPDWORD);
static DWORD last_message_getter(HCLIENT h, LPSTR buf, LPDWORD size);
static DWORD error_string_getter(HCLIENT h, LPSTR buf, LPDWORD size);
static const string_getter last_message_getter_ = last_message_getter, error_string_getter_ = error_string_getter;

static void check_idiom(const char *what, string_getter fn, HCLIENT h, const char *expected) {
    size_t len = strlen(expected);
    DWORD size = 0;
    /* The readers of the last-error store leave it alone; every other export sets it. */
    int store_reader = fn == error_string_getter_ || fn == last_message_getter_;
    DWORD rc = fn(h, NULL, &size);
    CHECK(rc == INETKIT_ERROR_INSUFFICIENT_BUFFER &&
              (store_reader || MxGetLastError() == INETKIT_ERROR_INSUFFICIENT_BUFFER) && size == len + 1,
          "%s(NULL): rc %u size %u, expected 122 and %zu", what, (unsigned)rc, (unsigned)size, len + 1);
    char buf[2048];
    memset(buf, 'X', sizeof buf);
    size = (DWORD)len; /* no room for the NUL */
    rc = fn(h, buf, &size);
    CHECK(rc == INETKIT_ERROR_INSUFFICIENT_BUFFER && size == len + 1, "%s(%zu bytes): rc %u size %u", what, len,
          (unsigned)rc, (unsigned)size);
    for (size_t i = 0; i < sizeof buf; ++i)
        if (buf[i] != 'X') fail_msg("%s wrote into a buffer that was too small (byte %zu)", what, i);
    size = (DWORD)len + 1;
    rc = fn(h, buf, &size);
    CHECK(rc == 0 && size == len && strcmp(buf, expected) == 0 && buf[len + 1] == 'X',
          "%s(exact): rc %u size %u '%s', expected '%s'", what, (unsigned)rc, (unsigned)size, buf, expected);
}

static HCLIENT idiom_handle_;
static const char *idiom_name_;
static DWORD config_getter(HCLIENT h, LPSTR buf, LPDWORD size) { return MxGetConfig(h, idiom_name_, buf, size); }
static DWORD last_message_getter(HCLIENT h, LPSTR buf, LPDWORD size) {
    (void)h;
    return MxGetLastErrorMessage(buf, size);
}
static DWORD error_string_getter(HCLIENT h, LPSTR buf, LPDWORD size) {
    (void)h;
    return MxGetErrorString(INETKIT_ERROR_NULL_MX, buf, size);
}

static void test_size_query_idiom(void **state) {
    (void)state;
    HCLIENT h = mx_new(knot_);
    idiom_handle_ = h;
    outcome *o = resolve(h, "multi.mx.test");
    EXPECT_OK(o, 5);
    check_idiom("MxGetMailServer", MxGetMailServer, h, "mx1.multi.mx.test");
    check_idiom("MxGetStatus", MxGetStatus, h, "OK");
    check_idiom("MxGetDnsServer", MxGetDnsServer, h, knot_);
    MX_OK(MxSetLocalHost(h, "127.0.0.1"));
    check_idiom("MxGetLocalHost", MxGetLocalHost, h, "127.0.0.1");
    idiom_name_ = "MaxRecords";
    check_idiom("MxGetConfig(MaxRecords)", config_getter, h, "64");
    char build[512];
    get_config(h, "BuildInfo", build, sizeof build);
    idiom_name_ = "BuildInfo";
    check_idiom("MxGetConfig(BuildInfo)", config_getter, h, build);
    check_idiom("MxGetErrorString(800)", error_string_getter, h, "The domain accepts no mail (null MX, RFC 7505)");
    o = resolve(h, "nosuch.mx.test");
    EXPECT_ERR(o, INETKIT_ERROR_HOST_NOT_FOUND);
    char status[600];
    get_string(MxGetStatus, h, status, sizeof status);
    check_idiom("MxGetStatus(error)", MxGetStatus, h, status);
    /* The last-error store: its readers leave it alone, so the message survives the size query. */
    MX_FAILS(MxResolve(h, "", NULL), INETKIT_ERROR_INVALID_PARAMETER);
    char message[1100];
    DWORD size = sizeof message;
    MX_OK(MxGetLastErrorMessage(message, &size));
    CHECK(message[0] != '\0' && MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER, "message '%s'", message);
    size = 0;
    DWORD rc = MxGetLastErrorMessage(NULL, &size);
    CHECK(rc == INETKIT_ERROR_INSUFFICIENT_BUFFER && size == strlen(message) + 1, "rc %u size %u", (unsigned)rc,
          (unsigned)size);
    CHECK(MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER, "the size query changed the store: %u",
          (unsigned)MxGetLastError());
    size = sizeof message;
    MX_OK(MxGetLastErrorMessage(message, &size));
    check_idiom("MxGetLastErrorMessage", last_message_getter, h, message);
    CHECK(MxGetLastError() == INETKIT_ERROR_INVALID_PARAMETER, "the size query changed the store: %u",
          (unsigned)MxGetLastError());
}

static void test_error_strings(void **state) {
    (void)state;
    static const struct {
        DWORD code;
        const char *text;
    } codes[] = {
        {INETKIT_ERROR_NULL_MX, "The domain accepts no mail (null MX, RFC 7505)"},
        {INETKIT_ERROR_DNS_BAD_RESPONSE, "The DNS server's answer is malformed"},
        {INETKIT_ERROR_DNS_BAD_NAME, "No mail exchanger in the answer has a valid host name"},
        {INETKIT_ERROR_NO_DNS_SERVER, "No DNS server specified"},
        {INETKIT_ERROR_HOST_NOT_FOUND, "Host not found"},
        {INETKIT_ERROR_NO_DATA, "The name is valid but has no data of the requested type"},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
        char text[256];
        DWORD size = sizeof text;
        MX_OK(MxGetErrorString(codes[i].code, text, &size));
        CHECK(strcmp(text, codes[i].text) == 0, "%u: '%s'", (unsigned)codes[i].code, text);
    }
}

/* The family must be initialised: MxCreate without a reference fails. */
static void test_initialization(void **state) {
    (void)state;
    MX_OK(MxUninitialize()); /* the group's reference */
    HCLIENT h = MxCreate(MX_OPTION_NONE);
    DWORD err = MxGetLastError();
    MX_OK(MxInitialize());
    if (h != INVALID_CLIENT) {
        MxDestroy(h);
        fail_msg("MxCreate worked without MxInitialize");
    }
    CHECK(err == INETKIT_ERROR_NOT_INITIALIZED, "MxCreate without a reference: %u", (unsigned)err);
    /* References count. */
    MX_OK(MxInitialize());
    MX_OK(MxUninitialize());
    h = track(MxCreate(MX_OPTION_NONE));
    UINT u;
    MX_OK(MxGetTimeout(h, &u));
}

/* ==== main ================================================================================================= */

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(int argc, char **argv) {
    ssize_t n = readlink("/proc/self/exe", self_path_, sizeof self_path_ - 1);
    if (n > 0) self_path_[n] = '\0';
    else snprintf(self_path_, sizeof self_path_, "%s", argv[0]);
    if (argc >= 3 && strcmp(argv[1], "--no-dns-server-child") == 0) return no_dns_server_child(argv[2]);
    const struct CMUnitTest tests[] = {
        /* Knot and unbound */
        T(test_multi_knot_sync),
        T(test_multi_unbound_sync),
        T(test_equal_preferences_shuffle),
        T(test_implicit_mx),
        T(test_null_mx),
        T(test_cname_followed),
        T(test_nxdomain),
        T(test_nodata),
        T(test_large_answer_over_tcp),
        T(test_idn),
        T(test_address_forms),
        T(test_domain_literals),
        T(test_invalid_inputs),
        T(test_resolve_addresses),
        T(test_alias_exchanger),
        T(test_ip_literal_exchanger),
        T(test_multiple_servers),
        T(test_dns_server_property),
        T(test_system_servers),
        T(test_no_dns_server),
        /* asynchronous */
        T(test_async_pull),
        T(test_async_callbacks),
        T(test_async_event_loop),
        T(test_async_10000),
        T(test_async_truncated_flag_stays_with_its_request),
        /* timeouts, cancellation, busy */
        T(test_unreachable_server),
        T(test_timeout_silent_server),
        T(test_interrupt_from_another_thread),
        T(test_interrupt_async_requests),
        T(test_busy),
        /* threads, callbacks */
        T(test_wrong_thread_and_attach),
        T(test_any_thread_calls),
        T(test_reentrancy),
        /* hostile catalogue E */
        T(test_E44_compression_loops),
        T(test_E45_pointer_past_end),
        T(test_E46_truncated_at_every_length),
        T(test_E47_rdlength),
        T(test_E48_ancount_65535),
        T(test_E49_empty_datagram),
        T(test_E50_truncation_and_tcp),
        T(test_E51_nodata_and_wrong_type),
        T(test_E52_null_mx),
        T(test_E53_exchanger_names),
        T(test_E54_ip_and_alias_exchangers),
        T(test_E55_equal_preferences),
        T(test_E56_rcodes),
        T(test_spoofed_answers),
        T(test_many_records_over_tcp),
        T(test_wire_queries),
        T(test_query_ids),
        T(test_local_address),
        T(test_max_in_flight),
        /* API surface */
        T(test_config_settings),
        T(test_config_effects),
        T(test_E60_hostile_resolv_conf),
        T(test_reset_restores_defaults),
        T(test_fresh_handle),
        T(test_handle_misuse),
        T(test_null_pointers),
        T(test_size_query_idiom),
        T(test_error_strings),
        T(test_initialization),
    };
    /* MX_TEST_FILTER=test_E4* runs only the matching tests (cmocka's glob). */
    const char *filter = getenv("MX_TEST_FILTER");
    if (filter != NULL && *filter != '\0') cmocka_set_test_filter(filter);
    return cmocka_run_group_tests_name("mx_api", tests, group_setup, group_teardown);
}
