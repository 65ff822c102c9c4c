// Catalogue G79: a C++ caller whose callback throws. The exception must stop at
// the library's boundary (no std::terminate, nothing unwinding through the
// engine, OpenSSL or c-ares), the call must fail with CALLBACK_FAILED (a TLS
// verification callback that throws rejects), and the handle must stay usable
// or be closed cleanly. Written in C++ on purpose: that is the caller at risk.
#include "dns_script.h"
#include "pop_script.h"

#include <inetkit.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

int failures = 0;

#define EXPECT(condition, ...)                                                                     \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "test_callbacks:%d: %s: ", __LINE__, #condition);                  \
            std::fprintf(stderr, __VA_ARGS__);                                                     \
            std::fprintf(stderr, "\n");                                                            \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

std::string last_message() {
    char text[1100];
    DWORD size = sizeof text;
    return InetGetLastErrorMessage(text, &size) == 0 ? text : "<unavailable>";
}

// The call failed with CALLBACK_FAILED, its last error says so and names the callback.
void expect_callback_failed(const char *call, DWORD code, DWORD last_error, const char *callback) {
    std::string message = last_message();
    EXPECT(code == INETKIT_ERROR_CALLBACK_FAILED && last_error == code && message.find(callback) != std::string::npos,
           "%s returned %u (last error %u, '%s'), expected %u naming the %s callback", call, (unsigned)code,
           (unsigned)last_error, message.c_str(), (unsigned)INETKIT_ERROR_CALLBACK_FAILED, callback);
}

// ---- Inet: the trace callback, and a verification callback that throws ----------------

void INETKIT_CALL throwing_inet_trace(HCLIENT, DWORD, LPCVOID, DWORD, LPVOID) {
    throw std::runtime_error("the caller's trace callback failed");
}

void test_inet_trace() {
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, nullptr);
    UINT port = 0;
    InetGetLocalAddress(listener, nullptr, nullptr, &port);
    HCLIENT client = InetConnect("127.0.0.1", port, 5, INET_OPTION_NONE, nullptr);
    HCLIENT server = InetAccept(listener, 5, INET_OPTION_NONE);
    EXPECT(client != INVALID_CLIENT && server != INVALID_CLIENT, "no connection: %s", last_message().c_str());

    EXPECT(InetSetTraceCallback(client, throwing_inet_trace, nullptr) == 0, "%s", last_message().c_str());
    DWORD code = InetWriteLine(client, "traced");
    expect_callback_failed("InetWriteLine", code, InetGetLastError(), "trace");
    // The handle lives on: without the callback it works, and the line was sent before the trace ran.
    EXPECT(InetSetTraceCallback(client, nullptr, nullptr) == 0, "%s", last_message().c_str());
    char line[64];
    DWORD n = 0;
    EXPECT(InetReadLine(server, line, sizeof line, &n) == 0 && std::strcmp(line, "traced") == 0, "server read '%s'",
           line);
    EXPECT(InetWriteLine(client, "untraced") == 0, "%s", last_message().c_str());
    InetDisconnect(client);
    InetDisconnect(server);
    InetDisconnect(listener);
}

BOOL INETKIT_CALL throwing_verify(HCLIENT, DWORD, DWORD, LPCSTR, LPVOID) {
    throw std::logic_error("the caller's verification callback failed");
}

void test_inet_verify(const std::string &pki) {
    std::string chain = pki + "/server.pem", key = pki + "/server.key";
    SECURITYCREDENTIALS server_credentials{};
    server_credentials.dwSize = sizeof server_credentials;
    server_credentials.lpszCertificateFile = chain.c_str();
    server_credentials.lpszPrivateKeyFile = key.c_str();
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_SECURE, &server_credentials);
    EXPECT(listener != INVALID_CLIENT, "no TLS listener: %s", last_message().c_str());
    UINT port = 0;
    InetGetLocalAddress(listener, nullptr, nullptr, &port);
    std::thread server([listener] {
        InetAttachThread(listener, 0);
        HCLIENT accepted = InetAccept(listener, 5, INET_OPTION_NONE); // fails: the client rejects
        if (accepted != INVALID_CLIENT) InetDisconnect(accepted);
    });
    // No CA file: the chain is untrusted, so the callback is asked, and it throws.
    SECURITYCREDENTIALS client_credentials{};
    client_credentials.dwSize = sizeof client_credentials;
    client_credentials.lpfnVerify = throwing_verify;
    HCLIENT client = InetConnect("localhost", port, 5, INET_OPTION_SECURE, &client_credentials);
    DWORD code = client == INVALID_CLIENT ? InetGetLastError() : 0;
    EXPECT(code == INETKIT_ERROR_CERTIFICATE_UNTRUSTED, "a throwing verify callback gave %u (%s), expected %u",
           (unsigned)code, last_message().c_str(), (unsigned)INETKIT_ERROR_CERTIFICATE_UNTRUSTED);
    if (client != INVALID_CLIENT) InetDisconnect(client);
    server.join();
    InetDisconnect(listener);
}

// ---- Pop: trace, data and progress callbacks ------------------------------------------

void INETKIT_CALL throwing_pop_trace(HCLIENT, DWORD, LPCSTR, LPVOID) { throw 42; } // not even a std::exception

BOOL INETKIT_CALL throwing_data(HCLIENT, DWORD, LPCVOID, DWORD, LPVOID) {
    throw std::runtime_error("disk full");
}

BOOL INETKIT_CALL throwing_progress(HCLIENT, DWORD, ULONGLONG, ULONGLONG, LPVOID) {
    throw std::bad_alloc();
}

const char greeting[] = "+OK ready\r\n";
const char capa[] = "+OK\r\nUSER\r\nUIDL\r\n.\r\n";
const char message[] = "+OK 40 octets\r\nSubject: x\r\n\r\nline one\r\nline two\r\n.\r\n";

// A server that logs in, then answers each expected command; after a failed
// retrieval the client must close the connection and send nothing more.
unsigned pop_server(ps_script **script, const char *name, int retrievals, bool with_progress = false) {
    ps_script *s = *script = ps_new(PS_WHOLE, name);
    ps_send(s, greeting);
    ps_expect(s, "CAPA\r\n");
    ps_send(s, capa);
    ps_expect(s, "USER u\r\n");
    ps_send(s, "+OK\r\n");
    ps_expect(s, "PASS p\r\n");
    ps_send(s, "+OK\r\n");
    ps_expect(s, "CAPA\r\n");
    ps_send(s, capa);
    if (retrievals > 0) { // the first message call learns the message count
        ps_expect(s, "STAT\r\n");
        ps_send(s, "+OK 1 40\r\n");
    }
    if (with_progress) { // a progress callback wants the size to expect
        ps_expect(s, "LIST 1\r\n");
        ps_send(s, "+OK 1 40\r\n");
    }
    for (int i = 0; i < retrievals; ++i) {
        ps_expect(s, "RETR 1\r\n");
        ps_send(s, message);
    }
    return ps_start(s);
}

HCLIENT pop_login(unsigned port) {
    HCLIENT h = PopConnect("127.0.0.1", port, 5, POP_OPTION_NONE, nullptr);
    if (h != INVALID_CLIENT && PopLogin(h, POP_AUTH_PASS, "u", "p") != 0) {
        std::fprintf(stderr, "login: %s\n", last_message().c_str());
        PopDisconnect(h);
        return INVALID_CLIENT;
    }
    return h;
}

void test_pop_callbacks() {
    ps_script *s;
    unsigned port = pop_server(&s, "G79/trace", 0);
    HCLIENT h = PopConnect("127.0.0.1", port, 5, POP_OPTION_NONE, nullptr);
    EXPECT(h != INVALID_CLIENT, "%s", last_message().c_str());
    EXPECT(PopSetTraceCallback(h, throwing_pop_trace, nullptr) == 0, "%s", last_message().c_str());
    DWORD code = PopLogin(h, POP_AUTH_PASS, "u", "p");
    expect_callback_failed("PopLogin", code, PopGetLastError(), "trace");
    PopDisconnect(h);
    ps_finish(s, 2000);
    ps_free(s);

    // The data callback throws mid-message: the session is out of step, so it is closed.
    port = pop_server(&s, "G79/data", 1);
    h = pop_login(port);
    EXPECT(h != INVALID_CLIENT, "no session");
    code = PopRetrieveMessage(h, 1, throwing_data, nullptr);
    expect_callback_failed("PopRetrieveMessage", code, PopGetLastError(), "data");
    code = PopNoop(h);
    EXPECT(code == INETKIT_ERROR_NOT_CONNECTED, "PopNoop after the failed retrieval gave %u, expected %u",
           (unsigned)code, (unsigned)INETKIT_ERROR_NOT_CONNECTED);
    PopDisconnect(h);
    EXPECT(ps_finish(s, 2000) == 0, "server: %s", ps_error(s) ? ps_error(s) : "");
    std::string sent(ps_transcript(s, nullptr));
    EXPECT(sent.find("NOOP") == std::string::npos, "sent after the failed retrieval: %s", ps_transcript_escaped(s));
    ps_free(s);

    // The progress callback throws: the same.
    port = pop_server(&s, "G79/progress", 1, true);
    h = pop_login(port);
    EXPECT(h != INVALID_CLIENT, "no session");
    EXPECT(PopSetProgressCallback(h, throwing_progress, nullptr) == 0, "%s", last_message().c_str());
    char buffer[256];
    DWORD size = sizeof buffer;
    code = PopGetMessage(h, 1, buffer, &size);
    expect_callback_failed("PopGetMessage", code, PopGetLastError(), "progress");
    EXPECT(PopNoop(h) == INETKIT_ERROR_NOT_CONNECTED, "the session survived an out-of-step retrieval");
    PopDisconnect(h);
    EXPECT(ps_finish(s, 2000) == 0, "server: %s", ps_error(s) ? ps_error(s) : "");
    ps_free(s);
}

// ---- Mx: response and error callbacks -----------------------------------------------------

int responses = 0;

void INETKIT_CALL throwing_response(HCLIENT, const MXRECORD *, const MXADDRESS *, LPVOID) {
    ++responses;
    throw std::runtime_error("the caller's response callback failed");
}

void INETKIT_CALL throwing_error(HCLIENT, DWORD, LPCSTR, DWORD, DWORD, LPCSTR, LPVOID) {
    throw std::runtime_error("the caller's error callback failed");
}

void test_mx_callbacks() {
    ds_server *dns = ds_new("G79/mx");
    ds_step *step = ds_step_add(dns, DS_BOTH, DS_TYPE_MX);
    ds_pkt *answer = ds_reply(step, DS_NOERROR, DS_AA);
    ds_rr_mx(answer, nullptr, 300, 10, "mx.example");
    unsigned port = ds_start(dns);
    char server[64];
    std::snprintf(server, sizeof server, "127.0.0.1:%u", port);

    HCLIENT h = MxCreate(MX_OPTION_NONE);
    EXPECT(h != INVALID_CLIENT && MxSetDnsServer(h, server) == 0, "%s", last_message().c_str());
    EXPECT(MxSetResponseCallback(h, throwing_response, nullptr) == 0, "%s", last_message().c_str());
    DWORD code = MxResolve(h, "one.example", nullptr);
    expect_callback_failed("MxResolve", code, MxGetLastError(), "response");

    // Asynchronous: three finish; each wait delivers one and fails with the throw; none is lost.
    EXPECT(MxSetTimeout(h, 0) == 0, "%s", last_message().c_str());
    responses = 0;
    for (const char *domain : {"a.example", "b.example", "c.example"})
        EXPECT(MxResolve(h, domain, nullptr) == 0, "%s", last_message().c_str());
    int failed_waits = 0;
    for (int i = 0; i < 10 && responses < 3; ++i) {
        code = MxWait(h, 5000);
        if (code == INETKIT_ERROR_CALLBACK_FAILED) ++failed_waits;
        else EXPECT(code == 0, "MxWait gave %u: %s", (unsigned)code, last_message().c_str());
    }
    EXPECT(responses == 3 && failed_waits == 3, "%d responses, %d failed waits", responses, failed_waits);

    EXPECT(MxSetResponseCallback(h, nullptr, nullptr) == 0 && MxSetErrorCallback(h, throwing_error, nullptr) == 0,
           "%s", last_message().c_str());
    EXPECT(MxSetTimeout(h, 5) == 0, "%s", last_message().c_str());
    code = MxResolve(h, "bad..name", nullptr); // refused before any event: no callback
    EXPECT(code == INETKIT_ERROR_INVALID_PARAMETER, "bad name gave %u", (unsigned)code);
    ds_stop(dns);
    ds_free(dns);
    // Nobody answers now: the request times out, and the error callback throws.
    EXPECT(MxSetDnsServer(h, server) == 0 && MxConfig(h, "QueryTimeout=200") == 0 && MxSetTimeout(h, 2) == 0, "%s",
           last_message().c_str());
    code = MxResolve(h, "silent.example", nullptr);
    expect_callback_failed("MxResolve", code, MxGetLastError(), "error");
    EXPECT(MxDestroy(h) == 0, "%s", last_message().c_str());
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PKI_DIR (made by tests/tls/make-pki.sh)\n", argv[0]);
        return 2;
    }
    if (InetInitialize() != 0 || PopInitialize() != 0 || MxInitialize() != 0) return 1;
    test_inet_trace();
    test_inet_verify(argv[1]);
    test_pop_callbacks();
    test_mx_callbacks();
    MxUninitialize();
    PopUninitialize();
    InetUninitialize();
    std::printf("test_callbacks: %s\n", failures ? "FAILED" : "every throwing callback stopped at the boundary");
    return failures ? 1 : 0;
}
