// Channel models measured over many realizations. Every statistical check compares a sample mean with its
// expected value within kSigmas standard errors, the standard error estimated from the same samples; each check
// also asserts that the standard error is small enough for the test to catch a real bug (e.g. a factor of 2).
// The models only shape i.i.d. draws (the generator's kernel makes those); here the draws come from an
// independent source, the sequential Rng.
#include <gtest/gtest.h>

#include <armadillo>
#include <cmath>
#include <complex>
#include <limits>
#include <map>
#include <algorithm>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel/channel_model.hpp"
#include "channel/generator.hpp"
#include "channel/models.hpp"
#include "channel/random.hpp"
#include "draws.hpp"
#include "statistics.hpp"

namespace {

using cd = std::complex<double>;
using Stat = mimo::test::Stat<cd>;
using mimo::test::expect_mean;
using mimo::test::kSigmas;
constexpr int kRealizations = 20000;

arma::mat ref_exp_corr(int n, double rho) {
  arma::mat R(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) R(i, j) = std::pow(rho, std::abs(i - j));
  return R;
}

// One realization: G i.i.d. CN(0, 1) and the model's uniforms from rng, shaped by the model into H (Nr x Nt).
void sample(const mimo::ChannelModel& model, mimo::Rng& rng, arma::cx_mat& H) {
  const int nr = static_cast<int>(H.n_rows), nt = static_cast<int>(H.n_cols);
  std::vector<std::complex<float>> g(static_cast<size_t>(nr) * nt);
  for (auto& e : g) e = std::complex<float>(rng.complex_normal(1.0));
  mimo::test::RngDraws draws(rng);
  model.shape(g.data(), nr, nt, draws);
  for (int r = 0; r < nr; ++r)
    for (int t = 0; t < nt; ++t) H(r, t) = cd(g[r * nt + t]);
}

std::unique_ptr<mimo::ChannelModel> make(const std::string& model, int nt, int nr, double rho_tx = 0,
                                         double rho_rx = 0, double k = 0) {
  mimo::ChannelConfig c;
  c.model = model;
  c.nt = nt;
  c.nr = nr;
  if (model == "kronecker") c.set("rho_tx", rho_tx).set("rho_rx", rho_rx);
  if (model == "rician") c.set("k_factor", k);
  return mimo::make_channel_model(c);
}

TEST(ChannelModels, RegistryNamesAndParameters) {
  const auto names = mimo::channel_model_names();
  for (const char* expected : {"rayleigh", "kronecker", "rician"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  for (const auto& n : names) EXPECT_EQ(mimo::channel_model_info(n).name, n);
  EXPECT_TRUE(mimo::channel_model_info("rayleigh").parameters.empty());

  mimo::ChannelConfig c;
  c.model = "kronecker";
  c.set("rho_tx", 0.7);
  const auto kp = c.resolved_parameters();  // declared order, defaults filled in
  ASSERT_EQ(kp.size(), 2u);
  EXPECT_EQ(kp[0].first, "rho_tx");
  EXPECT_DOUBLE_EQ(std::get<double>(kp[0].second), 0.7);
  EXPECT_EQ(kp[1].first, "rho_rx");
  EXPECT_DOUBLE_EQ(std::get<double>(kp[1].second), 0.0);
  EXPECT_DOUBLE_EQ(c.real("rho_rx"), 0.0);
  EXPECT_EQ(c.describe(), "kronecker (rho_tx = 0.7, rho_rx = 0)");
  EXPECT_THROW(c.real("k_factor"), std::invalid_argument);  // not kronecker's
  EXPECT_EQ(mimo::channel_model_info("rician").parameters.at(0).flag(), "--k-factor");
}

// Every model's parameters become flags, HDF5 attributes and JSON keys by name: no two models may declare one name
// differently, and no name may shadow an attribute the data-set schema writes itself.
TEST(ChannelModels, ParameterNamesAreUniqueAndFree) {
  const std::vector<std::string> reserved = {"schema_version", "nt", "nr", "modulation", "bits_per_symbol",
                                             "channel_model", "csi_error_var", "user_power_spread_db",
                                             "uses_per_realization", "snr_unit",
                                             "snr_schedule", "seed", "tool_version", "llr_convention", "model"};
  std::map<std::string, const mimo::ChannelParameter*> seen;
  for (const auto& m : mimo::channel_models())
    for (const auto& p : m.parameters) {
      EXPECT_EQ(std::find(reserved.begin(), reserved.end(), p.name), reserved.end()) << m.name << ": " << p.name;
      EXPECT_FALSE(p.help.empty()) << m.name << ": " << p.name;
      // The default must itself be valid.
      mimo::ChannelConfig c;
      c.model = m.name;
      EXPECT_NO_THROW(c.resolved_parameters()) << m.name << ": " << p.name;
      const auto [it, fresh] = seen.emplace(p.name, &p);
      if (!fresh) {
        EXPECT_EQ(it->second->kind, p.kind) << p.name;
        EXPECT_EQ(it->second->default_value, p.default_value) << p.name;
      }
    }
}

TEST(ChannelModels, ValidateRejectsBadConfigs) {
  mimo::ChannelConfig ok;
  EXPECT_NO_THROW(mimo::validate(ok));
  ok.model = "kronecker";
  ok.set("rho_tx", 0.99).set("rho_rx", 0.0);
  EXPECT_NO_THROW(mimo::validate(ok));
  ok.params.clear();
  ok.model = "rician";
  ok.set("k_factor", 0.0);
  EXPECT_NO_THROW(mimo::validate(ok));

  auto rejects = [](auto mutate, const std::string& what) {
    mimo::ChannelConfig c;
    mutate(c);
    EXPECT_THROW(mimo::validate(c), std::invalid_argument) << what;
    EXPECT_THROW(mimo::make_channel_model(c), std::invalid_argument) << what;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  rejects([](auto& c) { c.model = "kronecker"; c.set("rho_tx", 1.0); }, "rho_tx = 1");
  rejects([](auto& c) { c.model = "kronecker"; c.set("rho_rx", 1.0); }, "rho_rx = 1");
  rejects([](auto& c) { c.model = "kronecker"; c.set("rho_tx", -0.1); }, "rho_tx < 0");
  rejects([](auto& c) { c.model = "kronecker"; c.set("rho_rx", -0.5); }, "rho_rx < 0");
  rejects([](auto& c) { c.model = "kronecker"; c.set("rho_tx", 1.5); }, "rho_tx > 1");
  rejects([&](auto& c) { c.model = "kronecker"; c.set("rho_rx", nan); }, "rho_rx NaN");
  rejects([](auto& c) { c.model = "rician"; c.set("k_factor", -1.0); }, "K < 0");
  rejects([&](auto& c) { c.model = "rician"; c.set("k_factor", nan); }, "K NaN");
  rejects([&](auto& c) { c.model = "rician"; c.set("k_factor", inf); }, "K inf");
  rejects([](auto& c) { c.csi_error_var = -0.01; }, "csi var < 0");
  rejects([&](auto& c) { c.csi_error_var = nan; }, "csi var NaN");
  rejects([](auto& c) { c.model = "rayleigh"; c.set("rho_tx", 0.5); }, "another model's parameter");
  rejects([](auto& c) { c.model = "kronecker"; c.set("rho_tx", std::string("high")); }, "text for a number");
  rejects([](auto& c) { c.set("bogus", 1.0); }, "undeclared parameter");
  rejects([](auto& c) { c.user_power_spread_db = -1; }, "negative power spread");
  rejects([&](auto& c) { c.user_power_spread_db = nan; }, "power spread NaN");
  rejects([](auto& c) { c.uses_per_realization = 0; }, "uses per realization 0");
  rejects([](auto& c) { c.uses_per_realization = mimo::kMaxUsesPerRealization + 1; }, "uses per realization > 1e9");
  rejects([](auto& c) { c.model = "no-such-model"; }, "unknown model");
  rejects([](auto& c) { c.model = ""; }, "empty model");
  rejects([](auto& c) { c.model = "Rayleigh"; }, "model names are case-sensitive");
  rejects([](auto& c) { c.nt = 0; }, "nt = 0");
  rejects([](auto& c) { c.nr = 0; }, "nr = 0");
  rejects([](auto& c) { c.nt = -3; }, "nt < 0");
}

TEST(ChannelModels, ExponentialCorrelation) {
  for (int n : {1, 2, 5})
    for (double rho : {0.0, 0.3, 0.7, 0.95}) {
      const arma::mat R = mimo::exponential_correlation(n, rho);
      ASSERT_EQ(R.n_rows, static_cast<arma::uword>(n));
      ASSERT_EQ(R.n_cols, static_cast<arma::uword>(n));
      EXPECT_LT(arma::abs(R - ref_exp_corr(n, rho)).max(), 1e-15);
    }
  const arma::mat R = mimo::exponential_correlation(3, 0.5);
  EXPECT_DOUBLE_EQ(R(0, 2), 0.25);
  EXPECT_DOUBLE_EQ(R(2, 1), 0.5);
  EXPECT_DOUBLE_EQ(R(1, 1), 1.0);
}

TEST(ChannelModels, SymmetricSquareRootMatchesLapack) {
  for (int n : {1, 2, 5, 16, 33})
    for (double rho : {0.0, 0.3, 0.7, 0.95, 0.999}) {
      const arma::mat R = mimo::exponential_correlation(n, rho);
      const arma::mat S = mimo::symmetric_sqrt(R);
      const std::string what = "n=" + std::to_string(n) + " rho=" + std::to_string(rho);
      EXPECT_LT(arma::abs(S - S.t()).max(), 1e-13) << what;
      EXPECT_LT(arma::abs(S * S - R).max(), 1e-12) << what;
      // The same root LAPACK's eigendecomposition gives (the positive semidefinite one, not a Cholesky factor).
      EXPECT_LT(arma::abs(S - arma::sqrtmat_sympd(R)).max(), 1e-10) << what;
    }
  // Identity in, identity out, exactly: rho = 0 leaves the draws untouched.
  EXPECT_TRUE(arma::approx_equal(mimo::symmetric_sqrt(arma::eye(6, 6)), arma::mat(arma::eye(6, 6)), "absdiff", 0.0));
  EXPECT_THROW(mimo::symmetric_sqrt(arma::mat(2, 3, arma::fill::zeros)), std::invalid_argument);
}

TEST(ChannelModels, RayleighAndUncorrelatedKroneckerKeepTheDraws) {
  EXPECT_TRUE(make("rayleigh", 3, 4)->iid());
  EXPECT_FALSE(make("kronecker", 3, 4)->iid());
  EXPECT_FALSE(make("rician", 3, 4)->iid());
  mimo::Rng rng(3);
  std::vector<std::complex<float>> g(12);
  for (auto& e : g) e = std::complex<float>(rng.complex_normal(1.0));
  for (const char* name : {"rayleigh", "kronecker"}) {
    auto h = g;
    mimo::test::FunctionDraws draws([] { return 0.25; });
    make(name, 3, 4)->shape(h.data(), 4, 3, draws);
    for (size_t k = 0; k < g.size(); ++k) ASSERT_EQ(h[k], g[k]) << name << " entry " << k;
  }
}

// H = I whatever the draws, and only for square sizes (the make() error is one line naming the rule).
TEST(ChannelModels, AwgnIsTheIdentity) {
  for (int n : {1, 2, 5}) {
    auto model = make("awgn", n, n);
    EXPECT_FALSE(model->iid());
    mimo::Rng rng(static_cast<uint64_t>(n));
    arma::cx_mat H(n, n);
    sample(*model, rng, H);
    EXPECT_TRUE(arma::approx_equal(H, arma::cx_mat(arma::eye(n, n), arma::zeros(n, n)), "absdiff", 0.0)) << n;
  }
  EXPECT_TRUE(mimo::channel_model_info("awgn").parameters.empty());
  try {
    make("awgn", 2, 4);
    ADD_FAILURE() << "awgn 2x4 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--channel awgn needs --nt equal to --nr (H = I; nt = 2, nr = 4)");
  }
}

TEST(ChannelModels, ShapingIsDeterministic) {
  for (const char* name : {"rayleigh", "kronecker", "rician"}) {
    auto m = make(name, 3, 4, 0.6, 0.4, 2.0);
    mimo::Rng a(99), b(99), c(100);
    arma::cx_mat Ha(4, 3), Hb(4, 3), Hc(4, 3);
    sample(*m, a, Ha);
    sample(*m, b, Hb);
    sample(*m, c, Hc);
    EXPECT_TRUE(arma::approx_equal(Ha, Hb, "absdiff", 0.0)) << name;
    EXPECT_GT(arma::abs(Ha - Hc).max(), 1e-3) << name;
    EXPECT_TRUE(Ha.is_finite()) << name;
  }
}

TEST(ChannelModels, RayleighUnitPowerUncorrelatedCircular) {
  const int nt = 3, nr = 4, ne = nt * nr;
  auto model = make("rayleigh", nt, nr);
  mimo::Rng rng(2024);
  arma::cx_mat H(nr, nt);
  std::vector<Stat> power(ne), mean(ne), pseudo(ne), cross(ne * ne);
  for (int k = 0; k < kRealizations; ++k) {
    sample(*model, rng, H);
    for (int a = 0; a < ne; ++a) {
      power[a].add(std::norm(H[a]));
      mean[a].add(H[a]);
      pseudo[a].add(H[a] * H[a]);
      for (int b = a + 1; b < ne; ++b) cross[a * ne + b].add(H[a] * std::conj(H[b]));
    }
  }
  const double se1 = 2.0 / std::sqrt(kRealizations);  // each statistic has variance <= 2 per draw
  for (int a = 0; a < ne; ++a) {
    expect_mean(power[a], 1.0, se1, "Rayleigh E|h|^2 entry " + std::to_string(a));
    expect_mean(mean[a], 0.0, se1, "Rayleigh E[h] entry " + std::to_string(a));
    expect_mean(pseudo[a], 0.0, se1, "Rayleigh E[h^2] entry " + std::to_string(a));
    for (int b = a + 1; b < ne; ++b)
      expect_mean(cross[a * ne + b], 0.0, se1,
                  "Rayleigh E[h_a h_b^*] " + std::to_string(a) + "," + std::to_string(b));
  }
}

TEST(ChannelModels, KroneckerCovariancesMatchExponentialCorrelation) {
  // nt != nr so that swapped transmit / receive sides cannot pass.
  const int nt = 4, nr = 3;
  const double rho_tx = 0.7, rho_rx = 0.5;
  auto model = make("kronecker", nt, nr, rho_tx, rho_rx);
  const arma::mat Rtx = ref_exp_corr(nt, rho_tx), Rrx = ref_exp_corr(nr, rho_rx);
  mimo::Rng rng(77);
  arma::cx_mat H(nr, nt);
  std::vector<Stat> tx(nt * nt), rx(nr * nr), power(nt * nr);
  for (int k = 0; k < kRealizations; ++k) {
    sample(*model, rng, H);
    ASSERT_EQ(H.n_rows, static_cast<arma::uword>(nr));
    ASSERT_EQ(H.n_cols, static_cast<arma::uword>(nt));
    const arma::cx_mat A = H.t() * H / static_cast<double>(nr);  // E = R_tx
    const arma::cx_mat B = H * H.t() / static_cast<double>(nt);  // E = R_rx
    for (int i = 0; i < nt; ++i)
      for (int j = 0; j < nt; ++j) tx[i * nt + j].add(A(i, j));
    for (int i = 0; i < nr; ++i)
      for (int j = 0; j < nr; ++j) rx[i * nr + j].add(B(i, j));
    for (arma::uword e = 0; e < H.n_elem; ++e) power[e].add(std::norm(H[e]));
  }
  // Per-draw standard deviation of these averages is below ~1.2, so se <= 1.5/sqrt(N) ~ 0.011; the smallest
  // gap between a correct and an i.i.d. entry (0.7^3 = 0.34, 0.5^2 = 0.25) is > 20 standard errors.
  const double max_se = 1.5 / std::sqrt(kRealizations);
  for (int i = 0; i < nt; ++i)
    for (int j = 0; j < nt; ++j)
      expect_mean(tx[i * nt + j], Rtx(i, j), max_se,
                  "E[H^H H]/Nr (" + std::to_string(i) + "," + std::to_string(j) + ")");
  for (int i = 0; i < nr; ++i)
    for (int j = 0; j < nr; ++j)
      expect_mean(rx[i * nr + j], Rrx(i, j), max_se,
                  "E[H H^H]/Nt (" + std::to_string(i) + "," + std::to_string(j) + ")");
  for (int e = 0; e < nt * nr; ++e) expect_mean(power[e], 1.0, max_se, "Kronecker E|h|^2");
}

TEST(ChannelModels, KroneckerWithZeroCorrelationIsIid) {
  auto model = make("kronecker", 2, 2, 0.0, 0.0);
  mimo::Rng rng(5);
  arma::cx_mat H(2, 2);
  Stat c01, p;
  for (int k = 0; k < kRealizations; ++k) {
    sample(*model, rng, H);
    c01.add(H(0, 0) * std::conj(H(0, 1)));
    p.add(std::norm(H(1, 1)));
  }
  expect_mean(c01, 0.0, 0.015, "uncorrelated tx");
  expect_mean(p, 1.0, 0.015, "unit power");
}

TEST(ChannelModels, RicianUnitPowerAndFourthMoment) {
  // With h = sqrt(K/(K+1)) e^{j phi} + sqrt(1/(K+1)) g, g ~ CN(0,1):
  //   E|h|^2 = 1,   E|h|^4 = (K^2 + 4K + 2) / (K+1)^2   (2 for Rayleigh, -> 1 for pure line of sight).
  const int nt = 3, nr = 4;
  for (double K : {0.0, 1.0, 10.0, 1e6}) {
    auto model = make("rician", nt, nr, 0, 0, K);
    mimo::Rng rng(static_cast<uint64_t>(1000 + K));
    arma::cx_mat H(nr, nt);
    Stat p2, p4, h11;
    std::vector<Stat> p(nt * nr);
    for (int k = 0; k < kRealizations; ++k) {
      sample(*model, rng, H);
      for (arma::uword e = 0; e < H.n_elem; ++e) {
        p[e].add(std::norm(H[e]));
        p2.add(std::norm(H[e]));
        p4.add(std::norm(H[e]) * std::norm(H[e]));
      }
      h11.add(std::abs(H(0, 0)));
    }
    const std::string k = "K=" + std::to_string(K);
    for (int e = 0; e < nt * nr; ++e) expect_mean(p[e], 1.0, 0.015, "Rician E|h|^2 entry, " + k);
    // |h_ij|^2 does not depend on the line-of-sight phase (g is circular), so the entries' powers are
    // independent and pooling them is legitimate.
    const double want4 = (K * K + 4 * K + 2) / ((K + 1) * (K + 1));
    expect_mean(p2, 1.0, 0.005, "Rician pooled E|h|^2, " + k);
    expect_mean(p4, want4, 0.012, "Rician pooled E|h|^4, " + k);
    if (K >= 1e6) {
      EXPECT_NEAR(h11.mean().real(), 1.0, 1e-2) << "line of sight dominates";
      EXPECT_NEAR(p4.mean().real(), 1.0, 1e-2);
    }
  }
}

TEST(ChannelModels, RicianLineOfSightIsRankOneUnitModulus) {
  // For K -> infinity H is the rank-one steering product: all |h_ij| = 1, and sigma_2 / sigma_1 ~ 0.
  auto model = make("rician", 4, 6, 0, 0, 1e8);
  mimo::Rng rng(31);
  arma::cx_mat H(6, 4);
  for (int k = 0; k < 200; ++k) {
    sample(*model, rng, H);
    EXPECT_LT(arma::abs(arma::abs(H) - 1.0).max(), 1e-2);
    const arma::vec sv = arma::svd(H);
    EXPECT_NEAR(sv(0), std::sqrt(24.0), 1e-2);
    EXPECT_LT(sv(1) / sv(0), 1e-2);
  }
  // The reference element's steering phase is zero: E[h_11] = sqrt(K/(K+1)) for any K.
  for (double K : {1.0, 10.0}) {
    auto m = make("rician", 2, 2, 0, 0, K);
    Stat s;
    arma::cx_mat H2(2, 2);
    for (int k = 0; k < kRealizations; ++k) {
      sample(*m, rng, H2);
      s.add(H2(0, 0));
    }
    expect_mean(s, std::sqrt(K / (K + 1)), 0.01, "E[h_11], K=" + std::to_string(K));
  }
}

}  // namespace

namespace {

// The power spread's mean-1 offset stays finite and exact however small the spread (the difference of two
// exponentials would cancel to 0 below S ~ 1e-16 and give an infinite gain).
TEST(ChannelModels, UserPowerSpreadMeanIsExactForAnySpread) {
  for (double s : {1e-300, 1e-20, 1e-9}) {
    EXPECT_NEAR(mimo::UserPowerSpread::mean_linear(s), 1.0, 1e-15) << s;
    const mimo::UserPowerSpread spread(s);
    for (double u : {0.0, 0.5, 0.999}) {
      EXPECT_TRUE(std::isfinite(spread.gain_db(u))) << s;
      EXPECT_LE(std::abs(spread.gain_db(u)), s) << s;
    }
  }
  // 12 dB: (10^0.6 - 10^-0.6) / (1.2 ln 10), from the integral of 10^(d/10) over [-6, 6] / 12.
  EXPECT_NEAR(mimo::UserPowerSpread::mean_linear(12.0),
              (std::pow(10.0, 0.6) - std::pow(10.0, -0.6)) / (1.2 * std::log(10.0)), 1e-14);
  EXPECT_DOUBLE_EQ(mimo::UserPowerSpread::mean_linear(0.0), 1.0);
}

// Numbers read as typed: "10", not "1e+01"; any finite K >= 0 (files of older versions allowed them).
TEST(ChannelModels, ParametersPrintAsTypedAndLargeKFactorsAreValid) {
  mimo::ChannelConfig c;
  c.model = "rician";
  c.set("k_factor", 10.0);
  c.user_power_spread_db = 20;
  EXPECT_EQ(c.describe(), "rician (k_factor = 10, user power spread 20 dB)");
  c.uses_per_realization = 14;
  EXPECT_EQ(c.describe(), "rician (k_factor = 10, user power spread 20 dB, 14 uses per realization)");
  c.uses_per_realization = 1;
  c.set("k_factor", 1e10);
  EXPECT_NO_THROW(mimo::validate(c));
  EXPECT_EQ(mimo::to_text(mimo::ParameterValue(0.7)), "0.7");
}

}  // namespace
