#!/usr/bin/env python3
"""ABI checks against def/inetkit.def, the one export list.

  check_exports.py headers REPO        declarations in include/ == .def, every
                                       public name carries its prefix
  check_exports.py library REPO LIB    the built library exports exactly the .def
"""
import re
import subprocess
import sys
from pathlib import Path

FAMILY_PREFIXES = ("Inet", "Pop", "Mx")
MACRO_PREFIXES = ("INETKIT_", "INET_", "POP_", "MX_")
# Win32-style upper-case type names carry the family in front: INETSECURITYINFO, POPMESSAGEINFO.
TYPE_PREFIXES = ("INETKIT_", "INET", "POP", "MX")
# Win32 names the header defines only where windows.h does not.
WIN32_NAMES = {"TRUE", "FALSE", "INVALID_CLIENT", "HCLIENT", "BYTE", "WORD", "DWORD", "BOOL", "INT", "LONG",
               "UINT", "LPBOOL", "ULONGLONG", "LPSTR", "LPCSTR", "LPVOID", "LPCVOID", "LPDWORD", "LPUINT", "SECURITYCREDENTIALS",
               "LPSECURITYCREDENTIALS", "LPCSECURITYCREDENTIALS"}


def def_exports(repo: Path) -> list:
    names, in_exports = [], False
    for raw in (repo / "def" / "inetkit.def").read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if line == "EXPORTS":
            in_exports = True
        elif line and in_exports:
            names.append(line)
    return names


def check_headers(repo: Path) -> list:
    problems = []
    declared = []
    for header in sorted((repo / "include").rglob("*.h")):
        text = header.read_text()
        declared += re.findall(r"INETKIT_API\s+[\w\s\*]+?\bINETKIT_CALL\s+(\w+)\s*\(", text)
        for macro in re.findall(r"^\s*#\s*define\s+(\w+)", text, re.M):
            if not macro.startswith(MACRO_PREFIXES) and macro not in WIN32_NAMES:
                problems.append(f"{header.name}: macro {macro} lacks an inetkit prefix")
        flat = re.sub(r"\{[^{}]*\}", "", text)  # struct bodies: their members are not type names
        for typedef in re.findall(r"typedef\s+[^;]*?\b(\w+)\s*;", flat) + re.findall(r"\(\s*INETKIT_CALL\s*\*\s*(\w+)\)", flat):
            if typedef not in WIN32_NAMES and not typedef.startswith(TYPE_PREFIXES):
                problems.append(f"{header.name}: type {typedef} lacks an inetkit prefix")
    exports = def_exports(repo)
    if exports != sorted(exports):
        problems.append("def/inetkit.def is not sorted")
    if len(set(exports)) != len(exports):
        problems.append("def/inetkit.def lists a name twice")
    for name in sorted(set(exports) - set(declared)):
        problems.append(f"{name} is in the .def but declared in no header")
    for name in sorted(set(declared) - set(exports)):
        problems.append(f"{name} is declared in a header but missing from the .def")
    for name in exports:
        if not name.startswith(FAMILY_PREFIXES):
            problems.append(f"{name} does not start with a family prefix {FAMILY_PREFIXES}")
    print(f"{len(exports)} exports in the .def, {len(declared)} declared in headers")
    return problems


def check_library(repo: Path, library: str) -> list:
    output = subprocess.run(["nm", "-D", "--defined-only", library], check=True, capture_output=True, text=True).stdout
    exported = set()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtDdBbRrWwVvi":
            exported.add(parts[2].split("@")[0])
    exported.discard("INETKIT_1")  # the version node
    expected = set(def_exports(repo))
    problems = [f"{n} is in the .def but not exported" for n in sorted(expected - exported)]
    problems += [f"{n} is exported but not in the .def" for n in sorted(exported - expected)]
    print(f"{len(exported)} symbols exported by {library}")
    return problems


def main() -> int:
    mode, repo = sys.argv[1], Path(sys.argv[2])
    problems = check_headers(repo) if mode == "headers" else check_library(repo, sys.argv[3])
    for p in problems:
        print("FAIL:", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
