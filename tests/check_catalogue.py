#!/usr/bin/env python3
"""Checks tests/CATALOGUE.md against the test sources.

Every catalogue number 1-82 must have a row; every FILE: FUNCTION reference
must name a function that FILE defines and registers with cmocka (its name
appears in the test list after the definition), and a bare FILE must exist.
Usage: check_catalogue.py REPOSITORY_ROOT
"""
import re
import sys
from pathlib import Path

CATALOGUE_SIZE = 82


def check(root: Path) -> list[str]:
    tests = root / "tests"
    problems = []
    rows = {}
    for line in (tests / "CATALOGUE.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"X?\d+", cells[0]):
            continue
        if cells[0] in rows:
            problems.append(f"case {cells[0]} has two rows")
        rows[cells[0]] = cells[2]
    for number in range(1, CATALOGUE_SIZE + 1):
        if str(number) not in rows:
            problems.append(f"case {number} has no row")
    for case, references in rows.items():
        for reference in references.split(";"):
            file_name, _, functions = reference.strip().partition(":")
            path = tests / file_name.strip()
            if not path.is_file():
                problems.append(f"case {case}: {file_name.strip()} does not exist")
                continue
            source = path.read_text(encoding="utf-8", errors="replace")
            for function in filter(None, (f.strip() for f in functions.split(","))):
                defined = re.search(rf"\bvoid\s+{re.escape(function)}\s*\(", source)
                registered = defined and re.search(rf"\b{re.escape(function)}\b", source[defined.end():])
                if not defined:
                    problems.append(f"case {case}: {file_name.strip()} has no test {function}")
                elif not registered:
                    problems.append(f"case {case}: {function} in {file_name.strip()} is never run")
    return problems


def main() -> int:
    problems = check(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"every catalogue case 1-{CATALOGUE_SIZE} names tests that exist and run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
