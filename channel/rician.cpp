#include <cmath>
#include <numbers>

#include "channel/models.hpp"

namespace mimo {

void RicianChannel::sample(Rng& rng, arma::cx_mat& H) const {
  fill_complex_normal(rng, H);
  const double pi = std::numbers::pi;
  const double theta_r = rng.uniform(-pi / 2, pi / 2);
  const double theta_t = rng.uniform(-pi / 2, pi / 2);
  const double los = std::sqrt(k_ / (k_ + 1.0)), nlos = std::sqrt(1.0 / (k_ + 1.0));
  for (arma::uword t = 0; t < H.n_cols; ++t)
    for (arma::uword r = 0; r < H.n_rows; ++r) {
      // a_rx(theta_r)[r] * conj(a_tx(theta_t)[t]): unit modulus, so E|h|^2 = K/(K+1) + 1/(K+1) = 1.
      const double phase = pi * (static_cast<double>(r) * std::sin(theta_r) - static_cast<double>(t) * std::sin(theta_t));
      H(r, t) = nlos * H(r, t) + los * std::polar(1.0, phase);
    }
}

}  // namespace mimo
