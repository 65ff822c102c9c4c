// Unit tests of the SASL mechanisms: the RFC test vectors for SCRAM and
// CRAM-MD5, the exact bytes of the other mechanisms, and the hostile-server
// cases (forged signatures, foreign nonces, malformed, huge or NUL-laden
// challenges) that must end the exchange with an error.
// The engine headers come before cmocka.h, whose fail() macro would
// otherwise rewrite inetkit::fail.
#include "core/error.hpp"
#include "pop/sasl.hpp"

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
extern "C" {
#include <cmocka.h>
}

#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>

using namespace inetkit;
using namespace inetkit::pop::sasl;

namespace {

using namespace std::string_literals; // "\0..."s keeps the NULs

ErrorCode code_of(const std::function<void()> &body, std::string *message = nullptr) {
    try {
        body();
    } catch (const Error &error) {
        if (message) *message = error.what();
        return error.code();
    }
    return INETKIT_ERROR_NONE;
}

// An exception escaping a test would end the whole run inside cmocka's C
// frames; this turns it into that test's failure instead.
template <void (*body)(void **)>
void guarded(void **state) {
    std::string escaped;
    bool threw = false;
    try {
        body(state);
    } catch (const std::exception &error) {
        threw = true;
        escaped = error.what();
    }
    if (threw) fail_msg("unexpected exception: %s", escaped.c_str()); // outside the handler: it longjmps
}

ErrorCode respond_code(Mechanism &mechanism, const std::string &challenge) {
    return code_of([&] { mechanism.respond(challenge); });
}

// Builds a SCRAM exchange that has sent its client-first message.
std::unique_ptr<Mechanism> scram_sha1_started() {
    auto scram = make(Kind::ScramSha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
    scram->initial_response();
    return scram;
}

const std::string rfc5802_server_first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";

// ---- SCRAM ------------------------------------------------------------------

void test_scram_sha1_rfc5802(void **) {
    auto scram = make(Kind::ScramSha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
    assert_string_equal(scram->name(), "SCRAM-SHA-1");
    assert_false(scram->reveals_password());
    auto first = scram->initial_response();
    assert_true(first.has_value());
    assert_string_equal(first->c_str(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    assert_string_equal(scram->respond(rfc5802_server_first).c_str(),
                        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    assert_string_equal(scram->respond("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").c_str(), "");
    assert_int_equal(code_of([&] { scram->succeeded(); }), INETKIT_ERROR_NONE);
}

void test_scram_sha256_rfc7677(void **) {
    auto scram = make(Kind::ScramSha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    assert_string_equal(scram->name(), "SCRAM-SHA-256");
    assert_string_equal(scram->initial_response()->c_str(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    assert_string_equal(
        scram->respond("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").c_str(),
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    assert_string_equal(scram->respond("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").c_str(), "");
    assert_int_equal(code_of([&] { scram->succeeded(); }), INETKIT_ERROR_NONE);
}

// Without an initial response the server's empty challenge asks for the first message.
void test_scram_two_step(void **) {
    auto scram = make(Kind::ScramSha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
    assert_string_equal(scram->respond("").c_str(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    assert_string_equal(scram->respond(rfc5802_server_first).c_str(),
                        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    // A server that speaks first with anything but the empty challenge is out of order.
    auto early = make(Kind::ScramSha1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
    assert_int_equal(respond_code(*early, rfc5802_server_first), INETKIT_ERROR_PROTOCOL);
}

void test_scram_wrong_server_signature(void **) {
    auto scram = scram_sha1_started();
    scram->respond(rfc5802_server_first);
    std::string message;
    // The right signature with its last byte changed.
    assert_int_equal(code_of([&] { scram->respond("v=rmF9pqV8S7suAoZWja4dJRkFsKU="); }, &message),
                     INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    assert_non_null(std::strstr(message.c_str(), "signature"));
    assert_int_equal(code_of([&] { scram->succeeded(); }), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    // A signature of the wrong length is just as wrong.
    auto shorter = scram_sha1_started();
    shorter->respond(rfc5802_server_first);
    assert_int_equal(respond_code(*shorter, "v=rmF9pqV8S7suAoZWja4dJRkF"), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    // So is the right signature with a byte appended.
    auto longer = scram_sha1_started();
    longer->respond(rfc5802_server_first);
    std::string padded = base64_decode("rmF9pqV8S7suAoZWja4dJRkFsKQ=") + "x";
    assert_int_equal(respond_code(*longer, "v=" + base64_encode(padded)), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    // The SHA-1 signature offered to a SHA-256 exchange.
    auto sha256 = make(Kind::ScramSha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    sha256->initial_response();
    sha256->respond("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    assert_int_equal(respond_code(*sha256, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
}

void test_scram_succeeded_without_server_final(void **) {
    auto fresh = make(Kind::ScramSha256, "user", "pencil");
    assert_int_equal(code_of([&] { fresh->succeeded(); }), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    auto started = scram_sha1_started();
    assert_int_equal(code_of([&] { started->succeeded(); }), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    auto proved = scram_sha1_started();
    proved->respond(rfc5802_server_first);
    std::string message;
    assert_int_equal(code_of([&] { proved->succeeded(); }, &message), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    assert_non_null(std::strstr(message.c_str(), "SCRAM-SHA-1"));
}

void test_scram_server_error(void **) {
    auto scram = scram_sha1_started();
    scram->respond(rfc5802_server_first);
    std::string message;
    assert_int_equal(code_of([&] { scram->respond("e=invalid-proof"); }, &message), INETKIT_ERROR_AUTH_FAILED);
    assert_non_null(std::strstr(message.c_str(), "invalid-proof"));
    assert_int_equal(code_of([&] { scram->succeeded(); }), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
}

void test_scram_foreign_nonce(void **) {
    const char *server_firsts[] = {
        "r=XXXX+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", // not our prefix
        "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096",                   // no server part
        "r=fyko+d2lbbFgONRv9qkxda,s=QSXCR+Q6sek8bf92,i=4096",                     // ours, shortened
        "r=3rfcNHYJY1ZVvWVs7jfyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", // ours, not at the start
    };
    for (const char *server_first : server_firsts) {
        auto scram = scram_sha1_started();
        assert_int_equal(respond_code(*scram, server_first), INETKIT_ERROR_AUTH_FAILED);
        // The exchange is dead: neither the genuine server-first nor the
        // genuine server-final revives it.
        assert_int_not_equal(respond_code(*scram, rfc5802_server_first), INETKIT_ERROR_NONE);
        assert_int_not_equal(respond_code(*scram, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), INETKIT_ERROR_NONE);
        assert_int_equal(code_of([&] { scram->succeeded(); }), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    }
}

void test_scram_malformed_server_first(void **) {
    const std::string r = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";
    const std::string protocol_errors[] = {
        "",
        "garbage",
        r,                                           // no salt
        r + ",s=QSXCR+Q6sek8bf92",                   // no iteration count
        r + ",i=4096,s=QSXCR+Q6sek8bf92",            // out of order
        "s=QSXCR+Q6sek8bf92," + r + ",i=4096",       // out of order
        "m=ext," + r + ",s=QSXCR+Q6sek8bf92,i=4096", // mandatory extension
        r + ",s=,i=4096",                            // empty salt
        r + ",s=QSXCR+Q6sek8bf9,i=4096",             // salt not base64
        r + ",s=QSXCR!Q6sek8bf92,i=4096",
        r + ",s=QSXCR+Q6sek8bf92,i=",
        r + ",s=QSXCR+Q6sek8bf92,i=0",
        r + ",s=QSXCR+Q6sek8bf92,i=-1",
        r + ",s=QSXCR+Q6sek8bf92,i=+4096",
        r + ",s=QSXCR+Q6sek8bf92,i=04096",
        r + ",s=QSXCR+Q6sek8bf92,i=4096x",
        r + ",s=QSXCR+Q6sek8bf92,i= 4096",
        r + ",s=QSXCR+Q6sek8bf92,i=4096,",           // trailing comma
        r + ",s=QSXCR+Q6sek8bf92,i=4096,,",
        r + ",s=QSXCR+Q6sek8bf92,i=4096,=x",         // extension without a name
        r + "\x7f,s=QSXCR+Q6sek8bf92,i=4096",        // unprintable nonce
        "r=,s=QSXCR+Q6sek8bf92,i=4096",
        "r" + r.substr(1),                           // "rr=..."
    };
    for (const std::string &server_first : protocol_errors) {
        auto scram = scram_sha1_started();
        std::string message;
        ErrorCode code = code_of([&] { scram->respond(server_first); }, &message);
        if (code != INETKIT_ERROR_PROTOCOL) print_error("accepted or misjudged: \"%s\" (%u)\n", server_first.c_str(), code);
        assert_int_equal(code, INETKIT_ERROR_PROTOCOL);
    }
    // The message names what we cannot do.
    auto mandatory = scram_sha1_started();
    std::string message;
    assert_int_equal(code_of([&] { mandatory->respond("m=ext," + rfc5802_server_first); }, &message), INETKIT_ERROR_PROTOCOL);
    assert_non_null(std::strstr(message.c_str(), "mandatory extension"));
    // Iteration counts beyond the limit are refused, not misread.
    for (const char *count : {"1000001", "99999999999999999999"}) {
        auto scram = scram_sha1_started();
        assert_int_equal(respond_code(*scram, r + ",s=QSXCR+Q6sek8bf92,i=" + count), INETKIT_ERROR_AUTH_FAILED);
    }
    // Extensions after the known attributes are allowed and ignored, but
    // they are part of the AuthMessage, so the proof differs.
    auto extended = scram_sha1_started();
    std::string client_final = extended->respond(rfc5802_server_first + ",x=future");
    assert_true(client_final.rfind("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=", 0) == 0);
    assert_string_not_equal(client_final.c_str(),
                            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    // The smallest and largest counts are accepted.
    for (const char *count : {"1", "1000000"}) {
        auto scram = scram_sha1_started();
        assert_int_equal(respond_code(*scram, r + ",s=QSXCR+Q6sek8bf92,i=" + count), INETKIT_ERROR_NONE);
    }
}

void test_scram_malformed_server_final(void **) {
    const char *finals[] = {"", "x", "rmF9pqV8S7suAoZWja4dJRkFsKQ=", "v=rmF9pqV8S7suAoZWja4dJRkFsKQ",
                            "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=,", "V=rmF9pqV8S7suAoZWja4dJRkFsKQ="};
    for (const char *server_final : finals) {
        auto scram = scram_sha1_started();
        scram->respond(rfc5802_server_first);
        assert_int_equal(respond_code(*scram, server_final), INETKIT_ERROR_PROTOCOL);
        assert_int_equal(code_of([&] { scram->succeeded(); }), INETKIT_ERROR_AUTH_SERVER_UNVERIFIED);
    }
    // After the verified final message the exchange is over.
    auto scram = scram_sha1_started();
    scram->respond(rfc5802_server_first);
    scram->respond("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    assert_int_equal(respond_code(*scram, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), INETKIT_ERROR_PROTOCOL);
}

void test_scram_user_names_and_nonces(void **) {
    auto scram = make(Kind::ScramSha256, "a=b,c", "pencil", "nonce");
    assert_string_equal(scram->initial_response()->c_str(), "n,,n=a=3Db=2Cc,r=nonce");
    // UTF-8 passes through unchanged.
    auto utf8 = make(Kind::ScramSha256, "J\xc3\xbcrgen", "p\xe2\x82\xac", "nonce");
    assert_string_equal(utf8->initial_response()->c_str(), "n,,n=J\xc3\xbcrgen,r=nonce");
    // Random nonces: 24 bytes as base64, different every time.
    std::set<std::string> nonces;
    for (int i = 0; i < 8; ++i) {
        std::string first = *make(Kind::ScramSha1, "user", "pencil")->initial_response();
        assert_true(first.rfind("n,,n=user,r=", 0) == 0);
        std::string nonce = first.substr(std::strlen("n,,n=user,r="));
        assert_int_equal(nonce.size(), 32);
        assert_int_equal(base64_decode(nonce).size(), 24);
        nonces.insert(nonce);
    }
    assert_int_equal(nonces.size(), 8);
    // The first message is produced once.
    auto twice = make(Kind::ScramSha1, "user", "pencil");
    twice->initial_response();
    assert_int_not_equal(code_of([&] { twice->initial_response(); }), INETKIT_ERROR_NONE);
}

void test_scram_saslprep_rejects(void **) {
    const std::string bad[] = {
        "tab\there", "nul\0x"s, "del\x7f", "c1\xc2\x85",    // C.2.1, C.2.2
        "zwj\xe2\x80\x8d", "bom\xef\xbb\xbf",               // U+200D, U+FEFF
        "bad\xff", "cut\xc3", "over\xc0\xaf", "sur\xed\xa0\x80", // not UTF-8
    };
    for (Kind kind : {Kind::ScramSha1, Kind::ScramSha256}) {
        for (const std::string &text : bad) {
            assert_int_equal(code_of([&] { make(kind, "user", text); }), INETKIT_ERROR_INVALID_PARAMETER);
            assert_int_equal(code_of([&] { make(kind, text, "pencil"); }), INETKIT_ERROR_INVALID_PARAMETER);
        }
        assert_int_equal(code_of([&] { make(kind, "", "pencil"); }), INETKIT_ERROR_INVALID_PARAMETER);
        assert_int_equal(code_of([&] { make(kind, "user", "pencil", "bad,nonce"); }), INETKIT_ERROR_INVALID_PARAMETER);
        assert_int_equal(code_of([&] { make(kind, "user", "p\xf0\x9f\x94\x91"); }), INETKIT_ERROR_NONE);
    }
}

// ---- CRAM-MD5 ---------------------------------------------------------------

void test_cram_md5_rfc2195(void **) {
    auto cram = make(Kind::CramMd5, "tim", "tanstaaftanstaaf");
    assert_string_equal(cram->name(), "CRAM-MD5");
    assert_false(cram->reveals_password());
    assert_false(cram->initial_response().has_value());
    assert_string_equal(cram->respond("<1896.697170952@postoffice.reston.mci.net>").c_str(),
                        "tim b913a602c7eda7a495b4e6e7334d3890");
    assert_int_equal(code_of([&] { cram->succeeded(); }), INETKIT_ERROR_NONE);
    assert_int_equal(respond_code(*cram, "<1896.697170952@postoffice.reston.mci.net>"), INETKIT_ERROR_PROTOCOL);
}

void test_cram_md5_empty_challenge(void **) {
    auto cram = make(Kind::CramMd5, "tim", "tanstaaftanstaaf");
    assert_int_equal(respond_code(*cram, ""), INETKIT_ERROR_PROTOCOL);
}

// ---- LOGIN, PLAIN, XOAUTH2, OAUTHBEARER -------------------------------------

void test_login_sequence(void **) {
    auto login = make(Kind::Login, "alice", "secret");
    assert_string_equal(login->name(), "LOGIN");
    assert_true(login->reveals_password());
    assert_false(login->initial_response().has_value());
    assert_string_equal(login->respond("Username:").c_str(), "alice");
    assert_string_equal(login->respond("Password:").c_str(), "secret");
    assert_int_equal(respond_code(*login, "Password:"), INETKIT_ERROR_PROTOCOL);

    // Case does not matter, and the prompt decides over the order.
    auto shouting = make(Kind::Login, "alice", "secret");
    assert_string_equal(shouting->respond("PASSWORD:").c_str(), "secret");
    assert_string_equal(shouting->respond("USERNAME:").c_str(), "alice");

    // Unknown prompts are answered by their place.
    auto unknown = make(Kind::Login, "alice", "secret");
    assert_string_equal(unknown->respond("Who are you?").c_str(), "alice");
    assert_string_equal(unknown->respond("").c_str(), "secret");
    assert_int_equal(respond_code(*unknown, "And then?"), INETKIT_ERROR_PROTOCOL);
}

void test_plain_bytes(void **) {
    auto plain = make(Kind::Plain, "alice", "secret");
    assert_string_equal(plain->name(), "PLAIN");
    assert_true(plain->reveals_password());
    auto first = plain->initial_response();
    assert_true(first.has_value());
    assert_true(*first == "\0alice\0secret"s);
    assert_int_equal(respond_code(*plain, "more?"), INETKIT_ERROR_PROTOCOL);
    // Two-step: the empty challenge gets the same bytes.
    auto two_step = make(Kind::Plain, "alice", "secret");
    assert_true(two_step->respond("") == "\0alice\0secret"s);
    // A NUL would shift the fields.
    assert_int_equal(code_of([] { make(Kind::Plain, "ali\0ce"s, "secret"); }), INETKIT_ERROR_INVALID_PARAMETER);
    assert_int_equal(code_of([] { make(Kind::Plain, "alice", "sec\0ret"s); }), INETKIT_ERROR_INVALID_PARAMETER);
    assert_int_equal(code_of([] { make(Kind::Plain, "", "secret"); }), INETKIT_ERROR_INVALID_PARAMETER);
}

void test_xoauth2_bytes(void **) {
    auto xoauth2 = make(Kind::XOAuth2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    assert_string_equal(xoauth2->name(), "XOAUTH2");
    assert_true(xoauth2->reveals_password());
    assert_string_equal(xoauth2->initial_response()->c_str(),
                        "user=someuser@example.com\x01" "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01");
    // The JSON error gets the empty answer, once.
    assert_string_equal(xoauth2->respond("{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://mail.google.com/\"}").c_str(), "");
    assert_int_equal(respond_code(*xoauth2, "{}"), INETKIT_ERROR_PROTOCOL);
    // Two-step AUTH, as Office 365 wants.
    auto two_step = make(Kind::XOAuth2, "u", "t");
    assert_string_equal(two_step->respond("").c_str(), "user=u\x01" "auth=Bearer t\x01\x01");
    // \x01 in a field would forge another field.
    assert_int_equal(code_of([] { make(Kind::XOAuth2, "u\x01" "auth=x", "t"); }), INETKIT_ERROR_INVALID_PARAMETER);
    assert_int_equal(code_of([] { make(Kind::XOAuth2, "u", "t\x01"); }), INETKIT_ERROR_INVALID_PARAMETER);
    assert_int_equal(code_of([] { make(Kind::XOAuth2, "u", ""); }), INETKIT_ERROR_INVALID_PARAMETER);
}

void test_oauthbearer_bytes(void **) {
    auto bearer = make(Kind::OAuthBearer, "user@example.com", "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==");
    assert_string_equal(bearer->name(), "OAUTHBEARER");
    assert_true(bearer->reveals_password());
    assert_string_equal(bearer->initial_response()->c_str(),
                        "n,a=user@example.com,\x01" "auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01");
    assert_string_equal(bearer->respond("{\"status\":\"invalid_token\"}").c_str(), "\x01");
    assert_int_equal(respond_code(*bearer, "{}"), INETKIT_ERROR_PROTOCOL);
    // The authzid is escaped as a GS2 saslname, and optional.
    auto escaped = make(Kind::OAuthBearer, "a=b,c", "t");
    assert_string_equal(escaped->initial_response()->c_str(), "n,a=a=3Db=2Cc,\x01" "auth=Bearer t\x01\x01");
    auto anonymous = make(Kind::OAuthBearer, "", "t");
    assert_string_equal(anonymous->initial_response()->c_str(), "n,,\x01" "auth=Bearer t\x01\x01");
    assert_int_equal(code_of([] { make(Kind::OAuthBearer, "u", "t\x01"); }), INETKIT_ERROR_INVALID_PARAMETER);
}

// ---- hostile challenges (CVE-2013-0249 class) -------------------------------

void test_huge_and_nul_challenges(void **) {
    const std::string huge(16 * 1024 + 1, 'A');
    const std::string largest(16 * 1024, 'A');
    const std::string with_nul = "<1896.697170952\0@postoffice.reston.mci.net>"s;
    for (Kind kind : {Kind::Plain, Kind::Login, Kind::CramMd5, Kind::ScramSha1, Kind::ScramSha256, Kind::XOAuth2,
                      Kind::OAuthBearer}) {
        for (const std::string *challenge : {&huge, &with_nul}) {
            auto mechanism = make(kind, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
            mechanism->initial_response();
            std::string message;
            ErrorCode code = code_of([&] { mechanism->respond(*challenge); }, &message);
            assert_int_equal(code, INETKIT_ERROR_PROTOCOL);
            assert_non_null(std::strstr(message.c_str(), challenge == &huge ? "16 KiB" : "NUL"));
        }
    }
    // 16 KiB itself is still answered.
    auto cram = make(Kind::CramMd5, "tim", "tanstaaftanstaaf");
    assert_int_equal(respond_code(*cram, largest), INETKIT_ERROR_NONE);
    auto login = make(Kind::Login, "alice", "secret");
    assert_int_equal(respond_code(*login, largest), INETKIT_ERROR_NONE);
}

// ---- base64 -----------------------------------------------------------------

void test_base64_vectors(void **) {
    // RFC 4648 section 10.
    const char *vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},     {"foo", "Zm9v"},
                                {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
                                {"\xfb\xef\xbe", "++++"}, {"\xff\xff\xff", "////"}};
    for (const auto &vector : vectors) {
        assert_string_equal(base64_encode(vector[0]).c_str(), vector[1]);
        assert_string_equal(base64_decode(vector[1]).c_str(), vector[0]);
    }
    assert_string_equal(base64_decode("biws").c_str(), "n,,");
}

void test_base64_round_trips(void **) {
    std::string data;
    for (int i = 0; i < 300; ++i) {
        assert_true(base64_decode(base64_encode(data)) == data);
        data += static_cast<char>(i * 97 + 13); // every byte value, NULs included
    }
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    std::string text = base64_encode(all);
    assert_int_equal(text.size(), 344);
    assert_true(base64_decode(text) == all);
}

void test_base64_strict_rejects(void **) {
    const char *rejects[] = {
        "Zm9v!",    "Zm9",      "Zm=v",  "====", "Z===", "=Zm9", "Zm9v====", "Zg=", "Zm9v Zm9v", "Zm9v\n", "Zm9v\r\n",
        "Zm9v-_Yg", // base64url alphabet
        "Zh==",     // stray bits before the padding
        "Zm9=",     "Zg==Zg==", "Zm8=Zm9v",
    };
    for (const char *text : rejects) {
        ErrorCode code = code_of([&] { base64_decode(text); });
        if (code != INETKIT_ERROR_PROTOCOL) print_error("accepted: \"%s\"\n", text);
        assert_int_equal(code, INETKIT_ERROR_PROTOCOL);
    }
    assert_int_equal(code_of([] { base64_decode("Zm9v\0Zm9v"s); }), INETKIT_ERROR_PROTOCOL);
    // A short text is refused for its length, before any character is read.
    for (const char *text : {"Z", "Zm", "Zm9", "Zm9vY"}) {
        std::string message;
        assert_int_equal(code_of([&] { base64_decode(text); }, &message), INETKIT_ERROR_PROTOCOL);
        assert_non_null(std::strstr(message.c_str(), "multiple of 4"));
    }
}

} // namespace

// cmocka_unit_test() with the test wrapped in guarded<>, under its own name.
#define guarded_test(f) CMUnitTest{#f, guarded<f>, nullptr, nullptr, nullptr}

int main() {
    const CMUnitTest tests[] = {
        guarded_test(test_scram_sha1_rfc5802),
        guarded_test(test_scram_sha256_rfc7677),
        guarded_test(test_scram_two_step),
        guarded_test(test_scram_wrong_server_signature),
        guarded_test(test_scram_succeeded_without_server_final),
        guarded_test(test_scram_server_error),
        guarded_test(test_scram_foreign_nonce),
        guarded_test(test_scram_malformed_server_first),
        guarded_test(test_scram_malformed_server_final),
        guarded_test(test_scram_user_names_and_nonces),
        guarded_test(test_scram_saslprep_rejects),
        guarded_test(test_cram_md5_rfc2195),
        guarded_test(test_cram_md5_empty_challenge),
        guarded_test(test_login_sequence),
        guarded_test(test_plain_bytes),
        guarded_test(test_xoauth2_bytes),
        guarded_test(test_oauthbearer_bytes),
        guarded_test(test_huge_and_nul_challenges),
        guarded_test(test_base64_vectors),
        guarded_test(test_base64_round_trips),
        guarded_test(test_base64_strict_rejects),
    };
    return cmocka_run_group_tests_name("sasl_unit", tests, nullptr, nullptr);
}
