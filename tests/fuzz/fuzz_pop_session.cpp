// libFuzzer target: the real POP3 engine (pop::Session) against a scripted
// server on a socketpair, the way curl-fuzzer drives curl. The input is an
// options byte and then the server's replies, separated by 0xFF; the client
// runs one fixed script (greeting, CAPA, login, STAT, LIST, UIDL, RETR, TOP,
// streaming, store, pipelined bulk store, DELE, RSET, NOOP, a raw command,
// UTF8, QUIT). Every call must succeed or throw an inetkit::Error with a code from
// the catalogue; a session that lost step must send nothing more; the
// commands in the trace never show the password.
//
// No threads and no timing: the binary is linked with -Wl,--wrap=poll, so
// whenever the engine is about to wait for the server, __wrap_poll hands the
// next reply to the socket first (the end of the stream once there are none
// left). A reply therefore arrives exactly when the client waits for one.
//
// Each reply is also fed to a second pop::BodyDecoder in random pieces
// (seeded by the input), which must give what one-shot decoding gives.
#include "core/error.hpp"
#include "net/connection.hpp"
#include "pop/session.hpp"

#include <inetkit/pop.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace inetkit;

constexpr char user[] = "fuzz.user";
constexpr char password[] = "Pa55-secret-fuzz";

// The server's end of the socketpair and what it still has to say.
struct ScriptedServer {
    int client_fd = -1;
    int server_fd = -1;
    std::vector<std::string_view> replies;
    std::size_t next = 0;        // reply to send when the client next waits
    std::string_view unsent;     // the rest of a reply the socket had no room for
    bool ended = false;          // SHUT_WR done: the client reads end of stream
    std::size_t received = 0;    // bytes the client has sent in all

    void drain() {
        char buffer[4096];
        for (;;) {
            ssize_t n = ::recv(server_fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n <= 0) return;
            received += static_cast<std::size_t>(n);
        }
    }
    // The client is about to wait until it can read: give it the next reply.
    void client_waits_to_read() {
        if (ended) return;
        if (unsent.empty()) {
            if (next == replies.size()) {
                ::shutdown(server_fd, SHUT_WR);
                ended = true;
                return;
            }
            unsent = replies[next++];
            if (unsent.empty()) return send_empty();
        }
        ssize_t n = ::send(server_fd, unsent.data(), unsent.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) unsent.remove_prefix(static_cast<std::size_t>(n));
    }
    // An empty reply still answers this wait: move on to the one after it.
    void send_empty() { client_waits_to_read(); }
};

ScriptedServer *server = nullptr;

} // namespace

extern "C" int __real_poll(pollfd *fds, nfds_t count, int timeout);

// CallTimer::wait polls the connection's socket first; every other poll passes through.
extern "C" int __wrap_poll(pollfd *fds, nfds_t count, int timeout) {
    if (server && count >= 1 && fds[0].fd == server->client_fd) {
        server->drain(); // room for the client's commands
        if (fds[0].events & POLLIN) server->client_waits_to_read();
    }
    return __real_poll(fds, count, timeout);
}

namespace {

// A failure the caller can act on: a code from the catalogue, never INTERNAL.
void check_error(const Error &error) {
    if (error.code() == INETKIT_ERROR_NONE || error.code() == INETKIT_ERROR_INTERNAL || !error_text(error.code())) {
        std::fprintf(stderr, "undocumented error %u: %s\n", error.code(), error.what());
        std::abort();
    }
}

// One-shot decoding against decoding in pieces: same bytes, same count, same end.
void check_body_decoder(std::string_view reply, std::mt19937 &random) {
    pop::BodyDecoder whole;
    std::string expected;
    std::size_t expected_used = whole.decode(reply, expected);
    if (expected_used > reply.size() || (!whole.done() && expected_used != reply.size())) std::abort();

    pop::BodyDecoder pieces;
    std::string output;
    std::size_t used = 0;
    while (used < reply.size() && !pieces.done()) {
        std::size_t size = std::uniform_int_distribution<std::size_t>(1, 8)(random);
        if (random() % 4 == 0) size = std::uniform_int_distribution<std::size_t>(1, reply.size() - used)(random);
        std::string_view piece = reply.substr(used, size);
        std::size_t n = pieces.decode(piece, output);
        if (n > piece.size() || (n < piece.size() && !pieces.done())) std::abort();
        used += n;
    }
    if (output != expected || used != expected_used || pieces.done() != whole.done()) {
        std::fprintf(stderr, "BodyDecoder: pieces gave %zu bytes (used %zu), one shot %zu (used %zu)\n", output.size(),
                     used, expected.size(), expected_used);
        std::abort();
    }
    // Decoding never adds bytes: ".." becomes ".", and the terminator is dropped.
    if (output.size() > reply.size()) std::abort();
}

std::string make_directory() {
    const char *base = std::getenv("FUZZ_TMPDIR");
    if (!base) base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = std::string(base) + "/inetkit-fuzz-pop.XXXXXX";
    if (!::mkdtemp(pattern.data())) std::abort();
    return pattern;
}

// Stored messages from the last run, removed so the next starts clean.
void empty_directory(const std::string &path) {
    DIR *dir = ::opendir(path.c_str());
    if (!dir) return;
    while (dirent *entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") ::unlink((path + "/" + name).c_str());
    }
    ::closedir(dir);
}

struct Directory {
    std::string path = make_directory();
    ~Directory() {
        empty_directory(path);
        ::rmdir(path.c_str());
    }
};

// Runs one step of the script. A session out of step must fail without a byte on the wire.
template <class Step> void step(pop::Session &session, Step &&body) {
    bool was_in_step = session.in_step();
    server->drain();
    std::size_t sent_before = server->received;
    try {
        body();
    } catch (const Error &error) {
        check_error(error);
    }
    server->drain();
    if (!was_in_step && server->received != sent_before) {
        std::fprintf(stderr, "a session out of step sent %zu more bytes\n", server->received - sent_before);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 1) return 0;
    // One directory per input: libFuzzer does not always run static destructors at exit.
    Directory store;
    const std::uint8_t options = data[0];
    std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);

    ScriptedServer scripted;
    for (std::size_t start = 0;;) {
        std::size_t end = input.find('\xFF', start);
        scripted.replies.push_back(input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    std::mt19937 random(static_cast<std::uint32_t>(std::hash<std::string_view>{}(input)));
    for (std::string_view reply : scripted.replies) check_body_decoder(reply, random);

    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
    scripted.client_fd = fds[0];
    scripted.server_fd = fds[1];
    server = &scripted;

    // The inactivity limit is a backstop only: replies never wait on the clock.
    net::Timeouts timeouts{net::Milliseconds(5000), net::no_limit};
    auto connection = std::make_unique<net::Connection>(net::Socket(fds[0]), timeouts, "pop.fuzz.example", 110);

    std::vector<std::string> trace;
    pop::Session::Trace tracer = [&](unsigned direction, const std::string &line) {
        // Commands never show the password (a server may echo anything);
        // reply lines are shown with control bytes escaped.
        if (direction == POP_TRACE_COMMAND && line.find(password) != std::string::npos) std::abort();
        if (direction == POP_TRACE_REPLY)
            for (unsigned char c : line)
                if (c < 0x20 || c == 0x7F) std::abort();
        trace.push_back(line);
    };

    pop::ConnectSettings settings;
    settings.host = "pop.fuzz.example";
    std::unique_ptr<pop::Session> session;
    try {
        session = pop::Session::start(std::move(connection), settings, &tracer);
    } catch (const Error &error) {
        check_error(error);
    }
    if (session) {
        pop::Session &s = *session;
        static const pop::Pipelining modes[] = {pop::Pipelining::Auto, pop::Pipelining::On, pop::Pipelining::Off,
                                                pop::Pipelining::Auto};
        s.pipelining = modes[options & 3];
        s.linebreak = (options & 4) != 0;
        s.max_line = (options & 0x80) ? 512 : 8192;
        auto auth = static_cast<pop::Auth>((options >> 3) % 10);

        std::uint64_t delivered = 0;
        auto sink = [&](const char *, std::size_t n) {
            delivered += n;
            return true;
        };
        step(s, [&] {
            try {
                s.login(auth, user, password);
            } catch (const Error &error) {
                // A mechanism the server would not take: USER/PASS, as a caller would try next.
                check_error(error);
                if (s.in_step() && error.code() != INETKIT_ERROR_AUTH_SERVER_UNVERIFIED) s.login(pop::Auth::Pass, user, password);
            }
        });
        step(s, [&] { s.stat(); });
        step(s, [&] {
            const std::vector<pop::MessageEntry> &entries = s.list();
            if (entries.size() != s.highest_message()) std::abort();
        });
        step(s, [&] {
            s.message_size(1);
            if (s.entry(1).octets != s.message_size(1)) std::abort();
        });
        step(s, [&] { s.message_uid(1); });
        step(s, [&] { s.find("uid-2"); });
        step(s, [&] { s.retrieve(1, std::nullopt, sink); });
        step(s, [&] { s.retrieve(2, 0, sink); });
        step(s, [&] {
            s.open_message(1, std::nullopt);
            char buffer[100];
            std::size_t n = s.read_message(buffer, sizeof buffer);
            if (n > sizeof buffer) std::abort();
            s.close_message();
        });
        step(s, [&] { s.store(1, store.path + "/one.eml"); });
        step(s, [&] {
            s.store_many({1, 2}, store.path, [](std::uint32_t, const std::string &) {}, false);
        });
        step(s, [&] { s.remove(1); });
        step(s, [&] {
            std::size_t deleted = 0;
            try {
                s.remove_many({1, 2}, deleted);
            } catch (const Error &) {
                if (deleted > 2) std::abort();
                throw;
            }
            if (deleted != 2) std::abort();
        });
        step(s, [&] { s.reset(); });
        step(s, [&] { s.noop(); });
        step(s, [&] { s.raw_command("XTND XMIT", true); });
        step(s, [&] { s.enable_utf8(); });
        step(s, [&] { s.quit(); });
        if (s.in_step()) std::abort(); // QUIT ends the session whatever the server says
        // No reply may have been delivered that the server never sent.
        if (delivered > input.size()) std::abort();
    }
    session.reset(); // closes the client's end
    server = nullptr;
    ::close(scripted.server_fd);
    return 0;
}
