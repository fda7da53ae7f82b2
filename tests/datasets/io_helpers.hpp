#pragma once
// Shared by the data-set tests: a scratch directory and a small generated batch.
#include <filesystem>
#include <string>

#include "channel/generator.hpp"
#include "datasets/schema.hpp"

namespace mimo::test {

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("mimo_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline GeneratorConfig small_config(double csi_error_var = 0.0) {
  GeneratorConfig g;
  g.channel.model = "rician";
  g.channel.nt = 3;
  g.channel.nr = 5;
  g.channel.k_factor = 2.0;
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

}  // namespace mimo::test
