"""inetkit: Python binding of the inetkit C library (ctypes).

Quick start::

    import inetkit

    with inetkit.Connection.connect("127.0.0.1", 8080, timeout=5) as conn:
        conn.write_line("HELLO")
        print(conn.read_line())

TLS::

    creds = inetkit.Credentials(ca_file="ca.pem")
    with inetkit.Connection.connect("localhost", 8443, timeout=5, secure=True,
                                    credentials=creds) as conn:
        print(conn.security.protocol_name, conn.peer_certificate().subject)

POP3::

    with inetkit.PopClient.connect("pop.example.org", secure="explicit", timeout=10) as pop:
        pop.login("alice", password)
        for info in pop:
            print(info.number, info.uid, len(pop.retrieve(info.number)))

MX (where mail for an address goes)::

    with inetkit.MxResolver("127.0.0.1:5300", timeout=10) as mx:
        for record in mx.resolve("bob@example.org"):
            print(record.preference, record.mail_server)
        results = mx.resolve_many(domains, window=256)   # {domain: MxResult}

Every failure raises :class:`InetError` (or a subclass) carrying the
library's :class:`ErrorCode` and message; TLS failures raise
:class:`SecurityError` subclasses (certificate problems:
:class:`CertificateError`), POP3 session failures :class:`PopError`
subclasses, MX lookups :class:`HostNotFoundError`, :class:`NullMxError` and
the other :class:`MxError` subclasses. The shared library is found through
``INETKIT_LIBRARY``, next to this package, in the source tree's ``build/``,
or on the system, and is loaded on first use, not on import.
"""

from .errors import (
    AuthenticationError,
    AuthUnavailableError,
    BusyError,
    CanceledError,
    CertificateChainTooLongError,
    CertificateError,
    CertificateExpiredError,
    CertificateInvalidError,
    CertificateLoadError,
    CertificateNameMismatchError,
    CertificateNotYetValidError,
    CertificateRequiredError,
    CertificateRevokedError,
    CertificateUntrustedError,
    ConnectionClosedError,
    CredentialsError,
    DnsBadNameError,
    DnsBadResponseError,
    ErrorCode,
    HandshakeError,
    HostNotFoundError,
    InetConnectionAbortedError,
    InetConnectionError,
    InetConnectionRefusedError,
    InetConnectionResetError,
    InetError,
    InetTimeoutError,
    InvalidHandleError,
    InvalidParameterError,
    InvalidStateError,
    LineTooLongError,
    LoginDelayError,
    MailboxInUseError,
    MessageIncompleteError,
    MxError,
    NoDnsServerError,
    NotFoundError,
    NotInitializedError,
    NullMxError,
    PlaintextInjectionError,
    PopError,
    ProtocolError,
    PublicKeyMismatchError,
    ReentrantCallError,
    ResponseTooLargeError,
    SecurityError,
    SecurityNotEstablishedError,
    ServerError,
    ServerPermanentError,
    ServerTemporaryError,
    TlsRequiredError,
    WrongThreadError,
    error_string,
    last_error_code,
    last_error_message,
)
from .inet import (
    Connection,
    Listener,
    Shutdown,
    TraceDirection,
    library_info,
    version,
    version_number,
)
from .mx import (
    MxAddress,
    MxRecord,
    MxRecordFlags,
    MxResolver,
    MxResult,
    MxResultFlags,
    MxStatus,
)
from .pop import (
    MailboxStat,
    MessageInfo,
    MessageStream,
    PopAuth,
    PopClient,
    PopTraceDirection,
    Reply,
)
from .tls import (
    Certificate,
    Credentials,
    Protocol,
    SecurityField,
    SecurityInfo,
    VerifyError,
    VerifyMode,
)
from ._native import LibraryNotFoundError, library_path

__version__ = "1.0.0"

__all__ = [
    "AuthUnavailableError",
    "AuthenticationError",
    "BusyError",
    "CanceledError",
    "Certificate",
    "CertificateChainTooLongError",
    "CertificateError",
    "CertificateExpiredError",
    "CertificateInvalidError",
    "CertificateLoadError",
    "CertificateNameMismatchError",
    "CertificateNotYetValidError",
    "CertificateRequiredError",
    "CertificateRevokedError",
    "CertificateUntrustedError",
    "Connection",
    "ConnectionClosedError",
    "Credentials",
    "CredentialsError",
    "DnsBadNameError",
    "DnsBadResponseError",
    "ErrorCode",
    "HandshakeError",
    "HostNotFoundError",
    "InetConnectionAbortedError",
    "InetConnectionError",
    "InetConnectionRefusedError",
    "InetConnectionResetError",
    "InetError",
    "InetTimeoutError",
    "InvalidHandleError",
    "InvalidParameterError",
    "InvalidStateError",
    "LibraryNotFoundError",
    "LineTooLongError",
    "Listener",
    "LoginDelayError",
    "MailboxInUseError",
    "MailboxStat",
    "MessageIncompleteError",
    "MessageInfo",
    "MessageStream",
    "MxAddress",
    "MxError",
    "MxRecord",
    "MxRecordFlags",
    "MxResolver",
    "MxResult",
    "MxResultFlags",
    "MxStatus",
    "NoDnsServerError",
    "NotFoundError",
    "NotInitializedError",
    "NullMxError",
    "PlaintextInjectionError",
    "PopAuth",
    "PopClient",
    "PopError",
    "PopTraceDirection",
    "Protocol",
    "ProtocolError",
    "PublicKeyMismatchError",
    "ReentrantCallError",
    "Reply",
    "ResponseTooLargeError",
    "SecurityError",
    "SecurityField",
    "SecurityInfo",
    "SecurityNotEstablishedError",
    "ServerError",
    "ServerPermanentError",
    "ServerTemporaryError",
    "Shutdown",
    "TlsRequiredError",
    "TraceDirection",
    "VerifyError",
    "VerifyMode",
    "WrongThreadError",
    "error_string",
    "last_error_code",
    "last_error_message",
    "library_info",
    "library_path",
    "version",
    "version_number",
]
