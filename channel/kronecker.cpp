#include "channel/models.hpp"

namespace mimo {

KroneckerChannel::KroneckerChannel(int nt, int nr, double rho_tx, double rho_rx)
    : rho_tx_(rho_tx), rho_rx_(rho_rx) {
  // sqrtmat_sympd gives the symmetric square root, so R^(1/2) R^(1/2) = R exactly (not a Cholesky factor).
  sqrt_tx_ = arma::conv_to<arma::cx_mat>::from(arma::sqrtmat_sympd(exponential_correlation(nt, rho_tx)));
  sqrt_rx_ = arma::conv_to<arma::cx_mat>::from(arma::sqrtmat_sympd(exponential_correlation(nr, rho_rx)));
}

void KroneckerChannel::sample(Rng& rng, arma::cx_mat& H) const {
  arma::cx_mat G(H.n_rows, H.n_cols);
  fill_complex_normal(rng, G);
  H = sqrt_rx_ * G * sqrt_tx_;
}

}  // namespace mimo
