/* echo_demo: a TCP server and a client in one process, talking over loopback
   through inetkit. The server runs on its own thread: it is handed the
   listener with InetAttachThread, because a handle belongs to the thread
   that created it. */
#include <inetkit.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fprintf(out,
            "usage: echo_demo [--ipv6] [--port N] [--tls DIR] [LINE...]\n"
            "Starts an echo server on loopback (127.0.0.1, or ::1 with --ipv6) and a client\n"
            "that sends each LINE (or a few built-in ones) and prints the replies.\n"
            "--tls DIR: TLS on both ends, with DIR/server.pem, DIR/server.key and DIR/ca.pem\n"
            "(tests/tls/make-pki.sh DIR makes them); the client verifies the server.\n"
            "Exit status: 0 on success, 1 on a failure, 2 on bad usage.\n");
}

static int report(const char *what) {
    char message[1024];
    DWORD size = sizeof message;
    if (InetGetLastErrorMessage(message, &size) != 0) message[0] = '\0';
    fprintf(stderr, "echo_demo: %s failed: error %u: %s\n", what, (unsigned)InetGetLastError(), message);
    return 1;
}

struct server {
    HCLIENT listener;
    int status;
};

/* Answers each line with its upper-case copy until the client says QUIT. */
static void *serve(void *arg) {
    struct server *s = arg;
    s->status = 1;
    if (InetAttachThread(s->listener, 0) == 0) { report("InetAttachThread"); return NULL; }
    HCLIENT client = InetAccept(s->listener, 10, INET_OPTION_NONE);
    if (client == INVALID_CLIENT) { report("InetAccept"); return NULL; }
    char peer[INET_ADDRESS_BUFFER];
    DWORD size = sizeof peer;
    UINT port = 0;
    InetGetPeerAddress(client, peer, &size, &port);
    printf("server: accepted a client from %s port %u\n", peer, port);
    char line[1024];
    DWORD length;
    while (InetReadLine(client, line, sizeof line, &length) == 0) {
        if (strcmp(line, "QUIT") == 0) {
            InetWriteLine(client, "BYE");
            s->status = 0;
            break;
        }
        for (DWORD i = 0; i < length; ++i) line[i] = (char)toupper((unsigned char)line[i]);
        if (InetWriteLine(client, line) != 0) { report("InetWriteLine"); break; }
    }
    if (s->status != 0 && InetGetLastError() != 0) report("InetReadLine");
    InetDisconnect(client);
    return NULL;
}

int main(int argc, char **argv) {
    const char *address = "127.0.0.1";
    const char *tls_dir = NULL;
    UINT port = 0;
    int first_line = 1;
    for (; first_line < argc && strncmp(argv[first_line], "--", 2) == 0; ++first_line) {
        if (strcmp(argv[first_line], "--help") == 0) { usage(stdout); return 0; }
        else if (strcmp(argv[first_line], "--ipv6") == 0) address = "::1";
        else if (strcmp(argv[first_line], "--port") == 0 && first_line + 1 < argc) port = (UINT)strtoul(argv[++first_line], NULL, 10);
        else if (strcmp(argv[first_line], "--tls") == 0 && first_line + 1 < argc) tls_dir = argv[++first_line];
        else { usage(stderr); return 2; }
    }
    static const char *default_lines[] = {"hello from inetkit", "lines go out with CR LF", "and come back upper-cased"};
    const char **lines = first_line < argc ? (const char **)argv + first_line : default_lines;
    int count = first_line < argc ? argc - first_line : 3;

    if (InetInitialize() != 0) return report("InetInitialize");
    printf("inetkit %u.%u.%u\n", InetGetVersion() / 1000000, InetGetVersion() / 1000 % 1000, InetGetVersion() % 1000);
    /* TLS: the server presents its certificate; the client checks it against the test CA. */
    char certificate[1024], key[1024], ca[1024];
    SECURITYCREDENTIALS server_credentials, client_credentials;
    memset(&server_credentials, 0, sizeof server_credentials);
    memset(&client_credentials, 0, sizeof client_credentials);
    server_credentials.dwSize = client_credentials.dwSize = sizeof(SECURITYCREDENTIALS);
    DWORD secure = INET_OPTION_NONE;
    if (tls_dir) {
        snprintf(certificate, sizeof certificate, "%s/server.pem", tls_dir);
        snprintf(key, sizeof key, "%s/server.key", tls_dir);
        snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
        server_credentials.lpszCertificateFile = certificate;
        server_credentials.lpszPrivateKeyFile = key;
        client_credentials.lpszCaFile = ca;
        secure = INET_OPTION_SECURE;
    }
    struct server server = {InetListen(address, port, 0, secure, tls_dir ? &server_credentials : NULL), 1};
    if (server.listener == INVALID_CLIENT) return report("InetListen");
    InetGetLocalAddress(server.listener, NULL, NULL, &port);
    printf("server: listening on %s port %u%s\n", address, port, tls_dir ? " with TLS" : "");
    pthread_t thread;
    pthread_create(&thread, NULL, serve, &server);

    int status = 0;
    /* The certificate names localhost, so a TLS client connects by that name. */
    const char *host = tls_dir && strcmp(address, "127.0.0.1") == 0 ? "localhost" : address;
    HCLIENT client = InetConnect(host, port, 5, INET_OPTION_PREFER_IPV6 | secure, tls_dir ? &client_credentials : NULL);
    if (client == INVALID_CLIENT) {
        status = report("InetConnect");
        InetCancel(server.listener); /* the server thread stops waiting */
    } else {
        if (tls_dir) {
            INETSECURITYINFO info;
            info.dwSize = sizeof info;
            char subject[512], issuer[512];
            DWORD size = sizeof subject;
            if (InetGetSecurityInfo(client, &info) == 0 && InetGetCertificateInfo(client, 0, INET_CERT_SUBJECT, subject, &size) == 0) {
                size = sizeof issuer;
                InetGetCertificateInfo(client, 0, INET_CERT_ISSUER, issuer, &size);
                printf("client: %s, %s (%u-bit), server certificate \"%s\" issued by \"%s\", verified\n",
                       info.szProtocol, info.szCipher, (unsigned)info.dwCipherBits, subject, issuer);
            }
        }
        char reply[1024];
        DWORD length;
        for (int i = 0; i < count && status == 0; ++i) {
            if (InetWriteLine(client, lines[i]) != 0) status = report("InetWriteLine");
            else if (InetReadLine(client, reply, sizeof reply, &length) != 0) status = report("InetReadLine");
            else printf("client: sent \"%s\", got \"%s\"\n", lines[i], reply);
        }
        if (status == 0 && (InetWriteLine(client, "QUIT") != 0 || InetReadLine(client, reply, sizeof reply, &length) != 0))
            status = report("QUIT");
        InetDisconnect(client);
    }
    pthread_join(thread, NULL);
    InetDisconnect(server.listener);
    InetUninitialize();
    if (status == 0 && server.status == 0) printf("echo_demo: OK\n");
    return status != 0 || server.status != 0;
}
