#!/usr/bin/env bash
# Builds mimo on the GPU machine (no network, no Armadillo package, CUDA LibTorch in /opt/torch/.venv) and runs
# the tests. Prepare on a networked machine first:  scripts/gpu-build.sh --prepare   (copies Armadillo's headers
# into .gpu/include, which git ignores), then carry `.gpu` to the GPU machine and run scripts/gpu-build.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .gpu/include
  cp -r /usr/include/armadillo /usr/include/armadillo_bits .gpu/include/
  echo "gpu-build: Armadillo headers copied to .gpu/include ($(du -sh .gpu | cut -f1)); carry .gpu"
  exit 0
fi
[ -d .gpu/include/armadillo_bits ] || { echo "gpu-build: error: .gpu/include missing (run --prepare where apt works)" >&2; exit 1; }
torch_prefix=$(/opt/torch/.venv/bin/python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
BUILD_DIR=${BUILD_DIR:-build-gpu}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix" \
  -DARMADILLO_INCLUDE_DIR="$PWD/.gpu/include" -DCMAKE_CUDA_ARCHITECTURES=90
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
# The attention kernels' timings, once bench/bench_attention.cpp is built (needs Google Benchmark).
if [ -x "$BUILD_DIR/bench/bench_attention" ]; then
  "$BUILD_DIR/bench/bench_attention"
fi
