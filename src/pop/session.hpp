// The POP3 protocol engine: one session over a net::Connection. Commands,
// replies, capabilities, authentication, listing, message decoding
// (dot-unstuffing), pipelined bulk retrieval. Knows nothing of handles.
#pragma once

#include "core/error.hpp"
#include "net/connection.hpp"
#include "net/tls.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inetkit::pop {

enum class Security { None, Explicit, Implicit };

enum class Auth { Default = 0, Pass, Apop, Login, Plain, CramMd5, ScramSha1, ScramSha256, XOAuth2, OAuthBearer };

struct ConnectSettings {
    std::string host;
    std::uint16_t port = 110;
    net::Milliseconds timeout{30000};
    bool prefer_ipv6 = false;
    Security security = Security::None;
    std::shared_ptr<net::TlsContext> tls; // for Explicit and Implicit
};

struct Reply {
    bool ok = false;
    bool continuation = false; // "+ ..." during AUTH
    std::string line; // the whole status line, without CR LF
    std::string text; // after "+OK " / "-ERR "
};

struct MessageEntry {
    std::uint64_t octets = 0;
    std::string uid;
    bool deleted = false;
};

enum class Pipelining { Auto, On, Off };

// Undoes POP3 dot-stuffing on a byte stream and finds the end of a
// multi-line reply. Only CR LF . CR LF ends it (a bare LF is not a line
// end); ".." at a line start becomes "."; a lone "." before other bytes
// (a server that forgot to stuff) is passed through unchanged.
class BodyDecoder {
public:
    // Consumes input up to and including the terminator, appending the
    // message bytes to output. Returns the bytes consumed.
    std::size_t decode(std::string_view input, std::string &output);
    bool done() const noexcept { return state_ == State::Done; }

private:
    enum class State { LineStart, Dot, DotCr, Middle, Cr, Done };
    State state_ = State::LineStart;
};

class Session {
public:
    using Trace = std::function<void(unsigned direction, const std::string &line)>;
    using Progress = std::function<bool(std::uint32_t message, std::uint64_t done, std::uint64_t expected)>;
    // Receives message data; returns false to stop (the call then fails with CANCELED).
    using Sink = std::function<bool(const char *data, std::size_t size)>;

    static std::unique_ptr<Session> connect(const ConnectSettings &settings, const Trace *trace);
    // The rest of connect() on a connection already made: greeting, CAPA and
    // STLS, within the connection's timeouts().end (tests and the fuzzer use
    // it over a socketpair).
    static std::unique_ptr<Session> start(std::unique_ptr<net::Connection> connection, const ConnectSettings &settings,
                                          const Trace *trace);

    void login(Auth auth, const std::string &user, const std::string &password);
    void quit();
    void noop();
    void reset();
    void enable_utf8();

    // STAT, asked afresh: messages marked deleted are not counted.
    std::pair<std::uint32_t, std::uint64_t> stat();
    // The highest message number of the session (the first STAT's count):
    // numbers never change within a session, deleted or not.
    std::uint32_t highest_message();
    // LIST and UIDL for every message (pipelined when allowed).
    const std::vector<MessageEntry> &list();
    const MessageEntry &entry(std::uint32_t message); // lists first if needed
    std::uint64_t message_size(std::uint32_t message);
    std::string message_uid(std::uint32_t message);
    std::optional<std::uint32_t> find(const std::string &uid);

    // RETR (lines = nullopt) or TOP n lines, to sink in pieces.
    void retrieve(std::uint32_t message, std::optional<std::uint32_t> lines, const Sink &sink);
    // RETR into a file, complete or absent.
    void store(std::uint32_t message, const std::string &path);
    // Pipelined RETRs into a directory; on_stored runs after each file is complete.
    // durable_each: each rename is on disk before on_stored runs (for callers
    // that record it); otherwise the directory is synced once at the end.
    void store_many(const std::vector<std::uint32_t> &messages, const std::string &directory,
                    const std::function<void(std::uint32_t, const std::string &)> &on_stored, bool durable_each);

    // Streaming: open, read pieces (empty at the end), close (drains).
    void open_message(std::uint32_t message, std::optional<std::uint32_t> lines);
    std::size_t read_message(char *buffer, std::size_t size);
    void close_message();
    bool message_open() const noexcept { return stream_.has_value(); }

    void remove(std::uint32_t message);
    // deleted counts the DELEs the server accepted, also when it throws.
    void remove_many(const std::vector<std::uint32_t> &messages, std::size_t &deleted);
    bool in_step() const noexcept { return in_sync_; }
    bool has_uids() const noexcept { return uids_; }
    // Any command but the ones that change the session's state.
    std::string raw_command(const std::string &command, bool multiline);

    const std::vector<std::string> &capabilities() const noexcept { return capabilities_; }
    std::optional<std::string> capability(const std::string &name) const;
    const Reply &last_reply() const noexcept { return last_; }
    net::Connection &connection() noexcept { return *connection_; }

    // Settings (PopConfig).
    Pipelining pipelining = Pipelining::Auto;
    std::size_t max_line = 8192;
    std::size_t max_memory_message = 64u << 20;
    net::Milliseconds deadline{0}; // 0 = none
    bool linebreak = false;
    Trace trace;
    Progress progress;

    // Scopes one API call: applies the whole-call deadline to every wait in it.
    class Operation {
    public:
        explicit Operation(Session &session);
        ~Operation();

    private:
        Session &session_;
        net::Clock::time_point saved_;
    };

private:
    explicit Session(std::unique_ptr<net::Connection> connection);

    // shown: trace text instead of line; pipelined: replies may legitimately be in flight.
    void send(const std::string &line, const char *shown = nullptr, bool pipelined = false);
    void send_batch(const std::vector<std::string> &lines, bool pipelined = false);
    // continuation_allowed: during AUTH, accept "+ challenge" as a reply.
    Reply read_reply(bool continuation_allowed = false);
    // Throws the error a -ERR reply maps to (fallback: the code for this context).
    [[noreturn]] void fail_reply(const Reply &reply, ErrorCode fallback, const std::string &what);
    Reply command(const std::string &line, ErrorCode fallback = INETKIT_ERROR_SERVER_ERROR, const char *shown = nullptr);
    // Reads the lines of a multi-line reply (CAPA, LIST, UIDL), each at most max_line.
    std::vector<std::string> read_lines(std::size_t max_lines);
    void read_body(std::uint32_t message, std::uint64_t expected, const Sink &sink);
    void read_capabilities();
    void authenticate_sasl(Auth auth, const std::string &user, const std::string &password);
    bool use_pipelining() const;
    std::uint32_t checked_message(std::uint32_t message);
    void require_transaction() const;
    void broken(); // the session lost step with the server: later calls fail

    std::unique_ptr<net::Connection> connection_;
    Reply last_;
    std::vector<std::string> capabilities_;
    std::string apop_timestamp_;
    bool apop_timestamp_before_tls_ = false;
    bool authenticated_ = false;
    bool in_sync_ = true;
    bool uids_ = true; // the server answered UIDL
    std::optional<std::uint32_t> highest_;
    std::optional<std::vector<MessageEntry>> list_;
    struct Stream {
        std::uint32_t message;
        BodyDecoder decoder;
        std::string pending; // decoded, not yet handed out
        std::size_t pending_offset = 0;
    };
    std::optional<Stream> stream_;
};

// The file a stored message gets: its unique id, percent-encoded where a
// byte is unsafe in a file name, + ".eml"; "<number>.eml" without an id.
std::string message_file_name(const std::string &uid, std::uint32_t message);

} // namespace inetkit::pop
