#!/usr/bin/env bash
# Builds mimo on the GPU machine (no network, no Armadillo package, CUDA LibTorch in /opt/torch/.venv), runs the
# tests, then the CUDA benchmarks (attention core vs SDPA backends, training steps fused vs reference). Prepare on a networked machine first:  scripts/gpu-build.sh --prepare   (copies Armadillo's headers
# into .gpu/include, which git ignores), then carry `.gpu` to the GPU machine and run scripts/gpu-build.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .gpu/include
  cp -r /usr/include/armadillo /usr/include/armadillo_bits .gpu/include/
  # Google Highway is not on the GPU machine either: its headers, library and (relocatable) CMake package.
  hwy_lib=$(dirname "$(readlink -f /usr/lib/*/libhwy.so)")
  hwy_dest=.gpu/hwy/lib/$(basename "$hwy_lib")
  mkdir -p .gpu/hwy/include "$hwy_dest/cmake"
  cp -r /usr/include/hwy .gpu/hwy/include/
  cp -a "$hwy_lib"/libhwy*.so* "$hwy_dest/"
  cp -r "$hwy_lib/cmake/hwy" "$hwy_dest/cmake/"
  echo "gpu-build: Armadillo and Highway copied to .gpu ($(du -sh .gpu | cut -f1)); carry .gpu"
  exit 0
fi
[ -d .gpu/include/armadillo_bits ] || { echo "gpu-build: error: .gpu/include missing (run --prepare where apt works)" >&2; exit 1; }
torch_prefix=$(/opt/torch/.venv/bin/python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
BUILD_DIR=${BUILD_DIR:-build-gpu}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix" \
  -DARMADILLO_INCLUDE_DIR="$PWD/.gpu/include" -Dhwy_DIR="$(echo "$PWD"/.gpu/hwy/lib/*/cmake/hwy)" \
  -DCMAKE_CUDA_ARCHITECTURES=90
cmake --build "$BUILD_DIR" -j "$(nproc)"
# Results also go to $OUT when it is set (the device tool brings that folder back).
results=${OUT:-$BUILD_DIR/gpu-results}
mkdir -p "$results"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" 2>&1 | tee "$results/ctest.txt"
tests_rc=${PIPESTATUS[0]}
set -e
# Timings: the attention core beside every SDPA backend with the memory floor, then whole training steps with
# the fused and the reference core (the end-to-end ratio for README.md). Filters keep the CPU rows out.
"$BUILD_DIR/bench/bench_attention" --benchmark_filter='^cuda' | tee "$results/bench_attention.txt"
"$BUILD_DIR/bench/bench_transformer" --benchmark_filter='cuda:1' | tee "$results/bench_transformer.txt"
grep -E "tests passed|tests failed" "$results/ctest.txt" | tail -1
exit "$tests_rc"
