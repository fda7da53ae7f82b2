// The generator: y = Hx + n at the scheduled SNR, bits -> x by 38.211, reproducibility across threads and
// chunks, imperfect CSI, and the SampleBatch layout. Statistical checks use kSigmas standard errors estimated
// from the samples, and assert the standard error is small enough to catch a real bug.
#include <gtest/gtest.h>

#include <armadillo>
#include <atomic>
#include <cmath>
#include <complex>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel/generator.hpp"
#include "channel/parallel.hpp"
#include "channel/sample_batch.hpp"
#include "references.hpp"
#include "statistics.hpp"

namespace {

using cd = std::complex<double>;
using mimo::Generator;
using mimo::GeneratorConfig;
using mimo::Modulation;
using mimo::SampleBatch;
using mimo::SnrSchedule;
using mimo::SnrUnit;

using Stat = mimo::test::Stat<cd>;
using mimo::test::bits_of;
using mimo::test::expect_mean;
using mimo::test::kSigmas;
using mimo::test::ref_map;
using mimo::test::ref_n0;

GeneratorConfig config(int nt, int nr, Modulation mod, const std::string& snr_grid, SnrUnit unit,
                       uint64_t seed = 1) {
  GeneratorConfig c;
  c.channel.nt = nt;
  c.channel.nr = nr;
  c.modulation = mod;
  c.snr = SnrSchedule::grid(snr_grid);
  c.snr_unit = unit;
  c.seed = seed;
  return c;
}

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

void expect_identical(const SampleBatch& a, const SampleBatch& b, const std::string& what) {
  EXPECT_EQ(a.n, b.n) << what;
  EXPECT_EQ(a.nr, b.nr) << what;
  EXPECT_EQ(a.nt, b.nt) << what;
  EXPECT_EQ(a.m, b.m) << what;
  EXPECT_TRUE(same_bytes(a.H, b.H)) << what << ": H";
  EXPECT_TRUE(same_bytes(a.H_est, b.H_est)) << what << ": H_est";
  EXPECT_TRUE(same_bytes(a.y, b.y)) << what << ": y";
  EXPECT_TRUE(same_bytes(a.x, b.x)) << what << ": x";
  EXPECT_TRUE(same_bytes(a.bits, b.bits)) << what << ": bits";
  EXPECT_TRUE(same_bytes(a.snr_db, b.snr_db)) << what << ": snr_db";
  EXPECT_TRUE(same_bytes(a.noise_var, b.noise_var)) << what << ": noise_var";
}

// Samples [off, off + count) of `big`, as a batch of their own.
SampleBatch slice(const SampleBatch& big, size_t off, size_t count) {
  SampleBatch s;
  s.resize(count, big.nr, big.nt, big.m, big.has_h_est());
  auto cut = [&](const auto& src, auto& dst, size_t per) {
    std::copy(src.begin() + off * per, src.begin() + (off + count) * per, dst.begin());
  };
  cut(big.H, s.H, big.nr * big.nt);
  if (big.has_h_est()) cut(big.H_est, s.H_est, big.nr * big.nt);
  cut(big.y, s.y, big.nr);
  cut(big.x, s.x, big.nt);
  cut(big.bits, s.bits, big.nt * big.m);
  cut(big.snr_db, s.snr_db, 1);
  cut(big.noise_var, s.noise_var, 1);
  return s;
}

TEST(SampleBatch, ResizeAndRowMajorLayout) {
  SampleBatch b;
  b.resize(5, 3, 2, 4, false);
  EXPECT_EQ(b.H.size(), 5u * 3 * 2);
  EXPECT_TRUE(b.H_est.empty());
  EXPECT_FALSE(b.has_h_est());
  EXPECT_EQ(b.y.size(), 15u);
  EXPECT_EQ(b.x.size(), 10u);
  EXPECT_EQ(b.bits.size(), 5u * 2 * 4);
  EXPECT_EQ(b.snr_db.size(), 5u);
  EXPECT_EQ(b.noise_var.size(), 5u);
  b.resize(5, 3, 2, 4, true);
  EXPECT_EQ(b.H_est.size(), 30u);
  EXPECT_TRUE(b.has_h_est());

  arma::cx_mat M(3, 2);
  for (int r = 0; r < 3; ++r)
    for (int t = 0; t < 2; ++t) M(r, t) = cd(10 * r + t, -(10 * r + t));
  mimo::store_matrix(M, b.H.data() + 2 * 6);
  for (int r = 0; r < 3; ++r)
    for (int t = 0; t < 2; ++t) EXPECT_EQ(b.H[2 * 6 + r * 2 + t], std::complex<float>(10 * r + t, -(10 * r + t)));
  EXPECT_TRUE(arma::approx_equal(b.channel(2), M, "absdiff", 0.0));
  mimo::store_matrix(2.0 * M, b.H_est.data() + 2 * 6);
  EXPECT_TRUE(arma::approx_equal(b.channel(2, true), 2.0 * M, "absdiff", 0.0));
  for (int r = 0; r < 3; ++r) b.y[4 * 3 + r] = std::complex<float>(r, 1);
  for (int t = 0; t < 2; ++t) b.x[1 * 2 + t] = std::complex<float>(-t, 2);
  EXPECT_EQ(b.received(4)(2), cd(2, 1));
  EXPECT_EQ(b.transmitted(1)(1), cd(-1, 2));
  b.resize(5, 3, 2, 4, false);
  EXPECT_TRUE(arma::approx_equal(b.channel(2, true), b.channel(2), "absdiff", 0.0));
}

TEST(Parallel, EveryIndexExactlyOnceInContiguousRanges) {
  for (size_t n : {0, 1, 2, 7, 100, 1001})
    for (int threads : {1, 2, 3, 7, 16}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> calls{0};
      mimo::parallel_for(n, threads, [&](size_t begin, size_t end, int worker) {
        ASSERT_LE(begin, end);
        ASSERT_LE(end, n);
        ASSERT_GE(worker, 0);
        ASSERT_LT(worker, std::max(threads, 1));
        ++calls;
        for (size_t k = begin; k < end; ++k) ++hits[k];
      });
      for (size_t k = 0; k < n; ++k) ASSERT_EQ(hits[k].load(), 1) << "n=" << n << " threads=" << threads << " k=" << k;
      EXPECT_LE(calls.load(), std::max<int>(1, std::min<int>(threads, static_cast<int>(std::max<size_t>(n, 1)))));
    }
}

TEST(Parallel, RethrowsWorkerExceptionsAndResolvesThreads) {
  EXPECT_THROW(mimo::parallel_for(100, 4, [](size_t begin, size_t, int) {
                 if (begin > 0) throw std::runtime_error("worker failed");
               }),
               std::runtime_error);
  EXPECT_THROW(mimo::parallel_for(10, 1, [](size_t, size_t, int) { throw std::logic_error("x"); }), std::logic_error);
  EXPECT_EQ(mimo::resolve_threads(3), 3);
  EXPECT_GE(mimo::resolve_threads(0), 1);
}

// Ranges of `grain` taken in turn: every index exactly once, ranges aligned to the grain, at most `threads` workers
// (and no more than there are ranges), one worker's exception rethrown.
TEST(Parallel, DynamicRangesCoverEveryIndexOnce) {
  for (size_t n : {0, 1, 7, 100, 1001})
    for (int threads : {1, 2, 3, 16})
      for (size_t grain : {1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(n);
        std::vector<std::atomic<int>> by_worker(16);
        mimo::parallel_for_dynamic(n, threads, grain, [&](size_t begin, size_t end, int worker) {
          ASSERT_EQ(begin % grain, 0u);
          ASSERT_EQ(end, std::min(n, begin + grain));
          ASSERT_LT(worker, threads);
          ++by_worker[static_cast<size_t>(worker)];
          for (size_t k = begin; k < end; ++k) ++hits[k];
        });
        for (size_t k = 0; k < n; ++k) ASSERT_EQ(hits[k].load(), 1) << n << " " << threads << " " << grain;
        const size_t ranges = (n + grain - 1) / grain;
        int used = 0;
        for (auto& w : by_worker) used += w.load() > 0;
        EXPECT_LE(static_cast<size_t>(used), std::min<size_t>(static_cast<size_t>(threads), ranges));
      }
  EXPECT_THROW(mimo::parallel_for_dynamic(100, 3, 10, [](size_t begin, size_t, int) {
                 if (begin == 50) throw std::runtime_error("range failed");
               }),
               std::runtime_error);
}

TEST(Generator, RejectsInvalidChannelConfig) {
  auto c = config(4, 4, Modulation::qpsk, "10", SnrUnit::snr);
  c.channel.model = "nope";
  EXPECT_THROW(Generator{c}, std::invalid_argument);
  c.channel.model = "rayleigh";
  c.channel.nt = 0;
  EXPECT_THROW(Generator{c}, std::invalid_argument);
}

TEST(Generator, ShapesAndSymbolsAreTheMappingOfTheBits) {
  for (Modulation mod : {Modulation::bpsk, Modulation::qpsk, Modulation::qam16, Modulation::qam64,
                         Modulation::qam256}) {
    const int nt = 3, nr = 5, m = bits_of(mod);
    Generator g(config(nt, nr, mod, "10", SnrUnit::snr, 17));
    SampleBatch b;
    const size_t n = 2000;
    g.generate(0, n, b, 2);
    ASSERT_EQ(b.n, n);
    ASSERT_EQ(b.nr, static_cast<size_t>(nr));
    ASSERT_EQ(b.nt, static_cast<size_t>(nt));
    ASSERT_EQ(b.m, static_cast<size_t>(m));
    ASSERT_EQ(b.bits.size(), n * nt * m);
    ASSERT_EQ(b.x.size(), n * nt);
    ASSERT_EQ(b.y.size(), n * nr);
    ASSERT_EQ(b.H.size(), n * nr * nt);
    EXPECT_FALSE(b.has_h_est());
    Stat ones;
    for (size_t i = 0; i < n; ++i)
      for (int t = 0; t < nt; ++t) {
        const uint8_t* bits = b.bits.data() + i * nt * m + t * m;
        for (int j = 0; j < m; ++j) {
          ASSERT_LE(bits[j], 1);
          ones.add(bits[j]);
        }
        const cd want = ref_map(mod, bits);
        const cd got(b.x[i * nt + t]);
        ASSERT_NEAR(std::abs(got - want), 0.0, 1e-6) << mimo::to_string(mod) << " sample " << i << " stream " << t;
      }
    expect_mean(ones, 0.5, 0.01, "bits are fair, " + mimo::to_string(mod));
  }
}

struct NoiseCase { SnrUnit unit; Modulation mod; double value; int nt, nr; };

TEST(Generator, MeasuredNoiseVarianceMatchesRecordedForEveryUnit) {
  const std::vector<NoiseCase> cases = {
      {SnrUnit::snr, Modulation::qpsk, 10.0, 4, 4},
      {SnrUnit::snr, Modulation::qam16, 0.0, 2, 6},
      {SnrUnit::esn0, Modulation::qam16, 5.0, 4, 4},
      {SnrUnit::esn0, Modulation::bpsk, 12.0, 3, 5},
      {SnrUnit::ebn0, Modulation::qam64, 8.0, 4, 4},
      {SnrUnit::ebn0, Modulation::qpsk, -2.0, 8, 8},
  };
  const size_t n = 20000;
  for (const auto& cs : cases) {
    const std::string what = mimo::to_string(cs.unit) + " " + mimo::to_string(cs.mod) + " " + std::to_string(cs.value);
    const int m = bits_of(cs.mod);
    Generator g(config(cs.nt, cs.nr, cs.mod, std::to_string(cs.value), cs.unit, 3));
    SampleBatch b;
    g.generate(0, n, b, 2);
    const double n0 = ref_n0(cs.value, cs.unit, cs.nt, m);
    Stat ratio, mean_noise, pseudo;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_NEAR(b.noise_var[i], n0, 1e-6 * n0) << what;
      ASSERT_NEAR(b.snr_db[i], cs.value, 1e-5) << what;
      const arma::cx_vec e = b.received(i) - b.channel(i) * b.transmitted(i);
      ratio.add(arma::accu(arma::square(arma::abs(e))) / cs.nr / b.noise_var[i]);
      for (int r = 0; r < cs.nr; ++r) {
        mean_noise.add(e(r) / std::sqrt(n0));
        pseudo.add(e(r) * e(r) / n0);
      }
    }
    // Per sample ||n||^2 / (Nr N0) has variance 1/Nr: se ~ 1/sqrt(Nr n) <= 0.005.
    expect_mean(ratio, 1.0, 0.006, "||y - Hx||^2 / (Nr N0), " + what);
    expect_mean(mean_noise, 0.0, 0.006, "E[n], " + what);
    expect_mean(pseudo, 0.0, 0.01, "E[n^2] (circular noise), " + what);
  }
}

TEST(Generator, ReceiveSnrMatchesSnrUnit) {
  const size_t n = 20000;
  for (Modulation mod : {Modulation::bpsk, Modulation::qam16})
    for (double snr : {0.0, 10.0, 20.0}) {
      const int nt = 4, nr = 3;
      Generator g(config(nt, nr, mod, std::to_string(snr), SnrUnit::snr, 5));
      SampleBatch b;
      g.generate(0, n, b, 2);
      Stat sig, noise;
      for (size_t i = 0; i < n; ++i) {
        const arma::cx_vec hx = b.channel(i) * b.transmitted(i);
        const arma::cx_vec e = b.received(i) - hx;
        sig.add(arma::accu(arma::square(arma::abs(hx))) / (nr * nt));
        noise.add(arma::accu(arma::square(arma::abs(e))) / (nr * ref_n0(snr, SnrUnit::snr, nt, 2)));
      }
      const std::string what = mimo::to_string(mod) + " snr " + std::to_string(snr);
      expect_mean(sig, 1.0, 0.01, "E||Hx||^2 / (Nr Nt), " + what);
      expect_mean(noise, 1.0, 0.01, "E||n||^2 / (Nr N0), " + what);
      // Receive SNR E||Hx||^2 / E||n||^2 against 10^(snr/10); relative error bounded by the two relative se's.
      const double measured = sig.mean().real() * nr * nt / (noise.mean().real() * nr * ref_n0(snr, SnrUnit::snr, nt, 2));
      const double rel_tol = kSigmas * (sig.se() + noise.se());
      EXPECT_NEAR(measured / std::pow(10.0, snr / 10.0), 1.0, rel_tol) << what;
    }
}

GeneratorConfig rich_config(uint64_t seed = 42) {
  // Exercises every array and every draw: correlated channel, range schedule, imperfect CSI.
  GeneratorConfig c;
  c.channel.model = "kronecker";
  c.channel.nt = 3;
  c.channel.nr = 4;
  c.channel.set("rho_tx", 0.4).set("rho_rx", 0.3);
  c.channel.csi_error_var = 0.05;
  c.modulation = Modulation::qam16;
  c.snr = SnrSchedule::range("0:20");
  c.snr_unit = SnrUnit::esn0;
  c.seed = seed;
  return c;
}

// Every path of the generator: the fused SIMD kernel (Rayleigh, with and without CSI error, odd sizes, BPSK),
// and the shaped models (Kronecker with a range schedule and CSI error, Rician).
std::vector<GeneratorConfig> path_configs() {
  auto rician = config(2, 2, Modulation::qpsk, "0,5,10", SnrUnit::snr, 9);
  rician.channel.model = "rician";
  rician.channel.set("k_factor", 2.0);
  auto rayleigh = config(5, 3, Modulation::qam64, "2,4", SnrUnit::esn0, 10);
  rayleigh.channel.csi_error_var = 0.1;
  // Block fading: U not a divisor of the SIMD widths or of the chunks below; the fused model, a shaped one with
  // CSI error and a range schedule, and one with a user power spread.
  auto rayleigh_blocks = config(3, 4, Modulation::qpsk, "0,10", SnrUnit::snr, 13);
  rayleigh_blocks.channel.uses_per_realization = 5;
  auto rich_blocks = rich_config(14);
  rich_blocks.channel.uses_per_realization = 3;
  auto rician_blocks = rician;
  rician_blocks.channel.user_power_spread_db = 10;
  rician_blocks.channel.uses_per_realization = 7;
  return {rich_config(), rician, rayleigh, config(8, 8, Modulation::qam16, "0:2:20", SnrUnit::snr, 11),
          config(1, 3, Modulation::bpsk, "5", SnrUnit::ebn0, 12), rayleigh_blocks, rich_blocks, rician_blocks};
}

TEST(Generator, BitIdenticalForAnyThreadCount) {
  for (const auto& cfg : path_configs()) {
    Generator g(cfg);
    SampleBatch ref;
    g.generate(0, 1000, ref, 1);
    for (int threads : {2, 3, 7}) {
      SampleBatch b;
      g.generate(0, 1000, b, threads);
      expect_identical(ref, b, cfg.channel.model + " threads=" + std::to_string(threads));
    }
    // A fresh generator with the same config gives the same batch.
    SampleBatch again;
    Generator(cfg).generate(0, 1000, again, 3);
    expect_identical(ref, again, "fresh generator");
  }
}

TEST(Generator, ChunksEqualSlicesOfALargerBatch) {
  // Chunk boundaries at every offset against the SIMD width (1 to 16 samples per vector).
  struct Chunk { uint64_t first; size_t count; int threads; };
  for (const auto& cfg : path_configs()) {
    Generator g(cfg);
    SampleBatch big;
    g.generate(0, 1000, big, 2);
    for (const auto& c : {Chunk{0, 1, 1}, Chunk{137, 300, 3}, Chunk{999, 1, 2}, Chunk{500, 500, 7}, Chunk{1, 998, 1},
                          Chunk{3, 17, 2}, Chunk{15, 33, 3}, Chunk{7, 9, 1}}) {
      SampleBatch part;
      g.generate(c.first, c.count, part, c.threads);
      expect_identical(slice(big, c.first, c.count), part,
                       cfg.channel.model + " first=" + std::to_string(c.first) + " count=" + std::to_string(c.count));
    }
  }
  Generator g(rich_config());
  SampleBatch big;
  g.generate(0, 1000, big, 2);
  // Concatenating consecutive chunks reproduces the whole batch.
  SampleBatch a, b;
  g.generate(0, 400, a, 2);
  g.generate(400, 600, b, 3);
  expect_identical(slice(big, 0, 400), a, "chunk 1 of 2");
  expect_identical(slice(big, 400, 600), b, "chunk 2 of 2");
  SampleBatch empty;
  g.generate(5, 0, empty, 4);
  EXPECT_EQ(empty.n, 0u);
  EXPECT_TRUE(empty.y.empty());
}

TEST(Generator, DifferentSeedsAndTagsDiffer) {
  Generator g1(rich_config(1)), g2(rich_config(2));
  auto cfg_tag = rich_config(1);
  cfg_tag.tag = mimo::StreamTag::test;
  Generator g3(cfg_tag);
  SampleBatch a, b, c;
  g1.generate(0, 200, a);
  g2.generate(0, 200, b);
  g3.generate(0, 200, c);
  for (const auto* other : {&b, &c}) {
    EXPECT_FALSE(same_bytes(a.H, other->H));
    EXPECT_FALSE(same_bytes(a.y, other->y));
    EXPECT_FALSE(same_bytes(a.bits, other->bits));
    EXPECT_FALSE(same_bytes(a.snr_db, other->snr_db));
    // Not just different, but unrelated: about half the bits disagree.
    size_t diff = 0;
    for (size_t k = 0; k < a.bits.size(); ++k) diff += a.bits[k] != other->bits[k];
    EXPECT_NEAR(static_cast<double>(diff) / a.bits.size(), 0.5, 0.06);
  }
  // Neighbouring samples of one batch are not copies of each other.
  for (size_t i = 0; i + 1 < a.n; ++i)
    ASSERT_NE(std::memcmp(a.H.data() + i * 12, a.H.data() + (i + 1) * 12, 12 * sizeof(a.H[0])), 0);
}

TEST(Generator, ImperfectCsiErrorHasRequestedVariance) {
  const size_t n = 20000;
  for (double var : {0.01, 0.2}) {
    auto cfg = config(3, 4, Modulation::qpsk, "10", SnrUnit::snr, 8);
    cfg.channel.csi_error_var = var;
    Generator g(cfg);
    SampleBatch b;
    g.generate(0, n, b, 2);
    ASSERT_TRUE(b.has_h_est());
    ASSERT_EQ(b.H_est.size(), b.H.size());
    Stat power, mean, pseudo, corr_h;
    for (size_t k = 0; k < b.H.size(); ++k) {
      const cd e = cd(b.H_est[k]) - cd(b.H[k]);
      power.add(std::norm(e) / var);
      mean.add(e / std::sqrt(var));
      pseudo.add(e * e / var);
      corr_h.add(e * std::conj(cd(b.H[k])) / std::sqrt(var));
    }
    // 240000 independent entries: se ~ 0.002.
    const std::string w = "csi var " + std::to_string(var);
    expect_mean(power, 1.0, 0.004, "E|H_est - H|^2 / var, " + w);
    expect_mean(mean, 0.0, 0.004, "E[H_est - H], " + w);
    expect_mean(pseudo, 0.0, 0.004, "E[(H_est - H)^2], " + w);
    expect_mean(corr_h, 0.0, 0.004, "E[(H_est - H) H^*], " + w);
    // channel(i, true) returns the estimate.
    EXPECT_FALSE(arma::approx_equal(b.channel(7, true), b.channel(7), "absdiff", 1e-6));
  }
  // Perfect CSI: no estimate stored, and the estimate accessor falls back to H.
  Generator g(config(3, 4, Modulation::qpsk, "10", SnrUnit::snr, 8));
  SampleBatch b;
  g.generate(0, 10, b);
  EXPECT_FALSE(b.has_h_est());
  EXPECT_TRUE(b.H_est.empty());
  EXPECT_TRUE(arma::approx_equal(b.channel(3, true), b.channel(3), "absdiff", 0.0));
}

TEST(Generator, RangeScheduleIsUniformAndNoiseFollowsEachSample) {
  const size_t n = 20000;
  const double lo = -4.0, hi = 16.0;
  auto cfg = config(4, 4, Modulation::qam16, "0", SnrUnit::ebn0, 12);
  cfg.snr = SnrSchedule::range("-4:16");
  Generator g(cfg);
  SampleBatch b;
  g.generate(0, n, b, 2);
  Stat mean, ratio;
  size_t below_mid = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_GE(b.snr_db[i], lo);
    ASSERT_LE(b.snr_db[i], hi);
    mean.add(b.snr_db[i]);
    below_mid += b.snr_db[i] < 0.5 * (lo + hi);
    const double n0 = ref_n0(b.snr_db[i], SnrUnit::ebn0, 4, 4);
    ASSERT_NEAR(b.noise_var[i], n0, 1e-5 * n0) << i;
    const arma::cx_vec e = b.received(i) - b.channel(i) * b.transmitted(i);
    ratio.add(arma::accu(arma::square(arma::abs(e))) / 4.0 / b.noise_var[i]);
  }
  // Uniform on [lo, hi]: sd (hi - lo)/sqrt(12) = 5.77, se = 0.041.
  expect_mean(mean, 0.5 * (lo + hi), 0.05, "mean snr_db of the range schedule");
  EXPECT_NEAR(mean.se() * std::sqrt(n - 1.0), (hi - lo) / std::sqrt(12.0), 0.12) << "spread of a uniform draw";
  EXPECT_NEAR(static_cast<double>(below_mid) / n, 0.5, kSigmas * 0.5 / std::sqrt(n));
  expect_mean(ratio, 1.0, 0.006, "noise variance under a range schedule");
}

TEST(Generator, GridScheduleCyclesBySampleIndex) {
  Generator g(config(2, 2, Modulation::qpsk, "0,10,20", SnrUnit::esn0, 4));
  SampleBatch b;
  g.generate(5, 30, b, 3);
  const double grid[3] = {0, 10, 20};
  for (size_t k = 0; k < 30; ++k) {
    EXPECT_EQ(b.snr_db[k], static_cast<float>(grid[(5 + k) % 3])) << k;
    EXPECT_NEAR(b.noise_var[k], std::pow(10.0, -grid[(5 + k) % 3] / 10.0), 1e-6) << k;
  }
}

// --uses-per-realization U: sample i's H (and user gains) is sample floor(i / U)'s with U = 1, bit for bit; its bits,
// symbols, SNR, noise and CSI error are sample i's own with U = 1.
TEST(Generator, BlockFadingSharesRealizationROfTheUnblockedRun) {
  auto rician = config(3, 4, Modulation::qam16, "10", SnrUnit::snr, 21);
  rician.snr = SnrSchedule::range("0:20");
  rician.channel.model = "rician";
  rician.channel.set("k_factor", 3.0);
  rician.channel.user_power_spread_db = 12;  // shape uniforms and gains must follow r as well
  rician.channel.csi_error_var = 0.05;
  for (const auto& base : {config(3, 4, Modulation::qpsk, "5,15", SnrUnit::snr, 20), rician}) {
    const std::string what = base.channel.describe();
    const size_t n = 203, uses = 4;
    auto blocked = base;
    blocked.channel.uses_per_realization = uses;
    SampleBatch a, b;
    Generator(base).generate(0, n, a, 2);
    Generator(blocked).generate(0, n, b, 3);
    const size_t nh = a.nr * a.nt;
    ASSERT_EQ(b.has_user_gain(), base.channel.user_power_spread_db > 0) << what;
    for (size_t i = 0; i < n; ++i) {
      const size_t r = i / uses;
      ASSERT_EQ(std::memcmp(b.H.data() + i * nh, a.H.data() + r * nh, nh * sizeof(b.H[0])), 0) << what << " " << i;
      if (b.has_user_gain()) {
        ASSERT_EQ(std::memcmp(b.user_gain_db.data() + i * b.nt, a.user_gain_db.data() + r * a.nt,
                              b.nt * sizeof(float)), 0) << what << " " << i;
      }
      // Per sample: bits, symbols, SNR as with U = 1 at the same index.
      ASSERT_EQ(std::memcmp(b.bits.data() + i * b.nt * b.m, a.bits.data() + i * a.nt * a.m, a.nt * a.m), 0) << i;
      ASSERT_EQ(std::memcmp(b.x.data() + i * b.nt, a.x.data() + i * a.nt, a.nt * sizeof(b.x[0])), 0) << i;
      ASSERT_EQ(b.snr_db[i], a.snr_db[i]) << i;
      ASSERT_EQ(b.noise_var[i], a.noise_var[i]) << i;
      // y = H x + n with the shared H and sample i's own noise: the noise is the unblocked run's.
      const arma::cx_vec noise_b = b.received(i) - b.channel(i) * b.transmitted(i);
      const arma::cx_vec noise_a = a.received(i) - a.channel(i) * a.transmitted(i);
      ASSERT_LT(arma::abs(noise_b - noise_a).max(), 1e-5) << what << " " << i;
      if (b.has_h_est()) {
        const arma::cx_mat e_b = b.channel(i, true) - b.channel(i), e_a = a.channel(i, true) - a.channel(i);
        ASSERT_LT(arma::abs(e_b - e_a).max(), 1e-5) << what << " " << i;
        ASSERT_GT(arma::abs(e_b).max(), 0.0);
      }
    }
    // Samples 4r .. 4r + 3 share H, and the next realization differs; the noise differs between them.
    for (size_t i = 0; i + 1 < n; ++i) {
      const bool same = std::memcmp(b.H.data() + i * nh, b.H.data() + (i + 1) * nh, nh * sizeof(b.H[0])) == 0;
      EXPECT_EQ(same, (i + 1) % uses != 0) << what << " " << i;
      if (same) {
        const arma::cx_vec n0 = b.received(i) - b.channel(i) * b.transmitted(i);
        const arma::cx_vec n1 = b.received(i + 1) - b.channel(i + 1) * b.transmitted(i + 1);
        EXPECT_GT(arma::abs(n0 - n1).max(), 1e-3) << what << " " << i;
      }
    }
    // Any start: a batch that begins inside a block has the same samples.
    SampleBatch part;
    Generator(blocked).generate(6, 50, part, 2);
    expect_identical(slice(b, 6, 50), part, what + ": from 6");
  }
}

TEST(Generator, UsesPerRealizationIsChecked) {
  auto c = config(2, 2, Modulation::qpsk, "10", SnrUnit::snr);
  for (uint64_t bad : {uint64_t{0}, mimo::kMaxUsesPerRealization + 1}) {
    c.channel.uses_per_realization = bad;
    EXPECT_THROW(Generator{c}, std::invalid_argument) << bad;
  }
  c.channel.uses_per_realization = mimo::kMaxUsesPerRealization;
  SampleBatch b;
  Generator(c).generate(5'000'000'000ULL, 10, b, 2);  // indices far past U: still one realization per block
  for (size_t i = 1; i < 10; ++i) EXPECT_EQ(b.channel(i)(0, 0), b.channel(0)(0, 0));
  EXPECT_EQ(c.channel.describe(), "rayleigh (1000000000 uses per realization)");
}

// --channel awgn: H = I exactly, y = x + n with the noise of the SNR convention (receive SNR per antenna = Nt Es / N0,
// so a stream's Es / N0 is SNR / Nt).
TEST(Generator, AwgnIsTheIdentityChannel) {
  struct Case { int n; Modulation mod; double snr; };
  for (const auto& cs : {Case{1, Modulation::bpsk, 3.0}, Case{4, Modulation::qam16, 12.0}}) {
    auto c = config(cs.n, cs.n, cs.mod, std::to_string(cs.snr), SnrUnit::snr, 31);
    c.channel.model = "awgn";
    c.channel.uses_per_realization = cs.n == 1 ? 1 : 3;
    const std::string what = "awgn " + std::to_string(cs.n);
    Generator g(c);
    SampleBatch b;
    const size_t n = 20000;
    g.generate(0, n, b, 2);
    const double n0 = cs.n * std::pow(10.0, -cs.snr / 10);  // Es = 1
    EXPECT_NEAR(n0, ref_n0(cs.snr, SnrUnit::snr, cs.n, bits_of(cs.mod)), 1e-12);
    Stat ratio;
    for (size_t i = 0; i < n; ++i) {
      for (int r = 0; r < cs.n; ++r)
        for (int t = 0; t < cs.n; ++t)
          ASSERT_EQ(b.H[(i * cs.n + r) * cs.n + t], std::complex<float>(r == t ? 1.0f : 0.0f, 0.0f)) << what;
      ASSERT_NEAR(b.noise_var[i], n0, 1e-6 * n0);
      for (int r = 0; r < cs.n; ++r) {
        // y = 1 x_r + n_r (the zero entries add exact zeros), rounded once to float32.
        const cd noise = cd(b.y[i * cs.n + r]) - cd(b.x[i * cs.n + r]);
        ratio.add(std::norm(noise) / n0);
      }
    }
    expect_mean(ratio, 1.0, 0.02, "E|y - x|^2 / N0, " + what);
  }
  auto bad = config(2, 3, Modulation::qpsk, "10", SnrUnit::snr);
  bad.channel.model = "awgn";
  try {
    Generator g(bad);
    ADD_FAILURE() << "awgn with nt != nr accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--channel awgn needs --nt equal to --nr"), std::string::npos) << e.what();
  }
}

}  // namespace
