#!/usr/bin/env bash
# build-library.sh OUTDIR - prove that the binding builds on its own, as the
# SDK project src/Inetkit.csproj describes it (there is no dotnet SDK here).
#
# 1. Reads Inetkit.csproj and checks what an SDK build would do with it: an
#    SDK-style project, a netstandard2.0 target, the sources it compiles being
#    exactly src/*.cs, AllowUnsafeBlocks if and only if a source uses unsafe,
#    and no #nullable directive that contradicts its Nullable setting.
# 2. Compiles src/*.cs alone with mcs into OUTDIR/Inetkit.dll (-target:library,
#    warnings as errors, XML documentation as GenerateDocumentationFile asks),
#    at the project's LangVersion or the nearest mcs knows (mcs stops at 7.2).
# Exit status: 0 good, 1 a check or the compile failed, 2 bad usage.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../src" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
for tool in mcs python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-library.sh: $tool not found" >&2; exit 2; }
done

# Prints the LangVersion on success; the problems on stderr otherwise.
langversion=$(python3 - "$src" <<'PY'
import glob, os, re, sys
import xml.etree.ElementTree as ET

src = sys.argv[1]
problems = []
root = ET.parse(os.path.join(src, "Inetkit.csproj")).getroot()
if root.tag != "Project" or root.get("Sdk") != "Microsoft.NET.Sdk":
    problems.append('not an SDK-style project (<Project Sdk="Microsoft.NET.Sdk">)')

def prop(name):
    values = [e.text.strip() for e in root.iter(name) if e.text]
    return values[-1] if values else None

frameworks = (prop("TargetFrameworks") or prop("TargetFramework") or "").split(";")
if "netstandard2.0" not in frameworks:
    problems.append("netstandard2.0 is not among the targets: %s" % frameworks)
if not any(re.fullmatch(r"net([6-9]|\d\d)\.0", f) for f in frameworks):
    problems.append("no net6.0-or-later target: %s" % frameworks)

sources = sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, "*.cs")))
# (bin/ and obj/, where an SDK build puts its output, are excluded by the SDK too.)
nested = [os.path.relpath(p, src) for p in glob.glob(os.path.join(src, "*", "**", "*.cs"), recursive=True)
          if os.path.relpath(p, src).split(os.sep)[0] not in ("bin", "obj")]
if nested:
    problems.append("sources below src/ that an SDK build would also compile: %s" % nested)
if (prop("EnableDefaultCompileItems") or "true").lower() == "false":
    listed = sorted(os.path.basename(e.get("Include")) for e in root.iter("Compile") if e.get("Include"))
    if listed != sources:
        problems.append("Compile items %s differ from src/*.cs %s" % (listed, sources))
elif any(e.get("Remove") for e in root.iter("Compile")):
    problems.append("the project removes sources from the build: %s" % [e.get("Remove") for e in root.iter("Compile")])

text = {name: open(os.path.join(src, name), encoding="utf-8").read() for name in sources}
uses_unsafe = [n for n, t in text.items() if re.search(r"\bunsafe\b", re.sub(r"//.*", "", t))]
allows_unsafe = (prop("AllowUnsafeBlocks") or "false").lower() == "true"
if uses_unsafe and not allows_unsafe:
    problems.append("unsafe code in %s but AllowUnsafeBlocks is not true" % uses_unsafe)
if allows_unsafe and not uses_unsafe:
    problems.append("AllowUnsafeBlocks is true but no source uses unsafe")

nullable = (prop("Nullable") or "disable").lower()
directives = [n for n, t in text.items() if re.search(r"^\s*#nullable\b", t, re.M)]
if nullable == "disable" and directives:
    problems.append("Nullable is disabled but %s use #nullable" % directives)
langversion = prop("LangVersion") or "7.3"
if nullable != "disable" and re.fullmatch(r"[1-7](\.\d)?", langversion):
    problems.append("Nullable=%s needs LangVersion 8 or later, not %s" % (nullable, langversion))

for p in problems:
    print("Inetkit.csproj: " + p, file=sys.stderr)
if problems:
    sys.exit(1)
print(langversion)
PY
) || exit 1

# mcs accepts 1-7.2, Default and Latest: use the project's version, or 7.2 for a later 7.x.
case "$langversion" in
    7.3) mcs_langversion=7.2 ;;
    *) mcs_langversion="$langversion" ;;
esac
mcs -nologo -warnaserror+ -langversion:"$mcs_langversion" -target:library \
    -out:"$out/Inetkit.dll" -doc:"$out/Inetkit.xml" -r:System.dll -r:System.Core.dll "$src"/*.cs
test -s "$out/Inetkit.dll" && test -s "$out/Inetkit.xml"
echo "Inetkit.csproj checked; src/*.cs ($(ls "$src"/*.cs | wc -l) files) compiled alone into $out/Inetkit.dll (C# $mcs_langversion)"
