"""Loading, version, the error catalogue and the last-error store."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

import inetkit
from inetkit import ErrorCode, _native
from inetkit.errors import exception_class

from conftest import PACKAGE_PARENT, REPO_ROOT


def _errors_h_table():
    text = (REPO_ROOT / "include" / "inetkit" / "errors.h").read_text()
    return {name: int(number) for name, number in re.findall(r"X\(\s*([A-Z0-9_]+)\s*,\s*(\d+)\s*,", text)}


def _def_exports():
    lines = (REPO_ROOT / "def" / "inetkit.def").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "EXPORTS")
    return [line.split(";")[0].strip() for line in lines[start + 1:] if line.split(";")[0].strip()]


# ---- version and catalogue -------------------------------------------------------

def test_version_matches_the_headers():
    header = (REPO_ROOT / "include" / "inetkit" / "common.h").read_text()
    major, minor, patch = (int(re.search(rf"#define INETKIT_VERSION_{part} (\d+)", header).group(1))
                           for part in ("MAJOR", "MINOR", "PATCH"))
    assert inetkit.version() == (major, minor, patch)
    assert inetkit.version_number() == major * 1000000 + minor * 1000 + patch
    assert inetkit.__version__ == f"{major}.{minor}.{patch}"


def test_error_code_enum_equals_errors_h():
    assert {code.name: int(code) for code in ErrorCode} == _errors_h_table()
    assert ErrorCode.TIMED_OUT == 10060 and ErrorCode.NONE == 0


def test_error_string_gives_the_static_text():
    assert inetkit.error_string(ErrorCode.TIMED_OUT) == "The operation timed out"
    assert inetkit.error_string(0) == "The operation completed successfully"
    assert inetkit.error_string(ErrorCode.REENTRANT_CALL) == \
        "The function cannot be called from a callback of the same handle"


def test_every_error_code_has_a_string():
    for code in ErrorCode:
        assert inetkit.error_string(code), code


def test_error_string_of_an_unknown_code_raises_value_error():
    with pytest.raises(inetkit.InvalidParameterError) as info:
        inetkit.error_string(4242)
    assert isinstance(info.value, ValueError)
    assert info.value.code == ErrorCode.INVALID_PARAMETER


# ---- exceptions -------------------------------------------------------------------

@pytest.mark.parametrize("code, cls, builtin", [
    (ErrorCode.TIMED_OUT, inetkit.InetTimeoutError, TimeoutError),
    (ErrorCode.CONNECTION_REFUSED, inetkit.InetConnectionRefusedError, ConnectionRefusedError),
    (ErrorCode.CONNECTION_RESET, inetkit.InetConnectionResetError, ConnectionResetError),
    (ErrorCode.CONNECTION_ABORTED, inetkit.InetConnectionAbortedError, ConnectionAbortedError),
    (ErrorCode.CONNECTION_CLOSED, inetkit.ConnectionClosedError, ConnectionError),
    (ErrorCode.INVALID_PARAMETER, inetkit.InvalidParameterError, ValueError),
    (ErrorCode.INVALID_HANDLE, inetkit.InvalidHandleError, inetkit.InetError),
    (ErrorCode.WRONG_THREAD, inetkit.WrongThreadError, inetkit.InetError),
    (ErrorCode.REENTRANT_CALL, inetkit.ReentrantCallError, inetkit.InetError),
    (ErrorCode.CANCELED, inetkit.CanceledError, inetkit.InetError),
    (ErrorCode.LINE_TOO_LONG, inetkit.LineTooLongError, inetkit.InetError),
    (ErrorCode.HOST_NOT_FOUND, inetkit.HostNotFoundError, inetkit.InetError),
    (ErrorCode.INTERNAL, inetkit.InetError, inetkit.InetError),
])
def test_exception_classes(code, cls, builtin):
    assert exception_class(code) is cls
    error = cls(code, "message text")
    assert isinstance(error, inetkit.InetError) and isinstance(error, builtin)
    assert error.code == code and error.message == "message text"
    assert "message text" in str(error) and str(int(code)) in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.code == code and copy.message == "message text"


def test_unknown_code_stays_an_int():
    error = exception_class(99999)(99999, "future")
    assert type(error) is inetkit.InetError and error.code == 99999


# ---- the last-error store ------------------------------------------------------------

def test_error_message_after_failure_and_cleared_after_success():
    with inetkit.Listener() as listener:
        with pytest.raises(inetkit.InvalidParameterError) as info:
            inetkit.Connection.connect("127.0.0.1", 0, timeout=1)  # port 0 is refused
        error = info.value
        assert error.code == ErrorCode.INVALID_PARAMETER
        assert "port" in error.message
        # The store still describes that call until the next one.
        assert inetkit.last_error_code() == ErrorCode.INVALID_PARAMETER
        assert inetkit.last_error_message() == error.message
        # Any successful call clears it.
        assert listener.address[1] > 0
        assert inetkit.last_error_code() == ErrorCode.NONE
        assert inetkit.last_error_message() == ""


def test_last_error_is_per_thread(spawn):
    with pytest.raises(inetkit.InvalidParameterError):
        inetkit.Connection.connect("127.0.0.1", 0, timeout=1)

    def other_thread():
        return inetkit.last_error_code(), inetkit.last_error_message()

    assert spawn(other_thread).result() == (ErrorCode.NONE, "")
    assert inetkit.last_error_code() == ErrorCode.INVALID_PARAMETER


# ---- loading ---------------------------------------------------------------------------

def test_prototype_table_covers_the_def_file():
    assert sorted(_native.PROTOTYPES) == sorted(_def_exports())
    lib = _native.library()
    for name, (restype, argtypes) in _native.PROTOTYPES.items():
        func = getattr(lib, name)
        assert func.restype is restype and list(func.argtypes) == list(argtypes), name


def test_handles_and_strings_use_the_contract_types():
    import ctypes
    assert _native.PROTOTYPES["InetConnect"][0] is ctypes.c_void_p
    assert _native.PROTOTYPES["InetAccept"][1][0] is ctypes.c_void_p
    assert _native.PROTOTYPES["InetGetVersion"][0] is ctypes.c_uint32
    assert _native.PROTOTYPES["InetSetTraceCallback"][1][1] is _native.INETTRACEPROC


def _fake_tree(tmp_path: Path, presets, local=()):
    root = tmp_path / "repo"
    package = root / "bindings" / "python" / "inetkit"
    package.mkdir(parents=True)
    (root / "def").mkdir()
    (root / "def" / "inetkit.def").write_text("EXPORTS\n")
    for preset in presets:
        (root / "build" / preset).mkdir(parents=True)
        (root / "build" / preset / "libinetkit.so").write_bytes(b"")
    for name in local:
        (package / name).write_bytes(b"")
    return root, package


def test_search_order_env_var_first(tmp_path):
    root, package = _fake_tree(tmp_path, ["default"], local=["libinetkit.so"])
    explicit = tmp_path / "custom.so"
    explicit.write_bytes(b"")
    env = {_native.ENV_LIBRARY: str(explicit)}
    assert _native.library_candidates(env, package) == [str(explicit)]
    with pytest.raises(inetkit.LibraryNotFoundError):
        _native.find_library({_native.ENV_LIBRARY: str(tmp_path / "missing.so")}, package)


def test_search_order_package_then_build_tree(tmp_path):
    root, package = _fake_tree(tmp_path, ["asan", "debug", "default"], local=["libinetkit.so.1"])
    found = _native.library_candidates({}, package)
    assert found[:4] == [str(package / "libinetkit.so.1"),
                         str(root / "build" / "default" / "libinetkit.so"),
                         str(root / "build" / "debug" / "libinetkit.so"),
                         str(root / "build" / "asan" / "libinetkit.so")]
    assert found[-1] == "libinetkit.so.1"  # the system's soname comes last


def test_search_order_without_default_preset(tmp_path):
    root, package = _fake_tree(tmp_path, ["tsan", "release"])
    assert _native.find_library({}, package) == str(root / "build" / "release" / "libinetkit.so")


def test_search_falls_back_to_the_system(tmp_path):
    package = tmp_path / "site-packages" / "inetkit"
    package.mkdir(parents=True)
    assert _native.library_candidates({}, package)[-1] == "libinetkit.so.1"


def _run_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_PARENT))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=30)


def test_import_does_not_load_the_library():
    done = _run_python("import inetkit, inetkit._native as n; print(n.is_loaded())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_initialize_once_and_uninitialize_at_exit():
    # atexit runs handlers last-registered-first: this one, registered before
    # inetkit initialises, runs after inetkit's InetUninitialize. If the
    # binding dropped its reference, a second InetUninitialize must fail.
    code = """
import atexit, threading, inetkit
from inetkit import _native

def after_inetkit():
    rc = _native.library().InetUninitialize()
    print("late uninitialize:", rc, flush=True)

atexit.register(after_inetkit)
listeners = []
threads = [threading.Thread(target=lambda: listeners.append(inetkit.Listener(freethread=True)))
           for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert len(listeners) == 8
"""
    done = _run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"late uninitialize: {int(ErrorCode.NOT_INITIALIZED)}"
