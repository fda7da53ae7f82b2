// The channel models as the command line meets them, driven by the registry: every registered model's declared
// parameters become flags, are recorded in the data set and the results JSON, and shown by `mimo inspect`; a
// model added to the registry is covered here without a new line.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <string>
#include <vector>

#include "channel/channel_model.hpp"
#include "channel/generator.hpp"
#include "cli_runner.hpp"
#include "datasets/reader.hpp"

namespace mimo {
namespace {

using Cli = test::CliTest;

// A small channel file in h5py's layout, for --channel file.
void write_channel_file(const std::filesystem::path& path, int n, int nr, int nt) {
  H5::CompType cx(2 * sizeof(double));
  cx.insertMember("r", 0, H5::PredType::NATIVE_DOUBLE);
  cx.insertMember("i", sizeof(double), H5::PredType::NATIVE_DOUBLE);
  std::vector<std::complex<double>> h(static_cast<size_t>(n) * nr * nt);
  for (size_t k = 0; k < h.size(); ++k) h[k] = {std::cos(0.7 * k), std::sin(1.3 * k + 0.2)};
  H5::H5File f(path.string(), H5F_ACC_TRUNC);
  const hsize_t dims[3] = {static_cast<hsize_t>(n), static_cast<hsize_t>(nr), static_cast<hsize_t>(nt)};
  f.createDataSet("H", cx, H5::DataSpace(3, dims)).write(h.data(), cx);
  f.createDataSet("H2", cx, H5::DataSpace(3, dims)).write(h.data(), cx);
}

// A valid value other than the default for each declared parameter: midway in a numeric range, the last choice
// of a list, a file written here for a path.
ParameterValue other_value(const ChannelParameter& p, const std::filesystem::path& dir) {
  if (p.kind == ChannelParameter::Kind::real) {
    const double def = std::strtod(p.default_value.c_str(), nullptr);
    const double hi = std::min(p.max, p.min + 8.0);
    double v = 0.5 * (p.min + hi);
    if (v == def) v = 0.25 * p.min + 0.75 * hi;
    return v;
  }
  if (p.name == "h_layout") return std::string("h5py");  // the file below is in h5py's layout
  if (!p.choices.empty()) return p.choices.back() != p.default_value ? p.choices.back() : p.choices.front();
  if (p.name == "h_dataset") return std::string("/H2");
  EXPECT_EQ(p.name, "h_file") << "a free-text parameter this test does not know how to fill";
  write_channel_file(dir / "H.h5", 16, 2, 2);
  return (dir / "H.h5").string();
}

std::string flags_for(const std::vector<std::pair<std::string, ParameterValue>>& values) {
  std::string s;
  for (const auto& [name, v] : values) {
    ChannelParameter p;
    p.name = name;
    // Appended piece by piece: GCC 12's -Wrestrict misfires on the chained operator+ (its bug 105329).
    s.append(" ").append(p.flag()).append(" '").append(to_text(v)).append("'");
  }
  return s;
}

// The JSON value after "name": (text or number) as written by mimo evaluate.
std::string json_value(const std::string& json, const std::string& name) {
  const auto at = json.find("\"" + name + "\": ");
  if (at == std::string::npos) return "<missing>";
  const auto begin = at + name.size() + 4;
  const auto end = json.find_first_of(",\n}", begin);
  std::string v = json.substr(begin, end - begin);
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

TEST_F(Cli, EveryRegisteredModelRecordsItsParametersInTheDataSetJsonAndInspect) {
  for (const auto& model : channel_models()) {
    std::vector<std::pair<std::string, ParameterValue>> values;
    for (const auto& p : model.parameters) values.emplace_back(p.name, other_value(p, dir_));
    // Square: every model takes it (awgn needs nt = nr).
    const std::string channel = "--channel " + model.name + flags_for(values) + " --nt 2 --nr 2";
    const auto g = run("generate " + channel + " --snr-db 10 --samples 64 --out d.h5");
    ASSERT_EQ(g.status, 0) << model.name << ": " << g.err;
    const DatasetReader reader((dir_ / "d.h5").string());
    EXPECT_EQ(reader.info().channel.model, model.name);
    for (const auto& [name, v] : values) {
      ASSERT_TRUE(reader.info().channel.params.count(name)) << model.name << ": " << name;
      EXPECT_EQ(reader.info().channel.params.at(name), v) << model.name << ": " << name;
    }
    const auto inspect = run("inspect d.h5");
    ASSERT_EQ(inspect.status, 0) << inspect.err;
    for (const auto& [name, v] : values)
      EXPECT_NE(inspect.out.find(name + " = " + to_text(v)), std::string::npos) << model.name << ": " << inspect.out;

    const auto e = run("evaluate " + channel + " --snr-db 10 --detectors mmse --max-bits 2000 --out r.csv");
    ASSERT_EQ(e.status, 0) << model.name << ": " << e.err;
    const auto json = test::slurp(dir_ / "r.json");
    EXPECT_EQ(json_value(json, "model"), model.name);
    for (const auto& [name, v] : values) {
      const std::string got = json_value(json, name);
      if (const double* x = std::get_if<double>(&v))
        EXPECT_EQ(std::strtod(got.c_str(), nullptr), *x) << model.name << ": " << name << " = " << got;
      else
        EXPECT_EQ(got, std::get<std::string>(v)) << model.name << ": " << name;
    }
    // Evaluating the stored set rebuilds the same channel from the recorded parameters.
    const auto d = run("evaluate --data d.h5 --detectors mmse --out rd.csv");
    ASSERT_EQ(d.status, 0) << model.name << ": " << d.err;
    std::filesystem::remove(dir_ / "d.h5");
  }
}

TEST_F(Cli, ChannelFlagMistakesAreOneLineErrors) {
  struct Case {
    std::string flags, message;
  };
  const std::vector<Case> cases = {
      {"--channel nope", "unknown channel model 'nope' (expected one of rayleigh, kronecker, rician"},
      {"--channel rayleigh --rho-tx 0.5", "--rho-tx belongs to --channel kronecker, not to --channel rayleigh"},
      {"--channel kronecker --rho-tx 1", "rho-tx must be in [0, 1) (rho-tx = 1)"},
      {"--channel kronecker --rho-tx abc", "--rho-tx must be a finite number (got 'abc')"},
      {"--channel rician --k-factor -2", "k-factor must be in [0, "},
      {"--channel file", "--channel file needs --h-file"},
      {"--channel file --h-file missing.h5", "missing.h5"},
      {"--channel file --h-file x.h5 --h-normalize maybe", "h-normalize must be one of global, per-sample, none"},
      {"--user-power-spread-db -3", "user-power-spread-db must be in [0, 60]"},
      {"--channel cdl --cdl-model ''", "cdl-model must be one of A, B, C, D, E"},
      {"--channel cdl --cdl-model F", "cdl-model must be one of A, B, C, D, E (cdl-model = 'F')"},
      {"--channel cdl --bs-spacing 0", "bs-spacing must be in [0.05, 10]"},
      {"--channel file --h-file x.h5 --h-dataset ''", "--h-dataset must not be empty"},
      {"--uses-per-realization 0", "--uses-per-realization: must be an integer in [1, 1000000000] (got '0')"},
      {"--uses-per-realization -3", "must be an integer in [1, 1000000000] (got '-3')"},
      {"--uses-per-realization 1000000001", "must be an integer in [1, 1000000000] (got '1000000001')"},
      {"--uses-per-realization 2.5", "must be an integer in [1, 1000000000] (got '2.5')"},
      {"--uses-per-realization x", "must be an integer in [1, 1000000000] (got 'x')"},
  };
  for (const auto& c : cases) {
    const auto r = run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out d.h5 " + c.flags);
    EXPECT_NE(r.status, 0) << c.flags;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.flags << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.flags << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "d.h5")) << c.flags;
  }
  // awgn is H = I: square only.
  const auto awgn = run("generate --channel awgn --nt 2 --nr 3 --snr-db 10 --samples 10 --out d.h5");
  EXPECT_NE(awgn.status, 0);
  EXPECT_NE(awgn.err.find("--channel awgn needs --nt equal to --nr"), std::string::npos) << awgn.err;
  EXPECT_EQ(std::count(awgn.err.begin(), awgn.err.end(), '\n'), 1) << awgn.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "d.h5"));
  // With --data the channel is the data set's: a model flag beside it is refused, not ignored.
  ASSERT_EQ(run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out d.h5").status, 0);
  const auto r = run("evaluate --data d.h5 --detectors mmse --k-factor 3 --out r.csv");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--k-factor"), std::string::npos) << r.err;
}

// --user-power-spread-db S scales user t's column by sqrt(10^(g_t / 10)) on the same draws: the data set with a
// spread is the one without, column by column, times the recorded gains; the gains fill the S dB window shifted
// so that their linear mean is 1.
TEST_F(Cli, UserPowerSpreadScalesEachUsersColumnByItsRecordedGain) {
  const std::string common = "generate --nt 4 --nr 3 --mod qpsk --snr-db 10 --samples 5000 --seed 5 ";
  ASSERT_EQ(run(common + "--out flat.h5").status, 0);
  const auto r = run(common + "--user-power-spread-db 12 --out spread.h5");
  ASSERT_EQ(r.status, 0) << r.err;
  const DatasetReader flat((dir_ / "flat.h5").string()), spread((dir_ / "spread.h5").string());
  EXPECT_FALSE(flat.has_user_gain());
  ASSERT_TRUE(spread.has_user_gain());
  EXPECT_EQ(spread.info().channel.user_power_spread_db, 12.0);
  SampleBatch a, b;
  flat.read(0, 5000, a);
  spread.read(0, 5000, b);
  const double offset = 10 * std::log10(UserPowerSpread::mean_linear(12.0));
  EXPECT_NEAR(offset, 10 * std::log10((std::pow(10.0, 0.6) - std::pow(10.0, -0.6)) / (1.2 * std::log(10.0))), 1e-12);
  double mean_linear = 0, lo = 1e9, hi = -1e9;
  for (size_t i = 0; i < 5000; ++i)
    for (size_t t = 0; t < 4; ++t) {
      const double g = b.user_gain_db[i * 4 + t];
      lo = std::min(lo, g);
      hi = std::max(hi, g);
      mean_linear += std::pow(10.0, g / 10) / 20000;
      const double amp = std::sqrt(std::pow(10.0, g / 10));
      for (size_t q = 0; q < 3; ++q) {
        const auto want = std::complex<double>(a.H[(i * 3 + q) * 4 + t]) * amp;
        ASSERT_LT(std::abs(std::complex<double>(b.H[(i * 3 + q) * 4 + t]) - want), 1e-5 * (1 + std::abs(want)))
            << "sample " << i << " user " << t;
      }
    }
  EXPECT_GE(lo, -6.0 - offset - 1e-6);
  EXPECT_LE(hi, 6.0 - offset + 1e-6);
  EXPECT_LT(lo, -5.9 - offset);  // the whole window is used
  EXPECT_GT(hi, 5.9 - offset);
  // Linear gains: mean 1, standard deviation about 1.0 for S = 12 dB; 20000 draws give a standard error of 0.007.
  EXPECT_NEAR(mean_linear, 1.0, 0.03);
  // y = H x + n with the scaled H: the noise is the flat set's.
  for (size_t i = 0; i < 50; ++i)
    for (size_t q = 0; q < 3; ++q) {
      std::complex<double> hx = 0;
      for (size_t t = 0; t < 4; ++t)
        hx += std::complex<double>(b.H[(i * 3 + q) * 4 + t]) * std::complex<double>(b.x[i * 4 + t]);
      std::complex<double> ax = 0;
      for (size_t t = 0; t < 4; ++t)
        ax += std::complex<double>(a.H[(i * 3 + q) * 4 + t]) * std::complex<double>(a.x[i * 4 + t]);
      const auto noise_b = std::complex<double>(b.y[i * 3 + q]) - hx, noise_a = std::complex<double>(a.y[i * 3 + q]) - ax;
      EXPECT_LT(std::abs(noise_b - noise_a), 1e-4) << i;
    }
  const auto inspect = run("inspect spread.h5");
  EXPECT_NE(inspect.out.find("user power spread 12 dB"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("user_gain_db [5000,4] float32"), std::string::npos) << inspect.out;
}

// --uses-per-realization U (block fading): samples 4r .. 4r + 3 share sample r's H of the run without it; U is
// recorded in the data set (only when > 1), shown by inspect, written to the results JSON, taken from the data set
// with --data and refused beside it.
TEST_F(Cli, UsesPerRealizationSharesHAndIsRecorded) {
  const std::string common = "generate --channel rician --k-factor 2 --nt 2 --nr 3 --snr-db 10 --samples 40 --seed 3 ";
  ASSERT_EQ(run(common + "--out a.h5").status, 0);
  const auto g = run(common + "--uses-per-realization 4 --out b.h5");
  ASSERT_EQ(g.status, 0) << g.err;
  const DatasetReader a((dir_ / "a.h5").string()), b((dir_ / "b.h5").string());
  EXPECT_EQ(a.info().channel.uses_per_realization, 1u);
  EXPECT_EQ(b.info().channel.uses_per_realization, 4u);
  {
    const H5::H5File fa((dir_ / "a.h5").string(), H5F_ACC_RDONLY);
    EXPECT_FALSE(fa.attrExists("uses_per_realization"));
  }
  SampleBatch sa, sb;
  a.read(0, 40, sa);
  b.read(0, 40, sb);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(std::equal(sb.H.begin() + i * 6, sb.H.begin() + i * 6 + 6, sa.H.begin() + (i / 4) * 6)) << i;
    EXPECT_TRUE(std::equal(sb.bits.begin() + i * 4, sb.bits.begin() + i * 4 + 4, sa.bits.begin() + i * 4)) << i;
  }
  const auto inspect = run("inspect b.h5");
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("rician (k_factor = 2, 4 uses per realization)"), std::string::npos) << inspect.out;
  EXPECT_EQ(run("inspect a.h5").out.find("uses per realization"), std::string::npos);

  const auto e = run("evaluate --nt 2 --nr 2 --snr-db 10 --uses-per-realization 8 --detectors mmse --max-bits 2000 "
                     "--out r.csv");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(json_value(test::slurp(dir_ / "r.json"), "uses_per_realization"), "8");
  const auto d = run("evaluate --data b.h5 --detectors mmse --out rd.csv");
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_EQ(json_value(test::slurp(dir_ / "rd.json"), "uses_per_realization"), "4");
  const auto refused = run("evaluate --data b.h5 --uses-per-realization 2 --detectors mmse --out rx.csv");
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("--uses-per-realization"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace mimo
