#!/usr/bin/env bash
# pip-installs bindings/python (from a copy, so the source tree stays clean)
# into a temporary target with Debian's pip and setuptools, no network, then
# uses the installed package against the built library.
# Usage: check_python_package.sh PYTHON SOURCE_DIR LIBRARY
set -euo pipefail
python=$1 source=$2 library=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$source/bindings/python" "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info
PIP_ROOT_USER_ACTION=ignore "$python" -m pip install -q --disable-pip-version-check --no-deps \
    --no-build-isolation --no-index --target "$work/site" "$work/src"
cd "$work"
INETKIT_LIBRARY="$library" PYTHONPATH="$work/site" "$python" - <<'PY'
import inetkit
assert inetkit.__file__.startswith(__import__("os").getcwd()), inetkit.__file__
with inetkit.Listener("127.0.0.1") as listener, inetkit.Connection.connect("127.0.0.1", listener.address[1]) as client:
    with listener.accept(timeout=5) as server:
        client.write_line("from the installed package")
        assert server.read_line() == b"from the installed package"
print("installed package works:", inetkit.__file__)
PY
