#include "mx/resolver.hpp"

#include "mx/dns_wire.hpp"
#include "mx/names.hpp"

#include <ares.h>
#include <openssl/rand.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <tuple>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

namespace inetkit::mx {

struct Resolver::Query {
    Resolver *resolver;
    std::uint64_t serial;
    QueryKind kind;
    std::size_t index;  // exchanger, for address queries
    std::uint64_t sent; // Resolver::sends_ when it was sent, for the window's loss recovery
    Clock::time_point sent_at;
    std::uint32_t step; // Request::mx_step when sent (Mx): a later answer to a copy of it is stale
};

struct Resolver::Answer {
    std::unique_ptr<Query> query;
    int status;
    std::vector<std::uint8_t> bytes;
    std::string server;
    bool over_tcp;
};

struct Resolver::Request {
    std::uint64_t serial = 0;
    std::uint64_t interrupt_generation = 0;
    Clock::time_point started;
    Clock::time_point deadline;
    std::size_t outstanding = 0; // queries sent and not yet answered; the request is on the wire while > 0
    std::uint32_t mx_step = 0;   // MX answers handled; an MX query sent before the last one is stale
    std::uint32_t copies = 0;    // MX queries sent again because the first seemed lost
    std::string qname; // where the CNAME chain has led so far
    std::vector<std::string> visited;
    std::size_t implicit_pending = 0;
    std::vector<Address> implicit_addresses;
    std::string implicit_failure; // a temporary failure of an implicit-MX address query
    std::size_t address_pending = 0;
    bool starved = false; // an answer was lost for want of memory
    Result result;
};

namespace {

// ---- c-ares callbacks: C frames, so nothing may throw through them ----

void answer_callback(void *arg, int status, int timeouts, unsigned char *data, int length) {
    auto *query = static_cast<Resolver::Query *>(arg);
    query->resolver->on_answer(query, status, timeouts, data, length);
}

void socket_state_callback(void *data, ares_socket_t fd, int readable, int writable) {
    static_cast<Resolver *>(data)->on_socket_state(fd, readable != 0, writable != 0);
}

ares_socket_t open_socket(int domain, int type, int protocol, void *user) {
    auto *resolver = static_cast<Resolver *>(user);
    // With its socket functions replaced, c-ares configures nothing itself:
    // non-blocking mode, buffers and TCP_NODELAY are ours to set.
    int fd = ::socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
    if (fd < 0) {
        resolver->note_socket_error(errno);
        return ARES_SOCKET_BAD;
    }
    if (type == SOCK_STREAM) {
        int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    } else {
        int size = 1 << 20; // bursts of answers in asynchronous mode
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (int error = resolver->bind_socket(fd, domain)) {
        ::close(fd);
        resolver->note_socket_error(error);
        errno = error;
        return ARES_SOCKET_BAD;
    }
    return fd;
}

int close_socket(ares_socket_t fd, void *) { return ::close(fd); }

// "address:port" ("[v6]:port") into out; no allocation, as it runs inside c-ares.
void endpoint_text(const sockaddr *address, char (&out)[64]) noexcept {
    char text[INET6_ADDRSTRLEN] = "?";
    if (address->sa_family == AF_INET) {
        auto *in = reinterpret_cast<const sockaddr_in *>(address);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        std::snprintf(out, sizeof out, "%s:%u", text, ntohs(in->sin_port));
    } else if (address->sa_family == AF_INET6) {
        auto *in6 = reinterpret_cast<const sockaddr_in6 *>(address);
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        std::snprintf(out, sizeof out, "[%s]:%u", text, ntohs(in6->sin6_port));
    } else {
        std::snprintf(out, sizeof out, "?");
    }
}

int connect_socket(ares_socket_t fd, const sockaddr *address, ares_socklen_t length, void *user) {
    auto *resolver = static_cast<Resolver *>(user);
    int rc = ::connect(fd, address, length);
    int error = errno;
    if (rc != 0 && error != EINPROGRESS) resolver->note_socket_error(error);
    errno = error;
    return rc;
}

// UDP reads skip empty datagrams: a 0-byte datagram is not an answer, and
// some c-ares versions took it for a closed connection (CVE-2023-32067).
ares_ssize_t receive_socket(ares_socket_t fd, void *buffer, size_t length, int flags, sockaddr *from,
                            ares_socklen_t *from_length, void *user) {
    ares_ssize_t n;
    do {
        n = ::recvfrom(fd, buffer, length, flags, from, from_length);
    } while (n == 0 && from != nullptr);
    auto *resolver = static_cast<Resolver *>(user);
    if (n > 0) resolver->note_received(fd, from);
    if (n < 0) {
        int error = errno;
        if (error != EAGAIN && error != EWOULDBLOCK && error != EINTR)
            static_cast<Resolver *>(user)->note_socket_error(error);
        errno = error;
    }
    return n;
}

ares_ssize_t send_socket(ares_socket_t fd, const iovec *vector, int count, void *user) {
    msghdr message{};
    message.msg_iov = const_cast<iovec *>(vector);
    message.msg_iovlen = static_cast<std::size_t>(count);
    ares_ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL); // a reset TCP peer must not raise SIGPIPE
    if (n < 0) {
        int error = errno;
        if (error != EAGAIN && error != EWOULDBLOCK && error != EINTR)
            static_cast<Resolver *>(user)->note_socket_error(error);
        errno = error;
    }
    return n;
}

const ares_socket_functions socket_functions = {open_socket, close_socket, connect_socket, receive_socket, send_socket};

std::uint32_t millis_between(Clock::time_point from, Clock::time_point to) {
    auto ms = std::chrono::duration_cast<Milliseconds>(to - from).count();
    return static_cast<std::uint32_t>(std::clamp<long long>(ms, 0, 0xFFFFFFFE));
}

// A or AAAA first, as UseIPv6 prefers.
void sort_addresses(std::vector<Address> &addresses, Ipv6Use use_ipv6) {
    std::stable_sort(addresses.begin(), addresses.end(), [&](const Address &a, const Address &b) {
        return use_ipv6 == Ipv6Use::On ? a.family > b.family : a.family < b.family;
    });
}

} // namespace

const char *rcode_text(std::uint32_t rcode) noexcept {
    static const char *const texts[] = {"Ok", "Format error", "Server failure", "Name error", "Not implemented", "Refused"};
    if (rcode == status_no_answer) return "No answer";
    return rcode < 6 ? texts[rcode] : "Unknown response code";
}

// ---- lifetime and settings ----

Resolver::Resolver() : shuffle_(std::random_device{}()) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0 || timer_fd_ < 0) {
        int error = errno;
        for (int fd : {epoll_fd_, wake_fd_, timer_fd_})
            if (fd >= 0) ::close(fd);
        fail_errno(error, "cannot create the resolver's event descriptors");
    }
    for (int fd : {wake_fd_, timer_fd_}) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    }
}

Resolver::~Resolver() {
    destroy_channel();
    ::close(timer_fd_);
    ::close(wake_fd_);
    ::close(epoll_fd_);
}

void Resolver::destroy_channel() noexcept {
    if (!channel_) return;
    // Every query's callback runs with ARES_EDESTRUCTION and frees it; every
    // socket is reported closed (on_socket_state takes it out of epoll).
    ares_destroy(channel_);
    channel_ = nullptr;
}

void Resolver::configure(const std::function<void(Settings &)> &change, bool affects_network) {
    if (affects_network && pending() > 0)
        fail(INETKIT_ERROR_BUSY, std::to_string(pending()) +
                                     " requests are in flight; wait for them or interrupt them before changing how queries are sent");
    Settings changed = settings_;
    change(changed);
    if (changed.shuffle_seed_sets != settings_.shuffle_seed_sets && changed.shuffle_seed != 0) shuffle_.seed(changed.shuffle_seed);
    settings_ = std::move(changed);
    if (affects_network) channel_dirty_ = true;
}

void Resolver::reset() {
    destroy_channel();
    requests_.clear();
    queued_.clear();
    queued_live_ = 0;
    queued_in_order_ = true;
    deadlines_.clear();
    finished_.clear();
    answers_.clear();
    on_wire_ = 0;
    reset_window();
    settings_ = Settings();
    next_request_id_ = 1;
    shuffle_.seed(std::random_device{}());
    interrupts_applied_ = interrupts_.load();
    channel_dirty_ = true;
}

std::vector<ServerAddress> Resolver::effective_servers() const {
    std::vector<ServerAddress> servers = settings_.servers ? *settings_.servers : read_resolv_conf(settings_.resolv_conf);
    for (ServerAddress &server : servers)
        if (server.port == 0) server.port = settings_.dns_port;
    if (settings_.use_ipv6 == Ipv6Use::Off)
        servers.erase(std::remove_if(servers.begin(), servers.end(), [](const ServerAddress &s) { return s.family == 6; }),
                      servers.end());
    if (settings_.use_ipv6 == Ipv6Use::On)
        std::stable_partition(servers.begin(), servers.end(), [](const ServerAddress &s) { return s.family == 6; });
    return servers;
}

std::string Resolver::servers_in_use() {
    if (settings_.servers) return format_server_list(*settings_.servers);
    return format_server_list(read_resolv_conf(settings_.resolv_conf));
}

void Resolver::build_channel() {
    std::vector<ServerAddress> servers = effective_servers();
    if (servers.empty())
        fail(INETKIT_ERROR_NO_DNS_SERVER, settings_.servers ? "no DNS server is usable (UseIPv6=off leaves none)"
                                                            : "no DNS server is set and " + settings_.resolv_conf +
                                                                  " names none; call MxSetDnsServer");
    destroy_channel();
    ares_options options{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS |
               ARES_OPT_SERVERS | ARES_OPT_RESOLVCONF;
    // NOCHECKRESP: SERVFAIL, REFUSED and NOTIMP answers reach us with their RCODE
    // instead of all becoming ARES_ECONNREFUSED.
    // STAYOPEN: without it c-ares closes the UDP socket whenever nothing is
    // in flight, so each synchronous MxResolve paid for a new socket.
    options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_STAYOPEN;
    // With one server, NOCHECKRESP hands us SERVFAIL, REFUSED and NOTIMP
    // answers with their RCODE. With several, c-ares must check them so it
    // moves on to the next server (as resolvers do); it then reports the last
    // one's RCODE as ARES_ESERVFAIL / ARES_EREFUSED / ARES_ENOTIMP.
    if (servers.size() == 1) options.flags |= ARES_FLAG_NOCHECKRESP;
    if (settings_.connection_mode == ConnectionMode::Tcp) options.flags |= ARES_FLAG_USEVC;
    if (settings_.connection_mode == ConnectionMode::Udp) options.flags |= ARES_FLAG_IGNTC;
    if (settings_.max_packet_size != 0) {
        options.flags |= ARES_FLAG_EDNS; // also lets c-ares retry without EDNS after a FORMERR
        options.ednspsz = static_cast<int>(settings_.max_packet_size);
        mask |= ARES_OPT_EDNSPSZ;
    }
    options.timeout = static_cast<int>(settings_.query_timeout_ms);
    options.tries = static_cast<int>(settings_.retries + 1);
    options.sock_state_cb = socket_state_callback;
    options.sock_state_cb_data = this;
    char lookups[] = "b";
    options.lookups = lookups;
    options.nservers = 0; // ours, set below; c-ares must not add 127.0.0.1 on its own
    // The system's file is read by read_resolv_conf, with bounds; c-ares reads nothing.
    char no_file[] = "/dev/null";
    options.resolvconf_path = no_file;
    int status = ares_init_options(&channel_, &options, mask);
    if (status != ARES_SUCCESS) {
        channel_ = nullptr;
        fail(status == ARES_ENOMEM ? INETKIT_ERROR_NOT_ENOUGH_MEMORY : INETKIT_ERROR_INTERNAL,
             std::string("c-ares could not create a channel: ") + ares_strerror(status));
    }
    ares_set_socket_functions(channel_, &socket_functions, this);
    std::string csv;
    for (const ServerAddress &server : servers) {
        if (!csv.empty()) csv += ',';
        csv += (server.family == 6 ? "[" + server.address + "]" : server.address) + ":" + std::to_string(server.port);
    }
    status = ares_set_servers_ports_csv(channel_, csv.c_str());
    if (status != ARES_SUCCESS) {
        destroy_channel();
        fail(status == ARES_ENOMEM ? INETKIT_ERROR_NOT_ENOUGH_MEMORY : INETKIT_ERROR_INVALID_PARAMETER,
             "c-ares refused the DNS servers " + csv + ": " + ares_strerror(status));
    }
    servers_text_ = format_server_list(servers);
    channel_dirty_ = false;
}

int Resolver::bind_socket(int fd, int family) noexcept {
    if (settings_.local_host.empty() && settings_.local_port == 0) return 0;
    sockaddr_storage address{};
    socklen_t length;
    if (family == AF_INET6) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(settings_.local_port);
        if (!settings_.local_host.empty() && inet_pton(AF_INET6, settings_.local_host.c_str(), &in6->sin6_addr) != 1) {
            return EAFNOSUPPORT; // LocalHost is IPv4: this server cannot be reached from it
        }
        length = sizeof *in6;
    } else {
        auto *in = reinterpret_cast<sockaddr_in *>(&address);
        in->sin_family = AF_INET;
        in->sin_port = htons(settings_.local_port);
        if (!settings_.local_host.empty() && inet_pton(AF_INET, settings_.local_host.c_str(), &in->sin_addr) != 1) {
            return EAFNOSUPPORT;
        }
        length = sizeof *in;
    }
    if (settings_.local_port != 0) { // several sockets (UDP per server, TCP) share the port
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    }
    return ::bind(fd, reinterpret_cast<sockaddr *>(&address), length) == 0 ? 0 : errno;
}

void Resolver::note_received(int fd, const sockaddr *from) noexcept {
    // The answer c-ares is about to handle came from here: name its server
    // now, as a refused socket can be replaced by one with the same number
    // within one ares_process_fd.
    current_over_tcp_ = from == nullptr;
    if (from) {
        std::size_t size = from->sa_family == AF_INET    ? sizeof(sockaddr_in)
                           : from->sa_family == AF_INET6 ? sizeof(sockaddr_in6)
                                                         : 0;
        if (size == 0 || size != last_from_size_ || std::memcmp(from, last_from_.data(), size) != 0) {
            endpoint_text(from, last_from_text_);
            last_from_size_ = size;
            if (size) std::memcpy(last_from_.data(), from, size);
        }
        std::memcpy(current_server_, last_from_text_, sizeof current_server_);
    } else {
        sockaddr_storage peer{};
        socklen_t size = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &size) == 0)
            endpoint_text(reinterpret_cast<sockaddr *>(&peer), current_server_);
    }
}

void Resolver::on_socket_state(int fd, bool read, bool write) noexcept {
    // This runs inside c-ares, where nothing may throw: no bookkeeping that
    // allocates, epoll itself knows which descriptors it watches.
    if (!read && !write) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        return;
    }
    epoll_event event{};
    event.events = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0 && errno == ENOENT)
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
}

// ---- requests ----

std::uint32_t Resolver::submit(std::string_view input, Clock::time_point deadline) {
    MailTarget target = parse_mail_target(input, settings_.use_idn);
    std::uint32_t id = next_request_id_;
    Result literal;
    if (target.kind == MailTarget::Kind::Literal) {
        literal.request_id = id;
        literal.domain = "[" + target.literal + "]";
        literal.status = "OK";
        literal.status_code = status_no_answer; // nothing was asked
        literal.flags = 0;
        Exchanger exchanger;
        exchanger.name = target.literal;
        exchanger.flags = record_literal;
        exchanger.addresses.push_back({target.family, 0, target.literal});
        literal.exchangers.push_back(std::move(exchanger));
        finished_.push_back(std::move(literal));
        ++next_request_id_;
        return id;
    }
    if (channel_dirty_ || !channel_) build_channel();
    // Queued as a small record: the request's state is built when it goes
    // on the wire. 100,000 names submitted at once held 40 MB of requests
    // that waited, with a page fault every few of them.
    if (!queued_.empty() && deadline < queued_.back().deadline) queued_in_order_ = false;
    if (queued_.empty() || deadline < queued_earliest_) queued_earliest_ = deadline;
    queued_.push_back(Pending{id, interrupts_.load(), Clock::now(), deadline, std::move(target.domain)});
    ++queued_live_;
    ++next_request_id_;
    start_queued();
    return id;
}

bool Resolver::is_pending(std::uint32_t request_id) const {
    return std::any_of(requests_.begin(), requests_.end(),
                       [&](const auto &entry) { return entry.second->result.request_id == request_id; }) ||
           std::any_of(queued_.begin(), queued_.end(),
                       [&](const Pending &each) { return !each.done && each.request_id == request_id; });
}

void Resolver::pop_queued() noexcept {
    queued_.pop_front();
    if (queued_.empty()) queued_in_order_ = true;
}

void Resolver::finish_queued(Pending &pending, ErrorCode error, std::string message) {
    Result result;
    result.request_id = pending.request_id;
    result.domain = pending.domain;
    result.error = error;
    result.status = std::move(message);
    result.elapsed_ms = millis_between(pending.started, Clock::now());
    finished_.push_back(std::move(result)); // marked done only once its result is queued
    pending.done = true;
    --queued_live_;
}

std::size_t Resolver::window() const noexcept {
    return std::min<std::size_t>(static_cast<std::size_t>(window_), settings_.max_in_flight);
}

void Resolver::start_queued() {
    // Not again from inside: ares_send can answer a query at once (no memory),
    // and on_answer refills from there.
    if (refilling_) return;
    refilling_ = true;
    struct Done {
        bool &flag;
        ~Done() { flag = false; }
    } done{refilling_};
    while (on_wire_ < window() && !queued_.empty()) {
        Pending &next = queued_.front();
        if (next.done) { // finished while queued (interrupted, expired)
            pop_queued();
            continue;
        }
        // Taken off the queue once it is a request (if that throws, no
        // memory, it is still queued for the next try).
        auto owned = std::make_unique<Request>();
        Request &request = *owned;
        request.serial = next_serial_;
        request.interrupt_generation = next.interrupt_generation;
        request.started = next.started;
        request.deadline = next.deadline;
        request.qname = next.domain;
        request.result.request_id = next.request_id;
        std::pair<Clock::time_point, std::uint64_t> deadline{request.deadline, request.serial};
        deadlines_.insert(deadline);
        try {
            requests_.emplace(deadline.second, std::move(owned));
        } catch (...) {
            deadlines_.erase(deadline); // request was freed with the node that failed
            throw;
        }
        ++next_serial_;
        request.result.domain = std::move(next.domain);
        --queued_live_;
        pop_queued();
        try {
            send(request, request.qname, wire::MX, QueryKind::Mx);
        } catch (const Error &error) {
            finish(request, error.code(), request.result.domain + ": " + error.what());
        }
    }
}

void Resolver::cut_window(std::uint64_t sent, double floor) noexcept {
    // Once for all the queries that were already out when the window was
    // last cut: they met the same congestion.
    if (sent <= recovery_point_) return;
    double cap = settings_.max_in_flight;
    slow_start_limit_ = std::max(floor, std::min(window_, cap) / 2);
    window_ = std::min(window_, slow_start_limit_);
    recovery_point_ = sends_;
}

Resolver::Sent Resolver::adapt_window(const Query &query, int status, int timeouts) noexcept {
    Clock::time_point now = Clock::now();
    bool clean = timeouts == 0 && status != ARES_ETIMEOUT;
    if (clean) {
        auto sample = std::chrono::duration<double, std::milli>(now - query.sent_at).count();
        smoothed_rtt_ms_ = smoothed_rtt_ms_ < 0 ? sample : smoothed_rtt_ms_ + (sample - smoothed_rtt_ms_) / 8;
        // Slow start (one more per answer: the window doubles each round
        // trip) up to the limit, then one more per window's worth.
        window_ = std::min<double>(settings_.max_in_flight, window_ + (window_ < slow_start_limit_ ? 1.0 : 1.0 / window_));
    } else {
        // c-ares had to send it again: the server or a buffer on the way dropped it.
        cut_window(query.sent, 1);
    }
    // The query is no longer out; forget the answered ones at the front.
    if (query.sent >= first_tracked_ && query.sent - first_tracked_ < sent_times_.size())
        sent_times_[query.sent - first_tracked_].at = Clock::time_point::max();
    highest_answered_ = std::max(highest_answered_, query.sent);
    while (!sent_times_.empty() && sent_times_.front().at == Clock::time_point::max()) {
        sent_times_.pop_front();
        ++first_tracked_;
    }
    // c-ares waits QueryTimeout (2 s) before it sends a lost query again, far
    // too late to slow down: 4096 queries sent at once to Knot lost 74 names
    // after four tries. An older query still out long after this later one
    // came back was most likely dropped: cut now, but not below the initial
    // window, as a recursive server may just be slow on that one name, and
    // tell the caller, who sends an MX query again (the first answer wins).
    return take_lost(now);
}

Milliseconds Resolver::loss_limit() const noexcept {
    return Milliseconds(static_cast<long long>(std::max(8 * smoothed_rtt_ms_, 50.0)));
}

Resolver::Sent Resolver::take_lost(Clock::time_point now) noexcept {
    if (sent_times_.empty() || highest_answered_ <= first_tracked_ || smoothed_rtt_ms_ < 0) return Sent{};
    Sent &oldest = sent_times_.front();
    if (now - oldest.at <= loss_limit()) return Sent{};
    cut_window(first_tracked_, std::min<double>(initial_window, settings_.max_in_flight));
    Sent lost = oldest;
    // Counted once: forgotten like the answered ones at the front.
    oldest.at = Clock::time_point::max();
    while (!sent_times_.empty() && sent_times_.front().at == Clock::time_point::max()) {
        sent_times_.pop_front();
        ++first_tracked_;
    }
    return lost;
}

void Resolver::send_copy(const Sent &lost) {
    if (!lost.mx) return;
    auto found = requests_.find(lost.serial);
    if (found == requests_.end()) return;
    Request &request = *found->second;
    // Only while that MX step is still unanswered, and a few times at most:
    // c-ares goes on retrying the first query as well.
    if (request.mx_step != lost.step || request.copies >= 2) return;
    ++request.copies;
    send(request, request.qname, wire::MX, QueryKind::Mx);
}

void Resolver::send(Request &request, const std::string &name, std::uint16_t type, QueryKind kind, std::size_t index) {
    unsigned char *packet = nullptr;
    int length = 0;
    // c-ares 1.18's ares_send sends the id it is given: it must be unpredictable
    // (an off-path attacker must guess it to forge an answer).
    // Taken from a batch: RAND_bytes costs a getpid() system call per call.
    if (random_ids_used_ == random_ids_.size()) {
        if (RAND_bytes(reinterpret_cast<unsigned char *>(random_ids_.data()),
                       static_cast<int>(random_ids_.size() * sizeof random_ids_[0])) != 1)
            fail(INETKIT_ERROR_INTERNAL, "no random bytes for query ids");
        random_ids_used_ = 0;
    }
    unsigned short id = random_ids_[random_ids_used_++];
    int status = ares_create_query(name.c_str(), wire::class_in, type, id, 1, &packet, &length,
                                   static_cast<int>(settings_.max_packet_size));
    if (status != ARES_SUCCESS)
        fail(status == ARES_ENOMEM ? INETKIT_ERROR_NOT_ENOUGH_MEMORY : INETKIT_ERROR_INVALID_PARAMETER,
             "cannot build a query for " + quote_for_message(name) + ": " + ares_strerror(status));
    Clock::time_point now = Clock::now();
    try {
        sent_times_.push_back(Sent{now, request.serial, request.mx_step, kind == QueryKind::Mx});
    } catch (...) {
        ares_free_string(packet);
        throw;
    }
    auto *query = new (std::nothrow) Query{this, request.serial, kind, index, ++sends_, now, request.mx_step};
    if (!query) {
        sent_times_.pop_back();
        --sends_;
        ares_free_string(packet);
        fail(INETKIT_ERROR_NOT_ENOUGH_MEMORY, "no memory for a query");
    }
    // Counted before ares_send, whose callback may run inside it.
    if (request.outstanding++ == 0) ++on_wire_;
    ares_send(channel_, packet, length, answer_callback, query); // c-ares copies the packet; the callback frees query
    ares_free_string(packet);
}

void Resolver::on_answer(Query *raw, int status, int timeouts, const unsigned char *data, int length) {
    std::unique_ptr<Query> query(raw);
    if (status == ARES_EDESTRUCTION) return;
    Sent lost = adapt_window(*query, status, timeouts);
    if (lost.serial != 0) {
        try {
            send_copy(lost);
        } catch (...) {
            // Nothing may be thrown here; c-ares still retries the first query.
        }
    }
    auto found = requests_.find(query->serial);
    if (found == requests_.end()) return; // its request already finished
    Request &request = *found->second;
    if (--request.outstanding == 0) --on_wire_; // until handle() sends a follow-up query, if any
    try {
        Answer answer{std::move(query), status, {}, std::string(current_server_), current_over_tcp_};
        if (status == ARES_SUCCESS && data && length > 0) answer.bytes.assign(data, data + length);
        answers_.push_back(std::move(answer));
    } catch (...) {
        // This runs inside c-ares: nothing may be thrown. The request fails
        // with NOT_ENOUGH_MEMORY at the end of the poll.
        request.starved = true;
        ++starved_;
    }
    // The slot is free: send the next request now, while c-ares reads the
    // rest of the burst, instead of after the whole burst was handled. The
    // server then never waits for the client (a bulk run went from 0.5x to
    // 0.8x of c-ares driven the same way). Nothing may throw here; what is
    // not sent now is sent at the end of the poll.
    try {
        start_queued();
    } catch (...) {
    }
}

ErrorCode Resolver::failure_code(int status) const {
    switch (status) {
    case ARES_ETIMEOUT: return INETKIT_ERROR_TRY_AGAIN;
    case ARES_ECONNREFUSED:
        return last_socket_error_ ? error_from_errno(last_socket_error_) : ErrorCode{INETKIT_ERROR_CONNECTION_REFUSED};
    case ARES_ECANCELLED: return INETKIT_ERROR_CANCELED;
    case ARES_ENOMEM: return INETKIT_ERROR_NOT_ENOUGH_MEMORY;
    case ARES_EBADRESP: return INETKIT_ERROR_DNS_BAD_RESPONSE;
    case ARES_ESERVFAIL: return INETKIT_ERROR_TRY_AGAIN;
    case ARES_EREFUSED:
    case ARES_ENOTIMP: return INETKIT_ERROR_NO_RECOVERY;
    case ARES_EFORMERR: return INETKIT_ERROR_INVALID_PARAMETER;
    default: return INETKIT_ERROR_TRY_AGAIN;
    }
}

std::string Resolver::failure_text(int status) const {
    const std::string &servers = servers_text_;
    switch (status) {
    case ARES_ETIMEOUT:
        return "no answer from " + servers + " after " + std::to_string(settings_.retries + 1) + " tries";
    case ARES_ECONNREFUSED:
        return "cannot reach " + servers +
               (last_socket_error_ ? std::string(": ") + std::strerror(last_socket_error_) : std::string());
    case ARES_ESERVFAIL: return "every DNS server failed (Server failure; " + servers + "); try again later";
    case ARES_EREFUSED: return "every DNS server refused the query (" + servers + ")";
    case ARES_ENOTIMP: return "no DNS server implements the query (" + servers + ")";
    default: return std::string(ares_strerror(status)) + " (" + servers + ")";
    }
}

void Resolver::handle(const Answer &answer) {
    auto found = requests_.find(answer.query->serial);
    if (found == requests_.end()) return;
    Request &request = *found->second;
    // A copy of this MX query was sent, and one of the two was answered already.
    if (answer.query->kind == QueryKind::Mx && answer.query->step != request.mx_step) return;
    try {
        if (answer.query->kind == QueryKind::Mx) handle_mx(request, answer);
        else handle_address(request, answer);
    } catch (const Error &error) {
        if (requests_.count(answer.query->serial)) finish(request, error.code(), request.result.domain + ": " + error.what());
    } catch (const std::bad_alloc &) {
        if (requests_.count(answer.query->serial)) finish(request, INETKIT_ERROR_NOT_ENOUGH_MEMORY, request.result.domain + ": out of memory");
    }
}

void Resolver::handle_mx(Request &request, const Answer &answer) {
    ++request.mx_step; // the other copy of this query, if any, is now stale
    Result &result = request.result;
    const std::string &domain = result.domain;
    if (answer.status != ARES_SUCCESS) {
        if (answer.status == ARES_ESERVFAIL) result.status_code = 2;
        if (answer.status == ARES_ENOTIMP) result.status_code = 4;
        if (answer.status == ARES_EREFUSED) result.status_code = 5;
        finish(request, failure_code(answer.status), domain + ": " + failure_text(answer.status));
        return;
    }
    result.server = answer.server;
    wire::Message &message = scratch_;
    try {
        wire::parse(answer.bytes.data(), answer.bytes.size(), message);
    } catch (const Error &error) {
        fail(error.code(), std::string("malformed answer from ") + answer.server + ": " + error.what());
    }
    result.status_code = message.rcode;
    result.authoritative = message.authoritative;
    if (message.authoritative) result.flags |= result_authoritative;
    // c-ares asks over TCP only after a truncated UDP answer, unless ConnectionMode=tcp says so.
    // (It was keyed on the query id, which two queries in flight can share: the flag went astray.)
    if (answer.over_tcp && settings_.connection_mode != ConnectionMode::Tcp) result.flags |= result_truncated;
    if (message.truncated) { // ConnectionMode=udp: c-ares kept the cut answer
        result.flags |= result_dropped;
        bool has_mx = std::any_of(message.answers.begin(), message.answers.end(),
                                  [](const wire::Record &record) { return record.type == wire::MX; });
        if (!has_mx) {
            finish(request, INETKIT_ERROR_NO_RECOVERY, domain + ": the answer from " + answer.server +
                                                           " was truncated to nothing and ConnectionMode=udp forbids TCP");
            return;
        }
    }

    if (message.rcode != 0) { // the text is put together for failures only: most answers are fine
        std::string from = " (" + std::string(rcode_text(message.rcode)) + " from " + answer.server + ")";
        switch (message.rcode) {
        case 3: finish(request, INETKIT_ERROR_HOST_NOT_FOUND, domain + ": the domain does not exist" + from); return;
        case 2: finish(request, INETKIT_ERROR_TRY_AGAIN, domain + ": the DNS server failed; try again later" + from); return;
        default: finish(request, INETKIT_ERROR_NO_RECOVERY, domain + ": the DNS server would not answer the query" + from); return;
        }
    }

    bool alias = false, loop = false;
    // Most answers hold no CNAME: then the name is the query's, not a copy of it.
    std::string chased;
    bool has_cname = std::any_of(message.answers.begin(), message.answers.end(),
                                 [](const wire::Record &record) { return record.type == wire::CNAME; });
    if (has_cname) chased = chase(message, request.qname, &alias, &loop);
    const std::string &name = has_cname ? chased : request.qname;
    if (loop) {
        finish(request, INETKIT_ERROR_NO_RECOVERY, domain + ": the CNAME chain loops (at " + name + ", " + answer.server + ")");
        return;
    }
    if (alias) {
        result.flags |= result_cname;
        result.canonical_name = name;
    }
    Exchangers found = order_exchangers(message.answers, name, settings_.max_records, settings_.shuffle_equal ? &shuffle_ : nullptr);
    if (found.records == 0) {
        if (alias) {
            // The chain left the data this answer holds: ask again at its end, within limits.
            request.visited.push_back(request.qname);
            if (request.visited.size() >= 8 ||
                std::find(request.visited.begin(), request.visited.end(), name) != request.visited.end()) {
                finish(request, INETKIT_ERROR_NO_RECOVERY,
                       domain + ": the CNAME chain loops or needs more than 8 queries (at " + name + ")");
                return;
            }
            request.qname = name;
            send(request, name, wire::MX, QueryKind::Mx);
            return;
        }
        if (!settings_.implicit_mx) {
            finish(request, INETKIT_ERROR_NO_DATA, domain + ": the domain has no MX records (" + answer.server + "; ImplicitMX is off)");
            return;
        }
        // RFC 5321 5.1: no MX, so the domain itself, if it has addresses.
        request.implicit_pending = 0;
        send(request, name, wire::A, QueryKind::ImplicitA);
        ++request.implicit_pending;
        if (settings_.use_ipv6 != Ipv6Use::Off) {
            send(request, name, wire::AAAA, QueryKind::ImplicitAaaa);
            ++request.implicit_pending;
        }
        return;
    }
    if (found.null_mx) {
        finish(request, INETKIT_ERROR_NULL_MX, domain + ": the domain accepts no mail (null MX \"0 .\", RFC 7505; " + answer.server + ")");
        return;
    }
    if (found.dropped) result.flags |= result_dropped;
    if (found.list.empty()) {
        finish(request, INETKIT_ERROR_DNS_BAD_NAME, domain + ": none of the " + std::to_string(found.records) +
                                                        " mail exchangers in the answer from " + answer.server +
                                                        " is a valid host name (" + quote_for_message(found.first_invalid) + ")");
        return;
    }
    result.exchangers = std::move(found.list);
    if (settings_.resolve_addresses) start_address_queries(request);
    else finish_ok(request);
}

void Resolver::start_address_queries(Request &request) {
    request.address_pending = 0;
    for (std::size_t i = 0; i < request.result.exchangers.size(); ++i) {
        send(request, request.result.exchangers[i].name, wire::A, QueryKind::ExchangerA, i);
        ++request.address_pending;
        if (settings_.use_ipv6 != Ipv6Use::Off) {
            send(request, request.result.exchangers[i].name, wire::AAAA, QueryKind::ExchangerAaaa, i);
            ++request.address_pending;
        }
    }
}

void Resolver::handle_address(Request &request, const Answer &answer) {
    bool implicit = answer.query->kind == QueryKind::ImplicitA || answer.query->kind == QueryKind::ImplicitAaaa;
    std::uint16_t type = (answer.query->kind == QueryKind::ImplicitA || answer.query->kind == QueryKind::ExchangerA) ? wire::A : wire::AAAA;
    std::string name = implicit ? request.qname : request.result.exchangers[answer.query->index].name;
    std::vector<Address> found;
    bool alias = false;
    bool temporary_failure = answer.status != ARES_SUCCESS;
    std::string failure = temporary_failure ? failure_text(answer.status) : std::string();
    if (!temporary_failure) {
        try {
            wire::Message &message = scratch_;
            wire::parse(answer.bytes.data(), answer.bytes.size(), message);
            if (message.rcode == 2) {
                temporary_failure = true;
                failure = "Server failure from " + answer.server;
            }
            std::string end = chase(message, name, &alias);
            for (const wire::Record &record : message.answers)
                if (record.type == type && record.klass == wire::class_in && record.owner == end)
                    found.push_back({type == wire::A ? 4 : 6, record.ttl, record.address});
        } catch (const Error &error) {
            temporary_failure = true;
            failure = std::string("malformed answer from ") + answer.server + ": " + error.what();
        }
    }
    if (implicit) {
        request.implicit_addresses.insert(request.implicit_addresses.end(), found.begin(), found.end());
        if (temporary_failure) request.implicit_failure = failure;
        if (--request.implicit_pending > 0) return;
        Result &result = request.result;
        if (request.implicit_addresses.empty()) {
            if (!request.implicit_failure.empty())
                finish(request, INETKIT_ERROR_TRY_AGAIN, result.domain + ": no MX records, and the address lookup failed: " + request.implicit_failure);
            else
                finish(request, INETKIT_ERROR_NO_DATA, result.domain + ": the domain has no MX records and no A or AAAA records (" +
                                                           result.server + ")");
            return;
        }
        Exchanger exchanger;
        exchanger.name = request.qname;
        exchanger.flags = record_implicit;
        exchanger.ttl = UINT32_MAX;
        for (const Address &address : request.implicit_addresses) exchanger.ttl = std::min(exchanger.ttl, address.ttl);
        exchanger.addresses = std::move(request.implicit_addresses);
        sort_addresses(exchanger.addresses, settings_.use_ipv6);
        result.exchangers.push_back(std::move(exchanger));
        finish_ok(request);
        return;
    }
    Exchanger &exchanger = request.result.exchangers[answer.query->index];
    if (alias) exchanger.flags |= record_alias;
    exchanger.addresses.insert(exchanger.addresses.end(), found.begin(), found.end());
    if (--request.address_pending > 0) return;
    for (Exchanger &each : request.result.exchangers) {
        if (each.addresses.empty()) each.flags |= record_no_address;
        sort_addresses(each.addresses, settings_.use_ipv6);
    }
    finish_ok(request);
}

void Resolver::finish_ok(Request &request) {
    finish(request, 0, "OK");
}

void Resolver::finish(Request &request, ErrorCode error, std::string message) {
    std::uint64_t serial = request.serial;
    // Queued first: if that allocation fails, the request is still there to
    // fail with NOT_ENOUGH_MEMORY instead of vanishing without a result.
    finished_.push_back(std::move(request.result));
    Result &result = finished_.back();
    result.error = error;
    result.status = std::move(message);
    result.elapsed_ms = millis_between(request.started, Clock::now());
    if (error != 0 && error != INETKIT_ERROR_NULL_MX) result.exchangers.clear();
    if (request.outstanding > 0) --on_wire_; // the answers still to come are dropped by on_answer
    deadlines_.erase({request.deadline, serial});
    requests_.erase(serial); // request is gone from here on
}

// ---- the loop ----

void Resolver::interrupt() noexcept {
    interrupts_.fetch_add(1);
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Resolver::abort() noexcept {
    aborted_.store(true);
    interrupt();
}

void Resolver::apply_interrupts() {
    std::uint64_t now = interrupts_.load();
    if (now == interrupts_applied_) return;
    interrupts_applied_ = now;
    // (request id, serial or queue index, queued?), delivered in id order
    std::vector<std::tuple<std::uint32_t, std::uint64_t, bool>> canceled;
    for (const auto &[serial, request] : requests_)
        if (request->interrupt_generation < now) canceled.emplace_back(request->result.request_id, serial, false);
    for (std::size_t i = 0; i < queued_.size(); ++i)
        if (!queued_[i].done && queued_[i].interrupt_generation < now) canceled.emplace_back(queued_[i].request_id, i, true);
    std::sort(canceled.begin(), canceled.end());
    for (const auto &[id, where, queued] : canceled) {
        if (queued) {
            Pending &pending = queued_[where];
            finish_queued(pending, INETKIT_ERROR_CANCELED, pending.domain + ": canceled by MxInterrupt");
            continue;
        }
        Request &request = *requests_.at(where);
        finish(request, INETKIT_ERROR_CANCELED, request.result.domain + ": canceled by MxInterrupt");
    }
}

void Resolver::expire_deadlines() {
    Clock::time_point now = Clock::now();
    auto expire = [&](Pending &pending) {
        finish_queued(pending, INETKIT_ERROR_TRY_AGAIN, pending.domain + ": no answer from " + servers_text_ + " within " +
                                                            std::to_string(millis_between(pending.started, pending.deadline)) + " ms");
    };
    if (queued_in_order_) { // the usual case: one timeout for all, so the oldest expire first
        while (!queued_.empty() && (queued_.front().done || queued_.front().deadline <= now)) {
            if (!queued_.front().done) expire(queued_.front());
            pop_queued();
        }
    } else if (!queued_.empty() && queued_earliest_ <= now) {
        Clock::time_point earliest = Clock::time_point::max();
        for (Pending &pending : queued_) {
            if (pending.done) continue;
            if (pending.deadline <= now) expire(pending);
            else earliest = std::min(earliest, pending.deadline);
        }
        queued_earliest_ = earliest;
    }
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        auto [deadline, serial] = *deadlines_.begin();
        Request &request = *requests_.at(serial);
        finish(request, INETKIT_ERROR_TRY_AGAIN, request.result.domain + ": no answer from " + servers_text_ + " within " +
                                                     std::to_string(millis_between(request.started, deadline)) + " ms");
    }
}

Milliseconds Resolver::next_timeout() {
    Milliseconds next = Milliseconds::max();
    if (channel_) {
        timeval tv{};
        if (ares_timeout(channel_, nullptr, &tv))
            next = Milliseconds(static_cast<long long>(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000);
    }
    Clock::time_point first = deadlines_.empty() ? Clock::time_point::max() : deadlines_.begin()->first;
    if (!sent_times_.empty() && sent_times_.front().at != Clock::time_point::max() && highest_answered_ > first_tracked_ &&
        smoothed_rtt_ms_ >= 0)
        first = std::min(first, sent_times_.front().at + loss_limit()); // take_lost's moment
    if (!queued_.empty()) first = std::min(first, queued_in_order_ ? queued_.front().deadline : queued_earliest_);
    if (first != Clock::time_point::max()) {
        auto left = std::chrono::duration_cast<Milliseconds>(first - Clock::now());
        next = std::min(next, std::max(left + Milliseconds(1), Milliseconds(0)));
    }
    return next;
}

void Resolver::arm_timer() {
    if (!descriptor_shared_) return;
    bool due_now = !finished_.empty() || !answers_.empty() || starved_ > 0;
    Milliseconds next = due_now ? Milliseconds(0) : pending() == 0 ? Milliseconds::max() : next_timeout();
    Clock::time_point target = next == Milliseconds::max() ? Clock::time_point::max() : Clock::now() + next;
    // Setting a timer costs a system call per API call (it dominated a bulk
    // profile); skip it when the armed one already wakes the caller at most
    // 20 ms early, which costs nothing but a spurious DoEvents.
    if (target == timer_armed_for_) return;
    if (timer_armed_for_ != Clock::time_point::max() && target != Clock::time_point::max() &&
        timer_armed_for_ <= target && target - timer_armed_for_ <= Milliseconds(20))
        return;
    itimerspec spec{};
    if (next != Milliseconds::max()) {
        long long ms = next.count();
        spec.it_value.tv_sec = static_cast<time_t>(ms / 1000);
        spec.it_value.tv_nsec = static_cast<long>((ms % 1000) * 1000000);
        if (ms <= 0) spec.it_value.tv_nsec = 1; // due now; 0 would disarm
    }
    ::timerfd_settime(timer_fd_, 0, &spec, nullptr);
    timer_armed_for_ = target;
}

void Resolver::poll(Milliseconds wait) {
    if (aborted_.load()) fail(INETKIT_ERROR_CANCELED, "the resolver was destroyed");
    apply_interrupts();
    auto handle_answers = [&] {
        // Swapped with a member, so neither vector loses its capacity and
        // the next burst needs no allocation to be collected.
        struct Clear {
            std::vector<Answer> &batch;
            ~Clear() { batch.clear(); }
        } clear{batch_};
        while (!answers_.empty()) {
            batch_.clear();
            batch_.swap(answers_);
            for (const Answer &answer : batch_) handle(answer);
        }
    };
    // c-ares answers inside ares_send when it cannot send (no memory): those
    // requests are done now, so there is nothing to wait for.
    bool answered_outside = !answers_.empty() || starved_ > 0;
    handle_answers();
    wait = answered_outside ? Milliseconds(0) : std::min(wait, next_timeout());
    int timeout_ms = static_cast<int>(std::clamp<long long>(wait.count(), 0, 3600000));
    epoll_event events[64];
    int ready = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
    if (ready < 0 && errno != EINTR) fail_errno(errno, "epoll_wait on the resolver's sockets");
    for (int i = 0; i < ready; ++i) {
        int fd = events[i].data.fd;
        if (fd == wake_fd_ || fd == timer_fd_) {
            std::uint64_t count;
            [[maybe_unused]] ssize_t n = ::read(fd, &count, sizeof count);
            if (fd == timer_fd_) timer_armed_for_ = Clock::time_point::max(); // a one-shot timer that fired is disarmed
            continue;
        }
        if (!channel_) continue;
        bool readable = events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP);
        bool writable = events[i].events & EPOLLOUT;
        ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
    }
    current_server_[0] = '\0';
    if (channel_) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // retries and c-ares timeouts
    handle_answers();
    if (starved_ > 0) {
        std::vector<std::uint64_t> serials;
        for (const auto &[serial, request] : requests_)
            if (request->starved) serials.push_back(serial);
        starved_ = 0;
        for (std::uint64_t serial : serials) {
            Request &request = *requests_.at(serial);
            finish(request, INETKIT_ERROR_NOT_ENOUGH_MEMORY, request.result.domain + ": out of memory for an answer");
        }
    }
    if (aborted_.load()) fail(INETKIT_ERROR_CANCELED, "the resolver was destroyed");
    // Losses among the last queries of a burst: no later answer comes to
    // notice them, so the poll's timeout does (next_timeout).
    for (Sent lost = take_lost(Clock::now()); lost.serial != 0; lost = take_lost(Clock::now())) {
        try {
            send_copy(lost);
        } catch (const Error &) {
            break; // c-ares still retries the first query
        }
    }
    apply_interrupts();
    expire_deadlines();
    start_queued();
    handle_answers();
}

} // namespace inetkit::mx
