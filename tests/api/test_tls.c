/*
 * TLS through the shared library: handshakes and data against `openssl s_server`
 * and `openssl s_client` and between inetkit's own client and server; every
 * verification failure with its own code, and the ways to accept it (ignore
 * entries, TRUSTEDSITE, the verify callback); IP literals, verify name and depth;
 * client certificates in every form; credential checks before any traffic;
 * legacy protocols; STARTTLS and plaintext injection; PSK; session resumption;
 * a 100 MB transfer; session and certificate details; public key pins.
 *
 * The PKI comes from tests/tls/make-pki.sh (see tests/tls/README.md). Every
 * peer listens on 127.0.0.1 (or ::1) on a port the kernel picks.
 */
#include "tls_test.h"

#include <ctype.h>
#include <stdatomic.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/sslerr.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define TEST_TIMEOUT 10u /* seconds, for every connect and accept */
#define PSK_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define PSK_IDENTITY "inetkit-test"

/* ---- helpers ----------------------------------------------------------------------- */

static HCLIENT tls_connect(const char *host, UINT port, DWORD options, const SECURITYCREDENTIALS *c) {
    return InetConnect(host, port, TEST_TIMEOUT, INET_OPTION_SECURE | options, c);
}

/* The connect must fail with code (checked in the return and the last-error store). */
#define assert_connect_fails(call, code)                                                           \
    do {                                                                                           \
        HCLIENT h_ = (call);                                                                       \
        DWORD got_ = InetGetLastError();                                                           \
        if (h_ != INVALID_CLIENT) {                                                                \
            InetDisconnect(h_);                                                                    \
            fail_msg("%s succeeded; expected error %u", #call, (unsigned)(code));                  \
        }                                                                                          \
        if (got_ != (DWORD)(code))                                                                 \
            fail_msg("%s failed with %u (%s); expected %u", #call, (unsigned)got_, last_message(), \
                     (unsigned)(code));                                                            \
        if (last_message()[0] == '\0') fail_msg("%s: the error has no message", #call);            \
    } while (0)

static void get_info(HCLIENT h, INETSECURITYINFO *info) {
    memset(info, 0xAB, sizeof *info);
    info->dwSize = sizeof *info;
    assert_ok(InetGetSecurityInfo(h, info));
}

/* One text field of one certificate; checks the length it reports. */
static void cert_text(HCLIENT h, DWORD index, DWORD field, char *buffer, DWORD size) {
    DWORD n = size;
    DWORD rc = InetGetCertificateInfo(h, index, field, buffer, &n);
    if (rc != 0) fail_msg("InetGetCertificateInfo(%u, %u) returned %u: %s", (unsigned)index, (unsigned)field,
                          (unsigned)rc, last_message());
    assert_int_equal(n, strlen(buffer));
}

static void verify_errors(HCLIENT h, char *buffer, DWORD size) {
    DWORD n = size;
    assert_ok(InetGetVerifyErrors(h, buffer, &n));
    assert_int_equal(n, strlen(buffer));
}

static unsigned count_lines(const char *text) {
    unsigned lines = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        if (eol == NULL) eol = p + strlen(p);
        if (eol > p && !(eol == p + 1 && *p == '\r')) lines++;
        p = *eol ? eol + 1 : eol;
    }
    return lines;
}

/* "E:FP:D:text" lines (InetGetVerifyErrors) -> "E:FP,E:FP" (lpszIgnoreErrors). */
static void ignore_list_from(const char *errors, char *out, size_t size) {
    out[0] = '\0';
    size_t len = 0;
    for (const char *line = errors; *line;) {
        const char *eol = strchr(line, '\n');
        if (eol == NULL) eol = line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(eol - line));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
        if (c2 != NULL) {
            int n = snprintf(out + len, size - len, "%s%.*s", len ? "," : "", (int)(c2 - line), line);
            assert_true(n > 0 && (size_t)n < size - len);
            len += (size_t)n;
        }
        line = *eol ? eol + 1 : eol;
    }
}

/* The same list with the last hex digit of every fingerprint changed. */
static void spoil_fingerprints(char *list) {
    for (char *p = list;; ++p) {
        if (*p == ',' || *p == '\0') {
            char *last = p - 1;
            *last = *last == '0' ? '1' : '0';
            if (*p == '\0') break;
        }
    }
}

/* Against `s_server -rev`: a line comes back reversed. */
static void rev_round_trip(HCLIENT h, const char *text) {
    char line[256], expected[256];
    DWORD n;
    size_t len = strlen(text);
    for (size_t i = 0; i < len; ++i) expected[i] = text[len - 1 - i];
    expected[len] = '\0';
    assert_ok(InetWriteLine(h, text));
    assert_ok(InetReadLine(h, line, sizeof line, &n));
    assert_string_equal(line, expected);
}

/* Both directions between two inetkit ends (the server handle is FREETHREAD). */
static void pair_round_trip(HCLIENT client, HCLIENT server) {
    char line[64];
    DWORD n;
    assert_ok(InetWriteLine(client, "ping from the client"));
    assert_ok(InetReadLine(server, line, sizeof line, &n));
    assert_string_equal(line, "ping from the client");
    assert_ok(InetWriteLine(server, "pong from the server"));
    assert_ok(InetReadLine(client, line, sizeof line, &n));
    assert_string_equal(line, "pong from the server");
}

/* ---- libcrypto views of the PKI files, to check what the library reports ---------- */

static X509 *load_cert(const char *name) {
    FILE *f = fopen(pki(name), "r");
    if (f == NULL) fail_msg("cannot open %s", pki(name));
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static void hex_upper(const unsigned char *data, size_t len, char *out) {
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

/* SHA-256 of the DER, upper-case hex (what INET_CERT_FINGERPRINT reports). */
static void file_fingerprint(const char *name, char out[65]) {
    X509 *x = load_cert(name);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), md, &len), 1);
    assert_int_equal(len, 32);
    hex_upper(md, len, out);
    X509_free(x);
}

/* "sha256//" + base64(SHA-256(SubjectPublicKeyInfo)), the curl/HPKP pin. */
static void file_pin(const char *name, char out[64]) {
    X509 *x = load_cert(name);
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    assert_true(len > 0);
    unsigned char md[32];
    assert_int_equal(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL), 1);
    strcpy(out, "sha256//");
    EVP_EncodeBlock((unsigned char *)out + 8, md, 32);
    OPENSSL_free(der);
    X509_free(x);
}

static void strip_trailing_space(char *s) {
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1])) s[--len] = '\0';
}

/* ---- accepting on another thread ----------------------------------------------------- */

typedef struct {
    HCLIENT listener;
    HCLIENT conn; /* made with INET_OPTION_FREETHREAD, so the test thread may use it */
    DWORD code;
    char message[1100];
    atomic_int done;
    pthread_t thread;
} acceptor;

static void *acceptor_main(void *arg) {
    acceptor *a = arg;
    a->conn = InetAccept(a->listener, TEST_TIMEOUT, INET_OPTION_FREETHREAD);
    a->code = a->conn == INVALID_CLIENT ? InetGetLastError() : 0;
    snprintf(a->message, sizeof a->message, "%s", last_message());
    atomic_store(&a->done, 1);
    return NULL;
}

static void acceptor_start(acceptor *a, HCLIENT listener) {
    memset(a, 0, sizeof *a);
    a->listener = listener;
    atomic_init(&a->done, 0);
    assert_int_equal(pthread_create(&a->thread, NULL, acceptor_main, a), 0);
}

/* Joins the accept, cancelling it if it has not finished within seconds. */
static void acceptor_join(acceptor *a, double seconds) {
    double end = seconds_now() + seconds;
    while (!atomic_load(&a->done) && seconds_now() < end) sleep_ms(5);
    while (!atomic_load(&a->done)) {
        InetCancel(a->listener);
        sleep_ms(5);
    }
    pthread_join(a->thread, NULL);
}

/* A secure listener on 127.0.0.1 (FREETHREAD: the acceptor thread uses it). */
static HCLIENT secure_listener(const SECURITYCREDENTIALS *c, UINT *port) {
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_SECURE | INET_OPTION_FREETHREAD, c);
    assert_valid_handle(listener);
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, port));
    return listener;
}

typedef struct {
    HCLIENT client, server;
    DWORD client_code, server_code;
    char client_message[1100], server_message[1100];
} tls_pair;

/* One secure connection to listener: InetConnect here, InetAccept on a thread. */
static void connect_pair(HCLIENT listener, UINT port, const char *host, DWORD options,
                         const SECURITYCREDENTIALS *c, tls_pair *p) {
    acceptor a;
    memset(p, 0, sizeof *p);
    acceptor_start(&a, listener);
    p->client = tls_connect(host, port, options, c);
    p->client_code = p->client == INVALID_CLIENT ? InetGetLastError() : 0;
    snprintf(p->client_message, sizeof p->client_message, "%s", last_message());
    acceptor_join(&a, 5.0);
    p->server = a.conn;
    p->server_code = a.code;
    memcpy(p->server_message, a.message, sizeof a.message);
}

static void assert_pair_ok(const tls_pair *p) {
    if (p->client == INVALID_CLIENT) fail_msg("client failed: %u %s", (unsigned)p->client_code, p->client_message);
    if (p->server == INVALID_CLIENT) fail_msg("server failed: %u %s", (unsigned)p->server_code, p->server_message);
}

static void close_tls_pair(tls_pair *p) {
    if (p->client != INVALID_CLIENT) InetDisconnect(p->client);
    if (p->server != INVALID_CLIENT) InetDisconnect(p->server);
    p->client = p->server = INVALID_CLIENT;
}

/* ---- library information ---------------------------------------------------------------- */

static void test_library_info(void **state) {
    (void)state;
    char text[256];
    DWORD n = sizeof text;
    assert_ok(InetGetLibraryInfo(INET_LIBRARY_VERSION, text, &n));
    assert_string_equal(text, INETKIT_VERSION_STRING);
    assert_int_equal(n, strlen(INETKIT_VERSION_STRING));

    /* The OpenSSL loaded at run time is the one this test links too. */
    n = sizeof text;
    assert_ok(InetGetLibraryInfo(INET_LIBRARY_OPENSSL_VERSION, text, &n));
    assert_string_equal(text, OpenSSL_version(OPENSSL_VERSION));
    assert_int_equal(strncmp(text, "OpenSSL ", 8), 0);
    n = sizeof text;
    assert_ok(InetGetLibraryInfo(INET_LIBRARY_OPENSSL_BUILT, text, &n));
    assert_string_equal(text, OPENSSL_VERSION_TEXT); /* built here, against these headers */

    n = sizeof text;
    assert_ok(InetGetLibraryInfo(INET_LIBRARY_CARES_VERSION, text, &n));
    unsigned major, minor, patch;
    char again[64];
    assert_int_equal(sscanf(text, "%u.%u.%u", &major, &minor, &patch), 3);
    snprintf(again, sizeof again, "%u.%u.%u", major, minor, patch);
    assert_string_equal(text, again);
    assert_int_equal(major, 1);

    /* Size query: NULL or short buffers report the size with the NUL and write nothing. */
    n = 0;
    assert_fails_with(InetGetLibraryInfo(INET_LIBRARY_VERSION, NULL, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(n, strlen(INETKIT_VERSION_STRING) + 1);
    memset(text, 'Z', sizeof text);
    n = (DWORD)strlen(INETKIT_VERSION_STRING);
    assert_fails_with(InetGetLibraryInfo(INET_LIBRARY_VERSION, text, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(n, strlen(INETKIT_VERSION_STRING) + 1);
    assert_int_equal(text[0], 'Z');
    n = sizeof text;
    assert_fails_with(InetGetLibraryInfo(0, text, &n), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetLibraryInfo(99, text, &n), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetLibraryInfo(INET_LIBRARY_VERSION, text, NULL), INETKIT_ERROR_INVALID_PARAMETER);

    /* No initialisation needed. */
    assert_ok(InetUninitialize());
    n = sizeof text;
    DWORD rc = InetGetLibraryInfo(INET_LIBRARY_OPENSSL_VERSION, text, &n);
    assert_ok(InetInitialize());
    assert_int_equal(rc, 0);
    assert_string_equal(text, OpenSSL_version(OPENSSL_VERSION));
}

/* ---- credentials ---------------------------------------------------------------------------- */

static void test_check_credentials(void **state) {
    (void)state;
    SECURITYCREDENTIALS c;
    char *cert_pem = read_text_file(pki("client.pem"));
    char *key_pem = read_text_file(pki("client.key"));

    /* Good ones. */
    creds_client(&c);
    assert_ok(InetCheckCredentials(&c, FALSE));
    creds_server(&c, "server");
    assert_ok(InetCheckCredentials(&c, TRUE));
    assert_ok(InetCheckCredentials(&c, FALSE));
    creds_client(&c);
    c.lpszCertificateFile = pki("client.pem");
    c.lpszPrivateKeyFile = pki("client-encrypted.key");
    c.lpszPassword = "keypass";
    assert_ok(InetCheckCredentials(&c, FALSE));
    creds_client(&c);
    c.lpszCertificateFile = pki("client.p12");
    c.lpszPassword = "p12pass";
    assert_ok(InetCheckCredentials(&c, FALSE));
    creds_client(&c);
    c.lpszCertificatePem = cert_pem;
    c.lpszPrivateKeyPem = key_pem;
    assert_ok(InetCheckCredentials(&c, FALSE));
    creds_init(&c);
    c.lpszPskIdentity = PSK_IDENTITY;
    c.lpszPskKey = PSK_KEY;
    assert_ok(InetCheckCredentials(&c, FALSE));
    assert_ok(InetCheckCredentials(&c, TRUE)); /* a PSK is enough for a server */
    creds_client(&c);
    c.lpszIgnoreErrors = "10:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF,"
                         "62:FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210";
    c.lpszPinnedPublicKey = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;"
                            "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    assert_ok(InetCheckCredentials(&c, FALSE));

    /* Malformed structure or strings. */
    assert_fails_with(InetCheckCredentials(NULL, FALSE), INETKIT_ERROR_INVALID_PARAMETER);
    creds_client(&c);
    c.dwSize = 0;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_INVALID_PARAMETER);
    c.dwSize = 4;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_INVALID_PARAMETER);
    const char *bad_ignores[] = {
        "nonsense", "10", "10:", "10:XYZ",
        "10:0123456789ABCDEF", /* too short for SHA-256 */
        "abc:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
    };
    for (size_t i = 0; i < sizeof bad_ignores / sizeof bad_ignores[0]; ++i) {
        creds_client(&c);
        c.lpszIgnoreErrors = bad_ignores[i];
        DWORD rc = InetCheckCredentials(&c, FALSE);
        if (rc != INETKIT_ERROR_INVALID_PARAMETER)
            fail_msg("ignore list \"%s\" gave %u, expected INVALID_PARAMETER", bad_ignores[i], (unsigned)rc);
    }
    const char *bad_pins[] = {"sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "sha256//", "sha256//!!!not-base64!!!",
                              "sha256//AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
    for (size_t i = 0; i < sizeof bad_pins / sizeof bad_pins[0]; ++i) {
        creds_client(&c);
        c.lpszPinnedPublicKey = bad_pins[i];
        DWORD rc = InetCheckCredentials(&c, FALSE);
        if (rc != INETKIT_ERROR_INVALID_PARAMETER)
            fail_msg("pin \"%s\" gave %u, expected INVALID_PARAMETER", bad_pins[i], (unsigned)rc);
    }
    creds_init(&c);
    c.lpszPskIdentity = PSK_IDENTITY;
    c.lpszPskKey = "not hex at all";
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_INVALID_PARAMETER);
    creds_client(&c);
    c.dwVerifyMode = 7;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_INVALID_PARAMETER);
    creds_client(&c);
    c.dwProtocolMin = 0x0999;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_INVALID_PARAMETER);

    /* Unreadable: missing files, wrong or missing passphrases, garbage PEM. */
    creds_client(&c);
    c.lpszCertificateFile = pki("no-such-file.pem");
    c.lpszPrivateKeyFile = pki("client.key");
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_CERTIFICATE_LOAD);
    c.lpszCertificateFile = pki("client.pem");
    c.lpszPrivateKeyFile = pki("client-encrypted.key");
    c.lpszPassword = "wrong";
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_CERTIFICATE_LOAD);
    assert_true(strlen(last_message()) > 0);
    c.lpszPassword = NULL;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_CERTIFICATE_LOAD);
    creds_client(&c);
    c.lpszCertificateFile = pki("client.p12");
    c.lpszPassword = "wrong";
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_CERTIFICATE_LOAD);
    creds_client(&c);
    c.lpszCertificatePem = "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n";
    c.lpszPrivateKeyPem = key_pem;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_CERTIFICATE_LOAD);
    creds_init(&c);
    c.lpszCaFile = pki("no-such-ca.pem");
    DWORD rc = InetCheckCredentials(&c, FALSE);
    if (rc != INETKIT_ERROR_CERTIFICATE_LOAD && rc != INETKIT_ERROR_SECURITY_CREDENTIALS)
        fail_msg("a missing CA file gave %u (%s)", (unsigned)rc, last_message());

    /* Unusable: the key does not match the certificate. */
    creds_client(&c);
    c.lpszCertificateFile = pki("client.pem");
    c.lpszPrivateKeyFile = pki("other.key");
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_SECURITY_CREDENTIALS);
    creds_server(&c, "server");
    c.lpszPrivateKeyFile = pki("client.key");
    assert_fails_with(InetCheckCredentials(&c, TRUE), INETKIT_ERROR_SECURITY_CREDENTIALS);
    char *other_key_pem = read_text_file(pki("other.key"));
    creds_client(&c);
    c.lpszCertificatePem = cert_pem;
    c.lpszPrivateKeyPem = other_key_pem;
    assert_fails_with(InetCheckCredentials(&c, FALSE), INETKIT_ERROR_SECURITY_CREDENTIALS);
    free(other_key_pem);

    /* A server needs a certificate (with its key) or a PSK. */
    creds_client(&c);
    rc = InetCheckCredentials(&c, TRUE);
    if (rc != INETKIT_ERROR_SECURITY_CREDENTIALS && rc != INETKIT_ERROR_INVALID_PARAMETER)
        fail_msg("server credentials without a certificate gave %u (%s)", (unsigned)rc, last_message());
    creds_server(&c, "server");
    c.lpszPrivateKeyFile = NULL; /* server.pem holds no key */
    rc = InetCheckCredentials(&c, TRUE);
    if (rc != INETKIT_ERROR_SECURITY_CREDENTIALS && rc != INETKIT_ERROR_CERTIFICATE_LOAD)
        fail_msg("a certificate without its key gave %u (%s)", (unsigned)rc, last_message());

    /* InetListen runs the same checks. */
    creds_server(&c, "server");
    c.lpszPrivateKeyFile = pki("other.key");
    assert_true(InetListen("127.0.0.1", 0, 0, INET_OPTION_SECURE, &c) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_SECURITY_CREDENTIALS);
    assert_true(InetListen("127.0.0.1", 0, 0, INET_OPTION_SECURE, NULL) == INVALID_CLIENT);
    assert_int_not_equal(InetGetLastError(), 0);
    free(cert_pem);
    free(key_pem);
}

/* Bad credentials fail InetConnect before a single byte (or even a TCP connection). */
static void test_bad_credentials_fail_before_traffic(void **state) {
    (void)state;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    assert_valid_handle(listener);
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    SECURITYCREDENTIALS c;
    creds_client(&c);
    c.lpszCertificateFile = pki("client.pem");
    c.lpszPrivateKeyFile = pki("client-encrypted.key");
    c.lpszPassword = "not the passphrase";
    assert_connect_fails(tls_connect("127.0.0.1", port, 0, &c), INETKIT_ERROR_CERTIFICATE_LOAD);
    c.lpszPrivateKeyFile = pki("other.key");
    c.lpszPassword = NULL;
    assert_connect_fails(tls_connect("127.0.0.1", port, 0, &c), INETKIT_ERROR_SECURITY_CREDENTIALS);
    creds_client(&c);
    c.lpszCertificateFile = pki("client.p12");
    c.lpszPassword = "wrong";
    assert_connect_fails(tls_connect("127.0.0.1", port, 0, &c), INETKIT_ERROR_CERTIFICATE_LOAD);
    /* No connection ever reached the listener. */
    assert_true(InetAccept(listener, 1, 0) == INVALID_CLIENT);
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_TIMED_OUT);
    assert_ok(InetDisconnect(listener));
}

static void test_create_and_delete_credentials(void **state) {
    (void)state;
    LPSECURITYCREDENTIALS c = (LPSECURITYCREDENTIALS)1;
    assert_fails_with(InetCreateCredentials(pki("client.pem"), pki("client-encrypted.key"), "wrong", &c),
                      INETKIT_ERROR_CERTIFICATE_LOAD);
    assert_null(c);
    c = (LPSECURITYCREDENTIALS)1;
    assert_fails_with(InetCreateCredentials(pki("client.pem"), pki("other.key"), NULL, &c),
                      INETKIT_ERROR_SECURITY_CREDENTIALS);
    assert_null(c);
    assert_fails_with(InetCreateCredentials(pki("client.pem"), NULL, NULL, NULL), INETKIT_ERROR_INVALID_PARAMETER);

    /* Everything NULL: empty client credentials. */
    assert_ok(InetCreateCredentials(NULL, NULL, NULL, &c));
    assert_non_null(c);
    assert_int_equal(c->dwSize, sizeof(SECURITYCREDENTIALS));
    assert_null(c->lpszCertificateFile);
    assert_ok(InetDeleteCredentials(c));
    assert_ok(InetDeleteCredentials(NULL));

    /* The strings are copied in: our buffers may change afterwards. */
    char cert[PATH_MAX], key[PATH_MAX], pass[16];
    snprintf(cert, sizeof cert, "%s", pki("client.pem"));
    snprintf(key, sizeof key, "%s", pki("client-encrypted.key"));
    snprintf(pass, sizeof pass, "keypass");
    assert_ok(InetCreateCredentials(cert, key, pass, &c));
    assert_non_null(c);
    assert_int_equal(c->dwSize, sizeof(SECURITYCREDENTIALS));
    assert_string_equal(c->lpszCertificateFile, cert);
    assert_string_equal(c->lpszPrivateKeyFile, key);
    assert_string_equal(c->lpszPassword, "keypass");
    assert_true(c->lpszCertificateFile != cert && c->lpszPassword != pass);
    memset(cert, 0, sizeof cert);
    memset(key, 0, sizeof key);
    memset(pass, 0, sizeof pass);

    /* Usable as they are, with a member added, against a server that requires a client certificate. */
    c->lpszCaFile = pki("ca.pem");
    SECURITYCREDENTIALS server;
    creds_server(&server, "server");
    server.lpszCaFile = pki("ca.pem");
    server.dwVerifyMode = INET_VERIFY_PEER;
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, c, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server);
    char subject[256];
    cert_text(p.server, 0, INET_CERT_SUBJECT, subject, sizeof subject);
    assert_string_equal(subject, "CN=inetkit-test-client,O=inetkit tests");
    close_tls_pair(&p);
    assert_ok(InetDeleteCredentials(c));

    /* A PKCS#12 file. */
    assert_ok(InetCreateCredentials(pki("client.p12"), NULL, "p12pass", &c));
    assert_non_null(c);
    c->lpszCaFile = pki("ca.pem");
    connect_pair(listener, port, "localhost", 0, c, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server);
    close_tls_pair(&p);
    assert_ok(InetDeleteCredentials(c));
    assert_ok(InetDisconnect(listener));
}

/* ---- handshakes and data ---------------------------------------------------------------- */

static void test_s_server_handshake_and_data(void **state) {
    (void)state;
    tls_child srv;
    const char *args[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                          "-rev", NULL};
    s_server_start(&srv, 1, args);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    if (h == INVALID_CLIENT) {
        DWORD code = InetGetLastError();
        tls_child_stop(&srv);
        fail_msg("connect failed: %u %s\ns_server:\n%s", (unsigned)code, last_message(), srv.output);
    }
    rev_round_trip(h, "hello inetkit");
    rev_round_trip(h, "a second line, both ways");

    INETSECURITYINFO info;
    get_info(h, &info);
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_3);
    assert_string_equal(info.szProtocol, "TLSv1.3");
    assert_int_equal(strncmp(info.szCipher, "TLS_", 4), 0);
    assert_true(info.dwCipherBits >= 128);
    assert_false(info.bResumed);
    assert_int_equal(info.dwVerifyResult, X509_V_OK);
    assert_int_equal(info.dwVerifyErrors, 0);
    assert_int_equal(info.dwPeerCertificates, 2); /* the leaf and the intermediate */
    assert_false(info.bLocalCertificate);
    char errors[256] = "junk";
    verify_errors(h, errors, sizeof errors);
    assert_string_equal(errors, "");
    DWORD value = 0;
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_PROTOCOL, &value));
    assert_int_equal(value, INET_PROTOCOL_TLS1_3);
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_PEER_CERTIFICATES, &value));
    assert_int_equal(value, 2);

    assert_ok(InetDisconnect(h));
    assert_true(tls_child_wait_exit(&srv, 5.0));
    tls_child_stop(&srv);
    assert_non_null(strstr(srv.output, "CONNECTION ESTABLISHED"));
}

static void test_protocol_bounds(void **state) {
    (void)state;
    tls_child srv;
    const char *args[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                          "-rev", NULL};
    s_server_start(&srv, 1, args);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    c.dwProtocolMax = INET_PROTOCOL_TLS1_2;
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(h);
    INETSECURITYINFO info;
    get_info(h, &info);
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_2);
    assert_string_equal(info.szProtocol, "TLSv1.2");
    /* The default TLS 1.2 list: forward-secret AEAD only. */
    assert_int_equal(strncmp(info.szCipher, "ECDHE-ECDSA-", 12), 0);
    assert_true(strstr(info.szCipher, "GCM") != NULL || strstr(info.szCipher, "CHACHA20") != NULL);
    rev_round_trip(h, "over TLS 1.2");
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);

    /* A TLS 1.2-only server and a client that insists on TLS 1.3. */
    const char *args12[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                            "-rev", "-tls1_2", NULL};
    s_server_start(&srv, 1, args12);
    creds_client(&c);
    c.dwProtocolMin = INET_PROTOCOL_TLS1_3;
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), INETKIT_ERROR_SECURITY_PROTOCOL);
    tls_child_stop(&srv);
}

static void test_inetkit_client_and_server(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "server");
    creds_client(&client);
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server);
    pair_round_trip(p.client, p.server);

    INETSECURITYINFO info;
    get_info(p.client, &info);
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_3);
    assert_int_equal(info.dwPeerCertificates, 2);
    assert_false(info.bLocalCertificate);
    assert_int_equal(info.dwVerifyResult, 0);
    INETSECURITYINFO sinfo;
    get_info(p.server, &sinfo);
    assert_int_equal(sinfo.dwProtocol, INET_PROTOCOL_TLS1_3);
    assert_string_equal(sinfo.szCipher, info.szCipher);
    assert_true(sinfo.bLocalCertificate);
    assert_int_equal(sinfo.dwPeerCertificates, 0); /* the client sent none */
    char text[256];
    DWORD n = sizeof text;
    assert_fails_with(InetGetCertificateInfo(p.server, 0, INET_CERT_SUBJECT, text, &n),
                      INETKIT_ERROR_INVALID_PARAMETER);
    cert_text(p.server, INET_CERTIFICATE_LOCAL, INET_CERT_SUBJECT, text, sizeof text);
    assert_string_equal(text, "CN=localhost,O=inetkit tests");

    /* Orderly close: the client sees end of stream. */
    assert_ok(InetDisconnect(p.server));
    p.server = INVALID_CLIENT;
    DWORD got = 99;
    DWORD rc = InetRead(p.client, text, sizeof text, &got);
    assert_true((rc == 0 && got == 0) || rc == INETKIT_ERROR_CONNECTION_RESET);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));
}

static void test_inetkit_server_and_s_client(void **state) {
    (void)state;
    SECURITYCREDENTIALS server;
    creds_server(&server, "server");
    server.lpszCaFile = pki("ca.pem");
    server.dwVerifyMode = INET_VERIFY_PEER;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_SECURE, &server);
    assert_valid_handle(listener);
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));

    tls_child cli;
    const char *args[] = {"-CAfile", "@ca.pem", "-verify_return_error", "-verify_hostname", "localhost",
                          "-cert", "@client.pem", "-key", "@client.key", "-quiet", NULL};
    s_client_start(&cli, port, args);
    tls_child_write(&cli, "line from s_client\n");
    HCLIENT conn = InetAccept(listener, TEST_TIMEOUT, 0);
    if (conn == INVALID_CLIENT) {
        DWORD code = InetGetLastError();
        tls_child_stop(&cli);
        fail_msg("accept failed: %u %s\ns_client:\n%s", (unsigned)code, last_message(), cli.errors);
    }
    char line[128];
    DWORD n;
    assert_ok(InetReadLine(conn, line, sizeof line, &n));
    assert_string_equal(line, "line from s_client");
    cert_text(conn, 0, INET_CERT_SUBJECT, line, sizeof line);
    assert_string_equal(line, "CN=inetkit-test-client,O=inetkit tests");
    INETSECURITYINFO info;
    get_info(conn, &info);
    assert_int_equal(info.dwVerifyResult, 0);
    assert_true(info.dwPeerCertificates >= 1);
    assert_ok(InetWriteLine(conn, "line from inetkit"));
    assert_ok(InetDisconnect(conn));
    tls_child_close_input(&cli);
    int exited = tls_child_wait_exit(&cli, 5.0);
    tls_child_stop(&cli);
    assert_true(exited);
    if (strstr(cli.output, "line from inetkit\r\n") == NULL) /* InetWriteLine's CR LF, as sent */
        fail_msg("s_client did not get the line; stdout:\n%s\nstderr:\n%s", cli.output, cli.errors);
    assert_ok(InetDisconnect(listener));
}

/* ---- bad certificates: refused with their own code, accepted only when ignored ------------ */

struct bad_case {
    const char *cert; /* the server's certificate, NAME.pem / NAME.key */
    const char *chain; /* what s_server sends after the leaf ("intermediate.pem"), or NULL */
    const char *ca;   /* what the client trusts */
    DWORD code;       /* the inetkit error */
    DWORD x509;       /* the X509_V_ERR_* reported */
    DWORD depth;      /* at this depth */
    const char *not_before, *not_after; /* expected dates of the leaf, or NULL */
    DWORD x509_also;  /* a second X509_V_ERR_* reported after the first for the same certificate, or 0 */
};

static void run_bad_case(const struct bad_case *bc) {
    char cert_arg[64], key_arg[64], chain_arg[64];
    snprintf(cert_arg, sizeof cert_arg, "@%s.pem", bc->cert);
    snprintf(key_arg, sizeof key_arg, "@%s.key", bc->cert);
    snprintf(chain_arg, sizeof chain_arg, "@%s", bc->chain ? bc->chain : "");
    const char *with_chain[] = {"-cert", cert_arg, "-key", key_arg, "-cert_chain", chain_arg, "-rev", NULL};
    const char *alone[] = {"-cert", cert_arg, "-key", key_arg, "-rev", NULL};
    tls_child srv;
    s_server_start(&srv, bc->x509_also ? 7 : 6, bc->chain ? with_chain : alone);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    c.lpszCaFile = pki(bc->ca);

    /* 1. Refused by default, with its own code. */
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), bc->code);

    /* 2. QUERY: the handshake completes and the problem is reported, once. */
    SECURITYCREDENTIALS query = c;
    query.dwVerifyMode = INET_VERIFY_QUERY;
    HCLIENT h = tls_connect("localhost", srv.port, 0, &query);
    assert_valid_handle(h);
    INETSECURITYINFO info;
    get_info(h, &info);
    const DWORD last = bc->x509_also ? bc->x509_also : bc->x509;
    const unsigned problems = bc->x509_also ? 2 : 1;
    assert_int_equal(info.dwVerifyResult, last);
    assert_int_equal(info.dwVerifyErrors, problems);
    DWORD value = 0;
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_VERIFY_RESULT, &value));
    assert_int_equal(value, last);
    char fingerprint[128], errors[2048], prefix[256], also[256];
    cert_text(h, bc->depth, INET_CERT_FINGERPRINT, fingerprint, sizeof fingerprint);
    assert_int_equal(strlen(fingerprint), 64);
    verify_errors(h, errors, sizeof errors);
    snprintf(prefix, sizeof prefix, "%u:%s:%u:", (unsigned)bc->x509, fingerprint, (unsigned)bc->depth);
    snprintf(also, sizeof also, "\n%u:%s:%u:", (unsigned)bc->x509_also, fingerprint, (unsigned)bc->depth);
    if (strncmp(errors, prefix, strlen(prefix)) != 0 || count_lines(errors) != problems ||
        (bc->x509_also && strstr(errors, also) == NULL))
        fail_msg("verify errors:\n%s\nexpected %u line(s), the first starting %s", errors, problems, prefix);
    assert_true(strlen(errors) > strlen(prefix) + 2); /* with a description */
    if (bc->not_before != NULL) {
        char date[64];
        cert_text(h, 0, INET_CERT_NOT_BEFORE, date, sizeof date);
        assert_string_equal(date, bc->not_before);
        cert_text(h, 0, INET_CERT_NOT_AFTER, date, sizeof date);
        assert_string_equal(date, bc->not_after);
    }
    rev_round_trip(h, "query mode still carries data");
    assert_ok(InetDisconnect(h));

    /* 3. Accepted with exactly that entry (the first two fields of the line). */
    char ignore[1024];
    ignore_list_from(errors, ignore, sizeof ignore);
    char expected_entry[256];
    snprintf(expected_entry, sizeof expected_entry, "%u:%s", (unsigned)bc->x509, fingerprint);
    if (bc->x509_also) {
        /* Each problem needs its own entry: the first alone is not enough. */
        SECURITYCREDENTIALS first_only = c;
        first_only.lpszIgnoreErrors = expected_entry;
        assert_connect_fails(tls_connect("localhost", srv.port, 0, &first_only), bc->code);
        size_t len = strlen(expected_entry);
        snprintf(expected_entry + len, sizeof expected_entry - len, ",%u:%s", (unsigned)bc->x509_also, fingerprint);
    }
    assert_string_equal(ignore, expected_entry);
    SECURITYCREDENTIALS ignoring = c;
    ignoring.lpszIgnoreErrors = ignore;
    h = tls_connect("localhost", srv.port, 0, &ignoring);
    if (h == INVALID_CLIENT) fail_msg("refused with \"%s\" ignored: %u %s", ignore, InetGetLastError(), last_message());
    get_info(h, &info);
    assert_int_equal(info.dwVerifyErrors, problems); /* seen, and ignored */
    rev_round_trip(h, "accepted with the ignore entry");
    assert_ok(InetDisconnect(h));

    /* 4. The right error for another certificate: refused. */
    char spoiled[1024];
    snprintf(spoiled, sizeof spoiled, "%s", ignore);
    spoil_fingerprints(spoiled);
    ignoring.lpszIgnoreErrors = spoiled;
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &ignoring), bc->code);

    /* 5. The right certificate with another error: refused. */
    char other[256];
    snprintf(other, sizeof other, "%u:%s",
             bc->x509 == X509_V_ERR_CERT_HAS_EXPIRED ? X509_V_ERR_CERT_NOT_YET_VALID : X509_V_ERR_CERT_HAS_EXPIRED,
             fingerprint);
    ignoring.lpszIgnoreErrors = other;
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &ignoring), bc->code);

    /* 6. TRUSTEDSITE: nothing fails the handshake, but the same problems are recorded (inet.h),
          a wrong host name among them. */
    h = tls_connect("localhost", srv.port, INET_OPTION_TRUSTEDSITE, &c);
    assert_valid_handle(h);
    get_info(h, &info);
    assert_int_equal(info.dwVerifyErrors, problems);
    char trusted_errors[4096];
    verify_errors(h, trusted_errors, sizeof trusted_errors);
    if (strncmp(trusted_errors, prefix, strlen(prefix)) != 0)
        fail_msg("TRUSTEDSITE recorded:\n%s\nexpected a first line starting %s", trusted_errors, prefix);
    rev_round_trip(h, "trusted site");
    assert_ok(InetDisconnect(h));

    assert_true(tls_child_wait_exit(&srv, 5.0)); /* it served every connection */
    tls_child_stop(&srv);
}

static void test_expired(void **state) {
    (void)state;
    const struct bad_case bc = {"expired", "intermediate.pem", "ca.pem", INETKIT_ERROR_CERTIFICATE_EXPIRED,
                                X509_V_ERR_CERT_HAS_EXPIRED, 0, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", 0};
    run_bad_case(&bc);
}

static void test_not_yet_valid(void **state) {
    (void)state;
    const struct bad_case bc = {"notyet", "intermediate.pem", "ca.pem", INETKIT_ERROR_CERTIFICATE_NOT_YET_VALID,
                                X509_V_ERR_CERT_NOT_YET_VALID, 0, "2045-01-01T00:00:00Z", "2046-01-01T00:00:00Z", 0};
    run_bad_case(&bc);
}

static void test_wrong_host(void **state) {
    (void)state;
    const struct bad_case bc = {"wronghost", "intermediate.pem", "ca.pem", INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH,
                                X509_V_ERR_HOSTNAME_MISMATCH, 0, NULL, NULL, 0};
    run_bad_case(&bc);
}

static void test_self_signed(void **state) {
    (void)state;
    const struct bad_case bc = {"selfsigned", NULL, "ca.pem", INETKIT_ERROR_CERTIFICATE_UNTRUSTED,
                                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0, NULL, NULL, 0};
    run_bad_case(&bc);
}

static void test_unknown_ca(void **state) {
    (void)state;
    /* A good chain, but the client trusts only an unrelated CA: the intermediate's issuer is unknown. */
    const struct bad_case bc = {"server", "intermediate.pem", "other-ca.pem", INETKIT_ERROR_CERTIFICATE_UNTRUSTED,
                                X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 1, NULL, NULL, 0};
    run_bad_case(&bc);
}

static void test_client_only_leaf(void **state) {
    (void)state;
    /* A leaf whose EKU is clientAuth only must not serve. */
    const struct bad_case bc = {"clientonly", "intermediate.pem", "ca.pem", INETKIT_ERROR_CERTIFICATE_INVALID,
                                X509_V_ERR_INVALID_PURPOSE, 0, NULL, NULL, 0};
    run_bad_case(&bc);
}

/* #62: a good leaf under an intermediate outside its validity; the error is at depth 1. */
static void test_F62_intermediate_validity(void **state) {
    (void)state;
    const struct bad_case expired = {"interexpired", "intermediate-expired.pem", "ca.pem",
                                     INETKIT_ERROR_CERTIFICATE_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED, 1, NULL, NULL, 0};
    run_bad_case(&expired);
    const struct bad_case not_yet = {"internotyet", "intermediate-notyet.pem", "ca.pem",
                                     INETKIT_ERROR_CERTIFICATE_NOT_YET_VALID, X509_V_ERR_CERT_NOT_YET_VALID, 1, NULL,
                                     NULL, 0};
    run_bad_case(&not_yet);
}

static void test_F62_expired_root(void **state) {
    (void)state;
    /* The client trusts an expired root, which signed the leaf; the server sends the root too,
       so the certificate at depth 1 is in the peer's chain. */
    const struct bad_case bc = {"rootexpired", "ca-expired.pem", "ca-expired.pem", INETKIT_ERROR_CERTIFICATE_EXPIRED,
                                X509_V_ERR_CERT_HAS_EXPIRED, 1, NULL, NULL, 0};
    run_bad_case(&bc);
}

/*
 * #64: an intermediate that is no CA, by CA:FALSE or for want of basicConstraints.
 * X509_V_ERR_INVALID_CA is CERTIFICATE_INVALID, like INVALID_PURPOSE.
 */
static void test_F64_intermediate_not_a_ca(void **state) {
    (void)state;
    /* CA:FALSE also fails the serverAuth purpose check for an issuer: two problems. */
    const struct bad_case not_ca = {"internotca", "intermediate-notca.pem", "ca.pem", INETKIT_ERROR_CERTIFICATE_INVALID,
                                    X509_V_ERR_INVALID_CA, 1, NULL, NULL, X509_V_ERR_INVALID_PURPOSE};
    run_bad_case(&not_ca);
    const struct bad_case no_constraints = {"internobc", "intermediate-nobc.pem", "ca.pem",
                                            INETKIT_ERROR_CERTIFICATE_INVALID, X509_V_ERR_INVALID_CA, 1, NULL, NULL, 0};
    run_bad_case(&no_constraints);
}

/* ---- names: IP literals, verify name override ------------------------------------------- */

static void test_ip_literal_verification(void **state) {
    (void)state;
    SECURITYCREDENTIALS c;
    creds_client(&c);
    tls_child srv;
    /* ipsan: SAN IP:127.0.0.1 only. */
    const char *ipsan[] = {"-cert", "@ipsan.pem", "-key", "@ipsan.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    s_server_start(&srv, 3, ipsan);
    HCLIENT h = tls_connect("127.0.0.1", srv.port, 0, &c);
    assert_valid_handle(h);
    rev_round_trip(h, "by IP");
    char san[128];
    cert_text(h, 0, INET_CERT_SAN, san, sizeof san);
    assert_string_equal(san, "IP:127.0.0.1");
    assert_ok(InetDisconnect(h));
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    SECURITYCREDENTIALS named = c;
    named.lpszVerifyName = "127.0.0.1"; /* an IP as the verify name */
    h = tls_connect("localhost", srv.port, 0, &named);
    assert_valid_handle(h);
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);

    /* dnsonly: SAN DNS:localhost only; an IP connect must not match it. */
    const char *dnsonly[] = {"-cert", "@dnsonly.pem", "-key", "@dnsonly.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    s_server_start(&srv, 3, dnsonly);
    assert_connect_fails(tls_connect("127.0.0.1", srv.port, 0, &c), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    SECURITYCREDENTIALS query = c;
    query.dwVerifyMode = INET_VERIFY_QUERY;
    h = tls_connect("127.0.0.1", srv.port, 0, &query);
    assert_valid_handle(h);
    INETSECURITYINFO info;
    get_info(h, &info);
    assert_int_equal(info.dwVerifyResult, X509_V_ERR_IP_ADDRESS_MISMATCH);
    assert_ok(InetDisconnect(h));
    h = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(h);
    rev_round_trip(h, "by name");
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);
}

static void test_ipv6_literal(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "server"); /* SAN has IP:::1 */
    creds_client(&client);
    HCLIENT listener = InetListen("::1", 0, 0, INET_OPTION_SECURE | INET_OPTION_FREETHREAD, &server);
    if (listener == INVALID_CLIENT) {
        assert_int_equal(InetGetLastError(), INETKIT_ERROR_ADDRESS_NOT_AVAILABLE);
        skip(); /* no IPv6 here */
    }
    UINT port;
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    tls_pair p;
    connect_pair(listener, port, "[::1]", INET_OPTION_PREFER_IPV6, &client, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));

    creds_server(&server, "ipsan"); /* 127.0.0.1 only */
    listener = InetListen("::1", 0, 0, INET_OPTION_SECURE | INET_OPTION_FREETHREAD, &server);
    assert_valid_handle(listener);
    assert_ok(InetGetLocalAddress(listener, NULL, NULL, &port));
    connect_pair(listener, port, "::1", 0, &client, &p);
    assert_true(p.client == INVALID_CLIENT);
    assert_int_equal(p.client_code, INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));
}

static void test_verify_name_override(void **state) {
    (void)state;
    SECURITYCREDENTIALS c;
    creds_client(&c);
    tls_child srv;
    const char *wrong[] = {"-cert", "@wronghost.pem", "-key", "@wronghost.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    s_server_start(&srv, 3, wrong);
    c.lpszVerifyName = "wrong.example";
    HCLIENT h = tls_connect("127.0.0.1", srv.port, 0, &c);
    assert_valid_handle(h);
    rev_round_trip(h, "verified as wrong.example");
    assert_ok(InetDisconnect(h));
    c.lpszVerifyName = "WRONG.example"; /* names compare without case */
    h = tls_connect("127.0.0.1", srv.port, 0, &c);
    assert_valid_handle(h);
    assert_ok(InetDisconnect(h));
    c.lpszVerifyName = "other.example";
    assert_connect_fails(tls_connect("127.0.0.1", srv.port, 0, &c), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    tls_child_stop(&srv);

    /* The override replaces the connect host; it does not add to it. */
    const char *good[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    s_server_start(&srv, 1, good);
    c.lpszVerifyName = "wrong.example";
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    tls_child_stop(&srv);
}

static void test_verify_depth(void **state) {
    (void)state;
    /* dwVerifyDepth counts the whole chain, the peer's own and the trusted root
       included. deep.pem: leaf <- intermediate2 <- intermediate <- root = 4. */
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "deep");
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    tls_pair p;
    creds_client(&client);
    const DWORD too_small[] = {1, 3};
    for (size_t i = 0; i < sizeof too_small / sizeof too_small[0]; ++i) {
        client.dwVerifyDepth = too_small[i];
        connect_pair(listener, port, "localhost", 0, &client, &p);
        if (p.client != INVALID_CLIENT) {
            close_tls_pair(&p);
            fail_msg("a chain of 4 passed with dwVerifyDepth %u", (unsigned)too_small[i]);
        }
        if (p.client_code != INETKIT_ERROR_CERTIFICATE_CHAIN_TOO_LONG)
            fail_msg("depth %u: got %u (%s), expected CERTIFICATE_CHAIN_TOO_LONG", (unsigned)too_small[i],
                     (unsigned)p.client_code, p.client_message);
        assert_true(p.server == INVALID_CLIENT);
        close_tls_pair(&p);
    }

    client.dwVerifyDepth = 4;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    INETSECURITYINFO info;
    get_info(p.client, &info);
    assert_int_equal(info.dwPeerCertificates, 3); /* sent: leaf and two intermediates */
    pair_round_trip(p.client, p.server);
    close_tls_pair(&p);

    client.dwVerifyDepth = 0; /* OpenSSL's default limit */
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));

    /* server.pem: leaf <- intermediate <- root = 3. */
    creds_server(&server, "server");
    listener = secure_listener(&server, &port);
    client.dwVerifyDepth = 2;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    if (p.client != INVALID_CLIENT) {
        close_tls_pair(&p);
        fail_msg("a chain of 3 passed with dwVerifyDepth 2");
    }
    assert_int_equal(p.client_code, INETKIT_ERROR_CERTIFICATE_CHAIN_TOO_LONG);
    close_tls_pair(&p);
    client.dwVerifyDepth = 3;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));
}

/* #65: patterns that must match nothing, checked through the verify name (the connect is to 127.0.0.1). */
static void test_F65_wildcards(void **state) {
    (void)state;
    static const char *const refused[] = {
        "anything",        /* DNS:* */
        "example.com",     /* DNS:*.com */
        "x.com",           /* DNS:*.com */
        "pop.example.com", /* DNS:p*p.example.com: a star inside a label */
        "mail.example.com", /* DNS:ma*.example.com: no partial wildcards (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS) */
        "a.b.example.com", /* DNS:*.*.example.com */
        "1.2.3.4",         /* DNS:*.2.3.4 (an address is checked against iPAddress entries only) */
        "9.2.3.4",
        "a.b.good.example", /* DNS:*.good.example covers one label */
        "good.example",     /* ... and not the bare parent */
    };
    const size_t count = sizeof refused / sizeof refused[0];
    const char *args[] = {"-cert", "@wildcards.pem", "-key", "@wildcards.key", "-cert_chain", "@intermediate.pem",
                          "-rev", NULL};
    tls_child srv;
    s_server_start(&srv, (int)count + 2, args);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    for (size_t i = 0; i < count; ++i) {
        c.lpszVerifyName = refused[i];
        HCLIENT h = tls_connect("127.0.0.1", srv.port, 0, &c);
        DWORD code = InetGetLastError();
        if (h != INVALID_CLIENT) {
            InetDisconnect(h);
            fail_msg("\"%s\" matched the wildcard certificate", refused[i]);
        }
        if (code != INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH)
            fail_msg("\"%s\": error %u (%s), expected CERTIFICATE_NAME_MISMATCH", refused[i], (unsigned)code,
                     last_message());
    }
    /* The positive control: one label under *.good.example, in any case. */
    const char *accepted[] = {"www.good.example", "WWW.Good.Example"};
    for (size_t i = 0; i < 2; ++i) {
        c.lpszVerifyName = accepted[i];
        HCLIENT h = tls_connect("127.0.0.1", srv.port, 0, &c);
        if (h == INVALID_CLIENT) fail_msg("\"%s\" refused: %u %s", accepted[i], InetGetLastError(), last_message());
        rev_round_trip(h, "matched *.good.example");
        assert_ok(InetDisconnect(h));
    }
    assert_true(tls_child_wait_exit(&srv, 5.0));
    tls_child_stop(&srv);
}

/*
 * One connection to an s_server that prints the SNI it receives ('Hostname in TLS
 * extension: "..."') and refuses any name other than localhost (case aside).
 * expected_sni NULL: no SNI may arrive.
 */
static void check_sni(const char *host, const char *verify_name, const char *expected_sni) {
    const char *args[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                          "-servername", "localhost", "-servername_fatal",
                          "-cert2", "@server.pem", "-key2", "@server.key", "-rev", NULL};
    tls_child srv;
    s_server_start(&srv, 1, args);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    c.lpszVerifyName = verify_name;
    /* s_server gives the -cert2 context no chain: the client knows the intermediate itself. */
    char *intermediate = read_text_file(pki("intermediate.pem"));
    c.lpszCaPem = intermediate;
    HCLIENT h = tls_connect(host, srv.port, 0, &c);
    free(intermediate);
    if (h == INVALID_CLIENT)
        fail_msg("%s (verify name %s): %u %s", host, verify_name ? verify_name : "none", InetGetLastError(),
                 last_message());
    rev_round_trip(h, "sni");
    assert_ok(InetDisconnect(h));
    assert_true(tls_child_wait_exit(&srv, 5.0));
    tls_child_stop(&srv);
    const char *seen = strstr(srv.output, "Hostname in TLS extension: ");
    if (expected_sni == NULL) {
        if (seen != NULL) fail_msg("%s: SNI sent for an address:\n%s", host, srv.output);
        return;
    }
    char line[256];
    snprintf(line, sizeof line, "Hostname in TLS extension: \"%s\"\n", expected_sni);
    if (seen == NULL || strstr(srv.output, line) == NULL)
        fail_msg("%s: expected the SNI \"%s\"; s_server said:\n%s", host, expected_sni, srv.output);
}

/*
 * #66: a name in upper case or with the root's trailing dot verifies, and goes out as
 * "localhost". The resolver here does not know "localhost.", so the dotted forms go
 * through the verify name, which replaces the connect host on the same path.
 */
static void test_F66_host_case_and_trailing_dot(void **state) {
    (void)state;
    check_sni("localhost", NULL, "localhost"); /* the control */
    check_sni("LOCALHOST", NULL, "localhost");
    check_sni("LocalHost", NULL, "localhost");
    check_sni("127.0.0.1", "localhost.", "localhost");
    check_sni("127.0.0.1", "LOCALHOST.", "localhost");
}

/* #75: no SNI for an address; an address written as a dNSName does not match it. */
static void test_F75_ip_literals(void **state) {
    (void)state;
    check_sni("127.0.0.1", NULL, NULL);
    check_sni("localhost", "127.0.0.1", NULL);

    const char *args[] = {"-cert", "@dnsip.pem", "-key", "@dnsip.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    tls_child srv;
    s_server_start(&srv, 1, args);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    assert_connect_fails(tls_connect("127.0.0.1", srv.port, 0, &c), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    tls_child_stop(&srv);
}

/* CVE-2009-2408 class (a #61 variant): SAN dNSName "localhost\0.evil.example" is not localhost. */
static void test_F61_nul_in_san(void **state) {
    (void)state;
    const struct bad_case bc = {"nulsan", "intermediate.pem", "ca.pem", INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH,
                                X509_V_ERR_HOSTNAME_MISMATCH, 0, NULL, NULL, 0};
    run_bad_case(&bc);
}

/* ---- the thread's OpenSSL error queue (#71) ---------------------------------------------- */

/* What a careless neighbour leaves on this thread's queue: reasons SSL_get_error would
   read as the failure of whatever SSL call comes next. */
static void push_stale_errors(void) {
    ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
    ERR_raise_data(ERR_LIB_SYS, ECONNRESET, "stale error pushed by the test");
}

static void test_F71_stale_openssl_error(void **state) {
    (void)state;
    const char *good[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    const char *wrong[] = {"-cert", "@wronghost.pem", "-key", "@wronghost.key", "-cert_chain", "@intermediate.pem",
                           "-rev", NULL};
    tls_child srv, bad;
    s_server_start(&srv, 2, good);
    s_server_start(&bad, 1, wrong);
    SECURITYCREDENTIALS c;
    creds_client(&c);

    /* Before the handshake, the write and the read of handle A. */
    push_stale_errors();
    HCLIENT a = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(a);
    char line[128];
    DWORD n = 0;
    push_stale_errors();
    assert_ok(InetWriteLine(a, "stale errors do not matter"));
    push_stale_errors();
    assert_ok(InetReadLine(a, line, sizeof line, &n));
    assert_string_equal(line, "rettam ton od srorre elats");

    /* A failed handshake on handle B leaves nothing behind for this thread's other work. */
    assert_connect_fails(tls_connect("localhost", bad.port, 0, &c), INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH);
    if (ERR_peek_error() != 0) {
        char text[256];
        ERR_error_string_n(ERR_peek_error(), text, sizeof text);
        fail_msg("the failed handshake left OpenSSL errors on the thread: %s", text);
    }
    rev_round_trip(a, "handle A after B failed");
    assert_ok(InetDisconnect(a)); /* s_server serves one connection at a time */
    HCLIENT later = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(later);
    rev_round_trip(later, "a new handle after B failed");
    assert_ok(InetDisconnect(later));
    assert_true(tls_child_wait_exit(&srv, 5.0));
    tls_child_stop(&srv);
    tls_child_stop(&bad);
}

/* ---- client certificates -------------------------------------------------------------------- */

/* The client was refused for want of a certificate: at connect, or (TLS 1.3) at the first read. */
static void assert_certificate_required(tls_pair *p) {
    if (p->client == INVALID_CLIENT) {
        if (p->client_code != INETKIT_ERROR_CERTIFICATE_REQUIRED)
            fail_msg("connect failed with %u (%s), expected CERTIFICATE_REQUIRED", (unsigned)p->client_code,
                     p->client_message);
    } else {
        char buffer[16];
        DWORD n = 0;
        DWORD rc = InetRead(p->client, buffer, sizeof buffer, &n);
        if (rc != INETKIT_ERROR_CERTIFICATE_REQUIRED)
            fail_msg("the read after the refused handshake gave %u (%s, %u bytes), expected CERTIFICATE_REQUIRED",
                     (unsigned)rc, last_message(), (unsigned)n);
    }
}

static void check_client_cert_pair(HCLIENT listener, UINT port, const SECURITYCREDENTIALS *client, const char *what) {
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, client, &p);
    if (p.client == INVALID_CLIENT || p.server == INVALID_CLIENT) {
        close_tls_pair(&p);
        fail_msg("%s: client %u (%s), server %u (%s)", what, (unsigned)p.client_code, p.client_message,
                 (unsigned)p.server_code, p.server_message);
    }
    pair_round_trip(p.client, p.server);
    INETSECURITYINFO info;
    get_info(p.server, &info);
    assert_int_equal(info.dwVerifyResult, 0);
    assert_true(info.dwPeerCertificates >= 1);
    char text[256];
    cert_text(p.server, 0, INET_CERT_SUBJECT, text, sizeof text);
    assert_string_equal(text, "CN=inetkit-test-client,O=inetkit tests");
    cert_text(p.server, 0, INET_CERT_ISSUER, text, sizeof text);
    assert_string_equal(text, "CN=inetkit Test Root CA,O=inetkit tests");
    get_info(p.client, &info);
    assert_true(info.bLocalCertificate);
    cert_text(p.client, INET_CERTIFICATE_LOCAL, INET_CERT_SUBJECT, text, sizeof text);
    assert_string_equal(text, "CN=inetkit-test-client,O=inetkit tests");
    close_tls_pair(&p);
}

static void test_client_certificate_required(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "server");
    server.lpszCaFile = pki("ca.pem");
    server.dwVerifyMode = INET_VERIFY_PEER;
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);

    /* Without a certificate: refused, on both sides. */
    tls_pair p;
    creds_client(&client);
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_certificate_required(&p);
    if (p.server != INVALID_CLIENT) {
        close_tls_pair(&p);
        fail_msg("the server accepted a client without a certificate");
    }
    assert_int_not_equal(p.server_code, 0);
    close_tls_pair(&p);

    /* PEM files. */
    creds_client(&client);
    client.lpszCertificateFile = pki("client.pem");
    client.lpszPrivateKeyFile = pki("client.key");
    check_client_cert_pair(listener, port, &client, "PEM files");

    /* PEM text. */
    char *cert_pem = read_text_file(pki("client.pem"));
    char *key_pem = read_text_file(pki("client.key"));
    creds_client(&client);
    client.lpszCertificatePem = cert_pem;
    client.lpszPrivateKeyPem = key_pem;
    check_client_cert_pair(listener, port, &client, "PEM text");
    free(cert_pem);
    free(key_pem);

    /* PKCS#12. */
    creds_client(&client);
    client.lpszCertificateFile = pki("client.p12");
    client.lpszPassword = "p12pass";
    check_client_cert_pair(listener, port, &client, "PKCS#12");

    /* An encrypted key with its passphrase. */
    creds_client(&client);
    client.lpszCertificateFile = pki("client.pem");
    client.lpszPrivateKeyFile = pki("client-encrypted.key");
    client.lpszPassword = "keypass";
    check_client_cert_pair(listener, port, &client, "encrypted key");

    /* A certificate the server does not trust (the self-signed one) is refused too. */
    creds_client(&client);
    client.lpszCertificateFile = pki("selfsigned.pem");
    client.lpszPrivateKeyFile = pki("selfsigned.key");
    connect_pair(listener, port, "localhost", 0, &client, &p);
    if (p.server != INVALID_CLIENT) {
        close_tls_pair(&p);
        fail_msg("the server accepted an untrusted client certificate");
    }
    assert_int_equal(p.server_code, INETKIT_ERROR_CERTIFICATE_UNTRUSTED);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));
}

static void test_client_certificate_to_s_server(void **state) {
    (void)state;
    tls_child srv;
    const char *args[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                          "-Verify", "1", "-CAfile", "@ca.pem", "-rev", NULL};
    s_server_start(&srv, 2, args);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    c.lpszCertificateFile = pki("client.p12");
    c.lpszPassword = "p12pass";
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(h);
    rev_round_trip(h, "with a client certificate");
    assert_ok(InetDisconnect(h));

    creds_client(&c);
    tls_pair p;
    memset(&p, 0, sizeof p);
    p.client = tls_connect("localhost", srv.port, 0, &c);
    p.client_code = p.client == INVALID_CLIENT ? InetGetLastError() : 0;
    snprintf(p.client_message, sizeof p.client_message, "%s", last_message());
    assert_certificate_required(&p);
    close_tls_pair(&p);
    assert_true(tls_child_wait_exit(&srv, 5.0));
    tls_child_stop(&srv);
    assert_non_null(strstr(srv.output, "inetkit-test-client"));
}

/* ---- legacy protocols ------------------------------------------------------------------------- */

static void test_tls10_needs_fallback(void **state) {
    (void)state;
    tls_child srv, probe;
    const char *args[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                          "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", "-rev", NULL};
    s_server_start(&srv, 3, args);
    /* Can this OpenSSL build speak TLS 1.0 at all? Ask its own s_client first. */
    const char *probe_args[] = {"-tls1", "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", "@ca.pem", "-quiet", NULL};
    s_client_start(&probe, srv.port, probe_args);
    tls_child_write(&probe, "probe\n");
    int speaks_tls10 = tls_child_wait_output(&probe, "eborp", 5.0);
    tls_child_stop(&probe);
    if (!speaks_tls10) {
        tls_child_stop(&srv);
        print_message("SKIP: this OpenSSL build cannot do TLS 1.0 even at SECLEVEL=0 (s_client said: %.300s)\n",
                      probe.errors);
        skip();
    }
    SECURITYCREDENTIALS c;
    creds_client(&c);
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    DWORD code = InetGetLastError();
    if (h != INVALID_CLIENT) {
        InetDisconnect(h);
        tls_child_stop(&srv);
        fail_msg("a TLS 1.0-only server was accepted by default");
    }
    if (code != INETKIT_ERROR_SECURITY_PROTOCOL && code != INETKIT_ERROR_SECURITY_HANDSHAKE)
        fail_msg("refused with %u (%s), expected SECURITY_PROTOCOL or SECURITY_HANDSHAKE", (unsigned)code,
                 last_message());

    h = tls_connect("localhost", srv.port, INET_OPTION_SECURE_FALLBACK, &c);
    if (h == INVALID_CLIENT) {
        code = InetGetLastError();
        tls_child_stop(&srv);
        fail_msg("SECURE_FALLBACK did not reach a TLS 1.0 server: %u %s\ns_server:\n%s", (unsigned)code,
                 last_message(), srv.output);
    }
    INETSECURITYINFO info;
    get_info(h, &info);
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_0);
    assert_string_equal(info.szProtocol, "TLSv1");
    rev_round_trip(h, "legacy");
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);
}

/* ---- STARTTLS ------------------------------------------------------------------------------------- */

typedef struct {
    HCLIENT conn;
    const SECURITYCREDENTIALS *creds;
    DWORD code;
    char message[1100];
    pthread_t thread;
} upgrader;

static void *upgrader_main(void *arg) {
    upgrader *u = arg;
    u->code = InetStartTls(u->conn, 0, u->creds);
    snprintf(u->message, sizeof u->message, "%s", last_message());
    return NULL;
}

/* A plain connection, client by name "localhost"; the server side is FREETHREAD. */
static void plain_pair(HCLIENT *listener, HCLIENT *client, HCLIENT *server, const char *host) {
    *listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    assert_valid_handle(*listener);
    UINT port;
    assert_ok(InetGetLocalAddress(*listener, NULL, NULL, &port));
    *client = InetConnect(host, port, TEST_TIMEOUT, INET_OPTION_NONE, NULL);
    assert_valid_handle(*client);
    *server = InetAccept(*listener, TEST_TIMEOUT, INET_OPTION_FREETHREAD);
    assert_valid_handle(*server);
}

static void test_starttls_upgrade(void **state) {
    (void)state;
    HCLIENT listener, client, server;
    plain_pair(&listener, &client, &server, "localhost");
    char line[128];
    DWORD n;

    /* Plain so far. */
    INETSECURITYINFO info;
    get_info(client, &info);
    assert_int_equal(info.dwProtocol, 0);
    n = sizeof line;
    assert_fails_with(InetGetCertificateInfo(client, 0, INET_CERT_SUBJECT, line, &n),
                      INETKIT_ERROR_SECURITY_NOT_ESTABLISHED);

    assert_ok(InetWriteLine(client, "STARTTLS"));
    assert_ok(InetReadLine(server, line, sizeof line, &n));
    assert_string_equal(line, "STARTTLS");
    assert_ok(InetWriteLine(server, "+OK begin TLS"));
    assert_ok(InetReadLine(client, line, sizeof line, &n));
    assert_string_equal(line, "+OK begin TLS");

    SECURITYCREDENTIALS server_creds, client_creds;
    creds_server(&server_creds, "server");
    creds_client(&client_creds);
    upgrader u = {.conn = server, .creds = &server_creds};
    assert_int_equal(pthread_create(&u.thread, NULL, upgrader_main, &u), 0);
    DWORD rc = InetStartTls(client, 0, &client_creds);
    char message[1100];
    snprintf(message, sizeof message, "%s", last_message());
    pthread_join(u.thread, NULL);
    if (rc != 0) fail_msg("client InetStartTls: %u %s (server: %u %s)", (unsigned)rc, message, (unsigned)u.code, u.message);
    if (u.code != 0) fail_msg("server InetStartTls: %u %s", (unsigned)u.code, u.message);

    get_info(client, &info);
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_3);
    assert_int_equal(info.dwVerifyResult, 0);
    get_info(server, &info);
    assert_int_equal(info.dwProtocol, INET_PROTOCOL_TLS1_3);
    assert_true(info.bLocalCertificate);
    cert_text(client, 0, INET_CERT_SUBJECT, line, sizeof line);
    assert_string_equal(line, "CN=localhost,O=inetkit tests");
    pair_round_trip(client, server);

    /* Already secure. */
    assert_fails_with(InetStartTls(client, 0, &client_creds), INETKIT_ERROR_NOT_SUPPORTED);
    pair_round_trip(client, server);
    InetDisconnect(client);
    InetDisconnect(server);
    InetDisconnect(listener);
}

static void test_starttls_verifies_the_connect_host(void **state) {
    (void)state;
    HCLIENT listener, client, server;
    plain_pair(&listener, &client, &server, "127.0.0.1");
    SECURITYCREDENTIALS server_creds, client_creds;
    creds_server(&server_creds, "wronghost");
    creds_client(&client_creds);
    upgrader u = {.conn = server, .creds = &server_creds};
    assert_int_equal(pthread_create(&u.thread, NULL, upgrader_main, &u), 0);
    DWORD rc = InetStartTls(client, 0, &client_creds);
    DWORD code = InetGetLastError();
    char message[1100];
    snprintf(message, sizeof message, "%s", last_message());
    pthread_join(u.thread, NULL);
    InetDisconnect(client);
    InetDisconnect(server);
    InetDisconnect(listener);
    if (rc != INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH || code != rc)
        fail_msg("InetStartTls to 127.0.0.1 with a wrong.example certificate: %u %s", (unsigned)rc, message);
    assert_int_not_equal(u.code, 0);

    /* The same with lpszVerifyName set to the certificate's name succeeds. */
    plain_pair(&listener, &client, &server, "127.0.0.1");
    client_creds.lpszVerifyName = "wrong.example";
    u = (upgrader){.conn = server, .creds = &server_creds};
    assert_int_equal(pthread_create(&u.thread, NULL, upgrader_main, &u), 0);
    rc = InetStartTls(client, 0, &client_creds);
    snprintf(message, sizeof message, "%s", last_message());
    pthread_join(u.thread, NULL);
    if (rc != 0) fail_msg("InetStartTls with lpszVerifyName: %u %s", (unsigned)rc, message);
    assert_int_equal(u.code, 0);
    pair_round_trip(client, server);
    InetDisconnect(client);
    InetDisconnect(server);
    InetDisconnect(listener);
}

static void wait_available(HCLIENT h, DWORD at_least) {
    DWORD n = 0;
    for (int i = 0; i < 200; ++i) {
        assert_ok(InetGetBytesAvailable(h, &n));
        if (n >= at_least) return;
        sleep_ms(10);
    }
    fail_msg("only %u bytes arrived, expected %u", (unsigned)n, (unsigned)at_least);
}

static void test_starttls_plaintext_injection(void **state) {
    (void)state;
    SECURITYCREDENTIALS client_creds, server_creds;
    creds_client(&client_creds);
    creds_server(&server_creds, "server");
    char line[64];
    DWORD n;

    /* The server's go-ahead with a forged response behind it, in one write. */
    tcp_pair pair;
    open_pair(&pair, 0, 0);
    static const char wire[] = "+OK begin\r\n+OK injected\r\n";
    assert_ok(InetWrite(pair.server, wire, sizeof wire - 1, NULL));
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    assert_string_equal(line, "+OK begin");
    wait_available(pair.client, 14);
    assert_fails_with(InetStartTls(pair.client, 0, &client_creds), INETKIT_ERROR_PLAINTEXT_INJECTION);
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n)); /* still there */
    assert_string_equal(line, "+OK injected");
    sleep_ms(50);
    assert_ok(InetGetBytesAvailable(pair.server, &n));
    assert_int_equal(n, 0); /* no ClientHello went out */
    close_pair(&pair);

    /* A fragment without CR LF counts too. */
    open_pair(&pair, 0, 0);
    assert_ok(InetWrite(pair.server, "+OK begin\r\nSASL PLA", 19, NULL));
    assert_ok(InetReadLine(pair.client, line, sizeof line, &n));
    wait_available(pair.client, 8);
    assert_fails_with(InetStartTls(pair.client, 0, &client_creds), INETKIT_ERROR_PLAINTEXT_INJECTION);
    assert_ok(InetRead(pair.client, line, sizeof line, &n));
    assert_int_equal(n, 8);
    assert_memory_equal(line, "SASL PLA", 8);
    close_pair(&pair);

    /* The server side: a command pipelined behind STARTTLS. */
    open_pair(&pair, 0, 0);
    assert_ok(InetWrite(pair.client, "STARTTLS\r\nQUIT\r\n", 16, NULL));
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_string_equal(line, "STARTTLS");
    wait_available(pair.server, 6);
    assert_fails_with(InetStartTls(pair.server, 0, &server_creds), INETKIT_ERROR_PLAINTEXT_INJECTION);
    assert_ok(InetReadLine(pair.server, line, sizeof line, &n));
    assert_string_equal(line, "QUIT");
    close_pair(&pair);
}

/* ---- PSK ------------------------------------------------------------------------------------------- */

static void test_psk_between_inetkit_ends(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_init(&server);
    server.lpszPskIdentity = PSK_IDENTITY;
    server.lpszPskKey = PSK_KEY;
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    creds_init(&client);
    client.lpszPskIdentity = PSK_IDENTITY;
    client.lpszPskKey = PSK_KEY;
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server);
    INETSECURITYINFO info;
    get_info(p.client, &info);
    assert_true(info.dwProtocol >= INET_PROTOCOL_TLS1_2);
    assert_int_equal(info.dwPeerCertificates, 0);
    close_tls_pair(&p);

    /* The wrong key, and an identity the server does not accept: both refused on both sides. */
    const char *wrong_key = "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    for (int i = 0; i < 2; ++i) {
        creds_init(&client);
        client.lpszPskIdentity = i == 0 ? PSK_IDENTITY : "somebody-else";
        client.lpszPskKey = i == 0 ? wrong_key : PSK_KEY;
        connect_pair(listener, port, "localhost", 0, &client, &p);
        if (p.client != INVALID_CLIENT && p.server != INVALID_CLIENT) {
            close_tls_pair(&p);
            fail_msg("a PSK handshake with the %s succeeded", i == 0 ? "wrong key" : "wrong identity");
        }
        if (p.client == INVALID_CLIENT && p.client_code != INETKIT_ERROR_SECURITY_HANDSHAKE &&
            p.client_code != INETKIT_ERROR_SECURITY_CIPHER && p.client_code != INETKIT_ERROR_SECURITY_CREDENTIALS)
            fail_msg("%s: client failed with %u (%s)", i == 0 ? "wrong key" : "wrong identity",
                     (unsigned)p.client_code, p.client_message);
        assert_true(p.server == INVALID_CLIENT);
        close_tls_pair(&p);
    }
    assert_ok(InetDisconnect(listener));
}

static BOOL INETKIT_CALL psk_lookup(HCLIENT h, LPCSTR identity, LPVOID key, LPDWORD size, LPVOID param) {
    (void)h;
    int *calls = param;
    ++*calls;
    if (strcmp(identity, "alice") != 0 || *size < 32) return FALSE;
    for (int i = 0; i < 32; ++i) ((unsigned char *)key)[i] = (unsigned char)(0xA0 + i);
    *size = 32;
    return TRUE;
}

static void test_psk_server_callback(void **state) {
    (void)state;
    int calls = 0;
    SECURITYCREDENTIALS server, client;
    creds_init(&server);
    server.lpfnPsk = psk_lookup;
    server.lpPskParam = &calls;
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    /* alice's key, as the lookup hands it out. */
    const char *alice_key = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
    creds_init(&client);
    client.lpszPskIdentity = "alice";
    client.lpszPskKey = alice_key;
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server);
    close_tls_pair(&p);
    assert_true(calls >= 1);
    /* An identity the lookup refuses fails on both sides. */
    creds_init(&client);
    client.lpszPskIdentity = "mallory";
    client.lpszPskKey = alice_key;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_true(p.server == INVALID_CLIENT);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));
    /* A client cannot use the lookup. */
    creds_init(&client);
    client.lpfnPsk = psk_lookup;
    assert_fails_with(InetCheckCredentials(&client, FALSE), INETKIT_ERROR_INVALID_PARAMETER);
}

static void test_psk_against_s_server(void **state) {
    (void)state;
    tls_child srv;
    const char *args[] = {"-nocert", "-psk", PSK_KEY, "-psk_identity", PSK_IDENTITY, "-rev", NULL};
    s_server_start(&srv, 1, args);
    SECURITYCREDENTIALS c;
    creds_init(&c);
    c.lpszPskIdentity = PSK_IDENTITY;
    c.lpszPskKey = PSK_KEY;
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    if (h == INVALID_CLIENT) {
        DWORD code = InetGetLastError();
        tls_child_stop(&srv);
        fail_msg("PSK connect to s_server failed: %u %s\n%s", (unsigned)code, last_message(), srv.output);
    }
    rev_round_trip(h, "pre-shared");
    INETSECURITYINFO info;
    get_info(h, &info);
    assert_int_equal(info.dwPeerCertificates, 0);
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);
}

/* ---- session resumption --------------------------------------------------------------------------- */

static int resumed_connection(HCLIENT listener, UINT port, DWORD options, const SECURITYCREDENTIALS *c) {
    tls_pair p;
    connect_pair(listener, port, "localhost", options, c, &p);
    assert_pair_ok(&p);
    pair_round_trip(p.client, p.server); /* the client reads: TLS 1.3 tickets are taken in */
    INETSECURITYINFO info;
    get_info(p.client, &info);
    DWORD server_resumed = 99, client_resumed = 99;
    assert_ok(InetGetSecurityValue(p.client, INET_SECURITY_RESUMED, &client_resumed));
    assert_ok(InetGetSecurityValue(p.server, INET_SECURITY_RESUMED, &server_resumed));
    assert_int_equal(client_resumed, info.bResumed ? 1 : 0);
    assert_int_equal(server_resumed, client_resumed);
    /* A resumed session still knows its peer. */
    assert_int_equal(info.dwVerifyResult, 0);
    if (!(options & INET_OPTION_TRUSTEDSITE)) assert_true(info.dwPeerCertificates >= 1);
    close_tls_pair(&p);
    return info.bResumed ? 1 : 0;
}

static void test_session_resumption(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "server");
    server.lpszCaFile = pki("ca.pem"); /* QUERY by default: a client certificate is welcome */
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    creds_client(&client);
    if (resumed_connection(listener, port, 0, &client)) fail_msg("the very first connection claims to be resumed");
    if (!resumed_connection(listener, port, 0, &client))
        fail_msg("a second connection with the same settings, after the first was closed, was not resumed");

    /* Any change in what is verified, or in who we are, starts afresh. */
    SECURITYCREDENTIALS other = client;
    other.dwVerifyMode = INET_VERIFY_QUERY;
    if (resumed_connection(listener, port, 0, &other)) fail_msg("resumed with another verify mode");
    other = client;
    other.lpszCertificateFile = pki("client.pem");
    other.lpszPrivateKeyFile = pki("client.key");
    if (resumed_connection(listener, port, 0, &other)) fail_msg("resumed with a client certificate added");
    other = client;
    other.dwVerifyDepth = 5;
    if (resumed_connection(listener, port, 0, &other)) fail_msg("resumed with another verify depth");
    other = client;
    other.lpszIgnoreErrors = "10:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
    if (resumed_connection(listener, port, 0, &other)) fail_msg("resumed with an ignore list added");
    if (resumed_connection(listener, port, INET_OPTION_TRUSTEDSITE, &client)) fail_msg("resumed with TRUSTEDSITE");
    assert_ok(InetDisconnect(listener));
}

/* ---- 100 MB ------------------------------------------------------------------------------------------ */

#define BULK_SIZE ((uint64_t)100 * 1000 * 1000)
#define BULK_BLOCK (256 * 1024)

typedef struct {
    HCLIENT conn;
    uint64_t received;
    DWORD code;
    char message[1100];
    unsigned char digest[32];
} bulk_reader;

static void *bulk_reader_main(void *arg) {
    bulk_reader *r = arg;
    unsigned char *buffer = malloc(BULK_BLOCK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while (r->received < BULK_SIZE) {
        DWORD n = 0;
        r->code = InetRead(r->conn, buffer, BULK_BLOCK, &n);
        if (r->code != 0 || n == 0) {
            snprintf(r->message, sizeof r->message, "%s", r->code ? last_message() : "end of stream");
            break;
        }
        EVP_DigestUpdate(ctx, buffer, n);
        r->received += n;
    }
    EVP_DigestFinal_ex(ctx, r->digest, NULL);
    EVP_MD_CTX_free(ctx);
    free(buffer);
    return NULL;
}

static void test_100mb_transfer(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "server");
    creds_client(&client);
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);

    double start = seconds_now();
    bulk_reader r = {.conn = p.server};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, bulk_reader_main, &r), 0);
    unsigned char *block = malloc(BULK_BLOCK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    uint64_t x = 0x9E3779B97F4A7C15ull, sent = 0;
    DWORD rc = 0;
    while (sent < BULK_SIZE && rc == 0) {
        size_t len = BULK_SIZE - sent < BULK_BLOCK ? (size_t)(BULK_SIZE - sent) : BULK_BLOCK;
        for (size_t i = 0; i < len; i += 8) { /* xorshift64: cheap, and no two blocks alike */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            memcpy(block + i, &x, len - i < 8 ? len - i : 8);
        }
        EVP_DigestUpdate(ctx, block, len);
        DWORD written = 0;
        rc = InetWrite(p.client, block, (DWORD)len, &written);
        sent += written;
    }
    char message[1100];
    snprintf(message, sizeof message, "%s", last_message());
    unsigned char digest[32];
    EVP_DigestFinal_ex(ctx, digest, NULL);
    EVP_MD_CTX_free(ctx);
    free(block);
    if (rc != 0) InetCancel(p.server);
    pthread_join(thread, NULL);
    double elapsed = seconds_now() - start;
    if (rc != 0) fail_msg("write failed after %llu bytes: %u %s", (unsigned long long)sent, (unsigned)rc, message);
    if (r.code != 0 || r.received != BULK_SIZE)
        fail_msg("read %llu of %llu bytes: %u %s", (unsigned long long)r.received, (unsigned long long)BULK_SIZE,
                 (unsigned)r.code, r.message);
    assert_memory_equal(digest, r.digest, sizeof digest);
    print_message("100 MB over TLS in %.2f s\n", elapsed);
    assert_true(elapsed < 30.0);
    close_tls_pair(&p);
    assert_ok(InetDisconnect(listener));
}

/* ---- session and certificate details ------------------------------------------------------------- */

static void test_certificate_info(void **state) {
    (void)state;
    SECURITYCREDENTIALS server, client;
    creds_server(&server, "server");
    creds_client(&client);
    UINT port;
    HCLIENT listener = secure_listener(&server, &port);
    tls_pair p;
    connect_pair(listener, port, "localhost", 0, &client, &p);
    assert_pair_ok(&p);
    HCLIENT h = p.client;
    char text[4096];

    cert_text(h, 0, INET_CERT_SUBJECT, text, sizeof text);
    assert_string_equal(text, "CN=localhost,O=inetkit tests");
    cert_text(h, 0, INET_CERT_ISSUER, text, sizeof text);
    assert_string_equal(text, "CN=inetkit Test Intermediate CA,O=inetkit tests");
    cert_text(h, 1, INET_CERT_SUBJECT, text, sizeof text);
    assert_string_equal(text, "CN=inetkit Test Intermediate CA,O=inetkit tests");
    cert_text(h, 1, INET_CERT_ISSUER, text, sizeof text);
    assert_string_equal(text, "CN=inetkit Test Root CA,O=inetkit tests");

    /* Serial: upper-case hex of the file's serial. */
    X509 *leaf = load_cert("server.pem");
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(leaf), NULL);
    char *expected_serial = BN_bn2hex(bn);
    cert_text(h, 0, INET_CERT_SERIAL, text, sizeof text);
    for (const char *s = text; *s; ++s)
        if (!isxdigit((unsigned char)*s) || islower((unsigned char)*s)) fail_msg("serial \"%s\" is not upper-case hex", text);
    const char *a = text, *b = expected_serial;
    while (*a == '0' && a[1]) ++a;
    while (*b == '0' && b[1]) ++b;
    assert_string_equal(a, b);
    OPENSSL_free(expected_serial);
    BN_free(bn);

    /* Dates. */
    cert_text(h, 0, INET_CERT_NOT_AFTER, text, sizeof text);
    assert_string_equal(text, "2045-12-31T23:59:59Z");
    cert_text(h, 0, INET_CERT_NOT_BEFORE, text, sizeof text);
    int y, mo, d, hh, mi, ss;
    char z = 0;
    assert_int_equal(strlen(text), 20);
    assert_int_equal(sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &hh, &mi, &ss, &z), 7);
    assert_int_equal(z, 'Z');
    assert_true(y >= 2024 && y < 2100);

    /* SAN. */
    cert_text(h, 0, INET_CERT_SAN, text, sizeof text);
    const char *san_start = "DNS:localhost,IP:127.0.0.1,IP:";
    if (strncmp(text, san_start, strlen(san_start)) != 0 ||
        (strcmp(text + strlen(san_start), "::1") != 0 && strcmp(text + strlen(san_start), "0:0:0:0:0:0:0:1") != 0))
        fail_msg("SAN \"%s\"", text);
    cert_text(h, 1, INET_CERT_SAN, text, sizeof text);
    assert_string_equal(text, ""); /* the intermediate has none */

    /* Fingerprint. */
    char fingerprint[65];
    file_fingerprint("server.pem", fingerprint);
    cert_text(h, 0, INET_CERT_FINGERPRINT, text, sizeof text);
    assert_string_equal(text, fingerprint);
    file_fingerprint("intermediate.pem", fingerprint);
    cert_text(h, 1, INET_CERT_FINGERPRINT, text, sizeof text);
    assert_string_equal(text, fingerprint);

    /* PEM. */
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, leaf);
    char *pem_data;
    long pem_len = BIO_get_mem_data(bio, &pem_data);
    char *expected_pem = strndup(pem_data, (size_t)pem_len);
    BIO_free(bio);
    strip_trailing_space(expected_pem);
    cert_text(h, 0, INET_CERT_PEM, text, sizeof text);
    strip_trailing_space(text);
    assert_string_equal(text, expected_pem);
    free(expected_pem);

    /* DER: a byte count, no NUL. */
    unsigned char *der = NULL;
    int der_len = i2d_X509(leaf, &der);
    assert_true(der_len > 0);
    DWORD n = 0;
    assert_fails_with(InetGetCertificateInfo(h, 0, INET_CERT_DER, NULL, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(n, der_len);
    unsigned char *got = malloc((size_t)der_len + 1);
    memset(got, 0x5A, (size_t)der_len + 1);
    n = (DWORD)der_len - 1;
    assert_fails_with(InetGetCertificateInfo(h, 0, INET_CERT_DER, got, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(n, der_len);
    assert_int_equal(got[0], 0x5A);
    n = (DWORD)der_len;
    assert_ok(InetGetCertificateInfo(h, 0, INET_CERT_DER, got, &n));
    assert_int_equal(n, der_len);
    assert_memory_equal(got, der, (size_t)der_len);
    free(got);
    OPENSSL_free(der);

    /* Public key pin. */
    char pin[64];
    file_pin("server.pem", pin);
    cert_text(h, 0, INET_CERT_PUBLIC_KEY_PIN, text, sizeof text);
    assert_string_equal(text, pin);
    X509_free(leaf);

    /* Size query of a text field: the length with the NUL; nothing written. */
    n = 0;
    assert_fails_with(InetGetCertificateInfo(h, 0, INET_CERT_SUBJECT, NULL, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(n, strlen("CN=localhost,O=inetkit tests") + 1);
    memset(text, 'Z', 8);
    n = 5;
    assert_fails_with(InetGetCertificateInfo(h, 0, INET_CERT_SUBJECT, text, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(text[0], 'Z');

    /* Out of range: the certificate, the field; no local certificate on this client. */
    n = sizeof text;
    assert_fails_with(InetGetCertificateInfo(h, 2, INET_CERT_SUBJECT, text, &n), INETKIT_ERROR_INVALID_PARAMETER);
    n = sizeof text;
    assert_fails_with(InetGetCertificateInfo(h, 99, INET_CERT_SUBJECT, text, &n), INETKIT_ERROR_INVALID_PARAMETER);
    n = sizeof text;
    assert_fails_with(InetGetCertificateInfo(h, 0, 0, text, &n), INETKIT_ERROR_INVALID_PARAMETER);
    n = sizeof text;
    assert_fails_with(InetGetCertificateInfo(h, 0, 11, text, &n), INETKIT_ERROR_INVALID_PARAMETER);
    n = sizeof text;
    assert_fails_with(InetGetCertificateInfo(h, INET_CERTIFICATE_LOCAL, INET_CERT_SUBJECT, text, &n),
                      INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetCertificateInfo(h, 0, INET_CERT_SUBJECT, text, NULL), INETKIT_ERROR_INVALID_PARAMETER);

    /* The server's own certificate, from its side. */
    cert_text(p.server, INET_CERTIFICATE_LOCAL, INET_CERT_FINGERPRINT, text, sizeof text);
    file_fingerprint("server.pem", fingerprint);
    assert_string_equal(text, fingerprint);

    /* InetGetSecurityInfo / Value. */
    INETSECURITYINFO info;
    get_info(h, &info);
    DWORD value;
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_PROTOCOL, &value));
    assert_int_equal(value, info.dwProtocol);
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_CIPHER_BITS, &value));
    assert_int_equal(value, info.dwCipherBits);
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_RESUMED, &value));
    assert_int_equal(value, info.bResumed ? 1 : 0);
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_VERIFY_RESULT, &value));
    assert_int_equal(value, info.dwVerifyResult);
    assert_ok(InetGetSecurityValue(h, INET_SECURITY_PEER_CERTIFICATES, &value));
    assert_int_equal(value, info.dwPeerCertificates);
    assert_fails_with(InetGetSecurityValue(h, 0, &value), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetSecurityValue(h, 99, &value), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetSecurityValue(h, INET_SECURITY_PROTOCOL, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetSecurityInfo(h, NULL), INETKIT_ERROR_INVALID_PARAMETER);
    INETSECURITYINFO small;
    memset(&small, 0, sizeof small);
    small.dwSize = 4;
    assert_fails_with(InetGetSecurityInfo(h, &small), INETKIT_ERROR_INVALID_PARAMETER);
    assert_fails_with(InetGetSecurityInfo(INVALID_CLIENT, &info), INETKIT_ERROR_INVALID_HANDLE);

    /* Verify errors of a clean connection: empty, with the size-query idiom. */
    n = 0;
    assert_fails_with(InetGetVerifyErrors(h, NULL, &n), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(n, 1);
    close_tls_pair(&p);

    /* A listener's security info is not a session. */
    n = sizeof text;
    DWORD rc = InetGetCertificateInfo(listener, 0, INET_CERT_SUBJECT, text, &n);
    assert_true(rc == INETKIT_ERROR_INVALID_HANDLE || rc == INETKIT_ERROR_SECURITY_NOT_ESTABLISHED);
    assert_ok(InetDisconnect(listener));
}

static void test_public_key_pin(void **state) {
    (void)state;
    tls_child srv;
    const char *args[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem",
                          "-rev", NULL};
    s_server_start(&srv, 4, args);
    char right[64], intermediate[64], list[256];
    file_pin("server.pem", right);
    file_pin("intermediate.pem", intermediate);
    SECURITYCREDENTIALS c;
    creds_client(&c);

    c.lpszPinnedPublicKey = right;
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    if (h == INVALID_CLIENT) fail_msg("the right pin was refused: %u %s", InetGetLastError(), last_message());
    rev_round_trip(h, "pinned");
    assert_ok(InetDisconnect(h));

    c.lpszPinnedPublicKey = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), INETKIT_ERROR_PUBLIC_KEY_MISMATCH);

    snprintf(list, sizeof list, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;%s", right);
    c.lpszPinnedPublicKey = list;
    h = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(h);
    assert_ok(InetDisconnect(h));

    /* A key of the chain that is not the peer's own does not count. */
    c.lpszPinnedPublicKey = intermediate;
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), INETKIT_ERROR_PUBLIC_KEY_MISMATCH);
    tls_child_stop(&srv);
}

/* ---- the verify callback ---------------------------------------------------------------------------- */

struct verify_log {
    BOOL answer;
    int calls;
    HCLIENT handle;
    DWORD error, depth;
    char fingerprint[128];
};

static BOOL INETKIT_CALL record_verify(HCLIENT h, DWORD error, DWORD depth, LPCSTR fingerprint, LPVOID param) {
    struct verify_log *log = param;
    log->calls++;
    log->handle = h;
    log->error = error;
    log->depth = depth;
    snprintf(log->fingerprint, sizeof log->fingerprint, "%s", fingerprint ? fingerprint : "(null)");
    return log->answer;
}

static void test_verify_callback(void **state) {
    (void)state;
    char expired_fp[65];
    file_fingerprint("expired.pem", expired_fp);
    tls_child srv;
    const char *expired[] = {"-cert", "@expired.pem", "-key", "@expired.key", "-cert_chain", "@intermediate.pem",
                             "-rev", NULL};
    s_server_start(&srv, 2, expired);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    struct verify_log log = {.answer = FALSE, .handle = (HCLIENT)1};
    c.lpfnVerify = record_verify;
    c.lpVerifyParam = &log;

    /* Rejecting (first, so that no session exists to resume). */
    assert_connect_fails(tls_connect("localhost", srv.port, 0, &c), INETKIT_ERROR_CERTIFICATE_EXPIRED);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.error, X509_V_ERR_CERT_HAS_EXPIRED);

    /* Accepting. */
    log = (struct verify_log){.answer = TRUE, .handle = (HCLIENT)1};
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    if (h == INVALID_CLIENT) fail_msg("the callback accepted, the connect failed: %u %s", InetGetLastError(), last_message());
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.error, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(log.depth, 0);
    assert_string_equal(log.fingerprint, expired_fp);
    assert_true(log.handle == INVALID_CLIENT); /* inside InetConnect there is no handle yet */
    rev_round_trip(h, "accepted by the callback");
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);

    /* A clean chain never calls it. */
    const char *good[] = {"-cert", "@server.pem", "-key", "@server.key", "-cert_chain", "@intermediate.pem", "-rev", NULL};
    s_server_start(&srv, 1, good);
    log = (struct verify_log){.answer = FALSE};
    h = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(h);
    assert_int_equal(log.calls, 0);
    assert_ok(InetDisconnect(h));
    tls_child_stop(&srv);

    /* In InetStartTls the callback sees the handle. */
    HCLIENT listener, client, server;
    plain_pair(&listener, &client, &server, "localhost");
    SECURITYCREDENTIALS server_creds;
    creds_server(&server_creds, "expired");
    upgrader u = {.conn = server, .creds = &server_creds};
    assert_int_equal(pthread_create(&u.thread, NULL, upgrader_main, &u), 0);
    log = (struct verify_log){.answer = TRUE};
    DWORD rc = InetStartTls(client, 0, &c);
    char message[1100];
    snprintf(message, sizeof message, "%s", last_message());
    pthread_join(u.thread, NULL);
    if (rc != 0) fail_msg("InetStartTls with an accepting callback: %u %s", (unsigned)rc, message);
    assert_int_equal(log.calls, 1);
    assert_true(log.handle == client);
    pair_round_trip(client, server);
    InetDisconnect(client);
    InetDisconnect(server);
    InetDisconnect(listener);
}

/*
 * A session whose certificate passed only because the callback accepted a
 * problem must not be resumed behind the callback's back: the next connection
 * with the same settings, whose callback now refuses, must be refused.
 */
static void test_verify_callback_not_bypassed_by_resumption(void **state) {
    (void)state;
    tls_child srv;
    const char *expired[] = {"-cert", "@expired.pem", "-key", "@expired.key", "-cert_chain", "@intermediate.pem",
                             "-rev", NULL};
    s_server_start(&srv, 2, expired);
    SECURITYCREDENTIALS c;
    creds_client(&c);
    struct verify_log log = {.answer = TRUE};
    c.lpfnVerify = record_verify;
    c.lpVerifyParam = &log;
    HCLIENT h = tls_connect("localhost", srv.port, 0, &c);
    assert_valid_handle(h);
    rev_round_trip(h, "a session to resume"); /* reads: TLS 1.3 tickets are taken in */
    assert_ok(InetDisconnect(h));
    log = (struct verify_log){.answer = FALSE};
    h = tls_connect("localhost", srv.port, 0, &c);
    if (h != INVALID_CLIENT) {
        INETSECURITYINFO info;
        get_info(h, &info);
        InetDisconnect(h);
        tls_child_stop(&srv);
        fail_msg("the callback now refuses the expired certificate, but the connect succeeded "
                 "(resumed: %d, callback calls: %d, verify result %u)", (int)info.bResumed, log.calls,
                 (unsigned)info.dwVerifyResult);
    }
    assert_int_equal(InetGetLastError(), INETKIT_ERROR_CERTIFICATE_EXPIRED);
    assert_int_equal(log.calls, 1);
    tls_child_stop(&srv);
}

int main(void) {
#define TLS_TEST(f) cmocka_unit_test_teardown(f, tls_test_teardown)
    const struct CMUnitTest tests[] = {
        TLS_TEST(test_library_info),
        TLS_TEST(test_check_credentials),
        TLS_TEST(test_bad_credentials_fail_before_traffic),
        TLS_TEST(test_create_and_delete_credentials),
        TLS_TEST(test_s_server_handshake_and_data),
        TLS_TEST(test_protocol_bounds),
        TLS_TEST(test_inetkit_client_and_server),
        TLS_TEST(test_inetkit_server_and_s_client),
        TLS_TEST(test_expired),
        TLS_TEST(test_not_yet_valid),
        TLS_TEST(test_wrong_host),
        TLS_TEST(test_self_signed),
        TLS_TEST(test_unknown_ca),
        TLS_TEST(test_client_only_leaf),
        TLS_TEST(test_F62_intermediate_validity),
        TLS_TEST(test_F62_expired_root),
        TLS_TEST(test_F64_intermediate_not_a_ca),
        TLS_TEST(test_ip_literal_verification),
        TLS_TEST(test_ipv6_literal),
        TLS_TEST(test_verify_name_override),
        TLS_TEST(test_verify_depth),
        TLS_TEST(test_F65_wildcards),
        TLS_TEST(test_F66_host_case_and_trailing_dot),
        TLS_TEST(test_F75_ip_literals),
        TLS_TEST(test_F61_nul_in_san),
        TLS_TEST(test_F71_stale_openssl_error),
        TLS_TEST(test_client_certificate_required),
        TLS_TEST(test_client_certificate_to_s_server),
        TLS_TEST(test_tls10_needs_fallback),
        TLS_TEST(test_starttls_upgrade),
        TLS_TEST(test_starttls_verifies_the_connect_host),
        TLS_TEST(test_starttls_plaintext_injection),
        TLS_TEST(test_psk_between_inetkit_ends),
        TLS_TEST(test_psk_against_s_server),
        TLS_TEST(test_psk_server_callback),
        TLS_TEST(test_session_resumption),
        TLS_TEST(test_100mb_transfer),
        TLS_TEST(test_certificate_info),
        TLS_TEST(test_public_key_pin),
        TLS_TEST(test_verify_callback),
        TLS_TEST(test_verify_callback_not_bypassed_by_resumption),
    };
#undef TLS_TEST
    /* INETKIT_TEST_FILTER=test_expired (a cmocka pattern, * and ?) runs only the matching tests. */
    const char *filter = getenv("INETKIT_TEST_FILTER");
    if (filter != NULL && *filter != '\0') cmocka_set_test_filter(filter);
    return cmocka_run_group_tests_name("inet_tls", tests, tls_group_setup, tls_group_teardown);
}
