"""The Pop family through the real library.

Most tests talk to :class:`ScriptedPop3Server`, a small POP3 server written
here (a thread on 127.0.0.1, Python sockets) that speaks enough of RFC 1939,
2449 and 5034: a greeting with an APOP timestamp, CAPA, USER/PASS, APOP,
AUTH PLAIN, STAT, LIST, UIDL, RETR and TOP with dot-stuffing, DELE, RSET,
NOOP, UTF8 and QUIT, plus a few test commands that fail on purpose. It logs
every line it receives. The last test runs a session against a real Dovecot
when ``tests/pop/dovecot.sh`` and Dovecot are available.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import io
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

import inetkit
from inetkit import (
    ErrorCode,
    MessageInfo,
    PopAuth,
    PopClient,
    PopTraceDirection,
    _native,
)
from inetkit.errors import exception_class

from conftest import PROMPT, REPO_ROOT

# ---- The scripted server --------------------------------------------------------------

TIMESTAMP = b"<1896.697170952@dbc.mailcom.example>"
PASSWORD = "s3cret-Pa55"


def _headers(subject: str) -> bytes:
    return (b"From: Sender <sender@example.org>\r\nTo: alice@example.org\r\n"
            b"Subject: " + subject.encode("ascii") + b"\r\n"
            b"Message-ID: <" + subject.encode("ascii") + b"@example.org>\r\n\r\n")


#: The dot-stuffing cases: a lone dot, two, ".x", a dot and CR that is not the
#: end, a bare LF before a dot (not a line start), NUL and 8-bit bytes, a long
#: line, and a last line that is a lone dot.
DOTS_BODY = (b".\r\n..\r\n.x\r\n...three\r\n. space\r\nmiddle . dot\r\n"
             b".\rnot the end\r\n"
             b"bare\n.lf is no line start\r\n"
             b"nul \x00 and 8-bit \xe9\xff\xfe\x80\r\n"
             + b"L" * 5000 + b"\r\n"
             b".\r\n")

BIG_BODY = b"".join((b"." if i % 7 == 0 else b"B") + b"%07d" % i + b" 0123456789" * 6 + b"\r\n"
                    for i in range(4000))  # about 300 KiB: several pieces, a size-query retry

#: (content as stored, unique id)
MESSAGES: List[Tuple[bytes, str]] = [
    (_headers("first") + b"Hello Alice.\r\nSecond line.\r\n", "uid-first"),
    (_headers("dots") + DOTS_BODY, "uid-dots"),
    (_headers("big") + BIG_BODY, "uid/unsafe"),  # not safe as a file name: stored as uid%2Funsafe.eml
    (_headers("last") + b"Bye.\r\n", "uid-last"),
]

CAPABILITIES = [b"USER", b"TOP", b"UIDL", b"PIPELINING", b"SASL PLAIN", b"RESP-CODES",
                b"AUTH-RESP-CODE", b"UTF8", b"IMPLEMENTATION inetkit-scripted"]


def dot_stuff(content: bytes) -> bytes:
    """The message as it goes on the wire: lines starting with a dot get another."""
    lines = content.split(b"\r\n")
    return b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)


def top_of(content: bytes, lines: int) -> bytes:
    """What TOP n lines gives: the headers, the blank line, ``lines`` body lines."""
    end = content.index(b"\r\n\r\n") + 4
    body = content[end:].split(b"\r\n")[:-1]
    return content[:end] + b"".join(line + b"\r\n" for line in body[:lines])


class ScriptedPop3Server:
    """A POP3 server in threads on 127.0.0.1 (one per session), for the tests.

    Args:
        messages: the maildrop, shared by the sessions; deletions are
            committed when a session's QUIT is answered.
        users: user name -> password. "busy" is answered ``-ERR [IN-USE]``,
            "slow" ``-ERR [LOGIN-DELAY]``.
        greeting: the greeting line (default: +OK with an APOP timestamp).
        truncate: message numbers whose RETR stops halfway and drops the connection.
        stall: message numbers whose RETR stops halfway and waits (until close()).
    """

    def __init__(self, messages: Sequence[Tuple[bytes, str]] = MESSAGES, *,
                 users: Optional[Dict[str, str]] = None,
                 greeting: bytes = b"+OK inetkit scripted POP3 ready " + TIMESTAMP,
                 capabilities: Sequence[bytes] = CAPABILITIES,
                 truncate: Sequence[int] = (),
                 stall: Sequence[int] = ()) -> None:
        self.messages = [list(message) for message in messages]
        self.users = {"alice": PASSWORD} if users is None else users
        self.greeting = greeting
        self.capabilities = list(capabilities)
        self.truncate = set(truncate)
        self.stall = set(stall)
        self.released = threading.Event()
        self.lines: List[str] = []  # every line received, from every session
        self.sessions = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # closing does not wake accept(): poll
        self.port = self.listener.getsockname()[1]
        self._threads: List[threading.Thread] = []
        self._connections: List[socket.socket] = []
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, name="pop3-accept", daemon=True)
        self._acceptor.start()

    # -- lifetime

    def close(self) -> None:
        self._closed = True
        self.released.set()
        self._acceptor.join(PROMPT)
        self.listener.close()
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(PROMPT)

    def count(self, line: str) -> int:
        """How many times exactly ``line`` was received."""
        with self.lock:
            return self.lines.count(line)

    def received(self) -> List[str]:
        with self.lock:
            return list(self.lines)

    def wait_idle(self, timeout: float = PROMPT) -> None:
        """Wait until every session has ended."""
        deadline = time.monotonic() + timeout
        while any(thread.is_alive() for thread in self._threads):
            assert time.monotonic() < deadline, "a server session did not end"
            time.sleep(0.01)

    def wait_for(self, line: str, timeout: float = PROMPT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(line):
                return True
            time.sleep(0.01)
        return False

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(PROMPT * 2)
            with self.lock:
                self.sessions += 1
                self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), name="pop3-session", daemon=True)
            self._threads.append(thread)
            thread.start()

    # -- one session

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rb") as reader:
                _Session(self, conn, reader).run()
        except (OSError, ValueError):
            pass  # the client went away, or close() shut the socket


class _Session:
    def __init__(self, server: ScriptedPop3Server, conn: socket.socket, reader: io.BufferedReader) -> None:
        self.server = server
        self.conn = conn
        self.reader = reader
        self.user: Optional[str] = None
        self.authenticated = False
        self.deleted: set = set()

    def send(self, *lines: bytes) -> None:
        self.conn.sendall(b"".join(line + b"\r\n" for line in lines))

    def read_line(self) -> Optional[str]:
        raw = self.reader.readline(100000)
        if not raw:
            return None
        line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
        with self.server.lock:
            self.server.lines.append(line)
        return line

    def multiline(self, status: bytes, data: bytes) -> None:
        self.conn.sendall(status + b"\r\n" + dot_stuff(data) + b".\r\n")

    def message(self, argument: str) -> Optional[int]:
        """The 1-based number named by ``argument``, or None after an -ERR was sent."""
        try:
            number = int(argument)
        except ValueError:
            self.send(b"-ERR bad message number")
            return None
        if not 1 <= number <= len(self.server.messages) or number in self.deleted:
            self.send(b"-ERR no such message")
            return None
        return number

    def check_login(self, user: str, good: bool) -> None:
        if user == "busy":
            self.send(b"-ERR [IN-USE] the mailbox is locked by another session")
        elif user == "slow":
            self.send(b"-ERR [LOGIN-DELAY] wait 15 minutes between logins")
        elif good:
            self.authenticated = True
            self.send(b"+OK maildrop locked and ready")
        else:
            self.send(b"-ERR [AUTH] invalid user name or password")

    def run(self) -> None:
        server = self.server
        self.send(server.greeting)
        if not server.greeting.startswith(b"+OK"):
            return
        while True:
            line = self.read_line()
            if line is None:
                return
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            messages = server.messages
            if verb == "CAPA":
                self.send(b"+OK capability list follows", *server.capabilities, b".")
            elif verb == "NOOP":
                self.send(b"+OK")
            elif verb == "QUIT":
                if self.authenticated:
                    with server.lock:
                        for number in sorted(self.deleted, reverse=True):
                            del messages[number - 1]
                self.send(b"+OK bye")
                return
            elif verb == "UTF8":
                self.send(b"+OK UTF8 enabled")
            elif verb == "XTEMP":
                self.send(b"-ERR [SYS/TEMP] try again later")
            elif verb == "XPERM":
                self.send(b"-ERR [SYS/PERM] this will never work")
            elif verb == "XGARBAGE":
                self.send(b"HELLO this is not POP3")
            elif verb == "XMULTI":  # a large multiline reply with dots
                self.multiline(b"+OK data follows", b"".join(b".%06d data\r\n" % i for i in range(8000)))
            elif not self.authenticated:
                self.authorization(verb, argument)
            else:
                self.transaction(verb, argument)

    def authorization(self, verb: str, argument: str) -> None:
        server = self.server
        if verb == "USER":
            self.user = argument
            self.send(b"+OK")
        elif verb == "PASS":
            if self.user is None:
                self.send(b"-ERR USER first")
            else:
                self.check_login(self.user, server.users.get(self.user) == argument)
        elif verb == "APOP":
            user, _, digest = argument.partition(" ")
            password = server.users.get(user)
            expected = hashlib.md5(TIMESTAMP + password.encode()).hexdigest() if password else None
            self.check_login(user, digest == expected)
        elif verb == "AUTH" and argument.upper().startswith("PLAIN"):
            initial = argument[5:].strip()
            if not initial:
                self.send(b"+ ")
                initial = self.read_line() or "*"
            if initial == "*":
                self.send(b"-ERR authentication canceled")
                return
            _authzid, user, password = base64.b64decode(initial).decode("utf-8").split("\0")
            self.check_login(user, server.users.get(user) == password)
        else:
            self.send(b"-ERR not in the transaction state")

    def transaction(self, verb: str, argument: str) -> None:
        messages = self.server.messages
        live = [(n, m) for n, m in enumerate(messages, 1) if n not in self.deleted]
        if verb == "STAT":
            self.send(b"+OK %d %d" % (len(live), sum(len(m[0]) for _, m in live)))
        elif verb == "LIST" and not argument:
            self.multiline(b"+OK scan listing follows",
                           b"".join(b"%d %d\r\n" % (n, len(m[0])) for n, m in live))
        elif verb == "LIST":
            number = self.message(argument)
            if number:
                self.send(b"+OK %d %d" % (number, len(messages[number - 1][0])))
        elif verb == "UIDL" and not argument:
            self.multiline(b"+OK unique-id listing follows",
                           b"".join(b"%d %s\r\n" % (n, m[1].encode()) for n, m in live))
        elif verb == "UIDL":
            number = self.message(argument)
            if number:
                self.send(b"+OK %d %s" % (number, messages[number - 1][1].encode()))
        elif verb == "RETR":
            number = self.message(argument)
            if number:
                content = messages[number - 1][0]
                if number in self.server.truncate or number in self.server.stall:
                    wire = dot_stuff(content)
                    self.conn.sendall(b"+OK %d octets\r\n" % len(content) + wire[:len(wire) // 2])
                    if number in self.server.stall:
                        self.server.released.wait(PROMPT * 2)
                    self.conn.shutdown(socket.SHUT_RDWR)
                    raise OSError("cut short on purpose")
                self.multiline(b"+OK %d octets" % len(content), content)
        elif verb == "TOP":
            number_text, _, lines = argument.partition(" ")
            number = self.message(number_text)
            if number:
                self.multiline(b"+OK top of message follows", top_of(messages[number - 1][0], int(lines)))
        elif verb == "DELE":
            number = self.message(argument)
            if number:
                self.deleted.add(number)
                self.send(b"+OK message %d deleted" % number)
        elif verb == "RSET":
            self.deleted.clear()
            self.send(b"+OK")
        else:
            self.send(b"-ERR unknown command")


@pytest.fixture
def server():
    pop3 = ScriptedPop3Server()
    try:
        yield pop3
    finally:
        pop3.close()


def connect(server: ScriptedPop3Server, **options) -> PopClient:
    return PopClient.connect("127.0.0.1", server.port, timeout=5, **options)


@pytest.fixture
def client(server):
    """A client logged in as alice with USER/PASS."""
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        yield pop


# ---- Session -----------------------------------------------------------------------------

def test_connect_login_capabilities_and_quit(server):
    with connect(server) as pop:
        assert repr(pop).startswith("<inetkit.PopClient handle=")
        assert pop.last_reply == (True, "+OK capability list follows")
        assert pop.capabilities == [c.decode() for c in CAPABILITIES]
        assert pop.capability("sasl") == "PLAIN"
        assert pop.capability("TOP") == ""
        assert pop.capability("IMPLEMENTATION") == "inetkit-scripted"
        assert pop.capability("STLS") is None
        assert pop.security is None and not pop.secure
        pop.login("alice", PASSWORD, mechanism="pass")
        assert pop.last_reply.ok
        pop.noop()
        pop.quit()
        assert pop.last_reply == (True, "+OK bye")
    assert pop.closed
    assert server.received()[:3] == ["CAPA", "USER alice", f"PASS {PASSWORD}"]
    assert server.count("QUIT") == 1  # close after quit sends no second QUIT


@pytest.mark.parametrize("mechanism, sent", [
    ("pass", "USER alice"),
    ("USER", "USER alice"),
    (PopAuth.APOP, "APOP alice " + hashlib.md5(TIMESTAMP + PASSWORD.encode()).hexdigest()),
    ("apop", "APOP alice "),
    ("plain", "AUTH PLAIN " + base64.b64encode(f"\0alice\0{PASSWORD}".encode()).decode()),
    ("default", "APOP alice "),  # plain connection, no SCRAM or CRAM-MD5 offered: APOP
    (int(PopAuth.PLAIN), "AUTH PLAIN "),
])
def test_login_mechanisms(server, mechanism, sent):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, mechanism)
        assert pop.stat().count == len(MESSAGES)
    assert any(line.startswith(sent) for line in server.received()), server.received()


def test_login_refusals(server):
    with connect(server) as pop:
        with pytest.raises(inetkit.AuthenticationError) as info:
            pop.login("alice", "wrong", "pass")
        assert info.value.code == ErrorCode.AUTH_FAILED and isinstance(info.value, inetkit.PopError)
        assert pop.last_reply == (False, "-ERR [AUTH] invalid user name or password")
        assert "wrong" not in str(info.value)
        with pytest.raises(inetkit.MailboxInUseError) as info:
            pop.login("busy", "x", "pass")
        assert info.value.code == ErrorCode.MAILBOX_IN_USE and isinstance(info.value, inetkit.ServerError)
        with pytest.raises(inetkit.LoginDelayError):
            pop.login("slow", "x", "apop")
        with pytest.raises(inetkit.InvalidParameterError):
            pop.login("alice", "line\r\nbreak", "pass")
        with pytest.raises(inetkit.InvalidParameterError):
            pop.login("alice", PASSWORD, "kerberos")
        with pytest.raises(inetkit.InvalidStateError):
            pop.stat()  # not logged in yet
        pop.login("alice", PASSWORD, "plain")
        with pytest.raises(inetkit.InvalidStateError) as info:
            pop.login("alice", PASSWORD, "plain")
        assert info.value.code == ErrorCode.INVALID_STATE
    assert not any("line" in line for line in server.received())  # refused before sending


# ---- Mailbox -------------------------------------------------------------------------------

def test_stat_list_iterate_uid_and_find(client):
    assert client.stat() == (len(MESSAGES), sum(len(m) for m, _ in MESSAGES))
    infos = client.list()
    assert infos == [MessageInfo(n, len(m), uid, False) for n, (m, uid) in enumerate(MESSAGES, 1)]
    assert list(client) == infos
    assert [info.number for info in client] == [1, 2, 3, 4]
    assert client.info(3) == infos[2]
    assert client.uid(2) == "uid-dots"
    assert client.size(4) == len(MESSAGES[3][0])
    assert client.find("uid/unsafe") == 3
    with pytest.raises(inetkit.NotFoundError) as info:
        client.find("no-such-uid")
    assert isinstance(info.value, LookupError) and info.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(inetkit.InvalidParameterError):
        client.uid(99)


def test_uid_and_size_before_listing(server):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        assert pop.uid(3) == "uid/unsafe" and pop.size(1) == len(MESSAGES[0][0])
    assert "UIDL 3" in server.received() and "LIST 1" in server.received()


# ---- Retrieval -------------------------------------------------------------------------------

def test_retrieve_is_byte_exact(client, server):
    for number, (content, _) in enumerate(MESSAGES, 1):
        assert client.retrieve(number) == content, number
    # The big message went through the size-query retry without a second RETR.
    assert server.count("RETR 3") == 1


def test_messages_yields_info_and_text(client):
    got = list(client.messages())
    assert got == [(info, content) for info, (content, _) in zip(client.list(), MESSAGES)]
    headers = [(info.number, data) for info, data in client.messages(lines=0)]
    assert headers == [(n, client.headers(n)) for n in range(1, len(MESSAGES) + 1)]


def test_messages_skips_what_the_loop_deleted(client, server):
    seen = []
    for info, data in client.messages():
        seen.append(info.number)
        if info.number == 1:
            client.delete(2)  # deleted after the listing: skipped, never fetched
    assert seen == [1, 3, 4]
    assert server.count("RETR 2") == 0
    assert [info.number for info, _ in client.messages(lines=1)] == [1, 3, 4]


def test_headers_and_top(client):
    content = MESSAGES[1][0]
    assert client.headers(2) == content[:content.index(b"\r\n\r\n") + 4]
    assert client.top(2, 3) == top_of(content, 3) == content[:content.index(b"\r\n\r\n") + 4] + b".\r\n..\r\n.x\r\n"
    assert client.top(3, 0) == client.headers(3)


def test_stream_reads_the_message(client):
    content = MESSAGES[1][0]
    with client.open(2) as stream:
        assert isinstance(stream, io.RawIOBase) and stream.readable() and not stream.seekable()
        assert stream.read(10) == content[:10]
        buffer = bytearray(7)
        assert stream.readinto(buffer) == 7 and bytes(buffer) == content[10:17]
        with pytest.raises(inetkit.InvalidStateError):
            client.stat()  # a message is open
        with pytest.raises(inetkit.InvalidStateError):
            client.retrieve(1)
        assert stream.read() == content[17:]
        assert stream.read() == b"" and stream.read(5) == b""
    assert stream.closed
    with pytest.raises(ValueError):
        stream.read(1)
    client.noop()
    with client.open(3) as stream:  # a buffered reader on top gives readline
        reader = io.BufferedReader(stream)
        lines = list(reader)
    assert b"".join(lines) == MESSAGES[2][0]
    headers = client.headers(2)
    with client.open(2, lines=0) as stream:
        assert stream.read() == headers


def test_noop_and_utf8_while_a_message_is_open_are_refused(client, server):
    with client.open(3) as stream:  # larger than what one read buffers
        stream.read(100)
        with pytest.raises(inetkit.InvalidStateError):
            client.noop()
        with pytest.raises(inetkit.InvalidStateError):
            client.enable_utf8()
        assert stream.read() == MESSAGES[2][0][100:]
    assert "NOOP" not in server.received() and "UTF8" not in server.received()
    client.noop()


def test_closing_a_stream_early_keeps_the_session_in_step(client):
    stream = client.open(3)
    assert stream.read(100) == MESSAGES[2][0][:100]
    stream.close()
    stream.close()  # twice is fine
    assert client.retrieve(4) == MESSAGES[3][0]
    stream = client.open(1)
    del stream  # the garbage collector closes it
    gc.collect()
    assert client.retrieve(1) == MESSAGES[0][0]


def test_linebreak_streams_and_callbacks_deliver_lines(server):
    content = MESSAGES[1][0]
    lines = content.splitlines(keepends=True)
    with connect(server, linebreak=True) as pop:
        pop.login("alice", PASSWORD, "pass")
        with pop.open(2) as stream:
            assert stream.read(65536) == content[:content.index(b"\r\n") + 2]
            assert stream.read(65536) == content[content.index(b"\r\n") + 2:content.index(b"\r\n", 40) + 2]
        pieces: List[bytes] = []
        assert pop.retrieve_to(2, pieces.append) == len(content)
    assert b"".join(pieces) == content
    assert all(piece.endswith(b"\n") for piece in pieces)
    # "bare\n.lf..." is two pieces in linebreak mode: it breaks at every LF.
    assert len(pieces) == len(content.split(b"\n")) - 1
    assert len(pieces) > len([line for line in lines if line.endswith(b"\r\n")])


def test_retrieve_to_callback(client):
    pieces: List[bytes] = []
    assert client.retrieve_to(3, pieces.append) == len(MESSAGES[2][0])
    assert b"".join(pieces) == MESSAGES[2][0]
    assert len(pieces) > 1 and max(len(p) for p in pieces) <= 65536


def test_cancel_from_another_thread(spawn):
    pop3 = ScriptedPop3Server(stall=[3])
    try:
        with connect(pop3) as pop:
            pop.login("alice", PASSWORD, "pass")

            def cancel_soon() -> None:
                time.sleep(0.2)
                pop.cancel()

            worker = spawn(cancel_soon)
            started = time.monotonic()
            with pytest.raises(inetkit.CanceledError):
                pop.retrieve(3)
            assert time.monotonic() - started < PROMPT
            worker.result()
            with pytest.raises(inetkit.InetConnectionError):
                pop.noop()  # "a cancelled retrieval leaves the session out of step"
    finally:
        pop3.close()


def test_retrieve_to_callback_stops(server):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        with pytest.raises(inetkit.CanceledError):
            pop.retrieve_to(3, lambda data: False)
        with pytest.raises(inetkit.InetConnectionError) as info:
            pop.noop()  # a stopped retrieval leaves the session out of step
        assert info.value.code == ErrorCode.NOT_CONNECTED
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")

        def fail(data: bytes) -> None:
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            pop.retrieve_to(1, fail)


def test_store_one_message(client, tmp_path):
    target = tmp_path / "two.eml"
    client.store(2, target)
    assert target.read_bytes() == MESSAGES[1][0]
    client.store(1, str(target))  # replaces it
    assert target.read_bytes() == MESSAGES[0][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.eml"]  # no temporary left


def test_store_many(client, tmp_path):
    assert client.store_many(tmp_path) == len(MESSAGES)
    # Bytes unsafe in a file name are percent-encoded, so ids never collide.
    names = {"uid-first.eml": 0, "uid-dots.eml": 1, "uid%2Funsafe.eml": 2, "uid-last.eml": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    for name, index in names.items():
        assert (tmp_path / name).read_bytes() == MESSAGES[index][0], name
    some = tmp_path / "some"
    some.mkdir()
    assert client.store_many(some, [4, 2]) == 2
    assert sorted(p.name for p in some.iterdir()) == ["uid-dots.eml", "uid-last.eml"]
    assert client.store_many(some, []) == 0  # not "every message"
    with pytest.raises(inetkit.NotFoundError):
        client.store_many(tmp_path / "missing")
    with pytest.raises(inetkit.InvalidParameterError):
        client.store_many(some, [1, 99])


def test_store_many_without_pipelining(client, tmp_path, server):
    client.config("Pipelining", False)
    assert client.store_many(tmp_path, [1, 2]) == 2
    assert (tmp_path / "uid-dots.eml").read_bytes() == MESSAGES[1][0]


def test_store_new_never_replaces_a_stored_message(tmp_path):
    pop3 = ScriptedPop3Server([(_headers("x") + b"X\r\n", "x"), (_headers("a") + b"keep me\r\n", "a/1")])
    seen, mail = tmp_path / "seen", tmp_path / "mail"
    mail.mkdir()
    try:
        with connect(pop3) as pop:
            pop.login("alice", PASSWORD, "pass")
            assert pop.store_new(seen, mail) == 2  # "a/1" is message 2: 2.eml
        with connect(pop3) as pop:
            pop.login("alice", PASSWORD, "pass")
            pop.delete(1)  # another client deletes "x": "a/1" becomes message 1
        pop3.messages.append([_headers("c") + b"new mail\r\n", "c/2"])  # message 2 now
        with connect(pop3) as pop:
            pop.login("alice", PASSWORD, "pass")
            assert pop.store_new(seen, mail) == 1
        stored = sorted(p.read_bytes() for p in mail.iterdir())
        assert stored == sorted([pop3.messages[0][0], pop3.messages[1][0], _headers("x") + b"X\r\n"])
    finally:
        pop3.close()


def test_store_new_twice(server, tmp_path):
    seen = tmp_path / "seen.txt"
    mail = tmp_path / "mail"
    mail.mkdir()
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        assert pop.store_new(seen, mail) == len(MESSAGES)
        assert pop.store_new(seen, mail) == 0
    assert seen.read_text().split() == [uid for _, uid in MESSAGES]
    server.messages.append([_headers("new") + b"Fresh mail.\r\n", "uid-new"])
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        assert pop.store_new(str(seen), str(mail)) == 1
        assert pop.store_new(seen, mail) == 0
    assert (mail / "uid-new.eml").read_bytes() == server.messages[-1][0]
    assert len(list(mail.iterdir())) == len(MESSAGES) + 1


# ---- Changes -------------------------------------------------------------------------------------

def test_delete_reset_and_quit_commits(server):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        pop.list()
        pop.delete(1)
        assert pop.info(1).deleted
        with pytest.raises(inetkit.ServerError) as info:
            pop.retrieve(1)
        assert info.value.code == ErrorCode.SERVER_ERROR
        assert pop.last_reply == (False, "-ERR no such message")
        pop.reset()
        assert not any(info.deleted for info in pop.list())
        assert pop.retrieve(1) == MESSAGES[0][0]
        pop.delete(2)
    # Leaving the block sent QUIT: the deletion took effect.
    assert [uid for _, uid in server.messages] == ["uid-first", "uid/unsafe", "uid-last"]


def test_delete_before_listing(server, tmp_path):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        pop.delete(2)  # the LIST and UIDL that follow omit message 2
        assert pop.info(2).deleted
        assert pop.store_new(tmp_path / "seen", tmp_path) == len(MESSAGES) - 1
    assert "RETR 2" not in server.received()


def test_reset_after_deleting_before_listing(server, tmp_path):
    seen = tmp_path / "seen"
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        pop.delete(2)
        pop.list()
        pop.reset()
        assert pop.info(2) == MessageInfo(2, len(MESSAGES[1][0]), "uid-dots", False)
        assert pop.find("uid-dots") == 2
        assert pop.store_new(seen, tmp_path) == len(MESSAGES)
    assert seen.read_text().split("\n") == [uid for _, uid in MESSAGES] + [""]


def test_delete_many(server):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        pop.list()
        assert pop.delete_many([1, 3]) == 2
        assert [info.deleted for info in pop] == [True, False, True, False]
        assert pop.delete_many([]) == 0
        with pytest.raises(inetkit.ServerError) as info:
            pop.delete_many([2, 3, 4])  # 3 is deleted already
        assert info.value.count == 2
        pop.quit()
    assert server.messages == []


def test_close_sends_quit_and_commits(server, spawn):
    pop = connect(server, freethread=True)
    pop.login("alice", PASSWORD, "pass")
    pop.delete(1)
    assert spawn(pop.cancel).result() is None  # no call in progress: no effect
    pop.close()
    pop.close()
    assert server.count("QUIT") == 1
    assert len(server.messages) == len(MESSAGES) - 1


def test_close_from_another_thread_drops_deletions(server, spawn):
    pop = connect(server)
    pop.login("alice", PASSWORD, "pass")
    pop.delete(1)
    spawn(pop.close).result()  # that thread may not use the client: no QUIT
    assert pop.closed
    server.wait_idle()
    assert server.count("QUIT") == 0
    assert len(server.messages) == len(MESSAGES)


def test_garbage_collection_sends_quit(server):
    pop = connect(server)
    pop.login("alice", PASSWORD, "pass")
    pop.delete(4)
    del pop
    gc.collect()
    assert server.wait_for("QUIT")
    assert len(server.messages) == len(MESSAGES) - 1


def test_command(client, server):
    assert client.command("NOOP") == b""
    assert client.last_reply == (True, "+OK")
    assert client.command(b"LIST", multiline=True) == b"".join(
        b"%d %d\r\n" % (n, len(m)) for n, (m, _) in enumerate(MESSAGES, 1))
    data = client.command("XMULTI", multiline=True)  # larger than the first buffer
    assert data == b"".join(b".%06d data\r\n" % i for i in range(8000))
    assert server.count("XMULTI") == 1  # the retry got the kept reply
    with pytest.raises(inetkit.ServerError):
        client.command("XNOSUCH")
    with pytest.raises(inetkit.ServerTemporaryError) as info:
        client.command("XTEMP")
    assert info.value.code == ErrorCode.SERVER_TEMPORARY
    with pytest.raises(inetkit.ServerPermanentError):
        client.command("XPERM")
    for reserved in ("USER bob", "pass x", "QUIT", "STLS", "AUTH PLAIN", "APOP a b", "UTF8"):
        with pytest.raises(inetkit.InvalidParameterError):
            client.command(reserved)
    with pytest.raises(inetkit.InvalidParameterError):
        client.command("NOOP\r\nQUIT")
    client.noop()
    assert "QUIT" not in server.received()


def test_enable_utf8(server):
    with connect(server) as pop:
        pop.enable_utf8()
        pop.login("alice", PASSWORD, "pass")
    assert "UTF8" in server.received()


# ---- Errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, cls, bases", [
    (ErrorCode.NOT_FOUND, inetkit.NotFoundError, (LookupError,)),
    (ErrorCode.INVALID_STATE, inetkit.InvalidStateError, ()),
    (ErrorCode.SERVER_ERROR, inetkit.ServerError, (inetkit.PopError,)),
    (ErrorCode.PROTOCOL, inetkit.ProtocolError, (inetkit.PopError,)),
    (ErrorCode.AUTH_FAILED, inetkit.AuthenticationError, (inetkit.PopError,)),
    (ErrorCode.MAILBOX_IN_USE, inetkit.MailboxInUseError, (inetkit.ServerError,)),
    (ErrorCode.LOGIN_DELAY, inetkit.LoginDelayError, (inetkit.ServerError,)),
    (ErrorCode.SERVER_TEMPORARY, inetkit.ServerTemporaryError, (inetkit.ServerError,)),
    (ErrorCode.SERVER_PERMANENT, inetkit.ServerPermanentError, (inetkit.ServerError,)),
    (ErrorCode.TLS_REQUIRED, inetkit.TlsRequiredError, (inetkit.PopError, inetkit.SecurityError)),
    (ErrorCode.AUTH_UNAVAILABLE, inetkit.AuthUnavailableError, (inetkit.PopError,)),
    (ErrorCode.AUTH_SERVER_UNVERIFIED, inetkit.AuthenticationError, (inetkit.PopError,)),
    (ErrorCode.RESPONSE_TOO_LARGE, inetkit.ResponseTooLargeError, (inetkit.PopError,)),
    (ErrorCode.MESSAGE_INCOMPLETE, inetkit.MessageIncompleteError, (inetkit.PopError, ConnectionError)),
])
def test_exception_classes(code, cls, bases):
    assert exception_class(code) is cls
    error = cls(code, "text")
    assert isinstance(error, inetkit.InetError) and all(isinstance(error, base) for base in bases)
    assert inetkit.error_string(code)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.code == code and copy.message == "text"


def test_pop_error_store_and_strings():
    lib = _native.library()
    assert lib.PopGetErrorString(ErrorCode.MAILBOX_IN_USE, None, None) != 0  # needs a size pointer
    rc, text = _native.query_string(lambda b, n: lib.PopGetErrorString(ErrorCode.MAILBOX_IN_USE, b, n))
    assert rc == 0 and text == inetkit.error_string(ErrorCode.MAILBOX_IN_USE)
    with pytest.raises(inetkit.InvalidParameterError):
        PopClient.connect("127.0.0.1", 70000)
    assert lib.PopGetLastError() == ErrorCode.INVALID_PARAMETER
    rc, message = _native.query_string(lib.PopGetLastErrorMessage)
    assert rc == 0 and "70000" in message


def test_explicit_tls_never_falls_back_to_plaintext(server):
    with pytest.raises(inetkit.TlsRequiredError) as info:
        connect(server, secure="explicit")
    assert isinstance(info.value, inetkit.SecurityError)
    assert "STLS" in info.value.message
    assert server.received() == ["CAPA"]
    with pytest.raises(inetkit.InvalidParameterError):
        connect(server, secure="sometimes")
    with pytest.raises(inetkit.InvalidParameterError):
        connect(server, trusted_site=True)  # TLS options without TLS


def test_refusing_greeting():
    pop3 = ScriptedPop3Server(greeting=b"-ERR [SYS/TEMP] not today")
    try:
        with pytest.raises(inetkit.ServerError) as info:
            connect(pop3)
        assert "not today" in info.value.message
    finally:
        pop3.close()


def test_default_login_on_plaintext_without_apop():
    pop3 = ScriptedPop3Server(greeting=b"+OK no timestamp")
    try:
        with connect(pop3) as pop:
            with pytest.raises(inetkit.AuthUnavailableError):
                pop.login("alice", PASSWORD)
            with pytest.raises(inetkit.AuthUnavailableError):
                pop.login("alice", PASSWORD, "apop")
            pop.login("alice", PASSWORD, "plain")  # asked for by name
        assert not any(PASSWORD in line for line in pop3.received()[:2])
    finally:
        pop3.close()


def test_protocol_error_ends_the_session(client):
    with pytest.raises(inetkit.ProtocolError) as info:
        client.command("XGARBAGE")
    assert "HELLO" in info.value.message
    with pytest.raises(inetkit.InetConnectionError) as info:
        client.noop()
    assert info.value.code == ErrorCode.NOT_CONNECTED


@pytest.mark.parametrize("how", ["retrieve", "stream", "store"])
def test_message_cut_short(how, tmp_path):
    pop3 = ScriptedPop3Server(truncate=[3])
    try:
        with connect(pop3) as pop:
            pop.login("alice", PASSWORD, "pass")
            with pytest.raises(inetkit.MessageIncompleteError) as info:
                if how == "retrieve":
                    pop.retrieve(3)
                elif how == "stream":
                    with pop.open(3) as stream:
                        stream.read()
                else:
                    pop.store(3, tmp_path / "big.eml")
            assert isinstance(info.value, ConnectionError)
            assert info.value.code == ErrorCode.MESSAGE_INCOMPLETE
        assert list(tmp_path.iterdir()) == []  # nothing reported complete
    finally:
        pop3.close()


def test_closed_client_raises_invalid_handle(server):
    pop = connect(server)
    pop.close()
    with pytest.raises(inetkit.InvalidHandleError):
        pop.noop()
    with pytest.raises(inetkit.InvalidHandleError):
        pop.capabilities


# ---- Trace, progress, config ---------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", ["pass", "apop", "plain"])
def test_trace_never_holds_the_password(server, mechanism, tmp_path):
    trace: List[Tuple[PopTraceDirection, str]] = []
    trace_file = tmp_path / "trace.txt"
    with connect(server) as pop:
        pop.on_trace = lambda direction, line: trace.append((direction, line))
        assert pop.on_trace is not None
        pop.config("TraceFile", trace_file)
        pop.login("alice", PASSWORD, mechanism)
        pop.retrieve(1)
        pop.on_trace = None
        pop.noop()
    secrets = [PASSWORD, base64.b64encode(f"\0alice\0{PASSWORD}".encode()).decode(),
               hashlib.md5(TIMESTAMP + PASSWORD.encode()).hexdigest()]
    assert not any(secret in line for secret in secrets for _, line in trace)
    assert not any(secret in trace_file.read_text() for secret in secrets)
    assert any("<redacted>" in line for _, line in trace)
    assert (PopTraceDirection.COMMAND, "RETR 1") in trace
    assert trace[-1][0] is PopTraceDirection.REPLY  # the reply to RETR 1, not NOOP
    assert all(isinstance(d, PopTraceDirection) for d, _ in trace)
    assert not any("Hello Alice" in line for _, line in trace)  # bodies are not traced
    assert "C: RETR 1" in trace_file.read_text()


def test_progress_reports_and_cancels(server):
    seen: List[Tuple[int, int, int]] = []
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        pop.list()
        pop.on_progress = lambda message, done, expected: seen.append((message, done, expected))
        assert pop.retrieve(3) == MESSAGES[2][0]
        assert seen[-1] == (3, len(MESSAGES[2][0]), len(MESSAGES[2][0]))
        assert len(seen) > 1 and all(m == 3 for m, _, _ in seen)
        pop.on_progress = None
        assert pop.on_progress is None
        count = len(seen)
        pop.retrieve(1)
        assert len(seen) == count  # removed
        pop.on_progress = lambda message, done, expected: done < 100000
        with pytest.raises(inetkit.CanceledError) as info:
            pop.retrieve(3)
        assert "progress" in info.value.message
        with pytest.raises(inetkit.InetConnectionError):
            pop.noop()  # the session is out of step after a cancel
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")

        def boom(message: int, done: int, expected: int) -> None:
            raise KeyError("from the callback")

        pop.on_progress = boom
        with pytest.raises(KeyError, match="from the callback"):
            pop.retrieve(2)
        with pytest.raises(TypeError):
            pop.on_progress = 42


def test_progress_callback_outlives_the_caller_reference(client):
    seen: List[int] = []

    def install() -> "weakref.ref":
        def progress(message: int, done: int, expected: int) -> None:
            seen.append(done)
        client.on_progress = progress  # only the client references it now
        return weakref.ref(progress)

    alive = install()
    gc.collect()
    assert alive() is not None
    assert client.retrieve(3) == MESSAGES[2][0]
    assert seen and seen[-1] == len(MESSAGES[2][0])
    client.on_progress = None  # unregistered: the binding lets it go
    gc.collect()
    assert alive() is None


def test_data_callback_survives_a_collection_during_the_call(client):
    pieces: List[bytes] = []

    def collect_and_keep(data: bytes) -> None:
        gc.collect()  # the trampoline must still be alive for the next piece
        pieces.append(data)

    assert client.retrieve_to(3, collect_and_keep) == len(MESSAGES[2][0])
    assert b"".join(pieces) == MESSAGES[2][0] and len(pieces) > 1


def test_config(client):
    client.config("Pipelining", "auto")
    client.config("Timeout", 5000)
    client.config("Deadline", 0)
    client.config("MaxLineLength", 4096)
    client.config("TraceFile", None)
    client.config("MaxMemoryMessage", 1000)
    with pytest.raises(inetkit.ResponseTooLargeError):
        client.retrieve(3)
    assert client.retrieve(1) == MESSAGES[0][0]
    for name, value in [("Bogus", 1), ("Pipelining", "maybe"), ("Timeout", 0), ("MaxLineLength", "x")]:
        with pytest.raises(inetkit.InvalidParameterError):
            client.config(name, value)


# ---- Threads ------------------------------------------------------------------------------------------

def test_the_client_belongs_to_its_thread(server, spawn):
    with connect(server) as pop:
        pop.login("alice", PASSWORD, "pass")
        with pytest.raises(inetkit.WrongThreadError) as info:
            spawn(pop.stat).result()
        assert info.value.code == ErrorCode.WRONG_THREAD
        main_id = threading.get_native_id()

        def take_over() -> Tuple[int, int]:
            previous = pop.attach_thread()  # 0: the calling thread
            return previous, pop.stat().count

        worker = spawn(take_over)
        assert worker.result() == (main_id, len(MESSAGES))
        with pytest.raises(inetkit.WrongThreadError):
            pop.stat()  # it is the worker's now
        assert pop.attach_thread(threading.current_thread()) == worker.native_id
        assert pop.stat().count == len(MESSAGES)


def test_freethread_client(server, spawn):
    with connect(server, freethread=True) as pop:
        spawn(pop.login, "alice", PASSWORD, "pass").result()
        assert spawn(pop.stat).result() == pop.stat()
        assert spawn(pop.retrieve, 2).result() == MESSAGES[1][0]


def test_initialize_once_and_uninitialize_at_exit():
    # As the Inet test: this atexit handler runs after inetkit's. If the
    # binding dropped its PopInitialize reference, one more uninitialize fails.
    code = """
import atexit, socket, threading, inetkit
from inetkit import _native

def after_inetkit():
    print("late uninitialize:", _native.library().PopUninitialize(), flush=True)

atexit.register(after_inetkit)
closed = socket.socket()
closed.bind(("127.0.0.1", 0))  # bound, not listening: connects are refused
port = closed.getsockname()[1]
errors = []

def attempt():
    try:
        inetkit.PopClient.connect("127.0.0.1", port, timeout=5)
    except inetkit.InetConnectionRefusedError as exc:
        errors.append(exc)

threads = [threading.Thread(target=attempt) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert len(errors) == 8, errors
"""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "bindings" / "python"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"late uninitialize: {int(ErrorCode.NOT_INITIALIZED)}"


# ---- Dovecot ----------------------------------------------------------------------------------------------

DOVECOT_SH = REPO_ROOT / "tests" / "pop" / "dovecot.sh"


@pytest.fixture(scope="module")
def dovecot():
    """(directory, {"plain": port, "tls": port}) of a private Dovecot, or a skip."""
    if not DOVECOT_SH.is_file():
        pytest.skip("tests/pop/dovecot.sh is not in this tree")
    if not (shutil.which("dovecot") or Path("/usr/sbin/dovecot").is_file()) \
            or not Path("/usr/lib/dovecot/pop3").is_file():
        pytest.skip("Dovecot (dovecot-core, dovecot-pop3d) is not installed")
    directory = Path(tempfile.mkdtemp(prefix="ikpy-", dir="/tmp"))  # dovecot's socket paths are short
    log = directory.parent / (directory.name + ".log")

    def script(*args: str, timeout: float = 60) -> Optional[int]:
        with open(log, "ab") as out:
            try:
                return subprocess.run(["bash", str(DOVECOT_SH), *args], stdin=subprocess.DEVNULL,
                                      stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                return None

    def cleanup() -> None:
        script("stop", str(directory))
        shutil.rmtree(directory, ignore_errors=True)
        log.unlink(missing_ok=True)

    rc = script("start", str(directory), timeout=45)
    ports_file = directory / "ports"
    if rc != 0 or not ports_file.is_file():
        reason = log.read_text(errors="replace")[-500:] if log.exists() else ""
        cleanup()
        pytest.skip(f"dovecot.sh start failed ({'timed out' if rc is None else f'exit {rc}'}): {reason}")
    ports = {key: int(value) for key, _, value in
             (line.partition("=") for line in ports_file.read_text().split())}
    try:
        yield directory, ports
    finally:
        cleanup()


def _fill(directory: Path, user: str) -> List[Tuple[int, int, str, str, int]]:
    """Fill USER's maildir (without the 50 MiB message); the manifest's
    (number, size, sha256, name, list size) lines."""
    done = subprocess.run(["bash", str(DOVECOT_SH), "fill", str(directory), user, "small"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    manifest = []
    for line in (directory / f"{user}.manifest").read_text().splitlines():
        number, size, sha, name, list_size = line.split()
        manifest.append((int(number), int(size), sha, name, int(list_size)))
    return manifest


def test_dovecot_session_with_stls(dovecot):
    directory, ports = dovecot
    manifest = _fill(directory, "alice")
    credentials = inetkit.Credentials(ca_file=directory / "pki" / "ca.pem")
    trace: List[str] = []
    with PopClient.connect("127.0.0.1", ports["plain"], timeout=10, secure="explicit",
                           credentials=credentials) as pop:
        pop.on_trace = lambda direction, line: trace.append(line)
        assert pop.secure and pop.security.protocol_name.startswith("TLS")
        assert "STLS" not in pop.capabilities  # asked again after TLS
        pop.login("alice", "alice-pass")  # the strongest offered: SCRAM-SHA-256
        assert pop.last_reply.ok
        infos = pop.list()
        assert [(info.number, info.octets) for info in infos] == [(m[0], m[4]) for m in manifest]
        assert all(info.uid and not info.deleted for info in infos)
        for number, size, sha, name, _ in manifest:
            data = pop.retrieve(number)
            assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha), name
        dots = next(number for number, _, _, name, _ in manifest if name == "dots")
        with pop.open(dots) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == manifest[dots - 1][2]
        assert pop.find(infos[0].uid) == 1
        pop.delete(1)
        assert pop.info(1).deleted
    assert any(line.startswith("AUTH SCRAM-SHA-256") for line in trace), trace
    assert not any("alice-pass" in line for line in trace)
    with PopClient.connect("127.0.0.1", ports["tls"], timeout=10, secure="implicit",
                           credentials=credentials) as pop:
        pop.login("alice", "alice-pass", "plain")
        assert pop.stat().count == len(manifest) - 1  # the deletion took effect at QUIT
        assert pop.find(infos[1].uid) == 1
        with pytest.raises(inetkit.NotFoundError):
            pop.find(infos[0].uid)
    with PopClient.connect("127.0.0.1", ports["plain"], timeout=10, secure="explicit",
                           credentials=credentials) as pop:
        with pytest.raises(inetkit.AuthenticationError):
            pop.login("alice", "wrong-pass", "pass")
