"""inetkit: Python binding of the inetkit C library (ctypes).

Quick start::

    import inetkit

    with inetkit.Connection.connect("127.0.0.1", 8080, timeout=5) as conn:
        conn.write_line("HELLO")
        print(conn.read_line())

Every failure raises :class:`InetError` (or a subclass) carrying the
library's :class:`ErrorCode` and message. The shared library is found through
``INETKIT_LIBRARY``, next to this package, in the source tree's ``build/``,
or on the system, and is loaded on first use, not on import.
"""

from .errors import (
    BusyError,
    CanceledError,
    ConnectionClosedError,
    ErrorCode,
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
    ReentrantCallError,
    WrongThreadError,
    error_string,
    last_error_code,
    last_error_message,
)
from .inet import Connection, Listener, Shutdown, TraceDirection, version, version_number
from ._native import LibraryNotFoundError, library_path

__version__ = "1.0.0"

__all__ = [
    "BusyError",
    "CanceledError",
    "Connection",
    "ConnectionClosedError",
    "ErrorCode",
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
    "ReentrantCallError",
    "Shutdown",
    "TraceDirection",
    "WrongThreadError",
    "error_string",
    "last_error_code",
    "last_error_message",
    "library_path",
    "version",
    "version_number",
]
