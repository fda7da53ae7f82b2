#pragma once
// The transformer plugin's interface, torch-free: `mimo` (apps/transformer_plugin.hpp) loads
// libmimo_transformer_plugin.so on first use and calls through this table; the plugin (plugin.cpp) fills it.
// Both sides pass C++ objects (std::string, std::function, std::unique_ptr<Detector>), so they must come from
// one build: the version and the layout fingerprint below catch a plugin left over from another.
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "detectors/detector.hpp"
#include "transformer/train.hpp"

namespace mimo::tf {

/// Raise whenever PluginApi or a type it passes changes shape or meaning. 2: TrainConfig::distributed;
/// 3: TrainHooks::check; 4: ChannelConfig's declared parameters, sample_batch_size; 5:
/// ChannelConfig::uses_per_realization.
inline constexpr uint32_t kPluginAbiVersion = 5;

struct PluginApi {
  uint32_t abi_version = kPluginAbiVersion;
  // sizeof() of the structures handed over, as the plugin was compiled.
  uint32_t train_config_size = sizeof(TrainConfig);
  uint32_t train_hooks_size = sizeof(TrainHooks);
  uint32_t detector_options_size = sizeof(DetectorOptions);
  uint32_t sample_batch_size = sizeof(SampleBatch);
  /// transformer_detector.hpp: make_transformer_detector.
  std::unique_ptr<Detector> (*make_detector)(const DetectorOptions& options, Modulation modulation) = nullptr;
  /// train.hpp: train.
  int64_t (*train)(const TrainConfig& config, const TrainHooks& hooks) = nullptr;
  /// errors.hpp: error_line, which knows LibTorch's exceptions.
  std::string (*error_line)(const std::exception& e) = nullptr;

  /// True when this table was compiled against the same interface as the caller.
  bool matches_caller() const {
    const PluginApi caller;
    return abi_version == caller.abi_version && train_config_size == caller.train_config_size &&
           train_hooks_size == caller.train_hooks_size && detector_options_size == caller.detector_options_size &&
           sample_batch_size == caller.sample_batch_size;
  }
};

/// The plugin's one exported symbol: `extern "C" const PluginApi* mimo_transformer_plugin();`.
inline constexpr const char* kPluginEntryPoint = "mimo_transformer_plugin";

}  // namespace mimo::tf
