#include "core/handle_table.hpp"

#include "core/error.hpp"

#include <cstdio>
#include <limits>
#include <string>

namespace inetkit {
namespace {

// HCLIENT layout, low to high: slot index, kind tag, generation. Generation
// starts at 1, so no handle is ever 0 (INVALID_CLIENT).
constexpr bool wide = sizeof(std::uintptr_t) >= 8;
constexpr unsigned index_bits = wide ? 24 : 12;
constexpr unsigned kind_bits = wide ? 8 : 4;
constexpr unsigned generation_shift = index_bits + kind_bits;
constexpr std::uint64_t max_generation = wide ? 0xFFFFFFFFull : (1ull << (32 - generation_shift)) - 1;
constexpr std::uint32_t max_slots = 1u << index_bits;

struct Decoded {
    std::uint32_t index;
    unsigned kind;
    std::uint32_t generation;
};

Decoded decode(HCLIENT handle) {
    auto value = reinterpret_cast<std::uintptr_t>(handle);
    return {static_cast<std::uint32_t>(value & (max_slots - 1)),
            static_cast<unsigned>((value >> index_bits) & ((1u << kind_bits) - 1)),
            static_cast<std::uint32_t>(static_cast<std::uint64_t>(value) >> generation_shift)};
}

HCLIENT encode(std::uint32_t index, HandleKind kind, std::uint32_t generation) {
    std::uintptr_t value = (static_cast<std::uintptr_t>(generation) << generation_shift) |
                           (static_cast<std::uintptr_t>(kind) << index_bits) | index;
    return reinterpret_cast<HCLIENT>(value);
}

std::string describe(HCLIENT handle) {
    char text[32];
    std::snprintf(text, sizeof text, "%#llx",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(handle)));
    return text;
}

std::string accepted_names(KindMask accepted) {
    std::string names;
    for (HandleKind kind : {HandleKind::InetConnection, HandleKind::InetListener, HandleKind::PopClient,
                             HandleKind::MxResolver}) {
        if (!(accepted & kind_bit(kind))) continue;
        if (!names.empty()) names += " or ";
        names += kind_name(kind);
    }
    return names;
}

} // namespace

const char *kind_name(HandleKind kind) noexcept {
    switch (kind) {
    case HandleKind::InetConnection: return "an Inet connection";
    case HandleKind::InetListener: return "an Inet listener";
    case HandleKind::PopClient: return "a Pop client";
    case HandleKind::MxResolver: return "an Mx resolver";
    }
    return "an unknown kind of handle";
}

HandleObject::HandleObject(HandleKind kind, bool freethread)
    : kind_(kind), freethread_(freethread), owner_(thread::current()) {}

HandleTable::HandleTable(std::uint64_t generation_limit)
    : generation_limit_(generation_limit < max_generation ? generation_limit : max_generation) {}

HandleTable &HandleTable::instance() noexcept {
    // Never destroyed: a thread or a finalizer may still call in while the
    // process exits, after static destructors would have run.
    static HandleTable *table = new HandleTable;
    return *table;
}

HCLIENT HandleTable::insert(std::shared_ptr<HandleObject> object) {
    std::unique_lock lock(mutex_);
    std::uint32_t index;
    if (!free_slots_.empty()) {
        index = free_slots_.back();
        free_slots_.pop_back();
    } else {
        if (slots_.size() >= max_slots)
            fail(INETKIT_ERROR_TOO_MANY_HANDLES,
                 "all " + std::to_string(max_slots) + " handle slots are in use or retired");
        slots_.emplace_back();
        index = static_cast<std::uint32_t>(slots_.size() - 1);
    }
    Slot &slot = slots_[index];
    ++slot.generation;
    slot.kind = object->kind();
    object->handle_ = encode(index, slot.kind, slot.generation);
    slot.object = std::move(object);
    return slot.object->handle_;
}

std::shared_ptr<HandleObject> HandleTable::find(HCLIENT handle, KindMask accepted) const {
    if (handle == INVALID_CLIENT) fail(INETKIT_ERROR_INVALID_HANDLE, "the handle is INVALID_CLIENT (0)");
    Decoded d = decode(handle);
    std::shared_ptr<HandleObject> object;
    {
        std::shared_lock lock(mutex_);
        if (d.index < slots_.size()) {
            const Slot &slot = slots_[d.index];
            if (slot.object && slot.generation == d.generation &&
                static_cast<unsigned>(slot.kind) == d.kind)
                object = slot.object;
            else if (d.generation != 0 && d.generation <= slot.generation)
                fail(INETKIT_ERROR_INVALID_HANDLE,
                     "handle " + describe(handle) + " has been closed");
        }
    }
    if (!object)
        fail(INETKIT_ERROR_INVALID_HANDLE, "handle " + describe(handle) + " was never issued by inetkit");
    if (!(accepted & kind_bit(object->kind())))
        fail(INETKIT_ERROR_INVALID_HANDLE, "handle " + describe(handle) + " is " +
                                               kind_name(object->kind()) + "; this function needs " +
                                               accepted_names(accepted));
    return object;
}

void HandleTable::recycle(std::uint32_t index) noexcept {
    // A slot whose generation cannot grow any more is retired for good, so
    // no later handle can ever equal a stale one.
    if (slots_[index].generation >= generation_limit_) return;
    try {
        free_slots_.push_back(index);
    } catch (...) { // out of memory: the slot just stays unused
    }
}

std::shared_ptr<HandleObject> HandleTable::take(HCLIENT handle, KindMask accepted) {
    std::shared_ptr<HandleObject> object = find(handle, accepted);
    std::unique_lock lock(mutex_);
    Slot &slot = slots_[decode(handle).index];
    if (slot.object != object) // closed by another thread since find()
        fail(INETKIT_ERROR_INVALID_HANDLE, "handle " + describe(handle) + " has been closed");
    slot.object.reset();
    recycle(decode(handle).index);
    return object;
}

void HandleTable::close(HCLIENT handle, KindMask accepted) {
    std::shared_ptr<HandleObject> object = take(handle, accepted);
    object->closed_.store(true);
    object->abort();
}

void HandleTable::close_all(KindMask kinds) noexcept {
    std::unique_lock lock(mutex_);
    for (std::uint32_t index = 0; index < slots_.size(); ++index) {
        Slot &slot = slots_[index];
        if (!slot.object || !(kinds & kind_bit(slot.kind))) continue;
        slot.object->closed_.store(true);
        slot.object->abort();
        slot.object.reset(); // freed here, or when its call in progress returns
        recycle(index);
    }
}

thread::Id HandleTable::attach_thread(HCLIENT handle, KindMask accepted, thread::Id new_owner) {
    std::shared_ptr<HandleObject> object = find(handle, accepted);
    thread::Id me = thread::current();
    if (object->active_.load() == me)
        fail(INETKIT_ERROR_REENTRANT_CALL, "AttachThread cannot be called from a callback of the same handle");
    if (new_owner == 0) new_owner = me;
    else if (!thread::exists(new_owner))
        fail(INETKIT_ERROR_INVALID_PARAMETER,
             "thread " + std::to_string(new_owner) + " is not a thread of this process");
    std::unique_lock lock(object->call_mutex_, std::try_to_lock);
    if (!lock.owns_lock())
        fail(INETKIT_ERROR_BUSY, "a call is in progress on handle " + describe(handle) + " in thread " +
                                     std::to_string(object->active_.load()));
    return object->owner_.exchange(new_owner);
}

CallLease::CallLease(HCLIENT handle, KindMask accepted, bool wait)
    : object_(HandleTable::instance().find(handle, accepted)) {
    thread::Id me = thread::current();
    if (object_->active_.load(std::memory_order_relaxed) == me)
        fail(INETKIT_ERROR_REENTRANT_CALL,
             "handle " + describe(handle) + " is already in a call on this thread (a callback cannot call back into its own handle)");
    if (!object_->freethread_) {
        auto check_owner = [&] {
            thread::Id owner = object_->owner_.load();
            if (owner != me)
                fail(INETKIT_ERROR_WRONG_THREAD,
                     "handle " + describe(handle) + " is owned by thread " + std::to_string(owner) +
                         " and was used from thread " + std::to_string(me) +
                         "; hand it over with AttachThread or create it with the FREETHREAD option");
        };
        check_owner();
        lock_ = std::unique_lock(object_->call_mutex_, std::try_to_lock);
        if (!lock_.owns_lock())
            fail(INETKIT_ERROR_BUSY, "handle " + describe(handle) + " is busy in another call");
        check_owner(); // an AttachThread may have run between the first check and the lock
    } else if (wait) {
        lock_ = std::unique_lock(object_->call_mutex_);
    } else {
        lock_ = std::unique_lock(object_->call_mutex_, std::try_to_lock);
        if (!lock_.owns_lock()) fail(INETKIT_ERROR_BUSY, "handle " + describe(handle) + " is busy in another call");
    }
    if (object_->closed_.load())
        fail(INETKIT_ERROR_INVALID_HANDLE, "handle " + describe(handle) + " has been closed");
    object_->active_.store(me, std::memory_order_relaxed);
    object_->begin_call();
}

CallLease::~CallLease() { object_->active_.store(0, std::memory_order_relaxed); }

} // namespace inetkit
