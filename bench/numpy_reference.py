#!/usr/bin/env python3
"""A batched numpy reference of `mimo evaluate --detectors mmse`, for the whole-command comparison in README.md.

The same simulation as mimo's, written the way a numpy user would batch it: i.i.d. Rayleigh H, 38.211 Gray QAM,
noise at the receive SNR (per antenna, Nt Es / N0), LMMSE through numpy's batched linalg.solve (the estimate and
the diagonal of (G + N0 I)^-1 from one solve with the identity appended), unbiased per-stream estimates,
max-log LLRs per PAM dimension, hard decisions, bit errors and the LLR information (1 - E log2(1 + e^-x)).
One thread (BLAS threads pinned to 1 before numpy loads).

  python3 bench/numpy_reference.py --mimo build/apps/mimo      # times both, prints the ratio
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
import numpy as np  # noqa: E402


def pam(bits_per_dim):
    """Gray PAM levels by label, 38.211's nested form, unit average energy for the complex QAM."""
    L = 1 << bits_per_dim
    levels = np.zeros(L)
    for label in range(L):
        c = [(label >> (bits_per_dim - 1 - j)) & 1 for j in range(bits_per_dim)]  # first bit in the MSB
        a = 1.0 - 2.0 * c[-1]
        for j in range(bits_per_dim - 2, -1, -1):  # e.g. 16QAM: (1 - 2 c0) (2 - (1 - 2 c1))
            a = (1.0 - 2.0 * c[j]) * ((1 << (bits_per_dim - 1 - j)) - a)
        levels[label] = a
    return levels / np.sqrt(2.0 * (L * L - 1) / 3.0)


def lmmse_llr(H, y, n0, levels, label_bits, eye):
    """Batched LMMSE max-log LLRs [n, nt, m] (PAM dimensions interleaved as b(0) re, b(1) im, ...): one solve of
    (H^H H + N0 I) [z | D] = [H^H y | I] gives the estimate and the diagonal of the inverse; unbiased per stream."""
    bits_per_dim = label_bits.shape[1]
    n, _, nt = H.shape
    Hh = np.conj(np.swapaxes(H, 1, 2))
    A = Hh @ H + n0 * eye
    rhs = np.concatenate([(Hh @ y[..., None]), eye], axis=2)  # [z | I]
    sol = np.linalg.solve(A, rhs)
    z = sol[..., 0]
    dinv = np.real(np.diagonal(sol[..., 1:], axis1=1, axis2=2))
    mu = np.clip(1 - n0 * dinv, 1e-12, 1)
    est = z / mu
    var = np.maximum((1 - mu) / mu, 1e-300)
    llr = np.empty((n, nt, 2 * bits_per_dim))
    for dim, v in ((0, est.real), (1, est.imag)):
        d2 = (v[..., None] - levels[None, None, :]) ** 2  # [n, nt, L]
        for j in range(bits_per_dim):
            one = label_bits[:, j] == 1
            llr[..., dim + 2 * j] = (d2[..., one].min(-1) - d2[..., ~one].min(-1)) / var
    return np.clip(llr, -1e4, 1e4)


def simulate(nt, nr, bits_per_dim, snr_db, uses, batch, rng):
    levels = pam(bits_per_dim)
    L = len(levels)
    m = 2 * bits_per_dim
    label_bits = (np.arange(L)[:, None] >> (bits_per_dim - 1 - np.arange(bits_per_dim))[None, :]) & 1  # [L, bpd]
    n0 = nt / 10 ** (snr_db / 10)
    errors = 0
    loss = 0.0
    done = 0
    eye = np.broadcast_to(np.eye(nt, dtype=np.complex128), (batch, nt, nt))
    while done < uses:
        n = min(batch, uses - done)
        bits = rng.integers(0, 2, size=(n, nt, m), dtype=np.int8)
        weights = 1 << np.arange(bits_per_dim - 1, -1, -1)
        re_label = bits[..., 0::2] @ weights
        im_label = bits[..., 1::2] @ weights
        x = levels[re_label] + 1j * levels[im_label]
        H = (rng.standard_normal((n, nr, nt)) + 1j * rng.standard_normal((n, nr, nt))) / np.sqrt(2)
        noise = (rng.standard_normal((n, nr)) + 1j * rng.standard_normal((n, nr))) * np.sqrt(n0 / 2)
        y = np.einsum("nrt,nt->nr", H, x) + noise
        llr = lmmse_llr(H, y, n0, levels, label_bits, eye[:n])
        hard = (llr < 0).astype(np.int8)
        errors += int(np.count_nonzero(hard != bits))
        xs = np.where(bits == 1, -llr, llr)
        loss += float(np.sum(np.maximum(-xs, 0) + np.log1p(np.exp(-np.abs(xs)))))
        done += n
    total_bits = uses * nt * m
    return errors / total_bits, 1 - loss / (total_bits * np.log(2))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nt", type=int, default=8)
    p.add_argument("--nr", type=int, default=8)
    p.add_argument("--bits-per-dim", type=int, default=2, help="2 = QAM16")
    p.add_argument("--snr-db", type=float, default=10)
    p.add_argument("--uses", type=int, default=200000, help="channel uses (200000 at 8x8 QAM16 = 6.4 M bits)")
    p.add_argument("--batch", type=int, default=16384)
    p.add_argument("--mimo", help="the mimo executable: also times `mimo evaluate` on the same simulation")
    a = p.parse_args()
    t0 = time.perf_counter()
    ber, info = simulate(a.nt, a.nr, a.bits_per_dim, a.snr_db, a.uses, a.batch, np.random.default_rng(1))
    numpy_s = time.perf_counter() - t0
    print(f"numpy:  {numpy_s:.3f} s  BER {ber:.4e}  llr_info {info:.4f}  ({a.uses} channel uses, one thread)")
    if not a.mimo:
        return
    mod = {1: "qpsk", 2: "qam16", 3: "qam64", 4: "qam256"}[a.bits_per_dim]
    bits = a.uses * a.nt * 2 * a.bits_per_dim
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.mimo, "evaluate", "--nt", str(a.nt), "--nr", str(a.nr), "--mod", mod, "--snr-db", str(a.snr_db),
               "-d", "mmse", "--min-errors", str(bits), "--max-bits", str(bits), "--threads", "1",
               "-o", os.path.join(tmp, "r.csv")]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        mimo_s = time.perf_counter() - t0
        row = open(os.path.join(tmp, "r.csv")).read().splitlines()[1].split(",")
    print(f"mimo:   {mimo_s:.3f} s  BER {float(row[10]):.4e}  llr_info {float(row[-1]):.4f}  (whole command)")
    print(f"ratio:  {numpy_s / mimo_s:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
