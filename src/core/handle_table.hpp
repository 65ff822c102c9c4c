// The handle table: HCLIENT tokens (slot index + generation + kind tag),
// thread ownership, per-handle call serialisation and re-entrancy refusal.
#pragma once

#include "core/thread.hpp"

#include <inetkit/common.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace inetkit {

// Each handle kind is its own "family" for validation: a listener passed to a
// connection function is as invalid as a forged handle. Values are stable
// because they are encoded in handles; append only.
enum class HandleKind : std::uint8_t {
    InetConnection = 1,
    InetListener = 2,
    PopClient = 3,
    MxResolver = 4,
};
constexpr unsigned kind_bit(HandleKind kind) { return 1u << static_cast<unsigned>(kind); }
using KindMask = unsigned;
constexpr KindMask any_inet_kind = kind_bit(HandleKind::InetConnection) | kind_bit(HandleKind::InetListener);
constexpr KindMask pop_kind = kind_bit(HandleKind::PopClient);
constexpr KindMask mx_kind = kind_bit(HandleKind::MxResolver);

// Base of every object a handle refers to. Engine objects are members of
// subclasses in src/api; the engine itself knows nothing of handles.
class HandleObject {
public:
    HandleObject(HandleKind kind, bool freethread);
    virtual ~HandleObject() = default;
    HandleObject(const HandleObject &) = delete;
    HandleObject &operator=(const HandleObject &) = delete;

    HandleKind kind() const noexcept { return kind_; }
    HCLIENT handle() const noexcept { return handle_; }

    // Make the blocking call in progress (if any) fail with CANCELED. Any thread.
    virtual void cancel_call() noexcept = 0;
    // The handle is being closed: fail the call in progress and every later
    // wait. Any thread; the object is destroyed when the last call returns.
    virtual void abort() noexcept = 0;
    // A call has just taken the handle: cancels from now on apply to it.
    virtual void begin_call() noexcept = 0;

private:
    friend class HandleTable;
    friend class CallLease;

    const HandleKind kind_;
    const bool freethread_;
    HCLIENT handle_ = INVALID_CLIENT;
    std::atomic<thread::Id> owner_;
    std::atomic<thread::Id> active_{0}; // thread inside a call on this handle
    std::atomic<bool> closed_{false};
    std::mutex call_mutex_;
};

class HandleTable {
public:
    // The process-wide table behind every export.
    static HandleTable &instance() noexcept;
    // generation_limit: the generation at which a slot retires (tests lower
    // it; it is capped at what the handle encoding can hold).
    explicit HandleTable(std::uint64_t generation_limit = UINT64_MAX);

    // Issues a handle for object; throws TOO_MANY_HANDLES when every slot is used or retired.
    HCLIENT insert(std::shared_ptr<HandleObject> object);

    // The live object behind handle if its kind is in accepted; else throws
    // INVALID_HANDLE with a message saying which misuse it was.
    std::shared_ptr<HandleObject> find(HCLIENT handle, KindMask accepted) const;

    // Takes the object out of the table (the handle is dead from now on),
    // marks it closed and aborts its call in progress.
    void close(HCLIENT handle, KindMask accepted);
    // Closes every handle whose kind is in kinds (family uninitialisation).
    void close_all(KindMask kinds) noexcept;

    // Hands the object to another thread; returns the previous owner.
    thread::Id attach_thread(HCLIENT handle, KindMask accepted, thread::Id new_owner);

private:
    struct Slot {
        std::uint32_t generation = 0;
        HandleKind kind = HandleKind::InetConnection;
        std::shared_ptr<HandleObject> object;
    };
    std::shared_ptr<HandleObject> take(HCLIENT handle, KindMask accepted);
    void recycle(std::uint32_t index) noexcept; // under the exclusive lock

    const std::uint64_t generation_limit_;
    mutable std::shared_mutex mutex_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_slots_;
};

// Holds a handle for the length of one API call: validates it, checks the
// calling thread, refuses re-entry from the handle's own callbacks, and
// serialises calls (blocking for FREETHREAD handles). It keeps the object
// alive, so a close on another thread frees it only after the call returns.
class CallLease {
public:
    // wait = false: never block on a FREETHREAD handle busy in another call
    // (BUSY instead), for closes that must not wait.
    CallLease(HCLIENT handle, KindMask accepted, bool wait = true);
    ~CallLease();
    CallLease(const CallLease &) = delete;
    CallLease &operator=(const CallLease &) = delete;

    template <class T> T &get() const noexcept { return static_cast<T &>(*object_); }

private:
    std::shared_ptr<HandleObject> object_;
    std::unique_lock<std::mutex> lock_;
};

const char *kind_name(HandleKind kind) noexcept;

} // namespace inetkit
