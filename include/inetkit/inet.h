/**
 * @file
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
 *
 * TLS
 *   A connection is secured at connect (INET_OPTION_SECURE), at accept (a
 *   listener made with INET_OPTION_SECURE and server credentials), or later on
 *   a live plain connection with InetStartTls (STARTTLS, either side). Peers
 *   are verified by default: the system's CAs plus any the credentials add,
 *   and for clients the host name (DNS name or IP literal) too. Once secured,
 *   InetRead, InetWrite and the rest carry encrypted data unchanged.
 *   Verification failures have their own codes (275-279, 609-612); the
 *   message carries OpenSSL's reason.
 *   Clients resume sessions with a peer they spoke to before with the same
 *   settings (never across different verify settings, CAs or client
 *   certificates), and only sessions whose verification found no problem
 *   beyond those the ignore list names: anything a verify callback, QUERY mode
 *   or TRUSTEDSITE let through is judged again on the next connection.
 */
#ifndef INETKIT_INET_H
#define INETKIT_INET_H

#include "common.h"

/** Options for InetConnect, InetListen, InetAccept and InetStartTls. Unknown bits are refused. */
#define INET_OPTION_NONE        0x00000000u
#define INET_OPTION_TRUSTEDSITE 0x00000800u /**< TLS: no problem with the peer's certificate fails the
                                                 handshake (they are still recorded: InetGetVerifyErrors) */
#define INET_OPTION_SECURE      0x00001000u /**< TLS at connect (implicit TLS) or at accept */
#define INET_OPTION_SECURE_FALLBACK 0x00010000u /**< TLS: also allow TLS 1.0/1.1 and legacy ciphers */
#define INET_OPTION_PREFER_IPV6 0x00004000u /**< try IPv6 addresses before IPv4 */
#define INET_OPTION_FREETHREAD  0x00008000u /**< any thread may use the handle; calls are serialised */

#define INET_DEFAULT_TIMEOUT 30u          /**< seconds, used when a timeout of 0 is passed */
#define INET_WAIT_INFINITE   0xFFFFFFFFu  /**< no time limit */

/** InetSetTimeout / InetGetTimeout kinds @{ */
#define INET_TIMEOUT_INACTIVITY 1u
#define INET_TIMEOUT_CALL       2u
/** @} */

/** InetShutdown directions (the values of Winsock's SD_*) @{ */
#define INET_SHUTDOWN_RECEIVE 0u
#define INET_SHUTDOWN_SEND    1u
#define INET_SHUTDOWN_BOTH    2u
/** @} */

/** Directions passed to an INETTRACEPROC @{ */
#define INET_TRACE_RECEIVE 1u
#define INET_TRACE_SEND    2u
/** @} */

/** The longest host name or address accepted, in bytes (RFC 1035 limit). */
#define INET_MAX_HOSTNAME 255u
/** Size of a buffer that holds any numeric address, IPv6 included, with its NUL. */
#define INET_ADDRESS_BUFFER 64u

/**
 * A trace callback sees every byte the connection sends or receives, on the
 * thread of the call that moved them, before that call returns. lpData is
 * valid only during the callback. It must not call inetkit on the same
 * handle except InetCancel or InetDisconnect.
 */
typedef void (INETKIT_CALL *INETTRACEPROC)(HCLIENT hClient, DWORD dwDirection,
                                           LPCVOID lpData, DWORD cbData, LPVOID lpParam);

INETKIT_BEGIN_DECLS

/* ---- Library lifetime and errors -------------------------------------- */

/**
 * InetInitialize - take a reference on the Inet family.
 * Call it before any other Inet function that creates a handle; it may be
 * called many times and from any thread (it is reference counted). The first
 * reference of any family also initialises OpenSSL and c-ares.
 * Returns: 0, or INETKIT_ERROR_NOT_ENOUGH_MEMORY / INETKIT_ERROR_INTERNAL.
 */
INETKIT_API DWORD INETKIT_CALL InetInitialize(void) INETKIT_NOEXCEPT;

/**
 * InetUninitialize - drop a reference taken by InetInitialize.
 * When the last reference goes, every Inet handle still open is disconnected
 * (calls in flight on other threads return INETKIT_ERROR_CANCELED).
 * Returns: 0, or INETKIT_ERROR_NOT_INITIALIZED when there is no reference.
 */
INETKIT_API DWORD INETKIT_CALL InetUninitialize(void) INETKIT_NOEXCEPT;

/** InetGetVersion - the library's INETKIT_VERSION_NUMBER (compare with the header's). */
INETKIT_API DWORD INETKIT_CALL InetGetVersion(void) INETKIT_NOEXCEPT;

/** InetGetLastError - the code of the calling thread's last inetkit call. */
INETKIT_API DWORD INETKIT_CALL InetGetLastError(void) INETKIT_NOEXCEPT;

/**
 * InetGetLastErrorMessage - copy the message of the calling thread's last
 * call (empty after a success) into lpszMessage; size-query idiom. Messages
 * are at most 1023 bytes. Does not change the last-error store.
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (lpcchMessage NULL),
 *          INETKIT_ERROR_INSUFFICIENT_BUFFER.
 */
INETKIT_API DWORD INETKIT_CALL InetGetLastErrorMessage(LPSTR lpszMessage,
                                                       LPDWORD lpcchMessage) INETKIT_NOEXCEPT;

/**
 * InetGetErrorString - the static description of dwErrorCode; size-query
 * idiom. Does not change the last-error store.
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (lpcchText NULL or an unknown
 *          code), INETKIT_ERROR_INSUFFICIENT_BUFFER.
 */
INETKIT_API DWORD INETKIT_CALL InetGetErrorString(DWORD dwErrorCode, LPSTR lpszText,
                                                  LPDWORD lpcchText) INETKIT_NOEXCEPT;

/* ---- Connections ------------------------------------------------------- */

/**
 * InetConnect - open a TCP connection to lpszHost (a name, an IPv4 literal or
 * an IPv6 literal with or without brackets) on nPort (1-65535).
 * Every address of the host is tried in turn within nTimeout seconds in all:
 * IPv4 first, or IPv6 first with INET_OPTION_PREFER_IPV6. nTimeout also
 * becomes the connection's inactivity timeout. INET_OPTION_SECURE makes the
 * TLS handshake part of the connect (within the same nTimeout); lpCredentials
 * (optional) sets how. The credentials are checked before any traffic.
 * Credentials or TLS options without INET_OPTION_SECURE are refused with
 * INETKIT_ERROR_INVALID_PARAMETER (pass them to InetStartTls instead). With
 * TLS 1.3 a server that refuses our certificate says so after the
 * handshake: the first InetRead then fails (INETKIT_ERROR_CERTIFICATE_REQUIRED
 * when we sent none).
 * Thread: any; the calling thread owns the new handle.
 * Returns: the handle, or INVALID_CLIENT with the last error set:
 *   INETKIT_ERROR_NOT_INITIALIZED, INETKIT_ERROR_INVALID_PARAMETER,
 *   INETKIT_ERROR_HOST_NOT_FOUND and
 *   the other 1100x codes, INETKIT_ERROR_CONNECTION_REFUSED,
 *   INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_NETWORK_UNREACHABLE,
 *   INETKIT_ERROR_HOST_UNREACHABLE, INETKIT_ERROR_TOO_MANY_HANDLES, the TLS
 *   codes (270-284) and the certificate codes (609-612).
 */
INETKIT_API HCLIENT INETKIT_CALL InetConnect(LPCSTR lpszHost, UINT nPort, UINT nTimeout,
                                             DWORD dwOptions,
                                             LPCSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/**
 * InetListen - listen for TCP connections on lpszLocalAddress (a numeric
 * address; NULL or "" for every interface, IPv6 and IPv4 where the system
 * allows) and nLocalPort (0 picks a free port: read it with
 * InetGetLocalAddress). nBacklog 0 uses the system maximum. Options:
 * INET_OPTION_FREETHREAD; INET_OPTION_SECURE with lpCredentials holding the
 * server certificate and key (or a PSK) makes InetAccept do the TLS
 * handshake. The credentials are loaded and checked here.
 * Returns: a listener handle, or INVALID_CLIENT (INETKIT_ERROR_ADDRESS_IN_USE,
 *          INETKIT_ERROR_ADDRESS_NOT_AVAILABLE, INETKIT_ERROR_INVALID_PARAMETER, ...).
 */
INETKIT_API HCLIENT INETKIT_CALL InetListen(LPCSTR lpszLocalAddress, UINT nLocalPort,
                                            UINT nBacklog, DWORD dwOptions,
                                            LPCSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/**
 * InetAccept - wait up to nTimeout seconds for a client on listener hServer
 * and return a connection handle owned by the calling thread. dwOptions:
 * INET_OPTION_FREETHREAD for the new connection. The connection's inactivity
 * timeout is INET_DEFAULT_TIMEOUT seconds. On a secure listener the TLS
 * handshake happens here, within nTimeout; a client that fails it is
 * dropped and the call fails with its TLS code.
 * Returns: the handle, or INVALID_CLIENT (INETKIT_ERROR_TIMED_OUT,
 *          INETKIT_ERROR_CANCELED, INETKIT_ERROR_INVALID_HANDLE, ...).
 */
INETKIT_API HCLIENT INETKIT_CALL InetAccept(HCLIENT hServer, UINT nTimeout,
                                            DWORD dwOptions) INETKIT_NOEXCEPT;

/**
 * InetDisconnect - close a connection or listener and release its handle.
 * Thread: any. A call blocked on the handle in another thread returns
 * INETKIT_ERROR_CANCELED promptly, and the object is freed when that call
 * has returned; until then that call may still run the trace callback. The
 * handle is invalid as soon as this function returns.
 * Returns: 0 or INETKIT_ERROR_INVALID_HANDLE (also for a second disconnect).
 */
INETKIT_API DWORD INETKIT_CALL InetDisconnect(HCLIENT hClient) INETKIT_NOEXCEPT;

/**
 * InetCancel - make the blocking call in progress on hClient return
 * INETKIT_ERROR_CANCELED. Thread: any. The cancel applies to the call that
 * has entered the library on that handle when it arrives, even if that call
 * has not started waiting yet; a cancel made while no call is in progress is
 * ignored (it does not affect the next call).
 * The handle stays usable; bytes already received stay buffered.
 * Returns: 0 or INETKIT_ERROR_INVALID_HANDLE.
 */
INETKIT_API DWORD INETKIT_CALL InetCancel(HCLIENT hClient) INETKIT_NOEXCEPT;

/**
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

/**
 * InetRead - read up to cbBuffer bytes. Blocks until at least one byte
 * arrives; *lpcbRead = 0 with a 0 return means the peer closed the
 * connection in order (end of stream). cbBuffer 0 is refused with
 * INETKIT_ERROR_INVALID_PARAMETER, so 0 bytes always means end of stream.
 * Returns: 0, INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_CANCELED,
 *          INETKIT_ERROR_CONNECTION_RESET, INETKIT_ERROR_INVALID_PARAMETER, ...
 */
INETKIT_API DWORD INETKIT_CALL InetRead(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer,
                                        LPDWORD lpcbRead) INETKIT_NOEXCEPT;

/**
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

/**
 * InetPeek - copy up to cbBuffer bytes that have already arrived without
 * consuming them. Never blocks; *lpcbRead may be 0. cbBuffer 0 is refused.
 */
INETKIT_API DWORD INETKIT_CALL InetPeek(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer,
                                        LPDWORD lpcbRead) INETKIT_NOEXCEPT;

/** InetGetBytesAvailable - bytes that InetRead can return without blocking. */
INETKIT_API DWORD INETKIT_CALL InetGetBytesAvailable(HCLIENT hClient,
                                                     LPDWORD lpcbAvailable) INETKIT_NOEXCEPT;

/**
 * InetWrite - send all cbBuffer bytes, blocking as needed. lpcbWritten
 * (optional) receives the number of bytes handed to the network, also when
 * the call fails part way. cbBuffer 0 succeeds and sends nothing (lpBuffer
 * may then be NULL).
 * Returns: 0, INETKIT_ERROR_TIMED_OUT, INETKIT_ERROR_CANCELED,
 *          INETKIT_ERROR_CONNECTION_RESET, INETKIT_ERROR_SHUTDOWN, ...
 */
INETKIT_API DWORD INETKIT_CALL InetWrite(HCLIENT hClient, LPCVOID lpBuffer, DWORD cbBuffer,
                                         LPDWORD lpcbWritten) INETKIT_NOEXCEPT;

/**
 * InetWriteLine - send lpszLine followed by CR LF. A line that holds CR or LF
 * is refused with INETKIT_ERROR_INVALID_PARAMETER before anything is sent.
 */
INETKIT_API DWORD INETKIT_CALL InetWriteLine(HCLIENT hClient, LPCSTR lpszLine) INETKIT_NOEXCEPT;

/** InetShutdown - stop receiving, sending (the peer sees end of stream) or both. */
INETKIT_API DWORD INETKIT_CALL InetShutdown(HCLIENT hClient, DWORD dwHow) INETKIT_NOEXCEPT;

/* ---- Addresses, timeouts, tracing --------------------------------------- */

/**
 * InetGetLocalAddress / InetGetPeerAddress - the numeric address (size-query
 * idiom; INET_ADDRESS_BUFFER always suffices) and port of either end. Pass
 * NULL for lpcchAddress to get only the port, and NULL for lpnPort to skip it.
 * A listener has a local address only.
 * @{
 */
INETKIT_API DWORD INETKIT_CALL InetGetLocalAddress(HCLIENT hClient, LPSTR lpszAddress,
                                                   LPDWORD lpcchAddress,
                                                   LPUINT lpnPort) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL InetGetPeerAddress(HCLIENT hClient, LPSTR lpszAddress,
                                                  LPDWORD lpcchAddress,
                                                  LPUINT lpnPort) INETKIT_NOEXCEPT;
/** @} */

/**
 * InetSetTimeout / InetGetTimeout - a connection's INET_TIMEOUT_INACTIVITY or
 * INET_TIMEOUT_CALL limit in milliseconds; INET_WAIT_INFINITE for none, and 0
 * (set only) to restore the default.
 * @{
 */
INETKIT_API DWORD INETKIT_CALL InetSetTimeout(HCLIENT hClient, DWORD dwKind,
                                              DWORD dwMilliseconds) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL InetGetTimeout(HCLIENT hClient, DWORD dwKind,
                                              LPDWORD lpdwMilliseconds) INETKIT_NOEXCEPT;
/** @} */

/**
 * InetSetTraceCallback - register lpfnTrace (NULL to remove it) with its
 * lpParam for connection hClient. After this returns, the previous callback
 * is never called again.
 */
INETKIT_API DWORD INETKIT_CALL InetSetTraceCallback(HCLIENT hClient, INETTRACEPROC lpfnTrace,
                                                    LPVOID lpParam) INETKIT_NOEXCEPT;

/* ---- TLS ---------------------------------------------------------------- */

/**
 * InetStartTls - secure a live plain connection (STARTTLS). On a connection
 * made by InetConnect the library is the TLS client and verifies the host
 * given to InetConnect (or lpszVerifyName); on one made by InetAccept it is
 * the server, and lpCredentials must hold a certificate and key (or a PSK).
 * dwOptions: INET_OPTION_TRUSTEDSITE, INET_OPTION_SECURE_FALLBACK.
 * If any plaintext byte has arrived and not been read when the upgrade
 * starts, nothing is sent, the bytes stay readable, and the call fails with
 * INETKIT_ERROR_PLAINTEXT_INJECTION: treat the connection as compromised.
 * A failed handshake leaves the connection unusable; disconnect it.
 * Returns: 0, INETKIT_ERROR_PLAINTEXT_INJECTION, INETKIT_ERROR_NOT_SUPPORTED
 *          (already secure), the TLS and certificate codes, timeouts.
 */
INETKIT_API DWORD INETKIT_CALL InetStartTls(HCLIENT hClient, DWORD dwOptions,
                                            LPCSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/**
 * InetCheckCredentials - load and check credentials without any network
 * traffic: files and PEM text parse, the passphrase opens the key, the key
 * matches the certificate, CA sources load, the ignore list, pins and PSK key
 * are well formed. bServer: TRUE when they are meant for a server (which
 * then needs a certificate or a PSK). InetConnect, InetListen and
 * InetStartTls run the same checks first.
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (dwSize, malformed strings),
 *          INETKIT_ERROR_CERTIFICATE_LOAD (unreadable, wrong passphrase),
 *          INETKIT_ERROR_SECURITY_CREDENTIALS (key/certificate mismatch, ...).
 */
INETKIT_API DWORD INETKIT_CALL InetCheckCredentials(LPCSECURITYCREDENTIALS lpCredentials,
                                                    BOOL bServer) INETKIT_NOEXCEPT;

/**
 * InetCreateCredentials - a checked SECURITYCREDENTIALS that the library
 * allocates: dwSize set, the certificate file (PEM or PKCS#12), key file and
 * passphrase copied in (each may be NULL), and checked as by
 * InetCheckCredentials. The caller may set further members. Free it with
 * InetDeleteCredentials, and only with that.
 * Returns: 0 with *lplpCredentials set, or an error with it set to NULL.
 */
INETKIT_API DWORD INETKIT_CALL InetCreateCredentials(LPCSTR lpszCertificateFile,
                                                     LPCSTR lpszPrivateKeyFile, LPCSTR lpszPassword,
                                                     LPSECURITYCREDENTIALS *lplpCredentials) INETKIT_NOEXCEPT;

/** InetDeleteCredentials - free credentials from InetCreateCredentials (NULL is a no-op). */
INETKIT_API DWORD INETKIT_CALL InetDeleteCredentials(LPSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/** Session details of a secured connection. */
typedef struct INETSECURITYINFO_ {
    DWORD dwSize;              /**< set to sizeof(INETSECURITYINFO) before the call */
    DWORD dwProtocol;          /**< INET_PROTOCOL_TLS1_x, or 0 on a plain connection */
    DWORD dwCipherBits;        /**< secret bits of the cipher */
    BOOL bResumed;             /**< the session was resumed from an earlier one (OpenSSL also
                                    counts a TLS 1.3 handshake on an external PSK as resumed) */
    DWORD dwVerifyResult;      /**< OpenSSL's X509_V_* result for the peer: 0 only if the chain verified
                                    with no problem at all, even an ignored or accepted one */
    DWORD dwVerifyErrors;      /**< problems seen during verification (see InetGetVerifyErrors) */
    DWORD dwPeerCertificates;  /**< certificates the peer sent (0 if none) */
    BOOL bLocalCertificate;    /**< we presented a certificate */
    char szProtocol[16];       /**< "TLSv1.3" */
    char szCipher[64];         /**< "TLS_AES_256_GCM_SHA384" */
} INETSECURITYINFO;

/**
 * InetGetSecurityInfo - fill *lpInfo for hClient. A plain connection gives
 * 0 with dwProtocol 0. Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (NULL or
 * a dwSize smaller than the first version of the structure).
 */
INETKIT_API DWORD INETKIT_CALL InetGetSecurityInfo(HCLIENT hClient, INETSECURITYINFO *lpInfo) INETKIT_NOEXCEPT;

/** Fields for InetGetSecurityValue. @{ */
#define INET_SECURITY_PROTOCOL      1u /**< as dwProtocol */
#define INET_SECURITY_CIPHER_BITS   2u
#define INET_SECURITY_RESUMED       3u
#define INET_SECURITY_VERIFY_RESULT 4u
#define INET_SECURITY_PEER_CERTIFICATES 5u
/** @} */

/** InetGetSecurityValue - one numeric field of InetGetSecurityInfo. */
INETKIT_API DWORD INETKIT_CALL InetGetSecurityValue(HCLIENT hClient, DWORD dwField,
                                                    LPDWORD lpdwValue) INETKIT_NOEXCEPT;

/**
 * InetGetVerifyErrors - the problems found while verifying the peer, one per
 * line as "ERROR:FINGERPRINT:DEPTH:description" (size-query idiom). The first
 * two fields are exactly what lpszIgnoreErrors accepts. Empty if none.
 */
INETKIT_API DWORD INETKIT_CALL InetGetVerifyErrors(HCLIENT hClient, LPSTR lpszErrors,
                                                   LPDWORD lpcchErrors) INETKIT_NOEXCEPT;

/** Certificates for InetGetCertificateInfo: 0..n-1 = the peer's chain (0 is the peer's own). */
#define INET_CERTIFICATE_LOCAL 0xFFFFFFFFu /**< the certificate we presented */

/** Fields for InetGetCertificateInfo; all text except INET_CERT_DER. @{ */
#define INET_CERT_SUBJECT     1u  /**< RFC 2253 distinguished name */
#define INET_CERT_ISSUER      2u
#define INET_CERT_SERIAL      3u  /**< upper-case hex */
#define INET_CERT_NOT_BEFORE  4u  /**< "YYYY-MM-DDTHH:MM:SSZ" */
#define INET_CERT_NOT_AFTER   5u
#define INET_CERT_SAN         6u  /**< "DNS:a.example,IP:127.0.0.1" */
#define INET_CERT_FINGERPRINT 7u  /**< SHA-256, upper-case hex */
#define INET_CERT_PEM         8u
#define INET_CERT_DER         9u  /**< binary: *lpcbValue is a byte count, no NUL is added */
#define INET_CERT_PUBLIC_KEY_PIN 10u /**< "sha256//BASE64" of the public key, for lpszPinnedPublicKey */
/** @} */

/**
 * InetGetCertificateInfo - one field of one certificate of a secured
 * connection, size-query idiom (for INET_CERT_DER the sizes count bytes
 * without a NUL). Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (no such
 * certificate or field), INETKIT_ERROR_SECURITY_NOT_ESTABLISHED (plain
 * connection), INETKIT_ERROR_INSUFFICIENT_BUFFER.
 */
INETKIT_API DWORD INETKIT_CALL InetGetCertificateInfo(HCLIENT hClient, DWORD dwCertificate, DWORD dwField,
                                                      LPVOID lpValue, LPDWORD lpcbValue) INETKIT_NOEXCEPT;

/** What InetGetLibraryInfo reports. */
#define INET_LIBRARY_VERSION         1u /**< "1.0.0" */
#define INET_LIBRARY_OPENSSL_VERSION 2u /**< OpenSSL's version text, e.g. "OpenSSL 3.0.x ..." */
#define INET_LIBRARY_OPENSSL_BUILT   3u /**< the OpenSSL version inetkit was compiled against */
#define INET_LIBRARY_CARES_VERSION   4u /**< c-ares version, e.g. "1.18.1" */

/**
 * InetGetLibraryInfo - a version string of inetkit or a dependency
 * (size-query idiom). Thread: any; no initialisation needed.
 */
INETKIT_API DWORD INETKIT_CALL InetGetLibraryInfo(DWORD dwWhat, LPSTR lpszValue,
                                                  LPDWORD lpcchValue) INETKIT_NOEXCEPT;

INETKIT_END_DECLS

#endif /* INETKIT_INET_H */
