// The per-block linear algebra of the SIMD detectors (linear_simd.hpp, sic_simd.cpp): channel uses transposed
// to structure-of-arrays, one per float lane, and the complex Hermitian kernels of detectors/small_linalg.hpp in
// that layout (column-major lower triangles, reciprocal Cholesky diagonal), in float32.

// Per-target include guard (Highway's -inl.h convention): this file is compiled once for every target.
#if defined(MIMO_DETECTORS_SIMD_LINALG_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef MIMO_DETECTORS_SIMD_LINALG_INL_H_
#undef MIMO_DETECTORS_SIMD_LINALG_INL_H_
#else
#define MIMO_DETECTORS_SIMD_LINALG_INL_H_
#endif

#include <hwy/aligned_allocator.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <iterator>
#include <vector>

#include "channel/sample_batch.hpp"
#include "detectors/linear_simd.hpp"

HWY_BEFORE_NAMESPACE();
namespace mimo {
namespace HWY_NAMESPACE {
namespace simd_linalg {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// One block's structure-of-arrays work space: element e of lane l at [e * N + l].
struct Block {
  size_t N, nr, nt;
  hwy::AlignedFreeUniquePtr<float[]> mem;
  float *Hr, *Hi, *yr, *yi, *Lr, *Li, *zr, *zi, *wr, *wi, *dinv, *diag, *n0, *worst;

  Block(size_t lanes, size_t nr_, size_t nt_) : N(lanes), nr(nr_), nt(nt_) {
    const size_t sizes[] = {nr * nt, nr * nt, nr, nr, nt * nt, nt * nt, nt, nt, nt, nt, nt, nt, 1, 1};
    size_t total = 0;
    for (size_t s : sizes) total += s * N;
    mem = hwy::AllocateAligned<float>(total);
    float** slots[] = {&Hr, &Hi, &yr, &yi, &Lr, &Li, &zr, &zi, &wr, &wi, &dinv, &diag, &n0, &worst};
    float* p = mem.get();
    for (size_t k = 0; k < std::size(slots); ++k) {
      *slots[k] = p;
      p += sizes[k] * N;
    }
  }
  float* at(float* base, size_t e) const { return base + e * N; }
};

// Transposes channel uses first .. first+N-1 (the last one repeated past `end`) into the block.
inline void load_block(const SampleBatch& b, size_t first, size_t end, Block& k) {
  const size_t N = k.N, nr = b.nr, nt = b.nt;
  const cfloat* Hsrc = b.has_h_est() ? b.H_est.data() : b.H.data();
  for (size_t l = 0; l < N; ++l) {
    const size_t i = std::min(first + l, end - 1);
    const cfloat* h = Hsrc + i * nr * nt;
    for (size_t e = 0; e < nr * nt; ++e) {
      k.Hr[e * N + l] = h[e].real();
      k.Hi[e * N + l] = h[e].imag();
    }
    const cfloat* y = b.y.data() + i * nr;
    for (size_t r = 0; r < nr; ++r) {
      k.yr[r * N + l] = y[r].real();
      k.yi[r * N + l] = y[r].imag();
    }
    const float n0 = b.noise_var[i];
    k.n0[l] = (n0 > 1e-12f && std::isfinite(n0)) ? n0 : 1e-12f;  // usable_noise_var, in float
  }
}

// Lower triangle of G = H^H H + load I, column-major (L(i, j) at i + j * nt), and z = H^H y.
inline void gram_and_matched_filter(Block& k, bool mmse_load) {
  const D d;
  const size_t nr = k.nr, nt = k.nt;
  for (size_t j = 0; j < nt; ++j) {
    for (size_t i = j; i < nt; ++i) {
      V re = hn::Zero(d), im = hn::Zero(d);
      for (size_t r = 0; r < nr; ++r) {
        const V ar = hn::Load(d, k.at(k.Hr, r * nt + i)), ai = hn::Load(d, k.at(k.Hi, r * nt + i));
        const V br = hn::Load(d, k.at(k.Hr, r * nt + j)), bi = hn::Load(d, k.at(k.Hi, r * nt + j));
        re = hn::MulAdd(ar, br, hn::MulAdd(ai, bi, re));  // conj(a) b
        im = hn::MulAdd(ar, bi, hn::NegMulAdd(ai, br, im));
      }
      if (i == j && mmse_load) re = hn::Add(re, hn::Load(d, k.n0));
      hn::Store(re, d, k.at(k.Lr, i + j * nt));
      hn::Store(i == j ? hn::Zero(d) : im, d, k.at(k.Li, i + j * nt));
    }
    V re = hn::Zero(d), im = hn::Zero(d);
    for (size_t r = 0; r < nr; ++r) {
      const V ar = hn::Load(d, k.at(k.Hr, r * nt + j)), ai = hn::Load(d, k.at(k.Hi, r * nt + j));
      const V yr = hn::Load(d, k.at(k.yr, r)), yi = hn::Load(d, k.at(k.yi, r));
      re = hn::MulAdd(ar, yr, hn::MulAdd(ai, yi, re));
      im = hn::MulAdd(ar, yi, hn::NegMulAdd(ai, yr, im));
    }
    hn::Store(re, d, k.at(k.zr, j));
    hn::Store(im, d, k.at(k.zi, j));
  }
}

// In-place Cholesky of the lower triangle, as linalg::cholesky (left-looking, reciprocal diagonal), with the
// pivot floor 1e-12 trace / nt. `worst` gets each lane's least pivot / original diagonal.
inline void cholesky(Block& k) {
  const D d;
  const size_t nt = k.nt;
  V trace = hn::Zero(d);
  for (size_t j = 0; j < nt; ++j) trace = hn::Add(trace, hn::Load(d, k.at(k.Lr, j + j * nt)));
  const V floor = hn::Max(hn::Mul(trace, hn::Set(d, 1e-12f / static_cast<float>(nt))), hn::Set(d, 1e-30f));
  V worst = hn::Set(d, 1.0f);
  for (size_t j = 0; j < nt; ++j) {
    const V diag = hn::Load(d, k.at(k.Lr, j + j * nt));
    hn::Store(diag, d, k.at(k.diag, j));
    for (size_t kk = 0; kk < j; ++kk) {
      const V cr = hn::Load(d, k.at(k.Lr, j + kk * nt)), ci = hn::Load(d, k.at(k.Li, j + kk * nt));  // L(j,kk)
      for (size_t i = j; i < nt; ++i) {
        // L(i, j) -= L(i, kk) conj(L(j, kk))
        const V ar = hn::Load(d, k.at(k.Lr, i + kk * nt)), ai = hn::Load(d, k.at(k.Li, i + kk * nt));
        float* pr = k.at(k.Lr, i + j * nt);
        float* pi = k.at(k.Li, i + j * nt);
        hn::Store(hn::NegMulAdd(ar, cr, hn::NegMulAdd(ai, ci, hn::Load(d, pr))), d, pr);
        hn::Store(hn::NegMulAdd(ai, cr, hn::MulAdd(ar, ci, hn::Load(d, pi))), d, pi);
      }
    }
    V pivot = hn::Load(d, k.at(k.Lr, j + j * nt));
    worst = hn::Min(worst, hn::Div(pivot, diag));  // NaN compares false: caught by the finiteness check
    pivot = hn::IfThenElse(hn::Gt(pivot, floor), pivot, floor);
    const V inv = hn::Div(hn::Set(d, 1.0f), hn::Sqrt(pivot));
    hn::Store(inv, d, k.at(k.Lr, j + j * nt));
    for (size_t i = j + 1; i < nt; ++i) {
      float* pr = k.at(k.Lr, i + j * nt);
      float* pi = k.at(k.Li, i + j * nt);
      hn::Store(hn::Mul(hn::Load(d, pr), inv), d, pr);
      hn::Store(hn::Mul(hn::Load(d, pi), inv), d, pi);
    }
  }
  hn::Store(worst, d, k.worst);
}

// z <- (L L^H)^{-1} z.
inline void cholesky_solve(Block& k) {
  const D d;
  const size_t nt = k.nt;
  for (size_t j = 0; j < nt; ++j) {  // L w = z
    const V inv = hn::Load(d, k.at(k.Lr, j + j * nt));
    const V wr = hn::Mul(hn::Load(d, k.at(k.zr, j)), inv), wi = hn::Mul(hn::Load(d, k.at(k.zi, j)), inv);
    hn::Store(wr, d, k.at(k.zr, j));
    hn::Store(wi, d, k.at(k.zi, j));
    for (size_t i = j + 1; i < nt; ++i) {
      const V cr = hn::Load(d, k.at(k.Lr, i + j * nt)), ci = hn::Load(d, k.at(k.Li, i + j * nt));
      float* pr = k.at(k.zr, i);
      float* pi = k.at(k.zi, i);
      hn::Store(hn::NegMulAdd(cr, wr, hn::MulAdd(ci, wi, hn::Load(d, pr))), d, pr);
      hn::Store(hn::NegMulAdd(cr, wi, hn::NegMulAdd(ci, wr, hn::Load(d, pi))), d, pi);
    }
  }
  for (size_t i = nt; i-- > 0;) {  // L^H x = w
    V sr = hn::Load(d, k.at(k.zr, i)), si = hn::Load(d, k.at(k.zi, i));
    for (size_t kk = i + 1; kk < nt; ++kk) {
      // s -= conj(L(kk, i)) x(kk)
      const V cr = hn::Load(d, k.at(k.Lr, kk + i * nt)), ci = hn::Load(d, k.at(k.Li, kk + i * nt));
      const V xr = hn::Load(d, k.at(k.zr, kk)), xi = hn::Load(d, k.at(k.zi, kk));
      sr = hn::NegMulAdd(cr, xr, hn::NegMulAdd(ci, xi, sr));
      si = hn::NegMulAdd(cr, xi, hn::MulAdd(ci, xr, si));
    }
    const V inv = hn::Load(d, k.at(k.Lr, i + i * nt));
    hn::Store(hn::Mul(sr, inv), d, k.at(k.zr, i));
    hn::Store(hn::Mul(si, inv), d, k.at(k.zi, i));
  }
}

// dinv(t) = [(L L^H)^{-1}]_tt = squared norm of column t of L^{-1}.
inline void inverse_diagonal(Block& k) {
  const D d;
  const size_t nt = k.nt;
  for (size_t t = 0; t < nt; ++t) {
    V acc = hn::Zero(d);
    for (size_t j = t; j < nt; ++j) {
      const V inv = hn::Load(d, k.at(k.Lr, j + j * nt));
      V wr, wi;
      if (j == t) {
        wr = inv;
        wi = hn::Zero(d);
      } else {
        wr = hn::Mul(hn::Load(d, k.at(k.wr, j)), inv);
        wi = hn::Mul(hn::Load(d, k.at(k.wi, j)), inv);
      }
      acc = hn::MulAdd(wr, wr, hn::MulAdd(wi, wi, acc));
      for (size_t i = j + 1; i < nt; ++i) {  // work(i) -= L(i, j) w, work(i) = 0 before its first update
        const V cr = hn::Load(d, k.at(k.Lr, i + j * nt)), ci = hn::Load(d, k.at(k.Li, i + j * nt));
        const V pr = j == t ? hn::Zero(d) : hn::Load(d, k.at(k.wr, i));
        const V pi = j == t ? hn::Zero(d) : hn::Load(d, k.at(k.wi, i));
        hn::Store(hn::NegMulAdd(cr, wr, hn::MulAdd(ci, wi, pr)), d, k.at(k.wr, i));
        hn::Store(hn::NegMulAdd(cr, wi, hn::NegMulAdd(ci, wr, pi)), d, k.at(k.wi, i));
      }
    }
    hn::Store(acc, d, k.at(k.dinv, t));
  }
}

// Folds 1 / (G_tt [G^{-1}]_tt) into each lane's `worst` (inverse diagonal entry t at inv_diag + t * stride):
// the pivots bound only leading submatrices, and rounding grows with the whole matrix's condition, which this
// bounds (kappa <= nt^2 max_t G_tt [G^-1]_tt for the diagonally scaled G), larger systems included.
inline void fold_condition(Block& k, const float* inv_diag, size_t stride) {
  const D d;
  V worst = hn::Load(d, k.worst);
  // Scaled so that the one threshold kRedoPivotRatio applies to both measures.
  const V scale = hn::Set(d, kRedoPivotRatio / kRedoConditionRatio);
  for (size_t t = 0; t < k.nt; ++t) {
    const V product = hn::Mul(hn::Load(d, k.at(k.diag, t)), hn::Load(d, inv_diag + t * stride));
    worst = hn::Min(worst, hn::Div(scale, product));
  }
  hn::Store(worst, d, k.worst);
}

// Appends to `redo` the lanes float32 cannot be trusted with: an ill-conditioned Gram matrix (a pivot below
// kRedoPivotRatio of its diagonal; NaN compares false) or a non-finite value in any of `results` (nt each).
inline void append_unresolved(const Block& k, std::initializer_list<const float*> results, size_t first, size_t lanes,
                              std::vector<size_t>& redo) {
  for (size_t l = 0; l < lanes; ++l) {
    bool ok = k.worst[l] >= kRedoPivotRatio;
    for (const float* r : results)
      for (size_t t = 0; t < k.nt && ok; ++t) ok = std::isfinite(r[t * k.N + l]);
    if (!ok) redo.push_back(first + l);
  }
}

}  // namespace simd_linalg
}  // namespace HWY_NAMESPACE
}  // namespace mimo
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
