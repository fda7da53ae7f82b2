#pragma once
// Channel models: how H (Nr x Nt, E|h_ij|^2 = 1) is drawn. Applying the channel (y = Hx + n) is the
// generator's job, and so is the randomness: the generator draws i.i.d. CN(0, 1) entries (and two uniforms) per
// realization in its SIMD kernel, and a model only shapes them into H. A new model is one new file implementing
// ChannelModel, plus its line in make_channel_model (channel_model.cpp).
#include <armadillo>
#include <complex>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
  /// True when H is the i.i.d. draw itself (shape does nothing): the generator then also computes y = Hx + n
  /// in its SIMD kernel.
  virtual bool iid() const { return false; }
  /// Turns one realization's draws into H, in place: on entry H (row-major [nr][nt]) holds i.i.d. CN(0, 1)
  /// entries, and u[0], u[1] are independent uniforms in [0, 1) for models with a random geometry. The same
  /// input gives the same bits on every CPU (the data sets' reproducibility rests on it): plain loops in a fixed
  /// order, no BLAS.
  virtual void shape(std::complex<float>* H, int nr, int nt, const double (&u)[2]) const = 0;
};

std::unique_ptr<ChannelModel> make_channel_model(const ChannelConfig& c);
/// Names accepted by make_channel_model.
std::vector<std::string> channel_model_names();

/// Exponential correlation matrix R_ij = rho^|i-j| (n x n).
arma::mat exponential_correlation(int n, double rho);

/// The symmetric positive semidefinite square root S of a symmetric positive semidefinite R (S S = R), by cyclic
/// Jacobi rotations in plain double arithmetic: the same bits on every CPU, unlike LAPACK's, whose kernels
/// differ between BLAS builds and processors.
arma::mat symmetric_sqrt(const arma::mat& R);

}  // namespace mimo
