// EP's fast path (detectors/ep_fast.hpp, ep_kernels.hpp) against the float64 reference EpSolver and closed
// forms. The behaviour tests of EP (high SNR as ML, degenerate input, unseen streams) are in test_detectors.cpp
// and run on the fast path through EpDetector.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <armadillo>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "channel/generator.hpp"
#include "detectors/demap.hpp"
#include "detectors/ep.hpp"
#include "detectors/ep_fast.hpp"
#include "detectors/ep_kernels.hpp"
#include "detectors/real_model.hpp"
#include "detectors/small_linalg.hpp"
#include "evaluation/ber_engine.hpp"
#include "hwy/targets.h"

namespace mimo {
namespace {

struct Shape {
  Modulation mod;
  int nt, nr;
  double snr_db;
  std::string channel = "rayleigh";
  double rho = 0, csi_error_var = 0;
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << to_string(s.mod) << " " << s.nt << "x" << s.nr << " " << s.snr_db << " dB " << s.channel;
}

SampleBatch make_batch(const Shape& s, size_t first, size_t n, uint64_t seed) {
  GeneratorConfig g;
  g.channel.nt = s.nt;
  g.channel.nr = s.nr;
  g.channel.model = s.channel;
  if (s.channel == "kronecker") g.channel.set("rho_tx", s.rho).set("rho_rx", s.rho);
  g.channel.csi_error_var = s.csi_error_var;
  g.modulation = s.mod;
  g.snr = SnrSchedule::grid(std::vector<double>{s.snr_db});
  g.seed = seed;
  SampleBatch b;
  Generator(g).generate(first, n, b, 2);
  return b;
}

// Cavity marginals (t, h2) of every use of a batch: n values per use.
struct Cavities {
  size_t n = 0;
  std::vector<double> t, h2;
};

// The float64 reference: the real model, linalg's Gram matrix and EpSolver (what EpDetector ran before the fast
// path, and what the transformer's EP start runs).
Cavities reference(const SampleBatch& b, const Constellation& c) {
  RealSystem sys;
  sys.shape(b, c);
  const size_t n = sys.cols;
  std::vector<double> G(n * n), Hty(n);
  EpSolver ep(c.pam_levels(), c.is_real() ? 1.0 : 0.5, EpDetector::kDefaultIterations, EpDetector::kDefaultBeta);
  Cavities out{n, {}, {}};
  for (size_t i = 0; i < b.n; ++i) {
    sys.load(b, i);
    linalg::gram(sys.H.data(), sys.rows, n, 0.0, G.data());
    linalg::matched_filter(sys.H.data(), sys.rows, n, sys.y.data(), Hty.data());
    ep.solve(G.data(), Hty.data(), n, 0.5 * usable_noise_var(b.noise_var[i]));
    out.t.insert(out.t.end(), ep.t().begin(), ep.t().end());
    out.h2.insert(out.h2.end(), ep.h2().begin(), ep.h2().end());
  }
  return out;
}

Cavities fast(const SampleBatch& b, const Constellation& c, int precision, size_t* float64_uses = nullptr) {
  EpFast ep(c, EpDetector::kDefaultIterations, EpDetector::kDefaultBeta, precision);
  const size_t n = c.is_real() ? b.nt : 2 * b.nt;
  Cavities out{n, {}, {}};
  if (float64_uses) *float64_uses = 0;
  for (size_t i = 0; i < b.n; ++i) {
    ep.solve(b, i, 0.5 * usable_noise_var(b.noise_var[i]));
    out.t.insert(out.t.end(), ep.t(), ep.t() + n);
    out.h2.insert(out.h2.end(), ep.h2(), ep.h2() + n);
    if (float64_uses) *float64_uses += ep.iterated_in_float64();
  }
  return out;
}

Detection run(const SampleBatch& b, Modulation mod, int threads = 1) {
  Detection d;
  EpDetector(mod).detect(b, d, threads);
  return d;
}

// Decisions and LLRs as EpDetector makes them from cavities.
Detection demap(const SampleBatch& b, const Constellation& c, const Cavities& cav) {
  Detection d;
  d.symbols.resize(b.n * b.nt);
  d.llr.resize(b.n * b.nt * b.m);
  for (size_t i = 0; i < b.n; ++i) {
    const double* t = cav.t.data() + i * cav.n;
    const double* h2 = cav.h2.data() + i * cav.n;
    for (size_t u = 0; u < b.nt; ++u) {
      d.symbols[i * b.nt + u] = c.hard_index({t[u], c.is_real() ? 0.0 : t[b.nt + u]});
      double llr[8];
      if (c.is_real())
        c.llr_maxlog(t[u], h2[u], 0.0, 1.0, llr);
      else
        c.llr_maxlog(t[u], h2[u], t[b.nt + u], h2[b.nt + u], llr);
      for (size_t j = 0; j < b.m; ++j) d.llr[(i * b.nt + u) * b.m + j] = static_cast<float>(llr[j]);
    }
  }
  return d;
}

// |a - b| / max(|b|, 1), sorted.
std::vector<double> relative_errors(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<double> e(a.size());
  for (size_t k = 0; k < a.size(); ++k)
    e[k] = std::abs(static_cast<double>(a[k]) - b[k]) / std::max(std::abs(static_cast<double>(b[k])), 1.0);
  std::sort(e.begin(), e.end());
  return e;
}

// The kernel alone: sigma = diag(A^{-1}) and mu = A^{-1} b against Armadillo's inverse, for sizes around the
// vector lengths (1, 15, 16, 17, ...), where the padding and the first and last vectors of a column meet.
template <class T>
void expect_cavity_matches_inverse(double tolerance) {
  for (size_t n : {1, 2, 7, 15, 16, 17, 31, 33, 48, 64, 70}) {
    const size_t N = ep_kernels::padded_size(n);
    arma::arma_rng::set_seed(n);
    const arma::mat H = arma::randn<arma::mat>(n + 3, n);
    const arma::mat G = H.t() * H * 20.0;
    const arma::vec lambda = arma::randu<arma::vec>(n) * 5.0 + 0.5, b = arma::randn<arma::vec>(n);
    ep_kernels::AlignedArray<T> g(N * N), L(N * N), U(N * N), lam(N), rhs(N), sigma(N), mu(N);
    for (size_t j = 0; j < n; ++j) {
      lam[j] = static_cast<T>(lambda[j]);
      rhs[j] = static_cast<T>(b[j]);
      for (size_t i = j; i < n; ++i) g[i + j * N] = static_cast<T>(G(i, j));  // the lower triangle alone
    }
    const T growth =
        ep_kernels::cavity_linear<T>(g.get(), lam.get(), rhs.get(), n, T(0.5), L.get(), U.get(), sigma.get(), mu.get());
    arma::mat A = G;
    A.diag() += lambda;
    const arma::mat inv = arma::inv_sympd(A);
    const arma::vec x = inv * b;
    EXPECT_GE(growth, T(1)) << n;
    for (size_t k = 0; k < n; ++k) {
      EXPECT_NEAR(sigma[k], inv(k, k), tolerance * inv(k, k)) << "n " << n << " k " << k;
      EXPECT_NEAR(mu[k], x[k], tolerance * arma::norm(x, "inf")) << "n " << n << " k " << k;
    }
  }
}

TEST(EpKernels, CavityMatchesInverseInDouble) { expect_cavity_matches_inverse<double>(1e-10); }
TEST(EpKernels, CavityMatchesInverseInFloat) { expect_cavity_matches_inverse<float>(1e-4); }

// A singular G (a repeated column) at 120 dB: in float32 the rounding of G's null direction dwarfs lambda, the
// pivot growth says so (the fast path solves such a use in float64), and the results stay finite; in float64,
// A = G + diag(lambda) keeps every pivot at least the least lambda_i, so Sigma_kk <= 1 / lambda_k holds.
template <class T>
void expect_singular_gram_handled() {
  const size_t n = 20, N = ep_kernels::padded_size(n);
  arma::arma_rng::set_seed(5);
  arma::mat H = arma::randn<arma::mat>(n, n);
  H.col(3) = H.col(7);
  const arma::mat G = H.t() * H * 1e12;
  ep_kernels::AlignedArray<T> g(N * N), L(N * N), U(N * N), lam(N), rhs(N), sigma(N), mu(N);
  for (size_t j = 0; j < n; ++j) {
    lam[j] = 2;
    rhs[j] = 1;
    for (size_t i = 0; i < n; ++i) g[i + j * N] = static_cast<T>(G(i, j));
  }
  const T growth =
      ep_kernels::cavity_linear<T>(g.get(), lam.get(), rhs.get(), n, T(2), L.get(), U.get(), sigma.get(), mu.get());
  EXPECT_GT(growth, EpFast::kMaxFloatGrowth);
  for (size_t k = 0; k < n; ++k) {
    EXPECT_TRUE(std::isfinite(sigma[k]) && sigma[k] > 0) << k;
    EXPECT_TRUE(std::isfinite(mu[k])) << k;
    if (sizeof(T) == 8) {
      EXPECT_LE(sigma[k], 0.5 * (1 + 1e-6)) << k;
    }
  }
}

TEST(EpKernels, SingularGramHandledInFloat) { expect_singular_gram_handled<float>(); }
TEST(EpKernels, SingularGramHandledInDouble) { expect_singular_gram_handled<double>(); }

// The Gram kernel against the real model and linalg::gram: every entry of the lower triangle (which is all the
// factorization reads) and H^T y, for complex and real (BPSK) symbols and shapes that end mid-vector.
void expect_gram_matches_real_model() {
  for (const Shape& s : {Shape{Modulation::qam16, 3, 5, 10}, Shape{Modulation::qam16, 9, 4, 10},
                         Shape{Modulation::bpsk, 5, 7, 10}, Shape{Modulation::bpsk, 17, 17, 10},
                         Shape{Modulation::qpsk, 20, 33, 10}, Shape{Modulation::qam64, 32, 64, 10}}) {
    const auto b = make_batch(s, 0, 3, 17);
    const Constellation c(s.mod);
    RealSystem sys;
    sys.shape(b, c);
    const size_t n = sys.cols, N = ep_kernels::padded_size(n);
    std::vector<double> G(n * n), Hty(n);
    ep_kernels::AlignedArray<double> g(N * N), z(N), work(2 * b.nr * ep_kernels::padded_size(b.nt));
    for (size_t i = 0; i < b.n; ++i) {
      sys.load(b, i);
      linalg::gram(sys.H.data(), sys.rows, n, 0.0, G.data());
      linalg::matched_filter(sys.H.data(), sys.rows, n, sys.y.data(), Hty.data());
      ep_kernels::real_gram(b.H.data() + i * b.nr * b.nt, b.y.data() + i * b.nr, b.nr, b.nt, c.is_real(), 4.0, g.get(),
                            z.get(), work.get());
      for (size_t j = 0; j < n; ++j) {
        for (size_t r = j; r < n; ++r)
          ASSERT_NEAR(g[r + j * N], 4.0 * G[r + j * n], 1e-12 * (1 + std::abs(G[r + j * n])))
              << to_string(s.mod) << " " << s.nt << "x" << s.nr << " G(" << r << ", " << j << ")";
        ASSERT_NEAR(z[j], 4.0 * Hty[j], 1e-12 * (1 + std::abs(Hty[j]))) << j;
      }
      for (size_t j = n; j < N; ++j) ASSERT_EQ(z[j], 0.0);
    }
  }
}

TEST(EpKernels, RealGramMatchesRealModel) { expect_gram_matches_real_model(); }

class EpFastShapes : public ::testing::TestWithParam<Shape> {};

// In float64 throughout, the fast path computes EpSolver's arithmetic in another order: the cavities agree to
// rounding, on any shape (Nr < Nt, BPSK, sizes that end mid-vector, imperfect CSI).
TEST_P(EpFastShapes, Float64MatchesReference) {
  const Shape s = GetParam();
  const auto b = make_batch(s, 0, 200, 23);
  const Constellation c(s.mod);
  const auto ref = reference(b, c), f64 = fast(b, c, 64);
  for (size_t k = 0; k < ref.t.size(); ++k) {
    ASSERT_NEAR(f64.t[k], ref.t[k], 1e-8 * (1 + std::abs(ref.t[k]))) << "use " << k / ref.n << " unknown " << k % ref.n;
    ASSERT_NEAR(f64.h2[k], ref.h2[k], 1e-8 * ref.h2[k]) << "use " << k / ref.n << " unknown " << k % ref.n;
  }
}

// The default (mixed) arithmetic: the same decisions as the reference, LLRs within the error stated in ep.hpp.
TEST_P(EpFastShapes, MixedDecidesAsReference) {
  const Shape s = GetParam();
  const auto b = make_batch(s, 0, 200, 23);
  const Constellation c(s.mod);
  const auto ref = demap(b, c, reference(b, c)), mixed = run(b, s.mod);
  EXPECT_EQ(mixed.symbols, ref.symbols);
  const auto e = relative_errors(mixed.llr, ref.llr);
  EXPECT_LT(e[e.size() * 99 / 100], 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Shapes, EpFastShapes,
                         ::testing::Values(Shape{Modulation::qam16, 3, 5, 15}, Shape{Modulation::qam16, 6, 3, 25},
                                           Shape{Modulation::bpsk, 5, 4, 8}, Shape{Modulation::bpsk, 20, 24, 8},
                                           Shape{Modulation::qpsk, 9, 9, 12}, Shape{Modulation::qam64, 17, 20, 28},
                                           Shape{Modulation::qam16, 32, 64, 10}, Shape{Modulation::qam256, 4, 6, 35},
                                           Shape{Modulation::qam16, 8, 8, 20, "rayleigh", 0, 0.01},
                                           Shape{Modulation::qam16, 8, 12, 20, "kronecker", 0.6}),
                         [](const auto& info) {
                           const auto& s = info.param;
                           return to_string(s.mod) + "_" + std::to_string(s.nt) + "x" + std::to_string(s.nr) + "_" +
                                  std::to_string(static_cast<int>(s.snr_db)) + "dB_" + s.channel +
                                  (s.csi_error_var > 0 ? "_csi" : "");
                         });

struct AccuracyCase {
  Shape shape;
  size_t uses;
};

void PrintTo(const AccuracyCase& c, std::ostream* os) { PrintTo(c.shape, os); }

class EpFastAccuracy : public ::testing::TestWithParam<AccuracyCase> {};

// Precision 32 against the float64 reference on i.i.d. Rayleigh channels: the same bit errors and decisions,
// LLRs within 1e-4 relative (|dL| / max(|L|, 1)) for 99.9% of the bits and 5e-2 for all (measured on 3000 to
// 20000 uses: 99.9% within 9e-5, all within 2.4e-2; at 32x64 within 2e-6 and 7e-6).
TEST_P(EpFastAccuracy, MatchesReferenceWithinStatedError) {
  const auto [s, uses] = GetParam();
  const auto b = make_batch(s, 0, uses, 29);
  const Constellation c(s.mod);
  const auto ref = demap(b, c, reference(b, c)), mixed = run(b, s.mod);
  PointResult r, m;
  count_errors(b, ref, r);
  count_errors(b, mixed, m);
  EXPECT_EQ(m.bit_errors, r.bit_errors);
  EXPECT_EQ(mixed.symbols, ref.symbols);
  const auto e = relative_errors(mixed.llr, ref.llr);
  EXPECT_LT(e[e.size() * 999 / 1000], 1e-4);
  EXPECT_LT(e.back(), 5e-2);
}

INSTANTIATE_TEST_SUITE_P(Rayleigh, EpFastAccuracy,
                         ::testing::Values(AccuracyCase{{Modulation::qpsk, 8, 8, 15}, 3000},
                                           AccuracyCase{{Modulation::qam16, 16, 16, 25}, 1000},
                                           AccuracyCase{{Modulation::qam16, 32, 64, 10}, 200},
                                           AccuracyCase{{Modulation::qam16, 32, 64, 20}, 200},
                                           AccuracyCase{{Modulation::qam256, 8, 8, 45}, 1000}),
                         [](const auto& info) {
                           const auto& s = info.param.shape;
                           return to_string(s.mod) + "_" + std::to_string(s.nt) + "x" + std::to_string(s.nr) + "_" +
                                  std::to_string(static_cast<int>(s.snr_db)) + "dB";
                         });

// Every instruction set the kernels were compiled for that this machine runs (AVX-512, AVX2, SSE4, SSSE3,
// scalar on x86), not only the one dispatch picks: kernels against Armadillo and the real model, the whole
// fast path against the reference, and bit-identical results on the instruction sets with FMA.
TEST(EpKernels, EveryTargetMatchesReference) {
  const Shape s{Modulation::qam64, 17, 20, 28};
  const auto b = make_batch(s, 0, 100, 41);
  const Constellation c(s.mod);
  const auto ref = reference(b, c);
  const auto ref_symbols = demap(b, c, ref).symbols;
  std::vector<std::pair<Cavities, Cavities>> with_fma;  // precision 32 and 64 on each instruction set with FMA
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    expect_cavity_matches_inverse<double>(1e-10);
    expect_cavity_matches_inverse<float>(1e-4);
    expect_gram_matches_real_model();
    const auto f64 = fast(b, c, 64), f32 = fast(b, c, 32);
    for (size_t k = 0; k < ref.t.size(); ++k) ASSERT_NEAR(f64.t[k], ref.t[k], 1e-8 * (1 + std::abs(ref.t[k]))) << k;
    EXPECT_EQ(demap(b, c, f32).symbols, ref_symbols);
    if (target == HWY_AVX2 || target == HWY_AVX3 || target == HWY_AVX3_DL) {
      for (const auto& [o32, o64] : with_fma) {
        EXPECT_TRUE(f32.t == o32.t && f32.h2 == o32.h2);
        EXPECT_TRUE(f64.t == o64.t && f64.h2 == o64.h2);
      }
      with_fma.emplace_back(f32, f64);
    }
  }
  hwy::SetSupportedTargetsForTest(0);  // back to what the machine supports
}

// Strongly correlated antennas at high SNR: float32 pivots lose too many digits on some uses (16% here), which
// are solved again in float64 (without the fallback, 1 use in 5000 decided 5 symbols otherwise than the
// reference).
TEST(EpFast, IllConditionedUsesFallBackToFloat64) {
  const Shape s{Modulation::qam64, 8, 8, 50, "kronecker", 0.7};
  const auto b = make_batch(s, 0, 1000, 31);
  const Constellation c(s.mod);
  size_t float64_uses = 0;
  const auto mixed = fast(b, c, 32, &float64_uses);
  EXPECT_GT(float64_uses, 0u);
  EXPECT_LT(float64_uses, b.n / 3);
  EXPECT_EQ(demap(b, c, mixed).symbols, demap(b, c, reference(b, c)).symbols);
}

// Per-use computation: the same bits for any thread count and any batch the use sits in.
TEST(EpFast, SameResultsForAnyThreadCountAndBatch) {
  for (const Shape& s : {Shape{Modulation::qam16, 8, 8, 20}, Shape{Modulation::qam16, 20, 24, 15}}) {
    const auto whole = make_batch(s, 0, 600, 37), part = make_batch(s, 250, 100, 37);
    const auto one = run(whole, s.mod, 1), three = run(whole, s.mod, 3), alone = run(part, s.mod, 2);
    EXPECT_EQ(one.symbols, three.symbols);
    EXPECT_EQ(one.llr, three.llr);
    const size_t per = whole.nt * whole.m;
    EXPECT_TRUE(std::equal(alone.llr.begin(), alone.llr.end(), one.llr.begin() + 250 * per));
    EXPECT_TRUE(std::equal(alone.symbols.begin(), alone.symbols.end(), one.symbols.begin() + 250 * s.nt));
  }
}

TEST(EpDetector, PrecisionOption) {
  EXPECT_EQ(make_detector("ep:precision=64", Modulation::qam16)->name(), "ep:precision=64");
  EXPECT_EQ(make_detector("ep:precision=32", Modulation::qam16)->name(), "ep");
  EXPECT_EQ(make_detector("ep:iters=5,precision=64", Modulation::qam16)->name(), "ep:iters=5,precision=64");
  for (const char* spec : {"ep:precision=48", "ep:precision=16"}) {
    try {
      make_detector(spec, Modulation::qam16);
      ADD_FAILURE() << spec << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("precision"), std::string::npos) << e.what();
    }
  }
  const auto b = make_batch(Shape{Modulation::qam16, 6, 8, 18}, 0, 300, 43);
  Detection d64;
  make_detector("ep:precision=64", Modulation::qam16)->detect(b, d64);
  EXPECT_EQ(d64.symbols,
            demap(b, Constellation(Modulation::qam16), reference(b, Constellation(Modulation::qam16))).symbols);
}

}  // namespace
}  // namespace mimo
