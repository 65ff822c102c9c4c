#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing inetkit need,
# only when some are missing.
set -euo pipefail
packages=(
  cmake g++ make pkg-config binutils openssl
  libssl-dev libc-ares-dev libidn2-dev libcmocka-dev
  python3 python3-pytest python3-setuptools python3-pip
  mono-mcs mono-runtime libmono-system-core4.0-cil
  dovecot-core dovecot-pop3d
  knot knot-dnsutils unbound clang libclang-rt-14-dev
  doxygen
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
