#!/usr/bin/env python3
"""Plot BER/SER (or LLR mutual-information) curves from the CSV files of `mimo evaluate`.

    plot_ber.py results.csv [more.csv ...] -o ber.pdf [--metric ber|ser|llr_info|bler]
                [--x snr|esn0|ebn0] [--theory] [--title T]
                [--format pdf|png|svg|tex] [--size W,H] [--snr-at VALUE]

`--snr-at 1e-2` prints, per curve, the SNR at which the metric reaches that
value (interpolated between the two measured points around it: linearly in
log10 of BER/SER, linearly for llr_info) and its distance to the best curve;
with --snr-at, -o is optional.

The output format follows the extension of -o unless --format is given.
`tex` writes a standalone pgfplots tikzpicture to \\input into a LaTeX
document that loads pgfplots.

`--metric llr_info` plots the bitwise mutual information of each detector's
max-log LLRs (the CSV's last column) on a linear axis; detectors without
soft output (sphere, kbest) leave it empty and are left out. CSV files from
before that column existed are still read (they just have no LLR points).

`--metric bler` plots the block error rate of `mimo evaluate --code` files
(columns bler, bler_lo, bler_hi: a 95% Wilson interval on blocks) on a log
axis like the BER.

Needs only the standard library, numpy and matplotlib (Debian's
/usr/bin/python3 has them).
"""

import argparse
import csv
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Optional

import numpy as np
import matplotlib

# Headless and deterministic: never try to open a display.
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (must follow matplotlib.use)
from matplotlib.ticker import AutoMinorLocator, LogLocator, MaxNLocator, NullFormatter  # noqa: E402

PROG = "plot_ber"

# Files written before llr_info was added lack the last column; both are read.
LEGACY_HEADER = ["detector", "channel", "modulation", "nt", "nr", "snr_db", "esn0_db",
                 "ebn0_db", "bits", "bit_errors", "ber", "ber_lo", "ber_hi", "symbols",
                 "symbol_errors", "ser", "seconds"]
HEADER = LEGACY_HEADER + ["llr_info"]
# `mimo evaluate --code` appends the transport block columns (BLER with its Wilson interval on blocks, and the
# BER of the decoded information bits).
CODED_HEADER = HEADER + ["blocks", "block_errors", "bler", "bler_lo", "bler_hi", "coded_ber"]
INT_COLUMNS = ("nt", "nr", "bits", "bit_errors", "symbols", "symbol_errors")
# Read only from coded files (None in the others).
CODED_INT_COLUMNS = ("blocks", "block_errors")
CODED_FLOAT_COLUMNS = ("bler", "bler_lo", "bler_hi", "coded_ber")
FLOAT_COLUMNS = ("snr_db", "esn0_db", "ebn0_db", "ber", "ser", "seconds")
# The confidence interval may be left empty by a writer that has none, and
# llr_info by a detector without soft output (sphere, kbest).
OPTIONAL_FLOAT_COLUMNS = ("ber_lo", "ber_hi", "llr_info")

METRICS = ("ber", "ser", "llr_info", "bler")

FORMATS = ("pdf", "png", "svg", "tex")
X_UNITS = ("snr", "esn0", "ebn0")
X_COLUMN = {"snr": "snr_db", "esn0": "esn0_db", "ebn0": "ebn0_db"}
# Same strings serve matplotlib's mathtext and real LaTeX (pgfplots).
X_LABEL = {
    "snr": r"Receive SNR per antenna, $N_t E_s/N_0$ (dB)",
    "esn0": r"$E_s/N_0$ (dB)",
    "ebn0": r"$E_b/N_0$ (dB)",
}
Y_LABEL = {"ber": "BER", "ser": "SER", "llr_info": "LLR mutual information (bits/bit)", "bler": "BLER"}
ERROR_COLUMN = {"ber": "bit_errors", "ser": "symbol_errors", "bler": "block_errors"}
# The metrics whose CSV columns carry a 95% interval, and those columns.
INTERVAL_COLUMNS = {"ber": ("ber_lo", "ber_hi"), "bler": ("bler_lo", "bler_hi")}
# Why a detector's curve, or the whole plot, can come out empty.
NO_POINTS = {"ber": "no BER point has any errors", "ser": "no SER point has any errors",
             "llr_info": "no point has LLRs (llr_info empty or absent)",
             "bler": "no point has block errors (or the file is not from evaluate --code)"}
# Mutual information lives in [0, 1] bit and reaches 0 exactly: a log axis
# would squash the interesting region near 1, so these metrics plot linearly.
LINEAR_METRICS = ("llr_info",)

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
          "#000000", "#F0E442"]
# (matplotlib marker, pgfplots mark, pgfplots mark options). Markers and line
# styles differ between curves so they still separate in grayscale print.
MARKERS = [("o", "*", ""), ("s", "square*", ""), ("^", "triangle*", ""),
           ("D", "diamond*", ""), ("v", "triangle*", "rotate=180"),
           ("p", "pentagon*", ""), ("x", "x", ""), ("+", "+", ""),
           ("<", "triangle*", "rotate=90"), ("*", "asterisk", "")]
# Plain dashes ("--") are reserved for the theory curves.
LINESTYLES = [("-", "solid"), ("-.", "dashdotted"), (":", "dotted"),
              ((0, (3, 1, 1, 1, 1, 1)), "dashdotdotted"),
              ((0, (3, 4, 1, 4)), "loosely dashdotted")]
# Theory curves: dashed, no markers, told apart by dash length and gray level.
# (dash pattern in points, gray level 0=black..1=white)
THEORY_STYLES = [((4, 2), 0.2), ((9, 3), 0.5), ((4, 1.5, 1, 1.5), 0.35)]
# Beyond this many legend entries the legend moves below the axes so it does
# not hide the curves in a single-column figure.
MAX_LEGEND_INSIDE = 5

PRETTY_DETECTORS = {"mf": "MF", "zf": "ZF", "mmse": "MMSE", "ml": "ML", "sic": "SIC",
                    "sphere": "Sphere", "kbest": "K-best", "ep": "EP",
                    "transformer": "Transformer"}
PRETTY_CHANNELS = {"rayleigh": "Rayleigh", "kronecker": "Kronecker", "rician": "Rician"}


class PlotError(Exception):
    """A user-facing error: reported as one line, exit status 1."""


@dataclass
class Curve:
    """One line of the figure: a detector's measured points, or a closed form."""
    label: str
    x: np.ndarray
    y: np.ndarray
    # Ends of the error bars, where the CSV has a confidence interval (BER only).
    lo: Optional[np.ndarray] = None
    hi: Optional[np.ndarray] = None


@dataclass
class Figure:
    """Everything both back ends draw: the curves and the axes they sit on."""
    curves: list           # measured Curves, in legend order
    theory: list           # closed-form Curves, drawn dashed after the measured ones
    x_unit: str            # one of X_UNITS
    metric: str            # one of METRICS
    title: str             # "" for none
    size: tuple            # (width, height) in inches
    xlim: tuple
    ylim: tuple


@dataclass
class Style:
    """How the i-th measured curve is drawn, in matplotlib's and pgfplots' terms."""
    color: str
    marker: str            # matplotlib marker
    mark: str              # pgfplots mark
    mark_extra: str        # extra pgfplots mark options ("" for none)
    linestyle: object      # matplotlib line style
    pgf_linestyle: str


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------

def read_results(path):
    """Read one results CSV into a list of dicts with typed values."""
    try:
        # utf-8-sig: tolerate a byte-order mark from spreadsheet round trips.
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise PlotError(f"{path}: file is empty")
            header = [h.strip() for h in header]
            if header not in (HEADER, LEGACY_HEADER, CODED_HEADER):
                raise PlotError(f"{path}: unexpected header (expected '{','.join(HEADER)}',"
                                " the same without llr_info, or with evaluate --code's columns)")
            rows = [parse_row(path, line_no, record, header)
                    for line_no, record in enumerate(reader, start=2)
                    if any(field.strip() for field in record)]
    except OSError as e:
        raise PlotError(f"{path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise PlotError(f"{path}: cannot read CSV ({e})") from None
    if not rows:
        raise PlotError(f"{path}: no data rows")
    return rows


def parse_row(path, line_no, record, header):
    """Convert one CSV record to typed values; any bad field is fatal.

    header is the file's own (current or legacy); columns it lacks read as None.
    """
    if len(record) != len(header):
        raise PlotError(f"{path}:{line_no}: expected {len(header)} fields, got {len(record)}")
    raw = dict(zip(header, (field.strip() for field in record)))
    row = {"detector": raw["detector"], "channel": raw["channel"],
           "modulation": raw["modulation"].lower()}
    coded = "bler" in raw
    for name in CODED_INT_COLUMNS + CODED_FLOAT_COLUMNS:
        row[name] = None
    for name in (INT_COLUMNS + FLOAT_COLUMNS + OPTIONAL_FLOAT_COLUMNS
                 + ((CODED_INT_COLUMNS + CODED_FLOAT_COLUMNS) if coded else ())):
        text = raw.get(name, "")
        if text == "" and name in OPTIONAL_FLOAT_COLUMNS:
            row[name] = None
            continue
        try:
            value = int(text) if name in INT_COLUMNS + CODED_INT_COLUMNS else float(text)
        except ValueError:
            raise PlotError(f"{path}:{line_no}: column '{name}': "
                            f"non-numeric value '{text}'") from None
        if not math.isfinite(value):
            raise PlotError(f"{path}:{line_no}: column '{name}': non-finite value '{text}'")
        row[name] = value
    if not row["detector"]:
        raise PlotError(f"{path}:{line_no}: empty detector name")
    return row


def default_x_unit(csv_path):
    """The snr_unit recorded in the JSON beside the CSV (same stem), else 'snr'."""
    json_path = os.path.splitext(csv_path)[0] + ".json"
    if not os.path.exists(json_path):
        return "snr"
    try:
        with open(json_path, encoding="utf-8") as f:
            unit = json.load(f).get("snr_unit", "snr")
    except (OSError, ValueError, AttributeError) as e:
        note(f"ignoring {json_path} ({e}); x axis defaults to snr")
        return "snr"
    if unit not in X_UNITS:
        note(f"{json_path}: unknown snr_unit {unit!r}; x axis defaults to snr")
        return "snr"
    return unit


# --------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------

def config_of(row):
    return (row["nt"], row["nr"], row["modulation"], row["channel"])


def config_parts(cfg):
    """(antennas, modulation, channel) as printed, e.g. ("$4\\times8$", "QPSK", "Rayleigh")."""
    nt, nr, modulation, channel = cfg
    # Math-mode times sign: typeset by both mathtext and LaTeX.
    return (f"${nt}\\times{nr}$", pretty_modulation(modulation),
            PRETTY_CHANNELS.get(channel, channel))


def join_parts(parts):
    # "4x8 QPSK, Rayleigh": antennas and modulation belong together.
    head = " ".join(p for p in parts[:2] if p)
    return ", ".join(p for p in (head, parts[2]) if p)


def config_label(cfg):
    return join_parts(config_parts(cfg))


def distinguishing_label(cfg, all_configs):
    """Only the parts of cfg that differ between the plotted configurations.

    The parts all of them share go into the title instead, keeping legends short.
    """
    mine = config_parts(cfg)
    everyone = [config_parts(c) for c in all_configs]
    return join_parts(tuple(part if any(o[k] != part for o in everyone) else ""
                            for k, part in enumerate(mine)))


def pretty_modulation(modulation):
    # qam16 -> 16-QAM, as papers write it; others just upper-cased.
    if modulation.startswith("qam") and modulation[3:].isdigit():
        return f"{modulation[3:]}-QAM"
    return modulation.upper()


def pretty_detector(name):
    base, sep, params = name.partition(":")
    return PRETTY_DETECTORS.get(base, base) + (f" ({params})" if sep else "")


def file_tags(paths):
    """Short names telling the files apart: the stem, or dir/stem when stems clash."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    return [os.path.join(os.path.basename(os.path.dirname(os.path.abspath(p))), s)
            for p, s in zip(paths, stems)]


def build_curves(tables, paths, metric, x_unit):
    """One curve per (file, config, detector), labelled only as finely as needed.

    Returns Curves holding only the points that has_point() accepts.
    """
    x_col = X_COLUMN[x_unit]
    all_configs = {config_of(r) for rows in tables for r in rows}
    # A file tag is needed only when the same detector on the same
    # configuration comes from more than one file.
    files_of = {}
    for i, rows in enumerate(tables):
        for r in rows:
            files_of.setdefault((config_of(r), r["detector"]), set()).add(i)
    need_file_tag = any(len(files) > 1 for files in files_of.values())
    tags = file_tags(paths)

    curves = []
    for i, rows in enumerate(tables):
        groups = {}  # insertion order = order of first appearance in the file
        for r in rows:
            groups.setdefault((config_of(r), r["detector"]), []).append(r)
        for (cfg, detector), group in groups.items():
            label = pretty_detector(detector)
            if len(all_configs) > 1:
                label += f", {distinguishing_label(cfg, all_configs)}"
            if need_file_tag:
                label += f" [{tags[i]}]"
            curve = make_curve(group, label, metric, x_col)
            if curve is None:
                note(f"{paths[i]}: {detector}: {NO_POINTS[metric]}; curve omitted")
            else:
                curves.append(curve)
    return curves


def has_point(row, metric):
    if metric == "llr_info":
        # Empty for detectors without soft output. Any value is a point on the
        # linear axis, including an error-free 1 or a slightly negative one
        # from confidently wrong LLRs.
        return row["llr_info"] is not None
    # Zero-error points have no place on a log axis; uncoded files have no BLER.
    if row[ERROR_COLUMN[metric]] is None:
        return False
    return row[ERROR_COLUMN[metric]] > 0 and row[metric] > 0


def make_curve(rows, label, metric, x_col):
    rows = sorted((r for r in rows if has_point(r, metric)), key=lambda r: r[x_col])
    if not rows:
        return None
    curve = Curve(label=label,
                  x=np.array([r[x_col] for r in rows]),
                  y=np.array([r[metric] for r in rows]))
    # The CSV has confidence intervals for the BER and the BLER only.
    lo_col, hi_col = INTERVAL_COLUMNS.get(metric, (None, None))
    if lo_col and all(r[lo_col] is not None and r[hi_col] is not None for r in rows):
        y = curve.y
        lo = np.array([r[lo_col] for r in rows])
        hi = np.array([r[hi_col] for r in rows])
        # Keep bars on the right side of the point and the lower end > 0 for the log axis.
        curve.lo = np.where((lo > 0) & (lo <= y), lo, y)
        curve.hi = np.maximum(hi, y)
    return curve


# --------------------------------------------------------------------------
# SNR at a target value
# --------------------------------------------------------------------------

def crossing(x, y, target, log):
    """The x where the piecewise-linear curve (in log10 y when log) first reaches target, or None."""
    f = math.log10 if log else float
    for i in range(len(x) - 1):
        a, b = y[i] - target, y[i + 1] - target
        if a == 0:
            return float(x[i])
        if a * b < 0:
            ya, yb = f(y[i]), f(y[i + 1])
            return float(x[i] + (f(target) - ya) * (x[i + 1] - x[i]) / (yb - ya))
    if len(y) and y[-1] == target:
        return float(x[-1])
    return None


def snr_at_report(curves, metric, target, x_unit):
    """Lines of text: per curve the SNR where the metric reaches target, and the gap to the best."""
    name = {"ber": "BER", "ser": "SER", "llr_info": "LLR information", "bler": "BLER"}[metric]
    unit = {"snr": "receive SNR", "esn0": "Es/N0", "ebn0": "Eb/N0"}[x_unit]
    found = [(c, crossing(c.x, c.y, target, metric not in LINEAR_METRICS)) for c in curves]
    best = min((x for _, x in found if x is not None), default=None)
    width = max(len(c.label) for c in curves)
    lines = [f"{unit} (dB) at {name} = {target:g}:"]
    for c, x in found:
        if x is None:
            where = "above" if c.y[0] > target else "below"
            text = f"not reached ({name} {where} {target:g} from {c.x[0]:g} to {c.x[-1]:g} dB)"
        else:
            text = f"{x:6.2f}" + (f"  (+{x - best:.2f})" if x > best else "")
        lines.append(f"  {c.label:<{width}}  {text}")
    return lines


# --------------------------------------------------------------------------
# Theory
# --------------------------------------------------------------------------

def zf_rayleigh_ber(ebn0_linear, diversity):
    """BER of BPSK / Gray QPSK after ZF over i.i.d. Rayleigh fading.

    The post-ZF SNR of each stream is chi-square with 2L degrees of freedom,
    L = nr - nt + 1 (L = nr is MRC when nt = 1), giving the classic closed form
        P = ((1-mu)/2)^L * sum_{k<L} C(L-1+k, k) ((1+mu)/2)^k,  mu = sqrt(g/(1+g)).
    """
    g = np.asarray(ebn0_linear, dtype=float)
    L = int(diversity)
    if L < 1:
        raise ValueError("diversity must be >= 1")
    mu = np.sqrt(g / (1.0 + g))
    total = sum(math.comb(L - 1 + k, k) * ((1.0 + mu) / 2.0) ** k for k in range(L))
    return ((1.0 - mu) / 2.0) ** L * total


def theory_curves(tables, metric, x_unit, x_range):
    """Closed-form ZF/MRC curves for the rows where one exists (deduplicated)."""
    if metric != "ber":
        return []
    x_col = X_COLUMN[x_unit]
    all_configs = {config_of(r) for rows in tables for r in rows}
    grid = np.linspace(x_range[0], x_range[1], 400)
    seen, curves = set(), []
    for rows in tables:
        for cfg in dict.fromkeys(config_of(r) for r in rows):
            nt, nr, modulation, channel = cfg
            if channel != "rayleigh" or modulation not in ("bpsk", "qpsk") or nr < nt:
                continue
            # ebn0_db - x is a constant per configuration; read it off the rows
            # rather than re-deriving the SNR conventions here.
            offsets = [r["ebn0_db"] - r[x_col] for r in rows if config_of(r) == cfg]
            if max(offsets) - min(offsets) > 1e-3:
                note(f"inconsistent Eb/N0 offsets for {config_label(cfg)}; no theory curve")
                continue
            offset = round(sum(offsets) / len(offsets), 6)
            diversity = nr - nt + 1
            if (diversity, offset) in seen:
                continue
            seen.add((diversity, offset))
            name = "MRC" if nt == 1 else "ZF"
            label = f"{name} theory ($L={diversity}$)"
            if len(all_configs) > 1:
                label += f", {distinguishing_label(cfg, all_configs)}"
            y = zf_rayleigh_ber(10.0 ** ((grid + offset) / 10.0), diversity)
            curves.append(Curve(label=label, x=grid, y=y))
    return curves


# --------------------------------------------------------------------------
# Layout shared by both back ends
# --------------------------------------------------------------------------

def default_title(tables):
    """What all plotted rows share, e.g. "4x8 QPSK, Rayleigh" (differences go to the legend)."""
    configs = list(dict.fromkeys(config_of(r) for rows in tables for r in rows))
    parts = [config_parts(c) for c in configs]
    return join_parts(tuple(p if all(q[k] == p for q in parts) else ""
                            for k, p in enumerate(parts[0])))


def x_limits(tables, x_unit):
    # The whole sweep, including points that had no errors, so the reader sees
    # how far the simulation went.
    xs = [r[X_COLUMN[x_unit]] for rows in tables for r in rows]
    lo, hi = min(xs), max(xs)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    return lo, hi


def y_limits(curves, theory, metric):
    if metric in LINEAR_METRICS:
        return linear_y_limits(curves)
    return log_y_limits(curves, theory)


def linear_y_limits(curves):
    """0 to just above 1 bit, the range of mutual information, so figures compare.

    The bottom drops below 0 (to a multiple of 0.05) only for negative values;
    the top grows only for a value above 1, which a correct writer never emits,
    so that no point is ever drawn off the axes.
    """
    low = min(float(np.min(c.y)) for c in curves)
    high = max(float(np.max(c.y)) for c in curves)
    ymin = 0.0 if low >= 0 else math.floor((low - 0.02) * 20.0) / 20.0
    ymax = max(1.02, high + 0.02)
    return ymin, ymax


def log_y_limits(curves, theory):
    """Whole decades around the measured data; theory may be clipped below."""
    low = min(float(np.min(c.lo if c.lo is not None else c.y)) for c in curves)
    high = max(float(np.max(c.hi if c.hi is not None else c.y)) for c in curves)
    for t in theory:
        high = max(high, float(np.max(t.y)))
    # The 1.25 margins keep a point that sits just above a decade (or just
    # below one) off the axis frame, where its marker would be half hidden.
    ymin = 10.0 ** math.floor(math.log10(low / 1.25))
    ymax = min(1.0, 10.0 ** math.ceil(math.log10(high * 1.25)))
    if ymax <= ymin:
        ymax = ymin * 10.0
    return ymin, ymax


def style_of(index):
    marker, mark, mark_extra = MARKERS[index % len(MARKERS)]
    linestyle, pgf_linestyle = LINESTYLES[index % len(LINESTYLES)]
    return Style(color=COLORS[index % len(COLORS)], marker=marker, mark=mark,
                 mark_extra=mark_extra, linestyle=linestyle, pgf_linestyle=pgf_linestyle)


# --------------------------------------------------------------------------
# matplotlib back end (pdf, png, svg)
# --------------------------------------------------------------------------

PAPER_RC = {
    # Times-like text matching most IEEE/ACM templates; STIX ships with matplotlib.
    "font.family": "STIXGeneral",
    "mathtext.fontset": "stix",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7,
    "axes.linewidth": 0.6,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "lines.linewidth": 1.0,
    "lines.markersize": 4,
    # Embed TrueType (Type 42) instead of Type 3 fonts: publishers' PDF checks reject Type 3.
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
}


def render_matplotlib(path, fmt, figure):
    metric = figure.metric
    with plt.rc_context(PAPER_RC):
        fig, ax = plt.subplots(figsize=figure.size)
        handles = []
        for i, c in enumerate(figure.curves):
            st = style_of(i)
            kwargs = dict(color=st.color, marker=st.marker,
                          linestyle=st.linestyle, label=c.label,
                          markerfacecolor="white" if i % 2 else st.color,
                          markeredgewidth=0.8,
                          # Data lie inside the limits by construction; unclipped
                          # markers stay whole at the ends of the sweep.
                          clip_on=False, zorder=3)
            if c.lo is not None:
                yerr = np.vstack([c.y - c.lo, c.hi - c.y])
                handles.append(ax.errorbar(c.x, c.y, yerr=yerr, capsize=1.5,
                                           elinewidth=0.5, capthick=0.5, **kwargs))
            else:
                handles.extend(ax.plot(c.x, c.y, **kwargs))
        for i, t in enumerate(figure.theory):
            dashes, gray = THEORY_STYLES[i % len(THEORY_STYLES)]
            handles.extend(ax.plot(t.x, t.y, label=t.label, zorder=2,
                                   color=str(gray), linewidth=0.9,
                                   linestyle=(0, dashes), dash_capstyle="butt"))

        ax.set_xlim(*figure.xlim)
        if metric in LINEAR_METRICS:
            ax.set_ylim(*figure.ylim)
            # 0, 0.2, ..., 1: the top margin above 1 gets no tick of its own.
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_minor_locator(AutoMinorLocator())
        else:
            ax.set_yscale("log")
            ax.set_ylim(*figure.ylim)
            # Every decade labelled, minor ticks at 2..9 (unlabelled) for the minor grid.
            ax.yaxis.set_major_locator(LogLocator(base=10, numticks=30))
            ax.yaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10), numticks=30))
            ax.yaxis.set_minor_formatter(NullFormatter())
        # Whole-dB ticks (1, 2, 5 or 10 dB apart) read better than matplotlib's 2.5.
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10], integer=True))
        ax.xaxis.set_minor_locator(AutoMinorLocator())
        ax.grid(True, which="major", linewidth=0.5, color="0.75")
        ax.grid(True, which="minor", linewidth=0.3, color="0.88", linestyle=":")
        ax.set_axisbelow(True)
        ax.set_xlabel(X_LABEL[figure.x_unit])
        ax.set_ylabel(Y_LABEL[metric])
        if figure.title:
            ax.set_title(figure.title)
        # Explicit handles keep the measured curves first, in file order
        # (matplotlib would otherwise list plain lines before error-bar plots).
        placement = {"loc": "best"}
        if len(handles) > MAX_LEGEND_INSIDE:
            placement = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncol": 2}
        legend = ax.legend(handles=handles, frameon=True, framealpha=0.9,
                           edgecolor="0.5", fancybox=False, handlelength=2.6,
                           borderpad=0.3, labelspacing=0.25, columnspacing=1.0,
                           **placement)
        legend.get_frame().set_linewidth(0.5)
        fig.savefig(path, format=fmt, bbox_inches="tight", pad_inches=0.02,
                    dpi=300 if fmt == "png" else None)
        plt.close(fig)


# --------------------------------------------------------------------------
# pgfplots back end (tex)
# --------------------------------------------------------------------------

TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#",
               "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}


def tex_escape(text):
    """Escape LaTeX specials outside $...$ so labels with math survive as math."""
    parts = text.split("$")
    if len(parts) % 2 == 0:  # unbalanced $: treat everything as text
        return "".join(TEX_SPECIAL.get(ch, ch) for ch in text).replace("$", r"\$")
    return "$".join(part if i % 2 else "".join(TEX_SPECIAL.get(ch, ch) for ch in part)
                    for i, part in enumerate(parts))


def tex_number(v):
    return f"{float(v):.6g}"


def tex_table(columns, names):
    lines = [" ".join(names) + r" \\"]
    for values in zip(*columns):
        lines.append(" ".join(tex_number(v) for v in values) + r" \\")
    return "\n".join("    " + line for line in lines)


def render_tex(path, figure):
    metric, xlim, ylim, title = figure.metric, figure.xlim, figure.ylim, figure.title
    out = [
        "% Generated by scripts/plot_ber.py. Needs \\usepackage{pgfplots}",
        "% (\\pgfplotsset{compat=1.16} or newer recommended). Use with \\input{...}.",
        r"\begin{tikzpicture}",
    ]
    for i, color in enumerate(COLORS):
        out.append(r"\definecolor{plotber%s}{HTML}{%s}" % (chr(ord("A") + i), color[1:]))
    if metric in LINEAR_METRICS:
        # One minor tick between the major ones, like the matplotlib output.
        y_axis = ["minor y tick num=1"]
    else:
        y_axis = [
            "ymode=log", "log basis y=10",
            # A labelled tick at every decade (pgfplots thins them out otherwise),
            # which also brings back the minor 2..9 grid.
            "ytickten={%d,...,%d}" % (round(math.log10(ylim[0])), round(math.log10(ylim[1]))),
        ]
    options = [
        f"width={figure.size[0]:g}in", f"height={figure.size[1]:g}in",
        *y_axis,
        f"xmin={tex_number(xlim[0])}", f"xmax={tex_number(xlim[1])}",
        f"ymin={tex_number(ylim[0])}", f"ymax={tex_number(ylim[1])}",
        f"xlabel={{{X_LABEL[figure.x_unit]}}}", f"ylabel={{{Y_LABEL[metric]}}}",
        "grid=both", "major grid style={line width=0.3pt, draw=black!25}",
        "minor grid style={line width=0.2pt, draw=black!10, dotted}",
        "tick align=inside", "label style={font=\\footnotesize}",
        "tick label style={font=\\footnotesize}",
        "legend style={font=\\scriptsize, cells={anchor=west}, fill=white, fill opacity=0.9,"
        " draw opacity=1, text opacity=1}",
        "every axis plot/.append style={line width=0.6pt}",
    ]
    if len(figure.curves) + len(figure.theory) > MAX_LEGEND_INSIDE:
        # Below the x label, two columns (as the matplotlib output does).
        options.append("legend columns=2")
        options.append("legend style={at={(0.5,-0.22)}, anchor=north, /tikz/every even column/.append style={column sep=0.8em}}")
    elif metric in LINEAR_METRICS:
        # Mutual information rises with SNR: the lower right is where it is still empty.
        options.append("legend pos=south east")
    else:
        options.append("legend pos=south west")
    if title:
        options.append(f"title={{{tex_escape(title)}}}")
        options.append("title style={font=\\small}")
    out.append(r"\begin{axis}[")
    out.extend(f"  {o}," for o in options)
    out.append("]")

    for i, c in enumerate(figure.curves):
        st = style_of(i)
        mark_options = ["solid"] + ([st.mark_extra] if st.mark_extra else [])
        if i % 2 and st.mark.endswith("*"):
            mark_options.append("fill=white")  # hollow variant, as in the matplotlib output
        color = "plotber" + chr(ord("A") + i % len(COLORS))
        plot_opts = [color, st.pgf_linestyle, f"mark={st.mark}",
                     f"mark options={{{', '.join(mark_options)}}}", "mark size=1.6pt"]
        if c.lo is not None:
            plot_opts.append("error bars/.cd, y dir=both, y explicit, "
                             "error bar style={line width=0.3pt, solid}, error mark options={rotate=90, mark size=1pt, line width=0.3pt}")
            table_opts = r"x=x, y=y, y error plus=ep, y error minus=em, row sep=\\"
            body = tex_table([c.x, c.y, c.hi - c.y, c.y - c.lo],
                             ["x", "y", "ep", "em"])
        else:
            table_opts = r"x=x, y=y, row sep=\\"
            body = tex_table([c.x, c.y], ["x", "y"])
        out.append(r"\addplot[%s] table[%s] {" % (", ".join(plot_opts), table_opts))
        out.append(body)
        out.append("};")
        out.append(r"\addlegendentry{%s}" % tex_escape(c.label))

    for i, t in enumerate(figure.theory):
        dashes, gray = THEORY_STYLES[i % len(THEORY_STYLES)]
        pattern = " ".join(f"{'on' if k % 2 == 0 else 'off'} {d:g}pt" for k, d in enumerate(dashes))
        # Theory can fall far below ymin; pgfplots would clip, but drop the
        # points to keep the file small and avoid "dimension too large".
        keep = t.y >= ylim[0] / 10.0
        out.append(r"\addplot[black!%d, dashed, dash pattern={%s}, no markers, smooth] "
                   r"table[x=x, y=y, row sep=\\] {" % (round(100 * (1 - gray)), pattern))
        out.append(tex_table([t.x[keep], t.y[keep]], ["x", "y"]))
        out.append("};")
        out.append(r"\addlegendentry{%s}" % tex_escape(t.label))

    out += [r"\end{axis}", r"\end{tikzpicture}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def write_atomically(final_path, fmt, write):
    """Write via a temporary file in the target directory, renamed only when complete.

    A crash or error therefore never leaves a half-written figure behind.
    """
    directory = os.path.dirname(os.path.abspath(final_path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, suffix="." + fmt,
                                   prefix="." + os.path.basename(final_path) + ".")
    except OSError as e:
        raise PlotError(f"cannot write to {directory}: {e.strerror or e}") from None
    os.close(fd)
    try:
        write(tmp)
        # mkstemp creates 0600; give the figure the usual umask-derived mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, final_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def output_format(path, requested):
    fmt = requested or os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in FORMATS:
        shown = fmt if fmt else "(none)"
        raise PlotError(f"unknown output format '{shown}' (expected one of {', '.join(FORMATS)};"
                        " use an -o extension or --format)")
    return fmt


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def note(message):
    print(f"{PROG}: note: {message}", file=sys.stderr)


def parse_size(text):
    try:
        w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected W,H in inches, got '{text}'") from None
    if not (0 < w < 100 and 0 < h < 100):
        raise argparse.ArgumentTypeError(f"size out of range: '{text}'")
    return w, h


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="plot_ber.py",
        description="Plot BER/SER or LLR mutual-information curves from "
                    "`mimo evaluate` CSV files.")
    p.add_argument("csv", nargs="+", help="results CSV file(s)")
    p.add_argument("-o", "--output", default=None,
                   help="output file; its extension picks the format unless --format is given "
                        "(required unless --snr-at is given)")
    p.add_argument("--metric", choices=METRICS, default="ber",
                   help="ber, ser, or llr_info: the bitwise mutual information of the "
                        "detectors' max-log LLRs (linear axis; detectors without LLRs "
                        "are left out)")
    p.add_argument("--x", dest="x_unit", choices=X_UNITS, default=None,
                   help="x axis: snr (= Nt Es/N0), esn0 or ebn0; default: snr_unit from "
                        "the .json beside the first CSV, else snr")
    p.add_argument("--theory", action="store_true",
                   help="overlay ZF/MRC closed forms (i.i.d. Rayleigh, BPSK/QPSK, BER only)")
    p.add_argument("--title", default=None,
                   help="plot title (default from the rows; pass '' for none)")
    # Not argparse choices: an unknown format is a data error (status 1), like a bad -o extension.
    p.add_argument("--format", default=None, help="pdf, png, svg or tex")
    p.add_argument("--size", type=parse_size, default=(3.5, 2.6),
                   help="figure size W,H in inches (default 3.5,2.6: one IEEE column)")
    p.add_argument("--snr-at", type=float, default=None, metavar="VALUE",
                   help="print the SNR at which each curve's metric reaches VALUE (e.g. 1e-2) "
                        "and its gap to the best curve")
    args = p.parse_args(argv)
    if args.output is None and args.snr_at is None:
        p.error("give -o/--output, --snr-at, or both")
    return args


def run(args):
    fmt = output_format(args.output, args.format.lower() if args.format else None) if args.output else None
    tables = [read_results(path) for path in args.csv]
    x_unit = args.x_unit or default_x_unit(args.csv[0])

    curves = build_curves(tables, args.csv, args.metric, x_unit)
    if not curves:
        raise PlotError(f"nothing to plot: {NO_POINTS[args.metric]}")
    if args.snr_at is not None:
        if args.metric != "llr_info" and not args.snr_at > 0:
            raise PlotError(f"--snr-at must be > 0 for {args.metric}")
        print("\n".join(snr_at_report(curves, args.metric, args.snr_at, x_unit)))
    if args.output is None:
        return
    xlim = x_limits(tables, x_unit)
    theory = theory_curves(tables, args.metric, x_unit, xlim) if args.theory else []
    if args.theory and not theory:
        note("--theory: no closed form applies (needs channel rayleigh, "
             "modulation bpsk/qpsk, nr >= nt, metric ber)")
    figure = Figure(curves=curves, theory=theory, x_unit=x_unit, metric=args.metric,
                    title=default_title(tables) if args.title is None else args.title,
                    size=args.size, xlim=xlim, ylim=y_limits(curves, theory, args.metric))

    if fmt == "tex":
        write = lambda tmp: render_tex(tmp, figure)
    else:
        write = lambda tmp: render_matplotlib(tmp, fmt, figure)
    try:
        write_atomically(args.output, fmt, write)
    except ValueError as e:
        # e.g. mathtext rejecting a --title with an unbalanced '$'.
        raise PlotError(f"cannot draw the figure: {str(e).strip().splitlines()[0]}") from None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except PlotError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
