"""TLS through the real library: implicit TLS, STARTTLS, verification,
certificates, credentials. Every socket is on loopback.

The PKI comes from tests/tls/make-pki.sh when it exists (and produces every
file needed here); otherwise the fixture makes a minimal one with the openssl
command. Set INETKIT_TEST_OWN_PKI=1 to force the latter.
"""

from __future__ import annotations

import base64
import ctypes
import dataclasses
import gc
import hashlib
import os
import pickle
import shutil
import ssl
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import pytest

import inetkit
from inetkit import (
    Certificate,
    Connection,
    Credentials,
    ErrorCode,
    Listener,
    Protocol,
    SecurityField,
    VerifyError,
    VerifyMode,
    _native,
)
from inetkit.errors import exception_class

from conftest import PROMPT, REPO_ROOT, Worker

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")

#: X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
SELF_SIGNED = 18

#: What these tests use from the PKI (make-pki.sh makes more).
PKI_FILES = (
    "ca.pem", "server.pem", "server.key", "wronghost.pem", "wronghost.key",
    "selfsigned.pem", "selfsigned.key", "client.pem", "client.key", "client.p12",
    "client-encrypted.key", "other.key",
)


# ---- the PKI ----------------------------------------------------------------------------

def openssl(*args: str, data: Optional[bytes] = None) -> bytes:
    done = subprocess.run([OPENSSL, *args], input=data, capture_output=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _make_minimal_pki(out: Path) -> None:
    """ca -> server / wronghost / client; self-signed; encrypted key, PKCS#12, a stray key."""
    def key(name: str) -> Path:
        path = out / f"{name}.key"
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
        return path

    def extfile(name: str, lines: str) -> Path:
        path = out / f"{name}.ext"
        path.write_text(lines)
        return path

    ca_key = key("ca")
    openssl("req", "-new", "-x509", "-key", str(ca_key), "-subj", "/O=inetkit tests/CN=inetkit Test Root CA",
            "-days", "3650", "-sha256", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(out / "ca.pem"))

    def leaf(name: str, subject: str, ext: str) -> None:
        k = key(name)
        csr = out / f"{name}.csr"
        openssl("req", "-new", "-key", str(k), "-subj", subject, "-out", str(csr))
        openssl("x509", "-req", "-in", str(csr), "-CA", str(out / "ca.pem"), "-CAkey", str(ca_key),
                "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", str(extfile(name, ext)),
                "-out", str(out / f"{name}.pem"))

    server_ext = ("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                  "extendedKeyUsage=serverAuth\n")
    leaf("server", "/O=inetkit tests/CN=localhost",
         server_ext + "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
    leaf("wronghost", "/O=inetkit tests/CN=wrong.example", server_ext + "subjectAltName=DNS:wrong.example\n")
    leaf("client", "/O=inetkit tests/CN=inetkit-test-client",
         "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    openssl("pkcs8", "-topk8", "-in", str(out / "client.key"), "-out", str(out / "client-encrypted.key"),
            "-v2", "aes-256-cbc", "-passout", "pass:keypass")
    openssl("pkcs12", "-export", "-in", str(out / "client.pem"), "-inkey", str(out / "client.key"),
            "-passout", "pass:p12pass", "-out", str(out / "client.p12"))
    ss_key = key("selfsigned")
    openssl("req", "-new", "-x509", "-key", str(ss_key), "-subj", "/O=inetkit tests/CN=localhost",
            "-days", "3650", "-sha256", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-addext", "extendedKeyUsage=serverAuth", "-out", str(out / "selfsigned.pem"))
    key("other")


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding at least :data:`PKI_FILES`."""
    script = REPO_ROOT / "tests" / "tls" / "make-pki.sh"
    if script.is_file() and not os.environ.get("INETKIT_TEST_OWN_PKI"):
        out = tmp_path_factory.mktemp("pki")
        done = subprocess.run(["sh", str(script), str(out)], capture_output=True, timeout=120)
        if done.returncode == 0 and all((out / name).is_file() for name in PKI_FILES):
            return out
    out = tmp_path_factory.mktemp("pki-own")
    _make_minimal_pki(out)
    return out


def first_certificate(path: Path) -> bytes:
    """The first certificate of a PEM file, as PEM (the leaf of server.pem)."""
    return openssl("x509", "-in", str(path))


def cert_facts(pem: bytes) -> dict:
    """What openssl says about one certificate, in the library's formats."""
    def value(*args: str) -> str:
        return openssl("x509", "-noout", *args, data=pem).decode().strip().split("=", 1)[1]

    def moment(text: str) -> datetime:
        return datetime.strptime(text.replace("  ", " "), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)

    public_der = openssl("pkey", "-pubin", "-outform", "DER",
                         data=openssl("x509", "-noout", "-pubkey", data=pem))
    return {
        "subject": value("-subject", "-nameopt", "RFC2253"),
        "issuer": value("-issuer", "-nameopt", "RFC2253"),
        "serial": value("-serial"),
        "not_before": moment(value("-startdate")),
        "not_after": moment(value("-enddate")),
        "fingerprint": value("-fingerprint", "-sha256").replace(":", ""),
        "der": openssl("x509", "-outform", "DER", data=pem),
        "pin": "sha256//" + base64.b64encode(hashlib.sha256(public_der).digest()).decode(),
    }


def key_pin(key_path: Path) -> str:
    """The sha256// pin of a private key's public half."""
    public_der = openssl("pkey", "-in", str(key_path), "-pubout", "-outform", "DER")
    return "sha256//" + base64.b64encode(hashlib.sha256(public_der).digest()).decode()


def server_credentials(pki: Path, name: str = "server", **settings: Any) -> Credentials:
    return Credentials(certificate_file=pki / f"{name}.pem", private_key_file=pki / f"{name}.key", **settings)


def client_credentials(pki: Path, **settings: Any) -> Credentials:
    return Credentials(ca_file=pki / "ca.pem", **settings)


# ---- a TLS server in a thread -------------------------------------------------------

Handler = Callable[[Connection], Any]


def echo_lines(conn: Connection) -> int:
    """Echo lines until the peer closes; return how many."""
    count = 0
    while True:
        try:
            line = conn.read_line(1 << 20)
        except (inetkit.ConnectionClosedError, inetkit.InetConnectionResetError):
            return count
        conn.write_line(line)
        count += 1


@pytest.fixture
def tls_server(spawn: Callable[..., Worker]) -> Callable[..., Tuple[int, Worker]]:
    """tls_server(credentials, handler, connections=1) -> (port, worker).

    A secure listener in its own thread that accepts ``connections`` clients
    one after the other and calls ``handler(conn)`` on each one that passes
    the handshake. ``worker.result()`` is the list of outcomes, one per
    client: what the handler returned, or the exception accept raised.
    """

    def start(credentials: Credentials, handler: Handler = echo_lines, *, connections: int = 1,
              secure: bool = True) -> Tuple[int, Worker]:
        ports: List[int] = []
        listening = threading.Event()

        def server() -> List[Any]:
            outcomes: List[Any] = []
            with Listener("127.0.0.1", secure=secure, credentials=credentials) as listener:
                ports.append(listener.address[1])
                listening.set()
                for _ in range(connections):
                    try:
                        conn = listener.accept(timeout=PROMPT)
                    except inetkit.InetError as exc:
                        outcomes.append(exc)
                        continue
                    with conn:
                        conn.inactivity_timeout = PROMPT
                        outcomes.append(handler(conn))
            return outcomes

        worker = spawn(server)
        if not listening.wait(PROMPT):
            worker.result()
            raise AssertionError("the TLS server did not start listening")
        return ports[0], worker

    return start


def connect(port: int, host: str = "127.0.0.1", **kwargs: Any) -> Connection:
    kwargs.setdefault("secure", True)
    conn = Connection.connect(host, port, timeout=PROMPT, **kwargs)
    conn.inactivity_timeout = PROMPT
    return conn


def wait_available(conn: Connection) -> None:
    deadline = time.monotonic() + PROMPT
    while conn.available == 0:
        assert time.monotonic() < deadline, "nothing arrived"
        time.sleep(0.005)


# ---- implicit TLS: echo, session details, certificates ---------------------------------

def test_echo_with_verification_and_session_details(pki, tls_server):
    def serve(conn: Connection) -> Tuple[Any, Optional[Certificate], int]:
        return conn.security, conn.local_certificate(), echo_lines(conn)

    port, server = tls_server(server_credentials(pki), serve)
    with connect(port, "localhost", credentials=client_credentials(pki)) as client:
        assert client.secure
        for line in [b"hello", b"", "w\u00f6rld".encode(), bytes(range(1, 256)) * 400]:
            line = line.replace(b"\n", b"").replace(b"\r", b"")
            client.write_line(line)
            assert client.read_line(1 << 20) == line
        info = client.security
        assert info.protocol == Protocol.TLS1_3 and info.protocol_name == "TLSv1.3"
        assert info.cipher and info.cipher_bits >= 128
        assert (info.verify_result, info.verify_error_count) == (0, 0)
        assert info.peer_certificates >= 1 and not info.local_certificate and not info.resumed
        assert client.security_value(SecurityField.PROTOCOL) == _native.INET_PROTOCOL_TLS1_3
        assert client.security_value(SecurityField.CIPHER_BITS) == info.cipher_bits
        assert client.security_value(SecurityField.PEER_CERTIFICATES) == info.peer_certificates
        assert client.security_value(SecurityField.VERIFY_RESULT) == 0
        assert client.verify_errors == []
        assert client.local_certificate() is None
        peer_fingerprint = client.peer_certificate().fingerprint
        with pytest.raises(dataclasses.FrozenInstanceError):
            info.cipher = "x"  # type: ignore[misc]
    (server_info, local, lines), = server.result()
    assert lines == 4
    assert server_info.protocol == Protocol.TLS1_3 and server_info.local_certificate
    assert server_info.peer_certificates == 0  # the server asked for no client certificate
    assert local.fingerprint == peer_fingerprint


def test_certificate_fields_match_openssl(pki, tls_server):
    facts = cert_facts(first_certificate(pki / "server.pem"))
    port, server = tls_server(server_credentials(pki))
    with connect(port, credentials=client_credentials(pki)) as client:
        cert = client.peer_certificate(0)
        chain = client.peer_certificate_chain()
        count = client.security.peer_certificates
        with pytest.raises(inetkit.InvalidParameterError):
            client.peer_certificate(count)
    server.result()

    assert cert.subject == facts["subject"] and "CN=localhost" in cert.subject
    assert cert.issuer == facts["issuer"]
    assert cert.serial.upper().lstrip("0") == facts["serial"].upper().lstrip("0")
    assert cert.not_before == facts["not_before"] and cert.not_after == facts["not_after"]
    assert cert.not_before.tzinfo is not None and cert.not_before.utcoffset().total_seconds() == 0
    assert cert.not_before < datetime.now(timezone.utc) < cert.not_after
    assert {"DNS:localhost", "IP:127.0.0.1"} <= set(cert.san)
    assert "localhost" in cert.dns_names and "127.0.0.1" in cert.ip_addresses
    assert cert.fingerprint == facts["fingerprint"]
    assert cert.der == facts["der"]
    assert cert.fingerprint == hashlib.sha256(cert.der).hexdigest().upper()
    assert cert.pem.startswith("-----BEGIN CERTIFICATE-----")
    assert ssl.PEM_cert_to_DER_cert(cert.pem) == cert.der
    assert cert.public_key_pin == facts["pin"]
    assert "pem=" not in repr(cert) and "fingerprint=" in repr(cert)

    assert len(chain) == count >= 1 and chain[0] == cert
    for child, parent in zip(chain, chain[1:]):
        assert child.issuer == parent.subject


def test_plain_connection_has_no_security(pair):
    client, server = pair
    assert client.security is None and not client.secure
    assert client.security_value(SecurityField.PROTOCOL) == 0
    for call in (client.peer_certificate, client.local_certificate, lambda: client.verify_errors):
        with pytest.raises(inetkit.SecurityNotEstablishedError) as info:
            call()
        assert info.value.code == ErrorCode.SECURITY_NOT_ESTABLISHED
    assert client.peer_certificate_chain() == []


def test_protocol_limit(pki, tls_server):
    port, server = tls_server(server_credentials(pki))
    with connect(port, credentials=client_credentials(pki, protocol_max=Protocol.TLS1_2)) as client:
        info = client.security
        assert info.protocol == Protocol.TLS1_2 and info.protocol_name == "TLSv1.2"
        client.write_line("over TLS 1.2")
        assert client.read_line() == b"over TLS 1.2"
    server.result()


# ---- verification failures and how to accept them ------------------------------------

def test_untrusted_certificate_is_refused(pki, tls_server):
    port, server = tls_server(server_credentials(pki, "selfsigned"))
    with pytest.raises(inetkit.CertificateUntrustedError) as info:
        connect(port, credentials=client_credentials(pki))
    error = info.value
    assert error.code == ErrorCode.CERTIFICATE_UNTRUSTED
    assert isinstance(error, inetkit.CertificateError) and isinstance(error, inetkit.SecurityError)
    assert isinstance(error, ssl.SSLCertVerificationError) and isinstance(error, ssl.SSLError)
    assert "self-signed" in error.message or "self signed" in error.message
    outcome, = server.result()
    assert isinstance(outcome, inetkit.SecurityError)  # the client's alert fails the accept


def test_untrusted_certificate_accepted_with_trusted_site(pki, tls_server):
    port, server = tls_server(server_credentials(pki, "selfsigned"))
    with connect(port, trusted_site=True, credentials=client_credentials(pki)) as client:
        assert client.security.protocol == Protocol.TLS1_3
        client.write_line("trusted")
        assert client.read_line() == b"trusted"
    assert server.result() == [1]


def test_query_mode_then_ignore_exactly_those_errors(pki, tls_server):
    port, server = tls_server(server_credentials(pki, "selfsigned"), connections=3)
    # 1. QUERY: the handshake succeeds and reports what was wrong.
    with connect(port, credentials=client_credentials(pki, verify_mode=VerifyMode.QUERY)) as client:
        problems = client.verify_errors
        info = client.security
        fingerprint = client.peer_certificate().fingerprint
    assert problems, "QUERY mode should report the self-signed certificate"
    assert info.verify_result == SELF_SIGNED and info.verify_error_count == len(problems)
    first = problems[0]
    assert (first.error, first.depth, first.fingerprint) == (SELF_SIGNED, 0, fingerprint)
    assert first.description and first.ignore_entry == f"{SELF_SIGNED}:{fingerprint}"

    # 2. The same problems, ignored for this certificate: verified mode succeeds.
    with connect(port, credentials=client_credentials(pki, ignore_errors=problems)) as client:
        client.write_line("ignored")
        assert client.read_line() == b"ignored"

    # 3. The same error for another certificate is not ignored.
    other = cert_facts(first_certificate(pki / "server.pem"))["fingerprint"]
    with pytest.raises(inetkit.CertificateUntrustedError):
        connect(port, credentials=client_credentials(pki, ignore_errors=[(SELF_SIGNED, other)]))
    outcomes = server.result()
    assert outcomes[:2] == [0, 1] and isinstance(outcomes[2], inetkit.SecurityError)


def test_name_mismatch_and_verify_name(pki, tls_server):
    port, server = tls_server(server_credentials(pki, "wronghost"), connections=2)
    with pytest.raises(inetkit.CertificateNameMismatchError) as info:
        connect(port, "localhost", credentials=client_credentials(pki))
    assert info.value.code == ErrorCode.CERTIFICATE_NAME_MISMATCH
    with connect(port, "localhost", credentials=client_credentials(pki, verify_name="wrong.example")) as client:
        assert "wrong.example" in client.peer_certificate().dns_names
    server.result()


@pytest.mark.parametrize("name, cls", [
    ("expired", inetkit.CertificateExpiredError),
    ("notyet", inetkit.CertificateNotYetValidError),
])
def test_validity_period(pki, tls_server, name, cls):
    if not (pki / f"{name}.pem").is_file():
        pytest.skip(f"the PKI has no {name}.pem")
    port, server = tls_server(server_credentials(pki, name))
    with pytest.raises(cls):
        connect(port, credentials=client_credentials(pki))
    server.result()


def test_pinned_public_key(pki, tls_server):
    right = cert_facts(first_certificate(pki / "server.pem"))["pin"]
    wrong = key_pin(pki / "other.key")
    port, server = tls_server(server_credentials(pki), connections=2)
    with connect(port, credentials=client_credentials(pki, pinned_public_key=[wrong, right])) as client:
        assert client.peer_certificate().public_key_pin == right
    with pytest.raises(inetkit.PublicKeyMismatchError) as info:
        connect(port, credentials=client_credentials(pki, pinned_public_key=wrong))
    assert info.value.code == ErrorCode.PUBLIC_KEY_MISMATCH
    server.result()


# ---- the verify callback -----------------------------------------------------------------

def test_verify_callback_accepts_rejects_and_raises(pki, tls_server):
    port, server = tls_server(server_credentials(pki, "selfsigned"), connections=3)
    seen: List[Tuple[int, int, str, int]] = []

    def accept_all(error: int, depth: int, fingerprint: str) -> bool:
        seen.append((error, depth, fingerprint, threading.get_ident()))
        return True

    with connect(port, credentials=client_credentials(pki, verify=accept_all)) as client:
        fingerprint = client.peer_certificate().fingerprint
        client.write_line("accepted by the callback")
        assert client.read_line() == b"accepted by the callback"
    assert (SELF_SIGNED, 0, fingerprint, threading.get_ident()) in seen

    with pytest.raises(inetkit.CertificateError):
        connect(port, credentials=client_credentials(pki, verify=lambda *problem: False))

    def broken(error: int, depth: int, fingerprint: str) -> bool:
        raise RuntimeError("bug in the callback")

    with pytest.raises(inetkit.SecurityError) as info:
        connect(port, credentials=client_credentials(pki, verify=broken))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert str(info.value.__cause__) == "bug in the callback"
    server.result()


def test_listener_keeps_its_verify_callback_alive(pki, spawn):
    """A server-side callback, given inline, must survive until accept calls it."""
    seen: List[int] = []
    ports: List[int] = []
    listening = threading.Event()

    def server() -> Tuple[int, str]:
        listener = Listener("127.0.0.1", secure=True, credentials=server_credentials(
            pki, verify_mode=VerifyMode.PEER,
            verify=lambda error, depth, fingerprint: seen.append(error) is None))
        with listener:
            gc.collect()  # nothing but the listener references the trampoline now
            ports.append(listener.address[1])
            listening.set()
            with listener.accept(timeout=PROMPT) as conn:
                conn.inactivity_timeout = PROMPT
                line = conn.read_line()
                conn.write_line(line)
                return conn.security.peer_certificates, conn.peer_certificate().fingerprint

    worker = spawn(server)
    assert listening.wait(PROMPT)
    # The client presents a self-signed certificate that only the callback accepts.
    creds = client_credentials(pki, certificate_file=pki / "selfsigned.pem",
                               private_key_file=pki / "selfsigned.key")
    with connect(ports[0], credentials=creds) as client:
        client.write_line("mutual")
        assert client.read_line() == b"mutual"
        local = client.local_certificate()
    count, fingerprint = worker.result()
    assert count >= 1 and fingerprint == local.fingerprint
    assert SELF_SIGNED in seen


# ---- TLS-PSK ---------------------------------------------------------------------------

ALICE_KEY = bytes(range(0xA0, 0xC0))  # 32 bytes


def test_psk_callback_server(tls_server):
    """A server without a certificate looks the client's key up by identity."""
    asked: List[Tuple[str, int]] = []

    def lookup(identity: str) -> Optional[bytes]:
        asked.append((identity, threading.get_ident()))
        return ALICE_KEY if identity == "alice" else None

    server_creds = Credentials(psk_callback=lookup)
    server_creds.check(server=True)  # a PSK lookup stands in for a certificate
    port, server = tls_server(server_creds, connections=2)

    alice = Credentials(psk_identity="alice", psk_key=ALICE_KEY.hex())
    with connect(port, credentials=alice) as client:
        client.write_line("over a looked-up PSK")
        assert client.read_line() == b"over a looked-up PSK"
        info = client.security
        assert info.peer_certificates == 0 and not info.local_certificate
    assert any(identity == "alice" for identity, _ in asked)
    assert all(thread != threading.get_ident() for _, thread in asked)  # the server's thread

    mallory = Credentials(psk_identity="mallory", psk_key=ALICE_KEY.hex())
    with pytest.raises(inetkit.SecurityError):
        connect(port, credentials=mallory)  # the handshake fails on both sides
    outcomes = server.result()
    assert outcomes[0] == 1
    assert isinstance(outcomes[1], inetkit.SecurityError)
    assert outcomes[1].__cause__ is None  # refused by returning None, nothing raised
    assert "mallory" in [identity for identity, _ in asked]

    # Only servers look keys up.
    with pytest.raises(inetkit.InvalidParameterError):
        Credentials(psk_callback=lookup).check()
    with pytest.raises(inetkit.InvalidParameterError):
        Credentials(psk_callback=lookup, psk_identity="alice", psk_key=ALICE_KEY).check(server=False)


@pytest.mark.parametrize("answer", ["raise", "str", "empty", "too-long"])
def test_psk_callback_bad_answers_refuse(tls_server, answer):
    """An exception or an unusable key refuses the identity; the reason is the __cause__."""

    def lookup(identity: str) -> Optional[bytes]:
        if answer == "raise":
            raise RuntimeError("lookup failed")
        return {"str": ALICE_KEY.hex(), "empty": b"", "too-long": b"k" * 257}[answer]  # type: ignore[return-value]

    port, server = tls_server(Credentials(psk_callback=lookup))
    with pytest.raises(inetkit.SecurityError):
        connect(port, credentials=Credentials(psk_identity="alice", psk_key=ALICE_KEY))
    (outcome,) = server.result()
    assert isinstance(outcome, inetkit.SecurityError)
    expected = {"raise": RuntimeError, "str": TypeError, "empty": ValueError, "too-long": ValueError}[answer]
    assert isinstance(outcome.__cause__, expected)


def test_listener_keeps_its_psk_callback_alive(spawn):
    """A PSK lookup given inline must survive until accept calls it."""
    ports: List[int] = []
    listening = threading.Event()

    def server() -> bytes:
        listener = Listener("127.0.0.1", secure=True, credentials=Credentials(
            psk_callback=lambda identity: ALICE_KEY if identity == "alice" else None))
        with listener:
            gc.collect()  # nothing but the listener references the trampoline now
            ports.append(listener.address[1])
            listening.set()
            with listener.accept(timeout=PROMPT) as conn:
                conn.inactivity_timeout = PROMPT
                line = conn.read_line()
                conn.write_line(line)
                return line

    worker = spawn(server)
    assert listening.wait(PROMPT)
    with connect(ports[0], credentials=Credentials(psk_identity="alice", psk_key=ALICE_KEY)) as client:
        client.write_line("kept alive")
        assert client.read_line() == b"kept alive"
    assert worker.result() == b"kept alive"


# ---- client certificates ------------------------------------------------------------------

def _refused_for_lack_of_a_client_certificate(pki: Path, tls_server) -> inetkit.InetError:
    """Connect without a client certificate to a server that requires one;
    check the server's side and return the client's error."""
    port, server = tls_server(server_credentials(pki, ca_file=pki / "ca.pem", verify_mode=VerifyMode.PEER))
    # With TLS 1.3 the client's handshake ends before the server has judged
    # its (missing) certificate: the refusal comes with the first read.
    with pytest.raises((inetkit.SecurityError, inetkit.InetConnectionError)) as info:
        with connect(port, credentials=client_credentials(pki)) as client:
            client.read()
    outcome, = server.result()
    assert isinstance(outcome, inetkit.CertificateRequiredError)
    assert outcome.code == ErrorCode.CERTIFICATE_REQUIRED
    return info.value


def test_client_certificate_required_but_missing(pki, tls_server):
    client_error = _refused_for_lack_of_a_client_certificate(pki, tls_server)
    assert isinstance(client_error, inetkit.SecurityError), repr(client_error)
    assert "certificate required" in client_error.message


def test_client_learns_certificate_required_code(pki, tls_server):
    client_error = _refused_for_lack_of_a_client_certificate(pki, tls_server)
    assert isinstance(client_error, inetkit.CertificateRequiredError), repr(client_error)


@pytest.mark.parametrize("settings", [
    {"certificate_file": "client.pem", "private_key_file": "client.key"},
    {"certificate_file": "client.p12", "password": "p12pass"},
    {"certificate_file": "client.pem", "private_key_file": "client-encrypted.key", "password": "keypass"},
], ids=["pem", "pkcs12", "encrypted-key"])
def test_client_certificate_required_and_given(pki, tls_server, settings):
    def serve(conn: Connection) -> Tuple[str, str]:
        conn.write_line("welcome")
        cert = conn.peer_certificate()
        return cert.subject, cert.fingerprint

    files = {k: (pki / v if k != "password" else v) for k, v in settings.items()}
    port, server = tls_server(server_credentials(pki, ca_file=pki / "ca.pem", verify_mode=VerifyMode.PEER), serve)
    with connect(port, credentials=client_credentials(pki, **files)) as client:
        assert client.read_line() == b"welcome"
        assert client.security.local_certificate
        mine = client.local_certificate()
    (subject, fingerprint), = server.result()
    assert "CN=inetkit-test-client" in subject and fingerprint == mine.fingerprint
    assert fingerprint == cert_facts(first_certificate(pki / "client.pem"))["fingerprint"]


# ---- STARTTLS -------------------------------------------------------------------------

def test_starttls_upgrade_on_both_sides(pki, serve):
    credentials = server_credentials(pki)

    def server(conn: Connection) -> Tuple[Any, bytes]:
        assert conn.read_line() == b"STARTTLS"
        conn.write_line("OK")
        conn.start_tls(credentials)
        line = conn.read_line()
        conn.write_line(b"secret: " + line)
        return conn.security, line

    port, worker = serve(server)
    with Connection.connect("127.0.0.1", port, timeout=PROMPT) as client:
        client.inactivity_timeout = PROMPT
        assert client.security is None
        client.write_line("STARTTLS")
        assert client.read_line() == b"OK"
        client.start_tls(client_credentials(pki))  # verifies 127.0.0.1, the connect host
        assert client.security.protocol == Protocol.TLS1_3
        assert "127.0.0.1" in client.peer_certificate().ip_addresses
        client.write_line("after the upgrade")
        assert client.read_line() == b"secret: after the upgrade"
        with pytest.raises(inetkit.InetError) as info:
            client.start_tls(client_credentials(pki))
        assert info.value.code == ErrorCode.NOT_SUPPORTED
    server_info, line = worker.result()
    assert server_info.protocol == Protocol.TLS1_3 and server_info.local_certificate
    assert line == b"after the upgrade"


def test_starttls_client_refuses_injected_plaintext(pki, serve):
    def server(conn: Connection) -> bytes:
        assert conn.read_line() == b"STARTTLS"
        conn.write(b"OK\r\nINJECTED\r\n")  # a man in the middle's extra line
        return conn.read()  # b"" once the client gives up

    port, worker = serve(server)
    with Connection.connect("127.0.0.1", port, timeout=PROMPT) as client:
        client.inactivity_timeout = PROMPT
        client.write_line("STARTTLS")
        assert client.read_line() == b"OK"
        wait_available(client)
        with pytest.raises(inetkit.PlaintextInjectionError) as info:
            client.start_tls(client_credentials(pki))
        assert info.value.code == ErrorCode.PLAINTEXT_INJECTION
        assert isinstance(info.value, inetkit.SecurityError)
        assert client.security is None
        assert client.read_line() == b"INJECTED"  # nothing was consumed or sent
    assert worker.result() == b""


def test_starttls_server_refuses_injected_plaintext(pki, serve):
    credentials = server_credentials(pki)

    def server(conn: Connection) -> Tuple[str, bytes]:
        assert conn.read_line() == b"STARTTLS"
        wait_available(conn)
        try:
            conn.start_tls(credentials)
        except inetkit.PlaintextInjectionError as exc:
            return exc.code.name, conn.read_line()
        return "upgraded", b""

    port, worker = serve(server)
    with Connection.connect("127.0.0.1", port, timeout=PROMPT) as client:
        client.write(b"STARTTLS\r\nSMUGGLED\r\n")
        assert worker.result() == ("PLAINTEXT_INJECTION", b"SMUGGLED")


# ---- credentials ----------------------------------------------------------------------

def test_check_accepts_good_credentials(pki):
    server_credentials(pki).check(server=True)
    client_credentials(pki).check()
    Credentials(certificate_file=pki / "client.p12", password=b"p12pass").check()
    Credentials(certificate_file=pki / "client.pem", private_key_file=pki / "client-encrypted.key",
                password="keypass").check()
    pem = (pki / "server.pem").read_text()
    Credentials(certificate_pem=pem, private_key_pem=(pki / "server.key").read_bytes(),
                ca_pem=(pki / "ca.pem").read_text()).check(server=True)


@pytest.mark.parametrize("settings, cls", [
    ({"certificate_file": "client.pem", "private_key_file": "client-encrypted.key",
      "password": "Not-The-Passphrase-42"}, inetkit.CertificateLoadError),
    ({"certificate_file": "client.pem", "private_key_file": "client-encrypted.key"},
     inetkit.CertificateLoadError),
    ({"certificate_file": "client.p12", "password": "Not-The-Passphrase-42"}, inetkit.CertificateLoadError),
    ({"certificate_file": "missing.pem"}, inetkit.CertificateLoadError),
    ({"certificate_file": "client.pem", "private_key_file": "other.key"}, inetkit.CredentialsError),
], ids=["wrong-passphrase", "no-passphrase", "wrong-p12-password", "missing-file", "key-mismatch"])
def test_check_reports_bad_credentials(pki, settings, cls):
    creds = Credentials(**{k: (pki / v if k != "password" else v) for k, v in settings.items()})
    with pytest.raises(cls) as info:
        creds.check()
    assert isinstance(info.value, inetkit.CredentialsError) and info.value.message
    if "password" in settings:
        assert settings["password"] not in info.value.message


def test_a_server_needs_a_certificate(pki):
    client_credentials(pki).check(server=False)
    with pytest.raises(inetkit.CredentialsError):
        client_credentials(pki).check(server=True)
    with pytest.raises(inetkit.CredentialsError):
        Listener("127.0.0.1", secure=True, credentials=client_credentials(pki))


def test_credentials_are_checked_before_any_traffic(pki):
    with Listener("127.0.0.1") as listener:
        port = listener.address[1]  # closed below: connecting there would be refused
    bad = Credentials(certificate_file=pki / "client.pem", private_key_file=pki / "client-encrypted.key",
                      password="Not-The-Passphrase-42")
    with pytest.raises(inetkit.CertificateLoadError):
        Connection.connect("127.0.0.1", port, timeout=PROMPT, secure=True, credentials=bad)
    with pytest.raises(inetkit.InetConnectionRefusedError):
        Connection.connect("127.0.0.1", port, timeout=PROMPT, secure=True, credentials=client_credentials(pki))


def test_create_and_delete_credentials(pki):
    creds = Credentials.load(pki / "client.p12", None, "p12pass", ca_file=pki / "ca.pem")
    assert creds.certificate_file == pki / "client.p12" and creds.ca_file == pki / "ca.pem"
    with pytest.raises(inetkit.CertificateLoadError):
        Credentials.load(pki / "client.p12", None, "wrong")

    lib = _native.library()
    created = _native.LPSECURITYCREDENTIALS()
    assert lib.InetCreateCredentials(str(pki / "client.pem").encode(), str(pki / "client.key").encode(),
                                     None, ctypes.byref(created)) == 0
    assert created.contents.dwSize == ctypes.sizeof(_native.SECURITYCREDENTIALS)
    assert created.contents.lpszCertificateFile == str(pki / "client.pem").encode()
    assert lib.InetCheckCredentials(created, 0) == 0
    assert lib.InetDeleteCredentials(created) == 0
    assert lib.InetDeleteCredentials(None) == 0


def test_credentials_to_native_structure(pki):
    problem = VerifyError(SELF_SIGNED, "AB" * 32, 0, "self-signed certificate")
    creds = Credentials(protocol_min=Protocol.TLS1_2, protocol_max=Protocol.TLS1_3,
                        verify_mode=VerifyMode.QUERY, verify_depth=4, cipher_list="ECDHE+AESGCM",
                        certificate_file=pki / "client.pem", password="secret", verify_name="h\u00f6st",
                        ignore_errors=[problem, (10, "CD" * 32), "2:" + "EF" * 32],
                        pinned_public_key=("sha256//a", "sha256//b"), psk_identity="me",
                        psk_key=b"\x00\x01\xfe", verify=lambda *problem: True)
    native = creds.to_native()
    s = native.struct
    assert s.dwSize == ctypes.sizeof(_native.SECURITYCREDENTIALS)
    assert (s.dwProtocolMin, s.dwProtocolMax, s.dwVerifyMode, s.dwVerifyDepth) == (0x0303, 0x0304, 2, 4)
    assert s.lpszCipherList == b"ECDHE+AESGCM" and s.lpszCipherSuites is None
    assert s.lpszCertificateFile == os.fsencode(pki / "client.pem")
    assert s.lpszPassword == b"secret" and s.lpszVerifyName == "h\u00f6st".encode()
    assert s.lpszIgnoreErrors == f"18:{'AB' * 32},10:{'CD' * 32},2:{'EF' * 32}".encode()
    assert s.lpszPinnedPublicKey == b"sha256//a;sha256//b"
    assert s.lpszPskIdentity == b"me" and s.lpszPskKey == b"0001fe"
    assert s.lpfnVerify and s.lpVerifyParam is None
    assert s.lpfnVerify(None, 18, 0, b"AB", None) == 1  # the trampoline, through C
    assert Credentials().to_native().struct.lpfnVerify is not None  # NULL pointer object
    assert not Credentials().to_native().struct.lpfnVerify
    assert not s.lpfnPsk and s.lpPskParam is None
    psk = Credentials(psk_callback=lambda identity: b"\x01\x02" if identity == "id" else None).to_native()
    key = ctypes.create_string_buffer(256)
    size = ctypes.c_uint32(256)
    assert psk.struct.lpfnPsk(None, b"id", ctypes.addressof(key), ctypes.byref(size), None) == 1
    assert size.value == 2 and key.raw[:2] == b"\x01\x02"
    assert psk.struct.lpfnPsk(None, b"other", ctypes.addressof(key), ctypes.byref(size), None) == 0
    with pytest.raises(TypeError):
        Credentials(psk_callback="not callable")  # type: ignore[arg-type]

    text = repr(creds)
    assert "secret" not in text and "password='***'" in text and "0001" not in text
    assert repr(Credentials(ca_file="ca.pem")) == "Credentials(ca_file='ca.pem')"
    assert creds.replace(verify_depth=5).verify_depth == 5 and creds.verify_depth == 4
    assert Credentials(ca_file="x") == Credentials(ca_file="x", verify=print)

    with pytest.raises(inetkit.InvalidParameterError):
        Credentials(ca_file="bad\0name").to_native()
    with pytest.raises(inetkit.InvalidParameterError):
        Credentials(protocol_min=-1)
    with pytest.raises(TypeError):
        Credentials(verify="not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Credentials("positional")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Connection.connect("127.0.0.1", 1, secure=True, credentials={"ca_file": "x"})  # type: ignore[arg-type]


def test_verify_error_parsing():
    line = "18:" + "AB" * 32 + ":0:self-signed certificate: with a colon"
    problem = VerifyError.parse(line)
    assert problem == VerifyError(18, "AB" * 32, 0, "self-signed certificate: with a colon")
    assert VerifyError.parse_all(line + "\n\n" + line + "\n") == [problem, problem]
    with pytest.raises(ValueError):
        VerifyError.parse("nonsense")


# ---- library info, structures, exceptions ----------------------------------------------

def test_library_info():
    info = inetkit.library_info()
    assert set(info) == {"inetkit", "openssl", "openssl_built", "c_ares"}
    assert info["inetkit"] == "%d.%d.%d" % inetkit.version()
    assert info["openssl"].startswith("OpenSSL ") and info["openssl_built"].startswith("OpenSSL ")
    assert info["c_ares"][:1].isdigit() and "." in info["c_ares"]


def test_structures_match_the_c_compiler(tmp_path):
    """Offsets and sizes of SECURITYCREDENTIALS and INETSECURITYINFO, as cc sees them."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler")
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "inetkit/inet.h"', "int main(void) {"]
    for struct in (_native.SECURITYCREDENTIALS, _native.INETSECURITYINFO):
        cname = struct.__name__
        lines.append(f'printf("{cname} %zu\\n", sizeof({cname}));')
        for name, _ in struct._fields_:
            lines.append(f'printf("{cname}.{name} %zu %zu\\n", offsetof({cname}, {name}), '
                         f'sizeof((({cname} *)0)->{name}));')
    lines += ["return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    done = subprocess.run([compiler, "-I", str(REPO_ROOT / "include"), str(source), "-o", str(tmp_path / "layout")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True, timeout=10).stdout
    actual = []
    for struct in (_native.SECURITYCREDENTIALS, _native.INETSECURITYINFO):
        actual.append(f"{struct.__name__} {ctypes.sizeof(struct)}")
        for name, ctype in struct._fields_:
            actual.append(f"{struct.__name__}.{name} {getattr(struct, name).offset} {ctypes.sizeof(ctype)}")
    assert expected.splitlines() == actual


@pytest.mark.parametrize("code, cls, bases", [
    (ErrorCode.SECURITY_LIBRARY, inetkit.SecurityError, (ssl.SSLError,)),
    (ErrorCode.SECURITY_CREDENTIALS, inetkit.CredentialsError, (inetkit.SecurityError,)),
    (ErrorCode.CERTIFICATE_LOAD, inetkit.CertificateLoadError, (inetkit.CredentialsError,)),
    (ErrorCode.SECURITY_HANDSHAKE, inetkit.HandshakeError, (inetkit.SecurityError,)),
    (ErrorCode.SECURITY_PROTOCOL, inetkit.HandshakeError, (inetkit.SecurityError,)),
    (ErrorCode.CERTIFICATE_REQUIRED, inetkit.CertificateRequiredError, (inetkit.HandshakeError,)),
    (ErrorCode.SECURITY_NOT_ESTABLISHED, inetkit.SecurityNotEstablishedError, (inetkit.SecurityError,)),
    (ErrorCode.PLAINTEXT_INJECTION, inetkit.PlaintextInjectionError, (inetkit.SecurityError,)),
    (ErrorCode.CERTIFICATE_UNTRUSTED, inetkit.CertificateUntrustedError, (inetkit.CertificateError,)),
    (ErrorCode.CERTIFICATE_EXPIRED, inetkit.CertificateExpiredError, (inetkit.CertificateError,)),
    (ErrorCode.CERTIFICATE_NOT_YET_VALID, inetkit.CertificateNotYetValidError, (inetkit.CertificateError,)),
    (ErrorCode.CERTIFICATE_NAME_MISMATCH, inetkit.CertificateNameMismatchError, (inetkit.CertificateError,)),
    (ErrorCode.CERTIFICATE_REVOKED, inetkit.CertificateRevokedError, (inetkit.CertificateError,)),
    (ErrorCode.CERTIFICATE_INVALID, inetkit.CertificateInvalidError, (inetkit.CertificateError,)),
    (ErrorCode.CERTIFICATE_CHAIN_TOO_LONG, inetkit.CertificateChainTooLongError, (inetkit.CertificateError,)),
    (ErrorCode.PUBLIC_KEY_MISMATCH, inetkit.PublicKeyMismatchError,
     (inetkit.CertificateError, ssl.SSLCertVerificationError, ssl.CertificateError)),
])
def test_tls_exception_classes(code, cls, bases):
    assert exception_class(code) is cls
    error = cls(code, "why it failed")
    assert isinstance(error, inetkit.InetError) and isinstance(error, inetkit.SecurityError)
    assert all(isinstance(error, base) for base in bases)
    assert "why it failed" in str(error) and str(int(code)) in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.code == code and copy.message == "why it failed"
    assert inetkit.error_string(code)
