/* popcheck: connect to a POP3 server with any security mode, log in, list
   unique ids and sizes, show headers, save messages, optionally delete. */
#include <inetkit.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(_WIN32)
#include <direct.h>
#define make_directory(path) _mkdir(path)
#else
#define make_directory(path) mkdir(path, 0777)
#endif

static void usage(FILE *out) {
    fprintf(out,
            "usage: popcheck [options] HOST USER\n"
            "  --port N            server port (default 110, or 995 with --implicit)\n"
            "  --stls | --implicit TLS by STLS (required, never falls back) or from the first byte\n"
            "  --ca FILE           trust this CA file too; --trusted-site skips verification\n"
            "  --auth MECH         default|pass|apop|login|plain|cram-md5|scram-sha-1|scram-sha-256|xoauth2|oauthbearer\n"
            "  --headers N         show the headers of the first N messages (default 3)\n"
            "  --save DIR          save every message into DIR (one file each, complete or absent)\n"
            "  --new SEEN          with --save: only messages whose unique id is not in the file SEEN\n"
            "  --delete            with --save: once every message is saved (with --new, now or\n"
            "                      before), delete them all from the server (committed by QUIT)\n"
            "The password is read from the environment variable POP_PASSWORD.\n"
            "Exit status: 0 success, 1 failure, 2 bad usage.\n");
}

/* "INETKIT_ERROR_AUTH_FAILED" for 702, made from the public error table. */
static const char *error_name(DWORD code) {
    switch (code) {
#define ERROR_NAME_(name, number, text) \
    case number: return "INETKIT_ERROR_" #name;
        INETKIT_ERROR_TABLE(ERROR_NAME_)
#undef ERROR_NAME_
    default: return "unknown error";
    }
}

static int report(const char *what) {
    DWORD code = PopGetLastError();
    char message[1024];
    DWORD size = sizeof message;
    if (PopGetLastErrorMessage(message, &size) != 0) message[0] = '\0';
    fprintf(stderr, "popcheck: %s failed: error %u %s: %s\n", what, (unsigned)code, error_name(code), message);
    return 1;
}

static int parse_number(const char *text, unsigned long low, unsigned long high, UINT *out) {
    char *end;
    unsigned long value = strtoul(text, &end, 10);
    if (!*text || *end || text[0] == '-' || value < low || value > high) return 0;
    *out = (UINT)value;
    return 1;
}

static UINT auth_type(const char *name) {
    static const char *names[] = {"default", "pass", "apop", "login", "plain", "cram-md5",
                                  "scram-sha-1", "scram-sha-256", "xoauth2", "oauthbearer"};
    for (UINT i = 0; i < sizeof names / sizeof names[0]; ++i)
        if (strcmp(name, names[i]) == 0) return i;
    return 99;
}

/* Prints the Subject and From lines of a header block. */
static void show_headers(const char *headers, DWORD size) {
    const char *line = headers, *end = headers + size;
    while (line < end) {
        const char *next = memchr(line, '\n', (size_t)(end - line));
        size_t length = next ? (size_t)(next - line) : (size_t)(end - line);
        if (length && line[length - 1] == '\r') --length;
        if (!strncasecmp(line, "Subject:", 8) || !strncasecmp(line, "From:", 5) || !strncasecmp(line, "Date:", 5))
            printf("      %.*s\n", (int)length, line);
        line = next ? next + 1 : end;
    }
}

int main(int argc, char **argv) {
    UINT port = 0, auth = POP_AUTH_DEFAULT, headers = 3;
    DWORD options = POP_OPTION_NONE;
    const char *ca = NULL, *save = NULL, *seen = NULL, *positional[2] = {NULL, NULL};
    int delete_saved = 0, count = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--port") && more) {
            if (!parse_number(argv[++i], 1, 65535, &port)) {
                fprintf(stderr, "popcheck: --port needs a number from 1 to 65535, not \"%s\"\n", argv[i]);
                return 2;
            }
        }
        else if (!strcmp(a, "--stls")) options |= POP_OPTION_SECURE_EXPLICIT;
        else if (!strcmp(a, "--implicit")) options |= POP_OPTION_SECURE_IMPLICIT;
        else if (!strcmp(a, "--trusted-site")) options |= POP_OPTION_TRUSTEDSITE;
        else if (!strcmp(a, "--ca") && more) ca = argv[++i];
        else if (!strcmp(a, "--auth") && more) { if ((auth = auth_type(argv[++i])) == 99) { usage(stderr); return 2; } }
        else if (!strcmp(a, "--headers") && more) {
            if (!parse_number(argv[++i], 0, 1000000, &headers)) {
                fprintf(stderr, "popcheck: --headers needs a number, not \"%s\"\n", argv[i]);
                return 2;
            }
        }
        else if (!strcmp(a, "--save") && more) save = argv[++i];
        else if (!strcmp(a, "--new") && more) seen = argv[++i];
        else if (!strcmp(a, "--delete")) delete_saved = 1;
        else if (a[0] != '-' && count < 2) positional[count++] = a;
        else { usage(stderr); return 2; }
    }
    const char *password = getenv("POP_PASSWORD");
    if (count != 2 || !password || (seen && !save) || (delete_saved && !save)) { usage(stderr); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout in step with the errors on stderr */
    if (save && make_directory(save) != 0 && errno != EEXIST) {
        fprintf(stderr, "popcheck: cannot create the directory %s: %s\n", save, strerror(errno));
        return 1;
    }

    if (PopInitialize() != 0) return report("PopInitialize");
    SECURITYCREDENTIALS credentials;
    memset(&credentials, 0, sizeof credentials);
    credentials.dwSize = sizeof credentials;
    credentials.lpszCaFile = ca;
    int secure = (options & (POP_OPTION_SECURE_EXPLICIT | POP_OPTION_SECURE_IMPLICIT)) != 0;
    HCLIENT pop = PopConnect(positional[0], port, 10, options, secure ? &credentials : NULL);
    if (pop == INVALID_CLIENT) return report("PopConnect");
    int status = 0;
    INETSECURITYINFO info;
    info.dwSize = sizeof info;
    if (PopGetSecurityInfo(pop, &info) == 0 && info.dwProtocol)
        printf("connected with %s, %s; server certificate verified%s\n", info.szProtocol, info.szCipher,
               (options & POP_OPTION_TRUSTEDSITE) ? " (not: trusted site)" : "");
    else
        printf("connected in plaintext\n");
    char text[4096];
    DWORD size = sizeof text;
    if (PopGetCapability(pop, "SASL", text, &size) == 0) printf("SASL mechanisms: %s\n", text);
    if (PopLogin(pop, auth, positional[1], password) != 0) {
        status = report("PopLogin");
        goto done;
    }
    DWORD messages = 0;
    ULONGLONG octets = 0;
    if (PopGetMessageCount(pop, &messages, &octets) != 0 || PopListMessages(pop, &messages) != 0) {
        status = report("listing");
        goto done;
    }
    printf("%u messages, %llu octets\n", (unsigned)messages, (unsigned long long)octets);
    for (DWORD n = 1; n <= messages; ++n) {
        POPMESSAGEINFO message;
        message.dwSize = sizeof message;
        if (PopGetMessageInfo(pop, n, &message) != 0) { status = report("PopGetMessageInfo"); goto done; }
        printf("  %4u  %10llu  %s\n", (unsigned)n, (unsigned long long)message.ullOctets, message.szUid);
        if (n <= headers) {
            DWORD length = 0;
            PopGetMessageHeaders(pop, n, NULL, &length); /* size query: the headers are kept */
            char *block = malloc(length ? length : 1);
            if (block && PopGetMessageHeaders(pop, n, block, &length) == 0) show_headers(block, length);
            else status = report("PopGetMessageHeaders");
            free(block);
        }
    }
    if (save) {
        DWORD stored = 0;
        DWORD rc = seen ? PopStoreNewMessages(pop, seen, save, &stored) : PopStoreMessages(pop, NULL, 0, save, &stored);
        printf("saved %u message(s) into %s\n", (unsigned)stored, save);
        if (rc != 0) { status = report("storing"); goto done; }
        /* Storing succeeded: every message is now on disk (with --new, saved now or
           in an earlier run, as the seen file records), so all of them may go. */
        if (delete_saved && messages > 0) {
            DWORD deleted = 0;
            DWORD *all = malloc(messages * sizeof *all);
            if (!all) { fprintf(stderr, "popcheck: out of memory\n"); status = 1; goto done; }
            for (DWORD n = 0; n < messages; ++n) all[n] = n + 1;
            if (PopDeleteMessages(pop, all, messages, &deleted) != 0) status = report("PopDeleteMessages");
            printf("deleted %u message(s)\n", (unsigned)deleted);
            free(all);
        }
    }
    if (PopQuit(pop) != 0 && status == 0) status = report("PopQuit");
done:
    PopDisconnect(pop);
    PopUninitialize();
    return status;
}
