#pragma once
// Shared by the data-set tests: a scratch directory, a small generated batch, and the check that a file is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "channel/generator.hpp"
#include "datasets/reader.hpp"
#include "datasets/schema.hpp"
#include "datasets/writer.hpp"

namespace mimo::test {

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("mimo_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// A fixture whose tests each get a scratch directory dir_ (named after the suite), removed afterwards.
class ScratchDirTest : public ::testing::Test {
protected:
  void SetUp() override { dir_ = scratch_dir(::testing::UnitTest::GetInstance()->current_test_suite()->name()); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

inline GeneratorConfig small_config(double csi_error_var = 0.0) {
  GeneratorConfig g;
  g.channel.model = "rician";
  g.channel.nt = 3;
  g.channel.nr = 5;
  g.channel.set("k_factor", 2.0);
  g.channel.csi_error_var = csi_error_var;
  g.modulation = Modulation::qam16;
  g.snr = SnrSchedule::grid("0:5:20");
  g.seed = 42;
  return g;
}

inline DatasetInfo info_for(const GeneratorConfig& g) {
  DatasetInfo i;
  i.channel = g.channel;
  i.modulation = g.modulation;
  i.snr_unit = g.snr_unit;
  i.snr_schedule = g.snr.describe();
  i.seed = g.seed;
  i.tool_version = "test";
  return i;
}

/// Writes samples [0, n) of `cfg` as a complete (uncoded) data set at `path`.
inline void write_generated(const std::string& path, const GeneratorConfig& cfg, size_t n) {
  DatasetWriter w(path, info_for(cfg), WriterOptions{});
  SampleBatch b;
  Generator(cfg).generate(0, n, b);
  w.append(b);
  w.commit();
}

/// Asserts that every array of `got` equals `want`'s, exactly.
inline void expect_same_samples(const SampleBatch& got, const SampleBatch& want) {
  EXPECT_EQ(got.H, want.H);
  EXPECT_EQ(got.H_est, want.H_est);
  EXPECT_EQ(got.y, want.y);
  EXPECT_EQ(got.x, want.x);
  EXPECT_EQ(got.bits, want.bits);
  EXPECT_EQ(got.snr_db, want.snr_db);
  EXPECT_EQ(got.noise_var, want.noise_var);
}

/// Asserts that opening and reading all of `path` fails with a one-line message containing `needle`.
inline void expect_read_error(const std::string& path, const std::string& needle) {
  try {
    DatasetReader r(path);
    r.for_each_batch(512, [](const SampleBatch&, uint64_t) {});
    FAIL() << "no error for " << path;
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line message: " << e.what();
  }
}

}  // namespace mimo::test
