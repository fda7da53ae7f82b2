#!/usr/bin/env python3
"""Tests for scripts/normal_approximation.py, and the AWGN check of `mimo evaluate --code` against it.

Run from the repository root with Debian's interpreter (it has numpy):
    /usr/bin/python3 -m unittest tests/scripts/test_normal_approximation.py
    MIMO_CLI=build/apps/mimo /usr/bin/python3 tests/scripts/test_normal_approximation.py

The mimo tests run the binary named by MIMO_CLI (ctest sets it), else build/apps/mimo; without either they are
skipped. They use a fixed seed, so their counts are the same on every run and thread count; the statistical
margins are there so that a change of the generator or the decoder that keeps the same performance still passes.
"""

import csv
import math
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "normal_approximation.py"
sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
sys.path.insert(0, str(SCRIPT.parent))
import normal_approximation as na  # noqa: E402

K, N = 1024, 2048  # the issue's code: k = 1024, rate 1/2
TARGET = 1e-2


def reference_capacity_dispersion(esn0_db):
    """C and V written the other common way: SNR = P / sigma^2 = 2 Es/N0 and i = 1 - log2(1 + exp(-2 SNR -
    2 sqrt(SNR) z)), z ~ N(0, 1), integrated on a grid 10 times finer than the script's, over +-14 deviations."""
    snr = 2.0 * 10.0 ** (esn0_db / 10.0)
    z = np.linspace(-14.0, 14.0, 280001)
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
    i = 1.0 - np.log2(1.0 + np.exp(-2.0 * snr - 2.0 * math.sqrt(snr) * z))
    c = np.trapz(pdf * i, z)
    return c, np.trapz(pdf * (i - c) ** 2, z)


class QFunctionTest(unittest.TestCase):
    def test_known_quantiles(self):
        self.assertAlmostEqual(na.q_inverse(0.5), 0.0, places=12)
        self.assertAlmostEqual(na.q_inverse(0.025), 1.959963984540054, places=12)
        self.assertAlmostEqual(na.q_inverse(1e-2), 2.326347874040841, places=12)
        self.assertAlmostEqual(na.q_inverse(1e-4), 3.719016485455709, places=11)

    def test_round_trip(self):
        for eps in (0.9, 0.3, 1e-3, 1e-9, 1e-30):
            self.assertAlmostEqual(na.q_function(na.q_inverse(eps)) / eps, 1.0, places=10)

    def test_rejects_out_of_range(self):
        for eps in (0.0, 1.0, -0.1, 2.0):
            with self.assertRaises(na.ApproximationError):
                na.q_inverse(eps)


class CapacityDispersionTest(unittest.TestCase):
    def test_against_independent_integration(self):
        for esn0 in (-10.0, -3.0103, -2.3, 0.0, 3.0, 7.0, 12.0):
            c, v = na.capacity_dispersion(esn0)
            c_ref, v_ref = reference_capacity_dispersion(esn0)
            self.assertAlmostEqual(c, c_ref, places=10, msg=f"C at Es/N0 {esn0} dB")
            self.assertAlmostEqual(v, v_ref, places=10, msg=f"V at Es/N0 {esn0} dB")

    def test_published_values(self):
        # BI-AWGN at P / sigma^2 = 1 (Es/N0 = -3.01 dB): C = 0.486 bits, as in every capacity table of BPSK.
        c, _ = na.capacity_dispersion(-10 * math.log10(2))
        self.assertAlmostEqual(c, 0.486, places=3)
        # Limits: no information and no spread at very low SNR; 1 bit and no spread at high SNR.
        c, v = na.capacity_dispersion(-30.0)
        self.assertLess(c, 1e-2)
        self.assertLess(v, 1e-2)
        c, v = na.capacity_dispersion(20.0)
        self.assertAlmostEqual(c, 1.0, places=9)
        self.assertLess(v, 1e-12)

    def test_capacity_limit(self):
        # The BI-AWGN (BPSK) Shannon limit of rate 1/2: Eb/N0 = 0.187 dB (0 dB would be the unconstrained AWGN's).
        self.assertAlmostEqual(na.capacity_limit_ebn0(0.5), 0.187, delta=0.001)
        # Rate 1/3: -0.495 dB; towards rate 0, ln 2 = -1.59 dB from above (-1.56 dB at rate 1/100).
        self.assertAlmostEqual(na.capacity_limit_ebn0(1 / 3), -0.495, delta=0.002)
        limit = 10 * math.log10(math.log(2))
        self.assertTrue(limit < na.capacity_limit_ebn0(0.01) < limit + 0.05)


class NormalApproximationTest(unittest.TestCase):
    def test_issue_code(self):
        # (2048, 1024): 0.69 dB at BLER 1e-2 and 1.01 dB at 1e-4 (same formula as M. Rowshan's
        # dispersion_bound.m, github.com/mohammad-rowshan/Dispersion-Polyanskiy-Bound-for-BLER-of-Finite-Length-Codes).
        self.assertAlmostEqual(na.ebn0_at_bler(K, N, 1e-2), 0.695, delta=0.002)
        self.assertAlmostEqual(na.ebn0_at_bler(K, N, 1e-4), 1.009, delta=0.002)
        self.assertAlmostEqual(na.esn0_at_bler(K, N, 1e-2), 0.695 - 10 * math.log10(2), delta=0.002)

    def test_reaches_its_target(self):
        for eps in (0.1, 1e-2, 1e-5):
            esn0 = na.esn0_at_bler(K, N, eps)
            self.assertAlmostEqual(na.bler_at_esn0(esn0, K, N) / eps, 1.0, places=6)

    def test_bler_falls_with_snr(self):
        # The bisection needs it; it holds where V still grows with the SNR too.
        for k, n in ((1024, 2048), (64, 128), (8448, 16896), (100, 1000), (900, 1000)):
            grid = np.arange(-20.0, 10.0, 0.05)
            bler = [na.bler_at_esn0(g, k, n) for g in grid]
            self.assertTrue(all(a >= b for a, b in zip(bler, bler[1:])), f"({n}, {k})")

    def test_longer_codes_come_closer_to_the_capacity_limit(self):
        gaps = [na.ebn0_at_bler(n // 2, n) - na.capacity_limit_ebn0(0.5) for n in (128, 512, 2048, 16384, 262144)]
        self.assertTrue(all(a > b > 0 for a, b in zip(gaps, gaps[1:])), gaps)
        self.assertLess(gaps[-1], 0.05)

    def test_rejects_bad_codes(self):
        for k, n in ((0, 10), (10, 10), (20, 10), (5, 0)):
            with self.assertRaises(na.ApproximationError):
                na.ebn0_at_bler(k, n)


class ScriptCliTest(unittest.TestCase):
    def run_script(self, *args):
        return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=60)

    def test_prints_the_operating_point_and_the_limit(self):
        r = self.run_script("--k", K, "--n", N)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Eb/N0 = 0.69", r.stdout)
        self.assertIn("Es/N0 = -2.31", r.stdout)
        self.assertIn("capacity limit for rate 0.5: Eb/N0 = 0.187", r.stdout)

    def test_curve(self):
        r = self.run_script("--k", K, "--n", N, "--curve", "0:0.5:2")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        start = lines.index("ebn0_db,esn0_db,capacity,dispersion,bler")
        rows = list(csv.DictReader(lines[start:]))
        self.assertEqual([float(row["ebn0_db"]) for row in rows], [0.0, 0.5, 1.0, 1.5, 2.0])
        bler = [float(row["bler"]) for row in rows]
        self.assertTrue(bler[0] > 0.5 and bler[-1] < 1e-10 and bler == sorted(bler, reverse=True), bler)

    def test_bad_input_is_one_line(self):
        r = self.run_script("--k", 2048, "--n", 1024)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("k = 2048", r.stderr)
        r = self.run_script("--k", K, "--n", N, "--bler", 1.5)
        self.assertEqual(r.returncode, 1)
        self.assertIn("(0, 1)", r.stderr)


def find_mimo():
    path = os.environ.get("MIMO_CLI") or str(REPO / "build" / "apps" / "mimo")
    return path if os.access(path, os.X_OK) else None


MIMO = find_mimo()


@unittest.skipUnless(MIMO, "no mimo binary (set MIMO_CLI or build build/apps/mimo)")
class AwgnCheckTest(unittest.TestCase):
    """mimo's BPSK over --channel awgn with --snr-unit esn0 is the BI-AWGN channel of the script, and its LDPC
    code (k = 1024, rate 1/2) is never better than the normal approximation and within 1.5 dB of it at 1e-2."""

    def evaluate(self, esn0_db, *flags):
        """Rows of one `mimo evaluate` run (one thread: ctest may run other tests beside it)."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "r.csv"
            snrs = ",".join(f"{x:.4f}" for x in esn0_db)
            cmd = [MIMO, "evaluate", "--channel", "awgn", "--nt", "1", "--nr", "1", "--mod", "bpsk",
                   "--snr-unit", "esn0", "--snr-db", snrs, "--detectors", "mmse", "--seed", "1", "--threads", "1",
                   *flags, "--out", str(out)]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, f"{' '.join(cmd)}\n{r.stderr}")
            with open(out, newline="") as f:
                rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(esn0_db))
        return rows

    def test_snr_axis_is_the_bi_awgn_channel(self):
        # Uncoded: BER = Q(sqrt(2 Es/N0)), and the LLRs' mutual information is the BI-AWGN capacity C(Es/N0)
        # (exact LLRs 4 (Es/N0) Re y), within 5 standard deviations of their estimates.
        points = [na.esn0_at_bler(K, N, TARGET), 0.0, 4.0]
        for esn0, row in zip(points, self.evaluate(points, "--min-errors", "1000000000", "--max-bits", "1e6")):
            bits = int(row["bits"])
            self.assertGreaterEqual(bits, 1_000_000)
            p = na.q_function(math.sqrt(2.0 * 10.0 ** (esn0 / 10.0)))
            self.assertLess(abs(float(row["ber"]) - p), 5 * math.sqrt(p * (1 - p) / bits), f"Es/N0 {esn0} dB")
            c, v = na.capacity_dispersion(esn0)
            self.assertLess(abs(float(row["llr_info"]) - c), 5 * math.sqrt(v / bits) + 1e-5, f"Es/N0 {esn0} dB")

    def test_ldpc_against_the_normal_approximation(self):
        # Eb/N0 = Es/N0 - 10 log10(R m), R = k / n, m = 1 (BPSK): with --code mimo's ebn0_db counts information bits too.
        na_ebn0 = na.ebn0_at_bler(K, N, TARGET)
        ebn0 = [na_ebn0, na_ebn0 + 0.5, na_ebn0 + 1.0, na_ebn0 + 1.5]
        esn0 = [na.ebn0_to_esn0(e, K, N) for e in ebn0]
        # Every point has 100 block errors or 3000 blocks (6.2e6 / 2048 = 3028 rounded to whole chunks).
        rows = self.evaluate(esn0, "--code", f"ldpc:k={K},rate=0.5", "--min-block-errors", "100", "--max-bits", "6.2e6")
        for eb, es, row in zip(ebn0, esn0, rows):
            self.assertAlmostEqual(float(row["esn0_db"]), es, places=3)
            self.assertAlmostEqual(float(row["ebn0_db"]), eb, places=3)
            blocks, errors = int(row["blocks"]), int(row["block_errors"])
            self.assertTrue(errors >= 100 or blocks >= 3000, row)
            # Never better than the approximation: not even the top of the 95% interval below it.
            self.assertGreaterEqual(float(row["bler_hi"]), na.bler_at_esn0(es, K, N), f"Eb/N0 {eb:.3f} dB: {row}")
        # Where the approximation reaches 1e-2, mimo's BLER is above 1e-2 with its whole interval...
        self.assertGreaterEqual(float(rows[0]["bler_lo"]), TARGET, rows[0])
        # ...and 1.5 dB later below it with its whole interval (0 of 3028 blocks has bler_hi 1.3e-3).
        self.assertLessEqual(float(rows[-1]["bler_hi"]), TARGET, rows[-1])


if __name__ == "__main__":
    unittest.main()
