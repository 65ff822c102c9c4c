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
work=$(mktemp -d)
chmod 755 "$work" # Dovecot's auth process runs as its own user and must reach the files
trap 'bash tests/pop/dovecot.sh stop "$work/dovecot" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/pki" "$work/dovecot" "$work/saved"
bash tests/tls/make-pki.sh "$work/pki" >/dev/null
build/default/samples/echo_demo --tls "$work/pki" "$@"
echo
echo "== popcheck: a local Dovecot with a sample mailbox; STLS, verified certificate, login, list, headers, save"
bash tests/pop/dovecot.sh start "$work/dovecot" $$ >/dev/null
bash tests/pop/dovecot.sh fill "$work/dovecot" alice small >/dev/null
port=$(sed -n 's/^plain=//p' "$work/dovecot/ports")
POP_PASSWORD=alice-pass build/default/samples/popcheck --port "$port" --stls --ca "$work/dovecot/pki/ca.pem" \
    --headers 3 --save "$work/saved" --new "$work/saved/seen" localhost alice
echo "files saved: $(find "$work/saved" -name '*.eml' | wc -l); unique ids recorded as seen: $(wc -l < "$work/saved/seen")"
