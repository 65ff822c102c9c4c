#!/usr/bin/env bash
# build.sh OUTDIR - compile the .NET samples with Mono's mcs.
#
# Builds OUTDIR/Inetkit.dll from src/*.cs (the binding alone, as a library),
# with Inetkit.dll.config (maps DllImport("inetkit") to libinetkit.so), then
# OUTDIR/PopCheck.exe and OUTDIR/MxLookup.exe against it. Run them with
# the directory of libinetkit.so on LD_LIBRARY_PATH:
#   LD_LIBRARY_PATH=build/default mono OUTDIR/MxLookup.exe --help
set -euo pipefail

if [ $# -ne 1 ] || [ "$1" = "--help" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(dirname "$here")/src"
if ! command -v mcs >/dev/null 2>&1; then
    echo "build.sh: mcs not found (Debian package mono-mcs)" >&2
    exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"

mcs -nologo -warnaserror+ -target:library -out:"$out/Inetkit.dll" -doc:"$out/Inetkit.xml" \
    -r:System.dll -r:System.Core.dll "$src"/*.cs
# Mono finds libinetkit.so on LD_LIBRARY_PATH by itself; the map (read from the
# config of the assembly that holds the DllImports) only names it by file, so
# that no other inetkit.so on the path is picked up.
cat > "$out/Inetkit.dll.config" <<'CONFIG'
<configuration>
  <dllmap dll="inetkit" target="libinetkit.so" os="!windows"/>
</configuration>
CONFIG
for program in PopCheck MxLookup; do
    mcs -nologo -warnaserror+ -target:exe -out:"$out/$program.exe" \
        -r:System.dll -r:System.Core.dll -r:"$out/Inetkit.dll" "$here/$program.cs"
done
echo "built $out/Inetkit.dll, $out/PopCheck.exe, $out/MxLookup.exe"
