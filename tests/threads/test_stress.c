/*
 * Thread stress across the three families, against the real Dovecot
 * (tests/pop/dovecot.sh) and Knot (tests/mx/dns.sh), for a bounded time:
 *  - OWN_THREADS threads, each with handles of its own: whole POP3 sessions
 *    (message text checked against the manifest's SHA-256), MX lookups
 *    (answers checked against the zone), raw Inet sessions with Dovecot,
 *    calls on other threads' handles (WRONG_THREAD or INVALID_HANDLE), and
 *    probes that the error a thread reads after a failure is its own even
 *    while every other thread is failing too;
 *  - SHARED_THREADS threads calling FREETHREAD Pop and Mx handles at once;
 *  - one chaos thread that cancels, interrupts, closes and replaces those
 *    shared handles while calls are in flight on them.
 * Every call must return a code from the set its header allows for what can
 * happen to it; every failure must be the calling thread's last error; every
 * thread must come back in time. Runs under ThreadSanitizer in CI.
 *
 * INETKIT_STRESS_SECONDS (default 4) sets the duration; INETKIT_STRESS_SEED
 * replays a run (the seed is printed).
 */
#include "dns_fixture.h" /* first: it sets _GNU_SOURCE */
#include "pop_test.h"

#include <stdatomic.h>

enum { OWN_THREADS = 6, SHARED_THREADS = 4, MAX_CODES = 16, MAX_MESSAGE_SIZE = 256 * 1024 };

#define USER "alice"
#define PASSWORD "alice-pass"

static pop_manifest manifest_;
static atomic_bool stop_;
static unsigned seconds_ = 4;
static unsigned seed_;

/* ---- the record of every call ---------------------------------------------------- */

typedef enum { OP_POP, OP_POP_SHARED, OP_MX, OP_MX_SHARED, OP_INET, OP_FOREIGN, OP_ERROR_PROBE, OP_CHAOS, OP_KINDS } op_kind;
static const char *const op_names[OP_KINDS] = {"pop session", "pop shared", "mx lookup", "mx shared",
                                               "inet session", "foreign handle", "error probe", "chaos"};

static atomic_ulong calls_[OP_KINDS];
static atomic_ulong failures_[OP_KINDS];
/* How often each code came back, for the report: the codes a situation allows, and the rest. */
static const DWORD tracked_codes_[] = {INETKIT_ERROR_INVALID_HANDLE, INETKIT_ERROR_INVALID_PARAMETER,
                                       INETKIT_ERROR_BUSY, INETKIT_ERROR_WRONG_THREAD, INETKIT_ERROR_CANCELED,
                                       INETKIT_ERROR_NOT_CONNECTED};
enum { TRACKED = sizeof tracked_codes_ / sizeof tracked_codes_[0] };
static atomic_ulong code_counts_[OP_KINDS][TRACKED + 1];
static atomic_int violations_;
static char first_violation_[1024];
static pthread_mutex_t violation_lock_ = PTHREAD_MUTEX_INITIALIZER;

static void violation(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *format, ...) {
    if (atomic_fetch_add(&violations_, 1) >= 10) return;
    char text[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    fprintf(stderr, "test_stress: VIOLATION: %s\n", text);
    pthread_mutex_lock(&violation_lock_);
    if (first_violation_[0] == '\0') snprintf(first_violation_, sizeof first_violation_, "%s", text);
    pthread_mutex_unlock(&violation_lock_);
}

typedef DWORD (*last_error_fn)(void);

/* Checks one call's code against the allowed set (0 is always allowed) and,
   for a failure, that the calling thread's last error is that code. */
static int check(op_kind kind, const char *call, DWORD code, last_error_fn last_error, const DWORD *allowed,
                 size_t n_allowed) {
    atomic_fetch_add(&calls_[kind], 1);
    if (code == 0) return 1;
    atomic_fetch_add(&failures_[kind], 1);
    size_t slot = 0;
    while (slot < TRACKED && tracked_codes_[slot] != code) ++slot;
    atomic_fetch_add(&code_counts_[kind][slot], 1);
    DWORD seen = last_error();
    if (seen != code) violation("%s: %s returned %u but the thread's last error is %u", op_names[kind], call,
                                (unsigned)code, (unsigned)seen);
    for (size_t i = 0; i < n_allowed; ++i)
        if (allowed[i] == code) return 0;
    violation("%s: %s returned %u (%s), which this situation does not allow", op_names[kind], call,
              (unsigned)code, pop_last_message());
    return 0;
}
#define CHECK(kind, call, last_error, ...)                                                          \
    check(kind, #call, (call), last_error, (const DWORD[]){__VA_ARGS__},                              \
          sizeof((const DWORD[]){__VA_ARGS__}) / sizeof(DWORD))

static unsigned next_random(unsigned *state) { return (unsigned)(rand_r(state) & 0x7fffffff); }

/* A message no larger than MAX_MESSAGE_SIZE, by its manifest entry. */
static const pop_manifest_entry *small_message(unsigned *random) {
    for (;;) {
        const pop_manifest_entry *e = &manifest_.msg[next_random(random) % manifest_.count];
        if (e->size <= MAX_MESSAGE_SIZE) return e;
    }
}

static int message_matches(const pop_manifest_entry *e, const void *data, DWORD size) {
    char hex[65];
    sha256_hex(data, size, hex);
    return size == e->size && strcmp(hex, e->sha256) == 0;
}

/* ---- own handles ------------------------------------------------------------------- */

static HCLIENT connect_pop(DWORD options) {
    HCLIENT h = PopConnect("127.0.0.1", pop_plain_port(), 10, options, NULL);
    if (h == INVALID_CLIENT) return h;
    if (PopLogin(h, POP_AUTH_PASS, USER, PASSWORD) != 0) {
        PopDisconnect(h);
        return INVALID_CLIENT;
    }
    return h;
}

static void pop_session(unsigned *random, char *buffer) {
    HCLIENT h = PopConnect("127.0.0.1", pop_plain_port(), 10, POP_OPTION_NONE, NULL);
    if (!check(OP_POP, "PopConnect", h == INVALID_CLIENT ? PopGetLastError() : 0, PopGetLastError, NULL, 0)) return;
    DWORD count = 0;
    if (CHECK(OP_POP, PopLogin(h, POP_AUTH_SCRAM_SHA256, USER, PASSWORD), PopGetLastError, 0) &&
        CHECK(OP_POP, PopGetMessageCount(h, &count, NULL), PopGetLastError, 0)) {
        if (count != manifest_.count) violation("STAT counted %u messages, the manifest %u", (unsigned)count,
                                                (unsigned)manifest_.count);
        const pop_manifest_entry *e = small_message(random);
        DWORD size = MAX_MESSAGE_SIZE;
        if (CHECK(OP_POP, PopGetMessage(h, e->number, buffer, &size), PopGetLastError, 0) &&
            !message_matches(e, buffer, size))
            violation("message %u (%s) arrived with the wrong text", (unsigned)e->number, e->name);
    }
    CHECK(OP_POP, PopDisconnect(h), PopGetLastError, 0);
}

static HCLIENT create_resolver(DWORD options) {
    HCLIENT h = MxCreate(options);
    if (h == INVALID_CLIENT) return h;
    if (MxSetDnsServer(h, knot_) != 0 || MxSetTimeout(h, 10) != 0) {
        MxDestroy(h);
        return INVALID_CLIENT;
    }
    return h;
}

/* The zone gives dN.mx.test one MX: preference N, mx-N.bulk.example. */
static void check_bulk_record(HCLIENT mx, const char *who) {
    MXRECORD r = {.dwSize = sizeof r};
    if (MxGetRecord(mx, 0, &r) != 0) return; /* a shared handle's result may have been replaced meanwhile */
    unsigned n;
    char expected[64];
    if (sscanf(r.szDomain, "d%u.mx.test", &n) != 1) return;
    snprintf(expected, sizeof expected, "mx-%u.bulk.example", n);
    if (r.dwPrecedence != n || strcmp(r.szMailServer, expected) != 0)
        violation("%s: %s answered %u %s", who, r.szDomain, (unsigned)r.dwPrecedence, r.szMailServer);
}

static void mx_lookup(HCLIENT mx, unsigned *random) {
    char domain[32];
    unsigned n = next_random(random) % 10000;
    snprintf(domain, sizeof domain, "d%u.mx.test", n);
    if (!CHECK(OP_MX, MxResolve(mx, domain, NULL), MxGetLastError, 0)) return;
    MXRECORD r = {.dwSize = sizeof r};
    char expected[64];
    snprintf(expected, sizeof expected, "mx-%u.bulk.example", n);
    if (CHECK(OP_MX, MxGetRecord(mx, 0, &r), MxGetLastError, 0) &&
        (strcmp(r.szDomain, domain) != 0 || r.dwPrecedence != n || strcmp(r.szMailServer, expected) != 0))
        violation("mx lookup: %s answered %s %u %s", domain, r.szDomain, (unsigned)r.dwPrecedence, r.szMailServer);
}

/* A raw Inet session with Dovecot: greeting, QUIT, its reply. */
static void inet_session(void) {
    HCLIENT h = InetConnect("127.0.0.1", pop_plain_port(), 10, INET_OPTION_NONE, NULL);
    if (!check(OP_INET, "InetConnect", h == INVALID_CLIENT ? InetGetLastError() : 0, InetGetLastError, NULL, 0))
        return;
    char line[512];
    DWORD n;
    if (CHECK(OP_INET, InetReadLine(h, line, sizeof line, &n), InetGetLastError, 0) && strncmp(line, "+OK", 3) != 0)
        violation("inet session: greeting '%s'", line);
    if (CHECK(OP_INET, InetWriteLine(h, "QUIT"), InetGetLastError, 0) &&
        CHECK(OP_INET, InetReadLine(h, line, sizeof line, &n), InetGetLastError, 0) && strncmp(line, "+OK", 3) != 0)
        violation("inet session: QUIT reply '%s'", line);
    CHECK(OP_INET, InetDisconnect(h), InetGetLastError, 0);
}

/* Each own-handle thread publishes its resolver so the others can misuse it. */
static _Atomic(HCLIENT) published_[OWN_THREADS];

static void foreign_call(int self, unsigned *random) {
    int other = (int)(next_random(random) % OWN_THREADS);
    if (other == self) return;
    HCLIENT h = atomic_load(&published_[other]);
    if (h == INVALID_CLIENT) return;
    UINT port;
    /* Not ours and not FREETHREAD: refused, or already closed by its owner. */
    DWORD code = MxGetDnsPort(h, &port);
    if (code == 0) violation("foreign handle: MxGetDnsPort on thread %d's resolver succeeded", other);
    check(OP_FOREIGN, "MxGetDnsPort(foreign)", code, MxGetLastError,
          (const DWORD[]){INETKIT_ERROR_WRONG_THREAD, INETKIT_ERROR_INVALID_HANDLE}, 2);
}

/* Fails a call in a way only this thread does, lets the others fail theirs,
   then reads the error: it must still be this thread's own. */
static void error_probe(int self, HCLIENT mx, unsigned *random) {
    DWORD expected, code;
    const char *needle;
    last_error_fn last_error;
    char text[1100];
    DWORD size = sizeof text;
    switch (next_random(random) % 3) {
    case 0:
        code = MxSetDnsPort(mx, 70000u + (unsigned)self);
        expected = INETKIT_ERROR_INVALID_PARAMETER, needle = "port", last_error = MxGetLastError;
        break;
    case 1:
        code = PopGetMessageCount((HCLIENT)(uintptr_t)(0x5000u + (unsigned)self), NULL, NULL);
        expected = INETKIT_ERROR_INVALID_HANDLE, needle = "handle", last_error = PopGetLastError;
        break;
    default:
        code = InetConnect("127.0.0.1", 0, 1, 0, NULL) == INVALID_CLIENT ? InetGetLastError() : 0;
        expected = INETKIT_ERROR_INVALID_PARAMETER, needle = "port 0", last_error = InetGetLastError;
        break;
    }
    check(OP_ERROR_PROBE, "probe", code, last_error, &expected, 1);
    if (code != expected) violation("error probe: got %u, expected %u", (unsigned)code, (unsigned)expected);
    sleep_ms(next_random(random) % 3); /* the other threads fail and succeed meanwhile */
    if (last_error() != expected)
        violation("error probe: thread %d reads error %u, its own was %u", self, (unsigned)last_error(),
                  (unsigned)expected);
    if (InetGetLastErrorMessage(text, &size) == 0 && strstr(text, needle) == NULL)
        violation("error probe: thread %d reads message '%s', its own was about '%s'", self, text, needle);
}

struct own_thread {
    int id;
    unsigned random;
};

static void *own_handles(void *arg) {
    struct own_thread *t = arg;
    char *buffer = malloc(MAX_MESSAGE_SIZE);
    HCLIENT mx = create_resolver(MX_OPTION_NONE);
    if (buffer == NULL || mx == INVALID_CLIENT) {
        violation("thread %d: no resolver (%u)", t->id, (unsigned)MxGetLastError());
        free(buffer);
        return NULL;
    }
    atomic_store(&published_[t->id], mx);
    while (!atomic_load(&stop_)) {
        switch (next_random(&t->random) % 8) {
        case 0: pop_session(&t->random, buffer); break;
        case 1: inet_session(); break;
        case 2: foreign_call(t->id, &t->random); break;
        case 3: error_probe(t->id, mx, &t->random); break;
        case 4: /* a fresh resolver now and then: handles come and go while others look them up */
            atomic_store(&published_[t->id], INVALID_CLIENT);
            CHECK(OP_MX, MxDestroy(mx), MxGetLastError, 0);
            mx = create_resolver(MX_OPTION_NONE);
            if (mx == INVALID_CLIENT) { violation("thread %d: no resolver", t->id); free(buffer); return NULL; }
            atomic_store(&published_[t->id], mx);
            break;
        default: mx_lookup(mx, &t->random); break;
        }
    }
    atomic_store(&published_[t->id], INVALID_CLIENT);
    MxDestroy(mx);
    free(buffer);
    return NULL;
}

/* ---- shared FREETHREAD handles and the chaos thread ------------------------------------ */

static _Atomic(HCLIENT) shared_pop_, shared_mx_;

/* What a call on a shared handle may meet: success, a cancel or interrupt, the
   handle closed under it or before it, the session closed by an earlier cancel
   (PopCancel leaves a retrieval out of step), and a synchronous MxResolve
   while another thread's request is in flight (BUSY). */
#define SHARED_POP_CODES 0, INETKIT_ERROR_CANCELED, INETKIT_ERROR_INVALID_HANDLE, INETKIT_ERROR_NOT_CONNECTED
#define SHARED_MX_CODES 0, INETKIT_ERROR_CANCELED, INETKIT_ERROR_INVALID_HANDLE, INETKIT_ERROR_BUSY

struct shared_thread {
    unsigned random;
};

/* A session that a cancel closed is replaced, as an application would reconnect;
   only the thread that wins the swap closes the old one. */
static void replace_closed_session(HCLIENT pop) {
    HCLIENT fresh = connect_pop(POP_OPTION_FREETHREAD);
    if (fresh == INVALID_CLIENT) return; /* the handle may be gone already: nothing to replace */
    HCLIENT expected = pop;
    PopDisconnect(atomic_compare_exchange_strong(&shared_pop_, &expected, fresh) ? pop : fresh);
}

static void *shared_handles(void *arg) {
    struct shared_thread *t = arg;
    char *buffer = malloc(MAX_MESSAGE_SIZE);
    if (buffer == NULL) return NULL;
    while (!atomic_load(&stop_)) {
        HCLIENT pop = atomic_load(&shared_pop_), mx = atomic_load(&shared_mx_);
        DWORD count;
        switch (next_random(&t->random) % 4) {
        case 0: {
            const pop_manifest_entry *e = small_message(&t->random);
            DWORD size = MAX_MESSAGE_SIZE;
            if (CHECK(OP_POP_SHARED, PopGetMessage(pop, e->number, buffer, &size), PopGetLastError, SHARED_POP_CODES) &&
                !message_matches(e, buffer, size))
                violation("pop shared: message %u (%s) arrived with the wrong text", (unsigned)e->number, e->name);
            break;
        }
        case 1:
            if (CHECK(OP_POP_SHARED, PopGetMessageCount(pop, &count, NULL), PopGetLastError, SHARED_POP_CODES)) {
                if (count != manifest_.count) violation("pop shared: STAT counted %u", (unsigned)count);
            } else if (PopGetLastError() == INETKIT_ERROR_NOT_CONNECTED) {
                replace_closed_session(pop);
            }
            break;
        default: {
            char domain[32];
            snprintf(domain, sizeof domain, "d%u.mx.test", next_random(&t->random) % 10000);
            if (CHECK(OP_MX_SHARED, MxResolve(mx, domain, NULL), MxGetLastError, SHARED_MX_CODES))
                check_bulk_record(mx, "mx shared");
            break;
        }
        }
    }
    free(buffer);
    return NULL;
}

static void *chaos(void *arg) {
    unsigned *random = arg;
    while (!atomic_load(&stop_)) {
        sleep_ms(5 + next_random(random) % 40);
        switch (next_random(random) % 6) {
        case 0: CHECK(OP_CHAOS, PopCancel(atomic_load(&shared_pop_)), PopGetLastError, 0); break;
        case 1: CHECK(OP_CHAOS, MxInterrupt(atomic_load(&shared_mx_)), MxGetLastError, 0); break;
        case 2: { /* close the session under whoever is using it, then publish a new one */
            HCLIENT fresh = connect_pop(POP_OPTION_FREETHREAD);
            if (fresh == INVALID_CLIENT) { violation("chaos: no new POP session (%u)", (unsigned)PopGetLastError()); break; }
            CHECK(OP_CHAOS, PopDisconnect(atomic_exchange(&shared_pop_, fresh)), PopGetLastError, 0);
            break;
        }
        case 3: {
            HCLIENT fresh = create_resolver(MX_OPTION_FREETHREAD);
            if (fresh == INVALID_CLIENT) { violation("chaos: no new resolver"); break; }
            CHECK(OP_CHAOS, MxDestroy(atomic_exchange(&shared_mx_, fresh)), MxGetLastError, 0);
            break;
        }
        default: { /* a session that an earlier cancel closed is replaced too */
            HCLIENT pop = atomic_load(&shared_pop_);
            if (PopNoop(pop) == INETKIT_ERROR_NOT_CONNECTED) replace_closed_session(pop);
            break;
        }
        }
    }
    return NULL;
}

/* ---- the test ------------------------------------------------------------------------ */

static int join_by(pthread_t thread, double deadline) {
    struct timespec when;
    clock_gettime(CLOCK_REALTIME, &when);
    double left = deadline - seconds_now();
    if (left < 0) left = 0;
    when.tv_sec += (time_t)left;
    when.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
    if (when.tv_nsec >= 1000000000L) when.tv_sec++, when.tv_nsec -= 1000000000L;
    return pthread_timedjoin_np(thread, NULL, &when);
}

static void test_stress(void **state) {
    (void)state;
    pop_manifest_load(USER, &manifest_);
    atomic_store(&shared_pop_, connect_pop(POP_OPTION_FREETHREAD));
    atomic_store(&shared_mx_, create_resolver(MX_OPTION_FREETHREAD));
    assert_true(atomic_load(&shared_pop_) != INVALID_CLIENT && atomic_load(&shared_mx_) != INVALID_CLIENT);

    pthread_t threads[OWN_THREADS + SHARED_THREADS + 1];
    struct own_thread own[OWN_THREADS];
    struct shared_thread shared[SHARED_THREADS];
    unsigned chaos_random = seed_ ^ 0x9e3779b9u;
    int n = 0;
    for (int i = 0; i < OWN_THREADS; ++i) {
        own[i] = (struct own_thread){i, seed_ + (unsigned)i * 7919u};
        assert_int_equal(pthread_create(&threads[n++], NULL, own_handles, &own[i]), 0);
    }
    for (int i = 0; i < SHARED_THREADS; ++i) {
        shared[i].random = seed_ + 104729u * (unsigned)(i + 1);
        assert_int_equal(pthread_create(&threads[n++], NULL, shared_handles, &shared[i]), 0);
    }
    assert_int_equal(pthread_create(&threads[n++], NULL, chaos, &chaos_random), 0);

    double started = seconds_now();
    sleep_ms(seconds_ * 1000u);
    atomic_store(&stop_, 1);
    /* A call in progress ends within its own timeout (10 s): no thread may take longer. */
    double deadline = seconds_now() + 12.0;
    for (int i = 0; i < n; ++i)
        if (join_by(threads[i], deadline) != 0) fail_msg("thread %d did not come back within 12 s of the stop", i);
    double took = seconds_now() - started;

    PopDisconnect(atomic_load(&shared_pop_));
    MxDestroy(atomic_load(&shared_mx_));

    unsigned long total = 0;
    for (int k = 0; k < OP_KINDS; ++k) {
        char codes[256] = "";
        size_t used = 0;
        for (size_t c = 0; c <= TRACKED; ++c)
            if (atomic_load(&code_counts_[k][c]) > 0 && used < sizeof codes) {
                if (c < TRACKED) used += (size_t)snprintf(codes + used, sizeof codes - used, " %u x%lu",
                                                          (unsigned)tracked_codes_[c], atomic_load(&code_counts_[k][c]));
                else used += (size_t)snprintf(codes + used, sizeof codes - used, " other x%lu",
                                              atomic_load(&code_counts_[k][c]));
            }
        print_message("test_stress: %-15s %7lu calls, %6lu failed:%s\n", op_names[k], atomic_load(&calls_[k]),
                      atomic_load(&failures_[k]), codes);
        total += atomic_load(&calls_[k]);
    }
    print_message("test_stress: %lu calls on %d threads in %.1f s (seed %u)\n", total, n, took, seed_);
    if (atomic_load(&violations_) > 0)
        fail_msg("%d violations (seed %u); the first: %s", atomic_load(&violations_), seed_, first_violation_);
    for (int k = 0; k < OP_KINDS; ++k)
        if (k != OP_FOREIGN && atomic_load(&calls_[k]) == 0) fail_msg("no %s call was made", op_names[k]);
}

static int group_setup(void **state) {
    (void)state;
    if (pop_group_setup(state) != 0) return -1;
    if (dns_fixture_start() != 0 || MxInitialize() != 0 || InetInitialize() != 0) {
        pop_group_teardown(state);
        dns_fixture_stop();
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    MxUninitialize();
    InetUninitialize();
    dns_fixture_stop();
    return pop_group_teardown(state);
}

int main(void) {
    const char *seconds = getenv("INETKIT_STRESS_SECONDS");
    if (seconds != NULL && atoi(seconds) > 0) seconds_ = (unsigned)atoi(seconds);
    const char *seed = getenv("INETKIT_STRESS_SEED");
    seed_ = seed != NULL ? (unsigned)strtoul(seed, NULL, 0) : (unsigned)time(NULL) ^ (unsigned)getpid();
    fprintf(stderr, "test_stress: %u s, seed %u (INETKIT_STRESS_SEED=%u replays the choices)\n", seconds_, seed_, seed_);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress)};
    return cmocka_run_group_tests_name("stress", tests, group_setup, group_teardown);
}
