#!/usr/bin/env bash
# The demo: installs what is missing, builds inetkit and runs the samples
# against servers they start themselves on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)" >/dev/null
echo "== echo_demo: a TCP server and client on 127.0.0.1 through inetkit"
build/default/samples/echo_demo "$@"
echo
echo "== echo_demo --tls: the same over TLS, with a test PKI made now and verified by the client"
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT
bash tests/tls/make-pki.sh "$pki" >/dev/null
build/default/samples/echo_demo --tls "$pki" "$@"
