"""The binding releases the GIL while the library blocks.

N threads each make one blocking call that the server answers only after
DELAY seconds. The server runs in a separate process, so nothing in this
interpreter needs the GIL to produce the replies. If the calls held the GIL
they would run one after the other and take N * DELAY; released, they
overlap and finish in about DELAY. The bound is generous (a functional check
of GIL release, not a speed test).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Callable, Iterator, List

import pytest

import inetkit

THREADS = 4
DELAY = 1.0
#: Well under THREADS * DELAY (4 s), well over DELAY.
BOUND = 2.5

# One thread per connection; every reply waits DELAY seconds.
#   echo: reads a line, waits, sends it back.
#   pop:  waits, then greets; answers CAPA and QUIT.
SERVER = r"""
import socket, sys, threading, time
mode, delay = sys.argv[1], float(sys.argv[2])

def serve(conn):
    with conn, conn.makefile("rb") as reader:
        if mode == "echo":
            line = reader.readline()
            time.sleep(delay)
            conn.sendall(line)
            return
        time.sleep(delay)
        conn.sendall(b"+OK slow server ready\r\n")
        for line in reader:
            verb = line.strip().upper()
            if verb == b"CAPA":
                conn.sendall(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"+OK bye\r\n")
                return
            else:
                conn.sendall(b"-ERR not here\r\n")

listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def _start(mode: str) -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", SERVER, mode, str(DELAY)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield port
    finally:
        process.kill()  # only the server this fixture started
        process.wait(10)


@pytest.fixture
def echo_port() -> Iterator[int]:
    yield from _start("echo")


@pytest.fixture
def pop_port() -> Iterator[int]:
    yield from _start("pop")


def _run_in_threads(call: Callable[[], None]) -> List[float]:
    """Run ``call`` in THREADS threads released together; return each one's duration.

    Raises what a thread raised.
    """
    barrier = threading.Barrier(THREADS)
    durations: List[float] = []
    errors: List[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(10)
            started = time.monotonic()
            call()
            durations.append(time.monotonic() - started)
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREADS * DELAY + 30)
    if errors:
        raise errors[0]
    assert len(durations) == THREADS
    return durations


def _assert_parallel(durations: List[float], elapsed: float) -> None:
    # Each call really waited for the server...
    assert min(durations) >= DELAY * 0.9, durations
    # ...and they waited at the same time.
    assert elapsed < BOUND, f"{THREADS} calls of {DELAY} s took {elapsed:.2f} s: the GIL was held"


def test_connection_reads_run_in_parallel(echo_port):
    def echo() -> None:
        with inetkit.Connection.connect("127.0.0.1", echo_port, timeout=10) as conn:
            conn.inactivity_timeout = 10
            conn.write_line("ping")
            assert conn.read_line() == b"ping"  # blocks DELAY s in the library

    started = time.monotonic()
    durations = _run_in_threads(echo)
    _assert_parallel(durations, time.monotonic() - started)


def test_pop_connects_run_in_parallel(pop_port):
    def connect() -> None:
        # PopConnect blocks DELAY s on the greeting.
        with inetkit.PopClient.connect("127.0.0.1", pop_port, timeout=10) as pop:
            assert pop.capability("UIDL") is not None

    started = time.monotonic()
    durations = _run_in_threads(connect)
    _assert_parallel(durations, time.monotonic() - started)
