#!/bin/sh
# run-tls-bench.sh BUILD_DIR [tls_bench options...]
#
# Runs the TLS benchmark of an existing build and prints its table. Builds
# nothing: BUILD_DIR must already hold libinetkit.so and the tls_bench
# executable (cmake --build BUILD_DIR --target tls_bench).
#
# The certificates come from tests/tls/make-pki.sh (generated into a temporary
# directory, removed afterwards) unless the options already name --pki DIR;
# without that script tls_bench generates its own EC P-256 set.
# Set OPENSSL to use another openssl tool than the one on PATH.
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [--seconds N] [--bytes N] [--runs N] [--pki DIR] [--keep]" >&2
    echo "       (see: tls_bench --help)" >&2
    exit 2
}
[ $# -ge 1 ] || usage
case $1 in -h|--help) usage ;; esac
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
OPENSSL=${OPENSSL:-openssl}

bench=
for candidate in "$build/tests/bench/tls_bench" "$build/tests/tls_bench" "$build/bench/tls_bench" "$build/tls_bench"; do
    if [ -f "$candidate" ] && [ -x "$candidate" ]; then
        bench=$candidate
        break
    fi
done
if [ -z "$bench" ]; then
    bench=$(find "$build" -type f -name tls_bench -perm -u+x 2>/dev/null | head -n 1)
fi
if [ -z "$bench" ]; then
    echo "$0: no tls_bench executable under $build; build it first:" >&2
    echo "    cmake --build $build --target tls_bench" >&2
    exit 2
fi

lib=$(find "$build" -maxdepth 3 -name 'libinetkit.so*' 2>/dev/null | head -n 1)
if [ -z "$lib" ]; then
    echo "$0: no libinetkit.so under $build" >&2
    exit 2
fi
LD_LIBRARY_PATH=$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH

if ! command -v "$OPENSSL" >/dev/null 2>&1; then
    echo "$0: the openssl tool ($OPENSSL) is not installed" >&2
    exit 2
fi

have_pki=no
for arg in "$@"; do
    [ "$arg" = "--pki" ] && have_pki=yes
done

tmp=
# shellcheck disable=SC2317 # called from the traps
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

if [ "$have_pki" = no ] && [ -f "$here/../tls/make-pki.sh" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/inetkit-bench-pki.XXXXXX")
    OPENSSL=$OPENSSL sh "$here/../tls/make-pki.sh" "$tmp/pki" >/dev/null
    set -- --pki "$tmp/pki" "$@"
fi

echo "running $bench (library: $lib)" >&2
rc=0
"$bench" --openssl "$OPENSSL" "$@" || rc=$?
exit "$rc"
