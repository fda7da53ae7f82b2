#pragma once
// The pieces of the CDL channel model (cdl.cpp, registered as "cdl") that tests check on their own: the base
// station's element pattern, the normalization it needs, and the sine and cosine the rays are made with.
#include <numbers>

#include "channel/cdl_tables.hpp"

namespace mimo::cdl {

namespace detail {
// (-1)^i / (2i + 1)! and (-1)^i / (2i)!, i = 0 ... 10, each factorial's reciprocal by division in double.
struct TaylorSinCos {
  double sin[11], cos[11];
};
constexpr TaylorSinCos kTaylorSinCos = [] {
  TaylorSinCos t{};
  double f = 1.0;  // 1 / k!
  for (int k = 0; k <= 21; ++k) {
    if (k > 0) f /= k;
    const double v = (k / 2) % 2 == 0 ? f : -f;
    if (k % 2 == 0) {
      if (k <= 20) t.cos[k / 2] = v;
    } else {
      t.sin[k / 2] = v;
    }
  }
  return t;
}();
}  // namespace detail

/// sin(2 pi t) and cos(2 pi t) for |t| < 2^50 turns, within 1e-15. The model needs two per ray and realization
/// (the ray's random phase and its phase step across the array), so they are plain double arithmetic that the
/// compiler vectorizes over a cluster's rays: much faster than libm's sincos (a third of the time of 16 x 64
/// CDL-A with it), and the same bits on every CPU and libm. t less its nearest integer (exact), half the angle
/// h in [-pi/2, pi/2], Taylor series of sin h and cos h to h^21 and h^20 (truncation below 2e-17), then
/// sin 2h = 2 sin h cos h and cos 2h = (cos h - sin h)(cos h + sin h).
inline void sincos_turns(double t, double& sine, double& cosine) {
  constexpr double kRound = 0x1.8p52;  // (t + kRound) - kRound is t rounded to an integer, for |t| < 2^51
  const double h = std::numbers::pi * (t - ((t + kRound) - kRound));
  const double h2 = h * h;
  const auto& k = detail::kTaylorSinCos;
  double s = k.sin[10], c = k.cos[10];  // Horner's rule in h^2
  for (int i = 9; i >= 0; --i) {
    s = s * h2 + k.sin[i];
    c = c * h2 + k.cos[i];
  }
  s *= h;
  sine = 2.0 * s * c;
  cosine = (c - s) * (c + s);
}

/// The power pattern of TR 38.901 Table 7.3-1, linear: 10^(A / 10) with A = G_max - min(-(A_V + A_H), 30) dB,
/// A_V = -min(12 ((theta - 90) / 65)^2, 30), A_H = -min(12 (phi / 65)^2, 30), G_max = 8 dBi; angles in degrees,
/// theta the zenith angle in [0, 180], phi the azimuth, any value (wrapped into (-180, 180] first).
double element_power_38901(double zenith_deg, double azimuth_deg);

/// E[element_power_38901] over one user's paths of CDL-`t` as cdl.cpp draws them (every path weighted by its
/// normalized table power): azimuth offset uniform in [-user_spread, user_spread], each ray's azimuth offset
/// paired with each zenith offset with probability 1/20 (the random coupling). From the pattern's closed-form
/// azimuth integral (erf), not a quadrature: exact up to rounding for every spread.
double mean_element_power_38901(const CdlTable& t, double user_spread_deg);

}  // namespace mimo::cdl
