// The random source (channel/random.hpp): the published generators bit for bit, and the distributions measured
// over many draws within kSigmas standard errors.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "channel/random.hpp"
#include "statistics.hpp"

namespace {

using cd = std::complex<double>;
using mimo::Rng;
using mimo::StreamTag;

using Stat = mimo::test::Stat<double>;
using mimo::test::expect_mean;
using mimo::test::kSigmas;
constexpr int kDraws = 200000;

// Reference SplitMix64 and xoshiro256++ (Blackman & Vigna, prng.di.unimi.it), written out independently.
struct RefSplitMix {
  uint64_t x;
  uint64_t next() {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

struct RefXoshiro256pp {
  uint64_t s[4];
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  explicit RefXoshiro256pp(uint64_t seed) {
    RefSplitMix sm{seed};
    for (auto& w : s) w = sm.next();
  }
  uint64_t next() {
    const uint64_t result = rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

// Fraction of Bernoulli(p) successes within kSigmas binomial standard errors.
void expect_fraction(double count, double n, double p, const std::string& what) {
  EXPECT_NEAR(count / n, p, kSigmas * std::sqrt(p * (1 - p) / n)) << what;
}

TEST(Random, SplitMix64KnownAnswers) {
  // The reference implementation seeded with 0 starts e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f.
  uint64_t state = 0;
  EXPECT_EQ(mimo::splitmix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(mimo::splitmix64(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(mimo::splitmix64(state), 0x06c45d188009454fULL);
  EXPECT_EQ(state, 3 * 0x9e3779b97f4a7c15ULL);
  for (uint64_t seed : {1ULL, 42ULL, 0xdeadbeefULL, ~0ULL}) {
    uint64_t a = seed;
    RefSplitMix b{seed};
    for (int i = 0; i < 100; ++i) ASSERT_EQ(mimo::splitmix64(a), b.next());
  }
}

TEST(Random, RngIsXoshiro256PlusPlusSeededBySplitMix) {
  for (uint64_t seed : {0ULL, 1ULL, 12345ULL, ~0ULL}) {
    Rng rng(seed);
    RefXoshiro256pp ref(seed);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng.next(), ref.next()) << "seed " << seed << " draw " << i;
  }
}

TEST(Random, UniformIsIn01WithRightMomentsAndHistogram) {
  Rng rng(7);
  Stat s, lag;
  std::vector<int> bins(20, 0);
  double prev = 0.5;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_EQ(std::ldexp(u, 53), std::floor(std::ldexp(u, 53))) << "53-bit grid";
    s.add(u);
    lag.add((u - 0.5) * (prev - 0.5));
    prev = u;
    ++bins[static_cast<int>(u * 20)];
  }
  expect_mean(s, 0.5, 1e-3, "E[u]");
  EXPECT_NEAR(s.var(), 1.0 / 12, kSigmas * std::sqrt(1.0 / 180 / kDraws)) << "Var[u]";  // Var[(u-.5)^2] = 1/180
  expect_mean(lag, 0.0, 3e-4, "lag-1 covariance");
  for (int k = 0; k < 20; ++k) expect_fraction(bins[k], kDraws, 0.05, "histogram bin " + std::to_string(k));

  Rng r2(8);
  Stat s2;
  for (int i = 0; i < kDraws; ++i) {
    const double v = r2.uniform(-3.0, 5.0);
    ASSERT_GE(v, -3.0);
    ASSERT_LT(v, 5.0);
    s2.add(v);
  }
  expect_mean(s2, 1.0, 8e-3, "E[uniform(-3, 5)]");
  EXPECT_NEAR(s2.var(), 64.0 / 12, 0.1);
}

TEST(Random, BitsAreFairAndUncorrelated) {
  Rng rng(9);
  Stat s, lag;
  int prev = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int b = rng.bit();
    ASSERT_TRUE(b == 0 || b == 1);
    s.add(b);
    lag.add((b - 0.5) * (prev - 0.5));
    prev = b;
  }
  expect_mean(s, 0.5, 2e-3, "E[bit]");
  expect_mean(lag, 0.0, 1e-3, "lag-1 covariance of bits");
}

TEST(Random, ComplexNormalVarianceAndCircularSymmetry) {
  for (double v : {1.0, 0.25, 3.0}) {
    Rng rng(static_cast<uint64_t>(100 * v) + 1);
    Stat re, im, power, pseudo_re, pseudo_im, reim, fourth;
    double above1 = 0, above3 = 0, first_quadrant = 0;
    for (int i = 0; i < kDraws; ++i) {
      const cd z = rng.complex_normal(v);
      ASSERT_TRUE(std::isfinite(z.real()) && std::isfinite(z.imag()));
      re.add(z.real() / std::sqrt(v));
      im.add(z.imag() / std::sqrt(v));
      const double p = std::norm(z) / v;
      power.add(p);
      fourth.add(p * p);
      const cd z2 = z * z / v;  // E[z^2] = 0 for circular symmetry
      pseudo_re.add(z2.real());
      pseudo_im.add(z2.imag());
      reim.add(z.real() * z.imag() / v);
      above1 += p > 1.0;
      above3 += p > 3.0;
      first_quadrant += z.real() > 0 && z.imag() > 0;
    }
    const std::string w = "v=" + std::to_string(v);
    expect_mean(re, 0.0, 2e-3, "E[Re z], " + w);
    expect_mean(im, 0.0, 2e-3, "E[Im z], " + w);
    expect_mean(power, 1.0, 3e-3, "E|z|^2 / v, " + w);
    EXPECT_NEAR(re.var(), 0.5, 0.012) << "Var[Re z] / v, " << w;
    EXPECT_NEAR(im.var(), 0.5, 0.012) << "Var[Im z] / v, " << w;
    expect_mean(pseudo_re, 0.0, 3e-3, "Re E[z^2], " + w);
    expect_mean(pseudo_im, 0.0, 3e-3, "Im E[z^2], " + w);
    expect_mean(reim, 0.0, 2e-3, "E[Re z Im z], " + w);
    // |z|^2 / v ~ Exp(1): E = 1, E[.^2] = 2, tail P(> t) = e^{-t}.
    expect_mean(fourth, 2.0, 0.02, "E|z|^4 / v^2, " + w);
    expect_fraction(above1, kDraws, std::exp(-1.0), "P(|z|^2 > v), " + w);
    expect_fraction(above3, kDraws, std::exp(-3.0), "P(|z|^2 > 3v), " + w);
    expect_fraction(first_quadrant, kDraws, 0.25, "uniform phase, " + w);
  }
  Rng rng(1);
  EXPECT_EQ(rng.complex_normal(0.0), cd(0.0, 0.0));
}

TEST(Random, RealNormalVariance) {
  for (double v : {1.0, 0.5, 4.0}) {
    Rng rng(static_cast<uint64_t>(10 * v) + 3);
    Stat x, x2, x4;
    for (int i = 0; i < kDraws; ++i) {
      const double r = rng.normal(v) / std::sqrt(v);
      x.add(r);
      x2.add(r * r);
      x4.add(r * r * r * r);
    }
    expect_mean(x, 0.0, 3e-3, "E[x], v=" + std::to_string(v));
    expect_mean(x2, 1.0, 4e-3, "E[x^2]/v, v=" + std::to_string(v));
    expect_mean(x4, 3.0, 0.03, "E[x^4]/v^2, v=" + std::to_string(v));
  }
}

TEST(Random, ForSampleStreamsAreReproducibleAndDistinct) {
  // Same (seed, tag, index): same stream.
  {
    Rng a = Rng::for_sample(5, StreamTag::generate, 1234), b = Rng::for_sample(5, StreamTag::generate, 1234);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
  }
  // Neighbouring indices, other tags, other seeds: different streams.
  for (uint64_t idx : {0ULL, 1ULL, 2ULL, 1000ULL, (1ULL << 32) - 1, ~0ULL - 1}) {
    Rng a = Rng::for_sample(5, StreamTag::generate, idx), b = Rng::for_sample(5, StreamTag::generate, idx + 1);
    int equal = 0;
    for (int i = 0; i < 64; ++i) equal += a.next() == b.next();
    EXPECT_EQ(equal, 0) << "index " << idx;
  }
  const StreamTag tags[] = {StreamTag::generate, StreamTag::evaluate, StreamTag::train, StreamTag::validate,
                            StreamTag::test};
  std::set<uint64_t> firsts;
  for (uint64_t seed : {0ULL, 1ULL, 2ULL})
    for (StreamTag t : tags)
      for (uint64_t idx = 0; idx < 4; ++idx) firsts.insert(Rng::for_sample(seed, t, idx).next());
  EXPECT_EQ(firsts.size(), 3u * 5 * 4) << "seed/tag/index combinations collide";

  // First draws of many consecutive streams: all distinct, uniform, and uncorrelated with the neighbour's.
  const int n = 100000;
  std::set<uint64_t> seen;
  Stat u, lag;
  double prev = 0.5;
  for (int i = 0; i < n; ++i) {
    Rng r = Rng::for_sample(77, StreamTag::generate, static_cast<uint64_t>(i));
    const uint64_t w = r.next();
    seen.insert(w);
    const double x = static_cast<double>(w >> 11) * 0x1.0p-53;
    u.add(x);
    if (i) lag.add((x - 0.5) * (prev - 0.5));
    prev = x;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(n));
  expect_mean(u, 0.5, 1.5e-3, "first uniform across streams");
  expect_mean(lag, 0.0, 4e-4, "neighbouring streams' covariance");
}

}  // namespace
