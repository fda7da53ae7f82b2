#include "detectors/ep_fast.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "detectors/ep.hpp"

namespace mimo {

using ep_kernels::padded_size;

EpFast::EpFast(const Constellation& c, int iterations, double beta, int precision)
    : levels_(c.pam_levels()),
      real_symbols_(c.is_real()),
      es_dim_(c.is_real() ? 1.0 : 0.5),  // energy per real unknown
      min_variance_(EpSolver::kMinRelativeVariance * es_dim_),
      uninformative_(EpSolver::kUninformativeRelativeVariance * es_dim_),
      iterations_(iterations),
      beta_(beta),
      precision_(precision) {
  if (precision != 32 && precision != 64)
    throw std::invalid_argument("precision must be 32 or 64 (precision = " + std::to_string(precision) + ")");
}

template <class T>
void EpFast::Space<T>::shape(size_t n) {
  const size_t N = padded_size(n);
  for (auto* a : {&G, &L, &U}) a->reset(N * N);  // zeros: padding rows, and G's upper triangle finite
  for (auto* a : {&z, &b, &lambda, &sigma, &mu}) a->reset(N);
}

// Cavity marginals from the current factors, as EpSolver::cavity (see ep.hpp, "Scales" and "Degenerate input").
template <class T>
double EpFast::cavity(Space<T>& s) {
  const size_t n = n_;
  double least = lambda_[0];
  for (size_t k = 0; k < n; ++k) {
    s.lambda[k] = static_cast<T>(lambda_[k]);
    s.b[k] = static_cast<T>(s.z[k] + gamma_[k]);
    least = std::min(least, lambda_[k]);
  }
  // Every pivot of G / s2 + diag(Lambda) is at least the least Lambda_i: a smaller one is rounding.
  double growth = ep_kernels::cavity_linear<T>(s.G.get(), s.lambda.get(), s.b.get(), n, static_cast<T>(least),
                                               s.L.get(), s.U.get(), s.sigma.get(), s.mu.get());
  for (size_t k = 0; k < n; ++k) {
    const double sigma = s.sigma[k], mu = s.mu[k];
    if (!std::isfinite(sigma) || !std::isfinite(mu)) growth = std::numeric_limits<double>::infinity();
    EpSolver::cavity_marginal(sigma, mu, lambda_[k], gamma_[k], uninformative_, t_[k], h2_[k]);
  }
  return growth;
}

template <class T>
double EpFast::iterate(Space<T>& s) {
  std::fill(lambda_.get(), lambda_.get() + n_, 1.0 / es_dim_);
  std::fill(gamma_.get(), gamma_.get() + n_, 0.0);
  double growth = 1;
  for (int it = 0; it < iterations_; ++it) {
    growth = std::max(growth, cavity(s));
    ep_kernels::tilted_moments(t_.get(), h2_.get(), n_, levels_.data(), levels_.size(), min_variance_, mean_.get(),
                               var_.get());
    for (size_t k = 0; k < n_; ++k)
      EpSolver::update_factor(t_[k], h2_[k], mean_[k], var_[k], beta_, lambda_[k], gamma_[k]);
  }
  return growth;
}

void EpFast::solve(const SampleBatch& b, size_t i, double s2) {
  const size_t nr = b.nr, nt = b.nt, n = real_symbols_ ? nt : 2 * nt, N = padded_size(n);
  if (n != n_) {
    n_ = n;
    for (auto* a : {&lambda_, &gamma_, &t_, &h2_, &mean_, &var_}) a->reset(N);
    std::fill(h2_.get() + n, h2_.get() + N, 1.0);  // the moments kernel reads whole vectors
    double_.shape(n);
    if (precision_ == 32) single_.shape(n);
  }
  if (nr != nr_ || nt != gram_nt_) {  // its size depends on both
    nr_ = nr;
    gram_nt_ = nt;
    gram_work_.reset(2 * nr * padded_size(nt));
  }
  const auto* H = (b.has_h_est() ? b.H_est.data() : b.H.data()) + i * nr * nt;
  ep_kernels::real_gram(H, b.y.data() + i * nr, nr, nt, real_symbols_, 1.0 / s2, double_.G.get(), double_.z.get(),
                        gram_work_.get());
  float64_ = true;
  if (precision_ == 32) {
    ep_kernels::demote(double_.G.get(), single_.G.get(), N * N);
    ep_kernels::demote(double_.z.get(), single_.z.get(), N);
    float64_ = !(iterate(single_) <= kMaxFloatGrowth);
  }
  if (float64_) iterate(double_);
  cavity(double_);
}

}  // namespace mimo
