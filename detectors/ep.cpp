#include "detectors/ep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "detectors/linear.hpp"
#include "detectors/real_model.hpp"
#include "detectors/small_linalg.hpp"

namespace mimo {

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
  }
  return name;
}

void EpDetector::check(const SampleBatch& b) const {
  Detector::check(b);
  require_modulation(b, c_);
}

void EpDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  RealSystem sys;
  sys.shape(b, c_);
  const size_t n = sys.cols, rows = sys.rows, nt = b.nt, m = b.m;
  const auto& levels = c_.pam_levels();
  const size_t L = levels.size();
  const double es_dim = c_.is_real() ? 1.0 : 0.5;  // energy per real unknown
  const double min_var = 5e-7;
  std::vector<double> G0(n * n), A(n * n), Hty(n), mu(n), sigma(n), work(n), lambda(n), gamma(n), t(n), h2(n), w(L);

  // Cavity marginals from the current Gaussian factors.
  auto cavity = [&](double s2) {
    for (size_t k = 0; k < n * n; ++k) A[k] = G0[k] / s2;
    for (size_t k = 0; k < n; ++k) A[k + k * n] += lambda[k];
    linalg::cholesky(A.data(), n, 1e-300);
    for (size_t k = 0; k < n; ++k) mu[k] = Hty[k] / s2 + gamma[k];
    linalg::cholesky_solve(A.data(), n, mu.data());
    linalg::inverse_diagonal(A.data(), n, sigma.data(), work.data());
    for (size_t k = 0; k < n; ++k) {
      const double denom = 1.0 - sigma[k] * lambda[k];
      h2[k] = denom > 1e-12 ? sigma[k] / denom : 1e12;  // numerically vanished cavity: uninformative
      if (!(h2[k] > 1e-12)) h2[k] = 1e-12;
      t[k] = h2[k] * (mu[k] / sigma[k] - gamma[k]);
    }
  };

  for (size_t i = begin; i < end; ++i) {
    sys.load(b, i);
    const double s2 = 0.5 * usable_noise_var(b.noise_var[i]);
    linalg::gram(sys.H.data(), rows, n, 0.0, G0.data());
    linalg::matched_filter(sys.H.data(), rows, n, sys.y.data(), Hty.data());
    std::fill(lambda.begin(), lambda.end(), 1.0 / es_dim);
    std::fill(gamma.begin(), gamma.end(), 0.0);
    for (int it = 0; it < iterations_; ++it) {
      cavity(s2);
      for (size_t k = 0; k < n; ++k) {
        // Moments of the tilted distribution over the alphabet (log-sum-exp for stability).
        double top = -INFINITY;
        for (size_t l = 0; l < L; ++l) top = std::max(top, w[l] = -(t[k] - levels[l]) * (t[k] - levels[l]) / (2 * h2[k]));
        double z = 0, mean = 0, second = 0;
        for (size_t l = 0; l < L; ++l) {
          const double p = std::exp(w[l] - top);
          z += p;
          mean += p * levels[l];
          second += p * levels[l] * levels[l];
        }
        mean /= z;
        const double var = std::max(second / z - mean * mean, min_var);
        const double new_lambda = 1.0 / var - 1.0 / h2[k];
        const double new_gamma = mean / var - t[k] / h2[k];
        if (new_lambda > 0 && std::isfinite(new_lambda) && std::isfinite(new_gamma)) {
          lambda[k] = beta_ * new_lambda + (1 - beta_) * lambda[k];
          gamma[k] = beta_ * new_gamma + (1 - beta_) * gamma[k];
        }
      }
    }
    cavity(s2);
    for (size_t u = 0; u < nt; ++u) {
      out.symbols[i * nt + u] = c_.hard_index({t[u], c_.is_real() ? 0.0 : t[nt + u]});
      double llr[8];
      if (c_.is_real())
        c_.llr_maxlog(t[u], h2[u], 0.0, 1.0, llr);
      else
        c_.llr_maxlog(t[u], h2[u], t[nt + u], h2[nt + u], llr);
      for (size_t j = 0; j < m; ++j) out.llr[(i * nt + u) * m + j] = static_cast<float>(llr[j]);
    }
  }
}

}  // namespace mimo
