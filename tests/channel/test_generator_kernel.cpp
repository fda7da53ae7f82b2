// The generator's draws (channel/generator_kernel.cpp, simd/random-inl.h, SampleDraws in channel/random.hpp):
//   - every byte of a batch equals a plain scalar computation of the documented algorithm written out here
//     (Philox4x32-10 from the paper, checked on Random123's known answers; the Box-Muller transform with
//     frexp and a switch over octants; the 38.211 mapping from tests/channel/references.hpp);
//   - every Highway target this CPU runs gives the same bytes;
//   - the Gaussians are right: moments, a 4-sigma tail, a Kolmogorov-Smirnov distance to Phi, the truncation;
//   - bits are fair and independent within a sample and across neighbouring samples (lanes).
// Compiled with -ffp-contract=off like the kernel (tests/channel/CMakeLists.txt), so the reference rounds the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "channel/channel_model.hpp"
#include "channel/generator.hpp"
#include "channel/generator_kernel.hpp"
#include "hwy/targets.h"
#include "references.hpp"
#include "simd/philox.hpp"
#include "statistics.hpp"

namespace {

using cf = std::complex<float>;
using mimo::Generator;
using mimo::GeneratorConfig;
using mimo::Modulation;
using mimo::SampleBatch;
using mimo::SnrSchedule;
using mimo::SnrUnit;
using mimo::test::kSigmas;

// ---- The reference: one sample at a time, nothing shared with the library but the configuration types. ----

struct RefPhilox {
  static constexpr uint32_t M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;
  // Salmon et al. 2011, Philox4x32 with 10 rounds; the key is bumped before every round but the first.
  static std::array<uint32_t, 4> eval(std::array<uint32_t, 4> x, uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += W0;
        k1 += W1;
      }
      const uint64_t p = uint64_t{M0} * x[0], q = uint64_t{M1} * x[2];
      x = {uint32_t(q >> 32) ^ x[1] ^ k0, uint32_t(q), uint32_t(p >> 32) ^ x[3] ^ k1, uint32_t(p)};
    }
    return x;
  }
};

enum Kind : uint32_t { kBits = 0, kChannel = 1, kNoise = 2, kCsi = 3, kScalars = 4 };

std::array<uint32_t, 4> block(const GeneratorConfig& c, uint64_t i, Kind kind, uint32_t j) {
  const uint32_t word = static_cast<uint32_t>(c.tag) * 256u + kind;
  return RefPhilox::eval({j, word, uint32_t(i & 0xFFFFFFFFu), uint32_t(i >> 32)}, uint32_t(c.seed & 0xFFFFFFFFu),
                         uint32_t(c.seed >> 32));
}

double uniform53(uint32_t hi, uint32_t lo) { return std::ldexp(double((uint64_t{hi} << 21) | (lo >> 11)), -53); }

// Cephes logf, for x in (0, 1].
float ref_log(float x) {
  int e;
  float m = std::frexp(x, &e);  // x = m 2^e, m in [0.5, 1)
  float f;
  if (m < 0.707106781186547524f) {
    e -= 1;
    f = (m + m) - 1.0f;
  } else {
    f = m - 1.0f;
  }
  const float fe = static_cast<float>(e);
  const float z = f * f;
  const float c[9] = {7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f,
                      -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f};
  float p = c[0];
  for (int k = 1; k < 9; ++k) p = p * f + c[k];
  float y = (p * f) * z;
  y = y + fe * -2.12194440e-4f;
  y = y - z * 0.5f;
  return (f + y) + fe * 0.693359375f;
}

cf ref_normal(uint32_t a, uint32_t b) {
  const float u = (static_cast<float>(a >> 1) + 0.5f) * 0x1p-31f;
  const float radius = std::sqrt(0.0f - ref_log(u));
  const float phi = (static_cast<float>(b & 0x1FFFFFFFu) + 0.5f) * (0.785398163397448309616f * 0x1p-29f);
  const float z = phi * phi;
  const float s = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z + -1.6666654611e-1f) * z * phi + phi;
  const float c = (((2.443315711809948e-5f * z + -1.388731625493765e-3f) * z + 4.166664568298827e-2f) * z) * z -
                  z * 0.5f + 1.0f;
  // Octant o: angle = (o / 2) quarter turns + (o odd ? pi/2 - phi : phi).
  float cs, sn;
  switch (b >> 29) {
    case 0: cs = c, sn = s; break;    // phi
    case 1: cs = s, sn = c; break;    // pi/2 - phi
    case 2: cs = -s, sn = c; break;   // pi/2 + phi
    case 3: cs = -c, sn = s; break;   // pi - phi
    case 4: cs = -c, sn = -s; break;  // pi + phi
    case 5: cs = -s, sn = -c; break;  // 3pi/2 - phi
    case 6: cs = s, sn = -c; break;   // 3pi/2 + phi
    default: cs = c, sn = -s; break;  // 2pi - phi
  }
  return {radius * cs, radius * sn};
}

// Entry e of a kind laid out like the channel: block r ceil(cols/2) + t/2, words 2 (t mod 2), 2 (t mod 2) + 1.
cf ref_entry(const GeneratorConfig& c, uint64_t i, Kind kind, int r, int t, int cols) {
  const auto w = block(c, i, kind, static_cast<uint32_t>(r * ((cols + 1) / 2) + t / 2));
  return t % 2 == 0 ? ref_normal(w[0], w[1]) : ref_normal(w[2], w[3]);
}

struct RefSample {
  std::vector<uint8_t> bits;
  std::vector<cf> x, H, y, H_est;
  float snr_db, noise_var;
};

RefSample ref_sample(const GeneratorConfig& c, uint64_t i) {
  const int nt = c.channel.nt, nr = c.channel.nr, m = mimo::test::bits_of(c.modulation);
  RefSample s;
  double snr;
  if (c.snr.is_range()) {
    const auto w = block(c, i, kScalars, 0);
    snr = c.snr.lo() + (c.snr.hi() - c.snr.lo()) * uniform53(w[0], w[1]);
  } else {
    snr = c.snr.values()[i % c.snr.values().size()];
  }
  s.snr_db = static_cast<float>(snr);
  s.noise_var = static_cast<float>(mimo::test::ref_n0(snr, c.snr_unit, nt, m));

  for (int q = 0; q < nt * m; ++q) s.bits.push_back((block(c, i, kBits, q / 128)[(q / 32) % 4] >> (q % 32)) & 1u);
  for (int t = 0; t < nt; ++t) s.x.push_back(cf(mimo::test::ref_map(c.modulation, s.bits.data() + t * m)));

  std::vector<std::complex<double>> G(nr * nt);
  for (int r = 0; r < nr; ++r)
    for (int t = 0; t < nt; ++t) s.H.push_back(ref_entry(c, i, kChannel, r, t, nt));
  if (c.channel.model == "kronecker") {
    // R_rx^(1/2) (G R_tx^(1/2)), each sum in index order in double.
    const arma::mat A = mimo::symmetric_sqrt(mimo::exponential_correlation(nr, c.channel.real("rho_rx")));
    const arma::mat B = mimo::symmetric_sqrt(mimo::exponential_correlation(nt, c.channel.real("rho_tx")));
    std::vector<std::complex<double>> GB(nr * nt);
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) {
        double re = 0, im = 0;
        for (int b = 0; b < nt; ++b) {
          re += double(s.H[r * nt + b].real()) * B(b, t);
          im += double(s.H[r * nt + b].imag()) * B(b, t);
        }
        GB[r * nt + t] = {re, im};
      }
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) {
        double re = 0, im = 0;
        for (int a = 0; a < nr; ++a) {
          re += A(r, a) * GB[a * nt + t].real();
          im += A(r, a) * GB[a * nt + t].imag();
        }
        s.H[r * nt + t] = {float(re), float(im)};
      }
  } else if (c.channel.model == "rician") {
    const auto w = block(c, i, kScalars, 1);
    const double pi = std::numbers::pi, K = c.channel.real("k_factor");
    const double sr = std::sin(-pi / 2 + pi * uniform53(w[0], w[1])), st = std::sin(-pi / 2 + pi * uniform53(w[2], w[3]));
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) {
        const double phase = pi * (r * sr - t * st);
        const cf g = s.H[r * nt + t];
        s.H[r * nt + t] = {float(std::sqrt(1 / (K + 1)) * g.real() + std::sqrt(K / (K + 1)) * std::cos(phase)),
                           float(std::sqrt(1 / (K + 1)) * g.imag() + std::sqrt(K / (K + 1)) * std::sin(phase))};
      }
  }

  const float sigma = std::sqrt(s.noise_var);
  for (int r = 0; r < nr; ++r) {
    const auto w = block(c, i, kNoise, r / 2);
    const cf z = r % 2 == 0 ? ref_normal(w[0], w[1]) : ref_normal(w[2], w[3]);
    float re = 0.0f, im = 0.0f;
    for (int t = 0; t < nt; ++t) {
      const cf h = s.H[r * nt + t], x = s.x[t];
      re = re + (h.real() * x.real() - h.imag() * x.imag());
      im = im + (h.real() * x.imag() + h.imag() * x.real());
    }
    s.y.push_back({re + sigma * z.real(), im + sigma * z.imag()});
  }
  if (c.channel.csi_error_var > 0) {
    const float sd = static_cast<float>(std::sqrt(c.channel.csi_error_var));
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) {
        const cf e = ref_entry(c, i, kCsi, r, t, nt), h = s.H[r * nt + t];
        s.H_est.push_back({h.real() + sd * e.real(), h.imag() + sd * e.imag()});
      }
  }
  return s;
}

template <class T>
bool same_bytes(const T* a, const T* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(T)) == 0;  // empty arrays may have null data
}

// Every array of samples [0, b.n) of b, which holds samples first, first + 1, ..., against the reference.
void expect_reference(const GeneratorConfig& c, uint64_t first, const SampleBatch& b, const std::string& what) {
  const size_t nt = b.nt, nr = b.nr, m = b.m;
  for (size_t k = 0; k < b.n; ++k) {
    const RefSample s = ref_sample(c, first + k);
    const std::string at = what + ", sample " + std::to_string(first + k);
    ASSERT_EQ(b.snr_db[k], s.snr_db) << at;
    ASSERT_EQ(b.noise_var[k], s.noise_var) << at;
    ASSERT_TRUE(same_bytes(b.bits.data() + k * nt * m, s.bits.data(), nt * m)) << at << ": bits";
    ASSERT_TRUE(same_bytes(b.x.data() + k * nt, s.x.data(), nt)) << at << ": x";
    ASSERT_TRUE(same_bytes(b.H.data() + k * nr * nt, s.H.data(), nr * nt)) << at << ": H";
    ASSERT_TRUE(same_bytes(b.y.data() + k * nr, s.y.data(), nr)) << at << ": y";
    ASSERT_EQ(b.has_h_est(), !s.H_est.empty()) << at;
    if (b.has_h_est()) {
      ASSERT_TRUE(same_bytes(b.H_est.data() + k * nr * nt, s.H_est.data(), nr * nt)) << at << ": H_est";
    }
  }
}

GeneratorConfig config(const std::string& model, int nt, int nr, Modulation mod, double csi, bool range,
                       uint64_t seed) {
  GeneratorConfig c;
  c.channel.model = model;
  c.channel.nt = nt;
  c.channel.nr = nr;
  if (model == "kronecker") c.channel.set("rho_tx", 0.6).set("rho_rx", 0.3);
  if (model == "rician") c.channel.set("k_factor", 2.5);
  c.channel.csi_error_var = csi;
  c.modulation = mod;
  c.snr = range ? SnrSchedule::range("-5:25") : SnrSchedule::grid("0,7.5,15");
  c.snr_unit = range ? SnrUnit::ebn0 : SnrUnit::snr;
  c.seed = seed;
  return c;
}

// Odd and even sizes, every modulation, every model, both schedules, with and without CSI error.
std::vector<GeneratorConfig> configs() {
  return {
      config("rayleigh", 8, 8, Modulation::qam16, 0.0, false, 1),
      config("rayleigh", 3, 5, Modulation::qam64, 0.05, true, 0xFEDCBA9876543210ULL),
      config("rayleigh", 1, 1, Modulation::bpsk, 0.0, false, 7),
      config("rayleigh", 5, 2, Modulation::qpsk, 0.3, false, 0),
      config("rayleigh", 40, 33, Modulation::qam256, 0.0, true, 99),  // 320 bits: three bit blocks
      config("kronecker", 4, 6, Modulation::qam16, 0.1, true, 42),
      config("rician", 3, 4, Modulation::qpsk, 0.0, false, 5),
      config("rician", 2, 7, Modulation::qam256, 0.02, true, 6),
  };
}

std::string describe(const GeneratorConfig& c) {
  return c.channel.model + " " + std::to_string(c.channel.nr) + "x" + std::to_string(c.channel.nt) + " " +
         mimo::to_string(c.modulation) + (c.channel.csi_error_var > 0 ? " csi" : "") + (c.snr.is_range() ? " range" : "");
}

TEST(GeneratorReference, PhiloxKnownAnswers) {
  // Random123's kat_vectors for philox4x32 with 10 rounds: counter, key -> output.
  struct Kat { std::array<uint32_t, 4> ctr; uint32_t k0, k1; std::array<uint32_t, 4> out; };
  const Kat kats[] = {
      {{0, 0, 0, 0}, 0, 0, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{~0u, ~0u, ~0u, ~0u}, ~0u, ~0u, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0,
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto& k : kats) {
    EXPECT_EQ(RefPhilox::eval(k.ctr, k.k0, k.k1), k.out);
    EXPECT_EQ(mimo::simd::philox4x32(k.ctr, k.k0, k.k1), k.out);
  }
}

TEST(GeneratorReference, ScalarPiecesAgreeWithTheLibm) {
  // The reference's log is Cephes' (within 2 ulp of ln over the whole range of u); the transform's angle is uniform.
  for (uint32_t a : {0u, 1u, 2u, 1000u, 1u << 20, 1u << 31, 0xFFFFFF00u, 0xFFFFFFFFu}) {
    const float u = (static_cast<float>(a >> 1) + 0.5f) * 0x1p-31f;
    EXPECT_NEAR(ref_log(u), std::log(u), 2.5e-7f * std::max(1.0f, std::abs(std::log(u)))) << a;
  }
  for (uint32_t b = 0; b < 8; ++b) {
    // The middle of each octant: angle (2 b + 1) pi / 8.
    const cf z = ref_normal(0x80000000u, (b << 29) | 0x10000000u);
    const double angle = std::atan2(z.imag(), z.real()), want = (2 * b + 1) * std::numbers::pi / 8;
    EXPECT_NEAR(std::remainder(angle - want, 2 * std::numbers::pi), 0.0, 1e-6) << "octant " << b;
  }
}

TEST(GeneratorReference, EveryByteEqualsTheScalarReference) {
  for (const auto& c : configs()) {
    const Generator g(c);
    SampleBatch b;
    g.generate(0, 70, b, 1);  // not a multiple of any vector length
    expect_reference(c, 0, b, describe(c));
    // Indices around 2^32 (the counter's upper index word), inside one vector of lanes.
    const uint64_t first = (uint64_t{1} << 32) - 5;
    g.generate(first, 11, b, 2);
    expect_reference(c, first, b, describe(c) + " near 2^32");
  }
}

TEST(GeneratorReference, EveryHighwayTargetGivesTheSameBytes) {
  const auto targets = mimo::generator_kernel_targets();
  ASSERT_FALSE(targets.empty());
  std::string names;
  const auto all = configs();
  for (const auto& c : all) {
    std::vector<SampleBatch> out;
    for (int64_t target : targets) {
      hwy::SetSupportedTargetsForTest(target);
      EXPECT_EQ(mimo::generator_kernel_target(), hwy::TargetName(target)) << "dispatch did not follow the target";
      if (&c == &all.front()) names += std::string(hwy::TargetName(target)) + " ";
      SampleBatch b;
      Generator(c).generate(3, 45, b, 2);
      out.push_back(std::move(b));
    }
    hwy::SetSupportedTargetsForTest(0);
    for (size_t k = 1; k < out.size(); ++k) {
      const auto& a = out[0];
      const auto& b = out[k];
      const std::string what = describe(c) + ": " + hwy::TargetName(targets[k]) + " vs " + hwy::TargetName(targets[0]);
      EXPECT_TRUE(same_bytes(a.H.data(), b.H.data(), a.H.size())) << what;
      EXPECT_TRUE(same_bytes(a.y.data(), b.y.data(), a.y.size())) << what;
      EXPECT_TRUE(same_bytes(a.x.data(), b.x.data(), a.x.size())) << what;
      EXPECT_TRUE(same_bytes(a.bits.data(), b.bits.data(), a.bits.size())) << what;
      EXPECT_TRUE(same_bytes(a.H_est.data(), b.H_est.data(), a.H_est.size())) << what;
      EXPECT_TRUE(same_bytes(a.noise_var.data(), b.noise_var.data(), a.n)) << what;
    }
    expect_reference(c, 3, out.back(), describe(c) + " on " + hwy::TargetName(targets.back()));
  }
  std::printf("Highway targets compared: %s\n", names.c_str());
  // This machine runs more than the scalar fallback, or the comparison would be empty.
  EXPECT_GE(targets.size(), 2u);
}

// ---- The distributions. ----

// Standard normal CDF.
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

TEST(GeneratorDraws, GaussiansHaveTheRightMomentsTailAndShape) {
  // Real and imaginary parts of the i.i.d. Rayleigh H, times sqrt(2): N(0, 1). 2^23 complex draws.
  GeneratorConfig c = config("rayleigh", 16, 16, Modulation::qpsk, 0.0, false, 2024);
  const Generator g(c);
  const size_t per_batch = 4096, batches = 8;
  SampleBatch b;
  mimo::test::Stat<double> x1, x2, x4, cross;
  double beyond4 = 0, n = 0, largest = 0;
  std::vector<double> sample;  // every 16th value, for the KS distance
  for (size_t k = 0; k < batches; ++k) {
    g.generate(k * per_batch, per_batch, b, 2);
    for (size_t e = 0; e < b.H.size(); ++e) {
      const double re = std::sqrt(2.0) * b.H[e].real(), im = std::sqrt(2.0) * b.H[e].imag();
      for (double v : {re, im}) {
        x1.add(v);
        x2.add(v * v);
        x4.add(v * v * v * v);
        beyond4 += std::abs(v) > 4.0;
        largest = std::max(largest, std::abs(v));
        n += 1;
      }
      cross.add(re * im);
      if (e % 16 == 0) sample.push_back(re);
    }
  }
  mimo::test::expect_mean(x1, 0.0, 5e-4, "E[x]");
  mimo::test::expect_mean(x2, 1.0, 7e-4, "E[x^2]");
  mimo::test::expect_mean(x4, 3.0, 5e-3, "E[x^4]");
  mimo::test::expect_mean(cross, 0.0, 5e-4, "E[Re Im]");

  // P(|x| > 4) = erfc(4 / sqrt 2) = 6.334e-5: about 1063 of the 1.68e7 values, binomial sd 33 (3%).
  const double p4 = std::erfc(4.0 / std::sqrt(2.0));
  const double sd = std::sqrt(n * p4 * (1 - p4));
  EXPECT_NEAR(beyond4, n * p4, kSigmas * sd) << "4-sigma tail: " << beyond4 << " of " << n;
  EXPECT_LT(kSigmas * sd, 0.25 * n * p4) << "the tail check must have teeth";
  // Truncation: |x| <= sqrt(2 * 32 ln 2) = 6.66 by construction (reached with probability ~1e-10 per value).
  EXPECT_LE(largest, std::sqrt(64.0 * std::log(2.0)) + 1e-5);
  EXPECT_GT(largest, 4.5) << "the tails are populated";

  // Kolmogorov-Smirnov distance to Phi over 524288 values: P(sqrt(n) D > 1.95) = 0.001.
  std::sort(sample.begin(), sample.end());
  const double m = static_cast<double>(sample.size());
  double D = 0;
  for (size_t k = 0; k < sample.size(); ++k) {
    const double F = Phi(sample[k]);
    D = std::max({D, F - k / m, (k + 1) / m - F});
  }
  EXPECT_LT(std::sqrt(m) * D, 1.95) << "KS distance " << D;
}

TEST(GeneratorDraws, PowerIsExponentialInEveryBin) {
  // |z|^2 ~ Exp(1) for z = noise / sqrt(N0): chi-square over 20 equiprobable bins, 99.9% point of chi2(19) = 43.8.
  GeneratorConfig c = config("rayleigh", 2, 32, Modulation::bpsk, 0.0, false, 77);
  c.snr = SnrSchedule::grid("10");
  const Generator g(c);
  SampleBatch b;
  g.generate(0, 20000, b, 2);
  std::vector<double> counts(20, 0);
  double total = 0;
  for (size_t i = 0; i < b.n; ++i)
    for (size_t r = 0; r < b.nr; ++r) {
      cf hx = 0;
      for (size_t t = 0; t < b.nt; ++t) hx += b.H[(i * b.nr + r) * b.nt + t] * b.x[i * b.nt + t];
      const double p = std::norm(std::complex<double>(b.y[i * b.nr + r] - hx)) / b.noise_var[i];
      const double F = 1 - std::exp(-p);  // uniform if p ~ Exp(1)
      counts[std::min<size_t>(19, static_cast<size_t>(F * 20))] += 1;
      total += 1;
    }
  double chi2 = 0;
  for (double k : counts) chi2 += (k - total / 20) * (k - total / 20) / (total / 20);
  EXPECT_LT(chi2, 43.8) << "chi-square of |n|^2 / N0 against Exp(1)";
}

TEST(GeneratorDraws, BitsAreFairAndIndependentAcrossLanesAndPositions) {
  // 256 bits per sample (QAM256, 32 streams: two Philox blocks); every position fair, no correlation between
  // neighbouring positions, neighbouring samples (adjacent lanes) or samples a vector apart (same lane).
  GeneratorConfig c = config("rayleigh", 32, 1, Modulation::qam256, 0.0, false, 3);
  const Generator g(c);
  SampleBatch b;
  const size_t n = 40000, nb = 256;
  g.generate(0, n, b, 2);
  std::vector<mimo::test::Stat<double>> position(nb);
  mimo::test::Stat<double> next_bit, next_sample, lane_apart;
  for (size_t i = 0; i < n; ++i)
    for (size_t q = 0; q < nb; ++q) {
      const double v = b.bits[i * nb + q] - 0.5;
      position[q].add(v + 0.5);
      if (q + 1 < nb) next_bit.add(v * (b.bits[i * nb + q + 1] - 0.5));
      if (i + 1 < n) next_sample.add(v * (b.bits[(i + 1) * nb + q] - 0.5));
      if (i + 16 < n) lane_apart.add(v * (b.bits[(i + 16) * nb + q] - 0.5));
    }
  for (size_t q = 0; q < nb; ++q) mimo::test::expect_mean(position[q], 0.5, 3e-3, "P(bit " + std::to_string(q) + ")");
  // Covariances of fair bits: 0 when independent, se = 0.25 / sqrt(count) ~ 2.5e-5.
  mimo::test::expect_mean(next_bit, 0.0, 1e-4, "cov(bit q, bit q+1)");
  mimo::test::expect_mean(next_sample, 0.0, 1e-4, "cov(sample i, sample i+1)");
  mimo::test::expect_mean(lane_apart, 0.0, 1e-4, "cov(sample i, sample i+16)");
}

}  // namespace
