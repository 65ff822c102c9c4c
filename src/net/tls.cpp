#include "net/tls.hpp"

#include "core/error.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <deque>
#include <poll.h>
#include <sys/socket.h>

namespace inetkit::net {
namespace {

// A modern, forward-secret, AEAD-only profile for TLS 1.2 (TLS 1.3 suites
// are OpenSSL's defaults, all of which qualify).
constexpr const char *modern_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384";
// Old servers: everything OpenSSL still has, at security level 0.
constexpr const char *fallback_ciphers = "DEFAULT:@SECLEVEL=0";

// ---- small RAII and text helpers --------------------------------------------

struct BioFree {
    void operator()(BIO *b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct X509Free {
    void operator()(X509 *x) const { X509_free(x); }
};
using Certificate = std::unique_ptr<X509, X509Free>;
struct KeyFree {
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
struct BignumFree {
    void operator()(BIGNUM *n) const { BN_free(n); }
};
struct OpenSslFree { // text OpenSSL allocated for us (BN_bn2hex)
    void operator()(char *p) const { OPENSSL_free(p); }
};
struct GeneralNamesFree {
    void operator()(GENERAL_NAMES *n) const { GENERAL_NAMES_free(n); }
};

// Empties the thread's OpenSSL error queue when the scope starts (SSL_get_error(3)
// wants it empty before SSL work) and when it ends, however it ends, so what a
// failure queued reaches neither the caller's own OpenSSL work nor anything
// else on the thread (catalogue item 71).
struct ErrorQueueDrain {
    ErrorQueueDrain() { ERR_clear_error(); }
    ErrorQueueDrain(const ErrorQueueDrain &) = delete;
    ErrorQueueDrain &operator=(const ErrorQueueDrain &) = delete;
    ~ErrorQueueDrain() { ERR_clear_error(); }
};

std::string hex(const unsigned char *data, std::size_t size) {
    static const char digits[] = "0123456789ABCDEF";
    std::string text;
    text.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        text += digits[data[i] >> 4];
        text += digits[data[i] & 15];
    }
    return text;
}

std::string bio_text(BIO *bio) {
    char *data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Bio memory_bio() {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio) throw std::bad_alloc();
    return bio;
}

Bio source_bio(const std::string &file, const std::string &pem, const char *what) {
    ERR_clear_error();
    Bio bio(file.empty() ? BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())) : BIO_new_file(file.c_str(), "rb"));
    if (!bio) fail(INETKIT_ERROR_CERTIFICATE_LOAD, std::string("cannot open the ") + what + (file.empty() ? "" : " " + file) + ": " + openssl_reason());
    return bio;
}

// Never lets OpenSSL prompt on a terminal for a missing passphrase.
int password_callback(char *buffer, int size, int, void *user) {
    const auto *password = static_cast<const std::string *>(user);
    if (!password || password->empty() || static_cast<int>(password->size()) > size) return -1;
    std::memcpy(buffer, password->data(), password->size());
    return static_cast<int>(password->size());
}

bool is_pkcs12(const std::string &file) {
    Bio bio(BIO_new_file(file.c_str(), "rb"));
    if (!bio) return false;
    char head[11] = {0};
    int n = BIO_read(bio.get(), head, 10);
    // PEM files are text that starts with "-----BEGIN" (maybe after comments); PKCS#12 is DER: a SEQUENCE.
    return n > 0 && static_cast<unsigned char>(head[0]) == 0x30;
}

bool bad_password_error() {
    unsigned long error = ERR_peek_last_error();
    int reason = ERR_GET_REASON(error);
    return reason == EVP_R_BAD_DECRYPT || reason == PEM_R_BAD_PASSWORD_READ || reason == PEM_R_BAD_DECRYPT ||
           reason == PKCS12_R_MAC_VERIFY_FAILURE || reason == PEM_R_PROBLEMS_GETTING_PASSWORD;
}

std::vector<Certificate> read_certificates(BIO *bio) {
    std::vector<Certificate> list;
    while (X509 *certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) list.emplace_back(certificate);
    ERR_clear_error(); // the end of the PEM stream is reported as an error
    return list;
}

std::string time_text(const ASN1_TIME *time) {
    std::tm tm{};
    if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return "";
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string name_text(const X509_NAME *name) {
    Bio bio = memory_bio();
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    return bio_text(bio.get());
}

std::string san_text(X509 *certificate) {
    std::string text;
    std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> owned(
        static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    GENERAL_NAMES *names = owned.get();
    if (!names) return text;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        std::string entry;
        if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
            const ASN1_IA5STRING *value = name->d.ia5;
            entry = std::string(name->type == GEN_DNS ? "DNS:" : name->type == GEN_EMAIL ? "email:" : "URI:") +
                    std::string(reinterpret_cast<const char *>(ASN1_STRING_get0_data(value)),
                                static_cast<std::size_t>(ASN1_STRING_length(value)));
        } else if (name->type == GEN_IPADD) {
            char address[INET6_ADDRSTRLEN] = "";
            int length = ASN1_STRING_length(name->d.ip);
            const unsigned char *bytes = ASN1_STRING_get0_data(name->d.ip);
            if (length == 4) inet_ntop(AF_INET, bytes, address, sizeof address);
            else if (length == 16) inet_ntop(AF_INET6, bytes, address, sizeof address);
            entry = std::string("IP:") + address;
        } else {
            continue;
        }
        if (!text.empty()) text += ',';
        text += entry;
    }
    return text;
}

std::string public_key_pin(X509 *certificate) {
    unsigned char *der = nullptr;
    int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &der);
    if (length <= 0) return "";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    EVP_Digest(der, static_cast<std::size_t>(length), digest, &digest_length, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    unsigned char base64[64];
    int encoded = EVP_EncodeBlock(base64, digest, static_cast<int>(digest_length));
    return std::string(reinterpret_cast<char *>(base64), static_cast<std::size_t>(encoded));
}

// ---- a socket BIO that never raises SIGPIPE ----------------------------------
// OpenSSL's own socket BIO writes with write(2), which kills a process that
// has not ignored SIGPIPE when the peer is gone; a library must not depend on
// the caller's signal settings.

int bio_write(BIO *bio, const char *data, size_t size, size_t *written) {
    BIO_clear_retry_flags(bio);
    int fd = *static_cast<int *>(BIO_get_data(bio));
    for (;;) {
        ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n >= 0) {
            *written = static_cast<std::size_t>(n);
            return 1;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
        return 0;
    }
}

int bio_read(BIO *bio, char *data, size_t size, size_t *read) {
    BIO_clear_retry_flags(bio);
    int fd = *static_cast<int *>(BIO_get_data(bio));
    for (;;) {
        ssize_t n = ::recv(fd, data, size, 0);
        if (n > 0) {
            *read = static_cast<std::size_t>(n);
            return 1;
        }
        if (n == 0) return 0; // end of stream: no retry flag
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
        return 0;
    }
}

long bio_ctrl(BIO *bio, int command, long, void *pointer) {
    switch (command) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_C_GET_FD:
        if (pointer) *static_cast<int *>(pointer) = *static_cast<int *>(BIO_get_data(bio));
        return *static_cast<int *>(BIO_get_data(bio));
    default: return 0;
    }
}

int bio_destroy(BIO *bio) {
    delete static_cast<int *>(BIO_get_data(bio));
    BIO_set_data(bio, nullptr);
    return 1;
}

BIO_METHOD *socket_method() {
    static BIO_METHOD *method = [] {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "inetkit socket");
        if (m) {
            BIO_meth_set_write_ex(m, bio_write);
            BIO_meth_set_read_ex(m, bio_read);
            BIO_meth_set_ctrl(m, bio_ctrl);
            BIO_meth_set_destroy(m, bio_destroy);
        }
        return m;
    }();
    return method;
}

BIO *socket_bio(int fd) {
    BIO_METHOD *method = socket_method();
    if (!method) throw std::bad_alloc();
    auto descriptor = std::make_unique<int>(fd); // first: a failure after BIO_new would leak the BIO
    BIO *bio = BIO_new(method);
    if (!bio) throw std::bad_alloc();
    BIO_set_data(bio, descriptor.release());
    BIO_set_init(bio, 1);
    return bio;
}

int stream_index() {
    static int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

bool is_ip_literal(const std::string &name) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

// DNS names are compared without case and without one trailing dot.
std::string normalized_name(std::string name) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name;
}

// The system's CAs. A hashed directory (Debian's /etc/ssl/certs) is read
// lazily, one issuer at a time; the whole bundle file is parsed only when
// there is no usable directory, or when SSL_CERT_FILE names one.
void load_system_trust(SSL_CTX *ctx) {
    const char *dir_env = std::getenv(X509_get_default_cert_dir_env());
    const char *dir = dir_env ? dir_env : X509_get_default_cert_dir();
    bool hashed = false;
    if (DIR *listing = ::opendir(dir)) {
        while (const dirent *entry = ::readdir(listing)) {
            std::string name = entry->d_name; // "5ad8a5d6.0"
            if (name.size() == 10 && name[8] == '.' && std::all_of(name.begin(), name.begin() + 8, ::isxdigit)) {
                hashed = true;
                break;
            }
        }
        ::closedir(listing);
    }
    if (!hashed) {
        SSL_CTX_set_default_verify_paths(ctx);
    } else {
        SSL_CTX_load_verify_dir(ctx, dir);
        if (const char *file = std::getenv(X509_get_default_cert_file_env())) SSL_CTX_load_verify_file(ctx, file);
    }
    ERR_clear_error(); // a missing default location is not an error
}

ErrorCode verify_error_code(long error) {
    switch (error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH: return INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED: return INETKIT_ERROR_CERTIFICATE_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_NOT_YET_VALID: return INETKIT_ERROR_CERTIFICATE_NOT_YET_VALID;
    case X509_V_ERR_CERT_REVOKED: return INETKIT_ERROR_CERTIFICATE_REVOKED;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG: return INETKIT_ERROR_CERTIFICATE_CHAIN_TOO_LONG;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED: return INETKIT_ERROR_CERTIFICATE_UNTRUSTED;
    case X509_V_ERR_OUT_OF_MEM: return INETKIT_ERROR_NOT_ENOUGH_MEMORY;
    default: return INETKIT_ERROR_CERTIFICATE_INVALID;
    }
}

} // namespace

bool openssl_out_of_memory() {
    bool found = false;
    while (unsigned long error = ERR_get_error()) found = found || ERR_GET_REASON(error) == ERR_R_MALLOC_FAILURE;
    return found;
}

std::string openssl_reason() {
    unsigned long error = ERR_peek_last_error();
    if (!error) return "";
    char text[256];
    ERR_error_string_n(error, text, sizeof text);
    return text;
}

std::string sha256_fingerprint(X509 *certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return "";
    return hex(digest, length);
}

// ---- settings ----------------------------------------------------------------

std::string TlsSettings::key() const {
    std::string k;
    auto add = [&k](const std::string &part) {
        k += std::to_string(part.size());
        k += ':';
        k += part;
    };
    add(server ? "server" : "client");
    add(std::to_string(trusted_site) + std::to_string(fallback) + "/" + std::to_string(min_version) + "/" +
        std::to_string(max_version) + "/" + std::to_string(static_cast<int>(verify_mode)) + "/" +
        std::to_string(verify_depth));
    for (const std::string *part : {&cipher_list, &cipher_suites, &certificate_file, &private_key_file,
                                    &certificate_pem, &private_key_pem, &password, &ca_file, &ca_path, &ca_pem,
                                    &verify_name, &psk_identity, &callback_identity})
        add(*part);
    for (const IgnoredError &ignored_error : ignored) add(std::to_string(ignored_error.error) + ignored_error.fingerprint);
    for (const std::string &pin : pins) add(pin);
    add(std::string(psk_key.begin(), psk_key.end()));
    return k;
}

// ---- contexts ----------------------------------------------------------------

namespace {
std::mutex contexts_mutex;
std::map<std::string, std::weak_ptr<TlsContext>> contexts;
// The contexts used last stay alive without a connection, so that a client
// that reconnects later can still resume its session.
constexpr std::size_t kept_contexts = 16;
std::deque<std::shared_ptr<TlsContext>> recent_contexts;

void keep_recent(const std::shared_ptr<TlsContext> &context) {
    auto found = std::find(recent_contexts.begin(), recent_contexts.end(), context);
    if (found != recent_contexts.end()) recent_contexts.erase(found);
    recent_contexts.push_front(context);
    if (recent_contexts.size() > kept_contexts) recent_contexts.pop_back();
}

unsigned int psk_client_callback(SSL *ssl, const char *, char *identity, unsigned int max_identity,
                                 unsigned char *key, unsigned int max_key) {
    auto *context = static_cast<TlsContext *>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0));
    const TlsSettings &s = context->settings();
    if (s.psk_identity.size() + 1 > max_identity || s.psk_key.size() > max_key) return 0;
    std::memcpy(identity, s.psk_identity.c_str(), s.psk_identity.size() + 1);
    std::memcpy(key, s.psk_key.data(), s.psk_key.size());
    return static_cast<unsigned int>(s.psk_key.size());
}

unsigned int psk_server_callback(SSL *ssl, const char *identity, unsigned char *key, unsigned int max_key) {
    auto *context = static_cast<TlsContext *>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0));
    const TlsSettings &s = context->settings();
    if (!identity) return 0;
    if (s.psk_callback) {
        std::vector<unsigned char> found;
        try {
            if (!s.psk_callback(identity, found) || found.empty() || found.size() > max_key) return 0;
        } catch (...) {
            return 0;
        }
        std::memcpy(key, found.data(), found.size());
        return static_cast<unsigned int>(found.size());
    }
    if (s.psk_identity != identity || s.psk_key.size() > max_key) return 0;
    std::memcpy(key, s.psk_key.data(), s.psk_key.size());
    return static_cast<unsigned int>(s.psk_key.size());
}
} // namespace

std::shared_ptr<TlsContext> TlsContext::obtain(const TlsSettings &settings) {
    std::string key = settings.key();
    std::lock_guard lock(contexts_mutex);
    auto found = contexts.find(key);
    if (found != contexts.end())
        if (auto existing = found->second.lock()) {
            keep_recent(existing);
            return existing;
        }
    std::shared_ptr<TlsContext> context(new TlsContext(settings));
    contexts[key] = context;
    keep_recent(context);
    // Forget contexts nobody uses any more.
    for (auto it = contexts.begin(); it != contexts.end();) it = it->second.expired() ? contexts.erase(it) : std::next(it);
    return context;
}

TlsContext::TlsContext(const TlsSettings &settings) : settings_(settings) {
    ErrorQueueDrain drain;
    ctx_ = SSL_CTX_new(settings.server ? TLS_server_method() : TLS_client_method());
    if (!ctx_) fail(INETKIT_ERROR_SECURITY_CONTEXT, "cannot create an OpenSSL context: " + openssl_reason());
    try {
        SSL_CTX_set_ex_data(ctx_, 0, this);
        SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // Whole records per read: a record's header and body otherwise cost a system call each.
        SSL_CTX_set_read_ahead(ctx_, 1);
        SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);

        int min_version = settings.min_version ? settings.min_version : settings.fallback ? TLS1_VERSION : TLS1_2_VERSION;
        int max_version = settings.max_version ? settings.max_version : TLS1_3_VERSION;
        if (min_version > max_version)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "the lowest protocol version is above the highest");
        if (!SSL_CTX_set_min_proto_version(ctx_, min_version) || !SSL_CTX_set_max_proto_version(ctx_, max_version))
            fail(INETKIT_ERROR_INVALID_PARAMETER, "unsupported protocol version limits");
        const std::string &list = settings.cipher_list;
        const char *ciphers = !list.empty() ? list.c_str() : settings.fallback ? fallback_ciphers : modern_ciphers;
        std::string with_level = settings.fallback && !list.empty() ? list + ":@SECLEVEL=0" : ciphers;
        if (SSL_CTX_set_cipher_list(ctx_, with_level.c_str()) != 1)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "the cipher list \"" + with_level + "\" selects no cipher");
        if (!settings.cipher_suites.empty() && SSL_CTX_set_ciphersuites(ctx_, settings.cipher_suites.c_str()) != 1)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "the TLS 1.3 suites \"" + settings.cipher_suites + "\" select nothing");

        // Trust: the system's store, plus what the caller adds.
        load_system_trust(ctx_);
        ERR_clear_error();
        if ((!settings.ca_file.empty() || !settings.ca_path.empty()) &&
            SSL_CTX_load_verify_locations(ctx_, settings.ca_file.empty() ? nullptr : settings.ca_file.c_str(),
                                          settings.ca_path.empty() ? nullptr : settings.ca_path.c_str()) != 1)
            fail(INETKIT_ERROR_CERTIFICATE_LOAD, "cannot load the CA certificates: " + openssl_reason());
        if (!settings.ca_pem.empty()) {
            Bio bio = source_bio("", settings.ca_pem, "CA certificates");
            auto cas = read_certificates(bio.get());
            if (cas.empty()) fail(INETKIT_ERROR_CERTIFICATE_LOAD, "the CA PEM text holds no certificate");
            for (auto &ca : cas) X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca.get());
        }
        if (settings.verify_depth >= 2) SSL_CTX_set_verify_depth(ctx_, static_cast<int>(settings.verify_depth - 2));
        else if (settings.verify_depth == 1) SSL_CTX_set_verify_depth(ctx_, 0);

        // Our own certificate and key.
        std::vector<Certificate> chain;
        Key key;
        const std::string *password = &settings_.password;
        if (!settings.certificate_file.empty() && is_pkcs12(settings.certificate_file)) {
            Bio bio = source_bio(settings.certificate_file, "", "PKCS#12 file");
            PKCS12 *p12 = d2i_PKCS12_bio(bio.get(), nullptr);
            if (!p12) fail(INETKIT_ERROR_CERTIFICATE_LOAD, "cannot parse the PKCS#12 file " + settings.certificate_file + ": " + openssl_reason());
            EVP_PKEY *p12_key = nullptr;
            X509 *leaf = nullptr;
            STACK_OF(X509) *extra = nullptr;
            int parsed = PKCS12_parse(p12, settings.password.c_str(), &p12_key, &leaf, &extra);
            PKCS12_free(p12);
            if (!parsed)
                fail(INETKIT_ERROR_CERTIFICATE_LOAD, "cannot open the PKCS#12 file " + settings.certificate_file +
                                                         (bad_password_error() ? " (wrong password?)" : "") + ": " + openssl_reason());
            key.reset(p12_key);
            if (leaf) chain.emplace_back(leaf);
            for (int i = 0; extra && i < sk_X509_num(extra); ++i) chain.emplace_back(sk_X509_value(extra, i));
            sk_X509_free(extra);
        } else if (!settings.certificate_file.empty() || !settings.certificate_pem.empty()) {
            Bio bio = source_bio(settings.certificate_file, settings.certificate_pem, "certificate");
            chain = read_certificates(bio.get());
            if (chain.empty())
                fail(INETKIT_ERROR_CERTIFICATE_LOAD, "no PEM certificate in " +
                                                         (settings.certificate_file.empty() ? std::string("the certificate text") : settings.certificate_file));
        }
        const std::string &key_file = settings.private_key_file;
        const std::string &key_pem = settings.private_key_pem;
        if (!key && (!key_file.empty() || !key_pem.empty() || !chain.empty())) {
            // The key may be in its own file or text, or beside the certificate.
            bool separate = !key_file.empty() || !key_pem.empty();
            Bio bio = separate ? source_bio(key_file, key_pem, "private key")
                               : source_bio(settings.certificate_file, settings.certificate_pem, "certificate");
            ERR_clear_error();
            key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, password_callback, const_cast<std::string *>(password)));
            if (!key)
                fail(INETKIT_ERROR_CERTIFICATE_LOAD,
                     std::string("cannot read the private key") + (bad_password_error() ? " (wrong or missing passphrase)" : "") +
                         (separate ? "" : "; none found beside the certificate") + ": " + openssl_reason());
        }
        if (key && chain.empty()) fail(INETKIT_ERROR_SECURITY_CREDENTIALS, "a private key was given without a certificate");
        if (!chain.empty()) {
            ERR_clear_error();
            if (SSL_CTX_use_certificate(ctx_, chain.front().get()) != 1)
                fail(INETKIT_ERROR_CERTIFICATE_LOAD, "the certificate was refused: " + openssl_reason());
            for (std::size_t i = 1; i < chain.size(); ++i) SSL_CTX_add1_chain_cert(ctx_, chain[i].get());
            if (SSL_CTX_use_PrivateKey(ctx_, key.get()) != 1 || SSL_CTX_check_private_key(ctx_) != 1)
                fail(INETKIT_ERROR_SECURITY_CREDENTIALS, "the private key does not match the certificate: " + openssl_reason());
        }
        if (settings.server && chain.empty() && settings.psk_key.empty() && !settings.psk_callback)
            fail(INETKIT_ERROR_SECURITY_CREDENTIALS, "a TLS server needs a certificate and key, or a PSK");

        if (!settings.psk_key.empty() || (settings.server && settings.psk_callback)) {
            if (settings.server) SSL_CTX_set_psk_server_callback(ctx_, psk_server_callback);
            else SSL_CTX_set_psk_client_callback(ctx_, psk_client_callback);
        }

        // Verification: the stream's callback records every problem and decides.
        int mode = SSL_VERIFY_NONE;
        VerifyMode verify = settings.verify_mode;
        if (verify == VerifyMode::Auto) verify = settings.server ? VerifyMode::Query : VerifyMode::Peer;
        if (settings.trusted_site) verify = VerifyMode::None;
        if (verify == VerifyMode::Query) mode = SSL_VERIFY_PEER;
        if (verify == VerifyMode::Peer) mode = SSL_VERIFY_PEER | (settings.server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
        SSL_CTX_set_verify(ctx_, mode, TlsStream::verify_callback);

        if (settings.server) {
            static const unsigned char id[] = "inetkit";
            SSL_CTX_set_session_id_context(ctx_, id, sizeof id - 1);
        } else {
            SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
            SSL_CTX_sess_set_new_cb(ctx_, TlsStream::new_session_callback);
        }
    } catch (...) {
        SSL_CTX_free(ctx_);
        throw;
    }
}

TlsContext::~TlsContext() {
    for (auto &entry : sessions_) SSL_SESSION_free(entry.second);
    SSL_CTX_free(ctx_);
}

SSL_SESSION *TlsContext::take_session(const std::string &peer) {
    std::lock_guard lock(sessions_mutex_);
    auto found = sessions_.find(peer);
    if (found == sessions_.end()) return nullptr;
    SSL_SESSION *session = found->second;
    sessions_.erase(found);
    return session;
}

void TlsContext::store_session(const std::string &peer, SSL_SESSION *session) {
    std::lock_guard lock(sessions_mutex_);
    SSL_SESSION *&slot = sessions_[peer];
    if (slot) SSL_SESSION_free(slot);
    slot = session;
}

// ---- streams -------------------------------------------------------------------

TlsStream::TlsStream(std::shared_ptr<TlsContext> context, int fd, const std::string &peer_name, std::string peer_key)
    : context_(std::move(context)), peer_key_(std::move(peer_key)) {
    ErrorQueueDrain drain;
    ssl_ = SSL_new(context_->native());
    if (!ssl_) fail(INETKIT_ERROR_SECURITY_CONTEXT, "cannot create a TLS session: " + openssl_reason());
    try { // the destructor does not run for a constructor that throws
        set_up(fd, peer_name);
    } catch (...) {
        SSL_free(ssl_);
        throw;
    }
}

void TlsStream::set_up(int fd, const std::string &peer_name) {
    BIO *bio = socket_bio(fd);
    SSL_set_bio(ssl_, bio, bio);
    SSL_set_ex_data(ssl_, stream_index(), this);
    const TlsSettings &s = context_->settings();
    if (s.server) {
        SSL_set_accept_state(ssl_);
        return;
    }
    SSL_set_connect_state(ssl_);
    std::string name = normalized_name(s.verify_name.empty() ? peer_name : s.verify_name);
    bool ip = is_ip_literal(name);
    // SNI carries names only (RFC 6066), never address literals.
    bool named = ip || name.empty() || SSL_set_tlsext_host_name(ssl_, name.c_str()) == 1;
    // TRUSTEDSITE checks the name too: nothing fails, but every problem is recorded (inet.h).
    bool checking = s.verify_mode != VerifyMode::None;
    if (checking && !name.empty()) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl_);
        // These fail only for want of memory; ignored, the peer's name would go unchecked.
        if (ip) named = named && X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
        else {
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            named = named && SSL_set1_host(ssl_, name.c_str()) == 1;
        }
        name_check_ = ip ? NameCheck::Address : NameCheck::Host;
    }
    if (!named) fail(INETKIT_ERROR_SECURITY_CONTEXT, "cannot set the name to verify: " + openssl_reason());
    if (!peer_key_.empty())
        if (SSL_SESSION *session = context_->take_session(peer_key_)) {
            SSL_set_session(ssl_, session);
            SSL_SESSION_free(session);
        }
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

bool TlsStream::name_check_in(X509_STORE_CTX *store) const {
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(store);
    switch (name_check_) {
    case NameCheck::None: return true;
    case NameCheck::Host: return X509_VERIFY_PARAM_get0_host(param, 0) != nullptr;
    case NameCheck::Address: {
        char *address = X509_VERIFY_PARAM_get1_ip_asc(param); // NULL also when out of memory: refused then
        OPENSSL_free(address);
        return address != nullptr;
    }
    }
    return false;
}

int TlsStream::verify_callback(int preverify_ok, X509_STORE_CTX *store) noexcept {
    SSL *ssl = static_cast<SSL *>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto *self = static_cast<TlsStream *>(SSL_get_ex_data(ssl, stream_index()));
    // OpenSSL 3.0 copies our name into the verification without checking
    // that the copy worked (ssl_verify_cert_chain): out of memory there, the
    // chain would pass with no name checked. Refuse it.
    if (preverify_ok && self && X509_STORE_CTX_get_error_depth(store) == 0 && !self->name_check_in(store)) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_OUT_OF_MEM);
        return 0;
    }
    if (preverify_ok || !self) return preverify_ok;
    const TlsSettings &s = self->context_->settings();
    int error = X509_STORE_CTX_get_error(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    X509 *certificate = X509_STORE_CTX_get_current_cert(store);
    std::string fingerprint;
    try { // this runs inside OpenSSL: nothing may throw through it
        if (certificate) fingerprint = sha256_fingerprint(certificate);
        self->problems_.push_back({error, depth, fingerprint, X509_verify_cert_error_string(error)});
    } catch (...) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_OUT_OF_MEM);
        return 0;
    }
    bool ignored = std::any_of(s.ignored.begin(), s.ignored.end(), [&](const IgnoredError &entry) {
        return entry.error == error && entry.fingerprint == fingerprint;
    });
    if (ignored) return 1; // part of the settings: holds again on resumption
    bool accepted = s.trusted_site || s.verify_mode == VerifyMode::None ||
                    (s.verify_mode == VerifyMode::Query || (s.verify_mode == VerifyMode::Auto && s.server));
    if (!accepted && s.verify_callback) {
        try {
            accepted = s.verify_callback(error, depth, fingerprint);
        } catch (...) { // never unwind through OpenSSL: a callback that throws rejects
            accepted = false;
        }
    }
    if (!accepted && !self->first_rejected_) self->first_rejected_ = error;
    // A resumed session skips verification, so a problem that only the
    // mode or the callback let through must be judged again next time.
    if (accepted) self->resumable_ = false;
    return accepted ? 1 : 0;
}

int TlsStream::new_session_callback(SSL *ssl, SSL_SESSION *session) noexcept {
    auto *self = static_cast<TlsStream *>(SSL_get_ex_data(ssl, stream_index()));
    // Only sessions of handshakes that passed every check may be resumed;
    // TLS 1.3 tickets arrive after the handshake, when that is known.
    if (!self || !self->established_ || !self->resumable_ || self->peer_key_.empty() ||
        !SSL_SESSION_is_resumable(session))
        return 0;
    try { // this runs inside OpenSSL: nothing may throw through it
        self->context_->store_session(self->peer_key_, session);
    } catch (...) {
        return 0; // not kept: OpenSSL frees it
    }
    return 1; // we keep the reference
}

void TlsStream::handshake(CallTimer &timer) {
    ErrorQueueDrain drain;
    for (;;) {
        timer.check_interrupted();
        ERR_clear_error();
        int result = SSL_do_handshake(ssl_);
        if (result == 1) break;
        int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_WANT_READ) timer.wait(SSL_get_fd(ssl_), POLLIN, "TLS handshake");
        else if (error == SSL_ERROR_WANT_WRITE) timer.wait(SSL_get_fd(ssl_), POLLOUT, "TLS handshake");
        else fail_handshake(error);
    }
    check_pins();
    established_ = true;
    // A TLS 1.2 session exists now; TLS 1.3 tickets come later through the callback.
    if (!context_->settings().server && resumable_ && !peer_key_.empty() && SSL_version(ssl_) <= TLS1_2_VERSION)
        if (SSL_SESSION *session = SSL_get1_session(ssl_)) {
            if (SSL_SESSION_is_resumable(session)) context_->store_session(peer_key_, session);
            else SSL_SESSION_free(session);
        }
}

void TlsStream::check_pins() {
    const TlsSettings &s = context_->settings();
    if (s.pins.empty()) return;
    Certificate peer(SSL_get1_peer_certificate(ssl_));
    std::string pin = peer ? public_key_pin(peer.get()) : "";
    if (std::find(s.pins.begin(), s.pins.end(), pin) == s.pins.end())
        fail(INETKIT_ERROR_PUBLIC_KEY_MISMATCH,
             "the peer's public key sha256//" + (pin.empty() ? std::string("(none)") : pin) + " is not pinned");
}

void TlsStream::fail_handshake(int ssl_error) {
    std::string reason = openssl_reason();
    unsigned long last_error = ERR_peek_last_error();
    int library_reason = ERR_GET_REASON(last_error);
    // OpenSSL often reports a failed allocation as an "internal error" at the end of the queue.
    if (openssl_out_of_memory()) fail(INETKIT_ERROR_NOT_ENOUGH_MEMORY, "out of memory in the TLS handshake: " + reason);
    if (first_rejected_) {
        const VerifyProblem &p = *std::find_if(problems_.begin(), problems_.end(),
                                               [this](const VerifyProblem &v) { return v.error == first_rejected_; });
        fail(verify_error_code(first_rejected_),
             "certificate verification failed: " + p.description + " (error " + std::to_string(p.error) + " at depth " +
                 std::to_string(p.depth) + ", certificate " + p.fingerprint + ")");
    }
    if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN || library_reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        if (errno != 0 && ssl_error == SSL_ERROR_SYSCALL && last_error == 0) {
            int error = errno;
            fail_errno(error, "TLS handshake");
        }
        fail(INETKIT_ERROR_SECURITY_HANDSHAKE, "the peer closed the connection during the TLS handshake");
    }
    switch (library_reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
        fail(INETKIT_ERROR_SECURITY_PROTOCOL, "no TLS version both sides accept: " + reason);
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
        fail(INETKIT_ERROR_SECURITY_CIPHER, "no cipher both sides accept: " + reason);
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        fail(INETKIT_ERROR_CERTIFICATE_REQUIRED, context_->settings().server
                                                     ? "the client sent no certificate: " + reason
                                                     : "the server requires a client certificate: " + reason);
    case SSL_R_CERTIFICATE_VERIFY_FAILED: {
        long result = SSL_get_verify_result(ssl_);
        fail(verify_error_code(result), std::string("certificate verification failed: ") +
                                            X509_verify_cert_error_string(result));
    }
    default:
        break;
    }
    // A client whose certificate the server refused sees an alert.
    if (!context_->settings().server && library_reason >= SSL_AD_REASON_OFFSET &&
        (library_reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE || library_reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
         library_reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED || library_reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN))
        fail(INETKIT_ERROR_SECURITY_HANDSHAKE, "the server refused our certificate: " + reason);
    fail(INETKIT_ERROR_SECURITY_HANDSHAKE, "TLS handshake failed: " + (reason.empty() ? std::string("unknown reason") : reason));
}

TlsStream::Io TlsStream::read(void *buffer, std::size_t size, std::size_t &transferred) {
    ErrorQueueDrain drain;
    if (SSL_read_ex(ssl_, buffer, size, &transferred) == 1) return Io::Done;
    int error = SSL_get_error(ssl_, 0);
    switch (error) {
    case SSL_ERROR_WANT_READ: return Io::WantRead;
    case SSL_ERROR_WANT_WRITE: return Io::WantWrite;
    case SSL_ERROR_ZERO_RETURN: return Io::End; // close_notify: an orderly end
    default: break;
    }
    if (error == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0 && errno != 0) {
        int system_error = errno;
        fail_errno(system_error, "TLS receive");
    }
    int reason = ERR_GET_REASON(ERR_peek_last_error());
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || error == SSL_ERROR_SYSCALL)
        fail(INETKIT_ERROR_CONNECTION_CLOSED, "the peer closed the connection without a TLS close_notify (the data may be truncated)");
    // With TLS 1.3 a server's verdict on our certificate arrives after our
    // side of the handshake is done, as an alert on the first read.
    if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)
        fail(INETKIT_ERROR_CERTIFICATE_REQUIRED, "the server requires a client certificate: " + openssl_reason());
    if (reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE || reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
        reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED || reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN)
        fail(INETKIT_ERROR_SECURITY_HANDSHAKE, "the server refused our certificate: " + openssl_reason());
    std::string why = openssl_reason();
    if (openssl_out_of_memory()) fail(INETKIT_ERROR_NOT_ENOUGH_MEMORY, "out of memory in a TLS receive: " + why);
    fail(INETKIT_ERROR_DECRYPTING_DATA, "TLS receive failed: " + why);
}

TlsStream::Io TlsStream::write(const void *data, std::size_t size, std::size_t &transferred) {
    ErrorQueueDrain drain;
    if (SSL_write_ex(ssl_, data, size, &transferred) == 1) return Io::Done;
    int error = SSL_get_error(ssl_, 0);
    if (error == SSL_ERROR_WANT_READ) return Io::WantRead;
    if (error == SSL_ERROR_WANT_WRITE) return Io::WantWrite;
    if (error == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0 && errno != 0) {
        int system_error = errno;
        fail_errno(system_error, "TLS send");
    }
    std::string why = openssl_reason();
    if (openssl_out_of_memory()) fail(INETKIT_ERROR_NOT_ENOUGH_MEMORY, "out of memory in a TLS send: " + why);
    fail(INETKIT_ERROR_ENCRYPTING_DATA, "TLS send failed: " + why);
}

std::size_t TlsStream::pending() const noexcept { return static_cast<std::size_t>(std::max(SSL_pending(ssl_), 0)); }

void TlsStream::close_notify() noexcept {
    ERR_clear_error();
    if (established_) SSL_shutdown(ssl_); // non-blocking socket: one attempt
    ERR_clear_error();
}

std::vector<X509 *> TlsStream::peer_chain() const {
    std::vector<X509 *> chain;
    X509 *leaf = SSL_get0_peer_certificate(ssl_);
    if (leaf) chain.push_back(leaf);
    // A client's chain starts with the leaf; a server's does not hold it.
    STACK_OF(X509) *rest = SSL_get_peer_cert_chain(ssl_);
    for (int i = 0; rest && i < sk_X509_num(rest); ++i) {
        X509 *certificate = sk_X509_value(rest, i);
        if (!leaf || X509_cmp(certificate, leaf) != 0) chain.push_back(certificate);
    }
    return chain;
}

std::size_t TlsStream::peer_certificate_count() const { return peer_chain().size(); }

SecurityDetails TlsStream::details() const {
    SecurityDetails d;
    d.protocol = static_cast<unsigned>(SSL_version(ssl_));
    d.protocol_name = SSL_get_version(ssl_);
    if (const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl_)) {
        d.cipher = SSL_CIPHER_get_name(cipher);
        d.cipher_bits = static_cast<unsigned>(SSL_CIPHER_get_bits(cipher, nullptr));
    }
    d.resumed = SSL_session_reused(ssl_) == 1;
    d.verify_result = SSL_get_verify_result(ssl_);
    d.verify_errors = problems_.size();
    d.peer_certificates = peer_certificate_count();
    d.local_certificate = SSL_get_certificate(ssl_) != nullptr;
    return d;
}

CertificateText TlsStream::certificate(std::size_t index, bool local) const {
    X509 *certificate = nullptr;
    if (local) certificate = SSL_get_certificate(ssl_);
    else {
        std::vector<X509 *> chain = peer_chain();
        if (index < chain.size()) certificate = chain[index];
    }
    if (!certificate)
        fail(INETKIT_ERROR_INVALID_PARAMETER, local ? std::string("no local certificate was presented")
                                                    : "the peer's chain has no certificate " + std::to_string(index));
    CertificateText t;
    t.subject = name_text(X509_get_subject_name(certificate));
    t.issuer = name_text(X509_get_issuer_name(certificate));
    if (std::unique_ptr<BIGNUM, BignumFree> serial{ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr)}) {
        std::unique_ptr<char, OpenSslFree> text{BN_bn2hex(serial.get())};
        t.serial = text ? text.get() : "";
    }
    t.not_before = time_text(X509_get0_notBefore(certificate));
    t.not_after = time_text(X509_get0_notAfter(certificate));
    t.san = san_text(certificate);
    t.fingerprint = sha256_fingerprint(certificate);
    t.public_key_pin = "sha256//" + public_key_pin(certificate);
    Bio pem = memory_bio();
    PEM_write_bio_X509(pem.get(), certificate);
    t.pem = bio_text(pem.get());
    int size = i2d_X509(certificate, nullptr);
    if (size > 0) {
        t.der.resize(static_cast<std::size_t>(size));
        unsigned char *out = t.der.data();
        i2d_X509(certificate, &out);
    }
    return t;
}

} // namespace inetkit::net
