// The information loss sum of llr_information (ber_engine.hpp), sum_i log(1 + e^-x_i) with x_i = (1 - 2 b_i) L_i,
// in float32 across vector lanes with Highway's exp and log1p, accumulated per vector in float64. One term is
// exact to a few float32 ulps; llr_info is reported to 6 digits.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "evaluation/llr_information_simd.cpp"
#include <hwy/foreach_target.h>  // must precede highway.h
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <cstddef>
#include <cstdint>

#include "evaluation/information_loss.hpp"

HWY_BEFORE_NAMESPACE();
namespace mimo {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

double InformationLossSimd(const uint8_t* bits, const float* llr, size_t count) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> d8;
  const size_t N = hn::Lanes(d);
  const auto zero = hn::Zero(d), one = hn::Set(d, 1.0f), two = hn::Set(d, 2.0f);
  // log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|): no overflow for either sign; e^-|x| underflows harmlessly.
  auto term = [&](const uint8_t* b8, const float* l) {
    const auto b = hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(d8, b8)));
    const auto x = hn::Mul(hn::NegMulAdd(b, two, one), hn::LoadU(d, l));  // (1 - 2b) L
    return hn::Add(hn::Max(hn::Neg(x), zero), hn::Log1p(d, hn::Exp(d, hn::Neg(hn::Abs(x)))));
  };
  // float32 sums of at most kChunk vectors per lane, then float64: a relative error of ~1e-6 at worst.
  constexpr size_t kChunk = 16;
  alignas(64) float lanes[64];
  double sum = 0;
  size_t i = 0;
  while (i + N <= count) {
    auto acc = hn::Zero(d);
    for (size_t k = 0; k < kChunk && i + N <= count; ++k, i += N) acc = hn::Add(acc, term(bits + i, llr + i));
    hn::Store(acc, d, lanes);
    for (size_t l = 0; l < N; ++l) sum += lanes[l];
  }
  if (i < count) {  // the tail through the same code, padded with terms that are exactly 0
    alignas(64) float tail[64];
    alignas(64) uint8_t tail_bits[64] = {};
    for (size_t k = 0; k < N; ++k) tail[k] = i + k < count ? llr[i + k] : 1e30f;  // log(1 + e^-1e30) = 0
    for (size_t k = 0; i + k < count; ++k) tail_bits[k] = bits[i + k];
    hn::Store(term(tail_bits, tail), d, lanes);
    for (size_t l = 0; l < N; ++l) sum += lanes[l];
  }
  return sum;
}

}  // namespace HWY_NAMESPACE
}  // namespace mimo
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mimo {

HWY_EXPORT(InformationLossSimd);

double information_loss_simd(const uint8_t* bits, const float* llr, size_t count) {
  return HWY_DYNAMIC_DISPATCH(InformationLossSimd)(bits, llr, count);
}

}  // namespace mimo
#endif
