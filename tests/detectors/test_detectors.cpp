// The classical detectors against closed forms, brute force and each other.
#include <gtest/gtest.h>

#include <armadillo>
#include <cmath>
#include <limits>
#include <ostream>

#include "channel/generator.hpp"
#include "detectors/detector.hpp"
#include "tests/detectors/batches.hpp"
#include "detectors/tree_search.hpp"
#include "evaluation/ber_engine.hpp"

namespace mimo {
namespace {

using test::make_batch;

Detection run(const std::string& spec, const SampleBatch& b, int threads = 2) {
  const Modulation mod = b.m == 1   ? Modulation::bpsk
                         : b.m == 2 ? Modulation::qpsk
                         : b.m == 4 ? Modulation::qam16
                         : b.m == 6 ? Modulation::qam64
                                    : Modulation::qam256;
  Detection d;
  make_detector(spec, mod)->detect(b, d, threads);
  return d;
}

uint64_t bit_errors(const SampleBatch& b, const Detection& d) {
  PointResult r;
  count_errors(b, d, r);
  return r.bit_errors;
}

// BER of ZF (or MRC for one stream) over i.i.d. Rayleigh fading, BPSK or Gray QPSK, diversity L = Nr - Nt + 1:
// P = ((1 - mu)/2)^L sum_{k<L} C(L-1+k, k) ((1 + mu)/2)^k, mu = sqrt(g / (1 + g)), g = Eb/N0.
double zf_rayleigh_ber(int L, double ebn0_db) {
  const double g = std::pow(10.0, ebn0_db / 10), mu = std::sqrt(g / (1 + g));
  double sum = 0, binom = 1;
  for (int k = 0; k < L; ++k) {
    if (k > 0) binom = binom * (L - 1 + k) / k;
    sum += binom * std::pow((1 + mu) / 2, k);
  }
  return std::pow((1 - mu) / 2, L) * sum;
}

struct ZfCase {
  Modulation mod;
  int nt, nr;
  double ebn0_db;
};

// gtest otherwise prints parameters as raw bytes, padding included, into the names ctest discovers.
void PrintTo(const ZfCase& c, std::ostream* os) {
  *os << to_string(c.mod) << " " << c.nt << "x" << c.nr << " " << c.ebn0_db << " dB";
}

class ZfTheory : public ::testing::TestWithParam<ZfCase> {};

TEST_P(ZfTheory, MatchesClosedForm) {
  const auto c = GetParam();
  GeneratorConfig g;
  g.channel.nt = c.nt;
  g.channel.nr = c.nr;
  g.modulation = c.mod;
  g.snr = SnrSchedule::grid(std::vector<double>{c.ebn0_db});
  g.snr_unit = SnrUnit::ebn0;
  g.seed = 3;
  auto zf = make_detector("zf", c.mod);
  EngineOptions opt;
  opt.min_errors = 4000;
  opt.max_bits = 50'000'000;
  opt.threads = 2;
  const auto r = simulate(g, {zf.get()}, opt).front();
  const double theory = zf_rayleigh_ber(c.nr - c.nt + 1, c.ebn0_db);
  // 4000 errors: relative standard error ~2-3% even with errors correlated within a channel use.
  EXPECT_NEAR(r.ber() / theory, 1.0, 0.08) << "simulated " << r.ber() << " theory " << theory;
}

INSTANTIATE_TEST_SUITE_P(Rayleigh, ZfTheory,
                         ::testing::Values(ZfCase{Modulation::bpsk, 1, 1, 10}, ZfCase{Modulation::bpsk, 2, 4, 6},
                                           ZfCase{Modulation::bpsk, 4, 4, 10}, ZfCase{Modulation::qpsk, 4, 4, 10},
                                           ZfCase{Modulation::qpsk, 2, 3, 8}, ZfCase{Modulation::qpsk, 2, 4, 4},
                                           ZfCase{Modulation::qpsk, 4, 8, 2}),
                         [](const auto& info) {
                           const auto& c = info.param;
                           return to_string(c.mod) + "_" + std::to_string(c.nt) + "x" + std::to_string(c.nr) + "_" +
                                  std::to_string(static_cast<int>(c.ebn0_db)) + "dB";
                         });

TEST(Detectors, MmseNeverWorseThanZfAndSicEpBetterThanMmse) {
  for (double snr : {5.0, 15.0, 25.0}) {
    const auto b = make_batch(8, 8, Modulation::qpsk, snr, 20000, 5);
    const auto zf = bit_errors(b, run("zf", b)), mmse = bit_errors(b, run("mmse", b));
    const auto sic = bit_errors(b, run("sic", b)), ep = bit_errors(b, run("ep", b));
    EXPECT_LE(mmse, zf) << snr << " dB";
    EXPECT_LT(sic, mmse) << snr << " dB";
    EXPECT_LT(ep, mmse) << snr << " dB";
  }
}

struct TreeCase {
  Modulation mod;
  int nt, nr;
  double snr_db;
};

void PrintTo(const TreeCase& c, std::ostream* os) {
  *os << to_string(c.mod) << " " << c.nt << "x" << c.nr << " " << c.snr_db << " dB";
}

class TreeSearch : public ::testing::TestWithParam<TreeCase> {};

TEST_P(TreeSearch, SphereAndFullKBestEqualExhaustiveMl) {
  const auto c = GetParam();
  const auto b = make_batch(c.nt, c.nr, c.mod, c.snr_db, 3000, 17);
  const auto ml = run("ml", b);
  const auto sphere = run("sphere", b);
  const size_t full = static_cast<size_t>(std::pow(Constellation(c.mod).size(), c.nt));
  const auto kbest = run("kbest:k=" + std::to_string(full), b);
  EXPECT_EQ(sphere.symbols, ml.symbols);
  EXPECT_EQ(kbest.symbols, ml.symbols);
  // The soft-output sphere decoder: ML's decisions and exact max-log LLRs (clip raised to ML's), and clipped
  // ones that agree with them wherever ML's are inside the clip.
  const auto sphere_soft = run("sphere:soft=1,clip=1e4", b);
  EXPECT_EQ(sphere_soft.symbols, ml.symbols);
  ASSERT_EQ(sphere_soft.llr.size(), ml.llr.size());
  for (size_t k = 0; k < ml.llr.size(); ++k)
    ASSERT_NEAR(sphere_soft.llr[k], ml.llr[k], 1e-4 * (1 + std::abs(ml.llr[k]))) << "LLR " << k;
  const auto sphere_clipped = run("sphere:soft=1,clip=5", b);
  EXPECT_EQ(sphere_clipped.symbols, ml.symbols);
  for (size_t k = 0; k < ml.llr.size(); ++k)
    ASSERT_NEAR(sphere_clipped.llr[k], std::clamp(ml.llr[k], -5.0f, 5.0f), 1e-4 * (1 + std::abs(ml.llr[k])))
        << "LLR " << k;
  // The full list holds every candidate: its max-log LLRs are ML's exact ones (clip raised to ML's).
  const auto kbest_soft = run("kbest:k=" + std::to_string(full) + ",clip=1e4", b);
  ASSERT_EQ(kbest_soft.llr.size(), ml.llr.size());
  for (size_t k = 0; k < ml.llr.size(); ++k)
    ASSERT_NEAR(kbest_soft.llr[k], ml.llr[k], 1e-4 * (1 + std::abs(ml.llr[k]))) << "LLR " << k;
  // A small K is allowed to miss the ML point, never to beat it; its LLRs agree in sign with its decisions (0
  // where a dropped path may be better) and stay within the clip.
  const auto small = run("kbest:k=2", b);
  EXPECT_GE(bit_errors(b, small) + 1, bit_errors(b, ml) * 9 / 10);
  const size_t m = b.m;
  for (size_t k = 0; k < small.symbols.size(); ++k)
    for (size_t j = 0; j < m; ++j) {
      const float l = small.llr[k * m + j];
      const bool zero = ((small.symbols[k] >> (m - 1 - j)) & 1) == 0;
      ASSERT_TRUE(zero ? l >= 0 : l <= 0) << "symbol " << k << " bit " << j << ": " << l;
      ASSERT_LE(std::abs(l), 20.0f);
    }
}

INSTANTIATE_TEST_SUITE_P(Instances, TreeSearch,
                         ::testing::Values(TreeCase{Modulation::bpsk, 4, 2, 8}, TreeCase{Modulation::bpsk, 4, 4, 20},
                                           TreeCase{Modulation::qpsk, 3, 3, 5}, TreeCase{Modulation::qpsk, 4, 4, 25},
                                           TreeCase{Modulation::qam16, 2, 2, 10}, TreeCase{Modulation::qam16, 3, 4, 30},
                                           TreeCase{Modulation::qam64, 2, 3, 20}),
                         [](const auto& info) {
                           const auto& c = info.param;
                           return to_string(c.mod) + "_" + std::to_string(c.nt) + "x" + std::to_string(c.nr) + "_" +
                                  std::to_string(static_cast<int>(c.snr_db)) + "dB";
                         });

// Max-log LLRs by brute force: enumerate every candidate vector with Armadillo, independently of ml.cpp.
TEST(Detectors, MlLlrsEqualBruteForce) {
  for (Modulation mod : {Modulation::bpsk, Modulation::qpsk, Modulation::qam16}) {
    const auto b = make_batch(2, 3, mod, 8, 50, 23);
    const auto d = run("ml", b);
    const Constellation c(mod);
    const size_t M = c.size(), m = c.bits_per_symbol();
    for (size_t i = 0; i < b.n; ++i) {
      const arma::cx_mat H = b.channel(i);
      const arma::cx_vec y = b.received(i);
      std::vector<double> best0(2 * m, INFINITY), best1(2 * m, INFINITY);
      for (size_t s0 = 0; s0 < M; ++s0)
        for (size_t s1 = 0; s1 < M; ++s1) {
          const arma::cx_vec x{c.points()[s0], c.points()[s1]};
          const double metric = std::pow(arma::norm(y - H * x), 2);
          for (size_t j = 0; j < m; ++j) {
            (c.bit(s0, j) ? best1 : best0)[j] = std::min((c.bit(s0, j) ? best1 : best0)[j], metric);
            (c.bit(s1, j) ? best1 : best0)[m + j] = std::min((c.bit(s1, j) ? best1 : best0)[m + j], metric);
          }
        }
      for (size_t k = 0; k < 2 * m; ++k) {
        const double want = std::clamp((best1[k] - best0[k]) / b.noise_var[i], -kLlrClip, kLlrClip);
        ASSERT_NEAR(d.llr[i * 2 * m + k], want, 1e-3 * std::max(1.0, std::abs(want))) << to_string(mod) << " " << i;
      }
    }
  }
}

// LMMSE LLRs against an independent Armadillo computation of the unbiased estimate and its SINR.
TEST(Detectors, MmseEstimateAndLlrsMatchArmadillo) {
  const auto b = make_batch(3, 4, Modulation::qam16, 12, 100, 29);
  const auto d = run("mmse", b);
  const Constellation c(Modulation::qam16);
  for (size_t i = 0; i < b.n; ++i) {
    const arma::cx_mat H = b.channel(i);
    const double n0 = b.noise_var[i];
    const arma::cx_mat W = arma::inv(H.t() * H + n0 * arma::eye<arma::cx_mat>(3, 3)) * H.t();
    const arma::cx_vec xt = W * b.received(i);
    const arma::cx_mat A = W * H;
    for (size_t t = 0; t < 3; ++t) {
      const double mu = A(t, t).real();
      const double sinr = mu / (1 - mu);
      double llr[4];
      c.llr_maxlog(xt[t] / mu, 1 / sinr, llr);
      for (size_t j = 0; j < 4; ++j)
        ASSERT_NEAR(d.llr[(i * 3 + t) * 4 + j], llr[j], 1e-3 * std::max(1.0, std::abs(llr[j])));
      EXPECT_EQ(d.symbols[i * 3 + t], c.hard_index(xt[t] / mu));
    }
  }
}

// SIC against its textbook form in Armadillo: at every step a fresh LMMSE filter on the streams left and the
// interference-cancelled y, the stream with the smallest [(H^H H + N0 I)^-1]_uu decided first.
TEST(Detectors, SicMatchesStepByStepArmadillo) {
  const auto b = make_batch(6, 8, Modulation::qam16, 16, 300, 61);
  const auto d = run("sic", b);
  const Constellation c(Modulation::qam16);
  const size_t nt = b.nt, m = 4;
  for (size_t i = 0; i < b.n; ++i) {
    const arma::cx_mat H = b.channel(i);
    arma::cx_vec y = b.received(i);
    const double n0 = b.noise_var[i];
    std::vector<size_t> remaining(nt);
    for (size_t t = 0; t < nt; ++t) remaining[t] = t;
    for (size_t left = nt; left > 0; --left) {
      const arma::uvec cols(std::vector<arma::uword>(remaining.begin(), remaining.begin() + left));
      const arma::cx_mat Hs = H.cols(cols);
      const arma::cx_mat P = arma::inv(Hs.t() * Hs + n0 * arma::eye<arma::cx_mat>(left, left));
      const arma::cx_vec estimate = P * Hs.t() * y;
      size_t u = 0;
      for (size_t v = 1; v < left; ++v)
        if (P(v, v).real() < P(u, u).real()) u = v;
      const size_t t = remaining[u];
      const double mu = 1 - n0 * P(u, u).real();
      double llr[4];
      c.llr_maxlog(estimate[u] / mu, (1 - mu) / mu, llr);
      ASSERT_EQ(d.symbols[i * nt + t], c.hard_index(estimate[u] / mu)) << "sample " << i << " stream " << t;
      for (size_t j = 0; j < m; ++j)
        ASSERT_NEAR(d.llr[(i * nt + t) * m + j], llr[j], 1e-3 * std::max(1.0, std::abs(llr[j])));
      y -= H.col(t) * c.points()[static_cast<size_t>(d.symbols[i * nt + t])];
      remaining.erase(remaining.begin() + static_cast<long>(u));
      remaining.push_back(t);
    }
  }
}

// At low SNR a small list misses many counter-hypotheses; estimating them from the list (instead of a fixed
// clip) keeps K-best's LLRs informative: with +-20 for every missing one, K = 8 at 0 dB scored -0.45.
TEST(Detectors, KBestLlrsStayInformativeAtLowSnr) {
  const auto b = make_batch(4, 4, Modulation::qpsk, 0, 5000, 67);
  const auto small = run("kbest:k=8", b), exact = run("sphere:soft=1", b);
  const double info = llr_information(b.bits.data(), small.llr.data(), small.llr.size());
  const double exact_info = llr_information(b.bits.data(), exact.llr.data(), exact.llr.size());
  EXPECT_GT(info, 0.15);
  EXPECT_GT(exact_info, info);  // the exact max-log LLRs are better still
}

TEST(Detectors, ThreadCountDoesNotChangeResults) {
  const auto b = make_batch(4, 4, Modulation::qam16, 15, 2000, 31);
  for (const char* spec : {"mmse", "sic", "sphere", "kbest:k=8", "ep"})
    EXPECT_EQ(run(spec, b, 1).symbols, run(spec, b, 3).symbols) << spec;
}

TEST(Detectors, DegenerateInputNeverCrashes) {
  auto b = make_batch(3, 3, Modulation::qpsk, 10, 8, 37);
  for (size_t i = 0; i < b.n; ++i) b.noise_var[i] = i % 2 ? 0.0f : -1.0f;  // zero and negative noise
  for (size_t r = 0; r < b.nr; ++r) b.H[(1 * b.nr + r) * b.nt + 2] = b.H[(1 * b.nr + r) * b.nt + 1];  // singular
  for (size_t t = 0; t < b.nt; ++t) b.H[(2 * b.nr + 0) * b.nt + t] = 0;                               // zero row
  b.y[3 * b.nr + 1] = {NAN, 0.0f};                                                                    // NaN observation
  for (const auto& name : detector_names()) {
    const std::string spec = name == "kbest" ? "kbest:k=4" : name;
    Detection d;
    ASSERT_NO_THROW(make_detector(spec, Modulation::qpsk)->detect(b, d)) << spec;
    for (int32_t s : d.symbols) EXPECT_TRUE(s >= 0 && s < 4) << spec;
    for (float l : d.llr) EXPECT_FALSE(std::isnan(l)) << spec;
    for (size_t k = 0; k < d.llr.size(); ++k)
      if (k / (b.nt * b.m) != 3) {
        EXPECT_TRUE(std::isfinite(d.llr[k])) << spec;
      }
  }
}

// Very high SNR: EP once floored its cavity variances at an absolute 1e-12, above the 5e-13 per dimension that
// the noise floor allows, which scaled its cavity means off their levels (4x4 QAM16: BER 0.09 from 140 dB up,
// LLR information -1324 at 300 dB). ML (the sphere decoder) is error-free at these SNRs on these draws; EP
// must decide exactly as ML does, with finite LLRs of the transmitted bits' sign.
struct HighSnrCase {
  Modulation mod;
  int n;
  double snr_db;
};

void PrintTo(const HighSnrCase& c, std::ostream* os) {
  *os << to_string(c.mod) << " " << c.n << "x" << c.n << " " << c.snr_db << " dB";
}

// Every LLR finite, of the sign of the transmitted bit (positive favours 0), and the LLRs' information near 1.
void expect_sane_llrs(const SampleBatch& b, const Detection& d, const std::string& what) {
  ASSERT_EQ(d.llr.size(), b.bits.size()) << what;
  size_t wrong = 0, infinite = 0;
  for (size_t k = 0; k < d.llr.size(); ++k) {
    if (!std::isfinite(d.llr[k])) ++infinite;
    if (!(b.bits[k] ? d.llr[k] < 0 : d.llr[k] > 0)) ++wrong;
  }
  EXPECT_EQ(infinite, 0u) << what;
  EXPECT_EQ(wrong, 0u) << what << ": LLRs against the transmitted bit";
  EXPECT_GE(llr_information(b.bits.data(), d.llr.data(), d.llr.size()), 0.99) << what;
}

size_t symbol_errors(const SampleBatch& b, const Detection& d) {
  PointResult r;
  count_errors(b, d, r);
  return r.symbol_errors;
}

class EpHighSnr : public ::testing::TestWithParam<HighSnrCase> {};

TEST_P(EpHighSnr, DecidesAsMlWithConfidentRightLlrs) {
  const auto c = GetParam();
  const auto b = make_batch(c.n, c.n, c.mod, c.snr_db, 2000, 71);
  const auto ml = run("sphere", b), ep = run("ep", b);
  EXPECT_EQ(symbol_errors(b, ml), 0u);
  size_t differ = 0;
  for (size_t k = 0; k < ml.symbols.size(); ++k) differ += ep.symbols[k] != ml.symbols[k];
  EXPECT_EQ(differ, 0u) << "of " << ml.symbols.size() << " symbols";
  expect_sane_llrs(b, ep, "ep");
}

INSTANTIATE_TEST_SUITE_P(
    Rayleigh, EpHighSnr,
    ::testing::Values(HighSnrCase{Modulation::qam16, 4, 60}, HighSnrCase{Modulation::qam16, 4, 100},
                      HighSnrCase{Modulation::qam16, 4, 150}, HighSnrCase{Modulation::qam16, 4, 200},
                      HighSnrCase{Modulation::qam16, 4, 300}, HighSnrCase{Modulation::qam64, 8, 60},
                      HighSnrCase{Modulation::qam64, 8, 100}, HighSnrCase{Modulation::qam64, 8, 150},
                      HighSnrCase{Modulation::qam64, 8, 200}, HighSnrCase{Modulation::qam64, 8, 300}),
    [](const auto& info) {
      const auto& c = info.param;
      return to_string(c.mod) + "_" + std::to_string(c.n) + "x" + std::to_string(c.n) + "_" +
             std::to_string(static_cast<int>(c.snr_db)) + "dB";
    });

// At 300 dB and with noise variance exactly 0 (y = Hx in float), every detector that resolves the
// interference decides right with finite LLRs of the right sign. The matched filter cannot resolve it (BER
// 0.26 here at any SNR): its LLRs must still be finite, agree with its own decisions and carry information.
TEST(Detectors, SaneLlrsAtZeroNoiseAndExtremeSnr) {
  SampleBatch loud = make_batch(4, 4, Modulation::qam16, 300, 1000, 73);
  SampleBatch silent = loud;
  for (size_t i = 0; i < silent.n; ++i) {
    silent.noise_var[i] = 0.0f;
    for (size_t r = 0; r < silent.nr; ++r) {
      std::complex<float> acc = 0;
      for (size_t t = 0; t < silent.nt; ++t)
        acc += silent.H[(i * silent.nr + r) * silent.nt + t] * silent.x[i * silent.nt + t];
      silent.y[i * silent.nr + r] = acc;
    }
  }
  for (const SampleBatch* b : {&loud, &silent}) {
    const std::string where = b == &loud ? " at 300 dB" : " at N0 = 0";
    for (const char* spec : {"zf", "mmse", "sic", "kbest:k=16", "ep", "sphere:soft=1"}) {
      const auto d = run(spec, *b);
      EXPECT_EQ(symbol_errors(*b, d), 0u) << spec << where;
      expect_sane_llrs(*b, d, spec + where);
    }
    const auto mf = run("mf", *b);
    size_t infinite = 0, against_decision = 0;
    for (size_t k = 0; k < mf.llr.size(); ++k) {
      infinite += !std::isfinite(mf.llr[k]);
      const size_t symbol = k / b->m, bit = k % b->m;
      const bool one = (mf.symbols[symbol] >> (b->m - 1 - bit)) & 1;
      against_decision += one ? mf.llr[k] > 0 : mf.llr[k] < 0;
    }
    EXPECT_EQ(infinite, 0u) << "mf" << where;
    EXPECT_EQ(against_decision, 0u) << "mf" << where;
    EXPECT_GT(llr_information(b->bits.data(), mf.llr.data(), mf.llr.size()), 0.1) << "mf" << where;
  }
}

// A stream the channel does not carry (a zero column of H) leaves EP's cavity for it uninformative: the
// factor alone explains that marginal, 1 - Sigma_ii Lambda_i vanishes, and its LLRs must be 0, not the
// rounding residue amplified; the other streams are decided as usual.
TEST(Detectors, EpGivesNoInformationOnAnUnseenStream) {
  auto b = make_batch(4, 6, Modulation::qam16, 25, 500, 79);
  for (size_t i = 0; i < b.n; ++i)
    for (size_t r = 0; r < b.nr; ++r) {  // stream 2 neither in H nor in y
      auto& h = b.H[(i * b.nr + r) * b.nt + 2];
      b.y[i * b.nr + r] -= h * b.x[i * b.nt + 2];
      h = 0.0f;
    }
  const auto d = run("ep", b);
  size_t seen_errors = 0;
  for (size_t i = 0; i < b.n; ++i)
    for (size_t t = 0; t < b.nt; ++t) {
      const size_t k = i * b.nt + t;
      for (size_t j = 0; j < b.m; ++j) {
        const float l = d.llr[k * b.m + j];
        ASSERT_TRUE(std::isfinite(l)) << "sample " << i << " stream " << t;
        if (t == 2) {
          ASSERT_LT(std::abs(l), 1e-6f) << "sample " << i << " bit " << j;
        }
      }
      if (t != 2) seen_errors += d.symbols[k] != Constellation(Modulation::qam16).index_of(&b.bits[k * b.m]);
    }
  EXPECT_LT(seen_errors, b.n * 3 / 100);  // 4x6 QAM16 at 25 dB: SER well below 1%
}

TEST(Registry, ClearErrors) {
  auto message = [](const std::string& spec) {
    try {
      make_detector(spec, Modulation::qpsk);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("zfx").find("unknown detector 'zfx'"), std::string::npos);
  EXPECT_NE(message("kbest:kk=3").find("no option 'kk'"), std::string::npos);
  EXPECT_NE(message("kbest:k=0").find("option k must be an integer"), std::string::npos);
  EXPECT_NE(message("kbest:k=abc").find("(k = abc)"), std::string::npos);
  EXPECT_NE(message("ep:beta=2").find("option beta"), std::string::npos);
  EXPECT_NE(message("mmse:x=1").find("no option 'x'"), std::string::npos);
  EXPECT_EQ(make_detector("kbest:k=32", Modulation::qpsk)->name(), "kbest:k=32");
  EXPECT_EQ(make_detector("ep", Modulation::qpsk)->name(), "ep");
  EXPECT_EQ(make_detector("ep:iters=5", Modulation::qpsk)->name(), "ep:iters=5");
  EXPECT_EQ(make_detector("ep:iters=10,beta=0.5", Modulation::qpsk)->name(), "ep:beta=0.5");
  EXPECT_NE(message("ml:max=0").find("option max"), std::string::npos);
  for (const char* name : {"mf", "zf", "mmse", "sic", "ml", "sphere", "kbest", "ep"}) {
    const auto names = detector_names();
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(Registry, RefusesProblemsItCannotSolve) {
  const auto big = make_batch(6, 6, Modulation::qam16, 10, 2, 41);  // 16^6 = 2^24 candidates
  Detection d;
  try {
    make_detector("ml", Modulation::qam16)->detect(big, d);
    FAIL() << "ml accepted 2^24 candidates";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("use sphere"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(
      make_detector("ml:max=1e8", Modulation::qam16)->detect(make_batch(2, 2, Modulation::qam16, 10, 2, 1), d));
  const auto wide = make_batch(4, 2, Modulation::qpsk, 10, 2, 43);
  EXPECT_THROW(make_detector("sphere", Modulation::qpsk)->detect(wide, d), std::invalid_argument);
  EXPECT_THROW(make_detector("kbest", Modulation::qpsk)->detect(wide, d), std::invalid_argument);
  EXPECT_NO_THROW(make_detector("mmse", Modulation::qpsk)->detect(wide, d));
}

TEST(Registry, RefusesBatchesOfAnotherModulationOrShape) {
  const auto qam = make_batch(2, 2, Modulation::qam16, 10, 4, 53);
  for (const auto& name : detector_names()) {
    if (name == "transformer") continue;  // registered by another module, with its own checks
    Detection d;
    try {
      make_detector(name, Modulation::qpsk)->detect(qam, d);
      ADD_FAILURE() << name << " accepted a qam16 batch";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("made for qpsk"), std::string::npos) << e.what();
    }
    auto truncated = make_batch(2, 2, Modulation::qpsk, 10, 4, 59);
    truncated.y.pop_back();
    EXPECT_THROW(make_detector(name, Modulation::qpsk)->detect(truncated, d), std::invalid_argument) << name;
  }
}

// With imperfect CSI every detector must equalize with H_est: scrambling the true H may not change anything.
TEST(Detectors, UseTheChannelEstimateWhenPresent) {
  const auto b = make_batch(3, 4, Modulation::qam16, 15, 200, 61);
  auto scrambled = b;
  scrambled.H_est = b.H;
  for (auto& h : scrambled.H) h = std::complex<float>(h.imag(), -2.0f * h.real());
  for (const auto& name : detector_names()) {
    if (name == "transformer") continue;
    const auto want = run(name, b), got = run(name, scrambled);
    EXPECT_EQ(got.symbols, want.symbols) << name;
    EXPECT_EQ(got.llr, want.llr) << name;
  }
}

TEST(Sphere, CountsVisitedNodesAndPrunes) {
  const auto b = make_batch(8, 8, Modulation::qam16, 25, 200, 47);
  SphereDetector sphere(Modulation::qam16);
  Detection d;
  sphere.detect(b, d, 1);
  EXPECT_EQ(sphere.searches(), 200u);
  const double per_search = static_cast<double>(sphere.visited_nodes()) / 200;
  // At least one node per level; far fewer than the 4^16 leaves of the full real-valued tree.
  EXPECT_GE(per_search, 16.0);
  EXPECT_LT(per_search, 1e4);
}

}  // namespace
}  // namespace mimo
