"""tests/abi/check_bindings.py, run on scratch copies of the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

CHECKER = REPO_ROOT / "tests" / "abi" / "check_bindings.py"


def _exports():
    lines = (REPO_ROOT / "def" / "inetkit.def").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "EXPORTS")
    return [line.split(";")[0].strip() for line in lines[start + 1:] if line.split(";")[0].strip()]


def _error_table():
    sys.path.insert(0, str(REPO_ROOT / "tests" / "abi"))
    try:
        import check_bindings
    finally:
        sys.path.pop(0)
    return check_bindings.read_error_table(REPO_ROOT / "include" / "inetkit" / "errors.h")


def _csharp(exports, codes, *, entry_point_style=False) -> str:
    """A minimal C# binding that satisfies the checker."""
    lines = ["namespace Inetkit {", "    public enum InetErrorCode : uint {"]
    for name, number in codes.items():
        pascal = "".join(part.capitalize() for part in name.split("_"))
        lines.append(f"        /// <summary>{name}, with a comma, in a comment</summary>")
        lines.append(f"        {pascal} = {number},")
    lines += ["    }", "    internal static class NativeMethods {"]
    for name in exports:
        if entry_point_style:
            lines.append(f'        [DllImport("inetkit", EntryPoint = "{name}")]')
            lines.append(f"        internal static extern uint Native{name}(System.IntPtr h);")
        else:
            lines.append('        [DllImport("inetkit", CallingConvention = CallingConvention.Cdecl)]')
            lines.append(f"        internal static extern uint {name}(System.IntPtr h);")
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of what the checker reads, with a generated, complete C# binding."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "def", root / "def")
    shutil.copytree(REPO_ROOT / "include", root / "include")
    shutil.copytree(REPO_ROOT / "bindings" / "python" / "inetkit", root / "bindings" / "python" / "inetkit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    src = root / "bindings" / "dotnet" / "src"
    src.mkdir(parents=True)
    (src / "Native.cs").write_text(_csharp(_exports(), _error_table()))
    return root


def _run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECKER), str(root)], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"})


def test_passes_on_a_complete_copy(scratch):
    done = _run(scratch)
    assert done.returncode == 0, done.stdout + done.stderr


def test_entry_point_declarations_count(scratch):
    (scratch / "bindings" / "dotnet" / "src" / "Native.cs").write_text(
        _csharp(_exports(), _error_table(), entry_point_style=True))
    done = _run(scratch)
    assert done.returncode == 0, done.stdout


def test_reports_an_export_missing_from_both_bindings(scratch):
    definition = scratch / "def" / "inetkit.def"
    definition.write_text(definition.read_text() + "    InetBrandNew\n")
    done = _run(scratch)
    assert done.returncode == 1
    assert "Python: InetBrandNew is not declared in PROTOTYPES" in done.stdout
    assert "C#: InetBrandNew has no P/Invoke declaration" in done.stdout


def test_reports_a_commented_out_csharp_declaration(scratch):
    cs = scratch / "bindings" / "dotnet" / "src" / "Native.cs"
    cs.write_text(cs.read_text().replace("extern uint InetCancel(", "// extern uint InetCancel("))
    done = _run(scratch)
    assert done.returncode == 1 and "C#: InetCancel has no P/Invoke declaration" in done.stdout


def test_reports_error_code_drift(scratch):
    errors_h = scratch / "include" / "inetkit" / "errors.h"
    text = errors_h.read_text()
    text = text.replace("X(TIMED_OUT,               10060,", "X(TIMED_OUT,               10070,")
    text = text.replace('"The name is valid but has no data of the requested type")',
                        '"The name is valid but has no data of the requested type") \\\n'
                        '    X(BRAND_NEW_CODE,          12000, "New")')
    errors_h.write_text(text)
    done = _run(scratch)
    assert done.returncode == 1
    out = done.stdout
    assert "Python ErrorCode: TIMED_OUT = 10060, errors.h says 10070" in out
    assert "Python ErrorCode: missing BRAND_NEW_CODE = 12000" in out
    assert "C# InetErrorCode: TimedOut = 10060, errors.h says 10070" in out
    assert "C# InetErrorCode: missing BrandNewCode = 12000" in out


def test_reports_a_python_arity_mismatch(scratch):
    native = scratch / "bindings" / "python" / "inetkit" / "_native.py"
    native.write_text(native.read_text().replace('"InetCancel": (DWORD, [HCLIENT]),',
                                                 '"InetCancel": (DWORD, [HCLIENT, DWORD]),'))
    done = _run(scratch)
    assert done.returncode == 1
    assert "Python: InetCancel declares 2 arguments, the header 1" in done.stdout


def test_reports_a_missing_csharp_binding(scratch):
    shutil.rmtree(scratch / "bindings" / "dotnet")
    done = _run(scratch)
    assert done.returncode == 1 and "C#: no source files" in done.stdout


def test_the_repository_itself():
    if not list((REPO_ROOT / "bindings" / "dotnet" / "src").glob("*.cs")):
        pytest.skip("the .NET binding is not in this tree")
    done = _run(REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
