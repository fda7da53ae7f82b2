#pragma once
// The random-number sources of mimo, and the one place seeds are derived.
//
// The generator (channel/generator.cpp) draws every Monte Carlo sample from a counter-based generator,
// Philox4x32-10 (simd/philox.hpp): each 128-bit block is a pure function of the key (the seed) and a counter
// (block, stream tag, draw kind, sample index), so sample i depends only on (seed, tag, i) and is computed the
// same way whether it is alone, in a batch, on any lane of any SIMD width or on any thread. SampleDraws below
// fixes which counter each draw uses; the Gaussian transform (Box-Muller in float32, with its own polynomials)
// is specified in simd/random-inl.h. Integer arithmetic and correctly rounded IEEE operations in a fixed order
// make the draws bit-identical on every CPU and every Highway target (tested in tests/channel/).
//
// Rng (xoshiro256++ with a Marsaglia polar Gaussian) is a sequential stream for everything that does not need
// random access: tests and tools. Before the counter-based generator, the generator drew from it, one stream per
// sample (data sets from then hold other, statistically equivalent draws for the same seed).
// Both are written out here rather than taken from <random>, whose distributions differ between libraries.
#include <cmath>
#include <complex>
#include <cstdint>

#include "simd/philox.hpp"

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

/// What a Philox block of a sample is drawn for: the third component of its counter, so each kind of draw has
/// its own blocks and, e.g., a sample's channel does not depend on its modulation, SNR or CSI error.
enum class DrawKind : uint32_t { bits = 0, channel = 1, noise = 2, csi_error = 3, scalars = 4, user_gain = 5 };

/// The draws of one sample: block j of kind k is philox4x32(counter (j, tag << 8 | k, index lo, index hi),
/// key (seed lo, seed hi)). The map from (seed, tag, index, kind, j) to (key, counter) is one to one, so no two
/// draws of any two samples, tags or seeds share a block.
///   bits:      the sample's Nt m bits, bit q = bit q mod 32 (LSB first) of word (q / 32) mod 4 of block q / 128
///   channel:   entry (r, t) of the i.i.d. CN(0, 1) channel draw from words (2 (t mod 2), 2 (t mod 2) + 1) of
///              block r ceil(Nt / 2) + t / 2 (each row starts a block), by the transform of simd/random-inl.h
///   noise:     the CN(0, 1) draw of receive antenna r (scaled by sqrt(N0)), likewise from block r / 2
///   csi_error: like channel, for the estimation error
///   scalars:   block 0, words 0-1: the uniform of a range SNR schedule; blocks 1, 2, ...: the channel model's
///              stream of uniforms (ChannelDraws), two per block (words 0-1, 2-3); each uniform has 53 bits, see
///              uniform53
///   user_gain: user t's power-spread uniform from words (2 (t mod 2), 2 (t mod 2) + 1) of block t / 2
struct SampleDraws {
  uint64_t seed;
  StreamTag tag;
  uint64_t index;

  simd::PhiloxBlock block(DrawKind kind, uint32_t j) const {
    return simd::philox4x32({j, counter_word(tag, kind), static_cast<uint32_t>(index),
                             static_cast<uint32_t>(index >> 32)},
                            static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  }
  /// The second counter word of (tag, kind).
  static constexpr uint32_t counter_word(StreamTag tag, DrawKind kind) {
    return static_cast<uint32_t>(tag) << 8 | static_cast<uint32_t>(kind);
  }
  /// Uniform in [0, 1) on the 2^-53 grid from two words: (hi 2^21 + lo / 2^11) 2^-53.
  static double uniform53(uint32_t hi, uint32_t lo) {
    return static_cast<double>(static_cast<uint64_t>(hi) << 21 | lo >> 11) * 0x1.0p-53;
  }
};

}  // namespace mimo
