"""The Mx family through the real library, against real DNS servers.

``tests/mx/dns.sh`` starts a private Knot (authoritative for ``mx.test.``,
answers with AA=1) and a private unbound (recursive, asking only Knot: AA=0,
TTLs counting down), both on loopback ports; its header documents the zone.
The session fixture starts them once in a temporary directory (tied to this
process, so they go away even if the run is killed) and stops them at the
end. Tests that need no DNS (structure layout, error classes, misuse of a
closed or wrong-thread resolver) run without it. A UDP socket that never
answers stands in for an unreachable server.
"""

from __future__ import annotations

import ctypes
import gc
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional

import pytest

import inetkit
from inetkit import (
    CanceledError,
    DnsBadNameError,
    ErrorCode,
    HostNotFoundError,
    InvalidHandleError,
    InvalidParameterError,
    InvalidStateError,
    MxError,
    MxRecordFlags,
    MxResolver,
    MxResult,
    MxResultFlags,
    MxStatus,
    NoDnsServerError,
    NullMxError,
    _native,
)
from inetkit.errors import exception_class

from conftest import PROMPT, REPO_ROOT, Worker

DNS_SH = REPO_ROOT / "tests" / "mx" / "dns.sh"

MULTI = ["mx1.multi.mx.test", "mx2a.multi.mx.test", "mx2b.multi.mx.test", "mx2c.multi.mx.test",
         "mx3.multi.mx.test"]


# ---- The DNS servers ------------------------------------------------------------------------

class Dns(NamedTuple):
    directory: Path
    knot: int
    unbound: int
    ipv6: bool

    @property
    def knot_server(self) -> str:
        return f"127.0.0.1:{self.knot}"

    @property
    def unbound_server(self) -> str:
        return f"127.0.0.1:{self.unbound}"


@pytest.fixture(scope="session")
def dns() -> Iterator[Dns]:
    """Knot and unbound on loopback (tests/mx/dns.sh), for the whole session, or a skip."""
    if not DNS_SH.is_file():
        pytest.skip("tests/mx/dns.sh is not in this tree")
    for tool in ("knotd", "unbound"):
        if not (shutil.which(tool) or Path("/usr/sbin", tool).is_file()):
            pytest.skip(f"{tool} is not installed")
    directory = Path(tempfile.mkdtemp(prefix="ikmx-", dir="/tmp"))
    done = subprocess.run(["bash", str(DNS_SH), "start", str(directory), str(os.getpid())],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    try:
        if done.returncode != 0 or not (directory / "unbound.port").is_file():
            pytest.fail(f"dns.sh start failed ({done.returncode}): {done.stdout}{done.stderr}")
        ipv6 = (directory / "knot.ipv6").is_file() and (directory / "knot.ipv6").read_text().strip() == "1"
        yield Dns(directory, int((directory / "knot.port").read_text()),
                  int((directory / "unbound.port").read_text()), ipv6)
    finally:
        subprocess.run(["bash", str(DNS_SH), "stop", str(directory)], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def knot(dns: Dns) -> Iterator[MxResolver]:
    """A synchronous resolver asking Knot (authoritative answers)."""
    with MxResolver(dns.knot_server, timeout=10) as resolver:
        yield resolver


@pytest.fixture
def unbound(dns: Dns) -> Iterator[MxResolver]:
    """A synchronous resolver asking unbound (recursive answers)."""
    with MxResolver(dns.unbound_server, timeout=10) as resolver:
        yield resolver


@pytest.fixture
def black_hole() -> Iterator[str]:
    """"127.0.0.1:port" of a UDP socket that reads nothing and answers nothing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def _names(records) -> List[str]:
    return [record.mail_server for record in records]


# ---- Structures, constants, exceptions (no DNS) --------------------------------------------------

_LAYOUT_PROGRAM = r"""
#include <stddef.h>
#include <stdio.h>
#include <inetkit/mx.h>
#define F(T, m) printf(#T " " #m " %zu %zu\n", offsetof(T, m), sizeof(((T *)0)->m));
#define S(T) printf(#T " sizeof %zu %zu\n", sizeof(T), (size_t)_Alignof(T));
int main(void) {
    S(MXRECORD) F(MXRECORD, dwSize) F(MXRECORD, dwRequestId) F(MXRECORD, dwIndex) F(MXRECORD, dwCount)
    F(MXRECORD, dwPrecedence) F(MXRECORD, dwTimeToLive) F(MXRECORD, dwStatusCode) F(MXRECORD, bAuthoritative)
    F(MXRECORD, dwFlags) F(MXRECORD, dwAddressCount) F(MXRECORD, szDomain) F(MXRECORD, szMailServer)
    F(MXRECORD, szDescription)
    S(MXADDRESS) F(MXADDRESS, dwSize) F(MXADDRESS, dwFamily) F(MXADDRESS, dwTimeToLive) F(MXADDRESS, szAddress)
    S(MXRESULT) F(MXRESULT, dwSize) F(MXRESULT, dwRequestId) F(MXRESULT, dwError) F(MXRESULT, dwStatusCode)
    F(MXRESULT, dwCount) F(MXRESULT, dwFlags) F(MXRESULT, dwElapsed) F(MXRESULT, szDomain)
    F(MXRESULT, szCanonicalName) F(MXRESULT, szDnsServer) F(MXRESULT, szStatus)
    return 0;
}
"""


def test_structures_match_the_c_header(tmp_path: Path):
    """ctypes lays out MXRECORD, MXADDRESS and MXRESULT as the C compiler does."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler")
    source = tmp_path / "layout.c"
    source.write_text(_LAYOUT_PROGRAM)
    program = tmp_path / "layout"
    subprocess.run([compiler, "-std=c11", "-I", str(REPO_ROOT / "include"), "-o", str(program), str(source)],
                   check=True, capture_output=True, timeout=60)
    lines = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout.split("\n")
    checked = 0
    for line in filter(None, lines):
        name, member, first, second = line.split()
        struct = getattr(_native, name)
        if member == "sizeof":
            assert ctypes.sizeof(struct) == int(first), f"sizeof({name})"
            assert ctypes.alignment(struct) == int(second), f"alignment of {name}"
        else:
            field = getattr(struct, member)
            assert (field.offset, field.size) == (int(first), int(second)), f"{name}.{member}"
        checked += 1
    assert checked == 3 + 13 + 4 + 11
    # The sizes the header implies, also where no compiler is around.
    assert (ctypes.sizeof(_native.MXRECORD), ctypes.sizeof(_native.MXADDRESS),
            ctypes.sizeof(_native.MXRESULT)) == (584, 60, 1116)


def test_structure_new_sets_dwsize():
    for struct in (_native.MXRECORD, _native.MXADDRESS, _native.MXRESULT):
        assert struct.new().dwSize == ctypes.sizeof(struct)


def test_every_mx_export_has_a_prototype():
    lines = (REPO_ROOT / "def" / "inetkit.def").read_text().split()
    exports = {name for name in lines if name.startswith("Mx")}
    assert len(exports) == 37
    assert exports == {name for name in _native.PROTOTYPES if name.startswith("Mx")}


@pytest.mark.parametrize("code, cls, bases", [
    (ErrorCode.NULL_MX, NullMxError, (MxError, inetkit.InetError)),
    (ErrorCode.DNS_BAD_RESPONSE, inetkit.DnsBadResponseError, (MxError,)),
    (ErrorCode.DNS_BAD_NAME, DnsBadNameError, (MxError,)),
    (ErrorCode.NO_DNS_SERVER, NoDnsServerError, (inetkit.InetError,)),
    (ErrorCode.HOST_NOT_FOUND, HostNotFoundError, (inetkit.InetError,)),
    (ErrorCode.TRY_AGAIN, HostNotFoundError, (inetkit.InetError,)),
    (ErrorCode.NO_RECOVERY, HostNotFoundError, (inetkit.InetError,)),
    (ErrorCode.NO_DATA, HostNotFoundError, (inetkit.InetError,)),
])
def test_mx_exception_classes(code, cls, bases):
    assert exception_class(code) is cls
    error = cls(code, "text")
    assert all(isinstance(error, base) for base in bases)
    assert error.code == code and error.code.name == code.name


def test_mx_error_codes_and_texts():
    assert (ErrorCode.NULL_MX, ErrorCode.DNS_BAD_RESPONSE, ErrorCode.DNS_BAD_NAME) == (800, 801, 802)
    assert "null MX" in inetkit.error_string(ErrorCode.NULL_MX)
    lib = _native.library()
    rc, text = _native.query_string(lambda buffer, length: lib.MxGetErrorString(802, buffer, length))
    assert rc == 0 and text == inetkit.error_string(802)


def test_result_helpers_without_dns():
    failed = MxResult(request_id=3, domain="x.test", error=ErrorCode.TRY_AGAIN, status=MxStatus.SERVER_FAILURE,
                      flags=MxResultFlags.NONE, elapsed=0.5, canonical_name=None, dns_server="127.0.0.1:53",
                      message="server failure for x.test")
    assert not failed.ok and failed.temporary and failed.mail_server is None
    error = failed.exception()
    assert type(error) is HostNotFoundError and error.result is failed and error.message == failed.message
    with pytest.raises(HostNotFoundError):
        failed.raise_for_error()
    null = MxResult(3, "n.test", ErrorCode.NULL_MX, MxStatus.OK, MxResultFlags.AUTHORITATIVE, 0.0, None, "", "no mail")
    assert not null.temporary and null.authoritative and isinstance(null.exception(), NullMxError)


# ---- Handle life and misuse (no DNS) ----------------------------------------------------------------

def test_close_twice_and_use_after_close():
    resolver = MxResolver("127.0.0.1")
    raw = resolver.handle
    assert not resolver.closed and "handle=" in repr(resolver)
    resolver.close()
    resolver.close()  # nothing happens
    assert resolver.closed and "closed" in repr(resolver)
    for use in (lambda: resolver.resolve("a.test"), lambda: resolver.dns_server, lambda: resolver.fileno(),
                lambda: resolver.submit("a.test"), resolver.interrupt, lambda: resolver.wait(0)):
        with pytest.raises(InvalidHandleError):
            use()
    # The raw handle is dead in the library too.
    assert _native.library().MxDestroy(raw) == ErrorCode.INVALID_HANDLE
    assert _native.library().MxGetIdle(raw, ctypes.byref(_native.BOOL())) == ErrorCode.INVALID_HANDLE


def test_context_manager_closes():
    with MxResolver() as resolver:
        assert resolver.timeout == _native.MX_DEFAULT_TIMEOUT
    assert resolver.closed


def test_garbage_collector_destroys_an_unreferenced_resolver():
    resolver = MxResolver("127.0.0.1")
    raw = resolver.handle
    resolver.on_response = lambda record: None
    del resolver
    gc.collect()
    assert _native.library().MxDestroy(raw) == ErrorCode.INVALID_HANDLE


def test_defaults_and_property_round_trip():
    with MxResolver() as resolver:
        assert resolver.dns_port == 53
        assert resolver.timeout == 60
        assert resolver.request_id == 1
        assert resolver.local_host is None
        assert resolver.idle
        assert resolver.result is None and resolver.record_count == 0
        assert resolver.mail_server is None and resolver.status == ""
        assert resolver.next_timeout is None
        resolver.dns_server = "192.0.2.53, [2001:db8::53]:5353,127.0.0.1:5300"
        assert [s.strip() for s in resolver.dns_server.split(",")] == \
            ["192.0.2.53", "[2001:db8::53]:5353", "127.0.0.1:5300"]
        resolver.dns_server = ["127.0.0.1:1", "127.0.0.2"]
        assert resolver.dns_server.replace(" ", "") == "127.0.0.1:1,127.0.0.2"
        resolver.dns_port = 5353
        assert resolver.dns_port == 5353
        resolver.timeout = 2.2
        assert resolver.timeout == 3
        resolver.request_id = 0xFFFFFFF0
        assert resolver.request_id == 0xFFFFFFF0
        resolver.local_host = "127.0.0.1"
        assert resolver.local_host == "127.0.0.1"
        resolver.local_host = None
        assert resolver.local_host is None
        resolver.reset()
        assert (resolver.dns_port, resolver.timeout, resolver.request_id) == (53, 60, 1)


@pytest.mark.parametrize("servers", ["dns.example.org", "127.0.0.1:0", "127.0.0.1:65536", "[::1", "1.2.3",
                                     "127.0.0.1,,127.0.0.2"])
def test_bad_dns_servers_are_refused(servers):
    with MxResolver() as resolver:
        before = resolver.dns_server
        with pytest.raises(InvalidParameterError):
            resolver.dns_server = servers
        assert resolver.dns_server == before


def test_bad_properties_are_refused():
    with MxResolver() as resolver:
        for port in (0, 65536):
            with pytest.raises(InvalidParameterError):
                resolver.dns_port = port
        with pytest.raises(InvalidParameterError):
            resolver.dns_port = -1
        with pytest.raises(InvalidParameterError):
            resolver.timeout = -1
        with pytest.raises(InvalidParameterError):
            resolver.local_host = "localhost"
        with pytest.raises(InvalidParameterError):
            resolver.do_events(-1)


def test_unknown_options_are_refused():
    lib = _native.library()
    MxResolver().close()  # initialises the family
    assert not lib.MxCreate(0x1)
    assert lib.InetGetLastError() == ErrorCode.INVALID_PARAMETER


CONFIG_ROUND_TRIP = [
    ("ImplicitMX", False, "off"),
    ("UseIDN", True, "on"),
    ("ResolveAddresses", True, "on"),
    ("ShuffleEqual", False, "off"),
    ("MaxRecords", 100, "100"),
    ("ShuffleSeed", 42, "42"),
    ("MaxInFlight", 8, "8"),
    ("Retries", 2, "2"),
    ("QueryTimeout", 500, "500"),
    ("AbsoluteTimeout", 3000, "3000"),
    ("ConnectionMode", "tcp", "tcp"),
    ("UseIPv6", "off", "off"),
    ("MaxPacketSize", 512, "512"),
    ("MaxPacketSize", 0, "0"),
    ("LocalPort", 0, "0"),
    ("LocalHost", "127.0.0.1", "127.0.0.1"),
    ("CodePage", 65001, "65001"),
]


@pytest.mark.parametrize("name, value, expected", CONFIG_ROUND_TRIP)
def test_config_round_trip(name, value, expected):
    with MxResolver() as resolver:
        resolver.config(name, value)
        assert resolver.get_config(name) == expected
        assert resolver.get_config(name.upper()) == expected  # names are case-insensitive
        resolver.config(name.lower(), value)
        assert resolver.get_config(name) == expected


def test_config_defaults_and_reset():
    with MxResolver() as resolver:
        defaults = {"ImplicitMX": "on", "UseIDN": "on", "ResolveAddresses": "off", "ShuffleEqual": "on",
                    "MaxRecords": "64", "ShuffleSeed": "0", "MaxInFlight": "64", "Retries": "3",
                    "QueryTimeout": "2000", "ConnectionMode": "auto", "UseIPv6": "auto",
                    "MaxPacketSize": "1232", "LocalPort": "0", "AbsoluteTimeout": "0", "CodePage": "65001"}
        assert {name: resolver.get_config(name) for name in defaults} == defaults
        resolver.config("MaxRecords", 7)
        resolver.config("ImplicitMX", False)
        resolver.reset()
        assert resolver.get_config("MaxRecords") == "64" and resolver.get_config("ImplicitMX") == "on"
        info = resolver.get_config("BuildInfo")
        assert "c-ares" in info.lower() or "cares" in info.lower(), info


@pytest.mark.parametrize("name, value", [
    ("NoSuchSetting", 1), ("MaxRecords", 0), ("MaxRecords", 1025), ("Retries", 11), ("MaxInFlight", 0),
    ("MaxPacketSize", 100), ("ConnectionMode", "carrier-pigeon"), ("UseIPv6", "maybe"), ("ImplicitMX", "perhaps"),
    ("BuildInfo", "1.0"), ("ShuffleSeed", "x"),
])
def test_config_refuses_bad_settings(name, value):
    with MxResolver() as resolver:
        with pytest.raises(InvalidParameterError):
            resolver.config(name, value)
        with pytest.raises(InvalidParameterError):
            resolver.get_config("NoSuchSetting")


def test_config_code_page_other_than_utf8_is_not_supported():
    with MxResolver() as resolver:
        with pytest.raises(inetkit.InetError) as info:
            resolver.config("CodePage", 1252)
        assert info.value.code == ErrorCode.NOT_SUPPORTED


@pytest.mark.parametrize("address", ["", "a\r\nb.test", "bad\tname.test", "a..b.test", ".test", "user@",
                                     "x" * 64 + ".test", ".".join(["abcdefghi"] * 26), "a" * 321])
def test_malformed_addresses_are_invalid_parameters(address):
    with MxResolver("127.0.0.1:9", timeout=1) as resolver:
        with pytest.raises(InvalidParameterError) as info:
            resolver.resolve(address)
        assert info.value.code == ErrorCode.INVALID_PARAMETER
        assert resolver.result is None  # nothing became a request
        resolver.timeout = 0
        with pytest.raises(InvalidParameterError):
            resolver.submit(address)
        assert resolver.idle


def test_binding_side_argument_checks():
    with MxResolver("127.0.0.1:9", timeout=1) as resolver:
        with pytest.raises(InvalidParameterError):
            resolver.resolve("a\0b.test")
        with pytest.raises(TypeError):
            resolver.resolve(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            resolver.on_response = "not callable"  # type: ignore[assignment]
        with pytest.raises(InvalidParameterError):
            resolver.resolve_many(["a.test"], window=0)


def test_wrong_thread_and_attach_thread(spawn):
    resolver = MxResolver("127.0.0.1:9")
    try:
        error = spawn(lambda: resolver.dns_server).error()
        assert isinstance(error, inetkit.WrongThreadError)
        assert str(threading.get_native_id()) in error.message
        # interrupt and close are allowed from any thread
        assert spawn(resolver.interrupt).error() is None
        worker_ids: List[int] = []
        ready = threading.Event()
        go = threading.Event()

        def other() -> str:
            worker_ids.append(threading.get_native_id())
            ready.set()
            go.wait(PROMPT)
            return resolver.dns_server

        worker = spawn(other)
        ready.wait(PROMPT)
        previous = resolver.attach_thread(worker_ids[0])
        assert previous == threading.get_native_id()
        go.set()
        assert worker.result() == "127.0.0.1:9"
        with pytest.raises(inetkit.WrongThreadError):
            resolver.timeout = 1
    finally:
        spawn(resolver.close).result()


def test_freethread_resolver_works_from_other_threads(spawn):
    with MxResolver("127.0.0.1:9", freethread=True) as resolver:
        assert spawn(lambda: resolver.dns_server).result() == "127.0.0.1:9"
        spawn(lambda: setattr(resolver, "request_id", 77)).result()
        assert resolver.request_id == 77


def test_freethread_second_blocking_resolve_is_busy_other_calls_wait(black_hole: str, spawn):
    with MxResolver(black_hole, timeout=1, freethread=True) as resolver:
        started = threading.Event()

        def blocked() -> None:
            started.set()
            with pytest.raises(inetkit.InetError):
                resolver.resolve("multi.mx.test")

        worker = spawn(blocked)
        started.wait(PROMPT)
        time.sleep(0.2)
        with pytest.raises(inetkit.BusyError) as info:
            resolver.resolve("multi.mx.test")
        assert "blocking" in info.value.message
        begun = time.monotonic()
        assert resolver.request_id == 2  # waits for the blocking call, then answers
        assert time.monotonic() - begun > 0.3
        worker.result(5)


def test_no_dns_server(tmp_path: Path):
    empty = tmp_path / "resolv.conf"
    empty.write_text("# no nameserver here\n")
    with MxResolver(timeout=2) as resolver:
        resolver.config("ResolvConf", str(empty))
        assert resolver.dns_server == ""
        with pytest.raises(NoDnsServerError) as info:
            resolver.resolve("multi.mx.test")
        assert info.value.code == ErrorCode.NO_DNS_SERVER
        resolver.timeout = 0
        with pytest.raises(NoDnsServerError):
            resolver.submit("multi.mx.test")
        results = resolver.resolve_many(["a.test", "b.test"])
        assert all(r.error == ErrorCode.NO_DNS_SERVER and r.request_id == 0 for r in results.values())


def test_resolv_conf_is_read_with_the_dns_port(tmp_path: Path, dns: Dns):
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.1\n")
    with MxResolver(timeout=10) as resolver:
        resolver.config("ResolvConf", str(conf))
        resolver.dns_port = dns.knot
        assert resolver.dns_server.startswith("127.0.0.1")
        assert _names(resolver.resolve("multi.mx.test"))[0] == "mx1.multi.mx.test"


# ---- Synchronous resolving ---------------------------------------------------------------------

def test_sync_resolve_order_ttl_and_aa(knot: MxResolver, dns: Dns):
    knot.request_id = 500
    records = knot.resolve("alice@multi.mx.test")
    assert [r.preference for r in records] == [10, 20, 20, 20, 30]
    names = _names(records)
    assert names[0] == "mx1.multi.mx.test" and names[4] == "mx3.multi.mx.test"
    assert set(names[1:4]) == {"mx2a.multi.mx.test", "mx2b.multi.mx.test", "mx2c.multi.mx.test"}
    for index, record in enumerate(records):
        assert record.index == index and record.count == 5
        assert record.request_id == 500
        assert record.ttl == 3600
        assert record.authoritative
        assert record.status == MxStatus.OK and record.description == "Ok"
        assert record.domain == "multi.mx.test"
        assert record.flags == MxRecordFlags.NONE and record.addresses == ()
    result = knot.result
    assert result is not None and result.ok and result.request_id == 500
    assert result.records == tuple(records)
    assert result.authoritative and result.flags & MxResultFlags.AUTHORITATIVE
    assert result.status == MxStatus.OK and result.message == "OK"
    assert result.domain == "multi.mx.test" and result.canonical_name is None
    assert result.dns_server == dns.knot_server
    assert 0 <= result.elapsed < 10
    assert knot.request_id == 501
    assert knot.mail_server == "mx1.multi.mx.test"
    assert knot.record_count == 5
    assert knot.status == "OK"
    assert knot.idle


def test_sync_resolve_through_the_recursive_resolver(unbound: MxResolver, dns: Dns):
    records = unbound.resolve("multi.mx.test")
    assert _names(records)[0] == "mx1.multi.mx.test"
    assert all(not r.authoritative for r in records)
    assert all(3000 < r.ttl <= 3600 for r in records)
    result = unbound.result
    assert not result.authoritative and result.dns_server == dns.unbound_server


def test_equal_preferences_shuffle(knot: MxResolver, dns: Dns):
    expected = {f"e{i}.equal.mx.test" for i in range(1, 9)}
    knot.config("ShuffleSeed", 7)
    orders = [_names(knot.resolve("equal.mx.test")) for _ in range(3)]
    assert all(set(order) == expected and len(order) == 8 for order in orders)
    knot.config("ShuffleSeed", 7)  # setting it again restarts the sequence
    assert _names(knot.resolve("equal.mx.test")) == orders[0]
    # The seed makes the sequence of orders repeatable: another resolver with it gives the same.
    with MxResolver(dns.knot_server, timeout=10, settings={"ShuffleSeed": 7}) as other:
        assert [_names(other.resolve("equal.mx.test")) for _ in range(3)] == orders
    knot.config("ShuffleSeed", 0)
    orders = {tuple(_names(knot.resolve("equal.mx.test"))) for _ in range(12)}
    assert len(orders) > 1, "random shuffles of eight equal preferences all came out alike"
    knot.config("ShuffleEqual", False)
    fixed = {tuple(_names(knot.resolve("equal.mx.test"))) for _ in range(5)}
    assert len(fixed) == 1


def test_implicit_mx(knot: MxResolver):
    (record,) = knot.resolve("bob@implicit.mx.test")
    assert record.implicit and record.flags == MxRecordFlags.IMPLICIT
    assert record.mail_server == "implicit.mx.test" and record.preference == 0
    assert record.ttl == 900
    # the addresses that made it, without ResolveAddresses
    assert {(a.family, a.address, a.ttl) for a in record.addresses} == {(4, "192.0.2.50", 900),
                                                                        (6, "2001:db8::50", 900)}
    (record,) = knot.resolve("implicit6.mx.test")
    assert record.implicit and record.mail_server == "implicit6.mx.test"
    assert [(a.family, a.address) for a in record.addresses] == [(6, "2001:db8::51")]
    knot.config("ImplicitMX", False)
    with pytest.raises(HostNotFoundError) as info:
        knot.resolve("implicit.mx.test")
    assert info.value.code == ErrorCode.NO_DATA


def test_null_mx_is_a_typed_error(knot: MxResolver, dns: Dns):
    with pytest.raises(NullMxError) as info:
        knot.resolve("carol@nullmx.mx.test")
    error = info.value
    assert isinstance(error, MxError) and error.code == ErrorCode.NULL_MX == 800
    assert "nullmx.mx.test" in error.message
    assert error.result.status == MxStatus.OK and error.result.records == ()
    assert error.result.error == ErrorCode.NULL_MX and not error.result.temporary
    assert knot.status == error.message
    assert knot.mail_server is None
    # the lookup() twin returns it instead
    result = knot.lookup("nullmx.mx.test")
    assert result.error == ErrorCode.NULL_MX and result.message == error.message


def test_nxdomain_is_host_not_found(knot: MxResolver, dns: Dns):
    with pytest.raises(HostNotFoundError) as info:
        knot.resolve("dave@nosuch.mx.test")
    error = info.value
    assert error.code == ErrorCode.HOST_NOT_FOUND == 11001
    assert "nosuch.mx.test" in error.message and str(dns.knot) in error.message
    assert error.result.status == MxStatus.NAME_ERROR
    assert error.result.authoritative


@pytest.mark.parametrize("domain, code, cls", [
    ("txtonly.mx.test", ErrorCode.NO_DATA, HostNotFoundError),
    ("loop1.mx.test", ErrorCode.NO_RECOVERY, HostNotFoundError),
    ("iponly.mx.test", ErrorCode.DNS_BAD_NAME, DnsBadNameError),
    ("outside.example", ErrorCode.NO_RECOVERY, HostNotFoundError),  # Knot refuses it (REFUSED)
])
def test_typed_errors(knot: MxResolver, domain, code, cls):
    with pytest.raises(cls) as info:
        knot.resolve(domain)
    assert info.value.code == code
    assert domain in info.value.message


def test_cname_at_the_query_name(knot: MxResolver):
    records = knot.resolve("alias.mx.test")
    assert _names(records)[0] == "mx1.multi.mx.test" and len(records) == 5
    result = knot.result
    assert result.flags & MxResultFlags.CNAME
    assert result.canonical_name == "multi.mx.test"
    assert result.domain == "alias.mx.test"


def test_truncated_answer_is_fetched_over_tcp(knot: MxResolver):
    records = knot.resolve("big.mx.test")
    assert len(records) == 64  # MaxRecords
    result = knot.result
    assert result.flags & MxResultFlags.TRUNCATED and result.flags & MxResultFlags.RECORDS_DROPPED
    assert [r.preference for r in records] == list(range(1, 65))
    assert records[0].mail_server == "host-001-" + "x" * 40 + ".exchangers-for-the-large-set.example"
    knot.config("MaxRecords", 1024)
    records = knot.resolve("big.mx.test")
    assert len(records) == 120 and not knot.result.flags & MxResultFlags.RECORDS_DROPPED
    knot.config("ConnectionMode", "tcp")
    assert len(knot.resolve("big.mx.test")) == 120
    assert not knot.result.flags & MxResultFlags.TRUNCATED
    knot.config("ConnectionMode", "udp")  # no TCP: what fitted in the truncated answer, if anything
    result = knot.lookup("big.mx.test")
    if result.ok:
        assert 0 < len(result.records) < 120 and result.flags & MxResultFlags.RECORDS_DROPPED
    else:  # Knot truncates to an empty answer section
        assert result.error == ErrorCode.NO_RECOVERY and "truncated" in result.message, result


def test_international_domain(knot: MxResolver):
    records = knot.resolve("jörg@bücher.mx.test")
    assert _names(records) == ["mail.xn--bcher-kva.mx.test"]
    assert records[0].domain == "xn--bcher-kva.mx.test"
    assert _names(knot.resolve("xn--bcher-kva.mx.test")) == ["mail.xn--bcher-kva.mx.test"]
    knot.config("UseIDN", False)
    with pytest.raises(InvalidParameterError):
        knot.resolve("bücher.mx.test")


def test_invalid_exchanger_names_are_dropped(knot: MxResolver):
    records = knot.resolve("ipmx.mx.test")
    assert _names(records) == ["valid.ipmx.mx.test"]
    assert knot.result.flags & MxResultFlags.RECORDS_DROPPED


def test_resolve_addresses(knot: MxResolver):
    knot.config("ResolveAddresses", True)
    records = {r.mail_server: r for r in knot.resolve("multi.mx.test")}
    mx1 = records["mx1.multi.mx.test"]
    assert {(a.family, a.address, a.ttl) for a in mx1.addresses} == {(4, "192.0.2.11", 1200),
                                                                      (6, "2001:db8::11", 1300)}
    assert [a.address for a in records["mx2b.multi.mx.test"].addresses] == ["2001:db8::22"]
    assert sorted(a.address for a in records["mx2c.multi.mx.test"].addresses) == ["192.0.2.23", "192.0.2.24"]
    assert str(mx1.addresses[0].ip) in ("192.0.2.11", "2001:db8::11")
    # an alias as exchanger, and an exchanger without addresses
    aliased = {r.mail_server: r for r in knot.resolve("aliasmx.mx.test")}
    assert aliased["cname-host.mx.test"].alias
    assert [a.address for a in aliased["real-host.mx.test"].addresses] == ["192.0.2.70"]
    missing = {r.mail_server: r for r in knot.resolve("noaddr.mx.test")}
    assert missing["nowhere.mx.test"].no_address and missing["nowhere.mx.test"].addresses == ()
    assert not missing["mx1.multi.mx.test"].no_address
    knot.config("UseIPv6", "off")
    records = {r.mail_server: r for r in knot.resolve("multi.mx.test")}
    assert all(a.family == 4 for r in records.values() for a in r.addresses)
    assert records["mx2b.multi.mx.test"].no_address


def test_domain_literals_need_no_lookup(black_hole: str):
    with MxResolver(black_hole, timeout=5) as resolver:
        (record,) = resolver.resolve("user@[192.0.2.1]")
        assert record.literal and record.mail_server == "192.0.2.1"
        assert [(a.family, a.address) for a in record.addresses] == [(4, "192.0.2.1")]
        (record,) = resolver.resolve("user@[IPv6:2001:db8::1]")
        assert record.literal and [(a.family, a.address) for a in record.addresses] == [(6, "2001:db8::1")]


def test_quoted_local_part(knot: MxResolver):
    assert _names(knot.resolve('"a@b"@multi.mx.test'))[0] == "mx1.multi.mx.test"


def test_ipv6_server(dns: Dns):
    if not dns.ipv6:
        pytest.skip("Knot does not listen on ::1 here")
    with MxResolver(f"[::1]:{dns.knot}", timeout=10) as resolver:
        assert _names(resolver.resolve("multi.mx.test"))[0] == "mx1.multi.mx.test"
        assert resolver.result.dns_server == f"[::1]:{dns.knot}"


def test_second_server_is_asked_when_the_first_is_silent(dns: Dns, black_hole: str):
    with MxResolver([black_hole, dns.knot_server], timeout=15,
                    settings={"QueryTimeout": 200, "Retries": 1}) as resolver:
        assert _names(resolver.resolve("multi.mx.test"))[0] == "mx1.multi.mx.test"
        assert resolver.result.dns_server == dns.knot_server


def test_unanswered_query_is_try_again(black_hole: str):
    with MxResolver(black_hole, timeout=1) as resolver:
        started = time.monotonic()
        with pytest.raises(inetkit.InetError) as info:
            resolver.resolve("multi.mx.test")
        elapsed = time.monotonic() - started
        assert info.value.code in (ErrorCode.TRY_AGAIN, ErrorCode.TIMED_OUT), info.value
        assert 0.5 < elapsed < 4
        assert info.value.result.status == MxStatus.NO_ANSWER and info.value.result.temporary


# ---- Asynchronous: pull ---------------------------------------------------------------------------

def test_async_mode_needs_submit(knot: MxResolver):
    knot.timeout = 0
    with pytest.raises(InvalidStateError):
        knot.resolve("multi.mx.test")
    knot.timeout = 5
    with pytest.raises(InvalidStateError):
        knot.submit("multi.mx.test")


def test_pull_results(knot: MxResolver):
    knot.timeout = 0
    knot.request_id = 1000
    domains = ["multi.mx.test", "nosuch.mx.test", "nullmx.mx.test", "implicit.mx.test", "d7.mx.test"]
    ids = {knot.submit(domain): domain for domain in domains}
    assert sorted(ids) == list(range(1000, 1005))
    assert not knot.idle
    assert knot.status == ""
    results = list(knot.results(timeout=10))
    assert sorted(r.request_id for r in results) == sorted(ids)
    by_domain = {ids[r.request_id]: r for r in results}
    assert by_domain["multi.mx.test"].ok and by_domain["multi.mx.test"].mail_server == "mx1.multi.mx.test"
    assert by_domain["nosuch.mx.test"].error == ErrorCode.HOST_NOT_FOUND
    assert by_domain["nosuch.mx.test"].status == MxStatus.NAME_ERROR
    assert isinstance(by_domain["nosuch.mx.test"].exception(), HostNotFoundError)
    assert by_domain["nullmx.mx.test"].error == ErrorCode.NULL_MX
    assert isinstance(by_domain["nullmx.mx.test"].exception(), NullMxError)
    assert by_domain["implicit.mx.test"].records[0].implicit
    assert by_domain["d7.mx.test"].records[0].preference == 7
    assert knot.next_result(0) is None
    assert knot.idle and knot.next_timeout is None
    # the last one taken is current
    assert knot.result == results[-1]


def test_next_result_times_out(black_hole: str):
    with MxResolver(black_hole, timeout=0, settings={"AbsoluteTimeout": 3000}) as resolver:
        resolver.submit("multi.mx.test")
        with pytest.raises(inetkit.InetTimeoutError) as info:
            resolver.next_result(0.2)
        assert isinstance(info.value, TimeoutError)
        assert 0 <= resolver.next_timeout <= 3.0
        assert not resolver.wait(0.1)
        result = resolver.next_result(10)  # the request's own deadline ends it
        assert result.error in (ErrorCode.TRY_AGAIN, ErrorCode.TIMED_OUT)
        assert result.status == MxStatus.NO_ANSWER and 2.5 <= result.elapsed <= 6


def test_wait_then_pull(knot: MxResolver):
    knot.timeout = 0
    for i in range(20):
        knot.submit(f"d{i}.mx.test")
    assert knot.wait(10)
    assert not knot.idle  # finished, not yet taken
    preferences = sorted(r.records[0].preference for r in knot.results(0))
    assert preferences == list(range(20))
    assert knot.idle


def test_busy_while_requests_are_in_flight(dns: Dns, black_hole: str):
    with MxResolver(black_hole, timeout=0, settings={"AbsoluteTimeout": 5000}) as resolver:
        resolver.submit("multi.mx.test")
        with pytest.raises(inetkit.BusyError):
            resolver.dns_server = dns.knot_server
        with pytest.raises(inetkit.BusyError):
            resolver.config("Retries", 1)
        with pytest.raises(inetkit.BusyError):
            resolver.resolve_many(["multi.mx.test"])
        resolver.timeout = 5
        with pytest.raises(inetkit.BusyError):
            resolver.resolve("multi.mx.test")
        resolver.reset()  # cancels it; no result remains
        assert resolver.idle and resolver.next_result(0) is None
        assert resolver.timeout == 60


# ---- Asynchronous: callbacks --------------------------------------------------------------------

def test_callbacks_fire_and_stay_alive(knot: MxResolver):
    responses: List = []
    errors: List = []

    def install(resolver: MxResolver) -> None:
        # Closures that only the resolver references.
        resolver.on_response = lambda record: responses.append(record)
        resolver.on_error = lambda request_id, domain, error: errors.append((request_id, domain, error))

    install(knot)
    gc.collect()
    gc.collect()
    knot.timeout = 0
    multi = knot.submit("multi.mx.test")
    missing = knot.submit("nosuch.mx.test")
    null = knot.submit("nullmx.mx.test")
    gc.collect()
    assert knot.wait(10)
    assert knot.idle  # delivered to the callbacks: nothing waits
    assert knot.next_result(0) is None
    assert [r.request_id for r in responses] == [multi] * 5
    assert [r.index for r in responses] == list(range(5))
    assert responses[0].mail_server == "mx1.multi.mx.test" and responses[0].count == 5
    failed = {request_id: (domain, error) for request_id, domain, error in errors}
    assert set(failed) == {missing, null}
    domain, error = failed[missing]
    assert domain == "nosuch.mx.test" and type(error) is HostNotFoundError
    assert error.code == ErrorCode.HOST_NOT_FOUND and error.status == MxStatus.NAME_ERROR
    assert "nosuch.mx.test" in error.message
    domain, error = failed[null]
    assert isinstance(error, NullMxError) and error.request_id == null
    # unregistered: back to the queue
    knot.on_response = None
    knot.on_error = None
    assert knot.on_response is None and knot._response_proc is None
    knot.submit("d3.mx.test")
    result = knot.next_result(10)
    assert result.records[0].preference == 3 and len(responses) == 5


def test_callbacks_with_sync_resolve(knot: MxResolver):
    seen: List[str] = []
    knot.on_response = lambda record: seen.append(record.mail_server)
    records = knot.resolve("multi.mx.test")
    assert seen == _names(records)
    assert knot.result.records == tuple(records)  # still the current result


def test_callback_exception_is_raised_by_the_call(knot: MxResolver):
    calls: List[int] = []

    def boom(record) -> None:
        calls.append(record.index)
        raise RuntimeError("from the callback")

    knot.on_response = boom
    knot.timeout = 0
    knot.submit("multi.mx.test")
    with pytest.raises(RuntimeError, match="from the callback"):
        knot.wait(10)
    assert calls == [0, 1, 2, 3, 4]  # the rest were delivered all the same
    knot.timeout = 10
    with pytest.raises(RuntimeError):
        knot.resolve("multi.mx.test")


def test_callback_exception_survives_calls_on_other_resolvers(knot: MxResolver, dns: Dns):
    with MxResolver(dns.knot_server, timeout=5) as other:
        def callback(record) -> None:
            other.request_id = 10 + record.index  # a call on another resolver, from the callback
            if record.index == 0:
                raise KeyError("first")

        knot.on_response = callback
        with pytest.raises(KeyError, match="first"):
            knot.resolve("multi.mx.test")
        assert other.request_id == 14
        # and the other resolver's own calls do not see it afterwards
        other.request_id = 1


def test_reentrant_call_from_a_callback_is_refused(knot: MxResolver):
    inside: List[BaseException] = []

    def reenter(record) -> None:
        try:
            knot.dns_server
        except BaseException as exc:
            inside.append(exc)
        knot.interrupt()  # allowed

    knot.on_response = reenter
    knot.resolve("implicit.mx.test")
    assert len(inside) == 1 and isinstance(inside[0], inetkit.ReentrantCallError)
    # A submit from a callback that fires in wait() (asynchronous mode)
    knot.on_response = lambda record: inside.append(pytest.raises(inetkit.ReentrantCallError, knot.submit, "d1.mx.test"))
    knot.timeout = 0
    knot.submit("implicit.mx.test")
    assert knot.wait(10) and len(inside) == 2


def test_resolve_from_a_callback_is_a_reentrant_call(knot: MxResolver):
    inside: List[BaseException] = []

    def reenter(record) -> None:
        try:
            knot.resolve("multi.mx.test")
        except BaseException as exc:
            inside.append(exc)

    knot.on_response = reenter
    knot.resolve("implicit.mx.test")
    assert len(inside) == 1 and isinstance(inside[0], inetkit.ReentrantCallError), inside


def test_resolve_many_keeps_callbacks_quiet_and_restores_them(knot: MxResolver):
    fired: List = []
    knot.on_response = fired.append
    results = knot.resolve_many(["d1.mx.test", "d2.mx.test"])
    assert all(r.ok for r in results.values()) and fired == []
    assert knot.timeout == 10
    knot.resolve("multi.mx.test")
    assert len(fired) == 5


# ---- Bulk ------------------------------------------------------------------------------------------

def _count_queue(monkeypatch, lib) -> Dict[str, int]:
    """Wrap MxResolve and MxGetNextResult to track the requests queued."""
    stats = {"queued": 0, "most": 0, "submitted": 0}
    resolve, take = lib.MxResolve, lib.MxGetNextResult

    def counted_resolve(*args):
        rc = resolve(*args)
        if rc == 0:
            stats["queued"] += 1
            stats["submitted"] += 1
            stats["most"] = max(stats["most"], stats["queued"])
        return rc

    def counted_take(*args):
        rc = take(*args)
        if rc == 0:
            stats["queued"] -= 1
        return rc

    monkeypatch.setattr(lib, "MxResolve", counted_resolve)
    monkeypatch.setattr(lib, "MxGetNextResult", counted_take)
    return stats


@pytest.mark.parametrize("window", [None, 50])
def test_resolve_many_two_thousand_domains(dns: Dns, window, monkeypatch):
    domains = [f"d{i}.mx.test" for i in range(2000)]
    with MxResolver(dns.knot_server, timeout=7, settings={"MaxInFlight": 128}) as resolver:
        stats = _count_queue(monkeypatch, _native.library())
        started = time.monotonic()
        results = resolver.resolve_many(domains + domains[:10], window=window)
        elapsed = time.monotonic() - started
        assert list(results) == domains  # every one, once, in order
        assert stats["submitted"] == 2000
        if window is not None:
            assert stats["most"] <= window
            assert stats["most"] == window
        ids = set()
        for i, domain in enumerate(domains):
            result = results[domain]
            assert result.ok, (domain, result.message)
            assert result.domain == domain
            assert len(result.records) == 1
            record = result.records[0]
            assert (record.preference, record.mail_server, record.ttl) == (i, f"mx-{i}.bulk.example", 3600)
            assert record.authoritative and record.request_id == result.request_id
            ids.add(result.request_id)
        assert len(ids) == 2000
        assert resolver.timeout == 7 and resolver.idle
        assert elapsed < 60


def test_resolve_many_gives_errors_as_results(knot: MxResolver):
    inputs = ["multi.mx.test", "nosuch.mx.test", "bad..name", "nullmx.mx.test", "x@[192.0.2.1]",
              "txtonly.mx.test", b"implicit.mx.test"]
    results = knot.resolve_many(inputs, window=2)
    assert list(results) == [i if isinstance(i, str) else i.decode() for i in inputs]
    assert results["multi.mx.test"].mail_server == "mx1.multi.mx.test"
    assert results["nosuch.mx.test"].error == ErrorCode.HOST_NOT_FOUND
    refused = results["bad..name"]
    assert refused.error == ErrorCode.INVALID_PARAMETER and refused.request_id == 0 and refused.message
    assert results["nullmx.mx.test"].error == ErrorCode.NULL_MX
    assert results["x@[192.0.2.1]"].records[0].literal
    assert results["txtonly.mx.test"].error == ErrorCode.NO_DATA
    assert results["implicit.mx.test"].records[0].implicit
    assert knot.resolve_many([]) == {}


def test_resolve_many_with_a_small_in_flight_limit(knot: MxResolver):
    knot.config("MaxInFlight", 2)
    results = knot.resolve_many([f"d{i}.mx.test" for i in range(100)])
    assert [r.records[0].preference for r in results.values()] == list(range(100))


def test_resolve_many_interrupted(black_hole: str, spawn):
    with MxResolver(black_hole, freethread=True, settings={"AbsoluteTimeout": 20000}) as resolver:
        domains = [f"d{i}.mx.test" for i in range(30)]
        worker = spawn(lambda: resolver.resolve_many(domains, window=5))
        time.sleep(0.5)
        resolver.interrupt()
        results = worker.result(10)
        assert list(results) == domains
        assert all(r.error == ErrorCode.CANCELED for r in results.values())
        assert sum(1 for r in results.values() if r.request_id) <= 10
        assert resolver.idle


# ---- Event loop -------------------------------------------------------------------------------------

def test_event_descriptor_with_selectors(knot: MxResolver):
    descriptor = knot.fileno()
    assert descriptor >= 0 and knot.fileno() == descriptor
    knot.timeout = 0
    done: Dict[int, str] = {}
    knot.on_response = lambda record: done.setdefault(record.request_id, record.mail_server)
    knot.on_error = lambda request_id, domain, error: done.setdefault(request_id, error.code.name)
    ids = {knot.submit(f"d{i}.mx.test"): i for i in range(25)}
    ids[knot.submit("nosuch.mx.test")] = -1
    wakeups = 0
    with selectors.DefaultSelector() as selector:
        selector.register(knot, selectors.EVENT_READ)
        deadline = time.monotonic() + 10
        while not knot.idle:
            assert time.monotonic() < deadline, "the event loop did not finish"
            timeout = knot.next_timeout
            events = selector.select(min(timeout if timeout is not None else 1.0, 1.0))
            if events:
                wakeups += 1
            knot.do_events(0)
    assert wakeups > 0
    assert len(done) == 26
    for request_id, index in ids.items():
        assert done[request_id] == (f"mx-{index}.bulk.example" if index >= 0 else "HOST_NOT_FOUND")
    # idle: the descriptor does not poll readable
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        assert selector.select(0.05) == []


def test_descriptor_polls_readable_when_an_answer_arrives(knot: MxResolver):
    knot.timeout = 0
    knot.submit("multi.mx.test")
    with selectors.DefaultSelector() as selector:
        selector.register(knot.fileno(), selectors.EVENT_READ)
        assert selector.select(5), "no answer woke the descriptor"
    result = knot.next_result(5)
    assert result.ok


# ---- Threads ------------------------------------------------------------------------------------------

def test_interrupt_from_another_thread_ends_a_blocking_resolve(black_hole: str, spawn):
    with MxResolver(black_hole, timeout=30) as resolver:
        started = time.monotonic()
        worker = spawn(lambda: (time.sleep(0.3), resolver.interrupt()))
        with pytest.raises(CanceledError) as info:
            resolver.resolve("multi.mx.test")
        assert time.monotonic() - started < 5
        worker.result()
        assert info.value.code == ErrorCode.CANCELED
        assert resolver.result.error == ErrorCode.CANCELED
        # usable afterwards
        resolver.timeout = 0
        resolver.submit("user@[192.0.2.9]")
        assert resolver.next_result(5).mail_server == "192.0.2.9"


def test_interrupt_ends_wait_and_cancels_every_request(black_hole: str, spawn):
    with MxResolver(black_hole, timeout=0, settings={"AbsoluteTimeout": 30000}) as resolver:
        ids = [resolver.submit(f"d{i}.mx.test") for i in range(5)]
        worker = spawn(lambda: (time.sleep(0.3), resolver.interrupt()))
        started = time.monotonic()
        with pytest.raises(CanceledError):
            resolver.wait(None)
        assert time.monotonic() - started < 5
        worker.result()
        results = list(resolver.results(5))
        assert sorted(r.request_id for r in results) == ids
        assert all(r.error == ErrorCode.CANCELED and r.status == MxStatus.NO_ANSWER for r in results)


def test_close_from_another_thread_ends_a_blocking_call(black_hole: str, spawn):
    resolver = MxResolver(black_hole, timeout=30)
    worker = spawn(lambda: (time.sleep(0.3), resolver.close()))
    started = time.monotonic()
    with pytest.raises(CanceledError):
        resolver.resolve("multi.mx.test")
    assert time.monotonic() - started < 5
    worker.result()
    assert resolver.closed


def test_blocking_resolves_release_the_gil(black_hole: str, spawn):
    """Two threads blocked one second each in MxResolve finish together, and
    a pure-Python counter keeps running meanwhile."""
    def blocked() -> float:
        with MxResolver(black_hole, timeout=1) as resolver:
            started = time.monotonic()
            with pytest.raises(inetkit.InetError):
                resolver.resolve("multi.mx.test")
            return time.monotonic() - started

    stop = threading.Event()
    counter = [0]

    def count() -> None:
        while not stop.is_set():
            counter[0] += 1

    counting = spawn(count)
    started = time.monotonic()
    first, second = spawn(blocked), spawn(blocked)
    durations = [first.result(10), second.result(10)]
    total = time.monotonic() - started
    stop.set()
    counting.join()
    assert all(0.8 < d < 3 for d in durations), durations
    assert total < 1.9 * max(durations), f"the resolves ran one after the other: {total:.2f} s, {durations}"
    assert counter[0] > 10000, "the counting thread was starved"


def test_resolvers_in_many_threads(dns: Dns, spawn):
    def work(index: int) -> List[int]:
        with MxResolver(dns.unbound_server, timeout=10) as resolver:
            return [resolver.resolve(f"d{index * 10 + i}.mx.test")[0].preference for i in range(10)]

    workers = [spawn(work, n) for n in range(8)]
    assert [w.result(30) for w in workers] == [[n * 10 + i for i in range(10)] for n in range(8)]


def test_callbacks_survive_gc_in_a_long_async_run(dns: Dns):
    with MxResolver(dns.unbound_server, timeout=0) as resolver:
        seen: Dict[int, int] = {}

        def on_response(record) -> None:
            seen[record.request_id] = record.preference
            if len(seen) % 50 == 0:
                gc.collect()

        resolver.on_response = on_response
        del on_response
        ids = {resolver.submit(f"d{i}.mx.test"): i for i in range(300, 600)}
        while not resolver.idle:
            resolver.do_events(1)
        assert seen == ids
