#!/usr/bin/env bash
# Runs the Python samples against real servers on loopback and checks what
# they print and their exit status.
#
#   check_samples.sh pop PYTHON SOURCE_DIR   popcheck.py against a private Dovecot (tests/pop/dovecot.sh)
#   check_samples.sh mx  PYTHON SOURCE_DIR   mxlookup.py against a private Knot (tests/mx/dns.sh)
#
# The library is the one the package finds (ctest sets INETKIT_LIBRARY).
# Exit status: 0 every check passed, 1 one failed, 77 the server is not
# installed (ctest: skipped), 2 bad usage.
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 pop|mx PYTHON SOURCE_DIR" >&2; exit 2; }
what=$1 python=$2 source=$3
samples=$source/bindings/python/samples
work=$(mktemp -d)
chmod 755 "$work" # Dovecot's auth process runs as its own user and must reach the files
checks=0

fail() {
    echo "CHECK FAILED: $*" >&2
    exit 1
}

# run NAME EXPECTED_STATUS COMMAND...: keeps stdout+stderr in $out.
run() {
    local name=$1 want=$2
    shift 2
    out=$("$@" 2>&1)
    local status=$?
    printf '== %s (exit status %s)\n%s\n' "$name" "$status" "$out"
    [ "$status" -eq "$want" ] || fail "$name: exit status $status, expected $want"
    checks=$((checks + 1))
}

# expect TEXT...: each fixed string must appear in the last output.
expect() {
    local text
    for text in "$@"; do
        grep -qF -- "$text" <<<"$out" || fail "missing in the output: $text"
        checks=$((checks + 1))
    done
}

# ---- popcheck.py -------------------------------------------------------------

check_pop() {
    command -v dovecot >/dev/null || { echo "dovecot is not installed: skipped"; exit 77; }
    local dove=$work/dovecot popcheck=$samples/popcheck.py
    trap 'bash "$source/tests/pop/dovecot.sh" stop "$dove" >/dev/null 2>&1; rm -rf "$work"' EXIT
    mkdir -p "$dove"
    bash "$source/tests/pop/dovecot.sh" start "$dove" $$ >/dev/null || fail "dovecot.sh start"
    bash "$source/tests/pop/dovecot.sh" fill "$dove" alice small >/dev/null || fail "dovecot.sh fill"
    local plain tls ca=$dove/pki/ca.pem
    plain=$(sed -n 's/^plain=//p' "$dove/ports")
    tls=$(sed -n 's/^tls=//p' "$dove/ports")
    local count
    count=$(wc -l <"$dove/alice.manifest")

    run "--help" 0 "$python" "$popcheck" --help
    expect "usage: popcheck.py" "--stls" "--implicit" "--save DIR" "POP_PASSWORD" "Exit status"

    run "no password" 2 env -u POP_PASSWORD "$python" "$popcheck" --port "$plain" localhost alice
    expect "POP_PASSWORD"
    run "two security modes" 2 env POP_PASSWORD=x "$python" "$popcheck" --stls --implicit localhost alice
    expect "not allowed with"

    run "wrong password" 1 env POP_PASSWORD=wrong "$python" "$popcheck" --port "$plain" --stls --ca "$ca" \
        localhost alice
    expect "popcheck.py: login failed: error 702 AUTH_FAILED: " "certificate verified"
    run "unknown CA" 1 env POP_PASSWORD=alice-pass "$python" "$popcheck" --port "$plain" --stls localhost alice
    expect "popcheck.py: connect failed: error 275 CERTIFICATE_UNTRUSTED: "

    # STLS, verified: list, headers, save.
    run "STLS, save" 0 env POP_PASSWORD=alice-pass "$python" "$popcheck" --port "$plain" --stls --ca "$ca" \
        --save "$work/saved" --new "$work/seen" localhost alice
    expect "connected with TLSv1" "server certificate verified" "$count messages, " \
        "From: Sender <sender@example.org>" "Subject: simple" "Subject: tenkb-crlf" \
        "saved $count message(s) into $work/saved"
    local number size uid
    while read -r number _ _ _ size; do  # NUMBER SIZE SHA256 NAME LISTSIZE
        grep -qE "^ +$number +$size +[^ ]+$" <<<"$out" || fail "no list line for message $number ($size octets)"
        checks=$((checks + 1))
    done <"$dove/alice.manifest"
    # The saved files are byte for byte what Dovecot serves.
    diff <(cut -d' ' -f3 "$dove/alice.manifest" | sort) \
        <(find "$work/saved" -name '*.eml' -exec sha256sum {} + | cut -d' ' -f1 | sort) ||
        fail "the saved messages differ from the mailbox"
    [ "$(wc -l <"$work/seen")" -eq "$count" ] || fail "the seen file does not list $count unique ids"
    checks=$((checks + 2))

    # Implicit TLS: nothing new to save; delete what the seen file records.
    run "implicit TLS, delete" 0 env POP_PASSWORD=alice-pass "$python" "$popcheck" --port "$tls" --implicit \
        --ca "$ca" --save "$work/saved" --new "$work/seen" --delete localhost alice
    expect "saved 0 message(s)" "deleted $count message(s)"

    # Plaintext, after the QUIT that committed the deletions.
    run "plaintext, empty" 0 env POP_PASSWORD=alice-pass "$python" "$popcheck" --port "$plain" localhost alice
    expect "connected in plaintext" "0 messages, 0 octets"
}

# ---- mxlookup.py -------------------------------------------------------------

check_mx() {
    command -v knotd >/dev/null || { echo "knot is not installed: skipped"; exit 77; }
    local dns=$work/dns mxlookup=$samples/mxlookup.py
    trap 'bash "$source/tests/mx/dns.sh" stop "$dns" >/dev/null 2>&1; rm -rf "$work"' EXIT
    mkdir -p "$dns"
    bash "$source/tests/mx/dns.sh" start "$dns" $$ >/dev/null || fail "dns.sh start"
    local knot
    knot=$(cat "$dns/knot.port")
    local names=("postmaster@multi.mx.test" "jürgen@bücher.mx.test" "nullmx.mx.test" "implicit.mx.test"
                 "nosuch.mx.test" "user@[192.0.2.1]" "alias.mx.test")

    run "--help" 0 "$python" "$mxlookup" --help
    expect "usage: mxlookup.py" "--server" "--async" "Exit status"
    run "no name" 2 "$python" "$mxlookup"
    expect "no name to look up"
    run "host name as server" 2 "$python" "$mxlookup" --server localhost multi.mx.test
    expect "mxlookup.py: --server: " "not a numeric"
    run "unknown setting" 2 "$python" "$mxlookup" --config Bogus=1 multi.mx.test
    expect "mxlookup.py: --config Bogus=1: "

    run "synchronous" 1 "$python" "$mxlookup" --server "127.0.0.1:$knot" --seed 7 --addresses "${names[@]}" "user@"
    expect "; DNS server: 127.0.0.1:$knot" \
        "5 exchangers, answer from 127.0.0.1:$knot (authoritative, RCODE Ok)" \
        "#1  preference 10    ttl 3600    AA  mx1.multi.mx.test" \
        "IPv4 192.0.2.11 " "IPv6 2001:db8::11 " "#5  preference 30    ttl 3600    AA  mx3.multi.mx.test" \
        "domain: xn--bcher-kva.mx.test" "AA  mail.xn--bcher-kva.mx.test" "IPv4 192.0.2.80 " \
        "FAILED: error 800 NULL_MX (RCODE Ok)" "accepts no mail" \
        "implicit.mx.test  [implicit: the domain itself, it has no MX]" \
        "FAILED: error 11001 HOST_NOT_FOUND (RCODE Name error)" \
        "1 exchanger, no DNS query needed" "192.0.2.1  [literal: no lookup]" \
        "alias of: multi.mx.test" \
        "REFUSED: error 87 INVALID_PARAMETER" "empty domain"
    # The same seed gives the same order among the three preference-20 exchangers.
    local first=$out
    run "synchronous again" 1 "$python" "$mxlookup" --server "127.0.0.1:$knot" --seed 7 --addresses "${names[@]}" "user@"
    [ "$(grep -o 'mx2[abc]' <<<"$first")" = "$(grep -o 'mx2[abc]' <<<"$out")" ] ||
        fail "--seed 7 gave two orders"
    checks=$((checks + 1))

    run "every name resolves" 0 "$python" "$mxlookup" --server "127.0.0.1:$knot" multi.mx.test implicit.mx.test
    expect "mx1.multi.mx.test"

    run "asynchronous" 1 "$python" "$mxlookup" --server "127.0.0.1:$knot" --async "${names[@]}"
    expect "asynchronous, results in the order they finish" "mx1.multi.mx.test" \
        "mail.xn--bcher-kva.mx.test" "error 800 NULL_MX" "implicit.mx.test  [implicit" \
        "error 11001 HOST_NOT_FOUND" "192.0.2.1  [literal" "alias of: multi.mx.test"
    local name
    for name in "${names[@]}"; do  # each name's result exactly once
        [ "$(grep -cxF -- "$name" <<<"$out")" -eq 1 ] || fail "async: not one result for $name"
        checks=$((checks + 1))
    done

    run "no server answers" 1 "$python" "$mxlookup" --server 127.0.0.1:1 --timeout 2 multi.mx.test
    expect "FAILED: error 10061 CONNECTION_REFUSED (RCODE no answer)"
}

case $what in
pop) check_pop ;;
mx) check_mx ;;
*) echo "usage: $0 pop|mx PYTHON SOURCE_DIR" >&2; exit 2 ;;
esac
echo "all $checks checks passed"
