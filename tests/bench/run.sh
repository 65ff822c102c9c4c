#!/usr/bin/env bash
# run.sh [--quick | --long] [--build-dir DIR] [--keep DIR]
#
# The whole benchmark suite in one command: builds what it needs (the default
# preset, unless --build-dir names an existing build), then runs, each with
# its own private servers on loopback:
#   pop_bench   POP3 retrieval: inetkit (C, Python, .NET), raw_pop, the peers
#   abi_bench   ns per exported call, memory per idle POP3 handle
#   tls_bench   TLS client cost beside libssl and the openssl tool
#   mx_bench    MX lookups beside c-ares, adns, dnspython (run-mx-bench.sh)
# and prints each program's table, then one combined table of the headline
# figures (medians, ratios, peak RSS) with the issue's targets.
#
#   --quick   tiny workloads, one run each (seconds): a smoke test, not a measurement
#   --long    also how time grows with message count and size (pop_bench --sweep)
#
# Exit status: 0 when every program ran and every result was exact; 1 when a
# program failed or a result was wrong; 2 for bad usage. A figure that misses
# its target is reported in the table and never changes the exit status. A
# benchmark whose server is not installed is skipped with a note.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=default
build=
keep=

usage() {
    echo "usage: $0 [--quick | --long] [--build-dir DIR] [--keep DIR]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --quick) mode=quick ;;
    --long) mode=long ;;
    --build-dir) [ $# -ge 2 ] || usage; build=$2; shift ;;
    --keep) [ $# -ge 2 ] || usage; keep=$2; shift ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option '$1'" >&2; usage ;;
    esac
    shift
done

targets=(inetkit pop_bench raw_pop abi_bench tls_bench mx_bench)
if [ -z "$build" ]; then
    build=$repo/build/default
    echo "run.sh: building the default preset (${targets[*]})..." >&2
    (cd "$repo" && { [ -f "$build/CMakeCache.txt" ] || cmake --preset default >&2; } &&
        cmake --build --preset default -j2 --target "${targets[@]}" >&2) || {
        echo "run.sh: the build failed" >&2
        exit 1
    }
else
    [ -f "$build/CMakeCache.txt" ] || { echo "$0: $build is not a CMake build directory" >&2; exit 2; }
    build=$(cd "$build" && pwd)
    cmake --build "$build" -j2 --target "${targets[@]}" >&2 || { echo "run.sh: the build failed" >&2; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/inetkit-bench.XXXXXX")
# shellcheck disable=SC2317 # called from the traps
cleanup() {
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && cp -r "$work"/. "$keep"/ && echo "run.sh: logs kept in $keep" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The .NET column: the binding and its bench program compiled with mcs.
dotnet_args=()
if command -v mcs >/dev/null 2>&1 && command -v mono >/dev/null 2>&1; then
    exe=$work/dotnet/PopBindBench.exe
    mkdir -p "$work/dotnet"
    if mcs -nologo -optimize+ -target:exe -out:"$exe" -r:System.dll -r:System.Core.dll \
        "$repo"/bindings/dotnet/src/*.cs "$here/PopBindBench.cs" >"$work/dotnet/mcs.log" 2>&1; then
        # DllImport("inetkit") -> libinetkit.so on LD_LIBRARY_PATH (the build's), as the binding's tests do.
        printf '<configuration>\n  <dllmap dll="inetkit" target="libinetkit.so" os="!windows"/>\n</configuration>\n' \
            >"$exe.config"
        dotnet_args=(--dotnet "$exe")
    else
        echo "run.sh: compiling the .NET bench failed:" >&2
        cat "$work/dotnet/mcs.log" >&2
        failed_build=1
    fi
else
    echo "run.sh: mcs/mono not installed: no .NET column" >&2
fi

case $mode in
quick)
    pop_args=(--runs 1 --small 100 --large 2)
    abi_args=(--seconds 0.02 --handles 100)
    tls_args=(--seconds 1 --bytes 16M --runs 1)
    mx_args=(--quick)
    ;;
long)
    pop_args=(--runs 3 --sweep)
    abi_args=()
    tls_args=()
    mx_args=()
    ;;
*)
    pop_args=(--runs 3)
    abi_args=()
    tls_args=()
    mx_args=()
    ;;
esac

status=0
[ -z "${failed_build:-}" ] || status=1
declare -A result

# run NAME COMMAND...: stdout to NAME.out, stderr (progress) to NAME.err and ours.
run() {
    local name=$1 rc=0
    shift
    echo "run.sh: $name..." >&2
    local t0=$SECONDS
    "$@" >"$work/$name.out" 2> >(tee "$work/$name.err" >&2) || rc=$?
    wait
    if [ $rc -eq 0 ]; then
        result[$name]="ok ($((SECONDS - t0)) s)"
    else
        result[$name]="FAILED (exit $rc; see its table and messages above)"
        status=1
    fi
}

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

export LD_LIBRARY_PATH="$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if have dovecot; then
    run pop sh "$here/run-pop-bench.sh" "$build" "${pop_args[@]}" "${dotnet_args[@]}" --summary "$work/pop.tsv"
else
    result[pop]="skipped: dovecot is not installed (apt-get install dovecot-core dovecot-pop3d)"
fi
run abi "$build/tests/bench/abi_bench" "${abi_args[@]}" --summary "$work/abi.tsv"
if have openssl; then
    run tls sh "$here/run-tls-bench.sh" "$build" "${tls_args[@]}"
else
    result[tls]="skipped: the openssl tool is not installed"
fi
if have knotd; then
    run mx bash "$here/run-mx-bench.sh" "$build" "${mx_args[@]}"
else
    result[mx]="skipped: knotd is not installed (apt-get install knot)"
fi

# ---- the tables, then the combined one -------------------------------------------
for name in pop abi tls mx; do
    [ -s "$work/$name.out" ] && cat "$work/$name.out"
done

echo
echo "==== inetkit benchmark suite ($mode mode): headline figures, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) ===="
printf '  %-6s %-34s %-44s %12s %12s  %s\n' area measurement figure value target verdict
for f in "$work/pop.tsv" "$work/abi.tsv"; do
    [ -s "$f" ] || continue
    while IFS=$'\t' read -r area what figure value target verdict; do
        printf '  %-6s %-34s %-44s %12s %12s  %s\n' "$area" "$what" "$figure" "$value" "$target" "$verdict"
    done <"$f"
done
# tls_bench and mx_bench print no summary file: their inetkit rows, as printed.
if [ -s "$work/tls.out" ]; then
    echo "  tls    (tls_bench; columns as in its table above)"
    grep -E '^ +(inetkit +inetkit|ctx held|full handshake|resumption|bulk read|handshakes/s +[0-9]|median connect, ms|MB/s \(10)' \
        "$work/tls.out" | sed 's/^/    /' | head -20
fi
if [ -s "$work/mx.out" ]; then
    echo "  mx     (mx_bench; columns as in its table above)"
    grep -E '^ *(tool +mode|inetkit +(sync|async),|c-ares +[0-9o])' "$work/mx.out" | sed 's/^/    /'
fi
echo
for name in pop abi tls mx; do
    printf '  %-4s %s\n' "$name" "${result[$name]:-not run}"
done
if [ $status -eq 0 ]; then
    echo "  every program ran and every result was exact (targets missed, if any, are marked above)"
else
    echo "  FAILED: a program failed or a result was wrong (see above)"
fi
exit $status
