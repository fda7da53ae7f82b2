#!/usr/bin/env python3
"""The normal approximation of the best block error rate of a binary code on the binary-input AWGN channel.

    /usr/bin/python3 scripts/normal_approximation.py --k 1024 --n 2048 [--bler 1e-2] [--curve START:STEP:STOP]

For a code of k information bits and n channel bits sent as BPSK over real AWGN (the BI-AWGN channel), the normal
approximation of Polyanskiy, Poor and Verdu ("Channel coding rate in the finite blocklength regime", IEEE Trans.
Inf. Theory 56(5), 2010: their eq. (1), with the (1/2) log2 n third-order term they prove for the BSC and the AWGN
channel, and which the short-code literature uses for the BI-AWGN channel, e.g. Coskun et al., "Efficient
error-correcting codes in the short blocklength regime", Physical Communication, 2019) says the largest code with
block error rate eps has

    log2 M*(n, eps) ~= n C - sqrt(n V) Q^-1(eps) + (1/2) log2 n,

so a code with M = 2^k reaches eps = Q((n C - k + (1/2) log2 n) / sqrt(n V)). C and V, the capacity and the
dispersion (bits and bits^2 per channel use), are the mean and the variance of the information density
i = 1 - log2(1 + exp(-L)) given x = +1, where L = 4 (Es/N0) y is the channel LLR: L ~ N(4 Es/N0, 8 Es/N0). They
are integrated over the Gaussian with the trapezoid rule on a uniform grid of 20001 points in +-10 standard
deviations: fine enough for the log2(1 + exp(-L)) bend near L = 0, which at high SNR sits in the tail and is narrow
against the spread of L (Gauss-Hermite quadrature with 160 nodes is off by 5e-8 at 7 dB); C and V agree to 1e-11
with a grid 100 times finer over +-14 standard deviations from Es/N0 = -60 to 40 dB.

The SNR axis: Es/N0 with N0/2 the noise variance per real dimension, i.e. y = x + w, x = +-sqrt(Es), w ~ N(0, N0/2):
mimo's `--mod bpsk --channel awgn --nt 1 --nr 1 --snr-unit esn0` (real BPSK, complex noise CN(0, N0), of which
BPSK sees the real part). Eb counts information bits: Eb/N0 = Es/N0 n / k.

Default output: the Eb/N0 (and Es/N0) at which the approximation reaches the target BLER, and the BI-AWGN capacity
limit for rate k/n (the Eb/N0 where C = k/n; 0.187 dB for rate 1/2). --curve adds a CSV table of the approximation
against Eb/N0. For (n, k) = (2048, 1024) at BLER 1e-2 the approximation gives Eb/N0 = 0.69 dB (1.01 dB at 1e-4;
(128, 64) at 1e-4: 2.92 dB). M. Rowshan's dispersion_bound.m (github.com/mohammad-rowshan/
Dispersion-Polyanskiy-Bound-for-BLER-of-Finite-Length-Codes) computes the same formula with SNR = 2 Es/N0.

Needs only the standard library and numpy.
"""

import argparse
import math
import sys

import numpy as np

PROG = "normal_approximation"

# E[f(Z)], Z ~ N(0, 1), as sum(_W * f(_Z)): the trapezoid rule (the end weights, 1e-23 of the mass, need no halving).
_Z = np.linspace(-10.0, 10.0, 20001)
_W = np.exp(-0.5 * _Z**2) / math.sqrt(2.0 * math.pi) * (_Z[1] - _Z[0])

# Es/N0 the bisections search (dB): C runs from 3e-6 to 1 bit over it, so it holds every operating point of a
# binary code of rate above 3e-6 (the grid below keeps C and V to 1e-11 over the whole range).
SNR_SEARCH_DB = (-60.0, 40.0)


class ApproximationError(Exception):
    """A user-facing error: reported as one line, exit status 1."""


def db_to_linear(db):
    return 10.0 ** (db / 10.0)


def linear_to_db(x):
    return 10.0 * math.log10(x)


def q_function(z):
    """Q(z) = P(Z > z) for Z ~ N(0, 1)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def q_inverse(eps):
    """Q^-1(eps) for 0 < eps < 1, by bisection on Q (monotone), to the last bits of a double."""
    if not 0.0 < eps < 1.0:
        raise ApproximationError(f"the block error rate has to be in (0, 1) (got {eps})")
    return bisect_decreasing(q_function, eps, -40.0, 40.0)  # Q(-40) = 1 and Q(40) = 0 in double precision


def bisect_decreasing(decreasing, target, lo, hi, tolerance=0.0):
    """x in [lo, hi] where the decreasing function crosses target, to within tolerance (0: the last bits)."""
    while hi - lo > tolerance:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if decreasing(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def information_density(llr):
    """i = 1 - log2(1 + exp(-L)) bits for the channel LLR L of a transmitted +1; overflow-free."""
    return 1.0 - np.logaddexp(0.0, -llr) / math.log(2.0)


def capacity_dispersion(esn0_db):
    """(C, V) of the BI-AWGN channel at Es/N0 (dB): C in bits, V in bits^2 per channel use."""
    g = db_to_linear(esn0_db)
    llr = 4.0 * g + math.sqrt(8.0 * g) * _Z  # L ~ N(4 Es/N0, 8 Es/N0)
    i = information_density(llr)
    c = float(np.dot(_W, i))
    v = float(np.dot(_W, (i - c) ** 2))
    return c, v


def check_code(k, n):
    if k < 1 or n < 1:
        raise ApproximationError(f"k and n have to be at least 1 (got k = {k}, n = {n})")
    if k >= n:
        raise ApproximationError(f"k has to be smaller than n: a binary code of rate >= 1 cannot correct errors "
                                 f"(got k = {k}, n = {n})")


def bler_at_esn0(esn0_db, k, n):
    """The normal approximation of the best BLER of an (n, k) binary code at Es/N0 (dB)."""
    c, v = capacity_dispersion(esn0_db)
    if v <= 0.0:
        return 0.0 if n * c + 0.5 * math.log2(n) > k else 1.0
    return q_function((n * c - k + 0.5 * math.log2(n)) / math.sqrt(n * v))


def esn0_to_ebn0(esn0_db, k, n):
    return esn0_db + linear_to_db(n / k)


def ebn0_to_esn0(ebn0_db, k, n):
    return ebn0_db - linear_to_db(n / k)


def _bisect_db(decreasing, target, what):
    """The dB value in SNR_SEARCH_DB where decreasing(dB) crosses target (1e-9 dB); `what` names it in errors."""
    lo, hi = SNR_SEARCH_DB
    if not decreasing(lo) > target > decreasing(hi):
        raise ApproximationError(f"{what} is not reached between Es/N0 = {lo:g} and {hi:g} dB")
    return bisect_decreasing(decreasing, target, lo, hi, tolerance=1e-9)


def esn0_at_bler(k, n, bler=1e-2):
    """Es/N0 (dB) at which the normal approximation of an (n, k) code reaches `bler`."""
    check_code(k, n)
    q_inverse(bler)  # validates the range
    return _bisect_db(lambda db: bler_at_esn0(db, k, n), bler, f"BLER {bler:g} of the ({n}, {k}) approximation")


def ebn0_at_bler(k, n, bler=1e-2):
    """Eb/N0 (dB, Eb per information bit) at which the normal approximation reaches `bler`."""
    return esn0_to_ebn0(esn0_at_bler(k, n, bler), k, n)


def capacity_limit_ebn0(rate):
    """Eb/N0 (dB) at which the BI-AWGN capacity equals `rate` bits per channel use (0 < rate < 1)."""
    if not 0.0 < rate < 1.0:
        raise ApproximationError(f"the rate has to be in (0, 1) (got {rate})")
    esn0 = _bisect_db(lambda db: -capacity_dispersion(db)[0], -rate, f"capacity {rate:g}")
    return esn0 - linear_to_db(rate)


def parse_range(text):
    """'START:STEP:STOP' (dB, STOP included within rounding) -> list of floats."""
    try:
        start, step, stop = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:STEP:STOP in dB, got '{text}'") from None
    if step <= 0 or stop < start or (stop - start) / step > 10000:
        raise argparse.ArgumentTypeError(f"expected START <= STOP and 0 < STEP, at most 10000 points, got '{text}'")
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    return [start + i * step for i in range(count)]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description="Normal approximation (Polyanskiy-Poor-Verdu 2010) of the best BLER of a binary "
                               "(n, k) code on the BI-AWGN channel (BPSK over real AWGN).")
    p.add_argument("--k", type=int, required=True, help="information bits per block")
    p.add_argument("--n", type=int, required=True, help="channel bits (BPSK symbols) per block")
    p.add_argument("--bler", type=float, default=1e-2, help="target block error rate (default 1e-2)")
    p.add_argument("--curve", type=parse_range, metavar="START:STEP:STOP",
                   help="also print a CSV table of the approximation over this Eb/N0 grid (dB)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        check_code(args.k, args.n)
        rate = args.k / args.n
        esn0 = esn0_at_bler(args.k, args.n, args.bler)
        ebn0 = esn0_to_ebn0(esn0, args.k, args.n)
        limit = capacity_limit_ebn0(rate)
        print(f"normal approximation, BI-AWGN, k = {args.k}, n = {args.n} (rate {rate:.6g}), BLER {args.bler:g}:")
        print(f"  Eb/N0 = {ebn0:.4f} dB  (Es/N0 = {esn0:.4f} dB: mimo evaluate --channel awgn --nt 1 --nr 1 "
              f"--mod bpsk --snr-unit esn0 --snr-db {esn0:.4f})")
        print(f"  BI-AWGN capacity limit for rate {rate:.6g}: Eb/N0 = {limit:.4f} dB")
        if args.curve:
            print("ebn0_db,esn0_db,capacity,dispersion,bler")
            for eb in args.curve:
                es = ebn0_to_esn0(eb, args.k, args.n)
                c, v = capacity_dispersion(es)
                print(f"{eb:.4f},{es:.4f},{c:.8f},{v:.8f},{bler_at_esn0(es, args.k, args.n):.6e}")
    except ApproximationError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
