# bench-lib.sh - sourced by the run-*-bench.sh scripts.
#
# locate_bench BUILD_DIR NAME: sets $bench to the bench program NAME that
# CMake built in BUILD_DIR/tests/bench, and puts BUILD_DIR (where
# libinetkit.so is) first on LD_LIBRARY_PATH.
locate_bench() {
    bench="$1/tests/bench/$2"
    if [ ! -x "$bench" ] || [ ! -e "$1/libinetkit.so" ]; then
        echo "$0: $bench or $1/libinetkit.so is missing; build them: cmake --build $1 --target $2" >&2
        exit 2
    fi
    LD_LIBRARY_PATH="$1${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export LD_LIBRARY_PATH
}
