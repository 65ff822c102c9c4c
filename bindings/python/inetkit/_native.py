"""Low-level ctypes declarations for the inetkit shared library.

This module is the only place that knows about the C ABI:

* :data:`PROTOTYPES` maps every export of ``def/inetkit.def`` to its
  ``(restype, argtypes)`` pair. It is plain data, so it can be read (by
  ``tests/abi/check_bindings.py``) without loading the library.
* :func:`find_library` decides which shared object to load, and
  :func:`library` loads it on first use (thread-safe) and applies the
  prototypes. Importing this module never loads anything.
* The ``INET_*`` constants mirror ``include/inetkit/common.h`` and
  ``include/inetkit/inet.h``; :class:`SECURITYCREDENTIALS` and
  :class:`INETSECURITYINFO` are the two structures of the TLS API, member for
  member (ctypes lays them out like the C compiler, so pointer members land at
  the right offsets on 32- and 64-bit builds alike).
* The ``POP_*`` constants, :class:`POPMESSAGEINFO` and the callback types
  :data:`POPDATAPROC`, :data:`POPPROGRESSPROC` and :data:`POPTRACEPROC`
  mirror ``include/inetkit/pop.h``.
* The ``MX_*`` constants, :class:`MXRECORD`, :class:`MXADDRESS`,
  :class:`MXRESULT` and the callback types :data:`MXRESPONSEPROC` and
  :data:`MXERRORPROC` mirror ``include/inetkit/mx.h``.

All exports use the cdecl calling convention, hence :class:`ctypes.CDLL`.
ctypes releases the GIL around every foreign call, so a blocking inetkit call
does not stop other Python threads.

This module imports nothing from the rest of the package, so it can also be
loaded on its own from its file path.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "PROTOTYPES",
    "ENV_LIBRARY",
    "LibraryNotFoundError",
    "find_library",
    "library_candidates",
    "library",
    "library_path",
    "query_bytes",
    "query_string",
    "SECURITYCREDENTIALS",
    "INETSECURITYINFO",
    "INETVERIFYPROC",
    "INETPSKPROC",
    "INETTRACEPROC",
    "POPMESSAGEINFO",
    "POPDATAPROC",
    "POPPROGRESSPROC",
    "POPTRACEPROC",
    "MXRECORD",
    "MXADDRESS",
    "MXRESULT",
    "MXRESPONSEPROC",
    "MXERRORPROC",
]

# ---- C types (include/inetkit/common.h) --------------------------------------

DWORD = ctypes.c_uint32
UINT = ctypes.c_uint
#: ``int32_t`` (TRUE is 1, FALSE is 0).
BOOL = ctypes.c_int32
INT = ctypes.c_int32
LPINT = ctypes.POINTER(INT)
LPDWORD = ctypes.POINTER(DWORD)
LPUINT = ctypes.POINTER(UINT)
LPBOOL = ctypes.POINTER(BOOL)
ULONGLONG = ctypes.c_uint64
LPULONGLONG = ctypes.POINTER(ULONGLONG)
#: ``const DWORD *``: pass a ctypes DWORD array (or None).
LPCDWORD = ctypes.POINTER(DWORD)
#: Output string buffer: pass a ``ctypes.create_string_buffer`` (or None).
LPSTR = ctypes.c_char_p
#: Input string: pass ``bytes`` (UTF-8, NUL-terminated by ctypes).
LPCSTR = ctypes.c_char_p
#: Output byte buffer: pass a ctypes char array.
LPVOID = ctypes.c_void_p
#: Input byte buffer: pass ``bytes`` or a ctypes char array.
LPCVOID = ctypes.c_void_p
#: Opaque handle token; 0 (None in ctypes) is INVALID_CLIENT.
HCLIENT = ctypes.c_void_p

#: ``void (*)(HCLIENT, DWORD dwDirection, LPCVOID lpData, DWORD cbData, LPVOID lpParam)``
INETTRACEPROC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p,
                                 ctypes.c_uint32, ctypes.c_void_p)

#: ``BOOL (*)(HCLIENT hClient, DWORD dwError, DWORD dwDepth, LPCSTR lpszFingerprint, LPVOID lpParam)``
#: (common.h). Return nonzero to accept the reported verification problem.
INETVERIFYPROC = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32,
                                  ctypes.c_char_p, ctypes.c_void_p)

#: ``BOOL (*)(HCLIENT hClient, LPCSTR lpszIdentity, LPVOID lpKey, LPDWORD lpcbKey, LPVOID lpParam)``
#: (common.h): a server's TLS-PSK lookup. Copy at most ``*lpcbKey`` bytes (256) of
#: the identity's key into ``lpKey``, set ``*lpcbKey`` to its length and return
#: nonzero; return 0 to refuse the identity.
INETPSKPROC = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p,
                               ctypes.POINTER(ctypes.c_uint32), ctypes.c_void_p)


class SECURITYCREDENTIALS(ctypes.Structure):
    """``SECURITYCREDENTIALS`` of common.h, member for member.

    Zero-initialised by ctypes; set ``dwSize`` to ``ctypes.sizeof(SECURITYCREDENTIALS)``
    (:meth:`new` does). ``LPCSTR`` members take ``bytes`` (NUL-terminated by
    ctypes) or None; the structure keeps a reference to the bytes assigned.
    """

    _fields_ = [
        ("dwSize", DWORD),
        ("dwProtocolMin", DWORD),
        ("dwProtocolMax", DWORD),
        ("dwVerifyMode", DWORD),
        ("dwVerifyDepth", DWORD),
        ("lpszCipherList", LPCSTR),
        ("lpszCipherSuites", LPCSTR),
        ("lpszCertificateFile", LPCSTR),
        ("lpszPrivateKeyFile", LPCSTR),
        ("lpszCertificatePem", LPCSTR),
        ("lpszPrivateKeyPem", LPCSTR),
        ("lpszPassword", LPCSTR),
        ("lpszCaFile", LPCSTR),
        ("lpszCaPath", LPCSTR),
        ("lpszCaPem", LPCSTR),
        ("lpszVerifyName", LPCSTR),
        ("lpszIgnoreErrors", LPCSTR),
        ("lpszPinnedPublicKey", LPCSTR),
        ("lpszPskIdentity", LPCSTR),
        ("lpszPskKey", LPCSTR),
        ("lpfnVerify", INETVERIFYPROC),
        ("lpVerifyParam", LPVOID),
        ("lpfnPsk", INETPSKPROC),
        ("lpPskParam", LPVOID),
    ]

    @classmethod
    def new(cls) -> "SECURITYCREDENTIALS":
        """A zeroed structure with ``dwSize`` set."""
        return cls(dwSize=ctypes.sizeof(cls))


LPSECURITYCREDENTIALS = ctypes.POINTER(SECURITYCREDENTIALS)
#: Pass ``ctypes.byref(structure)``, a pointer, or None (no credentials).
LPCSECURITYCREDENTIALS = LPSECURITYCREDENTIALS


class INETSECURITYINFO(ctypes.Structure):
    """``INETSECURITYINFO`` of inet.h: session details of a secured connection."""

    _fields_ = [
        ("dwSize", DWORD),
        ("dwProtocol", DWORD),
        ("dwCipherBits", DWORD),
        ("bResumed", BOOL),
        ("dwVerifyResult", DWORD),
        ("dwVerifyErrors", DWORD),
        ("dwPeerCertificates", DWORD),
        ("bLocalCertificate", BOOL),
        ("szProtocol", ctypes.c_char * 16),
        ("szCipher", ctypes.c_char * 64),
    ]

    @classmethod
    def new(cls) -> "INETSECURITYINFO":
        """A zeroed structure with ``dwSize`` set."""
        return cls(dwSize=ctypes.sizeof(cls))


LPINETSECURITYINFO = ctypes.POINTER(INETSECURITYINFO)


# ---- The Pop family (include/inetkit/pop.h) ----------------------------------

class POPMESSAGEINFO(ctypes.Structure):
    """``POPMESSAGEINFO`` of pop.h: what PopListMessages learned about one message."""

    _fields_ = [
        ("dwSize", DWORD),
        ("dwMessage", DWORD),
        ("ullOctets", ULONGLONG),
        ("bDeleted", BOOL),
        ("szUid", ctypes.c_char * 72),
    ]

    @classmethod
    def new(cls) -> "POPMESSAGEINFO":
        """A zeroed structure with ``dwSize`` set."""
        return cls(dwSize=ctypes.sizeof(cls))


LPPOPMESSAGEINFO = ctypes.POINTER(POPMESSAGEINFO)

#: ``BOOL (*)(HCLIENT hClient, DWORD dwMessage, LPCVOID lpData, DWORD cbData, LPVOID lpParam)``:
#: a piece of message data. Return 0 to stop (the call fails with CANCELED).
POPDATAPROC = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p,
                               ctypes.c_uint32, ctypes.c_void_p)

#: ``BOOL (*)(HCLIENT hClient, DWORD dwMessage, ULONGLONG ullDone, ULONGLONG ullExpected, LPVOID lpParam)``:
#: progress of a retrieval. Return 0 to cancel.
POPPROGRESSPROC = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64,
                                   ctypes.c_uint64, ctypes.c_void_p)

#: ``void (*)(HCLIENT hClient, DWORD dwDirection, LPCSTR lpszLine, LPVOID lpParam)``:
#: one protocol line, without its CR LF.
POPTRACEPROC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_void_p)

# ---- The Mx family (include/inetkit/mx.h) ------------------------------------

class MXRECORD(ctypes.Structure):
    """``MXRECORD`` of mx.h: one exchanger of a result (584 bytes, no padding)."""

    _fields_ = [
        ("dwSize", DWORD),
        ("dwRequestId", DWORD),
        ("dwIndex", DWORD),
        ("dwCount", DWORD),
        ("dwPrecedence", DWORD),
        ("dwTimeToLive", DWORD),
        ("dwStatusCode", DWORD),
        ("bAuthoritative", BOOL),
        ("dwFlags", DWORD),
        ("dwAddressCount", DWORD),
        ("szDomain", ctypes.c_char * 256),
        ("szMailServer", ctypes.c_char * 256),
        ("szDescription", ctypes.c_char * 32),
    ]

    @classmethod
    def new(cls) -> "MXRECORD":
        """A zeroed structure with ``dwSize`` set."""
        return cls(dwSize=ctypes.sizeof(cls))


class MXADDRESS(ctypes.Structure):
    """``MXADDRESS`` of mx.h: one address of an exchanger (60 bytes)."""

    _fields_ = [
        ("dwSize", DWORD),
        ("dwFamily", DWORD),
        ("dwTimeToLive", DWORD),
        ("szAddress", ctypes.c_char * 48),
    ]

    @classmethod
    def new(cls) -> "MXADDRESS":
        """A zeroed structure with ``dwSize`` set."""
        return cls(dwSize=ctypes.sizeof(cls))


class MXRESULT(ctypes.Structure):
    """``MXRESULT`` of mx.h: the outcome of one request (1116 bytes)."""

    _fields_ = [
        ("dwSize", DWORD),
        ("dwRequestId", DWORD),
        ("dwError", DWORD),
        ("dwStatusCode", DWORD),
        ("dwCount", DWORD),
        ("dwFlags", DWORD),
        ("dwElapsed", DWORD),
        ("szDomain", ctypes.c_char * 256),
        ("szCanonicalName", ctypes.c_char * 256),
        ("szDnsServer", ctypes.c_char * 64),
        ("szStatus", ctypes.c_char * 512),
    ]

    @classmethod
    def new(cls) -> "MXRESULT":
        """A zeroed structure with ``dwSize`` set."""
        return cls(dwSize=ctypes.sizeof(cls))


LPMXRECORD = ctypes.POINTER(MXRECORD)
LPMXADDRESS = ctypes.POINTER(MXADDRESS)
LPMXRESULT = ctypes.POINTER(MXRESULT)

#: ``void (*)(HCLIENT hClient, const MXRECORD *lpRecord, const MXADDRESS *lpAddresses, LPVOID lpParam)``:
#: one exchanger of a finished request; ``lpAddresses`` holds ``lpRecord->dwAddressCount``
#: addresses. Both are valid only during the call.
MXRESPONSEPROC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, LPMXRECORD, LPMXADDRESS, ctypes.c_void_p)

#: ``void (*)(HCLIENT hClient, DWORD dwRequestId, LPCSTR lpszDomain, DWORD dwErrorCode,
#: DWORD dwStatusCode, LPCSTR lpszDescription, LPVOID lpParam)``: a request failed.
MXERRORPROC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_uint32,
                               ctypes.c_uint32, ctypes.c_char_p, ctypes.c_void_p)

# ---- Constants (include/inetkit/common.h, include/inetkit/inet.h) ------------

INVALID_CLIENT = 0

INET_OPTION_NONE = 0x00000000
INET_OPTION_TRUSTEDSITE = 0x00000800
INET_OPTION_SECURE = 0x00001000
INET_OPTION_SECURE_FALLBACK = 0x00010000
INET_OPTION_PREFER_IPV6 = 0x00004000
INET_OPTION_FREETHREAD = 0x00008000

INET_PROTOCOL_DEFAULT = 0x0000
INET_PROTOCOL_TLS1_0 = 0x0301
INET_PROTOCOL_TLS1_1 = 0x0302
INET_PROTOCOL_TLS1_2 = 0x0303
INET_PROTOCOL_TLS1_3 = 0x0304

INET_VERIFY_AUTO = 0
INET_VERIFY_NONE = 1
INET_VERIFY_QUERY = 2
INET_VERIFY_PEER = 3

INET_SECURITY_PROTOCOL = 1
INET_SECURITY_CIPHER_BITS = 2
INET_SECURITY_RESUMED = 3
INET_SECURITY_VERIFY_RESULT = 4
INET_SECURITY_PEER_CERTIFICATES = 5

INET_CERTIFICATE_LOCAL = 0xFFFFFFFF

INET_CERT_SUBJECT = 1
INET_CERT_ISSUER = 2
INET_CERT_SERIAL = 3
INET_CERT_NOT_BEFORE = 4
INET_CERT_NOT_AFTER = 5
INET_CERT_SAN = 6
INET_CERT_FINGERPRINT = 7
INET_CERT_PEM = 8
INET_CERT_DER = 9
INET_CERT_PUBLIC_KEY_PIN = 10

INET_LIBRARY_VERSION = 1
INET_LIBRARY_OPENSSL_VERSION = 2
INET_LIBRARY_OPENSSL_BUILT = 3
INET_LIBRARY_CARES_VERSION = 4

INET_DEFAULT_TIMEOUT = 30
INET_WAIT_INFINITE = 0xFFFFFFFF

INET_TIMEOUT_INACTIVITY = 1
INET_TIMEOUT_CALL = 2

INET_SHUTDOWN_RECEIVE = 0
INET_SHUTDOWN_SEND = 1
INET_SHUTDOWN_BOTH = 2

INET_TRACE_RECEIVE = 1
INET_TRACE_SEND = 2

INET_MAX_HOSTNAME = 255
INET_ADDRESS_BUFFER = 64

# include/inetkit/pop.h
POP_OPTION_NONE = 0x00000000
POP_OPTION_LINEBREAK = 0x00000001
POP_OPTION_TUNNEL = 0x00000400
POP_OPTION_TRUSTEDSITE = 0x00000800
POP_OPTION_SECURE_EXPLICIT = 0x00001000
POP_OPTION_SECURE_IMPLICIT = 0x00002000
POP_OPTION_SECURE = POP_OPTION_SECURE_EXPLICIT
POP_OPTION_PREFER_IPV6 = 0x00004000
POP_OPTION_FREETHREAD = 0x00008000
POP_OPTION_SECURE_FALLBACK = 0x00010000

POP_PORT = 110
POP_PORT_SECURE = 995
POP_DEFAULT_TIMEOUT = 30

POP_AUTH_DEFAULT = 0
POP_AUTH_PASS = 1
POP_AUTH_APOP = 2
POP_AUTH_LOGIN = 3
POP_AUTH_PLAIN = 4
POP_AUTH_CRAM_MD5 = 5
POP_AUTH_SCRAM_SHA1 = 6
POP_AUTH_SCRAM_SHA256 = 7
POP_AUTH_XOAUTH2 = 8
POP_AUTH_OAUTHBEARER = 9

POP_TRACE_COMMAND = 1
POP_TRACE_REPLY = 2

POP_ALL_LINES = 0xFFFFFFFF

# include/inetkit/mx.h
MX_OPTION_NONE = 0x00000000
MX_OPTION_FREETHREAD = 0x00008000

MX_DNS_PORT = 53
MX_DEFAULT_TIMEOUT = 60
MX_WAIT_INFINITE = 0xFFFFFFFF

MX_RECORD_IMPLICIT = 0x00000001
MX_RECORD_LITERAL = 0x00000002
MX_RECORD_ALIAS = 0x00000004
MX_RECORD_NO_ADDRESS = 0x00000008

MX_RESULT_AUTHORITATIVE = 0x00000001
MX_RESULT_CNAME = 0x00000002
MX_RESULT_TRUNCATED = 0x00000004
MX_RESULT_RECORDS_DROPPED = 0x00000008

MX_STATUS_OK = 0
MX_STATUS_FORMAT_ERROR = 1
MX_STATUS_SERVER_FAILURE = 2
MX_STATUS_NAME_ERROR = 3
MX_STATUS_NOT_IMPLEMENTED = 4
MX_STATUS_REFUSED = 5
MX_STATUS_NO_ANSWER = 0xFFFFFFFF

#: Error codes this module needs itself (the full table is errors.ErrorCode).
_ERROR_INSUFFICIENT_BUFFER = 122

# ---- Prototypes: one entry per export of def/inetkit.def ---------------------

Prototype = Tuple[Any, List[Any]]

#: name -> (restype, argtypes) for every exported function.
PROTOTYPES: Dict[str, Prototype] = {
    # Library lifetime and errors
    "InetInitialize": (DWORD, []),
    "InetUninitialize": (DWORD, []),
    "InetGetVersion": (DWORD, []),
    "InetGetLastError": (DWORD, []),
    "InetGetLastErrorMessage": (DWORD, [LPSTR, LPDWORD]),
    "InetGetErrorString": (DWORD, [DWORD, LPSTR, LPDWORD]),
    # Connections
    "InetConnect": (HCLIENT, [LPCSTR, UINT, UINT, DWORD, LPCSECURITYCREDENTIALS]),
    "InetListen": (HCLIENT, [LPCSTR, UINT, UINT, DWORD, LPCSECURITYCREDENTIALS]),
    "InetAccept": (HCLIENT, [HCLIENT, UINT, DWORD]),
    "InetDisconnect": (DWORD, [HCLIENT]),
    "InetCancel": (DWORD, [HCLIENT]),
    "InetAttachThread": (DWORD, [HCLIENT, DWORD]),
    # Data
    "InetRead": (DWORD, [HCLIENT, LPVOID, DWORD, LPDWORD]),
    "InetReadLine": (DWORD, [HCLIENT, LPSTR, DWORD, LPDWORD]),
    "InetPeek": (DWORD, [HCLIENT, LPVOID, DWORD, LPDWORD]),
    "InetGetBytesAvailable": (DWORD, [HCLIENT, LPDWORD]),
    "InetWrite": (DWORD, [HCLIENT, LPCVOID, DWORD, LPDWORD]),
    "InetWriteLine": (DWORD, [HCLIENT, LPCSTR]),
    "InetShutdown": (DWORD, [HCLIENT, DWORD]),
    # Addresses, timeouts, tracing
    "InetGetLocalAddress": (DWORD, [HCLIENT, LPSTR, LPDWORD, LPUINT]),
    "InetGetPeerAddress": (DWORD, [HCLIENT, LPSTR, LPDWORD, LPUINT]),
    "InetSetTimeout": (DWORD, [HCLIENT, DWORD, DWORD]),
    "InetGetTimeout": (DWORD, [HCLIENT, DWORD, LPDWORD]),
    "InetSetTraceCallback": (DWORD, [HCLIENT, INETTRACEPROC, LPVOID]),
    # TLS
    "InetStartTls": (DWORD, [HCLIENT, DWORD, LPCSECURITYCREDENTIALS]),
    "InetCheckCredentials": (DWORD, [LPCSECURITYCREDENTIALS, BOOL]),
    "InetCreateCredentials": (DWORD, [LPCSTR, LPCSTR, LPCSTR, ctypes.POINTER(LPSECURITYCREDENTIALS)]),
    "InetDeleteCredentials": (DWORD, [LPSECURITYCREDENTIALS]),
    "InetGetSecurityInfo": (DWORD, [HCLIENT, LPINETSECURITYINFO]),
    "InetGetSecurityValue": (DWORD, [HCLIENT, DWORD, LPDWORD]),
    "InetGetVerifyErrors": (DWORD, [HCLIENT, LPSTR, LPDWORD]),
    "InetGetCertificateInfo": (DWORD, [HCLIENT, DWORD, DWORD, LPVOID, LPDWORD]),
    "InetGetLibraryInfo": (DWORD, [DWORD, LPSTR, LPDWORD]),
    # Pop: library lifetime and errors
    "PopInitialize": (DWORD, []),
    "PopUninitialize": (DWORD, []),
    "PopGetLastError": (DWORD, []),
    "PopGetLastErrorMessage": (DWORD, [LPSTR, LPDWORD]),
    "PopGetErrorString": (DWORD, [DWORD, LPSTR, LPDWORD]),
    # Pop: session
    "PopConnect": (HCLIENT, [LPCSTR, UINT, UINT, DWORD, LPCSECURITYCREDENTIALS]),
    "PopLogin": (DWORD, [HCLIENT, UINT, LPCSTR, LPCSTR]),
    "PopQuit": (DWORD, [HCLIENT]),
    "PopDisconnect": (DWORD, [HCLIENT]),
    "PopCancel": (DWORD, [HCLIENT]),
    "PopAttachThread": (DWORD, [HCLIENT, DWORD]),
    "PopGetCapabilities": (DWORD, [HCLIENT, LPSTR, LPDWORD]),
    "PopGetCapability": (DWORD, [HCLIENT, LPCSTR, LPSTR, LPDWORD]),
    "PopGetLastReply": (DWORD, [HCLIENT, LPBOOL, LPSTR, LPDWORD]),
    "PopGetSecurityInfo": (DWORD, [HCLIENT, LPINETSECURITYINFO]),
    # Pop: mailbox
    "PopGetMessageCount": (DWORD, [HCLIENT, LPDWORD, LPULONGLONG]),
    "PopListMessages": (DWORD, [HCLIENT, LPDWORD]),
    "PopGetMessageInfo": (DWORD, [HCLIENT, DWORD, LPPOPMESSAGEINFO]),
    "PopGetMessageSize": (DWORD, [HCLIENT, DWORD, LPULONGLONG]),
    "PopGetMessageUid": (DWORD, [HCLIENT, DWORD, LPSTR, LPDWORD]),
    "PopFindMessage": (DWORD, [HCLIENT, LPCSTR, LPDWORD]),
    # Pop: retrieval
    "PopGetMessage": (DWORD, [HCLIENT, DWORD, LPVOID, LPDWORD]),
    "PopGetMessageHeaders": (DWORD, [HCLIENT, DWORD, LPVOID, LPDWORD]),
    "PopGetMessageTop": (DWORD, [HCLIENT, DWORD, DWORD, LPVOID, LPDWORD]),
    "PopStoreMessage": (DWORD, [HCLIENT, DWORD, LPCSTR]),
    "PopRetrieveMessage": (DWORD, [HCLIENT, DWORD, POPDATAPROC, LPVOID]),
    "PopOpenMessage": (DWORD, [HCLIENT, DWORD, DWORD]),
    "PopRead": (DWORD, [HCLIENT, LPVOID, DWORD, LPDWORD]),
    "PopCloseMessage": (DWORD, [HCLIENT]),
    "PopStoreMessages": (DWORD, [HCLIENT, LPCDWORD, DWORD, LPCSTR, LPDWORD]),
    "PopStoreNewMessages": (DWORD, [HCLIENT, LPCSTR, LPCSTR, LPDWORD]),
    # Pop: changes
    "PopDeleteMessage": (DWORD, [HCLIENT, DWORD]),
    "PopDeleteMessages": (DWORD, [HCLIENT, LPCDWORD, DWORD, LPDWORD]),
    "PopReset": (DWORD, [HCLIENT]),
    "PopNoop": (DWORD, [HCLIENT]),
    "PopEnableUtf8": (DWORD, [HCLIENT]),
    "PopCommand": (DWORD, [HCLIENT, LPCSTR, BOOL, LPVOID, LPDWORD]),
    # Pop: settings, progress, trace
    "PopConfig": (DWORD, [HCLIENT, LPCSTR]),
    "PopSetProgressCallback": (DWORD, [HCLIENT, POPPROGRESSPROC, LPVOID]),
    "PopSetTraceCallback": (DWORD, [HCLIENT, POPTRACEPROC, LPVOID]),
    # Mx: library lifetime and errors
    "MxInitialize": (DWORD, []),
    "MxUninitialize": (DWORD, []),
    "MxGetLastError": (DWORD, []),
    "MxGetLastErrorMessage": (DWORD, [LPSTR, LPDWORD]),
    "MxGetErrorString": (DWORD, [DWORD, LPSTR, LPDWORD]),
    # Mx: handle
    "MxCreate": (HCLIENT, [DWORD]),
    "MxDestroy": (DWORD, [HCLIENT]),
    "MxAttachThread": (DWORD, [HCLIENT, DWORD]),
    # Mx: resolving
    "MxResolve": (DWORD, [HCLIENT, LPCSTR, LPDWORD]),
    "MxDoEvents": (DWORD, [HCLIENT, DWORD]),
    "MxWait": (DWORD, [HCLIENT, DWORD]),
    "MxGetNextResult": (DWORD, [HCLIENT, DWORD, LPDWORD, LPDWORD]),
    "MxInterrupt": (DWORD, [HCLIENT]),
    "MxReset": (DWORD, [HCLIENT]),
    # Mx: event-loop integration
    "MxGetEventDescriptor": (DWORD, [HCLIENT, LPINT]),
    "MxGetNextTimeout": (DWORD, [HCLIENT, LPDWORD]),
    # Mx: the current result
    "MxGetResult": (DWORD, [HCLIENT, LPMXRESULT]),
    "MxGetRecordCount": (DWORD, [HCLIENT, LPDWORD]),
    "MxGetRecord": (DWORD, [HCLIENT, DWORD, LPMXRECORD]),
    "MxGetRecordAddress": (DWORD, [HCLIENT, DWORD, DWORD, LPMXADDRESS]),
    # Mx: properties
    "MxSetDnsServer": (DWORD, [HCLIENT, LPCSTR]),
    "MxGetDnsServer": (DWORD, [HCLIENT, LPSTR, LPDWORD]),
    "MxSetDnsPort": (DWORD, [HCLIENT, UINT]),
    "MxGetDnsPort": (DWORD, [HCLIENT, LPUINT]),
    "MxSetTimeout": (DWORD, [HCLIENT, UINT]),
    "MxGetTimeout": (DWORD, [HCLIENT, LPUINT]),
    "MxSetRequestId": (DWORD, [HCLIENT, DWORD]),
    "MxGetRequestId": (DWORD, [HCLIENT, LPDWORD]),
    "MxSetLocalHost": (DWORD, [HCLIENT, LPCSTR]),
    "MxGetLocalHost": (DWORD, [HCLIENT, LPSTR, LPDWORD]),
    "MxGetMailServer": (DWORD, [HCLIENT, LPSTR, LPDWORD]),
    "MxGetStatus": (DWORD, [HCLIENT, LPSTR, LPDWORD]),
    "MxGetIdle": (DWORD, [HCLIENT, LPBOOL]),
    "MxConfig": (DWORD, [HCLIENT, LPCSTR]),
    "MxGetConfig": (DWORD, [HCLIENT, LPCSTR, LPSTR, LPDWORD]),
    # Mx: events
    "MxSetResponseCallback": (DWORD, [HCLIENT, MXRESPONSEPROC, LPVOID]),
    "MxSetErrorCallback": (DWORD, [HCLIENT, MXERRORPROC, LPVOID]),
}

# ---- Finding and loading the library -----------------------------------------

#: Environment variable holding the full path of the shared library to load.
ENV_LIBRARY = "INETKIT_LIBRARY"

_PACKAGE_DIR = Path(__file__).resolve().parent

if sys.platform == "win32":
    _LOCAL_NAMES: Sequence[str] = ("inetkit.dll",)
    _LOCAL_GLOB = "inetkit*.dll"
    _SYSTEM_SONAME = "inetkit.dll"
elif sys.platform == "darwin":
    _LOCAL_NAMES = ("libinetkit.dylib", "libinetkit.1.dylib")
    _LOCAL_GLOB = "libinetkit*.dylib"
    _SYSTEM_SONAME = "libinetkit.1.dylib"
else:
    _LOCAL_NAMES = ("libinetkit.so", "libinetkit.so.1")
    _LOCAL_GLOB = "libinetkit.so*"
    _SYSTEM_SONAME = "libinetkit.so.1"

#: A directory holding this file marks the root of an inetkit source tree.
_REPO_MARKER = Path("def") / "inetkit.def"
#: The build preset tried first in build/<preset>/.
_PREFERRED_PRESET = "default"
#: Presets whose library needs a sanitizer runtime preloaded: tried last.
_SANITIZER_PRESETS = frozenset({"asan", "tsan", "msan", "ubsan"})


class LibraryNotFoundError(OSError):
    """The inetkit shared library could not be found or loaded."""


def _package_local(package_dir: Path) -> List[Path]:
    """``inetkit/libinetkit.so*`` next to the package's own files."""
    found = [package_dir / name for name in _LOCAL_NAMES if (package_dir / name).is_file()]
    found += sorted(p for p in package_dir.glob(_LOCAL_GLOB) if p.is_file() and p not in found)
    return found


def _build_tree(package_dir: Path) -> List[Path]:
    """``build/<preset>/libinetkit.so`` of the source tree holding the package.

    Walks up from the package to the first directory that holds
    ``def/inetkit.def`` (the repository root) and looks in its ``build/``:
    ``build/default`` first, then the other presets in name order, the
    sanitizer presets last (they load only under their own runtime).
    """
    for root in package_dir.parents:
        if not (root / _REPO_MARKER).is_file():
            continue
        build = root / "build"
        if not build.is_dir():
            return []
        others = sorted((p for p in build.iterdir() if p.is_dir() and p.name != _PREFERRED_PRESET),
                        key=lambda p: (p.name in _SANITIZER_PRESETS, p.name))
        candidates = (preset / _LOCAL_NAMES[0] for preset in [build / _PREFERRED_PRESET] + others)
        return [c for c in candidates if c.is_file()]
    return []


def _iter_candidates(environ: Optional[Mapping[str, str]],
                     package_dir: Optional[Path]) -> Iterator[str]:
    env = os.environ if environ is None else environ
    pkg = _PACKAGE_DIR if package_dir is None else Path(package_dir)

    explicit = env.get(ENV_LIBRARY)
    if explicit:
        if not Path(explicit).is_file():
            raise LibraryNotFoundError(
                f"{ENV_LIBRARY}={explicit!r} does not name an existing file")
        yield explicit
        return

    for path in _package_local(pkg) + _build_tree(pkg):
        yield str(path)
    system = ctypes.util.find_library("inetkit")  # runs ldconfig: only when needed
    if system and system != _SYSTEM_SONAME:
        yield system
    yield _SYSTEM_SONAME


def library_candidates(environ: Optional[Mapping[str, str]] = None,
                       package_dir: Optional[Path] = None) -> List[str]:
    """The paths (or sonames) :func:`library` tries to load, in order.

    1. the environment variable ``INETKIT_LIBRARY`` (a full path that must
       exist; when it is set nothing else is tried);
    2. ``libinetkit.so*`` next to the package;
    3. the build tree: walk up to the repository root, then
       ``build/default/libinetkit.so``, then ``build/<preset>/libinetkit.so``;
    4. the system: ``ctypes.util.find_library("inetkit")``, then the soname
       ``libinetkit.so.1`` for the dynamic loader to resolve.

    ``environ`` and ``package_dir`` exist for tests.

    Raises:
        LibraryNotFoundError: ``INETKIT_LIBRARY`` names a file that does not exist.
    """
    return list(_iter_candidates(environ, package_dir))


def find_library(environ: Optional[Mapping[str, str]] = None,
                 package_dir: Optional[Path] = None) -> str:
    """The first of :func:`library_candidates`: the library normally loaded."""
    return next(_iter_candidates(environ, package_dir))


def _apply_prototypes(lib: ctypes.CDLL) -> None:
    """Set restype/argtypes of every function in :data:`PROTOTYPES`."""
    missing = []
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            func = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        func.restype = restype
        func.argtypes = list(argtypes)
    if missing:
        raise LibraryNotFoundError(
            f"{lib._name} does not export: {', '.join(sorted(missing))}")


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def library() -> ctypes.CDLL:
    """Load the library on first use and return it with every prototype set.

    Tries :func:`library_candidates` in order and keeps the first that loads.
    Thread-safe; later calls return the same object.

    Raises:
        LibraryNotFoundError: no library was found, it failed to load, or it
            lacks one of the exports this binding needs.
    """
    global _lib, _lib_path
    lib = _lib
    if lib is not None:
        return lib
    with _lock:
        if _lib is None:
            failures = []
            for path in _iter_candidates(None, None):
                try:
                    loaded = ctypes.CDLL(path)
                except OSError as exc:
                    failures.append(f"  {path}: {exc}")
                    continue
                _apply_prototypes(loaded)
                _lib_path = path
                _lib = loaded
                break
            else:
                raise LibraryNotFoundError(
                    "cannot load the inetkit library.\nLooked in:\n" +
                    "\n".join(_where_looked(_PACKAGE_DIR)) +
                    "\nLoading failed:\n" + "\n".join(failures) +
                    f"\nSet {ENV_LIBRARY} to the full path of {_LOCAL_NAMES[0]}, put it next "
                    "to the inetkit package, or install it system-wide.")
        return _lib


def _where_looked(package_dir: Path) -> List[str]:
    """Every place :func:`library_candidates` searches, also those that held nothing."""
    explicit = os.environ.get(ENV_LIBRARY)
    if explicit:
        return [f"  {ENV_LIBRARY}={explicit} (while it is set, nothing else is tried)"]
    places = [f"  {ENV_LIBRARY}: not set",
              f"  next to the package: {package_dir / _LOCAL_GLOB}"]
    root = next((r for r in package_dir.parents if (r / _REPO_MARKER).is_file()), None)
    if root is None:
        places.append("  build tree: none (the package is not inside an inetkit source tree)")
    else:
        places.append(f"  build tree: {root / 'build' / '<preset>' / _LOCAL_NAMES[0]}")
    places.append(f"  system: ctypes.util.find_library('inetkit'), then {_SYSTEM_SONAME} "
                  "through the dynamic loader (LD_LIBRARY_PATH, the ldconfig cache)")
    return places


def library_path() -> Optional[str]:
    """The path (or soname) the library was loaded from, or None if not loaded yet."""
    return _lib_path


def is_loaded() -> bool:
    """True once :func:`library` has loaded the shared object."""
    return _lib is not None


# ---- The size-query idiom ----------------------------------------------------

def query_bytes(call: Callable[[Optional[ctypes.Array], Any], int],
                initial_size: int = 256) -> Tuple[int, bytes]:
    """Run an export that fills a buffer with the size-query idiom.

    ``call(buffer, lpcch)`` must invoke the export with ``buffer`` (a ctypes
    char array) and ``lpcch`` (a pointer to a DWORD holding the buffer size).
    The first try uses ``initial_size`` bytes; on
    INETKIT_ERROR_INSUFFICIENT_BUFFER it retries with the size the library
    asked for (at most a few times, in case the value grew meanwhile).

    Returns:
        ``(rc, data)``: the export's return code and, when it is 0, the
        ``*lpcch`` bytes the library reported (for strings: without the NUL);
        ``b""`` otherwise.
    """
    size = max(1, initial_size)
    rc = 0
    for _ in range(4):
        buffer = ctypes.create_string_buffer(size)
        length = DWORD(size)
        rc = call(buffer, ctypes.byref(length))
        if rc == 0:
            return 0, ctypes.string_at(buffer, min(length.value, size))
        if rc != _ERROR_INSUFFICIENT_BUFFER or length.value <= size:
            return rc, b""
        size = length.value
    return rc, b""


def query_string(call: Callable[[Optional[ctypes.Array], Any], int],
                 initial_size: int = 256) -> Tuple[int, str]:
    """Run an export that fills a string with the size-query idiom.

    Like :func:`query_bytes`, for text.

    Returns:
        ``(rc, text)``: the export's return code and, when it is 0, the
        UTF-8-decoded string (invalid bytes replaced); ``""`` otherwise.
    """
    rc, data = query_bytes(call, initial_size)
    return rc, data.decode("utf-8", "replace")


class FamilyLifetime:
    """One family's library reference (``<Family>Initialize``), taken on
    first use, once per process, and given back at interpreter exit."""

    def __init__(self, family: str) -> None:
        self._family = family
        self._lock = threading.Lock()
        self._initialized = False
        self._exit_registered = False

    def library(self, check: Callable[..., None]) -> ctypes.CDLL:
        """The library with the family initialised; ``check`` raises on a nonzero code."""
        lib = library()
        if self._initialized:
            return lib
        with self._lock:
            if not self._initialized:
                check(getattr(lib, self._family + "Initialize"))
                self._initialized = True
                if not self._exit_registered:
                    atexit.register(self.release)
                    self._exit_registered = True
        return lib

    def release(self) -> None:
        """Drop the reference (runs at interpreter exit)."""
        with self._lock:
            if self._initialized:
                self._initialized = False
                getattr(library(), self._family + "Uninitialize")()
