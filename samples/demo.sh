#!/usr/bin/env bash
# The demo: installs what is missing, builds inetkit and runs the samples
# against servers it starts itself on loopback (samples/servers.sh) and stops
# again on exit.
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
# On exit: stop the servers by the PIDs their scripts recorded, then clean up.
trap 'bash samples/servers.sh stop "$work/servers" >/dev/null 2>&1 || true
      rm -rf "$work"' EXIT
mkdir -p "$work/pki" "$work/saved"
bash tests/tls/make-pki.sh "$work/pki" >/dev/null
build/default/samples/echo_demo --tls "$work/pki" "$@"

echo
echo "== local servers: Dovecot (POP3) with a sample mailbox, Knot and unbound (DNS for mx.test)"
echo "   bash samples/servers.sh start DIR starts the same for your own experiments; here:"
# With $$ the servers also stop if this script is killed before its trap runs.
bash samples/servers.sh start "$work/servers" $$ | sed 's/^/   /'
. "$work/servers/env"
echo
echo "== tlsclient: the TLS session and certificate chain of Dovecot's implicit-TLS port, verified"
build/default/samples/tlsclient --port "$POP_TLS_PORT" --ca "$POP_CA" "$POP_HOST"
echo
echo "-- the same under a name the certificate does not hold: refused (277), with the problem listed"
build/default/samples/tlsclient --port "$POP_TLS_PORT" --ca "$POP_CA" --name mail.example.org "$POP_HOST" 2>&1 |
    sed -n '/failed: error/p;/verification problems/,/--ignore/p' || true
echo
echo "== popcheck: STLS, verified certificate, login, list, headers, save"
build/default/samples/popcheck --port "$POP_PORT" --stls --ca "$POP_CA" \
    --headers 3 --save "$work/saved" --new "$work/saved/seen" "$POP_HOST" "$POP_USER"
echo "files saved: $(find "$work/saved" -name '*.eml' | wc -l); unique ids recorded as seen: $(wc -l < "$work/saved/seen")"
echo
echo "== mxlookup: where mail for an address goes, asked of the local Knot (authoritative for mx.test)"
names=("postmaster@multi.mx.test" "jürgen@bücher.mx.test" "nullmx.mx.test" "info@implicit.mx.test"
       "nosuch.mx.test" "postmaster@[192.0.2.1]")
echo "Knot serves mx.test on $DNS_SERVER (the zone is described at the top of tests/mx/dns.sh). The names:"
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
build/default/samples/mxlookup --server "$DNS_SERVER" --addresses --seed 1 "${names[@]}" ||
    echo "(mxlookup exit status $?)"
echo
echo "-- asynchronous (--async): Timeout 0, all six submitted at once and taken with MxGetNextResult"
echo "   in the order they finish (a refused or literal name is done at once)"
build/default/samples/mxlookup --server "$DNS_SERVER" --async "${names[@]}" || echo "(mxlookup exit status $?)"
echo
echo "-- the same domain through a recursive resolver (unbound on $DNS_RECURSIVE, which asks Knot):"
echo "   the answer is not authoritative (-- instead of AA); unbound caches it, so TTLs read later count down"
build/default/samples/mxlookup --server "$DNS_RECURSIVE" --seed 1 postmaster@multi.mx.test ||
    echo "(mxlookup exit status $?)"

echo
echo "== dynload: the library loaded at run time with dlopen/dlsym (the program does not link it)"
POP_PASSWORD=$POP_PASSWORD build/default/samples/dynload --library build/default/libinetkit.so.1 \
    --pop "127.0.0.1:$POP_PORT" --user "$POP_USER" --stls --ca "$POP_CA" \
    --dns "$DNS_SERVER" --domain postmaster@multi.mx.test

# ---- the bindings: the same two clients from Python and .NET, when present ----------
if [ -f bindings/python/samples/popcheck.py ] && [ -f bindings/python/samples/mxlookup.py ]; then
    echo
    echo "== Python (bindings/python, ctypes): popcheck.py and mxlookup.py against the same servers"
    PYTHONPATH=$PWD/bindings/python python3 bindings/python/samples/popcheck.py \
        --port "$POP_PORT" --stls --ca "$POP_CA" "$POP_HOST" "$POP_USER" || echo "(popcheck.py exit status $?)"
    PYTHONPATH=$PWD/bindings/python python3 bindings/python/samples/mxlookup.py \
        --server "$DNS_SERVER" --seed 1 postmaster@multi.mx.test || echo "(mxlookup.py exit status $?)"
fi
if [ -f bindings/dotnet/samples/build.sh ]; then
    echo
    echo "== .NET (bindings/dotnet, P/Invoke on Mono): PopCheck.exe and MxLookup.exe against the same servers"
    bash bindings/dotnet/samples/build.sh "$work/dotnet" >/dev/null
    LD_LIBRARY_PATH=$PWD/build/default mono "$work/dotnet/PopCheck.exe" \
        --port "$POP_PORT" --stls --ca "$POP_CA" "$POP_HOST" "$POP_USER" || echo "(PopCheck.exe exit status $?)"
    LD_LIBRARY_PATH=$PWD/build/default mono "$work/dotnet/MxLookup.exe" \
        --server "$DNS_SERVER" --seed 1 postmaster@multi.mx.test || echo "(MxLookup.exe exit status $?)"
fi

bash samples/servers.sh stop "$work/servers" >/dev/null
echo
echo "demo: done; the servers are stopped. To try inetkit yourself, see \"Your first program\" in README.md."
