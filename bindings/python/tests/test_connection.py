"""Connections and listeners over loopback, through the real library."""

from __future__ import annotations

import gc
import socket
import time

import pytest

import inetkit
from inetkit import Connection, ErrorCode, Listener, Shutdown

from conftest import PROMPT


def _wait_available(conn: Connection, count: int) -> None:
    deadline = time.monotonic() + PROMPT
    while conn.available < count:
        assert time.monotonic() < deadline, f"only {conn.available} of {count} bytes arrived"
        time.sleep(0.005)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


# ---- echo, end of stream ------------------------------------------------------------

def test_echo_with_the_server_in_a_thread(serve):
    def echo(conn: Connection) -> int:
        lines = 0
        while True:
            try:
                line = conn.read_line()
            except inetkit.ConnectionClosedError:
                return lines
            conn.write_line(b"echo: " + line)
            lines += 1

    port, server = serve(echo)
    with Connection.connect("127.0.0.1", port, timeout=5) as client:
        for text in ["hello", "", "w\u00f6rld", "x" * 10000]:
            client.write_line(text)
            assert client.read_line() == b"echo: " + text.encode("utf-8")
        client.shutdown(Shutdown.SEND)
        assert client.read() == b""
    assert server.result() == 4


def test_binary_round_trip(serve):
    payload = bytes(range(256)) * 4096  # 1 MiB, every byte value, NULs included

    def echo_all(conn: Connection) -> None:
        while True:
            data = conn.read(65536)
            if not data:
                return
            conn.write(data)

    port, server = serve(echo_all)
    received = bytearray()
    with Connection.connect("127.0.0.1", port, timeout=5) as client:
        for start in range(0, len(payload), 65536):  # interleave: no buffer fills up
            client.write(memoryview(payload)[start:start + 65536])
            while len(received) < start + 65536:
                received += client.read(1 << 20)
        client.shutdown(Shutdown.SEND)
        assert client.read() == b""
    server.result()
    assert bytes(received) == payload


def test_end_of_stream_reads_empty(pair):
    client, server = pair
    server.write(b"last words")
    server.close()
    data = b""
    while len(data) < 10:
        chunk = client.read(100)
        assert chunk, "end of stream before every byte arrived"
        data += chunk
    assert data == b"last words"
    assert client.read() == b""
    assert client.read() == b""  # and it stays at end of stream


def test_read_of_zero_bytes_returns_at_once(pair):
    client, _ = pair
    assert client.read(0) == b""
    with pytest.raises(ValueError):
        client.read(-1)


# ---- lines ----------------------------------------------------------------------------

def test_read_line_endings_and_nul_bytes(pair):
    client, server = pair
    server.write(b"crlf\r\nlf\n\r\nwith\0nul\r\nbare\rcr\n")
    assert client.read_line() == b"crlf"
    assert client.read_line() == b"lf"
    assert client.read_line() == b""
    assert client.read_line() == b"with\0nul"
    assert client.read_line() == b"bare\rcr"


def test_read_line_cap_leaves_the_line_readable(pair):
    client, server = pair
    server.write(b"0123456789\r\nnext\r\n")
    _wait_available(client, 18)
    with pytest.raises(inetkit.LineTooLongError) as info:
        client.read_line(max_length=9)
    assert info.value.code == ErrorCode.LINE_TOO_LONG
    assert info.value.message
    # Exactly max_length bytes of content fit; the line ending does not count.
    assert client.read_line(max_length=10) == b"0123456789"
    assert client.read_line(max_length=4) == b"next"


def test_read_line_cap_without_an_end_of_line(pair):
    client, server = pair
    server.write(b"a" * 100)
    _wait_available(client, 100)
    with pytest.raises(inetkit.LineTooLongError):
        client.read_line(max_length=50)
    data = b""
    while len(data) < 100:  # read returns the buffered part first
        data += client.read(1000)
    assert data == b"a" * 100  # nothing was lost


def test_read_line_at_end_of_stream(pair):
    client, server = pair
    server.write(b"partial")
    server.close()
    with pytest.raises(inetkit.ConnectionClosedError) as info:
        client.read_line()
    assert isinstance(info.value, ConnectionError)
    assert info.value.code == ErrorCode.CONNECTION_CLOSED
    assert client.read() == b"partial"
    with pytest.raises(inetkit.ConnectionClosedError):
        client.read_line()


def test_write_line_refuses_line_breaks(pair):
    client, server = pair
    for bad in ["two\r\nlines", "lf\n", b"cr\r"]:
        with pytest.raises(inetkit.InvalidParameterError):
            client.write_line(bad)
    with pytest.raises(ValueError):
        client.write_line(b"nul\0byte")
    client.write_line("ok")
    assert server.read_line() == b"ok"  # nothing of the refused lines was sent


# ---- peek, available ----------------------------------------------------------------------

def test_peek_and_available(pair):
    client, server = pair
    assert client.available == 0
    assert client.peek(10) == b""  # never blocks
    server.write(b"hello")
    _wait_available(client, 5)
    assert client.peek(3) == b"hel"
    assert client.peek(100) == b"hello"
    assert client.available == 5
    assert client.read(5) == b"hello"
    assert client.available == 0


# ---- writing and shutdown ----------------------------------------------------------------------

def test_shutdown_send_gives_the_peer_end_of_stream(pair):
    client, server = pair
    client.write(b"bye")
    client.shutdown(Shutdown.SEND)
    assert server.read(10) == b"bye"
    assert server.read(10) == b""
    server.write(b"still open the other way")
    assert client.read(100) == b"still open the other way"


def test_write_after_shutdown_reports_bytes_written(pair):
    client, _ = pair
    client.shutdown(Shutdown.SEND)
    with pytest.raises(inetkit.InetError) as info:
        client.write(b"too late")
    assert info.value.code == ErrorCode.SHUTDOWN
    assert info.value.bytes_written == 0


def test_write_timeout_reports_the_partial_count(pair):
    client, _ = pair  # the server never reads
    client.call_timeout = 0.3
    payload = b"x" * (64 << 20)
    started = time.monotonic()
    with pytest.raises(inetkit.InetTimeoutError) as info:
        client.write(payload)
    assert time.monotonic() - started < PROMPT
    assert isinstance(info.value, TimeoutError)
    assert 0 < info.value.bytes_written < len(payload)


def test_write_accepts_bytes_like_objects(pair):
    client, server = pair
    client.write(bytearray(b"ab"))
    client.write(memoryview(b"cd"))
    client.write(b"")
    _wait_available(server, 4)
    assert server.read(10) == b"abcd"
    with pytest.raises(TypeError):
        client.write("text")  # str must be encoded first


# ---- addresses and timeouts -----------------------------------------------------------------------

def test_addresses(pair):
    client, server = pair
    assert client.peer_address == server.local_address
    assert server.peer_address == client.local_address
    host, port = client.local_address
    assert host == "127.0.0.1" and 0 < port < 65536


def test_listener_picks_a_free_port():
    with Listener("127.0.0.1", 0) as listener:
        host, port = listener.address
        assert host == "127.0.0.1" and port > 0
        with pytest.raises(inetkit.InetError) as info:
            Listener("127.0.0.1", port)
        assert info.value.code == ErrorCode.ADDRESS_IN_USE


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback():
    with Listener("::1") as listener:
        host, port = listener.address
        assert host == "::1"
        for target in ("::1", "[::1]"):
            with Connection.connect(target, port, timeout=5, prefer_ipv6=True) as client:
                with listener.accept(timeout=5) as server:
                    assert client.peer_address == ("::1", port)
                    client.write_line("v6")
                    assert server.read_line() == b"v6"


def test_timeouts_in_seconds(pair):
    client, server = pair
    assert client.inactivity_timeout == 5.0  # the connect timeout
    server.inactivity_timeout = 0
    assert server.inactivity_timeout == 30.0  # INET_DEFAULT_TIMEOUT for accepted connections
    assert client.call_timeout is None
    client.inactivity_timeout = 1.25
    client.call_timeout = 0.5
    assert (client.inactivity_timeout, client.call_timeout) == (1.25, 0.5)
    client.inactivity_timeout = None
    assert client.inactivity_timeout is None
    client.inactivity_timeout = 0  # back to the default
    client.call_timeout = 0
    assert (client.inactivity_timeout, client.call_timeout) == (5.0, None)
    with pytest.raises(ValueError):
        client.call_timeout = -1


def test_inactivity_timeout_on_read(pair):
    client, _ = pair
    client.inactivity_timeout = 0.2
    started = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        client.read()
    elapsed = time.monotonic() - started
    assert 0.15 < elapsed < PROMPT
    assert info.value.code == ErrorCode.TIMED_OUT
    assert "timed out" in info.value.message


def test_accept_timeout():
    with Listener() as listener:
        started = time.monotonic()
        with pytest.raises(inetkit.InetTimeoutError):
            listener.accept(timeout=1)
        assert 0.9 < time.monotonic() - started < PROMPT


# ---- connect failures -----------------------------------------------------------------------------

def test_connect_refused():
    with Listener() as listener:
        port = listener.address[1]
    with pytest.raises(ConnectionRefusedError) as info:
        Connection.connect("127.0.0.1", port, timeout=5)
    error = info.value
    assert isinstance(error, inetkit.InetConnectionRefusedError)
    assert error.code == ErrorCode.CONNECTION_REFUSED == 10061
    assert str(port) in error.message


def test_connect_bad_arguments():
    with pytest.raises(ValueError):
        Connection.connect("127.0.0.1", 70000)
    with pytest.raises(ValueError):
        Connection.connect("127.0.0.1", 0)
    with pytest.raises(ValueError):
        Connection.connect("bad\0host", 80)
    with pytest.raises(ValueError):
        Connection.connect("127.0.0.1", 80, timeout=-1)


# ---- closing ----------------------------------------------------------------------------------------

def test_close_is_idempotent_and_closed_objects_raise(pair):
    client, server = pair
    assert not client.closed
    client.close()
    client.close()
    assert client.closed
    assert "closed" in repr(client)
    for use in (lambda: client.read(), lambda: client.write(b"x"), lambda: client.available,
                lambda: client.peer_address, lambda: client.cancel(), lambda: client.handle):
        with pytest.raises(inetkit.InvalidHandleError) as info:
            use()
        assert info.value.code == ErrorCode.INVALID_HANDLE
        assert "closed" in info.value.message
    assert server.read() == b""  # the peer saw the close


def test_library_refuses_a_dead_handle(pair):
    from inetkit import _native
    client, _ = pair
    raw = client.handle
    client.close()
    stale = Connection(raw)  # wrap the dead token again: the library must refuse it
    with pytest.raises(inetkit.InvalidHandleError) as info:
        stale.available
    assert info.value.code == ErrorCode.INVALID_HANDLE and info.value.message
    assert _native.library().InetDisconnect(raw) == ErrorCode.INVALID_HANDLE
    stale.close()  # ignores the library's INVALID_HANDLE


def test_context_managers_close():
    with Listener() as listener:
        with Connection.connect("127.0.0.1", listener.address[1], timeout=5) as client:
            server = listener.accept(timeout=5)
        assert client.closed
        assert server.read() == b""
        server.close()
    assert listener.closed
    with pytest.raises(inetkit.InvalidHandleError):
        listener.accept()


def test_garbage_collection_closes(pair):
    client, server = pair
    with Listener() as listener:
        other = Connection.connect("127.0.0.1", listener.address[1], timeout=5)
        peer = listener.accept(timeout=5)
    peer.inactivity_timeout = 2
    del other
    gc.collect()
    assert peer.read() == b""  # the finalizer disconnected the client end
    peer.close()
