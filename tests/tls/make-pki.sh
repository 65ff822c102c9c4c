#!/bin/sh
# make-pki.sh OUTDIR - generate the TLS test PKI (see README.md) into OUTDIR.
#
# Needs only the openssl command (OpenSSL 3.0 or later). EC P-256 keys, so it
# runs in well under a second. Idempotent: when OUTDIR already holds a complete
# PKI (the marker file .complete), it does nothing; otherwise it rebuilds all of
# it, so a half-written directory never survives.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
OPENSSL=${OPENSSL:-openssl}

if [ -f "$out/.complete" ]; then
    exit 0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The system openssl.cnf must not change what we generate.
OPENSSL_CONF=/dev/null
export OPENSSL_CONF

work=$out/.work
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

key() { # key FILE: a fresh P-256 key, PKCS#8 PEM
    "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

csr() { # csr KEY SUBJECT OUT
    "$OPENSSL" req -new -key "$1" -subj "$2" -out "$3" -config "$work/req.cnf"
}

cat >"$work/req.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
EOF

# Extensions for everything we sign. Each section is one kind of certificate.
cat >"$work/ext.cnf" <<'EOF'
[ root_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ intermediate_ca ]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ intermediate2_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ clientonly ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ selfsigned ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash

# An issuer that may sign certificates but is no CA: only the CA flag is wrong.
[ intermediate_not_ca ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# The same without basicConstraints at all.
[ intermediate_no_bc ]
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

# Server leaves differ only in their names: each gets a section made here.
server_section() { # server_section SECTION SUBJECTALTNAME
    cat >>"$work/ext.cnf" <<EOF

[ $1 ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
}
server_section server    "DNS:localhost, IP:127.0.0.1, IP:::1"
server_section wronghost "DNS:wrong.example"
server_section ipsan     "IP:127.0.0.1"
server_section dnsonly   "DNS:localhost"
# Patterns no host name may match (libtls verifytest.c), a partial wildcard (which
# inetkit refuses by policy), and one pattern that may match.
server_section wildcards "DNS:*, DNS:*.com, DNS:p*p.example.com, DNS:*.*.example.com, DNS:*.2.3.4, DNS:ma*.example.com, DNS:*.good.example"
# An address written as a dNSName: it must not match a connect to that address.
server_section dnsip     "DNS:127.0.0.1"
# dNSName "localhost\0.evil.example" (CVE-2009-2408): SEQUENCE { [2] IA5String }, written as
# DER because the configuration syntax cannot hold a NUL.
server_section nulsan    "DER:30198217:6c6f63616c686f7374:00:2e6576696c2e6578616d706c65"

# req has no -extfile: self-signed certificates take their section from here.
cat "$work/req.cnf" "$work/ext.cnf" >"$work/req-ext.cnf"

# An `openssl ca` set-up per issuer: it is the one OpenSSL 3.0 tool that takes
# explicit start and end dates (x509 -req only has -days before 3.4).
ca_setup() { # ca_setup NAME CERT KEY
    d=$work/$1
    mkdir -p "$d/new"
    : >"$d/index.txt"
    # Random 16-byte serials, so reruns never repeat a serial under a same-named issuer.
    "$OPENSSL" rand -hex 16 >"$d/serial"
    cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = this
[ this ]
dir = $d
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
certificate = $2
private_key = $3
default_md = sha256
policy = anything
preserve = yes
unique_subject = no
copy_extensions = none
email_in_dn = no
[ anything ]
organizationName = optional
commonName = supplied
EOF
}

sign() { # sign ISSUER CSR OUT SECTION STARTDATE ENDDATE
    "$OPENSSL" ca -batch -notext -config "$work/$1/ca.cnf" -in "$2" -out "$3" \
        -extfile "$work/ext.cnf" -extensions "$4" -startdate "$5" -enddate "$6" 2>"$work/ca.log" || {
        cat "$work/ca.log" >&2
        exit 1
    }
}

# Dates: the ordinary ones span yesterday .. +10 years; "expired" lies wholly
# in the past, "notyet" wholly in the future. GeneralizedTime keeps 2049+ valid.
now_start=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ 2>/dev/null || date -u +%Y%m%d000000Z)
long_end=20451231235959Z
past_start=20200101000000Z
past_end=20210101000000Z
future_start=20450101000000Z
future_end=20460101000000Z

# ---- root CA, intermediate CA, unrelated CA -------------------------------------------
key "$work/ca.key"
"$OPENSSL" req -new -x509 -key "$work/ca.key" -subj "/O=inetkit tests/CN=inetkit Test Root CA" \
    -days 7300 -sha256 -config "$work/req-ext.cnf" -extensions root_ca -out "$work/ca.pem"
ca_setup root "$work/ca.pem" "$work/ca.key"

key "$work/intermediate.key"
csr "$work/intermediate.key" "/O=inetkit tests/CN=inetkit Test Intermediate CA" "$work/intermediate.csr"
sign root "$work/intermediate.csr" "$work/intermediate.pem" intermediate_ca "$now_start" "$long_end"
ca_setup inter "$work/intermediate.pem" "$work/intermediate.key"

key "$work/other-ca.key"
"$OPENSSL" req -new -x509 -key "$work/other-ca.key" -subj "/O=somebody else/CN=Unrelated Test CA" \
    -days 7300 -sha256 -config "$work/req-ext.cnf" -extensions root_ca -out "$work/other-ca.pem"

# ---- leaves signed by the intermediate; each .pem holds the leaf then the intermediate ----
leaf() { # leaf NAME SUBJECT SECTION START END
    key "$work/$1.key"
    csr "$work/$1.key" "$2" "$work/$1.csr"
    sign inter "$work/$1.csr" "$work/$1.leaf.pem" "$3" "$4" "$5"
    cat "$work/$1.leaf.pem" "$work/intermediate.pem" >"$work/$1.pem"
}

leaf server     "/O=inetkit tests/CN=localhost"          server     "$now_start"    "$long_end"
leaf expired    "/O=inetkit tests/CN=localhost"          server     "$past_start"   "$past_end"
leaf notyet     "/O=inetkit tests/CN=localhost"          server     "$future_start" "$future_end"
leaf wronghost  "/O=inetkit tests/CN=wrong.example"      wronghost  "$now_start"    "$long_end"
leaf ipsan      "/O=inetkit tests/CN=127.0.0.1"          ipsan      "$now_start"    "$long_end"
leaf dnsonly    "/O=inetkit tests/CN=localhost"          dnsonly    "$now_start"    "$long_end"
leaf clientonly "/O=inetkit tests/CN=localhost"          clientonly "$now_start"    "$long_end"

# ---- a longer chain for verify-depth tests: root -> intermediate -> intermediate2 -> deep ----
key "$work/intermediate2.key"
csr "$work/intermediate2.key" "/O=inetkit tests/CN=inetkit Test Intermediate CA 2" "$work/intermediate2.csr"
sign inter "$work/intermediate2.csr" "$work/intermediate2.pem" intermediate2_ca "$now_start" "$long_end"
ca_setup inter2 "$work/intermediate2.pem" "$work/intermediate2.key"
key "$work/deep.key"
csr "$work/deep.key" "/O=inetkit tests/CN=localhost" "$work/deep.csr"
sign inter2 "$work/deep.csr" "$work/deep.leaf.pem" server "$now_start" "$long_end"
cat "$work/deep.leaf.pem" "$work/intermediate2.pem" "$work/intermediate.pem" >"$work/deep.pem"

# ---- broken issuers above a good leaf: each NAME.pem holds the leaf, then that issuer ----
# intermediate-expired and intermediate-notyet are CAs outside their validity;
# intermediate-notca says CA:FALSE, intermediate-nobc has no basicConstraints.
bad_issuer() { # bad_issuer KIND SECTION START END LEAF
    key "$work/intermediate-$1.key"
    csr "$work/intermediate-$1.key" "/O=inetkit tests/CN=inetkit Test Intermediate CA ($1)" "$work/intermediate-$1.csr"
    sign root "$work/intermediate-$1.csr" "$work/intermediate-$1.pem" "$2" "$3" "$4"
    ca_setup "inter-$1" "$work/intermediate-$1.pem" "$work/intermediate-$1.key"
    key "$work/$5.key"
    csr "$work/$5.key" "/O=inetkit tests/CN=localhost" "$work/$5.csr"
    sign "inter-$1" "$work/$5.csr" "$work/$5.leaf.pem" server "$now_start" "$long_end"
    cat "$work/$5.leaf.pem" "$work/intermediate-$1.pem" >"$work/$5.pem"
}
bad_issuer expired intermediate_ca      "$past_start"   "$past_end"   interexpired
bad_issuer notyet  intermediate_ca      "$future_start" "$future_end" internotyet
bad_issuer notca   intermediate_not_ca  "$now_start"    "$long_end"   internotca
bad_issuer nobc    intermediate_no_bc   "$now_start"    "$long_end"   internobc

# ---- an expired root (a trust anchor of its own, ca-expired.pem) that signed a good leaf ----
key "$work/ca-expired.key"
csr "$work/ca-expired.key" "/O=inetkit tests/CN=inetkit Test Expired Root CA" "$work/ca-expired.csr"
ca_setup rootexpired "$work/ca-expired.pem" "$work/ca-expired.key"
"$OPENSSL" ca -batch -notext -selfsign -config "$work/rootexpired/ca.cnf" -keyfile "$work/ca-expired.key" \
    -in "$work/ca-expired.csr" -out "$work/ca-expired.pem" -extfile "$work/ext.cnf" -extensions root_ca \
    -startdate "$past_start" -enddate "$past_end" 2>"$work/ca.log" || {
    cat "$work/ca.log" >&2
    exit 1
}
key "$work/rootexpired.key"
csr "$work/rootexpired.key" "/O=inetkit tests/CN=localhost" "$work/rootexpired.csr"
sign rootexpired "$work/rootexpired.csr" "$work/rootexpired.pem" server "$now_start" "$long_end"

# ---- name traps, signed by the intermediate like the other leaves -------------------------
leaf wildcards  "/O=inetkit tests/CN=inetkit wildcard test" wildcards "$now_start" "$long_end"
leaf nulsan     "/O=inetkit tests/CN=evil.example"          nulsan    "$now_start" "$long_end"
leaf dnsip      "/O=inetkit tests/CN=127.0.0.1"             dnsip     "$now_start" "$long_end"

# ---- client certificate, signed by the root CA directly --------------------------------
key "$work/client.key"
csr "$work/client.key" "/O=inetkit tests/CN=inetkit-test-client" "$work/client.csr"
sign root "$work/client.csr" "$work/client.pem" client "$now_start" "$long_end"
"$OPENSSL" pkcs8 -topk8 -in "$work/client.key" -out "$work/client-encrypted.key" \
    -v2 aes-256-cbc -passout pass:keypass
"$OPENSSL" pkcs12 -export -in "$work/client.pem" -inkey "$work/client.key" -certfile "$work/ca.pem" \
    -name inetkit-test-client -passout pass:p12pass -out "$work/client.p12"

# ---- self-signed server, unrelated key ------------------------------------------------
key "$work/selfsigned.key"
"$OPENSSL" req -new -x509 -key "$work/selfsigned.key" -subj "/O=inetkit tests/CN=localhost" \
    -days 3650 -sha256 -config "$work/req-ext.cnf" -extensions selfsigned -out "$work/selfsigned.pem"
key "$work/other.key"

# ---- publish -----------------------------------------------------------------------------
for f in ca.pem ca.key intermediate.pem intermediate.key other-ca.pem \
         server.pem server.key expired.pem expired.key notyet.pem notyet.key \
         wronghost.pem wronghost.key ipsan.pem ipsan.key dnsonly.pem dnsonly.key \
         clientonly.pem clientonly.key intermediate2.pem intermediate2.key deep.pem deep.key \
         client.pem client.key client-encrypted.key client.p12 \
         selfsigned.pem selfsigned.key other.key \
         intermediate-expired.pem intermediate-notyet.pem intermediate-notca.pem intermediate-nobc.pem \
         interexpired.pem interexpired.key internotyet.pem internotyet.key \
         internotca.pem internotca.key internobc.pem internobc.key \
         ca-expired.pem rootexpired.pem rootexpired.key \
         wildcards.pem wildcards.key nulsan.pem nulsan.key dnsip.pem dnsip.key; do
    cp "$work/$f" "$out/$f"
done
chmod 600 "$out"/*.key "$out/client.p12"
: >"$out/.complete"
