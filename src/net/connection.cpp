#include "net/connection.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace inetkit::net {
namespace {

constexpr std::size_t initial_buffer = 16 * 1024;
// Above this, an emptied buffer (grown for one long line) is given back.
constexpr std::size_t kept_buffer = 256 * 1024;

void set_option(int fd, int level, int name, int value) {
    // Best effort: a socket without NODELAY or dual-stack still works.
    (void)::setsockopt(fd, level, name, &value, sizeof value);
}

std::string peer_text(const Socket &socket) {
    try {
        return describe(socket.peer_address());
    } catch (const Error &) {
        return "the peer";
    }
}

} // namespace

// ---- Socket --------------------------------------------------------------

Socket::~Socket() {
    if (fd_ >= 0) ::close(fd_);
}

Socket &Socket::operator=(Socket &&other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Socket Socket::open_stream(int family) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) fail_errno(errno, "cannot create a socket");
    return Socket(fd);
}

namespace {
SocketAddress query_address(int fd, int (*query)(int, sockaddr *, socklen_t *), const char *what) {
    SocketAddress address;
    address.length = sizeof address.storage;
    if (query(fd, reinterpret_cast<sockaddr *>(&address.storage), &address.length) != 0) {
        int error = errno; // before the message is built
        fail_errno(error, std::string("cannot read the ") + what + " address");
    }
    return address;
}
} // namespace

SocketAddress Socket::local_address() const { return query_address(fd_, ::getsockname, "local"); }
SocketAddress Socket::peer_address() const { return query_address(fd_, ::getpeername, "peer"); }

// ---- Connection ------------------------------------------------------------

std::unique_ptr<Connection> Connection::connect(const std::string &host, std::uint16_t port,
                                                Milliseconds timeout, bool prefer_ipv6) {
    std::vector<SocketAddress> addresses = resolve(host, port, prefer_ipv6);
    Interrupter interrupter; // nothing can cancel a connect yet: there is no handle
    Clock::time_point end = timeout == no_limit ? Clock::time_point::max() : Clock::now() + timeout;
    Error last(INETKIT_ERROR_HOST_NOT_FOUND, "no address to try for " + host);
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const SocketAddress &address = addresses[i];
        std::string what = "connect to " + describe(address);
        // Each address gets an equal share of the time left, so one black
        // hole cannot use it all; the last one gets the rest.
        Milliseconds share = no_limit;
        if (end != Clock::time_point::max()) {
            auto left = std::chrono::ceil<Milliseconds>(end - Clock::now());
            if (left.count() <= 0) break;
            share = left / static_cast<long>(addresses.size() - i);
        }
        try {
            Socket socket = Socket::open_stream(address.family());
            if (::connect(socket.fd(), address.get(), address.length) != 0) {
                if (errno != EINPROGRESS) fail_errno(errno, what);
                CallTimer timer(interrupter, Timeouts{no_limit, share});
                timer.wait(socket.fd(), POLLOUT, what.c_str());
                int error = 0;
                socklen_t length = sizeof error;
                if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
                if (error != 0) fail_errno(error, what);
            }
            set_option(socket.fd(), IPPROTO_TCP, TCP_NODELAY, 1);
            return std::make_unique<Connection>(std::move(socket), Timeouts{timeout, no_limit}, host, port);
        } catch (const Error &error) {
            last = error;
        }
    }
    if (addresses.size() > 1)
        throw Error(last.code(), std::string(last.what()) + " (last of " + std::to_string(addresses.size()) +
                                     " addresses tried for " + host + ")");
    throw last;
}

Connection::Connection(Socket socket, Timeouts timeouts, std::string peer_name, std::uint16_t peer_port)
    : socket_(std::move(socket)), timeouts_(timeouts), peer_name_(std::move(peer_name)), peer_port_(peer_port) {}

Connection::~Connection() {
    if (tls_) tls_->close_notify();
}

void Connection::start_tls(std::shared_ptr<TlsContext> context, Milliseconds limit, Interrupter *interrupter) {
    if (tls_) fail(INETKIT_ERROR_NOT_SUPPORTED, "the connection is already secure");
    bool server = context->settings().server;
    if (server != accepted())
        fail(INETKIT_ERROR_INVALID_PARAMETER, server ? "server credentials on a connection this side opened"
                                                     : "client settings on an accepted connection");
    // Bytes the peer sent before our handshake began are not ours to trust
    // (STARTTLS response injection). A client expects nothing at all before
    // its ClientHello; a server may already hold the ClientHello in the
    // socket, but nothing in our own read buffer.
    int waiting = 0;
    if (!server && ::ioctl(socket_.fd(), FIONREAD, &waiting) != 0) waiting = 0;
    if (buffered() > 0 || waiting > 0)
        fail(INETKIT_ERROR_PLAINTEXT_INJECTION,
             std::to_string(buffered() + static_cast<std::size_t>(std::max(waiting, 0))) +
                 " plaintext bytes arrived before the TLS handshake; nothing was sent and they stay unread");
    std::string peer_key = server ? "" : peer_name_ + ":" + std::to_string(peer_port_);
    auto stream = std::make_unique<TlsStream>(std::move(context), socket_.fd(), peer_name_, peer_key);
    // The operation's end counts too: STLS is one step of a connect that nTimeout bounds as a whole.
    CallTimer timer(interrupter ? *interrupter : interrupter_, Timeouts{timeouts_.inactivity, limit, timeouts_.end});
    stream->handshake(timer);
    tls_ = std::move(stream);
}

std::size_t Connection::receive(void *buffer, std::size_t size, CallTimer *timer) {
    if (timer) timer->check_limits("read"); // a peer that never pauses must not outrun cancel or deadline
    while (tls_) {
        std::size_t n = 0;
        switch (tls_->read(buffer, size, n)) {
        case TlsStream::Io::Done:
            if (timer) timer->progress();
            if (trace_) trace_(TraceDirection::Receive, buffer, n);
            return n;
        case TlsStream::Io::End:
            end_of_stream_ = true;
            return 0;
        case TlsStream::Io::WantRead:
            if (!timer) return 0;
            timer->wait(socket_.fd(), POLLIN, "read");
            break;
        case TlsStream::Io::WantWrite:
            if (!timer) return 0;
            timer->wait(socket_.fd(), POLLOUT, "read");
            break;
        }
    }
    for (;;) {
        ssize_t n = ::recv(socket_.fd(), buffer, size, 0);
        if (n > 0) {
            if (timer) timer->progress();
            if (trace_) trace_(TraceDirection::Receive, buffer, static_cast<std::size_t>(n));
            return static_cast<std::size_t>(n);
        }
        if (n == 0) {
            end_of_stream_ = true;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!timer) return 0;
            timer->wait(socket_.fd(), POLLIN, "read");
            continue;
        }
        int error = errno; // read it before peer_text() makes more system calls
        fail_errno(error, "receive from " + peer_text(socket_));
    }
}

std::size_t Connection::fill(CallTimer *timer, std::size_t limit) {
    if (begin_ > 0 && (end_ == buffer_.size() || begin_ == end_)) { // make room at the end
        std::memmove(buffer_.data(), buffer_.data() + begin_, buffered());
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buffer_.size()) { // full: grow, but never past what the caller allows
        std::size_t grown = std::max(initial_buffer, buffer_.size() * 2);
        buffer_.resize(std::max(buffer_.size(), std::min(grown, limit)));
        if (end_ == buffer_.size()) return 0;
    }
    std::size_t n = receive(buffer_.data() + end_, buffer_.size() - end_, timer);
    end_ += n;
    return n;
}

void Connection::consume(std::size_t count) noexcept {
    begin_ += count;
    line_scanned_ = 0;
    if (begin_ == end_) {
        begin_ = end_ = 0;
        if (buffer_.size() > kept_buffer) std::vector<char>().swap(buffer_);
    }
}

std::size_t Connection::read(void *buffer, std::size_t size) {
    if (size == 0) return 0;
    if (buffered() > 0) {
        std::size_t n = std::min(size, buffered());
        std::memcpy(buffer, buffer_.data() + begin_, n);
        consume(n);
        return n;
    }
    if (end_of_stream_) return 0;
    CallTimer timer(interrupter_, timeouts_);
    return receive(buffer, size, &timer); // large reads skip the buffer
}

std::size_t Connection::read_line(char *line, std::size_t max_length) {
    CallTimer timer(interrupter_, timeouts_);
    // A line of max_length bytes takes up to max_length + 2 with its CR LF.
    const std::size_t limit = max_length + 2;
    for (;;) {
        const char *start = buffer_.data() + begin_;
        const std::size_t have = buffered();
        const void *lf = have > line_scanned_ ? std::memchr(start + line_scanned_, '\n', have - line_scanned_) : nullptr;
        if (lf) {
            std::size_t length = static_cast<std::size_t>(static_cast<const char *>(lf) - start);
            std::size_t content = length > 0 && start[length - 1] == '\r' ? length - 1 : length;
            if (content > max_length)
                fail(INETKIT_ERROR_LINE_TOO_LONG, "the line is " + std::to_string(content) +
                                                      " bytes; the buffer holds at most " +
                                                      std::to_string(max_length) + " (the line stays unread)");
            std::memcpy(line, start, content);
            consume(length + 1);
            return content;
        }
        line_scanned_ = have;
        if (have >= limit)
            fail(INETKIT_ERROR_LINE_TOO_LONG, "no end of line within " + std::to_string(have) +
                                                  " bytes; the buffer holds at most " + std::to_string(max_length) +
                                                  " (the bytes stay unread)");
        if (end_of_stream_)
            fail(INETKIT_ERROR_CONNECTION_CLOSED,
                 have ? "the peer closed the connection in the middle of a line (" + std::to_string(have) +
                            " bytes stay readable)"
                      : std::string("the peer closed the connection before a line arrived"));
        fill(&timer, limit);
    }
}

std::string_view Connection::wait_data(std::size_t capacity) {
    if (buffered() == 0 && !end_of_stream_) {
        // Bulk readers ask for a large buffer: fewer, bigger reads.
        if (buffer_.size() < capacity) {
            begin_ = end_ = 0;
            buffer_.resize(capacity);
        }
        CallTimer timer(interrupter_, timeouts_);
        while (buffered() == 0 && !end_of_stream_) fill(&timer, std::max(capacity, initial_buffer));
    }
    return std::string_view(buffer_.data() + begin_, buffered());
}

std::size_t Connection::peek(void *buffer, std::size_t size) {
    if (buffered() < size && !end_of_stream_) fill(nullptr, std::max(size, buffer_.size()));
    std::size_t n = std::min(size, buffered());
    if (n) std::memcpy(buffer, buffer_.data() + begin_, n);
    return n;
}

std::size_t Connection::available() {
    // Under TLS only decrypted bytes count; the socket holds ciphertext.
    if (tls_) return buffered() + tls_->pending();
    int pending = 0;
    if (!end_of_stream_ && ::ioctl(socket_.fd(), FIONREAD, &pending) != 0) fail_errno(errno, "cannot query the socket");
    return buffered() + static_cast<std::size_t>(std::max(pending, 0));
}

void Connection::write(const void *data, std::size_t size, std::size_t &written) {
    written = 0;
    if (size == 0) return;
    const char *bytes = static_cast<const char *>(data);
    CallTimer timer(interrupter_, timeouts_);
    while (written < size && tls_) {
        timer.check_limits("write");
        std::size_t n = 0;
        switch (tls_->write(bytes + written, size - written, n)) {
        case TlsStream::Io::Done:
            if (trace_) trace_(TraceDirection::Send, bytes + written, n);
            written += n;
            timer.progress();
            break;
        case TlsStream::Io::WantRead: timer.wait(socket_.fd(), POLLIN, "write"); break;
        case TlsStream::Io::WantWrite:
        case TlsStream::Io::End: timer.wait(socket_.fd(), POLLOUT, "write"); break;
        }
    }
    while (written < size) {
        timer.check_limits("write");
        ssize_t n = ::send(socket_.fd(), bytes + written, size - written, MSG_NOSIGNAL);
        if (n > 0) {
            if (trace_) trace_(TraceDirection::Send, bytes + written, static_cast<std::size_t>(n));
            written += static_cast<std::size_t>(n);
            timer.progress();
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            timer.wait(socket_.fd(), POLLOUT, "write");
            continue;
        }
        int error = errno; // read it before peer_text() makes more system calls
        if (send_shut_down_ && error == EPIPE)
            fail(INETKIT_ERROR_SHUTDOWN, "cannot write after the sending side was shut down");
        fail_errno(error, "send to " + peer_text(socket_));
    }
}

void Connection::shutdown(ShutdownDirection direction) {
    int how = direction == ShutdownDirection::Receive ? SHUT_RD : direction == ShutdownDirection::Send ? SHUT_WR : SHUT_RDWR;
    if (::shutdown(socket_.fd(), how) != 0) fail_errno(errno, "shutdown");
    if (direction != ShutdownDirection::Receive) send_shut_down_ = true;
}

// ---- Listener --------------------------------------------------------------

std::unique_ptr<Listener> Listener::listen(const std::string &address, std::uint16_t port, int backlog,
                                           std::shared_ptr<TlsContext> tls) {
    bool any_interface = false;
    SocketAddress local = numeric_address(address, port, &any_interface);
    Socket socket;
    try {
        socket = Socket::open_stream(local.family());
    } catch (const Error &error) {
        if (!any_interface || error.code() != INETKIT_ERROR_FAMILY_NOT_SUPPORTED) throw;
        local = numeric_address("0.0.0.0", port, &any_interface); // a system without IPv6
        socket = Socket::open_stream(local.family());
    }
    set_option(socket.fd(), SOL_SOCKET, SO_REUSEADDR, 1);
    if (local.family() == AF_INET6 && any_interface) set_option(socket.fd(), IPPROTO_IPV6, IPV6_V6ONLY, 0);
    if (::bind(socket.fd(), local.get(), local.length) != 0 ||
        ::listen(socket.fd(), backlog > 0 ? backlog : SOMAXCONN) != 0) {
        int error = errno; // before describe() runs
        fail_errno(error, "cannot listen on " + describe(local));
    }
    return std::make_unique<Listener>(std::move(socket), std::move(tls));
}

std::unique_ptr<Connection> Listener::accept(Milliseconds timeout, Timeouts connection_timeouts) {
    CallTimer timer(interrupter_, Timeouts{no_limit, timeout});
    Clock::time_point started = Clock::now();
    for (;;) {
        timer.check_interrupted();
        int fd = ::accept4(socket_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            Socket socket(fd);
            set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
            auto connection = std::make_unique<Connection>(std::move(socket), connection_timeouts);
            if (tls_) {
                // The handshake shares the accept's deadline; a client that fails it is dropped.
                auto left = timeout == no_limit ? no_limit : std::max(Milliseconds(1), timeout - std::chrono::duration_cast<Milliseconds>(Clock::now() - started));
                connection->start_tls(tls_, left, &interrupter_);
            }
            return connection;
        }
        // A client that gave up while queued is not the listener's failure.
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            timer.wait(socket_.fd(), POLLIN, "accept");
            continue;
        }
        fail_errno(errno, "accept");
    }
}

} // namespace inetkit::net
