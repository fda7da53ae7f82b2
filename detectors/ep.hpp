#pragma once
// Expectation propagation detection (Cespedes, Olmos, Sanchez-Fernandez, Perez-Cruz, "Expectation
// propagation detection for high-order high-dimensional MIMO systems", IEEE Trans. Commun. 62(8), 2014), on
// the real-valued model. The discrete prior of each real unknown is replaced by a Gaussian factor
// N(x; gamma/Lambda, 1/Lambda) whose parameters are refined by moment matching against the cavity marginals:
//   Sigma = (H^T H / s2 + diag(Lambda))^{-1},  mu = Sigma (H^T y / s2 + gamma),  s2 = N0 / 2
//   cavity: h2_i = Sigma_ii / (1 - Sigma_ii Lambda_i),  t_i = h2_i (mu_i / Sigma_ii - gamma_i)
//   moments of p(x_i) ~ N(x_i; t_i, h2_i) over the PAM alphabet give mean m_i and variance v_i (floored, below)
//   Lambda_i <- beta (1/v_i - 1/h2_i) + (1 - beta) Lambda_i,  gamma_i likewise (skipped when negative).
// Options: `ep:iters=N` (default 10), `ep:beta=B` (default 0.2, the paper's value: the weight of the new
// moment-matched factor; 1 means no damping). Light damping converges to worse fixed points: on 20000 i.i.d.
// Rayleigh channel uses, 16x16 QAM16 at 25 dB gave BER 4.0e-4 with beta = 0.2 against 1.1e-3 with beta = 0.9,
// and 8x8 QPSK at 15 dB 2.3e-4 against 5.2e-4; 20 or 40 iterations at beta = 0.2 changed neither by more than
// 1.5%, so 10 suffice.
// Decisions and max-log LLRs come from the final cavity marginals N(t_i, h2_i): with the uniform discrete prior,
// the per-symbol posterior is P(x_i = a) ~ exp(-(t_i - a)^2 / (2 h2_i)).
//
// Scales: no floor is absolute. At high SNR the cavity variances are of the order of the noise variance (5e-13
// per dimension with N0 at its 1e-12 floor); an absolute floor of 1e-12 on h2_i once scaled t_i up with it
// (4x4 QAM16: BER 0.09 from 140 dB up, confidently wrong LLRs). h2_i >= Sigma_ii holds exactly, so h2_i needs
// no floor; the tilted variance v_i is floored relative to the alphabet's energy per real dimension Es_dim, at
// 1e-6 Es_dim (the paper's 5e-7 for unit-energy QAM, Es_dim = 0.5), which stops updating factors of unknowns
// already pinned by the likelihood: a floor relative to h2_i instead (factors up to 10^2..10^4 times sharper
// than their cavity) was tried and raised BER by 40-50% at 50-60 dB on a correlated 8x8 QAM64 channel.
//
// Degenerate input: N0 <= 0 or NaN is floored at 1e-12 (demap.hpp). A singular H is harmless: the
// system matrix H^T H / s2 + diag(Lambda) stays positive definite because every Lambda_i stays positive (a
// negative or non-finite factor update is skipped), and its Cholesky pivots are floored at the least Lambda_i,
// which bounds them from below in exact arithmetic. A cavity whose precision vanishes against rounding
// (1 - Sigma_ii Lambda_i <= 1e-12) is taken as uninformative: variance 1e12 Es_dim, mean the posterior mean;
// so even NaN input yields a valid symbol index and finite LLRs.
//
// Precision: EpDetector runs these iterations on EpFast (detectors/ep_fast.hpp), SIMD kernels with the same rules:
// the Gram matrix, the per-unknown updates and the final cavity (the decisions and LLRs) in float64, the
// iterations' matrix work in float32, and float64 throughout for a channel use whose float32 pivots lose too many
// digits (pivot growth above 300: ill-conditioned channels at high SNR, singular H) or any non-finite value;
// `ep:precision=64` runs float64 throughout, which matches EpSolver to rounding. EpSolver below is the float64
// reference (and the transformer's EP start). Against it, on i.i.d. Rayleigh channels (8x8 QPSK 15 dB, 16x16 QAM16
// 25 dB, 32x64 QAM16 10/20/30 dB, 8x8 QAM64 40/60/100 dB, 8x8 QAM256 45 dB, 4x4 QAM16 300 dB; 2000-20000 uses
// each), precision 32 makes the same decisions and bit errors, with LLRs within 1e-4 relative (|dL| / max(|L|, 1))
// for 99.9% of the bits and at most 2.4e-2 off (16x16 QAM16; at 32x64 within 2e-6 and 7e-6). That is about what the
// reference itself moves when H is perturbed by 1e-5 relative (16x16 QAM16: 1.2e-4 and 1.3e-2). Where EP's fixed
// point is that sensitive, a use can settle elsewhere: on a correlated 16x16 QAM64 channel at 35 dB (rho 0.5), 2 of
// 48000 symbols differ (bit errors 536 against 538), against 1 and 16 when H is perturbed by 1e-6 and 1e-5. On 8x8
// QAM64 at 50 dB with rho 0.7, 16% of the uses run in float64 and every decision agrees.
#include "detectors/detector.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace mimo {

/// EP's message passing on one real system, given its Gram matrix G = H^T H and matched filter H^T y: after
/// the iterations, the cavity marginals N(t_i, h2_i) and the moments (mean_i, var_i) of the discrete posterior
/// they induce. Reused across systems of one size (it keeps its work space); also the start of the
/// transformer detector.
class EpSolver {
public:
  /// `levels`: the PAM alphabet of every real unknown; es_dim: its energy (the initial prior precision's inverse).
  EpSolver(std::vector<double> levels, double es_dim, int iterations, double beta);
  /// G: n x n (column-major, symmetric), Hty: n, s2: noise variance per real dimension.
  void solve(const double* G, const double* Hty, size_t n, double s2);
  const std::vector<double>& t() const { return t_; }
  const std::vector<double>& h2() const { return h2_; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& var() const { return var_; }

  /// Relative to the alphabet's energy per real dimension es_dim: the least tilted variance, and the variance of
  /// an uninformative cavity. kVanishedCavity: 1 - Sigma_ii Lambda_i at or below it is rounding.
  static constexpr double kMinRelativeVariance = 1e-6;
  static constexpr double kUninformativeRelativeVariance = 1e12;
  static constexpr double kVanishedCavity = 1e-12;

  // The per-unknown rules, shared with the SIMD path (ep_fast.hpp) so that both apply exactly these.
  /// Cavity marginal N(t, h2) of an unknown from Sigma_ii, mu_i and its factor (lambda, gamma); `uninformative`:
  /// the variance of a cavity whose precision vanished (see "Scales" and "Degenerate input" above).
  static void cavity_marginal(double sigma, double mu, double lambda, double gamma, double uninformative, double& t,
                              double& h2) {
    const double denom = 1.0 - sigma * lambda;  // 1 - Sigma_ii Lambda_i = Sigma_ii / h2_i, in (0, 1] exactly
    if (denom > kVanishedCavity && sigma > 0) {
      h2 = std::min(sigma / denom, uninformative);
      t = (mu - sigma * gamma) / denom;
    } else {  // the factor alone makes the marginal (or the input was NaN): the likelihood says nothing
      h2 = uninformative;
      t = std::isfinite(mu) ? mu : 0.0;
    }
  }
  /// Damped update of an unknown's factor from its cavity (t, h2) and tilted moments (mean, var); skipped when
  /// the new precision is not positive or a value not finite, which keeps every lambda positive.
  static void update_factor(double t, double h2, double mean, double var, double beta, double& lambda,
                            double& gamma) {
    const double new_lambda = 1.0 / var - 1.0 / h2;
    const double new_gamma = mean / var - t / h2;
    if (new_lambda > 0 && std::isfinite(new_lambda) && std::isfinite(new_gamma)) {
      lambda = beta * new_lambda + (1 - beta) * lambda;
      gamma = beta * new_gamma + (1 - beta) * gamma;
    }
  }

private:
  void cavity(const double* G, const double* Hty, size_t n, double s2);
  void moments(size_t n);

  std::vector<double> levels_;
  double es_dim_;
  int iterations_;
  double beta_;
  double min_variance_, uninformative_;
  std::vector<double> A_, mu_, sigma_, work_, lambda_, gamma_, t_, h2_, mean_, var_, w_;
};

class EpDetector final : public Detector {
public:
  static constexpr int kDefaultIterations = 10;
  static constexpr double kDefaultBeta = 0.2;

  /// precision: 32 (float32 iterations, float64 where they cannot be trusted) or 64 (float64 throughout).
  EpDetector(Modulation modulation, int iterations = kDefaultIterations, double beta = kDefaultBeta,
             int precision = 32);
  /// "ep", plus the options that differ from the defaults ("ep:iters=20,beta=0.5", "ep:precision=64").
  std::string name() const override;
  bool provides_llr() const override { return true; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  int iterations_;
  double beta_;
  int precision_;
};

}  // namespace mimo
