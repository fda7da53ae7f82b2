#pragma once
// SIMD kernels of EP (detectors/ep_fast.hpp), written once with Google Highway and dispatched at run time to the
// best instruction set of the machine (AVX-512, AVX2, SSE4, NEON, or scalar). They vectorize down the columns
// of one channel use's real-valued system (at 32x64, n = 64: four AVX-512 vectors of floats per column).
//
// Layout: an n x n matrix lives column-major in an AlignedArray with column stride N = padded_size(n) >= n, so
// that every column starts on a 64-byte boundary and is a whole number of vectors; rows n..N-1 are padding
// (zeros). Every lane (row) sums its terms in the same order whatever the vector length, so results are
// bit-identical on every instruction set with FMA (AVX2, AVX-512, NEON); SSE4 and scalar round the
// multiply-adds twice and differ in the last bits. No result depends on other channel uses.
#include <algorithm>
#include <complex>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace mimo::ep_kernels {

/// The column stride for an n x n system: n rounded up to a multiple of 16 (one AVX-512 vector of floats).
constexpr size_t padded_size(size_t n) { return (n + 15) / 16 * 16; }

/// A zero-filled array on a 64-byte boundary, as the kernels load and store it (whole aligned vectors).
template <class T>
class AlignedArray {
public:
  AlignedArray() = default;
  explicit AlignedArray(size_t count) { reset(count); }
  void reset(size_t count) {
    const size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    data_.reset(static_cast<T*>(std::aligned_alloc(64, bytes == 0 ? 64 : bytes)));
    if (!data_) throw std::bad_alloc();
    std::fill(data_.get(), data_.get() + count, T(0));
  }
  T* get() const { return data_.get(); }
  T& operator[](size_t i) const { return data_.get()[i]; }

private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
};

/// The real-valued model's Gram matrix and matched filter straight from one complex channel use:
/// G = H_r^T H_r (n x n, stride N; its lower triangle, all that cavity_linear reads) and z = H_r^T y_r for the
/// real model of detectors/real_model.hpp (n = 2 nt for complex symbols, nt for real BPSK), scaled by `scale`
/// (1 / s2). H: nr x nt row-major complex (SampleBatch's layout), y: nr; products and sums in float64 (exact
/// products of the float32 inputs). `work`: 2 nr padded_size(nt) values. The upper triangle is partly
/// written, partly left as it was; z's padding is zeroed.
void real_gram(const std::complex<float>* H, const std::complex<float>* y, size_t nr, size_t nt, bool real_symbols,
               double scale, double* G, double* z, double* work);

/// The linear algebra of one EP cavity for A = G + diag(lambda), G symmetric positive semidefinite (n x n,
/// stride N; only its lower triangle is read), in one left-looking pass over the columns: the Cholesky factor
/// A = L L^T and, from the same row of L, the column of U = L^{-T} and the forward substitution w = L^{-1} b,
/// which give
///   sigma = diag(A^{-1}) = row sums of U o U,   mu = A^{-1} b = U w.
/// Pivots below `floor` (rounding on a singular G) are raised to it, as linalg::cholesky does. L and U are
/// scratch (N x N each); b is overwritten; lambda, sigma, mu: n values (N allocated, b's padding zero).
/// Returns the largest pivot growth A_jj / pivot_j (1 for a diagonal A): the factorization loses about log10 of
/// it decimal digits of a pivot to cancellation.
template <class T>
T cavity_linear(const T* G, const T* lambda, T* b, size_t n, T floor, T* L, T* U, T* sigma, T* mu);

/// Moments of the tilted distributions p(x_k) ~ N(x_k; t_k, h2_k) on the alphabet `levels` (L values): mean_k,
/// and var_k floored at min_var; log-sum-exp for stability, as EpSolver does. n values each (N allocated).
void tilted_moments(const double* t, const double* h2, size_t n, const double* levels, size_t L, double min_var,
                    double* mean, double* var);

/// to[i] = float(from[i]) for `count` values.
void demote(const double* from, float* to, size_t count);

}  // namespace mimo::ep_kernels
