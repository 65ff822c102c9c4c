/**
 * @file
 * inetkit/pop.h - the Pop family: a POP3 client (RFC 1939, 2449, 2595,
 * 5034, 6856) over the Inet connections of inetkit/inet.h.
 *
 * Every rule of inetkit/common.h (return values, the last-error store, the
 * size-query idiom, handles and threads, callbacks) applies here.
 *
 * SESSION
 *   PopConnect reads the greeting, secures the session as the options say,
 *   and reads the capabilities (CAPA). PopLogin authenticates; after that the
 *   message functions work. Message numbers are 1..count as in RFC 1939.
 *   PopDisconnect ends the session: deletions take effect only if QUIT was
 *   answered +OK (PopQuit, or PopDisconnect when it can send QUIT).
 *
 * SECURITY
 *   POP_OPTION_SECURE_IMPLICIT (or port 995) starts TLS at connect.
 *   POP_OPTION_SECURE_EXPLICIT sends STLS, and fails with
 *   INETKIT_ERROR_TLS_REQUIRED if the server does not offer it or refuses it:
 *   the session never continues in plaintext. Anything the server sent
 *   after its STLS reply and before the handshake fails the connect with
 *   INETKIT_ERROR_PLAINTEXT_INJECTION. Capabilities learned before TLS are
 *   forgotten and asked again after it. Certificates are verified as
 *   inetkit/inet.h describes; SECURITYCREDENTIALS tunes it.
 *
 * REPLIES
 *   A -ERR reply fails the call with INETKIT_ERROR_SERVER_ERROR, or with the
 *   code of its RFC 2449/3206 response code: [AUTH] AUTH_FAILED, [IN-USE]
 *   MAILBOX_IN_USE, [LOGIN-DELAY] LOGIN_DELAY, [SYS/TEMP] SERVER_TEMPORARY,
 *   [SYS/PERM] SERVER_PERMANENT. The reply line is kept: PopGetLastReply.
 *   A reply that breaks the protocol gives INETKIT_ERROR_PROTOCOL. The
 *   session stays usable when the reply was read to its end and its framing
 *   is sure (a bad STAT, LIST or UIDL value). It is closed (later calls give
 *   INETKIT_ERROR_NOT_CONNECTED) on any framing doubt: a status line that is
 *   not +OK/-ERR or holds a NUL byte, a line over the length cap, data the
 *   server sends unasked, or a message cut short.
 *
 * MESSAGES
 *   Message text is delivered exactly as stored: the dot-stuffing undone,
 *   CR LF line ends, 8-bit bytes and long lines untouched. Only CR LF . CR LF
 *   ends a message; a connection lost before it gives
 *   INETKIT_ERROR_MESSAGE_INCOMPLETE and nothing is reported complete.
 */
#ifndef INETKIT_POP_H
#define INETKIT_POP_H

#include "common.h"
#include "inet.h" /* INETSECURITYINFO */

/** PopConnect options. Unknown bits are refused. */
#define POP_OPTION_NONE            0x00000000u
#define POP_OPTION_LINEBREAK       0x00000001u /**< PopRead and POPDATAPROC deliver one line (with CR LF) at a time */
#define POP_OPTION_TUNNEL          0x00000400u /**< tunnelled/forwarded: the port never implies TLS; verify name from credentials */
#define POP_OPTION_TRUSTEDSITE     0x00000800u /**< do not fail on certificate problems */
#define POP_OPTION_SECURE_EXPLICIT 0x00001000u /**< STLS (RFC 2595), required */
#define POP_OPTION_SECURE_IMPLICIT 0x00002000u /**< TLS from the first byte */
#define POP_OPTION_SECURE          POP_OPTION_SECURE_EXPLICIT /**< the same as POP_OPTION_SECURE_EXPLICIT */
#define POP_OPTION_PREFER_IPV6     0x00004000u /**< try IPv6 addresses before IPv4 */
#define POP_OPTION_FREETHREAD      0x00008000u /**< any thread may use the handle; calls are serialised */
#define POP_OPTION_SECURE_FALLBACK 0x00010000u /**< also allow TLS 1.0/1.1 and legacy ciphers */

#define POP_PORT        110u /**< POP3, plain or with STLS */
#define POP_PORT_SECURE 995u /**< POP3 over implicit TLS */
#define POP_DEFAULT_TIMEOUT 30u /**< seconds, for a timeout of 0 */

/** PopLogin mechanisms. @{ */
#define POP_AUTH_DEFAULT     0u /**< the strongest the server offers that fits the connection (see PopLogin) */
#define POP_AUTH_PASS        1u /**< USER / PASS */
#define POP_AUTH_APOP        2u
#define POP_AUTH_LOGIN       3u /**< SASL LOGIN */
#define POP_AUTH_PLAIN       4u /**< SASL PLAIN */
#define POP_AUTH_CRAM_MD5    5u
#define POP_AUTH_SCRAM_SHA1  6u
#define POP_AUTH_SCRAM_SHA256 7u
#define POP_AUTH_XOAUTH2     8u /**< the password is the OAuth 2.0 access token */
#define POP_AUTH_OAUTHBEARER 9u /**< RFC 7628; the password is the token */
/** @} */

/** Directions passed to a POPTRACEPROC. */
#define POP_TRACE_COMMAND 1u /**< a line we sent (credentials replaced by "<redacted>") */
#define POP_TRACE_REPLY   2u /**< a status line the server sent (message bodies are not traced) */

/** Information about one message, from PopGetMessageInfo. */
typedef struct POPMESSAGEINFO_ {
    DWORD dwSize;          /**< sizeof(POPMESSAGEINFO) */
    DWORD dwMessage;       /**< message number */
    ULONGLONG ullOctets;   /**< size the server reports (LIST) */
    BOOL bDeleted;         /**< marked for deletion in this session */
    char szUid[72];        /**< unique id (UIDL, 1-70 printable characters), "" if the server has none */
} POPMESSAGEINFO;

/** Receives message data in pieces (a whole line each with POP_OPTION_LINEBREAK).
   Return FALSE to stop: the call then fails with INETKIT_ERROR_CANCELED. */
typedef BOOL (INETKIT_CALL *POPDATAPROC)(HCLIENT hClient, DWORD dwMessage, LPCVOID lpData, DWORD cbData,
                                         LPVOID lpParam);
/** Progress of a retrieval: octets so far and expected (0 if unknown). Return FALSE to cancel. */
typedef BOOL (INETKIT_CALL *POPPROGRESSPROC)(HCLIENT hClient, DWORD dwMessage, ULONGLONG ullDone,
                                             ULONGLONG ullExpected, LPVOID lpParam);
/** Protocol trace, one line without its CR LF. */
typedef void (INETKIT_CALL *POPTRACEPROC)(HCLIENT hClient, DWORD dwDirection, LPCSTR lpszLine, LPVOID lpParam);

INETKIT_BEGIN_DECLS

/* ---- Library lifetime and errors (the same store as every family) -------- */

/** PopInitialize / PopUninitialize - as InetInitialize / InetUninitialize, for Pop handles. @{ */
INETKIT_API DWORD INETKIT_CALL PopInitialize(void) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL PopUninitialize(void) INETKIT_NOEXCEPT;
/** @} */
/** PopGetLastError / PopGetLastErrorMessage / PopGetErrorString - as the Inet twins. @{ */
INETKIT_API DWORD INETKIT_CALL PopGetLastError(void) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL PopGetLastErrorMessage(LPSTR lpszMessage, LPDWORD lpcchMessage) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL PopGetErrorString(DWORD dwErrorCode, LPSTR lpszText, LPDWORD lpcchText) INETKIT_NOEXCEPT;
/** @} */

/* ---- Session -------------------------------------------------------------- */

/**
 * PopConnect - connect to a POP3 server, read its greeting, secure the
 * session as dwOptions say and read its capabilities.
 * nPort 0: 110, or 995 with POP_OPTION_SECURE_IMPLICIT; port 995 implies
 * implicit TLS unless POP_OPTION_TUNNEL. nTimeout (seconds, 0 = default
 * POP_DEFAULT_TIMEOUT) bounds the connect and becomes the inactivity timeout
 * of every later call. lpCredentials: optional TLS settings.
 * Returns: the handle, or INVALID_CLIENT with the last error set
 *   (the Inet connect and TLS codes, INETKIT_ERROR_SERVER_ERROR for a -ERR
 *   greeting, INETKIT_ERROR_PROTOCOL, INETKIT_ERROR_TLS_REQUIRED,
 *   INETKIT_ERROR_PLAINTEXT_INJECTION, INETKIT_ERROR_NOT_INITIALIZED).
 */
INETKIT_API HCLIENT INETKIT_CALL PopConnect(LPCSTR lpszHost, UINT nPort, UINT nTimeout, DWORD dwOptions,
                                            LPCSECURITYCREDENTIALS lpCredentials) INETKIT_NOEXCEPT;

/**
 * PopLogin - authenticate as lpszUserName. nAuthType is a POP_AUTH_* value.
 * POP_AUTH_DEFAULT picks the strongest mechanism the server offers:
 * SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, APOP, then (only on a TLS session)
 * PLAIN and USER/PASS. A mechanism that sends the password in the clear is
 * used on a plain connection only when asked for by name. A user name or
 * password holding CR, LF or NUL, or longer than 4096 bytes, is refused
 * before anything is sent. Capabilities are read again after the login.
 * Returns: 0, INETKIT_ERROR_AUTH_FAILED, INETKIT_ERROR_AUTH_UNAVAILABLE,
 *   INETKIT_ERROR_AUTH_SERVER_UNVERIFIED, INETKIT_ERROR_MAILBOX_IN_USE,
 *   INETKIT_ERROR_LOGIN_DELAY, INETKIT_ERROR_INVALID_STATE (already logged in).
 */
INETKIT_API DWORD INETKIT_CALL PopLogin(HCLIENT hClient, UINT nAuthType, LPCSTR lpszUserName,
                                        LPCSTR lpszPassword) INETKIT_NOEXCEPT;

/**
 * PopQuit - send QUIT: the server removes the messages marked deleted if it
 * answers +OK. The handle stays valid for PopGetLastReply until
 * PopDisconnect.
 */
INETKIT_API DWORD INETKIT_CALL PopQuit(HCLIENT hClient) INETKIT_NOEXCEPT;

/**
 * PopDisconnect - end the session and release the handle. Thread: any.
 * When no call is in progress, no message is open and the calling thread
 * may use the handle, it sends QUIT first (deletions take effect); otherwise
 * it closes without QUIT (the server drops the deletions) and a call in
 * progress on another thread returns INETKIT_ERROR_CANCELED.
 */
INETKIT_API DWORD INETKIT_CALL PopDisconnect(HCLIENT hClient) INETKIT_NOEXCEPT;

/** PopCancel - make the call in progress return INETKIT_ERROR_CANCELED. Thread: any.
   A cancelled retrieval leaves the session out of step: disconnect it. */
INETKIT_API DWORD INETKIT_CALL PopCancel(HCLIENT hClient) INETKIT_NOEXCEPT;

/** PopAttachThread - as InetAttachThread. */
INETKIT_API DWORD INETKIT_CALL PopAttachThread(HCLIENT hClient, DWORD dwThreadId) INETKIT_NOEXCEPT;

/**
 * PopGetCapabilities - the server's CAPA lines, one per line ("SASL PLAIN
 * SCRAM-SHA-256\nUIDL\n..."), size-query idiom; empty if CAPA failed.
 */
INETKIT_API DWORD INETKIT_CALL PopGetCapabilities(HCLIENT hClient, LPSTR lpszCapabilities,
                                                  LPDWORD lpcchCapabilities) INETKIT_NOEXCEPT;
/**
 * PopGetCapability - the arguments of one capability (case-insensitive
 * name: "SASL" gives "PLAIN SCRAM-SHA-256", "EXPIRE" "NEVER", "LOGIN-DELAY"
 * "900", "IMPLEMENTATION" the server's text), "" for one without arguments.
 * Returns: 0, INETKIT_ERROR_NOT_FOUND when the server does not list it.
 */
INETKIT_API DWORD INETKIT_CALL PopGetCapability(HCLIENT hClient, LPCSTR lpszName, LPSTR lpszValue,
                                                LPDWORD lpcchValue) INETKIT_NOEXCEPT;

/** PopGetLastReply - the last status line (+OK... or -ERR...), and whether it was +OK. */
INETKIT_API DWORD INETKIT_CALL PopGetLastReply(HCLIENT hClient, LPBOOL lpbOk, LPSTR lpszReply,
                                               LPDWORD lpcchReply) INETKIT_NOEXCEPT;

/** PopGetSecurityInfo - the TLS details of the session, as InetGetSecurityInfo
   (dwProtocol 0 on a plain session). */
INETKIT_API DWORD INETKIT_CALL PopGetSecurityInfo(HCLIENT hClient, INETSECURITYINFO *lpInfo) INETKIT_NOEXCEPT;

/* ---- Mailbox ---------------------------------------------------------------- */

/** PopGetMessageCount - STAT: number of messages and their total size. Either pointer may be NULL. */
INETKIT_API DWORD INETKIT_CALL PopGetMessageCount(HCLIENT hClient, LPDWORD lpdwCount,
                                                  ULONGLONG *lpullOctets) INETKIT_NOEXCEPT;

/**
 * PopListMessages - fetch every message's size and unique id (LIST and
 * UIDL, pipelined when the server allows it) for PopGetMessageInfo,
 * PopGetMessageUid and PopFindMessage. *lpdwCount (optional) receives the count.
 */
INETKIT_API DWORD INETKIT_CALL PopListMessages(HCLIENT hClient, LPDWORD lpdwCount) INETKIT_NOEXCEPT;

/** PopGetMessageInfo - what PopListMessages learned about message dwMessage. */
INETKIT_API DWORD INETKIT_CALL PopGetMessageInfo(HCLIENT hClient, DWORD dwMessage,
                                                 POPMESSAGEINFO *lpInfo) INETKIT_NOEXCEPT;

/** PopGetMessageSize - LIST n (or the listed value). */
INETKIT_API DWORD INETKIT_CALL PopGetMessageSize(HCLIENT hClient, DWORD dwMessage,
                                                 ULONGLONG *lpullOctets) INETKIT_NOEXCEPT;

/** PopGetMessageUid - UIDL n (or the listed value), size-query idiom. */
INETKIT_API DWORD INETKIT_CALL PopGetMessageUid(HCLIENT hClient, DWORD dwMessage, LPSTR lpszUid,
                                                LPDWORD lpcchUid) INETKIT_NOEXCEPT;

/** PopFindMessage - the number of the message with unique id lpszUid (lists first if needed).
   Returns: 0, INETKIT_ERROR_NOT_FOUND. */
INETKIT_API DWORD INETKIT_CALL PopFindMessage(HCLIENT hClient, LPCSTR lpszUid, LPDWORD lpdwMessage) INETKIT_NOEXCEPT;

/* ---- Retrieval ---------------------------------------------------------------- */

/**
 * PopGetMessage - RETR into lpBuffer, size-query idiom over bytes (no NUL
 * is added; *lpcbBuffer is a byte count). A call that fails with
 * INETKIT_ERROR_INSUFFICIENT_BUFFER keeps the message, so the retry with a
 * large enough buffer does not fetch it again. Messages above the
 * "MaxMemoryMessage" setting (64 MiB) are refused: store them to a file.
 */
INETKIT_API DWORD INETKIT_CALL PopGetMessage(HCLIENT hClient, DWORD dwMessage, LPVOID lpBuffer,
                                             LPDWORD lpcbBuffer) INETKIT_NOEXCEPT;

/** PopGetMessageHeaders - TOP n 0: the header block with its blank line; as PopGetMessage.
   PopGetMessageTop - TOP n nLines: the headers and the first nLines body lines. @{ */
INETKIT_API DWORD INETKIT_CALL PopGetMessageHeaders(HCLIENT hClient, DWORD dwMessage, LPVOID lpBuffer,
                                                    LPDWORD lpcbBuffer) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL PopGetMessageTop(HCLIENT hClient, DWORD dwMessage, DWORD nLines, LPVOID lpBuffer,
                                                LPDWORD lpcbBuffer) INETKIT_NOEXCEPT;
/** @} */

/**
 * PopStoreMessage - RETR into the file lpszFileName: written to a temporary
 * name beside it and renamed only when the whole message has arrived and is
 * on disk, so a file with that name is always complete. An existing file is
 * replaced. Memory stays bounded whatever the size.
 */
INETKIT_API DWORD INETKIT_CALL PopStoreMessage(HCLIENT hClient, DWORD dwMessage, LPCSTR lpszFileName) INETKIT_NOEXCEPT;

/**
 * PopRetrieveMessage - RETR through lpfnData, in pieces of up to 64 KiB
 * (lines with POP_OPTION_LINEBREAK). Returns after the last piece.
 */
INETKIT_API DWORD INETKIT_CALL PopRetrieveMessage(HCLIENT hClient, DWORD dwMessage, POPDATAPROC lpfnData,
                                                  LPVOID lpParam) INETKIT_NOEXCEPT;

/**
 * PopOpenMessage / PopRead / PopCloseMessage - RETR as a stream. PopRead
 * returns 0 bytes at the end of the message. nLines: POP_ALL_LINES for the
 * whole message (RETR), or a number of body lines (TOP). While a message is
 * open, other commands fail with INETKIT_ERROR_INVALID_STATE. PopCloseMessage
 * reads and drops the rest, so the session stays in step.
 * @{
 */
#define POP_ALL_LINES 0xFFFFFFFFu
INETKIT_API DWORD INETKIT_CALL PopOpenMessage(HCLIENT hClient, DWORD dwMessage, DWORD nLines) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL PopRead(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer,
                                       LPDWORD lpcbRead) INETKIT_NOEXCEPT;
INETKIT_API DWORD INETKIT_CALL PopCloseMessage(HCLIENT hClient) INETKIT_NOEXCEPT;
/** @} */

/**
 * PopStoreMessages - store several messages into lpszDirectory, one file
 * each, named "<uid>.eml" (bytes of the unique id that are unsafe in a file
 * name percent-encoded, so different ids never share a file; "<number>.eml"
 * only when the server has no unique ids), each complete or absent (see
 * PopStoreMessage). lpMessages
 * lists the numbers (NULL with nMessages 0: every message not marked
 * deleted). The commands
 * are pipelined when the server advertises PIPELINING (see PopConfig).
 * *lpnStored (optional) counts the files written, also on failure.
 */
INETKIT_API DWORD INETKIT_CALL PopStoreMessages(HCLIENT hClient, const DWORD *lpMessages, DWORD nMessages,
                                                LPCSTR lpszDirectory, LPDWORD lpnStored) INETKIT_NOEXCEPT;

/**
 * PopStoreNewMessages - the new-mail helper. lpszSeenFile holds the unique
 * ids already fetched, one per line (created if missing). Every message
 * whose id is not in it is stored into lpszDirectory as PopStoreMessages
 * does, and its id is appended to the file only after the message file is
 * complete on disk, so a crash or a dropped connection loses nothing and
 * stores nothing twice. *lpnStored (optional) counts the new messages stored.
 */
INETKIT_API DWORD INETKIT_CALL PopStoreNewMessages(HCLIENT hClient, LPCSTR lpszSeenFile, LPCSTR lpszDirectory,
                                                   LPDWORD lpnStored) INETKIT_NOEXCEPT;

/* ---- Changes ---------------------------------------------------------------- */

/** PopDeleteMessage - DELE n. The message goes when QUIT is answered +OK. */
INETKIT_API DWORD INETKIT_CALL PopDeleteMessage(HCLIENT hClient, DWORD dwMessage) INETKIT_NOEXCEPT;
/** PopDeleteMessages - DELE for each listed number (pipelined when possible);
   *lpnDeleted (optional) counts those the server accepted. */
INETKIT_API DWORD INETKIT_CALL PopDeleteMessages(HCLIENT hClient, const DWORD *lpMessages, DWORD nMessages,
                                                 LPDWORD lpnDeleted) INETKIT_NOEXCEPT;
/** PopReset - RSET: unmark every deletion. */
INETKIT_API DWORD INETKIT_CALL PopReset(HCLIENT hClient) INETKIT_NOEXCEPT;
/** PopNoop - NOOP (keeps the session alive). */
INETKIT_API DWORD INETKIT_CALL PopNoop(HCLIENT hClient) INETKIT_NOEXCEPT;
/** PopEnableUtf8 - UTF8 (RFC 6856): user names, passwords and replies in UTF-8. */
INETKIT_API DWORD INETKIT_CALL PopEnableUtf8(HCLIENT hClient) INETKIT_NOEXCEPT;

/**
 * PopCommand - send lpszCommand (no CR or LF in it) and read the reply; with
 * bMultiline the reply's data lines too (dot-unstuffed, CR LF after each),
 * into lpBuffer with the size-query idiom over bytes (NULL/0 to drop them).
 * Commands that change the session's state (USER, PASS, AUTH, APOP, STLS,
 * QUIT, UTF8) are refused with INVALID_PARAMETER: use their functions.
 */
INETKIT_API DWORD INETKIT_CALL PopCommand(HCLIENT hClient, LPCSTR lpszCommand, BOOL bMultiline, LPVOID lpBuffer,
                                          LPDWORD lpcbBuffer) INETKIT_NOEXCEPT;

/* ---- Settings, progress, trace --------------------------------------------------- */

/**
 * PopConfig - set one rarely used setting, as "Name=Value":
 *
 *     Pipelining=auto|on|off   (auto: when CAPA lists PIPELINING)
 *     Timeout=<ms>             inactivity limit of each call
 *     Deadline=<ms>            whole-call limit (0 = none)
 *     MaxLineLength=<bytes>    longest status line accepted (default 8192)
 *     MaxMemoryMessage=<bytes> largest message PopGetMessage will hold (default 64 MiB)
 *     TraceFile=<path>         append the redacted protocol trace to a file ("" stops)
 *
 * Returns: 0, INETKIT_ERROR_INVALID_PARAMETER (unknown name or bad value).
 */
INETKIT_API DWORD INETKIT_CALL PopConfig(HCLIENT hClient, LPCSTR lpszSetting) INETKIT_NOEXCEPT;

/** PopSetProgressCallback - NULL removes it. */
INETKIT_API DWORD INETKIT_CALL PopSetProgressCallback(HCLIENT hClient, POPPROGRESSPROC lpfnProgress,
                                                      LPVOID lpParam) INETKIT_NOEXCEPT;
/** PopSetTraceCallback - NULL removes it. Passwords, tokens and SASL data are never traced. */
INETKIT_API DWORD INETKIT_CALL PopSetTraceCallback(HCLIENT hClient, POPTRACEPROC lpfnTrace,
                                                   LPVOID lpParam) INETKIT_NOEXCEPT;

INETKIT_END_DECLS

#endif /* INETKIT_POP_H */
