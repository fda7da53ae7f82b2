// Ordered MMSE-SIC (sic.hpp) in float32 across channel uses. Each lane decides its own stream at each step, so
// the per-lane choices become masks: the chosen stream's column of P = (G + N0 I)^{-1} and of G + N0 I are
// selected lane by lane, the Schur downdate runs over the whole matrix, and a decided stream's row and column
// of P are zeroed, which removes it from every later sum. Same order of decisions and tie-breaking (lowest
// index first) as the float64 path.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "detectors/sic_simd.cpp"
#include <hwy/foreach_target.h>  // must precede highway.h
#include <hwy/highway.h>

#include "detectors/sic_simd.hpp"
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

// Full Hermitian matrices of one block beside the Block: A = G + N0 I and P = A^{-1}, (j, k) at j + k * nt.
struct SicMatrices {
  hwy::AlignedFreeUniquePtr<float[]> mem;
  float *Ar, *Ai, *Pr, *Pi, *Wr, *Wi;  // nt x nt
  float *active, *pr, *pi, *ar, *ai;   // nt: the active streams, the chosen columns of P and A
  SicMatrices(size_t N, size_t nt) : mem(hwy::AllocateAligned<float>((6 * nt * nt + 5 * nt) * N)) {
    float** matrices[] = {&Ar, &Ai, &Pr, &Pi, &Wr, &Wi};
    float** vectors[] = {&active, &pr, &pi, &ar, &ai};
    float* p = mem.get();
    for (float** m : matrices) *m = p, p += nt * nt * N;
    for (float** v : vectors) *v = p, p += nt * N;
  }
};

// A from the lower triangle the Gram kernel wrote (before the Cholesky overwrites it).
void full_matrix(const Block& k, SicMatrices& s) {
  const D d;
  const size_t nt = k.nt;
  for (size_t j = 0; j < nt; ++j)
    for (size_t i = j; i < nt; ++i) {
      const V re = hn::Load(d, k.Lr + (i + j * nt) * k.N), im = hn::Load(d, k.Li + (i + j * nt) * k.N);
      hn::Store(re, d, s.Ar + (i + j * nt) * k.N);
      hn::Store(im, d, s.Ai + (i + j * nt) * k.N);
      hn::Store(re, d, s.Ar + (j + i * nt) * k.N);
      hn::Store(hn::Neg(im), d, s.Ai + (j + i * nt) * k.N);
    }
}

// P = L^{-H} L^{-1} from the Cholesky factor: W = L^{-1} column by column, then P_jk = sum_i conj(W_ij) W_ik.
void inverse(const Block& k, SicMatrices& s) {
  const D d;
  const size_t nt = k.nt, N = k.N;
  auto W = [&](float* base, size_t i, size_t t) { return base + (i + t * nt) * N; };
  for (size_t t = 0; t < nt; ++t) {
    for (size_t j = t; j < nt; ++j) {
      const V inv = hn::Load(d, k.Lr + (j + j * nt) * N);
      V wr = inv, wi = hn::Zero(d);
      if (j != t) {
        wr = hn::Mul(hn::Load(d, W(s.Wr, j, t)), inv);
        wi = hn::Mul(hn::Load(d, W(s.Wi, j, t)), inv);
      }
      hn::Store(wr, d, W(s.Wr, j, t));
      hn::Store(wi, d, W(s.Wi, j, t));
      for (size_t i = j + 1; i < nt; ++i) {  // W(i, t) -= L(i, j) w
        const V cr = hn::Load(d, k.Lr + (i + j * nt) * N), ci = hn::Load(d, k.Li + (i + j * nt) * N);
        const V pr = j == t ? hn::Zero(d) : hn::Load(d, W(s.Wr, i, t));
        const V pi = j == t ? hn::Zero(d) : hn::Load(d, W(s.Wi, i, t));
        hn::Store(hn::NegMulAdd(cr, wr, hn::MulAdd(ci, wi, pr)), d, W(s.Wr, i, t));
        hn::Store(hn::NegMulAdd(cr, wi, hn::NegMulAdd(ci, wr, pi)), d, W(s.Wi, i, t));
      }
    }
  }
  for (size_t kk = 0; kk < nt; ++kk)
    for (size_t j = 0; j <= kk; ++j) {
      V re = hn::Zero(d), im = hn::Zero(d);
      for (size_t i = kk; i < nt; ++i) {  // W is lower triangular: i >= max(j, kk) = kk
        const V ar = hn::Load(d, W(s.Wr, i, j)), ai = hn::Load(d, W(s.Wi, i, j));
        const V br = hn::Load(d, W(s.Wr, i, kk)), bi = hn::Load(d, W(s.Wi, i, kk));
        re = hn::MulAdd(ar, br, hn::MulAdd(ai, bi, re));
        im = hn::MulAdd(ar, bi, hn::NegMulAdd(ai, br, im));
      }
      hn::Store(re, d, s.Pr + (j + kk * nt) * N);
      hn::Store(im, d, s.Pi + (j + kk * nt) * N);
      hn::Store(re, d, s.Pr + (kk + j * nt) * N);
      hn::Store(hn::Neg(im), d, s.Pi + (kk + j * nt) * N);
    }
}

// The successive decisions of one block; z holds H^H y.
void cancel_successively(Block& k, SicMatrices& s, Demapper& demap, size_t first, size_t lanes, Detection& out) {
  const D d;
  const size_t nt = k.nt, N = k.N;
  auto at = [&](float* base, size_t j, size_t t) { return base + (j + t * nt) * N; };
  for (size_t t = 0; t < nt; ++t) hn::Store(hn::Set(d, 1.0f), d, s.active + t * N);
  const V n0 = hn::Load(d, k.n0), one = hn::Set(d, 1.0f), zero = hn::Zero(d), inf = hn::Set(d, INFINITY);
  std::vector<size_t> slot(N);
  alignas(64) float chosen[64];
  for (size_t step = 0; step < nt; ++step) {
    // Per lane, the remaining stream with the least [P]_tt (the highest SINR); the first on ties.
    V best = inf, sel = zero;
    for (size_t t = 0; t < nt; ++t) {
      const V ptt = hn::IfThenElse(hn::Gt(hn::Load(d, s.active + t * N), zero), hn::Load(d, at(s.Pr, t, t)), inf);
      const auto better = hn::Lt(ptt, best);
      best = hn::IfThenElse(better, ptt, best);
      sel = hn::IfThenElse(better, hn::Set(d, static_cast<float>(t)), sel);
    }
    // Column `sel` of P and of A, lane by lane (in memory: sizeless SVE vectors cannot sit in arrays).
    for (size_t j = 0; j < nt; ++j) {
      V pr = zero, pi = zero, ar = zero, ai = zero;
      for (size_t t = 0; t < nt; ++t) {
        const auto is_t = hn::Eq(sel, hn::Set(d, static_cast<float>(t)));
        pr = hn::IfThenElse(is_t, hn::Load(d, at(s.Pr, j, t)), pr);
        pi = hn::IfThenElse(is_t, hn::Load(d, at(s.Pi, j, t)), pi);
        ar = hn::IfThenElse(is_t, hn::Load(d, at(s.Ar, j, t)), ar);
        ai = hn::IfThenElse(is_t, hn::Load(d, at(s.Ai, j, t)), ai);
      }
      hn::Store(pr, d, s.pr + j * N);
      hn::Store(pi, d, s.pi + j * N);
      hn::Store(ar, d, s.ar + j * N);
      hn::Store(ai, d, s.ai + j * N);
    }
    auto pr = [&](size_t j) { return hn::Load(d, s.pr + j * N); };
    auto pi = [&](size_t j) { return hn::Load(d, s.pi + j * N); };
    // Estimate sum_v P(sel, v) z_v = sum_v conj(P(v, sel)) z_v: decided streams' entries of P are zero.
    V er = zero, ei = zero;
    for (size_t v = 0; v < nt; ++v) {
      const V zr = hn::Load(d, k.zr + v * N), zi = hn::Load(d, k.zi + v * N);
      er = hn::MulAdd(pr(v), zr, hn::MulAdd(pi(v), zi, er));
      ei = hn::MulAdd(pr(v), zi, hn::NegMulAdd(pi(v), zr, ei));
    }
    // Unbiased as for mmse (linear_simd.cpp's unbias): 1 - mu = N0 P_tt.
    const V one_minus_mu = hn::Min(hn::Mul(n0, best), one);
    const V inv_mu = hn::Div(one, hn::Max(hn::Sub(one, one_minus_mu), hn::Set(d, 1e-12f)));
    hn::Store(sel, d, chosen);
    for (size_t l = 0; l < lanes; ++l) slot[l] = (first + l) * nt + static_cast<size_t>(chosen[l]);
    const auto [xr, xi] =
        demap.decide(hn::Mul(er, inv_mu), hn::Mul(ei, inv_mu), hn::Mul(one_minus_mu, inv_mu), slot.data(), lanes, out);
    // Cancel the decided symbol from the matched filter: z_j -= A(j, sel) x.
    for (size_t j = 0; j < nt; ++j) {
      float* zr = k.zr + j * N;
      float* zi = k.zi + j * N;
      const V ar = hn::Load(d, s.ar + j * N), ai = hn::Load(d, s.ai + j * N);
      hn::Store(hn::NegMulAdd(ar, xr, hn::MulAdd(ai, xi, hn::Load(d, zr))), d, zr);
      hn::Store(hn::NegMulAdd(ar, xi, hn::NegMulAdd(ai, xr, hn::Load(d, zi))), d, zi);
    }
    // Schur downdate P -= p p^H / P_tt with p = P(:, sel), then the decided stream leaves P and the active set.
    const V inv_ptt = hn::Div(one, best);
    for (size_t kk = 0; kk < nt; ++kk) {
      const V qr = hn::Mul(pr(kk), inv_ptt), qi = hn::Neg(hn::Mul(pi(kk), inv_ptt));  // conj(p_k) / P_tt
      const auto leaving_k = hn::Eq(sel, hn::Set(d, static_cast<float>(kk)));
      for (size_t j = 0; j < nt; ++j) {
        const auto leaving = hn::Or(leaving_k, hn::Eq(sel, hn::Set(d, static_cast<float>(j))));
        float* r = at(s.Pr, j, kk);
        float* i = at(s.Pi, j, kk);
        const V pjr = pr(j), pji = pi(j);
        const V nr = hn::NegMulAdd(pjr, qr, hn::MulAdd(pji, qi, hn::Load(d, r)));
        const V ni = hn::NegMulAdd(pjr, qi, hn::NegMulAdd(pji, qr, hn::Load(d, i)));
        hn::Store(hn::IfThenElse(leaving, zero, nr), d, r);
        hn::Store(hn::IfThenElse(leaving, zero, ni), d, i);
      }
      float* a = s.active + kk * N;
      hn::Store(hn::IfThenElse(leaving_k, zero, hn::Load(d, a)), d, a);
    }
  }
}

}  // namespace

void SicDetectSimd(const Constellation& c, const SampleBatch& b, size_t begin, size_t end, Detection& out,
                   std::vector<size_t>& redo) {
  const D d;
  const size_t N = hn::Lanes(d);
  Block k(N, b.nr, b.nt);
  SicMatrices s(N, b.nt);
  Demapper demap(c, N);
  for (size_t first = begin; first < end; first += N) {
    load_block(b, first, end, k);
    gram_and_matched_filter(k, /*mmse_load=*/true);
    full_matrix(k, s);
    cholesky(k);
    inverse(k, s);
    fold_condition(k, s.Pr, (b.nt + 1) * N);
    const size_t lanes = std::min(N, end - first);
    cancel_successively(k, s, demap, first, lanes, out);
    append_unresolved(k, {k.zr, k.zi}, first, lanes, redo);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace mimo
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mimo {

HWY_EXPORT(SicDetectSimd);

void sic_detect_simd(const Constellation& c, const SampleBatch& b, size_t begin, size_t end, Detection& out,
                     std::vector<size_t>& redo) {
  HWY_DYNAMIC_DISPATCH(SicDetectSimd)(c, b, begin, end, out, redo);
}

}  // namespace mimo
#endif
