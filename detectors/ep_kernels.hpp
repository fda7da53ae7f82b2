#pragma once
// SIMD kernels of the fast EP path (detectors/ep_fast.hpp), written once with Google Highway and dispatched at
// run time to the best instruction set of the machine (AVX-512, AVX2, SSE4, NEON, or scalar).
//
// Layout: an n x n matrix lives column-major in an array with column stride N = padded_size(n) >= n, so that
// every column starts on a 64-byte boundary (arrays from hwy::AllocateAligned) and is a whole number of
// vectors; rows n..N-1 are padding. The kernels are deterministic: the same inputs give the same outputs
// on one machine, whatever the batch or thread. Results can differ in the last bits between instruction sets
// (the vector length changes the order of the sums).
#include <complex>
#include <cstddef>

namespace mimo::ep_kernels {

/// The column stride for an n x n system: n rounded up to a multiple of 16 (one AVX-512 vector of floats).
constexpr size_t padded_size(size_t n) { return (n + 15) / 16 * 16; }

/// The real-valued model's Gram matrix and matched filter straight from one complex channel use:
/// G = H_r^T H_r (n x n, stride N, its lower triangle: what cavity_linear reads) and z = H_r^T y_r for the real model of
/// detectors/real_model.hpp (n = 2 nt for complex symbols, nt for real BPSK), scaled by `scale` (1 / s2).
/// H: nr x nt row-major complex (SampleBatch's layout), y: nr; products and sums in float64 (exact products
/// of the float32 inputs). `work`: 2 nr padded_size(nt) values. Rows n..N-1 of G are not written; z's are zeroed.
/// The upper triangle is left partly unwritten: set it once (to zeros) so that it holds finite values.
void real_gram(const std::complex<float>* H, const std::complex<float>* y, size_t nr, size_t nt, bool real_symbols,
               double scale, double* G, double* z, double* work);

/// The linear algebra of one EP cavity for A = G + diag(lambda), G symmetric positive semidefinite (n x n,
/// stride N; only its lower triangle is used), in one pass over the columns (left-looking): the Cholesky factor A = L L^T and,
/// alongside it, U = L^{-T} (upper triangular, column j from the same row j of L), from which
///   sigma = diag(A^{-1}) = row sums of U o U,   mu = A^{-1} b = U (U^T b).
/// Pivots below `floor` (rounding on a singular G) are raised to it, as linalg::cholesky does. L and U are
/// scratch (N x N each); b, lambda, sigma, mu: n values (N allocated). Pivot statistic: returns the largest
/// A_jj / pivot_j, the growth of the factorization (1 for a diagonal A; float rounding loses about
/// log2 of it bits of the pivots).
template <class T>
T cavity_linear(const T* G, const T* lambda, const T* b, size_t n, T floor, T* L, T* U, T* sigma, T* mu);

/// Moments of the tilted distributions p(x_k) ~ N(x_k; t_k, h2_k) on the alphabet `levels` (L values): mean_k,
/// and var_k floored at min_var; log-sum-exp for stability, as EpSolver does. n values each (N allocated).
void tilted_moments(const double* t, const double* h2, size_t n, const double* levels, size_t L, double min_var,
                    double* mean, double* var);

/// to[i] = float(from[i]) for count values (aligned arrays).
void demote(const double* from, float* to, size_t count);

}  // namespace mimo::ep_kernels
