#include "pop/sasl.hpp"

#include "core/error.hpp"
#include "net/tls.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>
#include <utility>

namespace inetkit::pop::sasl {
namespace {

// A decoded challenge never needs more; anything larger is hostile or broken
// (CVE-2013-0249 came from trusting a server's challenge).
constexpr std::size_t max_challenge_size = 16 * 1024;
// PBKDF2 runs the server's iteration count on our CPU: a bound keeps a
// hostile server from stalling the caller for minutes.
constexpr long max_scram_iterations = 1000000;
constexpr int scram_nonce_bytes = 24;

// ---- small helpers ----------------------------------------------------------

// A std::string that wipes itself: for passwords and messages that carry them.
class Secret {
public:
    explicit Secret(std::string text) : text_(std::move(text)) {}
    Secret(const Secret &) = delete;
    Secret &operator=(const Secret &) = delete;
    ~Secret() { wipe(); }
    const std::string &text() const noexcept { return text_; }
    void wipe() noexcept {
        OPENSSL_cleanse(text_.data(), text_.size());
        text_.clear();
    }

private:
    std::string text_;
};

// One digest or MAC; wiped on the way out, since SCRAM's are keys.
struct Digest {
    unsigned char bytes[EVP_MAX_MD_SIZE] = {};
    unsigned int size = 0;
    Digest() = default;
    Digest(const Digest &) = delete;
    Digest &operator=(const Digest &) = delete;
    ~Digest() { OPENSSL_cleanse(bytes, sizeof bytes); }
    std::string text() const { return std::string(reinterpret_cast<const char *>(bytes), size); }
};

// A digest OpenSSL could not compute: it is not provided (MD5 in a FIPS
// setup), or there was no memory for it.
[[noreturn]] void fail_digest(const std::string &what) {
    if (net::openssl_out_of_memory()) fail(INETKIT_ERROR_NOT_ENOUGH_MEMORY, what + ": out of memory");
    fail(INETKIT_ERROR_INTERNAL, what + " failed in OpenSSL (not provided here, or out of memory)");
}

void hmac(const EVP_MD *md, const void *key, std::size_t key_size, const std::string &data, Digest &out) {
    if (key_size > INT_MAX) fail(INETKIT_ERROR_INVALID_PARAMETER, "the SASL key is too long");
    if (!HMAC(md, key, static_cast<int>(key_size), reinterpret_cast<const unsigned char *>(data.data()), data.size(),
              out.bytes, &out.size))
        fail_digest(std::string("HMAC-") + EVP_MD_get0_name(md));
}

void hmac(const EVP_MD *md, const Digest &key, const std::string &data, Digest &out) {
    hmac(md, key.bytes, key.size, data, out);
}

void digest(const EVP_MD *md, const Digest &data, Digest &out) {
    if (!EVP_Digest(data.bytes, data.size, out.bytes, &out.size, md, nullptr))
        fail_digest(EVP_MD_get0_name(md));
}

std::string lower_hex(const Digest &d) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < d.size; ++i) {
        text += digits[d.bytes[i] >> 4];
        text += digits[d.bytes[i] & 15];
    }
    return text;
}

bool starts_with(const std::string &text, const char *prefix) { return text.rfind(prefix, 0) == 0; }

// A piece of server text fit for an error message: printable ASCII, short.
std::string quoted(const std::string &text) {
    std::string shown;
    for (char c : text.substr(0, 80)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    return "\"" + shown + (text.size() > 80 ? "...\"" : "\"");
}

// Errors from respond() leave out the mechanism's name: the session adds it.
void check_challenge(const std::string &challenge) {
    if (challenge.size() > max_challenge_size)
        fail(INETKIT_ERROR_PROTOCOL, "the server's challenge is larger than 16 KiB");
    // No mechanism here has binary challenges; a NUL is an attempt to cut a
    // string short somewhere downstream.
    if (challenge.find('\0') != std::string::npos)
        fail(INETKIT_ERROR_PROTOCOL, "the server's challenge contains a NUL byte");
}

void require_no_nul(const std::string &text, const char *what) {
    if (text.find('\0') != std::string::npos)
        fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " contains a NUL character");
}

void require_user(const std::string &user, const char *mechanism) {
    if (user.empty()) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(mechanism) + " needs a user name");
}

// The RFC 5801 saslname: ',' ends an attribute and '=' starts an escape.
std::string saslname(const std::string &name) {
    std::string escaped;
    for (char c : name) {
        if (c == '=') escaped += "=3D";
        else if (c == ',') escaped += "=2C";
        else escaped += c;
    }
    return escaped;
}

// The checks of SASLprep (RFC 4013) that matter for a client: well-formed
// UTF-8 and no control characters (tables C.2.1, C.2.2). The mapping and
// NFKC steps are left out, so other UTF-8 passes unchanged; servers that do
// not prepare their stored passwords agree with that.
bool prohibited_control(unsigned long c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x06dd || c == 0x070f || c == 0x180e || c == 0x200c ||
           c == 0x200d || c == 0x2028 || c == 0x2029 || (c >= 0x2060 && c <= 0x2063) || (c >= 0x206a && c <= 0x206f) ||
           c == 0xfeff || (c >= 0xfff9 && c <= 0xfffc) || (c >= 0x1d173 && c <= 0x1d17a);
}

void check_saslprep(const std::string &text, const char *what) {
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n;) {
        unsigned long c = s[i];
        std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 4;
        if (extra == 4 || i + extra >= n) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " is not valid UTF-8");
        c &= 0x7fu >> extra; // the lead byte's payload bits
        for (std::size_t k = 1; k <= extra; ++k) {
            if ((s[i + k] & 0xc0) != 0x80) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " is not valid UTF-8");
            c = (c << 6) | (s[i + k] & 0x3fu);
        }
        // Overlong forms and surrogates would let one character pass as another.
        static const unsigned long smallest[] = {0, 0x80, 0x800, 0x10000};
        if (c < smallest[extra] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " is not valid UTF-8");
        if (prohibited_control(c)) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " contains a control character");
        i += extra + 1;
    }
}

// \x01 separates the OAuth fields, so neither value may hold a control character.
void check_oauth(const std::string &user, const std::string &token) {
    auto has_control = [](const std::string &text) {
        for (char c : text)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
        return false;
    };
    if (has_control(user)) fail(INETKIT_ERROR_INVALID_PARAMETER, "the user name contains a control character");
    if (token.empty()) fail(INETKIT_ERROR_INVALID_PARAMETER, "the OAuth token is empty");
    if (has_control(token)) fail(INETKIT_ERROR_INVALID_PARAMETER, "the OAuth token contains a control character");
}

// ---- mechanisms that can open with a message --------------------------------

// The opening message goes either with "AUTH NAME <initial response>" or,
// when the caller sends "AUTH NAME" alone (Office 365 wants two steps), as the
// answer to the server's empty challenge. Whichever comes first produces it.
class Opening : public Mechanism {
public:
    std::optional<std::string> initial_response() final {
        if (opened_) fail(INETKIT_ERROR_INVALID_STATE, std::string(name()) + ": the initial response was already produced");
        opened_ = true;
        return opening();
    }
    std::string respond(const std::string &challenge) final {
        check_challenge(challenge);
        if (!opened_) {
            if (!challenge.empty())
                fail(INETKIT_ERROR_PROTOCOL, "the server sent a challenge before the client's first message");
            opened_ = true;
            return opening();
        }
        return next(challenge);
    }

protected:
    virtual std::string opening() = 0;
    virtual std::string next(const std::string &challenge) = 0;

private:
    bool opened_ = false;
};

class Plain final : public Opening {
public:
    Plain(const std::string &user, const std::string &password) : user_(user), password_(password) {
        require_user(user, name());
        require_no_nul(user, "the user name");
        require_no_nul(password, "the password");
    }
    const char *name() const noexcept override { return "PLAIN"; }
    void succeeded() override {}
    bool reveals_password() const noexcept override { return true; }

private:
    std::string opening() override { return std::string(1, '\0') + user_ + '\0' + password_.text(); }
    std::string next(const std::string &) override {
        fail(INETKIT_ERROR_PROTOCOL, "the server sent a challenge after the credentials");
    }
    std::string user_;
    Secret password_;
};

class XOAuth2 final : public Opening {
public:
    XOAuth2(const std::string &user, const std::string &token) : user_(user), token_(token) {
        require_user(user, name());
        check_oauth(user, token);
    }
    const char *name() const noexcept override { return "XOAUTH2"; }
    void succeeded() override {}
    bool reveals_password() const noexcept override { return true; }

private:
    std::string opening() override { return "user=" + user_ + "\x01" "auth=Bearer " + token_.text() + "\x01\x01"; }
    // The one challenge is the server's JSON error; the empty answer lets it
    // finish with -ERR.
    std::string next(const std::string &) override {
        if (error_answered_) fail(INETKIT_ERROR_PROTOCOL, "the server sent a second challenge");
        error_answered_ = true;
        return "";
    }
    std::string user_;
    Secret token_;
    bool error_answered_ = false;
};

class OAuthBearer final : public Opening {
public:
    OAuthBearer(const std::string &user, const std::string &token) : user_(user), token_(token) {
        check_oauth(user, token);
    }
    const char *name() const noexcept override { return "OAUTHBEARER"; }
    void succeeded() override {}
    bool reveals_password() const noexcept override { return true; }

private:
    // The GS2 header's authzid is optional (RFC 7628 section 3.1).
    std::string opening() override {
        std::string gs2 = user_.empty() ? "n,," : "n,a=" + saslname(user_) + ",";
        return gs2 + "\x01" "auth=Bearer " + token_.text() + "\x01\x01";
    }
    // RFC 7628 section 3.2.3: the client answers the error with a lone %x01.
    std::string next(const std::string &) override {
        if (error_answered_) fail(INETKIT_ERROR_PROTOCOL, "the server sent a second challenge");
        error_answered_ = true;
        return "\x01";
    }
    std::string user_;
    Secret token_;
    bool error_answered_ = false;
};

// ---- SCRAM (RFC 5802, RFC 7677) ---------------------------------------------

// "a=value" attributes of a SCRAM message, read in order.
class Attributes {
public:
    explicit Attributes(const std::string &message) : message_(message) {}
    bool at_end() const noexcept { return position_ > message_.size(); }
    char peek_name() const noexcept { return at_end() ? '\0' : message_[position_]; }
    // The value of the next attribute, which must be `name`.
    std::string take(char name, const char *meaning) {
        if (at_end() || peek_name() != name || position_ + 1 >= message_.size() || message_[position_ + 1] != '=')
            malformed(std::string("no ") + meaning + " (" + name + "=)");
        std::size_t begin = position_ + 2, comma = message_.find(',', begin);
        std::size_t end = comma == std::string::npos ? message_.size() : comma;
        position_ = end + 1;
        return message_.substr(begin, end - begin);
    }
    // Extensions may follow the attributes we know; each must still be a=value.
    void skip_extensions() {
        while (!at_end()) {
            char name = peek_name();
            if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) malformed("a malformed extension");
            take(name, "extension value");
        }
    }
    [[noreturn]] void malformed(const std::string &what) const {
        fail(INETKIT_ERROR_PROTOCOL, what + " in the server's message " + quoted(message_));
    }

private:
    const std::string &message_;
    std::size_t position_ = 0;
};

// RFC 5802 "printable": %x21-7E except ','.
bool printable_nonce(const std::string &nonce) {
    if (nonce.empty()) return false;
    for (char c : nonce)
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    return true;
}

long parse_iterations(const std::string &text, Attributes &attributes) {
    if (text.empty() || text[0] == '0') attributes.malformed("an iteration count that is not a positive number");
    for (char c : text)
        if (c < '0' || c > '9') attributes.malformed("an iteration count that is not a positive number");
    if (text.size() > 7 || std::stol(text) > max_scram_iterations)
        fail(INETKIT_ERROR_AUTH_FAILED,
             "the server asks for " + quoted(text) + " PBKDF2 iterations; the limit is 1000000");
    return std::stol(text);
}

class Scram final : public Opening {
public:
    Scram(Kind kind, const std::string &user, const std::string &password, const std::string &client_nonce)
        : md_(kind == Kind::ScramSha1 ? EVP_sha1() : EVP_sha256()),
          name_(kind == Kind::ScramSha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256"), password_(password), nonce_(client_nonce) {
        require_user(user, name_);
        check_saslprep(user, "the user name");
        check_saslprep(password, "the password");
        if (password.size() > INT_MAX) fail(INETKIT_ERROR_INVALID_PARAMETER, "the password is too long");
        if (nonce_.empty()) nonce_ = random_nonce();
        else if (!printable_nonce(nonce_)) fail(INETKIT_ERROR_INVALID_PARAMETER, "the SCRAM client nonce is not printable");
        client_first_bare_ = "n=" + saslname(user) + ",r=" + nonce_;
    }
    const char *name() const noexcept override { return name_; }
    void succeeded() override {
        if (state_ != State::Verified)
            fail(INETKIT_ERROR_AUTH_SERVER_UNVERIFIED,
                 std::string(name_) + ": the server accepted the login without proving that it knows the password");
    }
    bool reveals_password() const noexcept override { return false; }

private:
    enum class State { Start, SentClientFirst, SentClientFinal, Verified, Failed };

    static std::string random_nonce() {
        unsigned char bytes[scram_nonce_bytes];
        if (RAND_bytes(bytes, sizeof bytes) != 1) fail(INETKIT_ERROR_INTERNAL, "SCRAM: the random generator failed");
        return base64_encode(std::string(reinterpret_cast<char *>(bytes), sizeof bytes));
    }

    std::string opening() override {
        state_ = State::SentClientFirst;
        return "n,," + client_first_bare_; // no channel binding, no authzid
    }

    // A failed step leaves the exchange dead: no later message is answered.
    std::string next(const std::string &challenge) override {
        State state = state_;
        state_ = State::Failed;
        switch (state) {
        case State::SentClientFirst: {
            std::string client_final = client_final_message(challenge);
            state_ = State::SentClientFinal;
            return client_final;
        }
        case State::SentClientFinal:
            verify_server_final(challenge);
            state_ = State::Verified;
            return ""; // POP3 has no "additional data with success": the empty answer ends the exchange
        case State::Verified:
            fail(INETKIT_ERROR_PROTOCOL, "the server sent a challenge after its final message");
        default:
            fail(INETKIT_ERROR_PROTOCOL, "the exchange has already failed");
        }
    }

    std::string client_final_message(const std::string &server_first) {
        Attributes attributes(server_first);
        if (attributes.peek_name() == 'm') attributes.malformed("a mandatory extension (m=) we do not support");
        std::string nonce = attributes.take('r', "nonce");
        std::string salt_text = attributes.take('s', "salt");
        std::string iterations_text = attributes.take('i', "iteration count");
        attributes.skip_extensions();

        if (!printable_nonce(nonce)) attributes.malformed("a nonce with unprintable characters");
        // The server must extend our nonce; anything else is a replay or a
        // man in the middle.
        if (nonce.size() <= nonce_.size() || nonce.compare(0, nonce_.size(), nonce_) != 0)
            fail(INETKIT_ERROR_AUTH_FAILED, "the server's nonce does not extend the client's");
        std::string salt;
        try {
            salt = base64_decode(salt_text);
        } catch (const Error &) {
            attributes.malformed("a salt that is not base64");
        }
        if (salt.empty()) attributes.malformed("an empty salt");
        long iterations = parse_iterations(iterations_text, attributes);

        std::string without_proof = "c=biws,r=" + nonce; // biws = base64("n,,")
        std::string auth_message = client_first_bare_ + "," + server_first + "," + without_proof;

        Digest salted, client_key, stored_key, client_signature, server_key;
        int size = EVP_MD_get_size(md_);
        if (!PKCS5_PBKDF2_HMAC(password_.text().data(), static_cast<int>(password_.text().size()),
                               reinterpret_cast<const unsigned char *>(salt.data()), static_cast<int>(salt.size()),
                               static_cast<int>(iterations), md_, size, salted.bytes))
            fail_digest(std::string(name_) + ": PBKDF2-HMAC");
        salted.size = static_cast<unsigned int>(size);
        password_.wipe(); // the salted password is all that is needed from here on

        hmac(md_, salted, "Client Key", client_key);
        digest(md_, client_key, stored_key);
        hmac(md_, stored_key, auth_message, client_signature);
        hmac(md_, salted, "Server Key", server_key);
        hmac(md_, server_key, auth_message, server_signature_);

        Digest proof;
        proof.size = client_key.size;
        for (unsigned int i = 0; i < proof.size; ++i) proof.bytes[i] = client_key.bytes[i] ^ client_signature.bytes[i];
        return without_proof + ",p=" + base64_encode(proof.text());
    }

    void verify_server_final(const std::string &server_final) {
        Attributes attributes(server_final);
        if (attributes.peek_name() == 'e')
            fail(INETKIT_ERROR_AUTH_FAILED, "the server refused the proof: " + quoted(attributes.take('e', "error")));
        std::string verifier_text = attributes.take('v', "server signature");
        attributes.skip_extensions();
        std::string verifier;
        try {
            verifier = base64_decode(verifier_text);
        } catch (const Error &) {
            attributes.malformed("a server signature that is not base64");
        }
        // Constant time, so a forger learns nothing from how long a wrong guess took.
        if (verifier.size() != server_signature_.size ||
            CRYPTO_memcmp(verifier.data(), server_signature_.bytes, server_signature_.size) != 0)
            fail(INETKIT_ERROR_AUTH_SERVER_UNVERIFIED, "the server's signature is wrong; it does not know the password");
    }

    const EVP_MD *md_;
    const char *name_;
    Secret password_;
    std::string nonce_, client_first_bare_;
    Digest server_signature_;
    State state_ = State::Start;
};

// ---- mechanisms that wait for the server ------------------------------------

class Login final : public Mechanism {
public:
    Login(const std::string &user, const std::string &password) : user_(user), password_(password) {
        require_user(user, name());
        require_no_nul(user, "the user name");
        require_no_nul(password, "the password");
    }
    const char *name() const noexcept override { return "LOGIN"; }
    std::optional<std::string> initial_response() override { return std::nullopt; }
    // The prompts are "Username:" and "Password:" by custom only, so an
    // unknown text is answered by its place in the exchange.
    std::string respond(const std::string &challenge) override {
        check_challenge(challenge);
        if (answers_ == 2) fail(INETKIT_ERROR_PROTOCOL, "the server sent a third challenge " + quoted(challenge));
        std::string prompt;
        for (char c : challenge) prompt += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        bool wants_user = starts_with(prompt, "user") ? true : starts_with(prompt, "pass") ? false : answers_ == 0;
        ++answers_;
        return wants_user ? user_ : password_.text();
    }
    void succeeded() override {}
    bool reveals_password() const noexcept override { return true; }

private:
    std::string user_;
    Secret password_;
    int answers_ = 0;
};

class CramMd5 final : public Mechanism {
public:
    CramMd5(const std::string &user, const std::string &password) : user_(user), password_(password) {
        require_user(user, name());
        require_no_nul(user, "the user name");
    }
    const char *name() const noexcept override { return "CRAM-MD5"; }
    std::optional<std::string> initial_response() override { return std::nullopt; }
    std::string respond(const std::string &challenge) override {
        check_challenge(challenge);
        if (answered_) fail(INETKIT_ERROR_PROTOCOL, "the server sent a second challenge");
        // An empty challenge would make the answer a bare function of the password.
        if (challenge.empty()) fail(INETKIT_ERROR_PROTOCOL, "the server's challenge is empty");
        answered_ = true;
        Digest mac;
        hmac(EVP_md5(), password_.text().data(), password_.text().size(), challenge, mac);
        return user_ + " " + lower_hex(mac);
    }
    void succeeded() override {}
    bool reveals_password() const noexcept override { return false; }

private:
    std::string user_;
    Secret password_;
    bool answered_ = false;
};

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

} // namespace

std::unique_ptr<Mechanism> make(Kind kind, const std::string &user, const std::string &password,
                                const std::string &client_nonce) {
    switch (kind) {
    case Kind::Plain: return std::make_unique<Plain>(user, password);
    case Kind::Login: return std::make_unique<Login>(user, password);
    case Kind::CramMd5: return std::make_unique<CramMd5>(user, password);
    case Kind::ScramSha1:
    case Kind::ScramSha256: return std::make_unique<Scram>(kind, user, password, client_nonce);
    case Kind::XOAuth2: return std::make_unique<XOAuth2>(user, password);
    case Kind::OAuthBearer: return std::make_unique<OAuthBearer>(user, password);
    }
    fail(INETKIT_ERROR_INVALID_PARAMETER, "unknown SASL mechanism");
}

std::string base64_encode(const std::string &data) {
    if (data.size() > INT_MAX / 4 * 3) fail(INETKIT_ERROR_INVALID_PARAMETER, "too much data for base64");
    std::string text(4 * ((data.size() + 2) / 3) + 1, '\0'); // EVP_EncodeBlock adds a NUL
    int written = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(text.data()),
                                  reinterpret_cast<const unsigned char *>(data.data()), static_cast<int>(data.size()));
    text.resize(static_cast<std::size_t>(written));
    return text;
}

// Our own decoder: EVP_DecodeBlock skips whitespace and keeps the padding's
// zero bytes, and a challenge decoder should be exact instead.
std::string base64_decode(const std::string &text) {
    if (text.size() % 4 != 0) fail(INETKIT_ERROR_PROTOCOL, "base64 text whose length is not a multiple of 4");
    std::string data;
    data.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        // Padding only ends the text: "xx==" or "xxx=".
        std::size_t padding = last && text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0;
        unsigned long group = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            int value = k >= 4 - padding ? 0 : base64_value(text[i + k]);
            if (value < 0)
                fail(INETKIT_ERROR_PROTOCOL, "base64 text with a character outside the alphabet or misplaced padding");
            group = group << 6 | static_cast<unsigned long>(value);
        }
        // The bits that padding leaves over must be zero, so each text has one meaning.
        if ((padding == 1 && (group & 0xff)) || (padding == 2 && (group & 0xffff)))
            fail(INETKIT_ERROR_PROTOCOL, "base64 text with stray bits before the padding");
        data += static_cast<char>(group >> 16);
        if (padding < 2) data += static_cast<char>(group >> 8 & 0xff);
        if (padding < 1) data += static_cast<char>(group & 0xff);
    }
    return data;
}

} // namespace inetkit::pop::sasl
