#!/usr/bin/env python3
"""Check that both language bindings cover the C ABI.

Usage: python3 tests/abi/check_bindings.py <repo-root>

Checks, against the sources of truth in the repository:

* every export listed under EXPORTS in def/inetkit.def
  - has an entry in the Python prototype table
    (bindings/python/inetkit/_native.py, PROTOTYPES) whose argument count
    matches its declaration in include/inetkit/*.h, and
  - has a P/Invoke declaration in bindings/dotnet/src/*.cs
    (``static extern <type> Name(`` or ``EntryPoint = "Name"``);
* the Python ``ErrorCode`` enum and the C# ``InetErrorCode`` enum both equal
  INETKIT_ERROR_TABLE of include/inetkit/errors.h, name for name and number for
  number (C# names are the table's in PascalCase: TIMED_OUT -> TimedOut).

The Python package is imported without loading the shared library, so no
build is needed. Prints every problem found; exits 0 when there is none, 1
otherwise (2 for bad usage).
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ErrorTable = Dict[str, int]


# ---- Sources of truth ---------------------------------------------------------

def read_def_exports(def_file: Path) -> List[str]:
    """The names under EXPORTS in a .def file (';' starts a comment)."""
    names: List[str] = []
    in_exports = False
    for raw in def_file.read_text(encoding="utf-8").splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        keyword = line.split()[0].upper()
        if keyword == "EXPORTS":
            in_exports = True
            rest = line[len("EXPORTS"):].strip()
            if rest:
                names.append(rest.split()[0])
            continue
        if keyword in ("LIBRARY", "NAME", "DESCRIPTION", "VERSION", "HEAPSIZE",
                       "STACKSIZE", "SECTIONS", "STUB"):
            in_exports = False
            continue
        if in_exports:
            names.append(line.split()[0])
    return names


def read_error_table(errors_h: Path) -> ErrorTable:
    """NAME -> number from the X(NAME, number, "text") lines of INETKIT_ERROR_TABLE."""
    text = errors_h.read_text(encoding="utf-8")
    match = re.search(r"#\s*define\s+INETKIT_ERROR_TABLE\s*\(\s*X\s*\)", text)
    if not match:
        raise ValueError(f"{errors_h}: no INETKIT_ERROR_TABLE(X) macro")
    body: List[str] = []
    for line in text[match.end():].splitlines():
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    table: ErrorTable = {}
    for name, number in re.findall(r"X\(\s*([A-Z][A-Z0-9_]*)\s*,\s*(0[xX][0-9a-fA-F]+|\d+)\s*,",
                                   "\n".join(body)):
        if name in table:
            raise ValueError(f"{errors_h}: {name} appears twice in INETKIT_ERROR_TABLE")
        table[name] = int(number, 0)
    if not table:
        raise ValueError(f"{errors_h}: INETKIT_ERROR_TABLE has no entries")
    return table


def read_header_arity(include_dir: Path) -> Dict[str, int]:
    """Exported function name -> number of parameters, from the public headers."""
    arity: Dict[str, int] = {}
    pattern = re.compile(r"INETKIT_API\s+[^;{]*?\bINETKIT_CALL\s+(\w+)\s*\(([^)]*)\)", re.S)
    for header in sorted(include_dir.rglob("*.h")):
        text = re.sub(r"/\*.*?\*/", " ", header.read_text(encoding="utf-8"), flags=re.S)
        for name, params in pattern.findall(text):
            params = params.strip()
            arity[name] = 0 if params in ("", "void") else params.count(",") + 1
    return arity


def pascal_case(name: str) -> str:
    """TIMED_OUT -> TimedOut, NONE -> None, OBSOLETE7 -> Obsolete7."""
    return "".join(part[:1].upper() + part[1:].lower() for part in name.split("_") if part)


# ---- Python binding -------------------------------------------------------------

def load_python_binding(root: Path) -> Tuple[Dict[str, tuple], ErrorTable, bool]:
    """(PROTOTYPES, ErrorCode as a dict, whether importing loaded the library)."""
    package_parent = root / "bindings" / "python"
    sys.dont_write_bytecode = True  # leave no __pycache__ in the checked tree
    sys.path.insert(0, str(package_parent))
    try:
        for name in [m for m in sys.modules if m == "inetkit" or m.startswith("inetkit.")]:
            del sys.modules[name]
        native = importlib.import_module("inetkit._native")
        errors = importlib.import_module("inetkit.errors")
    finally:
        sys.path.remove(str(package_parent))
    origin = Path(native.__file__).resolve()
    if package_parent.resolve() not in origin.parents:
        raise ImportError(f"imported {origin}, not the package under {package_parent}")
    loaded = bool(native.is_loaded())
    return dict(native.PROTOTYPES), {m.name: int(m.value) for m in errors.ErrorCode}, loaded


# ---- C# binding -------------------------------------------------------------------

_CS_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_CS_EXTERN = re.compile(r"static\s+extern\s+\S+\s+(\w+)\s*\(")
_CS_ENTRYPOINT = re.compile(r"EntryPoint\s*=\s*\"(\w+)\"")
_CS_ENUM = re.compile(r"\benum\s+InetErrorCode\b[^{]*\{(.*?)\}", re.S)
_CS_MEMBER = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(@?\w+)\s*(?:=\s*(.+?))?\s*$", re.S)


def _cs_integer(expression: str, members: ErrorTable) -> int:
    """An enum member's value: a decimal or hex literal, possibly cast, or another member."""
    text = re.sub(r"\((?:u?int|u?long|uint32|int32|UInt32|Int32)\)", "", expression).strip()
    text = re.sub(r"^unchecked\s*\((.*)\)$", r"\1", text).strip()
    text = re.sub(r"[uUlL]+$", "", text)
    if re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+", text):
        return int(text, 0)
    if text in members:
        return members[text]
    raise ValueError(f"cannot evaluate {expression!r}")


def read_csharp(src_dir: Path) -> Tuple[set, Optional[ErrorTable], List[str]]:
    """(P/Invoke entry points, InetErrorCode members or None, problems) from src_dir/*.cs."""
    entry_points: set = set()
    enum_members: Optional[ErrorTable] = None
    problems: List[str] = []
    for source in sorted(src_dir.glob("*.cs")):
        text = _CS_COMMENTS.sub(" ", source.read_text(encoding="utf-8-sig"))
        entry_points.update(_CS_EXTERN.findall(text))
        entry_points.update(_CS_ENTRYPOINT.findall(text))
        for body in _CS_ENUM.findall(text):
            if enum_members is not None:
                problems.append(f"C#: enum InetErrorCode is defined more than once ({source.name})")
            enum_members = {}
            value = -1
            for item in body.split(","):
                if not item.strip():
                    continue
                match = _CS_MEMBER.match(item)
                if not match:
                    problems.append(f"C#: cannot read InetErrorCode member {item.strip()!r}")
                    continue
                name, expression = match.group(1).lstrip("@"), match.group(2)
                try:
                    value = _cs_integer(expression, enum_members) if expression else value + 1
                except ValueError as exc:
                    problems.append(f"C#: InetErrorCode.{name}: {exc}")
                    continue
                if name in enum_members:
                    problems.append(f"C#: InetErrorCode.{name} is defined twice")
                enum_members[name] = value
    return entry_points, enum_members, problems


# ---- Comparison ---------------------------------------------------------------------

def compare_tables(label: str, expected: ErrorTable, actual: ErrorTable) -> List[str]:
    """Problems between an expected NAME -> number table and a binding's."""
    problems = []
    for name, number in expected.items():
        if name not in actual:
            problems.append(f"{label}: missing {name} = {number}")
        elif actual[name] != number:
            problems.append(f"{label}: {name} = {actual[name]}, errors.h says {number}")
    for name in actual:
        if name not in expected:
            problems.append(f"{label}: {name} = {actual[name]} is not in errors.h")
    return problems


def check(root: Path) -> List[str]:
    """Every problem found in the repository at root (empty when all is well)."""
    problems: List[str] = []
    exports = read_def_exports(root / "def" / "inetkit.def")
    if not exports:
        problems.append("def/inetkit.def: no names under EXPORTS")
    errors_table = read_error_table(root / "include" / "inetkit" / "errors.h")
    arity = read_header_arity(root / "include")

    # Python
    try:
        prototypes, py_codes, loaded = load_python_binding(root)
    except Exception as exc:  # report, and still check C#
        problems.append(f"Python: cannot import the binding: {type(exc).__name__}: {exc}")
    else:
        if loaded:
            problems.append("Python: importing inetkit loaded the shared library (it must load lazily)")
        for name in exports:
            if name not in prototypes:
                problems.append(f"Python: {name} is not declared in PROTOTYPES")
                continue
            entry = prototypes[name]
            if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], (list, tuple))):
                problems.append(f"Python: PROTOTYPES[{name!r}] is not (restype, argtypes)")
            elif name in arity and len(entry[1]) != arity[name]:
                problems.append(f"Python: {name} declares {len(entry[1])} arguments, "
                                f"the header {arity[name]}")
        for name in sorted(set(prototypes) - set(exports)):
            problems.append(f"Python: PROTOTYPES declares {name}, which def/inetkit.def does not export")
        problems += compare_tables("Python ErrorCode", errors_table, py_codes)

    # C#
    src_dir = root / "bindings" / "dotnet" / "src"
    if not sorted(src_dir.glob("*.cs")):
        problems.append(f"C#: no source files in {src_dir.relative_to(root)}/*.cs")
    else:
        entry_points, cs_codes, cs_problems = read_csharp(src_dir)
        problems += cs_problems
        for name in exports:
            if name not in entry_points:
                problems.append(f"C#: {name} has no P/Invoke declaration (static extern ... {name}(...))")
        if cs_codes is None:
            problems.append("C#: enum InetErrorCode not found")
        else:
            expected = {pascal_case(name): number for name, number in errors_table.items()}
            problems += compare_tables("C# InetErrorCode", expected, cs_codes)
    return problems


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} <repo-root>", file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    try:
        problems = check(root)
    except (OSError, ValueError) as exc:
        print(f"check_bindings: {exc}")
        return 1
    if problems:
        for problem in problems:
            print(problem)
        print(f"check_bindings: {len(problems)} problem(s)")
        return 1
    print("check_bindings: both bindings cover every export and error code")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
