#!/bin/sh
# run-pop-bench.sh BUILD_DIR [--install-peers] [pop_bench options...]
#
# Runs the POP3 retrieval benchmark of an existing build and prints its table.
# Builds nothing: BUILD_DIR must already hold libinetkit.so and the pop_bench
# executable (cmake --build BUILD_DIR --target pop_bench).
#
# pop_bench starts its own Dovecot with tests/pop/dovecot.sh (passed to it as
# --dovecot unless the options already name one) and stops it at the end.
# It needs dovecot-core and dovecot-pop3d; the peers (python3, curl, mpop,
# fetchmail) are used when installed and skipped with a note otherwise.
# --install-peers (run as root) first installs the missing ones of mpop and
# fetchmail with apt-get; without it nothing is installed.
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [--install-peers] [--runs N] [--small N] [--large N] [--keep]" >&2
    echo "       (see: pop_bench --help)" >&2
    exit 2
}
[ $# -ge 1 ] || usage
case $1 in -h|--help) usage ;; esac
[ -d "$1" ] || { echo "$0: $1: not a directory" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
locate_bench "$build" pop_bench

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    echo "$0: dovecot is not installed (apt-get install dovecot-core dovecot-pop3d)" >&2
    exit 2
fi

# Our own option, taken out of the list; the rest goes to pop_bench.
install_peers=no
have_dovecot=no
n=$#
i=0
while [ "$i" -lt "$n" ]; do
    arg=$1
    shift
    i=$((i + 1))
    case $arg in
    --install-peers) install_peers=yes ;;
    --dovecot) have_dovecot=yes; set -- "$@" "$arg" ;;
    *) set -- "$@" "$arg" ;;
    esac
done

[ "$install_peers" = yes ] && install_peers mpop fetchmail

if [ "$have_dovecot" = no ]; then
    set -- --dovecot "$here/../pop/dovecot.sh" "$@"
fi

echo "running $bench (library: $build/libinetkit.so)" >&2
rc=0
"$bench" "$@" || rc=$?
exit "$rc"
