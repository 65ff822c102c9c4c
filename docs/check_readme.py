#!/usr/bin/env python3
"""Runs the walkthrough of README.md the way a newcomer would, and checks its output.

  check_readme.py SOURCE_DIR [LANGUAGE...]

README.md marks the blocks of its walkthrough with an HTML comment on the line
before the fenced block, so the README stays readable:

  <!-- walkthrough:setup -->                 shell, run before each language
  <!-- walkthrough:teardown -->              shell, run after each language
  <!-- walkthrough:LANG -->                  shell, run for LANG (c, python, dotnet)
  <!-- walkthrough:LANG file=~/x/y.c -->     written to that file before the next block
  <!-- walkthrough:LANG output -->           lines the previous shell block must print,
                                             in this order ("..." lines are left out)
  needs=PATH,PATH on a LANG block            LANG runs only if these files exist
                                             (relative to SOURCE_DIR); else it is skipped

For each language (all of them, or those named), the setup, LANG and teardown
blocks run in order in one `bash -euo pipefail` from SOURCE_DIR, with HOME and
TMPDIR in a fresh temporary directory, so that everything the README puts in
~ or makes with mktemp stays there. Servers started by samples/servers.sh
stop when this script ends (INETKIT_SERVERS_WATCH), and are stopped
explicitly afterwards too. The C walkthrough must exist and pass; a language
whose needed files are missing is reported as skipped.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MARKER = re.compile(r"^<!--\s*walkthrough:(\w+)((?:\s+[\w=~/.,+-]+)*)\s*-->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
SAFE_PATH = re.compile(r"^~?[\w/.+-]+$")


class Block:
    def __init__(self, kind, options, text, line):
        self.kind, self.text, self.line = kind, text, line
        self.output = "output" in options
        self.file = options.get("file")
        self.needs = [p for p in options.get("needs", "").split(",") if p]


def parse(readme: Path) -> list:
    lines = readme.read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = MARKER.match(lines[i])
        if not match:
            i += 1
            continue
        options = {}
        for word in match.group(2).split():
            key, _, value = word.partition("=")
            options[key] = value
        start = i + 1
        if start >= len(lines) or not FENCE.match(lines[start]):
            raise SystemExit(f"README.md:{i + 1}: a walkthrough marker must be followed by a fenced block")
        end = start + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end >= len(lines):
            raise SystemExit(f"README.md:{start + 1}: the fenced block is not closed")
        block = Block(match.group(1), options, "\n".join(lines[start + 1:end]) + "\n", i + 1)
        if block.file and not SAFE_PATH.match(block.file):
            raise SystemExit(f"README.md:{i + 1}: file={block.file} is not a plain path")
        blocks.append(block)
        i = end + 1
    return blocks


def script_for(blocks: list) -> str:
    """One bash script; each shell block's output starts with a line naming the block."""
    parts = []
    for number, block in enumerate(blocks):
        if block.output:
            continue
        if block.file:
            parts.append(f'mkdir -p "$(dirname {block.file})"\n'
                         f"cat > {block.file} <<'WALKTHROUGH_END_OF_FILE'\n{block.text}WALKTHROUGH_END_OF_FILE\n")
        else:
            parts.append(f"echo '@@walkthrough block {number}@@'\n{block.text}")
    return "".join(parts)


def check_outputs(blocks: list, stdout: str) -> list:
    """Each output block against the stdout of the shell block before it."""
    chunks = re.split(r"^@@walkthrough block (\d+)@@\n", stdout, flags=re.M)
    printed = {int(chunks[k]): chunks[k + 1] for k in range(1, len(chunks) - 1, 2)}
    problems = []
    for number, block in enumerate(blocks):
        if not block.output:
            continue
        shell = next((k for k in range(number - 1, -1, -1) if not blocks[k].output and not blocks[k].file), None)
        got = [line.rstrip() for line in printed.get(shell, "").splitlines()]
        position = 0
        for want in block.text.splitlines():
            want = want.rstrip()
            if want.strip() in ("", "..."):
                continue
            try:
                position = got.index(want, position) + 1
            except ValueError:
                problems.append(f"README.md:{block.line}: expected output line not printed (in this order): {want!r}")
                break
    return problems


def stop_servers(tmp: Path, source: Path):
    for env in tmp.rglob("env"):
        if (env.parent / "pop").is_dir() or (env.parent / "dns").is_dir():
            subprocess.run(["bash", str(source / "samples" / "servers.sh"), "stop", str(env.parent)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_language(source: Path, language: str, blocks: list) -> list:
    chosen = [b for b in blocks if b.kind == "setup"] + [b for b in blocks if b.kind == language] + \
             [b for b in blocks if b.kind == "teardown"]
    tmp = Path(tempfile.mkdtemp(prefix="inetkit-readme-"))
    try:
        home, tmpdir = tmp / "home", tmp / "t"
        for directory in (home, tmpdir):
            directory.mkdir()
        for directory in (tmp, home, tmpdir):
            directory.chmod(0o755)  # Dovecot's helpers (not root) must reach the servers' directory
        env = {k: v for k, v in os.environ.items()
               if k not in ("PKG_CONFIG_PATH", "LD_LIBRARY_PATH", "PYTHONPATH", "INETKIT_LIBRARY", "CDPATH")}
        env.update(HOME=str(home), TMPDIR=str(tmpdir), INETKIT_SERVERS_WATCH=str(os.getpid()), LC_ALL="C.UTF-8")
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script_for(chosen)], cwd=source, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        stop_servers(tmp, source)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    transcript = re.sub(r"^@@walkthrough block (\d+)@@\n",
                        lambda m: f"---- README.md:{chosen[int(m.group(1))].line}\n", run.stdout, flags=re.M)
    problems = []
    if run.returncode != 0:
        problems.append(f"the walkthrough exited with status {run.returncode}")
    problems += check_outputs(chosen, run.stdout)
    print(f"==== {language}: {sum(1 for b in chosen if not b.output and not b.file)} shell blocks, "
          f"{sum(1 for b in chosen if b.output)} output checks")
    print(transcript.rstrip())
    return problems


def main(argv) -> int:
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = Path(argv[1]).resolve()
    readme = source / "README.md"
    if not readme.is_file() or not (source / "samples" / "servers.sh").is_file():
        print(f"check_readme.py: {source} is not an inetkit source tree (README.md, samples/servers.sh)",
              file=sys.stderr)
        return 2
    blocks = parse(readme)
    languages = list(dict.fromkeys(b.kind for b in blocks if b.kind not in ("setup", "teardown")))
    wanted = argv[2:] or languages
    problems, skipped, passed = [], [], []
    if "c" not in languages:
        problems.append("README.md has no walkthrough:c blocks")
    for language in wanted:
        if language not in languages:
            problems.append(f"README.md has no walkthrough:{language} blocks")
            continue
        missing = [p for b in blocks if b.kind == language for p in b.needs if not (source / p).exists()]
        if missing:
            skipped.append(f"{language} (not in this tree: {', '.join(missing)})")
            continue
        found = run_language(source, language, blocks)
        problems += [f"{language}: {p}" for p in found]
        if not found:
            passed.append(language)
    print()
    for language in skipped:
        print(f"SKIPPED: {language}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        return 1
    print(f"ok: the README walkthrough works for {', '.join(passed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
