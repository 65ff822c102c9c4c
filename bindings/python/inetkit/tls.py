"""TLS for the Inet family: credentials, session details, certificates.

:class:`Credentials` describes how a connection is secured (our certificate
and key, the CAs to trust, protocol limits, verification settings); it is
plain Python data that becomes a ``SECURITYCREDENTIALS`` structure only for
the duration of the call that takes it. Pass it to
:meth:`Connection.connect <inetkit.Connection.connect>` (with
``secure=True``), to :class:`Listener <inetkit.Listener>` (with
``secure=True``) or to :meth:`Connection.start_tls
<inetkit.Connection.start_tls>`.

:class:`SecurityInfo`, :class:`VerifyError` and :class:`Certificate` are the
frozen results of :attr:`Connection.security
<inetkit.Connection.security>`, :attr:`Connection.verify_errors
<inetkit.Connection.verify_errors>` and :meth:`Connection.peer_certificate
<inetkit.Connection.peer_certificate>`.

Peers are verified by default: the system's CAs plus any the credentials
add, and for clients the host name (or IP address) given to ``connect``.
"""

from __future__ import annotations

import ctypes
import dataclasses
import enum
import os
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, List, Optional, Tuple, Union

from . import _native
from .errors import ErrorCode, InetError, InvalidParameterError

__all__ = [
    "Certificate",
    "Credentials",
    "NativeCredentials",
    "Protocol",
    "PskCallback",
    "SecurityField",
    "SecurityInfo",
    "VerifyCallback",
    "VerifyError",
    "VerifyMode",
]

_MAX_DWORD = 0xFFFFFFFF

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Text = Union[str, bytes]

#: ``verify(error, depth, fingerprint) -> bool``: see :class:`Credentials`.
VerifyCallback = Callable[[int, int, str], Any]

#: ``psk_callback(identity) -> bytes | None``: see :class:`Credentials`.
PskCallback = Callable[[str], Optional[bytes]]

#: The most key bytes a PSK lookup may return (``INETPSKPROC``'s buffer).
_MAX_PSK_KEY = 256


class Protocol(enum.IntEnum):
    """TLS protocol versions (``INET_PROTOCOL_*``, the TLS wire numbers)."""

    DEFAULT = _native.INET_PROTOCOL_DEFAULT
    TLS1_0 = _native.INET_PROTOCOL_TLS1_0
    TLS1_1 = _native.INET_PROTOCOL_TLS1_1
    TLS1_2 = _native.INET_PROTOCOL_TLS1_2
    TLS1_3 = _native.INET_PROTOCOL_TLS1_3


class VerifyMode(enum.IntEnum):
    """How the peer's certificate is verified (``INET_VERIFY_*``)."""

    #: Clients: :attr:`PEER`; servers: :attr:`QUERY`.
    AUTO = _native.INET_VERIFY_AUTO
    #: Do not ask for or check the peer's certificate.
    NONE = _native.INET_VERIFY_NONE
    #: Ask for and check it, but let the handshake succeed; read the outcome
    #: from :attr:`Connection.security` and :attr:`Connection.verify_errors`.
    QUERY = _native.INET_VERIFY_QUERY
    #: Require a valid certificate (for servers: a client certificate).
    PEER = _native.INET_VERIFY_PEER


class SecurityField(enum.IntEnum):
    """Fields for :meth:`Connection.security_value` (``INET_SECURITY_*``)."""

    PROTOCOL = _native.INET_SECURITY_PROTOCOL
    CIPHER_BITS = _native.INET_SECURITY_CIPHER_BITS
    RESUMED = _native.INET_SECURITY_RESUMED
    VERIFY_RESULT = _native.INET_SECURITY_VERIFY_RESULT
    PEER_CERTIFICATES = _native.INET_SECURITY_PEER_CERTIFICATES


def _enum_or_int(enum_type: Any, value: int) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        return int(value)


# ---- Results ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SecurityInfo:
    """Session details of a secured connection (``INETSECURITYINFO``).

    Attributes:
        protocol: the negotiated version (:class:`Protocol`, or an int this
            binding does not know).
        protocol_name: OpenSSL's name for it, e.g. ``"TLSv1.3"``.
        cipher: the cipher suite, e.g. ``"TLS_AES_256_GCM_SHA384"``.
        cipher_bits: secret bits of the cipher.
        resumed: the session was resumed from an earlier one.
        verify_result: OpenSSL's ``X509_V_*`` result for the peer (0 = OK).
        verify_error_count: how many problems verification saw (see
            :attr:`Connection.verify_errors`).
        peer_certificates: how many certificates the peer sent (0 if none).
        local_certificate: we presented a certificate.
    """

    protocol: Union[Protocol, int]
    protocol_name: str
    cipher: str
    cipher_bits: int
    resumed: bool
    verify_result: int
    verify_error_count: int
    peer_certificates: int
    local_certificate: bool

    @classmethod
    def _from_struct(cls, info: _native.INETSECURITYINFO) -> "SecurityInfo":
        return cls(
            protocol=_enum_or_int(Protocol, info.dwProtocol),
            protocol_name=info.szProtocol.decode("utf-8", "replace"),
            cipher=info.szCipher.decode("utf-8", "replace"),
            cipher_bits=int(info.dwCipherBits),
            resumed=bool(info.bResumed),
            verify_result=int(info.dwVerifyResult),
            verify_error_count=int(info.dwVerifyErrors),
            peer_certificates=int(info.dwPeerCertificates),
            local_certificate=bool(info.bLocalCertificate),
        )


@dataclasses.dataclass(frozen=True)
class VerifyError:
    """One problem found while verifying the peer's certificate chain.

    Attributes:
        error: OpenSSL's ``X509_V_ERR_*`` number.
        fingerprint: SHA-256 of the certificate concerned, upper-case hex.
        depth: the certificate's place in the chain (0 = the peer's own).
        description: OpenSSL's text for ``error``.
    """

    error: int
    fingerprint: str
    depth: int
    description: str = ""

    @property
    def ignore_entry(self) -> str:
        """``"ERROR:FINGERPRINT"``: what ``Credentials(ignore_errors=...)`` accepts."""
        return f"{self.error}:{self.fingerprint}"

    @classmethod
    def parse(cls, line: str) -> "VerifyError":
        """Parse one ``"ERROR:FINGERPRINT:DEPTH:description"`` line of
        ``InetGetVerifyErrors``.

        Raises:
            ValueError: the line is not in that form.
        """
        parts = line.strip().split(":", 3)
        if len(parts) < 3:
            raise ValueError(f"not a verify error line: {line!r}")
        error, fingerprint, depth = parts[0], parts[1], parts[2]
        return cls(int(error), fingerprint.strip(), int(depth),
                   parts[3].strip() if len(parts) > 3 else "")

    @classmethod
    def parse_all(cls, text: str) -> List["VerifyError"]:
        """Every non-empty line of ``text`` parsed with :meth:`parse`."""
        return [cls.parse(line) for line in text.splitlines() if line.strip()]


def _parse_time(text: str) -> datetime:
    """``"YYYY-MM-DDTHH:MM:SSZ"`` to an aware UTC datetime."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclasses.dataclass(frozen=True)
class Certificate:
    """One certificate of a secured connection (``InetGetCertificateInfo``).

    Attributes:
        subject: the subject's distinguished name (RFC 2253).
        issuer: the issuer's distinguished name (RFC 2253).
        serial: the serial number, upper-case hex.
        not_before: start of validity (aware datetime, UTC).
        not_after: end of validity (aware datetime, UTC).
        san: the subject alternative names as the library writes them,
            e.g. ``("DNS:localhost", "IP:127.0.0.1")``.
        fingerprint: SHA-256 of the DER encoding, upper-case hex.
        pem: the certificate in PEM form.
        der: the certificate in DER form.
        public_key_pin: ``"sha256//BASE64"`` of the public key, as
            ``Credentials(pinned_public_key=...)`` takes it.
    """

    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    san: Tuple[str, ...]
    fingerprint: str
    pem: str = dataclasses.field(repr=False)
    der: bytes = dataclasses.field(repr=False)
    public_key_pin: str

    @property
    def dns_names(self) -> List[str]:
        """The ``DNS:`` entries of :attr:`san`, without the prefix."""
        return [entry[4:] for entry in self.san if entry.startswith("DNS:")]

    @property
    def ip_addresses(self) -> List[str]:
        """The ``IP:`` entries of :attr:`san` (``IP Address:`` too), without the prefix."""
        result = []
        for entry in self.san:
            kind, _, value = entry.partition(":")
            if kind.strip().upper() in ("IP", "IP ADDRESS"):
                result.append(value.strip())
        return result

    @classmethod
    def _fetch(cls, fetch: Callable[[int, int], bytes]) -> "Certificate":
        """Build from ``fetch(field, initial_size) -> bytes``."""

        def text(field: int, initial: int = 256) -> str:
            return fetch(field, initial).decode("utf-8", "replace")

        san_text = text(_native.INET_CERT_SAN)
        return cls(
            subject=text(_native.INET_CERT_SUBJECT),
            issuer=text(_native.INET_CERT_ISSUER),
            serial=text(_native.INET_CERT_SERIAL),
            not_before=_parse_time(text(_native.INET_CERT_NOT_BEFORE)),
            not_after=_parse_time(text(_native.INET_CERT_NOT_AFTER)),
            san=tuple(part.strip() for part in san_text.split(",") if part.strip()),
            fingerprint=text(_native.INET_CERT_FINGERPRINT),
            pem=text(_native.INET_CERT_PEM, 4096),
            der=fetch(_native.INET_CERT_DER, 4096),
            public_key_pin=text(_native.INET_CERT_PUBLIC_KEY_PIN),
        )


# ---- Credentials -------------------------------------------------------------------

def _text(value: Optional[Text], what: str) -> Optional[bytes]:
    if value is None:
        return None
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if b"\0" in data:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} contains a NUL character")
    return data


def _path(value: Optional[PathLike], what: str) -> Optional[bytes]:
    if value is None:
        return None
    data = os.fsencode(value)
    if b"\0" in data:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} contains a NUL character")
    return data


def _dword(value: int, what: str) -> int:
    number = int(value)
    if not 0 <= number <= _MAX_DWORD:
        raise InvalidParameterError(ErrorCode.INVALID_PARAMETER, f"{what} out of range: {value}")
    return number


IgnoreEntry = Union[VerifyError, Tuple[int, str], str]


def _ignore_list(value: Union[None, str, Iterable[IgnoreEntry]]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    entries = []
    for item in value:
        if isinstance(item, VerifyError):
            entries.append(item.ignore_entry)
        elif isinstance(item, str):
            entries.append(item)
        else:
            error, fingerprint = item
            entries.append(f"{int(error)}:{fingerprint}")
    return ",".join(entries) if entries else None


def _pin_list(value: Union[None, str, Iterable[str]]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    pins = list(value)
    return ";".join(pins) if pins else None


def _psk_key(value: Optional[Text]) -> Optional[bytes]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex().encode("ascii")
    return _text(value, "psk_key")


@dataclasses.dataclass(init=False, repr=False)
class Credentials:
    """TLS credentials and settings (``SECURITYCREDENTIALS``), all keyword arguments.

    Every field defaults to None / 0, which means the library's documented
    default. ``repr()`` shows the fields that differ from their defaults,
    with the secrets (``password``, ``private_key_pem``, ``psk_key``) masked.

    Args:
        protocol_min: lowest :class:`Protocol` accepted; default TLS 1.2
            (TLS 1.0 with ``secure_fallback=True``).
        protocol_max: highest :class:`Protocol`; default TLS 1.3.
        verify_mode: a :class:`VerifyMode`; default :attr:`VerifyMode.AUTO`.
        verify_depth: longest accepted chain below the peer certificate;
            0 for OpenSSL's default (100).
        cipher_list: ciphers for TLS 1.2 and older, OpenSSL syntax.
        cipher_suites: TLS 1.3 cipher suites, OpenSSL syntax.
        certificate_file: our certificate: a PEM file (chain, may hold the
            key too) or a PKCS#12 file.
        private_key_file: a PEM key file, if the key is not in ``certificate_file``.
        certificate_pem: our certificate chain as PEM text (instead of a file).
        private_key_pem: our key as PEM text.
        password: passphrase of the key or of the PKCS#12 file.
        ca_file: trusted CAs (a PEM file), in addition to the system's.
        ca_path: trusted CAs (an OpenSSL hashed directory).
        ca_pem: trusted CAs as PEM text.
        verify_name: the name (or IP address) to verify the peer against,
            instead of the host given to ``connect``.
        ignore_errors: verification problems to accept, each for one
            certificate: a ``"ERROR:FINGERPRINT[,...]"`` string, or an
            iterable of :class:`VerifyError` (e.g. a connection's
            :attr:`~inetkit.Connection.verify_errors`), ``(error,
            fingerprint)`` tuples or ``"ERROR:FINGERPRINT"`` strings.
        pinned_public_key: ``"sha256//BASE64"`` pins (a string with ``;``
            between pins, or an iterable): the peer's key must be one of them.
            :attr:`Certificate.public_key_pin` gives a certificate's.
        psk_identity: TLS-PSK identity (client); a server accepts only this one.
        psk_key: TLS-PSK key: hex text, or ``bytes`` (hex-encoded for you).
        verify: ``verify(error, depth, fingerprint) -> bool``, called once
            for each problem found in the peer's chain (``error`` is the
            ``X509_V_ERR_*`` number, ``depth`` the certificate's place in the
            chain, ``fingerprint`` its SHA-256 in upper-case hex). Return
            True to accept the problem, False to fail the handshake. It runs
            on the thread doing the handshake (inside ``connect``,
            ``accept`` or ``start_tls``), and must not call into that
            connection. An exception it raises rejects the problem; when the
            handshake fails because of it, the exception becomes the
            ``__cause__`` of the error raised. The binding keeps the
            callback alive as long as the library may call it (for a
            listener: as long as the listener lives).
        psk_callback: servers only: ``psk_callback(identity) -> bytes |
            None``, the TLS-PSK key for the identity a client offers (at most
            256 bytes), or None to refuse that identity; it replaces
            ``psk_identity``/``psk_key`` on the server side, and the server
            then needs no certificate. The identity arrives as a ``str``
            decoded from UTF-8 (bytes that are not UTF-8 become lone
            surrogates, so they never equal a well-formed name). It runs on
            the thread doing the handshake (inside ``accept`` or
            ``start_tls``) and must not call into that connection. Anything
            but a non-empty bytes-like value of at most 256 bytes refuses the
            identity, and so does an exception, which then becomes the
            ``__cause__`` of the error ``accept`` raises. Kept alive like
            ``verify``. Client credentials with a ``psk_callback`` are
            refused (``InvalidParameterError``).
    """

    protocol_min: Union[Protocol, int] = Protocol.DEFAULT
    protocol_max: Union[Protocol, int] = Protocol.DEFAULT
    verify_mode: Union[VerifyMode, int] = VerifyMode.AUTO
    verify_depth: int = 0
    cipher_list: Optional[str] = None
    cipher_suites: Optional[str] = None
    certificate_file: Optional[PathLike] = None
    private_key_file: Optional[PathLike] = None
    certificate_pem: Optional[Text] = None
    private_key_pem: Optional[Text] = None
    password: Optional[Text] = None
    ca_file: Optional[PathLike] = None
    ca_path: Optional[PathLike] = None
    ca_pem: Optional[Text] = None
    verify_name: Optional[str] = None
    ignore_errors: Union[None, str, Tuple[IgnoreEntry, ...]] = None
    pinned_public_key: Union[None, str, Tuple[str, ...]] = None
    psk_identity: Optional[str] = None
    psk_key: Optional[Text] = None
    verify: Optional[VerifyCallback] = dataclasses.field(default=None, compare=False)
    psk_callback: Optional[PskCallback] = dataclasses.field(default=None, compare=False)

    def __init__(self, *,
                 protocol_min: Union[Protocol, int] = Protocol.DEFAULT,
                 protocol_max: Union[Protocol, int] = Protocol.DEFAULT,
                 verify_mode: Union[VerifyMode, int] = VerifyMode.AUTO,
                 verify_depth: int = 0,
                 cipher_list: Optional[str] = None,
                 cipher_suites: Optional[str] = None,
                 certificate_file: Optional[PathLike] = None,
                 private_key_file: Optional[PathLike] = None,
                 certificate_pem: Optional[Text] = None,
                 private_key_pem: Optional[Text] = None,
                 password: Optional[Text] = None,
                 ca_file: Optional[PathLike] = None,
                 ca_path: Optional[PathLike] = None,
                 ca_pem: Optional[Text] = None,
                 verify_name: Optional[str] = None,
                 ignore_errors: Union[None, str, Iterable[IgnoreEntry]] = None,
                 pinned_public_key: Union[None, str, Iterable[str]] = None,
                 psk_identity: Optional[str] = None,
                 psk_key: Optional[Text] = None,
                 verify: Optional[VerifyCallback] = None,
                 psk_callback: Optional[PskCallback] = None) -> None:
        self.protocol_min = _enum_or_int(Protocol, _dword(protocol_min, "protocol_min"))
        self.protocol_max = _enum_or_int(Protocol, _dword(protocol_max, "protocol_max"))
        self.verify_mode = _enum_or_int(VerifyMode, _dword(verify_mode, "verify_mode"))
        self.verify_depth = _dword(verify_depth, "verify_depth")
        self.cipher_list = cipher_list
        self.cipher_suites = cipher_suites
        self.certificate_file = certificate_file
        self.private_key_file = private_key_file
        self.certificate_pem = certificate_pem
        self.private_key_pem = private_key_pem
        self.password = password
        self.ca_file = ca_file
        self.ca_path = ca_path
        self.ca_pem = ca_pem
        self.verify_name = verify_name
        # An iterator would be used up by the first call: keep a tuple.
        self.ignore_errors = (ignore_errors if ignore_errors is None or isinstance(ignore_errors, str)
                              else tuple(ignore_errors))
        self.pinned_public_key = (pinned_public_key if pinned_public_key is None
                                  or isinstance(pinned_public_key, str) else tuple(pinned_public_key))
        self.psk_identity = psk_identity
        self.psk_key = psk_key
        if verify is not None and not callable(verify):
            raise TypeError("verify must be callable")
        self.verify = verify
        if psk_callback is not None and not callable(psk_callback):
            raise TypeError("psk_callback must be callable")
        self.psk_callback = psk_callback

    _SECRETS = frozenset({"password", "private_key_pem", "psk_key"})

    def __repr__(self) -> str:
        """The fields that differ from their defaults; secrets show as ``'***'``."""
        parts = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value == field.default:
                continue
            shown = "'***'" if field.name in self._SECRETS else repr(value)
            parts.append(f"{field.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def replace(self, **changes: Any) -> "Credentials":
        """A copy with some fields changed (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    def to_native(self) -> "NativeCredentials":
        """The ``SECURITYCREDENTIALS`` structure for one call (see :class:`NativeCredentials`).

        Raises:
            InvalidParameterError: a string holds a NUL character or a number
                is out of range.
        """
        return NativeCredentials(self)

    def check(self, server: bool = False) -> None:
        """Load and check the credentials without any network traffic
        (``InetCheckCredentials``): files and PEM text parse, the passphrase
        opens the key, the key matches the certificate, CA sources load, and
        the ignore list, pins and PSK key are well formed.

        Args:
            server: the credentials are meant for a server, which then needs
                a certificate or a PSK.

        Raises:
            CertificateLoadError: unreadable file or PEM, wrong passphrase.
            CredentialsError: the key does not match the certificate, ...
            InvalidParameterError: a malformed string.
        """
        from .inet import _check_call, _inet  # inet imports this module

        native = self.to_native()
        _check_call(_inet().InetCheckCredentials, native.pointer, 1 if server else 0)

    @classmethod
    def load(cls, certificate_file: Optional[PathLike] = None,
             private_key_file: Optional[PathLike] = None,
             password: Optional[Text] = None, **settings: Any) -> "Credentials":
        """Credentials whose certificate, key and passphrase the library has
        loaded and checked (``InetCreateCredentials``), with ``settings`` (any
        other keyword argument of :class:`Credentials`) added.

        Raises:
            CertificateLoadError, CredentialsError: as :meth:`check`.
        """
        from .inet import _check_call, _inet

        lib = _inet()
        created = _native.LPSECURITYCREDENTIALS()
        _check_call(lib.InetCreateCredentials, _path(certificate_file, "certificate_file"),
                    _path(private_key_file, "private_key_file"), _text(password, "password"),
                    ctypes.byref(created))
        lib.InetDeleteCredentials(created)
        return cls(certificate_file=certificate_file, private_key_file=private_key_file,
                   password=password, **settings)


class NativeCredentials:
    """A ``SECURITYCREDENTIALS`` built from :class:`Credentials`, with
    everything it points to (the encoded strings and the verify and PSK
    trampolines) kept alive as long as this object is.

    Attributes:
        struct: the :class:`inetkit._native.SECURITYCREDENTIALS`.
        credentials: the :class:`Credentials` it was built from.
    """

    __slots__ = ("struct", "credentials", "_keep", "_proc", "_psk_proc", "_callback_error", "__weakref__")

    _STRINGS = (
        ("cipher_list", "lpszCipherList", _text),
        ("cipher_suites", "lpszCipherSuites", _text),
        ("certificate_file", "lpszCertificateFile", _path),
        ("private_key_file", "lpszPrivateKeyFile", _path),
        ("certificate_pem", "lpszCertificatePem", _text),
        ("private_key_pem", "lpszPrivateKeyPem", _text),
        ("password", "lpszPassword", _text),
        ("ca_file", "lpszCaFile", _path),
        ("ca_path", "lpszCaPath", _path),
        ("ca_pem", "lpszCaPem", _text),
        ("verify_name", "lpszVerifyName", _text),
        ("psk_identity", "lpszPskIdentity", _text),
    )

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._keep: List[Any] = []
        self._proc: Optional[Any] = None
        self._psk_proc: Optional[Any] = None
        self._callback_error: Optional[BaseException] = None
        struct = _native.SECURITYCREDENTIALS.new()
        struct.dwProtocolMin = _dword(credentials.protocol_min, "protocol_min")
        struct.dwProtocolMax = _dword(credentials.protocol_max, "protocol_max")
        struct.dwVerifyMode = _dword(credentials.verify_mode, "verify_mode")
        struct.dwVerifyDepth = _dword(credentials.verify_depth, "verify_depth")
        for attribute, member, convert in self._STRINGS:
            self._set(struct, member, convert(getattr(credentials, attribute), attribute))
        self._set(struct, "lpszIgnoreErrors", _text(_ignore_list(credentials.ignore_errors),
                                                    "ignore_errors"))
        self._set(struct, "lpszPinnedPublicKey", _text(_pin_list(credentials.pinned_public_key),
                                                       "pinned_public_key"))
        self._set(struct, "lpszPskKey", _psk_key(credentials.psk_key))
        if credentials.verify is not None:
            self._proc = _native.INETVERIFYPROC(self._trampoline(credentials.verify))
            struct.lpfnVerify = self._proc
        if credentials.psk_callback is not None:
            self._psk_proc = _native.INETPSKPROC(self._psk_trampoline(credentials.psk_callback))
            struct.lpfnPsk = self._psk_proc
        self.struct = struct

    def _set(self, struct: _native.SECURITYCREDENTIALS, member: str, value: Optional[bytes]) -> None:
        if value is not None:
            self._keep.append(value)  # the struct holds only a char* into it
        setattr(struct, member, value)

    def _trampoline(self, callback: VerifyCallback) -> Callable[..., int]:
        def trampoline(_client: Optional[int], error: int, depth: int,
                       fingerprint: Optional[bytes], _param: Optional[int]) -> int:
            try:
                text = fingerprint.decode("ascii", "replace") if fingerprint else ""
                return 1 if callback(int(error), int(depth), text) else 0
            except BaseException as exc:  # fail closed; surfaced as __cause__
                self._callback_error = exc
                return 0
        return trampoline

    def _psk_trampoline(self, callback: PskCallback) -> Callable[..., int]:
        def trampoline(_client: Optional[int], identity: Optional[bytes], key: Optional[int],
                       size: Any, _param: Optional[int]) -> int:
            try:
                if not key or not size:
                    return 0
                name = identity.decode("utf-8", "surrogateescape") if identity else ""
                found = callback(name)
                if found is None:
                    return 0
                if not isinstance(found, (bytes, bytearray, memoryview)):
                    raise TypeError(f"psk_callback must return bytes or None, not {type(found).__name__}")
                data = bytes(found)
                room = min(int(size[0]), _MAX_PSK_KEY)
                if not data or len(data) > room:
                    raise ValueError(f"psk_callback returned a key of {len(data)} bytes; "
                                     f"it must hold 1 to {room}")
                ctypes.memmove(key, data, len(data))
                size[0] = len(data)
                return 1
            except BaseException as exc:  # refuse the identity; surfaced as __cause__
                self._callback_error = exc
                return 0
        return trampoline

    @property
    def pointer(self) -> Any:
        """The ``LPCSECURITYCREDENTIALS`` argument (valid while this object lives)."""
        return ctypes.byref(self.struct)

    def take_callback_error(self) -> Optional[BaseException]:
        """The exception the verify or PSK callback raised since the last take, if any."""
        error, self._callback_error = self._callback_error, None
        return error

    def __repr__(self) -> str:
        return f"<inetkit.NativeCredentials for {self.credentials!r}>"


def _raise_with_cause(error: InetError, native: Optional[NativeCredentials]) -> None:
    """Raise ``error``, chained to the verify or PSK callback's exception if it raised one."""
    cause = native.take_callback_error() if native is not None else None
    if cause is not None:
        raise error from cause
    raise error
