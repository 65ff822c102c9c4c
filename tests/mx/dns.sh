#!/usr/bin/env bash
# dns.sh - a private authoritative DNS server (Knot) and a private recursive
# resolver (unbound) for the inetkit MX tests. Everything stays on loopback.
#
#   dns.sh start DIR [PID]   start Knot and unbound, living entirely in DIR;
#                            with PID, both are stopped when that process ends
#   dns.sh stop DIR          stop them (by the PIDs recorded in DIR, nothing else)
#
# start writes, in DIR:
#   knot.conf, mx.test.zone, knot-run/ (Knot's rundir), knot-db/ (its storage),
#   knot.log, knot.out, knot.pid        Knot, authoritative for mx.test.
#   unbound.conf, unbound.log, unbound.out, unbound.pid
#                                       unbound, recursive, asking only Knot
#   knot.port, unbound.port             the ports (one number each), also printed
#                                       as "knot=N" and "unbound=N"
#   knot.ipv6                           "1" when Knot also listens on [::1]:N
#                                       (same port), "0" when ::1 is unusable
# Both daemons run in the foreground of a background job (knotd without -d,
# unbound -d), so the PID recorded is the daemon's own; stop signals only a
# recorded PID whose executable is knotd or unbound.
#
# unbound: no DNSSEC validation (module-config "iterator"), no chroot, no user
# change, no remote control, log in DIR; a stub zone for "." AND for mx.test.,
# both pointing at Knot's port, so the only server it ever asks is Knot (which
# refuses every name outside mx.test.): no query leaves loopback. Answers
# through unbound have AA=0 and TTLs counting down from the zone's.
#
# ---- THE ZONE (mx.test., Knot authoritative; answers from Knot have AA=1) ----
# SOA minimum (negative TTL) 60; the apex NS is ns.mx.test. (which has no address).
#   multi.mx.test.      MX (TTL 3600): 10 mx1.multi.mx.test.
#                                      20 mx2a.multi.mx.test.
#                                      20 mx2b.multi.mx.test.
#                                      20 mx2c.multi.mx.test.
#                                      30 mx3.multi.mx.test.
#     mx1.multi         A 192.0.2.11 (TTL 1200), AAAA 2001:db8::11 (TTL 1300)
#     mx2a.multi        A 192.0.2.21 (TTL 1200)
#     mx2b.multi        AAAA 2001:db8::22 (TTL 1300)         (IPv6 only)
#     mx2c.multi        A 192.0.2.23, A 192.0.2.24 (TTL 1200)
#     mx3.multi         A 192.0.2.31 (TTL 1200)
#   equal.mx.test.      MX (TTL 3600): 10 e1.equal.mx.test. ... 10 e8.equal.mx.test.
#                       (eight equal preferences; e<N>.equal has A 192.0.2.10N, TTL 1200)
#   implicit.mx.test.   no MX; A 192.0.2.50 (TTL 900), AAAA 2001:db8::50 (TTL 900)
#   implicit6.mx.test.  no MX; AAAA 2001:db8::51 (TTL 900) only
#   nullmx.mx.test.     MX 0 . (TTL 3600, RFC 7505); A 192.0.2.60 (TTL 900), which must not be used
#   alias.mx.test.      CNAME multi.mx.test. (TTL 600)
#   txtonly.mx.test.    TXT "no mail here" (TTL 300); no MX, no A, no AAAA (NODATA)
#   nosuch.mx.test.     does not exist (NXDOMAIN; nothing below it either)
#   loop1.mx.test.      CNAME loop2.mx.test.; loop2.mx.test. CNAME loop1.mx.test. (a CNAME loop)
#   big.mx.test.        120 MX (TTL 3600), preference N (1..120) ->
#                       host-NNN-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.exchangers-for-the-large-set.example.
#                       (NNN = N zero-padded to 3 digits, 40 x's): about 12 KB, more
#                       than 4096 bytes, so UDP answers are truncated even with EDNS
#   xn--bcher-kva.mx.test. ("bücher.mx.test")
#                       MX 10 mail.xn--bcher-kva.mx.test. (TTL 3600);
#                       mail.xn--bcher-kva A 192.0.2.80 (TTL 1200)
#   aliasmx.mx.test.    MX (TTL 3600): 10 cname-host.mx.test.  (an alias: CNAME real-host.mx.test., TTL 600)
#                                      20 real-host.mx.test.   (A 192.0.2.70, TTL 1200)
#   ipmx.mx.test.       MX (TTL 3600): 10 192.0.2.1.  (an IP address written as a name)
#                                      20 valid.ipmx.mx.test. (A 192.0.2.90, TTL 1200)
#   iponly.mx.test.     MX 10 192.0.2.1. (TTL 3600) only: no valid exchanger
#   noaddr.mx.test.     MX (TTL 3600): 10 nowhere.mx.test. (does not exist)
#                                      20 mx1.multi.mx.test.
#   d0.mx.test. ... d9999.mx.test.
#                       MX (TTL 3600): <N> mx-<N>.bulk.example.   (N = the index, 0..9999)
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PID] | stop DIR" >&2
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage
here=$(cd "$(dirname "$0")" && pwd)

BULK=10000
BIG=120

# ---- helpers -------------------------------------------------------------------------

# shellcheck source=../support/daemon-lib.sh
. "$here/../support/daemon-lib.sh" # ports_in_use, pick_port, alive

# The PID recorded in DIR/$1.pid if that process lives and runs the program $2.
daemon_pid() {
    local file=$dir/$1.pid pid exe
    [ -f "$file" ] || return 1
    pid=$(head -n1 "$file" 2>/dev/null || true)
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    alive "$pid" || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    case $exe in */"$2") ;; *) return 1 ;; esac
    echo "$pid"
}

# Stops the daemon recorded in DIR/$1.pid (program $2), by that PID only.
stop_daemon() {
    local pid
    if pid=$(daemon_pid "$1" "$2"); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            alive "$pid" || break
            sleep 0.05
        done
        if alive "$pid"; then
            echo "dns.sh: $2 $pid did not stop; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/$1.pid"
}

# dig: the status and answer count of a query, as "STATUS ANSWERS" (empty when no answer came).
probe() { # probe PORT NAME TYPE [kdig options...]
    local port=$1 name=$2 type=$3
    shift 3
    kdig @127.0.0.1 -p "$port" +time=1 +retry=0 +norecurse "$@" "$name" "$type" 2>/dev/null |
        awk '/->>HEADER<<-/ { for (i = 1; i <= NF; i++) if ($i == "status:") { s = $(i + 1); sub(/[,;]$/, "", s) } }
             /^;; Flags:/ { for (i = 1; i <= NF; i++) if ($i == "ANSWER:") { a = $(i + 1); sub(/[,;]$/, "", a) } }
             END { if (s != "") print s, a }'
}

# ---- the zone ------------------------------------------------------------------------

write_zone() {
    local z=$dir/mx.test.zone.tmp i xs
    xs=$(printf 'x%.0s' $(seq 1 40))
    {
        cat <<'EOF'
; mx.test. - written by tests/mx/dns.sh (see the top of that script)
$ORIGIN mx.test.
$TTL 300
@                   3600 SOA  ns.mx.test. hostmaster.mx.test. 2024010101 3600 600 86400 60
@                   3600 NS   ns.mx.test.

multi               3600 MX   10 mx1.multi.mx.test.
multi               3600 MX   20 mx2a.multi.mx.test.
multi               3600 MX   20 mx2b.multi.mx.test.
multi               3600 MX   20 mx2c.multi.mx.test.
multi               3600 MX   30 mx3.multi.mx.test.
mx1.multi           1200 A    192.0.2.11
mx1.multi           1300 AAAA 2001:db8::11
mx2a.multi          1200 A    192.0.2.21
mx2b.multi          1300 AAAA 2001:db8::22
mx2c.multi          1200 A    192.0.2.23
mx2c.multi          1200 A    192.0.2.24
mx3.multi           1200 A    192.0.2.31

implicit             900 A    192.0.2.50
implicit             900 AAAA 2001:db8::50
implicit6            900 AAAA 2001:db8::51

nullmx              3600 MX   0 .
nullmx               900 A    192.0.2.60

alias                600 CNAME multi.mx.test.
txtonly              300 TXT  "no mail here"
loop1                300 CNAME loop2.mx.test.
loop2                300 CNAME loop1.mx.test.

xn--bcher-kva       3600 MX   10 mail.xn--bcher-kva.mx.test.
mail.xn--bcher-kva  1200 A    192.0.2.80

aliasmx             3600 MX   10 cname-host.mx.test.
aliasmx             3600 MX   20 real-host.mx.test.
cname-host           600 CNAME real-host.mx.test.
real-host           1200 A    192.0.2.70

ipmx                3600 MX   10 192.0.2.1.
ipmx                3600 MX   20 valid.ipmx.mx.test.
valid.ipmx          1200 A    192.0.2.90
iponly              3600 MX   10 192.0.2.1.

noaddr              3600 MX   10 nowhere.mx.test.
noaddr              3600 MX   20 mx1.multi.mx.test.
EOF
        for i in 1 2 3 4 5 6 7 8; do
            printf 'equal               3600 MX   10 e%d.equal.mx.test.\n' "$i"
            printf 'e%d.equal            1200 A    192.0.2.10%d\n' "$i" "$i"
        done
        for i in $(seq 1 $BIG); do
            printf 'big                 3600 MX   %d host-%03d-%s.exchangers-for-the-large-set.example.\n' "$i" "$i" "$xs"
        done
        awk -v n=$BULK 'BEGIN { for (i = 0; i < n; i++) printf "d%d 3600 MX %d mx-%d.bulk.example.\n", i, i, i }'
    } >"$z"
    mv "$z" "$dir/mx.test.zone"
}

# ---- configuration -------------------------------------------------------------------

write_knot_conf() { # PORT IPV6(0|1)
    local port=$1 v6=$2 listen6=
    [ "$v6" = 1 ] && listen6="
    listen: ::1@$port"
    mkdir -p "$dir/knot-run" "$dir/knot-db"
    cat >"$dir/knot.conf" <<EOF
# Written by tests/mx/dns.sh for the inetkit MX tests. Private to $dir.
server:
    rundir: "$dir/knot-run"
    pidfile: "$dir/knot-run/knotd.pid"
    listen: 127.0.0.1@$port$listen6
    udp-workers: 2
    tcp-workers: 2
    background-workers: 1
    udp-max-payload: 4096
    tcp-idle-timeout: 20

control:
    listen: "$dir/knot-run/knot.sock"

database:
    storage: "$dir/knot-db"

log:
  - target: "$dir/knot.log"
    any: info

template:
  - id: default
    storage: "$dir"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off

zone:
  - domain: mx.test.
EOF
}

write_unbound_conf() { # PORT KNOT_PORT
    local port=$1 knot=$2
    cat >"$dir/unbound.conf" <<EOF
# Written by tests/mx/dns.sh for the inetkit MX tests. Private to $dir.
server:
    interface: 127.0.0.1@$port
    port: $port
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    outgoing-interface: 127.0.0.1
    access-control: 127.0.0.0/8 allow
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$dir"
    pidfile: ""
    use-syslog: no
    logfile: "$dir/unbound.log"
    log-time-ascii: yes
    verbosity: 1
    num-threads: 1
    so-reuseport: no
    module-config: "iterator"
    do-not-query-localhost: no
    qname-minimisation: no
    prefetch: no
    minimal-responses: yes
    harden-referral-path: no
    target-fetch-policy: "0 0 0 0 0"
    local-zone: "test." nodefault
    domain-insecure: "."
    infra-host-ttl: 60
    infra-keep-probing: yes

remote-control:
    control-enable: no

# Knot is the only server unbound knows: the root and mx.test. both point at it.
stub-zone:
    name: "mx.test."
    stub-addr: 127.0.0.1@$knot
    stub-prime: no
    stub-first: no

stub-zone:
    name: "."
    stub-addr: 127.0.0.1@$knot
    stub-prime: no
    stub-first: no
EOF
}

# ---- watcher (as tests/pop/dovecot.sh) -----------------------------------------------------

start_time() {
    awk '{ sub(/^.*\) /, ""); if ($1 != "Z") print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

start_watcher() {
    local born
    born=$(start_time "$1")
    [ -n "$born" ] || return 0
    setsid bash "$here/dns.sh" watch "$dir" "$1" "$born" </dev/null >/dev/null 2>&1 &
}

# watch: once process PID (started at START) is gone, stops both daemons and
# removes DIR (unless INETKIT_KEEP_DNS is set); ends by itself when they are
# stopped in the normal way (the PID files go).
do_watch() {
    local pid=$1 born=$2
    while [ -f "$dir/knot.pid" ] || [ -f "$dir/unbound.pid" ]; do
        if [ "$(start_time "$pid")" != "$born" ]; then
            do_stop
            if [ -z "${INETKIT_KEEP_DNS:-}" ] && [ -f "$dir/knot.conf" ]; then
                rm -rf "$dir"
            fi
            return 0
        fi
        sleep 1
    done
}

# ---- start ---------------------------------------------------------------------------

start_knot() {
    local knotd attempt port v6=0 pid state
    knotd=$(command -v knotd 2>/dev/null || echo /usr/sbin/knotd)
    [ -x "$knotd" ] || { echo "dns.sh: knotd is not installed (apt-get install knot)" >&2; exit 1; }
    # ::1 is used when the loopback has it (containers may disable IPv6).
    if [ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6; then v6=1; fi
    for attempt in 1 2 3 4 5 6; do
        port=$(pick_port)
        write_knot_conf "$port" "$v6"
        : >"$dir/knot.log"
        setsid "$knotd" -c "$dir/knot.conf" </dev/null >"$dir/knot.out" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/knot.pid"
        # Up to 10 s for the zone (10,000+ names) to load and be served.
        state= # set: a knotd that dies at once (it lost the port) must lead to the next attempt, not to set -u
        for _ in $(seq 1 200); do
            alive "$pid" || break
            state=$(probe "$port" d9999.mx.test MX || true)
            [ "$state" = "NOERROR 1" ] && break
            state=
            sleep 0.05
        done
        if [ "$state" = "NOERROR 1" ] && [ "$(probe "$port" multi.mx.test MX)" = "NOERROR 5" ]; then
            if [ "$v6" = 1 ] && ! kdig @::1 -p "$port" +time=1 +retry=0 mx.test SOA >/dev/null 2>&1; then
                v6=0 # listed on the loopback but not usable
            fi
            echo "$port" >"$dir/knot.port"
            echo "$v6" >"$dir/knot.ipv6"
            KNOT_PORT=$port
            return 0
        fi
        stop_daemon knot knotd
        if grep -qi 'address already in use' "$dir/knot.log" "$dir/knot.out" 2>/dev/null; then continue; fi
        echo "dns.sh: knotd failed to start or to serve mx.test. (attempt $attempt):" >&2
        tail -n 20 "$dir/knot.log" "$dir/knot.out" >&2 || true
        # Under a loaded parallel test run a start can fail for reasons that
        # pass (a port taken between the probe and the bind shows up as other
        # errors too): try again on another port before giving up.
        [ "$attempt" -lt 6 ] && continue
        exit 1
    done
    echo "dns.sh: no free port for knotd after $attempt attempts" >&2
    exit 1
}

start_unbound() {
    local unbound attempt port pid state
    unbound=$(command -v unbound 2>/dev/null || echo /usr/sbin/unbound)
    [ -x "$unbound" ] || { echo "dns.sh: unbound is not installed (apt-get install unbound)" >&2; exit 1; }
    for attempt in 1 2 3 4 5 6; do
        port=$(pick_port "$KNOT_PORT")
        write_unbound_conf "$port" "$KNOT_PORT"
        if command -v unbound-checkconf >/dev/null 2>&1; then
            unbound-checkconf "$dir/unbound.conf" >"$dir/unbound.out" 2>&1 || {
                echo "dns.sh: unbound-checkconf refused $dir/unbound.conf:" >&2
                cat "$dir/unbound.out" >&2
                exit 1
            }
        fi
        : >"$dir/unbound.log"
        setsid "$unbound" -d -c "$dir/unbound.conf" </dev/null >"$dir/unbound.out" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/unbound.pid"
        state=
        for _ in $(seq 1 100); do
            alive "$pid" || break
            state=$(probe "$port" multi.mx.test MX +recurse || true)
            [ "$state" = "NOERROR 5" ] && break
            state=
            sleep 0.05
        done
        if [ "$state" = "NOERROR 5" ]; then
            echo "$port" >"$dir/unbound.port"
            UNBOUND_PORT=$port
            return 0
        fi
        stop_daemon unbound unbound
        if grep -qi 'address already in use\|could not open ports' "$dir/unbound.log" "$dir/unbound.out" 2>/dev/null; then continue; fi
        echo "dns.sh: unbound failed to start or to answer (attempt $attempt):" >&2
        tail -n 20 "$dir/unbound.log" "$dir/unbound.out" >&2 || true
        exit 1
    done
    echo "dns.sh: no free port for unbound after $attempt attempts" >&2
    exit 1
}

do_start() {
    command -v kdig >/dev/null 2>&1 || { echo "dns.sh: kdig is missing (apt-get install knot-dnsutils)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if daemon_pid knot knotd >/dev/null || daemon_pid unbound unbound >/dev/null; then
        echo "dns.sh: a server already runs in $dir" >&2
        exit 1
    fi
    # Unix socket paths are limited to 108 bytes.
    if [ ${#dir} -gt 80 ]; then
        echo "dns.sh: $dir is too long for knotd's control socket (at most 80 characters)" >&2
        exit 1
    fi
    rm -f "$dir/knot.port" "$dir/unbound.port"
    write_zone
    start_knot
    trap 'stop_daemon knot knotd' EXIT
    start_unbound
    trap - EXIT
    [ -z "$watch" ] || start_watcher "$watch"
    printf 'knot=%s\nunbound=%s\n' "$KNOT_PORT" "$UNBOUND_PORT"
}

do_stop() {
    [ -d "$dir" ] || return 0
    stop_daemon unbound unbound
    stop_daemon knot knotd
    rm -f "$dir/knot.port" "$dir/unbound.port"
    return 0
}

case $cmd in
start)
    watch=${3:-}
    case $watch in *[!0-9]*) usage ;; esac
    do_start
    ;;
stop) do_stop ;;
watch) # internal: see start_watcher
    [ $# -eq 4 ] || usage
    do_watch "$3" "$4"
    ;;
*) usage ;;
esac
