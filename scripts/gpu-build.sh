#!/usr/bin/env bash
# Builds and measures mimo on the GPU machine (no network; no Armadillo, CLI11 or Highway packages; a CUDA LibTorch
# in /opt/torch/.venv). Its time is short, so the work runs in stages, each under its own time limit, each logging
# into $OUT (the device tool brings that folder back; $BUILD_DIR/gpu-results without it) as it goes, so a stage
# cut short still leaves its log:
#   1 configure + build (then checks that the CUDA kernels are compiled in and LibTorch is the CUDA build)   300 s
#   2 the GPU tests only (AttentionKernels*, AttentionCoreCuda*: fails if any is skipped, e.g. no device)     120 s
#   3 the attention benchmark at the anchor shapes (B x H = 131072, d = 32, L = 8..128, every SDPA backend)   150 s
#   4 training and inference throughput (whole training steps fused vs reference; mimo train and GPU inference) 300 s
# Stages 1-3 (the default) fit one device call of 600 s; run stage 4 as the next call at once (the machine is
# released after 30 s idle, and a fresh one has no build).
#
#   scripts/gpu-build.sh --prepare    here, where apt works: copies Armadillo, CLI11 and Highway into .gpu/ (ignored
#                                     by git); carry `.gpu` to the GPU machine
#   scripts/gpu-build.sh              there: stages 1-3 in order, stopping at the first that fails
#   scripts/gpu-build.sh --stage 4    one stage, on the existing build
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "gpu-build: error: $*" >&2
  exit 1
}

prepare() {
  mkdir -p .gpu/include
  cp -r /usr/include/armadillo /usr/include/armadillo_bits .gpu/include/
  # CLI11: its headers and its CMake package, whose config finds the headers relative to itself (relocatable).
  [ -d /usr/include/CLI ] && [ -d /usr/share/cmake/CLI11 ] || fail "CLI11 is not installed here (libcli11-dev)"
  mkdir -p .gpu/cli11/include .gpu/cli11/share/cmake
  cp -r /usr/include/CLI .gpu/cli11/include/
  cp -r /usr/share/cmake/CLI11 .gpu/cli11/share/cmake/
  # Google Highway: its headers, library and (relocatable) CMake package.
  hwy_lib=$(dirname "$(readlink -f /usr/lib/*/libhwy.so)")
  hwy_dest=.gpu/hwy/lib/$(basename "$hwy_lib")
  mkdir -p .gpu/hwy/include "$hwy_dest/cmake"
  cp -r /usr/include/hwy .gpu/hwy/include/
  cp -a "$hwy_lib"/libhwy*.so* "$hwy_dest/"
  cp -r "$hwy_lib/cmake/hwy" "$hwy_dest/cmake/"
  echo "gpu-build: Armadillo, CLI11 and Highway copied to .gpu ($(du -sh .gpu | cut -f1)); carry .gpu"
}

if [ "${1:-}" = "--prepare" ]; then
  prepare
  exit 0
fi
only=""
if [ "${1:-}" = "--stage" ]; then
  only=${2:-}
  [[ "$only" =~ ^[1-4]$ ]] || fail "--stage takes 1, 2, 3 or 4"
fi

BUILD_DIR=${BUILD_DIR:-build-gpu}
results=${OUT:-$BUILD_DIR/gpu-results}
mkdir -p "$results"
jobs=$(nproc)

# Runs stage $1 ("name", limit in seconds, function) with its output in $results/stage<N>-<name>.log.
run_stage() {
  local number=$1 name=$2 limit=$3 body=$4
  if [ -z "$only" ]; then
    [ "$number" -le 3 ] || return 0
  else
    [ "$only" = "$number" ] || return 0
  fi
  local log="$results/stage$number-$name.log"
  echo "gpu-build: stage $number ($name, at most ${limit}s) -> $log"
  set +e
  timeout --kill-after=10 "$limit" bash -c "$body" > "$log" 2>&1
  local rc=$?
  set -e
  tail -3 "$log"
  { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && fail "stage $number ($name) ran past ${limit}s (log: $log)"
  [ "$rc" = 0 ] || fail "stage $number ($name) failed with exit $rc (log: $log)"
}

export BUILD_DIR jobs results
export TORCH_PREFIX=${TORCH_PREFIX:-}
if [ -z "$TORCH_PREFIX" ] && [ -z "$only" -o "$only" = 1 ]; then
  [ -x /opt/torch/.venv/bin/python3 ] || fail "no /opt/torch/.venv (set TORCH_PREFIX to a CUDA LibTorch's CMake prefix)"
  TORCH_PREFIX=$(/opt/torch/.venv/bin/python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
fi

# Stage 1: configure, check what was found, build.
run_stage 1 build 300 '
  set -euo pipefail
  [ -d .gpu/include/armadillo_bits ] && [ -d .gpu/cli11/share/cmake/CLI11 ] && [ -d .gpu/hwy/include ] ||
    { echo "gpu-build: error: .gpu is incomplete (run scripts/gpu-build.sh --prepare where apt works)"; exit 1; }
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PWD/.gpu/cli11;$TORCH_PREFIX" \
    -DARMADILLO_INCLUDE_DIR="$PWD/.gpu/include" -Dhwy_DIR="$(echo "$PWD"/.gpu/hwy/lib/*/cmake/hwy)" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DMIMO_WITH_PYTHON=OFF
  cache="$BUILD_DIR/CMakeCache.txt"
  # A suite whose GPU cases are compiled out would pass quietly: refuse it.
  grep -q "^MIMO_CUDA_KERNELS_BUILT:INTERNAL=ON" "$cache" ||
    { echo "gpu-build: error: the CUDA kernels are not compiled in (nvcc not found by CMake)"; exit 1; }
  grep -q "^MIMO_TORCH_CUDA_BUILT:INTERNAL=ON" "$cache" ||
    { echo "gpu-build: error: the transformer is not built against a CUDA LibTorch (none, or a CPU one, under $TORCH_PREFIX)"; exit 1; }
  cmake --build "$BUILD_DIR" -j "$jobs"
'

# Stage 2: the GPU tests (attention kernels and core, the transformer library, the training and CLI cases).
run_stage 2 gpu-tests 120 '
  set -euo pipefail
  nvidia-smi -L
  ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$jobs" -R "AttentionKernels|AttentionCoreCuda" |
    tee "$results/ctest-gpu.txt"
  # A GPU case that skipped did not run: on this machine that is a failure (no device visible, or a stale build).
  # The one case meant to skip here is the check of the no-device error.
  if grep "Skipped" "$results/ctest-gpu.txt" | grep -qv WithoutADevice; then
    echo "gpu-build: error: GPU tests skipped"; exit 1
  fi
'

# Stage 3: the attention core beside every SDPA backend and the memory floor, at the anchor shapes (d = 32).
run_stage 3 attention-bench 150 '
  "$BUILD_DIR/bench/bench_attention" --benchmark_filter="^cuda/.*/d:32" --benchmark_out="$results/bench_attention.json" \
    --benchmark_out_format=json
'

# Stage 4: whole training steps fused vs reference (bench_transformer), then `mimo train --device cuda` with each
# core and GPU inference (one pass and beam=8) at 8x8 QAM16, the README's CPU figures' configuration.
run_stage 4 throughput 300 '
  set -euo pipefail
  "$BUILD_DIR/bench/bench_transformer" --benchmark_filter="cuda:1" --benchmark_out="$results/bench_transformer.json" \
    --benchmark_out_format=json
  mimo="$BUILD_DIR/apps/mimo"
  for core in fused reference; do
    "$mimo" train --nt 8 --nr 8 --mod qam16 --snr-db 14:26 --device cuda --attention "$core" --batch 4096 \
      --steps 300 --layers 6 --seed 1 --subproblems --validate-every 100000 --out "$results/train-$core.pt"
  done
  for beam in 0 8; do  # 0: one pass
    "$mimo" evaluate --nt 8 --nr 8 --mod qam16 --snr-db 18 --min-errors 1000000000 --max-bits 20000000 --seed 5 \
      --detectors "transformer:$results/train-fused.pt,beam=$beam,device=cuda" --out "$results/infer-beam$beam.csv"
  done
'
echo "gpu-build: done; logs in $results"
