#pragma once
// The one random-number source of mimo, and the one place seeds are derived.
//
// Every Monte Carlo sample draws from its own stream, seeded from (seed, purpose, sample index). Results then
// do not depend on how samples are split across threads or chunks, and are identical on every platform: the
// generator (xoshiro256++) and the Gaussian transform (Marsaglia polar) are written out here rather than taken from
// <random>, whose distributions differ between standard libraries.
#include <cmath>
#include <complex>
#include <cstdint>

namespace mimo {

/// Purposes of independent streams derived from one seed.
enum class StreamTag : uint64_t { generate = 1, evaluate = 2, train = 3, validate = 4, test = 5 };

inline constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
public:
  explicit Rng(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }
  /// The stream of sample `index` for `tag` under `seed`.
  static Rng for_sample(uint64_t seed, StreamTag tag, uint64_t index) {
    uint64_t h = seed;
    uint64_t a = splitmix64(h) ^ static_cast<uint64_t>(tag) * 0xd1b54a32d192ed03ULL;
    uint64_t b = splitmix64(a) ^ index * 0x8cb92ba72f3d8dd7ULL;
    return Rng(splitmix64(b));
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// One fair bit.
  uint8_t bit() {
    if (bits_left_ == 0) { bit_pool_ = next(); bits_left_ = 64; }
    --bits_left_;
    const uint8_t b = bit_pool_ & 1u;
    bit_pool_ >>= 1;
    return b;
  }
  /// Circularly-symmetric complex Gaussian CN(0, variance), by Marsaglia's polar method: one pair of normals
  /// per accepted point of the unit disc, with a logarithm and a square root but no trigonometry.
  std::complex<double> complex_normal(double variance = 1.0) {
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-variance * std::log(s) / s);
    return {u * f, v * f};
  }
  /// Real N(0, variance).
  double normal(double variance = 1.0) { return complex_normal(2.0 * variance).real(); }

private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  uint64_t bit_pool_ = 0;
  int bits_left_ = 0;
};

}  // namespace mimo
