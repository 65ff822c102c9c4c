// libFuzzer target: the SASL mechanisms of POP3 AUTH (src/pop/sasl.cpp) on
// hostile server challenges. Input: a mechanism byte, a flags byte, then
// user, password and challenges separated by 0xFF. Flag 1: the challenges
// are base64 text, decoded first as the session does (a bad one must throw
// PROTOCOL); flag 2: the fuzzer answers the SCRAM client-final with the
// server signature a real server would compute, followed by the input's
// second challenge as an extension.
//
// Holds: every failure is an inetkit::Error with a code respond() and
// make() document; CRAM-MD5 answers "user HMAC-MD5(password, challenge)";
// SCRAM's proof is what RFC 5802 computes from the challenge it accepted,
// and succeeded() passes only after the server proved the same signature
// (checked with OpenSSL here, independently of sasl.cpp).
#include "fuzz_check.hpp"
#include "core/error.hpp"
#include "pop/sasl.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace inetkit;
using namespace inetkit::pop;

constexpr char client_nonce[] = "fyko+d2lbbFgONRv9qkxdawL";
// PBKDF2 runs the server's count on our CPU; the engine allows up to 10^6.
// Counts above this and up to the engine's limit only cost time, so such
// inputs stop before the SCRAM step (larger ones still go in: they are refused).
constexpr long max_fuzzed_iterations = 20000;

bool documented(ErrorCode code) {
    return code == INETKIT_ERROR_PROTOCOL || code == INETKIT_ERROR_AUTH_FAILED ||
           code == INETKIT_ERROR_AUTH_SERVER_UNVERIFIED || code == INETKIT_ERROR_INVALID_PARAMETER ||
           code == INETKIT_ERROR_INVALID_STATE;
}

std::string hmac(const EVP_MD *md, const std::string &key, const std::string &data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char *>(data.data()), data.size(),
         out, &size);
    return std::string(reinterpret_cast<char *>(out), size);
}

std::string hash(const EVP_MD *md, const std::string &data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out, &size, md, nullptr);
    return std::string(reinterpret_cast<char *>(out), size);
}

// The value of attribute `name` in a SCRAM message, or "" (first match).
std::string attribute(const std::string &message, char name) {
    std::size_t at = 0;
    for (;;) {
        if (message.compare(at, 2, std::string{name, '='}) == 0) {
            std::size_t end = message.find(',', at);
            return message.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
        }
        at = message.find(',', at);
        if (at == std::string::npos) return "";
        ++at;
    }
}

std::string escaped_user(const std::string &user) {
    std::string out;
    for (char c : user) out += c == '=' ? "=3D" : c == ',' ? "=2C" : std::string(1, c);
    return out;
}

// A SCRAM server's view of one exchange: what it expects, and what it signs.
struct ScramServer {
    const EVP_MD *md;
    std::string salted, auth_message;

    // From the client-final the mechanism produced for server_first.
    void check_client_final(const std::string &user, const std::string &password, const std::string &server_first,
                            const std::string &client_final) {
        std::string without_proof = client_final.substr(0, client_final.rfind(",p="));
        if (without_proof != "c=biws,r=" + attribute(server_first, 'r')) broken("SCRAM client-final does not echo the nonce");
        std::string salt = sasl::base64_decode(attribute(server_first, 's'));
        long iterations = std::stol(attribute(server_first, 'i'));
        salted.resize(static_cast<std::size_t>(EVP_MD_get_size(md)));
        PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char *>(salt.data()), static_cast<int>(salt.size()),
                          static_cast<int>(iterations), md, static_cast<int>(salted.size()),
                          reinterpret_cast<unsigned char *>(salted.data()));
        auth_message = "n=" + escaped_user(user) + ",r=" + client_nonce + "," + server_first + "," + without_proof;
        std::string proof = sasl::base64_decode(client_final.substr(client_final.rfind(",p=") + 3));
        std::string client_key = hmac(md, salted, "Client Key");
        std::string signature = hmac(md, hash(md, client_key), auth_message);
        if (proof.size() != client_key.size()) broken("SCRAM proof has the wrong size");
        for (std::size_t i = 0; i < proof.size(); ++i)
            if (static_cast<char>(proof[i] ^ signature[i]) != client_key[i]) broken("SCRAM proof is wrong");
    }
    std::string signature() const { return hmac(md, hmac(md, salted, "Server Key"), auth_message); }
};

std::string lower_hex(const std::string &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// Whether a SCRAM server-first would make PBKDF2 run long enough to stall fuzzing.
bool slow_iterations(const std::string &server_first) {
    std::string count = attribute(server_first, 'i');
    if (count.empty() || count.size() > 7 || count.find_first_not_of("0123456789") != std::string::npos) return false;
    long value = std::stol(count);
    return value > max_fuzzed_iterations && value <= 1000000;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 2) return 0;
    static const sasl::Kind kinds[] = {sasl::Kind::Plain,       sasl::Kind::Login,   sasl::Kind::CramMd5,
                                       sasl::Kind::ScramSha1,   sasl::Kind::ScramSha256, sasl::Kind::XOAuth2,
                                       sasl::Kind::OAuthBearer};
    sasl::Kind kind = kinds[data[0] % 7];
    bool encoded = data[1] & 1, sign_correctly = data[1] & 2;
    std::string_view input(reinterpret_cast<const char *>(data) + 2, size - 2);
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        std::size_t end = input.find('\xFF', start);
        parts.emplace_back(input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    while (parts.size() < 2) parts.emplace_back();
    const std::string &user = parts[0], &password = parts[1];
    bool scram = kind == sasl::Kind::ScramSha1 || kind == sasl::Kind::ScramSha256;

    std::unique_ptr<sasl::Mechanism> mechanism;
    try {
        mechanism = sasl::make(kind, user, password, client_nonce);
    } catch (const Error &error) {
        if (error.code() != INETKIT_ERROR_INVALID_PARAMETER) broken("make() failed with an undocumented code");
        return 0;
    }
    ScramServer server{kind == sasl::Kind::ScramSha1 ? EVP_sha1() : EVP_sha256(), {}, {}};
    const std::string client_first = "n,,n=" + escaped_user(user) + ",r=" + client_nonce;
    bool opened = false, verified = false; // verified: the server sent the right signature
    try {
        if (data[1] & 4) { // "AUTH NAME <initial response>"; otherwise the first challenge opens
            std::optional<std::string> initial = mechanism->initial_response();
            if (kind == sasl::Kind::Plain && initial != std::string(1, '\0') + user + '\0' + password)
                broken("PLAIN sent something else than \\0user\\0password");
            if (scram && initial != client_first) broken("SCRAM client-first is wrong");
            opened = initial.has_value();
        }
        for (std::size_t i = 2; i < parts.size(); ++i) {
            std::string challenge = parts[i];
            if (encoded) challenge = sasl::base64_decode(challenge);
            bool after_client_final = !server.auth_message.empty();
            if (scram && sign_correctly && after_client_final && !verified)
                challenge = "v=" + sasl::base64_encode(server.signature()) + (challenge.empty() ? "" : "," + challenge);
            if (scram && slow_iterations(challenge)) return 0;
            std::string response = mechanism->respond(challenge);
            if (kind == sasl::Kind::CramMd5 && response != user + " " + lower_hex(hmac(EVP_md5(), password, challenge)))
                broken("CRAM-MD5 answered wrongly");
            if (kind == sasl::Kind::Login && response != user && response != password)
                broken("LOGIN answered with neither the user nor the password");
            if (!scram) continue;
            if (!opened) { // the empty first challenge of a two-step AUTH
                if (response != client_first) broken("SCRAM opened with something else than its client-first");
                opened = true;
            } else if (!after_client_final) {
                server.check_client_final(user, password, challenge, response);
            } else {
                // The empty answer to the server-final: the signature must be the right one.
                if (!response.empty() || verified) broken("SCRAM answered past its server-final");
                std::string verifier = sasl::base64_decode(attribute(challenge, 'v'));
                if (challenge.rfind("v=", 0) != 0 || verifier != server.signature())
                    broken("SCRAM accepted a server signature that is wrong");
                verified = true;
            }
        }
        mechanism->succeeded();
        if (scram && !verified) broken("SCRAM succeeded without the server's signature");
    } catch (const Error &error) {
        if (!documented(error.code())) {
            std::fprintf(stderr, "code %u: %s\n", error.code(), error.what());
            broken("undocumented error code");
        }
        if (error.code() == INETKIT_ERROR_AUTH_SERVER_UNVERIFIED && !scram) broken("only SCRAM verifies the server");
    }
    return 0;
}
