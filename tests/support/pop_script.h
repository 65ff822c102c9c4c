/*
 * pop_script.h - an in-process scripted POP3 server for the C test suites
 * (implementation in pop_script.c; link it with OpenSSL::SSL OpenSSL::Crypto
 * and Threads::Threads).
 *
 * A script is a list of steps that one server thread plays, in order, on one
 * connection accepted on a raw loopback socket (127.0.0.1, a port the kernel
 * picks). Every byte the client sends is recorded, so a test can assert the
 * exact client transcript (as curl's test8xx files do), e.g. that no PASS or
 * AUTH was ever sent:
 *
 *     ps_script *s = ps_new(PS_WHOLE, "A2/err-greeting");
 *     ps_send(s, "-ERR go away\r\n");
 *     UINT port = ps_start(s);
 *     ... PopConnect("127.0.0.1", port, ...) ...
 *     ps_finish(s, 2000);
 *     ps_transcript(s, &len)  -> the bytes the client sent ("" here)
 *
 * Steps:
 *   send          bytes, played in the script's chunking (below)
 *   send_stream   a pattern repeated up to a total, or until the client goes
 *                 away (PS_UNTIL_CLOSED); bulk data, see CHUNKINGS
 *   drip          bytes one at a time with a pause between them (slowloris)
 *   expect        the client's next line (up to and with its LF) must be
 *                 exactly these bytes; expect_prefix / expect_any_line relax it;
 *                 expect_or_eof also accepts the client closing instead
 *   expect_tls_record  a raw TLS record (the ClientHello) must arrive; it is
 *                 consumed without answering
 *   expect_silence  nothing may arrive for N ms (a client that sends its next
 *                 command before the reply in progress is complete fails it)
 *   close         FIN (shutdown for writing); recording goes on
 *   reset         SO_LINGER 0 and close: the client sees RST; recording stops
 *   stall         pause N ms (bytes the client sends meanwhile stay queued
 *                 and are recorded later)
 *   starttls      the server side of a TLS handshake (OpenSSL, the files of
 *                 ps_set_tls_files); later sends and expects go through TLS
 *                 and the transcript records the decrypted bytes, after a
 *                 literal "<TLS>" marker
 *
 * After the last step the server keeps reading (and recording) until the
 * client closes or ps_finish stops it; a "QUIT" line in that phase is answered
 * with "+OK bye" (ps_set_quit_reply changes or disables that).
 *
 * CHUNKINGS: every script is played in one of three ways (MailKit's one-byte
 * reads, curl's SLOWDOWN, the "response + extra in one segment" case):
 *   PS_ONE_BYTE  one byte per write (TCP_NODELAY, a short pause after each of
 *                the first 2 KiB of a step so the client really reads them
 *                apart); past 64 KiB in one step, 16 KiB writes
 *   PS_WHOLE     each send step in a single write
 *   PS_RANDOM    random splits and pauses from a seed derived from the base
 *                seed and the script's name; the base seed is logged once and
 *                read from the environment variable INETKIT_SCRIPT_SEED
 * Stream steps play their first 4 KiB in the chunking and the rest in 64 KiB
 * writes.
 *
 * Lifetime: ps_finish joins the thread and closes every socket; ps_free
 * releases the script (after ps_finish if needed). ps_cleanup_all finishes and
 * frees every script still alive: use it as each test's teardown so a failed
 * assertion (cmocka longjmps out of the test) leaves no thread or socket
 * behind. All functions but the ps_stat fields are for the test thread only.
 */
#ifndef INETKIT_POP_SCRIPT_H
#define INETKIT_POP_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PS_ONE_BYTE = 0, PS_WHOLE = 1, PS_RANDOM = 2, PS_CHUNKINGS = 3 } ps_chunking;

#define PS_UNTIL_CLOSED UINT64_MAX

typedef struct ps_script ps_script;

/* ---- building a script (before ps_start) ------------------------------------------ */

ps_script *ps_new(ps_chunking chunking, const char *name);
void ps_send(ps_script *s, const char *text);
void ps_send_bytes(ps_script *s, const void *data, size_t n);
void ps_sendf(ps_script *s, const char *format, ...) __attribute__((format(printf, 2, 3)));
void ps_send_stream(ps_script *s, const void *pattern, size_t n, uint64_t total);
void ps_drip(ps_script *s, const char *text, unsigned interval_ms);
void ps_expect(ps_script *s, const char *line);
void ps_expect_prefix(ps_script *s, const char *prefix);
void ps_expect_any_line(ps_script *s);
void ps_expect_or_eof(ps_script *s, const char *line);
void ps_expect_tls_record(ps_script *s);
void ps_expect_silence(ps_script *s, unsigned ms);
void ps_close(ps_script *s);
void ps_reset(ps_script *s);
void ps_stall(ps_script *s, unsigned ms);
void ps_starttls(ps_script *s, int must_succeed);

/* The reply to a QUIT line after the last step (default "+OK bye\r\n"; NULL: none). */
void ps_set_quit_reply(ps_script *s, const char *reply);
/* Longest wait of an expect step and of the accept (default 5000 ms). */
void ps_set_step_timeout(ps_script *s, unsigned ms);
/* The server certificate chain and key for starttls steps (every script). */
void ps_set_tls_files(const char *chain_pem, const char *key_pem);

/* ---- running ------------------------------------------------------------------------ */

/* Listens on 127.0.0.1:0, starts the server thread, returns the port (0 on failure). */
unsigned ps_start(ps_script *s);
/* Waits up to wait_ms for the script to end (all steps played and the client
   gone), then stops the thread and closes everything. Returns 0 when every step
   was played without a mismatch, -1 otherwise (ps_error says why). Idempotent. */
int ps_finish(ps_script *s, unsigned wait_ms);
void ps_free(ps_script *s);
void ps_cleanup_all(void);

/* ---- results (after ps_finish) ------------------------------------------------------- */

/* Every byte the client sent (decrypted after a starttls step, marked "<TLS>"). */
const char *ps_transcript(const ps_script *s, size_t *len);
/* The transcript with control and 8-bit bytes escaped (\r \n \xNN), for messages. */
const char *ps_transcript_escaped(const ps_script *s);
/* NULL when every step was played without a mismatch, else what went wrong. */
const char *ps_error(const ps_script *s);
/* 1 when no expect step saw a wrong line or timed out (the client may have left early). */
int ps_no_mismatch(const ps_script *s);
/* Steps played to their end, and the total. */
size_t ps_steps_done(const ps_script *s);
size_t ps_steps_total(const ps_script *s);
/* 1 when the client closed or reset the connection while the script still had steps. */
int ps_client_left_early(const ps_script *s);
/* 1 when the client closed its side (EOF seen) at any time. */
int ps_client_closed(const ps_script *s);
uint64_t ps_bytes_sent(const ps_script *s);
/* Growth of the heap in use (mallinfo2) seen while stream steps ran, in bytes
   (0 under AddressSanitizer, which keeps its own heap). */
uint64_t ps_peak_heap_growth(const ps_script *s);
/* A handshake of a starttls step failed (0 no, 1 yes). */
int ps_tls_failed(const ps_script *s);

/* ---- logging ------------------------------------------------------------------------- */

const char *ps_chunking_name(ps_chunking c);
uint64_t ps_base_seed(void);
uint64_t ps_seed(const ps_script *s);
/* How many scripts have been started in each chunking. */
unsigned ps_runs(ps_chunking c);
/* "chunking=random seed=0x... (INETKIT_SCRIPT_SEED=...)" for failure messages. */
const char *ps_describe(const ps_script *s);

/* Escapes n bytes like ps_transcript_escaped; the result lives until 8 more calls. */
const char *ps_escape(const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif
