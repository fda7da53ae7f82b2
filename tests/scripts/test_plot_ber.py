#!/usr/bin/env python3
"""Tests for scripts/plot_ber.py.

Run from the repository root with Debian's interpreter (it has numpy and matplotlib):
    /usr/bin/python3 -m unittest tests/scripts/test_plot_ber.py
    /usr/bin/python3 tests/scripts/test_plot_ber.py
"""

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "plot_ber.py"
sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
sys.path.insert(0, str(SCRIPT.parent))
import plot_ber  # noqa: E402

# Files from before llr_info existed have 17 columns; the current ones 18.
LEGACY_HEADER = ("detector,channel,modulation,nt,nr,snr_db,esn0_db,ebn0_db,bits,bit_errors,"
                 "ber,ber_lo,ber_hi,symbols,symbol_errors,ser,seconds")
HEADER = LEGACY_HEADER + ",llr_info"

# 4x8 QPSK: esn0 = snr - 10 log10(4), ebn0 = esn0 - 10 log10(2).
SNRS = [0, 4, 8, 12, 16, 20]
BERS = {
    "zf": [1.45e-1, 5.4e-2, 9.4e-3, 5.9e-4, 1.6e-5, 2.9e-7],
    "mmse": [1.14e-1, 3.5e-2, 4.6e-3, 2.5e-4, 4.8e-6, 8.0e-8],
    "sphere": [8.0e-2, 1.7e-2, 1.1e-3, 2.1e-5, 1.0e-7, 0.0],  # last point: no errors
}
# Bitwise mutual information of the max-log LLRs; the sphere decoder has none
# (empty field). ZF's first point is slightly negative: confidently wrong LLRs.
LLR_INFO = {
    "zf": [-0.0123, 0.3105, 0.6242, 0.8637, 0.9712, 0.9958],
    "mmse": [0.2817, 0.5236, 0.7804, 0.9321, 0.9905, 0.9991],
    "sphere": None,
}


def sample_csv(detectors=("zf", "mmse", "sphere"), channel="rayleigh", modulation="qpsk",
               nt=4, nr=8, legacy=False):
    """A results CSV; legacy=True writes the 17-column format without llr_info."""
    lines = [LEGACY_HEADER if legacy else HEADER]
    for det in detectors:
        llrs = LLR_INFO[det] or [None] * len(SNRS)
        for snr, ber, llr in zip(SNRS, BERS[det], llrs):
            esn0 = snr - 10 * math.log10(nt)
            ebn0 = esn0 - 10 * math.log10(2)
            bits = 100_000_000 if ber < 1e-5 else 2_000_000
            errors = round(ber * bits)
            ber = errors / bits
            half = 1.96 * math.sqrt(max(errors, 1)) / bits
            lo, hi = (max(ber - half, ber / 2), ber + half) if errors else (0.0, 3.69 / bits)
            symbols = bits // 2
            sym_errors = round(errors * 0.6)
            lines.append(f"{det},{channel},{modulation},{nt},{nr},{snr},{esn0:.6f},{ebn0:.6f},"
                         f"{bits},{errors},{ber:.6e},{lo:.6e},{hi:.6e},{symbols},{sym_errors},"
                         f"{sym_errors / symbols:.6e},1.5")
            if not legacy:
                lines[-1] += "," + ("" if llr is None else f"{llr:.6f}")
    return "\n".join(lines) + "\n"


def with_field(csv_text, line_index, value):
    """csv_text with the last field of line line_index (0 = header) replaced."""
    lines = csv_text.splitlines()
    lines[line_index] = lines[line_index].rsplit(",", 1)[0] + "," + value
    return "\n".join(lines) + "\n"


def q_function(x):
    return 0.5 * np.vectorize(math.erfc)(np.asarray(x) / math.sqrt(2.0))


def trapezoid(y, x):
    integrate = getattr(np, "trapezoid", None) or np.trapz  # numpy 2 renamed trapz
    return float(integrate(y, x))


def numeric_rayleigh_ber(mean_snr, diversity):
    """E[Q(sqrt(2 gamma))] with gamma ~ Gamma(L, mean_snr): chi-square with 2L d.o.f."""
    gamma = np.linspace(0.0, 60.0 * mean_snr, 400_001)
    pdf = (gamma ** (diversity - 1) * np.exp(-gamma / mean_snr)
           / (mean_snr ** diversity * math.factorial(diversity - 1)))
    return trapezoid(q_function(np.sqrt(2.0 * gamma)) * pdf, gamma)


class TheoryTest(unittest.TestCase):
    def test_diversity_one_reduces_to_single_branch_formula(self):
        for g_db in (-5.0, 0.0, 5.0, 10.0, 20.0):
            g = 10 ** (g_db / 10)
            expected = (1 - math.sqrt(g / (1 + g))) / 2
            self.assertAlmostEqual(float(plot_ber.zf_rayleigh_ber(g, 1)), expected, places=14)

    def test_known_value_at_10_db(self):
        self.assertAlmostEqual(float(plot_ber.zf_rayleigh_ber(10.0, 1)), 0.0232687, places=6)

    def test_diversity_two_matches_numerical_integration(self):
        for g_db in (0.0, 5.0, 10.0, 15.0):
            g = 10 ** (g_db / 10)
            closed = float(plot_ber.zf_rayleigh_ber(g, 2))
            numeric = numeric_rayleigh_ber(g, 2)
            self.assertAlmostEqual(closed / numeric, 1.0, delta=1e-5, msg=f"g = {g_db} dB")

    def test_high_snr_asymptote(self):
        # P ~ C(2L-1, L) / (4g)^L for large g (Proakis, diversity with MRC).
        g = 1e5
        for L in (1, 2, 5):
            asymptote = math.comb(2 * L - 1, L) / (4 * g) ** L
            self.assertAlmostEqual(float(plot_ber.zf_rayleigh_ber(g, L)) / asymptote, 1.0,
                                   delta=1e-3 * L)

    def test_vectorised(self):
        g = np.array([1.0, 10.0, 100.0])
        out = plot_ber.zf_rayleigh_ber(g, 3)
        self.assertEqual(out.shape, (3,))
        self.assertTrue(np.all(np.diff(out) < 0))


class CrossingTest(unittest.TestCase):
    def test_log_interpolation_of_an_exponential_curve_is_exact(self):
        # SER = 10^(-x/5): 1e-2 at exactly 10 dB, between the points at 5 and 15 dB.
        x = np.array([0.0, 5.0, 15.0, 20.0])
        self.assertAlmostEqual(plot_ber.crossing(x, 10 ** (-x / 5), 1e-2, log=True), 10.0, places=12)

    def test_linear_interpolation_and_a_point_on_target(self):
        x, y = np.array([0.0, 10.0]), np.array([0.2, 0.8])
        self.assertAlmostEqual(plot_ber.crossing(x, y, 0.5, log=False), 5.0, places=12)
        self.assertEqual(plot_ber.crossing(x, y, 0.8, log=False), 10.0)

    def test_not_reached(self):
        x, y = np.array([0.0, 10.0]), np.array([0.3, 0.1])
        self.assertIsNone(plot_ber.crossing(x, y, 0.01, log=True))


class CliTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self._tmp.name)
        self.csv = self.write("results.csv", sample_csv())
        self.write("results.json", json.dumps({"snr_unit": "snr", "detectors": ["zf"]}))

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, text):
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def plot(self, *args):
        return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                              capture_output=True, text=True, timeout=120)

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, msg=result.stderr)

    def assert_fails_cleanly(self, result, out):
        self.assertEqual(result.returncode, 1, msg=result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, msg=result.stderr)
        self.assertTrue(lines[0].startswith("plot_ber: error: "), msg=result.stderr)
        self.assertFalse(out.exists())
        # No temporary file left behind either.
        self.assertEqual([p.name for p in self.dir.iterdir() if p.name.startswith(".")], [])

    def tex_tables(self, tex):
        """Rows (as float lists) of each inline \\addplot table."""
        tables = []
        for body in re.findall(r"\\addplot\[.*?\] table\[.*?\] \{\n(.*?)\n\};", tex, re.S):
            rows = [line.strip().rstrip("\\").split() for line in body.splitlines()[1:]]
            tables.append([[float(v) for v in row] for row in rows])
        return tables

    # ---- formats -------------------------------------------------------

    def test_png(self):
        out = self.dir / "ber.png"
        self.assert_ok(self.plot(self.csv, "-o", out))
        data = out.read_bytes()
        self.assertTrue(data.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(data), 20_000)

    def test_pdf(self):
        out = self.dir / "ber.pdf"
        self.assert_ok(self.plot(self.csv, "-o", out, "--theory"))
        data = out.read_bytes()
        self.assertTrue(data.startswith(b"%PDF"))
        self.assertGreater(len(data), 5_000)
        self.assertNotIn(b"/Type3", data)  # fonts embedded as TrueType, not Type 3

    def test_svg(self):
        out = self.dir / "ber.svg"
        self.assert_ok(self.plot(self.csv, "-o", out))
        text = out.read_text()
        self.assertIn("<svg", text)
        self.assertGreater(len(text), 10_000)

    def test_tex(self):
        out = self.dir / "ber.tex"
        self.assert_ok(self.plot(self.csv, "-o", out))
        tex = out.read_text()
        self.assertIn(r"\begin{tikzpicture}", tex)
        self.assertIn(r"\end{tikzpicture}", tex)
        self.assertIn("ymode=log", tex)
        self.assertEqual(tex.count(r"\addplot"), 3)  # one per detector
        self.assertEqual(tex.count(r"\addlegendentry"), 3)
        for name in ("ZF", "MMSE", "Sphere"):
            self.assertIn(r"\addlegendentry{%s}" % name, tex)
        self.assertIn(r"xlabel={Receive SNR per antenna, $N_t E_s/N_0$ (dB)}", tex)
        self.assertIn("ylabel={BER}", tex)
        self.assertIn(r"title={$4\times8$ QPSK, Rayleigh}", tex)
        self.assertEqual(tex.count("{"), tex.count("}"))
        tables = self.tex_tables(tex)
        self.assertEqual([len(t) for t in tables], [6, 6, 5])  # zero-error point dropped
        self.assertTrue(all(row[1] > 0 for t in tables for row in t))

    def test_format_option_overrides_extension(self):
        out = self.dir / "figure.out"
        self.assert_ok(self.plot(self.csv, "-o", out, "--format", "png"))
        self.assertTrue(out.read_bytes().startswith(b"\x89PNG"))

    def test_size_option(self):
        out = self.dir / "ber.tex"
        self.assert_ok(self.plot(self.csv, "-o", out, "--size", "7,3"))
        tex = out.read_text()
        self.assertIn("width=7in", tex)
        self.assertIn("height=3in", tex)

    # ---- content -------------------------------------------------------

    def test_theory_overlay(self):
        out = self.dir / "ber.tex"
        result = self.plot(self.csv, "-o", out, "--theory")
        self.assert_ok(result)
        tex = out.read_text()
        self.assertEqual(tex.count(r"\addplot"), 4)
        self.assertIn(r"\addlegendentry{ZF theory ($L=5$)}", tex)
        theory = self.tex_tables(tex)[-1]
        # x is receive SNR; the rows say Eb/N0 = snr - 10 log10(8).
        x, y = theory[len(theory) // 2]
        expected = float(plot_ber.zf_rayleigh_ber(10 ** ((x - 10 * math.log10(8)) / 10), 5))
        self.assertAlmostEqual(y / expected, 1.0, delta=1e-4)
        self.assertEqual(result.stderr, "")

    def test_theory_mrc_label_when_single_stream(self):
        csv = self.write("mrc.csv", sample_csv(detectors=("zf",), nt=1, nr=2,
                                               modulation="bpsk"))
        out = self.dir / "mrc.tex"
        self.assert_ok(self.plot(csv, "-o", out, "--theory", "--x", "ebn0"))
        self.assertIn(r"MRC theory ($L=2$)", out.read_text())

    def test_theory_note_when_not_applicable(self):
        csv = self.write("qam.csv", sample_csv(modulation="qam16"))
        out = self.dir / "qam.png"
        result = self.plot(csv, "-o", out, "--theory")
        self.assert_ok(result)
        self.assertTrue(out.exists())
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertIn("no closed form", result.stderr)

    def test_ser(self):
        out = self.dir / "ser.tex"
        result = self.plot(self.csv, "-o", out, "--metric", "ser", "--theory")
        self.assert_ok(result)
        tex = out.read_text()
        self.assertIn("ylabel={SER}", tex)
        self.assertEqual(tex.count(r"\addplot"), 3)  # no theory for SER
        self.assertNotIn("y explicit", tex)  # no confidence intervals for SER
        self.assertIn("no closed form", result.stderr)
        png = self.dir / "ser.png"
        self.assert_ok(self.plot(self.csv, "-o", png, "--metric", "ser"))
        self.assertTrue(png.read_bytes().startswith(b"\x89PNG"))

    def test_x_unit_from_json_and_override(self):
        self.write("results.json", json.dumps({"snr_unit": "ebn0"}))
        out = self.dir / "ber.tex"
        self.assert_ok(self.plot(self.csv, "-o", out))
        tex = out.read_text()
        self.assertIn(r"xlabel={$E_b/N_0$ (dB)}", tex)
        first_x = self.tex_tables(tex)[0][0][0]
        self.assertAlmostEqual(first_x, -10 * math.log10(8), places=4)
        self.assert_ok(self.plot(self.csv, "-o", out, "--x", "esn0"))
        self.assertIn(r"xlabel={$E_s/N_0$ (dB)}", out.read_text())

    # ---- legacy and current headers ------------------------------------

    def test_reads_legacy_and_current_headers(self):
        legacy = self.write("legacy.csv", sample_csv(legacy=True))
        old_rows = plot_ber.read_results(str(legacy))
        new_rows = plot_ber.read_results(str(self.csv))
        self.assertEqual(len(old_rows), len(new_rows))
        self.assertTrue(all(r["llr_info"] is None for r in old_rows))
        for old, new in zip(old_rows, new_rows):
            self.assertEqual({k: v for k, v in old.items() if k != "llr_info"},
                             {k: v for k, v in new.items() if k != "llr_info"})
        by_detector = {}
        for r in new_rows:
            by_detector.setdefault(r["detector"], []).append(r["llr_info"])
        self.assertEqual(by_detector["zf"], LLR_INFO["zf"])
        self.assertEqual(by_detector["mmse"], LLR_INFO["mmse"])
        self.assertEqual(by_detector["sphere"], [None] * len(SNRS))

    def test_legacy_file_plots_as_before(self):
        # The BER figure does not depend on the extra column.
        legacy = self.write("legacy.csv", sample_csv(legacy=True))
        old_out, new_out = self.dir / "old.tex", self.dir / "new.tex"
        self.assert_ok(self.plot(legacy, "-o", old_out, "--theory"))
        self.assert_ok(self.plot(self.csv, "-o", new_out, "--theory"))
        self.assertEqual(old_out.read_text(), new_out.read_text())
        png = self.dir / "old.png"
        self.assert_ok(self.plot(legacy, "-o", png, "--metric", "ser"))
        self.assertTrue(png.read_bytes().startswith(b"\x89PNG"))

    def test_row_length_follows_the_files_header(self):
        out = self.dir / "ber.png"
        # An 18-column row under the legacy header, and a 17-column one under the current.
        too_long = self.write("long.csv", LEGACY_HEADER + "\n" + sample_csv().splitlines()[1] + "\n")
        result = self.plot(too_long, "-o", out)
        self.assert_fails_cleanly(result, out)
        self.assertIn("expected 17 fields, got 18", result.stderr)
        too_short = self.write("short.csv", HEADER + "\n"
                               + sample_csv(legacy=True).splitlines()[1] + "\n")
        result = self.plot(too_short, "-o", out)
        self.assert_fails_cleanly(result, out)
        self.assertIn("expected 18 fields, got 17", result.stderr)

    # ---- llr_info ------------------------------------------------------

    def test_llr_info_png(self):
        out = self.dir / "llr.png"
        result = self.plot(self.csv, "-o", out, "--metric", "llr_info")
        self.assert_ok(result)
        data = out.read_bytes()
        self.assertTrue(data.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(data), 20_000)
        # The sphere decoder has no LLRs: left out, with a note.
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertIn("sphere", result.stderr)
        self.assertIn("curve omitted", result.stderr)

    def test_llr_info_tex(self):
        out = self.dir / "llr.tex"
        self.assert_ok(self.plot(self.csv, "-o", out, "--metric", "llr_info"))
        tex = out.read_text()
        self.assertNotIn("ymode=log", tex)
        self.assertNotIn("ytickten", tex)
        self.assertNotIn("y explicit", tex)  # no error bars
        self.assertIn("ylabel={LLR mutual information (bits/bit)}", tex)
        self.assertIn("legend pos=south east", tex)
        self.assertEqual(tex.count(r"\addplot"), 2)  # sphere has no LLRs
        self.assertIn(r"\addlegendentry{ZF}", tex)
        self.assertIn(r"\addlegendentry{MMSE}", tex)
        self.assertNotIn("Sphere", tex)
        self.assertEqual(tex.count("{"), tex.count("}"))
        tables = self.tex_tables(tex)
        # Every point, including the negative one and those without bit errors.
        self.assertEqual([[row[1] for row in t] for t in tables],
                         [LLR_INFO["zf"], LLR_INFO["mmse"]])
        self.assertEqual([row[0] for row in tables[0]], SNRS)
        ymin = float(re.search(r"ymin=([-\d.e]+),", tex).group(1))
        ymax = float(re.search(r"ymax=([-\d.e]+),", tex).group(1))
        self.assertLess(ymin, min(LLR_INFO["zf"]))
        self.assertGreater(ymin, -0.1)
        self.assertGreater(ymax, 1.0)
        self.assertLessEqual(ymax, 1.02)

    def test_llr_info_axis_starts_at_zero_for_non_negative_values(self):
        csv = self.write("mmse.csv", sample_csv(detectors=("mmse",)))
        out = self.dir / "mmse.tex"
        self.assert_ok(self.plot(csv, "-o", out, "--metric", "llr_info"))
        self.assertIn("ymin=0,", out.read_text())

    def test_llr_info_theory_only_notes(self):
        out = self.dir / "llr.svg"
        result = self.plot(self.csv, "-o", out, "--metric", "llr_info", "--theory")
        self.assert_ok(result)
        self.assertIn("<svg", out.read_text())
        self.assertIn("no closed form", result.stderr)

    def test_llr_info_without_llrs(self):
        out = self.dir / "llr.png"
        for name, text in (("legacy.csv", sample_csv(legacy=True)),
                           ("sphere.csv", sample_csv(detectors=("sphere",)))):
            csv = self.write(name, text)
            result = self.plot(csv, "-o", out, "--metric", "llr_info")
            # One note per omitted detector, then the error on the last line.
            self.assertEqual(result.returncode, 1, msg=result.stderr)
            *notes, last = result.stderr.strip().splitlines()
            self.assertTrue(all(n.startswith("plot_ber: note: ") for n in notes), msg=notes)
            self.assertEqual(last, "plot_ber: error: nothing to plot: no point has LLRs "
                                   "(llr_info empty or absent)")
            self.assertFalse(out.exists())

    def test_bad_llr_info_value(self):
        out = self.dir / "llr.png"
        for value, problem in (("high", "non-numeric"), ("nan", "non-finite")):
            bad = self.write("bad.csv", with_field(sample_csv(), 1, value))
            result = self.plot(bad, "-o", out, "--metric", "llr_info")
            self.assert_fails_cleanly(result, out)
            self.assertIn("bad.csv:2: column 'llr_info'", result.stderr)
            self.assertIn(problem, result.stderr)

    def test_several_files_sharing_detector_names(self):
        other = self.write("other/results.csv", sample_csv())
        out = self.dir / "both.tex"
        self.assert_ok(self.plot(self.csv, other, "-o", out))
        tex = out.read_text()
        self.assertEqual(tex.count(r"\addplot"), 6)
        self.assertEqual(len(set(re.findall(r"\\addlegendentry\{(.*?)\}\n", tex))), 6)

    # ---- errors ----------------------------------------------------------

    def test_missing_file(self):
        out = self.dir / "ber.pdf"
        self.assert_fails_cleanly(self.plot(self.dir / "nope.csv", "-o", out), out)

    def test_bad_header(self):
        bad = self.write("bad.csv", sample_csv().replace("bit_errors", "errors", 1))
        out = self.dir / "ber.png"
        result = self.plot(bad, "-o", out)
        self.assert_fails_cleanly(result, out)
        self.assertIn("header", result.stderr)

    def test_empty_file(self):
        empty = self.write("empty.csv", "")
        out = self.dir / "ber.png"
        self.assert_fails_cleanly(self.plot(empty, "-o", out), out)
        header_only = self.write("header.csv", HEADER + "\n")
        self.assert_fails_cleanly(self.plot(header_only, "-o", out), out)

    def test_non_numeric_value(self):
        bad = self.write("bad.csv", sample_csv().replace(",2000000,", ",lots,", 1))
        out = self.dir / "ber.svg"
        result = self.plot(bad, "-o", out)
        self.assert_fails_cleanly(result, out)
        self.assertIn("non-numeric", result.stderr)

    def test_unknown_format(self):
        out = self.dir / "ber.jpg"
        self.assert_fails_cleanly(self.plot(self.csv, "-o", out), out)
        out2 = self.dir / "ber.pdf"
        self.assert_fails_cleanly(self.plot(self.csv, "-o", out2, "--format", "eps"), out2)

    def test_snr_at_prints_each_curve_without_a_figure(self):
        result = self.plot(self.csv, "--snr-at", "1e-3")
        self.assert_ok(result)
        lines = result.stdout.strip().splitlines()
        self.assertEqual(lines[0], "receive SNR (dB) at BER = 0.001:")
        x = {line.split()[0]: line.split()[1] for line in lines[1:]}
        # ZF crosses 1e-3 between 8 dB (9.4e-3) and 12 dB (5.9e-4).
        zf = 8 + 4 * (math.log10(1e-3) - math.log10(9.4e-3)) / (math.log10(5.9e-4) - math.log10(9.4e-3))
        self.assertAlmostEqual(float(x["ZF"]), zf, places=2)
        self.assertLess(float(x["Sphere"]), float(x["MMSE"]))
        self.assertIn("(+", lines[1])  # ZF is behind the sphere decoder
        self.assertEqual([p.name for p in self.dir.iterdir() if p.suffix != ".csv" and p.suffix != ".json"], [])
        below = self.plot(self.csv, "--snr-at", "0.5")
        self.assert_ok(below)
        self.assertIn("not reached (BER below 0.5 from 0 to 20 dB)", below.stdout)

    def test_neither_output_nor_snr_at_is_an_error(self):
        result = self.plot(self.csv)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--snr-at", result.stderr)

    def test_failed_run_keeps_previous_output(self):
        out = self.dir / "ber.png"
        self.assert_ok(self.plot(self.csv, "-o", out))
        before = out.read_bytes()
        bad = self.write("bad.csv", "not,a,header\n")
        self.assertEqual(self.plot(bad, "-o", out).returncode, 1)
        self.assertEqual(out.read_bytes(), before)


if __name__ == "__main__":
    unittest.main()
