#include "channel/models.hpp"

namespace mimo::models {

namespace {

std::vector<double> row_major(const arma::mat& M) {
  std::vector<double> v(M.n_elem);
  for (arma::uword r = 0; r < M.n_rows; ++r)
    for (arma::uword c = 0; c < M.n_cols; ++c) v[r * M.n_cols + c] = M(r, c);
  return v;
}

// H = R_rx^(1/2) G R_tx^(1/2), G i.i.d. CN(0, 1), R_ij = rho^|i-j|.
class Kronecker final : public ChannelModel {
public:
  Kronecker(int nt, int nr, double rho_tx, double rho_rx)
      // The symmetric square roots, so R^(1/2) R^(1/2) = R exactly (not Cholesky factors); real, as R is.
      : sqrt_tx_(row_major(symmetric_sqrt(exponential_correlation(nt, rho_tx)))),
        sqrt_rx_(row_major(symmetric_sqrt(exponential_correlation(nr, rho_rx)))) {}
  void shape(std::complex<float>* H, int nr, int nt, ChannelDraws& draws) const override;

private:
  std::vector<double> sqrt_tx_, sqrt_rx_;  // symmetric square roots, row-major
};

void Kronecker::shape(std::complex<float>* H, int nr, int nt, ChannelDraws&) const {
  // H = R_rx^(1/2) G R_tx^(1/2) in double, summed in index order, rounded to float once.
  thread_local std::vector<std::complex<double>> gt;  // G R_tx^(1/2), [nr][nt]
  gt.assign(static_cast<size_t>(nr) * nt, {});
  for (int r = 0; r < nr; ++r)
    for (int t = 0; t < nt; ++t) {
      double re = 0.0, im = 0.0;
      for (int b = 0; b < nt; ++b) {
        const double w = sqrt_tx_[b * nt + t];
        re += static_cast<double>(H[r * nt + b].real()) * w;
        im += static_cast<double>(H[r * nt + b].imag()) * w;
      }
      gt[r * nt + t] = {re, im};
    }
  for (int r = 0; r < nr; ++r)
    for (int t = 0; t < nt; ++t) {
      double re = 0.0, im = 0.0;
      for (int a = 0; a < nr; ++a) {
        const double w = sqrt_rx_[r * nr + a];
        re += w * gt[a * nt + t].real();
        im += w * gt[a * nt + t].imag();
      }
      H[r * nt + t] = {static_cast<float>(re), static_cast<float>(im)};
    }
}

}  // namespace

ChannelModelInfo kronecker() {
  auto rho = [](const char* name, const char* side) {
    return ChannelParameter{name, ChannelParameter::Kind::real, "0", 0.0, 1.0, true, {},
                            std::string("Kronecker ") + side + " correlation rho, R_ij = rho^|i-j|, 0 <= rho < 1"};
  };
  return {"kronecker", "exponentially correlated antennas at both ends (Kronecker), --rho-tx and --rho-rx",
          {rho("rho_tx", "transmit"), rho("rho_rx", "receive")}, [](const ChannelConfig& c) {
            return std::make_unique<Kronecker>(c.nt, c.nr, c.real("rho_tx"), c.real("rho_rx"));
          }};
}

}  // namespace mimo::models
