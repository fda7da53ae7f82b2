#include "detectors/ep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "detectors/demap.hpp"
#include "detectors/ep_fast.hpp"
#include "detectors/small_linalg.hpp"

namespace mimo {

EpDetector::EpDetector(Modulation modulation, int iterations, double beta, int precision)
    : Detector(modulation), iterations_(iterations), beta_(beta), precision_(precision) {
  if (precision != 32 && precision != 64)
    throw std::invalid_argument("precision must be 32 or 64 (precision = " + std::to_string(precision) + ")");
}

std::string EpDetector::name() const {
  std::string name = "ep";
  char sep = ':';
  if (iterations_ != kDefaultIterations) {
    name += sep;
    name += "iters=" + std::to_string(iterations_);
    sep = ',';
  }
  if (beta_ != kDefaultBeta) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "beta=%g", beta_);
    name += sep;
    name += buf;
    sep = ',';
  }
  if (precision_ != 32) {
    name += sep;
    name += "precision=64";
  }
  return name;
}

EpSolver::EpSolver(std::vector<double> levels, double es_dim, int iterations, double beta)
    : levels_(std::move(levels)),
      es_dim_(es_dim),
      iterations_(iterations),
      beta_(beta),
      min_variance_(kMinRelativeVariance * es_dim),
      uninformative_(kUninformativeRelativeVariance * es_dim),
      w_(levels_.size()) {}

// Cavity marginals from the current Gaussian factors (no absolute floors: see the header's "Scales").
void EpSolver::cavity(const double* G, const double* Hty, size_t n, double s2) {
  for (size_t k = 0; k < n * n; ++k) A_[k] = G[k] / s2;
  double least = lambda_[0];
  for (size_t k = 0; k < n; ++k) {
    A_[k + k * n] += lambda_[k];
    least = std::min(least, lambda_[k]);
  }
  // A = G / s2 + diag(Lambda) with G positive semidefinite: every Cholesky pivot is at least the least Lambda_i,
  // so a smaller one is rounding.
  linalg::cholesky(A_.data(), n, least);
  for (size_t k = 0; k < n; ++k) mu_[k] = Hty[k] / s2 + gamma_[k];
  linalg::cholesky_solve(A_.data(), n, mu_.data());
  linalg::inverse_diagonal(A_.data(), n, sigma_.data(), work_.data());
  for (size_t k = 0; k < n; ++k) cavity_marginal(sigma_[k], mu_[k], lambda_[k], gamma_[k], uninformative_, t_[k], h2_[k]);
}

// Moments of the tilted distributions over the alphabet (log-sum-exp for stability).
void EpSolver::moments(size_t n) {
  const size_t L = levels_.size();
  for (size_t k = 0; k < n; ++k) {
    double top = -INFINITY;
    for (size_t l = 0; l < L; ++l)
      top = std::max(top, w_[l] = -(t_[k] - levels_[l]) * (t_[k] - levels_[l]) / (2 * h2_[k]));
    double z = 0, mean = 0, second = 0;
    for (size_t l = 0; l < L; ++l) {
      const double p = std::exp(w_[l] - top);
      z += p;
      mean += p * levels_[l];
      second += p * levels_[l] * levels_[l];
    }
    mean_[k] = mean / z;
    var_[k] = std::max(second / z - mean_[k] * mean_[k], min_variance_);
  }
}

void EpSolver::solve(const double* G, const double* Hty, size_t n, double s2) {
  for (auto* v : {&mu_, &sigma_, &work_, &lambda_, &gamma_, &t_, &h2_, &mean_, &var_}) v->resize(n);
  A_.resize(n * n);
  std::fill(lambda_.begin(), lambda_.end(), 1.0 / es_dim_);
  std::fill(gamma_.begin(), gamma_.end(), 0.0);
  for (int it = 0; it < iterations_; ++it) {
    cavity(G, Hty, n, s2);
    moments(n);
    for (size_t k = 0; k < n; ++k) update_factor(t_[k], h2_[k], mean_[k], var_[k], beta_, lambda_[k], gamma_[k]);
  }
  cavity(G, Hty, n, s2);
  moments(n);
}

void EpDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  const Constellation& c = constellation();
  const size_t nt = b.nt, m = b.m;
  EpFast ep(c, iterations_, beta_, precision_);
  for (size_t i = begin; i < end; ++i) {
    ep.solve(b, i, 0.5 * usable_noise_var(b.noise_var[i]));
    const double *t = ep.t(), *h2 = ep.h2();
    for (size_t u = 0; u < nt; ++u) {
      out.symbols[i * nt + u] = c.hard_index({t[u], c.is_real() ? 0.0 : t[nt + u]});
      double llr[8];
      if (c.is_real())
        c.llr_maxlog(t[u], h2[u], 0.0, 1.0, llr);
      else
        c.llr_maxlog(t[u], h2[u], t[nt + u], h2[nt + u], llr);
      for (size_t j = 0; j < m; ++j) out.llr[(i * nt + u) * m + j] = static_cast<float>(llr[j]);
    }
  }
}

}  // namespace mimo
