#include "api/credentials.hpp"

#include "api/barrier.hpp"

#include "core/error.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

namespace inetkit::api {

thread_local HCLIENT handshake_handle = INVALID_CLIENT;

namespace {

constexpr std::size_t max_text = 1u << 20; // a PEM bundle of a few thousand certificates

std::string text(LPCSTR value, const char *member) {
    if (!value) return "";
    std::size_t length = strnlen(value, max_text + 1);
    if (length > max_text) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(member) + " is longer than 1 MiB");
    return std::string(value, length);
}

std::string trimmed(const std::string &s) {
    std::size_t begin = s.find_first_not_of(" \t\r\n"), end = s.find_last_not_of(" \t\r\n");
    return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

std::vector<std::string> split(const std::string &s, const char *separators) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = s.find_first_of(separators, start);
        std::string part = trimmed(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (!part.empty()) parts.push_back(part);
        if (end == std::string::npos) return parts;
        start = end + 1;
    }
}

bool all_hex(const std::string &s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// "ERROR:FINGERPRINT" entries, separated by commas or lines; the extra
// ":DEPTH:description" of InetGetVerifyErrors lines is allowed and ignored.
std::vector<net::IgnoredError> ignore_list(const std::string &list) {
    std::vector<net::IgnoredError> entries;
    for (const std::string &entry : split(list, ",\n")) {
        std::size_t colon = entry.find(':');
        std::string number = trimmed(entry.substr(0, colon));
        std::string fingerprint = colon == std::string::npos ? "" : trimmed(entry.substr(colon + 1, entry.find(':', colon + 1) - colon - 1));
        if (number.empty() || !std::all_of(number.begin(), number.end(), ::isdigit) || number.size() > 6 ||
            fingerprint.size() != 64 || !all_hex(fingerprint))
            fail(INETKIT_ERROR_INVALID_PARAMETER,
                 "lpszIgnoreErrors: \"" + entry + "\" is not ERROR:FINGERPRINT (a number and 64 hex digits)");
        for (char &c : fingerprint) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        entries.push_back({std::stoi(number), fingerprint});
    }
    return entries;
}

std::vector<std::string> pin_list(const std::string &list) {
    std::vector<std::string> pins;
    for (const std::string &pin : split(list, ";")) {
        const std::string prefix = "sha256//";
        std::string value = pin.compare(0, prefix.size(), prefix) == 0 ? pin.substr(prefix.size()) : "";
        bool base64 = value.size() == 44 && value.back() == '=' &&
                      std::all_of(value.begin(), value.end() - 1,
                                  [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; });
        if (!base64)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszPinnedPublicKey: \"" + pin + "\" is not sha256//BASE64 of 32 bytes");
        pins.push_back(value);
    }
    return pins;
}

std::vector<unsigned char> hex_bytes(const std::string &hex) {
    if (hex.size() % 2 != 0 || !all_hex(hex) || hex.size() > 512)
        fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszPskKey must be an even number (at most 512) of hex digits");
    std::vector<unsigned char> bytes;
    for (std::size_t i = 0; i < hex.size(); i += 2)
        bytes.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

int protocol(DWORD value, const char *member) {
    if (value == INET_PROTOCOL_DEFAULT) return 0;
    if (value < INET_PROTOCOL_TLS1_0 || value > INET_PROTOCOL_TLS1_3)
        fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(member) + " is not an INET_PROTOCOL_* value");
    return static_cast<int>(value);
}

} // namespace

net::TlsSettings tls_settings(LPCSECURITYCREDENTIALS c, DWORD options, bool server) {
    net::TlsSettings s;
    s.server = server;
    s.trusted_site = (options & INET_OPTION_TRUSTEDSITE) != 0;
    s.fallback = (options & INET_OPTION_SECURE_FALLBACK) != 0;
    if (!c) return s;
    if (c->dwSize < sizeof(SECURITYCREDENTIALS))
        fail(INETKIT_ERROR_INVALID_PARAMETER, "SECURITYCREDENTIALS.dwSize is " + std::to_string(c->dwSize) +
                                                  "; set it to sizeof(SECURITYCREDENTIALS) (" +
                                                  std::to_string(sizeof(SECURITYCREDENTIALS)) + ")");
    s.min_version = protocol(c->dwProtocolMin, "dwProtocolMin");
    s.max_version = protocol(c->dwProtocolMax, "dwProtocolMax");
    if (c->dwVerifyMode > INET_VERIFY_PEER) fail(INETKIT_ERROR_INVALID_PARAMETER, "dwVerifyMode is not an INET_VERIFY_* value");
    s.verify_mode = static_cast<net::VerifyMode>(c->dwVerifyMode);
    s.verify_depth = c->dwVerifyDepth;
    s.cipher_list = text(c->lpszCipherList, "lpszCipherList");
    s.cipher_suites = text(c->lpszCipherSuites, "lpszCipherSuites");
    s.certificate_file = text(c->lpszCertificateFile, "lpszCertificateFile");
    s.private_key_file = text(c->lpszPrivateKeyFile, "lpszPrivateKeyFile");
    s.certificate_pem = text(c->lpszCertificatePem, "lpszCertificatePem");
    s.private_key_pem = text(c->lpszPrivateKeyPem, "lpszPrivateKeyPem");
    s.password = text(c->lpszPassword, "lpszPassword");
    s.ca_file = text(c->lpszCaFile, "lpszCaFile");
    s.ca_path = text(c->lpszCaPath, "lpszCaPath");
    s.ca_pem = text(c->lpszCaPem, "lpszCaPem");
    s.verify_name = text(c->lpszVerifyName, "lpszVerifyName");
    if (!s.certificate_file.empty() && !s.certificate_pem.empty())
        fail(INETKIT_ERROR_INVALID_PARAMETER, "give lpszCertificateFile or lpszCertificatePem, not both");
    if (!s.private_key_file.empty() && !s.private_key_pem.empty())
        fail(INETKIT_ERROR_INVALID_PARAMETER, "give lpszPrivateKeyFile or lpszPrivateKeyPem, not both");
    s.ignored = ignore_list(text(c->lpszIgnoreErrors, "lpszIgnoreErrors"));
    s.pins = pin_list(text(c->lpszPinnedPublicKey, "lpszPinnedPublicKey"));
    s.psk_identity = text(c->lpszPskIdentity, "lpszPskIdentity");
    std::string psk_key = text(c->lpszPskKey, "lpszPskKey");
    if (s.psk_identity.empty() != psk_key.empty())
        fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszPskIdentity and lpszPskKey go together");
    if (s.psk_identity.size() > 128) fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszPskIdentity is longer than 128 bytes");
    if (!psk_key.empty()) s.psk_key = hex_bytes(psk_key);
    if (INETVERIFYPROC callback = c->lpfnVerify) {
        LPVOID parameter = c->lpVerifyParam;
        s.verify_callback = [callback, parameter](int error, int depth, const std::string &fingerprint) {
            return callback(handshake_handle, static_cast<DWORD>(error), static_cast<DWORD>(depth), fingerprint.c_str(),
                            parameter) != FALSE;
        };
        char identity[64];
        std::snprintf(identity, sizeof identity, "%p/%p", reinterpret_cast<void *>(callback), parameter);
        s.callback_identity = identity;
    }
    if (INETPSKPROC callback = c->lpfnPsk) {
        if (!server) fail(INETKIT_ERROR_INVALID_PARAMETER, "lpfnPsk is for servers; a client sets lpszPskIdentity and lpszPskKey");
        LPVOID parameter = c->lpPskParam;
        s.psk_callback = [callback, parameter](const std::string &identity, std::vector<unsigned char> &key) {
            unsigned char buffer[256];
            DWORD size = sizeof buffer;
            if (callback(handshake_handle, identity.c_str(), buffer, &size, parameter) == FALSE || size > sizeof buffer)
                return false;
            key.assign(buffer, buffer + size);
            return true;
        };
        char identity[64];
        std::snprintf(identity, sizeof identity, "/psk %p/%p", reinterpret_cast<void *>(callback), parameter);
        s.callback_identity += identity;
    }
    return s;
}

void fill_security_info(const net::Connection &connection, INETSECURITYINFO *info) {
    prepare_output(info, "INETSECURITYINFO", "lpInfo");
    const net::TlsStream *tls = connection.tls();
    if (!tls) return;
    net::SecurityDetails d = tls->details();
    info->dwProtocol = d.protocol;
    info->dwCipherBits = d.cipher_bits;
    info->bResumed = d.resumed;
    info->dwVerifyResult = static_cast<DWORD>(d.verify_result);
    info->dwVerifyErrors = static_cast<DWORD>(d.verify_errors);
    info->dwPeerCertificates = static_cast<DWORD>(d.peer_certificates);
    info->bLocalCertificate = d.local_certificate;
    std::snprintf(info->szProtocol, sizeof info->szProtocol, "%s", d.protocol_name.c_str());
    std::snprintf(info->szCipher, sizeof info->szCipher, "%s", d.cipher.c_str());
}

std::shared_ptr<net::TlsContext> tls_context(LPCSECURITYCREDENTIALS credentials, DWORD options, bool server) {
    return net::TlsContext::obtain(tls_settings(credentials, options, server));
}

} // namespace inetkit::api
