"""inetkit error codes and the exceptions that carry them.

:class:`ErrorCode` mirrors ``INETKIT_ERROR_TABLE`` in
``include/inetkit/errors.h`` name for name and number for number
(``tests/abi/check_bindings.py`` checks it). Every failure of the library
surfaces as an :class:`InetError`, or one of its subclasses, that carries the
code and the message the library stored for the failing call.

Several subclasses also derive from the matching builtin exception, so
ordinary Python handlers work::

    try:
        conn = Connection.connect("127.0.0.1", port, timeout=5)
    except ConnectionRefusedError:      # InetConnectionRefusedError
        ...
    except TimeoutError:                # InetTimeoutError
        ...

TLS failures derive from :class:`SecurityError`, which is also an
:class:`ssl.SSLError`; certificate verification failures derive from
:class:`CertificateError`, which is also an
:class:`ssl.SSLCertVerificationError` (and so ``ssl.CertificateError``)::

    try:
        conn = Connection.connect("example.org", 443, secure=True)
    except CertificateError as exc:     # untrusted, expired, wrong name, ...
        print(exc.code.name, exc.message)

POP3 session failures (codes 700-711) derive from :class:`PopError`: a
``-ERR`` reply raises :class:`ServerError` (or the subclass its response
code names: :class:`MailboxInUseError`, :class:`LoginDelayError`, ...), a
refused login :class:`AuthenticationError`, a message cut short
:class:`MessageIncompleteError` (also a :class:`ConnectionError`)::

    try:
        client.login("alice", password)
    except AuthenticationError:         # wrong password, or the server failed SCRAM's proof
        ...
    except MailboxInUseError:           # -ERR [IN-USE]
        ...

MX lookups (:class:`~inetkit.MxResolver`) raise :class:`HostNotFoundError`
for the name-resolution codes (11001 NXDOMAIN, 11002 try again, 11003 no
recovery, 11004 no data), :class:`NullMxError` (an :class:`MxError`) for a
domain that accepts no mail, and :class:`NoDnsServerError` when there is no
server to ask::

    try:
        records = resolver.resolve("bob@example.org")
    except NullMxError:                 # "0 ." (RFC 7505): bounce, do not retry
        ...
    except HostNotFoundError as exc:    # exc.code tells NXDOMAIN from TRY_AGAIN
        ...

:class:`NotFoundError` (an unknown unique id, capability or directory) is
also a :class:`LookupError`; :class:`InvalidStateError` says the call does
not fit the session's state (not logged in yet, a message stream is open).
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type, Union

try:  # the builtin TLS exceptions, so that ``except ssl.SSLError`` works too
    import ssl as _ssl
    _SSL_ERROR: Type[BaseException] = _ssl.SSLError
    _SSL_CERT_ERROR: Type[BaseException] = _ssl.SSLCertVerificationError
except ImportError:  # a Python built without ssl
    _SSL_ERROR = OSError
    _SSL_CERT_ERROR = ValueError

from . import _native

__all__ = [
    "ErrorCode",
    "InetError",
    "InvalidHandleError",
    "InvalidParameterError",
    "WrongThreadError",
    "ReentrantCallError",
    "CanceledError",
    "LineTooLongError",
    "BusyError",
    "NotInitializedError",
    "InetTimeoutError",
    "InetConnectionError",
    "InetConnectionRefusedError",
    "InetConnectionResetError",
    "InetConnectionAbortedError",
    "ConnectionClosedError",
    "HostNotFoundError",
    "SecurityError",
    "CredentialsError",
    "CertificateLoadError",
    "HandshakeError",
    "CertificateRequiredError",
    "SecurityNotEstablishedError",
    "PlaintextInjectionError",
    "CertificateError",
    "CertificateUntrustedError",
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificateNameMismatchError",
    "CertificateRevokedError",
    "CertificateInvalidError",
    "CertificateChainTooLongError",
    "PublicKeyMismatchError",
    "NotFoundError",
    "InvalidStateError",
    "PopError",
    "ServerError",
    "ProtocolError",
    "AuthenticationError",
    "AuthUnavailableError",
    "MailboxInUseError",
    "LoginDelayError",
    "ServerTemporaryError",
    "ServerPermanentError",
    "TlsRequiredError",
    "ResponseTooLargeError",
    "MessageIncompleteError",
    "NoDnsServerError",
    "MxError",
    "NullMxError",
    "DnsBadResponseError",
    "DnsBadNameError",
    "check",
    "exception_class",
    "error_from_last_call",
    "error_string",
    "last_error_code",
    "last_error_message",
]


class ErrorCode(enum.IntEnum):
    """The inetkit error codes (``INETKIT_ERROR_<NAME>`` in errors.h)."""

    NONE = 0
    INVALID_HANDLE = 6
    NOT_ENOUGH_MEMORY = 8
    NOT_SUPPORTED = 50
    INVALID_PARAMETER = 87
    INSUFFICIENT_BUFFER = 122
    SECURITY_LIBRARY = 270
    SECURITY_CONTEXT = 271
    SECURITY_CREDENTIALS = 272
    CERTIFICATE_LOAD = 273
    SECURITY_HANDSHAKE = 274
    CERTIFICATE_UNTRUSTED = 275
    CERTIFICATE_EXPIRED = 276
    CERTIFICATE_NAME_MISMATCH = 277
    CERTIFICATE_REVOKED = 278
    CERTIFICATE_INVALID = 279
    SECURITY_PROTOCOL = 280
    SECURITY_CIPHER = 281
    SECURITY_NOT_ESTABLISHED = 282
    ENCRYPTING_DATA = 283
    DECRYPTING_DATA = 284
    NO_DNS_SERVER = 290
    BUSY = 530
    WRONG_THREAD = 600
    REENTRANT_CALL = 601
    CANCELED = 602
    INTERNAL = 603
    LINE_TOO_LONG = 604
    CONNECTION_CLOSED = 605
    TOO_MANY_HANDLES = 606
    SYSTEM = 607
    PLAINTEXT_INJECTION = 608
    CERTIFICATE_NOT_YET_VALID = 609
    CERTIFICATE_CHAIN_TOO_LONG = 610
    PUBLIC_KEY_MISMATCH = 611
    CERTIFICATE_REQUIRED = 612
    NOT_FOUND = 613
    INVALID_STATE = 614
    CALLBACK_FAILED = 615
    SERVER_ERROR = 700
    PROTOCOL = 701
    AUTH_FAILED = 702
    MAILBOX_IN_USE = 703
    LOGIN_DELAY = 704
    SERVER_TEMPORARY = 705
    SERVER_PERMANENT = 706
    TLS_REQUIRED = 707
    AUTH_UNAVAILABLE = 708
    AUTH_SERVER_UNVERIFIED = 709
    RESPONSE_TOO_LARGE = 710
    MESSAGE_INCOMPLETE = 711
    NULL_MX = 800
    DNS_BAD_RESPONSE = 801
    DNS_BAD_NAME = 802
    INTERRUPTED = 10004
    ACCESS_DENIED = 10013
    BAD_ADDRESS = 10014
    INVALID_ARGUMENT = 10022
    TOO_MANY_SOCKETS = 10024
    WOULD_BLOCK = 10035
    IN_PROGRESS = 10036
    MESSAGE_TOO_LONG = 10040
    PROTOCOL_NOT_SUPPORTED = 10043
    FAMILY_NOT_SUPPORTED = 10047
    ADDRESS_IN_USE = 10048
    ADDRESS_NOT_AVAILABLE = 10049
    NETWORK_DOWN = 10050
    NETWORK_UNREACHABLE = 10051
    NETWORK_RESET = 10052
    CONNECTION_ABORTED = 10053
    CONNECTION_RESET = 10054
    NO_BUFFER_SPACE = 10055
    ALREADY_CONNECTED = 10056
    NOT_CONNECTED = 10057
    SHUTDOWN = 10058
    TIMED_OUT = 10060
    CONNECTION_REFUSED = 10061
    HOST_DOWN = 10064
    HOST_UNREACHABLE = 10065
    NOT_INITIALIZED = 10093
    HOST_NOT_FOUND = 11001
    TRY_AGAIN = 11002
    NO_RECOVERY = 11003
    NO_DATA = 11004


def _as_code(code: int) -> Union[ErrorCode, int]:
    """``ErrorCode(code)``, or the plain int for a code newer than this binding."""
    try:
        return ErrorCode(code)
    except ValueError:
        return int(code)


# ---- Exceptions --------------------------------------------------------------

class InetError(Exception):
    """A failed inetkit call.

    Attributes:
        code: the :class:`ErrorCode` (a plain ``int`` if this binding does
            not know the number).
        message: the library's message for the failing call, read from the
            calling thread's last-error store right after the call.
        bytes_written: for :meth:`Connection.write` failures, how many bytes
            were handed to the network before the failure; otherwise None.
    """

    code: Union[ErrorCode, int]
    message: str
    bytes_written: Optional[int]

    def __init__(self, code: int, message: str = "") -> None:
        self.code = _as_code(code)
        self.message = message
        self.bytes_written = None
        super().__init__(message)

    def __str__(self) -> str:
        name = self.code.name if isinstance(self.code, ErrorCode) else "UNKNOWN"
        text = self.message or "(no message)"
        return f"{text} [inetkit error {int(self.code)} {name}]"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __reduce__(self):  # keeps (code, message) through pickle
        return (_rebuild, (type(self), int(self.code), self.message, self.bytes_written))


def _rebuild(cls: Type[InetError], code: int, message: str,
             bytes_written: Optional[int]) -> InetError:
    error = cls(code, message)
    error.bytes_written = bytes_written
    return error


class InvalidHandleError(InetError):
    """The handle is closed, stale or of the wrong kind (INVALID_HANDLE).

    Also raised by the binding itself, without calling the library, when a
    method is used on a :class:`Connection` or :class:`Listener` that has
    been closed.
    """


class InvalidParameterError(InetError, ValueError):
    """The library refused an argument (INVALID_PARAMETER)."""


class WrongThreadError(InetError):
    """The handle belongs to another thread (WRONG_THREAD).

    The message names both thread ids. Use ``attach_thread`` to hand the
    handle over, or create it with ``freethread=True``.
    """


class ReentrantCallError(InetError):
    """A callback of a handle called back into the same handle (REENTRANT_CALL)."""


class CanceledError(InetError):
    """The blocking call was canceled, or its handle closed meanwhile (CANCELED)."""


class LineTooLongError(InetError):
    """The line does not fit in ``max_length`` bytes; it stays unread (LINE_TOO_LONG)."""


class BusyError(InetError):
    """The handle is in the middle of another call (BUSY)."""


class NotInitializedError(InetError):
    """The Inet family has no InetInitialize reference (NOT_INITIALIZED)."""


class InetTimeoutError(InetError, TimeoutError):
    """A connect, accept, read or write ran out of time (TIMED_OUT)."""


class InetConnectionError(InetError, ConnectionError):
    """Base of the connection failures; also a builtin :class:`ConnectionError`."""


class InetConnectionRefusedError(InetConnectionError, ConnectionRefusedError):
    """Nothing listens at the address (CONNECTION_REFUSED)."""


class InetConnectionResetError(InetConnectionError, ConnectionResetError):
    """The peer reset the connection (CONNECTION_RESET, NETWORK_RESET)."""


class InetConnectionAbortedError(InetConnectionError, ConnectionAbortedError):
    """The connection was aborted locally (CONNECTION_ABORTED)."""


class ConnectionClosedError(InetConnectionError):
    """The peer closed the connection in the middle of a line (CONNECTION_CLOSED)."""


class HostNotFoundError(InetError):
    """Name resolution failed (HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY, NO_DATA)."""


class NotFoundError(InetError, LookupError):
    """The requested item does not exist (NOT_FOUND): no message has that
    unique id, the directory does not exist, ...; also a :class:`LookupError`."""


class InvalidStateError(InetError):
    """The call does not fit the current state of the session (INVALID_STATE):
    not logged in yet, already logged in, a message stream is open, ..."""


# ---- TLS ----------------------------------------------------------------------

class SecurityError(InetError, _SSL_ERROR):  # type: ignore[valid-type,misc]
    """Base of the TLS failures (codes 270-284 and 608-612); also an :class:`ssl.SSLError`.

    Raised as is for SECURITY_LIBRARY, SECURITY_CONTEXT, ENCRYPTING_DATA and
    DECRYPTING_DATA. The message carries OpenSSL's reason. A connection
    whose handshake failed is unusable: close it.
    """


class CredentialsError(SecurityError):
    """The credentials are unusable (SECURITY_CREDENTIALS): the key does not
    match the certificate, a server has no certificate, ..."""


class CertificateLoadError(CredentialsError):
    """A certificate, key or CA source could not be read, or the passphrase
    does not open it (CERTIFICATE_LOAD)."""


class HandshakeError(SecurityError):
    """The TLS handshake failed for another reason than the peer's certificate
    (SECURITY_HANDSHAKE, SECURITY_PROTOCOL, SECURITY_CIPHER)."""


class CertificateRequiredError(HandshakeError):
    """The peer (a server) requires a client certificate that was not
    provided (CERTIFICATE_REQUIRED)."""


class SecurityNotEstablishedError(SecurityError):
    """The call needs a secured connection and this one is plain
    (SECURITY_NOT_ESTABLISHED)."""


class PlaintextInjectionError(SecurityError):
    """Plaintext bytes arrived before the STARTTLS handshake (PLAINTEXT_INJECTION).

    Nothing was sent and the bytes stay readable, but treat the connection
    as compromised (an attacker may have injected them) and close it.
    """


class CertificateError(SecurityError, _SSL_CERT_ERROR):  # type: ignore[valid-type,misc]
    """Base of the peer-certificate verification failures; also an
    :class:`ssl.SSLCertVerificationError` (``ssl.CertificateError``).

    See :attr:`Connection.verify_errors` and ``Credentials(ignore_errors=...)``
    to inspect and accept specific problems.
    """


class CertificateUntrustedError(CertificateError):
    """No trusted CA vouches for the certificate (CERTIFICATE_UNTRUSTED)."""


class CertificateExpiredError(CertificateError):
    """The certificate has expired (CERTIFICATE_EXPIRED)."""


class CertificateNotYetValidError(CertificateError):
    """The certificate is not valid yet (CERTIFICATE_NOT_YET_VALID)."""


class CertificateNameMismatchError(CertificateError):
    """The certificate does not match the host name or address (CERTIFICATE_NAME_MISMATCH)."""


class CertificateRevokedError(CertificateError):
    """The certificate has been revoked (CERTIFICATE_REVOKED)."""


class CertificateInvalidError(CertificateError):
    """The certificate is invalid or malformed (CERTIFICATE_INVALID)."""


class CertificateChainTooLongError(CertificateError):
    """The chain is longer than the verify depth allows (CERTIFICATE_CHAIN_TOO_LONG)."""


class PublicKeyMismatchError(CertificateError):
    """The peer's public key is not one of the pinned keys (PUBLIC_KEY_MISMATCH)."""


# ---- POP3 ------------------------------------------------------------------------

class PopError(InetError):
    """Base of the POP3 session failures (codes 700-711).

    :meth:`PopClient.last_reply <inetkit.PopClient.last_reply>` holds the
    server's status line when the failure came from a reply.
    """


class ServerError(PopError):
    """The server refused the command with ``-ERR`` (SERVER_ERROR); the
    subclasses are the RFC 2449/3206 response codes the reply carried."""


class ProtocolError(PopError):
    """The server's reply does not follow the protocol (PROTOCOL).

    When the reply could not be read to its end, the session is out of step
    and later calls raise ``NOT_CONNECTED``: close the client.
    """


class AuthenticationError(PopError):
    """The login failed (AUTH_FAILED: wrong user name or password, ``-ERR
    [AUTH]``), or the server failed to prove it knows the password during
    SCRAM (AUTH_SERVER_UNVERIFIED; the session is then closed)."""


class AuthUnavailableError(PopError):
    """No acceptable authentication mechanism is available (AUTH_UNAVAILABLE):
    on a plain connection the library picks no mechanism that sends the
    password in the clear unless it is asked for by name."""


class MailboxInUseError(ServerError):
    """Another session holds the mailbox (MAILBOX_IN_USE, ``-ERR [IN-USE]``)."""


class LoginDelayError(ServerError):
    """The server wants a longer delay between logins (LOGIN_DELAY, ``-ERR [LOGIN-DELAY]``)."""


class ServerTemporaryError(ServerError):
    """The server reports a temporary problem; try again later
    (SERVER_TEMPORARY, ``-ERR [SYS/TEMP]``)."""


class ServerPermanentError(ServerError):
    """The server reports a permanent problem (SERVER_PERMANENT, ``-ERR [SYS/PERM]``)."""


class TlsRequiredError(PopError, SecurityError):
    """TLS was asked for and the server does not offer STLS or refused it
    (TLS_REQUIRED); nothing was sent in plaintext. Also a :class:`SecurityError`."""


class ResponseTooLargeError(PopError):
    """The server's reply, or the message, is larger than allowed
    (RESPONSE_TOO_LARGE; see the ``MaxMemoryMessage`` setting)."""


class MessageIncompleteError(PopError, ConnectionError):
    """The connection was lost before the end of the message (MESSAGE_INCOMPLETE);
    nothing was reported complete. Also a :class:`ConnectionError`."""


# ---- DNS and MX ------------------------------------------------------------------

class NoDnsServerError(InetError):
    """No DNS server is set or configured (NO_DNS_SERVER): give one with
    :attr:`MxResolver.dns_server <inetkit.MxResolver.dns_server>`, or fix
    ``/etc/resolv.conf``."""


class MxError(InetError):
    """Base of the DNS and MX failures beyond the name-resolution codes
    (codes 800-899).

    Whether a domain exists is told by :class:`HostNotFoundError` (codes
    11001-11004: ``HOST_NOT_FOUND`` is NXDOMAIN, ``TRY_AGAIN`` a temporary
    failure, ``NO_RECOVERY`` a refusal, ``NO_DATA`` no MX and no address);
    these say what was wrong with a domain that does.
    """


class NullMxError(MxError):
    """The domain accepts no mail: it publishes a null MX (``0 .``, RFC 7505)
    (NULL_MX). Permanent: do not try its addresses instead."""


class DnsBadResponseError(MxError):
    """The DNS server's answer is malformed (DNS_BAD_RESPONSE)."""


class DnsBadNameError(MxError):
    """No mail exchanger in the answer has a valid host name (DNS_BAD_NAME)."""


_CLASS_BY_CODE: Dict[int, Type[InetError]] = {
    ErrorCode.INVALID_HANDLE: InvalidHandleError,
    ErrorCode.INVALID_PARAMETER: InvalidParameterError,
    ErrorCode.WRONG_THREAD: WrongThreadError,
    ErrorCode.REENTRANT_CALL: ReentrantCallError,
    ErrorCode.CANCELED: CanceledError,
    ErrorCode.LINE_TOO_LONG: LineTooLongError,
    ErrorCode.BUSY: BusyError,
    ErrorCode.NOT_INITIALIZED: NotInitializedError,
    ErrorCode.TIMED_OUT: InetTimeoutError,
    ErrorCode.CONNECTION_REFUSED: InetConnectionRefusedError,
    ErrorCode.CONNECTION_RESET: InetConnectionResetError,
    ErrorCode.NETWORK_RESET: InetConnectionResetError,
    ErrorCode.CONNECTION_ABORTED: InetConnectionAbortedError,
    ErrorCode.CONNECTION_CLOSED: ConnectionClosedError,
    ErrorCode.NOT_CONNECTED: InetConnectionError,
    ErrorCode.SHUTDOWN: InetConnectionError,
    ErrorCode.HOST_NOT_FOUND: HostNotFoundError,
    ErrorCode.TRY_AGAIN: HostNotFoundError,
    ErrorCode.NO_RECOVERY: HostNotFoundError,
    ErrorCode.NO_DATA: HostNotFoundError,
    ErrorCode.SECURITY_LIBRARY: SecurityError,
    ErrorCode.SECURITY_CONTEXT: SecurityError,
    ErrorCode.SECURITY_CREDENTIALS: CredentialsError,
    ErrorCode.CERTIFICATE_LOAD: CertificateLoadError,
    ErrorCode.SECURITY_HANDSHAKE: HandshakeError,
    ErrorCode.CERTIFICATE_UNTRUSTED: CertificateUntrustedError,
    ErrorCode.CERTIFICATE_EXPIRED: CertificateExpiredError,
    ErrorCode.CERTIFICATE_NAME_MISMATCH: CertificateNameMismatchError,
    ErrorCode.CERTIFICATE_REVOKED: CertificateRevokedError,
    ErrorCode.CERTIFICATE_INVALID: CertificateInvalidError,
    ErrorCode.SECURITY_PROTOCOL: HandshakeError,
    ErrorCode.SECURITY_CIPHER: HandshakeError,
    ErrorCode.SECURITY_NOT_ESTABLISHED: SecurityNotEstablishedError,
    ErrorCode.ENCRYPTING_DATA: SecurityError,
    ErrorCode.DECRYPTING_DATA: SecurityError,
    ErrorCode.PLAINTEXT_INJECTION: PlaintextInjectionError,
    ErrorCode.CERTIFICATE_NOT_YET_VALID: CertificateNotYetValidError,
    ErrorCode.CERTIFICATE_CHAIN_TOO_LONG: CertificateChainTooLongError,
    ErrorCode.PUBLIC_KEY_MISMATCH: PublicKeyMismatchError,
    ErrorCode.CERTIFICATE_REQUIRED: CertificateRequiredError,
    ErrorCode.NOT_FOUND: NotFoundError,
    ErrorCode.INVALID_STATE: InvalidStateError,
    ErrorCode.SERVER_ERROR: ServerError,
    ErrorCode.PROTOCOL: ProtocolError,
    ErrorCode.AUTH_FAILED: AuthenticationError,
    ErrorCode.MAILBOX_IN_USE: MailboxInUseError,
    ErrorCode.LOGIN_DELAY: LoginDelayError,
    ErrorCode.SERVER_TEMPORARY: ServerTemporaryError,
    ErrorCode.SERVER_PERMANENT: ServerPermanentError,
    ErrorCode.TLS_REQUIRED: TlsRequiredError,
    ErrorCode.AUTH_UNAVAILABLE: AuthUnavailableError,
    ErrorCode.AUTH_SERVER_UNVERIFIED: AuthenticationError,
    ErrorCode.RESPONSE_TOO_LARGE: ResponseTooLargeError,
    ErrorCode.MESSAGE_INCOMPLETE: MessageIncompleteError,
    ErrorCode.NO_DNS_SERVER: NoDnsServerError,
    ErrorCode.NULL_MX: NullMxError,
    ErrorCode.DNS_BAD_RESPONSE: DnsBadResponseError,
    ErrorCode.DNS_BAD_NAME: DnsBadNameError,
}


def exception_class(code: int) -> Type[InetError]:
    """The :class:`InetError` subclass raised for ``code``."""
    return _CLASS_BY_CODE.get(int(code), InetError)


# ---- Reading the last-error store --------------------------------------------

def last_error_code() -> Union[ErrorCode, int]:
    """The code of this thread's last inetkit call (``ErrorCode.NONE`` after a success)."""
    return _as_code(_native.library().InetGetLastError())


def last_error_message() -> str:
    """The message of this thread's last inetkit call (``""`` after a success)."""
    lib = _native.library()
    rc, text = _native.query_string(lib.InetGetLastErrorMessage, 1024)
    return text if rc == 0 else ""


def error_string(code: int) -> str:
    """The static description of an error code (``InetGetErrorString``).

    Raises:
        InvalidParameterError: the library does not know ``code``.
    """
    lib = _native.library()
    value = int(code)
    if not 0 <= value <= 0xFFFFFFFF:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                    f"{value} is not an inetkit error code")
    rc, text = _native.query_string(
        lambda buffer, length: lib.InetGetErrorString(value, buffer, length))
    if rc != 0:
        raise InvalidParameterError(rc, f"{value} is not an inetkit error code")
    return text


def error_from_last_call(code: Optional[int] = None) -> InetError:
    """Build the exception for the call that just failed on this thread.

    Must run right after the failing call, on the same thread, before any
    other inetkit call. ``code`` is the call's return value; None reads it
    from the store (for calls that return a handle or a thread id).
    """
    if code is None:
        code = _native.library().InetGetLastError()
    message = last_error_message()
    if not message:
        try:
            message = error_string(code)
        except InetError:
            message = ""
    return exception_class(code)(code, message)


def check(rc: int) -> None:
    """Raise the matching :class:`InetError` when an export returned nonzero."""
    if rc:
        raise error_from_last_call(rc)
