#pragma once
// EpSolver's iterations (detectors/ep.hpp: the same updates, floors and degenerate-input rules) for one channel
// use straight from a SampleBatch, on the SIMD kernels of detectors/ep_kernels.hpp: the Gram matrix once per
// use, then per iteration one fused pass for the Cholesky factor, L^{-T}, diag(Sigma) and mu. EpDetector runs
// on it; EpSolver stays the float64 reference (and the transformer's EP start).
//
// Precision 32 (the default): the Gram matrix, the per-unknown updates and moments, and the final cavity (the
// decisions and LLRs) in float64; the iterations' matrix work in float32 (twice the lanes of float64). A
// float32 factorization loses about log10(A_jj / pivot_j) of its 7 decimal digits of a pivot to cancellation:
// where that pivot growth exceeds kMaxFloatGrowth (ill-conditioned channels at high SNR, singular H), or a
// float32 result is not finite, the channel use is solved again in float64 throughout. 1e3 left one use in 3000
// of 8x8 QAM256 at 45 dB with LLRs 0.7 relative off the reference; 300 brings the worst to 7e-6 and solves 3%
// of those uses in float64 (none at 32x64). The float64 final cavity absorbs the rest of the float32 rounding,
// so the threshold sits higher than the linear detectors' (kRedoPivotRatio = 1e-2: their float32 results are
// final). Precision 64: float64 throughout. Accuracy against EpSolver: ep.hpp.
#include <cstddef>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "detectors/ep_kernels.hpp"

namespace mimo {

class EpFast {
public:
  static constexpr double kMaxFloatGrowth = 300;

  /// precision: 32 or 64 (see above).
  EpFast(const Constellation& c, int iterations, double beta, int precision = 32);
  /// EP on channel use i of b (H_est when the batch carries it); s2: noise variance per real dimension.
  void solve(const SampleBatch& b, size_t i, double s2);
  /// The final cavity marginals N(t_k, h2_k) of the n real unknowns, ordered as in RealSystem.
  const double* t() const { return t_.get(); }
  const double* h2() const { return h2_.get(); }
  /// Whether the last solve iterated in float64 (precision 64, or a use float32 could not be trusted with).
  bool iterated_in_float64() const { return float64_; }

private:
  // Matrix work space of one precision; matrices N x N with N = padded n.
  template <class T>
  struct Space {
    ep_kernels::AlignedArray<T> G, z, L, U, b, lambda, sigma, mu;  // G, z: H^T H / s2, H^T y / s2
    void shape(size_t n);
  };
  template <class T>
  double iterate(Space<T>& s);  // the iterations before the final cavity; returns the largest pivot growth
  template <class T>
  double cavity(Space<T>& s);  // returns the pivot growth, infinite if a result is not finite

  std::vector<double> levels_;
  bool real_symbols_;
  double es_dim_, min_variance_, uninformative_;
  int iterations_;
  double beta_;
  int precision_;
  bool float64_ = false;
  size_t n_ = 0, nr_ = 0, gram_nt_ = 0;
  Space<float> single_;
  Space<double> double_;
  ep_kernels::AlignedArray<double> gram_work_;
  // Per unknown, float64: the factors (lambda, gamma), the cavity (t, h2) and the tilted moments (mean, var).
  ep_kernels::AlignedArray<double> lambda_, gamma_, t_, h2_, mean_, var_;
};

}  // namespace mimo
