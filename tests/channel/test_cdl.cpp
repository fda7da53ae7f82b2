// The CDL channel model (channel/cdl.cpp) against what TR 38.901 and cdl.cpp's header comment say, computed
// here on its own: the tables read from the shared JSON transcription when it exists (else the compiled ones),
// Table 7.5-3's offsets and Table 7.3-1's pattern written out again, closed-form covariances from plain loops
// over every ray direction, and a direct implementation of the documented draw order.
//
// Statistical checks compare a sample mean with its expected value within kSigmas standard errors estimated from
// the same samples, and assert that the standard error is small enough to catch a real bug; where a test is
// meant to see one effect (the coupling, the user offset), it also asserts that the closed forms with and
// without that effect differ by many standard errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <armadillo>
#include <cctype>
#include <cmath>
#include <complex>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "channel/cdl.hpp"
#include "channel/cdl_tables.hpp"
#include "channel/channel_model.hpp"
#include "channel/generator.hpp"
#include "channel/random.hpp"
#include "statistics.hpp"

#ifndef MIMO_STANDARDS_DIR
#define MIMO_STANDARDS_DIR ""
#endif

namespace {

using cd = std::complex<double>;
using Stat = mimo::test::Stat<cd>;
using RealStat = mimo::test::Stat<double>;
using mimo::test::expect_mean;
using mimo::test::kSigmas;

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180.0;
const char* const kModels[] = {"A", "B", "C", "D", "E"};

// Table 7.5-3, ray m = 1 ... 20, written out again rather than taken from cdl_tables.hpp.
constexpr double kOffsets[20] = {0.0447, -0.0447, 0.1413, -0.1413, 0.2492, -0.2492, 0.3715, -0.3715, 0.5129, -0.5129,
                                 0.6797, -0.6797, 0.8844, -0.8844, 1.1481, -1.1481, 1.5195, -1.5195, 2.1551, -2.1551};

// ---------------------------------------------------------------------------------------------------------------
// Driving the model

// The model's uniforms from the sequential Rng, counted.
class RngDraws final : public mimo::ChannelDraws {
public:
  explicit RngDraws(mimo::Rng& rng) : ChannelDraws(0, 0), rng_(rng) {}
  double uniform() override {
    ++used;
    return rng_.uniform();
  }
  long used = 0;

private:
  mimo::Rng& rng_;
};

struct Cdl {
  std::string model = "A";
  int nt = 1, nr = 8;
  double spacing = 0.5;
  std::string element = "isotropic";
  double spread = 0.0;
};

mimo::ChannelConfig config(const Cdl& o) {
  mimo::ChannelConfig c;
  c.model = "cdl";
  c.nt = o.nt;
  c.nr = o.nr;
  c.set("cdl_model", o.model).set("bs_spacing", o.spacing).set("element", o.element).set("user_spread", o.spread);
  return c;
}

std::unique_ptr<mimo::ChannelModel> make(const Cdl& o) { return mimo::make_channel_model(config(o)); }

// One realization from rng's uniforms. H goes in as NaN: the model must overwrite the i.i.d. draw, not use it.
long sample(const mimo::ChannelModel& model, mimo::Rng& rng, arma::cx_mat& H) {
  const int nr = static_cast<int>(H.n_rows), nt = static_cast<int>(H.n_cols);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::complex<float>> h(static_cast<size_t>(nr) * nt, {nan, nan});
  RngDraws draws(rng);
  model.shape(h.data(), nr, nt, draws);
  for (int r = 0; r < nr; ++r)
    for (int t = 0; t < nt; ++t) H(r, t) = cd(h[r * nt + t]);
  return draws.used;
}

// ---------------------------------------------------------------------------------------------------------------
// The tables, from the JSON when it is there

std::string standards_json() {
  std::ifstream f(std::string(MIMO_STANDARDS_DIR) + "/tr38901_cdl.json");
  if (!f) return "";
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Where the value of "key" starts in `text`; throws if there is no such key.
size_t json_value_at(const std::string& text, const std::string& key) {
  const size_t k = text.find("\"" + key + "\"");
  if (k == std::string::npos) throw std::runtime_error("no \"" + key + "\" in the JSON");
  size_t v = text.find(':', k) + 1;
  while (std::isspace(static_cast<unsigned char>(text[v]))) ++v;
  return v;
}

// The object "CDL-x": {...} (its members are numbers, booleans and arrays of numbers: the first '}' closes it).
std::string json_model(const std::string& json, const std::string& name) {
  const size_t v = json_value_at(json, "CDL-" + name);
  return json.substr(v, json.find('}', v) - v + 1);
}

// A number or an array of numbers.
std::vector<double> json_numbers(const std::string& object, const std::string& key) {
  size_t v = json_value_at(object, key);
  std::vector<double> out;
  if (object[v] != '[') return {std::strtod(object.c_str() + v, nullptr)};
  const size_t end = object.find(']', v);
  ++v;
  while (v < end) {
    char* next = nullptr;
    out.push_back(std::strtod(object.c_str() + v, &next));
    v = static_cast<size_t>(next - object.c_str());
    while (v < end && (object[v] == ',' || std::isspace(static_cast<unsigned char>(object[v])))) ++v;
  }
  return out;
}

bool json_bool(const std::string& object, const std::string& key) {
  return object.compare(json_value_at(object, key), 4, "true") == 0;
}

// What the tests need of one table: the BS side (departure columns).
struct RefTable {
  bool los = false;
  int clusters = 0;
  std::vector<double> power_db, aod, zod;
  double c_asd = 0, c_zsd = 0;
};

RefTable ref_table(const std::string& name) {
  RefTable t;
  const std::string json = standards_json();
  if (!json.empty()) {
    const std::string m = json_model(json, name);
    t.los = json_bool(m, "los");
    t.clusters = static_cast<int>(json_numbers(m, "clusters")[0]);
    t.power_db = json_numbers(m, "power_db");
    t.aod = json_numbers(m, "aod_deg");
    t.zod = json_numbers(m, "zod_deg");
    t.c_asd = json_numbers(m, "c_asd_deg")[0];
    t.c_zsd = json_numbers(m, "c_zsd_deg")[0];
    // Every column has one entry per cluster, plus the LoS path's for CDL-D and CDL-E.
    const size_t entries = t.clusters + (t.los ? 1 : 0);
    if (t.power_db.size() != entries || t.aod.size() != entries || t.zod.size() != entries)
      throw std::runtime_error("CDL-" + name + " in the JSON: columns of other than clusters + los entries");
    return t;
  }
  const mimo::CdlTable& c = mimo::cdl_table(name);
  t.los = c.los;
  t.clusters = c.clusters;
  t.power_db.assign(c.power_db.begin(), c.power_db.end());
  t.aod.assign(c.aod_deg.begin(), c.aod_deg.end());
  t.zod.assign(c.zod_deg.begin(), c.zod_deg.end());
  t.c_asd = c.c_asd_deg;
  t.c_zsd = c.c_zsd_deg;
  return t;
}

std::vector<double> ref_powers(const RefTable& t) {  // linear, summing to 1
  std::vector<double> p;
  for (double db : t.power_db) p.push_back(std::pow(10.0, db / 10.0));
  const double sum = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& v : p) v /= sum;
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// The standard's formulas, written out on their own

// Table 7.3-1, linear power, exactly as the table writes it.
double ref_pattern_power(double theta, double phi) {
  phi = std::remainder(phi, 360.0);  // [-180, 180]
  const double a_v = -std::min(12.0 * std::pow((theta - 90.0) / 65.0, 2.0), 30.0);
  const double a_h = -std::min(12.0 * std::pow(phi / 65.0, 2.0), 30.0);
  return std::pow(10.0, (8.0 - std::min(-(a_v + a_h), 30.0)) / 10.0);
}

// 7.5 step 7: zenith angles in (180, 360] become 360 - theta.
double ref_wrap_zenith(double theta) { return std::abs(std::remainder(theta, 360.0)); }

// Where one ray of a user may come from, before the user's offset, and with which probability times power: the
// 400 (azimuth offset, zenith offset) pairs of every cluster with weight P_n / 400 (the random coupling makes
// each pair equally likely), and the LoS path with weight P_1.
struct RefDirection {
  double zenith, azimuth, weight;
};

std::vector<RefDirection> ref_directions(const RefTable& t, bool identity_coupling = false) {
  const std::vector<double> p = ref_powers(t);
  std::vector<RefDirection> out;
  for (size_t n = 0; n < p.size(); ++n) {
    if (t.los && n == 0) {
      out.push_back({ref_wrap_zenith(t.zod[0]), t.aod[0], p[0]});
      continue;
    }
    for (int m = 0; m < 20; ++m)
      for (int z = 0; z < 20; ++z) {
        if (identity_coupling && z != m) continue;
        out.push_back({ref_wrap_zenith(t.zod[n] + t.c_zsd * kOffsets[z]), t.aod[n] + t.c_asd * kOffsets[m],
                       p[n] / (identity_coupling ? 20.0 : 400.0)});
      }
  }
  return out;
}

// E[h h^H] of one user: the mean over the user offset (midpoint rule, `steps` points in [-S, S]) of
// sum_directions weight g^2 a a^H, divided by the same mean of sum weight g^2 (the model's normalization).
// a_p = exp(j 2 pi d p sin(theta) sin(phi)), so E[h_p h_q^*] depends on p - q only: r_k for k = p - q.
arma::cx_mat ref_covariance(const std::vector<RefDirection>& dirs, int nr, double spacing, bool pattern, double spread,
                            int steps) {
  std::vector<cd> r(nr, 0.0);
  double norm = 0.0;
  const int count = spread > 0.0 ? steps : 1;
  for (int i = 0; i < count; ++i) {
    const double offset = spread > 0.0 ? -spread + (i + 0.5) * 2.0 * spread / steps : 0.0;
    for (const RefDirection& d : dirs) {
      const double g2 = pattern ? ref_pattern_power(d.zenith, d.azimuth + offset) : 1.0;
      const double s = std::sin(d.zenith * kDeg) * std::sin((d.azimuth + offset) * kDeg);
      norm += d.weight * g2;
      for (int k = 0; k < nr; ++k) r[k] += d.weight * g2 * std::polar(1.0, 2.0 * kPi * spacing * k * s);
    }
  }
  arma::cx_mat R(nr, nr);
  for (int p = 0; p < nr; ++p)
    for (int q = 0; q < nr; ++q) R(p, q) = (p >= q ? r[p - q] : std::conj(r[q - p])) / norm;
  return R;
}

// H of one realization computed as cdl.cpp's header documents it, with the uniforms in the documented order, but
// directly: every element's exp on its own, every angle from scratch. `pattern_mean` is the normalization.
arma::cx_mat ref_realization(const RefTable& t, const Cdl& o, double pattern_mean, mimo::Rng& rng) {
  const std::vector<double> p = ref_powers(t);
  const bool pattern = o.element == "38901";
  arma::cx_mat H(o.nr, o.nt, arma::fill::zeros);
  auto add = [&](int user, double power, double zenith, double azimuth, double phase) {
    const double g2 = pattern ? ref_pattern_power(zenith, azimuth) / pattern_mean : 1.0;
    const double s = std::sin(zenith * kDeg) * std::sin(azimuth * kDeg);
    for (int e = 0; e < o.nr; ++e)
      H(e, user) += std::sqrt(power * g2) * std::polar(1.0, phase + 2.0 * kPi * o.spacing * e * s);
  };
  for (int user = 0; user < o.nt; ++user) {
    const double offset = o.spread * (2.0 * rng.uniform() - 1.0);
    for (size_t n = t.los ? 1 : 0; n < p.size(); ++n) {
      int zenith_of[20];
      std::iota(zenith_of, zenith_of + 20, 0);
      for (int i = 19; i > 0; --i) std::swap(zenith_of[i], zenith_of[static_cast<int>(rng.uniform() * (i + 1))]);
      double phase[20];
      for (double& ph : phase) ph = 2.0 * kPi * rng.uniform();
      for (int m = 0; m < 20; ++m)
        add(user, p[n] / 20.0, ref_wrap_zenith(t.zod[n] + t.c_zsd * kOffsets[zenith_of[m]]),
            t.aod[n] + t.c_asd * kOffsets[m] + offset, phase[m]);
    }
    if (t.los) add(user, p[0], ref_wrap_zenith(t.zod[0]), t.aod[0] + offset, 2.0 * kPi * rng.uniform());
  }
  return H;
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

TEST(CdlTables, CompiledTablesEqualTheJson) {
  const std::string json = standards_json();
  if (json.empty()) GTEST_SKIP() << "no " << MIMO_STANDARDS_DIR << "/tr38901_cdl.json (a clean clone)";
  ASSERT_EQ(mimo::cdl_tables().size(), 5u);
  for (const char* name : kModels) {
    const mimo::CdlTable& c = mimo::cdl_table(name);
    EXPECT_EQ(c.name, name);
    const std::string m = json_model(json, name);
    EXPECT_EQ(c.los, json_bool(m, "los")) << name;
    EXPECT_EQ(c.clusters, json_numbers(m, "clusters")[0]) << name;
    auto column = [&](std::span<const double> compiled, const char* key) {
      const std::vector<double> want = json_numbers(m, key);
      ASSERT_EQ(compiled.size(), want.size()) << "CDL-" << name << " " << key;
      EXPECT_EQ(static_cast<int>(compiled.size()), c.entries()) << "CDL-" << name << " " << key;
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(compiled[i], want[i]) << "CDL-" << name << " " << key << i;
    };
    column(c.delay_normalized, "delay_normalized");
    column(c.power_db, "power_db");
    column(c.aod_deg, "aod_deg");
    column(c.aoa_deg, "aoa_deg");
    column(c.zod_deg, "zod_deg");
    column(c.zoa_deg, "zoa_deg");
    EXPECT_EQ(c.c_asd_deg, json_numbers(m, "c_asd_deg")[0]) << name;
    EXPECT_EQ(c.c_asa_deg, json_numbers(m, "c_asa_deg")[0]) << name;
    EXPECT_EQ(c.c_zsd_deg, json_numbers(m, "c_zsd_deg")[0]) << name;
    EXPECT_EQ(c.c_zsa_deg, json_numbers(m, "c_zsa_deg")[0]) << name;
    EXPECT_EQ(c.xpr_db, json_numbers(m, "xpr_db")[0]) << name;
  }
  for (int m = 0; m < 20; ++m) EXPECT_EQ(mimo::kCdlRayOffsets[m], kOffsets[m]) << "Table 7.5-3 ray " << m + 1;
}

TEST(CdlTables, LineOfSightEntriesAndKFactors) {
  for (const char* name : kModels) {
    const mimo::CdlTable& c = mimo::cdl_table(name);
    const bool los = std::string(name) == "D" || std::string(name) == "E";
    EXPECT_EQ(c.los, los) << name;
    EXPECT_EQ(c.entries(), c.clusters + (los ? 1 : 0)) << name;
    EXPECT_EQ(static_cast<int>(c.power_db.size()), c.entries()) << name;
  }
  EXPECT_EQ(mimo::cdl_table("A").clusters, 23);
  EXPECT_EQ(mimo::cdl_table("C").clusters, 24);
  EXPECT_EQ(mimo::cdl_table("D").clusters, 13);
  EXPECT_EQ(mimo::cdl_table("E").clusters, 14);
  // The specular path and the first Laplacian cluster share delay and angles; their power ratio is the K-factor.
  for (const auto& [name, k_db] : {std::pair{"D", 13.3}, std::pair{"E", 22.0}}) {
    const mimo::CdlTable& c = mimo::cdl_table(name);
    EXPECT_NEAR(c.power_db[0] - c.power_db[1], k_db, 1e-9) << name;
    EXPECT_EQ(c.delay_normalized[0], c.delay_normalized[1]) << name;
    EXPECT_EQ(c.aod_deg[0], c.aod_deg[1]) << name;
    EXPECT_EQ(c.zod_deg[0], c.zod_deg[1]) << name;
  }
  EXPECT_THROW(mimo::cdl_table("F"), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters

TEST(CdlModel, DeclaresItsParameters) {
  const mimo::ChannelModelInfo& info = mimo::channel_model_info("cdl");
  ASSERT_EQ(info.parameters.size(), 4u);
  const auto& p = info.parameters;
  EXPECT_EQ(p[0].flag(), "--cdl-model");
  EXPECT_EQ(p[0].default_value, "A");
  EXPECT_EQ(p[0].choices, (std::vector<std::string>{"A", "B", "C", "D", "E"}));
  EXPECT_EQ(p[0].help, "3GPP TR 38.901 CDL model");
  EXPECT_EQ(p[1].flag(), "--bs-spacing");
  EXPECT_EQ(p[1].default_value, "0.5");
  EXPECT_EQ(p[1].min, 0.05);
  EXPECT_EQ(p[1].max, 10.0);
  EXPECT_EQ(p[2].flag(), "--element");
  EXPECT_EQ(p[2].default_value, "isotropic");
  EXPECT_EQ(p[2].choices, (std::vector<std::string>{"isotropic", "38901"}));
  EXPECT_EQ(p[3].flag(), "--user-spread");
  EXPECT_EQ(p[3].default_value, "60");
  EXPECT_EQ(p[3].min, 0.0);
  EXPECT_EQ(p[3].max, 180.0);
  mimo::ChannelConfig c;
  c.model = "cdl";
  EXPECT_NO_THROW(mimo::make_channel_model(c));  // every default
}

TEST(CdlModel, RejectsBadParametersInOneLine) {
  auto rejects = [](const std::string& name, mimo::ParameterValue v) {
    mimo::ChannelConfig c;
    c.model = "cdl";
    c.set(name, v);
    try {
      mimo::make_channel_model(c);
      ADD_FAILURE() << name << ": accepted";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      std::string flag = name;  // the message names the flag
      std::replace(flag.begin(), flag.end(), '_', '-');
      EXPECT_NE(what.find(flag), std::string::npos) << what;
    }
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const char* bad : {"F", "a", "", "CDL-A"}) rejects("cdl_model", std::string(bad));
  for (double bad : {0.0, 0.049, 10.01, -1.0, nan}) rejects("bs_spacing", bad);
  for (double bad : {-0.1, 180.5, nan}) rejects("user_spread", bad);
  for (const char* bad : {"dipole", "38.901", ""}) rejects("element", std::string(bad));
  rejects("bs_spacing", std::string("0.5"));  // text for a number
  rejects("k_factor", 3.0);                   // rician's, not cdl's

  for (double ok : {0.05, 10.0}) EXPECT_NO_THROW(make({.spacing = ok})) << ok;
  for (double ok : {0.0, 180.0}) EXPECT_NO_THROW(make({.spread = ok})) << ok;
}

// ---------------------------------------------------------------------------------------------------------------
// Determinism and the documented draws

TEST(CdlModel, SameDrawsSameBitsAndTheInputIsOverwritten) {
  for (const char* name : kModels) {
    const Cdl o{.model = name, .nt = 3, .nr = 5, .element = "38901", .spread = 60};
    const auto model = make(o), again = make(o);
    mimo::Rng a(7), b(7), c(8);
    arma::cx_mat Ha(5, 3), Hb(5, 3), Hc(5, 3);
    const long used = sample(*model, a, Ha);
    sample(*again, b, Hb);
    sample(*model, c, Hc);
    EXPECT_TRUE(Ha.is_finite()) << name << ": the NaN input leaked into H";
    EXPECT_TRUE(arma::approx_equal(Ha, Hb, "absdiff", 0.0)) << name;
    EXPECT_GT(arma::abs(Ha - Hc).max(), 1e-3) << name;
    // 1 + 39 per cluster (+ 1 for the LoS phase) per user, as the header says.
    const mimo::CdlTable& t = mimo::cdl_table(name);
    EXPECT_EQ(used, 3 * (1 + 39 * t.clusters + (t.los ? 1 : 0))) << name;
  }
}

TEST(CdlModel, MatchesADirectImplementationOfTheDocumentedDraws) {
  // 1024 antennas also bound the drift of the phase recurrence against exact exponentials.
  for (const char* name : kModels)
    for (const Cdl& o : {Cdl{.model = name, .nt = 2, .nr = 1024, .spacing = 0.5, .spread = 60},
                         Cdl{.model = name, .nt = 2, .nr = 1024, .spacing = 3.7, .element = "38901", .spread = 180},
                         Cdl{.model = name, .nt = 1, .nr = 13, .spacing = 10, .element = "38901", .spread = 0}}) {
      const auto model = make(o);
      const RefTable t = ref_table(name);
      const double pattern_mean =
          o.element == "38901" ? mimo::cdl::mean_element_power_38901(mimo::cdl_table(name), o.spread) : 1.0;
      mimo::Rng a(11), b(11);
      arma::cx_mat H(o.nr, o.nt);
      for (int k = 0; k < 3; ++k) {
        sample(*model, a, H);
        const arma::cx_mat want = ref_realization(t, o, pattern_mean, b);
        // float32 rounding of entries of a few units at most; a wrong pairing, phase or angle moves them by O(1).
        EXPECT_LT(arma::abs(H - want).max(), 2e-6) << "CDL-" << name << " " << o.element << " d " << o.spacing;
      }
    }
}

TEST(CdlModel, GeneratorRunsItTheSameOnAnyNumberOfThreads) {
  mimo::GeneratorConfig cfg;
  cfg.channel = config({.model = "D", .nt = 4, .nr = 16, .element = "38901", .spread = 30});
  const mimo::Generator gen(cfg);
  mimo::SampleBatch one, two;
  gen.generate(100, 300, one, 1);
  gen.generate(100, 300, two, 2);
  ASSERT_EQ(one.H.size(), two.H.size());
  EXPECT_TRUE(std::equal(one.H.begin(), one.H.end(), two.H.begin()));
  EXPECT_TRUE(std::equal(one.y.begin(), one.y.end(), two.y.begin()));
  double power = 0.0;
  for (const auto& h : one.H) {
    ASSERT_TRUE(std::isfinite(h.real()) && std::isfinite(h.imag()));
    power += std::norm(h);
  }
  EXPECT_NEAR(power / one.H.size(), 1.0, 0.25);  // a smoke test; the statistics are checked below
}

// ---------------------------------------------------------------------------------------------------------------
// The element pattern and its normalization

TEST(CdlPattern, Table7_3_1) {
  using mimo::cdl::element_power_38901;
  auto db = [](double theta, double phi) { return 10.0 * std::log10(element_power_38901(theta, phi)); };
  EXPECT_NEAR(db(90, 0), 8.0, 1e-12);          // boresight: G_max
  EXPECT_NEAR(db(90, 65), 8.0 - 12.0, 1e-12);  // A_H = -12 (65 / 65)^2
  EXPECT_NEAR(db(90, -65), 8.0 - 12.0, 1e-12);
  EXPECT_NEAR(db(90, 295), 8.0 - 12.0, 1e-12);  // azimuth wrapped into (-180, 180]
  EXPECT_NEAR(db(155, 0), 8.0 - 12.0, 1e-12);   // A_V = -12 at theta = 90 + 65
  EXPECT_NEAR(db(155, 65), 8.0 - 24.0, 1e-12);
  EXPECT_NEAR(db(90, 180), 8.0 - 30.0, 1e-12);   // front-to-back ratio 30 dB
  EXPECT_NEAR(db(180, 180), 8.0 - 30.0, 1e-12);  // the sum capped at 30 dB
  for (double theta = 0; theta <= 180; theta += 7.5)
    for (double phi = -400; phi <= 400; phi += 11.25)
      EXPECT_NEAR(element_power_38901(theta, phi), ref_pattern_power(theta, phi), 1e-13) << theta << " " << phi;
}

TEST(CdlPattern, SinCosTurnsAgreesWithLibm) {
  // Long double reference: 2 pi t rounded in 64-bit precision, so the reference's own argument error is small.
  const long double two_pi = 2.0L * std::numbers::pi_v<long double>;
  double worst = 0.0;
  auto check = [&](double t) {
    double s, c;
    mimo::cdl::sincos_turns(t, s, c);
    worst = std::max({worst, std::abs(s - static_cast<double>(std::sin(two_pi * t))),
                      std::abs(c - static_cast<double>(std::cos(two_pi * t)))});
  };
  for (int k = -12 * 4096; k <= 12 * 4096; ++k) check(k / 4096.0 + 1e-7 * (k % 7));
  mimo::Rng rng(3);
  for (int k = 0; k < 100000; ++k) check(rng.uniform(-12.0, 12.0));
  for (double t : {0.0, 0.25, 0.5, -0.5, 0.75, 1.0, 0.125, 1e-300, 10.5}) check(t);
  EXPECT_LT(worst, 1e-15);  // as cdl.hpp promises
}

// The mean pattern power the model divides by, against the mean over the same distribution by brute force.
double ref_mean_pattern_power(const RefTable& t, double spread, int steps) {
  const std::vector<RefDirection> dirs = ref_directions(t);
  double sum = 0.0;
  const int count = spread > 0.0 ? steps : 1;
  for (int i = 0; i < count; ++i) {
    const double offset = spread > 0.0 ? -spread + (i + 0.5) * 2.0 * spread / steps : 0.0;
    for (const RefDirection& d : dirs) sum += d.weight * ref_pattern_power(d.zenith, d.azimuth + offset);
  }
  return sum / count;
}

TEST(CdlPattern, NormalizationEqualsTheMeanOverOffsetsAndCoupling) {
  for (const char* name : kModels) {
    const RefTable t = ref_table(name);
    const double at0 = mimo::cdl::mean_element_power_38901(mimo::cdl_table(name), 0.0);
    EXPECT_NEAR(at0, ref_mean_pattern_power(t, 0.0, 1), 1e-12 * at0) << name << ": no offset, no quadrature";
    EXPECT_NEAR(mimo::cdl::mean_element_power_38901(mimo::cdl_table(name), 1e-9), at0, 1e-9 * at0) << name;
  }
  // Midpoint rule at 0.05 degrees: error about 1e-6 relative, where the closed form is exact.
  for (const auto& [name, spread] : {std::pair{"A", 60.0}, std::pair{"D", 17.5}, std::pair{"E", 180.0}}) {
    const double want = ref_mean_pattern_power(ref_table(name), spread, static_cast<int>(2 * spread / 0.05));
    EXPECT_NEAR(mimo::cdl::mean_element_power_38901(mimo::cdl_table(name), spread), want, 1e-5 * want)
        << name << " spread " << spread;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

struct Moments {
  std::vector<Stat> cov, mean;  // E[h_p h_q^*] per user (p, q), E[h_p] per user
  std::vector<Stat> cross;      // E[h_p,0 h_q,1^*] between users 0 and 1
  Moments(int nr, int nt) : cov(nt * nr * nr), mean(nt * nr), cross(nt > 1 ? nr * nr : 0) {}
};

Moments measure(const Cdl& o, int realizations, uint64_t seed) {
  const auto model = make(o);
  mimo::Rng rng(seed);
  arma::cx_mat H(o.nr, o.nt);
  Moments m(o.nr, o.nt);
  for (int k = 0; k < realizations; ++k) {
    sample(*model, rng, H);
    for (int t = 0; t < o.nt; ++t)
      for (int p = 0; p < o.nr; ++p) {
        m.mean[t * o.nr + p].add(H(p, t));
        for (int q = 0; q < o.nr; ++q) m.cov[(t * o.nr + p) * o.nr + q].add(H(p, t) * std::conj(H(q, t)));
      }
    if (o.nt > 1)
      for (int p = 0; p < o.nr; ++p)
        for (int q = 0; q < o.nr; ++q) m.cross[p * o.nr + q].add(H(p, 0) * std::conj(H(q, 1)));
  }
  return m;
}

void expect_covariance(const Moments& m, int user, const arma::cx_mat& want, double max_se, const std::string& what) {
  const int nr = static_cast<int>(want.n_rows);
  for (int p = 0; p < nr; ++p)
    for (int q = 0; q < nr; ++q)
      expect_mean(m.cov[(user * nr + p) * nr + q], want(p, q), max_se,
                  what + " E[h_p h_q^*] p=" + std::to_string(p) + " q=" + std::to_string(q));
}

class CdlCovariance : public ::testing::TestWithParam<const char*> {};

// One user, no offset: E[h h^H] = sum_n P_n (1/400) sum_{m,m'} a a^H (+ P_LOS a a^H), entry by entry; and
// E[h] = 0, which for CDL-D and CDL-E needs the LoS path's random phase.
TEST_P(CdlCovariance, MatchesTheClosedFormAndHasZeroMean) {
  const Cdl o{.model = GetParam(), .nt = 1, .nr = 8};
  const int n = 20000;
  const Moments m = measure(o, n, 1234);
  const arma::cx_mat R = ref_covariance(ref_directions(ref_table(o.model)), o.nr, o.spacing, false, 0.0, 1);
  expect_covariance(m, 0, R, 0.02, std::string("CDL-") + o.model);
  for (int p = 0; p < o.nr; ++p)
    expect_mean(m.mean[p], 0.0, 0.02, std::string("CDL-") + o.model + " E[h_p] p=" + std::to_string(p));
}

INSTANTIATE_TEST_SUITE_P(Models, CdlCovariance, ::testing::ValuesIn(kModels),
                         [](const auto& info) { return std::string("CDL_") + info.param; });

TEST(CdlCovariance, WithThe38901PatternMatchesTheClosedForm) {
  for (const char* name : {"A", "C"}) {
    const Cdl o{.model = name, .nt = 1, .nr = 8, .spacing = 0.7, .element = "38901"};
    const Moments m = measure(o, 20000, 99);
    const arma::cx_mat R = ref_covariance(ref_directions(ref_table(name)), o.nr, o.spacing, true, 0.0, 1);
    const arma::cx_mat iso = ref_covariance(ref_directions(ref_table(name)), o.nr, o.spacing, false, 0.0, 1);
    ASSERT_GT(arma::abs(R - iso).max(), 0.1) << name << ": the pattern must matter for this test to see it";
    expect_covariance(m, 0, R, 0.02, std::string("CDL-") + name + " 38901");
  }
}

// At 10 wavelengths the array resolves the ray pairs: the covariance with every azimuth offset paired with every
// zenith offset (the random coupling) differs from the one with ray m's two offsets fixed together.
TEST(CdlCovariance, RandomCouplingPairsEveryAzimuthWithEveryZenithOffset) {
  const Cdl o{.model = "B", .nt = 1, .nr = 8, .spacing = 10.0};
  const RefTable t = ref_table("B");
  const arma::cx_mat coupled = ref_covariance(ref_directions(t), o.nr, o.spacing, false, 0.0, 1);
  const arma::cx_mat fixed = ref_covariance(ref_directions(t, true), o.nr, o.spacing, false, 0.0, 1);
  const double max_se = 0.0075;
  ASSERT_GT(arma::abs(coupled - fixed).max(), 2 * kSigmas * max_se);
  const Moments m = measure(o, 40000, 5);
  expect_covariance(m, 0, coupled, max_se, "CDL-B d=10");
}

// With a user offset each user's covariance is the offset-averaged one (not the table's), and two users are
// uncorrelated.
TEST(CdlCovariance, UserOffsetRotatesEachUserIndependently) {
  const Cdl o{.model = "A", .nt = 2, .nr = 8, .spread = 60};
  const std::vector<RefDirection> dirs = ref_directions(ref_table("A"));
  const arma::cx_mat rotated = ref_covariance(dirs, o.nr, o.spacing, false, o.spread, 480);
  const arma::cx_mat table = ref_covariance(dirs, o.nr, o.spacing, false, 0.0, 1);
  const double max_se = 0.01;
  ASSERT_GT(arma::abs(rotated - table).max(), 2 * kSigmas * max_se);
  const Moments m = measure(o, 20000, 77);
  for (int user = 0; user < 2; ++user)
    expect_covariance(m, user, rotated, max_se, "CDL-A user " + std::to_string(user));
  for (int p = 0; p < o.nr; ++p)
    for (int q = 0; q < o.nr; ++q)
      expect_mean(m.cross[p * o.nr + q], 0.0, max_se,
                  "CDL-A E[h_p,0 h_q,1^*] p=" + std::to_string(p) + " q=" + std::to_string(q));
}

// E|h|^2 = 1 for every entry, and pooled over the entries of a realization for a sharper check. And the users'
// column powers are uncorrelated: with the 38901 pattern a user's power follows its offset, so an offset shared
// between users would show here (their phases alone make E[h_1 h_2^H] = 0 either way).
TEST(CdlPower, UnitPowerPerEntryAndIndependentUsers) {
  for (const Cdl& o : {Cdl{.model = "A", .nt = 4, .nr = 4, .spread = 60},
                       Cdl{.model = "A", .nt = 4, .nr = 4, .element = "38901", .spread = 60},
                       Cdl{.model = "D", .nt = 4, .nr = 4, .element = "38901", .spread = 60},
                       Cdl{.model = "C", .nt = 4, .nr = 4, .spacing = 2.0, .element = "38901", .spread = 180}}) {
    const auto model = make(o);
    mimo::Rng rng(2025);
    arma::cx_mat H(o.nr, o.nt);
    std::vector<RealStat> entry(o.nr * o.nt);
    RealStat pooled, power_cov;
    for (int k = 0; k < 10000; ++k) {
      sample(*model, rng, H);
      for (int e = 0; e < o.nr * o.nt; ++e) entry[e].add(std::norm(H[e]));
      pooled.add(arma::accu(arma::square(arma::abs(H))) / (o.nr * o.nt));
      const double p0 = arma::accu(arma::square(arma::abs(H.col(0)))) / o.nr;
      const double p1 = arma::accu(arma::square(arma::abs(H.col(1)))) / o.nr;
      power_cov.add((p0 - 1.0) * (p1 - 1.0));
    }
    const std::string what = "CDL-" + o.model + " " + o.element + " spread " + std::to_string(o.spread);
    for (int e = 0; e < o.nr * o.nt; ++e) expect_mean(entry[e], 1.0, 0.05, what + " entry " + std::to_string(e));
    expect_mean(pooled, 1.0, 0.02, what + " pooled");
    expect_mean(power_cov, 0.0, 0.035, what + " cov(user 0 power, user 1 power)");
  }
}

}  // namespace
