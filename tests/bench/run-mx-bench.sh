#!/bin/sh
# run-mx-bench.sh BUILD_DIR [--no-netns] [--install-peers] [mx_bench options...]
# (--install-peers, as root: first installs adns-tools and python3-dnspython if missing)
#
# Runs the MX lookup benchmark of an existing build and prints its table.
# Builds nothing: BUILD_DIR must already hold libinetkit.so and the mx_bench
# and cares_ref executables (cmake --build BUILD_DIR --target mx_bench).
#
# mx_bench starts its own Knot (knotd, Debian: knot) with a generated zone and
# stops it by its PID at the end. adns (adnshost) can only ask port 53, so by
# default everything runs in a network namespace of its own (unshare: a user
# namespace too when not root), with only a loopback, where Knot listens on
# 127.0.0.1:53 and every contender asks it there. Nothing leaves that
# namespace. --no-netns runs in the current namespace on a free high port,
# without adnshost.
#
#   tests/bench/run-mx-bench.sh build/default                # 10,000 names, 3 runs
#   tests/bench/run-mx-bench.sh build/default --quick        # 2,000 names, 1 run
#   tests/bench/run-mx-bench.sh build/default --scale        # 100 to 100,000 names: time against count
#   tests/bench/run-mx-bench.sh build/default --domains 100000 --runs 5
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [--no-netns] [--install-peers] [--quick] [--scale] [--domains N] [--runs N] [--keep]" >&2
    echo "       (see: mx_bench --help)" >&2
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
locate_bench "$build" mx_bench
[ -x "$build/tests/bench/cares_ref" ] || {
    echo "$0: $build/tests/bench/cares_ref is missing; build it: cmake --build $build --target cares_ref" >&2
    exit 2
}
if ! command -v knotd >/dev/null 2>&1 && [ ! -x /usr/sbin/knotd ]; then
    echo "$0: knotd is not installed (apt-get install knot)" >&2
    exit 2
fi

# Our own option, taken out of the list; the rest goes to mx_bench.
netns=yes
n=$#
i=0
while [ "$i" -lt "$n" ]; do
    arg=$1
    shift
    i=$((i + 1))
    case $arg in
    --no-netns) netns=no ;;
    --install-peers) install_peers adns-tools python3-dnspython ;;
    *) set -- "$@" "$arg" ;;
    esac
done

INETKIT_SOURCE_DIR=$(cd "$here/../.." && pwd)
export INETKIT_SOURCE_DIR
echo "running $bench (library: $build/libinetkit.so)" >&2

if [ "$netns" = yes ]; then
    if [ "$(id -u)" -eq 0 ]; then flags=--net; else flags="--net --map-root-user"; fi
    # shellcheck disable=SC2086 # the flags are words
    if unshare $flags true 2>/dev/null; then
        ip=$(command -v ip 2>/dev/null || echo /usr/sbin/ip)
        [ -x "$ip" ] || { echo "$0: ip (iproute2) is needed to bring the namespace's loopback up" >&2; exit 2; }
        echo "in a new network namespace (unshare $flags): Knot on 127.0.0.1:53" >&2
        rc=0
        # shellcheck disable=SC2086,SC2016 # the flags are words; $1 and $@ are the inner shell's
        unshare $flags -- sh -c '"$1" link set lo up && shift && exec "$@"' sh "$ip" "$bench" --port 53 "$@" || rc=$?
        exit "$rc"
    fi
    echo "$0: cannot create a network namespace here (unshare $flags failed);" >&2
    echo "$0: running on a free port without adnshost (as --no-netns)" >&2
fi
rc=0
"$bench" "$@" || rc=$?
exit "$rc"
