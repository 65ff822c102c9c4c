#!/usr/bin/env bash
# build.sh [OUTDIR] - the API reference from the public headers, with Doxygen.
#
# Writes OUTDIR/html (open OUTDIR/html/index.html) and OUTDIR/xml; OUTDIR
# defaults to build/docs in the source tree (ignored by git). Fails when
# Doxygen warns or an export of def/inetkit.def is not described: the same
# check as the ctest docs_every_export_documented.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 1 ] || [ "${1:-}" = "--help" ]; then
    echo "usage: $0 [OUTDIR]" >&2
    exit 2
fi
out=${1:-$source_dir/build/docs}
if ! command -v doxygen >/dev/null; then
    echo "build.sh: doxygen not found (Debian package doxygen; bash .ci/install-deps.sh installs it)" >&2
    exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
python3 "$source_dir/docs/check_docs.py" reference "$source_dir" "$out"
echo "API reference: $out/html/index.html"
