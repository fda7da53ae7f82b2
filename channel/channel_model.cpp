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

void fill_complex_normal(Rng& rng, arma::cx_mat& H) {
  for (arma::uword k = 0; k < H.n_elem; ++k) H[k] = rng.complex_normal(1.0);
}

}  // namespace mimo
