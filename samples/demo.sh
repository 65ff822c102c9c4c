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
# On exit: stop the servers by the PIDs their scripts recorded (dovecot.sh, dns.sh), then clean up.
trap 'bash tests/pop/dovecot.sh stop "$work/dovecot" >/dev/null 2>&1 || true
      bash tests/mx/dns.sh stop "$work/dns" >/dev/null 2>&1 || true
      rm -rf "$work"' EXIT
mkdir -p "$work/pki" "$work/dovecot" "$work/saved" "$work/dns"
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
echo
echo "== mxlookup: where mail for an address goes, asked of a local DNS server (Knot, authoritative for mx.test)"
bash tests/mx/dns.sh start "$work/dns" $$ >/dev/null
knot=$(cat "$work/dns/knot.port")
unbound=$(cat "$work/dns/unbound.port")
names=("postmaster@multi.mx.test" "jürgen@bücher.mx.test" "nullmx.mx.test" "info@implicit.mx.test"
       "nosuch.mx.test" "postmaster@[192.0.2.1]")
echo "Knot serves mx.test on 127.0.0.1:$knot (the zone is described at the top of tests/mx/dns.sh). The names:"
echo "  postmaster@multi.mx.test  five exchangers; equal preferences come in a shuffled order"
echo "                            (--seed makes it repeatable); --addresses adds their A/AAAA records"
echo "  jürgen@bücher.mx.test     an internationalised domain, asked as its A-label xn--bcher-kva"
echo "  nullmx.mx.test            a null MX \"0 .\" (RFC 7505): the domain accepts no mail"
echo "  info@implicit.mx.test     no MX records: the domain itself is the exchanger (RFC 5321 5.1)"
echo "  nosuch.mx.test            does not exist (NXDOMAIN)"
echo "  postmaster@[192.0.2.1]    a domain literal: delivered to that address, nothing looked up"
echo "A plan lists the exchangers in the order to try them, with preference (lower first), TTL,"
echo "AA (authoritative answer) and flags. A failure shows the error code, its name and the"
echo "library's message. mxlookup exits 1 when a name has no plan, as two have here."
echo
echo "-- synchronous: MxResolve blocks for each name in turn (--addresses --seed 1)"
build/default/samples/mxlookup --server "127.0.0.1:$knot" --addresses --seed 1 "${names[@]}" ||
    echo "(mxlookup exit status $?)"
echo
echo "-- asynchronous (--async): Timeout 0, all six submitted at once and taken with MxGetNextResult"
echo "   in the order they finish (a refused or literal name is done at once)"
build/default/samples/mxlookup --server "127.0.0.1:$knot" --async "${names[@]}" || echo "(mxlookup exit status $?)"
echo
echo "-- the same domain through a recursive resolver (unbound on 127.0.0.1:$unbound, which asks Knot):"
echo "   the answer is not authoritative (-- instead of AA); unbound caches it, so TTLs read later count down"
build/default/samples/mxlookup --server "127.0.0.1:$unbound" --seed 1 postmaster@multi.mx.test ||
    echo "(mxlookup exit status $?)"
bash tests/mx/dns.sh stop "$work/dns"
echo "mxlookup: done; the DNS servers are stopped"
