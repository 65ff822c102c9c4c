#!/usr/bin/env bash
# net_faults.sh - runs the network-fault program (net_faults.c) with a private
# Knot from tests/mx/dns.sh for its MX scenarios; Dovecot it starts itself.
#
#   net_faults.sh PROGRAM [ARGS...]
#
# Knot lives in a temporary directory that is removed afterwards; its port
# reaches the program as INETKIT_FAULT_KNOT_PORT. dns.sh is given this
# script's PID, so Knot also stops if ctest kills the run.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dns=$here/../mx/dns.sh

# Knot's run directory holds a socket: keep its path short.
tmp=${TMPDIR:-/tmp}
[ ${#tmp} -le 40 ] || tmp=/tmp
dir=$(mktemp -d "$tmp/inetkit-fault-dns-XXXXXX")
cleanup() {
    bash "$dns" stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
bash "$dns" start "$dir" $$ >/dev/null
INETKIT_FAULT_KNOT_PORT=$(cat "$dir/knot.port")
export INETKIT_FAULT_KNOT_PORT
"$@"
