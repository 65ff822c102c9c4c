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

# install_peers PACKAGE...: installs the Debian packages among them that are
# missing (as root only); a peer that stays missing is skipped by the bench.
install_peers() {
    local missing="" package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "$0: --install-peers needs root; skipping$missing" >&2
        return 0
    fi
    echo "installing:$missing" >&2
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 ||
        echo "$0: could not install$missing; they will be skipped" >&2
}
