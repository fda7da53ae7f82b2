// Hard decisions and max-log LLRs for a block of per-stream estimates held as structure-of-arrays (lane l of
// element t at [t * N + l]), in float32: the vector form of Constellation::hard_index and llr_maxlog, per PAM
// dimension (channel/modulation.hpp). Included by each SIMD detector kernel inside its Highway target.

// Per-target include guard (Highway's -inl.h convention): this file is compiled once for every target.
#if defined(MIMO_DETECTORS_SIMD_DEMAP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef MIMO_DETECTORS_SIMD_DEMAP_INL_H_
#undef MIMO_DETECTORS_SIMD_DEMAP_INL_H_
#else
#define MIMO_DETECTORS_SIMD_DEMAP_INL_H_
#endif

#include <hwy/aligned_allocator.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "channel/modulation.hpp"
#include "detectors/detector.hpp"

HWY_BEFORE_NAMESPACE();
namespace mimo {
namespace HWY_NAMESPACE {

class Demapper {
public:
  Demapper(const Constellation& c, size_t lanes)
      : N_(lanes),
        m_(static_cast<size_t>(c.bits_per_symbol())),
        bpd_(static_cast<size_t>(c.bits_per_dimension())),
        real_(c.is_real()),
        tmp_(hwy::AllocateAligned<float>(lanes)),
        pos_(hwy::AllocateAligned<int32_t>(2 * lanes)),
        slot_(lanes) {
    for (double a : c.pam_levels()) levels_.push_back(static_cast<float>(a));
    const size_t L = levels_.size();
    // Levels sorted by amplitude are uniformly spaced: the nearest is round((v - lo) / step), as pam_index.
    std::vector<int> sorted(L);
    for (size_t k = 0; k < L; ++k) sorted[k] = static_cast<int>(k);
    std::sort(sorted.begin(), sorted.end(), [&](int a, int b) { return levels_[a] < levels_[b]; });
    lo_ = levels_[sorted.front()];
    step_ = L > 1 ? (levels_[sorted.back()] - lo_) / static_cast<float>(L - 1) : 1.0f;
    const size_t L_im = real_ ? 1 : L;
    symbol_.resize(L * L_im);
    for (size_t a = 0; a < L; ++a)
      for (size_t b = 0; b < L_im; ++b) symbol_[a * L_im + b] = c.compose(sorted[a], real_ ? 0 : sorted[b]);
  }

  /// Decides lanes [0, lanes) of streams 0..nt-1 of channel uses first, first+1, ...: estimates (re, im) with
  /// complex noise variance var. Writes out.symbols, and out.llr when it is not empty.
  void decide_block(const float* re, const float* im, const float* var, size_t nt, size_t first, size_t lanes,
                    Detection& out) {
    namespace hn = hwy::HWY_NAMESPACE;
    const hn::ScalableTag<float> d;
    for (size_t t = 0; t < nt; ++t) {
      for (size_t l = 0; l < lanes; ++l) slot_[l] = (first + l) * nt + t;
      decide(hn::Load(d, re + t * N_), hn::Load(d, im + t * N_), hn::Load(d, var + t * N_), slot_.data(), lanes, out);
    }
  }

  /// Decides one estimate (vr, vi) with complex noise variance var per lane into out's (channel use, stream) slot
  /// slot[l] = use * nt + stream, for lanes [0, lanes). Returns the decided points' real and imaginary parts.
  template <class Vec>
  std::pair<Vec, Vec> decide(Vec vr, Vec vi, Vec var, const size_t* slot, size_t lanes, Detection& out) {
    namespace hn = hwy::HWY_NAMESPACE;
    const hn::ScalableTag<float> d;
    const hn::RebindToSigned<decltype(d)> di;
    const size_t L_im = real_ ? 1 : levels_.size();
    const auto inv_step = hn::Set(d, 1.0f / step_), lo = hn::Set(d, lo_), step = hn::Set(d, step_);
    const auto top = hn::Set(d, static_cast<float>(levels_.size() - 1)), zero = hn::Zero(d);
    // Hard decision per dimension: the nearest of the uniformly spaced sorted levels (NaN lands on position 0:
    // x86's max returns its second operand).
    auto nearest = [&](Vec v) { return hn::Min(hn::Max(hn::Round(hn::Mul(hn::Sub(v, lo), inv_step)), zero), top); };
    const auto pos_re = nearest(vr), pos_im = real_ ? zero : nearest(vi);
    hn::Store(hn::ConvertTo(di, pos_re), di, pos_.get());
    hn::Store(hn::ConvertTo(di, pos_im), di, pos_.get() + N_);
    for (size_t l = 0; l < lanes; ++l)
      out.symbols[slot[l]] = symbol_[static_cast<size_t>(pos_[l]) * L_im + static_cast<size_t>(pos_[N_ + l])];
    if (!out.llr.empty()) {
      // Complex noise N0 puts N0 / 2 on each real dimension: ln p = -(v - a)^2 / N0, so the scale is 1 / N0.
      const auto scale = hn::Div(hn::Set(d, 1.0f), hn::Max(var, hn::Set(d, 1e-30f)));
      pam_llrs(vr, scale, 0, real_ ? 1 : 2, slot, lanes, out);
      if (!real_) pam_llrs(vi, scale, 1, 2, slot, lanes, out);
    }
    return {hn::MulAdd(pos_re, step, lo), real_ ? zero : hn::MulAdd(pos_im, step, lo)};
  }

private:
  // LLRs of one dimension's bits: (min_{b=1} (v-a)^2 - min_{b=0} (v-a)^2) scale, clipped; bit j of the
  // dimension is symbol bit offset + j * stride.
  template <class Vec>
  void pam_llrs(Vec v, Vec scale, size_t offset, size_t stride, const size_t* slot, size_t lanes, Detection& out) {
    namespace hn = hwy::HWY_NAMESPACE;
    const hn::ScalableTag<float> d;
    const auto inf = hn::Set(d, INFINITY), clip = hn::Set(d, static_cast<float>(kLlrClip));
    const size_t L = levels_.size();
    for (size_t j = 0; j < bpd_; ++j) {
      auto d0 = inf, d1 = inf;
      for (size_t k = 0; k < L; ++k) {
        const auto e = hn::Sub(v, hn::Set(d, levels_[k]));
        const auto dist = hn::Mul(e, e);
        if ((k >> (bpd_ - 1 - j)) & 1)
          d1 = hn::Min(d1, dist);
        else
          d0 = hn::Min(d0, dist);
      }
      // An estimate beyond ~1e19 squares to infinity on both sides: NaN, taken as 0 as pam_llr does.
      const auto diff = hn::Sub(d1, d0);
      const auto llr = hn::Min(hn::Max(hn::IfThenZeroElse(hn::IsNaN(diff), hn::Mul(diff, scale)), hn::Neg(clip)), clip);
      hn::Store(llr, d, tmp_.get());
      float* dst = out.llr.data() + offset + j * stride;
      for (size_t l = 0; l < lanes; ++l) dst[slot[l] * m_] = tmp_[l];
    }
  }

  size_t N_, m_, bpd_;
  bool real_;
  std::vector<float> levels_;  // by PAM label
  float lo_ = 0, step_ = 1;
  std::vector<int32_t> symbol_;  // symbol index by (sorted position re, sorted position im)
  hwy::AlignedFreeUniquePtr<float[]> tmp_;
  hwy::AlignedFreeUniquePtr<int32_t[]> pos_;
  std::vector<size_t> slot_;
};

}  // namespace HWY_NAMESPACE
}  // namespace mimo
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
