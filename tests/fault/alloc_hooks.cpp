// The allocators of the torture test: see alloc_hooks.h. The executable's
// operator new is found before libstdc++'s (and the sanitizers'), so
// libinetkit.so's C++ allocations come here; OpenSSL and c-ares take ours
// through their own hooks. Memory itself still comes from malloc, so
// AddressSanitizer and LeakSanitizer see every block.
#include "alloc_hooks.h"

#include <ares.h>
#include <openssl/crypto.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <execinfo.h>
#include <new>

namespace {

// Trivial thread-locals: no constructor runs, so they are safe inside operator new.
thread_local bool armed, paused, injected, recording;
thread_local unsigned long counted, fail_at;
thread_local std::uint64_t fail_stack; // 0: fail allocation fail_at whatever its stack
thread_local std::uint64_t *stacks;    // the recording (malloc'd: operator new would recurse)
thread_local unsigned long stacks_capacity;
bool show_failures; // print the call stack of each failed allocation

extern "C" char __executable_start, etext; // the test program's code (GNU ld)

bool in_test_program(void *pc) { return pc >= &__executable_start && pc < &etext; }

// FNV-1a over the return addresses of the allocation's call stack inside the
// libraries: the hooks' own frames below are skipped, and it ends at the
// session's call, so one library path reached from two places hashes alike.
std::uint64_t stack_hash() noexcept {
    void *frames[64];
    int depth = backtrace(frames, 64), i = 0;
    while (i < depth && !in_test_program(frames[i])) ++i; // backtrace itself (a sanitizer intercepts it)
    while (i < depth && in_test_program(frames[i])) ++i;  // the hooks
    std::uint64_t hash = 14695981039346656037ull;
    for (; i < depth && !in_test_program(frames[i]); ++i) {
        hash ^= reinterpret_cast<std::uintptr_t>(frames[i]);
        hash *= 1099511628211ull;
    }
    return hash;
}

void record(std::uint64_t hash) noexcept {
    if (counted > stacks_capacity) {
        unsigned long capacity = stacks_capacity ? 2 * stacks_capacity : 4096;
        auto *grown = static_cast<std::uint64_t *>(std::realloc(stacks, (capacity + 1) * sizeof *stacks));
        if (!grown) std::abort();
        stacks = grown;
        stacks_capacity = capacity;
    }
    stacks[counted] = hash;
}

// Counts one allocation of the armed thread; true when it is the one to fail.
bool fail_this_one() noexcept {
    if (!armed || paused) return false;
    ++counted;
    bool candidate = !injected && fail_at != 0 && counted >= fail_at;
    // One call site for stack_hash, so the recorded and the compared hashes agree.
    std::uint64_t hash = recording || (candidate && fail_stack != 0) ? stack_hash() : 0;
    if (recording) record(hash);
    if (!candidate || (fail_stack != 0 ? hash != fail_stack : counted != fail_at)) return false;
    injected = true;
    if (show_failures) {
        void *frames[64];
        std::fprintf(stderr, "alloc_hooks: failing allocation %lu here:\n", counted);
        backtrace_symbols_fd(frames, backtrace(frames, 64), 2); // writes to stderr without allocating
    }
    return true;
}

void *allocate(std::size_t size) noexcept { return fail_this_one() ? nullptr : std::malloc(size ? size : 1); }

void *allocate_aligned(std::size_t size, std::align_val_t alignment) noexcept {
    if (fail_this_one()) return nullptr;
    std::size_t align = static_cast<std::size_t>(alignment);
    if (align < sizeof(void *)) align = sizeof(void *);
    void *p = nullptr;
    return posix_memalign(&p, align, size ? size : 1) == 0 ? p : nullptr;
}

void *reallocate(void *p, std::size_t size) noexcept { return fail_this_one() ? nullptr : std::realloc(p, size); }

void *throwing(void *p) {
    if (!p) throw std::bad_alloc();
    return p;
}

// OpenSSL: a failed realloc keeps the old block, as realloc does; size 0 frees (OpenSSL's own rule).
void *crypto_malloc(std::size_t size, const char *, int) { return allocate(size); }
void *crypto_realloc(void *p, std::size_t size, const char *, int) {
    if (size == 0) {
        std::free(p);
        return nullptr;
    }
    return reallocate(p, size);
}
void crypto_free(void *p, const char *, int) { std::free(p); }

void *ares_allocate(std::size_t size) { return allocate(size); }
void *ares_reallocate(void *p, std::size_t size) { return reallocate(p, size); }
void ares_release(void *p) { std::free(p); }

} // namespace

extern "C" void alloc_hooks_install(void) {
    // OpenSSL refuses new functions once it has allocated anything.
    if (CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) != 1) {
        std::fprintf(stderr, "alloc_hooks: OpenSSL allocated before alloc_hooks_install\n");
        std::abort();
    }
    // c-ares keeps these while its reference count stays above 0: this
    // reference is never dropped, so the library's init/cleanup pairs keep them.
    void *frame[1];
    backtrace(frame, 1); // its first call loads the unwinder (and allocates): not inside a counted run
    if (ares_library_init_mem(ARES_LIB_INIT_ALL, ares_allocate, ares_release, ares_reallocate) != ARES_SUCCESS) {
        std::fprintf(stderr, "alloc_hooks: ares_library_init_mem failed\n");
        std::abort();
    }
}

extern "C" void alloc_arm_stack(unsigned long fail, unsigned long long stack) {
    counted = 0;
    fail_at = fail;
    fail_stack = stack;
    injected = false;
    paused = false;
    armed = true;
}

extern "C" void alloc_arm(unsigned long fail) { alloc_arm_stack(fail, 0); }

extern "C" void alloc_show_failures(int on) { show_failures = on != 0; }

extern "C" void alloc_record(int on) { recording = on != 0; }

extern "C" const unsigned long long *alloc_recorded_stacks(void) {
    static_assert(sizeof(unsigned long long) == sizeof(std::uint64_t));
    return reinterpret_cast<const unsigned long long *>(stacks);
}

extern "C" unsigned long alloc_disarm(void) {
    armed = false;
    return counted;
}

extern "C" int alloc_injected(void) { return injected; }
extern "C" void alloc_pause(void) { paused = true; }
extern "C" void alloc_resume(void) { paused = false; }

// ---- the replaceable global allocation functions (every C++17 form) ----

void *operator new(std::size_t size) { return throwing(allocate(size)); }
void *operator new[](std::size_t size) { return throwing(allocate(size)); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept { return allocate(size); }
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept { return allocate(size); }
void *operator new(std::size_t size, std::align_val_t a) { return throwing(allocate_aligned(size, a)); }
void *operator new[](std::size_t size, std::align_val_t a) { return throwing(allocate_aligned(size, a)); }
void *operator new(std::size_t size, std::align_val_t a, const std::nothrow_t &) noexcept {
    return allocate_aligned(size, a);
}
void *operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t &) noexcept {
    return allocate_aligned(size, a);
}

void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
