// Operating-system thread ids: the only platform-specific part of the core.
#pragma once

#include <cstdint>

namespace inetkit::thread {

using Id = std::uint32_t; // 0 is never a thread id

// gettid() on Linux (what ps, gdb and Python's threading.get_native_id show).
Id current() noexcept;

// Whether id names a live thread of this process.
bool exists(Id id) noexcept;

} // namespace inetkit::thread
