// The float32 linear detectors across channel uses (linear_simd.hpp). Compiled once per Highway target; the
// HWY_ONCE part at the end dispatches to the best one the CPU supports.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "detectors/linear_simd.cpp"
#include <hwy/foreach_target.h>  // must precede highway.h
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>

#include "detectors/linear_simd.hpp"
#include "detectors/simd_demap-inl.h"
#include "detectors/simd_linalg-inl.h"

HWY_BEFORE_NAMESPACE();
namespace mimo {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace {

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
using namespace simd_linalg;

// Matched filter per stream: estimate z_t / e_t with e_t = ||h_t||^2, interference of the other streams as
// noise, (sum_u!=t |G_tu|^2 / e_t + N0) / e_t. Writes the estimates to z and the variances to dinv.
void matched_filter_estimates(Block& k) {
  const D d;
  const size_t nt = k.nt;
  const V n0 = hn::Load(d, k.n0), tiny = hn::Set(d, 1e-30f);
  for (size_t t = 0; t < nt; ++t) {
    const V e = hn::Max(hn::Load(d, k.at(k.Lr, t + t * nt)), tiny);
    V interference = hn::Zero(d);
    for (size_t u = 0; u < nt; ++u) {
      if (u == t) continue;
      const size_t e_tu = u > t ? u + t * nt : t + u * nt;  // the lower triangle holds |G_tu| either way
      const V gr = hn::Load(d, k.at(k.Lr, e_tu)), gi = hn::Load(d, k.at(k.Li, e_tu));
      interference = hn::MulAdd(gr, gr, hn::MulAdd(gi, gi, interference));
    }
    const V inv_e = hn::Div(hn::Set(d, 1.0f), e);
    hn::Store(hn::Mul(hn::Load(d, k.at(k.zr, t)), inv_e), d, k.at(k.zr, t));
    hn::Store(hn::Mul(hn::Load(d, k.at(k.zi, t)), inv_e), d, k.at(k.zi, t));
    hn::Store(hn::Mul(hn::MulAdd(interference, inv_e, n0), inv_e), d, k.at(k.dinv, t));
  }
}

// From z = (G + load I)^{-1} H^H y and dinv: unbiased estimates in z, their noise variances in dinv.
void unbias(Block& k, LinearKind kind) {
  const D d;
  const V n0 = hn::Load(d, k.n0), one = hn::Set(d, 1.0f);
  for (size_t t = 0; t < k.nt; ++t) {
    const V err = hn::Mul(n0, hn::Load(d, k.at(k.dinv, t)));  // ZF: the noise variance; MMSE: 1 - mu
    if (kind == LinearKind::zf) {
      hn::Store(err, d, k.at(k.dinv, t));
      continue;
    }
    // LMMSE bias mu = 1 - N0 [(G + N0 I)^{-1}]_tt in [1e-12, 1]; the unbiased z / mu has noise (1 - mu) / mu.
    // 1 - mu is taken as N0 dinv directly, which float32 would lose to cancellation at high SNR.
    const V one_minus_mu = hn::Min(err, one);
    const V mu = hn::Max(hn::Sub(one, one_minus_mu), hn::Set(d, 1e-12f));
    const V inv_mu = hn::Div(one, mu);
    hn::Store(hn::Mul(hn::Load(d, k.at(k.zr, t)), inv_mu), d, k.at(k.zr, t));
    hn::Store(hn::Mul(hn::Load(d, k.at(k.zi, t)), inv_mu), d, k.at(k.zi, t));
    hn::Store(hn::Mul(one_minus_mu, inv_mu), d, k.at(k.dinv, t));
  }
}

}  // namespace

void LinearDetectSimd(LinearKind kind, const Constellation& c, const SampleBatch& b, size_t begin, size_t end,
                      Detection& out, std::vector<size_t>& redo) {
  const D d;
  const size_t N = hn::Lanes(d);
  Block k(N, b.nr, b.nt);
  Demapper demap(c, N);
  for (size_t first = begin; first < end; first += N) {
    load_block(b, first, end, k);
    gram_and_matched_filter(k, kind == LinearKind::mmse);
    if (kind == LinearKind::mf) {
      matched_filter_estimates(k);
      hn::Store(hn::Set(d, 1.0f), d, k.worst);
    } else {
      cholesky(k);
      cholesky_solve(k);
      inverse_diagonal(k);
      fold_condition(k, k.dinv, N);
      unbias(k, kind);
    }
    const size_t lanes = std::min(N, end - first);
    demap.decide_block(k.zr, k.zi, k.dinv, k.nt, first, lanes, out);
    append_unresolved(k, {k.zr, k.zi, k.dinv}, first, lanes, redo);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace mimo
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mimo {

HWY_EXPORT(LinearDetectSimd);

void linear_detect_simd(LinearKind kind, const Constellation& c, const SampleBatch& b, size_t begin, size_t end,
                        Detection& out, std::vector<size_t>& redo) {
  HWY_DYNAMIC_DISPATCH(LinearDetectSimd)(kind, c, b, begin, end, out, redo);
}

}  // namespace mimo
#endif
