/**
 * @file
 * inetkit/common.h - conventions shared by every inetkit family.
 *
 * This header is part of the reference manual. The rules it states hold for
 * every function in inetkit/inet.h, inetkit/pop.h and inetkit/mx.h.
 *
 * RETURN VALUES
 *   Functions that create a handle return it, or INVALID_CLIENT on failure.
 *   Every other fallible function returns a DWORD error code: 0
 *   (INETKIT_ERROR_NONE) on success, otherwise one of the INETKIT_ERROR_*
 *   codes of inetkit/errors.h. The same code, with a message that says what
 *   went wrong, is stored in the calling thread's last-error store.
 *
 * THE LAST-ERROR STORE
 *   One store per thread, holding a code and a message. Every export clears
 *   it on entry and sets it on failure, so it always describes the last call
 *   made on this thread, and reads INETKIT_ERROR_NONE after a success. The
 *   only exports that leave it untouched are the ones that read it:
 *   `<Family>GetLastError`, `<Family>GetLastErrorMessage` and
 *   `<Family>GetErrorString`. Read it on the thread that made the failing call.
 *
 * STRINGS AND BUFFERS
 *   All strings are UTF-8 and NUL-terminated. Output strings use the
 *   size-query idiom: the caller passes a buffer and a DWORD that holds the
 *   buffer's size in bytes. On success the library writes the string with its
 *   NUL and sets the DWORD to the string's length without the NUL. When the
 *   buffer is NULL or too small the call fails with
 *   INETKIT_ERROR_INSUFFICIENT_BUFFER and sets the DWORD to the size needed,
 *   NUL included; the buffer is left unchanged.
 *
 * HANDLES AND THREADS
 *   HCLIENT is an opaque token (a slot index, a generation and a family tag),
 *   never a pointer. A closed, stale, forged or wrong-family handle gives
 *   INETKIT_ERROR_INVALID_HANDLE; it is never dereferenced.
 *   A handle belongs to the thread that created it; a call from any other
 *   thread fails with INETKIT_ERROR_WRONG_THREAD, whose message names both
 *   thread ids. `<Family>AttachThread` hands a handle to another thread. A handle
 *   created with the family's *_OPTION_FREETHREAD flag may be used from any
 *   thread; the library then serialises the calls on it. Disconnecting and
 *   canceling work from any thread on every handle. Thread ids are the
 *   operating system's (gettid() on Linux, GetCurrentThreadId() on Windows).
 *
 * CALLBACKS
 *   Callbacks run only on the thread that is inside an inetkit call on that
 *   handle. A call on the same handle from inside its own callback fails with
 *   INETKIT_ERROR_REENTRANT_CALL, except for disconnect and cancel. Once the
 *   call that unregisters a callback returns, the callback is not called again.
 *   A callback written in C++ that throws does not unwind into the library:
 *   the exception is caught where the callback returns and the call fails with
 *   INETKIT_ERROR_CALLBACK_FAILED (a retrieval is then out of step: disconnect;
 *   an Mx request whose callback threw counts as delivered, the others stay
 *   queued). A certificate verification or PSK callback that throws rejects.
 */
#ifndef INETKIT_COMMON_H
#define INETKIT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/** Version of the headers; InetGetVersion returns the library's. @{ */
#define INETKIT_VERSION_MAJOR 1
#define INETKIT_VERSION_MINOR 0
#define INETKIT_VERSION_PATCH 0
#define INETKIT_VERSION_STRING "1.0.0"
/** @} */
/** major * 1000000 + minor * 1000 + patch */
#define INETKIT_VERSION_NUMBER \
    (INETKIT_VERSION_MAJOR * 1000000 + INETKIT_VERSION_MINOR * 1000 + INETKIT_VERSION_PATCH)

/** Calling convention: cdecl on every platform (bindings must say Cdecl). */
#if defined(_WIN32) && !defined(__GNUC__)
#define INETKIT_CALL __cdecl
#elif defined(_WIN32) && defined(__i386__)
#define INETKIT_CALL __attribute__((cdecl))
#else
#define INETKIT_CALL
#endif

/**
 * Marks the exports: dllexport while the DLL is built, dllimport for its
 * users, default visibility on ELF; empty when INETKIT_STATIC is defined.
 */
#if defined(INETKIT_STATIC)
#define INETKIT_API
#elif defined(_WIN32)
#if defined(INETKIT_BUILDING)
#define INETKIT_API __declspec(dllexport)
#else
#define INETKIT_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define INETKIT_API __attribute__((visibility("default")))
#else
#define INETKIT_API
#endif

/** Exports never throw; C++ callers see that in the declaration. */
#if defined(__cplusplus)
#define INETKIT_NOEXCEPT noexcept
#define INETKIT_BEGIN_DECLS extern "C" {
#define INETKIT_END_DECLS }
#else
#define INETKIT_NOEXCEPT
#define INETKIT_BEGIN_DECLS /**< in C++: extern "C" {, so the exports keep their C names */
#define INETKIT_END_DECLS   /**< in C++: the closing brace of INETKIT_BEGIN_DECLS */
#endif

/**
 * Win32 type names. On Windows they come from windows.h; elsewhere they are
 * defined here with fixed widths. A program that already has its own
 * definitions defines INETKIT_HAVE_WIN32_TYPES before including inetkit.h.
 * @{
 */
#if defined(_WIN32)
#include <windows.h>
#elif !defined(INETKIT_HAVE_WIN32_TYPES)
#define INETKIT_HAVE_WIN32_TYPES 1
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef int32_t BOOL;
typedef int32_t INT;
typedef int32_t LONG;
typedef unsigned int UINT;
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef DWORD *LPDWORD;
typedef UINT *LPUINT;
typedef BOOL *LPBOOL;
typedef uint64_t ULONGLONG;
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
/** @} */

/** An opaque client handle; see HANDLES AND THREADS above. */
typedef struct INETKIT_HANDLE_ *HCLIENT;
#define INVALID_CLIENT ((HCLIENT)0) /**< what a call that creates a handle returns on failure */

/** Protocol versions (the TLS wire numbers), for credentials and session info. @{ */
#define INET_PROTOCOL_DEFAULT 0x0000u
#define INET_PROTOCOL_TLS1_0  0x0301u
#define INET_PROTOCOL_TLS1_1  0x0302u
#define INET_PROTOCOL_TLS1_2  0x0303u
#define INET_PROTOCOL_TLS1_3  0x0304u
/** @} */

/** Peer verification modes (SECURITYCREDENTIALS.dwVerifyMode). */
#define INET_VERIFY_AUTO  0u /**< clients: VERIFY; servers: QUERY */
#define INET_VERIFY_NONE  1u /**< do not ask for or check the peer's certificate */
#define INET_VERIFY_QUERY 2u /**< ask for and check it, but let the handshake succeed;
                                  read the result with InetGetSecurityInfo */
#define INET_VERIFY_PEER  3u /**< require a valid certificate (servers: a client certificate) */

/**
 * A certificate verification callback. It runs on the thread of the call
 * doing the handshake (hClient is the handle inside InetStartTls, and
 * INVALID_CLIENT inside InetConnect and InetAccept, whose handle does not
 * exist yet), once for each problem found in the peer's chain that the
 * ignore list does not already cover:
 * dwError is the OpenSSL X509_V_ERR_* number, dwDepth the certificate's place
 * in the chain (0 = the peer's own), lpszFingerprint its SHA-256 in upper-case
 * hex. Return TRUE to accept that problem, FALSE to fail the handshake.
 */
typedef BOOL (INETKIT_CALL *INETVERIFYPROC)(HCLIENT hClient, DWORD dwError, DWORD dwDepth,
                                            LPCSTR lpszFingerprint, LPVOID lpParam);

/**
 * A TLS-PSK lookup for servers: called on the handshake's thread (hClient as
 * for INETVERIFYPROC) with the identity the client offers. Copy its key
 * into lpKey, at most *lpcbKey bytes (256), set *lpcbKey to the key's length
 * and return TRUE; return FALSE to refuse the identity.
 */
typedef BOOL (INETKIT_CALL *INETPSKPROC)(HCLIENT hClient, LPCSTR lpszIdentity, LPVOID lpKey,
                                         LPDWORD lpcbKey, LPVOID lpParam);

/**
 * Security credentials and settings for TLS. Zero every member, set dwSize to
 * sizeof(SECURITYCREDENTIALS) and fill in what you need: NULL strings and 0
 * numbers mean the documented default. The library copies what it needs
 * during the call that takes the structure; it keeps no pointer into it.
 * Later versions only append members (dwSize tells them apart).
 */
typedef struct INETKIT_SECURITYCREDENTIALS_ {
    DWORD dwSize;          /**< sizeof(SECURITYCREDENTIALS) */
    DWORD dwProtocolMin;   /**< INET_PROTOCOL_*; default TLS 1.2 (TLS 1.0 with INET_OPTION_SECURE_FALLBACK) */
    DWORD dwProtocolMax;   /**< INET_PROTOCOL_*; default TLS 1.3 */
    DWORD dwVerifyMode;    /**< INET_VERIFY_*; default INET_VERIFY_AUTO */
    DWORD dwVerifyDepth;   /**< most certificates the peer's chain may hold, its own and the trusted
                                root included (a longer one fails with CERTIFICATE_CHAIN_TOO_LONG);
                                0 = OpenSSL's default limit */
    LPCSTR lpszCipherList;    /**< TLS 1.2 and older, OpenSSL syntax; default: a modern forward-secret AEAD list */
    LPCSTR lpszCipherSuites;  /**< TLS 1.3, OpenSSL syntax; default: OpenSSL's */
    LPCSTR lpszCertificateFile; /**< our certificate: a PEM file (chain, may hold the key too) or a PKCS#12 file */
    LPCSTR lpszPrivateKeyFile;  /**< PEM key file, if not in lpszCertificateFile */
    LPCSTR lpszCertificatePem;  /**< our certificate chain as PEM text (instead of a file) */
    LPCSTR lpszPrivateKeyPem;   /**< our key as PEM text */
    LPCSTR lpszPassword;        /**< passphrase of the key or the PKCS#12 file */
    LPCSTR lpszCaFile;          /**< trusted CAs (PEM file), in addition to the system's */
    LPCSTR lpszCaPath;          /**< trusted CAs (OpenSSL hashed directory) */
    LPCSTR lpszCaPem;           /**< trusted CAs as PEM text */
    LPCSTR lpszVerifyName;      /**< name (or IP) to verify the peer against, instead of the connect host */
    LPCSTR lpszIgnoreErrors;    /**< "ERROR:FINGERPRINT[,...]": verify errors to accept, each for one
                                     certificate (X509_V_ERR_* number, SHA-256 in hex); see InetGetVerifyErrors */
    LPCSTR lpszPinnedPublicKey; /**< "sha256//BASE64[;sha256//BASE64...]": the peer key must be one of these */
    LPCSTR lpszPskIdentity;     /**< TLS-PSK identity (client); a server accepts only this identity */
    LPCSTR lpszPskKey;          /**< TLS-PSK key in hex */
    INETVERIFYPROC lpfnVerify;  /**< optional verification callback, with its lpVerifyParam */
    LPVOID lpVerifyParam;       /**< passed to lpfnVerify as lpParam */
    INETPSKPROC lpfnPsk;        /**< servers: optional PSK lookup by identity, instead of
                                     lpszPskIdentity/lpszPskKey (the pull-style twin) */
    LPVOID lpPskParam;          /**< passed to lpfnPsk as lpParam */
} SECURITYCREDENTIALS;
/** Pointers to SECURITYCREDENTIALS, Win32 style. @{ */
typedef SECURITYCREDENTIALS *LPSECURITYCREDENTIALS;
typedef const SECURITYCREDENTIALS *LPCSECURITYCREDENTIALS;
/** @} */

#endif /* INETKIT_COMMON_H */
