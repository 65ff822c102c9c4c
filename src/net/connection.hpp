// A TCP byte stream with a read buffer: the engine behind Inet connections.
#pragma once

#include "net/socket.hpp"
#include "net/tls.hpp"
#include "net/wait.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace inetkit::net {

enum class TraceDirection { Receive = 1, Send = 2 };
using TraceFunction = std::function<void(TraceDirection, const void *, std::size_t)>;

enum class ShutdownDirection { Receive, Send, Both };

class Connection {
public:
    // Tries each address of host in turn within timeout in all.
    static std::unique_ptr<Connection> connect(const std::string &host, std::uint16_t port,
                                               Milliseconds timeout, bool prefer_ipv6);
    // peer_name: the host a client connected to ("" for accepted connections).
    Connection(Socket socket, Timeouts timeouts, std::string peer_name = "", std::uint16_t peer_port = 0);
    ~Connection();

    // TLS handshake on this connection within limit (client or server as the
    // context says). Refuses with PLAINTEXT_INJECTION when unread plaintext
    // is waiting: it would otherwise be mistaken for protected data.
    // interrupter: whose cancel or close stops the handshake (default: this
    // connection's; InetAccept passes the listener's).
    void start_tls(std::shared_ptr<TlsContext> context, Milliseconds limit, Interrupter *interrupter = nullptr);
    const TlsStream *tls() const noexcept { return tls_.get(); }
    bool accepted() const noexcept { return peer_name_.empty(); }

    // Blocks for at least one byte; returns 0 at end of stream.
    std::size_t read(void *buffer, std::size_t size);
    // One line without its CR LF / LF, at most max_length bytes, into line.
    // Throws LINE_TOO_LONG or CONNECTION_CLOSED, leaving the bytes unread.
    std::size_t read_line(char *line, std::size_t max_length);
    // Zero-copy reading for protocol decoders: waits until some bytes are
    // buffered and returns them (empty at end of stream); discard() then
    // consumes what the decoder used, leaving the rest (a pipelined reply)
    // for the next reader. capacity: how much to buffer at most per fill.
    std::string_view wait_data(std::size_t capacity);
    void discard(std::size_t count) noexcept { consume(count); }
    // Copies bytes that have already arrived without consuming them; never blocks.
    std::size_t peek(void *buffer, std::size_t size);
    std::size_t available();
    // Sends everything; written counts what left, also when it throws.
    void write(const void *data, std::size_t size, std::size_t &written);
    void shutdown(ShutdownDirection direction);

    Endpoint local_endpoint() const { return endpoint_of(socket_.local_address()); }
    Endpoint peer_endpoint() const { return endpoint_of(socket_.peer_address()); }

    Timeouts &timeouts() noexcept { return timeouts_; }
    void set_trace(TraceFunction trace) { trace_ = std::move(trace); }

    // Any thread.
    void cancel() noexcept { interrupter_.cancel(); }
    void abort() noexcept { interrupter_.abort(); }
    // The calling thread, as a call begins.
    void begin_call() noexcept { interrupter_.begin_call(); }

private:
    // Appends what the socket has to the buffer, waiting for it if wait is
    // true. Returns the bytes added; 0 means end of stream (or nothing yet,
    // when not waiting).
    std::size_t fill(CallTimer *timer, std::size_t want);
    std::size_t receive(void *buffer, std::size_t size, CallTimer *timer);
    std::size_t buffered() const noexcept { return end_ - begin_; }
    void consume(std::size_t count) noexcept;

    Socket socket_;
    Timeouts timeouts_;
    std::string peer_name_;
    std::uint16_t peer_port_;
    Interrupter interrupter_;
    std::unique_ptr<TlsStream> tls_;
    TraceFunction trace_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0, end_ = 0;
    std::size_t line_scanned_ = 0; // bytes after begin_ already searched for LF
    bool end_of_stream_ = false;
    bool send_shut_down_ = false;
};

class Listener {
public:
    // With a server context, accept() also does the TLS handshake.
    static std::unique_ptr<Listener> listen(const std::string &address, std::uint16_t port, int backlog,
                                            std::shared_ptr<TlsContext> tls);
    Listener(Socket socket, std::shared_ptr<TlsContext> tls) : socket_(std::move(socket)), tls_(std::move(tls)) {}

    // Waits up to timeout for a client.
    std::unique_ptr<Connection> accept(Milliseconds timeout, Timeouts connection_timeouts);
    Endpoint local_endpoint() const { return endpoint_of(socket_.local_address()); }

    void cancel() noexcept { interrupter_.cancel(); }
    void abort() noexcept { interrupter_.abort(); }
    void begin_call() noexcept { interrupter_.begin_call(); }

private:
    Socket socket_;
    std::shared_ptr<TlsContext> tls_;
    Interrupter interrupter_;
};

} // namespace inetkit::net
