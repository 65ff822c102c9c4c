# daemon-lib.sh - sourced by the fixture scripts that start private servers
# (tests/pop/dovecot.sh, tests/mx/dns.sh): free ports and process checks.

# Ports in use: TCP listeners and every UDP socket, IPv4 and IPv6, in decimal.
ports_in_use() {
    {
        # awk reads the files itself, so FNR skips each file's header line; without
        # IPv6 there is no tcp6/udp6, which must not fail the caller's pipefail.
        awk 'FNR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null || true
        awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/udp /proc/net/udp6 2>/dev/null || true
    } | while read -r hex; do
        # An `[ ] &&` as the last command would make the loop, and with pipefail the caller, fail.
        if [ -n "$hex" ]; then echo $((16#$hex)); fi
    done
}

# A port in 20000..59999 free for both TCP and UDP and not in the list given.
pick_port() {
    local taken port
    taken=" $(ports_in_use | tr '\n' ' ') $* "
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        case $taken in *" $port "*) continue ;; esac
        echo "$port"
        return 0
    done
    echo "$(basename "$0"): no free port found" >&2
    return 1
}

# Whether process $1 exists and is not a zombie (a daemon's zombie lingers
# until init reaps it, which a container's init may do late or never).
alive() {
    local state
    state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null || true)
    [ -n "$state" ] && [ "$state" != Z ]
}
