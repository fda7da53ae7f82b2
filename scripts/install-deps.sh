#!/usr/bin/env bash
# Installs the Debian packages mimo builds against. Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libarmadillo-dev libopenblas-dev liblapack-dev
  libhdf5-dev zlib1g-dev
  libtorch-dev
  libgtest-dev libbenchmark-dev
  libcli11-dev
  libhwy-dev                  # Google Highway: the SIMD kernels
  libopenmpi-dev openmpi-bin  # mpirun -n P mimo evaluate|generate|detect|train (optional at build time)
  libgloo-dev                 # c10d's Gloo backend: mimo train across processes on CPU
  hdf5-tools                  # h5repack, h5dump: self-contained copies of sharded sets (tested)
  clang libclang-rt-14-dev    # scripts/test.sh --sanitize: Clang with ASan, UBSan and libFuzzer
  python3 python3-matplotlib python3-h5py python3-numpy
  pybind11-dev python3-dev python3-pytest   # the Python module (python/) and its tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
