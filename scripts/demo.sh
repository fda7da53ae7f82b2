#!/usr/bin/env bash
# The main job end to end on a small default: installs what is missing, builds, generates a data set, compares
# classical detectors on BER versus SNR and writes the plot. Everything lands in ${DEMO_DIR:-demo}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mimo=${BUILD_DIR:-build}/apps/mimo
out=${DEMO_DIR:-demo}
mkdir -p "$out"

echo "== a data set: 4x8 16-QAM, Kronecker-correlated channel, SNR grid 0..20 dB"
"$mimo" generate --nt 4 --nr 8 --mod qam16 --channel kronecker --rho-tx 0.5 --rho-rx 0.5 \
  --snr-db 0:5:20 --samples 50000 --seed 1 --out "$out/data.h5"
"$mimo" inspect "$out/data.h5"

echo "== decisions and LLRs of three detectors on that data set (exact max-log LLRs from the soft sphere decoder)"
"$mimo" detect --data "$out/data.h5" --detectors mmse,ep,sphere:soft=1 --out "$out/detections.h5"

models=""
# `train` is always listed; it runs where the transformer plugin was built (LibTorch found), beside mimo.
if [ -f "$(dirname "$mimo")/libmimo_transformer_plugin.so" ]; then
  echo "== the transformer detector: 60 seconds of training on 4x4 QPSK (CPU)"
  "$mimo" train --nt 4 --nr 4 --mod qpsk --channel rayleigh --snr-db 8:20 --time-limit 60 --seed 1 \
    --validate-every 200 --out "$out/transformer.pt"
  models=",transformer:$out/transformer.pt"
fi

echo "== BER versus SNR: 4x4 QPSK over i.i.d. Rayleigh fading"
"$mimo" evaluate --nt 4 --nr 4 --mod qpsk --channel rayleigh --detectors "zf,mmse,sic,kbest:k=8,ep,sphere$models" \
  --snr-db 0:2:20 --min-errors 500 --max-bits 1e7 --seed 1 --out "$out/ber.csv"

echo "== plots"
"$mimo" plot "$out/ber.csv" -o "$out/ber.png" --theory
"$mimo" plot "$out/ber.csv" -o "$out/ber.pdf" --theory
"$mimo" plot "$out/ber.csv" -o "$out/llr.png" --metric llr_info
echo "demo: wrote $out/ber.csv, $out/ber.json, $out/ber.png, $out/ber.pdf, $out/llr.png, $out/detections.h5"
