#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# with-fixtures.sh - run a sample's test against private servers on loopback,
# started for the run and stopped afterwards by the PIDs they recorded.
#
#   with-fixtures.sh FIXTURE... -- SCRIPT
#
# FIXTURE is one of:
#   pop   Dovecot (tests/pop/dovecot.sh) with alice's mailbox filled (the small
#         set: 8 messages; user alice, password alice-pass). Sets POP_PORT
#         (plaintext, offers STLS), POP_TLS_PORT (implicit TLS) and POP_CA (the
#         CA that signed its certificate for localhost and 127.0.0.1).
#   tls   openssl s_server -rev (answers each line reversed) with the test PKI
#         of tests/tls/make-pki.sh: the certificate server.pem, for localhost,
#         127.0.0.1 and ::1, signed by an intermediate. Sets TLS_PORT and
#         TLS_PKI (the PKI directory: TLS_PKI/ca.pem is its root).
#   dns   Knot (tests/mx/dns.sh), authoritative for the zone mx.test. Sets DNS_PORT.
# SCRIPT runs in bash with those variables, WORK (a scratch directory) and
# SOURCE_DIR set. The last line printed is "exit status N", N being the
# script's status, which is also this command's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$here/.." && pwd)
export SOURCE_DIR
# shellcheck source=../tests/support/daemon-lib.sh
. "$SOURCE_DIR/tests/support/daemon-lib.sh" # pick_port, ports_in_use, alive

fixtures=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in pop | tls | dns) fixtures+=("$1") ;; *) echo "with-fixtures.sh: unknown fixture $1" >&2; exit 2 ;; esac
    shift
done
if [ $# -ne 2 ] || [ "$1" != -- ]; then
    echo "usage: with-fixtures.sh pop|tls|dns... -- SCRIPT" >&2
    exit 2
fi
script=$2

# Dovecot's socket paths must stay short (dovecot.sh allows at most 60 characters).
WORK=$(mktemp -d /tmp/samples.XXXXXX)
chmod 755 "$WORK" # Dovecot's helper processes run as other users when we are root
export WORK
server_pid=''
watcher_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    [ -z "$watcher_pid" ] || kill "$watcher_pid" 2>/dev/null || true
    if [ -n "$server_pid" ] && alive "$server_pid"; then kill "$server_pid" 2>/dev/null || true; fi
    [ ! -d "$WORK/pop" ] || bash "$SOURCE_DIR/tests/pop/dovecot.sh" stop "$WORK/pop" >/dev/null 2>&1 || true
    [ ! -d "$WORK/dns" ] || bash "$SOURCE_DIR/tests/mx/dns.sh" stop "$WORK/dns" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP # bash runs no EXIT trap when killed by a signal it does not trap

start_tls() {
    local pki=$WORK/pki port
    bash "$SOURCE_DIR/tests/tls/make-pki.sh" "$pki" >/dev/null
    for _ in 1 2 3 4 5; do
        port=$(pick_port "") # no ports to avoid beyond those in use
        # The leaf alone in -cert, the intermediate sent with it from -cert_chain.
        openssl s_server -accept "127.0.0.1:$port" -cert "$pki/server.pem" -key "$pki/server.key" \
            -cert_chain "$pki/intermediate.pem" -rev -quiet </dev/null >"$WORK/s_server.log" 2>&1 &
        server_pid=$!
        for _ in $(seq 1 100); do
            if ports_in_use | grep -x "$port" >/dev/null; then # not -q: with pipefail, an early exit is a SIGPIPE failure
                # s_server has no PID file: if this script is killed, a watcher stops it.
                (while kill -0 $$ 2>/dev/null; do sleep 1; done; kill "$server_pid" 2>/dev/null) </dev/null >/dev/null 2>&1 &
                watcher_pid=$!
                TLS_PORT=$port TLS_PKI=$pki
                export TLS_PORT TLS_PKI
                return 0
            fi
            alive "$server_pid" || break # lost a race for the port: try another
            sleep 0.05
        done
        kill "$server_pid" 2>/dev/null || true
        server_pid=
    done
    echo "with-fixtures.sh: openssl s_server did not start:" >&2
    cat "$WORK/s_server.log" >&2
    exit 1
}

for fixture in "${fixtures[@]}"; do
    case $fixture in
    pop)
        bash "$SOURCE_DIR/tests/pop/dovecot.sh" start "$WORK/pop" $$ >/dev/null
        bash "$SOURCE_DIR/tests/pop/dovecot.sh" fill "$WORK/pop" alice small >/dev/null
        POP_PORT=$(sed -n 's/^plain=//p' "$WORK/pop/ports")
        POP_TLS_PORT=$(sed -n 's/^tls=//p' "$WORK/pop/ports")
        POP_CA=$WORK/pop/pki/ca.pem
        export POP_PORT POP_TLS_PORT POP_CA
        ;;
    tls) start_tls ;;
    dns)
        bash "$SOURCE_DIR/tests/mx/dns.sh" start "$WORK/dns" $$ >/dev/null
        DNS_PORT=$(cat "$WORK/dns/knot.port")
        export DNS_PORT
        ;;
    esac
done

status=0
bash -c "$script" || status=$?
echo "exit status $status"
exit "$status"
