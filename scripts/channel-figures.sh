#!/usr/bin/env bash
# The figures of README.md's "Channel models" section: BER of MMSE, EP, K-best and the sphere decoder on 3GPP
# CDL-A and CDL-D (uplink, one user per stream) beside i.i.d. Rayleigh, at 8x8 and 16x64 QAM16, and a transformer
# trained on CDL-A 8x8 for TRAIN_MINUTES. Usage: scripts/channel-figures.sh [outdir] (default figures-channels).
# Needs a built mimo (build/apps/mimo, or MIMO=...). Each point stops at 100 bit errors of every detector, or at
# 1e6 bits (8x8) / 5e5 bits (16x64). The 16x64 grid starts at 0 dB: below it the sphere decoder's tree search at
# 16 QAM16 streams grows beyond minutes per point (10 ms per channel use at 0 dB already, 2 threads).
set -euo pipefail
cd "$(dirname "$0")/.."
MIMO=${MIMO:-build/apps/mimo}
OUT=${1:-figures-channels}
TRAIN_MINUTES=${TRAIN_MINUTES:-6}
mkdir -p "$OUT"
stop="--min-errors 100 --seed 11"

for ch in rayleigh "cdl --cdl-model A" "cdl --cdl-model D"; do
  tag=$(echo "$ch" | sed 's/cdl --cdl-model /cdl-/')
  "$MIMO" evaluate --nt 8 --nr 8 --mod qam16 --channel $ch --snr-db 10:4:30 \
    --detectors mmse,ep,kbest:k=16,sphere $stop --max-bits 1000000 --out "$OUT/8x8-$tag.csv"
  "$MIMO" evaluate --nt 16 --nr 64 --mod qam16 --channel $ch --snr-db 0:3:15 \
    --detectors mmse,ep,kbest:k=16,sphere $stop --max-bits 500000 --out "$OUT/16x64-$tag.csv"
done

# A transformer trained on CDL-A 8x8 for a few minutes of this machine, evaluated on the same realizations.
if "$MIMO" train --help >/dev/null 2>&1; then
  "$MIMO" train --nt 8 --nr 8 --mod qam16 --channel cdl --cdl-model A --snr-range 10:30 \
    --time-limit $((TRAIN_MINUTES * 60)) --out "$OUT/tf-8x8-cdl-A.pt"
  "$MIMO" evaluate --nt 8 --nr 8 --mod qam16 --channel cdl --cdl-model A --snr-db 10:4:30 \
    --detectors "transformer:$OUT/tf-8x8-cdl-A.pt" $stop --max-bits 1000000 --out "$OUT/8x8-cdl-A-transformer.csv"
fi

# One figure per size and channel (the CSV's channel column names the model, not the CDL letter).
for f in "$OUT"/8x8-*.csv "$OUT"/16x64-*.csv; do
  name=$(basename "$f" .csv)
  case $name in *-transformer) continue ;; esac
  extra=""
  [ -f "$OUT/$name-transformer.csv" ] && extra="$OUT/$name-transformer.csv"
  "$MIMO" plot "$f" $extra -o "$OUT/$name.png" --title "$name QAM16"
  echo "== $name"; "$MIMO" plot "$f" $extra --snr-at 1e-3 || true
done
