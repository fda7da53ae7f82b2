// 3GPP TR 38.901 clustered delay line channels CDL-A ... CDL-E (section 7.7.1), narrowband, for the uplink of a
// multi-user MIMO system. The tables are in cdl_tables.cpp (generated from the shared JSON transcription).
//
// Conventions:
//  * Uplink. The base station (BS) receives with Nr antennas; each of the Nt streams is a single-antenna user
//    (isotropic, one polarization), and each user's column of H is an independent realization of the model.
//  * Angle columns. The tables describe the downlink: their departure columns (AOD, ZOD and the cluster spreads
//    C_ASD, C_ZSD) are the BS's side. By reciprocity the BS receives the uplink along the same rays, so its
//    angles are the departure columns; the arrival columns are the user's side, which one isotropic antenna
//    does not resolve. Sionna (sionna/phy/channel/tr38901/cdl.py, direction="uplink") does the same: it makes
//    the rays of each column with that column's spread, then swaps the arrival and departure sets, so its
//    receiver, the BS, sees AOD/ZOD rays spread by C_ASD/C_ZSD.
//  * Narrowband: the delays are dropped (one flat channel per realization).
//  * BS array: a uniform linear array along the y axis, spacing d = --bs-spacing wavelengths; element
//    p = 0 ... Nr-1 responds exp(j 2 pi d p sin(theta) sin(phi)) to a ray from zenith theta, azimuth phi
//    (boresight: phi = 0, theta = 90 degrees). Element pattern (--element): isotropic, or 38901, the field
//    sqrt(10^(A_dB / 10)) of Table 7.3-1 (cdl.hpp), vertically polarized like the users, so of 7.5-28 only the
//    theta-theta term remains and the cross-polarization ratio plays no part.
//  * Angle translation (7.7.5.1): a user's cluster azimuths are the table's AODs plus an offset uniform in
//    [-S, S], S = --user-spread degrees, drawn per user and realization; S = 0 keeps the table as it is (all
//    users then see the same angles, as in Sionna, which has no translation).
//  * Rays (7.5 step 7, 7.7-0a): cluster n has 20 rays with azimuths phi_n + C_ASD alpha_m and zeniths
//    theta_n + C_ZSD alpha_m' (alpha: Table 7.5-3), the zenith wrapped into [0, 180] as step 7 does (theta in
//    (180, 360] -> 360 - theta; no CDL table reaches that far). Random coupling (step 8): per cluster, user and
//    realization, a uniformly random pairing (permutation) of the 20 azimuth offsets with the 20 zenith offsets
//    (Sionna shuffles each of its four angle lists per cluster: at one end, the same pairing). Each ray has
//    power P_n / 20, the table's powers made linear and normalized to sum 1, and a uniformly random initial
//    phase (step 10).
//  * Line of sight (CDL-D, CDL-E): the table's first entry is the specular path, one ray of power P_1 at that
//    entry's AOD (plus the user's offset) and ZOD; its ratio to the second entry is the model's K-factor,
//    13.3 dB for D and 22 dB for E. It too gets a uniformly random phase per user and realization: a user's
//    distance is not known to a fraction of a wavelength, and with a random phase E[h] = 0 and users are
//    independent. Sionna instead gives the LoS path the phase of the distance, which is 0 for its CDL models:
//    the same phase for every user and realization.
//  * Normalization: E|h_ij|^2 = 1 over realizations. Isotropic: exact with the normalized powers (the random
//    phases make the rays' powers add). With the 38901 pattern every path is divided by the square root of the
//    pattern's mean power over the user offset and the 20 x 20 coupled ray offsets, computed once at
//    construction in closed form (mean_element_power_38901).
//
// Randomness: only ChannelDraws::uniform(); the generator's i.i.d. CN(0, 1) draw in H is overwritten. Users
// t = 0, 1, ..., Nt-1 in turn each take, in this order:
//   1. the azimuth offset S (2u - 1) degrees;
//   2. per Laplacian cluster, in table order: 19 uniforms for the coupling, a Fisher-Yates shuffle of the zenith
//      offsets (for i = 19 down to 1: swap entries i and floor(u (i + 1)); ray m then takes the zenith offset
//      that entry m holds), then the 20 rays' initial phases 2 pi u, ray m = 1 ... 20 in Table 7.5-3's order;
//   3. CDL-D and CDL-E: the LoS path's phase 2 pi u.
// That is 1 + 39 clusters (+ 1) uniforms per user, whatever the other parameters.
//
// Arithmetic: double throughout, rounded to float once per entry of H; plain loops in an order the source fixes
// (each entry sums its clusters in table order, the LoS path last, and a cluster's 20 rays as add_rays says),
// sines and cosines from sincos_turns (cdl.hpp), and channel/ is compiled without FMA contraction: the same bits
// whatever the thread or SIMD width. Only the constants made at construction and the 38901 pattern's exp per ray
// come from libm, as in the other models.
#include "channel/cdl.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <vector>

#include "channel/models.hpp"

namespace mimo {

namespace {

constexpr int kRays = 20;
constexpr double kPi = std::numbers::pi;
constexpr double kLn10 = std::numbers::ln10;

double wrap_azimuth_deg(double phi) {  // into (-180, 180]
  double r = std::fmod(phi + 180.0, 360.0);
  if (r <= 0.0) r += 360.0;
  return r - 180.0;
}

double wrap_zenith_deg(double theta) {  // into [0, 180] as TR 38.901 7.5 step 7 does: (180, 360] -> 360 - theta
  double r = std::fmod(theta, 360.0);
  if (r < 0.0) r += 360.0;
  return r > 180.0 ? 360.0 - r : r;
}

// Table 7.3-1 in dB, split as the normalization needs it: A = G_max - vertical - min(horizontal, budget), where
// vertical = min(12 ((theta - 90) / 65)^2, 30) and budget = 30 - vertical is what the cap of 30 dB leaves for the
// horizontal part 12 (phi / 65)^2 (itself capped at 30 >= budget, so that cap never binds).
constexpr double kGmaxDb = 8.0, kCapDb = 30.0;
double vertical_attenuation_db(double zenith_deg) {
  const double v = (zenith_deg - 90.0) / 65.0;
  return std::min(12.0 * v * v, kCapDb);
}
double horizontal_attenuation_db(double azimuth_deg) {
  const double x = wrap_azimuth_deg(azimuth_deg) / 65.0;
  return 12.0 * x * x;
}
double element_gain_db(double vertical_db, double azimuth_deg) {
  return kGmaxDb - vertical_db - std::min(horizontal_attenuation_db(azimuth_deg), kCapDb - vertical_db);
}

// The azimuth factor of the 38901 power pattern at one zenith angle, 10^(-min(12 (phi/65)^2, budget) / 10):
// a Gaussian exp(-kappa phi^2) for |phi| <= phi_c, the constant floor beyond, periodic in 360 degrees. Its
// integrals have a closed form, so the mean over an azimuth window needs no quadrature.
class AzimuthFactor {
public:
  explicit AzimuthFactor(double budget_db)
      : phi_c_(65.0 * std::sqrt(budget_db / 12.0)), floor_(std::pow(10.0, -budget_db / 10.0)) {}

  double value(double phi) const {
    const double a = std::abs(wrap_azimuth_deg(phi));
    return a <= phi_c_ ? std::exp(-kKappa * a * a) : floor_;
  }

  /// The mean of the factor over phi in [center - half_width, center + half_width].
  double mean(double center, double half_width) const {
    // Below a micro-degree the difference of integrals loses more to cancellation than the midpoint value errs.
    if (half_width < 1e-6) return value(center);
    return (periodic_integral(center + half_width) - periodic_integral(center - half_width)) / (2.0 * half_width);
  }

private:
  // 10^(-12 (phi/65)^2 / 10) = exp(-kappa phi^2), phi in degrees.
  static constexpr double kKappa = 1.2 * kLn10 / (65.0 * 65.0);

  // The integral from 0 to y, |y| <= 180 (odd in y).
  double integral(double y) const {
    const double a = std::abs(y);
    const double gauss = 0.5 * std::sqrt(kPi / kKappa);
    const double v = a <= phi_c_ ? gauss * std::erf(std::sqrt(kKappa) * a)
                                 : gauss * std::erf(std::sqrt(kKappa) * phi_c_) + (a - phi_c_) * floor_;
    return y < 0.0 ? -v : v;
  }
  // The integral from 0 to any y: whole periods of 360 degrees plus the rest in [-180, 180).
  double periodic_integral(double y) const {
    const double periods = std::floor((y + 180.0) / 360.0);
    return periods * 2.0 * integral(180.0) + integral(y - 360.0 * periods);
  }

  double phi_c_, floor_;
};

// Normalized linear powers of a table's entries (LoS path included), summing to 1.
std::vector<double> normalized_powers(const CdlTable& t) {
  std::vector<double> p(t.power_db.size());
  double sum = 0.0;
  for (size_t n = 0; n < p.size(); ++n) sum += p[n] = std::pow(10.0, t.power_db[n] / 10.0);
  for (double& v : p) v /= sum;
  return p;
}

// The mean 38901 power over the user offset of one path at (zenith, azimuth) before the offset.
double mean_path_power(double zenith_deg, double azimuth_deg, double spread_deg) {
  const double vertical = vertical_attenuation_db(zenith_deg);
  const double at_boresight_azimuth = std::pow(10.0, (kGmaxDb - vertical) / 10.0);
  return at_boresight_azimuth * AzimuthFactor(kCapDb - vertical).mean(azimuth_deg, spread_deg);
}

// The rays of one cluster, or the one LoS path, for one user and realization: each ray's coefficient w (amplitude
// and initial phase) and its phase step z = exp(j 2 pi d sin(theta) sin(phi)) from one element to the next.
struct RayBundle {
  int count = 0;
  std::array<double, kRays> w_re, w_im, z_re, z_im;
};

// Adds the bundle's array responses, sum_m w_m z_m^p, to element p of (re, im) for p = 0 ... n-1, by the phase
// recurrence w_m <- w_m z_m from element to element instead of an exp per element and ray. A cluster's 20 rays
// are independent recurrences that the compiler vectorizes across; their sum at an element is taken in four
// interleaved partial sums (rays m = l mod 4), then (0 + 1) + (2 + 3): an order the source fixes, so vector code
// and scalar code round alike. In double the recurrence drifts from exp(j 2 pi d p s) by about p 2^-52 relative
// (1e-13 at 1024 elements), far below the float32 that H is rounded to, so it is never re-anchored.
void add_rays(RayBundle& b, double* re, double* im, int n) {
  if (b.count != kRays) {  // the LoS path
    for (int p = 0; p < n; ++p)
      for (int m = 0; m < b.count; ++m) {
        re[p] += b.w_re[m];
        im[p] += b.w_im[m];
        const double t = b.w_re[m] * b.z_re[m] - b.w_im[m] * b.z_im[m];
        b.w_im[m] = b.w_re[m] * b.z_im[m] + b.w_im[m] * b.z_re[m];
        b.w_re[m] = t;
      }
    return;
  }
  for (int p = 0; p < n; ++p) {
    double part_re[4], part_im[4];  // part l: rays l, l + 4, ..., l + 16
    for (int l = 0; l < 4; ++l) {
      part_re[l] = (((b.w_re[l] + b.w_re[l + 4]) + b.w_re[l + 8]) + b.w_re[l + 12]) + b.w_re[l + 16];
      part_im[l] = (((b.w_im[l] + b.w_im[l + 4]) + b.w_im[l + 8]) + b.w_im[l + 12]) + b.w_im[l + 16];
    }
    re[p] += (part_re[0] + part_re[1]) + (part_re[2] + part_re[3]);
    im[p] += (part_im[0] + part_im[1]) + (part_im[2] + part_im[3]);
    for (int m = 0; m < kRays; ++m) {
      const double t = b.w_re[m] * b.z_re[m] - b.w_im[m] * b.z_im[m];
      b.w_im[m] = b.w_re[m] * b.z_im[m] + b.w_im[m] * b.z_re[m];
      b.w_re[m] = t;
    }
  }
}

// One table entry as the BS sees it before the user's offset: per ray azimuth (with its sine and cosine, so the
// offset is an angle addition), per zenith offset the sine of the wrapped zenith and its pattern attenuation.
struct Cluster {
  int rays = kRays;        // 20, or 1 for the LoS path
  double amplitude = 0.0;  // sqrt(P_n / rays / mean pattern power)
  std::array<double, kRays> azimuth_deg{}, sin_azimuth{}, cos_azimuth{};
  std::array<double, kRays> sin_zenith{}, vertical_db{};
};

Cluster make_cluster(const CdlTable& t, int entry, bool specular, double power, double pattern_mean) {
  Cluster c;
  c.rays = specular ? 1 : kRays;
  c.amplitude = std::sqrt(power / c.rays / pattern_mean);
  for (int m = 0; m < c.rays; ++m) {
    const double alpha = specular ? 0.0 : kCdlRayOffsets[m];
    c.azimuth_deg[m] = t.aod_deg[entry] + t.c_asd_deg * alpha;
    cdl::sincos_turns(c.azimuth_deg[m] / 360.0, c.sin_azimuth[m], c.cos_azimuth[m]);
    const double zenith = wrap_zenith_deg(t.zod_deg[entry] + t.c_zsd_deg * alpha);
    double cos_zenith;
    cdl::sincos_turns(zenith / 360.0, c.sin_zenith[m], cos_zenith);
    c.vertical_db[m] = vertical_attenuation_db(zenith);
  }
  return c;
}

class Cdl final : public ChannelModel {
public:
  Cdl(const CdlTable& table, double spacing, bool pattern_38901, double user_spread_deg)
      : spacing_(spacing), spread_deg_(user_spread_deg), pattern_(pattern_38901) {
    const std::vector<double> power = normalized_powers(table);
    const double pattern_mean = pattern_38901 ? cdl::mean_element_power_38901(table, user_spread_deg) : 1.0;
    const int first = table.los ? 1 : 0;
    if (table.los) {
      los_ = make_cluster(table, 0, true, power[0], pattern_mean);
      has_los_ = true;
    }
    for (int n = first; n < table.entries(); ++n)
      clusters_.push_back(make_cluster(table, n, false, power[n], pattern_mean));
  }

  void shape(std::complex<float>* H, int nr, int nt, ChannelDraws& draws) const override {
    thread_local std::vector<double> re, im;
    re.resize(nr);
    im.resize(nr);
    for (int t = 0; t < nt; ++t) {
      std::fill(re.begin(), re.end(), 0.0);
      std::fill(im.begin(), im.end(), 0.0);
      if (pattern_)
        add_user<true>(draws, re.data(), im.data(), nr);
      else
        add_user<false>(draws, re.data(), im.data(), nr);
      for (int r = 0; r < nr; ++r) H[r * nt + t] = {static_cast<float>(re[r]), static_cast<float>(im[r])};
    }
  }

private:
  // The user's azimuth offset, as the rays need it.
  struct Offset {
    double deg, cos, sin;
  };

  // One user's realization (draw steps 1-3 of the header) added to the accumulators.
  template <bool kPattern>
  void add_user(ChannelDraws& draws, double* re, double* im, int n) const {
    const double deg = spread_deg_ * (2.0 * draws.uniform() - 1.0);
    Offset offset{deg, 0.0, 0.0};
    cdl::sincos_turns(deg / 360.0, offset.sin, offset.cos);
    std::array<uint8_t, kRays> zenith_of;  // ray m's zenith offset (the coupling)
    std::array<double, kRays> phase;       // in turns
    RayBundle bundle;
    for (const Cluster& c : clusters_) {
      std::iota(zenith_of.begin(), zenith_of.end(), uint8_t{0});
      for (int i = kRays - 1; i > 0; --i) {
        const int j = std::min(static_cast<int>(draws.uniform() * (i + 1)), i);
        std::swap(zenith_of[i], zenith_of[j]);
      }
      for (int m = 0; m < kRays; ++m) phase[m] = draws.uniform();
      set_rays<kPattern>(c, zenith_of, phase, offset, bundle);
      add_rays(bundle, re, im, n);
    }
    if (has_los_) {
      phase[0] = draws.uniform();
      zenith_of[0] = 0;
      set_rays<kPattern>(los_, zenith_of, phase, offset, bundle);
      add_rays(bundle, re, im, n);
    }
  }

  // The bundle of cluster c's rays after the user's azimuth offset: ray m with zenith offset zenith_of[m] and
  // initial phase 2 pi phase[m]. Loops over the rays rather than one ray at a time, so the sines and cosines
  // vectorize.
  template <bool kPattern>
  void set_rays(const Cluster& c, const std::array<uint8_t, kRays>& zenith_of, const std::array<double, kRays>& phase,
                const Offset& offset, RayBundle& b) const {
    b.count = c.rays;
    std::array<double, kRays> step, amplitude;  // phase step across the array in turns: d sin(theta) sin(phi)
    for (int m = 0; m < c.rays; ++m) {
      // sin(phi + offset) by the angle addition, from the sine and cosine precomputed at construction.
      const double sin_phi = c.sin_azimuth[m] * offset.cos + c.cos_azimuth[m] * offset.sin;
      step[m] = spacing_ * c.sin_zenith[zenith_of[m]] * sin_phi;
      amplitude[m] = c.amplitude;
      if constexpr (kPattern)
        amplitude[m] *=
            std::exp(element_gain_db(c.vertical_db[zenith_of[m]], c.azimuth_deg[m] + offset.deg) * (kLn10 / 20.0));
    }
    for (int m = 0; m < c.rays; ++m) {
      double s, co;
      cdl::sincos_turns(phase[m], s, co);
      b.w_re[m] = amplitude[m] * co;
      b.w_im[m] = amplitude[m] * s;
      cdl::sincos_turns(step[m], b.z_im[m], b.z_re[m]);
    }
  }

  std::vector<Cluster> clusters_;  // the Laplacian clusters, in table order
  Cluster los_;                    // the specular path of CDL-D and CDL-E
  bool has_los_ = false;
  double spacing_, spread_deg_;
  bool pattern_;
};

}  // namespace

namespace cdl {

double element_power_38901(double zenith_deg, double azimuth_deg) {
  return std::pow(10.0, element_gain_db(vertical_attenuation_db(zenith_deg), azimuth_deg) / 10.0);
}

double mean_element_power_38901(const CdlTable& t, double user_spread_deg) {
  const std::vector<double> power = normalized_powers(t);
  double mean = 0.0;
  for (int n = 0; n < t.entries(); ++n) {
    if (t.los && n == 0) {
      mean += power[0] * mean_path_power(wrap_zenith_deg(t.zod_deg[0]), t.aod_deg[0], user_spread_deg);
      continue;
    }
    // The coupling pairs ray m's azimuth offset with each zenith offset with probability 1/20: all 400 pairs.
    double sum = 0.0;
    for (int m = 0; m < kRays; ++m)
      for (int z = 0; z < kRays; ++z)
        sum += mean_path_power(wrap_zenith_deg(t.zod_deg[n] + t.c_zsd_deg * kCdlRayOffsets[z]),
                               t.aod_deg[n] + t.c_asd_deg * kCdlRayOffsets[m], user_spread_deg);
    mean += power[n] * sum / (kRays * kRays);
  }
  return mean;
}

}  // namespace cdl

namespace models {

ChannelModelInfo cdl() {
  using Kind = ChannelParameter::Kind;
  std::vector<ChannelParameter> parameters = {
      {.name = "cdl_model",
       .kind = Kind::text,
       .default_value = "A",
       .choices = {"A", "B", "C", "D", "E"},
       .help = "3GPP TR 38.901 CDL model"},
      {.name = "bs_spacing",
       .kind = Kind::real,
       .default_value = "0.5",
       .min = 0.05,
       .max = 10.0,
       .choices = {},
       .help = "base station antenna spacing in wavelengths"},
      {.name = "element",
       .kind = Kind::text,
       .default_value = "isotropic",
       .choices = {"isotropic", "38901"},
       .help = "base station element pattern: isotropic, or 38901 (TR 38.901 Table 7.3-1, 8 dBi)"},
      {.name = "user_spread",
       .kind = Kind::real,
       .default_value = "60",
       .min = 0.0,
       .max = 180.0,
       .choices = {},
       .help = "each user's cluster azimuths turned by an offset uniform in +-user_spread degrees (0: the table's)"},
  };
  return {"cdl",
          "3GPP TR 38.901 CDL-A..E clusters at a linear base station array, uplink, narrowband; --cdl-model, "
          "--bs-spacing, --element, --user-spread",
          parameters, [](const ChannelConfig& c) {
            return std::make_unique<Cdl>(cdl_table(c.text("cdl_model")), c.real("bs_spacing"),
                                         c.text("element") == "38901", c.real("user_spread"));
          }};
}

}  // namespace models

}  // namespace mimo
