#!/usr/bin/env bash
# servers.sh - local servers to try inetkit against, on loopback only.
#
#   servers.sh start DIR [PID]   start a POP3 server (Dovecot) with a filled
#                                mailbox and DNS servers (Knot, authoritative for
#                                mx.test, and unbound, recursive, asking only Knot),
#                                all living in DIR; print how to reach them and
#                                write the same as shell variables to DIR/env
#   servers.sh info DIR          print that again
#   servers.sh stop DIR          stop them (by the PIDs their scripts recorded)
#
# The servers keep running after this script exits, until `servers.sh stop
# DIR`, so that they can be used from several shells for a whole session.
# With PID (or INETKIT_SERVERS_WATCH=PID in the environment) they also stop
# when process PID ends: tests pass their own PID so that nothing outlives them.
#
# DIR/env, for `. DIR/env`:
#   POP_HOST, POP_PORT (POP3 with STLS), POP_TLS_PORT (implicit TLS),
#   POP_USER, POP_PASSWORD, POP_CA (the CA that signed the server's certificate),
#   DNS_SERVER (Knot, 127.0.0.1:PORT; DNS_PORT is its PORT alone),
#   DNS_RECURSIVE (unbound, 127.0.0.1:PORT)
#
# The servers come from tests/pop/dovecot.sh and tests/mx/dns.sh; their
# headers describe the users (alice, bob, ... password "<name>-pass") and the
# mx.test zone. DIR must be at most 56 characters long (Dovecot's sockets).
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PID] | info DIR | stop DIR" >&2
    exit 2
}

[ $# -ge 2 ] && [ $# -le 3 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage
source_dir=$(cd "$(dirname "$0")/.." && pwd)
dovecot=$source_dir/tests/pop/dovecot.sh
dns=$source_dir/tests/mx/dns.sh

# As root, Dovecot's login and auth processes run as other users and must be
# able to reach DIR: every directory above it needs the x bit for others.
check_reachable() {
    [ "$(id -u)" -eq 0 ] || return 0
    local d=$1
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        if [ -d "$d" ] && [ "$(( 0$(stat -c %a "$d") & 1 ))" -eq 0 ]; then
            echo "servers.sh: $d is not searchable by other users, so Dovecot's helper processes" >&2
            echo "  (which do not run as root) cannot reach $1; use a directory below /tmp," >&2
            echo "  e.g. bash $0 start \"\$(mktemp -d)\"" >&2
            exit 1
        fi
    done
}

print_info() {
    [ -f "$dir/env" ] || { echo "servers.sh: no servers started in $dir (no $dir/env)" >&2; exit 1; }
    # shellcheck source=/dev/null
    . "$dir/env"
    local messages
    messages=$(wc -l <"$dir/pop/alice.manifest")
    cat <<EOF
Local servers in $dir (they run until: bash samples/servers.sh stop $dir)

POP3 (Dovecot)  host $POP_HOST, port $POP_PORT (STLS) or $POP_TLS_PORT (implicit TLS)
                user $POP_USER, password $POP_PASSWORD; $messages messages waiting
                the server's certificate is signed by the CA in $POP_CA
DNS (Knot)      $DNS_SERVER, authoritative for mx.test
DNS (unbound)   $DNS_RECURSIVE, recursive (asks only Knot)
                names to look up: postmaster@multi.mx.test (five exchangers),
                jürgen@bücher.mx.test (IDN), nullmx.mx.test (accepts no mail),
                info@implicit.mx.test (no MX: the domain itself), nosuch.mx.test

The same as shell variables: . $dir/env
  POP_HOST POP_PORT POP_TLS_PORT POP_USER POP_PASSWORD POP_CA DNS_SERVER DNS_PORT DNS_RECURSIVE
Then, from the source tree after a build:
  build/default/samples/popcheck --port "\$POP_PORT" --stls --ca "\$POP_CA" "\$POP_HOST" "\$POP_USER"
  build/default/samples/mxlookup --server "\$DNS_SERVER" postmaster@multi.mx.test
EOF
}

case $cmd in
start)
    watch=${3:-${INETKIT_SERVERS_WATCH:-}}
    case $watch in *[!0-9]*) usage ;; esac
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ ${#dir} -gt 56 ]; then
        echo "servers.sh: $dir is too long: Dovecot's sockets allow at most 56 characters" >&2
        exit 1
    fi
    check_reachable "$dir"
    chmod 755 "$dir"
    if [ -e "$dir/env" ]; then
        echo "servers.sh: servers were started in $dir already (bash samples/servers.sh stop $dir first)" >&2
        exit 1
    fi
    bash "$dovecot" start "$dir/pop" $watch >/dev/null
    # A failure from here on stops the Dovecot this call started (and nothing it did not).
    trap 'bash "$dovecot" stop "$dir/pop" >/dev/null 2>&1 || true' EXIT
    bash "$dovecot" fill "$dir/pop" alice small >/dev/null
    bash "$dns" start "$dir/dns" $watch >/dev/null
    trap - EXIT
    {
        echo "# Written by samples/servers.sh: the local servers in $dir."
        printf 'export POP_HOST=%q\n' localhost
        printf 'export POP_PORT=%q\n' "$(sed -n 's/^plain=//p' "$dir/pop/ports")"
        printf 'export POP_TLS_PORT=%q\n' "$(sed -n 's/^tls=//p' "$dir/pop/ports")"
        printf 'export POP_USER=%q\n' alice
        printf 'export POP_PASSWORD=%q\n' alice-pass
        printf 'export POP_CA=%q\n' "$dir/pop/pki/ca.pem"
        printf 'export DNS_SERVER=%q\n' "127.0.0.1:$(cat "$dir/dns/knot.port")"
        printf 'export DNS_PORT=%q\n' "$(cat "$dir/dns/knot.port")"
        printf 'export DNS_RECURSIVE=%q\n' "127.0.0.1:$(cat "$dir/dns/unbound.port")"
    } >"$dir/env"
    print_info
    ;;
info)
    dir=$(cd "$dir" 2>/dev/null && pwd) || { echo "servers.sh: no directory $2" >&2; exit 1; }
    print_info
    ;;
stop)
    [ -d "$dir" ] || { echo "servers.sh: no directory $dir" >&2; exit 1; }
    status=0
    bash "$dovecot" stop "$dir/pop" || status=1
    bash "$dns" stop "$dir/dns" || status=1
    rm -f "$dir/env"
    [ $status -eq 0 ] && echo "servers.sh: the servers in $dir are stopped"
    exit $status
    ;;
*)
    usage
    ;;
esac
