#include "net/wait.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <poll.h>
#include <string>
#include <sys/eventfd.h>
#include <unistd.h>

namespace inetkit::net {
namespace {

// now + limit, saturating instead of overflowing for no_limit.
Clock::time_point add(Clock::time_point base, Milliseconds limit) {
    if (limit == no_limit || limit > std::chrono::duration_cast<Milliseconds>(Clock::time_point::max() - base))
        return Clock::time_point::max();
    return base + limit;
}

std::string milliseconds_text(Milliseconds limit) { return std::to_string(limit.count()) + " ms"; }

} // namespace

Interrupter::Interrupter() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) fail_errno(errno, "cannot create the wake-up descriptor");
}

Interrupter::~Interrupter() { ::close(fd_); }

void Interrupter::signal() noexcept {
    std::uint64_t one = 1;
    // Only fails if the counter is saturated, which still leaves it readable.
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

void Interrupter::drain() noexcept {
    std::uint64_t value;
    [[maybe_unused]] ssize_t n = ::read(fd_, &value, sizeof value);
}

void Interrupter::cancel() noexcept {
    cancels_.fetch_add(1);
    signal();
}

void Interrupter::abort() noexcept {
    aborted_.store(true);
    signal();
}

CallTimer::CallTimer(Interrupter &interrupter, const Timeouts &timeouts)
    : interrupter_(interrupter), timeouts_(timeouts), cancels_at_start_(interrupter.cancels_at_call_start_),
      start_(Clock::now()), last_progress_(start_) {}

void CallTimer::check_interrupted() {
    if (interrupter_.aborted_.load()) fail(INETKIT_ERROR_CANCELED, "the handle was closed during the call");
    if (interrupter_.cancels_.load() != cancels_at_start_) fail(INETKIT_ERROR_CANCELED, "the call was canceled");
}

void CallTimer::check_limits(const char *what) {
    check_interrupted();
    Clock::time_point call_end = std::min(add(start_, timeouts_.call), timeouts_.end);
    if (call_end != Clock::time_point::max() && Clock::now() >= call_end)
        fail(INETKIT_ERROR_TIMED_OUT, std::string(what) + " timed out: " +
                                          (timeouts_.end < add(start_, timeouts_.call) ? std::string("the operation passed its deadline")
                                                                                      : "the call took longer than its limit of " +
                                                                                            milliseconds_text(timeouts_.call)));
}

void CallTimer::wait(int fd, short events, const char *what) {
    for (;;) {
        check_interrupted();
        Clock::time_point now = Clock::now();
        Clock::time_point inactivity_end = add(last_progress_, timeouts_.inactivity);
        Clock::time_point call_end = std::min(add(start_, timeouts_.call), timeouts_.end);
        Clock::time_point end = std::min(inactivity_end, call_end);
        int timeout_ms = -1;
        if (end != Clock::time_point::max()) {
            if (now >= end) {
                bool whole_call = call_end <= inactivity_end;
                fail(INETKIT_ERROR_TIMED_OUT,
                     std::string(what) + " timed out: " +
                         (whole_call ? (timeouts_.end < add(start_, timeouts_.call) ? std::string("the operation passed its deadline")
                                                                                   : "the call took longer than its limit of " + milliseconds_text(timeouts_.call))
                                     : "nothing arrived or left for " + milliseconds_text(timeouts_.inactivity)));
            }
            // Round up so a wait never ends a hair before its deadline.
            auto left = std::chrono::ceil<Milliseconds>(end - now).count();
            timeout_ms = left > 0x7FFFFFFF ? 0x7FFFFFFF : static_cast<int>(left);
        }
        pollfd fds[2] = {{fd, events, 0}, {interrupter_.fd_, POLLIN, 0}};
        int ready = ::poll(fds, 2, timeout_ms);
        if (ready < 0) {
            int error = errno; // before the message is built
            if (error == EINTR) continue;
            fail_errno(error, std::string(what) + ": poll failed");
        }
        if (fds[1].revents) {
            // Consume the wake-up; a stale one (a cancel made before this call
            // started) is dropped and the wait goes on.
            interrupter_.drain();
            check_interrupted();
        }
        // Errors and hang-ups count as ready: the I/O call reports them.
        if (fds[0].revents) return;
    }
}

} // namespace inetkit::net
