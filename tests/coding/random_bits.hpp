#pragma once
// Random information bits for the coding tests, one per byte.
#include <cstdint>
#include <random>
#include <vector>

namespace mimo::test {

inline std::vector<std::uint8_t> random_bits(std::size_t n, std::mt19937_64& rng) {
  std::vector<std::uint8_t> bits(n);
  for (auto& b : bits) b = static_cast<std::uint8_t>(rng() & 1);
  return bits;
}

}  // namespace mimo::test
