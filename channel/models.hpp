#pragma once
// The concrete channel models; each is implemented in its own file.
#include "channel/channel_model.hpp"

namespace mimo {

/// i.i.d. Rayleigh fading: entries CN(0, 1).
class RayleighChannel final : public ChannelModel {
public:
  std::string name() const override { return "rayleigh"; }
  bool iid() const override { return true; }
  void shape(std::complex<float>* H, int nr, int nt, const double (&u)[2]) const override;
};

/// Kronecker correlation: H = R_rx^(1/2) G R_tx^(1/2), G i.i.d. CN(0, 1), R_ij = rho^|i-j|.
class KroneckerChannel final : public ChannelModel {
public:
  KroneckerChannel(int nt, int nr, double rho_tx, double rho_rx);
  std::string name() const override { return "kronecker"; }
  std::vector<std::pair<std::string, double>> parameters() const override {
    return {{"rho_tx", rho_tx_}, {"rho_rx", rho_rx_}};
  }
  void shape(std::complex<float>* H, int nr, int nt, const double (&u)[2]) const override;

private:
  double rho_tx_, rho_rx_;
  std::vector<double> sqrt_tx_, sqrt_rx_;  // symmetric square roots, row-major
};

/// Rician fading: H = sqrt(K/(K+1)) a_rx(theta_r) a_tx(theta_t)^H + sqrt(1/(K+1)) G, with half-wavelength
/// uniform linear arrays and angles of arrival and departure drawn uniformly in [-pi/2, pi/2) per realization
/// (from u[0] and u[1]).
class RicianChannel final : public ChannelModel {
public:
  explicit RicianChannel(double k_factor) : k_(k_factor) {}
  std::string name() const override { return "rician"; }
  std::vector<std::pair<std::string, double>> parameters() const override { return {{"k_factor", k_}}; }
  void shape(std::complex<float>* H, int nr, int nt, const double (&u)[2]) const override;

private:
  double k_;
};

}  // namespace mimo
