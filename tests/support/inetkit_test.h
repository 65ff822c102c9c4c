/* Helpers shared by the cmocka suites that use inetkit through the shared library. */
#ifndef INETKIT_TEST_H
#define INETKIT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inetkit.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The calling thread's last error message (valid until the next call of this helper). */
static inline const char *last_message(void) {
    static __thread char text[1100];
    DWORD size = sizeof text;
    if (InetGetLastErrorMessage(text, &size) != 0) snprintf(text, sizeof text, "<message unavailable>");
    return text;
}

/* Fails the test with the code and message when call does not return 0. */
#define assert_ok(call)                                                              \
    do {                                                                             \
        DWORD rc_ = (call);                                                          \
        if (rc_ != 0) fail_msg("%s returned %u: %s", #call, (unsigned)rc_, last_message()); \
    } while (0)

/* Checks both the return value and the thread's last-error store. */
#define assert_fails_with(call, code)                                                \
    do {                                                                             \
        DWORD rc_ = (call);                                                          \
        if (rc_ != (DWORD)(code))                                                    \
            fail_msg("%s returned %u (%s), expected %u", #call, (unsigned)rc_, last_message(), (unsigned)(code)); \
        assert_int_equal(InetGetLastError(), (code));                                \
    } while (0)

#define assert_valid_handle(h) \
    do { if ((h) == INVALID_CLIENT) fail_msg("no handle: %u %s", (unsigned)InetGetLastError(), last_message()); } while (0)

static inline DWORD current_tid(void) { return (DWORD)syscall(SYS_gettid); }

static inline double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A listener on 127.0.0.1 and a connected client/server pair, all owned by the caller. */
typedef struct {
    HCLIENT listener, client, server;
    UINT port;
} tcp_pair;

static inline void open_pair(tcp_pair *pair, DWORD client_options, DWORD server_options) {
    pair->listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    assert_valid_handle(pair->listener);
    assert_ok(InetGetLocalAddress(pair->listener, NULL, NULL, &pair->port));
    pair->client = InetConnect("127.0.0.1", pair->port, 5, client_options, NULL);
    assert_valid_handle(pair->client);
    pair->server = InetAccept(pair->listener, 5, server_options);
    assert_valid_handle(pair->server);
}

static inline void close_pair(tcp_pair *pair) {
    if (pair->client) InetDisconnect(pair->client);
    if (pair->server) InetDisconnect(pair->server);
    if (pair->listener) InetDisconnect(pair->listener);
    memset(pair, 0, sizeof *pair);
}

static inline int init_inet(void **state) { (void)state; return InetInitialize() == 0 ? 0 : -1; }
static inline int uninit_inet(void **state) { (void)state; return InetUninitialize() == 0 ? 0 : -1; }

#endif
