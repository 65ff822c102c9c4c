#include "core/thread.hpp"

#include <cerrno>
#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

namespace inetkit::thread {

Id current() noexcept {
    thread_local const Id id = static_cast<Id>(::syscall(SYS_gettid));
    return id;
}

bool exists(Id id) noexcept {
    if (id == 0) return false;
    // Signal 0 checks existence only; tgkill limits the check to this process.
    return ::syscall(SYS_tgkill, ::getpid(), static_cast<pid_t>(id), 0) == 0 || errno == EPERM;
}

} // namespace inetkit::thread
