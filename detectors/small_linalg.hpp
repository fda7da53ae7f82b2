#pragma once
// Allocation-free dense kernels for the small Hermitian systems detectors solve once per channel use
// (Nt = 2..64). Generic LAPACK calls cost more in call overhead and allocation than the arithmetic at these
// sizes. Matrices are column-major, A(i, j) = a[i + j * n].
#include <cmath>
#include <complex>
#include <cstddef>

namespace mimo::linalg {

using cd = std::complex<double>;

// Conjugate that is the identity on real numbers, so the kernels below serve real and complex systems.
inline double cj(double x) { return x; }
inline cd cj(cd x) { return std::conj(x); }
inline double re(double x) { return x; }
inline double re(cd x) { return x.real(); }

// Products written out: std::complex's operator* must honour C99 Annex G infinities, so without
// -ffast-math every product carries a NaN check and a possible __muldc3 call. The kernels below never need
// Annex G semantics (a NaN input gives NaN outputs either way, which the callers handle).
inline double mul(double a, double b) { return a * b; }
inline cd mul(cd a, cd b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
/// conj(a) * b.
inline double mulc(double a, double b) { return a * b; }
inline cd mulc(cd a, cd b) {
  return {a.real() * b.real() + a.imag() * b.imag(), a.real() * b.imag() - a.imag() * b.real()};
}

/// G = H^H H + diag_load * I for H (nr x nt, column-major), G Hermitian nt x nt (full storage).
template <class T>
void gram(const T* H, size_t nr, size_t nt, double diag_load, T* G) {
  for (size_t j = 0; j < nt; ++j)
    for (size_t i = 0; i <= j; ++i) {
      T acc = 0;
      const T* hi = H + i * nr;
      const T* hj = H + j * nr;
      for (size_t r = 0; r < nr; ++r) acc += mulc(hi[r], hj[r]);
      if (i == j) acc = T(re(acc) + diag_load);
      G[i + j * nt] = acc;
      G[j + i * nt] = cj(acc);
    }
}

/// z = H^H y.
template <class T>
void matched_filter(const T* H, size_t nr, size_t nt, const T* y, T* z) {
  for (size_t j = 0; j < nt; ++j) {
    T acc = 0;
    for (size_t r = 0; r < nr; ++r) acc += mulc(H[r + j * nr], y[r]);
    z[j] = acc;
  }
}

/// In-place Cholesky G = L L^H: the strict lower triangle of G becomes L's, and the diagonal holds the
/// reciprocals 1 / L_jj, so that the solves below multiply instead of divide (a division costs several times a
/// multiplication and the solves sit in the per-sample loop). A pivot below `floor` (a singular or indefinite
/// matrix) is raised to `floor`, so the factorization always completes with finite values. Column-oriented
/// (left-looking): the inner loops run down contiguous columns.
template <class T>
void cholesky(T* G, size_t n, double floor) {
  for (size_t j = 0; j < n; ++j) {
    T* col = G + j * n;
    for (size_t k = 0; k < j; ++k) {
      const T* lk = G + k * n;
      const T ljk = cj(lk[j]);
      for (size_t i = j; i < n; ++i) col[i] -= mul(lk[i], ljk);
    }
    double d = re(col[j]);
    if (!(d > floor)) d = floor;  // also catches NaN
    const double inv = 1.0 / std::sqrt(d);
    col[j] = inv;
    for (size_t i = j + 1; i < n; ++i) col[i] *= inv;
  }
}

/// Solves L L^H x = b in place (b becomes x), L from cholesky().
template <class T>
void cholesky_solve(const T* L, size_t n, T* b) {
  for (size_t j = 0; j < n; ++j) {  // L w = b, by columns
    const T* col = L + j * n;
    const T w = b[j] * re(col[j]);
    b[j] = w;
    for (size_t i = j + 1; i < n; ++i) b[i] -= mul(col[i], w);
  }
  for (size_t i = n; i-- > 0;) {  // L^H x = w: row i of L^H is column i of L, conjugated
    const T* col = L + i * n;
    T s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= mulc(col[k], b[k]);
    b[i] = s * re(col[i]);
  }
}

/// Diagonal of (L L^H)^{-1}: d_k = sum_i |(L^{-1})_{ik}|^2, using `work` (n values) as scratch.
template <class T>
void inverse_diagonal(const T* L, size_t n, double* d, T* work) {
  // Column k of L^{-1} by forward substitution on e_k; its entries i >= k contribute to d_k.
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = k; i < n; ++i) work[i] = T(0.0);
    work[k] = T(1.0);
    double acc = 0.0;
    for (size_t j = k; j < n; ++j) {
      const T* col = L + j * n;
      const T w = work[j] * re(col[j]);
      acc += std::norm(w);
      for (size_t i = j + 1; i < n; ++i) work[i] -= mul(col[i], w);
    }
    d[k] = acc;
  }
}

}  // namespace mimo::linalg
