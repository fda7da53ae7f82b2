#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest. Extra arguments go to ctest.
#   --sanitize  the asan preset instead (build-asan: Clang, AddressSanitizer + UBSan, no LibTorch or CUDA): the
#               torch-free libraries, `mimo` and their tests, plus the libFuzzer targets, each fuzzing for
#               MIMO_FUZZ_SECONDS (default 60) and replaying its saved crash inputs. Any finding fails the run.
#               Being built with -DMIMO_WITH_TORCH=OFF, it is also CI's test of mimo without the transformer plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
scripts/install-deps.sh
if [ "${1:-}" = "--sanitize" ]; then
  shift
  # Set every time: a longer run asked for once must not stick in the cache.
  cmake --preset asan -DMIMO_FUZZ_SECONDS="${MIMO_FUZZ_SECONDS:-60}"
  cmake --build --preset asan -j "$jobs"
  build_dir=build-asan
  ctest_args=(--preset asan)
else
  scripts/build.sh
  build_dir=${BUILD_DIR:-build}
  ctest_args=(--test-dir "$build_dir" --output-on-failure)
fi
log="$build_dir/ctest-output.txt"
set +e
ctest "${ctest_args[@]}" -j "$jobs" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# ctest lists skipped tests (the GPU cases on a machine without one) after its summary: repeat the summary last.
echo
grep -E "tests passed|tests failed" "$log" | tail -1 || true
exit "$rc"
