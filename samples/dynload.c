/* dynload: use libinetkit without linking it. The library is opened at run
   time (dlopen, or LoadLibrary on Windows: the same source, behind the small
   shim below) and each function this program calls is looked up by name,
   as a plug-in host or a language binding would. inetkit.h is included only
   for its types and constants; nothing in this file calls an inetkit
   function by its own name, so the linker never needs the library.

     dynload [--library PATH] [--pop HOST:PORT --user U [--stls] [--ca FILE]]
             [--domain NAME [--dns IP:PORT]]

   With --pop it runs one POP3 session (connect, login, STAT, LIST and UIDL
   of the first messages, QUIT); with --domain one MX lookup. With neither it
   only loads the library, resolves every function and prints the versions. */
#include <inetkit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the platform shim: open a library, find a function, say why not ---- */

typedef void (*generic_function)(void); /* any function pointer converts to and from this type */

#if defined(_WIN32)
typedef HMODULE library_handle;
#define DEFAULT_LIBRARY "inetkit.dll"
static library_handle library_open(const char *path) { return LoadLibraryA(path); }
static generic_function library_function(library_handle library, const char *name) {
    return (generic_function)GetProcAddress(library, name);
}
static void library_close(library_handle library) { FreeLibrary(library); }
static const char *library_error(void) {
    static char text[64];
    snprintf(text, sizeof text, "Windows error %lu", (unsigned long)GetLastError());
    return text;
}
#else
#include <dlfcn.h>
typedef void *library_handle;
#define DEFAULT_LIBRARY "libinetkit.so.1"
static library_handle library_open(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static generic_function library_function(library_handle library, const char *name) {
    /* POSIX guarantees that dlsym's void * holds a function's address; copying
       the bytes avoids the object-to-function pointer cast ISO C leaves undefined. */
    _Static_assert(sizeof(void *) == sizeof(generic_function), "function and data pointers differ in size");
    void *address = dlsym(library, name);
    generic_function function = NULL;
    if (address) memcpy(&function, &address, sizeof function);
    return function;
}
static void library_close(library_handle library) { dlclose(library); }
static const char *library_error(void) {
    const char *text = dlerror();
    return text ? text : "unknown reason";
}
#endif

/* ---- the functions used, each with the signature of its header ---------- */

#define INETKIT_FUNCTIONS(X) \
    X(DWORD, InetGetVersion, (void)) \
    X(DWORD, InetGetLibraryInfo, (DWORD, LPSTR, LPDWORD)) \
    X(DWORD, PopInitialize, (void)) \
    X(DWORD, PopUninitialize, (void)) \
    X(DWORD, PopGetLastError, (void)) \
    X(DWORD, PopGetLastErrorMessage, (LPSTR, LPDWORD)) \
    X(HCLIENT, PopConnect, (LPCSTR, UINT, UINT, DWORD, LPCSECURITYCREDENTIALS)) \
    X(DWORD, PopGetSecurityInfo, (HCLIENT, INETSECURITYINFO *)) \
    X(DWORD, PopLogin, (HCLIENT, UINT, LPCSTR, LPCSTR)) \
    X(DWORD, PopGetMessageCount, (HCLIENT, LPDWORD, ULONGLONG *)) \
    X(DWORD, PopListMessages, (HCLIENT, LPDWORD)) \
    X(DWORD, PopGetMessageInfo, (HCLIENT, DWORD, POPMESSAGEINFO *)) \
    X(DWORD, PopGetLastReply, (HCLIENT, LPBOOL, LPSTR, LPDWORD)) \
    X(DWORD, PopQuit, (HCLIENT)) \
    X(DWORD, PopDisconnect, (HCLIENT)) \
    X(DWORD, MxInitialize, (void)) \
    X(DWORD, MxUninitialize, (void)) \
    X(DWORD, MxGetLastError, (void)) \
    X(DWORD, MxGetLastErrorMessage, (LPSTR, LPDWORD)) \
    X(HCLIENT, MxCreate, (DWORD)) \
    X(DWORD, MxSetDnsServer, (HCLIENT, LPCSTR)) \
    X(DWORD, MxResolve, (HCLIENT, LPCSTR, LPDWORD)) \
    X(DWORD, MxGetResult, (HCLIENT, MXRESULT *)) \
    X(DWORD, MxGetRecord, (HCLIENT, DWORD, MXRECORD *)) \
    X(DWORD, MxDestroy, (HCLIENT))

/* One pointer per function, named after it: ik.PopConnect(...). */
static struct {
#define FIELD_(type, name, parameters) type(INETKIT_CALL *name) parameters;
    INETKIT_FUNCTIONS(FIELD_)
#undef FIELD_
} ik;

/* Resolves every function; names each one the library lacks. Returns how many are missing. */
static int resolve_all(library_handle library, const char *path) {
    int missing = 0;
    generic_function function;
#define RESOLVE_(type, name, parameters) \
    if ((function = library_function(library, #name)) != NULL) \
        ik.name = (type(INETKIT_CALL *) parameters)function; \
    else { \
        fprintf(stderr, "dynload: %s has no function %s: %s\n", path, #name, library_error()); \
        ++missing; \
    }
    INETKIT_FUNCTIONS(RESOLVE_)
#undef RESOLVE_
    return missing;
}

/* ---- reporting -------------------------------------------------------------- */

/* "INETKIT_ERROR_AUTH_FAILED" for 702, from the header's error table. */
static const char *error_name(DWORD code) {
    switch (code) {
#define ERROR_NAME_(name, number, text) \
    case number: return "INETKIT_ERROR_" #name;
        INETKIT_ERROR_TABLE(ERROR_NAME_)
#undef ERROR_NAME_
    default: return "unknown error";
    }
}

static int report(const char *what, DWORD code, DWORD (INETKIT_CALL *get_message)(LPSTR, LPDWORD)) {
    char message[1024];
    DWORD size = sizeof message;
    if (get_message(message, &size) != 0) message[0] = '\0';
    fprintf(stderr, "dynload: %s failed: error %u %s: %s\n", what, (unsigned)code, error_name(code), message);
    return 1;
}
#define POP_FAILED(what) report(what, ik.PopGetLastError(), ik.PopGetLastErrorMessage)
#define MX_FAILED(what) report(what, ik.MxGetLastError(), ik.MxGetLastErrorMessage)

static void usage(FILE *out) {
    fprintf(out,
            "usage: dynload [options]\n"
            "Loads libinetkit at run time (dlopen/LoadLibrary), resolves each function it uses\n"
            "by name, then runs the parts whose options are given.\n"
            "  --library PATH   the library to load (default " DEFAULT_LIBRARY ", found by the\n"
            "                   system's search rules)\n"
            "POP3 session (connect, login, STAT, LIST and UIDL of the first 5, QUIT):\n"
            "  --pop HOST:PORT  the server (\"[::1]:110\" for IPv6; without :PORT, 110)\n"
            "  --user NAME      the user; the password comes from the environment variable POP_PASSWORD\n"
            "  --stls           secure the session with STLS (required: never falls back to plaintext)\n"
            "  --ca FILE        trust the CAs in this PEM file too\n"
            "MX lookup:\n"
            "  --domain NAME    the domain or address to look up\n"
            "  --dns IP:PORT    the DNS server to ask (default: the system's)\n"
            "  --help           this text\n"
            "Exit status: 0 success, 1 failure (library or function missing, a part failed), 2 bad usage.\n");
}

/* Splits "host:port", "[v6]:port" or "host" into host and port (0 when absent); 0 on bad input. */
static int split_host_port(const char *text, char *host, size_t size, UINT *port) {
    const char *colon = NULL, *start = text, *end;
    if (text[0] == '[') {
        start = text + 1;
        end = strchr(start, ']');
        if (!end || (end[1] && end[1] != ':')) return 0;
        if (end[1] == ':') colon = end + 1;
    } else {
        colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':')) return 0; /* an IPv6 address needs its brackets */
        end = colon ? colon : text + strlen(text);
    }
    if (end == start || (size_t)(end - start) >= size) return 0;
    memcpy(host, start, (size_t)(end - start));
    host[end - start] = '\0';
    *port = 0;
    if (colon) {
        char *rest;
        unsigned long value = strtoul(colon + 1, &rest, 10);
        if (!colon[1] || *rest || colon[1] == '-' || value < 1 || value > 65535) return 0;
        *port = (UINT)value;
    }
    return 1;
}

/* ---- the two parts -------------------------------------------------------------- */

static int pop_session(const char *host, UINT port, const char *user, const char *password, int stls,
                       const char *ca) {
    printf("POP3: %s port %u%s\n", host, port ? port : POP_PORT, stls ? ", STLS" : ", plaintext");
    if (ik.PopInitialize() != 0) return POP_FAILED("PopInitialize");
    SECURITYCREDENTIALS credentials;
    memset(&credentials, 0, sizeof credentials);
    credentials.dwSize = sizeof credentials;
    credentials.lpszCaFile = ca;
    HCLIENT pop = ik.PopConnect(host, port, 10, stls ? POP_OPTION_SECURE_EXPLICIT : POP_OPTION_NONE,
                                stls ? &credentials : NULL);
    if (pop == INVALID_CLIENT) {
        POP_FAILED("PopConnect");
        ik.PopUninitialize();
        return 1;
    }
    int status = 0;
    INETSECURITYINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    if (ik.PopGetSecurityInfo(pop, &info) == 0 && info.dwProtocol)
        printf("  secured with %s, %s; server certificate verified\n", info.szProtocol, info.szCipher);
    DWORD count = 0, listed = 0;
    ULONGLONG octets = 0;
    if (ik.PopLogin(pop, POP_AUTH_DEFAULT, user, password) != 0) {
        status = POP_FAILED("PopLogin");
        goto done;
    }
    printf("  logged in as %s\n", user);
    if (ik.PopGetMessageCount(pop, &count, &octets) != 0) {
        status = POP_FAILED("STAT");
        goto done;
    }
    printf("  STAT: %u messages, %llu octets\n", (unsigned)count, (unsigned long long)octets);
    if (ik.PopListMessages(pop, &listed) != 0) {
        status = POP_FAILED("LIST and UIDL");
        goto done;
    }
    for (DWORD n = 1; n <= listed && n <= 5; ++n) {
        POPMESSAGEINFO message;
        memset(&message, 0, sizeof message);
        message.dwSize = sizeof message;
        if (ik.PopGetMessageInfo(pop, n, &message) != 0) {
            status = POP_FAILED("PopGetMessageInfo");
            goto done;
        }
        printf("  %4u  %8llu octets  uid %s\n", (unsigned)n, (unsigned long long)message.ullOctets, message.szUid);
    }
    if (ik.PopQuit(pop) != 0) {
        status = POP_FAILED("QUIT");
        goto done;
    }
    char reply[512];
    DWORD size = sizeof reply;
    BOOL ok = FALSE;
    if (ik.PopGetLastReply(pop, &ok, reply, &size) == 0) printf("  QUIT: %s\n", reply);
done:
    ik.PopDisconnect(pop);
    ik.PopUninitialize();
    return status;
}

static int mx_lookup(const char *domain, const char *dns) {
    printf("MX: %s%s%s\n", domain, dns ? " asking " : "", dns ? dns : "");
    if (ik.MxInitialize() != 0) return MX_FAILED("MxInitialize");
    HCLIENT mx = ik.MxCreate(MX_OPTION_NONE);
    if (mx == INVALID_CLIENT) {
        MX_FAILED("MxCreate");
        ik.MxUninitialize();
        return 1;
    }
    int status = 0;
    if (dns && ik.MxSetDnsServer(mx, dns) != 0) {
        status = MX_FAILED("MxSetDnsServer");
        goto done;
    }
    /* A synchronous MxResolve (the default Timeout) returns the request's outcome;
       the result holds the same code with the message naming domain and server. */
    MXRESULT result;
    memset(&result, 0, sizeof result);
    result.dwSize = sizeof result;
    DWORD code = ik.MxResolve(mx, domain, NULL);
    if (ik.MxGetResult(mx, &result) != 0) {
        status = MX_FAILED("MxResolve");
        goto done;
    }
    if (code != 0) {
        fprintf(stderr, "dynload: MxResolve failed: error %u %s: %s\n", (unsigned)result.dwError,
                error_name(result.dwError), result.szStatus);
        status = 1;
        goto done;
    }
    printf("  %u exchanger%s for %s, answer from %s%s\n", (unsigned)result.dwCount, result.dwCount == 1 ? "" : "s",
           result.szDomain, result.szDnsServer[0] ? result.szDnsServer : "(no query needed)",
           (result.dwFlags & MX_RESULT_AUTHORITATIVE) ? " (authoritative)" : "");
    for (DWORD i = 0; i < result.dwCount; ++i) {
        MXRECORD record;
        memset(&record, 0, sizeof record);
        record.dwSize = sizeof record;
        if (ik.MxGetRecord(mx, i, &record) != 0) {
            status = MX_FAILED("MxGetRecord");
            goto done;
        }
        printf("  #%u  preference %-4u ttl %-6u %s%s\n", (unsigned)i + 1, (unsigned)record.dwPrecedence,
               (unsigned)record.dwTimeToLive, record.szMailServer,
               (record.dwFlags & MX_RECORD_IMPLICIT) ? "  [implicit]" : "");
    }
done:
    ik.MxDestroy(mx);
    ik.MxUninitialize();
    return status;
}

int main(int argc, char **argv) {
    const char *path = DEFAULT_LIBRARY, *pop = NULL, *user = NULL, *ca = NULL, *domain = NULL, *dns = NULL;
    int stls = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--library") && more) path = argv[++i];
        else if (!strcmp(a, "--pop") && more) pop = argv[++i];
        else if (!strcmp(a, "--user") && more) user = argv[++i];
        else if (!strcmp(a, "--stls")) stls = 1;
        else if (!strcmp(a, "--ca") && more) ca = argv[++i];
        else if (!strcmp(a, "--domain") && more) domain = argv[++i];
        else if (!strcmp(a, "--dns") && more) dns = argv[++i];
        else {
            fprintf(stderr, "dynload: unexpected argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
    }
    char host[INET_MAX_HOSTNAME + 1];
    UINT port = 0;
    const char *password = getenv("POP_PASSWORD");
    const char *problem = NULL;
    if (pop && !split_host_port(pop, host, sizeof host, &port)) problem = "--pop needs HOST, HOST:PORT or [IPv6]:PORT";
    else if (pop && !user) problem = "--pop needs --user";
    else if (pop && !password) problem = "--pop needs the password in the environment variable POP_PASSWORD";
    else if (!pop && (user || stls || ca)) problem = "--user, --stls and --ca belong to --pop";
    else if (dns && !domain) problem = "--dns belongs to --domain";
    if (problem) {
        fprintf(stderr, "dynload: %s\n", problem);
        return 2;
    }

    setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout in step with the errors on stderr */
    library_handle library = library_open(path);
    if (!library) {
        fprintf(stderr, "dynload: cannot load the inetkit library %s: %s\n", path, library_error());
        return 1;
    }
    if (resolve_all(library, path) != 0) {
        fprintf(stderr, "dynload: %s is not a usable inetkit library\n", path);
        library_close(library);
        return 1;
    }
    /* The header's structures and constants must match the library's. */
    DWORD version = ik.InetGetVersion();
    if (version / 1000000 != INETKIT_VERSION_MAJOR) {
        fprintf(stderr, "dynload: %s is inetkit %u.%u.%u; this program was built for %s\n", path,
                (unsigned)(version / 1000000), (unsigned)(version / 1000 % 1000), (unsigned)(version % 1000),
                INETKIT_VERSION_STRING);
        library_close(library);
        return 1;
    }
    char text[128];
    DWORD size = sizeof text;
    if (ik.InetGetLibraryInfo(INET_LIBRARY_VERSION, text, &size) != 0) strcpy(text, "?");
    printf("loaded %s: inetkit %s", path, text);
    size = sizeof text;
    if (ik.InetGetLibraryInfo(INET_LIBRARY_OPENSSL_VERSION, text, &size) == 0) printf(", %s", text);
    size = sizeof text;
    if (ik.InetGetLibraryInfo(INET_LIBRARY_CARES_VERSION, text, &size) == 0) printf(", c-ares %s", text);
#define COUNT_(type, name, parameters) +1
    printf("; %d functions resolved by name\n", 0 INETKIT_FUNCTIONS(COUNT_));
#undef COUNT_

    int status = 0;
    if (pop && pop_session(host, port, user, password, stls, ca) != 0) status = 1;
    if (domain && mx_lookup(domain, dns) != 0) status = 1;
    /* Every handle is closed and every family uninitialised: safe to unload. */
    library_close(library);
    return status;
}
