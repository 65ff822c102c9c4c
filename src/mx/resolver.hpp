// The MX engine: requests that walk the RFC 5321 section 5.1 ladder over a
// c-ares channel, scheduled a window at a time, driven by one epoll set.
//
// Threads: every member runs on the thread that holds the handle's lease,
// except interrupt() and abort(), which any thread may call (atomics and an
// eventfd only).
#pragma once

#include "core/error.hpp"
#include "mx/dns_wire.hpp"
#include "mx/exchangers.hpp"
#include "mx/settings.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

struct ares_channeldata;
struct sockaddr;

namespace inetkit::mx {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

constexpr std::uint32_t status_no_answer = 0xFFFFFFFFu;

// The text of a DNS RCODE ("Ok", "Format error", ... "Refused"), or "No answer".
const char *rcode_text(std::uint32_t rcode) noexcept;

// Flags, as the public MX_RECORD_* / MX_RESULT_* values.
enum RecordFlag : std::uint32_t { record_implicit = 1, record_literal = 2, record_alias = 4, record_no_address = 8 };
enum ResultFlag : std::uint32_t { result_authoritative = 1, result_cname = 2, result_truncated = 4, result_dropped = 8 };

struct Result {
    std::uint32_t request_id = 0;
    std::string domain;
    ErrorCode error = 0;
    std::string status;                       // "OK" or the message
    std::uint32_t status_code = status_no_answer; // RCODE of the decisive answer
    bool authoritative = false;
    std::uint32_t flags = 0;
    std::string canonical_name;
    std::string server;                        // "address:port" that gave the decisive answer
    std::uint32_t elapsed_ms = 0;
    std::vector<Exchanger> exchangers;
};

class Resolver {
public:
    Resolver();
    ~Resolver();
    Resolver(const Resolver &) = delete;
    Resolver &operator=(const Resolver &) = delete;

    const Settings &settings() const noexcept { return settings_; }
    // Changes settings; throws BUSY when the change touches the network and
    // requests are in flight. The channel is rebuilt before the next query.
    void configure(const std::function<void(Settings &)> &change, bool affects_network);
    // Restores the defaults and drops every request and result, firing nothing.
    void reset();
    // The servers queries go to, in order ("" if none are set or configured).
    std::string servers_in_use();

    // Queues a request for input (an address or domain) that must finish by
    // deadline; returns its id. Throws INVALID_PARAMETER for malformed input
    // and NO_DNS_SERVER. A literal finishes at once without a query.
    std::uint32_t submit(std::string_view input, Clock::time_point deadline);

    // One pass: applies interrupts, waits up to `wait` for the network or a
    // timer, processes answers, expires deadlines, starts queued requests.
    void poll(Milliseconds wait);
    // Requests not yet finished (queued or on the wire).
    std::size_t pending() const noexcept { return requests_.size() + queued_live_; }
    bool is_pending(std::uint32_t request_id) const;
    // Finished results, oldest first; the caller takes them.
    std::deque<Result> &finished() noexcept { return finished_; }
    // Until the next timed work (a retry, a deadline); Milliseconds::max() if none.
    Milliseconds next_timeout();
    // A descriptor readable whenever poll(0) has work (epoll set). From the
    // first call on, arm_timer keeps its timer set.
    int event_descriptor() noexcept {
        descriptor_shared_ = true;
        return epoll_fd_;
    }
    // Sets the descriptor's timer for an outside event loop: due now while
    // finished results wait to be taken, else at the next timed work. Called
    // when an API call returns (inside poll the timer is only drained). Does
    // nothing until event_descriptor() was asked for: poll computes its own
    // timeout, and the system call cost 6% of a bulk run.
    void arm_timer();

    std::uint32_t next_request_id() const noexcept { return next_request_id_; }
    void set_next_request_id(std::uint32_t id) noexcept { next_request_id_ = id; }

    // Any thread: every request submitted so far finishes with CANCELED at
    // the next poll, which a blocked poll is woken for.
    void interrupt() noexcept;
    // Any thread: the handle is closing; the call in progress fails.
    void abort() noexcept;
    // Generation counters for the call in progress to see whether it was interrupted.
    std::uint64_t interrupts() const noexcept { return interrupts_.load(); }
    bool aborted() const noexcept { return aborted_.load(); }

    // c-ares plumbing (public for the C callbacks in resolver.cpp).
    struct Query;
    struct Answer;
    void on_answer(Query *query, int status, int timeouts, const unsigned char *data, int length);
    void on_socket_state(int fd, bool read, bool write) noexcept;
    void note_socket_error(int error) noexcept { last_socket_error_ = error; }
    int bind_socket(int fd, int family) noexcept; // LocalHost / LocalPort; 0 or an errno
    void note_received(int fd, const sockaddr *from) noexcept;
    char current_server_[64] = "";         // the server of the answer being handled
    bool current_over_tcp_ = false;        // whether that answer came over TCP
    // The UDP source current_server_ was last written for: formatting it cost
    // 7% of a bulk run, and every answer comes from the same few servers.
    std::array<unsigned char, 28> last_from_{}; // a sockaddr_in or sockaddr_in6
    std::size_t last_from_size_ = 0;
    char last_from_text_[64] = "";

private:
    struct Request;
    enum class QueryKind { Mx, ImplicitA, ImplicitAaaa, ExchangerA, ExchangerAaaa };

    void build_channel();
    void destroy_channel() noexcept;
    std::vector<ServerAddress> effective_servers() const;
    void start(Request &request);
    void send(Request &request, const std::string &name, std::uint16_t type, QueryKind kind, std::size_t index = 0);
    void handle(const Answer &answer);
    void handle_mx(Request &request, const Answer &answer);
    void handle_address(Request &request, const Answer &answer);
    void start_address_queries(Request &request);
    void finish(Request &request, ErrorCode error, std::string message);
    void finish_ok(Request &request);
    void apply_interrupts();
    void expire_deadlines();
    void start_queued();
    // The adaptive window: how many requests may be on the wire now (at most MaxInFlight).
    std::size_t window() const noexcept;
    // A query sent and not yet answered (at: max() once answered or given up).
    struct Sent {
        Clock::time_point at;
        std::uint64_t serial = 0; // its request
        std::uint32_t step = 0;   // its request's mx_step then
        bool mx = false;
    };
    // Returns a query that seems lost (serial 0: none).
    Sent adapt_window(const Query &query, int status, int timeouts) noexcept;
    void send_copy(const Sent &lost);
    // The oldest query still out if it seems lost (then the window is cut), else serial 0.
    Sent take_lost(Clock::time_point now) noexcept;
    Milliseconds loss_limit() const noexcept;
    void cut_window(std::uint64_t sent, double floor) noexcept;
    void reset_window() noexcept {
        window_ = initial_window;
        slow_start_limit_ = initial_slow_start_limit;
        recovery_point_ = sends_;
        sent_times_.clear();
        first_tracked_ = sends_ + 1;
        smoothed_rtt_ms_ = -1;
        highest_answered_ = 0;
    }
    std::string failure_text(int status) const;
    ErrorCode failure_code(int status) const;

    Settings settings_;
    ares_channeldata *channel_ = nullptr;
    bool channel_dirty_ = true;
    std::string servers_text_; // the channel's servers, for messages
    int epoll_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: interrupt / abort
    int timer_fd_ = -1; // timerfd: the next timed work, for event loops
    Clock::time_point timer_armed_for_ = Clock::time_point::max(); // max: disarmed
    bool descriptor_shared_ = false; // an outside event loop may be polling epoll_fd_

    std::uint32_t next_request_id_ = 1;
    std::uint64_t next_serial_ = 1;
    std::unordered_map<std::uint64_t, std::unique_ptr<Request>> requests_; // by serial
    // A request waiting for the window; it becomes a Request when sent.
    struct Pending {
        std::uint32_t request_id;
        std::uint64_t interrupt_generation;
        Clock::time_point started, deadline;
        std::string domain;
        bool done = false; // finished while queued (canceled, expired); dropped when it reaches the front
    };
    std::deque<Pending> queued_;
    std::size_t queued_live_ = 0;     // entries of queued_ not done
    bool queued_in_order_ = true;     // their deadlines never decrease from front to back
    Clock::time_point queued_earliest_ = Clock::time_point::max(); // a lower bound of their deadlines
    void pop_queued() noexcept;
    void finish_queued(Pending &pending, ErrorCode error, std::string message);
    std::size_t on_wire_ = 0; // requests with a query on the wire
    // The window grows while answers come back at the first try and halves
    // when one had to be sent again (AIMD, as TCP's congestion window): a
    // server's UDP buffer overflows when too many queries arrive at once.
    static constexpr double initial_window = 16;
    // Slow start stops here: Linux's default receive buffer (212,992 bytes)
    // holds about 270 small datagrams, so a server's socket can overflow
    // beyond it. Above it the window grows by one per round trip.
    static constexpr double initial_slow_start_limit = 128;
    double window_ = initial_window;
    double slow_start_limit_ = initial_slow_start_limit; // below it the window grows by one per answer
    std::uint64_t sends_ = 0;        // queries sent so far
    std::uint64_t recovery_point_ = 0; // sends_ at the last cut
    std::deque<Sent> sent_times_; // queries first_tracked_.. in the order sent
    std::uint64_t first_tracked_ = 1;
    double smoothed_rtt_ms_ = -1;    // of clean answers; -1: none yet
    std::uint64_t highest_answered_ = 0; // the latest query sent that was answered
    bool refilling_ = false;         // inside start_queued
    std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines_;
    std::deque<Result> finished_;
    std::vector<Answer> answers_; // collected by the c-ares callback, handled after processing
    std::vector<Answer> batch_;   // the answers being handled
    wire::Message scratch_;       // the answer being handled; its buffers are reused from one to the next
    std::mt19937_64 shuffle_;
    std::array<unsigned short, 256> random_ids_{}; // query ids from the CSPRNG, used in order
    std::size_t random_ids_used_ = 256;

    std::atomic<std::uint64_t> interrupts_{0};
    std::uint64_t interrupts_applied_ = 0;
    std::atomic<bool> aborted_{false};
    int last_socket_error_ = 0;
    std::size_t starved_ = 0; // requests that lost an answer for want of memory
};

} // namespace inetkit::mx
