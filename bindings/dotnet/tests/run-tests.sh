#!/usr/bin/env bash
# run-tests.sh LIBDIR [OUTDIR] [TEST...] - build and run the .NET binding tests with Mono.
#
#   LIBDIR  directory that holds libinetkit.so (a build directory)
#   OUTDIR  where to put the compiled test program (default: a temporary directory)
#   TEST    optional test names (e.g. EchoIPv4) to run only those
#
# Compiles src/*.cs and tests/*.cs with mcs into one executable, then runs it
# with mono, LD_LIBRARY_PATH=LIBDIR, so that DllImport("inetkit") loads
# LIBDIR/libinetkit.so. The exit code is the test result.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 LIBDIR [OUTDIR] [TEST...]" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet_dir="$(dirname "$here")"
repo="$(cd "$dotnet_dir/../.." && pwd)"
libdir="$(cd "$1" && pwd)"
shift

if [ $# -ge 1 ] && [ -n "$1" ]; then
    outdir="$1"
    mkdir -p "$outdir"
    outdir="$(cd "$outdir" && pwd)"
    shift
else
    outdir="$(mktemp -d "${TMPDIR:-/tmp}/inetkit-dotnet.XXXXXX")"
    trap 'rm -rf "$outdir"' EXIT
    if [ $# -ge 1 ]; then
        shift   # an empty OUTDIR argument
    fi
fi

if [ ! -e "$libdir/libinetkit.so" ]; then
    echo "run-tests.sh: $libdir/libinetkit.so not found" >&2
    exit 2
fi
for tool in mcs mono; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "run-tests.sh: $tool not found (Debian packages mono-mcs and mono-runtime)" >&2
        exit 2
    fi
done

exe="$outdir/Inetkit.Tests.exe"
mcs -nologo -debug -warnaserror+ -target:exe -out:"$exe" \
    -r:System.dll -r:System.Core.dll \
    "$dotnet_dir"/src/*.cs "$here"/*.cs

# Mono resolves DllImport("inetkit") to libinetkit.so on LD_LIBRARY_PATH by
# itself. The map below only makes that explicit, so that a stray inetkit.so
# or libinetkit.so elsewhere on the search path cannot be picked up instead;
# it names the library by file name, the path still comes from LD_LIBRARY_PATH.
cat > "$exe.config" <<'EOF'
<configuration>
  <dllmap dll="inetkit" target="libinetkit.so" os="!windows"/>
</configuration>
EOF

export INETKIT_ERRORS_H="$repo/include/inetkit/errors.h"
# The TLS tests make their PKI with tests/tls/make-pki.sh when the repository has it.
export INETKIT_REPO="$repo"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cd "$outdir"
set +e
mono --debug "$exe" "$@"
status=$?
set -e
exit $status
