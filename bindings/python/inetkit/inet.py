"""The Inet family: TCP client and server connections, plain or TLS.

:class:`Connection` wraps a connection handle (``InetConnect`` /
``InetAccept``) and :class:`Listener` a listener handle (``InetListen``).

TLS
    ``Connection.connect(..., secure=True)`` does the TLS handshake as part
    of the connect; ``Listener(..., secure=True, credentials=...)`` makes
    :meth:`Listener.accept` do it; :meth:`Connection.start_tls` upgrades a
    live plain connection (STARTTLS, either side). Peers are verified by
    default. :class:`~inetkit.tls.Credentials` says how; see
    :mod:`inetkit.tls`. Once secured, reading and writing work unchanged.

Threads
    A handle belongs to the thread that created it (the thread that called
    :meth:`Connection.connect`, :class:`Listener` or :meth:`Listener.accept`);
    using it from another thread raises :class:`WrongThreadError`, whose
    message names both thread ids. Hand a handle over with
    :meth:`~Connection.attach_thread`, or create it with ``freethread=True``
    so that any thread may use it (the library then serialises the calls).
    :meth:`~Connection.close` and :meth:`~Connection.cancel` work from any
    thread, so garbage collection may close a handle from wherever it runs.
    Thread ids are the operating system's, as :func:`threading.get_native_id`
    returns them.

Timeouts
    ``timeout`` arguments of :meth:`Connection.connect` and
    :meth:`Listener.accept` are in seconds, rounded up to whole seconds:
    ``0`` means the library default (30 s) and ``None`` means no limit.
    The :attr:`Connection.inactivity_timeout` and
    :attr:`Connection.call_timeout` properties are in seconds too (float,
    millisecond resolution); ``None`` means no limit, and setting ``0``
    restores the library default.

Library lifetime
    The first handle created calls ``InetInitialize`` (once, thread-safe);
    ``InetUninitialize`` runs at interpreter exit, which disconnects whatever
    is still open.
"""

from __future__ import annotations

import ctypes
import enum
import math
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from . import _native
from ._native import DWORD, UINT
from .errors import (
    ErrorCode,
    InvalidHandleError,
    InvalidParameterError,
    error_from_last_call,
)
from .tls import (
    Certificate,
    Credentials,
    NativeCredentials,
    SecurityField,
    SecurityInfo,
    VerifyError,
    _raise_with_cause,
)

__all__ = [
    "Connection",
    "Listener",
    "Shutdown",
    "TraceDirection",
    "TraceCallback",
    "library_info",
    "version",
    "version_number",
]

Address = Tuple[str, int]
BytesLike = Union[bytes, bytearray, memoryview]


class Shutdown(enum.IntEnum):
    """Directions for :meth:`Connection.shutdown` (``INET_SHUTDOWN_*``)."""

    RECEIVE = _native.INET_SHUTDOWN_RECEIVE
    SEND = _native.INET_SHUTDOWN_SEND
    BOTH = _native.INET_SHUTDOWN_BOTH


class TraceDirection(enum.IntEnum):
    """The direction a trace callback reports (``INET_TRACE_*``)."""

    RECEIVE = _native.INET_TRACE_RECEIVE
    SEND = _native.INET_TRACE_SEND


#: ``callback(direction, data)``: see :meth:`Connection.set_trace`.
TraceCallback = Callable[[TraceDirection, bytes], Any]

_MAX_DWORD = 0xFFFFFFFF
#: Largest piece handed to one InetWrite / InetRead call.
_CHUNK = 1 << 30


# ---- Call scopes: keep the last-error store intact ----------------------------
#
# Every export clears the calling thread's last-error store on entry. A
# finalizer (Connection.__del__ -> InetDisconnect, PopClient.__del__ ->
# PopDisconnect) that the garbage collector happened to run between a failing
# call and the reading of its message would wipe that message. So calls run
# inside a scope (every family shares it), and a finalizer that fires inside
# one on the same thread defers its disconnect until the scope ends.

_tls = threading.local()
#: (name of the export, handle) of the deferred calls (disconnects, mostly).
_deferred: List[Tuple[str, int]] = []
_deferred_lock = threading.Lock()


class _CallScope:
    """Context manager marking "inside an inetkit call" on this thread."""

    def __enter__(self) -> None:
        _tls.depth = getattr(_tls, "depth", 0) + 1

    def __exit__(self, *exc_info: Any) -> None:
        _tls.depth -= 1
        if _tls.depth == 0 and _deferred:
            _flush_deferred()


_scope = _CallScope()


def _in_scope() -> bool:
    return getattr(_tls, "depth", 0) > 0


def _defer(export: str, handle: int) -> None:
    """Run ``export(handle)`` when this thread's outermost call scope ends."""
    with _deferred_lock:
        _deferred.append((export, handle))


def _flush_deferred() -> None:
    with _deferred_lock:
        handles = list(_deferred)
        del _deferred[:]
    lib = _native.library()
    for export, handle in handles:
        getattr(lib, export)(handle)


def _check_call(func: Callable[..., int], *args: Any,
                credentials: Optional[NativeCredentials] = None) -> None:
    """Call an export that returns an error code; raise if it is nonzero.

    ``credentials``: the structure passed to the call, whose verify
    callback's exception (if any) becomes the raised error's ``__cause__``.
    """
    if credentials is not None:
        credentials.take_callback_error()  # forget a stale one
    with _scope:
        rc = func(*args)
        if rc:
            _raise_with_cause(error_from_last_call(rc), credentials)


def _handle_call(func: Callable[..., Optional[int]], *args: Any,
                 credentials: Optional[NativeCredentials] = None) -> int:
    """Call an export that returns a handle; raise if it is INVALID_CLIENT.

    ``credentials``: as for :func:`_check_call`.
    """
    if credentials is not None:
        credentials.take_callback_error()
    with _scope:
        handle = func(*args)
        if not handle:
            _raise_with_cause(error_from_last_call(), credentials)
    return handle


# ---- Library lifetime -------------------------------------------------------

_LIFETIME = _native.FamilyLifetime("Inet")


def _inet() -> ctypes.CDLL:
    """The library, with the Inet family initialised (once per process)."""
    return _LIFETIME.library(_check_call)


def version_number() -> int:
    """The library's version as ``major * 1000000 + minor * 1000 + patch``."""
    return int(_native.library().InetGetVersion())


def version() -> Tuple[int, int, int]:
    """The library's version as ``(major, minor, patch)``."""
    number = version_number()
    return number // 1000000, number // 1000 % 1000, number % 1000


_LIBRARY_INFO = (
    ("inetkit", _native.INET_LIBRARY_VERSION),
    ("openssl", _native.INET_LIBRARY_OPENSSL_VERSION),
    ("openssl_built", _native.INET_LIBRARY_OPENSSL_BUILT),
    ("c_ares", _native.INET_LIBRARY_CARES_VERSION),
)


def library_info() -> Dict[str, str]:
    """Version strings of inetkit and its dependencies (``InetGetLibraryInfo``).

    Returns:
        ``{"inetkit": "1.0.0", "openssl": "OpenSSL 3.0.x ...",
        "openssl_built": <the OpenSSL version inetkit was compiled
        against>, "c_ares": "1.18.1"}``.
    """
    lib = _native.library()
    info: Dict[str, str] = {}
    for key, what in _LIBRARY_INFO:
        with _scope:
            rc, text = _native.query_string(
                lambda buffer, length, what=what: lib.InetGetLibraryInfo(what, buffer, length))
            if rc:
                raise error_from_last_call(rc)
        info[key] = text
    return info


def _native_credentials(credentials: Optional[Credentials]) -> Optional[NativeCredentials]:
    if credentials is None:
        return None
    if not isinstance(credentials, Credentials):
        raise TypeError(f"credentials must be inetkit.Credentials, not {type(credentials).__name__}")
    return credentials.to_native()


def _pointer(native: Optional[NativeCredentials]) -> Any:
    return native.pointer if native is not None else None


# ---- Argument conversion --------------------------------------------------------

def _encode(text: str, what: str) -> bytes:
    data = text.encode("utf-8")
    if b"\0" in data:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} contains a NUL character")
    return data


def _uint(value: int, what: str) -> int:
    value = int(value)
    if not 0 <= value <= _MAX_DWORD:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} out of range: {value}")
    return value


def _seconds(timeout: Optional[float]) -> int:
    """A timeout in seconds for InetConnect/InetAccept (whole seconds, rounded up)."""
    if timeout is None:
        return _native.INET_WAIT_INFINITE
    if timeout < 0:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"negative timeout: {timeout}")
    seconds = math.ceil(timeout)
    if seconds >= _native.INET_WAIT_INFINITE:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"timeout too large: {timeout}")
    return seconds


def _milliseconds(seconds: Optional[float]) -> int:
    """Seconds (None: no limit, 0: default) to the DWORD of InetSetTimeout."""
    if seconds is None:
        return _native.INET_WAIT_INFINITE
    if seconds < 0:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"negative timeout: {seconds}")
    if seconds == 0:
        return 0
    ms = max(1, round(seconds * 1000))
    if ms >= _native.INET_WAIT_INFINITE:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"timeout too large: {seconds}")
    return ms


def _tls_options(*, secure: bool = False, trusted_site: bool = False,
                 secure_fallback: bool = False) -> int:
    options = 0
    if secure:
        options |= _native.INET_OPTION_SECURE
    if trusted_site:
        options |= _native.INET_OPTION_TRUSTEDSITE
    if secure_fallback:
        options |= _native.INET_OPTION_SECURE_FALLBACK
    return options


def _thread_id(thread: Union[int, threading.Thread]) -> int:
    if isinstance(thread, threading.Thread):
        if thread.native_id is None:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                        f"{thread.name} has not started")
        return thread.native_id
    return _uint(thread, "thread id")


def _address(func: Callable[..., int], handle: int) -> Address:
    """(host, port) from InetGetLocalAddress / InetGetPeerAddress."""
    port = UINT(0)
    with _scope:
        rc, host = _native.query_string(
            lambda buffer, length: func(handle, buffer, length, ctypes.byref(port)),
            _native.INET_ADDRESS_BUFFER)
        if rc:
            raise error_from_last_call(rc)
    return host, port.value


# ---- Handles ------------------------------------------------------------------

_H = TypeVar("_H", bound="_Handle")


class _Handle:
    """What every handle wrapper shares: ownership, closing, threads.

    Subclasses of another family name its exports in ``_DISCONNECT``,
    ``_CANCEL`` and ``_ATTACH_THREAD``.
    """

    _handle: Optional[int] = None
    _DISCONNECT = "InetDisconnect"
    _CANCEL = "InetCancel"
    _ATTACH_THREAD = "InetAttachThread"

    def __init__(self, handle: int) -> None:
        self._lock = threading.Lock()
        self._handle = int(handle)

    # -- state

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._handle is None

    @property
    def handle(self) -> int:
        """The raw ``HCLIENT`` value, for calling the C API directly.

        Raises:
            InvalidHandleError: the object is closed.
        """
        handle = self._handle
        if handle is None:
            raise InvalidHandleError(ErrorCode.INVALID_HANDLE,
                                     f"the {type(self).__name__} is closed")
        return handle

    # -- any-thread operations

    def close(self) -> None:
        """Disconnect and release the handle; later calls do nothing.

        Works from any thread. A call blocked on the handle in another thread
        fails promptly with :class:`CanceledError`. A handle that the library
        already released (for example by ``InetUninitialize``) is ignored.
        """
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is None:
            return
        with _scope:
            rc = getattr(_native.library(), self._DISCONNECT)(handle)
            if rc and rc != ErrorCode.INVALID_HANDLE:
                raise error_from_last_call(rc)

    def cancel(self) -> None:
        """Make the blocking call in progress on this handle fail with
        :class:`CanceledError`; from any thread, no effect when idle.
        The handle stays usable and bytes already received stay buffered."""
        _check_call(getattr(_native.library(), self._CANCEL), self.handle)

    def attach_thread(self, thread: Union[int, threading.Thread] = 0) -> int:
        """Give the handle to another thread and return the previous owner.

        Args:
            thread: a native thread id (:func:`threading.get_native_id`), a
                started :class:`threading.Thread`, or 0 for the calling thread.

        Returns:
            The previous owner's native thread id; pass it back to restore it.

        Raises:
            BusyError: a call is in progress on the handle.
            InvalidParameterError: no such thread in this process.
        """
        tid = _thread_id(thread)
        with _scope:
            previous = getattr(_native.library(), self._ATTACH_THREAD)(self.handle, tid)
            if previous == 0:
                raise error_from_last_call()
        return int(previous)

    # -- protocol

    def __enter__(self: _H) -> _H:
        """``with`` gives the object itself (typed as its own class)."""
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Leaving the block closes it, also on an exception."""
        self.close()

    def __del__(self) -> None:
        handle = self._handle
        if handle is None:
            return
        self._handle = None
        try:
            if _in_scope():
                _defer(self._DISCONNECT, handle)
            else:
                getattr(_native.library(), self._DISCONNECT)(handle)
        except Exception:  # never raise from a finalizer (e.g. during shutdown)
            pass

    def __repr__(self) -> str:
        handle = self._handle
        state = "closed" if handle is None else f"handle=0x{handle:x}"
        return f"<inetkit.{type(self).__name__} {state}>"


class Connection(_Handle):
    """A TCP connection: made by :meth:`connect` or :meth:`Listener.accept`.

    Use it as a context manager, or call :meth:`close`; an unreferenced
    connection is closed by the garbage collector. See the module docstring
    for the threading rules and the units of timeouts.
    """

    def __init__(self, handle: int) -> None:
        """Wrap a raw connection ``HCLIENT`` and take ownership of it.

        Normally you get a Connection from :meth:`connect` or
        :meth:`Listener.accept` instead.
        """
        super().__init__(handle)
        self._trace_proc: Optional[Any] = None
        # The structure (and verify trampoline) of the call that secured the
        # connection, kept alive with it.
        self._credentials: Optional[NativeCredentials] = None

    @classmethod
    def connect(cls, host: str, port: int, timeout: Optional[float] = 0, *,
                prefer_ipv6: bool = False, freethread: bool = False,
                secure: bool = False, trusted_site: bool = False,
                secure_fallback: bool = False,
                credentials: Optional[Credentials] = None) -> "Connection":
        """Open a TCP connection (``InetConnect``), optionally secured with TLS.

        Args:
            host: a host name, an IPv4 literal or an IPv6 literal (brackets optional).
            port: 1-65535.
            timeout: seconds for the whole connect (every address of the host
                in turn, and the TLS handshake), and the connection's
                inactivity timeout afterwards; 0 for the library default
                (30 s), None for no limit.
            prefer_ipv6: try IPv6 addresses before IPv4 ones.
            freethread: let any thread use the connection.
            secure: do the TLS handshake as part of the connect (implicit
                TLS). The server's certificate is verified against the
                system's CAs (plus those of ``credentials``) and ``host``.
            trusted_site: TLS: do not verify the server's certificate at all.
            secure_fallback: TLS: also allow TLS 1.0/1.1 and legacy ciphers.
            credentials: how to secure it (:class:`~inetkit.tls.Credentials`);
                checked before any traffic. ``trusted_site``,
                ``secure_fallback`` and ``credentials`` need ``secure=True``
                (the library refuses them otherwise); to secure the
                connection later, pass them to :meth:`start_tls` instead.

        Raises:
            InetConnectionRefusedError: nothing listens there (a ConnectionRefusedError).
            InetTimeoutError: the timeout ran out (a TimeoutError).
            HostNotFoundError: the name does not resolve.
            InvalidParameterError: a bad host or port.
            CertificateError: the server's certificate failed verification
                (a subclass says why: untrusted, expired, wrong name, ...).
            SecurityError: any other TLS failure (handshake, credentials, ...).
        """
        options = _native.INET_OPTION_NONE
        if prefer_ipv6:
            options |= _native.INET_OPTION_PREFER_IPV6
        if freethread:
            options |= _native.INET_OPTION_FREETHREAD
        options |= _tls_options(secure=secure, trusted_site=trusted_site,
                                secure_fallback=secure_fallback)
        native = _native_credentials(credentials)
        lib = _inet()
        handle = _handle_call(lib.InetConnect, _encode(host, "host"), _uint(port, "port"),
                              _seconds(timeout), options, _pointer(native), credentials=native)
        conn = cls(handle)
        conn._credentials = native
        return conn

    # -- reading

    def read(self, n: int = 65536) -> bytes:
        """Read up to ``n`` bytes, blocking until at least one arrives.

        Returns:
            The bytes read; ``b""`` at end of stream (the peer closed in
            order), or when ``n`` is 0.

        Raises:
            InetTimeoutError, CanceledError, InetConnectionResetError, ...
        """
        if n < 0:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"negative size: {n}")
        handle = self.handle
        if n == 0:
            return b""
        size = min(n, _CHUNK)
        buffer = ctypes.create_string_buffer(size)
        count = DWORD(0)
        _check_call(_native.library().InetRead, handle, buffer, size, ctypes.byref(count))
        return ctypes.string_at(buffer, count.value)

    def read_line(self, max_length: int = 65536) -> bytes:
        """Read one line and return it without its line ending (LF or CR LF).

        Args:
            max_length: the longest line accepted, in bytes, line ending excluded.

        Raises:
            LineTooLongError: the line is longer than ``max_length``; it stays
                unread, so a call with a larger limit (or :meth:`read`) gets it.
            ConnectionClosedError: the peer closed before the end of a line;
                the partial line stays readable with :meth:`read`.
            InetTimeoutError, CanceledError, ...
        """
        if not 0 <= max_length < _MAX_DWORD:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                        f"max_length out of range: {max_length}")
        handle = self.handle
        size = max_length + 1  # room for the NUL
        buffer = ctypes.create_string_buffer(size)
        length = DWORD(0)
        _check_call(_native.library().InetReadLine, handle, buffer, size, ctypes.byref(length))
        return ctypes.string_at(buffer, length.value)

    def peek(self, n: int = 65536) -> bytes:
        """Up to ``n`` bytes that have already arrived, without consuming them.

        Never blocks; may return ``b""``.
        """
        if n < 0:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"negative size: {n}")
        handle = self.handle
        if n == 0:
            return b""
        size = min(n, _CHUNK)
        buffer = ctypes.create_string_buffer(size)
        count = DWORD(0)
        _check_call(_native.library().InetPeek, handle, buffer, size, ctypes.byref(count))
        return ctypes.string_at(buffer, count.value)

    @property
    def available(self) -> int:
        """How many bytes :meth:`read` can return without blocking."""
        count = DWORD(0)
        _check_call(_native.library().InetGetBytesAvailable, self.handle, ctypes.byref(count))
        return count.value

    # -- writing

    def write(self, data: BytesLike) -> None:
        """Send all of ``data``, blocking as needed.

        Raises:
            InetError: any failure; its ``bytes_written`` attribute tells how
                many bytes were handed to the network before it.
        """
        payload = data if isinstance(data, bytes) else bytes(memoryview(data))
        handle = self.handle
        lib = _native.library()
        total = 0
        while total < len(payload):
            chunk = payload[total:total + _CHUNK] if len(payload) > _CHUNK else payload
            written = DWORD(0)
            with _scope:
                rc = lib.InetWrite(handle, chunk, len(chunk), ctypes.byref(written))
                if rc:
                    error = error_from_last_call(rc)
                    error.bytes_written = total + written.value
                    raise error
            total += len(chunk)

    def write_line(self, line: Union[str, bytes]) -> None:
        """Send ``line`` (str is encoded as UTF-8) followed by CR LF.

        Raises:
            InvalidParameterError: the line holds CR, LF or NUL; nothing is sent.
        """
        data = line.encode("utf-8") if isinstance(line, str) else bytes(line)
        if b"\0" in data:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                        "the line contains a NUL byte")
        _check_call(_native.library().InetWriteLine, self.handle, data)

    def shutdown(self, how: Union[Shutdown, int]) -> None:
        """Stop receiving, sending (the peer sees end of stream) or both."""
        _check_call(_native.library().InetShutdown, self.handle, _uint(how, "how"))

    # -- TLS

    def start_tls(self, credentials: Optional[Credentials] = None, *,
                  trusted_site: bool = False, secure_fallback: bool = False) -> None:
        """Secure this live plain connection (STARTTLS, ``InetStartTls``).

        On a connection made by :meth:`connect` this end is the TLS client
        and verifies the host given to ``connect`` (or
        ``credentials.verify_name``); on one from :meth:`Listener.accept` it
        is the server, and ``credentials`` must hold a certificate and key
        (or a PSK). Both ends must call it, after agreeing in plaintext.

        Args:
            credentials: how to secure it (:class:`~inetkit.tls.Credentials`).
            trusted_site: do not verify the peer's certificate at all.
            secure_fallback: also allow TLS 1.0/1.1 and legacy ciphers.

        Raises:
            PlaintextInjectionError: plaintext bytes arrived (and were not
                read) before the upgrade: nothing was sent and the bytes stay
                readable, but treat the connection as compromised.
            InetError: ``NOT_SUPPORTED`` when the connection is already secure.
            CertificateError, SecurityError: the handshake failed; the
                connection is unusable, close it.
        """
        handle = self.handle
        options = _tls_options(trusted_site=trusted_site, secure_fallback=secure_fallback)
        native = _native_credentials(credentials)
        try:
            _check_call(_native.library().InetStartTls, handle, options, _pointer(native),
                        credentials=native)
        finally:
            if native is not None:
                self._credentials = native

    @property
    def security(self) -> Optional[SecurityInfo]:
        """Session details (``InetGetSecurityInfo``), or None on a plain connection."""
        info = _native.INETSECURITYINFO.new()
        _check_call(_native.library().InetGetSecurityInfo, self.handle, ctypes.byref(info))
        if info.dwProtocol == 0:
            return None
        return SecurityInfo._from_struct(info)

    @property
    def secure(self) -> bool:
        """True once the connection carries TLS."""
        return self.security is not None

    def security_value(self, field: Union[SecurityField, int]) -> int:
        """One numeric field of :attr:`security` (``InetGetSecurityValue``)."""
        value = DWORD(0)
        _check_call(_native.library().InetGetSecurityValue, self.handle, _uint(field, "field"),
                    ctypes.byref(value))
        return value.value

    @property
    def verify_errors(self) -> List[VerifyError]:
        """The problems found while verifying the peer's certificate chain
        (``InetGetVerifyErrors``); empty if none.

        With ``Credentials(verify_mode=VerifyMode.QUERY)`` the handshake
        succeeds regardless, and this list says what was wrong; pass it as
        ``Credentials(ignore_errors=...)`` to accept exactly those problems
        for exactly those certificates next time.
        """
        handle = self.handle
        lib = _native.library()
        with _scope:
            rc, text = _native.query_string(
                lambda buffer, length: lib.InetGetVerifyErrors(handle, buffer, length), 1024)
            if rc:
                raise error_from_last_call(rc)
        return VerifyError.parse_all(text)

    def _certificate(self, index: int) -> Certificate:
        handle = self.handle
        lib = _native.library()

        def fetch(field: int, initial: int) -> bytes:
            with _scope:
                rc, data = _native.query_bytes(
                    lambda buffer, length: lib.InetGetCertificateInfo(handle, index, field,
                                                                      buffer, length), initial)
                if rc:
                    raise error_from_last_call(rc)
            return data

        return Certificate._fetch(fetch)

    def peer_certificate(self, index: int = 0) -> Certificate:
        """A certificate of the peer's chain: 0 is the peer's own, then its issuers.

        Raises:
            SecurityNotEstablishedError: the connection is plain.
            InvalidParameterError: no such certificate (the peer sent fewer).
        """
        if not 0 <= index < _native.INET_CERTIFICATE_LOCAL:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                        f"certificate index out of range: {index}")
        return self._certificate(index)

    def peer_certificate_chain(self) -> List[Certificate]:
        """Every certificate the peer sent, its own first; empty if none."""
        info = self.security
        count = info.peer_certificates if info is not None else 0
        return [self._certificate(i) for i in range(count)]

    def local_certificate(self) -> Optional[Certificate]:
        """The certificate this end presented, or None if it presented none.

        Raises:
            SecurityNotEstablishedError: the connection is plain.
        """
        info = self.security
        if info is not None and not info.local_certificate:
            return None
        return self._certificate(_native.INET_CERTIFICATE_LOCAL)

    # -- addresses and timeouts

    @property
    def local_address(self) -> Address:
        """``(host, port)`` of this end; host is numeric (``"::1"`` has no brackets)."""
        return _address(_native.library().InetGetLocalAddress, self.handle)

    @property
    def peer_address(self) -> Address:
        """``(host, port)`` of the other end."""
        return _address(_native.library().InetGetPeerAddress, self.handle)

    def _get_timeout(self, kind: int) -> Optional[float]:
        ms = DWORD(0)
        _check_call(_native.library().InetGetTimeout, self.handle, kind, ctypes.byref(ms))
        return None if ms.value == _native.INET_WAIT_INFINITE else ms.value / 1000.0

    def _set_timeout(self, kind: int, seconds: Optional[float]) -> None:
        _check_call(_native.library().InetSetTimeout, self.handle, kind, _milliseconds(seconds))

    @property
    def inactivity_timeout(self) -> Optional[float]:
        """Seconds a blocking call may wait without any byte moving.

        None means no limit; assigning 0 restores the default (the connect
        timeout, or 30 s for accepted connections).
        """
        return self._get_timeout(_native.INET_TIMEOUT_INACTIVITY)

    @inactivity_timeout.setter
    def inactivity_timeout(self, seconds: Optional[float]) -> None:
        self._set_timeout(_native.INET_TIMEOUT_INACTIVITY, seconds)

    @property
    def call_timeout(self) -> Optional[float]:
        """Seconds one call may take in all (default None: no limit).

        Assigning 0 restores the default.
        """
        return self._get_timeout(_native.INET_TIMEOUT_CALL)

    @call_timeout.setter
    def call_timeout(self, seconds: Optional[float]) -> None:
        self._set_timeout(_native.INET_TIMEOUT_CALL, seconds)

    # -- tracing

    def set_trace(self, callback: Optional[TraceCallback]) -> None:
        """Register ``callback(direction, data)`` to see every byte moved, or
        remove it with None.

        The callback runs on the thread of the call that moved the bytes,
        before that call returns. It must not use this connection except for
        :meth:`cancel` and :meth:`close` (others raise
        :class:`ReentrantCallError`). An exception it raises is reported
        through :func:`sys.unraisablehook` and otherwise ignored.

        The binding keeps the callback alive for as long as the library may
        call it.
        """
        handle = self.handle
        if callback is None:
            _check_call(_native.library().InetSetTraceCallback, handle,
                        _native.INETTRACEPROC(), None)  # a NULL function pointer
            self._trace_proc = None
            return

        def trampoline(_client: Optional[int], direction: int, data: Optional[int],
                       size: int, _param: Optional[int]) -> None:
            payload = ctypes.string_at(data, size) if size else b""
            try:
                kind: Union[TraceDirection, int] = TraceDirection(direction)
            except ValueError:
                kind = direction
            callback(kind, payload)

        proc = _native.INETTRACEPROC(trampoline)
        previous = self._trace_proc
        self._trace_proc = proc  # alive before the library can call it
        try:
            _check_call(_native.library().InetSetTraceCallback, handle, proc, None)
        except BaseException:
            self._trace_proc = previous
            raise


class Listener(_Handle):
    """A listening TCP socket (``InetListen``), optionally accepting TLS clients.

    Args:
        address: a numeric local address; None or ``""`` for every
            interface (IPv6 and IPv4 where the system allows).
        port: the local port; 0 picks a free one (see :attr:`address`).
        backlog: the queue length; 0 for the system maximum.
        freethread: let any thread use the listener.
        secure: make :meth:`accept` do the TLS handshake; ``credentials``
            must then hold the server certificate and key (or a PSK).
        credentials: the server's :class:`~inetkit.tls.Credentials`, loaded
            and checked here. Its verify and PSK callbacks are kept alive as
            long as the listener and the connections it accepted.

    Raises:
        InetError: ``ADDRESS_IN_USE``, ``ADDRESS_NOT_AVAILABLE``, ...
        CertificateLoadError, CredentialsError: unusable credentials.
    """

    def __init__(self, address: Optional[str] = "127.0.0.1", port: int = 0,
                 backlog: int = 0, *, freethread: bool = False, secure: bool = False,
                 credentials: Optional[Credentials] = None) -> None:
        options = _native.INET_OPTION_FREETHREAD if freethread else _native.INET_OPTION_NONE
        options |= _tls_options(secure=secure)
        local = _encode(address, "address") if address else None
        native = _native_credentials(credentials)
        lib = _inet()
        handle = _handle_call(lib.InetListen, local, _uint(port, "port"),
                              _uint(backlog, "backlog"), options, _pointer(native),
                              credentials=native)
        super().__init__(handle)
        # Alive as long as the listener: InetAccept may call its verify and PSK callbacks.
        self._credentials: Optional[NativeCredentials] = native

    @property
    def address(self) -> Address:
        """``(host, port)`` the listener is bound to."""
        return _address(_native.library().InetGetLocalAddress, self.handle)

    def accept(self, timeout: Optional[float] = 0, *, freethread: bool = False) -> Connection:
        """Wait for a client and return its connection, owned by the calling thread.

        Args:
            timeout: seconds to wait; 0 for the library default (30 s), None
                for no limit.
            freethread: let any thread use the new connection.

        Raises:
            InetTimeoutError: nobody connected in time (a TimeoutError).
            CanceledError: :meth:`cancel` or :meth:`close` from another thread.
            CertificateError, SecurityError: on a secure listener, the client
                failed the TLS handshake (it was dropped; accept again).
        """
        options = _native.INET_OPTION_FREETHREAD if freethread else _native.INET_OPTION_NONE
        native = self._credentials
        handle = _handle_call(_native.library().InetAccept, self.handle,
                              _seconds(timeout), options, credentials=native)
        conn = Connection(handle)
        conn._credentials = native
        return conn
