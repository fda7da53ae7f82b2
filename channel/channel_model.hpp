#pragma once
// Channel models: how H (Nr x Nt, E|h_ij|^2 = 1) is drawn. Applying the channel (y = Hx + n) is the
// generator's job, so every model is only a sampler. A new model is one new file implementing ChannelModel,
// plus its line in make_channel_model (channel_model.cpp).
#include <armadillo>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "channel/random.hpp"

namespace mimo {

struct ChannelConfig {
  std::string model = "rayleigh";  // rayleigh | kronecker | rician
  int nt = 4;
  int nr = 4;
  double rho_tx = 0.0;             // kronecker: exponential correlation at the transmitter, 0 <= rho < 1
  double rho_rx = 0.0;             // kronecker: likewise at the receiver
  double k_factor = 0.0;           // rician: K (linear), power ratio of line of sight to scattered
  double csi_error_var = 0.0;      // imperfect CSI: H_est = H + E, E ~ CN(0, csi_error_var)
};

/// Checks ranges and names; throws std::invalid_argument naming the offending value.
void validate(const ChannelConfig& c);

class ChannelModel {
public:
  virtual ~ChannelModel() = default;
  virtual std::string name() const = 0;
  /// The model's parameters as (name, value), recorded with every data set.
  virtual std::vector<std::pair<std::string, double>> parameters() const { return {}; }
  /// Draws one realization into H, which the caller has sized Nr x Nt.
  virtual void sample(Rng& rng, arma::cx_mat& H) const = 0;
};

std::unique_ptr<ChannelModel> make_channel_model(const ChannelConfig& c);
/// Names accepted by make_channel_model.
std::vector<std::string> channel_model_names();

/// Exponential correlation matrix R_ij = rho^|i-j| (n x n).
arma::mat exponential_correlation(int n, double rho);

/// Fills H with i.i.d. CN(0, 1) entries (column by column).
void fill_complex_normal(Rng& rng, arma::cx_mat& H);

}  // namespace mimo
