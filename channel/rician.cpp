#include <cmath>
#include <numbers>

#include "channel/models.hpp"

namespace mimo {

void RicianChannel::shape(std::complex<float>* H, int nr, int nt, const double (&u)[2]) const {
  const double pi = std::numbers::pi;
  // Angles of arrival and departure uniform in [-pi/2, pi/2).
  const double sin_r = std::sin(-pi / 2 + pi * u[0]);
  const double sin_t = std::sin(-pi / 2 + pi * u[1]);
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

}  // namespace mimo
