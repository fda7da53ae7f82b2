#pragma once
// Channel models: how H (Nr x Nt, E|h_ij|^2 = 1) is drawn. Applying the channel (y = Hx + n) is the
// generator's job, and so is the randomness: the generator draws i.i.d. CN(0, 1) entries per realization in its
// SIMD kernel and hands the model a stream of uniforms (ChannelDraws); a model only shapes them into H.
//
// One home per model: a model is one file in channel/ that defines its ChannelModel and its ChannelModelInfo
// (name, declared parameters, factory), plus its line in the registry (channel_model.cpp). Everything else (the
// CLI flags, HDF5 attributes, the results JSON, the training signature, `mimo inspect`, training batches) works
// from the registry, so no other file names a model.
#include <armadillo>
#include <complex>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mimo {

/// One declared parameter of a channel model: a CLI flag (--kebab-case of `name`), an HDF5 attribute and a
/// JSON key (`name`), a term of the training signature.
struct ChannelParameter {
  enum class Kind { real, text };
  std::string name;  // snake_case
  Kind kind = Kind::real;
  std::string default_value;         // as typed on the command line
  double min = 0.0, max = 0.0;       // real: the closed range [min, max], or [min, max) when max_open
  bool max_open = false;
  std::vector<std::string> choices;  // text: the accepted values; empty = any non-empty text (e.g. a path)
  std::string help;

  std::string flag() const;  // "--" + name with '_' -> '-'
};

using ParameterValue = std::variant<double, std::string>;
/// A parameter's value as text: numbers in the shortest form that reads back to the same double.
std::string to_text(const ParameterValue& v);

/// The most channel uses one realization may serve (--uses-per-realization).
inline constexpr uint64_t kMaxUsesPerRealization = 1'000'000'000;

struct ChannelConfig {
  std::string model = "rayleigh";
  int nt = 4;
  int nr = 4;
  double csi_error_var = 0.0;         // imperfect CSI: H_est = H + E, E ~ CN(0, csi_error_var), any model
  double user_power_spread_db = 0.0;  // per-user large-scale gain uniform in [-S/2, S/2] dB, mean 1; any model
  /// Block fading, any model: sample i uses channel realization floor(i / U), so U consecutive channel uses share
  /// one H (its draws, shape and power-spread gains: those sample floor(i / U) has with U = 1); bits, noise, SNR
  /// and CSI error stay per sample. In [1, kMaxUsesPerRealization]; 1 = a new H for every channel use.
  uint64_t uses_per_realization = 1;
  std::map<std::string, ParameterValue> params;  // the model's parameters by name; absent = the declared default

  /// The value of a declared real / text parameter of `model` (its default when not set); throws
  /// std::invalid_argument for a name `model` does not declare, or of the other kind.
  double real(const std::string& name) const;
  std::string text(const std::string& name) const;
  ChannelConfig& set(const std::string& name, ParameterValue v) {
    params[name] = std::move(v);
    return *this;
  }
  /// Every declared parameter of `model` with its value (defaults filled in), in declaration order.
  std::vector<std::pair<std::string, ParameterValue>> resolved_parameters() const;
  /// "kronecker (rho_tx = 0.7, rho_rx = 0)", plus the user power spread and the uses per realization when not
  /// the defaults: for people.
  std::string describe() const;
};

/// Checks the model name, nt, nr, the generic settings and every parameter against its declaration (a name the
/// model does not declare is an error); throws std::invalid_argument with a one-line message.
void validate(const ChannelConfig& c);

/// One realization's randomness beyond the i.i.d. draw: a stream of independent uniforms in [0, 1), and which
/// sample it is (a model that reads realizations from elsewhere needs the index, and the seed to shuffle).
class ChannelDraws {
public:
  ChannelDraws(uint64_t seed, uint64_t index) : seed_(seed), index_(index) {}
  virtual ~ChannelDraws() = default;
  virtual double uniform() = 0;
  uint64_t seed() const { return seed_; }
  uint64_t index() const { return index_; }

private:
  uint64_t seed_, index_;
};

class ChannelModel {
public:
  virtual ~ChannelModel() = default;
  /// True when H is the i.i.d. draw itself (shape does nothing): the generator then also computes y = Hx + n
  /// in its SIMD kernel.
  virtual bool iid() const { return false; }
  /// Turns one realization's draws into H, in place: on entry H (row-major [nr][nt]) holds i.i.d. CN(0, 1)
  /// entries. The same input gives the same bits on every CPU (the data sets' reproducibility rests on it): plain
  /// loops in a fixed order, no BLAS. Called from many threads at once.
  virtual void shape(std::complex<float>* H, int nr, int nt, ChannelDraws& draws) const = 0;
};

/// A registered model: its name, one line of help, its parameters, and how to make it.
struct ChannelModelInfo {
  std::string name;
  std::string summary;
  std::vector<ChannelParameter> parameters;
  /// Makes the model for a validated configuration; throws std::invalid_argument (or std::runtime_error for
  /// files) with a one-line message for what validate cannot see (e.g. a file's contents).
  std::function<std::unique_ptr<ChannelModel>(const ChannelConfig&)> make;
};

/// The registry, in the order help texts list the models.
const std::vector<ChannelModelInfo>& channel_models();
/// The registered model `name`; throws std::invalid_argument naming the known ones.
const ChannelModelInfo& channel_model_info(const std::string& name);
/// Names of the registered models.
std::vector<std::string> channel_model_names();
/// Names of the registered models that declare a parameter `name`.
std::vector<std::string> models_declaring(const std::string& name);

std::unique_ptr<ChannelModel> make_channel_model(const ChannelConfig& c);

/// Exponential correlation matrix R_ij = rho^|i-j| (n x n).
arma::mat exponential_correlation(int n, double rho);

/// The symmetric positive semidefinite square root S of a symmetric positive semidefinite R (S S = R), by cyclic
/// Jacobi rotations in plain double arithmetic: the same bits on every CPU, unlike LAPACK's, whose kernels
/// differ between BLAS builds and processors.
arma::mat symmetric_sqrt(const arma::mat& R);

}  // namespace mimo
