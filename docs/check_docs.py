#!/usr/bin/env python3
"""Documentation checks against def/inetkit.def, the one export list.

  check_docs.py reference SOURCE_DIR [OUTDIR]
      Runs Doxygen with docs/Doxyfile (into OUTDIR, or a temporary directory
      removed afterwards), then fails listing every Doxygen warning and every
      export of the .def that the generated XML does not describe (no brief
      and no detailed description). Without doxygen it exits 77 (a skip for
      ctest), except under CI (CI set in the environment), where it fails.

  check_docs.py readme SOURCE_DIR
      Fails listing every export missing from the function tables of
      README.md, and every name in those tables that is not an export.

Standard library only.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

SKIP = 77


# The one reader of def/inetkit.def, shared with the ABI checks.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "abi"))
from check_exports import def_exports  # noqa: E402


def text_of(element) -> str:
    return "" if element is None else " ".join("".join(element.itertext()).split())


def run_doxygen(source: Path, out: Path) -> list:
    """Runs doxygen from the source root with the output moved to out; returns its problems."""
    config = (source / "docs" / "Doxyfile").read_text()
    # Later assignments win: keep the build output out of the source tree.
    config += f'\nOUTPUT_DIRECTORY = "{out}"\nWARN_LOGFILE = "{out / "warnings.log"}"\n'
    run = subprocess.run(["doxygen", "-"], input=config, text=True, cwd=source,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    problems = []
    if run.returncode != 0:
        problems.append(f"doxygen exited with status {run.returncode}")
    for line in (run.stdout + run.stderr).splitlines():
        if line.strip():
            problems.append(f"doxygen: {line.strip()}")
    log = out / "warnings.log"
    if log.exists():
        for line in log.read_text().splitlines():
            if line.strip():
                problems.append(line.strip().replace(f"{source}/", ""))
    return list(dict.fromkeys(problems))  # Doxygen repeats some warnings once per output format


def documented_functions(xml_dir: Path) -> dict:
    """Maps each function in the XML to whether it has any description."""
    found = {}
    for compound in sorted(xml_dir.glob("*.xml")):
        if compound.name == "index.xml":
            continue
        root = ET.parse(compound).getroot()
        for member in root.iter("memberdef"):
            if member.get("kind") != "function":
                continue
            name = member.findtext("name")
            described = bool(text_of(member.find("briefdescription")) or text_of(member.find("detaileddescription")))
            found[name] = found.get(name, False) or described
    return found


def check_reference(source: Path, outdir) -> int:
    if shutil.which("doxygen") is None:
        message = "doxygen is not installed (Debian package doxygen; .ci/install-deps.sh installs it)"
        if os.environ.get("CI"):
            print(f"FAIL: {message}, and CI must run this check")
            return 1
        print(f"SKIPPED: {message}")
        return SKIP
    version = subprocess.run(["doxygen", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="inetkit-docs-") as temp:
        out = Path(outdir).resolve() if outdir else Path(temp)
        out.mkdir(parents=True, exist_ok=True)
        problems = run_doxygen(source, out)
        xml_dir = out / "xml"
        functions = documented_functions(xml_dir) if xml_dir.is_dir() else {}
    exports = def_exports(source)
    missing = [name for name in exports if name not in functions]
    bare = [name for name in exports if functions.get(name) is False]
    problems += [f"{name}: in def/inetkit.def but not in the generated reference" for name in missing]
    problems += [f"{name}: no description in its header" for name in bare]
    described = len(exports) - len(missing) - len(bare)
    print(f"doxygen {version}: {described} of {len(exports)} exports described")
    return report(problems, "every export described, no Doxygen warnings")


def readme_table_names(readme: str) -> list:
    """Export-like names in backticks in the rows of the README's tables."""
    names = []
    for line in readme.splitlines():
        if line.lstrip().startswith("|"):
            names += re.findall(r"`((?:Inet|Pop|Mx)[A-Z]\w*)`", line)
    return names


def check_readme(source: Path) -> int:
    exports = def_exports(source)
    listed = readme_table_names((source / "README.md").read_text())
    problems = [f"{name}: exported but not in a README.md table" for name in exports if name not in listed]
    problems += [f"{name}: in a README.md table but not an export" for name in sorted(set(listed) - set(exports))]
    print(f"README.md tables name {len(set(listed) & set(exports))} of {len(exports)} exports")
    return report(problems, "the README lists every export")


def report(problems: list, success: str) -> int:
    """Prints each problem; the exit status: 1 with problems, else 0."""
    for problem in problems:
        print(f"  {problem}")
    if problems:
        print(f"FAIL: {len(problems)} problems")
        return 1
    print(f"ok: {success}")
    return 0


def main(argv) -> int:
    if len(argv) < 3 or argv[1] not in ("reference", "readme") or (argv[1] == "readme" and len(argv) != 3) \
            or len(argv) > 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = Path(argv[2]).resolve()
    if not (source / "def" / "inetkit.def").is_file():
        print(f"check_docs.py: {source} is not an inetkit source tree (no def/inetkit.def)", file=sys.stderr)
        return 2
    if argv[1] == "reference":
        return check_reference(source, argv[3] if len(argv) == 4 else None)
    return check_readme(source)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
