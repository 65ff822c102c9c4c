/* Threads: ownership, hand-off, FREETHREAD serialisation, close and cancel
   from other threads, per-thread errors. Also run under ThreadSanitizer. */
#include "inetkit_test.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef void *(*thread_fn)(void *);

static pthread_t start(thread_fn fn, void *arg) {
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, fn, arg), 0);
    return thread;
}

/* ---- ownership ------------------------------------------------------------- */

struct use_result {
    HCLIENT handle;
    DWORD code;
    DWORD tid;
    char message[1100];
};

static void *use_handle(void *arg) {
    struct use_result *r = arg;
    DWORD n;
    r->tid = current_tid();
    r->code = InetGetBytesAvailable(r->handle, &n);
    snprintf(r->message, sizeof r->message, "%s", last_message());
    return NULL;
}

static void test_wrong_thread_names_both_threads(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    struct use_result r = {.handle = pair.client};
    pthread_join(start(use_handle, &r), NULL);
    assert_int_equal(r.code, INETKIT_ERROR_WRONG_THREAD);
    char owner[32], caller[32];
    snprintf(owner, sizeof owner, "thread %u", (unsigned)current_tid());
    snprintf(caller, sizeof caller, "thread %u", (unsigned)r.tid);
    assert_non_null(strstr(r.message, owner));
    assert_non_null(strstr(r.message, caller));
    /* The owner is unaffected. */
    DWORD n;
    assert_ok(InetGetBytesAvailable(pair.client, &n));
    close_pair(&pair);
}

struct handoff {
    HCLIENT handle;
    DWORD main_tid;
    DWORD previous_at_claim, previous_at_return;
    DWORD read_code;
    char line[32];
    atomic_int claimed;
};

static void *claim_and_read(void *arg) {
    struct handoff *h = arg;
    h->previous_at_claim = InetAttachThread(h->handle, 0);
    atomic_store(&h->claimed, 1);
    DWORD n;
    h->read_code = InetReadLine(h->handle, h->line, sizeof h->line, &n);
    /* Give it back to the thread that owned it before. */
    h->previous_at_return = InetAttachThread(h->handle, h->main_tid);
    return NULL;
}

static void test_attach_thread_handoff(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    struct handoff h = {.handle = pair.client, .main_tid = current_tid()};
    pthread_t worker = start(claim_and_read, &h);
    while (!atomic_load(&h.claimed)) sleep_ms(1);
    /* While the worker owns it, the creator is the wrong thread... */
    DWORD n;
    DWORD code = InetGetBytesAvailable(pair.client, &n);
    assert_true(code == INETKIT_ERROR_WRONG_THREAD || code == INETKIT_ERROR_BUSY);
    assert_ok(InetWriteLine(pair.server, "for the worker"));
    pthread_join(worker, NULL);
    assert_int_equal(h.previous_at_claim, current_tid());
    assert_int_equal(h.read_code, 0);
    assert_string_equal(h.line, "for the worker");
    assert_true(h.previous_at_return != 0 && h.previous_at_return != current_tid());
    /* ...and after the hand-back the creator owns it again. */
    assert_ok(InetGetBytesAvailable(pair.client, &n));
    close_pair(&pair);
}

static void test_attach_thread_rejects_unknown_thread(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_int_equal(InetAttachThread(pair.client, 0x7ffffff0u), 0);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    DWORD n;
    assert_ok(InetGetBytesAvailable(pair.client, &n)); /* ownership unchanged */
    close_pair(&pair);
}

/* ---- FREETHREAD: 16 threads on one handle ------------------------------------ */

enum { HAMMER_THREADS = 16, HAMMER_ROUNDS = 150 };

struct echo_server {
    HCLIENT server;
    int lines;
    DWORD code;
};

static void *echo_lines(void *arg) {
    struct echo_server *e = arg;
    if (InetAttachThread(e->server, 0) == 0) { e->code = InetGetLastError(); return NULL; }
    char line[128];
    DWORD n;
    for (int i = 0; i < e->lines; ++i) {
        if ((e->code = InetReadLine(e->server, line, sizeof line, &n)) != 0) return NULL;
        if ((e->code = InetWriteLine(e->server, line)) != 0) return NULL;
    }
    return NULL;
}

struct hammer {
    HCLIENT client;
    int id;
    int failures;
    int received[HAMMER_THREADS];
};

static void *hammer_handle(void *arg) {
    struct hammer *h = arg;
    char line[128];
    DWORD n;
    for (int i = 0; i < HAMMER_ROUNDS; ++i) {
        snprintf(line, sizeof line, "thread %d round %d", h->id, i);
        if (InetWriteLine(h->client, line) != 0) h->failures++;
        DWORD available;
        if (InetGetBytesAvailable(h->client, &available) != 0) h->failures++;
        if (InetReadLine(h->client, line, sizeof line, &n) != 0) { h->failures++; continue; }
        int id, round;
        if (sscanf(line, "thread %d round %d", &id, &round) != 2 || id < 0 || id >= HAMMER_THREADS)
            h->failures++; /* a torn or interleaved line */
        else
            h->received[id]++;
    }
    return NULL;
}

static void test_freethread_hammer(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, INET_OPTION_FREETHREAD, 0);
    struct echo_server echo = {pair.server, HAMMER_THREADS * HAMMER_ROUNDS, 0};
    pthread_t echo_thread = start(echo_lines, &echo);
    struct hammer h[HAMMER_THREADS];
    pthread_t threads[HAMMER_THREADS];
    for (int i = 0; i < HAMMER_THREADS; ++i) {
        memset(&h[i], 0, sizeof h[i]);
        h[i].client = pair.client;
        h[i].id = i;
        threads[i] = start(hammer_handle, &h[i]);
    }
    int total[HAMMER_THREADS] = {0};
    for (int i = 0; i < HAMMER_THREADS; ++i) {
        pthread_join(threads[i], NULL);
        assert_int_equal(h[i].failures, 0);
        for (int j = 0; j < HAMMER_THREADS; ++j) total[j] += h[i].received[j];
    }
    pthread_join(echo_thread, NULL);
    assert_int_equal(echo.code, 0);
    /* Every line sent came back exactly once, whoever read it. */
    for (int j = 0; j < HAMMER_THREADS; ++j) assert_int_equal(total[j], HAMMER_ROUNDS);
    pair.server = INVALID_CLIENT; /* owned by the finished echo thread: close from here is allowed */
    close_pair(&pair);
}

/* ---- close and cancel from another thread --------------------------------------- */

struct blocked_read {
    HCLIENT handle;
    atomic_int ready;
    DWORD code;
    double returned_at;
    char message[1100];
};

static void *read_until_interrupted(void *arg) {
    struct blocked_read *b = arg;
    if (InetAttachThread(b->handle, 0) == 0) { b->code = InetGetLastError(); atomic_store(&b->ready, 1); return NULL; }
    atomic_store(&b->ready, 1);
    char buffer[64];
    DWORD n;
    b->code = InetRead(b->handle, buffer, sizeof buffer, &n);
    b->returned_at = seconds_now();
    snprintf(b->message, sizeof b->message, "%s", last_message());
    return NULL;
}

static void test_close_during_blocked_read(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_ok(InetSetTimeout(pair.client, INET_TIMEOUT_INACTIVITY, 30000));
    struct blocked_read b = {.handle = pair.client};
    pthread_t reader = start(read_until_interrupted, &b);
    while (!atomic_load(&b.ready)) sleep_ms(1);
    sleep_ms(200); /* let it block in the read */
    double closed_at = seconds_now();
    assert_ok(InetDisconnect(pair.client)); /* from a thread that does not own it */
    pthread_join(reader, NULL);
    assert_int_equal(b.code, INETKIT_ERROR_CANCELED);
    assert_non_null(strstr(b.message, "closed"));
    assert_true(b.returned_at - closed_at < 2.0); /* promptly, not at the 30 s timeout */
    DWORD n;
    assert_fails_with(InetGetBytesAvailable(pair.client, &n), INETKIT_ERROR_INVALID_HANDLE);
    pair.client = INVALID_CLIENT;
    close_pair(&pair);
}

static void test_cancel_during_blocked_read(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, INET_OPTION_FREETHREAD, 0);
    struct blocked_read b = {.handle = pair.client};
    pthread_t reader = start(read_until_interrupted, &b);
    while (!atomic_load(&b.ready)) sleep_ms(1);
    sleep_ms(200);
    assert_ok(InetCancel(pair.client));
    pthread_join(reader, NULL);
    assert_int_equal(b.code, INETKIT_ERROR_CANCELED);
    /* The handle survives a cancel and the next call is not affected by it. */
    assert_ok(InetWriteLine(pair.server, "still here"));
    char line[32];
    DWORD n;
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    assert_string_equal(line, "still here");
    close_pair(&pair);
}

static void test_cancel_without_call_has_no_effect(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_ok(InetCancel(pair.client));
    assert_ok(InetWriteLine(pair.server, "ok"));
    char line[8];
    DWORD n;
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    close_pair(&pair);
}

struct blocked_accept {
    HCLIENT listener;
    DWORD code;
};

static void *accept_forever(void *arg) {
    struct blocked_accept *a = arg;
    InetAttachThread(a->listener, 0);
    HCLIENT h = InetAccept(a->listener, INET_WAIT_INFINITE, 0);
    a->code = h == INVALID_CLIENT ? InetGetLastError() : 0;
    return NULL;
}

static void test_close_listener_during_accept(void **state) {
    (void)state;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, 0, NULL);
    assert_valid_handle(listener);
    struct blocked_accept a = {listener, 0};
    pthread_t t = start(accept_forever, &a);
    sleep_ms(200);
    assert_ok(InetDisconnect(listener));
    pthread_join(t, NULL);
    assert_true(a.code == INETKIT_ERROR_CANCELED || a.code == INETKIT_ERROR_INVALID_HANDLE);
}

/* ---- the owner thread ends without closing its handle (catalogue G82) ---------------- */

struct orphan {
    HCLIENT handle;
    UINT port;
    DWORD tid;
};

static void *connect_and_exit(void *arg) {
    struct orphan *o = arg;
    o->tid = current_tid();
    o->handle = InetConnect("127.0.0.1", o->port, 5, INET_OPTION_NONE, NULL);
    return NULL; /* the handle is neither closed nor handed on */
}

static void test_owner_thread_exits(void **state) {
    (void)state;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    assert_valid_handle(listener);
    struct orphan o = {.handle = INVALID_CLIENT};
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &o.port));
    pthread_join(start(connect_and_exit, &o), NULL);
    assert_valid_handle(o.handle);
    HCLIENT server = InetAccept(listener, 5, INET_OPTION_NONE);
    assert_valid_handle(server);

    /* Still owned by the thread that is gone: refused, naming that thread, and unchanged. */
    DWORD n;
    assert_fails_with(InetGetBytesAvailable(o.handle, &n), INETKIT_ERROR_WRONG_THREAD);
    char owner[32];
    snprintf(owner, sizeof owner, "thread %u", (unsigned)o.tid);
    assert_non_null(strstr(last_message(), owner));

    /* Any thread may adopt it (AttachThread returns the old owner) and use it... */
    assert_int_equal(InetAttachThread(o.handle, 0), o.tid);
    assert_ok(InetWriteLine(server, "adopted"));
    char line[32];
    assert_ok(InetReadLine(o.handle, line, sizeof line, &n));
    assert_string_equal(line, "adopted");
    assert_ok(InetDisconnect(o.handle));

    /* ...or close it without adopting it: close works from any thread. */
    pthread_join(start(connect_and_exit, &o), NULL);
    assert_valid_handle(o.handle);
    HCLIENT second = InetAccept(listener, 5, INET_OPTION_NONE);
    assert_valid_handle(second);
    assert_ok(InetDisconnect(o.handle));
    assert_fails_with(InetGetBytesAvailable(o.handle, &n), INETKIT_ERROR_INVALID_HANDLE);
    /* The peer sees the close. */
    assert_ok(InetRead(second, line, sizeof line, &n));
    assert_int_equal(n, 0);
    InetDisconnect(second);
    InetDisconnect(server);
    InetDisconnect(listener);
}

/* ---- per-thread errors ------------------------------------------------------------ */

enum { ERROR_THREADS = 8 };
static pthread_barrier_t error_barrier;

struct error_case {
    int id;
    DWORD expected;
    DWORD seen;
    char message[1100];
};

static void *make_own_error(void *arg) {
    struct error_case *c = arg;
    DWORD n;
    switch (c->id % 4) {
    case 0: InetGetBytesAvailable((HCLIENT)(uintptr_t)(0x1000 + c->id), &n); c->expected = INETKIT_ERROR_INVALID_HANDLE; break;
    case 1: InetConnect("127.0.0.1", 0, 1, 0, NULL); c->expected = INETKIT_ERROR_INVALID_PARAMETER; break;
    case 2: InetInitialize(); InetUninitialize(); c->expected = INETKIT_ERROR_NONE; break;
    case 3: InetConnect("127.0.0.1", 80, 1, 0x1, NULL); c->expected = INETKIT_ERROR_INVALID_PARAMETER; break;
    }
    pthread_barrier_wait(&error_barrier); /* every thread has failed (or not) before any reads */
    c->seen = InetGetLastError();
    snprintf(c->message, sizeof c->message, "%s", last_message());
    return NULL;
}

static void test_errors_are_per_thread(void **state) {
    (void)state;
    pthread_barrier_init(&error_barrier, NULL, ERROR_THREADS);
    struct error_case cases[ERROR_THREADS];
    pthread_t threads[ERROR_THREADS];
    for (int i = 0; i < ERROR_THREADS; ++i) {
        memset(&cases[i], 0, sizeof cases[i]);
        cases[i].id = i;
        threads[i] = start(make_own_error, &cases[i]);
    }
    for (int i = 0; i < ERROR_THREADS; ++i) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&error_barrier);
    for (int i = 0; i < ERROR_THREADS; ++i) {
        assert_int_equal(cases[i].seen, cases[i].expected);
        if (i % 4 == 3) assert_non_null(strstr(cases[i].message, "option"));
        if (i % 4 == 1) assert_non_null(strstr(cases[i].message, "port 0"));
        if (i % 4 == 2) assert_string_equal(cases[i].message, "");
    }
}

/* ---- churn: handles created and closed on many threads at once ----------------------- */

static void *churn(void *arg) {
    UINT port = *(UINT *)arg;
    for (int i = 0; i < 100; ++i) {
        HCLIENT h = InetConnect("127.0.0.1", port, 5, 0, NULL);
        if (h == INVALID_CLIENT) return (void *)1;
        DWORD n;
        if (InetGetBytesAvailable(h, &n) != 0 || InetDisconnect(h) != 0) return (void *)1;
        if (InetDisconnect(h) != INETKIT_ERROR_INVALID_HANDLE) return (void *)1;
    }
    return NULL;
}

struct acceptor {
    HCLIENT listener;
    int count;
};

static void *accept_and_close(void *arg) {
    struct acceptor *a = arg;
    InetAttachThread(a->listener, 0);
    for (int i = 0; i < a->count; ++i) {
        HCLIENT h = InetAccept(a->listener, 10, 0);
        if (h == INVALID_CLIENT) return (void *)1;
        InetDisconnect(h);
    }
    return NULL;
}

static void test_handle_churn(void **state) {
    (void)state;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, 0, NULL);
    assert_valid_handle(listener);
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    struct acceptor a = {listener, 8 * 100};
    pthread_t acceptor_thread = start(accept_and_close, &a);
    pthread_t threads[8];
    for (int i = 0; i < 8; ++i) threads[i] = start(churn, &port);
    for (int i = 0; i < 8; ++i) {
        void *failed;
        pthread_join(threads[i], &failed);
        assert_null(failed);
    }
    void *failed;
    pthread_join(acceptor_thread, &failed);
    assert_null(failed);
    assert_ok(InetDisconnect(listener));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_thread_names_both_threads),
        cmocka_unit_test(test_attach_thread_handoff),
        cmocka_unit_test(test_attach_thread_rejects_unknown_thread),
        cmocka_unit_test(test_freethread_hammer),
        cmocka_unit_test(test_close_during_blocked_read),
        cmocka_unit_test(test_cancel_during_blocked_read),
        cmocka_unit_test(test_cancel_without_call_has_no_effect),
        cmocka_unit_test(test_close_listener_during_accept),
        cmocka_unit_test(test_owner_thread_exits),
        cmocka_unit_test(test_errors_are_per_thread),
        cmocka_unit_test(test_handle_churn),
    };
    return cmocka_run_group_tests_name("inet_threads", tests, init_inet, uninit_inet);
}
