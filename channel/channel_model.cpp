#include "channel/channel_model.hpp"

#include <cmath>
#include <stdexcept>

#include "channel/models.hpp"

namespace mimo {

void validate(const ChannelConfig& c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (c.nt < 1 || c.nt > 1024) fail("nt must be in [1, 1024] (nt = " + std::to_string(c.nt) + ")");
  if (c.nr < 1 || c.nr > 1024) fail("nr must be in [1, 1024] (nr = " + std::to_string(c.nr) + ")");
  if (!(c.rho_tx >= 0.0 && c.rho_tx < 1.0)) fail("rho-tx must be in [0, 1) (rho-tx = " + std::to_string(c.rho_tx) + ")");
  if (!(c.rho_rx >= 0.0 && c.rho_rx < 1.0)) fail("rho-rx must be in [0, 1) (rho-rx = " + std::to_string(c.rho_rx) + ")");
  if (!(c.k_factor >= 0.0 && std::isfinite(c.k_factor)))
    fail("k-factor must be finite and >= 0 (k-factor = " + std::to_string(c.k_factor) + ")");
  if (!(c.csi_error_var >= 0.0 && std::isfinite(c.csi_error_var)))
    fail("csi-error-var must be finite and >= 0 (csi-error-var = " + std::to_string(c.csi_error_var) + ")");
  bool known = false;
  for (const auto& n : channel_model_names()) known = known || n == c.model;
  if (!known) fail("unknown channel model '" + c.model + "' (expected rayleigh, kronecker or rician)");
}

std::vector<std::string> channel_model_names() { return {"rayleigh", "kronecker", "rician"}; }

std::unique_ptr<ChannelModel> make_channel_model(const ChannelConfig& c) {
  validate(c);
  if (c.model == "rayleigh") return std::make_unique<RayleighChannel>();
  if (c.model == "kronecker") return std::make_unique<KroneckerChannel>(c.nt, c.nr, c.rho_tx, c.rho_rx);
  if (c.model == "rician") return std::make_unique<RicianChannel>(c.k_factor);
  throw std::invalid_argument("unknown channel model '" + c.model + "'");
}

arma::mat exponential_correlation(int n, double rho) {
  arma::mat R(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) R(i, j) = std::pow(rho, std::abs(i - j));
  return R;
}

arma::mat symmetric_sqrt(const arma::mat& R) {
  if (R.n_rows != R.n_cols) throw std::invalid_argument("symmetric_sqrt needs a square matrix");
  const arma::uword n = R.n_rows;
  arma::mat A = R, V(n, n, arma::fill::eye);
  // Cyclic Jacobi: rotations J with A <- J^T A J zero one off-diagonal pair each, until A is diagonal to within
  // rounding; then R = V diag(A) V^T. Element access, no BLAS: every operation is a correctly rounded one.
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (arma::uword q = 0; q < n; ++q) {
      diag += A(q, q) * A(q, q);
      for (arma::uword p = 0; p < q; ++p) off += A(p, q) * A(p, q);
    }
    if (!(off > 1e-34 * diag)) break;
    for (arma::uword p = 0; p + 1 < n; ++p)
      for (arma::uword q = p + 1; q < n; ++q) {
        const double apq = A(p, q);
        if (apq == 0.0) continue;
        // t = tan of the rotation angle, the smaller root of t^2 + 2 theta t - 1 = 0.
        const double theta = (A(q, q) - A(p, p)) / (2.0 * apq);
        const double t = (theta < 0 ? -1.0 : 1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (arma::uword k = 0; k < n; ++k) {
          const double akp = A(k, p), akq = A(k, q);
          A(k, p) = c * akp - s * akq;
          A(k, q) = s * akp + c * akq;
        }
        for (arma::uword k = 0; k < n; ++k) {
          const double apk = A(p, k), aqk = A(q, k);
          A(p, k) = c * apk - s * aqk;
          A(q, k) = s * apk + c * aqk;
        }
        for (arma::uword k = 0; k < n; ++k) {
          const double vkp = V(k, p), vkq = V(k, q);
          V(k, p) = c * vkp - s * vkq;
          V(k, q) = s * vkp + c * vkq;
        }
      }
  }
  arma::vec root(n);
  for (arma::uword k = 0; k < n; ++k) root(k) = A(k, k) > 0.0 ? std::sqrt(A(k, k)) : 0.0;
  arma::mat S(n, n);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword j = 0; j < n; ++j) {
      double acc = 0.0;
      for (arma::uword k = 0; k < n; ++k) acc += V(i, k) * root(k) * V(j, k);
      S(i, j) = acc;
    }
  return S;
}

}  // namespace mimo
