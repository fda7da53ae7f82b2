// The SNR convention (channel/snr.hpp) against its closed forms, and the schedule parser.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel/snr.hpp"
#include "references.hpp"

namespace {

using mimo::SnrSchedule;
using mimo::SnrUnit;
using mimo::test::ref_n0;

void expect_rel(double got, double want, double rel, const std::string& what) {
  EXPECT_NEAR(got, want, rel * std::abs(want)) << what;
}

TEST(Snr, ParseUnit) {
  EXPECT_EQ(mimo::parse_snr_unit("snr"), SnrUnit::snr);
  EXPECT_EQ(mimo::parse_snr_unit("esn0"), SnrUnit::esn0);
  EXPECT_EQ(mimo::parse_snr_unit("ebn0"), SnrUnit::ebn0);
  for (SnrUnit u : {SnrUnit::snr, SnrUnit::esn0, SnrUnit::ebn0})
    EXPECT_EQ(mimo::parse_snr_unit(mimo::to_string(u)), u);
  for (const char* bad : {"", "SNR", "eb/n0", "es", "db"})
    EXPECT_THROW(mimo::parse_snr_unit(bad), std::invalid_argument) << bad;
}

TEST(Snr, NoiseVarianceClosedForms) {
  for (SnrUnit u : {SnrUnit::snr, SnrUnit::esn0, SnrUnit::ebn0})
    for (int nt : {1, 2, 4, 8, 64})
      for (int m : {1, 2, 4, 6, 8})
        for (double v : {-10.0, -3.0, 0.0, 2.5, 10.0, 17.3, 40.0}) {
          const std::string what = mimo::to_string(u) + " nt=" + std::to_string(nt) + " m=" +
                                   std::to_string(m) + " v=" + std::to_string(v);
          expect_rel(mimo::noise_variance(v, u, nt, m), ref_n0(v, u, nt, m), 1e-12, what);
        }
  // A few literal values.
  EXPECT_NEAR(mimo::noise_variance(0.0, SnrUnit::snr, 4, 2), 4.0, 1e-12);
  EXPECT_NEAR(mimo::noise_variance(10.0, SnrUnit::snr, 4, 2), 0.4, 1e-12);
  EXPECT_NEAR(mimo::noise_variance(10.0, SnrUnit::esn0, 4, 2), 0.1, 1e-12);
  EXPECT_NEAR(mimo::noise_variance(10.0, SnrUnit::ebn0, 4, 2), 0.05, 1e-12);
  EXPECT_NEAR(mimo::noise_variance(20.0, SnrUnit::ebn0, 8, 4), 0.0025, 1e-12);
}

TEST(Snr, NoiseVarianceRejectsNonFinite) {
  EXPECT_THROW(mimo::noise_variance(std::numeric_limits<double>::quiet_NaN(), SnrUnit::snr, 4, 2),
               std::invalid_argument);
  EXPECT_THROW(mimo::noise_variance(std::numeric_limits<double>::infinity(), SnrUnit::esn0, 4, 2),
               std::invalid_argument);
  EXPECT_THROW(mimo::noise_variance(10.0, SnrUnit::snr, 0, 2), std::invalid_argument);
  EXPECT_THROW(mimo::snr_point(10.0, SnrUnit::snr, 4, 0), std::invalid_argument);
}

TEST(Snr, SnrPointIsConsistentAcrossUnits) {
  for (SnrUnit u : {SnrUnit::snr, SnrUnit::esn0, SnrUnit::ebn0})
    for (int nt : {1, 3, 4, 16})
      for (int m : {1, 2, 4, 6, 8})
        for (double v : {-5.0, 0.0, 7.5, 30.0}) {
          const auto p = mimo::snr_point(v, u, nt, m);
          const double n0 = ref_n0(v, u, nt, m);
          // Each axis, read in its own unit, must give the same N0 ...
          EXPECT_NEAR(p.snr_db, 10 * std::log10(nt / n0), 1e-9);
          EXPECT_NEAR(p.esn0_db, 10 * std::log10(1.0 / n0), 1e-9);
          EXPECT_NEAR(p.ebn0_db, 10 * std::log10(1.0 / (m * n0)), 1e-9);
          // ... the input value reappears on its own axis ...
          const double own = u == SnrUnit::snr ? p.snr_db : u == SnrUnit::esn0 ? p.esn0_db : p.ebn0_db;
          EXPECT_NEAR(own, v, 1e-9);
          // ... and noise_variance agrees on all three.
          expect_rel(mimo::noise_variance(p.snr_db, SnrUnit::snr, nt, m), n0, 1e-9, "snr axis");
          expect_rel(mimo::noise_variance(p.esn0_db, SnrUnit::esn0, nt, m), n0, 1e-9, "esn0 axis");
          expect_rel(mimo::noise_variance(p.ebn0_db, SnrUnit::ebn0, nt, m), n0, 1e-9, "ebn0 axis");
        }
  // Literal: 4 streams, QPSK, SNR 10 dB -> Es/N0 = 10 - 6.0206 dB, Eb/N0 = Es/N0 - 3.0103 dB.
  const auto p = mimo::snr_point(10.0, SnrUnit::snr, 4, 2);
  EXPECT_NEAR(p.snr_db, 10.0, 1e-12);
  EXPECT_NEAR(p.esn0_db, 10.0 - 6.020599913279624, 1e-9);
  EXPECT_NEAR(p.ebn0_db, 10.0 - 6.020599913279624 - 3.010299956639812, 1e-9);
}

void expect_values(const SnrSchedule& s, const std::vector<double>& want, const std::string& spec) {
  EXPECT_FALSE(s.is_range()) << spec;
  ASSERT_EQ(s.values().size(), want.size()) << spec;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(s.values()[i], want[i], 1e-9) << spec << " [" << i << "]";
}

TEST(SnrSchedule, GridParses) {
  expect_values(SnrSchedule::grid("10"), {10}, "10");
  expect_values(SnrSchedule::grid("-2.5"), {-2.5}, "-2.5");
  expect_values(SnrSchedule::grid("5,15"), {5, 15}, "5,15");
  expect_values(SnrSchedule::grid("5,15,20"), {5, 15, 20}, "5,15,20");
  expect_values(SnrSchedule::grid("0:2:20"), {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20}, "0:2:20");
  EXPECT_EQ(SnrSchedule::grid("0:2:20").values().size(), 11u);
  expect_values(SnrSchedule::grid("0:0.5:1"), {0, 0.5, 1}, "0:0.5:1");
  // 0.1 is not exact in binary: the stop is still included.
  expect_values(SnrSchedule::grid("0:0.1:1"), {0, .1, .2, .3, .4, .5, .6, .7, .8, .9, 1}, "0:0.1:1");
  expect_values(SnrSchedule::grid("0:3:10"), {0, 3, 6, 9}, "0:3:10");
  expect_values(SnrSchedule::grid("-10:5:5"), {-10, -5, 0, 5}, "-10:5:5");
  expect_values(SnrSchedule::grid("7:1:7"), {7}, "7:1:7");
  expect_values(SnrSchedule::grid(std::vector<double>{1, 2, 3}), {1, 2, 3}, "vector");
}

TEST(SnrSchedule, GridRejectsBadSpecs) {
  for (const char* bad : {"1:0:5", "5:1:0", "1:-1:5", "a", "", "1,,2", "nan", "inf", "1,nan", "10dB", "1:2",
                          "1:2:3:4", ",", "1,", ",1", " ", "0:1:x"})
    EXPECT_THROW(SnrSchedule::grid(std::string(bad)), std::invalid_argument) << "'" << bad << "'";
  EXPECT_THROW(SnrSchedule::grid(std::vector<double>{}), std::invalid_argument);
}

// Found by fuzz_snr_grid: 1.7976931348623157e308 parsed, but its describe() did not parse back, and a data set
// stores SNRs as float32 (1e300 dB was written as inf).
TEST(SnrSchedule, ValuesBeyond300DbAreRefused) {
  for (const char* bad : {"1.7976931348623157e308", "1e300", "300.001", "-300.001", "0,400", "-400:1:0", "0:1:301",
                          "-1e308:1e308:1e308"})
    EXPECT_THROW(SnrSchedule::grid(std::string(bad)), std::invalid_argument) << "'" << bad << "'";
  for (const char* bad : {"0:300.001", "-301:0", "-1e308:1e308"})
    EXPECT_THROW(SnrSchedule::range(std::string(bad)), std::invalid_argument) << "'" << bad << "'";
  EXPECT_THROW(SnrSchedule::grid(std::vector<double>{0, 1e300}), std::invalid_argument);
  EXPECT_THROW(SnrSchedule::grid(std::vector<double>{std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);

  expect_values(SnrSchedule::grid("-300,300"), {-300, 300}, "-300,300");
  const auto r = SnrSchedule::range("-300:300");
  EXPECT_DOUBLE_EQ(r.lo(), -300.0);
  EXPECT_DOUBLE_EQ(r.hi(), 300.0);
  // The last point of 1.1:0.1:300 is 1.1 + 2989 * 0.1 = 300.00000000000006 in doubles; the range is still valid.
  const auto fine = SnrSchedule::grid("1.1:0.1:300");
  EXPECT_EQ(fine.values().size(), 2990u);
  EXPECT_GT(fine.values().back(), 300.0);
  EXPECT_NEAR(fine.values().back(), 300.0, 1e-9);
}

TEST(SnrSchedule, GridValueForCyclesAndBounds) {
  const auto s = SnrSchedule::grid("0:5:15");
  EXPECT_DOUBLE_EQ(s.lo(), 0.0);
  EXPECT_DOUBLE_EQ(s.hi(), 15.0);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_DOUBLE_EQ(s.value_for(i, 0.77), 5.0 * static_cast<double>(i % 4));
  EXPECT_DOUBLE_EQ(s.value_for(1'000'000'007ULL, 0.0), 5.0 * (1'000'000'007ULL % 4));
}

TEST(SnrSchedule, DescribeParsesBack) {
  for (const char* spec : {"10", "5,15,20", "0:2:20", "0:0.5:1", "-3.25,7.125"}) {
    const auto s = SnrSchedule::grid(std::string(spec));
    const auto back = SnrSchedule::grid(s.describe());
    ASSERT_EQ(back.values().size(), s.values().size()) << spec;
    for (size_t i = 0; i < s.values().size(); ++i) EXPECT_EQ(back.values()[i], s.values()[i]) << spec;
  }
  // Exactly, to the last bit: a coded Eb/N0 point is stored as its Es/N0, 4.5 + 10 log10(2), and seeded by it.
  for (const double v : {4.5 + 10 * std::log10(2.0), 0.1 + 0.2, -1e-7, 299.99999999999994}) {
    const auto s = SnrSchedule::grid(std::vector<double>{v, -v});
    EXPECT_EQ(SnrSchedule::grid(s.describe()).values(), s.values()) << s.describe();
    EXPECT_EQ(SnrSchedule::from_description(s.describe()).values(), s.values());
  }
  EXPECT_EQ(SnrSchedule::grid("0:2:6").describe(), "0,2,4,6");  // round values stay short
  const auto r = SnrSchedule::range("-2.5:12");
  const auto rb = SnrSchedule::range(r.describe());
  EXPECT_TRUE(rb.is_range());
  EXPECT_DOUBLE_EQ(rb.lo(), -2.5);
  EXPECT_DOUBLE_EQ(rb.hi(), 12.0);
}

TEST(SnrSchedule, RangeParsesAndMapsUniform) {
  const auto s = SnrSchedule::range("0:20");
  EXPECT_TRUE(s.is_range());
  EXPECT_DOUBLE_EQ(s.lo(), 0.0);
  EXPECT_DOUBLE_EQ(s.hi(), 20.0);
  EXPECT_DOUBLE_EQ(s.value_for(0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(s.value_for(5, 0.25), 5.0);
  EXPECT_DOUBLE_EQ(s.value_for(9, 0.5), 10.0);
  EXPECT_NEAR(s.value_for(3, std::nextafter(1.0, 0.0)), 20.0, 1e-12);
  EXPECT_LT(s.value_for(3, std::nextafter(1.0, 0.0)), 20.0);

  const auto n = SnrSchedule::range("-5:5");
  EXPECT_DOUBLE_EQ(n.lo(), -5.0);
  EXPECT_DOUBLE_EQ(n.hi(), 5.0);
  EXPECT_DOUBLE_EQ(n.value_for(0, 0.1), -4.0);

  const auto p = SnrSchedule::range("7:7");  // degenerate range is allowed
  EXPECT_DOUBLE_EQ(p.value_for(0, 0.9), 7.0);

  for (const char* bad : {"10:0", "5", "", "a:b", "0:nan", "1:2:3", ":5", "5:", "0:inf"})
    EXPECT_THROW(SnrSchedule::range(std::string(bad)), std::invalid_argument) << "'" << bad << "'";
}

}  // namespace
