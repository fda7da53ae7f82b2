#!/usr/bin/env bash
# The coded BLER table of README.md ("Coded link level"): MMSE, EP, K-best (16) and the soft-output sphere decoder
# behind the 5G NR LDPC code (k = 1024, rate 1/2: n = 2048; rate 3/4: n = 1368), 4x4 QPSK and 8x8 QAM16, i.i.d.
# Rayleigh (a new channel every use) and block fading (--uses-per-realization 32). Prints the receive SNR at BLER
# 1e-2 per curve (each point: 30 block errors of every detector, or 3e6 channel bits). Usage: scripts/coded-figures.sh [outdir] (default figures-coded). Needs a built mimo.
# DETECTORS_4X4 / DETECTORS_8X8 replace the detector lists of the 4x4 QPSK / 8x8 QAM16 runs ("-": skip those runs),
# e.g. the transformer rows: DETECTORS_4X4=transformer:q4c.pt DETECTORS_8X8=transformer:q8c.pt (every point's
# realizations follow from the seed and the SNR alone, so they are the classical rows' channel uses).
set -euo pipefail
cd "$(dirname "$0")/.."
MIMO=${MIMO:-build/apps/mimo}
OUT=${1:-figures-coded}
mkdir -p "$OUT"
classic=mmse,ep,kbest:k=16,sphere:soft=1
dets4=${DETECTORS_4X4:-$classic}
dets8=${DETECTORS_8X8:-$classic}
stop="--min-block-errors 30 --max-bits 3000000 --seed 5"

run() {  # name nt nr mod snr-grid n fading
  local name=$1 nt=$2 nr=$3 mod=$4 grid=$5 n=$6 u=$7
  local dets=$dets4
  [ "$nt" = 8 ] && dets=$dets8
  [ "$dets" = - ] && return 0
  "$MIMO" evaluate --nt "$nt" --nr "$nr" --mod "$mod" --channel rayleigh --uses-per-realization "$u" \
    --snr-db "$grid" --detectors $dets --code "ldpc:k=1024,n=$n" $stop --out "$OUT/$name.csv" > /dev/null
  echo "== $name"; "$MIMO" plot "$OUT/$name.csv" --metric bler --snr-at 1e-2 || true
}

run 4x4-qpsk-r12-iid 4 4 qpsk 3:0.5:6 2048 1
run 8x8-qam16-r12-iid 8 8 qam16 11:1:17 2048 1
run 4x4-qpsk-r34-iid 4 4 qpsk 6:1:11 1368 1
run 8x8-qam16-r34-iid 8 8 qam16 14:1:21 1368 1
run 4x4-qpsk-r12-block32 4 4 qpsk 4:2:16 2048 32
run 8x8-qam16-r12-block32 8 8 qam16 12:2:24 2048 32
[ "$dets8" = - ] || "$MIMO" plot "$OUT/8x8-qam16-r12-iid.csv" --metric bler -o "$OUT/8x8-qam16-r12-iid.png"
