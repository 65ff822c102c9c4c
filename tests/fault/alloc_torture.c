/*
 * Allocation-failure torture (reliability catalogue #59, curl's `runtests -t`):
 * one representative session against a real server, run once for EVERY k from
 * 1 to N with the k-th allocation of the session failing, where N is what a
 * counting dry run of the same session allocates.
 *
 *   alloc_torture SESSION      SESSION: pop_plain pop_tls pop_stls mx_sync mx_async inet_tls
 *
 * Each run must end in success or with a code of the catalogue (errors.h),
 * without a crash, a hang (a watchdog aborts a run after 60 s), a leak
 * (LeakSanitizer, checked after every k in sanitizer builds), a handle that
 * outlives its destroy call, wrong data reported as success, or a
 * complete-looking file from a failed PopStoreMessage; and a normal session
 * run after it, with nothing failing, must succeed (the library is not left
 * poisoned). Allocations are counted and failed on this thread only (see
 * alloc_hooks.h): Dovecot and Knot are separate processes, and the warm-up
 * runs put one-time global initialisation outside the counted window.
 *
 * Environment: INETKIT_ALLOC_FROM / INETKIT_ALLOC_TO (k range, to reproduce
 * one k), INETKIT_ALLOC_STRIDE (every STRIDE-th k; default 1, every k).
 */
#include "dns_fixture.h" /* first: it defines _GNU_SOURCE */
#include "pop_test.h"

#include "alloc_hooks.h"

#include <dirent.h>
#include <stdatomic.h>

/* AddressSanitizer's defaults for this program (ASAN_OPTIONS still wins): a
   1 MiB quarantine instead of 256 MiB. LeakSanitizer walks every chunk the
   quarantine holds, which made the check after each k cost 150 ms instead of
   15; a use after free on an error path touches memory freed moments before,
   which 1 MiB still holds. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=1"; }

/* LeakSanitizer's interface, present only in sanitizer builds. */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

#define NO_CALL 0xFFFFFFFFu /* a step the run did not reach */

/* ---- one run ------------------------------------------------------------------------------ */

typedef struct {
    DWORD code;       /* the first unexpected code, 0 when the session went through */
    char step[96];    /* the call that returned it */
    char message[512]; /* and its last-error message */
    char wrong[256];  /* set when a call succeeded but delivered wrong data */
    int handles;
    HCLIENT handle[4];
    DWORD (*destroy[4])(HCLIENT);
    DWORD destroy_code[4];
    DWORD store_code; /* PopStoreMessage's result, NO_CALL if not reached */
    int uninjected;   /* the code came before the armed failure happened */
} run;

static void run_reset(run *r) {
    memset(r, 0, sizeof *r);
    r->store_code = NO_CALL;
}

/* Whether rc is wanted; otherwise it becomes the run's outcome (the first one counts). */
static int expect(run *r, DWORD rc, DWORD wanted, const char *step) {
    if (rc == wanted) return 1;
    if (r->code == 0 && r->wrong[0] == '\0') {
        if (rc == 0) {
            alloc_pause();
            snprintf(r->wrong, sizeof r->wrong, "%s succeeded where %u was expected", step, (unsigned)wanted);
            alloc_resume();
        } else {
            r->code = rc;
            r->uninjected = !alloc_injected();
            snprintf(r->step, sizeof r->step, "%s", step);
            DWORD size = sizeof r->message; /* the store is shared by every family */
            if (InetGetLastErrorMessage(r->message, &size) != 0) r->message[0] = '\0';
        }
    }
    return 0;
}

static int ok(run *r, DWORD rc, const char *step) { return expect(r, rc, 0, step); }

/* Records wrong data delivered with success; returns 0 so the session stops. */
static int wrong(run *r, const char *what) {
    alloc_pause();
    if (r->wrong[0] == '\0') snprintf(r->wrong, sizeof r->wrong, "%s", what);
    alloc_resume();
    return 0;
}

/* A handle made by create: 1, or 0 with the failure recorded. */
static int created(run *r, HCLIENT h, DWORD (*last_error)(void), const char *step) {
    if (h != INVALID_CLIENT) return 1;
    return ok(r, last_error() ? last_error() : INETKIT_ERROR_INTERNAL, step);
}

/* Destroys h as the session's last act; the harness checks afterwards that it is gone. */
static void destroy_handle(run *r, HCLIENT h, DWORD (*destroy)(HCLIENT)) {
    if (h == INVALID_CLIENT) return;
    r->handle[r->handles] = h;
    r->destroy[r->handles] = destroy;
    r->destroy_code[r->handles] = destroy(h);
    r->handles++;
}

/* ---- the sessions --------------------------------------------------------------------------- */

static pop_manifest manifest_; /* of the session's user */
static char store_dir_[PATH_MAX], store_file_[PATH_MAX + 16];
static unsigned char buffer_[64 * 1024];

static SECURITYCREDENTIALS test_ca(void) {
    SECURITYCREDENTIALS c;
    memset(&c, 0, sizeof c);
    c.dwSize = sizeof c;
    c.lpszCaFile = pop_ca_file();
    return c;
}

/* Whether data is message number of the manifest (the SHA-256 is taken with counting paused). */
static int is_message(const void *data, size_t size, DWORD number) {
    const pop_manifest_entry *e = &manifest_.msg[number - 1];
    if (size != e->size) return 0;
    char hex[65];
    alloc_pause();
    sha256_hex(data, size, hex);
    alloc_resume();
    return strcmp(hex, e->sha256) == 0;
}

/* bob over plain POP3: USER/PASS, STAT, LIST+UIDL, RETR to memory, TOP, RETR to a file, DELE, RSET, QUIT. */
static void pop_plain_session(run *r) {
    HCLIENT h = PopConnect("127.0.0.1", pop_plain_port(), 10, POP_OPTION_NONE, NULL);
    if (!created(r, h, PopGetLastError, "PopConnect")) return;
    DWORD count = 0, listed = 0, size = 0, first = 1, last = manifest_.count;
    ULONGLONG octets = 0;
    char uid[80];
    POPMESSAGEINFO info = {.dwSize = sizeof info};
    if (!ok(r, PopLogin(h, POP_AUTH_PASS, "bob", "bob-pass"), "PopLogin(PASS)")) goto done;
    if (!ok(r, PopGetMessageCount(h, &count, &octets), "PopGetMessageCount")) goto done;
    if (count != manifest_.count || octets != manifest_.list_total) { wrong(r, "STAT disagrees with the manifest"); goto done; }
    if (!ok(r, PopListMessages(h, &listed), "PopListMessages")) goto done;
    if (!ok(r, PopGetMessageInfo(h, last, &info), "PopGetMessageInfo")) goto done;
    if (info.ullOctets != manifest_.msg[last - 1].list_size || info.szUid[0] == '\0') { wrong(r, "LIST/UIDL of the last message"); goto done; }
    size = sizeof uid;
    if (!ok(r, PopGetMessageUid(h, last, uid, &size), "PopGetMessageUid")) goto done;
    if (strcmp(uid, info.szUid) != 0) { wrong(r, "PopGetMessageUid differs from PopGetMessageInfo"); goto done; }
    size = 16; /* the size-query idiom: too small first, then the held message */
    if (!expect(r, PopGetMessage(h, first, buffer_, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER, "PopGetMessage(small)")) goto done;
    if (size > sizeof buffer_) { wrong(r, "PopGetMessage asks for more than the message"); goto done; }
    if (!ok(r, PopGetMessage(h, first, buffer_, &size), "PopGetMessage")) goto done;
    if (!is_message(buffer_, size, first)) { wrong(r, "RETR to memory delivered other bytes"); goto done; }
    size = sizeof buffer_;
    if (!ok(r, PopGetMessageTop(h, first, 1, buffer_, &size), "PopGetMessageTop")) goto done;
    if (size == 0 || size >= manifest_.msg[first - 1].size) { wrong(r, "TOP 1 1 is not shorter than the message"); goto done; }
    r->store_code = PopStoreMessage(h, 2, store_file_);
    if (!ok(r, r->store_code, "PopStoreMessage")) goto done;
    if (!ok(r, PopDeleteMessage(h, last), "PopDeleteMessage")) goto done;
    if (!ok(r, PopReset(h), "PopReset")) goto done;
    ok(r, PopQuit(h), "PopQuit");
done:
    destroy_handle(r, h, PopDisconnect);
}

/* Streams a message through POPDATAPROC into buffer_. */
static DWORD received_;
static BOOL INETKIT_CALL collect(HCLIENT h, DWORD message, LPCVOID data, DWORD size, LPVOID param) {
    (void)h; (void)message; (void)param;
    if (received_ + size > sizeof buffer_) return FALSE;
    memcpy(buffer_ + received_, data, size);
    received_ += size;
    return TRUE;
}

/* carol over implicit TLS, the certificate verified by the test CA: SCRAM-SHA-256, STAT, RETR by callback. */
static void pop_tls_session(run *r) {
    SECURITYCREDENTIALS ca = test_ca();
    HCLIENT h = PopConnect("127.0.0.1", pop_tls_port(), 10, POP_OPTION_SECURE_IMPLICIT, &ca);
    if (!created(r, h, PopGetLastError, "PopConnect(implicit TLS)")) return;
    DWORD count = 0;
    INETSECURITYINFO info = {.dwSize = sizeof info};
    if (!ok(r, PopGetSecurityInfo(h, &info), "PopGetSecurityInfo")) goto done;
    if (info.dwProtocol < INET_PROTOCOL_TLS1_2 || info.dwVerifyResult != 0) { wrong(r, "TLS session not verified"); goto done; }
    if (!ok(r, PopLogin(h, POP_AUTH_SCRAM_SHA256, "carol", "carol-pass"), "PopLogin(SCRAM-SHA-256)")) goto done;
    if (!ok(r, PopGetMessageCount(h, &count, NULL), "PopGetMessageCount")) goto done;
    if (count != manifest_.count) { wrong(r, "STAT count"); goto done; }
    received_ = 0;
    if (!ok(r, PopRetrieveMessage(h, 4, collect, NULL), "PopRetrieveMessage")) goto done;
    if (!is_message(buffer_, received_, 4)) { wrong(r, "RETR by callback delivered other bytes"); goto done; }
    ok(r, PopQuit(h), "PopQuit");
done:
    destroy_handle(r, h, PopDisconnect);
}

/* dave with STLS: SASL PLAIN, capabilities, RETR as a stream, QUIT from PopDisconnect. */
static void pop_stls_session(run *r) {
    SECURITYCREDENTIALS ca = test_ca();
    HCLIENT h = PopConnect("127.0.0.1", pop_plain_port(), 10, POP_OPTION_SECURE_EXPLICIT, &ca);
    if (!created(r, h, PopGetLastError, "PopConnect(STLS)")) return;
    char value[256];
    DWORD size = sizeof value, got = 0, total = 0;
    if (!ok(r, PopLogin(h, POP_AUTH_PLAIN, "dave", "dave-pass"), "PopLogin(PLAIN)")) goto done;
    if (!ok(r, PopGetCapability(h, "UIDL", value, &size), "PopGetCapability(UIDL)")) goto done;
    if (!ok(r, PopOpenMessage(h, 5, POP_ALL_LINES), "PopOpenMessage")) goto done;
    do {
        if (!ok(r, PopRead(h, buffer_ + total, (DWORD)(sizeof buffer_ - total), &got), "PopRead")) goto done;
        total += got;
    } while (got > 0 && total < sizeof buffer_);
    if (!ok(r, PopCloseMessage(h), "PopCloseMessage")) goto done;
    if (!is_message(buffer_, total, 5)) wrong(r, "RETR as a stream delivered other bytes");
done:
    destroy_handle(r, h, PopDisconnect);
}


/* What one domain of the MX sessions must give. */
typedef struct {
    const char *domain;
    DWORD error;     /* the request's outcome */
    DWORD records;   /* exchangers */
    DWORD flags;     /* MX_RESULT_* that must be set */
    const char *best; /* the first exchanger */
} mx_case;

static const mx_case mx_cases_[] = {
    {"multi.mx.test", 0, 5, MX_RESULT_AUTHORITATIVE, "mx1.multi.mx.test"},
    {"user@alias.mx.test", 0, 5, MX_RESULT_CNAME, "mx1.multi.mx.test"},
    {"implicit.mx.test", 0, 1, 0, "implicit.mx.test"},
    {"nullmx.mx.test", INETKIT_ERROR_NULL_MX, 0, 0, NULL},
    {"big.mx.test", 0, 8, MX_RESULT_TRUNCATED | MX_RESULT_RECORDS_DROPPED, "host-001-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.exchangers-for-the-large-set.example"},
};
#define MX_CASES (sizeof mx_cases_ / sizeof mx_cases_[0])

/* A resolver asking Knot, with every exchanger's addresses looked up. */
static HCLIENT mx_open(run *r, UINT timeout) {
    HCLIENT h = MxCreate(MX_OPTION_NONE);
    if (!created(r, h, MxGetLastError, "MxCreate")) return INVALID_CLIENT;
    if (ok(r, MxSetDnsServer(h, knot_), "MxSetDnsServer") && ok(r, MxSetTimeout(h, timeout), "MxSetTimeout") &&
        ok(r, MxConfig(h, "ResolveAddresses=on"), "MxConfig(ResolveAddresses)") &&
        ok(r, MxConfig(h, "MaxRecords=8"), "MxConfig(MaxRecords)") &&
        ok(r, MxConfig(h, "QueryTimeout=1000"), "MxConfig(QueryTimeout)") &&
        ok(r, MxConfig(h, "AbsoluteTimeout=10000"), "MxConfig(AbsoluteTimeout)"))
        return h;
    destroy_handle(r, h, MxDestroy);
    return INVALID_CLIENT;
}

/* Checks the current result against c (it must be the request's). */
static int mx_check_result(run *r, HCLIENT h, const mx_case *c) {
    MXRESULT res = {.dwSize = sizeof res};
    if (!ok(r, MxGetResult(h, &res), "MxGetResult")) return 0;
    if (!expect(r, res.dwError, c->error, c->domain)) return 0;
    if (res.dwCount != c->records || (res.dwFlags & c->flags) != c->flags) {
        char what[160];
        snprintf(what, sizeof what, "%s: %u records, flags 0x%x; expected %u records, flags 0x%x among them", c->domain,
                 (unsigned)res.dwCount, (unsigned)res.dwFlags, (unsigned)c->records, (unsigned)c->flags);
        return wrong(r, what);
    }
    if (c->records == 0) return 1;
    MXRECORD rec = {.dwSize = sizeof rec};
    MXADDRESS addr = {.dwSize = sizeof addr};
    if (!ok(r, MxGetRecord(h, 0, &rec), "MxGetRecord")) return 0;
    if (strcmp(rec.szMailServer, c->best) != 0) return wrong(r, "MX best exchanger");
    if (rec.dwAddressCount > 0 && !ok(r, MxGetRecordAddress(h, 0, 0, &addr), "MxGetRecordAddress")) return 0;
    return 1;
}

/* Synchronous MxResolve of each case, ResolveAddresses on. */
static void mx_sync_session(run *r) {
    HCLIENT h = mx_open(r, 10);
    if (h == INVALID_CLIENT) return;
    for (size_t i = 0; i < MX_CASES; ++i) {
        const mx_case *c = &mx_cases_[i];
        DWORD rc = MxResolve(h, c->domain, NULL);
        if (!expect(r, rc, c->error, c->domain) || !mx_check_result(r, h, c)) break;
    }
    destroy_handle(r, h, MxDestroy);
}

/* Every case queued at once (Timeout 0), then MxWait and MxGetNextResult for each. */
static void mx_async_session(run *r) {
    HCLIENT h = mx_open(r, 0);
    if (h == INVALID_CLIENT) return;
    DWORD first_id = 0, id = 0, error = 0;
    if (!ok(r, MxGetRequestId(h, &first_id), "MxGetRequestId")) goto done;
    for (size_t i = 0; i < MX_CASES; ++i)
        if (!ok(r, MxResolve(h, mx_cases_[i].domain, NULL), "MxResolve(async)")) goto done;
    if (!ok(r, MxWait(h, 15000), "MxWait")) goto done;
    for (size_t i = 0; i < MX_CASES; ++i) {
        DWORD rc = MxGetNextResult(h, 0, &id, &error);
        if (rc == INETKIT_ERROR_NOT_FOUND) { wrong(r, "a queued request finished without a result"); goto done; }
        if (!ok(r, rc, "MxGetNextResult")) goto done;
        if (id < first_id || id - first_id >= MX_CASES) { wrong(r, "MxGetNextResult: unknown request id"); goto done; }
        if (!mx_check_result(r, h, &mx_cases_[id - first_id])) goto done;
    }
    expect(r, MxGetNextResult(h, 0, &id, &error), INETKIT_ERROR_NOT_FOUND, "MxGetNextResult(after the last)");
done:
    destroy_handle(r, h, MxDestroy);
}

/* A certificate that does not name verify_name must be refused, whatever failed on the way (never fail open). */
static void refused_connect(run *r, const char *verify_name) {
    SECURITYCREDENTIALS ca = test_ca();
    ca.lpszVerifyName = verify_name;
    HCLIENT h = InetConnect("127.0.0.1", pop_tls_port(), 10, INET_OPTION_SECURE, &ca);
    if (h == INVALID_CLIENT) {
        expect(r, InetGetLastError(), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH, "InetConnect(another name)");
        return;
    }
    wrong(r, "InetConnect accepted a certificate that does not name the peer");
    destroy_handle(r, h, InetDisconnect);
}

/* A raw TLS client on Dovecot's implicit-TLS port: the server under names its certificate does not
   hold, then a verified connect, certificate info, lines both ways. */
static void inet_tls_session(run *r) {
    /* The refused connects first: with distinct call stacks (see README) each handshake path then fails
       where accepting the peer anyway would show. */
    refused_connect(r, "127.0.0.2"); /* X509_VERIFY_PARAM_set1_ip_asc */
    if (r->code == 0 && r->wrong[0] == '\0') refused_connect(r, "wrong.example"); /* SSL_set1_host */
    if (r->code != 0 || r->wrong[0] != '\0') return;
    SECURITYCREDENTIALS ca = test_ca();
    HCLIENT h = InetConnect("127.0.0.1", pop_tls_port(), 10, INET_OPTION_SECURE, &ca);
    if (!created(r, h, InetGetLastError, "InetConnect(TLS)")) return;
    char line[512];
    DWORD length = 0, size = sizeof line, lines = 0;
    if (!ok(r, InetReadLine(h, line, sizeof line, &length), "InetReadLine(greeting)")) goto done;
    if (strncmp(line, "+OK", 3) != 0) { wrong(r, "greeting"); goto done; }
    if (!ok(r, InetGetCertificateInfo(h, 0, INET_CERT_SUBJECT, line, &size), "InetGetCertificateInfo")) goto done;
    if (!ok(r, InetWriteLine(h, "CAPA"), "InetWriteLine(CAPA)")) goto done;
    do {
        if (!ok(r, InetReadLine(h, line, sizeof line, &length), "InetReadLine(CAPA)")) goto done;
        lines++;
    } while (strcmp(line, ".") != 0);
    if (lines < 3) { wrong(r, "CAPA reply"); goto done; }
    if (!ok(r, InetWrite(h, "QUIT\r\n", 6, NULL), "InetWrite(QUIT)")) goto done;
    if (!ok(r, InetReadLine(h, line, sizeof line, &length), "InetReadLine(QUIT)")) goto done;
    if (strncmp(line, "+OK", 3) != 0) wrong(r, "QUIT reply");
done:
    destroy_handle(r, h, InetDisconnect);
}

/* ---- the harness ------------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    void (*session)(run *r);
    int dns;           /* needs Knot rather than Dovecot */
    const char *user;  /* the mailbox it reads (its manifest) */
    int unique_stacks; /* by default fail each distinct call stack once, not every k (see README) */
} session_kind;

static const session_kind kinds_[] = {
    {"pop_plain", pop_plain_session, 0, "bob", 0}, {"pop_tls", pop_tls_session, 0, "carol", 1},
    {"pop_stls", pop_stls_session, 0, "dave", 1},  {"mx_sync", mx_sync_session, 1, NULL, 0},
    {"mx_async", mx_async_session, 1, NULL, 0},    {"inet_tls", inet_tls_session, 0, NULL, 1},
};
static const session_kind *kind_;

/* The watchdog: a run still going 60 s after it started has hung. */
static atomic_ulong watched_k_;
static atomic_llong watch_deadline_; /* CLOCK_MONOTONIC seconds; 0 = nothing watched */
static pthread_t watchdog_;

static void *watchdog(void *unused) {
    (void)unused;
    for (;;) {
        sleep_ms(200);
        long long deadline = atomic_load(&watch_deadline_);
        if (deadline != 0 && (long long)seconds_now() > deadline) {
            fprintf(stderr, "alloc_torture %s: the run with allocation k=%lu failing hung for 60 s\n", kind_->name,
                    atomic_load(&watched_k_));
            abort();
        }
    }
    return NULL;
}

/* Which allocation an armed run fails: the k-th (stack 0), or the first from
   the k-th on with that call stack; k 0 only counts. */
typedef struct {
    unsigned long k;
    unsigned long long stack;
} target;

/* Runs the session once, armed with t (NULL: nothing counted); record keeps each allocation's stack. */
static unsigned long run_session(run *r, const target *t, int record) {
    run_reset(r);
    atomic_store(&watched_k_, t ? t->k : 0);
    atomic_store(&watch_deadline_, (long long)seconds_now() + 60);
    alloc_record(record);
    if (t != NULL) alloc_arm_stack(t->k, t->stack);
    kind_->session(r);
    unsigned long counted = alloc_disarm();
    alloc_record(0);
    atomic_store(&watch_deadline_, 0);
    return counted;
}

static const char *code_name(DWORD code, char *text, DWORD size) {
    if (InetGetErrorString(code, text, &size) != 0) return NULL;
    return text;
}

/* The checks every run must pass, failing the test with k named. */
static void check_run(const run *r, unsigned long k) {
    char text[128];
    if (r->wrong[0] != '\0') fail_msg("%s k=%lu: %s", kind_->name, k, r->wrong);
    if (code_name(r->code, text, sizeof text) == NULL)
        fail_msg("%s k=%lu: %s returned %u, which is not in errors.h", kind_->name, k, r->step, (unsigned)r->code);
    for (int i = 0; i < r->handles; ++i) {
        if (code_name(r->destroy_code[i], text, sizeof text) == NULL)
            fail_msg("%s k=%lu: destroying the handle returned %u, not in errors.h", kind_->name, k,
                     (unsigned)r->destroy_code[i]);
        DWORD again = r->destroy[i](r->handle[i]);
        if (again != INETKIT_ERROR_INVALID_HANDLE)
            fail_msg("%s k=%lu: the handle outlived its destroy call (which returned %u; a second one returned %u)",
                     kind_->name, k, (unsigned)r->destroy_code[i], (unsigned)again);
    }
    /* PopStoreMessage: the file is complete after a success and absent otherwise; nothing else is left. */
    if (store_dir_[0] != '\0') {
        char hex[65];
        ULONGLONG size = 0;
        int present = sha256_file_hex(store_file_, hex, &size) == 0;
        if (r->store_code == 0 && (!present || size != manifest_.msg[1].size || strcmp(hex, manifest_.msg[1].sha256) != 0))
            fail_msg("%s k=%lu: PopStoreMessage succeeded but the file is not the message", kind_->name, k);
        if (r->store_code != 0 && present)
            fail_msg("%s k=%lu: PopStoreMessage returned %u but left %s", kind_->name, k, (unsigned)r->store_code, store_file_);
        unlink(store_file_);
        DIR *d = opendir(store_dir_);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                fail_msg("%s k=%lu: PopStoreMessage left %s/%s behind", kind_->name, k, store_dir_, e->d_name);
        if (d != NULL) closedir(d);
    }
    if (__lsan_do_recoverable_leak_check != NULL && __lsan_do_recoverable_leak_check() != 0)
        fail_msg("%s k=%lu: LeakSanitizer found a leak (report above)", kind_->name, k);
}

/* A normal session, nothing failing: it must go through. */
static void require_success(const char *when, unsigned long k) {
    run r;
    run_session(&r, NULL, 0);
    check_run(&r, k);
    if (r.code != 0) {
        fail_msg("%s %s (after k=%lu): %s returned %u: %s", kind_->name, when, k, r.step, (unsigned)r.code,
                 pop_last_message());
    }
}

/* A QUIT that the failing k cut off after DELE commits the deletion: put the message back. */
static void restore_mailbox(void) {
    if (strcmp(kind_->name, "pop_plain") != 0) return;
    char command[3 * PATH_MAX];
    snprintf(command, sizeof command,
             "cd '%s/backup' && for f in *; do ls '%s/mail/bob/Maildir/cur/'\"$f\"* '%s/mail/bob/Maildir/new/'\"$f\" "
             ">/dev/null 2>&1 || cp \"$f\" '%s/mail/bob/Maildir/new/'; done",
             pop_fixture_dir(), pop_fixture_dir(), pop_fixture_dir(), pop_fixture_dir());
    if (system(command) != 0) fail_msg("restoring bob's mailbox failed: %s", command);
}

/* How often each (code, step) ended a run. */
typedef struct {
    DWORD code;
    char step[96];
    unsigned long runs;
} tally;

static tally outcomes_[128];

static void count_outcome(DWORD code, const char *step) {
    for (size_t i = 0; i < sizeof outcomes_ / sizeof outcomes_[0]; ++i) {
        if (outcomes_[i].runs == 0) {
            outcomes_[i].code = code;
            snprintf(outcomes_[i].step, sizeof outcomes_[i].step, "%s", step);
        }
        if (outcomes_[i].code == code && strcmp(outcomes_[i].step, step) == 0) {
            outcomes_[i].runs++;
            return;
        }
    }
}

static int by_code(const void *a, const void *b) {
    const tally *x = a, *y = b;
    if (x->runs == 0 || y->runs == 0) return (x->runs == 0) - (y->runs == 0);
    return x->code != y->code ? (x->code > y->code) - (x->code < y->code) : strcmp(x->step, y->step);
}

static unsigned long env_number(const char *name, unsigned long fallback) {
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : fallback;
}

static target *plan_; /* freed in teardown (a failed check leaves torture by longjmp) */

typedef struct {
    unsigned long long stack;
    unsigned long k;
} allocation;

static int by_stack_then_k(const void *a, const void *b) {
    const allocation *x = a, *y = b;
    if (x->stack != y->stack) return x->stack < y->stack ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* The runs after the dry run: every k, or (unique) the first k of each distinct call stack. */
static target *plan_runs(const unsigned long long *stacks, unsigned long n, int unique, size_t *count,
                         size_t *distinct) {
    /* first[k]: allocation k is the first with its stack */
    allocation *sorted = calloc(n, sizeof *sorted);
    unsigned char *first = calloc(n + 1, 1);
    for (unsigned long k = 1; k <= n; ++k) sorted[k - 1] = (allocation){stacks[k], k};
    qsort(sorted, n, sizeof *sorted, by_stack_then_k);
    *distinct = 0;
    for (unsigned long i = 0; i < n; ++i)
        if (i == 0 || sorted[i].stack != sorted[i - 1].stack) {
            first[sorted[i].k] = 1;
            ++*distinct;
        }
    unsigned long from = env_number("INETKIT_ALLOC_FROM", 1), to = env_number("INETKIT_ALLOC_TO", n);
    unsigned long stride = env_number("INETKIT_ALLOC_STRIDE", 1);
    if (stride == 0) stride = 1;
    if (to > n) to = n;
    free(plan_);
    target *plan = plan_ = calloc(n + 1, sizeof *plan);
    size_t used = 0;
    for (unsigned long k = from; k <= to; k += stride)
        if (!unique || first[k]) plan[used++] = (target){k, unique ? stacks[k] : 0};
    free(sorted);
    free(first);
    *count = used;
    return plan;
}

static void torture(void **state) {
    (void)state;
    require_success("warm-up", 0);
    require_success("second warm-up", 0);
    int unique = !getenv("INETKIT_ALLOC_EVERY") ? kind_->unique_stacks : atoi(getenv("INETKIT_ALLOC_EVERY")) == 0;
    /* The normal session doubles a run's cost; between two of them, a run that fails before its
       armed allocation already shows damage left by the run before. */
    unsigned long verify_every = env_number("INETKIT_ALLOC_VERIFY", unique ? 16 : 1);
    int verbose = getenv("INETKIT_ALLOC_VERBOSE") != NULL;
    alloc_show_failures(verbose);
    if (verify_every == 0) verify_every = 1;
    target *plan = NULL;
    size_t planned = 0, distinct = 0;
    unsigned long n = 0, runs = 0, injected = 0, absorbed = 0, most = 0, retries = 0, reached_on_retry = 0;
    int retrying = 0;
    double start = seconds_now(), reported = start;
    run r;
    /* One call site for every armed run, the dry run (i = 0) included, so call stacks compare. */
    for (size_t i = 0; i == 0 || i <= planned; ++i) {
        target t = i == 0 ? (target){0, 0} : plan[i - 1];
        double run_start = seconds_now();
        unsigned long counted = run_session(&r, &t, i == 0);
        int hit = alloc_injected();
        if (verbose)
            fprintf(stderr, "alloc_torture %s: k=%lu %s: %u %s%s (%lu allocations, %.3f s) %s\n", kind_->name, t.k,
                    hit ? "failed" : "not reached", (unsigned)r.code, r.step, r.wrong, counted, seconds_now() - run_start,
                    r.message);
        check_run(&r, t.k);
        if (i == 0) {
            n = most = counted;
            if (r.code != 0) fail_msg("%s dry run: %s returned %u", kind_->name, r.step, (unsigned)r.code);
            if (n == 0) fail_msg("%s dry run counted no allocation: the hooks are not in place", kind_->name);
            plan = plan_runs(alloc_recorded_stacks(), n, unique, &planned, &distinct);
            fprintf(stderr, "alloc_torture %s: the dry run made N=%lu allocations from %zu distinct call stacks; %zu runs planned\n",
                    kind_->name, n, distinct, planned);
            continue;
        }
        if (r.code != 0 && r.uninjected)
            fail_msg("%s k=%lu: %s returned %u before any allocation failed: an earlier run left the library "
                     "(or the server) broken", kind_->name, t.k, r.step, (unsigned)r.code);
        if (counted > most) most = counted;
        runs++;
        injected += hit;
        absorbed += hit && r.code == 0;
        count_outcome(r.code, r.code != 0 ? r.step : hit ? "(absorbed: success)" : "(not reached: success)");
        for (int h = 0; h < r.handles; ++h)
            if (r.destroy_code[h] != 0) count_outcome(r.destroy_code[h], "(the destroy call)");
        restore_mailbox();
        if (runs % verify_every == 0 || i == planned) require_success("normal session", t.k);
        if (seconds_now() - reported >= 10) { /* progress, for a slow CI */
            reported = seconds_now();
            fprintf(stderr, "alloc_torture %s: k=%lu, run %lu of %zu, after %.0f s\n", kind_->name, t.k, runs,
                    planned, reported - start);
        }
        /* A stack the run did not reach belongs to a state this run was not in (a TLS session resumed or
           not, a ticket read in another call): once more, after this successful run. */
        if (!hit && t.stack != 0 && !retrying) {
            retrying = 1;
            retries++;
            --i;
        } else {
            reached_on_retry += retrying && hit;
            retrying = 0;
        }
    }
    printf("alloc_torture %s: N=%lu allocations in the dry run (most in any run %lu), %zu distinct stacks; %s k=%lu..%lu: %lu runs, "
           "%lu failed an allocation, %lu of them succeeded anyway; %lu stacks not reached were tried again, %lu "
           "reached then; normal session after every %lu runs; %.1f s\n",
           kind_->name, n, most, distinct, unique ? "first k of each distinct call stack," : "every k,",
           planned ? plan[0].k : 0, planned ? plan[planned - 1].k : 0, runs, injected, absorbed, retries,
           reached_on_retry, verify_every, seconds_now() - start);
    qsort(outcomes_, sizeof outcomes_ / sizeof outcomes_[0], sizeof outcomes_[0], by_code);
    char text[128];
    for (size_t i = 0; i < sizeof outcomes_ / sizeof outcomes_[0] && outcomes_[i].runs > 0; ++i)
        printf("  %5u %-28.28s x%-5lu %s\n", (unsigned)outcomes_[i].code,
               code_name(outcomes_[i].code, text, sizeof text), outcomes_[i].runs, outcomes_[i].step);
}

/* ---- fixtures ------------------------------------------------------------------------------------ */

static int setup(void **state) {
    (void)state;
    if (kind_->dns) {
        if (dns_fixture_start() != 0) return -1; /* Knot; sets knot_ */
    } else {
        if (pop_fixture_start() != 0) return -1;
        if (kind_->user != NULL) pop_manifest_load(kind_->user, &manifest_);
        if (strcmp(kind_->name, "pop_plain") == 0) {
            snprintf(store_dir_, sizeof store_dir_, "%s", pop_path("store"));
            snprintf(store_file_, sizeof store_file_, "%s/message.eml", store_dir_);
            char command[3 * PATH_MAX];
            snprintf(command, sizeof command, "mkdir '%s' && cp -p '%s/mail/bob/Maildir/new/'* '%s'", store_dir_,
                     pop_fixture_dir(), pop_path("backup"));
            if (mkdir(pop_path("backup"), 0700) != 0 || system(command) != 0) return -1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    return (InetInitialize() == 0 && PopInitialize() == 0 && MxInitialize() == 0) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    free(plan_);
    plan_ = NULL;
    DWORD rc = InetUninitialize() | PopUninitialize() | MxUninitialize();
    if (kind_->dns) {
        dns_fixture_stop();
    } else {
        pop_fixture_stop();
    }
    return rc == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    alloc_hooks_install(); /* before anything allocates through OpenSSL */
    for (size_t i = 0; argc == 2 && i < sizeof kinds_ / sizeof kinds_[0]; ++i)
        if (strcmp(argv[1], kinds_[i].name) == 0) kind_ = &kinds_[i];
    if (kind_ == NULL) {
        fprintf(stderr, "usage: %s pop_plain|pop_tls|pop_stls|mx_sync|mx_async|inet_tls\n", argv[0]);
        return 2;
    }
    if (pthread_create(&watchdog_, NULL, watchdog, NULL) != 0) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(torture)};
    return cmocka_run_group_tests_name(kind_->name, tests, setup, teardown);
}
