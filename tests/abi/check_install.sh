#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs a consumer
# with find_package(inetkit) and another with pkg-config.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cmake -S "$source/tests/abi/consumer" -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_FLAGS="${CONSUMER_FLAGS:-}" -DCMAKE_EXE_LINKER_FLAGS="${CONSUMER_FLAGS:-}" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
"$prefix/consumer/consumer"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cc ${CONSUMER_FLAGS:-} $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags inetkit) \
    "$source/tests/abi/consumer/main.c" -o "$prefix/pkgconfig-consumer" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --libs inetkit)
"$prefix/pkgconfig-consumer"
echo "find_package and pkg-config consumers built and ran"
