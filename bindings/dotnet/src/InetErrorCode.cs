// InetErrorCode.cs - the error catalogue of include/inetkit/errors.h.
//
// Made mechanically from INETKIT_ERROR_TABLE: one member per X(NAME, number,
// text) entry, NAME in PascalCase (TIMED_OUT -> TimedOut), same number, the
// static text as the summary. The table is append-only; so is this enum.
// The tests check it against the header and against the library.
namespace Inetkit
{
    /// <summary>An inetkit error code (INETKIT_ERROR_*).</summary>
    public enum InetErrorCode : uint
    {
        /// <summary>The operation completed successfully (INETKIT_ERROR_NONE).</summary>
        None = 0,
        /// <summary>The handle is invalid (INETKIT_ERROR_INVALID_HANDLE).</summary>
        InvalidHandle = 6,
        /// <summary>Not enough memory to complete the operation (INETKIT_ERROR_NOT_ENOUGH_MEMORY).</summary>
        NotEnoughMemory = 8,
        /// <summary>The request is not supported (INETKIT_ERROR_NOT_SUPPORTED).</summary>
        NotSupported = 50,
        /// <summary>A parameter is invalid (INETKIT_ERROR_INVALID_PARAMETER).</summary>
        InvalidParameter = 87,
        /// <summary>The buffer is too small for the result (INETKIT_ERROR_INSUFFICIENT_BUFFER).</summary>
        InsufficientBuffer = 122,
        /// <summary>Unable to load the security library (INETKIT_ERROR_SECURITY_LIBRARY).</summary>
        SecurityLibrary = 270,
        /// <summary>Unable to create the security context (INETKIT_ERROR_SECURITY_CONTEXT).</summary>
        SecurityContext = 271,
        /// <summary>The security credentials are invalid or unusable (INETKIT_ERROR_SECURITY_CREDENTIALS).</summary>
        SecurityCredentials = 272,
        /// <summary>Unable to load the certificate or private key (INETKIT_ERROR_CERTIFICATE_LOAD).</summary>
        CertificateLoad = 273,
        /// <summary>The security handshake failed (INETKIT_ERROR_SECURITY_HANDSHAKE).</summary>
        SecurityHandshake = 274,
        /// <summary>The certificate is not trusted (INETKIT_ERROR_CERTIFICATE_UNTRUSTED).</summary>
        CertificateUntrusted = 275,
        /// <summary>The certificate has expired (INETKIT_ERROR_CERTIFICATE_EXPIRED).</summary>
        CertificateExpired = 276,
        /// <summary>The certificate does not match the host name (INETKIT_ERROR_CERTIFICATE_NAME_MISMATCH).</summary>
        CertificateNameMismatch = 277,
        /// <summary>The certificate has been revoked (INETKIT_ERROR_CERTIFICATE_REVOKED).</summary>
        CertificateRevoked = 278,
        /// <summary>The certificate is invalid or malformed (INETKIT_ERROR_CERTIFICATE_INVALID).</summary>
        CertificateInvalid = 279,
        /// <summary>No mutually supported security protocol version (INETKIT_ERROR_SECURITY_PROTOCOL).</summary>
        SecurityProtocol = 280,
        /// <summary>No mutually supported cipher suite (INETKIT_ERROR_SECURITY_CIPHER).</summary>
        SecurityCipher = 281,
        /// <summary>A secure session has not been established (INETKIT_ERROR_SECURITY_NOT_ESTABLISHED).</summary>
        SecurityNotEstablished = 282,
        /// <summary>Error encrypting data (INETKIT_ERROR_ENCRYPTING_DATA).</summary>
        EncryptingData = 283,
        /// <summary>Error decrypting data (INETKIT_ERROR_DECRYPTING_DATA).</summary>
        DecryptingData = 284,
        /// <summary>No DNS server specified (INETKIT_ERROR_NO_DNS_SERVER).</summary>
        NoDnsServer = 290,
        /// <summary>Busy performing the current action (INETKIT_ERROR_BUSY).</summary>
        Busy = 530,
        /// <summary>The handle is not owned by the current thread (INETKIT_ERROR_WRONG_THREAD).</summary>
        WrongThread = 600,
        /// <summary>The function cannot be called from a callback of the same handle (INETKIT_ERROR_REENTRANT_CALL).</summary>
        ReentrantCall = 601,
        /// <summary>The blocking operation was canceled (INETKIT_ERROR_CANCELED).</summary>
        Canceled = 602,
        /// <summary>Internal library error (INETKIT_ERROR_INTERNAL).</summary>
        Internal = 603,
        /// <summary>The line is longer than the buffer allows (INETKIT_ERROR_LINE_TOO_LONG).</summary>
        LineTooLong = 604,
        /// <summary>The connection was closed by the remote host (INETKIT_ERROR_CONNECTION_CLOSED).</summary>
        ConnectionClosed = 605,
        /// <summary>Too many handles are open (INETKIT_ERROR_TOO_MANY_HANDLES).</summary>
        TooManyHandles = 606,
        /// <summary>Unexpected operating system error (INETKIT_ERROR_SYSTEM).</summary>
        System = 607,
        /// <summary>Plaintext data arrived before the security handshake (possible injection) (INETKIT_ERROR_PLAINTEXT_INJECTION).</summary>
        PlaintextInjection = 608,
        /// <summary>The certificate is not yet valid (INETKIT_ERROR_CERTIFICATE_NOT_YET_VALID).</summary>
        CertificateNotYetValid = 609,
        /// <summary>The certificate chain is longer than the verify depth allows (INETKIT_ERROR_CERTIFICATE_CHAIN_TOO_LONG).</summary>
        CertificateChainTooLong = 610,
        /// <summary>The peer's public key does not match the pinned key (INETKIT_ERROR_PUBLIC_KEY_MISMATCH).</summary>
        PublicKeyMismatch = 611,
        /// <summary>The peer requires a certificate that was not provided (INETKIT_ERROR_CERTIFICATE_REQUIRED).</summary>
        CertificateRequired = 612,
        /// <summary>The requested item does not exist (INETKIT_ERROR_NOT_FOUND).</summary>
        NotFound = 613,
        /// <summary>The function is not valid in the current state of the session (INETKIT_ERROR_INVALID_STATE).</summary>
        InvalidState = 614,
        /// <summary>A callback raised an exception; the operation was stopped (INETKIT_ERROR_CALLBACK_FAILED).</summary>
        CallbackFailed = 615,
        /// <summary>The server refused the command (INETKIT_ERROR_SERVER_ERROR).</summary>
        ServerError = 700,
        /// <summary>The server's reply does not follow the protocol (INETKIT_ERROR_PROTOCOL).</summary>
        Protocol = 701,
        /// <summary>Authentication failed (INETKIT_ERROR_AUTH_FAILED).</summary>
        AuthFailed = 702,
        /// <summary>The mailbox is in use by another session (INETKIT_ERROR_MAILBOX_IN_USE).</summary>
        MailboxInUse = 703,
        /// <summary>The server requires a longer delay between logins (INETKIT_ERROR_LOGIN_DELAY).</summary>
        LoginDelay = 704,
        /// <summary>The server reports a temporary problem; try again later (INETKIT_ERROR_SERVER_TEMPORARY).</summary>
        ServerTemporary = 705,
        /// <summary>The server reports a permanent problem (INETKIT_ERROR_SERVER_PERMANENT).</summary>
        ServerPermanent = 706,
        /// <summary>The server does not offer STLS; the session will not continue in plaintext (INETKIT_ERROR_TLS_REQUIRED).</summary>
        TlsRequired = 707,
        /// <summary>No acceptable authentication mechanism is available (INETKIT_ERROR_AUTH_UNAVAILABLE).</summary>
        AuthUnavailable = 708,
        /// <summary>The server failed to prove it knows the password (SCRAM signature) (INETKIT_ERROR_AUTH_SERVER_UNVERIFIED).</summary>
        AuthServerUnverified = 709,
        /// <summary>The server's reply is larger than allowed (INETKIT_ERROR_RESPONSE_TOO_LARGE).</summary>
        ResponseTooLarge = 710,
        /// <summary>The message was not received completely (INETKIT_ERROR_MESSAGE_INCOMPLETE).</summary>
        MessageIncomplete = 711,
        /// <summary>The domain accepts no mail (null MX, RFC 7505) (INETKIT_ERROR_NULL_MX).</summary>
        NullMx = 800,
        /// <summary>The DNS server's answer is malformed (INETKIT_ERROR_DNS_BAD_RESPONSE).</summary>
        DnsBadResponse = 801,
        /// <summary>No mail exchanger in the answer has a valid host name (INETKIT_ERROR_DNS_BAD_NAME).</summary>
        DnsBadName = 802,
        /// <summary>A blocking operation was interrupted (INETKIT_ERROR_INTERRUPTED).</summary>
        Interrupted = 10004,
        /// <summary>Permission denied (INETKIT_ERROR_ACCESS_DENIED).</summary>
        AccessDenied = 10013,
        /// <summary>Bad address (INETKIT_ERROR_BAD_ADDRESS).</summary>
        BadAddress = 10014,
        /// <summary>Invalid argument supplied to the socket layer (INETKIT_ERROR_INVALID_ARGUMENT).</summary>
        InvalidArgument = 10022,
        /// <summary>Too many open sockets (INETKIT_ERROR_TOO_MANY_SOCKETS).</summary>
        TooManySockets = 10024,
        /// <summary>The operation would block (INETKIT_ERROR_WOULD_BLOCK).</summary>
        WouldBlock = 10035,
        /// <summary>An operation is already in progress (INETKIT_ERROR_IN_PROGRESS).</summary>
        InProgress = 10036,
        /// <summary>Message too long (INETKIT_ERROR_MESSAGE_TOO_LONG).</summary>
        MessageTooLong = 10040,
        /// <summary>Protocol not supported (INETKIT_ERROR_PROTOCOL_NOT_SUPPORTED).</summary>
        ProtocolNotSupported = 10043,
        /// <summary>Address family not supported (INETKIT_ERROR_FAMILY_NOT_SUPPORTED).</summary>
        FamilyNotSupported = 10047,
        /// <summary>Address already in use (INETKIT_ERROR_ADDRESS_IN_USE).</summary>
        AddressInUse = 10048,
        /// <summary>Cannot assign the requested address (INETKIT_ERROR_ADDRESS_NOT_AVAILABLE).</summary>
        AddressNotAvailable = 10049,
        /// <summary>The network is down (INETKIT_ERROR_NETWORK_DOWN).</summary>
        NetworkDown = 10050,
        /// <summary>The network is unreachable (INETKIT_ERROR_NETWORK_UNREACHABLE).</summary>
        NetworkUnreachable = 10051,
        /// <summary>The network dropped the connection on reset (INETKIT_ERROR_NETWORK_RESET).</summary>
        NetworkReset = 10052,
        /// <summary>The connection was aborted (INETKIT_ERROR_CONNECTION_ABORTED).</summary>
        ConnectionAborted = 10053,
        /// <summary>The connection was reset by the remote host (INETKIT_ERROR_CONNECTION_RESET).</summary>
        ConnectionReset = 10054,
        /// <summary>No buffer space available (INETKIT_ERROR_NO_BUFFER_SPACE).</summary>
        NoBufferSpace = 10055,
        /// <summary>The socket is already connected (INETKIT_ERROR_ALREADY_CONNECTED).</summary>
        AlreadyConnected = 10056,
        /// <summary>The socket is not connected (INETKIT_ERROR_NOT_CONNECTED).</summary>
        NotConnected = 10057,
        /// <summary>Cannot send after the socket was shut down (INETKIT_ERROR_SHUTDOWN).</summary>
        Shutdown = 10058,
        /// <summary>The operation timed out (INETKIT_ERROR_TIMED_OUT).</summary>
        TimedOut = 10060,
        /// <summary>The connection was refused (INETKIT_ERROR_CONNECTION_REFUSED).</summary>
        ConnectionRefused = 10061,
        /// <summary>The remote host is down (INETKIT_ERROR_HOST_DOWN).</summary>
        HostDown = 10064,
        /// <summary>No route to the remote host (INETKIT_ERROR_HOST_UNREACHABLE).</summary>
        HostUnreachable = 10065,
        /// <summary>The library has not been initialized for this family (INETKIT_ERROR_NOT_INITIALIZED).</summary>
        NotInitialized = 10093,
        /// <summary>Host not found (INETKIT_ERROR_HOST_NOT_FOUND).</summary>
        HostNotFound = 11001,
        /// <summary>Host not found, or server failure; try again (INETKIT_ERROR_TRY_AGAIN).</summary>
        TryAgain = 11002,
        /// <summary>A non-recoverable name resolution error occurred (INETKIT_ERROR_NO_RECOVERY).</summary>
        NoRecovery = 11003,
        /// <summary>The name is valid but has no data of the requested type (INETKIT_ERROR_NO_DATA).</summary>
        NoData = 11004,
    }
}
