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

Every failure raises :class:`InetError` (or a subclass) carrying the
library's :class:`ErrorCode` and message; TLS failures raise
:class:`SecurityError` subclasses (certificate problems:
:class:`CertificateError`). The shared library is found through
``INETKIT_LIBRARY``, next to this package, in the source tree's ``build/``,
or on the system, and is loaded on first use, not on import.
"""

from .errors import (
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
    LineTooLongError,
    NotInitializedError,
    PlaintextInjectionError,
    PublicKeyMismatchError,
    ReentrantCallError,
    SecurityError,
    SecurityNotEstablishedError,
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
    "LibraryNotFoundError",
    "LineTooLongError",
    "Listener",
    "NotInitializedError",
    "PlaintextInjectionError",
    "Protocol",
    "PublicKeyMismatchError",
    "ReentrantCallError",
    "SecurityError",
    "SecurityField",
    "SecurityInfo",
    "SecurityNotEstablishedError",
    "Shutdown",
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
