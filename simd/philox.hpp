#pragma once
// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
// counter-based generator of Random123 and cuRAND: 128 random bits are a pure function of a 128-bit counter and
// a 64-bit key, so any draw can be computed alone, in any order, on any number of lanes or threads. Ten rounds
// of two 32x32 -> 64-bit multiplications; integer arithmetic only, hence the same bits on every CPU.
//
// This is the scalar form; simd/random-inl.h computes the same function on vectors of counters.
#include <array>
#include <cstdint>

namespace mimo::simd {

using PhiloxBlock = std::array<uint32_t, 4>;

inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;  // round multipliers
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // key schedule (Weyl) increments
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
inline constexpr int kPhiloxRounds = 10;

/// The 4 output words for counter `c` under key (k0, k1).
constexpr PhiloxBlock philox4x32(PhiloxBlock c, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < kPhiloxRounds; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k0, static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k1, static_cast<uint32_t>(p0)};
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return c;
}

}  // namespace mimo::simd
