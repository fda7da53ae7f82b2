// The float32 SIMD linear detectors against their float64 path (precision=64), on every Highway target this CPU
// runs: hard decisions, LLRs within the stated tolerance, BER within its interval, the float64 fallback for
// channel uses float32 cannot resolve, and independence from batching and threads.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <string>
#include <vector>

#include "channel/generator.hpp"
#include "detectors/detector.hpp"
#include "tests/detectors/batches.hpp"
#include "evaluation/ber_engine.hpp"

namespace mimo {
namespace {

using test::make_batch;

Detection run(const std::string& spec, Modulation mod, const SampleBatch& b, int threads = 1) {
  Detection d;
  make_detector(spec, mod)->detect(b, d, threads);
  return d;
}

// The documented tolerance (README.md, "Precision and SIMD"): hard decisions equal on all but 1e-3 of the
// symbols; |L32 - L64| <= tol (|L64| + 1) for all but 1e-3 of the LLRs, tol = 1e-3 in general and 5e-2 for the
// large square systems at high SNR where float32 rounding grows with the size and conditioning (cases marked
// `coarse`).
struct Agreement {
  size_t llr_off = 0, llrs = 0, symbols_off = 0, symbols = 0;
  double worst = 0;  // largest |L32 - L64| / (|L64| + 1)
};

Agreement compare(const Detection& f32, const Detection& f64, double tol) {
  Agreement a;
  a.symbols = f64.symbols.size();
  for (size_t k = 0; k < a.symbols; ++k) a.symbols_off += f32.symbols[k] != f64.symbols[k];
  a.llrs = f64.llr.size();
  for (size_t k = 0; k < a.llrs; ++k) {
    const double e = std::abs(double(f32.llr[k]) - f64.llr[k]) / (std::abs(double(f64.llr[k])) + 1.0);
    a.llr_off += e > tol;
    a.worst = std::max(a.worst, e);
  }
  return a;
}

struct Case {
  int nt, nr;
  Modulation mod;
  double snr_db;
  bool coarse = false;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.nt << "x" << c.nr << " " << to_string(c.mod) << " " << c.snr_db << " dB";
}

const Case kCases[] = {
    {8, 8, Modulation::qam16, 20},   {8, 8, Modulation::qam16, 0},  {8, 8, Modulation::qam16, 40},
    {8, 8, Modulation::qam16, 300},  {4, 8, Modulation::qam64, 25}, {16, 16, Modulation::qam16, 25},
    {3, 5, Modulation::qam256, 35},  {1, 1, Modulation::qpsk, 10},  {8, 8, Modulation::bpsk, 10},
    {32, 64, Modulation::qam16, 15}, {8, 4, Modulation::qpsk, 20},   {8, 8, Modulation::qam256, 50, true},
    {16, 16, Modulation::qam64, 40, true}, {32, 32, Modulation::qam16, 30, true},
    {64, 64, Modulation::qam16, 40, true},
};

// Every target Highway compiled and this CPU runs (AVX-512, AVX2, SSE4, ... on x86).
std::vector<int64_t> targets() { return hwy::SupportedAndGeneratedTargets(); }

class OnTarget : public ::testing::TestWithParam<int64_t> {
protected:
  void SetUp() override { hwy::SetSupportedTargetsForTest(GetParam()); }
  void TearDown() override { hwy::SetSupportedTargetsForTest(0); }
};

TEST_P(OnTarget, AgreesWithFloat64) {
  for (const Case& c : kCases) {
    const size_t n = c.nt >= 64 ? 100 : c.nt >= 16 ? 500 : 3000;
    const SampleBatch b = make_batch(c.nt, c.nr, c.mod, c.snr_db, n, 7);
    for (const char* kind : {"mf", "zf", "mmse", "sic"}) {
      const Detection f32 = run(kind, c.mod, b), f64 = run(std::string(kind) + ":precision=64", c.mod, b);
      const Agreement a = compare(f32, f64, c.coarse ? 5e-2 : 1e-3);
      EXPECT_LE(a.symbols_off, a.symbols / 1000) << kind << " " << c;
      EXPECT_LE(a.llr_off, a.llrs / 1000) << kind << " " << c << " worst " << a.worst;
      // Bit errors of the two within the binomial spread of either.
      PointResult r32, r64;
      count_errors(b, f32, r32);
      count_errors(b, f64, r64);
      const double k = static_cast<double>(r64.bit_errors);
      EXPECT_LE(std::abs(double(r32.bit_errors) - k), 3 * std::sqrt(k) + 1) << kind << " " << c;
    }
  }
}

// A singular channel (two equal columns), a NaN and an infinite input: those channel uses are redone in
// float64, so their results are the float64 path's bit for bit; the others still agree.
TEST_P(OnTarget, HardCasesTakeTheFloat64Path) {
  SampleBatch b = make_batch(4, 4, Modulation::qam16, 30, 64, 3);
  auto H = [&](size_t i, size_t r, size_t t) -> cfloat& { return b.H[(i * b.nr + r) * b.nt + t]; };
  for (size_t r = 0; r < 4; ++r) H(5, r, 1) = H(5, r, 0);            // rank deficient
  for (size_t r = 0; r < 4; ++r) H(9, r, 2) = H(9, r, 3) * 1.0001f;  // nearly so: cond ~ 1e8
  b.y[17 * b.nr + 2] = cfloat(NAN, 0);
  H(40, 1, 1) = cfloat(INFINITY, 0);
  b.noise_var[33] = 0;  // floored at 1e-12 by both paths
  // Estimates near 1e20, whose squared distances overflow float32 on both sides of every bit: LLR 0, as float64's
  // NaN rule gives, not a confident clip of either sign.
  for (size_t r = 0; r < 4; ++r) {
    for (size_t t = 0; t < 4; ++t) H(50, r, t) *= 1e-10f;
    b.y[50 * b.nr + r] *= 1e10f;
  }
  for (const char* kind : {"zf", "mmse", "sic"}) {
    const Detection f32 = run(kind, Modulation::qam16, b),
                    f64 = run(std::string(kind) + ":precision=64", Modulation::qam16, b);
    // ZF cannot resolve the (nearly) singular channels in float32; MMSE's loading (N0 ~ 1e-3 of the diagonal
    // here) can, and keeps them.
    const std::vector<size_t> redone =
        std::string(kind) == "zf" ? std::vector<size_t>{5, 9, 17, 40} : std::vector<size_t>{17, 40};
    for (size_t i : redone)
      for (size_t k = i * b.nt * b.m; k < (i + 1) * b.nt * b.m; ++k) {
        ASSERT_EQ(f32.llr[k], f64.llr[k]) << kind << " sample " << i;
        ASSERT_TRUE(std::isfinite(f32.llr[k]));
      }
    for (size_t k = 0; k < f32.symbols.size(); ++k) ASSERT_GE(f32.symbols[k], 0);
    for (size_t k = 50 * b.nt * b.m; k < 51 * b.nt * b.m; ++k) {
      if (f64.llr[k] == 0) {
        EXPECT_EQ(f32.llr[k], 0.0f) << kind << " LLR " << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, OnTarget, ::testing::ValuesIn(targets()),
                         [](const auto& info) { return std::string(hwy::TargetName(info.param)); });

// The FMA targets (AVX2, AVX-512; NEON and SVE likewise) run the same IEEE operations in the same order: their
// results are identical bit for bit, which is what README.md promises across CPU types.
TEST(LinearSimd, FmaTargetsAgreeBitForBit) {
  const SampleBatch b = make_batch(8, 8, Modulation::qam16, 20, 777, 5);
  std::vector<Detection> results;
  for (int64_t t : targets()) {
    if (t != HWY_AVX2 && t != HWY_AVX3 && t != HWY_AVX3_DL) continue;
    hwy::SetSupportedTargetsForTest(t);
    results.push_back(run("mmse", Modulation::qam16, b));
  }
  hwy::SetSupportedTargetsForTest(0);
  if (results.size() < 2) GTEST_SKIP() << "fewer than two FMA targets on this CPU";
  for (size_t k = 1; k < results.size(); ++k) {
    EXPECT_EQ(results[k].llr, results[0].llr);
    EXPECT_EQ(results[k].symbols, results[0].symbols);
  }
}

// A channel use's result depends on it alone: not on its lane, the batch around it or the thread count.
TEST(LinearSimd, SameResultForAnyBatchingAndThreads) {
  const SampleBatch all = make_batch(8, 8, Modulation::qam16, 15, 203, 11);
  const Detection whole = run("mmse", Modulation::qam16, all, 1);
  EXPECT_EQ(run("mmse", Modulation::qam16, all, 3).llr, whole.llr);
  // Samples 37..37+29 alone (another lane alignment, a partial block).
  GeneratorConfig g;
  g.channel.nt = g.channel.nr = 8;
  g.modulation = Modulation::qam16;
  g.snr = SnrSchedule::grid(std::vector<double>{15});
  g.seed = 11;
  SampleBatch part;
  Generator(g).generate(37, 29, part, 1);
  const Detection d = run("mmse", Modulation::qam16, part, 1);
  const size_t per = 8 * 4;
  EXPECT_EQ(std::vector<float>(whole.llr.begin() + 37 * per, whole.llr.begin() + 66 * per), d.llr);
}

TEST(LinearSimd, PrecisionOption) {
  EXPECT_EQ(make_detector("mmse", Modulation::qpsk)->name(), "mmse");
  EXPECT_EQ(make_detector("zf:precision=64", Modulation::qpsk)->name(), "zf:precision=64");
  EXPECT_EQ(make_detector("mf:precision=32", Modulation::qpsk)->name(), "mf");
  EXPECT_THROW(make_detector("mmse:precision=48", Modulation::qpsk), std::invalid_argument);
  EXPECT_THROW(make_detector("mmse:precision=16", Modulation::qpsk), std::invalid_argument);
}

}  // namespace
}  // namespace mimo
