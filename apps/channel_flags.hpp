#pragma once
// The channel, modulation and SNR flags shared by `generate`, `evaluate` and `train`, declared once so the
// three commands spell and check them identically.
#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "apps/flag_checks.hpp"
#include "channel/generator.hpp"
#include "datasets/schema.hpp"

namespace mimo::cli {

struct ChannelFlags {
  ChannelConfig channel;                          // model, nt, nr and the generic settings
  std::map<std::string, std::string> model_flags;  // every registered model's parameters as given
  std::string modulation = "qpsk";
  std::string snr_db;     // grid: "10", "5,15", "0:2:20"
  std::string snr_range;  // uniform draws: "lo:hi"
  std::string snr_unit = "snr";
  uint64_t seed = 1;
};

/// Declares --nt --nr --mod --channel, every registered model's parameters (channel_models()), --csi-error-var
/// --user-power-spread-db --uses-per-realization --snr-unit --seed, and --snr-db (plus --snr-range when allow_range).
void add_channel_flags(CLI::App& cmd, ChannelFlags& f, bool allow_range);

/// Parses and validates everything into a generator configuration; throws std::invalid_argument.
GeneratorConfig generator_config(const ChannelFlags& f, StreamTag tag);

/// The channel a stored data set was drawn from, as a generator configuration (its SNR schedule included).
GeneratorConfig generator_config(const DatasetInfo& data, uint64_t seed, StreamTag tag);

/// With --data the channel is the data set's: every channel flag but --seed is refused beside it (CLI11's
/// "excludes"), instead of being silently ignored.
void exclude_channel_flags(CLI::App& cmd, CLI::Option* data);

}  // namespace mimo::cli
