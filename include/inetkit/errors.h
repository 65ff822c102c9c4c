/**
 * @file
 * inetkit/errors.h - the error catalogue.
 *
 * This table is the single source of every inetkit error code: the
 * INETKIT_ERROR_* constants below, the static text that InetGetErrorString
 * returns, and the constants in the Python and .NET bindings are all made
 * from it (a test checks the bindings against it).
 *
 * Rules: the table is append-only. A code is never renumbered, reused or
 * removed; a retired code stays as INETKIT_ERROR_OBSOLETE<number>.
 *
 * Numbering follows the conventions that callers of Win32 internet toolkits
 * already handle:
 *   0-199        Win32 system error numbers for generic failures
 *   270-284      security (TLS) errors
 *   290          no DNS server specified
 *   530          busy performing the current action
 *   600-699      inetkit's own API and stream errors
 *   700-799      POP3 session errors
 *   800-899      DNS and MX errors beyond the Winsock ones
 *   10004-10101  Winsock numbers, used on every platform and mapped from errno
 *   11001-11004  name resolution errors (Winsock numbering)
 */
#ifndef INETKIT_ERRORS_H
#define INETKIT_ERRORS_H

/** X(NAME, number, "static description") */
#define INETKIT_ERROR_TABLE(X) \
    X(NONE,                        0, "The operation completed successfully") \
    X(INVALID_HANDLE,              6, "The handle is invalid") \
    X(NOT_ENOUGH_MEMORY,           8, "Not enough memory to complete the operation") \
    X(NOT_SUPPORTED,              50, "The request is not supported") \
    X(INVALID_PARAMETER,          87, "A parameter is invalid") \
    X(INSUFFICIENT_BUFFER,       122, "The buffer is too small for the result") \
    X(SECURITY_LIBRARY,          270, "Unable to load the security library") \
    X(SECURITY_CONTEXT,          271, "Unable to create the security context") \
    X(SECURITY_CREDENTIALS,      272, "The security credentials are invalid or unusable") \
    X(CERTIFICATE_LOAD,          273, "Unable to load the certificate or private key") \
    X(SECURITY_HANDSHAKE,        274, "The security handshake failed") \
    X(CERTIFICATE_UNTRUSTED,     275, "The certificate is not trusted") \
    X(CERTIFICATE_EXPIRED,       276, "The certificate has expired") \
    X(CERTIFICATE_NAME_MISMATCH, 277, "The certificate does not match the host name") \
    X(CERTIFICATE_REVOKED,       278, "The certificate has been revoked") \
    X(CERTIFICATE_INVALID,       279, "The certificate is invalid or malformed") \
    X(SECURITY_PROTOCOL,         280, "No mutually supported security protocol version") \
    X(SECURITY_CIPHER,           281, "No mutually supported cipher suite") \
    X(SECURITY_NOT_ESTABLISHED,  282, "A secure session has not been established") \
    X(ENCRYPTING_DATA,           283, "Error encrypting data") \
    X(DECRYPTING_DATA,           284, "Error decrypting data") \
    X(NO_DNS_SERVER,             290, "No DNS server specified") \
    X(BUSY,                      530, "Busy performing the current action") \
    X(WRONG_THREAD,              600, "The handle is not owned by the current thread") \
    X(REENTRANT_CALL,            601, "The function cannot be called from a callback of the same handle") \
    X(CANCELED,                  602, "The blocking operation was canceled") \
    X(INTERNAL,                  603, "Internal library error") \
    X(LINE_TOO_LONG,             604, "The line is longer than the buffer allows") \
    X(CONNECTION_CLOSED,         605, "The connection was closed by the remote host") \
    X(TOO_MANY_HANDLES,          606, "Too many handles are open") \
    X(SYSTEM,                    607, "Unexpected operating system error") \
    X(PLAINTEXT_INJECTION,       608, "Plaintext data arrived before the security handshake (possible injection)") \
    X(CERTIFICATE_NOT_YET_VALID, 609, "The certificate is not yet valid") \
    X(CERTIFICATE_CHAIN_TOO_LONG, 610, "The certificate chain is longer than the verify depth allows") \
    X(PUBLIC_KEY_MISMATCH,       611, "The peer's public key does not match the pinned key") \
    X(CERTIFICATE_REQUIRED,      612, "The peer requires a certificate that was not provided") \
    X(NOT_FOUND,                 613, "The requested item does not exist") \
    X(INVALID_STATE,             614, "The function is not valid in the current state of the session") \
    X(CALLBACK_FAILED,           615, "A callback raised an exception; the operation was stopped") \
    X(SERVER_ERROR,              700, "The server refused the command") \
    X(PROTOCOL,                  701, "The server's reply does not follow the protocol") \
    X(AUTH_FAILED,               702, "Authentication failed") \
    X(MAILBOX_IN_USE,            703, "The mailbox is in use by another session") \
    X(LOGIN_DELAY,               704, "The server requires a longer delay between logins") \
    X(SERVER_TEMPORARY,          705, "The server reports a temporary problem; try again later") \
    X(SERVER_PERMANENT,          706, "The server reports a permanent problem") \
    X(TLS_REQUIRED,              707, "The server does not offer STLS; the session will not continue in plaintext") \
    X(AUTH_UNAVAILABLE,          708, "No acceptable authentication mechanism is available") \
    X(AUTH_SERVER_UNVERIFIED,    709, "The server failed to prove it knows the password (SCRAM signature)") \
    X(RESPONSE_TOO_LARGE,        710, "The server's reply is larger than allowed") \
    X(MESSAGE_INCOMPLETE,        711, "The message was not received completely") \
    X(NULL_MX,                   800, "The domain accepts no mail (null MX, RFC 7505)") \
    X(DNS_BAD_RESPONSE,          801, "The DNS server's answer is malformed") \
    X(DNS_BAD_NAME,              802, "No mail exchanger in the answer has a valid host name") \
    X(INTERRUPTED,             10004, "A blocking operation was interrupted") \
    X(ACCESS_DENIED,           10013, "Permission denied") \
    X(BAD_ADDRESS,             10014, "Bad address") \
    X(INVALID_ARGUMENT,        10022, "Invalid argument supplied to the socket layer") \
    X(TOO_MANY_SOCKETS,        10024, "Too many open sockets") \
    X(WOULD_BLOCK,             10035, "The operation would block") \
    X(IN_PROGRESS,             10036, "An operation is already in progress") \
    X(MESSAGE_TOO_LONG,        10040, "Message too long") \
    X(PROTOCOL_NOT_SUPPORTED,  10043, "Protocol not supported") \
    X(FAMILY_NOT_SUPPORTED,    10047, "Address family not supported") \
    X(ADDRESS_IN_USE,          10048, "Address already in use") \
    X(ADDRESS_NOT_AVAILABLE,   10049, "Cannot assign the requested address") \
    X(NETWORK_DOWN,            10050, "The network is down") \
    X(NETWORK_UNREACHABLE,     10051, "The network is unreachable") \
    X(NETWORK_RESET,           10052, "The network dropped the connection on reset") \
    X(CONNECTION_ABORTED,      10053, "The connection was aborted") \
    X(CONNECTION_RESET,        10054, "The connection was reset by the remote host") \
    X(NO_BUFFER_SPACE,         10055, "No buffer space available") \
    X(ALREADY_CONNECTED,       10056, "The socket is already connected") \
    X(NOT_CONNECTED,           10057, "The socket is not connected") \
    X(SHUTDOWN,                10058, "Cannot send after the socket was shut down") \
    X(TIMED_OUT,               10060, "The operation timed out") \
    X(CONNECTION_REFUSED,      10061, "The connection was refused") \
    X(HOST_DOWN,               10064, "The remote host is down") \
    X(HOST_UNREACHABLE,        10065, "No route to the remote host") \
    X(NOT_INITIALIZED,         10093, "The library has not been initialized for this family") \
    X(HOST_NOT_FOUND,          11001, "Host not found") \
    X(TRY_AGAIN,               11002, "Host not found, or server failure; try again") \
    X(NO_RECOVERY,             11003, "A non-recoverable name resolution error occurred") \
    X(NO_DATA,                 11004, "The name is valid but has no data of the requested type")

#define INETKIT_ERROR_ENUMERATOR_(name, number, text) INETKIT_ERROR_##name = number,
/** The constants: INETKIT_ERROR_NONE = 0, INETKIT_ERROR_TIMED_OUT = 10060, ... */
enum INETKIT_ERROR_CODE {
    INETKIT_ERROR_TABLE(INETKIT_ERROR_ENUMERATOR_)
    INETKIT_ERROR_LAST_ = 0x7fffffff /**< keeps the enum 32 bits wide; not a code */
};
#undef INETKIT_ERROR_ENUMERATOR_

#endif /* INETKIT_ERRORS_H */
