#include "pop/session.hpp"

#include "core/error.hpp"
#include "pop/sasl.hpp"

#include <inetkit/pop.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace inetkit::pop {
namespace {

constexpr std::size_t max_capability_lines = 256;
constexpr std::size_t max_list_lines = 1000000;
constexpr std::size_t max_argument = 4096;
constexpr std::size_t piece = 64 * 1024;       // largest piece handed to a sink
constexpr std::size_t read_capacity = 256 * 1024; // bytes buffered per socket read while decoding
constexpr std::size_t pipeline_window = 64;      // commands in flight (a few hundred bytes of them)

// A server's text for an error message: control characters escaped, cut short.
std::string printable(std::string_view text, std::size_t limit = 200) {
    std::string out;
    for (unsigned char c : text.substr(0, limit)) {
        if (c < 0x20 || c >= 0x7F) { // messages are UTF-8: escape what might not be
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02X", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > limit) out += "...";
    return out;
}

// A decimal number that fits 64 bits (up to 18446744073709551615).
bool parse_number(std::string_view text, std::uint64_t &value) {
    if (text.empty() || text.size() > 20) return false;
    value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return false;
        value = value * 10 + digit;
    }
    return true;
}

// RFC 1939: a unique id is 1 to 70 characters from 0x21 to 0x7E.
bool valid_uid(std::string_view uid) {
    return !uid.empty() && uid.size() <= 70 &&
           std::all_of(uid.begin(), uid.end(), [](unsigned char c) { return c >= 0x21 && c <= 0x7E; });
}

// "a b" -> {"a", "b"}; any run of spaces separates.
std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> list;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t start = i;
        while (i < text.size() && text[i] != ' ') ++i;
        if (i > start) list.push_back(text.substr(start, i - start));
    }
    return list;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char &c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// The error a -ERR reply stands for: its RFC 2449/3206 response code, if any.
ErrorCode response_code(const std::string &text, ErrorCode fallback) {
    if (text.empty() || text[0] != '[') return fallback;
    std::size_t end = text.find(']');
    if (end == std::string::npos) return fallback;
    std::string code = upper(text.substr(1, end - 1));
    if (code == "AUTH") return INETKIT_ERROR_AUTH_FAILED;
    if (code == "IN-USE") return INETKIT_ERROR_MAILBOX_IN_USE;
    if (code == "LOGIN-DELAY") return INETKIT_ERROR_LOGIN_DELAY;
    if (code == "SYS/TEMP") return INETKIT_ERROR_SERVER_TEMPORARY;
    if (code == "SYS/PERM") return INETKIT_ERROR_SERVER_PERMANENT;
    return fallback;
}

void check_argument(const std::string &value, const char *what) {
    if (value.size() > max_argument)
        fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " is longer than 4096 bytes");
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
        fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(what) + " holds CR, LF or NUL; nothing was sent");
}

std::string md5_hex(const std::string &data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 15];
    }
    return hex;
}

// The APOP timestamp of a greeting: <...@...>, printable, at most 255 bytes.
std::string apop_timestamp(const std::string &greeting) {
    std::size_t open = greeting.find('<');
    std::size_t close = open == std::string::npos ? std::string::npos : greeting.find('>', open);
    if (close == std::string::npos || close - open + 1 > 255) return "";
    std::string stamp = greeting.substr(open, close - open + 1);
    bool printable_ascii = std::all_of(stamp.begin(), stamp.end(), [](unsigned char c) { return c > 0x20 && c < 0x7F; });
    return printable_ascii && stamp.find('@') != std::string::npos ? stamp : "";
}

sasl::Kind sasl_kind(Auth auth) {
    switch (auth) {
    case Auth::Login: return sasl::Kind::Login;
    case Auth::Plain: return sasl::Kind::Plain;
    case Auth::CramMd5: return sasl::Kind::CramMd5;
    case Auth::ScramSha1: return sasl::Kind::ScramSha1;
    case Auth::ScramSha256: return sasl::Kind::ScramSha256;
    case Auth::XOAuth2: return sasl::Kind::XOAuth2;
    default: return sasl::Kind::OAuthBearer;
    }
}

// The directory that holds path.
std::string directory_of(const std::string &path) {
    return path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
}

// Makes a rename in directory durable. It runs after the rename, when the
// file is already complete in place, so it must not fail (nor allocate).
void make_renames_durable(const std::string &directory) noexcept {
    int dir = ::open(directory.empty() ? "/" : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

// A file written under a temporary name and renamed into place only once
// complete and on disk; destroyed uncommitted, it leaves nothing behind.
class AtomicFile {
public:
    explicit AtomicFile(const std::string &path)
        : path_(path), temporary_(path + ".partXXXXXX"), directory_(directory_of(path)) {
        fd_ = ::mkstemp(temporary_.data());
        if (fd_ < 0) {
            int error = errno;
            fail_errno(error, "cannot create a file beside " + path);
        }
        ::fchmod(fd_, 0644);
    }
    ~AtomicFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(temporary_.c_str());
    }
    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;

    void write(const char *data, std::size_t size) {
        while (size > 0) {
            ssize_t n = ::write(fd_, data, size);
            if (n < 0) {
                int error = errno;
                if (error == EINTR) continue;
                fail_errno(error, "cannot write " + temporary_);
            }
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    // sync_directory: also make the rename itself durable now (callers that
    // record the file elsewhere need that); a batch can sync once at its end.
    void commit(bool sync_directory = true) {
        if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
            int error = errno;
            fd_ = -1;
            fail_errno(error, "cannot finish " + temporary_);
        }
        fd_ = -1;
        if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
            int error = errno;
            fail_errno(error, "cannot rename " + temporary_ + " to " + path_);
        }
        committed_ = true;
        if (sync_directory) make_renames_durable(directory_);
    }

private:
    std::string path_, temporary_, directory_;
    int fd_ = -1;
    bool committed_ = false;
};

} // namespace

std::string message_file_name(const std::string &uid, std::uint32_t message) {
    // Without a unique id the number is all there is (it names the message
    // in this session only).
    if (uid.empty()) return std::to_string(message) + ".eml";
    // Otherwise the name is the id itself, with every byte that is unsafe in
    // a file name percent-encoded: distinct ids never share a file, however
    // the messages are numbered from one session to the next.
    std::string name;
    for (std::size_t i = 0; i < uid.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(uid[i]);
        bool safe = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0);
        if (safe) name += static_cast<char>(c);
        else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", c);
            name += escaped;
        }
    }
    return name + ".eml";
}

// ---- BodyDecoder ------------------------------------------------------------------

std::size_t BodyDecoder::decode(std::string_view input, std::string &output) {
    std::size_t i = 0;
    while (i < input.size() && state_ != State::Done) {
        char c = input[i];
        switch (state_) {
        case State::LineStart:
            ++i;
            if (c == '.') state_ = State::Dot;
            else {
                output += c;
                state_ = c == '\r' ? State::Cr : State::Middle;
            }
            break;
        case State::Dot:
            ++i;
            if (c == '\r') state_ = State::DotCr;
            else {
                // ".." is a stuffed "."; a lone "." before anything else is
                // a server's mistake, passed through as it came.
                output += '.';
                if (c != '.') output += c;
                state_ = State::Middle;
            }
            break;
        case State::DotCr:
            if (c == '\n') {
                ++i;
                state_ = State::Done;
            } else {
                output += ".\r"; // not the terminator: reread c after a CR
                state_ = State::Cr;
            }
            break;
        case State::Middle: {
            // Copy the run up to the next CR in one go: the common case.
            const char *start = input.data() + i;
            const void *cr = std::memchr(start, '\r', input.size() - i);
            std::size_t run = cr ? static_cast<std::size_t>(static_cast<const char *>(cr) - start) + 1 : input.size() - i;
            output.append(start, run);
            i += run;
            if (cr) state_ = State::Cr;
            break;
        }
        case State::Cr:
            ++i;
            output += c;
            state_ = c == '\n' ? State::LineStart : c == '\r' ? State::Cr : State::Middle;
            break;
        case State::Done: break;
        }
    }
    return i;
}

// ---- Session: connect and replies ------------------------------------------------------

Session::Session(std::unique_ptr<net::Connection> connection) : connection_(std::move(connection)) {}

Session::Operation::Operation(Session &session) : session_(session), saved_(session.connection_->timeouts().end) {
    if (session.deadline.count() > 0) session.connection_->timeouts().end = net::Clock::now() + session.deadline;
}

Session::Operation::~Operation() { session_.connection_->timeouts().end = saved_; }

std::unique_ptr<Session> Session::connect(const ConnectSettings &settings, const Trace *trace) {
    auto started = net::Clock::now();
    auto connection = net::Connection::connect(settings.host, settings.port, settings.timeout, settings.prefer_ipv6);
    // nTimeout bounds the whole connect: TCP, TLS, greeting, CAPA, STLS.
    connection->timeouts().end = started + settings.timeout;
    return start(std::move(connection), settings, trace);
}

std::unique_ptr<Session> Session::start(std::unique_ptr<net::Connection> connection, const ConnectSettings &settings,
                                        const Trace *trace) {
    if (settings.security == Security::Implicit) connection->start_tls(settings.tls, net::no_limit);
    std::unique_ptr<Session> session(new Session(std::move(connection)));
    if (trace) session->trace = *trace;
    Reply greeting = session->read_reply();
    if (!greeting.ok)
        fail(INETKIT_ERROR_SERVER_ERROR, "the server refused the session: " + printable(greeting.line));
    session->apop_timestamp_ = apop_timestamp(greeting.text);
    session->read_capabilities();
    if (settings.security == Security::Explicit) {
        if (!session->capability("STLS"))
            fail(INETKIT_ERROR_TLS_REQUIRED, "the server does not offer STLS; not continuing in plaintext");
        session->send("STLS");
        Reply reply = session->read_reply();
        if (!reply.ok)
            fail(INETKIT_ERROR_TLS_REQUIRED, "the server refused STLS (" + printable(reply.line) + "); not continuing in plaintext");
        session->connection_->start_tls(settings.tls, net::no_limit); // bounded by timeouts().end
        // Nothing learned in plaintext is trusted now (RFC 2595 section 4).
        session->apop_timestamp_before_tls_ = !session->apop_timestamp_.empty();
        session->capabilities_.clear();
        session->read_capabilities();
    }
    session->connection_->timeouts().end = net::Clock::time_point::max();
    return session;
}

void Session::send(const std::string &line, const char *shown, bool pipelined) {
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    // Bytes waiting before a command is sent answer nothing we asked: taking
    // them as this command's reply would put every later reply out of step.
    if (!pipelined && connection_->available() > 0) {
        broken();
        fail(INETKIT_ERROR_PROTOCOL, "the server sent data nobody asked for; the session is closed");
    }
    std::string wire = line + "\r\n";
    std::size_t written = 0;
    try {
        connection_->write(wire.data(), wire.size(), written);
    } catch (...) {
        broken();
        throw;
    }
    if (trace) trace(POP_TRACE_COMMAND, shown ? shown : line);
}

void Session::send_batch(const std::vector<std::string> &lines, bool pipelined) {
    if (lines.size() == 1) return send(lines.front(), nullptr, pipelined);
    if (!pipelined && connection_->available() > 0) {
        broken();
        fail(INETKIT_ERROR_PROTOCOL, "the server sent data nobody asked for; the session is closed");
    }
    std::string wire;
    for (const std::string &line : lines) wire += line + "\r\n";
    std::size_t written = 0;
    try {
        connection_->write(wire.data(), wire.size(), written);
    } catch (...) {
        broken();
        throw;
    }
    if (trace)
        for (const std::string &line : lines) trace(POP_TRACE_COMMAND, line);
}

Reply Session::read_reply(bool continuation_allowed) {
    std::vector<char> buffer(max_line + 1);
    std::size_t length = 0;
    try {
        length = connection_->read_line(buffer.data(), max_line);
    } catch (...) {
        broken(); // a reply we could not read to its end: framing is lost
        throw;
    }
    Reply reply;
    reply.line.assign(buffer.data(), length);
    // During AUTH, "+ challenge" (or a bare "+") continues the exchange.
    if (continuation_allowed && (reply.line == "+" || reply.line.compare(0, 2, "+ ") == 0)) {
        if (trace) trace(POP_TRACE_REPLY, "+ <redacted>");
        reply.continuation = true;
        reply.text = reply.line.size() > 2 ? reply.line.substr(2) : "";
        return reply;
    }
    if (trace) trace(POP_TRACE_REPLY, printable(reply.line, max_line));
    if (reply.line.find('\0') != std::string::npos) {
        broken();
        fail(INETKIT_ERROR_PROTOCOL, "the server's reply holds a NUL byte: " + printable(reply.line));
    }
    auto status = [&](const char *word) {
        std::size_t n = std::strlen(word);
        return reply.line.compare(0, n, word) == 0 && (reply.line.size() == n || reply.line[n] == ' ');
    };
    if (status("+OK")) reply.ok = true;
    else if (!status("-ERR")) {
        broken();
        fail(INETKIT_ERROR_PROTOCOL, "the server's reply is neither +OK nor -ERR: " + printable(reply.line));
    }
    std::size_t space = reply.line.find(' ');
    reply.text = space == std::string::npos ? "" : reply.line.substr(space + 1);
    last_ = reply;
    return reply;
}

void Session::fail_reply(const Reply &reply, ErrorCode fallback, const std::string &what) {
    fail(response_code(reply.text, fallback), what + ": the server replied " + printable(reply.line));
}

Reply Session::command(const std::string &line, ErrorCode fallback, const char *shown) {
    send(line, shown);
    Reply reply = read_reply();
    if (!reply.ok) fail_reply(reply, fallback, shown ? shown : line);
    return reply;
}

std::vector<std::string> Session::read_lines(std::size_t max_lines) {
    std::vector<std::string> lines;
    std::vector<char> buffer(max_line + 1);
    for (;;) {
        std::size_t length = 0;
        try {
            length = connection_->read_line(buffer.data(), max_line);
        } catch (...) {
            broken();
            throw;
        }
        std::string line(buffer.data(), length);
        if (line == ".") return lines;
        if (line.compare(0, 2, "..") == 0) line.erase(0, 1);
        if (lines.size() == max_lines) {
            broken(); // not worth reading to its end
            fail(INETKIT_ERROR_RESPONSE_TOO_LARGE, "the server's reply has more than " + std::to_string(max_lines) + " lines");
        }
        lines.push_back(std::move(line));
    }
}

void Session::read_capabilities() {
    send("CAPA");
    Reply reply = read_reply();
    capabilities_.clear();
    if (!reply.ok) return; // an old server: no capabilities
    capabilities_ = read_lines(max_capability_lines);
}

std::optional<std::string> Session::capability(const std::string &name) const {
    std::string wanted = upper(name);
    for (const std::string &line : capabilities_) {
        std::size_t space = line.find(' ');
        if (upper(line.substr(0, space)) != wanted) continue;
        return space == std::string::npos ? std::string() : line.substr(line.find_first_not_of(' ', space) == std::string::npos ? line.size() : line.find_first_not_of(' ', space));
    }
    return std::nullopt;
}

void Session::broken() {
    in_sync_ = false;
    stream_.reset();
}

// ---- authentication --------------------------------------------------------------------

void Session::login(Auth auth, const std::string &user, const std::string &password) {
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    if (authenticated_) fail(INETKIT_ERROR_INVALID_STATE, "already logged in");
    if (user.empty()) fail(INETKIT_ERROR_INVALID_PARAMETER, "the user name is empty");
    check_argument(user, "the user name");
    check_argument(password, "the password");
    bool secure = connection_->tls() != nullptr;
    if (auth == Auth::Default) {
        std::vector<std::string> offered;
        const std::string sasl_line = capability("SASL").value_or(""); // words() views into it
        for (std::string_view word : words(sasl_line)) offered.push_back(upper(word));
        auto offers = [&](const char *name) { return std::find(offered.begin(), offered.end(), name) != offered.end(); };
        if (offers("SCRAM-SHA-256")) auth = Auth::ScramSha256;
        else if (offers("SCRAM-SHA-1")) auth = Auth::ScramSha1;
        else if (offers("CRAM-MD5")) auth = Auth::CramMd5;
        else if (!apop_timestamp_.empty() && !apop_timestamp_before_tls_) auth = Auth::Apop;
        else if (secure && offers("PLAIN")) auth = Auth::Plain;
        else if (secure) auth = Auth::Pass;
        else
            fail(INETKIT_ERROR_AUTH_UNAVAILABLE,
                 "the server offers no mechanism that keeps the password secret on this unencrypted connection; "
                 "use TLS, or ask for a mechanism by name");
    }
    switch (auth) {
    case Auth::Pass:
        command("USER " + user, INETKIT_ERROR_AUTH_FAILED);
        command("PASS " + password, INETKIT_ERROR_AUTH_FAILED, "PASS <redacted>");
        break;
    case Auth::Apop:
        if (apop_timestamp_.empty()) fail(INETKIT_ERROR_AUTH_UNAVAILABLE, "the server's greeting has no APOP timestamp");
        command("APOP " + user + " " + md5_hex(apop_timestamp_ + password), INETKIT_ERROR_AUTH_FAILED,
                ("APOP " + user + " <redacted>").c_str());
        break;
    default: authenticate_sasl(auth, user, password); break;
    }
    authenticated_ = true;
    // Servers may announce more after login (UIDL, EXPIRE...); a failure here is not a failed login.
    try {
        read_capabilities();
    } catch (const Error &) {
        if (!in_sync_) throw;
    }
}

void Session::authenticate_sasl(Auth auth, const std::string &user, const std::string &password) {
    auto mechanism = sasl::make(sasl_kind(auth), user, password);
    std::string start = std::string("AUTH ") + mechanism->name();
    std::string shown = start + " <redacted>";
    std::optional<std::string> initial = mechanism->initial_response();
    std::string pending; // an initial response too long for the command line (RFC 5034: 255 octets)
    if (initial) {
        std::string encoded = initial->empty() ? "=" : sasl::base64_encode(*initial);
        if (start.size() + 1 + encoded.size() + 2 <= 255) send(start + " " + encoded, shown.c_str());
        else {
            send(start);
            pending = encoded;
        }
    } else {
        send(start);
    }
    for (int round = 0; round < 16; ++round) {
        Reply reply = read_reply(true);
        if (reply.continuation) {
            if (!pending.empty()) {
                // RFC 5034: the client speaks first, so the server's first challenge must be empty.
                if (!reply.text.empty()) {
                    send("*");
                    read_reply();
                    fail(INETKIT_ERROR_AUTH_FAILED, shown + ": the server sent a challenge where the client speaks first");
                }
                send(pending, "<redacted>");
                pending.clear();
                continue;
            }
            std::string response;
            try {
                response = mechanism->respond(sasl::base64_decode(reply.text));
            } catch (const Error &error) {
                // Cancel the exchange (RFC 5034) and keep the session usable.
                send("*");
                read_reply();
                ErrorCode code = error.code() == INETKIT_ERROR_PROTOCOL ? ErrorCode{INETKIT_ERROR_AUTH_FAILED} : error.code();
                fail(code, std::string(mechanism->name()) + ": " + error.what());
            }
            send(sasl::base64_encode(response), "<redacted>");
            continue;
        }
        if (!reply.ok) fail_reply(reply, INETKIT_ERROR_AUTH_FAILED, shown);
        try {
            mechanism->succeeded();
        } catch (...) {
            broken(); // logged in to a server that could not prove itself: do not use it
            throw;
        }
        return;
    }
    send("*");
    read_reply();
    fail(INETKIT_ERROR_AUTH_FAILED, "the server kept the SASL exchange going past 16 rounds");
}

// ---- mailbox ---------------------------------------------------------------------------

void Session::require_transaction() const {
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    if (!authenticated_) fail(INETKIT_ERROR_INVALID_STATE, "log in first (PopLogin)");
    if (stream_) fail(INETKIT_ERROR_INVALID_STATE, "a message is open: read it to its end or close it (PopCloseMessage)");
}

bool Session::use_pipelining() const {
    return pipelining == Pipelining::On || (pipelining == Pipelining::Auto && capability("PIPELINING"));
}

namespace {
std::optional<std::pair<std::uint32_t, std::uint64_t>> parse_stat(const Reply &reply) {
    std::vector<std::string_view> fields = words(reply.text);
    std::uint64_t count = 0, octets = 0;
    if (!reply.ok || fields.size() < 2 || !parse_number(fields[0], count) || !parse_number(fields[1], octets) ||
        count > 0xFFFFFFFFu)
        return std::nullopt;
    return std::make_pair(static_cast<std::uint32_t>(count), octets);
}
} // namespace

std::pair<std::uint32_t, std::uint64_t> Session::stat() {
    require_transaction();
    Reply reply = command("STAT");
    auto result = parse_stat(reply);
    if (!result) fail(INETKIT_ERROR_PROTOCOL, "STAT: cannot read \"" + printable(reply.line) + "\"");
    if (!highest_) highest_ = result->first;
    return *result;
}

std::uint32_t Session::highest_message() {
    if (!highest_) stat();
    return *highest_;
}

std::uint32_t Session::checked_message(std::uint32_t message) {
    require_transaction(); // every path that names a message passes here before sending anything
    if (message == 0) fail(INETKIT_ERROR_INVALID_PARAMETER, "message numbers start at 1");
    std::uint32_t count = highest_message();
    if (message > count)
        fail(INETKIT_ERROR_INVALID_PARAMETER,
             "there is no message " + std::to_string(message) + "; the mailbox holds " + std::to_string(count));
    return message;
}

const std::vector<MessageEntry> &Session::list() {
    require_transaction();
    if (list_) return *list_;
    bool need_stat = !highest_;
    std::vector<std::string> commands;
    if (need_stat) commands.push_back("STAT");
    commands.push_back("LIST");
    commands.push_back("UIDL");
    std::vector<std::string> list_lines, uid_lines;
    Reply list_reply, uid_reply;
    std::string stat_problem;
    if (use_pipelining()) {
        send_batch(commands);
        // Every reply is read before any is judged, so the session stays in step.
        if (need_stat) {
            Reply reply = read_reply();
            if (auto result = parse_stat(reply)) highest_ = result->first;
            else stat_problem = printable(reply.line);
        }
        list_reply = read_reply();
        if (list_reply.ok) list_lines = read_lines(max_list_lines);
        uid_reply = read_reply();
        if (uid_reply.ok) uid_lines = read_lines(max_list_lines);
        if (!stat_problem.empty()) fail(INETKIT_ERROR_PROTOCOL, "STAT: cannot read \"" + stat_problem + "\"");
    } else {
        highest_message();
        send("LIST");
        list_reply = read_reply();
        if (list_reply.ok) list_lines = read_lines(max_list_lines);
        if (list_reply.ok) {
            send("UIDL");
            uid_reply = read_reply();
            if (uid_reply.ok) uid_lines = read_lines(max_list_lines);
        }
    }
    if (!list_reply.ok) fail_reply(list_reply, INETKIT_ERROR_SERVER_ERROR, "LIST");
    std::uint32_t count = *highest_;
    // The count is the server's word (STAT): nothing is allocated for it beyond what a listing may hold.
    if (count > max_list_lines)
        fail(INETKIT_ERROR_RESPONSE_TOO_LARGE, "STAT counts " + std::to_string(count) + " messages; a listing holds at most " +
                                                   std::to_string(max_list_lines));
    std::vector<MessageEntry> entries(count);
    std::vector<bool> listed(count, false);
    uids_ = uid_reply.ok;
    std::uint64_t previous = 0;
    for (const std::string &line : list_lines) {
        std::vector<std::string_view> fields = words(line);
        std::uint64_t number = 0, octets = 0;
        if (fields.size() < 2 || !parse_number(fields[0], number) || !parse_number(fields[1], octets) || number <= previous ||
            number > count)
            fail(INETKIT_ERROR_PROTOCOL, "LIST: bad, repeated or out-of-order line \"" + printable(line) + "\" for a mailbox of " +
                                             std::to_string(count));
        previous = number;
        listed[number - 1] = true;
        entries[number - 1].octets = octets;
    }
    std::set<std::string> uids;
    for (const std::string &line : uid_lines) {
        std::vector<std::string_view> fields = words(line);
        std::uint64_t number = 0;
        bool valid = fields.size() == 2 && parse_number(fields[0], number) && number >= 1 && number <= count &&
                     valid_uid(fields[1]);
        if (!valid || !uids.insert(std::string(fields[1])).second || !entries[number - 1].uid.empty())
            fail(INETKIT_ERROR_PROTOCOL, "UIDL: bad or repeated line \"" + printable(line) + "\"");
        entries[number - 1].uid = std::string(fields[1]);
    }
    // RFC 1939: messages marked deleted are left out of LIST and UIDL.
    for (std::uint32_t i = 0; i < count; ++i)
        if (!listed[i]) entries[i].deleted = true;
    list_ = std::move(entries);
    return *list_;
}

const MessageEntry &Session::entry(std::uint32_t message) {
    checked_message(message);
    return list()[message - 1];
}

std::uint64_t Session::message_size(std::uint32_t message) {
    checked_message(message);
    if (list_) return (*list_)[message - 1].octets;
    Reply reply = command("LIST " + std::to_string(message));
    std::vector<std::string_view> fields = words(reply.text);
    std::uint64_t number = 0, octets = 0;
    if (fields.size() < 2 || !parse_number(fields[0], number) || number != message || !parse_number(fields[1], octets))
        fail(INETKIT_ERROR_PROTOCOL, "LIST: cannot read \"" + printable(reply.line) + "\"");
    return octets;
}

std::string Session::message_uid(std::uint32_t message) {
    checked_message(message);
    if (!list_) {
        Reply reply = command("UIDL " + std::to_string(message));
        std::vector<std::string_view> fields = words(reply.text);
        std::uint64_t number = 0;
        if (fields.size() != 2 || !parse_number(fields[0], number) || number != message || !valid_uid(fields[1]))
            fail(INETKIT_ERROR_PROTOCOL, "UIDL: cannot read \"" + printable(reply.line) + "\"");
        return std::string(fields[1]);
    }
    const MessageEntry &entry = (*list_)[message - 1];
    if (entry.deleted) fail(INETKIT_ERROR_INVALID_STATE, "message " + std::to_string(message) + " is marked deleted");
    const std::string &uid = entry.uid;
    if (uid.empty()) fail(INETKIT_ERROR_NOT_SUPPORTED, "the server gave no unique id (UIDL) for message " + std::to_string(message));
    return uid;
}

std::optional<std::uint32_t> Session::find(const std::string &uid) {
    const auto &entries = list();
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (entries[i].uid == uid) return static_cast<std::uint32_t>(i + 1);
    return std::nullopt;
}

// ---- retrieval ---------------------------------------------------------------------------

void Session::read_body(std::uint32_t message, std::uint64_t expected, const Sink &sink) {
    BodyDecoder decoder;
    std::string decoded;
    std::uint64_t done = 0;
    // Hands decoded bytes to the sink in pieces (whole lines with linebreak);
    // `final` flushes a last line that lacks its CR LF.
    auto deliver = [&](bool final) {
        std::size_t offset = 0;
        while (offset < decoded.size()) {
            std::size_t size = std::min(piece, decoded.size() - offset);
            if (linebreak) {
                const void *lf = std::memchr(decoded.data() + offset, '\n', decoded.size() - offset);
                if (lf) size = std::min(piece, static_cast<std::size_t>(static_cast<const char *>(lf) - (decoded.data() + offset)) + 1);
                else if (!final && decoded.size() - offset < piece) break; // wait for the rest of the line
            }
            bool go_on;
            try {
                go_on = sink(decoded.data() + offset, size);
            } catch (...) { // e.g. a full disk: the rest of the message is still on the wire
                broken();
                throw;
            }
            if (!go_on) {
                broken();
                fail(INETKIT_ERROR_CANCELED, "the data callback stopped the retrieval of message " + std::to_string(message));
            }
            offset += size;
            done += size;
        }
        decoded.erase(0, offset);
        bool go_on;
        try {
            go_on = !progress || progress(message, done, expected);
        } catch (...) { // a callback failed: the rest of the message is still on the wire
            broken();
            throw;
        }
        if (!go_on) {
            broken();
            fail(INETKIT_ERROR_CANCELED, "the progress callback canceled the retrieval of message " + std::to_string(message));
        }
    };
    while (!decoder.done()) {
        std::string_view data;
        try {
            data = connection_->wait_data(read_capacity);
        } catch (const Error &error) {
            broken();
            if (error.code() == INETKIT_ERROR_CONNECTION_CLOSED || error.code() == INETKIT_ERROR_CONNECTION_RESET)
                fail(INETKIT_ERROR_MESSAGE_INCOMPLETE, "message " + std::to_string(message) + " is incomplete: " + error.what());
            throw;
        }
        if (data.empty()) {
            broken();
            fail(INETKIT_ERROR_MESSAGE_INCOMPLETE, "the connection ended " + std::to_string(done + decoded.size()) +
                                                       " bytes into message " + std::to_string(message) + ", before its end");
        }
        connection_->discard(decoder.decode(data, decoded));
        if (decoded.size() >= piece || decoder.done()) deliver(decoder.done());
    }
}

void Session::retrieve(std::uint32_t message, std::optional<std::uint32_t> lines, const Sink &sink) {
    require_transaction();
    checked_message(message);
    Reply reply = command(lines ? "TOP " + std::to_string(message) + " " + std::to_string(*lines) : "RETR " + std::to_string(message));
    std::uint64_t expected = 0;
    if (!lines) {
        if (list_) expected = (*list_)[message - 1].octets;
        else if (auto fields = words(reply.text); !fields.empty()) parse_number(fields[0], expected);
    }
    read_body(message, expected, sink);
}

void Session::store(std::uint32_t message, const std::string &path) {
    AtomicFile file(path);
    retrieve(message, std::nullopt, [&file](const char *data, std::size_t size) {
        file.write(data, size);
        return true;
    });
    file.commit();
}

void Session::store_many(const std::vector<std::uint32_t> &messages, const std::string &directory,
                         const std::function<void(std::uint32_t, const std::string &)> &on_stored, bool durable_each) {
    require_transaction();
    for (std::uint32_t message : messages) checked_message(message);
    list(); // names and expected sizes
    std::size_t window = use_pipelining() ? pipeline_window : 1;
    std::size_t sent = 0;
    // Up to `window` commands, sent together: one write (and one wake-up of
    // the server) per batch, not per message.
    auto send_more = [&](std::size_t in_flight, bool pipelined_send) {
        std::vector<std::string> batch;
        while (sent < messages.size() && in_flight + batch.size() < window)
            batch.push_back("RETR " + std::to_string(messages[sent++]));
        if (!batch.empty()) send_batch(batch, pipelined_send);
    };
    send_more(0, false);
    std::optional<Error> first_failure;
    bool pipelined = window > 1;
    for (std::size_t received = 0; received < messages.size() && received < sent; ++received) {
        std::uint32_t message = messages[received];
        Reply reply = read_reply();
        // Refill once half the window is answered, before this body is read,
        // so the server never runs dry; without pipelining the next command
        // waits for this body.
        std::size_t in_flight = sent - received - 1;
        if (pipelined && !first_failure && in_flight <= window / 2) send_more(in_flight, true);
        if (!reply.ok) {
            // Keep reading the replies already asked for; report the first failure at the end.
            if (!first_failure)
                first_failure.emplace(response_code(reply.text, INETKIT_ERROR_SERVER_ERROR),
                                      "RETR " + std::to_string(message) + ": the server replied " + printable(reply.line));
            continue;
        }
        const MessageEntry &entry = (*list_)[message - 1];
        std::string path = directory + "/" + message_file_name(entry.uid, message);
        AtomicFile file(path);
        read_body(message, entry.octets, [&file](const char *data, std::size_t size) {
            file.write(data, size);
            return true;
        });
        file.commit(durable_each);
        on_stored(message, path);
        if (!pipelined && sent < messages.size()) send("RETR " + std::to_string(messages[sent++]));
    }
    // One directory sync for the whole batch (each file was complete on rename).
    if (!durable_each && !messages.empty()) make_renames_durable(directory);
    if (first_failure) throw *first_failure;
}

void Session::open_message(std::uint32_t message, std::optional<std::uint32_t> lines) {
    require_transaction();
    checked_message(message);
    command(lines ? "TOP " + std::to_string(message) + " " + std::to_string(*lines) : "RETR " + std::to_string(message));
    stream_.emplace(Stream{message, BodyDecoder{}, std::string(), 0});
}

std::size_t Session::read_message(char *buffer, std::size_t size) {
    if (!stream_) fail(INETKIT_ERROR_INVALID_STATE, "no message is open (PopOpenMessage)");
    Stream &s = *stream_;
    while (s.pending_offset == s.pending.size()) {
        s.pending.clear();
        s.pending_offset = 0;
        if (s.decoder.done()) return 0;
        std::string_view data;
        try {
            data = connection_->wait_data(read_capacity);
        } catch (const Error &error) {
            std::uint32_t message = s.message;
            broken();
            if (error.code() == INETKIT_ERROR_CONNECTION_CLOSED || error.code() == INETKIT_ERROR_CONNECTION_RESET)
                fail(INETKIT_ERROR_MESSAGE_INCOMPLETE, "message " + std::to_string(message) + " is incomplete: " + error.what());
            throw;
        }
        if (data.empty()) {
            std::uint32_t message = s.message;
            broken();
            fail(INETKIT_ERROR_MESSAGE_INCOMPLETE, "the connection ended before the end of message " + std::to_string(message));
        }
        connection_->discard(s.decoder.decode(data, s.pending));
    }
    std::size_t available = s.pending.size() - s.pending_offset;
    std::size_t count = std::min(size, available);
    if (linebreak) {
        const void *lf = std::memchr(s.pending.data() + s.pending_offset, '\n', available);
        if (lf) count = std::min(count, static_cast<std::size_t>(static_cast<const char *>(lf) - (s.pending.data() + s.pending_offset)) + 1);
    }
    std::memcpy(buffer, s.pending.data() + s.pending_offset, count);
    s.pending_offset += count;
    return count;
}

void Session::close_message() {
    if (!stream_) fail(INETKIT_ERROR_INVALID_STATE, "no message is open (PopOpenMessage)");
    char scratch[16384];
    while (read_message(scratch, sizeof scratch) > 0) {
    }
    stream_.reset();
}

// ---- changes ------------------------------------------------------------------------------

void Session::remove(std::uint32_t message) {
    require_transaction();
    checked_message(message);
    command("DELE " + std::to_string(message));
    if (list_) (*list_)[message - 1].deleted = true;
}

void Session::remove_many(const std::vector<std::uint32_t> &messages, std::size_t &deleted) {
    deleted = 0;
    require_transaction();
    for (std::uint32_t message : messages) checked_message(message);
    std::size_t window = use_pipelining() ? pipeline_window : 1;
    std::size_t sent = 0;
    std::optional<Error> first_failure;
    for (std::size_t received = 0; received < messages.size(); ++received) {
        if (sent == received) { // refill the window
            std::vector<std::string> batch;
            while (sent < messages.size() && batch.size() < window) batch.push_back("DELE " + std::to_string(messages[sent++]));
            send_batch(batch, window > 1);
        }
        Reply reply = read_reply();
        if (reply.ok) {
            ++deleted;
            if (list_) (*list_)[messages[received] - 1].deleted = true;
        } else if (!first_failure) {
            first_failure.emplace(response_code(reply.text, INETKIT_ERROR_SERVER_ERROR),
                                  "DELE " + std::to_string(messages[received]) + ": the server replied " + printable(reply.line));
        }
    }
    if (first_failure) throw Error(first_failure->code(), std::string(first_failure->what()) + " (" + std::to_string(deleted) + " of " +
                                                              std::to_string(messages.size()) + " deleted)");
}

void Session::reset() {
    require_transaction();
    command("RSET");
    // Messages deleted before the listing were left out of it; list afresh.
    list_.reset();
}

void Session::noop() {
    // Any state will do (the server answers for itself), but not inside a message.
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    if (stream_) fail(INETKIT_ERROR_INVALID_STATE, "a message is open: read it to its end or close it (PopCloseMessage)");
    command("NOOP");
}

void Session::enable_utf8() {
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    if (stream_) fail(INETKIT_ERROR_INVALID_STATE, "a message is open: read it to its end or close it (PopCloseMessage)");
    command("UTF8");
}

void Session::quit() {
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    // QUIT now would be read as message data: the caller must finish the message first.
    if (stream_) fail(INETKIT_ERROR_INVALID_STATE, "a message is open: read it to its end or close it (PopCloseMessage)");
    send("QUIT");
    Reply reply;
    try {
        reply = read_reply();
    } catch (...) {
        in_sync_ = false;
        throw;
    }
    in_sync_ = false; // the session is over whatever the server says
    if (!reply.ok) fail_reply(reply, INETKIT_ERROR_SERVER_ERROR, "QUIT");
}

std::string Session::raw_command(const std::string &line, bool multiline) {
    if (!in_sync_) fail(INETKIT_ERROR_NOT_CONNECTED, "the session has ended or lost step with the server");
    if (stream_) fail(INETKIT_ERROR_INVALID_STATE, "a message is open: read it to its end or close it (PopCloseMessage)");
    check_argument(line, "the command");
    std::string verb = upper(line.substr(0, line.find(' ')));
    for (const char *reserved : {"USER", "PASS", "AUTH", "APOP", "STLS", "QUIT", "UTF8"})
        if (verb == reserved)
            fail(INETKIT_ERROR_INVALID_PARAMETER, verb + " changes the session's state: use its own function");
    if (line.empty()) fail(INETKIT_ERROR_INVALID_PARAMETER, "the command is empty");
    command(line);
    std::string data;
    if (multiline)
        read_body(0, 0, [&](const char *bytes, std::size_t size) {
            if (data.size() + size > max_memory_message)
                fail(INETKIT_ERROR_RESPONSE_TOO_LARGE, "the reply is larger than MaxMemoryMessage");
            data.append(bytes, size);
            return true;
        });
    return data;
}

} // namespace inetkit::pop
