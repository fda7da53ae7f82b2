// Per-target (Highway) random numbers: Philox4x32-10 on vectors of counters (bit for bit simd/philox.hpp, one
// independent counter per lane), and a Box-Muller transform from two 32-bit words to one CN(0, 1) draw in
// float32 with its own logarithm, sine and cosine.
//
// Bit-identical on every Highway target, by construction: the transform uses only operations that IEEE 754
// rounds correctly (add, subtract, multiply, square root, int32 -> float conversion), bit operations and
// selects, each written out in a fixed order; no FMA (MulAdd), no approximate reciprocals, no Min/Max (whose
// result for +-0 differs between targets). A translation unit that includes this file must be compiled with
// -ffp-contract=off, or the compiler may fuse a Mul and an Add into an FMA on the targets that have one.
//
// The Gaussian transform, word a -> radius, word b -> angle:
//   u = (fl(a >> 1) + 1/2) 2^-31 in [2^-32, 1]    fl: rounded to float32 (to nearest even); 31 random bits
//   |z|^2 = -ln u,  so |z|^2 ~ Exp(1) up to the grid of u: the exact inverse CDF of the radius
//   phi = (fl(b mod 2^29) + 1/2) (pi/4) 2^-29 in (0, pi/4]; the top 3 bits of b pick the octant (reflection
//   and quarter turns), so the angle is uniform on [0, 2 pi)
//   z = |z| (cos, sin) of that angle
// Truncation: u >= 2^-32 bounds |z|^2 <= 32 ln 2 = 22.18, i.e. each real part stays within 6.66 of its own
// standard deviations (1/sqrt 2); the mass cut off is P(|z|^2 > 22.18) = 2^-32 = 2.3e-10. Near u = 1 float32 has
// steps of 2^-24, so |z| takes no values in (0, 1.7e-4) (probability 3e-8).
//
// Include after hwy/highway.h (or from a file re-included by hwy/foreach_target.h).
#if defined(MIMO_SIMD_RANDOM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef MIMO_SIMD_RANDOM_INL_H_
#undef MIMO_SIMD_RANDOM_INL_H_
#else
#define MIMO_SIMD_RANDOM_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "simd/philox.hpp"

HWY_BEFORE_NAMESPACE();
namespace mimo::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// The round keys of Philox4x32-10 for key (k0, k1): rk[2 r], rk[2 r + 1] are round r's.
struct PhiloxKeys {
  uint32_t rk[2 * kPhiloxRounds];
  PhiloxKeys(uint32_t k0, uint32_t k1) {
    for (int r = 0; r < kPhiloxRounds; ++r) {
      rk[2 * r] = k0;
      rk[2 * r + 1] = k1;
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
  }
};

/// Per lane: hi, lo = the high and low 32 bits of a * m.
template <class DU, class V = hn::Vec<DU>>
HWY_INLINE void MulHiLo(DU du, V a, V m, V& hi, V& lo) {
#if HWY_TARGET == HWY_SCALAR
  // One lane: no wider vector to multiply into.
  const uint64_t p = static_cast<uint64_t>(hn::GetLane(a)) * hn::GetLane(m);
  hi = hn::Set(du, static_cast<uint32_t>(p >> 32));
  lo = hn::Set(du, static_cast<uint32_t>(p));
#else
  const hn::RepartitionToWide<DU> dw;
  const auto even = hn::MulEven(a, m);  // 64-bit products of the even lanes
  const auto odd = hn::MulEven(hn::BitCast(du, hn::ShiftRight<32>(hn::BitCast(dw, a))), m);
  hi = hn::OddEven(hn::BitCast(du, odd), hn::BitCast(du, hn::ShiftRight<32>(even)));
  lo = hn::OddEven(hn::BitCast(du, hn::ShiftLeft<32>(odd)), hn::BitCast(du, even));
#endif
}

/// Philox4x32-10 in place: (c0, c1, c2, c3) is each lane's counter on entry, its 4 output words on return.
template <class DU, class V = hn::Vec<DU>>
HWY_INLINE void Philox(DU du, const PhiloxKeys& keys, V& c0, V& c1, V& c2, V& c3) {
  const V m0 = hn::Set(du, kPhiloxM0), m1 = hn::Set(du, kPhiloxM1);
  for (int r = 0; r < kPhiloxRounds; ++r) {
    V hi0, lo0, hi1, lo1;
    MulHiLo(du, c0, m0, hi0, lo0);
    MulHiLo(du, c2, m1, hi1, lo1);
    c0 = hn::Xor(hn::Xor(hi1, c1), hn::Set(du, keys.rk[2 * r]));
    c1 = lo1;
    c2 = hn::Xor(hn::Xor(hi0, c3), hn::Set(du, keys.rk[2 * r + 1]));
    c3 = lo0;
  }
}

namespace detail {

// One Philox round on a chain whose counter words sit in the low halves of 64-bit lanes: each multiplication
// yields its whole 64-bit product in place, so hi is a shift and lo needs nothing (the garbage above bit 31 is
// ignored by the next multiplications and dropped at the end).
template <class DW, class VW = hn::Vec<DW>>
HWY_INLINE void WideRound(DW dw, VW m0, VW m1, VW k0, VW k1, VW& c0, VW& c1, VW& c2, VW& c3) {
  const hn::RepartitionToNarrow<DW> du;
  const VW p0 = hn::MulEven(hn::BitCast(du, c0), hn::BitCast(du, m0));
  const VW p1 = hn::MulEven(hn::BitCast(du, c2), hn::BitCast(du, m1));
  c0 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p1), c1), k0);
  c1 = p1;
  c2 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p0), c3), k1);
  c3 = p0;
  (void)dw;
}

#if HWY_TARGET != HWY_SCALAR
// The 32-bit lanes of v zero-extended to 64-bit lanes: the lower and the upper half of the lanes.
template <class DU, class V = hn::Vec<DU>, class VW = hn::Vec<hn::RepartitionToWide<DU>>>
HWY_INLINE void Widen(DU du, V v, VW& lower, VW& upper) {
  const hn::Half<DU> dh;
  const hn::RepartitionToWide<DU> dw;
  lower = hn::PromoteTo(dw, hn::LowerHalf(dh, v));
  upper = hn::PromoteTo(dw, hn::UpperHalf(dh, v));
  (void)du;
}

// The inverse of Widen, keeping the low 32 bits of every 64-bit lane.
template <class DU, class VW>
HWY_INLINE hn::Vec<DU> Narrow(DU du, VW lower, VW upper) {
  return hn::ConcatEven(du, hn::BitCast(du, upper), hn::BitCast(du, lower));
}
#endif

}  // namespace detail

/// Philox4x32-10 of the counters (block_a, kind, lo, hi) and (block_b, kind, lo, hi), lo and hi per lane: the
/// output words a0..a3 and b0..b3. Evaluated as four independent chains (two blocks, two halves of the lanes in
/// 64-bit lanes) whose rounds interleave: one chain alone is a sequence of dependent multiplications.
template <class DU, class V = hn::Vec<DU>>
HWY_INLINE void PhiloxPair(DU du, const PhiloxKeys& keys, uint32_t kind, uint32_t block_a, uint32_t block_b, V lo,
                           V hi, V& a0, V& a1, V& a2, V& a3, V& b0, V& b1, V& b2, V& b3) {
#if HWY_TARGET == HWY_SCALAR
  a0 = hn::Set(du, block_a), a1 = hn::Set(du, kind), a2 = lo, a3 = hi;
  b0 = hn::Set(du, block_b), b1 = a1, b2 = lo, b3 = hi;
  Philox(du, keys, a0, a1, a2, a3);
  Philox(du, keys, b0, b1, b2, b3);
#else
  const hn::RepartitionToWide<DU> dw;
  using VW = hn::Vec<decltype(dw)>;
  VW lo_l, lo_u, hi_l, hi_u;
  detail::Widen(du, lo, lo_l, lo_u);
  detail::Widen(du, hi, hi_l, hi_u);
  const VW ba = hn::Set(dw, block_a), bb = hn::Set(dw, block_b), k = hn::Set(dw, kind);
  VW al0 = ba, al1 = k, al2 = lo_l, al3 = hi_l, au0 = ba, au1 = k, au2 = lo_u, au3 = hi_u;
  VW bl0 = bb, bl1 = k, bl2 = lo_l, bl3 = hi_l, bu0 = bb, bu1 = k, bu2 = lo_u, bu3 = hi_u;
  const VW m0 = hn::Set(dw, kPhiloxM0), m1 = hn::Set(dw, kPhiloxM1);
  for (int r = 0; r < kPhiloxRounds; ++r) {
    const VW k0 = hn::Set(dw, keys.rk[2 * r]), k1 = hn::Set(dw, keys.rk[2 * r + 1]);
    detail::WideRound(dw, m0, m1, k0, k1, al0, al1, al2, al3);
    detail::WideRound(dw, m0, m1, k0, k1, au0, au1, au2, au3);
    detail::WideRound(dw, m0, m1, k0, k1, bl0, bl1, bl2, bl3);
    detail::WideRound(dw, m0, m1, k0, k1, bu0, bu1, bu2, bu3);
  }
  a0 = detail::Narrow(du, al0, au0), a1 = detail::Narrow(du, al1, au1);
  a2 = detail::Narrow(du, al2, au2), a3 = detail::Narrow(du, al3, au3);
  b0 = detail::Narrow(du, bl0, bu0), b1 = detail::Narrow(du, bl1, bu1);
  b2 = detail::Narrow(du, bl2, bu2), b3 = detail::Narrow(du, bl3, bu3);
#endif
}

/// Philox4x32-10 of the counters (block, kind, lo, hi): PhiloxPair for one block (two chains, the lane halves).
template <class DU, class V = hn::Vec<DU>>
HWY_INLINE void PhiloxOne(DU du, const PhiloxKeys& keys, uint32_t kind, uint32_t block, V lo, V hi, V& c0, V& c1,
                          V& c2, V& c3) {
#if HWY_TARGET == HWY_SCALAR
  c0 = hn::Set(du, block), c1 = hn::Set(du, kind), c2 = lo, c3 = hi;
  Philox(du, keys, c0, c1, c2, c3);
#else
  const hn::RepartitionToWide<DU> dw;
  using VW = hn::Vec<decltype(dw)>;
  VW l0 = hn::Set(dw, block), l1 = hn::Set(dw, kind), l2, l3;
  VW u0 = l0, u1 = l1, u2, u3;
  detail::Widen(du, lo, l2, u2);
  detail::Widen(du, hi, l3, u3);
  const VW m0 = hn::Set(dw, kPhiloxM0), m1 = hn::Set(dw, kPhiloxM1);
  for (int r = 0; r < kPhiloxRounds; ++r) {
    const VW k0 = hn::Set(dw, keys.rk[2 * r]), k1 = hn::Set(dw, keys.rk[2 * r + 1]);
    detail::WideRound(dw, m0, m1, k0, k1, l0, l1, l2, l3);
    detail::WideRound(dw, m0, m1, k0, k1, u0, u1, u2, u3);
  }
  c0 = detail::Narrow(du, l0, u0), c1 = detail::Narrow(du, l1, u1);
  c2 = detail::Narrow(du, l2, u2), c3 = detail::Narrow(du, l3, u3);
#endif
}

/// ln x for normal x in (0, 1], Cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt 2), a degree-9 polynomial
/// in m - 1 and ln 2 split in two parts. Within 2 ulp of ln x.
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V LogUnit(DF df, V x) {
  const hn::RebindToSigned<DF> di;
  // x = m 2^e with m in [sqrt(1/2), sqrt 2) read off the bits: subtracting the bits of sqrt(1/2) (0x3F3504F3)
  // carries into the exponent exactly when the mantissa is at least sqrt(1/2)'s. The same e and m as Cephes'
  // frexp and compare (m < sqrt(1/2): 2m, e - 1), without the compare; f = m - 1 is exact (Sterbenz).
  const auto bits = hn::BitCast(di, x);
  const auto e = hn::ShiftRight<23>(hn::Sub(bits, hn::Set(di, 0x3F3504F3)));  // arithmetic shift
  const V m = hn::BitCast(df, hn::Sub(bits, hn::ShiftLeft<23>(e)));
  const V f = hn::Sub(m, hn::Set(df, 1.0f));
  const V ef = hn::ConvertTo(df, e);
  const V z = hn::Mul(f, f);
  V p = hn::Set(df, 7.0376836292e-2f);
  p = hn::Add(hn::Mul(p, f), hn::Set(df, -1.1514610310e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, 1.1676998740e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, -1.2420140846e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, 1.4249322787e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, -1.6668057665e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, 2.0000714765e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, -2.4999993993e-1f));
  p = hn::Add(hn::Mul(p, f), hn::Set(df, 3.3333331174e-1f));
  V y = hn::Mul(hn::Mul(p, f), z);
  y = hn::Add(y, hn::Mul(ef, hn::Set(df, -2.12194440e-4f)));
  y = hn::Sub(y, hn::Mul(z, hn::Set(df, 0.5f)));
  const V r = hn::Add(f, y);
  return hn::Add(r, hn::Mul(ef, hn::Set(df, 0.693359375f)));
}

/// sin and cos of a in [0, pi/4], Cephes' sinf/cosf polynomials (within 2 ulp there).
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE void SinCosOctant(DF df, V a, V& s, V& c) {
  const V z = hn::Mul(a, a);
  V ps = hn::Set(df, -1.9515295891e-4f);
  ps = hn::Add(hn::Mul(ps, z), hn::Set(df, 8.3321608736e-3f));
  ps = hn::Add(hn::Mul(ps, z), hn::Set(df, -1.6666654611e-1f));
  s = hn::Add(hn::Mul(hn::Mul(ps, z), a), a);
  V pc = hn::Set(df, 2.443315711809948e-5f);
  pc = hn::Add(hn::Mul(pc, z), hn::Set(df, -1.388731625493765e-3f));
  pc = hn::Add(hn::Mul(pc, z), hn::Set(df, 4.166664568298827e-2f));
  c = hn::Add(hn::Sub(hn::Mul(hn::Mul(pc, z), z), hn::Mul(z, hn::Set(df, 0.5f))), hn::Set(df, 1.0f));
}

/// One CN(0, 1) draw per lane from the words a (radius) and b (angle): see the header comment.
template <class DF, class VU, class V = hn::Vec<DF>>
HWY_INLINE void ComplexNormal(DF df, VU a, VU b, V& re, V& im) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const V top = hn::ConvertTo(df, hn::BitCast(di, hn::ShiftRight<1>(a)));  // exact rounding of a / 2
  const V u = hn::Mul(hn::Add(top, hn::Set(df, 0.5f)), hn::Set(df, 0x1p-31f));
  const V radius = hn::Sqrt(hn::Sub(hn::Zero(df), LogUnit(df, u)));

  const V t = hn::ConvertTo(df, hn::BitCast(di, hn::And(b, hn::Set(du, 0x1FFFFFFFu))));
  const V phi = hn::Mul(hn::Add(t, hn::Set(df, 0.5f)), hn::Set(df, 0.785398163397448309616f * 0x1p-29f));
  V s, c;
  SinCosOctant(df, phi, s, c);
  // Octant o = b >> 29 = 4 q2 + 2 q1 + reflect: the angle is q pi/2 + (reflect ? pi/2 - phi : phi), q = 2 q2 + q1.
  const VU o = hn::ShiftRight<29>(b);
  const auto swap = hn::RebindMask(df, hn::TestBit(hn::Xor(o, hn::ShiftRight<1>(o)), hn::Set(du, 1u)));
  const V cs = hn::IfThenElse(swap, s, c), sn = hn::IfThenElse(swap, c, s);
  const VU sign = hn::Set(du, 0x80000000u);
  const VU cos_neg = hn::And(hn::ShiftLeft<30>(hn::Xor(o, hn::ShiftRight<1>(o))), sign);  // q = 1 or 2
  const VU sin_neg = hn::And(hn::ShiftLeft<29>(o), sign);                                 // q = 2 or 3
  re = hn::Mul(radius, hn::BitCast(df, hn::Xor(hn::BitCast(du, cs), cos_neg)));
  im = hn::Mul(radius, hn::BitCast(df, hn::Xor(hn::BitCast(du, sn), sin_neg)));
}

}  // namespace mimo::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // MIMO_SIMD_RANDOM_INL_H_
