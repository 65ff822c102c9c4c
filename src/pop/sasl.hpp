// SASL mechanisms for POP3 AUTH (RFC 5034), on OpenSSL primitives: PLAIN,
// LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 (RFC 5802/7677), XOAUTH2,
// OAUTHBEARER (RFC 7628). Pure protocol logic: no I/O, no handles.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace inetkit::pop::sasl {

enum class Kind { Plain, Login, CramMd5, ScramSha1, ScramSha256, XOAuth2, OAuthBearer };

class Mechanism {
public:
    virtual ~Mechanism() = default;
    // The name for "AUTH <name>".
    virtual const char *name() const noexcept = 0;
    // The raw (not base64) initial response, or nullopt when the mechanism
    // starts with a server challenge.
    virtual std::optional<std::string> initial_response() = 0;
    // The raw response to a raw (base64-decoded) server challenge. Throws
    // inetkit::Error(INETKIT_ERROR_AUTH_FAILED or _PROTOCOL) for a challenge
    // it cannot answer (the caller then sends "*" to cancel), and
    // AUTH_SERVER_UNVERIFIED when a SCRAM server signature is wrong.
    virtual std::string respond(const std::string &challenge) = 0;
    // The server said +OK: throws AUTH_SERVER_UNVERIFIED if the mechanism
    // expected to verify the server (SCRAM) and has not.
    virtual void succeeded() = 0;
    // Whether the password crosses the wire readable by whoever can see it
    // (PLAIN, LOGIN; tokens count too: XOAUTH2, OAUTHBEARER).
    virtual bool reveals_password() const noexcept = 0;
};

// user and password are UTF-8 (for OAuth mechanisms the password is the
// token). client_nonce is for tests only: empty = random.
std::unique_ptr<Mechanism> make(Kind kind, const std::string &user, const std::string &password,
                                const std::string &client_nonce = "");

// Base64 (RFC 4648, with padding). decode is strict: anything but the
// alphabet, misplaced padding, or a length not a multiple of 4 throws
// Error(INETKIT_ERROR_PROTOCOL).
std::string base64_encode(const std::string &data);
std::string base64_decode(const std::string &text);

} // namespace inetkit::pop::sasl
