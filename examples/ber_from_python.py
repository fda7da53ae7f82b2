#!/usr/bin/env python3
"""mimo from Python, notebook style: data, three detectors, your own detector beside them, a BER plot.

  PYTHONPATH=build/python python3 examples/ber_from_python.py            # writes ber_from_python.png
  PYTHONPATH=build/python python3 examples/ber_from_python.py --quick    # a smaller run (the test suite's)
"""
import argparse

import matplotlib

matplotlib.use("Agg")  # files only; remove in a notebook
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import mimo  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--quick", action="store_true", help="fewer samples and bits")
p.add_argument("--out", default="ber_from_python.png")
args = p.parse_args()
samples, max_bits = (20_000, 2e5) if args.quick else (200_000, 2e6)

# %% 1. Data: 4x8 QAM16 over a correlated (Kronecker) channel, SNR 0..16 dB cycled over the samples.
MOD = "qam16"
data = mimo.generate(4, 8, MOD, "kronecker", snr_db="0:4:16", samples=samples, seed=1, rho_tx=0.5, rho_rx=0.3)
S = mimo.schema  # the data set's names: never spell them out
print({name: array.shape for name, array in data.items()})

# %% 2. Three built-in detectors on the whole batch (their worker threads run without the GIL).
m = mimo.bits_per_symbol(MOD)
labels = (np.arange(2 ** m)[:, None] >> np.arange(m - 1, -1, -1)) & 1  # symbol index -> its bits, b(0) first


def ber_by_snr(symbols):
    bits = labels[symbols].reshape(len(symbols), -1)  # [n, nt*m], the order of data["bits"]
    wrong = np.mean(bits != data[S.bits], axis=1)
    snrs = np.unique(data[S.snr_db])
    return snrs, np.array([wrong[data[S.snr_db] == s].mean() for s in snrs])


curves = {}
for spec in ("mmse", "ep", "kbest:k=16"):
    symbols, llr = mimo.Detector(spec, MOD).detect(data[S.y], data[S.H], data[S.noise_var])
    curves[spec] = ber_by_snr(symbols)
    print(spec, curves[spec][1])


# %% 3. Your own detector beside them, on the BER engine's realizations: any f(y, H, noise_var) -> symbols.
def zf_numpy(y, H, noise_var):
    """Zero forcing in numpy: least squares per channel use, sliced to the nearest point by mimo."""
    return np.linalg.solve(np.conj(np.swapaxes(H, 1, 2)) @ H, (np.conj(np.swapaxes(H, 1, 2)) @ y[..., None]))[..., 0]


rows = mimo.evaluate(4, 8, MOD, ["mmse", "ep", zf_numpy], channel="kronecker", rho_tx=0.5, rho_rx=0.3,
                     snr_db="0:4:16", min_errors=500, max_bits=max_bits, seed=2)
for r in rows:
    print(f"{r['detector']:>10} {r['snr_db']:5.1f} dB  BER {r['ber']:.3e}  [{r['ber_lo']:.2e}, {r['ber_hi']:.2e}]")

# %% 4. The plot.
fig, ax = plt.subplots(figsize=(5, 3.6))
for spec, (snr, ber) in curves.items():
    ax.semilogy(snr, ber, "o-", label=f"{spec} (detect)")
mine = [r for r in rows if r["detector"] == "zf_numpy"]
ax.semilogy([r["snr_db"] for r in mine], [r["ber"] for r in mine], "k--", label="zf_numpy (evaluate)")
ax.set_xlabel("receive SNR (dB)")
ax.set_ylabel("BER")
ax.set_title("4x8 QAM16, Kronecker (0.5, 0.3)")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(args.out, dpi=150)
print("wrote", args.out)
