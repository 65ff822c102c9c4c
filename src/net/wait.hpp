// Blocking waits that honour inactivity and whole-call limits and can be
// interrupted from another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace inetkit::net {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;
constexpr Milliseconds no_limit = Milliseconds::max();

struct Timeouts {
    Milliseconds inactivity = no_limit; // longest wait with no byte moving
    Milliseconds call = no_limit;       // longest one engine call may take
    // An absolute end shared by every engine call of one API call, so a
    // protocol operation made of many reads has one deadline in all.
    Clock::time_point end = Clock::time_point::max();
};

// Wakes a blocked wait from any thread (an eventfd on Linux).
class Interrupter {
public:
    Interrupter();
    ~Interrupter();
    Interrupter(const Interrupter &) = delete;
    Interrupter &operator=(const Interrupter &) = delete;

    // Fails the wait of the call in progress, if any, with CANCELED.
    void cancel() noexcept;
    // Fails the call in progress and every later wait (the handle is closing).
    void abort() noexcept;
    // A call has entered the library: cancels made from now on apply to it.
    // Called on the calling thread before any CallTimer of that call.
    void begin_call() noexcept { cancels_at_call_start_ = cancels_.load(); }

private:
    friend class CallTimer;
    void signal() noexcept;
    void drain() noexcept;

    int fd_;
    std::atomic<std::uint64_t> cancels_{0};
    std::atomic<bool> aborted_{false};
    std::uint64_t cancels_at_call_start_ = 0; // only the calling thread touches it
};

// One blocking call: its deadlines, and the cancel requests it must honour
// (only those made after it started).
class CallTimer {
public:
    CallTimer(Interrupter &interrupter, const Timeouts &timeouts);

    // Waits until fd is ready for events (POLLIN/POLLOUT); throws TIMED_OUT,
    // CANCELED, or the socket error. what names the operation for messages.
    void wait(int fd, short events, const char *what);
    // Bytes moved: the inactivity clock starts again.
    void progress() noexcept { last_progress_ = Clock::now(); }
    // Throws CANCELED if the call has been cancelled or the handle closed.
    void check_interrupted();
    // check_interrupted, plus TIMED_OUT once the whole-call limit or the
    // operation's end has passed: for loops that never wait because data
    // keeps coming. Called before each transfer, so no byte is lost to it.
    void check_limits(const char *what);

private:
    Interrupter &interrupter_;
    Timeouts timeouts_;
    std::uint64_t cancels_at_start_; // cancels before the call began do not count
    Clock::time_point start_;
    Clock::time_point last_progress_;
};

} // namespace inetkit::net
