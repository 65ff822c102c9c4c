/**
 * @file
 * inetkit/mx.h - the Mx family: find where mail for an address or a domain
 * goes (RFC 5321 section 5.1), synchronously or asynchronously, on c-ares.
 *
 * Every rule of inetkit/common.h (return values, the last-error store, the
 * size-query idiom, handles and threads, callbacks) applies here.
 *
 * ONE CALL, THE WHOLE DELIVERY PLAN
 *   MxResolve takes an address ("user@example.com", a quoted local part such
 *   as "\"a@b\"@example.com", or a domain literal "user@[192.0.2.1]" /
 *   "user@[IPv6:2001:db8::1]", which needs no lookup) or a bare domain, and:
 *   1. converts an internationalised domain to its A-label (libidn2, UTS 46
 *      non-transitional; setting UseIDN);
 *   2. asks for its MX records, following a CNAME at the query name;
 *   3. reports a null MX ("0 .", RFC 7505) as INETKIT_ERROR_NULL_MX: the
 *      domain accepts no mail, and no fallback is tried;
 *   4. when the domain has no MX records but has A or AAAA records, gives the
 *      implicit MX: the domain itself, preference 0, MX_RECORD_IMPLICIT
 *      (setting ImplicitMX, on by default);
 *   5. drops exchanger names that are not valid host names (bytes outside
 *      letters, digits, '-' and '.', labels over 63 or names over 253 bytes,
 *      IP addresses written as names), keeping the rest;
 *   6. sorts by preference, shuffling equal preferences (RFC 5321; setting
 *      ShuffleSeed makes the order repeatable for tests);
 *   7. optionally (setting ResolveAddresses) finds each exchanger's A and
 *      AAAA addresses with their TTLs.
 *   TTLs and the AA (authoritative answer) bit are read from the wire.
 *
 * SYNCHRONOUS AND ASYNCHRONOUS
 *   With a Timeout above 0 (the default, MX_DEFAULT_TIMEOUT seconds),
 *   MxResolve blocks until the request is done, firing its events on the
 *   way, and returns its outcome. With a Timeout of 0, MxResolve queues the
 *   request and returns at once; requests run concurrently (MaxInFlight at
 *   a time on the wire, the rest wait their turn) and their events fire
 *   inside MxDoEvents, MxWait or MxGetNextResult on the handle's thread.
 *   Each request has a RequestId: the handle's counter, which MxResolve
 *   uses and then increments (set it with MxSetRequestId).
 *   An event loop can poll the descriptor of MxGetEventDescriptor, or use
 *   MxGetNextTimeout, and call MxDoEvents(h, 0) when it is readable.
 *
 * RESULTS: EVENTS OR PULL
 *   A finished request is delivered once. When a Response or Error callback
 *   is registered, it is delivered to them: MXRESPONSEPROC once per
 *   exchanger in order of preference, or MXERRORPROC once when the request
 *   failed. Otherwise it waits in a queue that MxGetNextResult takes from.
 *   Either way the request delivered last becomes the handle's current
 *   result, which MxGetResult, MxGetRecordCount, MxGetRecord,
 *   MxGetRecordAddress, MxGetMailServer and MxGetStatus read. A synchronous
 *   MxResolve makes its own request current.
 *
 * ERRORS (a request's outcome)
 *   INETKIT_ERROR_HOST_NOT_FOUND  (11001) the domain does not exist (NXDOMAIN)
 *   INETKIT_ERROR_TRY_AGAIN       (11002) server failure (after asking every server), or no answer in time:
 *                                         try again later, this is not "no MX"
 *   INETKIT_ERROR_NO_RECOVERY     (11003) the server refused the query, or does
 *                                         not understand it (REFUSED, FORMERR,
 *                                         NOTIMP), or a CNAME chain loops
 *   INETKIT_ERROR_NO_DATA         (11004) no MX records and (with ImplicitMX)
 *                                         no addresses either
 *   INETKIT_ERROR_NULL_MX         (800)   the domain accepts no mail (RFC 7505)
 *   INETKIT_ERROR_DNS_BAD_RESPONSE (801)  the answer is malformed
 *   INETKIT_ERROR_DNS_BAD_NAME    (802)   no exchanger name in the answer is a
 *                                         valid host name
 *   INETKIT_ERROR_NO_DNS_SERVER   (290)   no DNS server is set or configured
 *   INETKIT_ERROR_CANCELED        (602)   MxInterrupt, or the handle was closed
 *   the Winsock codes (10xxx) when the DNS server cannot be reached.
 *   Each comes with a message that names the domain and the DNS server.
 */
#ifndef INETKIT_MX_H
#define INETKIT_MX_H

#include "common.h"

/** MxCreate options. Unknown bits are refused. */
#define MX_OPTION_NONE       0x00000000u
#define MX_OPTION_FREETHREAD 0x00008000u /**< any thread may use the handle; calls are serialised */

#define MX_DNS_PORT        53u /**< the port of servers given without one, unless MxSetDnsPort says */
#define MX_DEFAULT_TIMEOUT 60u /**< seconds */
#define MX_WAIT_INFINITE   0xFFFFFFFFu /**< no time limit (MxWait, MxGetNextResult, MxGetNextTimeout) */

/** MXRECORD.dwFlags */
#define MX_RECORD_IMPLICIT   0x00000001u /**< no MX records: the domain itself (RFC 5321 5.1) */
#define MX_RECORD_LITERAL    0x00000002u /**< the address held a domain literal; nothing was looked up */
#define MX_RECORD_ALIAS      0x00000004u /**< the exchanger's name is an alias (CNAME), which RFC 2181 10.3
                                              forbids; seen only with ResolveAddresses */
#define MX_RECORD_NO_ADDRESS 0x00000008u /**< ResolveAddresses found no A or AAAA record for it */

/** MXRESULT.dwFlags */
#define MX_RESULT_AUTHORITATIVE 0x00000001u /**< the MX answer had the AA bit */
#define MX_RESULT_CNAME         0x00000002u /**< the query name was an alias; szCanonicalName is its target */
#define MX_RESULT_TRUNCATED     0x00000004u /**< the UDP answer was truncated and was fetched again over TCP */
#define MX_RESULT_RECORDS_DROPPED 0x00000008u /**< some exchangers were invalid names, above MaxRecords, or cut off
                                                 by a truncated answer (ConnectionMode=udp) */

/** DNS response codes (MXRECORD.dwStatusCode, MXRESULT.dwStatusCode), the RCODE of the answer. */
#define MX_STATUS_OK              0u /**< "Ok" */
#define MX_STATUS_FORMAT_ERROR    1u /**< "Format error" */
#define MX_STATUS_SERVER_FAILURE  2u /**< "Server failure" */
#define MX_STATUS_NAME_ERROR      3u /**< "Name error" */
#define MX_STATUS_NOT_IMPLEMENTED 4u /**< "Not implemented" */
#define MX_STATUS_REFUSED         5u /**< "Refused" */
#define MX_STATUS_NO_ANSWER       0xFFFFFFFFu /**< no answer arrived (timeout, network error, canceled) */

/** One exchanger of a result, in the Response event and from MxGetRecord. */
typedef struct MXRECORD_ {
    DWORD dwSize;          /**< sizeof(MXRECORD) */
    DWORD dwRequestId;     /**< the request's id (see MxResolve) */
    DWORD dwIndex;         /**< place in the delivery plan: 0 is the one to try first */
    DWORD dwCount;         /**< records in the result */
    DWORD dwPrecedence;    /**< MX preference: lower is preferred */
    DWORD dwTimeToLive;    /**< seconds, from the MX answer (the A/AAAA answer for an implicit MX) */
    DWORD dwStatusCode;    /**< MX_STATUS_*: the answer's RCODE */
    BOOL bAuthoritative;   /**< the answer had the AA bit */
    DWORD dwFlags;         /**< MX_RECORD_* */
    DWORD dwAddressCount;  /**< addresses found for it: with ResolveAddresses; always for an implicit MX
                                (the addresses that made it) and a literal (1) */
    char szDomain[256];    /**< the domain looked up (A-label form, lower case, no trailing dot) */
    char szMailServer[256];/**< the exchanger (A-label form, no trailing dot), or the literal's address */
    char szDescription[32];/**< the status code's text: "Ok", "Format error", "Server failure", "Name error",
                                "Not implemented", "Refused" */
} MXRECORD;

/** One address of an exchanger. */
typedef struct MXADDRESS_ {
    DWORD dwSize;          /**< sizeof(MXADDRESS) */
    DWORD dwFamily;        /**< 4 or 6 */
    DWORD dwTimeToLive;    /**< seconds, from the A or AAAA answer (0 for a literal) */
    char szAddress[48];    /**< numeric form */
} MXADDRESS;

/** The outcome of one request. */
typedef struct MXRESULT_ {
    DWORD dwSize;          /**< sizeof(MXRESULT) */
    DWORD dwRequestId;     /**< the request's id (see MxResolve) */
    DWORD dwError;         /**< 0 or the request's INETKIT_ERROR_* code (see ERRORS above) */
    DWORD dwStatusCode;    /**< MX_STATUS_*: RCODE of the decisive answer, MX_STATUS_NO_ANSWER if none came */
    DWORD dwCount;         /**< exchangers (records) */
    DWORD dwFlags;         /**< MX_RESULT_* */
    DWORD dwElapsed;       /**< milliseconds from MxResolve to the result */
    char szDomain[256];    /**< the domain looked up (A-label form) */
    char szCanonicalName[256]; /**< where the CNAME chain at the query name led, "" if none */
    char szDnsServer[64];  /**< the server that gave the decisive answer, "address:port" ("[v6]:port") */
    char szStatus[512];    /**< "OK", or the error message (as MxGetStatus) */
} MXRESULT;

/** Response: one exchanger of a finished request, lpAddresses its dwAddressCount addresses.
   Both are valid only during the call. */
typedef void (INETKIT_CALL *MXRESPONSEPROC)(HCLIENT hClient, const MXRECORD *lpRecord,
                                            const MXADDRESS *lpAddresses, LPVOID lpParam);
/** Error: a request failed. dwStatusCode is the answer's RCODE (MX_STATUS_NO_ANSWER if none),
   lpszDescription the message (as MxGetStatus). */
typedef void (INETKIT_CALL *MXERRORPROC)(HCLIENT hClient, DWORD dwRequestId, LPCSTR lpszDomain,
                                         DWORD dwErrorCode, DWORD dwStatusCode, LPCSTR lpszDescription,
                                         LPVOID lpParam);

INETKIT_BEGIN_DECLS

/* ---- Library lifetime and errors (the same store as every family) -------- */

/** MxInitialize / MxUninitialize - as InetInitialize / InetUninitialize, for Mx handles. @{ */
INETKIT_API DWORD INETKIT_CALL MxInitialize(void) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxUninitialize(void) INETKIT_NOEXCEPT;
/** @} */
/** MxGetLastError / MxGetLastErrorMessage / MxGetErrorString - as the Inet twins. @{ */
INETKIT_API DWORD INETKIT_CALL MxGetLastError(void) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetLastErrorMessage(LPSTR lpszMessage, LPDWORD lpcchMessage) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetErrorString(DWORD dwErrorCode, LPSTR lpszText, LPDWORD lpcchText) INETKIT_NOEXCEPT;
/** @} */

/* ---- Handle ---------------------------------------------------------------- */

/**
 * MxCreate - a resolver with every property at its default: the DNS servers
 * of the system's resolver configuration (/etc/resolv.conf), port 53,
 * Timeout MX_DEFAULT_TIMEOUT, RequestId 1. Nothing is sent yet.
 * Returns: the handle, or INVALID_CLIENT (INETKIT_ERROR_NOT_INITIALIZED,
 *   INETKIT_ERROR_INVALID_PARAMETER for unknown options).
 */
INETKIT_API HCLIENT INETKIT_CALL MxCreate(DWORD dwOptions) INETKIT_NOEXCEPT;

/** MxDestroy - cancel whatever is in flight (no event fires) and release the handle. Thread: any. */
INETKIT_API DWORD INETKIT_CALL MxDestroy(HCLIENT hClient) INETKIT_NOEXCEPT;

/** MxAttachThread - as InetAttachThread. */
INETKIT_API DWORD INETKIT_CALL MxAttachThread(HCLIENT hClient, DWORD dwThreadId) INETKIT_NOEXCEPT;

/* ---- Resolving --------------------------------------------------------------- */

/**
 * MxResolve - find the mail exchangers of lpszAddress (an address or a
 * domain, UTF-8, up to 320 bytes; see the top of this file).
 * *lpdwRequestId (optional) receives the request's id.
 * Synchronous (Timeout > 0): returns the request's outcome (0 or one of the
 *   ERRORS above) after its events; the whole call is bounded by Timeout.
 * Asynchronous (Timeout = 0): returns 0 once the request is queued.
 * Either way, a malformed address (empty, a NUL-free string holding CR, LF
 * or other control bytes, an empty label, a domain over 253 bytes) fails
 * with INETKIT_ERROR_INVALID_PARAMETER before anything is sent, and
 * INETKIT_ERROR_NO_DNS_SERVER when there is no server to ask.
 * A synchronous MxResolve fails with INETKIT_ERROR_BUSY while any request
 * is in flight on the handle or another thread is in a call on it.
 */
INETKIT_API DWORD INETKIT_CALL MxResolve(HCLIENT hClient, LPCSTR lpszAddress, LPDWORD lpdwRequestId) INETKIT_NOEXCEPT;

/**
 * MxDoEvents - process what the network has delivered, waiting up to
 * dwTimeoutMs for something to happen (0: do not wait), and fire the
 * events of the requests that finished. Returns 0 (also when nothing
 * happened), or INETKIT_ERROR_CANCELED when MxInterrupt ended the wait.
 */
INETKIT_API DWORD INETKIT_CALL MxDoEvents(HCLIENT hClient, DWORD dwTimeoutMs) INETKIT_NOEXCEPT;

/**
 * MxWait - process and fire events until nothing is in flight, for at most
 * dwTimeoutMs (MX_WAIT_INFINITE: no limit; each request still has its own
 * deadline). Returns 0 when idle, INETKIT_ERROR_TIMED_OUT when requests are
 * still in flight, INETKIT_ERROR_CANCELED after MxInterrupt.
 */
INETKIT_API DWORD INETKIT_CALL MxWait(HCLIENT hClient, DWORD dwTimeoutMs) INETKIT_NOEXCEPT;

/**
 * MxGetNextResult - the pull-style twin of the events: take the next
 * finished request that was not delivered to callbacks and make it the
 * current result, waiting (and processing the network) up to dwTimeoutMs
 * for one. *lpdwRequestId and *lpdwError (both optional) receive its id and
 * outcome. Returns 0 when a result was taken, INETKIT_ERROR_TIMED_OUT when
 * none finished in time, INETKIT_ERROR_NOT_FOUND when nothing is in flight
 * and nothing is waiting.
 */
INETKIT_API DWORD INETKIT_CALL MxGetNextResult(HCLIENT hClient, DWORD dwTimeoutMs, LPDWORD lpdwRequestId,
                                               LPDWORD lpdwError) INETKIT_NOEXCEPT;

/**
 * MxInterrupt - cancel every request in flight or queued: each finishes
 * with INETKIT_ERROR_CANCELED (delivered as usual), and a blocking call on
 * the handle returns INETKIT_ERROR_CANCELED. Thread: any.
 */
INETKIT_API DWORD INETKIT_CALL MxInterrupt(HCLIENT hClient) INETKIT_NOEXCEPT;

/** MxReset - cancel everything in flight (no event fires), drop every result and
   restore every property and setting to its default; callbacks stay registered. */
INETKIT_API DWORD INETKIT_CALL MxReset(HCLIENT hClient) INETKIT_NOEXCEPT;

/* ---- Event-loop integration ---------------------------------------------------- */

/**
 * MxGetEventDescriptor - a descriptor that polls readable whenever
 * MxDoEvents(h, 0) has work: an answer arrived, a retry or a deadline is due,
 * or a finished request waits to be delivered (on Linux an epoll descriptor;
 * do not read, write or close it). It belongs to the handle and lives as
 * long as it.
 */
INETKIT_API DWORD INETKIT_CALL MxGetEventDescriptor(HCLIENT hClient, INT *lpnDescriptor) INETKIT_NOEXCEPT;

/** MxGetNextTimeout - milliseconds until MxDoEvents has timed work to do
   (MX_WAIT_INFINITE when nothing is in flight, 0 when work is due now). */
INETKIT_API DWORD INETKIT_CALL MxGetNextTimeout(HCLIENT hClient, LPDWORD lpdwTimeoutMs) INETKIT_NOEXCEPT;

/* ---- The current result ---------------------------------------------------------- */

/** MxGetResult - the outcome of the current result. INETKIT_ERROR_NOT_FOUND before any. */
INETKIT_API DWORD INETKIT_CALL MxGetResult(HCLIENT hClient, MXRESULT *lpResult) INETKIT_NOEXCEPT;
/** MxGetRecordCount - exchangers in the current result (0 before any). */
INETKIT_API DWORD INETKIT_CALL MxGetRecordCount(HCLIENT hClient, LPDWORD lpdwCount) INETKIT_NOEXCEPT;
/** MxGetRecord - exchanger dwIndex (0 = best) of the current result.
   Returns: 0, INETKIT_ERROR_NOT_FOUND (no such index). */
INETKIT_API DWORD INETKIT_CALL MxGetRecord(HCLIENT hClient, DWORD dwIndex, MXRECORD *lpRecord) INETKIT_NOEXCEPT;
/** MxGetRecordAddress - address dwAddress of exchanger dwIndex. Returns: 0, INETKIT_ERROR_NOT_FOUND. */
INETKIT_API DWORD INETKIT_CALL MxGetRecordAddress(HCLIENT hClient, DWORD dwIndex, DWORD dwAddress,
                                                  MXADDRESS *lpAddress) INETKIT_NOEXCEPT;

/* ---- Properties ------------------------------------------------------------------ */

/**
 * MxSetDnsServer - the DNS servers to ask, in order: a comma-separated list
 * of IPv4 and IPv6 addresses, each optionally with a port ("192.0.2.53",
 * "::1", "[::1]:5353", "127.0.0.1:5300"); entries without one use DnsPort.
 * NULL or "" goes back to the system's servers. Host names are refused: a
 * resolver cannot depend on resolving. MxGetDnsServer gives the list in use
 * ("" when none could be found; MxResolve then fails with NO_DNS_SERVER).
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER, INETKIT_ERROR_BUSY (requests in flight).
 * @{
 */
INETKIT_API DWORD INETKIT_CALL MxSetDnsServer(HCLIENT hClient, LPCSTR lpszServers) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetDnsServer(HCLIENT hClient, LPSTR lpszServers, LPDWORD lpcchServers) INETKIT_NOEXCEPT;
/** @} */

/** MxSetDnsPort / MxGetDnsPort - the port of servers given without one (default 53; 1-65535). @{ */
INETKIT_API DWORD INETKIT_CALL MxSetDnsPort(HCLIENT hClient, UINT nPort) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetDnsPort(HCLIENT hClient, LPUINT lpnPort) INETKIT_NOEXCEPT;
/** @} */

/** MxSetTimeout / MxGetTimeout - seconds a synchronous MxResolve may take; 0 makes MxResolve
   asynchronous (see the top of this file). Default MX_DEFAULT_TIMEOUT. @{ */
INETKIT_API DWORD INETKIT_CALL MxSetTimeout(HCLIENT hClient, UINT nSeconds) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetTimeout(HCLIENT hClient, LPUINT lpnSeconds) INETKIT_NOEXCEPT;
/** @} */

/** MxSetRequestId / MxGetRequestId - the id the next MxResolve uses (then increments). Default 1. @{ */
INETKIT_API DWORD INETKIT_CALL MxSetRequestId(HCLIENT hClient, DWORD dwRequestId) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetRequestId(HCLIENT hClient, LPDWORD lpdwRequestId) INETKIT_NOEXCEPT;
/** @} */

/** MxSetLocalHost / MxGetLocalHost - the local address queries are sent from (an IPv4 or IPv6
   literal; NULL or "" = any). The Config setting LocalPort picks the port. @{ */
INETKIT_API DWORD INETKIT_CALL MxSetLocalHost(HCLIENT hClient, LPCSTR lpszAddress) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxGetLocalHost(HCLIENT hClient, LPSTR lpszAddress, LPDWORD lpcchAddress) INETKIT_NOEXCEPT;
/** @} */

/** MxGetMailServer - the best exchanger of the current result ("" if it has none). */
INETKIT_API DWORD INETKIT_CALL MxGetMailServer(HCLIENT hClient, LPSTR lpszName, LPDWORD lpcchName) INETKIT_NOEXCEPT;

/** MxGetStatus - "OK" or the error message of the current result; "" from an MxResolve
   until the next result is delivered, and before any. */
INETKIT_API DWORD INETKIT_CALL MxGetStatus(HCLIENT hClient, LPSTR lpszStatus, LPDWORD lpcchStatus) INETKIT_NOEXCEPT;

/** MxGetIdle - TRUE when no request is in flight, queued or waiting to be delivered. */
INETKIT_API DWORD INETKIT_CALL MxGetIdle(HCLIENT hClient, LPBOOL lpbIdle) INETKIT_NOEXCEPT;

/**
 * MxConfig - change one setting, as "Name=Value" (names are case-insensitive):
 *
 *     LocalHost=<address>       as MxSetLocalHost
 *     LocalPort=<port>          local port queries are sent from (0 = any, the default)
 *     UseIPv6=auto|on|off       auto: servers in the order given, A and AAAA looked up;
 *                               on: IPv6 servers asked first; off: IPv6 servers skipped
 *                               and no AAAA asked for
 *     MaxPacketSize=<bytes>     EDNS(0) UDP size offered, 512-4096 (default 1232); 0 = no EDNS
 *     AbsoluteTimeout=<ms>      longest one request may take in either mode, from MxResolve
 *                               (0 = the Timeout, or 60 s when Timeout is 0; the default)
 *     QueryTimeout=<ms>         wait for an answer before the first retry (default 2000;
 *                               each retry waits twice as long)
 *     Retries=<n>               retries of each query, 0-10 (default 3)
 *     ConnectionMode=auto|udp|tcp  auto: UDP, and TCP when the answer is truncated (default)
 *     ImplicitMX=on|off         the RFC 5321 fallback to the domain's addresses (default on)
 *     UseIDN=on|off             convert internationalised names (default on; off refuses them)
 *     ResolveAddresses=on|off   look up each exchanger's A/AAAA addresses (default off)
 *     MaxRecords=<n>            most exchangers kept, by preference, 1-1024 (default 64)
 *     ShuffleEqual=on|off       shuffle equal preferences (default on)
 *     ShuffleSeed=<n>           seed of that shuffle (0 = random, the default)
 *     MaxInFlight=<n>           asynchronous requests on the wire at once, 1-4096 (default 64)
 *     CodePage=<n>              encoding of names: 65001 (UTF-8) only; others are NOT_SUPPORTED
 *     ResolvConf=<path>         where the system's DNS servers are read from while no
 *                               MxSetDnsServer list is set (default /etc/resolv.conf)
 *     BuildInfo                 read-only: library, c-ares, libidn2 versions
 *
 * Settings that change the network (servers, ports, packet size, mode, retries) fail
 * with INETKIT_ERROR_BUSY while requests are in flight.
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (unknown name, bad value or read-only),
 *   INETKIT_ERROR_NOT_SUPPORTED, INETKIT_ERROR_BUSY.
 */
INETKIT_API DWORD INETKIT_CALL MxConfig(HCLIENT hClient, LPCSTR lpszSetting) INETKIT_NOEXCEPT;
/** MxGetConfig - the value of setting lpszName, size-query idiom ("on"/"off" for switches). */
INETKIT_API DWORD INETKIT_CALL MxGetConfig(HCLIENT hClient, LPCSTR lpszName, LPSTR lpszValue,
                                           LPDWORD lpcchValue) INETKIT_NOEXCEPT;

/* ---- Events -------------------------------------------------------------------- */

/** MxSetResponseCallback / MxSetErrorCallback - NULL removes it. Registered callbacks receive
   every request finished from then on; see RESULTS at the top of this file. @{ */
INETKIT_API DWORD INETKIT_CALL MxSetResponseCallback(HCLIENT hClient, MXRESPONSEPROC lpfnResponse,
                                                     LPVOID lpParam) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL MxSetErrorCallback(HCLIENT hClient, MXERRORPROC lpfnError,
                                                  LPVOID lpParam) INETKIT_NOEXCEPT;
/** @} */

INETKIT_END_DECLS

#endif /* INETKIT_MX_H */
