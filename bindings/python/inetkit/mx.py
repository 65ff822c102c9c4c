"""The Mx family: where mail for an address or a domain goes (RFC 5321 5.1).

:class:`MxResolver` wraps an Mx handle (``MxCreate``)::

    from inetkit import MxResolver

    with MxResolver("192.0.2.53", timeout=10) as mx:
        for record in mx.resolve("bob@example.org"):     # best first
            print(record.preference, record.mail_server, record.ttl)

One call gives the whole delivery plan: the domain converted to its A-label,
its MX records (following a CNAME), a null MX (``0 .``, RFC 7505) reported
as :class:`~inetkit.NullMxError`, the implicit MX (the domain itself) when
it has addresses but no MX, invalid exchanger names dropped, the rest sorted
by preference (equal ones shuffled) and, with the ``ResolveAddresses``
setting, each exchanger's addresses. TTLs and the AA bit come from the wire.

Synchronous and asynchronous
    With a :attr:`~MxResolver.timeout` above 0 (the default, 60 s),
    :meth:`~MxResolver.resolve` and :meth:`~MxResolver.lookup` block (the
    GIL is released meanwhile). With ``timeout=0`` the resolver is
    asynchronous: :meth:`~MxResolver.submit` queues a request and returns
    its id at once, many run concurrently (setting ``MaxInFlight``), and
    their results come out of :meth:`~MxResolver.next_result` (pull) or go
    to the :attr:`~MxResolver.on_response` / :attr:`~MxResolver.on_error`
    callbacks, which fire inside :meth:`~MxResolver.do_events`,
    :meth:`~MxResolver.wait` and :meth:`~MxResolver.next_result`. The
    resolver's :meth:`~MxResolver.fileno` works with :mod:`selectors` and
    event loops; :attr:`~MxResolver.next_timeout` says when timed work is due.

    :meth:`~MxResolver.resolve_many` does it all for a batch of domains::

        results = mx.resolve_many(domains, window=256)   # {domain: MxResult}
        for domain, result in results.items():
            print(domain, result.mail_server if result.ok else result.error.name)

Errors
    :meth:`~MxResolver.resolve` raises the outcome of a failed request:
    :class:`~inetkit.HostNotFoundError` for the name-resolution codes
    (``HOST_NOT_FOUND`` is NXDOMAIN, ``TRY_AGAIN`` a server failure or no
    answer in time, ``NO_RECOVERY`` a refusal, ``NO_DATA`` no MX and no
    address), :class:`~inetkit.NullMxError`,
    :class:`~inetkit.DnsBadResponseError`, :class:`~inetkit.DnsBadNameError`,
    :class:`~inetkit.NoDnsServerError`, :class:`~inetkit.CanceledError`
    after :meth:`~MxResolver.interrupt`, or the socket errors when the
    server cannot be reached. The exception's ``result`` attribute holds the
    :class:`MxResult` (DNS status, server, elapsed time). The bulk and pull
    interfaces give failures as :class:`MxResult` objects instead
    (:attr:`MxResult.error`, :meth:`MxResult.exception`).

Threads
    As for :class:`~inetkit.Connection`: the resolver belongs to the thread
    that created it, unless ``freethread=True`` (the library then serialises
    the calls: a call waits while another thread is inside a blocking one,
    except a second synchronous :meth:`~MxResolver.resolve`, which raises
    :class:`~inetkit.BusyError`; for concurrent lookups use the asynchronous
    mode or one resolver per thread). :meth:`~MxResolver.interrupt` and
    :meth:`~MxResolver.close` work
    from any thread, so the garbage collector may close a resolver wherever
    it runs.

Library lifetime
    The first resolver calls ``MxInitialize`` (once, thread-safe);
    ``MxUninitialize`` runs at interpreter exit.
"""

from __future__ import annotations

import ctypes
import dataclasses
import enum
import ipaddress
import math
import threading
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence,
                    Tuple, Union)

from . import _native
from ._native import BOOL, DWORD, INT, UINT
from .errors import (
    BusyError,
    ErrorCode,
    InetError,
    InvalidParameterError,
    InvalidStateError,
    error_from_last_call,
    exception_class,
)
from .inet import _check_call, _encode, _Handle, _handle_call, _scope, _uint

__all__ = [
    "MxAddress",
    "MxErrorCallback",
    "MxRecord",
    "MxRecordFlags",
    "MxResolver",
    "MxResponseCallback",
    "MxResult",
    "MxResultFlags",
    "MxStatus",
]

Text = Union[str, bytes]

_MAX_DWORD = 0xFFFFFFFF
_INFINITE = _native.MX_WAIT_INFINITE


class MxStatus(enum.IntEnum):
    """The DNS response code (RCODE) of an answer (``MX_STATUS_*``)."""

    OK = _native.MX_STATUS_OK
    FORMAT_ERROR = _native.MX_STATUS_FORMAT_ERROR
    SERVER_FAILURE = _native.MX_STATUS_SERVER_FAILURE
    NAME_ERROR = _native.MX_STATUS_NAME_ERROR
    NOT_IMPLEMENTED = _native.MX_STATUS_NOT_IMPLEMENTED
    REFUSED = _native.MX_STATUS_REFUSED
    #: No answer arrived (timeout, network error, canceled).
    NO_ANSWER = _native.MX_STATUS_NO_ANSWER


class MxRecordFlags(enum.IntFlag):
    """:attr:`MxRecord.flags` (``MX_RECORD_*``)."""

    NONE = 0
    #: No MX records: the domain itself, preference 0 (RFC 5321 5.1).
    IMPLICIT = _native.MX_RECORD_IMPLICIT
    #: The address held a domain literal; nothing was looked up.
    LITERAL = _native.MX_RECORD_LITERAL
    #: The exchanger's name is an alias (CNAME), which RFC 2181 10.3 forbids
    #: (seen only with ``ResolveAddresses``).
    ALIAS = _native.MX_RECORD_ALIAS
    #: ``ResolveAddresses`` found no A or AAAA record for it.
    NO_ADDRESS = _native.MX_RECORD_NO_ADDRESS


class MxResultFlags(enum.IntFlag):
    """:attr:`MxResult.flags` (``MX_RESULT_*``)."""

    NONE = 0
    #: The MX answer had the AA bit.
    AUTHORITATIVE = _native.MX_RESULT_AUTHORITATIVE
    #: The query name was an alias; :attr:`MxResult.canonical_name` is its target.
    CNAME = _native.MX_RESULT_CNAME
    #: The UDP answer was truncated and was fetched again over TCP.
    TRUNCATED = _native.MX_RESULT_TRUNCATED
    #: Some exchangers were invalid names, above ``MaxRecords``, or cut off by
    #: a truncated answer (``ConnectionMode=udp``).
    RECORDS_DROPPED = _native.MX_RESULT_RECORDS_DROPPED


def _status(value: int) -> Union[MxStatus, int]:
    try:
        return MxStatus(value)
    except ValueError:
        return int(value)


def _code(value: int) -> Union[ErrorCode, int]:
    try:
        return ErrorCode(value)
    except ValueError:
        return int(value)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


# ---- Results ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MxAddress:
    """One address of an exchanger (``MXADDRESS``).

    Attributes:
        family: 4 or 6.
        address: the numeric form (``"192.0.2.25"``, ``"2001:db8::25"``).
        ttl: seconds, from the A or AAAA answer (0 for a domain literal).
    """

    family: int
    address: str
    ttl: int

    @property
    def ip(self) -> Union[ipaddress.IPv4Address, ipaddress.IPv6Address]:
        """:attr:`address` as an :mod:`ipaddress` object."""
        return ipaddress.ip_address(self.address)

    @classmethod
    def _from_struct(cls, address: _native.MXADDRESS) -> "MxAddress":
        return cls(family=int(address.dwFamily), address=_text(address.szAddress),
                   ttl=int(address.dwTimeToLive))


@dataclasses.dataclass(frozen=True)
class MxRecord:
    """One mail exchanger of a result (``MXRECORD``), in delivery order.

    Attributes:
        request_id: the request it answers.
        index: its place in the delivery plan; 0 is the one to try first.
        count: how many exchangers the result has.
        preference: the MX preference; lower is preferred.
        ttl: seconds, from the MX answer (the A/AAAA answer for an implicit MX).
        status: the answer's RCODE (:class:`MxStatus`).
        authoritative: the answer had the AA bit.
        flags: :class:`MxRecordFlags`.
        domain: the domain looked up (A-label, lower case, no trailing dot).
        mail_server: the exchanger (A-label, no trailing dot), or the
            literal's address.
        description: the status code's text (``"Ok"``, ``"Name error"``, ...).
        addresses: the exchanger's addresses: with the ``ResolveAddresses``
            setting, and always for an implicit MX (the addresses that made
            it) and a domain literal (its address); empty otherwise.
    """

    request_id: int
    index: int
    count: int
    preference: int
    ttl: int
    status: Union[MxStatus, int]
    authoritative: bool
    flags: MxRecordFlags
    domain: str
    mail_server: str
    description: str
    addresses: Tuple[MxAddress, ...] = ()

    @property
    def implicit(self) -> bool:
        """The domain has no MX records: this is the domain itself (RFC 5321 5.1)."""
        return bool(self.flags & MxRecordFlags.IMPLICIT)

    @property
    def literal(self) -> bool:
        """The address held a domain literal (``user@[192.0.2.1]``)."""
        return bool(self.flags & MxRecordFlags.LITERAL)

    @property
    def alias(self) -> bool:
        """The exchanger's name is a CNAME (RFC 2181 10.3 forbids it)."""
        return bool(self.flags & MxRecordFlags.ALIAS)

    @property
    def no_address(self) -> bool:
        """``ResolveAddresses`` found no A or AAAA record for the exchanger."""
        return bool(self.flags & MxRecordFlags.NO_ADDRESS)

    @classmethod
    def _from_struct(cls, record: _native.MXRECORD, addresses: Sequence[MxAddress]) -> "MxRecord":
        return cls(request_id=int(record.dwRequestId), index=int(record.dwIndex),
                   count=int(record.dwCount), preference=int(record.dwPrecedence),
                   ttl=int(record.dwTimeToLive), status=_status(record.dwStatusCode),
                   authoritative=bool(record.bAuthoritative), flags=MxRecordFlags(record.dwFlags),
                   domain=_text(record.szDomain), mail_server=_text(record.szMailServer),
                   description=_text(record.szDescription), addresses=tuple(addresses))


#: Codes after which the same request may well succeed later.
_TEMPORARY = frozenset({ErrorCode.TRY_AGAIN, ErrorCode.TIMED_OUT, ErrorCode.CANCELED,
                        ErrorCode.NO_DNS_SERVER})


@dataclasses.dataclass(frozen=True)
class MxResult:
    """The outcome of one request (``MXRESULT``) with its exchangers.

    Attributes:
        request_id: the request's id (0 for a request the library refused
            before queueing it, in :meth:`MxResolver.resolve_many`).
        domain: the domain looked up (A-label form); in a refused request,
            the text given.
        error: ``ErrorCode.NONE`` or the request's error (see
            :meth:`exception`).
        status: the RCODE of the decisive answer (:class:`MxStatus`;
            ``NO_ANSWER`` if none came).
        flags: :class:`MxResultFlags`.
        elapsed: seconds from the request to its result (millisecond resolution).
        canonical_name: where a CNAME chain at the query name led, or None.
        dns_server: the server that gave the decisive answer, ``"address:port"``
            (``"[v6]:port"``), ``""`` if none did.
        message: ``"OK"`` or the error message, which names the domain and
            the DNS server.
        records: the exchangers, best first (empty on failure).
    """

    request_id: int
    domain: str
    error: Union[ErrorCode, int]
    status: Union[MxStatus, int]
    flags: MxResultFlags
    elapsed: float
    canonical_name: Optional[str]
    dns_server: str
    message: str
    records: Tuple[MxRecord, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the request succeeded (:attr:`error` is ``NONE``)."""
        return self.error == ErrorCode.NONE

    @property
    def authoritative(self) -> bool:
        """The MX answer had the AA bit."""
        return bool(self.flags & MxResultFlags.AUTHORITATIVE)

    @property
    def temporary(self) -> bool:
        """The failure may go away: try again later (``TRY_AGAIN``, a
        timeout, a network error, ...). False on success and on permanent
        failures (NXDOMAIN, null MX, no data, ...)."""
        code = int(self.error)
        return code in _TEMPORARY or 10000 <= code < 11000

    @property
    def mail_server(self) -> Optional[str]:
        """The best exchanger, or None."""
        return self.records[0].mail_server if self.records else None

    @property
    def mail_servers(self) -> List[str]:
        """Every exchanger's name, best first."""
        return [record.mail_server for record in self.records]

    def exception(self) -> Optional[InetError]:
        """The exception :meth:`MxResolver.resolve` would raise for this
        outcome (its ``result`` attribute is this object), or None on success."""
        if self.ok:
            return None
        code = int(self.error)
        error = exception_class(code)(code, self.message)
        error.result = self  # type: ignore[attr-defined]
        return error

    def raise_for_error(self) -> "MxResult":
        """Raise :meth:`exception` on failure; return self on success."""
        error = self.exception()
        if error is not None:
            raise error
        return self

    @classmethod
    def _from_struct(cls, result: _native.MXRESULT, records: Sequence[MxRecord]) -> "MxResult":
        return cls(request_id=int(result.dwRequestId), domain=_text(result.szDomain),
                   error=_code(result.dwError), status=_status(result.dwStatusCode),
                   flags=MxResultFlags(result.dwFlags), elapsed=result.dwElapsed / 1000.0,
                   canonical_name=_text(result.szCanonicalName) or None,
                   dns_server=_text(result.szDnsServer), message=_text(result.szStatus),
                   records=tuple(records))

    @classmethod
    def _refused(cls, domain: str, error: InetError) -> "MxResult":
        """A request the library refused before queueing it."""
        return cls(request_id=0, domain=domain, error=error.code, status=MxStatus.NO_ANSWER,
                   flags=MxResultFlags.NONE, elapsed=0.0, canonical_name=None, dns_server="",
                   message=error.message)


#: ``on_response(record)``: one exchanger of a finished request, in order of preference.
MxResponseCallback = Callable[[MxRecord], Any]
#: ``on_error(request_id, domain, error)``: a request failed; ``error`` is the
#: exception :meth:`MxResolver.resolve` would raise (with a ``status`` attribute).
MxErrorCallback = Callable[[int, str, InetError], Any]


# ---- Callback exceptions ------------------------------------------------------
#
# The Response and Error callbacks run on the thread of the call that fired
# them (do_events, wait, next_result, resolve). The first exception one raises
# is kept per thread and raised by that call when it returns; the events
# still pending in that call are delivered all the same.

_callback_state = threading.local()


def _keep_callback_error(error: BaseException) -> None:
    if getattr(_callback_state, "error", None) is None:
        _callback_state.error = error


def _take_callback_error() -> Optional[BaseException]:
    """The parked exception, taken; None inside a callback (a call made from
    a callback must not take what belongs to the call that runs it)."""
    if getattr(_callback_state, "depth", 0):
        return None
    error = getattr(_callback_state, "error", None)
    _callback_state.error = None
    return error


class _InCallback:
    """Marks "inside a callback" on this thread, for :func:`_take_callback_error`."""

    def __enter__(self) -> None:
        _callback_state.depth = getattr(_callback_state, "depth", 0) + 1

    def __exit__(self, *exc_info: Any) -> None:
        _callback_state.depth -= 1


_in_callback = _InCallback()


# ---- Library lifetime -------------------------------------------------------

_LIFETIME = _native.FamilyLifetime("Mx")


def _mx() -> ctypes.CDLL:
    """The library, with the Mx family initialised (once per process)."""
    return _LIFETIME.library(_check_call)


# ---- Argument conversion --------------------------------------------------------

def _address(value: Text, what: str = "address") -> bytes:
    """An address or domain as UTF-8, without NUL (the library checks the rest)."""
    if isinstance(value, str):
        return _encode(value, what)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if b"\0" in data:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} contains a NUL byte")
        return data
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _wait_ms(timeout: Optional[float]) -> int:
    """Seconds (None: no limit) to milliseconds, rounded up."""
    if timeout is None:
        return _INFINITE
    if timeout < 0:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"negative timeout: {timeout}")
    ms = math.ceil(timeout * 1000)
    if ms >= _INFINITE:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"timeout too large: {timeout}")
    return ms


def _setting_value(value: Union[str, bytes, int, bool, None]) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"on" if value else b"off"
    if isinstance(value, int):
        return str(value).encode("ascii")
    return _address(value, "value")


def _servers(value: Union[None, str, bytes, Iterable[str]]) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return _address(value, "dns_server")
    return _address(",".join(value), "dns_server")


# ---- The resolver ------------------------------------------------------------------

class MxResolver(_Handle):
    """An MX resolver (an Mx handle, ``MxCreate``).

    Args:
        dns_server: the DNS servers to ask, in order: a comma-separated
            string or a list of IPv4/IPv6 addresses, each optionally with a
            port (``"127.0.0.1:5300"``, ``"[::1]:5353"``); None for the
            system's (``/etc/resolv.conf``). Host names are refused.
        port: the port of servers given without one (default 53).
        timeout: seconds a :meth:`resolve` may take (default 60); 0 makes
            the resolver asynchronous (see :meth:`submit`).
        freethread: let any thread use the resolver; the library then
            serialises the calls.
        settings: :meth:`config` settings to apply, ``{"ImplicitMX": False, ...}``.

    Use it as a context manager, or call :meth:`close`; an unreferenced
    resolver is closed by the garbage collector.

    Raises:
        InvalidParameterError: a bad server list, port or setting.
    """

    _DISCONNECT = "MxDestroy"
    _CANCEL = "MxInterrupt"
    _ATTACH_THREAD = "MxAttachThread"

    def __init__(self, dns_server: Union[None, str, Iterable[str]] = None, *,
                 port: Optional[int] = None, timeout: Optional[float] = None,
                 freethread: bool = False,
                 settings: Optional[Mapping[str, Union[str, int, bool, None]]] = None) -> None:
        options = _native.MX_OPTION_FREETHREAD if freethread else _native.MX_OPTION_NONE
        lib = _mx()
        super().__init__(_handle_call(lib.MxCreate, options))
        # The registered callbacks and their ctypes trampolines: a trampoline
        # stays referenced here for as long as the library may call it.
        self._response: Optional[MxResponseCallback] = None
        self._response_proc: Optional[Any] = None
        self._error: Optional[MxErrorCallback] = None
        self._error_proc: Optional[Any] = None
        # The mode as last set or read (Timeout 0 = asynchronous), so that
        # resolve() and submit() need no call that would wait for the lease;
        # checked with the library when it says no.
        self._asynchronous = False
        # The thread inside resolve()/lookup(): one blocking resolve at a time
        # (a second one is BUSY, as MxResolve says), and the result read back
        # after MxResolve is that resolve's own.
        self._resolve_guard = threading.Lock()
        self._resolving: Optional[int] = None
        try:
            if port is not None:
                self.dns_port = port
            if dns_server is not None:
                self.dns_server = dns_server  # type: ignore[assignment]
            if timeout is not None:
                self.timeout = timeout
            for name, value in (settings or {}).items():
                self.config(name, value)
        except BaseException:
            self.close()
            raise

    # -- calls

    @staticmethod
    def _raise_pending(error: Optional[InetError]) -> None:
        """Raise what a callback raised during the call, else ``error`` if any."""
        cause = _take_callback_error()
        if cause is not None:
            if error is not None and cause.__context__ is None:
                cause.__context__ = error
            raise cause
        if error is not None:
            raise error

    def _call(self, func: Callable[..., int], *args: Any) -> None:
        """Call an export that returns an error code; raise if it is nonzero,
        or if a callback it ran raised."""
        _take_callback_error()  # forget a stale one
        with _scope:
            rc = func(*args)
            error = error_from_last_call(rc) if rc else None
            self._raise_pending(error)

    def _wait_call(self, func: Callable[..., int], *args: Any) -> Tuple[int, Optional[InetError]]:
        """Like :meth:`_call`, but TIMED_OUT and NOT_FOUND are returned with
        their exception instead of raised."""
        _take_callback_error()
        with _scope:
            rc = func(*args)
            error = error_from_last_call(rc) if rc else None
            quiet = rc in (ErrorCode.TIMED_OUT, ErrorCode.NOT_FOUND)
            self._raise_pending(None if quiet else error)
        return rc, error

    def _dword(self, func: Callable[..., int]) -> int:
        value = DWORD(0)
        self._call(func, self.handle, ctypes.byref(value))
        return value.value

    def _uint_value(self, func: Callable[..., int]) -> int:
        value = UINT(0)
        self._call(func, self.handle, ctypes.byref(value))
        return value.value

    def _string(self, func: Callable[..., int], initial: int = 256) -> str:
        handle = self.handle
        with _scope:
            rc, text = _native.query_string(lambda buffer, length: func(handle, buffer, length), initial)
            if rc:
                raise error_from_last_call(rc)
        return text

    def _read_result(self, handle: int, lib: ctypes.CDLL) -> Optional[MxResult]:
        """The current result with its records and addresses; None before any."""
        result = _native.MXRESULT.new()
        with _scope:
            rc = lib.MxGetResult(handle, ctypes.byref(result))
            if rc == ErrorCode.NOT_FOUND:
                return None
            if rc:
                raise error_from_last_call(rc)
            records = []
            record = _native.MXRECORD.new()
            address = _native.MXADDRESS.new()
            for index in range(result.dwCount):
                rc = lib.MxGetRecord(handle, index, ctypes.byref(record))
                if rc:
                    raise error_from_last_call(rc)
                addresses = []
                for number in range(record.dwAddressCount):
                    rc = lib.MxGetRecordAddress(handle, index, number, ctypes.byref(address))
                    if rc:
                        raise error_from_last_call(rc)
                    addresses.append(MxAddress._from_struct(address))
                records.append(MxRecord._from_struct(record, addresses))
        return MxResult._from_struct(result, records)

    def _check_mode(self, asynchronous: bool) -> None:
        """Raise InvalidStateError unless the resolver is in that mode."""
        if self._asynchronous != asynchronous:
            self._asynchronous = self._uint_value(_native.library().MxGetTimeout) == 0
        if self._asynchronous and not asynchronous:
            raise InvalidStateError(ErrorCode.INVALID_STATE,
                                    "the resolver is asynchronous (timeout 0): use submit()")
        if asynchronous and not self._asynchronous:
            raise InvalidStateError(ErrorCode.INVALID_STATE,
                                    "the resolver is synchronous: set timeout = 0 to submit()")

    # -- resolving

    def resolve(self, address: Text) -> List[MxRecord]:
        """Find the mail exchangers of ``address`` (synchronous mode).

        Args:
            address: ``"user@example.org"``, a quoted local part
                (``'"a@b"@example.org'``), a domain literal
                (``"user@[192.0.2.1]"``, ``"user@[IPv6:2001:db8::1]"``; nothing
                is looked up), or a bare domain; internationalised names are
                converted (setting ``UseIDN``). At most 320 bytes of UTF-8.

        Returns:
            The exchangers in delivery order: by preference, equal ones
            shuffled (setting ``ShuffleSeed`` makes it repeatable). Never empty.

        Raises:
            NullMxError: the domain accepts no mail (RFC 7505).
            HostNotFoundError: NXDOMAIN (``HOST_NOT_FOUND``), a server
                failure or no answer in time (``TRY_AGAIN``), a refusal
                (``NO_RECOVERY``), no MX and no address (``NO_DATA``).
            DnsBadResponseError, DnsBadNameError: see :mod:`inetkit.errors`.
            NoDnsServerError: no DNS server is set or configured.
            CanceledError: :meth:`interrupt`, or :meth:`close` from another thread.
            InvalidParameterError: a malformed address; nothing was sent.
            InvalidStateError: the resolver is asynchronous (``timeout`` 0):
                use :meth:`submit`.
            BusyError: requests are in flight on the resolver, or (``freethread``)
                another thread's :meth:`resolve` is running.
            An exception an :attr:`on_response` or :attr:`on_error` callback raised.

        A request's outcome carries its :class:`MxResult` in the exception's
        ``result`` attribute.
        """
        result = self.lookup(address)
        result.raise_for_error()
        return list(result.records)

    def lookup(self, address: Text) -> MxResult:
        """Like :meth:`resolve`, but return the whole :class:`MxResult`,
        failed or not: only the errors that prevent a request (a malformed
        address, no DNS server, the wrong mode or thread, ...) raise."""
        handle = self.handle
        lib = _native.library()
        data = _address(address)
        self._check_mode(asynchronous=False)
        me = threading.get_ident()
        with self._resolve_guard:
            owner = self._resolving
            if owner is not None and owner != me:
                raise BusyError(ErrorCode.BUSY, "a blocking resolve is already running on this resolver "
                                                "in another thread")
            self._resolving = me  # (owner == me: from a callback; the library refuses it)
        try:
            return self._resolve_once(handle, lib, data)
        finally:
            if owner is None:
                with self._resolve_guard:
                    self._resolving = None

    def _resolve_once(self, handle: int, lib: ctypes.CDLL, data: bytes) -> MxResult:
        request_id = DWORD(0)
        _take_callback_error()
        with _scope:
            rc = lib.MxResolve(handle, data, ctypes.byref(request_id))
            error = error_from_last_call(rc) if rc else None
            self._raise_pending(None)  # a callback's exception comes first
            # A request that was made (failed or not) is the current result; a
            # call refused before it became a request (a malformed address, no
            # DNS server, busy, closed meanwhile) is not.
            try:
                current = self._read_result(handle, lib)
            except InetError:
                if error is not None:
                    raise error
                raise
            mine = current is not None and current.request_id == request_id.value
            if error is not None:
                if not mine or int(current.error) != rc:  # type: ignore[union-attr]
                    raise error
                return current  # type: ignore[return-value]
            if not mine:
                self._asynchronous = True
                raise InvalidStateError(ErrorCode.INVALID_STATE,
                                        f"request {request_id.value} was queued, not resolved: the resolver "
                                        "is asynchronous (timeout 0); take it with next_result()")
            return current  # type: ignore[return-value]

    def submit(self, address: Text) -> int:
        """Queue a request (asynchronous mode, ``timeout`` 0) and return its id.

        Its result comes out of :meth:`next_result`, or goes to the
        callbacks, once :meth:`do_events`, :meth:`wait` or
        :meth:`next_result` have processed it.

        Raises:
            InvalidStateError: the resolver is synchronous (``timeout`` > 0).
            InvalidParameterError: a malformed address; nothing was queued.
            NoDnsServerError: no DNS server is set or configured.
        """
        handle = self.handle
        data = _address(address)
        lib = _native.library()
        self._check_mode(asynchronous=True)
        request_id = DWORD(0)
        self._call(lib.MxResolve, handle, data, ctypes.byref(request_id))
        return request_id.value

    def do_events(self, timeout: Optional[float] = 0) -> None:
        """Process what the network delivered, waiting up to ``timeout``
        seconds (0: do not wait; None: no limit) for something to happen,
        and fire the callbacks of the requests that finished.

        Raises:
            CanceledError: :meth:`interrupt` ended the wait.
        """
        self._call(_native.library().MxDoEvents, self.handle, _wait_ms(timeout))

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Process and fire events until nothing is in flight, for at most
        ``timeout`` seconds (None: no limit; each request still has its own
        deadline).

        Returns:
            True when nothing is in flight any more, False when the time ran out.

        Raises:
            CanceledError: :meth:`interrupt` ended the wait.
        """
        rc, _ = self._wait_call(_native.library().MxWait, self.handle, _wait_ms(timeout))
        return rc != ErrorCode.TIMED_OUT

    def next_result(self, timeout: Optional[float] = None) -> Optional[MxResult]:
        """Take the next finished request that was not delivered to the
        callbacks, waiting (and processing the network) up to ``timeout``
        seconds (None: no limit) for one. It becomes the current result.

        Returns:
            Its :class:`MxResult` (failed or not), or None when nothing is
            in flight and nothing is waiting.

        Raises:
            InetTimeoutError: none finished in time (a :class:`TimeoutError`).
            CanceledError: :meth:`interrupt` ended the wait.
        """
        handle = self.handle
        lib = _native.library()
        request_id = DWORD(0)
        error = DWORD(0)
        ms = _wait_ms(timeout)
        rc, failure = self._wait_call(lib.MxGetNextResult, handle, ms, ctypes.byref(request_id),
                                      ctypes.byref(error))
        if rc == ErrorCode.NOT_FOUND:
            return None
        if failure is not None:  # TIMED_OUT
            raise failure
        return self._read_result(handle, lib)

    def results(self, timeout: Optional[float] = None) -> Iterator[MxResult]:
        """Iterate over :meth:`next_result` until nothing is in flight;
        ``timeout`` applies to each wait."""
        while True:
            result = self.next_result(timeout)
            if result is None:
                return
            yield result

    def interrupt(self) -> None:
        """Cancel every request in flight or queued (``MxInterrupt``): each
        finishes with ``CANCELED`` and is delivered as usual, and a blocking
        call on the resolver raises :class:`CanceledError`. From any thread."""
        self.cancel()

    def reset(self) -> None:
        """Cancel everything in flight (no event fires), drop every result and
        restore every property and setting to its default (``MxReset``);
        the callbacks stay registered."""
        self._call(_native.library().MxReset, self.handle)
        self._asynchronous = False

    def close(self) -> None:
        """Cancel whatever is in flight (no event fires) and release the
        resolver (``MxDestroy``); later calls raise :class:`InvalidHandleError`,
        closing again does nothing. From any thread: a call blocked on the
        resolver in another thread raises :class:`CanceledError`."""
        super().close()

    # -- bulk

    def resolve_many(self, domains: Iterable[Text], window: Optional[int] = None) -> Dict[str, MxResult]:
        """Resolve many addresses or domains concurrently and return every outcome.

        Runs in asynchronous mode (``timeout`` 0 for the duration, restored
        afterwards) and takes the results with ``MxGetNextResult``; up to
        ``MaxInFlight`` requests are on the wire at once. The callbacks do
        not fire for these requests: they are unregistered meanwhile.

        Args:
            domains: addresses or domains; duplicates are resolved once.
            window: the most requests queued at any time (submitted and not
                yet taken); None submits everything at once.

        Returns:
            ``{domain: MxResult}`` for every distinct input, in input order
            (keys as given: str, or bytes decoded as UTF-8). Failures are
            results too (:attr:`MxResult.error`); an input the library
            refuses (malformed, no DNS server) gets a result with
            ``request_id`` 0. After :meth:`interrupt` the rest is not sent
            and every unfinished input gets a ``CANCELED`` result.

        Raises:
            BusyError: requests are already in flight on the resolver.
            InvalidParameterError: ``window`` is below 1.
        """
        if window is not None and int(window) < 1:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"window must be at least 1, not {window}")
        names: Dict[str, bytes] = {}
        for item in domains:
            key = item if isinstance(item, str) else bytes(item).decode("utf-8", "replace")
            if key not in names:
                names[key] = _address(item)
        handle = self.handle
        lib = _native.library()
        idle = BOOL(0)
        self._call(lib.MxGetIdle, handle, ctypes.byref(idle))
        if not idle.value:
            raise BusyError(ErrorCode.BUSY, "requests are in flight on the resolver: "
                                            "take their results before resolve_many()")
        if not names:
            return {}
        limit = len(names) if window is None else int(window)
        results: Dict[str, MxResult] = {}
        pending: Dict[int, str] = {}
        queue = iter(names.items())
        saved_timeout = self.timeout
        callbacks = self._response_proc is not None or self._error_proc is not None
        finished = False
        if callbacks:
            self._register(lib.MxSetResponseCallback, _native.MXRESPONSEPROC())
            self._register(lib.MxSetErrorCallback, _native.MXERRORPROC())
        try:
            self.timeout = 0
            canceled = False
            exhausted = False
            request_id = DWORD(0)
            error_code = DWORD(0)
            while True:
                while not exhausted and not canceled and len(pending) < limit:
                    item = next(queue, None)
                    if item is None:
                        exhausted = True
                        break
                    key, data = item
                    with _scope:
                        rc = lib.MxResolve(handle, data, ctypes.byref(request_id))
                        if rc:
                            results[key] = MxResult._refused(key, error_from_last_call(rc))
                        else:
                            pending[request_id.value] = key
                if not pending:
                    if exhausted or canceled:
                        break
                    continue
                with _scope:
                    rc = lib.MxGetNextResult(handle, _INFINITE, ctypes.byref(request_id),
                                             ctypes.byref(error_code))
                    if rc == ErrorCode.CANCELED:  # interrupt(): the results follow
                        canceled = True
                        continue
                    if rc == ErrorCode.NOT_FOUND:
                        raise InetError(ErrorCode.INTERNAL,
                                        f"MxGetNextResult found nothing with {len(pending)} "
                                        "request(s) outstanding")
                    if rc:
                        raise error_from_last_call(rc)
                result = self._read_result(handle, lib)
                if result is None:
                    raise InetError(ErrorCode.INTERNAL, "MxGetNextResult left no current result")
                key = pending.pop(result.request_id, None)  # type: ignore[assignment]
                if key is None:
                    continue  # not ours (another thread's, on a free-threaded resolver)
                results[key] = result
                if result.error == ErrorCode.CANCELED:
                    canceled = True
            if canceled:
                for key, _ in queue:
                    results[key] = MxResult._refused(
                        key, InetError(ErrorCode.CANCELED, "resolve_many was interrupted"))
            finished = True
        finally:
            if not self.closed:
                try:
                    if not finished and pending:
                        # An exception left requests in flight: cancel them and
                        # drop their results, so that they do not surface later.
                        lib.MxInterrupt(handle)
                        rid, err = DWORD(0), DWORD(0)
                        for _ in range(len(pending) + 8):
                            if lib.MxGetNextResult(handle, 5000, ctypes.byref(rid), ctypes.byref(err)) \
                                    not in (0, ErrorCode.CANCELED):
                                break
                finally:
                    self.timeout = saved_timeout
                    if callbacks:
                        if self._response_proc is not None:
                            self._register(lib.MxSetResponseCallback, self._response_proc)
                        if self._error_proc is not None:
                            self._register(lib.MxSetErrorCallback, self._error_proc)
        return {key: results[key] for key in names}

    # -- event-loop integration

    def fileno(self) -> int:
        """A descriptor that polls readable whenever :meth:`do_events` with
        timeout 0 has work (``MxGetEventDescriptor``): register the resolver
        itself with :mod:`selectors` or an event loop. Do not read, write or
        close it; it lives as long as the resolver."""
        value = INT(-1)
        self._call(_native.library().MxGetEventDescriptor, self.handle, ctypes.byref(value))
        return value.value

    @property
    def next_timeout(self) -> Optional[float]:
        """Seconds until :meth:`do_events` has timed work to do (0 when it
        is due now), or None when nothing is in flight."""
        ms = self._dword(_native.library().MxGetNextTimeout)
        return None if ms == _INFINITE else ms / 1000.0

    # -- the current result

    @property
    def result(self) -> Optional[MxResult]:
        """The current result: the request delivered last (by :meth:`resolve`,
        :meth:`next_result` or to the callbacks), or None before any."""
        return self._read_result(self.handle, _native.library())

    @property
    def record_count(self) -> int:
        """Exchangers in the current result (0 before any)."""
        return self._dword(_native.library().MxGetRecordCount)

    @property
    def mail_server(self) -> Optional[str]:
        """The best exchanger of the current result, or None if it has none."""
        return self._string(_native.library().MxGetMailServer) or None

    @property
    def status(self) -> str:
        """``"OK"`` or the error message of the current result; ``""``
        before any, and from a :meth:`submit` until the next result."""
        return self._string(_native.library().MxGetStatus, 512)

    @property
    def idle(self) -> bool:
        """True when no request is in flight, queued or waiting to be delivered."""
        value = BOOL(0)
        self._call(_native.library().MxGetIdle, self.handle, ctypes.byref(value))
        return bool(value.value)

    # -- properties

    @property
    def dns_server(self) -> str:
        """The DNS servers in use, comma-separated (``""`` when none could be
        found). Assign a string or a list of addresses (optionally with
        ports); None or ``""`` goes back to the system's servers.

        Raises (on assignment):
            InvalidParameterError: a host name or a malformed address.
            BusyError: requests are in flight.
        """
        return self._string(_native.library().MxGetDnsServer)

    @dns_server.setter
    def dns_server(self, value: Union[None, str, Iterable[str]]) -> None:
        self._call(_native.library().MxSetDnsServer, self.handle, _servers(value))

    @property
    def dns_port(self) -> int:
        """The port of servers given without one (default 53; 1-65535)."""
        return self._uint_value(_native.library().MxGetDnsPort)

    @dns_port.setter
    def dns_port(self, port: int) -> None:
        self._call(_native.library().MxSetDnsPort, self.handle, _uint(port, "port"))

    @property
    def timeout(self) -> int:
        """Seconds a :meth:`resolve` may take (default 60); 0 makes the
        resolver asynchronous. Fractions are rounded up."""
        seconds = self._uint_value(_native.library().MxGetTimeout)
        self._asynchronous = seconds == 0
        return seconds

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        if seconds is None or seconds < 0:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"bad timeout: {seconds!r}")
        value = _uint(math.ceil(seconds), "timeout")
        self._call(_native.library().MxSetTimeout, self.handle, value)
        self._asynchronous = value == 0

    @property
    def request_id(self) -> int:
        """The id the next request gets (then incremented). Default 1."""
        return self._dword(_native.library().MxGetRequestId)

    @request_id.setter
    def request_id(self, value: int) -> None:
        self._call(_native.library().MxSetRequestId, self.handle, _uint(value, "request_id"))

    @property
    def local_host(self) -> Optional[str]:
        """The local address queries are sent from, or None for any."""
        return self._string(_native.library().MxGetLocalHost, 64) or None

    @local_host.setter
    def local_host(self, address: Optional[str]) -> None:
        value = _address(address, "local_host") if address else None
        self._call(_native.library().MxSetLocalHost, self.handle, value)

    def config(self, name: str, value: Union[str, bytes, int, bool, None]) -> None:
        """Change one setting (``MxConfig("Name=Value")``; names are
        case-insensitive). True/False become ``on``/``off``.

        Settings: ``LocalHost``, ``LocalPort``, ``UseIPv6`` (``auto``, ``on``,
        ``off``), ``MaxPacketSize`` (512-4096, 0 = no EDNS),
        ``AbsoluteTimeout`` (ms), ``QueryTimeout`` (ms), ``Retries`` (0-10),
        ``ConnectionMode`` (``auto``, ``udp``, ``tcp``), ``ImplicitMX``,
        ``UseIDN``, ``ResolveAddresses``, ``MaxRecords`` (1-1024),
        ``ShuffleEqual``, ``ShuffleSeed`` (0 = random; the order restarts
        each time it is set), ``MaxInFlight`` (1-4096), ``CodePage`` (65001
        only), ``ResolvConf`` (where the system's servers are read from while
        no :attr:`dns_server` is set).

        Raises:
            InvalidParameterError: unknown name, bad value, or read-only.
            InetError: ``NOT_SUPPORTED`` (a code page other than 65001).
            BusyError: a setting that changes the network, while requests
                are in flight.
        """
        setting = _address(name, "name") + b"=" + _setting_value(value)
        self._call(_native.library().MxConfig, self.handle, setting)

    def get_config(self, name: str) -> str:
        """The value of one setting (``MxGetConfig``): ``"on"``/``"off"``
        for switches, ``BuildInfo`` the library, c-ares and libidn2 versions.

        Raises:
            InvalidParameterError: unknown name.
        """
        key = _address(name, "name")
        lib = _native.library()
        return self._string(lambda handle, buffer, length: lib.MxGetConfig(handle, key, buffer, length))

    # -- events

    def _register(self, func: Callable[..., int], proc: Any) -> None:
        self._call(func, self.handle, proc, None)

    @property
    def on_response(self) -> Optional[MxResponseCallback]:
        """``on_response(record)``: one :class:`MxRecord` (with its
        addresses) per exchanger of every request that finishes from now
        on, in order of preference; or None.

        While a callback is registered, finished requests go to the
        callbacks instead of :meth:`next_result`. It runs on the thread of
        the call that fired it (:meth:`do_events`, :meth:`wait`,
        :meth:`next_result`, :meth:`resolve`) and may use only
        :meth:`interrupt` and :meth:`close` on this resolver (anything else
        raises :class:`ReentrantCallError`). An exception it raises is
        raised by that call once it returns. Assign None to remove it; the
        binding keeps it alive while it is registered.
        """
        return self._response

    @on_response.setter
    def on_response(self, callback: Optional[MxResponseCallback]) -> None:
        lib = _native.library()
        if callback is None:
            self._register(lib.MxSetResponseCallback, _native.MXRESPONSEPROC())  # NULL
            self._response = self._response_proc = None
            return
        if not callable(callback):
            raise TypeError("on_response must be callable or None")

        def trampoline(_client: Optional[int], record: Any, addresses: Any, _param: Optional[int]) -> None:
            with _in_callback:
                try:
                    native = record.contents
                    count = int(native.dwAddressCount)
                    found = [MxAddress._from_struct(addresses[i]) for i in range(count)] if addresses else []
                    callback(MxRecord._from_struct(native, found))
                except BaseException as exc:  # raised again by the call that fired it
                    _keep_callback_error(exc)

        proc = _native.MXRESPONSEPROC(trampoline)
        previous = self._response_proc
        self._response_proc = proc  # alive before the library can call it
        try:
            self._register(lib.MxSetResponseCallback, proc)
        except BaseException:
            self._response_proc = previous
            raise
        self._response = callback

    @property
    def on_error(self) -> Optional[MxErrorCallback]:
        """``on_error(request_id, domain, error)``: a request that finishes
        from now on failed; ``error`` is the exception :meth:`resolve` would
        raise (``code``, ``message``), with a ``status`` attribute (the
        :class:`MxStatus` of the answer). Or None.

        The rules of :attr:`on_response` apply: while either callback is
        registered, finished requests are delivered to the callbacks, not to
        :meth:`next_result`.
        """
        return self._error

    @on_error.setter
    def on_error(self, callback: Optional[MxErrorCallback]) -> None:
        lib = _native.library()
        if callback is None:
            self._register(lib.MxSetErrorCallback, _native.MXERRORPROC())
            self._error = self._error_proc = None
            return
        if not callable(callback):
            raise TypeError("on_error must be callable or None")

        def trampoline(_client: Optional[int], request_id: int, domain: Optional[bytes], code: int,
                       status: int, description: Optional[bytes], _param: Optional[int]) -> None:
            with _in_callback:
                try:
                    error = exception_class(code)(code, _text(description or b""))
                    name = _text(domain or b"")
                    error.status = _status(status)  # type: ignore[attr-defined]
                    error.request_id = int(request_id)  # type: ignore[attr-defined]
                    error.domain = name  # type: ignore[attr-defined]
                    callback(int(request_id), name, error)
                except BaseException as exc:
                    _keep_callback_error(exc)

        proc = _native.MXERRORPROC(trampoline)
        previous = self._error_proc
        self._error_proc = proc
        try:
            self._register(lib.MxSetErrorCallback, proc)
        except BaseException:
            self._error_proc = previous
            raise
        self._error = callback
