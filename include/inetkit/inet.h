/*
 * inetkit/inet.h - the Inet family: TCP client and server connections.
 *
 * Every rule of inetkit/common.h (return values, the last-error store, the
 * size-query idiom, handles and threads, callbacks) applies here.
 *
 * An Inet handle is either a connection (made by InetConnect or InetAccept)
 * or a listener (made by InetListen). Passing one kind where the other is
 * expected gives INETKIT_ERROR_INVALID_HANDLE.
 *
 * TIMEOUTS
 *   Each connection has two limits, both in milliseconds:
 *   INET_TIMEOUT_INACTIVITY  the longest a blocking call waits without any
 *                            byte moving (default: the connect timeout);
 *   INET_TIMEOUT_CALL        the longest one call may take in all, however the
 *                            bytes trickle in (default: no limit).
 *   A call that runs out of either fails with INETKIT_ERROR_TIMED_OUT.
 *   Timeouts given in seconds to InetConnect and InetAccept use 0 for
 *   INET_DEFAULT_TIMEOUT and INET_WAIT_INFINITE for no limit.
 */
#ifndef INETKIT_INET_H
#define INETKIT_INET_H

#include "common.h"

/* Options for InetConnect, InetListen and InetAccept. Unknown bits are refused. */
#define INET_OPTION_NONE        0x00000000u
#define INET_OPTION_PREFER_IPV6 0x00004000u /* try IPv6 addresses before IPv4 */
#define INET_OPTION_FREETHREAD  0x00008000u /* any thread may use the handle; calls are serialised */

#define INET_DEFAULT_TIMEOUT 30u          /* seconds, used when a timeout of 0 is passed */
#define INET_WAIT_INFINITE   0xFFFFFFFFu  /* no time limit */

/* InetSetTimeout / InetGetTimeout kinds */
#define INET_TIMEOUT_INACTIVITY 1u
#define INET_TIMEOUT_CALL       2u

/* InetShutdown directions (the values of Winsock's SD_*) */
#define INET_SHUTDOWN_RECEIVE 0u
#define INET_SHUTDOWN_SEND    1u
#define INET_SHUTDOWN_BOTH    2u

/* Directions passed to an INETTRACEPROC */
#define INET_TRACE_RECEIVE 1u
#define INET_TRACE_SEND    2u

/* The longest host name or address accepted, in bytes (RFC 1035 limit). */
#define INET_MAX_HOSTNAME 255u
/* Size of a buffer that holds any numeric address, IPv6 included, with its NUL. */
#define INET_ADDRESS_BUFFER 64u

/*
 * A trace callback sees every byte the connection sends or receives, on the
 * thread of the call that moved them, before that call returns. lpData is
 * valid only during the callback. It must not call inetkit on the same
 * handle except InetCancel or InetDisconnect.
 */
typedef void (INETKIT_CALL *INETTRACEPROC)(HCLIENT hClient, DWORD dwDirection,
                                           LPCVOID lpData, DWORD cbData, LPVOID lpParam);

INETKIT_BEGIN_DECLS

/* ---- Library lifetime and errors -------------------------------------- */

/*
 * InetInitialize - take a reference on the Inet family.
 * Call it before any other Inet function that creates a handle; it may be
 * called many times and from any thread (it is reference counted). The first
 * reference of any family also initialises OpenSSL and c-ares.
 * Returns: 0, or INETKIT_ERROR_NOT_ENOUGH_MEMORY / INETKIT_ERROR_INTERNAL.
 */
INETKIT_API DWORD INETKIT_CALL InetInitialize(void) INETKIT_NOEXCEPT;

/*
 * InetUninitialize - drop a reference taken by InetInitialize.
 * When the last reference goes, every Inet handle still open is disconnected
 * (calls in flight on other threads return INETKIT_ERROR_CANCELED).
 * Returns: 0, or INETKIT_ERROR_NOT_INITIALIZED when there is no reference.
 */
INETKIT_API DWORD INETKIT_CALL InetUninitialize(void) INETKIT_NOEXCEPT;

/* InetGetVersion - the library's INETKIT_VERSION_NUMBER (compare with the header's). */
INETKIT_API DWORD INETKIT_CALL InetGetVersion(void) INETKIT_NOEXCEPT;

/* InetGetLastError - the code of the calling thread's last inetkit call. */
INETKIT_API DWORD INETKIT_CALL InetGetLastError(void) INETKIT_NOEXCEPT;

/*
 * InetGetLastErrorMessage - copy the message of the calling thread's last
 * call (empty after a success) into lpszMessage; size-query idiom. Messages
 * are at most 1023 bytes. Does not change the last-error store.
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (lpcchMessage NULL),
 *          INETKIT_ERROR_INSUFFICIENT_BUFFER.
 */
INETKIT_API DWORD INETKIT_CALL InetGetLastErrorMessage(LPSTR lpszMessage,
                                                       LPDWORD lpcchMessage) INETKIT_NOEXCEPT;

/*
 * InetGetErrorString - the static description of dwErrorCode; size-query
 * idiom. Does not change the last-error store.
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (lpcchText NULL or an unknown
 *          code), INETKIT_ERROR_INSUFFICIENT_BUFFER.
 */
INETKIT_API DWORD INETKIT_CALL InetGetErrorString(DWORD dwErrorCode, LPSTR lpszText,
                                                  LPDWORD lpcchText) INETKIT_NOEXCEPT;

/* ---- Connections ------------------------------------------------------- */

/*
 * InetConnect - open a TCP connection to lpszHost (a name, an IPv4 literal or
 * an IPv6 literal with or without brackets) on nPort (1-65535).
 * Every address of the host is tried in turn within nTimeout seconds in all:
 * IPv4 first, or IPv6 first with INET_OPTION_PREFER_IPV6. nTimeout also
 * becomes the connection's inactivity timeout. lpCredentials must be NULL
 * (TLS credentials are not supported yet).
 * Thread: any; the calling thread owns the new handle.
 * Returns: the handle, or INVALID_CLIENT with the last error set:
 *   INETKIT_ERROR_NOT_INITIALIZED, INETKIT_ERROR_INVALID_PARAMETER,
 *   INETKIT_ERROR_NOT_SUPPORTED (credentials), INETKIT_ERROR_HOST_NOT_FOUND and
 *   the other 1100x codes, INETKIT_ERROR_CONNECTION_REFUSED,
 *   INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_NETWORK_UNREACHABLE,
 *   INETKIT_ERROR_HOST_UNREACHABLE, INETKIT_ERROR_TOO_MANY_HANDLES.
 */
INETKIT_API HCLIENT INETKIT_CALL InetConnect(LPCSTR lpszHost, UINT nPort, UINT nTimeout,
                                             DWORD dwOptions,
                                             LPCSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/*
 * InetListen - listen for TCP connections on lpszLocalAddress (a numeric
 * address; NULL or "" for every interface, IPv6 and IPv4 where the system
 * allows) and nLocalPort (0 picks a free port: read it with
 * InetGetLocalAddress). nBacklog 0 uses the system maximum. Options:
 * INET_OPTION_FREETHREAD. lpCredentials must be NULL.
 * Returns: a listener handle, or INVALID_CLIENT (INETKIT_ERROR_ADDRESS_IN_USE,
 *          INETKIT_ERROR_ADDRESS_NOT_AVAILABLE, INETKIT_ERROR_INVALID_PARAMETER, ...).
 */
INETKIT_API HCLIENT INETKIT_CALL InetListen(LPCSTR lpszLocalAddress, UINT nLocalPort,
                                            UINT nBacklog, DWORD dwOptions,
                                            LPCSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/*
 * InetAccept - wait up to nTimeout seconds for a client on listener hServer
 * and return a connection handle owned by the calling thread. dwOptions:
 * INET_OPTION_FREETHREAD for the new connection. The connection's inactivity
 * timeout is INET_DEFAULT_TIMEOUT seconds.
 * Returns: the handle, or INVALID_CLIENT (INETKIT_ERROR_TIMED_OUT,
 *          INETKIT_ERROR_CANCELED, INETKIT_ERROR_INVALID_HANDLE, ...).
 */
INETKIT_API HCLIENT INETKIT_CALL InetAccept(HCLIENT hServer, UINT nTimeout,
                                            DWORD dwOptions) INETKIT_NOEXCEPT;

/*
 * InetDisconnect - close a connection or listener and release its handle.
 * Thread: any. A call blocked on the handle in another thread returns
 * INETKIT_ERROR_CANCELED promptly, and the object is freed when that call
 * has returned; until then that call may still run the trace callback. The
 * handle is invalid as soon as this function returns.
 * Returns: 0 or INETKIT_ERROR_INVALID_HANDLE (also for a second disconnect).
 */
INETKIT_API DWORD INETKIT_CALL InetDisconnect(HCLIENT hClient) INETKIT_NOEXCEPT;

/*
 * InetCancel - make the blocking call in progress on hClient return
 * INETKIT_ERROR_CANCELED. Thread: any. The cancel applies to the call that
 * has entered the library on that handle when it arrives, even if that call
 * has not started waiting yet; a cancel made while no call is in progress is
 * ignored (it does not affect the next call).
 * The handle stays usable; bytes already received stay buffered.
 * Returns: 0 or INETKIT_ERROR_INVALID_HANDLE.
 */
INETKIT_API DWORD INETKIT_CALL InetCancel(HCLIENT hClient) INETKIT_NOEXCEPT;

/*
 * InetAttachThread - give hClient to thread dwThreadId (0: the calling
 * thread). Thread: any. Fails while a call is in progress on the handle.
 * On a FREETHREAD handle the owner is recorded and returned but does not
 * restrict which threads may call.
 * Returns: the previous owner's thread id (pass it back to restore it), or 0
 *          with INETKIT_ERROR_INVALID_HANDLE, INETKIT_ERROR_INVALID_PARAMETER
 *          (no such thread in this process) or INETKIT_ERROR_BUSY.
 */
INETKIT_API DWORD INETKIT_CALL InetAttachThread(HCLIENT hClient, DWORD dwThreadId) INETKIT_NOEXCEPT;

/* ---- Data --------------------------------------------------------------- */

/*
 * InetRead - read up to cbBuffer bytes. Blocks until at least one byte
 * arrives; *lpcbRead = 0 with a 0 return means the peer closed the
 * connection in order (end of stream). cbBuffer 0 is refused with
 * INETKIT_ERROR_INVALID_PARAMETER, so 0 bytes always means end of stream.
 * Returns: 0, INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_CANCELED,
 *          INETKIT_ERROR_CONNECTION_RESET, INETKIT_ERROR_INVALID_PARAMETER, ...
 */
INETKIT_API DWORD INETKIT_CALL InetRead(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer,
                                        LPDWORD lpcbRead) INETKIT_NOEXCEPT;

/*
 * InetReadLine - read one line ending in LF (a CR before it is dropped too)
 * into lpszLine, NUL-terminated, and set *lpcchLine to its length (a line may
 * hold NUL bytes). The line-length cap is the buffer: a line whose content
 * (the CR LF not counted) does not fit in cchLine - 1 bytes fails with
 * INETKIT_ERROR_LINE_TOO_LONG and stays unread, as do the bytes received so
 * far when no LF comes within cchLine + 1 bytes; InetRead returns them.
 * If the peer closes the connection, the call fails with
 * INETKIT_ERROR_CONNECTION_CLOSED; a partial line stays readable with
 * InetRead, so nothing is lost (InetGetBytesAvailable says 0 when there is
 * none).
 * Returns: 0, INETKIT_ERROR_LINE_TOO_LONG, INETKIT_ERROR_CONNECTION_CLOSED,
 *          INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_CANCELED, ...
 */
INETKIT_API DWORD INETKIT_CALL InetReadLine(HCLIENT hClient, LPSTR lpszLine, DWORD cchLine,
                                            LPDWORD lpcchLine) INETKIT_NOEXCEPT;

/*
 * InetPeek - copy up to cbBuffer bytes that have already arrived without
 * consuming them. Never blocks; *lpcbRead may be 0. cbBuffer 0 is refused.
 */
INETKIT_API DWORD INETKIT_CALL InetPeek(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer,
                                        LPDWORD lpcbRead) INETKIT_NOEXCEPT;

/* InetGetBytesAvailable - bytes that InetRead can return without blocking. */
INETKIT_API DWORD INETKIT_CALL InetGetBytesAvailable(HCLIENT hClient,
                                                     LPDWORD lpcbAvailable) INETKIT_NOEXCEPT;

/*
 * InetWrite - send all cbBuffer bytes, blocking as needed. lpcbWritten
 * (optional) receives the number of bytes handed to the network, also when
 * the call fails part way. cbBuffer 0 succeeds and sends nothing (lpBuffer
 * may then be NULL).
 * Returns: 0, INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_CANCELED,
 *          INETKIT_ERROR_CONNECTION_RESET, INETKIT_ERROR_SHUTDOWN, ...
 */
INETKIT_API DWORD INETKIT_CALL InetWrite(HCLIENT hClient, LPCVOID lpBuffer, DWORD cbBuffer,
                                         LPDWORD lpcbWritten) INETKIT_NOEXCEPT;

/*
 * InetWriteLine - send lpszLine followed by CR LF. A line that holds CR or LF
 * is refused with INETKIT_ERROR_INVALID_PARAMETER before anything is sent.
 */
INETKIT_API DWORD INETKIT_CALL InetWriteLine(HCLIENT hClient, LPCSTR lpszLine) INETKIT_NOEXCEPT;

/* InetShutdown - stop receiving, sending (the peer sees end of stream) or both. */
INETKIT_API DWORD INETKIT_CALL InetShutdown(HCLIENT hClient, DWORD dwHow) INETKIT_NOEXCEPT;

/* ---- Addresses, timeouts, tracing --------------------------------------- */

/*
 * InetGetLocalAddress / InetGetPeerAddress - the numeric address (size-query
 * idiom; INET_ADDRESS_BUFFER always suffices) and port of either end. Pass
 * NULL for lpcchAddress to get only the port, and NULL for lpnPort to skip it.
 * A listener has a local address only.
 */
INETKIT_API DWORD INETKIT_CALL InetGetLocalAddress(HCLIENT hClient, LPSTR lpszAddress,
                                                   LPDWORD lpcchAddress,
                                                   LPUINT lpnPort) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL InetGetPeerAddress(HCLIENT hClient, LPSTR lpszAddress,
                                                  LPDWORD lpcchAddress,
                                                  LPUINT lpnPort) INETKIT_NOEXCEPT;

/*
 * InetSetTimeout / InetGetTimeout - a connection's INET_TIMEOUT_INACTIVITY or
 * INET_TIMEOUT_CALL limit in milliseconds; INET_WAIT_INFINITE for none, and 0
 * (set only) to restore the default.
 */
INETKIT_API DWORD INETKIT_CALL InetSetTimeout(HCLIENT hClient, DWORD dwKind,
                                              DWORD dwMilliseconds) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL InetGetTimeout(HCLIENT hClient, DWORD dwKind,
                                              LPDWORD lpdwMilliseconds) INETKIT_NOEXCEPT;

/*
 * InetSetTraceCallback - register lpfnTrace (NULL to remove it) with its
 * lpParam for connection hClient. After this returns, the previous callback
 * is never called again.
 */
INETKIT_API DWORD INETKIT_CALL InetSetTraceCallback(HCLIENT hClient, INETTRACEPROC lpfnTrace,
                                                    LPVOID lpParam) INETKIT_NOEXCEPT;

INETKIT_END_DECLS

#endif /* INETKIT_INET_H */
