#!/bin/bash
# Strong scaling of one long `mimo evaluate` point under mpirun (README.md, "On a cluster"): wall time at 1 and
# 2 processes (one thread each), the speed-up, and, as the machine's own ceiling, two independent one-process
# runs side by side against one alone. Run on an otherwise idle machine:
#   bench/strong_scaling.sh [build/apps/mimo] [max-bits]
set -euo pipefail
mimo=$(realpath "${1:-build/apps/mimo}")
bits=${2:-8e7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
flags=(evaluate --nt 8 --nr 8 --mod qam16 --detectors sphere --snr-db 24 --max-bits "$bits" --min-errors 1000000000000
       --threads 1 --seed 1)
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)

seconds() {  # wall seconds of a command
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>err.txt || { echo "strong_scaling: failed: $* ($(tail -n 1 err.txt))" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

one=$(seconds "${mpirun[@]}" -n 1 "$mimo" "${flags[@]}" --out p1.csv)
two=$(seconds "${mpirun[@]}" -n 2 "$mimo" "${flags[@]}" --out p2.csv)
alone=$(seconds "$mimo" "${flags[@]}" --out a.csv)
t0=$(date +%s.%N)
"$mimo" "${flags[@]}" --out b.csv >/dev/null &
"$mimo" "${flags[@]}" --out c.csv >/dev/null
wait $!
pair=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
cut -d, -f1-16 p1.csv > p1.counts; cut -d, -f1-16 p2.csv > p2.counts
cmp -s p1.counts p2.counts && same=identical || same=DIFFERENT
printf 'sphere 8x8 qam16 24 dB, %s bits, one thread per process\n' "$bits"
printf '1 process: %.2f s   2 processes: %.2f s   speed-up %.2fx   (counts %s)\n' "$one" "$two" \
  "$(awk -v a="$one" -v b="$two" 'BEGIN { print a / b }')" "$same"
printf 'machine ceiling: one run alone %.2f s, two side by side %.2f s: %.2fx\n' "$alone" "$pair" \
  "$(awk -v a="$alone" -v b="$pair" 'BEGIN { print 2 * a / b }')"
grep -A3 '"communication"' p2.json | tr -d '\n ' | sed 's/^/process 0 of 2: /'; echo
