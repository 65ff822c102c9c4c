#!/usr/bin/env bash
# pip-installs bindings/python (from a copy, so the source tree stays clean)
# into temporary targets with Debian's pip and setuptools, no network, then
# checks each way the installed package finds the library, and the error
# when it finds none:
#   1. INETKIT_LIBRARY
#   2. libinetkit.so* next to the package (installed as package data)
#   3. the system: the soname through the dynamic loader (LD_LIBRARY_PATH here)
#   4. nowhere: LibraryNotFoundError listing where it looked
# Usage: check_python_package.sh PYTHON SOURCE_DIR LIBRARY
set -euo pipefail
python=$1 source=$2 library=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# install DEST [LIBRARY_TO_BUNDLE]
install() {
    local dest=$1 bundle=${2:-}
    rm -rf "$work/src"
    cp -r "$source/bindings/python" "$work/src"
    rm -rf "$work/src/build" "$work/src"/*.egg-info "$work/src/inetkit"/libinetkit.so*
    [ -z "$bundle" ] || cp -L "$bundle" "$work/src/inetkit/libinetkit.so.1"
    # --no-build-isolation: use Debian's setuptools instead of fetching one from PyPI.
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install -q --disable-pip-version-check --no-deps \
        --no-build-isolation --no-index --target "$dest" "$work/src"
}

# use SITE EXPECTED_LIBRARY_PATTERN [env assignments...]: an echo through the
# installed package, and the library it loaded must match the pattern.
use() {
    local site=$1 pattern=$2
    shift 2
    (cd "$work" && env -u INETKIT_LIBRARY -u LD_LIBRARY_PATH "$@" PYTHONPATH="$site" \
        PYTHONDONTWRITEBYTECODE=1 "$python" - "$pattern") <<'PY'
import fnmatch, os, sys
import inetkit
from inetkit import _native
assert inetkit.__file__.startswith(os.getcwd()), inetkit.__file__
with inetkit.Listener("127.0.0.1") as listener, inetkit.Connection.connect("127.0.0.1", listener.address[1]) as client:
    with listener.accept(timeout=5) as server:
        client.write_line("from the installed package")
        assert server.read_line() == b"from the installed package"
loaded = _native.library_path()
assert fnmatch.fnmatch(loaded, sys.argv[1]), f"loaded {loaded}, expected {sys.argv[1]}"
print("installed package works:", inetkit.__file__, "with", loaded)
PY
}

install "$work/site"
use "$work/site" "$library" INETKIT_LIBRARY="$library"

install "$work/bundled" "$library"
use "$work/bundled" "$work/bundled/inetkit/libinetkit.so*"

use "$work/site" "libinetkit.so*" LD_LIBRARY_PATH="$(dirname "$library")"

if ldconfig -p 2>/dev/null | grep libinetkit >/dev/null; then # not -q: pipefail would see a SIGPIPE
    echo "libinetkit is installed system-wide: the not-found message is not checked"
    exit 0
fi
# Nowhere: a clear error that says where it looked and what to do.
out=$(cd "$work" && env -u INETKIT_LIBRARY -u LD_LIBRARY_PATH PYTHONPATH="$work/site" \
    PYTHONDONTWRITEBYTECODE=1 "$python" -c 'import inetkit; inetkit.Listener("127.0.0.1")' 2>&1) &&
    { echo "the package loaded a library from nowhere:"; echo "$out"; exit 1; }
echo "$out" | tail -n 9
for want in "LibraryNotFoundError: cannot load the inetkit library." "INETKIT_LIBRARY: not set" \
    "next to the package: $work/site/inetkit/libinetkit.so*" "build tree: none" \
    "libinetkit.so.1: cannot open shared object file" "Set INETKIT_LIBRARY to the full path"; do
    grep -qF -- "$want" <<<"$out" || { echo "MISSING from the error: $want"; exit 1; }
done
# A wrong INETKIT_LIBRARY is named as such, and nothing else is tried.
out=$(cd "$work" && INETKIT_LIBRARY="$work/none.so" PYTHONPATH="$work/site" PYTHONDONTWRITEBYTECODE=1 \
    "$python" -c 'import inetkit; inetkit.Listener("127.0.0.1")' 2>&1) && exit 1
grep -qF "INETKIT_LIBRARY='$work/none.so' does not name an existing file" <<<"$out" ||
    { echo "MISSING: the INETKIT_LIBRARY error"; echo "$out"; exit 1; }
echo "the not-found errors are clear"
