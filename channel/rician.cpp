#include <cmath>
#include <limits>
#include <numbers>

#include "channel/models.hpp"

namespace mimo::models {

namespace {

// H = sqrt(K/(K+1)) a_rx(theta_r) a_tx(theta_t)^H + sqrt(1/(K+1)) G, with half-wavelength uniform linear arrays
// and angles of arrival and departure drawn uniformly in [-pi/2, pi/2) per realization (the first two uniforms).
class Rician final : public ChannelModel {
public:
  explicit Rician(double k_factor) : k_(k_factor) {}
  void shape(std::complex<float>* H, int nr, int nt, ChannelDraws& draws) const override {
    const double pi = std::numbers::pi;
    const double u0 = draws.uniform(), u1 = draws.uniform();
    const double sin_r = std::sin(-pi / 2 + pi * u0);
    const double sin_t = std::sin(-pi / 2 + pi * u1);
    const double los = std::sqrt(k_ / (k_ + 1.0)), nlos = std::sqrt(1.0 / (k_ + 1.0));
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) {
        // a_rx(theta_r)[r] * conj(a_tx(theta_t)[t]): unit modulus, so E|h|^2 = K/(K+1) + 1/(K+1) = 1.
        const double phase = pi * (static_cast<double>(r) * sin_r - static_cast<double>(t) * sin_t);
        const std::complex<float> g = H[r * nt + t];
        H[r * nt + t] = {static_cast<float>(nlos * g.real() + los * std::cos(phase)),
                         static_cast<float>(nlos * g.imag() + los * std::sin(phase))};
      }
  }

private:
  double k_;
};

}  // namespace

ChannelModelInfo rician() {
  ChannelParameter k{"k_factor", ChannelParameter::Kind::real, "0", 0.0, std::numeric_limits<double>::max(), false, {},
                     "Rician K-factor (linear power ratio LOS/scattered)"};
  return {"rician", "one line-of-sight ray with random angles plus Rayleigh scattering, K-factor --k-factor",
          {k}, [](const ChannelConfig& c) { return std::make_unique<Rician>(c.real("k_factor")); }};
}

}  // namespace mimo::models
