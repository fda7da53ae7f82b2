#pragma once
// Expectation propagation detection (Cespedes, Olmos, Sanchez-Fernandez, Perez-Cruz, "Expectation
// propagation detection for high-order high-dimensional MIMO systems", IEEE Trans. Commun. 62(8), 2014), on
// the real-valued model. The discrete prior of each real unknown is replaced by a Gaussian factor
// N(x; gamma/Lambda, 1/Lambda) whose parameters are refined by moment matching against the cavity marginals:
//   Sigma = (H^T H / s2 + diag(Lambda))^{-1},  mu = Sigma (H^T y / s2 + gamma),  s2 = N0 / 2
//   cavity: h2_i = Sigma_ii / (1 - Sigma_ii Lambda_i),  t_i = h2_i (mu_i / Sigma_ii - gamma_i)
//   moments of p(x_i) ~ N(x_i; t_i, h2_i) over the PAM alphabet give mean m_i and variance v_i (>= 5e-7)
//   Lambda_i <- beta (1/v_i - 1/h2_i) + (1 - beta) Lambda_i,  gamma_i likewise (skipped when negative).
// Options: `ep:iters=N` (default 10), `ep:beta=B` (damping, default 0.9). Decisions and max-log LLRs come from
// the final cavity marginals N(t_i, h2_i).
#include "detectors/detector.hpp"

namespace mimo {

class EpDetector final : public Detector {
public:
  EpDetector(Modulation modulation, int iterations, double beta)
      : c_(modulation), iterations_(iterations), beta_(beta) {}
  std::string name() const override;
  bool provides_llr() const override { return true; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  Constellation c_;
  int iterations_;
  double beta_;
};

}  // namespace mimo
