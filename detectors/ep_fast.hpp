#pragma once
// The EP iterations of EpSolver (detectors/ep.hpp: same updates, floors and degenerate-input rules) for one
// channel use straight from a SampleBatch, on the SIMD kernels of detectors/ep_kernels.hpp: the Gram matrix
// once per use, then per iteration one fused pass for the Cholesky factor, L^{-T}, diag(Sigma) and mu.
// EpDetector runs on it; EpSolver stays the float64 reference (and the transformer's EP start).
//
// Arithmetic (mixed, the default): G = H^T H / s2 and H^T y / s2 in float64; the iterations' matrix kernels
// in float32 (half the memory traffic and twice the lanes of float64), the per-unknown updates and moments in
// float64; the final cavity, which the decisions and LLRs come from, in float64 again. The float32
// factorization loses about log2(A_jj / pivot_j) bits of a pivot to cancellation; where that pivot growth
// exceeds kMaxFloatGrowth (fewer than about 4 correct digits: ill-conditioned channels at high SNR), the
// channel use is solved again in float64 throughout. Measured against EpSolver (see ep.hpp for the numbers).
#include <cstddef>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "hwy/aligned_allocator.h"

namespace mimo {

class EpFast {
public:
  enum class Arithmetic { mixed, float64 };
  static constexpr double kMaxFloatGrowth = 1e3;

  EpFast(const Constellation& c, int iterations, double beta, Arithmetic arithmetic = Arithmetic::mixed);
  /// EP on channel use i of b (H_est when the batch carries it); s2: noise variance per real dimension.
  void solve(const SampleBatch& b, size_t i, double s2);
  /// The final cavity marginals N(t_k, h2_k) of the n real unknowns, ordered as in RealSystem.
  const double* t() const { return t_.get(); }
  const double* h2() const { return h2_.get(); }
  /// Whether the last solve iterated in float64 (by choice or after too much pivot growth in float32).
  bool iterated_in_float64() const { return float64_; }

private:
  // Matrix work space of one precision; matrices N x N with N = padded n.
  template <class T>
  struct Space {
    hwy::AlignedFreeUniquePtr<T[]> G, z, L, U, b, lambda, sigma, mu;  // G, z: H^T H / s2, H^T y / s2
    size_t n = 0;
    void shape(size_t unknowns);
  };
  template <class T>
  double iterate(Space<T>& s);  // returns the largest pivot growth
  template <class T>
  double cavity(Space<T>& s);

  std::vector<double> levels_;
  bool real_symbols_;
  double es_dim_, min_variance_, uninformative_;
  int iterations_;
  double beta_;
  Arithmetic arithmetic_;
  bool float64_ = false;
  size_t n_ = 0, nr_ = 0;
  Space<float> single_;
  Space<double> double_;
  hwy::AlignedFreeUniquePtr<double[]> gram_work_;
  // Per unknown, float64: the factors (lambda, gamma), the cavity (t, h2) and the tilted moments (mean, var).
  hwy::AlignedFreeUniquePtr<double[]> lambda_, gamma_, t_, h2_, mean_, var_;
};

}  // namespace mimo
