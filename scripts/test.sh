#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${BUILD_DIR:-build}
log="$build_dir/ctest-output.txt"
set +e
ctest --test-dir "$build_dir" --output-on-failure -j "${JOBS:-$(nproc)}" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# ctest lists skipped tests (the GPU cases on a machine without one) after its summary: repeat the summary last.
echo
grep -E "tests passed|tests failed" "$log" | tail -1 || true
exit "$rc"
