#!/usr/bin/env python3
"""Throughput of mimo.Detector("mmse").detect from numpy beside the C++ benchmark and the same LMMSE in numpy.

8x8 QAM16, i.i.d. Rayleigh, 20 dB, one thread each (BLAS threads pinned to 1 before numpy loads). Prints the
README's table (channel uses per second, best of --repeats):
  - Python, 2^20 channel uses from numpy arrays (the issue's "1 M channel uses"), and 4096 uses (in the caches);
  - C++ (bench_detectors): BM_DetectStream (2^20 uses in memory) and BM_Detect (4096 uses in the caches);
  - numpy: the batched LMMSE of bench/numpy_reference.py (estimate, unbiasing, max-log LLRs) on 2^16 uses.

  PYTHONPATH=build/python python3 bench/python_throughput.py --bench build/bench/bench_detectors
"""
import argparse
import json
import os
import subprocess
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
import numpy as np  # noqa: E402

import mimo  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_reference import lmmse_llr, pam  # noqa: E402


def best_rate(call, uses, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return uses / best


def cpp_rates(bench):
    done = subprocess.run([bench, "--benchmark_filter=BM_DetectStream|BM_Detect/detector:2/n:8/snr:20",
                           "--benchmark_format=json"], check=True, capture_output=True, text=True)
    rates = {}
    for b in json.loads(done.stdout)["benchmarks"]:
        rates["stream" if b["name"].startswith("BM_DetectStream") else "cached"] = b["items_per_second"]
    return rates


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", help="bench_detectors, for the C++ figures")
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    uses = 1 << 20
    d = mimo.generate(8, 8, "qam16", snr_db=20, samples=uses, seed=1)
    y, H, n0 = d[mimo.schema.y], d[mimo.schema.H], d[mimo.schema.noise_var]
    det = mimo.Detector("mmse", "qam16")
    py_stream = best_rate(lambda: det.detect(y, H, n0, threads=1), uses, a.repeats)
    small = slice(0, 4096)
    py_cached = best_rate(lambda: det.detect(y[small], H[small], n0[small], threads=1), 4096, 20 * a.repeats)
    py_all = best_rate(lambda: det.detect(y, H, n0, threads=0), uses, a.repeats)

    levels = pam(2)
    label_bits = (np.arange(4)[:, None] >> (1 - np.arange(2))[None, :]) & 1
    k = 1 << 16
    Hk, yk = H[:k].astype(np.complex128), y[:k].astype(np.complex128)
    eye = np.broadcast_to(np.eye(8, dtype=np.complex128), (k, 8, 8))
    numpy_rate = best_rate(lambda: lmmse_llr(Hk, yk, float(n0[0]), levels, label_bits, eye), k, a.repeats)

    print("| MMSE, 8x8 QAM16, 20 dB, one thread | channel uses/s |")
    print("|---|---|")
    print(f"| Python `Detector(\"mmse\").detect`, 2^20 uses from numpy | {py_stream / 1e6:.2f} M |")
    print(f"| Python, 4096 uses (in the caches) | {py_cached / 1e6:.2f} M |")
    if a.bench:
        cpp = cpp_rates(a.bench)
        print(f"| C++ `BM_DetectStream`, 2^20 uses in memory | {cpp['stream'] / 1e6:.2f} M |")
        print(f"| C++ `BM_Detect`, 4096 uses (in the caches) | {cpp['cached'] / 1e6:.2f} M |")
    print(f"| numpy batched LMMSE (bench/numpy_reference.py), 2^16 uses | {numpy_rate / 1e6:.3f} M |")
    print(f"\nPython / numpy: {py_stream / numpy_rate:.1f}x", end="")
    if a.bench:
        print(f"; Python / C++ at 2^20 uses: {py_stream / cpp['stream']:.2f}; "
              f"Python / C++ in the caches: {py_cached / cpp['cached']:.2f}", end="")
    print(f"\nPython, all {os.cpu_count()} cores (threads=0), 2^20 uses: {py_all / 1e6:.2f} M channel uses/s")


if __name__ == "__main__":
    sys.exit(main())
