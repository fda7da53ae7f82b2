// The LDPC decoder's SIMD kernel (ldpc_decoder_kernel.hpp). Compiled once per Highway target; the HWY_ONCE part at
// the end dispatches to the best one the CPU supports. Every operation acts on one vector of code blocks, so the
// lanes never mix and any lane count gives the same bits.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "coding/ldpc_decoder_kernel.cpp"
#include <hwy/foreach_target.h>  // must precede highway.h
#include <hwy/highway.h>

#include <limits>

#include "coding/ldpc_decoder_kernel.hpp"

HWY_BEFORE_NAMESPACE();
namespace mimo {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace {

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// One row block: its Zc checks in turn. Check i of the block reads bit (i + shift) mod Zc of each of its columns;
// each edge keeps that index and steps it with a wrap instead of a division. Pass 2 computes q = L - R again
// rather than keeping it from pass 1: two loads and a subtraction instead of a store and a load (cores have
// fewer store than load ports); measured no slower, and no scratch buffer. In a block's first iteration every
// message is 0, so kFirst reads none: the messages need no clearing between groups (5 MB at K = 8448).
template <bool kFirst>
void update_row(int z, int degree, const std::int32_t* col, const std::int32_t* shift, float* posterior,
                float* messages, V scale) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  float* column[kLdpcKernelMaxDegree];
  int index[kLdpcKernelMaxDegree];
  for (int e = 0; e < degree; ++e) {
    column[e] = posterior + static_cast<size_t>(col[e]) * z * lanes;
    index[e] = shift[e];
  }
  // The message this check sent bit e last iteration (L - 0 is L exactly, even for -0).
  auto previous = [&](const float* r, int e) { return kFirst ? hn::Zero(d) : hn::Load(d, r + e * lanes); };
  const V largest = hn::Set(d, std::numeric_limits<float>::max());
  for (int i = 0; i < z; ++i) {
    float* r = messages + static_cast<size_t>(i) * degree * lanes;
    // Pass 1: q = L - R for each bit; the two smallest |q| and the product of the signs.
    V min1 = largest, min2 = largest, signs = hn::Zero(d);
    for (int e = 0; e < degree; ++e) {
      const V q = hn::Sub(hn::Load(d, column[e] + static_cast<size_t>(index[e]) * lanes), previous(r, e));
      const V a = hn::Abs(q);
      signs = hn::Xor(signs, q);  // only the sign bit means anything
      min2 = hn::Min(min2, hn::Max(a, min1));
      min1 = hn::Min(min1, a);
    }
    const V m1 = hn::Mul(min1, scale), m2 = hn::Mul(min2, scale);
    // Pass 2: each bit gets the scaled smallest |q| of the others, with the product of the others' signs. The bit
    // that holds the smallest gets the second smallest; found by comparing |q| with it rather than by tracking
    // where it was, which costs two operations per bit. Where several bits tie for the smallest, the second
    // smallest equals it, so all of them get the same value either way.
    for (int e = 0; e < degree; ++e) {
      float* l = column[e] + static_cast<size_t>(index[e]) * lanes;
      const V q = hn::Sub(hn::Load(d, l), previous(r, e));
      const V magnitude = hn::IfThenElse(hn::Eq(hn::Abs(q), min1), m2, m1);
      const V message = hn::CopySignToAbs(magnitude, hn::Xor(signs, q));
      hn::Store(message, d, r + e * lanes);
      hn::Store(hn::Add(q, message), d, l);
      if (++index[e] == z) index[e] = 0;
    }
  }
}

}  // namespace

size_t KernelLanes() { return hn::Lanes(D()); }

void KernelIterate(const LdpcKernelGraph& g, float* posterior, float* messages, float scale, bool first) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  const V s = hn::Set(d, scale);
  for (int r = 0; r < g.rows; ++r) {
    const int begin = g.row_start[r], degree = g.row_start[r + 1] - begin;
    float* row_messages = messages + static_cast<size_t>(begin) * g.z * lanes;
    if (first)
      update_row<true>(g.z, degree, g.col + begin, g.shift + begin, posterior, row_messages, s);
    else
      update_row<false>(g.z, degree, g.col + begin, g.shift + begin, posterior, row_messages, s);
  }
}

void KernelUnsatisfied(const LdpcKernelGraph& g, const float* posterior, std::uint32_t* unsatisfied) {
  const D d;
  const hn::RebindToUnsigned<D> du;
  const size_t lanes = hn::Lanes(d);
  const V zero = hn::Zero(d);
  // Lanes the caller no longer needs count as failed from the start, so that the search can stop as soon as
  // every lane it does need has failed somewhere: in the early iterations, within the first row or two.
  auto failed = hn::RebindMask(d, hn::Ne(hn::Load(du, unsatisfied), hn::Zero(du)));
  const float* column[kLdpcKernelMaxDegree];
  int index[kLdpcKernelMaxDegree];
  for (int r = 0; r < g.rows && !hn::AllTrue(d, failed); ++r) {
    const int begin = g.row_start[r], degree = g.row_start[r + 1] - begin;
    for (int e = 0; e < degree; ++e) {
      column[e] = posterior + static_cast<size_t>(g.col[begin + e]) * g.z * lanes;
      index[e] = g.shift[begin + e];
    }
    for (int i = 0; i < g.z; ++i) {
      auto odd = hn::Lt(hn::Load(d, column[0] + static_cast<size_t>(index[0]) * lanes), zero);
      if (++index[0] == g.z) index[0] = 0;
      for (int e = 1; e < degree; ++e) {
        odd = hn::Xor(odd, hn::Lt(hn::Load(d, column[e] + static_cast<size_t>(index[e]) * lanes), zero));
        if (++index[e] == g.z) index[e] = 0;
      }
      failed = hn::Or(failed, odd);
    }
  }
  hn::Store(hn::BitCast(du, hn::VecFromMask(d, failed)), du, unsatisfied);
}

}  // namespace HWY_NAMESPACE
}  // namespace mimo
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mimo {

HWY_EXPORT(KernelLanes);
HWY_EXPORT(KernelIterate);
HWY_EXPORT(KernelUnsatisfied);

size_t ldpc_kernel_lanes() { return HWY_DYNAMIC_DISPATCH(KernelLanes)(); }

void ldpc_kernel_iterate(const LdpcKernelGraph& graph, float* posterior, float* messages, float scale, bool first) {
  HWY_DYNAMIC_DISPATCH(KernelIterate)(graph, posterior, messages, scale, first);
}

void ldpc_kernel_unsatisfied(const LdpcKernelGraph& graph, const float* posterior, std::uint32_t* unsatisfied) {
  HWY_DYNAMIC_DISPATCH(KernelUnsatisfied)(graph, posterior, unsatisfied);
}

}  // namespace mimo
#endif
