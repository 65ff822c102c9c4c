/*
 * Allocation-failure injection for the torture test (tests/fault/alloc_torture.c).
 *
 * alloc_hooks.cpp replaces the global operator new/delete of the process and
 * installs counting allocators in OpenSSL (CRYPTO_set_mem_functions) and
 * c-ares (ares_library_init_mem), so every allocation that libinetkit.so
 * makes through them passes here. Only the ARMED thread is counted and only
 * on it does an allocation fail: server threads, the harness between runs
 * and every other thread are never disturbed.
 *
 * Not covered: plain malloc calls of other libraries (glibc's resolver,
 * libidn2), which cannot be replaced beside the sanitizers' own malloc.
 */
#ifndef INETKIT_ALLOC_HOOKS_H
#define INETKIT_ALLOC_HOOKS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Installs the OpenSSL and c-ares allocators. Call first in main, before
   anything allocates through OpenSSL; aborts if it is too late for that. */
void alloc_hooks_install(void);

/* Counts the calling thread's allocations from 0 and makes the fail_at-th
   one fail (once); fail_at 0 only counts. */
void alloc_arm(unsigned long fail_at);

/* As alloc_arm, but fails the first allocation from the fail_at-th on whose
   call stack has the hash stack (from alloc_recorded_stacks): a run whose
   allocations shift by a few still fails the same place. */
void alloc_arm_stack(unsigned long fail_at, unsigned long long stack);

/* While on, the armed thread records a hash of each allocation's call stack. */
void alloc_record(int on);

/* The recording: element k (1..counted) is the hash of allocation k. */
const unsigned long long *alloc_recorded_stacks(void);

/* While on, each failed allocation prints its call stack to stderr. */
void alloc_show_failures(int on);

/* Stops counting on the calling thread; returns the allocations counted. */
unsigned long alloc_disarm(void);

/* Whether the armed failure happened (since the last alloc_arm). */
int alloc_injected(void);

/* Suspends and resumes counting on the calling thread (harness code inside a session). */
void alloc_pause(void);
void alloc_resume(void);

#ifdef __cplusplus
}
#endif

#endif
