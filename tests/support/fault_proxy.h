/*
 * fault_proxy.h - network faults on loopback between the client under test
 * and a real server (implementation in fault_proxy.c; link Threads::Threads).
 *
 * TCP PROXY
 *   One thread (poll) listens on 127.0.0.1 (a port the kernel picks) and
 *   relays every connection it accepts to 127.0.0.1:upstream_port. A fault
 *   plan, made of the rules below, applies to each connection on its own.
 *   Every byte the client sends is recorded, also when it is not forwarded,
 *   so a test can assert what the server was never asked (no DELE for a
 *   message that did not arrive whole):
 *
 *       fp_proxy *p = fp_new(pop_plain_port(), "retr-fin-in-body");
 *       fp_truncate(p, FP_DOWN, "RETR 1\r\n", 100);   FIN 100 bytes into the reply
 *       UINT port = fp_start(p);
 *       ... PopConnect("127.0.0.1", port, ...), PopStoreMessage -> 711 ...
 *       fp_stop(p);
 *       fp_client_sent(p, "DELE")  -> 0
 *
 * DIRECTIONS AND OFFSETS
 *   FP_UP is what the client sends, FP_DOWN what the server sends. A rule
 *   acts when the bytes forwarded in its direction reach its offset, before
 *   the byte at that offset is forwarded (so a truncate at offset N lets
 *   exactly N bytes through). Offsets count raw bytes (TLS records under
 *   TLS) from an anchor:
 *     NULL        the start of the connection;
 *     a string    where the client first sends it (FP_UP), or the server
 *                 bytes received by then (FP_DOWN): "RETR 1\r\n", 0 is the
 *                 first byte of the reply to that command (when nothing was
 *                 pipelined behind it);
 *     FP_ARMED    the first client bytes that arrive after fp_arm(): the
 *                 same for encrypted sessions, where commands cannot be seen.
 *
 * RULES (each acts once per connection)
 *   fp_delay          hold the bytes from the offset on for ms, then go on
 *   fp_fragment       forward the next length bytes in pieces of piece bytes,
 *                     pause_ms apart (TCP_NODELAY: separate segments)
 *   fp_stall          forward nothing more in that direction; every socket
 *                     stays open (client bytes are still read and recorded)
 *   fp_reset          RST to the client (SO_LINGER 0), upstream closed
 *   fp_truncate       FIN to the client, upstream closed; the client's later
 *                     bytes are still read and recorded
 *   fp_drop_upstream  RST to the server (it sees the client vanish); the
 *                     client's side stays open and silent, its bytes recorded
 *
 * UDP RELAY (DNS)
 *   fu_new/fu_start: a socket on 127.0.0.1 relaying each datagram to
 *   127.0.0.1:upstream_port and each answer back to the client that sent
 *   the query with its DNS id. Rules pick datagrams by their index in one
 *   direction (0 = the first query, FP_UP, or the first answer, FP_DOWN),
 *   count datagrams from first (FU_ALL: every one from first on):
 *     fu_drop       discard them
 *     fu_delay      send each ms late
 *     fu_truncate   send only its first size bytes
 *     fu_duplicate  send it twice
 *     fu_swap       hold datagram index until the next one in that direction
 *                   has gone (or 1 s has passed), then send it
 *
 * LIFETIME
 *   Rules are added before *_start. fp_stop / fu_stop read what the client
 *   has already sent, stop the thread and close every socket (idempotent);
 *   the results below stay readable until *_free. fp_cleanup_all stops and
 *   frees every proxy and relay still alive: use it as each test's teardown,
 *   so a failed assertion (cmocka longjmps out of the test) leaves no thread
 *   or socket behind. The result functions may be called while the thread
 *   runs; everything else is for the test thread only.
 */
#ifndef INETKIT_FAULT_PROXY_H
#define INETKIT_FAULT_PROXY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FP_UP = 0, FP_DOWN = 1 } fp_direction;

#define FP_ARMED "\001armed" /* anchor: the first client bytes after fp_arm() */
#define FU_ALL UINT32_MAX     /* count: every datagram from first on */

typedef struct fp_proxy fp_proxy;
typedef struct fu_relay fu_relay;

/* ---- TCP proxy ------------------------------------------------------------------------- */

fp_proxy *fp_new(unsigned upstream_port, const char *name);
void fp_delay(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset, unsigned ms);
void fp_fragment(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset, size_t piece, unsigned pause_ms,
                 uint64_t length);
void fp_stall(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset);
void fp_reset(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset);
void fp_truncate(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset);
void fp_drop_upstream(fp_proxy *p, fp_direction dir, const char *anchor, uint64_t offset);

/* Listens on 127.0.0.1:0 and starts the thread; returns the port (0 on failure). */
unsigned fp_start(fp_proxy *p);
/* The same on a given port (a DNS test puts it on the UDP relay's port, for TCP fallback). */
unsigned fp_start_on(fp_proxy *p, unsigned port);
/* Arms the FP_ARMED rules: they count from the next client bytes. */
void fp_arm(fp_proxy *p);
void fp_stop(fp_proxy *p);
void fp_free(fp_proxy *p);

/* Bytes read from the sender in dir, and bytes forwarded, over every connection. */
uint64_t fp_received(fp_proxy *p, fp_direction dir);
uint64_t fp_forwarded(fp_proxy *p, fp_direction dir);
/* Connections accepted, and rules that acted (over every connection). */
unsigned fp_connections(fp_proxy *p);
unsigned fp_fired(fp_proxy *p);
/* 1 when some connection's client sent text (forwarded or not). */
int fp_client_sent(fp_proxy *p, const char *text);
/* The client bytes of connection index (0 = the first accepted), escaped
   (\r \n \xNN) for failure messages; lives until the next call. */
const char *fp_client_text(fp_proxy *p, unsigned index);

/* ---- UDP relay ------------------------------------------------------------------------- */

fu_relay *fu_new(unsigned upstream_port, const char *name);
void fu_drop(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count);
void fu_delay(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count, unsigned ms);
void fu_truncate(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count, size_t size);
void fu_duplicate(fu_relay *u, fp_direction dir, uint32_t first, uint32_t count);
void fu_swap(fu_relay *u, fp_direction dir, uint32_t index);

/* Binds 127.0.0.1:0 and starts the thread; returns the port (0 on failure). */
unsigned fu_start(fu_relay *u);
/* fu_start, and tcp started on the same port number (DNS falls back to TCP on the
   server's port); both are picked afresh until that number is free for both. */
unsigned fu_start_with_tcp(fu_relay *u, fp_proxy *tcp);
void fu_stop(fu_relay *u);
void fu_free(fu_relay *u);

/* Datagrams received in dir, datagrams sent on (duplicates count twice), and
   the size of the last one received. */
unsigned fu_received(fu_relay *u, fp_direction dir);
unsigned fu_sent(fu_relay *u, fp_direction dir);
size_t fu_last_size(fu_relay *u, fp_direction dir);

/* ---- both ---------------------------------------------------------------------------------- */

void fp_cleanup_all(void);

#ifdef __cplusplus
}
#endif

#endif
