// Highway's one-source, many-targets pattern: this file includes itself once per instruction set through
// foreach_target.h; HWY_EXPORT and HWY_DYNAMIC_DISPATCH pick the best compiled target at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "detectors/ep_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cmath>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

#include "detectors/ep_kernels.hpp"

HWY_BEFORE_NAMESPACE();
namespace mimo::ep_kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// acc - sum_{k0 <= k < k1} x[k N] * Lj[k N] for one vector of rows: the inner loop of both halves of the
// left-looking factorization. Term k goes to accumulator k mod 4 (four chains hide the multiply-add latency),
// each in increasing k, then (a0 + a1) + (a2 + a3): the same order for a row whatever vector holds it, so the
// vector length does not change results. k0 is a multiple of 4 whenever vectors have 4 or more lanes.
template <class D, class T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> Eliminate(D d, hn::Vec<D> a0, const T* HWY_RESTRICT x, const T* HWY_RESTRICT Lj, size_t k0,
                                size_t k1, size_t N) {
  auto a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  const auto step = [&](hn::Vec<D>& a, size_t k) {
    a = hn::NegMulAdd(hn::Load(d, x + k * N), hn::Set(d, Lj[k * N]), a);
  };
  size_t k = k0;
  for (; k < k1 && k % 4 != 0; ++k) {
    if (k % 4 == 1)
      step(a1, k);
    else if (k % 4 == 2)
      step(a2, k);
    else
      step(a3, k);
  }
  for (; k + 4 <= k1; k += 4) {
    step(a0, k);
    step(a1, k + 1);
    step(a2, k + 2);
    step(a3, k + 3);
  }
  if (k < k1) step(a0, k);
  if (k + 1 < k1) step(a1, k + 1);
  if (k + 2 < k1) step(a2, k + 2);
  return hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
}

// Eliminate from k = 0 on the two vectors at x and x + V at once, sharing each broadcast of L(j, k); the same
// order of terms per row as Eliminate.
template <class D, class T = hn::TFromD<D>>
HWY_INLINE void Eliminate2(D d, hn::Vec<D>& p0, hn::Vec<D>& q0, const T* HWY_RESTRICT x, const T* HWY_RESTRICT Lj,
                           size_t k1, size_t N) {
  const size_t V = hn::Lanes(d);
  auto p1 = hn::Zero(d), p2 = hn::Zero(d), p3 = hn::Zero(d), q1 = hn::Zero(d), q2 = hn::Zero(d), q3 = hn::Zero(d);
  const auto step = [&](hn::Vec<D>& p, hn::Vec<D>& q, size_t k) {
    const auto s = hn::Set(d, Lj[k * N]);
    p = hn::NegMulAdd(hn::Load(d, x + k * N), s, p);
    q = hn::NegMulAdd(hn::Load(d, x + k * N + V), s, q);
  };
  size_t k = 0;
  for (; k + 4 <= k1; k += 4) {
    step(p0, q0, k);
    step(p1, q1, k + 1);
    step(p2, q2, k + 2);
    step(p3, q3, k + 3);
  }
  if (k < k1) step(p0, q0, k);
  if (k + 1 < k1) step(p1, q1, k + 1);
  if (k + 2 < k1) step(p2, q2, k + 2);
  p0 = hn::Add(hn::Add(p0, p1), hn::Add(p2, p3));
  q0 = hn::Add(hn::Add(q0, q1), hn::Add(q2, q3));
}

// Lane i of v, as a scalar (a lane permute instead of a store and a reload, which stalls store forwarding).
template <class D>
HWY_INLINE hn::TFromD<D> ExtractLane(D d, hn::Vec<D> v, size_t i) {
  using TI = hwy::MakeSigned<hn::TFromD<D>>;
  const hn::RebindToSigned<D> di;
  return hn::GetLane(hn::TableLookupLanes(v, hn::IndicesFromVec(d, hn::Set(di, static_cast<TI>(i)))));
}

template <class T>
T CavityLinearT(const T* HWY_RESTRICT G, const T* HWY_RESTRICT lambda, T* HWY_RESTRICT b, size_t n, T floor,
                T* HWY_RESTRICT L, T* HWY_RESTRICT U, T* HWY_RESTRICT sigma, T* HWY_RESTRICT mu) {
  const hn::ScalableTag<T> d;
  const size_t V = hn::Lanes(d), N = padded_size(n);
  for (size_t r = 0; r < N; r += V) {
    hn::Store(hn::Zero(d), d, sigma + r);
    hn::Store(hn::Zero(d), d, mu + r);
  }
  const auto lane = hn::Iota(d, 0);
  T growth = 1;
  for (size_t j = 0; j < n; ++j) {
    const T* gj = G + j * N;
    T* lj = L + j * N;
    T* uj = U + j * N;
    const T* Lj = L + j;          // row j of L: L(j, k) = Lj[k N]
    const size_t jb = j / V * V;  // first row of the vector holding row j
    const size_t jl = j - jb;
    // Column j of L (rows > j): (A(:, j) - sum_{k<j} L(:, k) L(j, k)) / L(j, j). Rows jb..j of the first vector
    // are computed too and stored as zeros, so that they add nothing below.
    const auto head = Eliminate(d, hn::Load(d, gj + jb), L + jb, Lj, 0, j, N);
    T pivot = ExtractLane(d, head, jl) + lambda[j];
    if (!(pivot > floor)) pivot = floor;  // also catches NaN
    const T diag = gj[j] + lambda[j];
    if (diag > growth * pivot) growth = diag / pivot;  // false for NaN
    const T inv = T(1) / std::sqrt(pivot);
    const auto vinv = hn::Set(d, inv);
    hn::Store(hn::IfThenZeroElse(hn::FirstN(d, jl + 1), hn::Mul(head, vinv)), d, lj + jb);
    size_t r = jb + V;
    for (; r + 2 * V <= N; r += 2 * V) {
      auto a0 = hn::Load(d, gj + r), a1 = hn::Load(d, gj + r + V);
      Eliminate2(d, a0, a1, L + r, Lj, j, N);
      hn::Store(hn::Mul(a0, vinv), d, lj + r);
      hn::Store(hn::Mul(a1, vinv), d, lj + r + V);
    }
    if (r < N) hn::Store(hn::Mul(Eliminate(d, hn::Load(d, gj + r), L + r, Lj, 0, j, N), vinv), d, lj + r);
    // Forward substitution L w = b by columns: w_j from the updated b_j, then b -= L(:, j) w_j below row j.
    const T w = b[j] * inv;
    const auto vw = hn::Set(d, w);
    for (r = jb; r < N; r += V) hn::Store(hn::NegMulAdd(hn::Load(d, lj + r), vw, hn::Load(d, b + r)), d, b + r);
    // Column j of U = L^{-T}, i.e. row j of L^{-1}: (e_j - sum_{k<j} U(:, k) L(j, k)) / L(j, j). U(i, k) = 0 for
    // i > k, so the vector at row r needs only k >= r. Then sigma += u o u and mu += u w_j (mu = U w).
    for (r = 0; r <= jb; r += V) {
      auto u = Eliminate(d, hn::Zero(d), U + r, Lj, r, j, N);
      if (r == jb) u = hn::Add(u, hn::IfThenElseZero(hn::Eq(lane, hn::Set(d, static_cast<T>(jl))), hn::Set(d, T(1))));
      u = hn::Mul(u, vinv);
      hn::Store(u, d, uj + r);
      hn::Store(hn::MulAdd(u, u, hn::Load(d, sigma + r)), d, sigma + r);
      hn::Store(hn::MulAdd(u, vw, hn::Load(d, mu + r)), d, mu + r);
    }
  }
  return growth;
}

float CavityLinearF32(const float* G, const float* lambda, float* b, size_t n, float floor, float* L, float* U,
                      float* sigma, float* mu) {
  return CavityLinearT(G, lambda, b, n, floor, L, U, sigma, mu);
}
double CavityLinearF64(const double* G, const double* lambda, double* b, size_t n, double floor, double* L, double* U,
                       double* sigma, double* mu) {
  return CavityLinearT(G, lambda, b, n, floor, L, U, sigma, mu);
}

// Stores the first `count` lanes of v at dst (any alignment): a whole vector, or lane by lane at a column's end,
// where a whole one would overwrite the rows after it.
template <class D, class T = hn::TFromD<D>>
HWY_INLINE void StorePart(D d, hn::Vec<D> v, size_t count, T* HWY_RESTRICT dst) {
  if (count == hn::Lanes(d)) {
    hn::StoreU(v, d, dst);
    return;
  }
  HWY_ALIGN T lanes[hn::MaxLanes(d)];
  hn::Store(v, d, lanes);
  for (size_t l = 0; l < count; ++l) dst[l] = lanes[l];
}

// C = H^H H by columns, vectorized down each column, from the vector holding row j on (C is Hermitian, and the
// factorization reads only the lower triangle of G); H de-interleaved into `work` first.
template <class T>
void RealGramT(const std::complex<float>* HWY_RESTRICT H, const std::complex<float>* HWY_RESTRICT y, size_t nr,
               size_t nt, bool real_symbols, T scale, T* HWY_RESTRICT G, T* HWY_RESTRICT z, T* HWY_RESTRICT work) {
  const hn::ScalableTag<T> d;
  const size_t V = hn::Lanes(d), P = padded_size(nt), n = real_symbols ? nt : 2 * nt, N = padded_size(n);
  T* re = work;
  T* im = work + nr * P;
  for (size_t r = 0; r < nr; ++r) {
    for (size_t t = 0; t < nt; ++t) {
      re[r * P + t] = H[r * nt + t].real();
      im[r * P + t] = H[r * nt + t].imag();
    }
    for (size_t t = nt; t < P; ++t) re[r * P + t] = im[r * P + t] = 0;
  }
  const auto vscale = hn::Set(d, scale);
  HWY_ALIGN T cim[hn::MaxLanes(d)];
  // C(t, j) = sum_r conj(h_rt) h_rj for t >= j, written into the lower triangle of the real model's
  // G = [Re C, -Im C; Im C, Re C] (real symbols: Re C alone). The lower-left block Im C is needed whole: its
  // entries above C's diagonal come from those below, Im C(j, t) = -Im C(t, j).
  for (size_t j = 0; j < nt; ++j) {
    for (size_t q = j / V * V; q < nt; q += V) {
      auto ar = hn::Zero(d), ai = hn::Zero(d), br = hn::Zero(d), bi = hn::Zero(d);
      size_t r = 0;
      for (; r + 2 <= nr; r += 2) {
        const auto hr0 = hn::Load(d, re + r * P + q), hi0 = hn::Load(d, im + r * P + q);
        const auto sr0 = hn::Set(d, re[r * P + j]), si0 = hn::Set(d, im[r * P + j]);
        ar = hn::MulAdd(hr0, sr0, hn::MulAdd(hi0, si0, ar));
        ai = hn::MulAdd(hr0, si0, hn::NegMulAdd(hi0, sr0, ai));
        const auto hr1 = hn::Load(d, re + (r + 1) * P + q), hi1 = hn::Load(d, im + (r + 1) * P + q);
        const auto sr1 = hn::Set(d, re[(r + 1) * P + j]), si1 = hn::Set(d, im[(r + 1) * P + j]);
        br = hn::MulAdd(hr1, sr1, hn::MulAdd(hi1, si1, br));
        bi = hn::MulAdd(hr1, si1, hn::NegMulAdd(hi1, sr1, bi));
      }
      if (r < nr) {
        const auto hr0 = hn::Load(d, re + r * P + q), hi0 = hn::Load(d, im + r * P + q);
        const auto sr0 = hn::Set(d, re[r * P + j]), si0 = hn::Set(d, im[r * P + j]);
        ar = hn::MulAdd(hr0, sr0, hn::MulAdd(hi0, si0, ar));
        ai = hn::MulAdd(hr0, si0, hn::NegMulAdd(hi0, sr0, ai));
      }
      const auto cr = hn::Mul(hn::Add(ar, br), vscale), ci = hn::Mul(hn::Add(ai, bi), vscale);
      const size_t count = std::min(V, nt - q);
      StorePart(d, cr, count, G + j * N + q);
      if (real_symbols) continue;
      StorePart(d, cr, count, G + (nt + j) * N + nt + q);
      // Im C(t, j) for t > j into column j, and Im C(j, t) = -Im C(t, j) into column t: every entry of the
      // lower-left block from the one computation below C's diagonal, whatever the vector length.
      hn::Store(ci, d, cim);
      for (size_t t = std::max(q, j + 1); t < q + count; ++t) {
        G[nt + t + j * N] = cim[t - q];
        G[nt + j + t * N] = -cim[t - q];
      }
    }
    if (!real_symbols) G[nt + j + j * N] = 0;  // Im C(j, j), exactly
  }
  // z = H^H y: (H^H y)_t = sum_r (hr_rt - i hi_rt)(yr_r + i yi_r).
  for (size_t q = 0; q < nt; q += V) {
    auto ar = hn::Zero(d), ai = hn::Zero(d);
    for (size_t r = 0; r < nr; ++r) {
      const auto hr = hn::Load(d, re + r * P + q), hi = hn::Load(d, im + r * P + q);
      const auto yr = hn::Set(d, static_cast<T>(y[r].real())), yi = hn::Set(d, static_cast<T>(y[r].imag()));
      ar = hn::MulAdd(hr, yr, hn::MulAdd(hi, yi, ar));
      ai = hn::MulAdd(hr, yi, hn::NegMulAdd(hi, yr, ai));
    }
    const size_t count = std::min(V, nt - q);
    StorePart(d, hn::Mul(ar, vscale), count, z + q);
    if (!real_symbols) StorePart(d, hn::Mul(ai, vscale), count, z + nt + q);
  }
  for (size_t t = n; t < N; ++t) z[t] = 0;
}

void RealGram(const std::complex<float>* H, const std::complex<float>* y, size_t nr, size_t nt, bool real_symbols,
              double scale, double* G, double* z, double* work) {
  RealGramT(H, y, nr, nt, real_symbols, scale, G, z, work);
}

void Demote(const double* HWY_RESTRICT from, float* HWY_RESTRICT to, size_t count) {
  const hn::ScalableTag<double> d;
  const hn::Rebind<float, decltype(d)> df;
  const size_t V = hn::Lanes(d);
  size_t i = 0;
  for (; i + V <= count; i += V) hn::Store(hn::DemoteTo(df, hn::Load(d, from + i)), df, to + i);
  for (; i < count; ++i) to[i] = static_cast<float>(from[i]);
}

// Vectorized across unknowns: per level, w = -(t - a)^2 / (2 h2); the exponentials relative to the largest.
void TiltedMoments(const double* HWY_RESTRICT t, const double* HWY_RESTRICT h2, size_t n,
                   const double* HWY_RESTRICT levels, size_t L, double min_var, double* HWY_RESTRICT mean,
                   double* HWY_RESTRICT var) {
  const hn::ScalableTag<double> d;
  const size_t V = hn::Lanes(d);
  for (size_t k = 0; k < n; k += V) {
    const auto tk = hn::Load(d, t + k), scale = hn::Div(hn::Set(d, -0.5), hn::Load(d, h2 + k));
    auto top = hn::Set(d, -HUGE_VAL);
    for (size_t l = 0; l < L; ++l) {
      const auto e = hn::Sub(tk, hn::Set(d, levels[l]));
      top = hn::Max(top, hn::Mul(hn::Mul(e, e), scale));
    }
    auto z = hn::Zero(d), m1 = hn::Zero(d), m2 = hn::Zero(d);
    for (size_t l = 0; l < L; ++l) {
      const auto a = hn::Set(d, levels[l]);
      const auto e = hn::Sub(tk, a);
      const auto p = hn::Exp(d, hn::Sub(hn::Mul(hn::Mul(e, e), scale), top));
      z = hn::Add(z, p);
      m1 = hn::MulAdd(p, a, m1);
      m2 = hn::MulAdd(hn::Mul(p, a), a, m2);
    }
    const auto m = hn::Div(m1, z);
    hn::Store(m, d, mean + k);
    hn::Store(hn::Max(hn::NegMulAdd(m, m, hn::Div(m2, z)), hn::Set(d, min_var)), d, var + k);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace mimo::ep_kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mimo::ep_kernels {

HWY_EXPORT(CavityLinearF32);
HWY_EXPORT(CavityLinearF64);
HWY_EXPORT(RealGram);
HWY_EXPORT(TiltedMoments);
HWY_EXPORT(Demote);

template <>
float cavity_linear<float>(const float* G, const float* lambda, float* b, size_t n, float floor, float* L, float* U,
                           float* sigma, float* mu) {
  return HWY_DYNAMIC_DISPATCH(CavityLinearF32)(G, lambda, b, n, floor, L, U, sigma, mu);
}
template <>
double cavity_linear<double>(const double* G, const double* lambda, double* b, size_t n, double floor, double* L,
                             double* U, double* sigma, double* mu) {
  return HWY_DYNAMIC_DISPATCH(CavityLinearF64)(G, lambda, b, n, floor, L, U, sigma, mu);
}
void real_gram(const std::complex<float>* H, const std::complex<float>* y, size_t nr, size_t nt, bool real_symbols,
               double scale, double* G, double* z, double* work) {
  HWY_DYNAMIC_DISPATCH(RealGram)(H, y, nr, nt, real_symbols, scale, G, z, work);
}
void tilted_moments(const double* t, const double* h2, size_t n, const double* levels, size_t L, double min_var,
                    double* mean, double* var) {
  HWY_DYNAMIC_DISPATCH(TiltedMoments)(t, h2, n, levels, L, min_var, mean, var);
}

void demote(const double* from, float* to, size_t count) { HWY_DYNAMIC_DISPATCH(Demote)(from, to, count); }

}  // namespace mimo::ep_kernels
#endif
