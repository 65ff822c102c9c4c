"""Thread ownership, hand-off, free-threaded handles, cancel, close and tracing."""

from __future__ import annotations

import re
import sys
import threading
import time
from typing import List, Tuple

import pytest

import inetkit
from inetkit import Connection, ErrorCode, Listener, TraceDirection

from conftest import PROMPT, Worker

NOT_A_THREAD = 0x7FFFFFFF  # above any Linux pid_max


def _wait_until_in_call(handle, owner: Worker) -> None:
    """Return once ``owner`` is inside a call on ``handle``.

    Attaching a handle to its current owner changes nothing, but fails with
    BUSY while a call is in progress: that is the probe.
    """
    deadline = time.monotonic() + PROMPT
    while True:
        assert owner.alive(), f"the call ended early: {owner.error()!r}"
        try:
            handle.attach_thread(owner.native_id)
        except inetkit.BusyError:
            time.sleep(0.05)  # and let it reach its wait
            return
        assert time.monotonic() < deadline, "the worker never started its call"
        time.sleep(0.01)


def _give_to_worker_and_run(spawn, conn: Connection, fn):
    """Run fn in a worker that first takes ownership of conn."""
    taken = threading.Event()

    def run():
        conn.attach_thread()
        taken.set()
        return fn()

    worker = spawn(run)
    assert taken.wait(PROMPT), worker.error()
    return worker


# ---- ownership ------------------------------------------------------------------------

def test_wrong_thread_error_names_both_threads(pair, spawn):
    client, _ = pair

    def attempt():
        try:
            client.available
        except inetkit.WrongThreadError as exc:
            return threading.get_native_id(), exc
        return threading.get_native_id(), None

    caller, error = spawn(attempt).result()
    assert error is not None, "a foreign thread could use the handle"
    assert error.code == ErrorCode.WRONG_THREAD
    numbers = {int(n) for n in re.findall(r"\b\d+\b", error.message)}
    assert {threading.get_native_id(), caller} <= numbers, error.message


def test_listener_belongs_to_its_thread(spawn):
    with Listener() as listener:
        assert isinstance(spawn(lambda: listener.accept(timeout=1)).error(), inetkit.WrongThreadError)


def test_attach_thread_hand_off(pair, spawn):
    client, server = pair
    main_id = threading.get_native_id()
    proceed = threading.Event()

    def worker_side():
        previous = client.attach_thread()  # 0: the calling thread
        client.write_line("from the worker")
        proceed.wait(PROMPT)
        return previous, threading.get_native_id()

    worker = spawn(worker_side)
    assert server.read_line() == b"from the worker"
    with pytest.raises(inetkit.WrongThreadError):
        client.write_line("the main thread no longer owns it")
    proceed.set()
    previous, worker_id = worker.result()
    assert previous == main_id
    # Take it back (any thread may attach): the previous owner is the worker.
    assert client.attach_thread(main_id) == worker_id
    client.write_line("back home")
    assert server.read_line() == b"back home"


def test_attach_thread_to_a_thread_object_and_bad_ids(pair, spawn):
    client, _ = pair
    release = threading.Event()
    worker = spawn(release.wait, PROMPT)
    assert client.attach_thread(worker.thread) == threading.get_native_id()
    with pytest.raises(inetkit.WrongThreadError):
        client.available
    assert client.attach_thread() == worker.native_id
    release.set()
    with pytest.raises(inetkit.InvalidParameterError):
        client.attach_thread(NOT_A_THREAD)
    assert client.available == 0  # still ours


def test_attach_thread_is_refused_during_a_call(pair, spawn):
    client, _ = pair
    reader = _give_to_worker_and_run(spawn, client, client.read)
    _wait_until_in_call(client, reader)
    with pytest.raises(inetkit.BusyError) as info:
        client.attach_thread(threading.get_native_id())
    assert info.value.code == ErrorCode.BUSY
    client.cancel()
    assert isinstance(reader.error(), inetkit.CanceledError)


# ---- free-threaded handles -----------------------------------------------------------------

def test_freethread_connection_from_several_threads(spawn):
    threads, lines = 6, 40
    with Listener() as listener:
        client = Connection.connect("127.0.0.1", listener.address[1], timeout=5, freethread=True)
        server = listener.accept(timeout=5)
    with client, server:
        def writer(index: int) -> int:
            for line in range(lines):
                client.write_line(f"{index}:{line}:" + "x" * 200)
                assert client.available == 0
            return client.local_address[1]

        workers = [spawn(writer, i) for i in range(threads)]
        received: List[Tuple[int, int]] = []
        server.inactivity_timeout = PROMPT
        for _ in range(threads * lines):
            index, line, padding = server.read_line().split(b":")
            assert padding == b"x" * 200  # no line was torn by another writer
            received.append((int(index), int(line)))
        ports = {worker.result() for worker in workers}
        assert ports == {server.peer_address[1]}
    for index in range(threads):  # each thread's lines in its own order
        assert [line for i, line in received if i == index] == list(range(lines))


def test_freethread_listener_accepts_in_another_thread(spawn):
    with Listener(freethread=True) as listener:
        port = listener.address[1]

        def accept_and_greet():
            with listener.accept(timeout=5) as conn:  # owned by this worker
                conn.write_line("hi")
                return conn.read_line()

        worker = spawn(accept_and_greet)
        with Connection.connect("127.0.0.1", port, timeout=5) as client:
            assert client.read_line() == b"hi"
            client.write_line("bye")
        assert worker.result() == b"bye"


# ---- cancel and close from another thread -----------------------------------------------------

def test_cancel_a_blocked_read_from_another_thread(pair, spawn):
    client, server = pair
    client.inactivity_timeout = 20  # only the cancel can end the read in time
    reader = _give_to_worker_and_run(spawn, client, client.read)
    _wait_until_in_call(client, reader)
    started = time.monotonic()
    while reader.alive() and time.monotonic() - started < PROMPT:
        client.cancel()
        reader.thread.join(0.05)
    error = reader.error()
    assert isinstance(error, inetkit.CanceledError), error
    assert error.code == ErrorCode.CANCELED
    # The handle stays usable, and bytes that arrive later are read as usual.
    assert client.attach_thread() == reader.native_id
    client.cancel()  # no call in progress: no effect
    server.write(b"after the cancel")
    assert client.read(100) == b"after the cancel"


def test_close_a_blocked_read_from_another_thread(pair, spawn):
    client, server = pair
    client.inactivity_timeout = 20
    reader = _give_to_worker_and_run(spawn, client, client.read)
    _wait_until_in_call(client, reader)
    started = time.monotonic()
    client.close()
    error = reader.error()
    assert time.monotonic() - started < 2
    assert isinstance(error, inetkit.CanceledError), error
    assert client.closed
    with pytest.raises(inetkit.InvalidHandleError):
        client.read()
    assert server.read() == b""


def test_cancel_a_blocked_accept(spawn):
    with Listener(freethread=True) as listener:
        acceptor = spawn(lambda: listener.accept(timeout=20))
        _wait_until_in_call(listener, acceptor)
        started = time.monotonic()
        while acceptor.alive() and time.monotonic() - started < PROMPT:
            listener.cancel()
            acceptor.thread.join(0.05)
        assert isinstance(acceptor.error(), inetkit.CanceledError)


def test_close_from_another_thread_than_the_owner(spawn):
    with Listener(freethread=True) as listener:
        def connect():
            return Connection.connect("127.0.0.1", listener.address[1], timeout=5)

        client = spawn(connect).result()  # owned by a thread that has ended
        server = listener.accept(timeout=5)
        client.close()
        assert server.read() == b""
        server.close()


# ---- tracing ------------------------------------------------------------------------------

def test_trace_sees_every_byte(pair):
    client, server = pair
    seen: List[Tuple[TraceDirection, bytes]] = []
    client.set_trace(lambda direction, data: seen.append((direction, data)))
    client.write_line("ping")
    server.write(b"pong\r\n")
    assert client.read_line() == b"pong"
    assert all(isinstance(direction, TraceDirection) for direction, _ in seen)
    assert b"".join(d for k, d in seen if k == TraceDirection.SEND) == b"ping\r\n"
    assert b"".join(d for k, d in seen if k == TraceDirection.RECEIVE) == b"pong\r\n"

    client.set_trace(None)
    count = len(seen)
    client.write_line("untraced")
    assert server.read_line() == b"ping"
    assert server.read_line() == b"untraced"
    assert len(seen) == count


def test_replacing_the_trace_stops_the_old_one(pair):
    client, server = pair
    first: List[bytes] = []
    second: List[bytes] = []
    client.set_trace(lambda _, data: first.append(data))
    client.write(b"one")
    client.set_trace(lambda _, data: second.append(data))
    client.write(b"two")
    assert (b"".join(first), b"".join(second)) == (b"one", b"two")


def test_trace_callback_outlives_the_caller_reference(pair):
    client, server = pair
    seen: List[bytes] = []

    def register():
        client.set_trace(lambda _, data: seen.append(data))  # nothing else holds the lambda

    register()
    import gc
    gc.collect()
    client.write(b"still traced")
    assert b"".join(seen) == b"still traced"


def test_calling_the_same_handle_from_its_trace_raises_reentrant_call(pair):
    client, server = pair
    errors: List[BaseException] = []

    def trace(direction, data):
        try:
            client.available
        except inetkit.InetError as exc:
            errors.append(exc)
        try:
            client.attach_thread()
        except inetkit.InetError as exc:
            errors.append(exc)
        client.cancel()  # cancel and close are allowed from a callback

    client.set_trace(trace)
    client.write(b"data")  # the write itself succeeds
    assert [type(e) for e in errors] == [inetkit.ReentrantCallError, inetkit.ReentrantCallError]
    assert all(e.code == ErrorCode.REENTRANT_CALL and e.message for e in errors)
    # A success leaves the store clear even though the callback failed a call.
    assert inetkit.last_error_code() == ErrorCode.NONE
    client.set_trace(None)
    assert server.read(10) == b"data"


def test_an_exception_in_the_trace_is_reported_not_raised(pair, monkeypatch):
    client, server = pair
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def trace(direction, data):
        raise RuntimeError("trace failed")

    client.set_trace(trace)
    client.write(b"fine")
    assert server.read(10) == b"fine"
    assert reported and isinstance(reported[0].exc_value, RuntimeError)
