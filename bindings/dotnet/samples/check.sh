#!/usr/bin/env bash
# check.sh pop|mx|usage SAMPLEDIR - run the .NET samples built by build.sh in
# SAMPLEDIR against real servers on loopback and check what they print.
#
#   pop    a private Dovecot (tests/pop/dovecot.sh, user alice, the "small"
#          mailbox): STLS and implicit TLS with the test CA, the listing against
#          the mailbox manifest, saved files byte for byte, --new, --delete, and
#          the failures (wrong password, untrusted certificate) with exit 1
#   mx     a private Knot (tests/mx/dns.sh, zone mx.test): the delivery plans,
#          synchronous and --async, and the failures with exit 1
#   usage  --help (exit 0) and bad command lines (exit 2) of both samples
# libinetkit.so must be on LD_LIBRARY_PATH. Servers are started in a temporary
# directory and stopped by the PIDs their scripts recorded. Prints one line per
# failed check and exits 1 if there was any.
set -uo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 pop|mx|usage SAMPLEDIR" >&2
    exit 2
fi
what=$1
samples="$(cd "$2" && pwd)" || exit 2
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
for f in PopCheck.exe MxLookup.exe Inetkit.dll; do
    [ -e "$samples/$f" ] || { echo "check.sh: $samples/$f missing (run build.sh first)" >&2; exit 2; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS WANT... : the last run's exit status and lines it must contain (grep -E).
expect() {
    local status=$1; shift
    [ "$last_status" = "$status" ] || fail "$last_what: exit status $last_status, expected $status"
    local want
    for want in "$@"; do
        grep -qE -- "$want" <<<"$last_output" || fail "$last_what: no line matches: $want"
    done
}
# run LABEL COMMAND...: runs it, keeps stdout+stderr and the status for expect.
run() {
    last_what=$1; shift
    last_output=$("$@" 2>&1)
    last_status=$?
    printf '%s\n' "--- $last_what (exit $last_status)" "$last_output"
}

work=$(mktemp -d)
chmod 755 "$work"   # Dovecot's helper processes must reach the files
trap 'bash "$repo/tests/pop/dovecot.sh" stop "$work/dovecot" >/dev/null 2>&1
      bash "$repo/tests/mx/dns.sh" stop "$work/dns" >/dev/null 2>&1
      rm -rf "$work"' EXIT

pop() { mono "$samples/PopCheck.exe" "$@"; }
mx() { mono "$samples/MxLookup.exe" "$@"; }

case "$what" in
usage)
    run "PopCheck --help" pop --help
    expect 0 "^usage: PopCheck \[options\] HOST USER" "--stls \| --implicit" "POP_PASSWORD" "Exit status: 0 success, 1 failure, 2 bad usage"
    run "MxLookup --help" mx --help
    expect 0 "^usage: MxLookup \[options\] NAME" "--async" "Exit status: 0 every name resolved"
    run "PopCheck without USER" env POP_PASSWORD=x mono "$samples/PopCheck.exe" localhost
    expect 2 "HOST and USER are required" "^usage:"
    run "PopCheck without POP_PASSWORD" env -u POP_PASSWORD mono "$samples/PopCheck.exe" localhost alice
    expect 2 "POP_PASSWORD"
    run "PopCheck --port 0" env POP_PASSWORD=x mono "$samples/PopCheck.exe" --port 0 localhost alice
    expect 2 "--port takes a number from 1 to 65535"
    run "PopCheck --auth bogus" env POP_PASSWORD=x mono "$samples/PopCheck.exe" --auth bogus localhost alice
    expect 2 "--auth: unknown mechanism bogus"
    run "PopCheck --delete without --save" env POP_PASSWORD=x mono "$samples/PopCheck.exe" --delete localhost alice
    expect 2 "--new and --delete need --save"
    run "PopCheck --save to nowhere" env POP_PASSWORD=x mono "$samples/PopCheck.exe" --save "$work/none" localhost alice
    expect 2 "--save: no directory"
    run "MxLookup without names" mx --server 127.0.0.1
    expect 2 "no name to look up"
    run "MxLookup --bogus" mx --bogus example.org
    expect 2 "unknown or incomplete option --bogus"
    run "MxLookup --server name" mx --server dns.example multi.mx.test
    expect 2 "--server: .*not a numeric"
    run "MxLookup --config Bogus=1" mx --server 127.0.0.1 --config Bogus=1 multi.mx.test
    expect 2 "--config Bogus=1: .*Bogus"
    run "MxLookup -f missing" mx -f "$work/missing.txt"
    expect 2 "missing.txt"
    ;;
pop)
    mkdir -p "$work/dovecot" "$work/saved" "$work/again" "$work/deleted"
    bash "$repo/tests/pop/dovecot.sh" start "$work/dovecot" $$ >/dev/null || { echo "FAIL: dovecot did not start"; exit 1; }
    bash "$repo/tests/pop/dovecot.sh" fill "$work/dovecot" alice small >/dev/null || { echo "FAIL: fill"; exit 1; }
    plain=$(sed -n 's/^plain=//p' "$work/dovecot/ports")
    tls=$(sed -n 's/^tls=//p' "$work/dovecot/ports")
    ca="$work/dovecot/pki/ca.pem"
    manifest="$work/dovecot/alice.manifest"
    count=$(wc -l <"$manifest")
    [ "$count" -gt 0 ] || fail "the manifest lists no message"
    export POP_PASSWORD=alice-pass

    run "STLS, list, save" pop --port "$plain" --stls --ca "$ca" --headers 2 --save "$work/saved" localhost alice
    expect 0 "^connected with TLSv1\.[23], .*; server certificate verified$" "^SASL mechanisms: .*SCRAM-SHA-256" \
        "^$count messages, [0-9]+ octets$" "^      Subject: simple$" "^saved $count message\(s\) into "
    # Every message: its number and LIST size as the manifest says, and a saved file with its exact bytes.
    while read -r number size sha name listsize; do
        grep -qE "^ +$number +$listsize +[^ ]+$" <<<"$last_output" || fail "message $number ($name): no listing line with size $listsize"
        uid=$(grep -E "^ +$number +$listsize +" <<<"$last_output" | awk '{print $3}')
        file="$work/saved/$uid.eml"
        if [ -z "$uid" ] || [ ! -f "$file" ]; then
            fail "message $number ($name): not saved as <uid>.eml"
        elif [ "$(sha256sum <"$file" | cut -d' ' -f1)" != "$sha" ]; then
            fail "message $number ($name): saved bytes differ from the mailbox"
        fi
    done <"$manifest"
    [ "$(find "$work/saved" -name '*.eml' | wc -l)" = "$count" ] || fail "saved files: expected $count"
    # Headers shown for the first two messages only.
    [ "$(grep -c '^      Subject:' <<<"$last_output")" = 2 ] || fail "--headers 2: expected two Subject lines"

    run "implicit TLS, --new twice" pop --port "$tls" --implicit --ca "$ca" --headers 0 --save "$work/again" --new "$work/again/seen" localhost alice
    expect 0 "^connected with TLSv1\.[23]" "^saved $count message\(s\)"
    [ "$(wc -l <"$work/again/seen")" = "$count" ] || fail "--new: the seen file should list $count ids"
    run "implicit TLS, --new again" pop --port "$tls" --implicit --ca "$ca" --headers 0 --save "$work/again" --new "$work/again/seen" localhost alice
    expect 0 "^saved 0 message\(s\)"

    run "wrong password" env POP_PASSWORD=not-the-password mono "$samples/PopCheck.exe" --port "$plain" --stls --ca "$ca" localhost alice
    expect 1 "^PopCheck: Login failed: error 702 \(AuthFailed\): .*-ERR"
    run "untrusted certificate" pop --port "$plain" --stls localhost alice
    expect 1 "^PopCheck: Connect failed: error 275 \(CertificateUntrusted\): certificate verification failed"
    run "--trusted-site" pop --port "$plain" --stls --trusted-site --headers 0 localhost alice
    expect 0 "\(not: trusted site\)" "^$count messages"
    run "plaintext (a challenge-response mechanism by default)" pop --port "$plain" --headers 0 localhost alice
    expect 0 "^connected in plaintext$" "^$count messages"
    run "nobody listening" pop --port 1 localhost alice
    expect 1 "^PopCheck: Connect failed: error [0-9]+ \(ConnectionRefused\)"

    run "--delete" pop --port "$plain" --stls --ca "$ca" --headers 0 --save "$work/deleted" --delete localhost alice
    expect 0 "^saved $count message\(s\)" "^deleted $count message\(s\)$"
    run "after --delete" pop --port "$plain" --stls --ca "$ca" localhost alice
    expect 0 "^0 messages, 0 octets$"
    ;;
mx)
    mkdir -p "$work/dns"
    bash "$repo/tests/mx/dns.sh" start "$work/dns" $$ >/dev/null || { echo "FAIL: dns.sh did not start"; exit 1; }
    knot=$(cat "$work/dns/knot.port")
    names=("postmaster@multi.mx.test" "jürgen@bücher.mx.test" "nullmx.mx.test" "implicit.mx.test"
           "nosuch.mx.test" "user@[192.0.2.1]")

    run "synchronous" mx --server "127.0.0.1:$knot" --seed 7 --addresses "${names[@]}"
    expect 1 "^; DNS server: 127\.0\.0\.1:$knot$" \
        "^  5 exchangers, answer from 127\.0\.0\.1:$knot \(authoritative, RCODE Ok\), [0-9]+ ms$" \
        "^  #1  preference 10 +ttl 3600 +AA  mx1\.multi\.mx\.test$" \
        "^        IPv4 192\.0\.2\.11 +ttl 1200$" "^        IPv6 2001:db8::11 +ttl 1300$" \
        "^  #5  preference 30 +ttl 3600 +AA  mx3\.multi\.mx\.test$" \
        "^  domain: xn--bcher-kva\.mx\.test$" "AA  mail\.xn--bcher-kva\.mx\.test$" "IPv4 192\.0\.2\.80 " \
        "^  FAILED: error 800 NullMx \(RCODE Ok\)$" \
        "^  #1  preference 0 +ttl [0-9]+ +AA  implicit\.mx\.test  \[implicit" \
        "^  FAILED: error 11001 HostNotFound \(RCODE Name error\)$" \
        "^  1 exchanger, no DNS query needed, [0-9]+ ms$" "192\.0\.2\.1  \[literal: no lookup\]$"
    # The same seed gives the same order among the three preference-20 exchangers.
    order=$(grep -oE "preference 20 .*mx2[abc]" <<<"$last_output" | tr -d '\n')
    run "synchronous, same seed" mx --server "127.0.0.1:$knot" --seed 7 postmaster@multi.mx.test
    expect 0 "^  5 exchangers"
    [ "$(grep -oE "preference 20 .*mx2[abc]" <<<"$last_output" | tr -d '\n')" = "$order" ] || fail "--seed 7 gave another order"

    run "asynchronous" mx --server "127.0.0.1:$knot" --async "${names[@]}"
    expect 1 "asynchronous, results in the order they finish" "AA  mx1\.multi\.mx\.test$" \
        "mail\.xn--bcher-kva\.mx\.test$" "error 800 NullMx" "implicit\.mx\.test  \[implicit" \
        "error 11001 HostNotFound" "192\.0\.2\.1  \[literal"
    [ "$(grep -cE '^(  [0-9]+ exchangers?,|  FAILED:)' <<<"$last_output")" = 6 ] || fail "--async: expected six results"

    run "all good" mx --server "127.0.0.1:$knot" --async multi.mx.test alias.mx.test
    expect 0 "^  alias of: multi\.mx\.test$"
    run "a refused name" mx --server "127.0.0.1:$knot" "bad..name" multi.mx.test
    expect 1 "^  REFUSED: error 87 InvalidParameter$" "empty label" "AA  mx1\.multi\.mx\.test$"
    printf 'multi.mx.test\n# a comment\n\n  txtonly.mx.test  \n' >"$work/names.txt"
    run "-f FILE" mx --server "127.0.0.1:$knot" -f "$work/names.txt"
    expect 1 "^multi\.mx\.test$" "^txtonly\.mx\.test$" "FAILED: error [0-9]+ NoData"
    ;;
*)
    echo "usage: $0 pop|mx|usage SAMPLEDIR" >&2
    exit 2
    ;;
esac

if [ "$failures" -gt 0 ]; then
    echo "check.sh $what: $failures check(s) failed"
    exit 1
fi
echo "check.sh $what: all checks passed"
