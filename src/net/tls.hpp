// TLS on OpenSSL 3: settings, shared contexts with a client session cache,
// and one stream per secured connection. Knows nothing of handles or the C
// structures of the API; src/api translates those into TlsSettings.
#pragma once

#include "net/wait.hpp"

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace inetkit::net {

enum class VerifyMode { Auto, None, Query, Peer };

struct IgnoredError {
    int error;               // X509_V_ERR_*
    std::string fingerprint; // SHA-256 of the certificate, upper-case hex
};

// Returns true to accept one verification problem (error, depth, fingerprint).
using VerifyCallback = std::function<bool(int, int, const std::string &)>;
// Servers: the key for a client's PSK identity, or false to refuse it.
using PskCallback = std::function<bool(const std::string &, std::vector<unsigned char> &)>;

struct TlsSettings {
    bool server = false;
    bool trusted_site = false; // no verification at all
    bool fallback = false;     // TLS 1.0/1.1 and legacy ciphers allowed
    int min_version = 0, max_version = 0; // 0 = default
    VerifyMode verify_mode = VerifyMode::Auto;
    unsigned verify_depth = 0; // most certificates in the peer's chain; 0 = no limit of ours
    std::string cipher_list, cipher_suites;
    std::string certificate_file, private_key_file, certificate_pem, private_key_pem, password;
    std::string ca_file, ca_path, ca_pem;
    std::string verify_name;
    std::vector<IgnoredError> ignored;
    std::vector<std::string> pins; // base64 SHA-256 of SubjectPublicKeyInfo
    std::string psk_identity;
    std::vector<unsigned char> psk_key;
    VerifyCallback verify_callback;
    PskCallback psk_callback;
    std::string callback_identity; // tells contexts with different callbacks apart

    // Everything that decides how a peer is verified or who we are: contexts
    // (and so resumable sessions) are shared only between equal keys.
    std::string key() const;
};

// An SSL_CTX built from settings, shared by the connections that use equal
// settings. Holds the client session cache.
class TlsContext {
public:
    // Loads certificates, keys and CAs; throws CERTIFICATE_LOAD,
    // SECURITY_CREDENTIALS or INVALID_PARAMETER before any traffic.
    static std::shared_ptr<TlsContext> obtain(const TlsSettings &settings);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    SSL_CTX *native() const noexcept { return ctx_; }
    const TlsSettings &settings() const noexcept { return settings_; }

    // Client sessions by peer ("host:port|name"), each used at most once.
    SSL_SESSION *take_session(const std::string &peer);
    void store_session(const std::string &peer, SSL_SESSION *session); // takes the reference

private:
    explicit TlsContext(const TlsSettings &settings);

    TlsSettings settings_;
    SSL_CTX *ctx_ = nullptr;
    std::mutex sessions_mutex_;
    std::map<std::string, SSL_SESSION *> sessions_;
};

struct VerifyProblem {
    int error;
    int depth;
    std::string fingerprint;
    std::string description;
};

struct CertificateText {
    std::string subject, issuer, serial, not_before, not_after, san, fingerprint, pem, public_key_pin;
    std::vector<unsigned char> der;
};

struct SecurityDetails {
    unsigned protocol = 0;
    std::string protocol_name, cipher;
    unsigned cipher_bits = 0;
    bool resumed = false;
    long verify_result = 0;
    std::size_t verify_errors = 0;
    std::size_t peer_certificates = 0;
    bool local_certificate = false;
};

class TlsStream {
public:
    // peer_name: the host to verify and send as SNI (clients), or "" (servers).
    // peer_key: the session-cache key of this peer ("" = no resumption).
    TlsStream(std::shared_ptr<TlsContext> context, int fd, const std::string &peer_name, std::string peer_key);
    ~TlsStream();
    TlsStream(const TlsStream &) = delete;
    TlsStream &operator=(const TlsStream &) = delete;

    void handshake(CallTimer &timer);

    enum class Io { Done, WantRead, WantWrite, End };
    // One SSL_read/SSL_write; transferred is set when Done.
    Io read(void *buffer, std::size_t size, std::size_t &transferred);
    Io write(const void *data, std::size_t size, std::size_t &transferred);
    std::size_t pending() const noexcept;
    void close_notify() noexcept; // best effort, never blocks

    SecurityDetails details() const;
    const std::vector<VerifyProblem> &problems() const noexcept { return problems_; }
    std::size_t peer_certificate_count() const;
    // index into the peer's chain (0 = its own), or local = our certificate.
    CertificateText certificate(std::size_t index, bool local) const;

private:
    // The constructor's work once ssl_ exists (the constructor frees ssl_ if it throws).
    void set_up(int fd, const std::string &peer_name);
    static int verify_callback(int preverify_ok, X509_STORE_CTX *store) noexcept; // called by OpenSSL: never throws
    // Whether the verification in store checks the peer's name as set_up asked.
    bool name_check_in(X509_STORE_CTX *store) const;
    static int new_session_callback(SSL *ssl, SSL_SESSION *session) noexcept;
    friend class TlsContext;
    [[noreturn]] void fail_handshake(int ssl_error);
    void check_pins();
    std::vector<X509 *> peer_chain() const; // borrowed pointers

    std::shared_ptr<TlsContext> context_;
    SSL *ssl_ = nullptr;
    std::string peer_key_;
    std::vector<VerifyProblem> problems_;
    int first_rejected_ = 0; // the verify error that failed the handshake
    bool established_ = false; // handshake done and every check passed
    bool resumable_ = true;    // no verify problem was let through by mode or callback
    enum class NameCheck { None, Host, Address } name_check_ = NameCheck::None; // what verification must check
};

// Certificate helpers shared with the API layer.
std::string sha256_fingerprint(X509 *certificate);
std::string openssl_reason(); // the last queued OpenSSL error as text, or ""
bool openssl_out_of_memory();   // whether OpenSSL queued an allocation failure (empties the queue)

} // namespace inetkit::net
