#pragma once
// The kernel behind llr_information (ber_engine.hpp): sum_i log(1 + e^-x_i), x_i = (1 - 2 b_i) L_i, in float32
// SIMD with float64 partial sums (llr_information_simd.cpp); relative error about 1e-6 at worst.
#include <cstddef>
#include <cstdint>

namespace mimo {

double information_loss_simd(const uint8_t* bits, const float* llr, size_t count);

}  // namespace mimo
