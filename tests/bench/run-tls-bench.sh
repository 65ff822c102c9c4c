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

# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
locate_bench "$build" tls_bench

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

echo "running $bench (library: $build/libinetkit.so)" >&2
rc=0
"$bench" --openssl "$OPENSSL" "$@" || rc=$?
exit "$rc"
