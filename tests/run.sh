#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every
# test in a plain build (bindings and packaging included), under
# AddressSanitizer + UndefinedBehaviorSanitizer, and under ThreadSanitizer.
set -uo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh || exit 1
jobs=$(nproc)
failed=()
for preset in default asan tsan; do
  echo "==== $preset build"
  if ! { cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset" -j"$jobs" >/dev/null; }; then
    # Show the errors the quiet build hid.
    cmake --build --preset "$preset" -j1 2>&1 | grep -E "error|warning" -A3 | head -40
    failed+=("$preset (build)")
    continue
  fi
  ctest --preset "$preset" -j"$jobs" || failed+=("$preset")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all presets passed: default, asan, tsan"
