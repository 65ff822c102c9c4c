#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into BUILD_DIR, then
# runs each: first over its committed corpus (every seed must pass), then
# fuzzing for SECONDS (default 20). Exits non-zero when a build fails or a
# target crashes, leaks, hangs or trips a sanitizer; the input that did it is
# left in BUILD_DIR/artifacts.
#   tests/fuzz/run-fuzz.sh [BUILD_DIR] [SECONDS] [TARGET...]
# With no TARGET, every target below. FUZZ_CXX overrides the compiler
# (default: clang++); FUZZ_JOBS runs that many workers per target (libFuzzer
# -fork), default 1; FUZZ_BUILD_JOBS compiles that many sources at once
# (default 2). The engine's sources are compiled once into BUILD_DIR/obj and
# reused until a file under src/ or include/ changes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=${1:-$source_dir/build-fuzz}
seconds=${2:-20}
shift $(( $# < 2 ? $# : 2 ))
all_targets=(dns_wire mail_target mx_order net_address sasl pop_session config)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
cxx=${FUZZ_CXX:-clang++}
jobs=${FUZZ_JOBS:-1}
build_jobs=${FUZZ_BUILD_JOBS:-2}

case $seconds in ''|*[!0-9]*) echo "run-fuzz.sh: SECONDS must be a number, not '$seconds'" >&2; exit 2 ;; esac

# What each target links: the engine sources it reaches (no c-ares, and no
# sockets but a socketpair, outside `config`), libraries, link options.
# `config` drives the C ABI, so it takes the library's own source list.
library_sources=$(sed -n '/add_library(inetkit_objects OBJECT/,/)/p' "$source_dir/CMakeLists.txt" | grep -o 'src/[^ )]*\.cpp')
target_sources() {
    case $1 in
    dns_wire|mail_target) echo src/mx/dns_wire.cpp src/mx/names.cpp src/core/error.cpp ;;
    mx_order) echo src/mx/dns_wire.cpp src/mx/names.cpp src/mx/exchangers.cpp src/core/error.cpp ;;
    net_address) echo src/net/address.cpp src/core/error.cpp ;;
    # sasl.cpp asks tls.cpp whether OpenSSL ran out of memory, so it takes the net layer.
    sasl) echo src/pop/sasl.cpp src/net/tls.cpp src/net/connection.cpp src/net/wait.cpp \
               src/net/address.cpp src/core/error.cpp ;;
    pop_session) echo src/pop/session.cpp src/pop/sasl.cpp src/net/connection.cpp src/net/wait.cpp \
                      src/net/address.cpp src/net/tls.cpp src/core/error.cpp ;;
    config) echo $library_sources ;;
    *) return 1 ;;
    esac
}
target_libraries() {
    case $1 in
    dns_wire|mail_target|mx_order) echo -lidn2 ;;
    sasl) echo -lssl -lcrypto ;;
    pop_session) echo -lssl -lcrypto -Wl,--wrap=poll ;; # see fuzz_pop_session.cpp
    config) echo -lssl -lcrypto -lcares -lidn2 -pthread ;;
    esac
}
# Longest input each target is given.
target_max_len() {
    case $1 in
    mail_target) echo 512 ;;
    pop_session) echo 16384 ;;
    *) echo 4096 ;;
    esac
}

common=(-std=c++17 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -DINETKIT_BUILDING
        -I "$source_dir/include" -I "$source_dir/src")
sanitizers=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)

for target in "${targets[@]}"; do
    target_sources "$target" > /dev/null || { echo "run-fuzz.sh: unknown target '$target' (known: ${all_targets[*]})" >&2; exit 2; }
    [ -d "$here/corpus/$target" ] || { echo "run-fuzz.sh: no corpus for '$target' ($here/corpus/$target)" >&2; exit 2; }
done

# ---- build: each engine source once, with coverage, then one link per target ----
mkdir -p "$build_dir/obj" "$build_dir/artifacts"
needed=$(for target in "${targets[@]}"; do target_sources "$target"; done | tr ' ' '\n' | sort -u)
stale=()
for source in $needed; do
    object=$build_dir/obj/$(echo "$source" | tr / _).o
    # Coarse but safe: any change under src/ or include/ recompiles the object.
    if [ ! -e "$object" ] || [ -n "$(find "$source_dir/src" "$source_dir/include" -newer "$object" -print -quit)" ]; then
        stale+=("$source")
    fi
done
if [ ${#stale[@]} -gt 0 ]; then
    echo "== compiling ${#stale[@]} engine sources"
    export FUZZ_COMPILE="$cxx ${common[*]} ${sanitizers[*]} -fsanitize=fuzzer-no-link" FUZZ_OBJ="$build_dir/obj"
    (cd "$source_dir" && printf '%s\n' "${stale[@]}" |
        xargs -P "$build_jobs" -I{} sh -c 'o=$FUZZ_OBJ/$(echo {} | tr / _).o; $FUZZ_COMPILE -c {} -o "$o.tmp" && mv "$o.tmp" "$o"')
fi

status=0
for target in "${targets[@]}"; do
    program=$build_dir/fuzz_$target
    objects=()
    for source in $(target_sources "$target"); do objects+=("$build_dir/obj/$(echo "$source" | tr / _).o"); done
    echo "== building fuzz_$target"
    # shellcheck disable=SC2046 # the library list is words on purpose
    (cd "$source_dir" && "$cxx" "${common[@]}" "${sanitizers[@]}" -fsanitize=fuzzer "$here/fuzz_$target.cpp" \
        "${objects[@]}" $(target_libraries "$target") -o "$program")

    seeds=$here/corpus/$target
    options=(-timeout=10 -max_len="$(target_max_len "$target")" -print_final_stats=1)
    # Every committed input must still pass: crashes found earlier stay fixed.
    echo "== replaying $(find "$seeds" -type f | wc -l) seeds of fuzz_$target"
    if ! "$program" "${options[@]}" -runs=0 -artifact_prefix="$build_dir/artifacts/${target}-" "$seeds" 2>&1 |
            tail -n 30; then
        echo "run-fuzz.sh: a seed of fuzz_$target fails; see $build_dir/artifacts" >&2
        status=1
        continue
    fi

    # New inputs go to a working copy; the seeds in the tree stay as they are.
    work=$build_dir/corpus/$target
    mkdir -p "$work"
    echo "== running fuzz_$target for ${seconds}s"
    fork=()
    [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
    if ! "$program" "${options[@]}" -max_total_time="$seconds" "${fork[@]}" \
            -artifact_prefix="$build_dir/artifacts/${target}-" "$work" "$seeds"; then
        echo "run-fuzz.sh: fuzz_$target failed; see $build_dir/artifacts" >&2
        status=1
    fi
done
exit $status
