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

/// G = H^H H + diag_load * I for H (nr x nt, column-major), G Hermitian nt x nt (full storage).
template <class T>
void gram(const T* H, size_t nr, size_t nt, double diag_load, T* G) {
  for (size_t j = 0; j < nt; ++j)
    for (size_t i = 0; i <= j; ++i) {
      T acc = 0;
      const T* hi = H + i * nr;
      const T* hj = H + j * nr;
      for (size_t r = 0; r < nr; ++r) acc += cj(hi[r]) * hj[r];
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
    for (size_t r = 0; r < nr; ++r) acc += cj(H[r + j * nr]) * y[r];
    z[j] = acc;
  }
}

/// In-place Cholesky G = L L^H (lower triangle of G becomes L). A pivot below `floor` (a singular or
/// indefinite matrix) is raised to `floor`, so the factorization always completes with finite values.
template <class T>
void cholesky(T* G, size_t n, double floor) {
  for (size_t j = 0; j < n; ++j) {
    double d = re(G[j + j * n]);
    for (size_t k = 0; k < j; ++k) d -= std::norm(G[j + k * n]);
    if (!(d > floor)) d = floor;  // also catches NaN
    const double ljj = std::sqrt(d);
    G[j + j * n] = ljj;
    for (size_t i = j + 1; i < n; ++i) {
      T s = G[i + j * n];
      for (size_t k = 0; k < j; ++k) s -= G[i + k * n] * cj(G[j + k * n]);
      G[i + j * n] = s / ljj;
    }
  }
}

/// Solves L L^H x = b in place (b becomes x), L from cholesky().
template <class T>
void cholesky_solve(const T* L, size_t n, T* b) {
  for (size_t i = 0; i < n; ++i) {
    T s = b[i];
    for (size_t k = 0; k < i; ++k) s -= L[i + k * n] * b[k];
    b[i] = s / re(L[i + i * n]);
  }
  for (size_t i = n; i-- > 0;) {
    T s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= cj(L[k + i * n]) * b[k];
    b[i] = s / re(L[i + i * n]);
  }
}

/// Diagonal of (L L^H)^{-1}: d_k = sum_i |(L^{-1})_{ik}|^2, using `work` (n values) as scratch.
template <class T>
void inverse_diagonal(const T* L, size_t n, double* d, T* work) {
  for (size_t k = 0; k < n; ++k) d[k] = 0.0;
  // Column k of L^{-1} by forward substitution on e_k; its entries i >= k contribute to d_k.
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = k; i < n; ++i) {
      T s = (i == k) ? T(1.0) : T(0.0);
      for (size_t j = k; j < i; ++j) s -= L[i + j * n] * work[j];
      work[i] = s / re(L[i + i * n]);
      d[k] += std::norm(work[i]);
    }
  }
}

}  // namespace mimo::linalg
