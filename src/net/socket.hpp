// An owned socket descriptor.
#pragma once

#include "net/address.hpp"

#include <utility>

namespace inetkit::net {

class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket();
    Socket(Socket &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Socket &operator=(Socket &&other) noexcept;

    // A non-blocking, close-on-exec stream socket; throws on failure.
    static Socket open_stream(int family);

    int fd() const noexcept { return fd_; }
    SocketAddress local_address() const;
    SocketAddress peer_address() const;

private:
    int fd_ = -1;
};

} // namespace inetkit::net
