#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into BUILD_DIR and
# runs each over its seed corpus for SECONDS (default 20). Exits non-zero when
# a build fails or a target crashes, leaks, hangs or trips a sanitizer; the
# input that did it is left in BUILD_DIR/artifacts.
#   tests/fuzz/run-fuzz.sh [BUILD_DIR] [SECONDS] [TARGET...]
# FUZZ_CXX overrides the compiler (default: clang++); FUZZ_JOBS runs that many
# workers per target (libFuzzer -fork), default 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=${1:-$source_dir/build-fuzz}
seconds=${2:-20}
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dns_wire mail_target)
cxx=${FUZZ_CXX:-clang++}
jobs=${FUZZ_JOBS:-1}

case $seconds in ''|*[!0-9]*) echo "run-fuzz.sh: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac

# Only the engine pieces the targets reach: no sockets, TLS or c-ares.
common_sources=(src/mx/dns_wire.cpp src/mx/names.cpp src/core/error.cpp)
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -D_GNU_SOURCE -DINETKIT_BUILDING -I "$source_dir/include" -I "$source_dir/src")

mkdir -p "$build_dir/artifacts"
status=0
for target in "${targets[@]}"; do
    program=$build_dir/fuzz_$target
    seeds=$here/corpus/$target
    [ -d "$seeds" ] || { echo "run-fuzz.sh: no corpus for '$target' ($seeds)" >&2; exit 2; }
    echo "== building fuzz_$target"
    (cd "$source_dir" && "$cxx" "${flags[@]}" "$here/fuzz_$target.cpp" "${common_sources[@]}" -lidn2 -o "$program")

    # New inputs go to a working copy; the seeds in the tree stay as they are.
    work=$build_dir/corpus/$target
    mkdir -p "$work"
    max_len=4096
    [ "$target" = mail_target ] && max_len=512
    echo "== running fuzz_$target for ${seconds}s"
    fork=()
    [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
    if ! "$program" -max_total_time="$seconds" -timeout=10 -max_len="$max_len" -print_final_stats=1 \
            "${fork[@]}" -artifact_prefix="$build_dir/artifacts/${target}-" "$work" "$seeds"; then
        echo "run-fuzz.sh: fuzz_$target failed; see $build_dir/artifacts" >&2
        status=1
    fi
done
exit $status
