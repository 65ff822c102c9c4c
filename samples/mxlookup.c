/* mxlookup: where does mail for an address or a domain go? Prints the whole
   delivery plan inetkit's Mx family finds for each name: the exchangers in
   the order to try them, with preference, TTL and flags, optionally their
   addresses, or the error and its message.

     mxlookup [options] NAME...      NAME: user@example.com, example.com,
                                     bücher.example, user@[192.0.2.1], ...
     mxlookup [options] -f FILE      one name a line ("-" reads stdin)

   Synchronously (the default), MxResolve blocks for each name in turn.
   With --async the handle's Timeout is 0: every name is submitted at once
   and the results are taken, in the order they finish, with MxGetNextResult
   (pull style; the callback style is shown in a comment at the end). */
#include <inetkit.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: mxlookup [options] NAME...\n"
            "       mxlookup [options] -f FILE\n"
            "Finds the mail exchangers of each NAME: an address (user@example.com,\n"
            "user@[192.0.2.1], user@[IPv6:2001:db8::1]) or a domain, internationalised\n"
            "names included, and prints the delivery plan in the order to try it.\n"
            "  --server ADDR[:PORT]  DNS server(s) to ask, comma-separated (\"127.0.0.1:5300\",\n"
            "                        \"[::1]:53\"); default: those of /etc/resolv.conf\n"
            "  --port N              port of the servers given without one (default 53)\n"
            "  --async               submit every name at once, print results as they finish\n"
            "  --addresses           also look up each exchanger's A and AAAA addresses\n"
            "  --timeout S           seconds allowed for each name (default 10)\n"
            "  --seed N              repeatable order among equal preferences (0, the default: random)\n"
            "  --config NAME=VALUE   any other MxConfig setting (repeatable), e.g. ImplicitMX=off\n"
            "  -f FILE               read names from FILE, one a line (\"-\": stdin; blank lines\n"
            "                        and lines starting with # are skipped)\n"
            "  --help                this text\n"
            "Exit status: 0 every name resolved, 1 some failed, 2 bad usage.\n");
}

/* "INETKIT_ERROR_HOST_NOT_FOUND" for 11001, made from the public error table. */
static const char *error_name(DWORD code) {
    switch (code) {
#define ERROR_NAME_(name, number, text) \
    case number: return "INETKIT_ERROR_" #name;
        INETKIT_ERROR_TABLE(ERROR_NAME_)
#undef ERROR_NAME_
    default: return "unknown error";
    }
}

/* The RCODE names of MXRESULT.dwStatusCode (MXRECORD carries them in szDescription). */
static const char *rcode_text(DWORD status) {
    static const char *names[] = {"Ok", "Format error", "Server failure", "Name error", "Not implemented", "Refused"};
    if (status == MX_STATUS_NO_ANSWER) return "no answer";
    return status < sizeof names / sizeof names[0] ? names[status] : "other RCODE";
}

/* The message of the last failed call on this thread (read it before the next call). */
static const char *last_error_message(char *buffer, DWORD size) {
    if (MxGetLastErrorMessage(buffer, &size) != 0) buffer[0] = '\0';
    return buffer;
}

/* Prints the current result of the handle: the plan, or why there is none. */
static int print_result(HCLIENT mx, const char *name) {
    MXRESULT result;
    memset(&result, 0, sizeof result);
    result.dwSize = sizeof result;
    if (MxGetResult(mx, &result) != 0) {
        char message[512];
        printf("%s\n  no result: %s\n\n", name, last_error_message(message, sizeof message));
        return 1;
    }
    printf("%s\n", name);
    if (strcmp(name, result.szDomain) != 0) printf("  domain: %s\n", result.szDomain);
    if (result.dwFlags & MX_RESULT_CNAME) printf("  alias of: %s\n", result.szCanonicalName);
    if (result.dwError != 0) {
        printf("  FAILED: error %u %s (RCODE %s)\n  %s\n\n", (unsigned)result.dwError,
               error_name(result.dwError), rcode_text(result.dwStatusCode), result.szStatus);
        return 1;
    }
    printf("  %u exchanger%s, ", (unsigned)result.dwCount, result.dwCount == 1 ? "" : "s");
    if (result.szDnsServer[0])
        printf("answer from %s (%sRCODE %s)", result.szDnsServer,
               (result.dwFlags & MX_RESULT_AUTHORITATIVE) ? "authoritative, " : "", rcode_text(result.dwStatusCode));
    else
        printf("no DNS query needed");
    printf(", %u ms\n", (unsigned)result.dwElapsed);
    if (result.dwFlags & MX_RESULT_TRUNCATED) printf("  the UDP answer was truncated; fetched again over TCP\n");
    if (result.dwFlags & MX_RESULT_RECORDS_DROPPED)
        printf("  some exchangers were left out: invalid host names, or more than MaxRecords\n");
    for (DWORD i = 0; i < result.dwCount; ++i) {
        MXRECORD record;
        memset(&record, 0, sizeof record);
        record.dwSize = sizeof record;
        if (MxGetRecord(mx, i, &record) != 0) {
            char message[512];
            printf("  #%u: %s\n", (unsigned)i + 1, last_error_message(message, sizeof message));
            continue;
        }
        printf("  #%-2u preference %-5u ttl %-7u %s  %s", (unsigned)i + 1, (unsigned)record.dwPrecedence,
               (unsigned)record.dwTimeToLive, record.bAuthoritative ? "AA" : "--", record.szMailServer);
        if (record.dwFlags & MX_RECORD_IMPLICIT) printf("  [implicit: the domain itself, it has no MX]");
        if (record.dwFlags & MX_RECORD_LITERAL) printf("  [literal: no lookup]");
        if (record.dwFlags & MX_RECORD_ALIAS) printf("  [alias: a CNAME, which RFC 2181 forbids here]");
        if (record.dwFlags & MX_RECORD_NO_ADDRESS) printf("  [no address]");
        printf("\n");
        for (DWORD a = 0; a < record.dwAddressCount; ++a) {
            MXADDRESS address;
            memset(&address, 0, sizeof address);
            address.dwSize = sizeof address;
            if (MxGetRecordAddress(mx, i, a, &address) == 0)
                printf("        IPv%u %-39s ttl %u\n", (unsigned)address.dwFamily, address.szAddress,
                       (unsigned)address.dwTimeToLive);
        }
    }
    printf("\n");
    return 0;
}

/* ---- the names ------------------------------------------------------------ */

struct names {
    char **items;
    size_t count, capacity;
};

static int add_name(struct names *names, const char *text) {
    if (names->count == names->capacity) {
        size_t capacity = names->capacity ? names->capacity * 2 : 16;
        char **grown = realloc(names->items, capacity * sizeof *grown);
        if (!grown) return 0;
        names->items = grown;
        names->capacity = capacity;
    }
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    if (!copy) return 0;
    memcpy(copy, text, size);
    names->items[names->count++] = copy;
    return 1;
}

static int read_names(struct names *names, const char *path) {
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!file) {
        fprintf(stderr, "mxlookup: %s: %s\n", path, strerror(errno));
        return 0;
    }
    char line[1024];
    int ok = 1;
    while (ok && fgets(line, sizeof line, file)) {
        char *start = line, *end = line + strcspn(line, "\r\n");
        *end = '\0';
        while (*start == ' ' || *start == '\t') ++start;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (*start && *start != '#') ok = add_name(names, start);
    }
    if (file != stdin) fclose(file);
    return ok;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv) {
    const char *server = NULL, *configs[32];
    unsigned long port = 0, timeout = 10, seed = 0;
    int async = 0, addresses = 0, have_seed = 0, nconfigs = 0;
    struct names names = {NULL, 0, 0};
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--server") && more) server = argv[++i];
        else if (!strcmp(a, "--port") && more) {
            port = strtoul(argv[++i], &end, 10);
            if (*end || port < 1 || port > 65535) { fprintf(stderr, "mxlookup: --port takes 1-65535\n"); return 2; }
        } else if (!strcmp(a, "--timeout") && more) {
            timeout = strtoul(argv[++i], &end, 10);
            if (*end || timeout < 1 || timeout > 3600) { fprintf(stderr, "mxlookup: --timeout takes 1-3600 seconds\n"); return 2; }
        } else if (!strcmp(a, "--seed") && more) {
            seed = strtoul(argv[++i], &end, 10);
            if (*end || seed > 0xFFFFFFFFul) { fprintf(stderr, "mxlookup: --seed takes a number\n"); return 2; }
            have_seed = 1;
        } else if (!strcmp(a, "--config") && more) {
            if (nconfigs == 32) { fprintf(stderr, "mxlookup: too many --config\n"); return 2; }
            configs[nconfigs++] = argv[++i];
        } else if (!strcmp(a, "--async")) async = 1;
        else if (!strcmp(a, "--addresses")) addresses = 1;
        else if (!strcmp(a, "-f") && more) { if (!read_names(&names, argv[++i])) return 2; }
        else if (!strcmp(a, "--")) { while (++i < argc) add_name(&names, argv[i]); }
        else if (a[0] != '-' || !a[1]) add_name(&names, a);
        else { fprintf(stderr, "mxlookup: unknown or incomplete option %s\n", a); usage(stderr); return 2; }
    }
    if (names.count == 0) { fprintf(stderr, "mxlookup: no name to look up\n"); usage(stderr); return 2; }

    char message[512];
    if (MxInitialize() != 0) {
        fprintf(stderr, "mxlookup: MxInitialize: %s\n", last_error_message(message, sizeof message));
        return 1;
    }
    HCLIENT mx = MxCreate(MX_OPTION_NONE);
    if (mx == INVALID_CLIENT) {
        fprintf(stderr, "mxlookup: MxCreate: %s\n", last_error_message(message, sizeof message));
        MxUninitialize();
        return 1;
    }
    /* The settings. A refusal here is a usage error: say which option and why. */
    char setting[64];
    const char *refused = NULL;
    if (port && MxSetDnsPort(mx, (UINT)port) != 0) refused = "--port";
    else if (server && MxSetDnsServer(mx, server) != 0) refused = "--server";
    else if (addresses && MxConfig(mx, "ResolveAddresses=on") != 0) refused = "--addresses";
    snprintf(setting, sizeof setting, "ShuffleSeed=%lu", seed);
    if (!refused && have_seed && MxConfig(mx, setting) != 0) refused = "--seed";
    char label[300];
    for (int c = 0; !refused && c < nconfigs; ++c)
        if (MxConfig(mx, configs[c]) != 0) {
            snprintf(label, sizeof label, "--config %s", configs[c]);
            refused = label;
        }
    /* Synchronous: Timeout bounds each MxResolve. Asynchronous: Timeout 0 makes
       MxResolve queue the request, and AbsoluteTimeout bounds each request. */
    snprintf(setting, sizeof setting, "AbsoluteTimeout=%lu", timeout * 1000);
    if (!refused && MxSetTimeout(mx, async ? 0 : (UINT)timeout) != 0) refused = "--timeout";
    if (!refused && async && MxConfig(mx, setting) != 0) refused = "--timeout";
    if (refused) {
        fprintf(stderr, "mxlookup: %s: %s\n", refused, last_error_message(message, sizeof message));
        MxDestroy(mx);
        MxUninitialize();
        return 2;
    }
    DWORD length = sizeof message;
    if (MxGetDnsServer(mx, message, &length) == 0)
        printf("; DNS server%s: %s%s\n\n", strchr(message, ',') ? "s" : "", message[0] ? message : "(none found)",
               async ? "; asynchronous, results in the order they finish" : "");

    int failed = 0;
    if (!async) {
        for (size_t i = 0; i < names.count; ++i) {
            /* A refusal before anything is sent (a malformed name, no DNS server)
               makes no result; the request's own outcome is the current result. */
            DWORD next_id = 0;
            MxGetRequestId(mx, &next_id);
            DWORD rc = MxResolve(mx, names.items[i], NULL);
            if (rc != 0) last_error_message(message, sizeof message);
            MXRESULT result;
            memset(&result, 0, sizeof result);
            result.dwSize = sizeof result;
            if (rc != 0 && (MxGetResult(mx, &result) != 0 || result.dwRequestId != next_id)) {
                printf("%s\n  REFUSED: error %u %s\n  %s\n\n", names.items[i], (unsigned)rc, error_name(rc), message);
                failed = 1;
                continue;
            }
            failed |= print_result(mx, names.items[i]);
        }
    } else {
        /* Submit everything: MxResolve only queues the request and gives its id. */
        struct sent { DWORD id; size_t index; } *sent = malloc(names.count * sizeof *sent);
        size_t nsent = 0, pending = 0;
        if (!sent) { fprintf(stderr, "mxlookup: out of memory\n"); return 1; }
        for (size_t i = 0; i < names.count; ++i) {
            DWORD id = 0, rc = MxResolve(mx, names.items[i], &id);
            if (rc != 0) { /* refused before anything was sent: no result will come */
                printf("%s\n  REFUSED: error %u %s\n  %s\n\n", names.items[i], (unsigned)rc, error_name(rc),
                       last_error_message(message, sizeof message));
                failed = 1;
                continue;
            }
            sent[nsent].id = id;
            sent[nsent++].index = i;
        }
        /* Collect: each MxGetNextResult makes one finished request current (the
           network is processed inside the call). Ids only grow: binary search. */
        for (pending = nsent; pending > 0; --pending) {
            DWORD id = 0, error = 0;
            DWORD rc = MxGetNextResult(mx, (DWORD)(timeout * 1000 + 5000), &id, &error);
            if (rc != 0) { /* INETKIT_ERROR_NOT_FOUND: nothing left in flight; TIMED_OUT */
                fprintf(stderr, "mxlookup: MxGetNextResult: error %u %s: %s\n", (unsigned)rc, error_name(rc),
                        last_error_message(message, sizeof message));
                break;
            }
            size_t low = 0, high = nsent;
            while (low < high) {
                size_t middle = low + (high - low) / 2;
                if (sent[middle].id < id) low = middle + 1;
                else high = middle;
            }
            const char *name = low < nsent && sent[low].id == id ? names.items[sent[low].index] : "(unknown request)";
            failed |= print_result(mx, name);
        }
        if (pending > 0) {
            fprintf(stderr, "mxlookup: %u request(s) without a result\n", (unsigned)pending);
            failed = 1;
        }
        free(sent);
    }
    /*
     * The callback style, instead of MxGetNextResult: register both callbacks
     * before the MxResolve calls, then let MxWait fire them.
     *
     *   static void INETKIT_CALL on_record(HCLIENT h, const MXRECORD *r, const MXADDRESS *a, LPVOID p) {
     *       // once per exchanger, in order: r->dwRequestId, r->dwIndex of r->dwCount,
     *       // r->szDomain, r->szMailServer, r->dwPrecedence, a[0 .. r->dwAddressCount-1]
     *   }
     *   static void INETKIT_CALL on_error(HCLIENT h, DWORD id, LPCSTR domain, DWORD error,
     *                                     DWORD status, LPCSTR text, LPVOID p) {
     *       // once for a request that failed
     *   }
     *   MxSetResponseCallback(mx, on_record, context);
     *   MxSetErrorCallback(mx, on_error, context);
     *   for (...) MxResolve(mx, name, &id);
     *   MxWait(mx, MX_WAIT_INFINITE);  // or MxDoEvents(mx, 0) from an event loop
     *                                  // that polls MxGetEventDescriptor
     */

    MxDestroy(mx);
    MxUninitialize();
    for (size_t i = 0; i < names.count; ++i) free(names.items[i]);
    free(names.items);
    return failed ? 1 : 0;
}
