/* tlsclient: connect to a TLS server through inetkit's Inet family and show
   what the library knows about the session: protocol, cipher, resumption,
   the verification result and every problem it found, and the server's whole
   certificate chain (subject, issuer, serial, validity, SANs, SHA-256
   fingerprint, public-key pin).

     tlsclient [options] HOST

   The connection verifies the server by default (the system's CAs plus
   --ca, and HOST or --name). When verification fails, the library's error
   is printed, then the certificate is looked at again over a second
   connection in INET_VERIFY_QUERY mode (checked, but not fatal) that sends
   no data, so the problems can be shown in the form lpszIgnoreErrors
   (--ignore) takes. */
#include <inetkit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: tlsclient [options] HOST\n"
            "Connects to HOST with TLS (InetConnect with INET_OPTION_SECURE) and prints the\n"
            "session and the server's certificate chain.\n"
            "  --port N          server port (default 443)\n"
            "  --ca FILE         trust the CAs in this PEM file too, besides the system's\n"
            "  --name NAME       verify the certificate against NAME (also sent as SNI)\n"
            "                    instead of HOST; --sni NAME is the same\n"
            "  --ignore LIST     accept exactly these problems: \"ERROR:FINGERPRINT[,...]\",\n"
            "                    as printed after a failed verification\n"
            "  --trusted-site    do NOT verify the server (its problems are printed, not fatal)\n"
            "  --send TEXT       send TEXT as one line and print the line that comes back\n"
            "  --timeout S       seconds allowed for the connect and each read (default 10)\n"
            "  --pem             also print each certificate in PEM\n"
            "  --resume          connect a second time and show whether the session was resumed\n"
            "                    (TLS 1.3 tickets arrive after the handshake: use with --send)\n"
            "  --help            this text\n"
            "Exit status: 0 connected (and verified, unless --trusted-site), 1 failure, 2 bad usage.\n");
}

/* "INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH" for 277, made from the public error table. */
static const char *error_name(DWORD code) {
    switch (code) {
#define ERROR_NAME_(name, number, text) \
    case number: return "INETKIT_ERROR_" #name;
        INETKIT_ERROR_TABLE(ERROR_NAME_)
#undef ERROR_NAME_
    default: return "unknown error";
    }
}

/* Prints the calling thread's last error: code, name and message. */
static int report(const char *what) {
    DWORD code = InetGetLastError();
    char message[1024];
    DWORD size = sizeof message;
    if (InetGetLastErrorMessage(message, &size) != 0) message[0] = '\0';
    fprintf(stderr, "tlsclient: %s failed: error %u %s: %s\n", what, (unsigned)code, error_name(code), message);
    return 1;
}

static int certificate_error(DWORD code) {
    return (code >= INETKIT_ERROR_CERTIFICATE_UNTRUSTED && code <= INETKIT_ERROR_CERTIFICATE_INVALID) ||
           (code >= INETKIT_ERROR_CERTIFICATE_NOT_YET_VALID && code <= INETKIT_ERROR_PUBLIC_KEY_MISMATCH);
}

/* One field of one certificate, in a buffer from malloc (size-query idiom);
   NULL with the last error set when the library has none. */
static char *certificate_field(HCLIENT h, DWORD index, DWORD field, DWORD *length) {
    DWORD size = 0;
    if (InetGetCertificateInfo(h, index, field, NULL, &size) != INETKIT_ERROR_INSUFFICIENT_BUFFER) return NULL;
    char *value = malloc(size + 1);
    if (!value) return NULL;
    if (InetGetCertificateInfo(h, index, field, value, &size) != 0) {
        free(value);
        return NULL;
    }
    value[size] = '\0'; /* INET_CERT_DER has no NUL of its own */
    if (length) *length = size;
    return value;
}

/* The problems verification found, one per line "ERROR:FINGERPRINT:DEPTH:description";
   NULL when the call failed. */
static char *verify_errors(HCLIENT h) {
    DWORD size = 0;
    if (InetGetVerifyErrors(h, NULL, &size) != INETKIT_ERROR_INSUFFICIENT_BUFFER) return NULL;
    char *text = malloc(size);
    if (text && InetGetVerifyErrors(h, text, &size) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Prints each problem, then the --ignore list that would accept exactly them. */
static void print_problems(HCLIENT h, const char *title) {
    char *text = verify_errors(h);
    if (!text) { report("InetGetVerifyErrors"); return; }
    printf("%s\n", title);
    if (!text[0]) printf("  none\n");
    char ignore[4096] = "";
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        /* ERROR:FINGERPRINT is the part lpszIgnoreErrors takes; DEPTH and the text explain it. */
        char *colon = strchr(line, ':');
        char *second = colon ? strchr(colon + 1, ':') : NULL;
        if (second) {
            char *third = strchr(second + 1, ':');
            printf("  error %.*s at depth %.*s: %s\n      certificate %.*s\n", (int)(colon - line), line,
                   third ? (int)(third - second - 1) : 0, second + 1, third ? third + 1 : "",
                   (int)(second - colon - 1), colon + 1);
            size_t used = strlen(ignore);
            snprintf(ignore + used, sizeof ignore - used, "%s%.*s", used ? "," : "", (int)(second - line), line);
        } else {
            printf("  %s\n", line);
        }
        line = end ? end + 1 : line + strlen(line);
    }
    if (ignore[0])
        printf("  to accept exactly these (and nothing else), once you know why they happen:\n"
               "  --ignore '%s'\n", ignore);
    free(text);
}

static void print_chain(HCLIENT h, DWORD count, int pem) {
    static const struct { DWORD field; const char *label; } fields[] = {
        {INET_CERT_SUBJECT, "subject"},       {INET_CERT_ISSUER, "issuer"},
        {INET_CERT_SERIAL, "serial"},         {INET_CERT_NOT_BEFORE, "not before"},
        {INET_CERT_NOT_AFTER, "not after"},   {INET_CERT_SAN, "names (SAN)"},
        {INET_CERT_FINGERPRINT, "SHA-256"},   {INET_CERT_PUBLIC_KEY_PIN, "key pin"},
    };
    printf("certificate chain: %u certificate%s sent by the server (0 is its own)\n", (unsigned)count,
           count == 1 ? "" : "s");
    for (DWORD i = 0; i < count; ++i) {
        printf("  [%u]\n", (unsigned)i);
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; ++f) {
            char *value = certificate_field(h, i, fields[f].field, NULL);
            /* A certificate without SANs has no such field: say so instead of failing. */
            printf("    %-12s %s\n", fields[f].label, value ? (value[0] ? value : "(none)") : "(not available)");
            free(value);
        }
        DWORD der = 0;
        char *bytes = certificate_field(h, i, INET_CERT_DER, &der);
        if (bytes) printf("    %-12s %u bytes\n", "DER", (unsigned)der);
        free(bytes);
        if (pem) {
            char *text = certificate_field(h, i, INET_CERT_PEM, NULL);
            if (text) printf("%s", text);
            free(text);
        }
    }
}

/* Prints the session's details; returns its INETSECURITYINFO. */
static INETSECURITYINFO print_session(HCLIENT h, int trusted) {
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    if (InetGetSecurityInfo(h, &info) != 0) {
        report("InetGetSecurityInfo");
        return info;
    }
    printf("session: %s, cipher %s (%u bits), %s\n", info.szProtocol, info.szCipher, (unsigned)info.dwCipherBits,
           info.bResumed ? "resumed from an earlier session" : "new session (not resumed)");
    if (trusted)
        printf("verification: SKIPPED (--trusted-site): the server's identity is NOT verified;\n"
               "  OpenSSL's verify result %u, %u problem(s) let through\n",
               (unsigned)info.dwVerifyResult, (unsigned)info.dwVerifyErrors);
    else if (info.dwVerifyErrors == 0)
        printf("verification: ok (verify result %u, no problems)\n", (unsigned)info.dwVerifyResult);
    else
        printf("verification: ok with %u problem(s) accepted by --ignore (verify result %u)\n",
               (unsigned)info.dwVerifyErrors, (unsigned)info.dwVerifyResult);
    return info;
}

static int parse_number(const char *text, unsigned long low, unsigned long high, UINT *out) {
    char *end;
    unsigned long value = strtoul(text, &end, 10);
    if (!*text || *end || text[0] == '-' || value < low || value > high) return 0;
    *out = (UINT)value;
    return 1;
}

int main(int argc, char **argv) {
    UINT port = 443, timeout = 10;
    const char *host = NULL, *ca = NULL, *name = NULL, *ignore = NULL, *send = NULL;
    int trusted = 0, pem = 0, resume = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--port") && more) {
            if (!parse_number(argv[++i], 1, 65535, &port)) {
                fprintf(stderr, "tlsclient: --port needs a number from 1 to 65535, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--timeout") && more) {
            if (!parse_number(argv[++i], 1, 3600, &timeout)) {
                fprintf(stderr, "tlsclient: --timeout needs seconds from 1 to 3600, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--ca") && more) ca = argv[++i];
        else if ((!strcmp(a, "--name") || !strcmp(a, "--sni")) && more) name = argv[++i];
        else if (!strcmp(a, "--ignore") && more) ignore = argv[++i];
        else if (!strcmp(a, "--send") && more) send = argv[++i];
        else if (!strcmp(a, "--trusted-site")) trusted = 1;
        else if (!strcmp(a, "--pem")) pem = 1;
        else if (!strcmp(a, "--resume")) resume = 1;
        else if (a[0] != '-' && !host) host = a;
        else {
            fprintf(stderr, "tlsclient: unexpected argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!host) { usage(stderr); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout in step with the errors on stderr */

    char version[64], openssl[128];
    DWORD size = sizeof version;
    if (InetGetLibraryInfo(INET_LIBRARY_VERSION, version, &size) != 0) strcpy(version, "?");
    size = sizeof openssl;
    if (InetGetLibraryInfo(INET_LIBRARY_OPENSSL_VERSION, openssl, &size) != 0) strcpy(openssl, "?");
    printf("inetkit %s on %s\n", version, openssl);
    if (InetInitialize() != 0) return report("InetInitialize");

    SECURITYCREDENTIALS credentials;
    memset(&credentials, 0, sizeof credentials);
    credentials.dwSize = sizeof credentials;
    credentials.lpszCaFile = ca;
    credentials.lpszVerifyName = name;
    credentials.lpszIgnoreErrors = ignore;
    if (trusted)
        fprintf(stderr, "tlsclient: WARNING: --trusted-site: the server's certificate will NOT be verified;\n"
                        "  anyone between here and %s can read and change this connection\n", host);

    DWORD options = INET_OPTION_SECURE | (trusted ? INET_OPTION_TRUSTEDSITE : 0);
    HCLIENT h = InetConnect(host, port, timeout, options, &credentials);
    if (h == INVALID_CLIENT) {
        DWORD code = InetGetLastError();
        char what[512];
        snprintf(what, sizeof what, "TLS connect to %s port %u", host, port);
        report(what);
        if (certificate_error(code) && !trusted) {
            printf("the certificate, looked at again over a second connection that checks it\n"
                   "without failing (INET_VERIFY_QUERY) and sends no data:\n");
            /* QUERY rather than TRUSTEDSITE: a trusted site skips the name check,
               so a name mismatch would not be listed. */
            SECURITYCREDENTIALS query = credentials;
            query.dwVerifyMode = INET_VERIFY_QUERY;
            HCLIENT look = InetConnect(host, port, timeout, INET_OPTION_SECURE, &query);
            if (look == INVALID_CLIENT) {
                report("second connect");
            } else {
                print_problems(look, "verification problems (ERROR:FINGERPRINT as lpszIgnoreErrors takes them):");
                DWORD count = 0;
                if (InetGetSecurityValue(look, INET_SECURITY_PEER_CERTIFICATES, &count) == 0) print_chain(look, count, pem);
                InetDisconnect(look);
            }
        }
        InetUninitialize();
        return 1;
    }

    int status = 0;
    char address[INET_ADDRESS_BUFFER];
    size = sizeof address;
    UINT peer_port = 0;
    if (InetGetPeerAddress(h, address, &size, &peer_port) == 0)
        printf("connected to %s port %u (address %s)%s%s\n", host, port, address, name ? ", verified as " : "",
               name ? name : "");
    INETSECURITYINFO info = print_session(h, trusted);
    if (trusted || info.dwVerifyErrors) print_problems(h, trusted ? "problems let through:" : "problems accepted:");
    print_chain(h, info.dwPeerCertificates, pem);

    if (send) {
        char reply[4096];
        DWORD length = 0;
        printf("sent:  %s\n", send);
        if (InetWriteLine(h, send) != 0) status = report("InetWriteLine");
        else if (InetReadLine(h, reply, sizeof reply, &length) != 0) status = report("InetReadLine");
        else printf("reply: %s\n", reply);
    }
    InetDisconnect(h);
    /* The library keeps the session (or ticket) of a verified handshake and offers it
       on the next connection to the same peer with the same settings. */
    if (resume && status == 0) {
        printf("second connection:\n");
        h = InetConnect(host, port, timeout, options, &credentials);
        if (h == INVALID_CLIENT) status = report("second TLS connect");
        else {
            print_session(h, trusted);
            InetDisconnect(h);
        }
    }
    InetUninitialize();
    return status;
}
