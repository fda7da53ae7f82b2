// Constellations against 3GPP TS 38.211 section 5.1, written out here from the standard's formulas (not from
// channel/modulation.cpp), plus brute-force references for hard decisions and max-log LLRs.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel/modulation.hpp"
#include "references.hpp"

namespace {

using mimo::cdouble;
using mimo::cfloat;
using mimo::Constellation;
using mimo::Modulation;
using mimo::test::bits_of;
using mimo::test::ref_map;

const std::vector<Modulation> kAll = {Modulation::bpsk, Modulation::qpsk, Modulation::qam16, Modulation::qam64,
                                      Modulation::qam256};

// Bits of symbol index s, MSB first (b(0) = MSB).
std::vector<int> index_bits(int s, int m) {
  std::vector<int> b(m);
  for (int j = 0; j < m; ++j) b[j] = (s >> (m - 1 - j)) & 1;
  return b;
}

std::vector<cdouble> ref_points(Modulation m) {
  const int nb = bits_of(m);
  std::vector<cdouble> p(1 << nb);
  for (int s = 0; s < (1 << nb); ++s) p[s] = ref_map(m, index_bits(s, nb).data());
  return p;
}

int brute_nearest(const std::vector<cdouble>& pts, cdouble y) {
  int best = 0;
  double bd = std::numeric_limits<double>::infinity();
  for (int s = 0; s < static_cast<int>(pts.size()); ++s) {
    const double d = std::norm(y - pts[s]);
    if (d < bd) { bd = d; best = s; }
  }
  return best;
}

// Brute-force max-log over all M points: (min_{b=1}|y-s|^2 - min_{b=0}|y-s|^2) / N0.
std::vector<double> brute_llr(const std::vector<cdouble>& pts, int m, cdouble y, double n0) {
  std::vector<double> out(m);
  for (int j = 0; j < m; ++j) {
    double d0 = std::numeric_limits<double>::infinity(), d1 = d0;
    for (int s = 0; s < static_cast<int>(pts.size()); ++s) {
      const double d = std::norm(y - pts[s]);
      if ((s >> (m - 1 - j)) & 1) d1 = std::min(d1, d); else d0 = std::min(d0, d);
    }
    out[j] = (d1 - d0) / n0;
  }
  return out;
}

cdouble lit(double re, double im, double norm) { return cdouble(re, im) / std::sqrt(norm); }

std::vector<uint8_t> bits_from_string(const std::string& s) {
  std::vector<uint8_t> b;
  for (char c : s) b.push_back(static_cast<uint8_t>(c - '0'));
  return b;
}

TEST(Modulation, ParseAndNames) {
  EXPECT_EQ(mimo::parse_modulation("bpsk"), Modulation::bpsk);
  EXPECT_EQ(mimo::parse_modulation("qpsk"), Modulation::qpsk);
  EXPECT_EQ(mimo::parse_modulation("qam16"), Modulation::qam16);
  EXPECT_EQ(mimo::parse_modulation("16qam"), Modulation::qam16);
  EXPECT_EQ(mimo::parse_modulation("qam64"), Modulation::qam64);
  EXPECT_EQ(mimo::parse_modulation("qam256"), Modulation::qam256);
  for (Modulation m : kAll) EXPECT_EQ(mimo::parse_modulation(mimo::to_string(m)), m);
  for (const char* bad : {"", "qam8", "8psk", "QPSK ", "qam", "qam1024", "bpsk2", "16-qam"})
    EXPECT_THROW(mimo::parse_modulation(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(Modulation, SizesAndBitsPerSymbol) {
  for (Modulation m : kAll) {
    Constellation c(m);
    EXPECT_EQ(c.modulation(), m);
    EXPECT_EQ(c.bits_per_symbol(), bits_of(m));
    EXPECT_EQ(c.size(), 1 << bits_of(m));
    EXPECT_EQ(static_cast<int>(c.points().size()), c.size());
    EXPECT_EQ(c.is_real(), m == Modulation::bpsk);
  }
}

TEST(Modulation, EveryPointMatches38211) {
  for (Modulation m : kAll) {
    Constellation c(m);
    const int nb = bits_of(m);
    for (int s = 0; s < c.size(); ++s) {
      const auto b = index_bits(s, nb);
      const cdouble want = ref_map(m, b.data());
      EXPECT_NEAR(c.points()[s].real(), want.real(), 1e-12) << mimo::to_string(m) << " s=" << s;
      EXPECT_NEAR(c.points()[s].imag(), want.imag(), 1e-12) << mimo::to_string(m) << " s=" << s;
      std::vector<uint8_t> bb(b.begin(), b.end());
      EXPECT_EQ(c.index_of(bb.data()), s);
      const cdouble mapped = c.map(bb.data());
      EXPECT_NEAR(std::abs(mapped - want), 0.0, 1e-12);
      for (int j = 0; j < nb; ++j) EXPECT_EQ(c.bit(s, j), b[j]);
      std::vector<uint8_t> out(nb, 7);
      c.bits_of(s, out.data());
      for (int j = 0; j < nb; ++j) EXPECT_EQ(out[j], b[j]);
    }
  }
}

TEST(Modulation, HandCheckedLiterals) {
  struct Case { Modulation m; const char* bits; cdouble want; };
  const std::vector<Case> cases = {
      {Modulation::bpsk, "0", {1.0, 0.0}},
      {Modulation::bpsk, "1", {-1.0, 0.0}},
      {Modulation::qpsk, "00", lit(1, 1, 2)},
      {Modulation::qpsk, "01", lit(1, -1, 2)},
      {Modulation::qpsk, "10", lit(-1, 1, 2)},
      {Modulation::qpsk, "11", lit(-1, -1, 2)},
      {Modulation::qam16, "0000", lit(1, 1, 10)},
      {Modulation::qam16, "1111", lit(-3, -3, 10)},
      {Modulation::qam16, "1000", lit(-1, 1, 10)},
      {Modulation::qam16, "0010", lit(3, 1, 10)},
      {Modulation::qam16, "0001", lit(1, 3, 10)},
      {Modulation::qam64, "000000", lit(3, 3, 42)},
      {Modulation::qam64, "111111", lit(-7, -7, 42)},
      {Modulation::qam64, "001000", lit(5, 3, 42)},
      {Modulation::qam64, "001010", lit(7, 3, 42)},
      {Modulation::qam64, "000010", lit(1, 3, 42)},
      {Modulation::qam256, "00000000", lit(5, 5, 170)},
      {Modulation::qam256, "11111111", lit(-15, -15, 170)},
      {Modulation::qam256, "00000010", lit(7, 5, 170)},
      {Modulation::qam256, "00101010", lit(15, 5, 170)},
  };
  for (const auto& cs : cases) {
    Constellation c(cs.m);
    const auto b = bits_from_string(cs.bits);
    const cdouble got = c.map(b.data());
    EXPECT_NEAR(got.real(), cs.want.real(), 1e-12) << cs.bits;
    EXPECT_NEAR(got.imag(), cs.want.imag(), 1e-12) << cs.bits;
  }
}

TEST(Modulation, UnitAverageEnergyAndDistinctPoints) {
  for (Modulation m : kAll) {
    Constellation c(m);
    double e = 0.0;
    for (const auto& p : c.points()) e += std::norm(p);
    EXPECT_NEAR(e / c.size(), 1.0, 1e-12) << mimo::to_string(m);
    for (int a = 0; a < c.size(); ++a)
      for (int b = a + 1; b < c.size(); ++b) EXPECT_GT(std::abs(c.points()[a] - c.points()[b]), 1e-3);
    if (c.is_real()) {
      for (const auto& p : c.points()) EXPECT_EQ(p.imag(), 0.0);
    }
  }
}

TEST(Modulation, GrayNearestNeighboursDifferInOneBit) {
  for (Modulation m : kAll) {
    Constellation c(m);
    const auto& p = c.points();
    double dmin = std::numeric_limits<double>::infinity();
    for (int a = 0; a < c.size(); ++a)
      for (int b = a + 1; b < c.size(); ++b) dmin = std::min(dmin, std::abs(p[a] - p[b]));
    int pairs = 0;
    for (int a = 0; a < c.size(); ++a)
      for (int b = a + 1; b < c.size(); ++b)
        if (std::abs(p[a] - p[b]) < dmin * (1 + 1e-9)) {
          ++pairs;
          EXPECT_EQ(std::popcount(static_cast<unsigned>(a ^ b)), 1)
              << mimo::to_string(m) << " neighbours " << a << " and " << b;
        }
    // A sqrt(M) x sqrt(M) grid has 2 L (L - 1) nearest-neighbour pairs; BPSK has one.
    const int L = c.is_real() ? 2 : (1 << (c.bits_per_symbol() / 2));
    EXPECT_EQ(pairs, c.is_real() ? 1 : 2 * L * (L - 1)) << mimo::to_string(m);
  }
}

TEST(Modulation, ModulateMatchesReferenceAndRejectsBadSizes) {
  std::mt19937_64 gen(11);
  for (Modulation m : kAll) {
    Constellation c(m);
    const int nb = c.bits_per_symbol();
    const size_t ns = 500;
    std::vector<uint8_t> bits(ns * nb);
    for (auto& b : bits) b = static_cast<uint8_t>(gen() & 1);
    std::vector<cfloat> sym(ns);
    c.modulate(bits, sym);
    for (size_t i = 0; i < ns; ++i) {
      std::vector<int> b(bits.begin() + i * nb, bits.begin() + (i + 1) * nb);
      const cdouble want = ref_map(m, b.data());
      EXPECT_NEAR(sym[i].real(), want.real(), 1e-6);
      EXPECT_NEAR(sym[i].imag(), want.imag(), 1e-6);
    }
    std::vector<cfloat> wrong(ns + 1);
    EXPECT_THROW(c.modulate(bits, wrong), std::invalid_argument);
  }
}

TEST(Modulation, BitsSymbolsHardIndexRoundTrip) {
  std::mt19937_64 gen(12);
  for (Modulation m : kAll) {
    Constellation c(m);
    const int nb = c.bits_per_symbol();
    const size_t ns = 2000;
    std::vector<uint8_t> bits(ns * nb);
    for (auto& b : bits) b = static_cast<uint8_t>(gen() & 1);
    std::vector<cfloat> sym(ns);
    c.modulate(bits, sym);
    std::vector<uint8_t> back(nb);
    for (size_t i = 0; i < ns; ++i) {
      const int s = c.hard_index(cdouble(sym[i]));
      c.bits_of(s, back.data());
      for (int j = 0; j < nb; ++j) ASSERT_EQ(back[j], bits[i * nb + j]) << mimo::to_string(m) << " sym " << i;
      EXPECT_EQ(std::abs(c.hard_decision(cdouble(sym[i])) - c.points()[s]), 0.0);
    }
  }
}

TEST(Modulation, HardDecisionOfNoisyPointsIsBruteForceNearest) {
  std::mt19937_64 gen(13);
  std::normal_distribution<double> g(0.0, 1.0);
  for (Modulation m : kAll) {
    Constellation c(m);
    const auto ref = ref_points(m);
    std::uniform_int_distribution<int> pick(0, c.size() - 1);
    for (double sigma : {0.05, 0.2, 0.6, 2.0}) {
      for (int i = 0; i < 3000; ++i) {
        const cdouble y = ref[pick(gen)] + sigma * cdouble(g(gen), g(gen));
        const int want = brute_nearest(ref, y);
        ASSERT_EQ(c.hard_index(y), want) << mimo::to_string(m) << " y=" << y;
      }
    }
    // Far outside the constellation: still the nearest (corner / edge) point.
    for (cdouble y : {cdouble(100, 100), cdouble(-100, 3), cdouble(0.01, -1e6), cdouble(1e9, -1e9)})
      EXPECT_EQ(c.hard_index(y), brute_nearest(ref, y)) << mimo::to_string(m) << " y=" << y;
  }
}

TEST(Modulation, MaxLogLlrMatchesBruteForce) {
  std::mt19937_64 gen(14);
  std::uniform_real_distribution<double> u(-1.6, 1.6);
  std::uniform_real_distribution<double> logn0(std::log(0.02), std::log(10.0));
  for (Modulation m : kAll) {
    Constellation c(m);
    const int nb = c.bits_per_symbol();
    const auto ref = ref_points(m);
    std::vector<double> got(nb);
    for (int i = 0; i < 4000; ++i) {
      const cdouble y(u(gen), u(gen));
      const double n0 = std::exp(logn0(gen));
      c.llr_maxlog(y, n0, got.data());
      const auto want = brute_llr(ref, nb, y, n0);
      for (int j = 0; j < nb; ++j) {
        ASSERT_LT(std::abs(want[j]), mimo::kLlrClip);  // the comparison is about max-log, not clipping
        ASSERT_NEAR(got[j], want[j], 1e-9 * std::max(1.0, std::abs(want[j])))
            << mimo::to_string(m) << " bit " << j << " y=" << y << " n0=" << n0;
      }
    }
  }
}

TEST(Modulation, LlrSignsAgreeWithTransmittedBitsAtHighSnr) {
  std::mt19937_64 gen(15);
  std::normal_distribution<double> g(0.0, 1.0);
  for (Modulation m : kAll) {
    Constellation c(m);
    const int nb = c.bits_per_symbol();
    const auto ref = ref_points(m);
    // Minimum distance / 2 of 256QAM is 1/sqrt(170) ~ 0.077; noise std 0.005 per dimension is > 15 sigma away.
    const double n0 = 5e-5;
    std::vector<double> llr(nb);
    for (int i = 0; i < 2000; ++i) {
      const int s = static_cast<int>(gen() % ref.size());
      const cdouble y = ref[s] + std::sqrt(n0 / 2) * cdouble(g(gen), g(gen));
      c.llr_maxlog(y, n0, llr.data());
      for (int j = 0; j < nb; ++j) {
        const int b = (s >> (nb - 1 - j)) & 1;
        if (b == 0) {
          ASSERT_GT(llr[j], 0.0) << mimo::to_string(m) << " s=" << s << " bit " << j;
        } else {
          ASSERT_LT(llr[j], 0.0) << mimo::to_string(m) << " s=" << s << " bit " << j;
        }
      }
    }
  }
}

TEST(Modulation, LlrsFiniteAndClippedAtZeroNoiseAndHugeInputs) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Modulation m : kAll) {
    Constellation c(m);
    const int nb = c.bits_per_symbol();
    std::vector<double> llr(nb);
    // Exactly on a point with N0 = 0 or tiny: every LLR saturates at +-kLlrClip with the right sign.
    for (double n0 : {0.0, 1e-30, 1e-300}) {
      for (int s = 0; s < c.size(); ++s) {
        c.llr_maxlog(c.points()[s], n0, llr.data());
        for (int j = 0; j < nb; ++j) {
          ASSERT_TRUE(std::isfinite(llr[j]));
          EXPECT_EQ(llr[j], c.bit(s, j) ? -mimo::kLlrClip : mimo::kLlrClip)
              << mimo::to_string(m) << " s=" << s << " bit " << j << " n0=" << n0;
        }
      }
    }
    for (cdouble y : {cdouble(1e6, -1e6), cdouble(1e150, 1e150), cdouble(-1e300, 1e300), cdouble(inf, -inf),
                      cdouble(nan, 0.5), cdouble(0.3, nan), cdouble(nan, nan)}) {
      for (double n0 : {0.0, 1e-30, 1.0, 1e30}) {
        c.llr_maxlog(y, n0, llr.data());
        for (int j = 0; j < nb; ++j) {
          EXPECT_FALSE(std::isnan(llr[j])) << mimo::to_string(m) << " y=" << y << " n0=" << n0;
          EXPECT_TRUE(std::isfinite(llr[j])) << mimo::to_string(m) << " y=" << y << " n0=" << n0;
          EXPECT_LE(std::abs(llr[j]), mimo::kLlrClip);
        }
      }
    }
    // A large but representable y far in the first quadrant: the sign of b(0) (and b(1)) still favours 0.
    c.llr_maxlog(cdouble(1e6, 1e6), 1.0, llr.data());
    EXPECT_EQ(llr[0], mimo::kLlrClip);
    if (nb > 1) {
      EXPECT_EQ(llr[1], mimo::kLlrClip);
    }
    // Hard decisions of NaN inputs must still be a valid index.
    const int s = c.hard_index(cdouble(nan, nan));
    EXPECT_GE(s, 0);
    EXPECT_LT(s, c.size());
  }
}

}  // namespace
