/* The Inet family through the shared library: lifecycle, misuse, errors, TCP. */
#include "inetkit_test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ---- library lifetime and the error store --------------------------------- */

static void test_not_initialized(void **state) {
    (void)state;
    /* The fixture holds one reference; drop it to see the family closed. */
    assert_ok(InetUninitialize());
    assert_true(InetConnect("127.0.0.1", 1, 1, 0, NULL) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_NOT_INITIALIZED);
    assert_non_null(strstr(last_message(), "InetInitialize"));
    assert_fails_with(InetUninitialize(), INETKIT_ERROR_NOT_INITIALIZED);
    assert_ok(InetInitialize());
}

static void test_uninitialize_closes_open_handles(void **state) {
    (void)state;
    assert_ok(InetInitialize()); /* a second reference */
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, 0, NULL);
    assert_valid_handle(listener);
    assert_ok(InetUninitialize()); /* back to the fixture's reference: still open */
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, NULL));
    assert_ok(InetUninitialize()); /* the last one: the listener is closed */
    assert_fails_with(InetGetLocalAddress(listener, NULL, NULL, NULL), INETKIT_ERROR_INVALID_HANDLE);
    assert_ok(InetInitialize());
}

static void test_version(void **state) {
    (void)state;
    assert_int_equal(InetGetVersion(), INETKIT_VERSION_NUMBER);
    assert_int_equal(InetGetVersion(), 1000000);
}

static void test_error_store_cleared_by_success(void **state) {
    (void)state;
    assert_fails_with(InetDisconnect(INVALID_CLIENT), INETKIT_ERROR_INVALID_HANDLE);
    assert_true(strlen(last_message()) > 0);
    assert_int_equal(InetGetVersion(), INETKIT_VERSION_NUMBER);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_NONE);
    assert_string_equal(last_message(), "");
}

static void test_error_readers_leave_store_alone(void **state) {
    (void)state;
    char text[8];
    DWORD size = sizeof text;
    assert_fails_with(InetCancel(INVALID_CLIENT), INETKIT_ERROR_INVALID_HANDLE);
    /* Failing reads of the store do not overwrite it. */
    assert_int_equal(InetGetLastErrorMessage(text, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(InetGetErrorString(123456, text, &size), INETKIT_ERROR_INVALID_PARAMETER);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_HANDLE);
}

static void test_last_error_message_size_query(void **state) {
    (void)state;
    assert_fails_with(InetDisconnect(INVALID_CLIENT), INETKIT_ERROR_INVALID_HANDLE);
    DWORD size = 0;
    assert_int_equal(InetGetLastErrorMessage(NULL, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_true(size > 1);
    char *text = malloc(size);
    DWORD given = size;
    assert_ok(InetGetLastErrorMessage(text, &given));
    assert_int_equal(given, size - 1);
    assert_int_equal(strlen(text), size - 1);
    DWORD small = size - 1;
    assert_int_equal(InetGetLastErrorMessage(text, &small), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(small, size);
    assert_int_equal(InetGetLastErrorMessage(text, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    free(text);
}

static void test_error_string(void **state) {
    (void)state;
    char text[128];
    DWORD size = sizeof text;
    assert_ok(InetGetErrorString(INETKIT_ERROR_CONNECTION_REFUSED, text, &size));
    assert_string_equal(text, "The connection was refused");
    assert_int_equal(size, strlen(text));
    size = sizeof text;
    assert_ok(InetGetErrorString(10060, text, &size));
    assert_string_equal(text, "The operation timed out");
    size = 0;
    assert_int_equal(InetGetErrorString(INETKIT_ERROR_BUSY, NULL, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(size, strlen("Busy performing the current action") + 1);
    size = sizeof text;
    assert_int_equal(InetGetErrorString(9999, text, &size), INETKIT_ERROR_INVALID_PARAMETER);
}

/* ---- handle misuse --------------------------------------------------------- */

static void test_null_handle(void **state) {
    (void)state;
    DWORD n = 0;
    char byte;
    assert_fails_with(InetRead(INVALID_CLIENT, &byte, 1, &n), INETKIT_ERROR_INVALID_HANDLE);
    assert_non_null(strstr(last_message(), "INVALID_CLIENT"));
}

static void test_forged_handles(void **state) {
    (void)state;
    DWORD n;
    const uintptr_t forged[] = {1, 0x12345678, (uintptr_t)-1, (uintptr_t)1 << 40, 0xdeadbeefcafef00dull};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; ++i) {
        assert_fails_with(InetGetBytesAvailable((HCLIENT)forged[i], &n), INETKIT_ERROR_INVALID_HANDLE);
        assert_fails_with(InetDisconnect((HCLIENT)forged[i]), INETKIT_ERROR_INVALID_HANDLE);
        assert_fails_with(InetCancel((HCLIENT)forged[i]), INETKIT_ERROR_INVALID_HANDLE);
        assert_int_equal(InetAttachThread((HCLIENT)forged[i], 0), 0);
        assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_HANDLE);
    }
}

static void test_closed_and_double_closed(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    HCLIENT client = pair.client;
    assert_ok(InetDisconnect(client));
    DWORD n;
    assert_fails_with(InetGetBytesAvailable(client, &n), INETKIT_ERROR_INVALID_HANDLE);
    assert_non_null(strstr(last_message(), "closed"));
    assert_fails_with(InetDisconnect(client), INETKIT_ERROR_INVALID_HANDLE);
    /* The slot is reused by the next handle, which differs from the stale one. */
    HCLIENT again = InetConnect("127.0.0.1", pair.port, 5, 0, NULL);
    assert_valid_handle(again);
    assert_true(again != client);
    assert_fails_with(InetGetBytesAvailable(client, &n), INETKIT_ERROR_INVALID_HANDLE);
    assert_ok(InetGetBytesAvailable(again, &n));
    pair.client = again;
    close_pair(&pair);
}

static void test_wrong_kind_of_handle(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    char buffer[8];
    DWORD n;
    assert_fails_with(InetRead(pair.listener, buffer, sizeof buffer, &n), INETKIT_ERROR_INVALID_HANDLE);
    assert_non_null(strstr(last_message(), "listener"));
    assert_true(InetAccept(pair.client, 1, 0) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_HANDLE);
    assert_fails_with(InetGetPeerAddress(pair.listener, NULL, NULL, NULL), INETKIT_ERROR_INVALID_HANDLE);
    close_pair(&pair);
}

static void test_null_and_bad_arguments(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    char buffer[16];
    DWORD n;
    assert_fails_with(InetRead(pair.client, NULL, 4, &n), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetRead(pair.client, buffer, sizeof buffer, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetRead(pair.client, buffer, 0, &n), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetReadLine(pair.client, buffer, 0, &n), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetReadLine(pair.client, NULL, 4, &n), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetPeek(pair.client, buffer, sizeof buffer, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetBytesAvailable(pair.client, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetWrite(pair.client, NULL, 3, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_ok(InetWrite(pair.client, NULL, 0, NULL));
    assert_fails_with(InetWriteLine(pair.client, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetWriteLine(pair.client, "QUIT\r\nDELE 1"), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetShutdown(pair.client, 7), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetSetTimeout(pair.client, 99, 10), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetTimeout(pair.client, INET_TIMEOUT_CALL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetLocalAddress(pair.client, buffer, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    /* Nothing was sent by the refused calls. */
    assert_ok(InetGetBytesAvailable(pair.server, &n));
    assert_int_equal(n, 0);
    close_pair(&pair);
}

static void test_connect_arguments(void **state) {
    (void)state;
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const struct { const char *host; UINT port; DWORD options; } cases[] = {
        {NULL, 80, 0}, {"", 80, 0}, {long_name, 80, 0}, {"bad host", 80, 0}, {"bad\nhost", 80, 0},
        {"127.0.0.1", 0, 0}, {"127.0.0.1", 65536, 0}, {"127.0.0.1", 80, 0x1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        assert_true(InetConnect(cases[i].host, cases[i].port, 1, cases[i].options, NULL) == INVALID_CLIENT);
        assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    }
    /* Credentials or TLS options without INET_OPTION_SECURE are refused, not ignored. */
    SECURITYCREDENTIALS credentials;
    memset(&credentials, 0, sizeof credentials);
    credentials.dwSize = sizeof credentials;
    assert_true(InetConnect("127.0.0.1", 80, 1, 0, &credentials) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    assert_true(InetConnect("127.0.0.1", 80, 1, INET_OPTION_TRUSTEDSITE, NULL) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    /* A structure whose dwSize is wrong is refused before any traffic. */
    credentials.dwSize = 8;
    assert_true(InetConnect("127.0.0.1", 80, 1, INET_OPTION_SECURE, &credentials) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
    assert_non_null(strstr(last_message(), "dwSize"));
    assert_true(InetListen("not-numeric", 0, 0, 0, NULL) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_HOST_NOT_FOUND);
    assert_true(InetListen("127.0.0.1", 0, 0, INET_OPTION_PREFER_IPV6, NULL) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_INVALID_PARAMETER);
}

/* ---- TCP ------------------------------------------------------------------- */

static void test_echo_lines_and_bytes(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_ok(InetWriteLine(pair.client, "HELLO inetkit"));
    char line[64];
    DWORD n = 0;
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_string_equal(line, "HELLO inetkit");
    assert_int_equal(n, 13);
    assert_ok(InetWriteLine(pair.server, line));
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    assert_string_equal(line, "HELLO inetkit");

    /* LF-only and CRLF endings, an empty line, and binary bytes with NUL. */
    static const char wire[] = "one\ntwo\r\n\r\nx\0y\r\n";
    DWORD written = 0;
    assert_ok(InetWrite(pair.client, wire, sizeof wire - 1, &written));
    assert_int_equal(written, sizeof wire - 1);
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_string_equal(line, "one");
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_string_equal(line, "two");
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_int_equal(n, 0);
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(line, "x\0y", 4);

    /* 1 MiB of raw bytes arrives intact. */
    size_t size = 1 << 20;
    unsigned char *out = malloc(size), *in = malloc(size);
    for (size_t i = 0; i < size; ++i) out[i] = (unsigned char)(i * 7 + 3);
    /* Write in chunks and drain on the same thread so socket buffers never fill. */
    size_t sent = 0, received = 0;
    while (received < size) {
        if (sent < size) {
            DWORD chunk = (DWORD)(size - sent < 65536 ? size - sent : 65536);
            assert_ok(InetWrite(pair.client, out + sent, chunk, &written));
            sent += written;
        }
        assert_ok(InetRead(pair.server, in + received, (DWORD)(size - received), &n));
        assert_true(n > 0);
        received += n;
    }
    assert_memory_equal(in, out, size);
    free(in);
    free(out);
    close_pair(&pair);
}

static void test_peek_and_available(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    char buffer[32];
    DWORD n = 99;
    assert_ok(InetPeek(pair.server, buffer, sizeof buffer, &n));
    assert_int_equal(n, 0); /* nothing yet, and no blocking */
    assert_ok(InetWrite(pair.client, "abcdef", 6, NULL));
    for (int i = 0; i < 100; ++i) { /* loopback delivery is fast but not instant */
        assert_ok(InetGetBytesAvailable(pair.server, &n));
        if (n == 6) break;
        sleep_ms(10);
    }
    assert_int_equal(n, 6);
    assert_ok(InetPeek(pair.server, buffer, 3, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(buffer, "abc", 3);
    assert_ok(InetRead(pair.server, buffer, sizeof buffer, &n)); /* peek consumed nothing */
    assert_int_equal(n, 6);
    assert_memory_equal(buffer, "abcdef", 6);
    close_pair(&pair);
}

static void test_addresses(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    char address[INET_ADDRESS_BUFFER];
    DWORD size = sizeof address;
    UINT port = 0, client_port = 0;
    assert_ok(InetGetPeerAddress(pair.client, address, &size, &port));
    assert_string_equal(address, "127.0.0.1");
    assert_int_equal(size, 9);
    assert_int_equal(port, pair.port);
    size = sizeof address;
    assert_ok(InetGetLocalAddress(pair.client, address, &size, &client_port));
    assert_string_equal(address, "127.0.0.1");
    size = sizeof address;
    assert_ok(InetGetPeerAddress(pair.server, address, &size, &port));
    assert_int_equal(port, client_port);
    size = 4;
    assert_fails_with(InetGetPeerAddress(pair.server, address, &size, &port), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 10);
    close_pair(&pair);
}

static void test_peer_closes_mid_line(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_ok(InetWrite(pair.server, "complete\r\npartial", 17, NULL));
    assert_ok(InetDisconnect(pair.server));
    pair.server = INVALID_CLIENT;
    char line[64];
    DWORD n;
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    assert_string_equal(line, "complete");
    assert_fails_with(InetReadLine(pair.client, line, sizeof line, &n), INETKIT_ERROR_CONNECTION_CLOSED);
    assert_non_null(strstr(last_message(), "7 bytes"));
    /* Nothing is lost: the partial line is still there, then end of stream. */
    assert_ok(InetRead(pair.client, line, sizeof line, &n));
    assert_int_equal(n, 7);
    assert_memory_equal(line, "partial", 7);
    assert_ok(InetRead(pair.client, line, sizeof line, &n));
    assert_int_equal(n, 0);
    assert_fails_with(InetReadLine(pair.client, line, sizeof line, &n), INETKIT_ERROR_CONNECTION_CLOSED);
    close_pair(&pair);
}

static void test_read_line_cap(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    char line[8];
    DWORD n;
    assert_ok(InetWrite(pair.client, "1234567\r\n12345678\r\n", 19, NULL));
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n)); /* 7 bytes fit with the NUL */
    assert_string_equal(line, "1234567");
    assert_fails_with(InetReadLine(pair.server, line, sizeof line, &n), INETKIT_ERROR_LINE_TOO_LONG);
    char bigger[9];
    assert_ok(InetReadLine(pair.server, bigger, sizeof bigger, &n)); /* it stayed unread */
    assert_string_equal(bigger, "12345678");

    /* An endless line: the cap holds, memory stays bounded, the bytes stay readable. */
    char junk[4096];
    memset(junk, 'x', sizeof junk);
    for (int i = 0; i < 16; ++i) assert_ok(InetWrite(pair.client, junk, sizeof junk, NULL));
    char capped[1024];
    assert_fails_with(InetReadLine(pair.server, capped, sizeof capped, &n), INETKIT_ERROR_LINE_TOO_LONG);
    assert_ok(InetRead(pair.server, capped, sizeof capped, &n));
    assert_true(n > 0);
    assert_int_equal(capped[0], 'x');
    close_pair(&pair);
}

static void test_connect_refused(void **state) {
    (void)state;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, 0, NULL);
    assert_valid_handle(listener);
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    assert_ok(InetDisconnect(listener)); /* nothing listens on port now */
    assert_true(InetConnect("127.0.0.1", port, 5, 0, NULL) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), 10061);
    assert_non_null(strstr(last_message(), "refused"));
}

static void test_connect_timeout_full_backlog(void **state) {
    (void)state;
    /* A listener that never accepts, with a backlog of 1: once its queue is
       full, the kernel drops further SYNs and a connect can only time out. */
    HCLIENT listener = InetListen("127.0.0.1", 0, 1, 0, NULL);
    assert_valid_handle(listener);
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    HCLIENT queued[8];
    int count = 0;
    DWORD code = 0;
    double elapsed = 0;
    while (count < 8) {
        double start = seconds_now();
        HCLIENT h = InetConnect("127.0.0.1", port, 1, 0, NULL);
        elapsed = seconds_now() - start;
        if (h == INVALID_CLIENT) {
            code = InetGetLastError();
            break;
        }
        queued[count++] = h;
    }
    assert_int_equal(code, INETKIT_ERROR_TIMED_OUT);
    assert_true(elapsed >= 0.9 && elapsed < 5.0);
    for (int i = 0; i < count; ++i) assert_ok(InetDisconnect(queued[i]));
    assert_ok(InetDisconnect(listener));
}

static void test_inactivity_timeout(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    DWORD ms = 0;
    assert_ok(InetGetTimeout(pair.client, INET_TIMEOUT_INACTIVITY, &ms));
    assert_int_equal(ms, 5000); /* the connect timeout */
    assert_ok(InetGetTimeout(pair.client, INET_TIMEOUT_CALL, &ms));
    assert_int_equal(ms, INET_WAIT_INFINITE);
    assert_ok(InetSetTimeout(pair.client, INET_TIMEOUT_INACTIVITY, 200));
    char buffer[16];
    DWORD n;
    double start = seconds_now();
    assert_fails_with(InetRead(pair.client, buffer, sizeof buffer, &n), INETKIT_ERROR_TIMED_OUT);
    double elapsed = seconds_now() - start;
    assert_true(elapsed >= 0.19 && elapsed < 3.0);
    /* The connection still works after a timeout. */
    assert_ok(InetWriteLine(pair.server, "late"));
    assert_ok(InetReadLine(pair.client, buffer, sizeof buffer, &n));
    assert_string_equal(buffer, "late");
    assert_ok(InetSetTimeout(pair.client, INET_TIMEOUT_INACTIVITY, 0));
    assert_ok(InetGetTimeout(pair.client, INET_TIMEOUT_INACTIVITY, &ms));
    assert_int_equal(ms, 5000);
    close_pair(&pair);
}

struct trickle {
    HCLIENT server;
    int bytes;
};

static void *trickle_bytes(void *arg) {
    struct trickle *t = arg;
    if (InetAttachThread(t->server, 0) == 0) return NULL;
    for (int i = 0; i < t->bytes; ++i) {
        if (InetWrite(t->server, "z", 1, NULL) != 0) break;
        sleep_ms(50);
    }
    return NULL;
}

static void test_call_timeout_against_trickle(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    /* One byte every 50 ms never trips a 2 s inactivity limit; the 400 ms
       whole-call limit must still end the read of a line that never ends. */
    assert_ok(InetSetTimeout(pair.client, INET_TIMEOUT_INACTIVITY, 2000));
    assert_ok(InetSetTimeout(pair.client, INET_TIMEOUT_CALL, 400));
    struct trickle t = {pair.server, 40};
    pthread_t thread;
    pthread_create(&thread, NULL, trickle_bytes, &t);
    char line[256];
    DWORD n;
    double start = seconds_now();
    assert_fails_with(InetReadLine(pair.client, line, sizeof line, &n), INETKIT_ERROR_TIMED_OUT);
    double elapsed = seconds_now() - start;
    assert_true(elapsed >= 0.39 && elapsed < 1.9);
    assert_non_null(strstr(last_message(), "limit of 400 ms"));
    pthread_join(thread, NULL);
    close_pair(&pair);
}

static void test_shutdown_send(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_ok(InetWriteLine(pair.client, "last words"));
    assert_ok(InetShutdown(pair.client, INET_SHUTDOWN_SEND));
    char line[32];
    DWORD n;
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_string_equal(line, "last words");
    assert_ok(InetRead(pair.server, line, sizeof line, &n));
    assert_int_equal(n, 0); /* end of stream */
    assert_fails_with(InetWriteLine(pair.client, "more"), INETKIT_ERROR_SHUTDOWN);
    /* The other direction still works. */
    assert_ok(InetWriteLine(pair.server, "reply"));
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    assert_string_equal(line, "reply");
    close_pair(&pair);
}

static void test_write_to_reset_peer(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    assert_ok(InetWriteLine(pair.client, "unread")); /* unread data makes close send RST */
    sleep_ms(20);
    assert_ok(InetDisconnect(pair.server));
    pair.server = INVALID_CLIENT;
    char block[65536] = {0};
    DWORD code = 0;
    for (int i = 0; i < 200 && code == 0; ++i) code = InetWrite(pair.client, block, sizeof block, NULL);
    assert_int_equal(code, INETKIT_ERROR_CONNECTION_RESET);
    close_pair(&pair);
}

static void test_ipv6_loopback(void **state) {
    (void)state;
    HCLIENT listener = InetListen("::1", 0, 0, 0, NULL);
    if (listener == INVALID_CLIENT) {
        assert_int_equal(InetGetLastError(), INETKIT_ERROR_ADDRESS_NOT_AVAILABLE);
        skip(); /* no IPv6 on this machine */
    }
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    HCLIENT client = InetConnect("[::1]", port, 5, INET_OPTION_PREFER_IPV6, NULL);
    assert_valid_handle(client);
    HCLIENT server = InetAccept(listener, 5, 0);
    assert_valid_handle(server);
    char address[INET_ADDRESS_BUFFER];
    DWORD size = sizeof address;
    assert_ok(InetGetPeerAddress(server, address, &size, NULL));
    assert_string_equal(address, "::1");
    assert_ok(InetWriteLine(client, "v6"));
    char line[8];
    DWORD n;
    assert_ok(InetReadLine(server, line, sizeof line, &n));
    assert_string_equal(line, "v6");
    InetDisconnect(client);
    InetDisconnect(server);
    InetDisconnect(listener);
}

static void test_accept_timeout(void **state) {
    (void)state;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, 0, NULL);
    assert_valid_handle(listener);
    assert_true(InetAccept(listener, 1, 0) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_TIMED_OUT);
    assert_ok(InetDisconnect(listener));
}

static void test_address_in_use(void **state) {
    (void)state;
    HCLIENT first = InetListen("127.0.0.1", 0, 0, 0, NULL);
    assert_valid_handle(first);
    UINT port;
    assert_ok(InetGetLocalAddress(first, NULL, NULL, &port));
    assert_true(InetListen("127.0.0.1", port, 0, 0, NULL) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_ADDRESS_IN_USE);
    assert_ok(InetDisconnect(first));
}

/* ---- callbacks ------------------------------------------------------------- */

struct trace_log {
    HCLIENT expected;
    char sent[64], received[64];
    size_t sent_len, received_len;
    DWORD reentrant_code;
    int calls;
};

static void INETKIT_CALL record_trace(HCLIENT h, DWORD direction, LPCVOID data, DWORD size, LPVOID param) {
    struct trace_log *log = param;
    log->calls++;
    if (h != log->expected) return;
    char *into = direction == INET_TRACE_SEND ? log->sent : log->received;
    size_t *len = direction == INET_TRACE_SEND ? &log->sent_len : &log->received_len;
    if (*len + size < sizeof log->sent) {
        memcpy(into + *len, data, size);
        *len += size;
    }
    /* Calling back into the same handle is refused, not deadlocked. */
    DWORD n;
    char byte;
    log->reentrant_code = InetRead(h, &byte, 1, &n);
}

static void test_trace_callback_and_reentrancy(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    struct trace_log log = {0};
    log.expected = pair.client;
    assert_ok(InetSetTraceCallback(pair.client, record_trace, &log));
    assert_ok(InetWriteLine(pair.client, "PING"));
    assert_int_equal(log.reentrant_code, INETKIT_ERROR_REENTRANT_CALL);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_NONE); /* the outer call succeeded */
    assert_ok(InetWriteLine(pair.server, "PONG"));
    char line[16];
    DWORD n;
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    assert_memory_equal(log.sent, "PING\r\n", 6);
    assert_int_equal(log.sent_len, 6);
    assert_memory_equal(log.received, "PONG\r\n", 6);
    /* Unregistered: no further calls. */
    assert_ok(InetSetTraceCallback(pair.client, NULL, NULL));
    int calls = log.calls;
    assert_ok(InetWriteLine(pair.client, "QUIET"));
    assert_int_equal(log.calls, calls);
    close_pair(&pair);
}

static void INETKIT_CALL disconnect_from_trace(HCLIENT h, DWORD direction, LPCVOID data, DWORD size, LPVOID param) {
    (void)direction; (void)data; (void)size;
    *(DWORD *)param = InetDisconnect(h);
}

static void test_disconnect_from_own_callback(void **state) {
    (void)state;
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    DWORD code = 99;
    assert_ok(InetSetTraceCallback(pair.client, disconnect_from_trace, &code));
    assert_ok(InetWrite(pair.server, "a\r\nb\r\n", 6, NULL));
    char line[8];
    DWORD n;
    /* The first line is delivered; the handle died under the call, which the
       next call sees. Nothing is freed while the outer call still runs (ASan). */
    DWORD first = InetReadLine(pair.client, line, sizeof line, &n);
    assert_int_equal(code, 0);
    assert_true(first == 0 || first == INETKIT_ERROR_CANCELED);
    assert_fails_with(InetReadLine(pair.client, line, sizeof line, &n), INETKIT_ERROR_INVALID_HANDLE);
    pair.client = INVALID_CLIENT;
    close_pair(&pair);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_initialized),
        cmocka_unit_test(test_uninitialize_closes_open_handles),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_error_store_cleared_by_success),
        cmocka_unit_test(test_error_readers_leave_store_alone),
        cmocka_unit_test(test_last_error_message_size_query),
        cmocka_unit_test(test_error_string),
        cmocka_unit_test(test_null_handle),
        cmocka_unit_test(test_forged_handles),
        cmocka_unit_test(test_closed_and_double_closed),
        cmocka_unit_test(test_wrong_kind_of_handle),
        cmocka_unit_test(test_null_and_bad_arguments),
        cmocka_unit_test(test_connect_arguments),
        cmocka_unit_test(test_echo_lines_and_bytes),
        cmocka_unit_test(test_peek_and_available),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_peer_closes_mid_line),
        cmocka_unit_test(test_read_line_cap),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_timeout_full_backlog),
        cmocka_unit_test(test_inactivity_timeout),
        cmocka_unit_test(test_call_timeout_against_trickle),
        cmocka_unit_test(test_shutdown_send),
        cmocka_unit_test(test_write_to_reset_peer),
        cmocka_unit_test(test_ipv6_loopback),
        cmocka_unit_test(test_accept_timeout),
        cmocka_unit_test(test_address_in_use),
        cmocka_unit_test(test_trace_callback_and_reentrancy),
        cmocka_unit_test(test_disconnect_from_own_callback),
    };
    return cmocka_run_group_tests_name("inet_api", tests, init_inet, uninit_inet);
}
