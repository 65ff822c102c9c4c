"""Shared fixtures: every test runs against the real shared library.

The library is the one ``inetkit._native`` finds (set INETKIT_LIBRARY to pick
a build). Every socket is on a loopback address.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest

PACKAGE_PARENT = Path(__file__).resolve().parents[1]  # bindings/python
REPO_ROOT = PACKAGE_PARENT.parents[1]
sys.path.insert(0, str(PACKAGE_PARENT))

import inetkit  # noqa: E402  (needs the path above)

#: Generous limit for anything that should happen "at once" on loopback.
PROMPT = 5.0


class Worker:
    """A thread running ``fn(*args)`` that keeps its result or exception."""

    def __init__(self, fn: Callable[..., Any], *args: Any, name: Optional[str] = None) -> None:
        self._fn = fn
        self._args = args
        self._result: Any = None
        self._error: Optional[BaseException] = None
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name or fn.__name__, daemon=True)
        self.thread.start()
        self.started.wait(PROMPT)

    def _run(self) -> None:
        self.started.set()
        try:
            self._result = self._fn(*self._args)
        except BaseException as exc:  # handed to the test by result()
            self._error = exc

    @property
    def native_id(self) -> int:
        return self.thread.native_id

    def alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float = PROMPT) -> None:
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"thread {self.thread.name} did not finish within {timeout} s")

    def result(self, timeout: float = PROMPT) -> Any:
        """The function's return value; re-raises what it raised."""
        self.join(timeout)
        if self._error is not None:
            raise self._error
        return self._result

    def error(self, timeout: float = PROMPT) -> Optional[BaseException]:
        """The exception the function raised, or None."""
        self.join(timeout)
        return self._error


@pytest.fixture
def spawn() -> Iterator[Callable[..., Worker]]:
    """Start workers; at teardown, wait for every one of them."""
    workers: List[Worker] = []

    def start(fn: Callable[..., Any], *args: Any) -> Worker:
        worker = Worker(fn, *args)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.thread.join(PROMPT)


@pytest.fixture
def pair() -> Iterator[Tuple[inetkit.Connection, inetkit.Connection]]:
    """(client, server): a connected loopback pair, both owned by this thread.

    The TCP handshake completes in the kernel's backlog, so one thread can
    connect and then accept without deadlock.
    """
    with inetkit.Listener("127.0.0.1") as listener:
        client = inetkit.Connection.connect("127.0.0.1", listener.address[1], timeout=5)
        server = listener.accept(timeout=5)
    server.inactivity_timeout = PROMPT  # not 30 s: a failing test fails fast
    try:
        yield client, server
    finally:
        client.close()
        server.close()


@pytest.fixture
def serve(spawn: Callable[..., Worker]) -> Callable[..., Tuple[int, Worker]]:
    """serve(handler) -> (port, worker): a one-connection server in its own thread.

    The listener, the accept and the server connection all belong to the
    server thread. ``worker.result()`` returns what ``handler(conn)`` returned.
    """

    def start(handler: Callable[[inetkit.Connection], Any], *,
              address: str = "127.0.0.1") -> Tuple[int, Worker]:
        ready: "list[int]" = []
        listening = threading.Event()

        def server() -> Any:
            with inetkit.Listener(address) as listener:
                ready.append(listener.address[1])
                listening.set()
                with listener.accept(timeout=PROMPT) as conn:
                    return handler(conn)

        worker = spawn(server)
        if not listening.wait(PROMPT):
            worker.result()  # raises the server's error, if it had one
            raise AssertionError("the server thread did not start listening")
        return ready[0], worker

    return start
