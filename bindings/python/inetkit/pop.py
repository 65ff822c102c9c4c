"""The Pop family: a POP3 client (RFC 1939, 2449, 2595, 5034, 6856).

:class:`PopClient` wraps a Pop handle (``PopConnect``)::

    from inetkit import Credentials, PopClient

    with PopClient.connect("pop.example.org", secure="explicit", timeout=10,
                           credentials=Credentials(ca_file="ca.pem")) as pop:
        pop.login("alice", password)            # the strongest mechanism offered
        count, octets = pop.stat()
        for info in pop:                        # MessageInfo(number, octets, uid, deleted)
            data = pop.retrieve(info.number)    # bytes, exactly as stored
        pop.store_new("seen.txt", "maildir/")   # the new-mail helper
    # leaving the block sends QUIT: deletions take effect

Session
    :meth:`PopClient.connect` reads the greeting, secures the session as
    asked and reads the capabilities; :meth:`~PopClient.login`
    authenticates; then the message methods work. Message numbers are
    ``1..count`` as in RFC 1939. Deletions take effect only when the server
    answers ``QUIT`` with ``+OK``: :meth:`~PopClient.quit`, or
    :meth:`~PopClient.close` (also the context manager's exit and the
    garbage collector) when it can still send QUIT.

Security
    ``secure="explicit"`` sends STLS and never continues in plaintext: a
    server that does not offer it raises :class:`TlsRequiredError`.
    ``secure="implicit"`` (or port 995) starts TLS at connect. Certificates
    are verified as for :meth:`Connection.connect
    <inetkit.Connection.connect>`; :class:`~inetkit.tls.Credentials` tunes
    it. Traces never hold passwords, tokens or SASL data.

Messages
    Message text is delivered exactly as stored: the dot-stuffing undone,
    CR LF line ends, 8-bit bytes and long lines untouched, as ``bytes``.

Errors
    ``-ERR`` replies raise :class:`ServerError` or the subclass of its
    response code (:class:`MailboxInUseError`, :class:`LoginDelayError`,
    ...); a refused login :class:`AuthenticationError`; a lost connection in
    the middle of a message :class:`MessageIncompleteError`. The server's
    last status line stays readable in :attr:`PopClient.last_reply`. A
    reply that breaks the protocol (:class:`ProtocolError`), a canceled
    retrieval or a lost connection may leave the session out of step: later
    calls then raise :class:`InetConnectionError` (``NOT_CONNECTED``).

Threads
    As for :class:`~inetkit.Connection`: the client belongs to the thread
    that connected it, unless ``freethread=True``; see
    :meth:`~PopClient.attach_thread`. :meth:`~PopClient.cancel` and
    :meth:`~PopClient.close` work from any thread.

Library lifetime
    The first client calls ``PopInitialize`` (once, thread-safe);
    ``PopUninitialize`` runs at interpreter exit.
"""

from __future__ import annotations

import ctypes
import dataclasses
import enum
import io
import math
import os
import threading
from typing import Any, Callable, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

from . import _native
from ._native import DWORD, ULONGLONG
from .errors import (
    ErrorCode,
    InetError,
    InvalidParameterError,
    error_from_last_call,
)
from .inet import (
    _check_call,
    _defer,
    _encode,
    _Handle,
    _handle_call,
    _in_scope,
    _native_credentials,
    _pointer,
    _scope,
    _uint,
)
from .tls import Credentials, NativeCredentials, PathLike, SecurityInfo, _path

__all__ = [
    "DataCallback",
    "MailboxStat",
    "MessageInfo",
    "MessageStream",
    "PopAuth",
    "PopClient",
    "PopTraceCallback",
    "PopTraceDirection",
    "ProgressCallback",
    "Reply",
]

Text = Union[str, bytes]

#: Largest piece handed to one PopRead call, and the first buffer of a retrieval.
_CHUNK = 1 << 16
_MAX_DWORD = 0xFFFFFFFF


class PopAuth(enum.IntEnum):
    """Login mechanisms for :meth:`PopClient.login` (``POP_AUTH_*``).

    :meth:`PopClient.login` also takes their names: ``"default"``,
    ``"pass"`` (or ``"user"``), ``"apop"``, ``"login"``, ``"plain"``,
    ``"cram-md5"``, ``"scram-sha-1"``, ``"scram-sha-256"``, ``"xoauth2"``,
    ``"oauthbearer"`` (case and ``-``/``_`` do not matter).
    """

    #: The strongest the server offers that fits the connection: SCRAM-SHA-256,
    #: SCRAM-SHA-1, CRAM-MD5, APOP, then (only on a TLS session) PLAIN and USER/PASS.
    DEFAULT = _native.POP_AUTH_DEFAULT
    PASS = _native.POP_AUTH_PASS
    APOP = _native.POP_AUTH_APOP
    LOGIN = _native.POP_AUTH_LOGIN
    PLAIN = _native.POP_AUTH_PLAIN
    CRAM_MD5 = _native.POP_AUTH_CRAM_MD5
    SCRAM_SHA1 = _native.POP_AUTH_SCRAM_SHA1
    SCRAM_SHA256 = _native.POP_AUTH_SCRAM_SHA256
    #: The password is the OAuth 2.0 access token.
    XOAUTH2 = _native.POP_AUTH_XOAUTH2
    #: RFC 7628; the password is the token.
    OAUTHBEARER = _native.POP_AUTH_OAUTHBEARER


_MECHANISM_NAMES = {
    "default": PopAuth.DEFAULT,
    "pass": PopAuth.PASS,
    "user": PopAuth.PASS,
    "apop": PopAuth.APOP,
    "login": PopAuth.LOGIN,
    "plain": PopAuth.PLAIN,
    "crammd5": PopAuth.CRAM_MD5,
    "scramsha1": PopAuth.SCRAM_SHA1,
    "scramsha256": PopAuth.SCRAM_SHA256,
    "xoauth2": PopAuth.XOAUTH2,
    "oauthbearer": PopAuth.OAUTHBEARER,
}


class PopTraceDirection(enum.IntEnum):
    """What a trace line is (``POP_TRACE_*``)."""

    #: A line we sent (credentials replaced by ``<redacted>``).
    COMMAND = _native.POP_TRACE_COMMAND
    #: A status line the server sent (message bodies are not traced).
    REPLY = _native.POP_TRACE_REPLY


#: ``callback(data)`` of :meth:`PopClient.retrieve_to`; return False to stop.
DataCallback = Callable[[bytes], Any]
#: ``on_progress(message, done, expected)``; return False to cancel.
ProgressCallback = Callable[[int, int, int], Any]
#: ``on_trace(direction, line)``.
PopTraceCallback = Callable[[PopTraceDirection, str], Any]


@dataclasses.dataclass(frozen=True)
class MessageInfo:
    """One message of the mailbox (``POPMESSAGEINFO``).

    Attributes:
        number: the message number (1..count).
        octets: the size the server reports (LIST); the retrieved text may
            differ slightly (line ends).
        uid: the unique id (UIDL), or None if the server has none.
        deleted: marked for deletion in this session.
    """

    number: int
    octets: int
    uid: Optional[str]
    deleted: bool

    @classmethod
    def _from_struct(cls, info: _native.POPMESSAGEINFO) -> "MessageInfo":
        uid = info.szUid.decode("utf-8", "replace")
        return cls(number=int(info.dwMessage), octets=int(info.ullOctets), uid=uid or None,
                   deleted=bool(info.bDeleted))


class MailboxStat(NamedTuple):
    """What :meth:`PopClient.stat` returns: ``(count, octets)``."""

    count: int
    octets: int


class Reply(NamedTuple):
    """A status line of the server: ``(ok, line)``; ``line`` holds the
    ``+OK``/``-ERR`` and has no CR LF."""

    ok: bool
    line: str


# ---- Callback exceptions ------------------------------------------------------
#
# A data or progress callback runs on the thread of the call that invoked it.
# What it raises is kept per thread, stops the call (the trampoline returns
# FALSE), and is raised again by that call in place of CANCELED.

_callback_state = threading.local()


def _keep_callback_error(error: BaseException) -> None:
    _callback_state.error = error


def _take_callback_error() -> Optional[BaseException]:
    error = getattr(_callback_state, "error", None)
    _callback_state.error = None
    return error


# ---- Library lifetime -------------------------------------------------------

_LIFETIME = _native.FamilyLifetime("Pop")


def _pop() -> ctypes.CDLL:
    """The library, with the Pop family initialised (once per process)."""
    return _LIFETIME.library(_check_call)


# ---- Argument conversion --------------------------------------------------------

def _text(value: Text, what: str) -> bytes:
    """str (as UTF-8) or bytes, without NUL (the library checks CR and LF)."""
    if isinstance(value, str):
        return _encode(value, what)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if b"\0" in data:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} contains a NUL byte")
        return data
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _file(value: PathLike, what: str) -> bytes:
    """A path for the library (``os.fsencode``), without NUL."""
    if value is None:
        raise TypeError(f"{what} must be a path, not None")
    path = _path(value, what)
    assert path is not None
    return path


def _message(number: int) -> int:
    """A message number as a DWORD (the library checks it against the count)."""
    value = int(number)
    if not 0 <= value <= _MAX_DWORD:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                    f"there is no message {value}")
    return value


def _messages(numbers: Iterable[int]) -> "ctypes.Array[DWORD]":
    values = [_message(n) for n in numbers]
    return (DWORD * len(values))(*values)


def _timeout(timeout: float) -> int:
    """Connect timeout in whole seconds, rounded up; 0 keeps the default."""
    if timeout is None or timeout < 0:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"bad timeout: {timeout!r}")
    seconds = math.ceil(timeout)
    if seconds >= _MAX_DWORD:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"timeout too large: {timeout}")
    return seconds


def _mechanism(mechanism: Union[str, PopAuth, int]) -> int:
    if isinstance(mechanism, str):
        key = mechanism.strip().lower().replace("-", "").replace("_", "")
        if key not in _MECHANISM_NAMES:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                        f"unknown login mechanism {mechanism!r}")
        return int(_MECHANISM_NAMES[key])
    return _uint(mechanism, "mechanism")


def _setting_value(value: Union[str, bytes, int, bool, "os.PathLike[Any]", None]) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"on" if value else b"off"
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, os.PathLike):
        return os.fsencode(value)
    return _text(value, "value")


# ---- The client ----------------------------------------------------------------

class PopClient(_Handle):
    """A POP3 session (a Pop handle): made by :meth:`connect`.

    Use it as a context manager, or call :meth:`close`; an unreferenced
    client is closed by the garbage collector. Closing sends QUIT when it
    can, so deletions take effect.
    """

    _DISCONNECT = "PopDisconnect"
    _CANCEL = "PopCancel"
    _ATTACH_THREAD = "PopAttachThread"

    def __init__(self, handle: int) -> None:
        """Wrap a raw Pop ``HCLIENT`` and take ownership of it.

        Normally you get a PopClient from :meth:`connect` instead.
        """
        super().__init__(handle)
        # The structure of the connect call (and its verify trampoline), kept with the session.
        self._credentials: Optional[NativeCredentials] = None
        self._progress: Optional[ProgressCallback] = None
        self._progress_proc: Optional[Any] = None
        self._trace: Optional[PopTraceCallback] = None
        self._trace_proc: Optional[Any] = None

    @classmethod
    def connect(cls, host: str, port: int = 0, timeout: float = 0, *,
                secure: Union[None, bool, str] = None,
                trusted_site: bool = False,
                secure_fallback: bool = False,
                tunnel: bool = False,
                prefer_ipv6: bool = False,
                freethread: bool = False,
                linebreak: bool = False,
                credentials: Optional[Credentials] = None) -> "PopClient":
        """Connect, read the greeting, secure the session and read the
        capabilities (``PopConnect``).

        Args:
            host: a host name, an IPv4 literal or an IPv6 literal.
            port: 0 for 110 (995 with ``secure="implicit"``). Port 995
                implies implicit TLS unless ``tunnel``.
            timeout: seconds (rounded up) for the connect, the greeting and
                the capabilities, and the inactivity limit of every later
                call; 0 for the library default (30 s).
            secure: None (or False) for a plain session; ``"explicit"`` (or
                True) to send STLS, required; ``"implicit"`` for TLS from
                the first byte.
            trusted_site: TLS: do not fail on certificate problems.
            secure_fallback: TLS: also allow TLS 1.0/1.1 and legacy ciphers.
            tunnel: the connection is tunnelled or forwarded: the port never
                implies TLS, and the certificate is verified against
                ``credentials.verify_name``.
            prefer_ipv6: try IPv6 addresses first.
            freethread: let any thread use the client.
            linebreak: :class:`MessageStream` reads and
                :meth:`retrieve_to` pieces hold one line (with its CR LF)
                at a time.
            credentials: TLS settings (:class:`~inetkit.tls.Credentials`);
                only with ``secure``.

        Raises:
            TlsRequiredError: ``secure="explicit"`` and the server does not
                offer STLS or refused it; nothing was sent in plaintext.
            PlaintextInjectionError: the server sent bytes after its STLS
                reply and before the handshake.
            ServerError: the greeting was ``-ERR``.
            CertificateError, SecurityError: the TLS handshake failed.
            InetConnectionRefusedError, InetTimeoutError, HostNotFoundError, ...
        """
        options = _native.POP_OPTION_NONE
        if secure is None or secure is False:
            pass
        elif secure is True or secure == "explicit":
            options |= _native.POP_OPTION_SECURE_EXPLICIT
        elif secure == "implicit":
            options |= _native.POP_OPTION_SECURE_IMPLICIT
        else:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER,
                                        f"secure must be None, 'explicit' or 'implicit', not {secure!r}")
        for flag, option in ((trusted_site, _native.POP_OPTION_TRUSTEDSITE),
                             (secure_fallback, _native.POP_OPTION_SECURE_FALLBACK),
                             (tunnel, _native.POP_OPTION_TUNNEL),
                             (prefer_ipv6, _native.POP_OPTION_PREFER_IPV6),
                             (freethread, _native.POP_OPTION_FREETHREAD),
                             (linebreak, _native.POP_OPTION_LINEBREAK)):
            if flag:
                options |= option
        native = _native_credentials(credentials)
        lib = _pop()
        handle = _handle_call(lib.PopConnect, _encode(host, "host"), _uint(port, "port"),
                              _timeout(timeout), options, _pointer(native), credentials=native)
        client = cls(handle)
        client._credentials = native
        return client

    # -- calls

    @staticmethod
    def _raise(error: InetError) -> None:
        """Raise what a data or progress callback raised during the call, else ``error``."""
        cause = _take_callback_error()
        if cause is not None:
            raise cause
        raise error

    def _call(self, func: Callable[..., int], *args: Any) -> None:
        """Call an export that returns an error code; raise if it is nonzero."""
        _take_callback_error()  # forget a stale one
        with _scope:
            rc = func(*args)
            if rc:
                self._raise(error_from_last_call(rc))

    def _fetch(self, call: Callable[[Any, Any], int], initial: int = _CHUNK) -> bytes:
        """Run an export with the size-query idiom over bytes; raise on failure."""
        _take_callback_error()
        with _scope:
            rc, data = _native.query_bytes(call, initial)
            if rc:
                self._raise(error_from_last_call(rc))
        return data

    def _string(self, call: Callable[[Any, Any], int], initial: int = 256) -> str:
        with _scope:
            rc, text = _native.query_string(call, initial)
            if rc:
                raise error_from_last_call(rc)
        return text

    # -- session

    def login(self, user: Text, password: Text,
              mechanism: Union[str, PopAuth, int] = "default") -> None:
        """Authenticate (``PopLogin``); then the message methods work.

        Args:
            user: the user name (str as UTF-8, or bytes).
            password: the password (the access token for ``"xoauth2"`` and
                ``"oauthbearer"``).
            mechanism: a :class:`PopAuth` or its name. ``"default"`` picks
                the strongest the server offers; on a plain connection it
                never picks one that sends the password in the clear (ask
                for ``"pass"`` or ``"plain"`` by name for that).

        Raises:
            AuthenticationError: refused (wrong user name or password), or
                the server could not prove it knows the password (SCRAM).
            AuthUnavailableError: no acceptable mechanism.
            MailboxInUseError, LoginDelayError: ``-ERR [IN-USE]``, ``[LOGIN-DELAY]``.
            InvalidStateError: already logged in.
            InvalidParameterError: the user name or password holds CR, LF
                or NUL, or is longer than 4096 bytes; nothing was sent.
        """
        auth = _mechanism(mechanism)
        self._call(_native.library().PopLogin, self.handle, auth, _text(user, "user"),
                   _text(password, "password"))

    def quit(self) -> None:
        """Send QUIT: the server removes the messages marked deleted if it
        answers +OK. The client stays open for :attr:`last_reply` until
        :meth:`close`."""
        self._call(_native.library().PopQuit, self.handle)

    def close(self) -> None:
        """End the session and release the handle (``PopDisconnect``); later
        calls do nothing.

        Sends QUIT first (deletions take effect) when the session is in step,
        no :class:`MessageStream` is open and this thread may use the client;
        otherwise closes without it (the server drops the deletions). Works from any thread: a call blocked on
        the client in another thread fails with :class:`CanceledError`.
        """
        super().close()

    @property
    def capabilities(self) -> List[str]:
        """The server's CAPA lines (``["TOP", "UIDL", "SASL PLAIN", ...]``);
        empty if CAPA failed. Read again after STLS and after the login."""
        handle = self.handle
        lib = _native.library()
        text = self._string(lambda buffer, length: lib.PopGetCapabilities(handle, buffer, length), 1024)
        return [line for line in text.split("\n") if line]

    def capability(self, name: str) -> Optional[str]:
        """The arguments of one capability (case-insensitive name):
        ``capability("SASL")`` gives ``"PLAIN SCRAM-SHA-256"``; ``""`` for a
        capability without arguments; None when the server does not list it."""
        handle = self.handle
        lib = _native.library()
        key = _text(name, "name")
        with _scope:
            rc, text = _native.query_string(
                lambda buffer, length: lib.PopGetCapability(handle, key, buffer, length))
            if rc == ErrorCode.NOT_FOUND:
                return None
            if rc:
                raise error_from_last_call(rc)
        return text

    @property
    def last_reply(self) -> Reply:
        """The server's last status line: ``Reply(ok, line)``."""
        handle = self.handle
        lib = _native.library()
        ok = _native.BOOL(0)
        line = self._string(lambda buffer, length: lib.PopGetLastReply(handle, ctypes.byref(ok),
                                                                        buffer, length))
        return Reply(bool(ok.value), line)

    @property
    def security(self) -> Optional[SecurityInfo]:
        """TLS details of the session (``PopGetSecurityInfo``), or None on a plain one."""
        info = _native.INETSECURITYINFO.new()
        self._call(_native.library().PopGetSecurityInfo, self.handle, ctypes.byref(info))
        if info.dwProtocol == 0:
            return None
        return SecurityInfo._from_struct(info)

    @property
    def secure(self) -> bool:
        """True when the session carries TLS."""
        return self.security is not None

    # -- mailbox

    def stat(self) -> MailboxStat:
        """STAT: ``(count, octets)`` of the mailbox as it was at login."""
        count = DWORD(0)
        octets = ULONGLONG(0)
        self._call(_native.library().PopGetMessageCount, self.handle, ctypes.byref(count),
                   ctypes.byref(octets))
        return MailboxStat(count.value, octets.value)

    def list(self) -> List[MessageInfo]:
        """Every message's number, size, unique id and deletion mark
        (LIST and UIDL, pipelined when the server allows it)."""
        handle = self.handle
        lib = _native.library()
        count = DWORD(0)
        self._call(lib.PopListMessages, handle, ctypes.byref(count))
        info = _native.POPMESSAGEINFO.new()
        result = []
        for number in range(1, count.value + 1):
            self._call(lib.PopGetMessageInfo, handle, number, ctypes.byref(info))
            result.append(MessageInfo._from_struct(info))
        return result

    def __iter__(self) -> Iterator[MessageInfo]:
        """Iterate over :meth:`list`."""
        return iter(self.list())

    def messages(self, lines: Optional[int] = None) -> Iterator[Tuple[MessageInfo, bytes]]:
        """Yield ``(info, text)`` for every message not marked deleted, in
        number order::

            for info, data in pop.messages():
                handle(info.uid, data)
                pop.delete(info.number)

        Args:
            lines: None for the whole message (RETR); a number for the
                headers and that many body lines (TOP; 0: the headers only).

        The mailbox is listed when the iteration starts; each message is
        fetched only when it is reached, so one is in memory at a time, and
        the loop body may use the client (delete, store, ...). Messages
        deleted meanwhile are skipped.

        Raises:
            The errors of :meth:`retrieve` and :meth:`top`.
        """
        count = None if lines is None else _uint(lines, "lines")
        for info in self.list():
            # Asked again: the loop body may have deleted it since the listing.
            if self.info(info.number).deleted:
                continue
            data = self.retrieve(info.number) if count is None else self.top(info.number, count)
            yield info, data

    def info(self, number: int) -> MessageInfo:
        """:class:`MessageInfo` of one message (lists the mailbox first if needed)."""
        info = _native.POPMESSAGEINFO.new()
        self._call(_native.library().PopGetMessageInfo, self.handle, _message(number),
                   ctypes.byref(info))
        return MessageInfo._from_struct(info)

    def size(self, number: int) -> int:
        """The size of a message as the server reports it (LIST n)."""
        octets = ULONGLONG(0)
        self._call(_native.library().PopGetMessageSize, self.handle, _message(number),
                   ctypes.byref(octets))
        return octets.value

    def uid(self, number: int) -> str:
        """The unique id of a message (UIDL n).

        Raises:
            InetError: ``NOT_SUPPORTED`` when the server gives no unique ids.
        """
        handle = self.handle
        lib = _native.library()
        value = _message(number)
        return self._string(lambda buffer, length: lib.PopGetMessageUid(handle, value, buffer, length),
                            72)

    def find(self, uid: str) -> int:
        """The number of the message with unique id ``uid``.

        Raises:
            NotFoundError: no message has it (a :class:`LookupError`).
        """
        number = DWORD(0)
        self._call(_native.library().PopFindMessage, self.handle, _text(uid, "uid"),
                   ctypes.byref(number))
        return number.value

    # -- retrieval

    def retrieve(self, number: int) -> bytes:
        """RETR: the whole message, exactly as stored.

        Raises:
            ResponseTooLargeError: the message is larger than the
                ``MaxMemoryMessage`` setting (64 MiB): use :meth:`store`,
                :meth:`open` or :meth:`retrieve_to`.
            MessageIncompleteError: the connection ended before the message did.
            ServerError: ``-ERR`` (for example a message deleted meanwhile).
            InvalidParameterError: no such message.
        """
        handle = self.handle
        lib = _native.library()
        value = _message(number)
        return self._fetch(lambda buffer, length: lib.PopGetMessage(handle, value, buffer, length))

    def headers(self, number: int) -> bytes:
        """TOP n 0: the header block of a message, with its blank line."""
        handle = self.handle
        lib = _native.library()
        value = _message(number)
        return self._fetch(lambda buffer, length: lib.PopGetMessageHeaders(handle, value, buffer, length),
                           4096)

    def top(self, number: int, lines: int) -> bytes:
        """TOP n lines: the headers and the first ``lines`` body lines."""
        handle = self.handle
        lib = _native.library()
        value = _message(number)
        count = _uint(lines, "lines")
        return self._fetch(lambda buffer, length: lib.PopGetMessageTop(handle, value, count,
                                                                       buffer, length))

    def store(self, number: int, path: PathLike) -> None:
        """RETR into the file ``path``, replacing it; the file appears only
        once the whole message has arrived and is on disk."""
        self._call(_native.library().PopStoreMessage, self.handle, _message(number),
                   _file(path, "path"))

    def open(self, number: int, lines: Optional[int] = None) -> "MessageStream":
        """A message as a read-only binary stream (RETR, or TOP n ``lines``).

        While it is open, the client's other calls raise
        :class:`InvalidStateError`: read it and close it (it is a context
        manager); closing reads and drops the rest, so the session stays in
        step.
        """
        count = _native.POP_ALL_LINES if lines is None else _uint(lines, "lines")
        if count == _native.POP_ALL_LINES and lines is not None:
            raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"lines out of range: {lines}")
        value = _message(number)
        self._call(_native.library().PopOpenMessage, self.handle, value, count)
        return MessageStream(self, value, lines)

    def retrieve_to(self, number: int, callback: DataCallback) -> int:
        """RETR through ``callback(data)``, in pieces of up to 64 KiB (one
        line each with ``linebreak=True``).

        ``callback`` returns False to stop (:class:`CanceledError`); any
        other value goes on. An exception it raises stops the retrieval and
        propagates from this call. A stopped retrieval leaves the session out
        of step: close the client.

        Returns:
            The number of bytes delivered.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        total = 0

        def trampoline(_client: Optional[int], _message_number: int, data: Optional[int],
                       size: int, _param: Optional[int]) -> int:
            nonlocal total
            try:
                chunk = ctypes.string_at(data, size) if size else b""
                total += size
                return 0 if callback(chunk) is False else 1
            except BaseException as exc:  # stop; raised again by _raise
                _keep_callback_error(exc)
                return 0

        proc = _native.POPDATAPROC(trampoline)
        self._call(_native.library().PopRetrieveMessage, self.handle, _message(number), proc, None)
        return total

    def _count_call(self, func: Callable[..., int], *args: Any) -> int:
        """Call an export whose last argument is an LPDWORD count, set also on failure.

        A failure raises with the count in the exception's ``count`` attribute.
        """
        count = DWORD(0)
        _take_callback_error()
        with _scope:
            rc = func(*args, ctypes.byref(count))
            if rc:
                error = error_from_last_call(rc)
                error.count = count.value  # type: ignore[attr-defined]
                self._raise(error)
        return count.value

    def store_many(self, directory: PathLike, messages: Optional[Iterable[int]] = None) -> int:
        """Store messages into ``directory``, one file each: ``<uid>.eml``
        when the unique id is safe as a file name, else ``<number>.eml``; each
        complete or absent. Pipelined when the server allows it.

        Args:
            directory: an existing directory.
            messages: the message numbers; None for every message not
                marked deleted.

        Returns:
            How many files were written. A failure raises with that count in
            the exception's ``count`` attribute.

        Raises:
            NotFoundError: ``directory`` is not an existing directory.
        """
        handle = self.handle
        path = _file(directory, "directory")
        if messages is None:
            array, n = None, 0
        else:
            array = _messages(messages)
            n = len(array)
            if n == 0:
                return 0  # (NULL, 0) would mean every message
        return self._count_call(_native.library().PopStoreMessages, handle, array, n, path)

    def store_new(self, seen_file: PathLike, directory: PathLike) -> int:
        """The new-mail helper: store every message whose unique id is not in
        ``seen_file`` (one id a line, created if missing) into ``directory``
        as :meth:`store_many` does, appending each id to ``seen_file`` only
        once its file is complete on disk.

        Returns:
            How many new messages were stored (0 when there is nothing new).
            A failure raises with that count in the exception's ``count``.

        Raises:
            InetError: ``NOT_SUPPORTED`` when the server gives no unique ids.
        """
        return self._count_call(_native.library().PopStoreNewMessages, self.handle,
                                _file(seen_file, "seen_file"), _file(directory, "directory"))

    # -- changes

    def delete(self, number: int) -> None:
        """DELE: mark a message; it goes when QUIT is answered +OK."""
        self._call(_native.library().PopDeleteMessage, self.handle, _message(number))

    def delete_many(self, messages: Iterable[int]) -> int:
        """DELE each message (pipelined when possible).

        Returns:
            How many the server accepted. A failure raises after every reply
            was read, with that count in the exception's ``count`` attribute.
        """
        handle = self.handle
        array = _messages(messages)
        if len(array) == 0:
            return 0
        return self._count_call(_native.library().PopDeleteMessages, handle, array, len(array))

    def reset(self) -> None:
        """RSET: unmark every deletion."""
        self._call(_native.library().PopReset, self.handle)

    def noop(self) -> None:
        """NOOP: keep the session alive."""
        self._call(_native.library().PopNoop, self.handle)

    def enable_utf8(self) -> None:
        """UTF8 (RFC 6856): user names, passwords and replies in UTF-8."""
        self._call(_native.library().PopEnableUtf8, self.handle)

    def command(self, text: Text, multiline: bool = False) -> bytes:
        """Send a raw command and read its reply (``PopCommand``).

        Args:
            text: the command line, without CR LF.
            multiline: the reply has data lines, ended by a lone dot.

        Returns:
            The data lines, dot-unstuffed, with CR LF after each; ``b""``
            for a single-line reply (its status line is :attr:`last_reply`).

        Raises:
            ServerError: the reply was ``-ERR``.
            InvalidParameterError: a command that changes the session's
                state (USER, PASS, AUTH, APOP, STLS, QUIT, UTF8): use its method.
        """
        handle = self.handle
        lib = _native.library()
        line = _text(text, "command")
        if not multiline:
            self._call(lib.PopCommand, handle, line, 0, None, None)
            return b""
        return self._fetch(lambda buffer, length: lib.PopCommand(handle, line, 1, buffer, length))

    # -- settings, progress, trace

    def config(self, name: str, value: Union[str, bytes, int, bool, "os.PathLike[Any]", None]) -> None:
        """Set one rarely used setting (``PopConfig("Name=Value")``).

        Settings: ``Pipelining`` (``"auto"``, ``"on"``/True,
        ``"off"``/False), ``Timeout`` (ms of inactivity), ``Deadline`` (ms
        per call, 0 none), ``MaxLineLength`` (bytes), ``MaxMemoryMessage``
        (bytes), ``TraceFile`` (a path; ``""`` or None stops).

        Raises:
            InvalidParameterError: unknown name or bad value.
        """
        setting = _text(name, "name") + b"=" + _setting_value(value)
        self._call(_native.library().PopConfig, self.handle, setting)

    @property
    def on_progress(self) -> Optional[ProgressCallback]:
        """``on_progress(message, done, expected)`` during retrievals, or None.

        ``done`` and ``expected`` are octets (``expected`` 0 when unknown).
        Return False to cancel the retrieval (:class:`CanceledError`; the
        session is then out of step); an exception it raises cancels it too
        and propagates from the call. It runs on the thread of the call and
        must not call into this client. Assign None to remove it; the binding
        keeps it alive while it is registered.
        """
        return self._progress

    @on_progress.setter
    def on_progress(self, callback: Optional[ProgressCallback]) -> None:
        handle = self.handle
        lib = _native.library()
        if callback is None:
            self._call(lib.PopSetProgressCallback, handle, _native.POPPROGRESSPROC(), None)
            self._progress = self._progress_proc = None
            return
        if not callable(callback):
            raise TypeError("on_progress must be callable or None")

        def trampoline(_client: Optional[int], message: int, done: int, expected: int,
                       _param: Optional[int]) -> int:
            try:
                return 0 if callback(int(message), int(done), int(expected)) is False else 1
            except BaseException as exc:  # cancel; raised again by _raise
                _keep_callback_error(exc)
                return 0

        proc = _native.POPPROGRESSPROC(trampoline)
        previous = self._progress_proc
        self._progress_proc = proc  # alive before the library can call it
        try:
            self._call(lib.PopSetProgressCallback, handle, proc, None)
        except BaseException:
            self._progress_proc = previous
            raise
        self._progress = callback

    @property
    def on_trace(self) -> Optional[PopTraceCallback]:
        """``on_trace(direction, line)`` for every command sent and status
        line received (:class:`PopTraceDirection`; no CR LF), or None.

        Passwords, tokens and SASL data never appear: they read
        ``<redacted>``; message bodies are not traced. An exception it
        raises is reported through :func:`sys.unraisablehook` and otherwise
        ignored. Assign None to remove it; the binding keeps it alive while
        it is registered.
        """
        return self._trace

    @on_trace.setter
    def on_trace(self, callback: Optional[PopTraceCallback]) -> None:
        handle = self.handle
        lib = _native.library()
        if callback is None:
            self._call(lib.PopSetTraceCallback, handle, _native.POPTRACEPROC(), None)
            self._trace = self._trace_proc = None
            return
        if not callable(callback):
            raise TypeError("on_trace must be callable or None")

        def trampoline(_client: Optional[int], direction: int, line: Optional[bytes],
                       _param: Optional[int]) -> None:
            try:
                kind: Union[PopTraceDirection, int] = PopTraceDirection(direction)
            except ValueError:
                kind = direction
            callback(kind, line.decode("utf-8", "replace") if line else "")

        proc = _native.POPTRACEPROC(trampoline)
        previous = self._trace_proc
        self._trace_proc = proc
        try:
            self._call(lib.PopSetTraceCallback, handle, proc, None)
        except BaseException:
            self._trace_proc = previous
            raise
        self._trace = callback


class MessageStream(io.RawIOBase):
    """A message being read (``PopOpenMessage`` / ``PopRead`` /
    ``PopCloseMessage``): from :meth:`PopClient.open`.

    A read-only, unseekable binary stream; :meth:`read` returns ``b""`` at
    the end of the message. Wrap it in :class:`io.BufferedReader` for
    ``readline``. Close it (or use it as a context manager) before the next
    call on the client: closing reads and drops the rest of the message.

    Attributes:
        client: the :class:`PopClient`.
        message: the message number.
        lines: the body lines asked for (TOP), or None for the whole message.
    """

    def __init__(self, client: PopClient, message: int, lines: Optional[int]) -> None:
        """Made by :meth:`PopClient.open`, once the message is open in the library."""
        super().__init__()
        self.client = client
        self.message = message
        self.lines = lines

    def readable(self) -> bool:
        """True: the stream can be read (and not written or seeked)."""
        return True

    def _read(self, target: Any, size: int) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed MessageStream")
        count = DWORD(0)
        self.client._call(_native.library().PopRead, self.client.handle, target, size,
                          ctypes.byref(count))
        return count.value

    def readinto(self, buffer: Any) -> int:
        """Read up to ``len(buffer)`` bytes into ``buffer``; 0 at the end of the message.

        Raises:
            MessageIncompleteError: the connection ended before the message did.
        """
        if self.closed:
            raise ValueError("I/O operation on closed MessageStream")
        view = memoryview(buffer).cast("B")
        size = min(len(view), _CHUNK)
        if size == 0:
            return 0
        target = (ctypes.c_char * size).from_buffer(view)
        try:
            return self._read(target, size)
        finally:
            del target

    def readall(self) -> bytes:
        """The rest of the message."""
        chunks = []
        buffer = ctypes.create_string_buffer(_CHUNK)
        while True:
            count = self._read(buffer, _CHUNK)
            if count == 0:
                return b"".join(chunks)
            chunks.append(ctypes.string_at(buffer, count))

    def close(self) -> None:
        """Read and drop the rest of the message (``PopCloseMessage``), so the
        session stays in step; nothing happens when it is closed already or
        the session has ended."""
        if self.closed:
            return
        try:
            handle = self.client._handle
            if handle is not None:
                if _in_scope():  # a finalizer during a call: after it
                    _defer("PopCloseMessage", handle)
                else:
                    try:
                        self.client._call(_native.library().PopCloseMessage, handle)
                    except InetError as error:
                        # The session ended or lost step: no message is open any more.
                        if error.code not in (ErrorCode.INVALID_STATE, ErrorCode.NOT_CONNECTED,
                                              ErrorCode.INVALID_HANDLE):
                            raise
        finally:
            super().close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<inetkit.MessageStream message={self.message} {state}>"
