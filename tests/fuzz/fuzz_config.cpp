// libFuzzer target: the settings text callers hand the library, through the
// C ABI where that is the only way in. The first byte picks the parser:
//   0  MxConfig "Name=Value" on a resolver handle, then MxGetConfig: a value
//      read back must set again to itself (the text form is a fixed point);
//   1  parse_server_list (MxSetDnsServer's list): format_server_list of what
//      it read must read back as the same list;
//   2  read_resolv_conf on a temporary file holding the input: at most 32
//      numeric servers, each of the family it claims, no port;
//   3  PopConfig "Name=Value" on a session with a scripted server on
//      loopback (TraceFile is left out: it would create files);
//   4  the text members of SECURITYCREDENTIALS (ignore list, pins, PSK,
//      cipher lists, verify name, CA PEM) taken from the input, separated by
//      0xFF, checked by api::tls_settings, the parser every family runs: what
//      it accepts is well formed (64 upper-case hex digits per ignored error,
//      44 base64 characters per pin, half as many key bytes as hex digits);
//   5  the same through InetCheckCredentials, which also builds the OpenSSL
//      context (slow: about 20 ms a run). No file members: nothing is read.
// Every call returns 0 or a documented code, never INTERNAL, and never crashes.
#include "fuzz_check.hpp"
#include "api/credentials.hpp"
#include "core/error.hpp"
#include "mx/settings.hpp"

#include <inetkit/inet.h>
#include <inetkit/mx.h>
#include <inetkit/pop.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace inetkit;

void check_code(DWORD code, const char *call) {
    if (code == INETKIT_ERROR_INTERNAL || (code != 0 && code != INETKIT_ERROR_INVALID_PARAMETER &&
                                           code != INETKIT_ERROR_NOT_SUPPORTED && code != INETKIT_ERROR_CERTIFICATE_LOAD &&
                                           code != INETKIT_ERROR_SECURITY_CREDENTIALS && code != INETKIT_ERROR_SECURITY_CONTEXT))
        broken(call, "returned " + std::to_string(code));
}

std::string get_mx(HCLIENT mx, const std::string &name) {
    char value[8192];
    DWORD size = sizeof value;
    DWORD code = MxGetConfig(mx, name.c_str(), value, &size);
    if (code != 0) broken("MxGetConfig of a name MxConfig took failed", name);
    return std::string(value);
}

void mx_config(HCLIENT mx, const std::string &setting) {
    MxReset(mx); // every input starts from the defaults
    DWORD code = MxConfig(mx, setting.c_str());
    check_code(code, "MxConfig");
    if (code != 0) return;
    std::string name = setting.substr(0, setting.find('='));
    std::string value = get_mx(mx, name);
    if (MxConfig(mx, (name + "=" + value).c_str()) != 0) broken("a value MxGetConfig gave does not set", name + "=" + value);
    if (get_mx(mx, name) != value) broken("the text form is not a fixed point", name);
}

void server_list(const std::string &text) {
    std::vector<mx::ServerAddress> servers;
    try {
        servers = mx::parse_server_list(text);
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_INVALID_PARAMETER) broken("parse_server_list failed with another code");
        return;
    }
    if (servers.size() > 32) broken("more than 32 servers");
    std::string formatted = mx::format_server_list(servers);
    std::vector<mx::ServerAddress> again = mx::parse_server_list(formatted);
    if (again.size() != servers.size()) broken("the formatted list reads back with another length", formatted);
    for (std::size_t i = 0; i < servers.size(); ++i)
        if (again[i].address != servers[i].address || again[i].family != servers[i].family || again[i].port != servers[i].port)
            broken("the formatted list reads back differently", formatted);
}

void resolv_conf(const std::string &content) {
    // A file per input, removed before returning (libFuzzer may skip static destructors).
    const char *base = std::getenv("FUZZ_TMPDIR");
    std::string path = std::string(base ? base : "/tmp") + "/inetkit-fuzz-resolv.XXXXXX";
    int fd = ::mkstemp(path.data());
    if (fd < 0) broken("cannot create a temporary file");
    ::close(fd);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    std::vector<mx::ServerAddress> servers = mx::read_resolv_conf(path);
    ::unlink(path.c_str());
    if (servers.size() > 32) broken("more than 32 servers from resolv.conf");
    for (const mx::ServerAddress &server : servers) {
        unsigned char bytes[16];
        if (server.port != 0 || inet_pton(server.family == 4 ? AF_INET : AF_INET6, server.address.c_str(), bytes) != 1)
            broken("a resolv.conf server that is not what it claims", server.address);
    }
}

// A POP3 server on loopback that greets, has no CAPA and accepts anything:
// PopConfig needs a connected session, and sends nothing itself.
HCLIENT connect_pop() {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
        ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) != 0)
        broken("cannot listen on loopback");
    std::thread([listener] {
        int client = ::accept(listener, nullptr, nullptr);
        ::close(listener);
        const char greeting[] = "+OK fuzz\r\n";
        if (client < 0 || ::send(client, greeting, sizeof greeting - 1, MSG_NOSIGNAL) < 0) return;
        char buffer[512];
        while (::recv(client, buffer, sizeof buffer, 0) > 0) {
            const char no_capa[] = "-ERR\r\n"; // the one command a connect sends
            ::send(client, no_capa, sizeof no_capa - 1, MSG_NOSIGNAL);
        }
        ::close(client);
    }).detach();
    HCLIENT pop = PopConnect("127.0.0.1", ntohs(address.sin_port), 5, 0, nullptr);
    if (pop == INVALID_CLIENT) broken("PopConnect to the loopback server failed");
    return pop;
}

void pop_config(HCLIENT pop, const std::string &setting) {
    if (setting.compare(0, 10, "TraceFile=") == 0) return;
    check_code(PopConfig(pop, setting.c_str()), "PopConfig");
}

// The credentials an input describes; texts keeps the strings they point to.
SECURITYCREDENTIALS credentials_of(std::string_view input, std::vector<std::string> &texts) {
    SECURITYCREDENTIALS c{};
    c.dwSize = sizeof c;
    if (input.size() < 3) input = std::string_view("\0\0\0", 3);
    c.dwProtocolMin = static_cast<std::uint8_t>(input[0]) % 6;
    c.dwProtocolMax = static_cast<std::uint8_t>(input[1]) % 6;
    c.dwVerifyMode = static_cast<std::uint8_t>(input[2]) % 4;
    input.remove_prefix(3);
    for (std::size_t start = 0; texts.size() < 8;) {
        std::size_t end = input.find('\xFF', start);
        std::string_view part = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        texts.emplace_back(part.substr(0, part.find('\0'))); // C strings
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    texts.resize(8);
    auto text = [&](std::size_t i) -> LPCSTR { return texts[i].empty() ? nullptr : texts[i].c_str(); };
    c.lpszIgnoreErrors = text(0);
    c.lpszPinnedPublicKey = text(1);
    c.lpszPskIdentity = text(2);
    c.lpszPskKey = text(3);
    c.lpszCipherList = text(4);
    c.lpszCipherSuites = text(5);
    c.lpszVerifyName = text(6);
    c.lpszCaPem = text(7);
    return c;
}

void credential_texts(std::string_view input) {
    std::vector<std::string> texts;
    SECURITYCREDENTIALS c = credentials_of(input, texts);
    net::TlsSettings settings;
    try {
        settings = api::tls_settings(&c, 0, false);
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_INVALID_PARAMETER) broken("tls_settings failed with another code");
        return;
    }
    auto upper_hex = [](const std::string &s) { return s.find_first_not_of("0123456789ABCDEF") == std::string::npos; };
    for (const net::IgnoredError &ignored : settings.ignored)
        if (ignored.fingerprint.size() != 64 || !upper_hex(ignored.fingerprint) || ignored.error < 0) broken("a malformed ignored error");
    for (const std::string &pin : settings.pins)
        if (pin.size() != 44 || pin.back() != '=') broken("a malformed pin", pin);
    if (settings.psk_key.size() * 2 != texts[3].size()) broken("the PSK key is not half the hex digits");
    if (settings.psk_identity != texts[2]) broken("the PSK identity changed");
}

void check_credentials(std::string_view input) {
    std::vector<std::string> texts;
    SECURITYCREDENTIALS c = credentials_of(input, texts);
    check_code(InetCheckCredentials(&c, FALSE), "InetCheckCredentials");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static HCLIENT mx = [] {
        if (MxInitialize() != 0 || PopInitialize() != 0 || InetInitialize() != 0) broken("cannot initialize");
        HCLIENT handle = MxCreate(0);
        if (handle == INVALID_CLIENT) broken("MxCreate failed");
        return handle;
    }();
    static HCLIENT pop = connect_pop();
    if (size < 1) return 0;
    std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);
    // The ABI takes C strings: what follows a NUL is never seen.
    std::string text(input.substr(0, input.find('\0')));
    switch (data[0] % 6) {
    case 0: mx_config(mx, text); break;
    case 1: server_list(std::string(input)); break;
    case 2: resolv_conf(std::string(input)); break;
    case 3: pop_config(pop, text); break;
    case 4: credential_texts(input); break;
    case 5: check_credentials(input); break;
    }
    return 0;
}
