#pragma once
// Model files. A file holds the network, its configuration (so `mimo evaluate --detectors transformer:model.pt`
// needs nothing else), how it was trained, and the optimizer state that `mimo train --resume` continues from.
// Files are written to "<path>.partial" and renamed, so a crash never leaves a half-written model.
#include <torch/torch.h>

#include <string>

#include "transformer/model.hpp"

namespace mimo::tf {

inline constexpr const char* kModelFormat = "mimo-transformer-1";
/// The version of the model's token features and layer shapes (model.cpp). Bump it whenever they change, so
/// a model file of another version is refused with "retrain" instead of a tensor-shape error. Files without
/// the key are v1.
inline constexpr int64_t kFeatureVersion = 2;  // 2: EP start features

struct ModelInfo {
  TransformerOptions options{Modulation::qpsk, 4};
  int64_t feature_version = kFeatureVersion;
  std::string channel;       // training channel, e.g. "rayleigh 4x4" (informational)
  std::string snr;           // training SNR range "lo:hi" in snr_unit
  std::string snr_unit = "snr";
  uint64_t seed = 1;
  int64_t step = 0;          // optimizer steps done
  int64_t total_steps = 0;   // the schedule's length (0: set by a time limit)
  int64_t batch = 0;
  double lr = 0;
  int64_t nt_min = 0;
  bool subproblems = false;  // trained on cancelled-stream subproblems too (OnlineChannel): fit for tree search
  double seconds = 0;        // training time so far
  std::string training;      // every setting that decides the batches and the schedule, as one line:
                             // --resume refuses a command whose settings differ (see train.cpp)
};

void save_model(const std::string& path, TransformerDetectorNet& net, const ModelInfo& info,
                torch::optim::Optimizer* optimizer);

struct LoadedModel {
  TransformerDetectorNet net{nullptr};
  ModelInfo info;
};
/// Loads a model file onto `device`; throws std::invalid_argument with a one-line reason for a missing,
/// truncated or foreign file.
LoadedModel load_model(const std::string& path, const torch::Device& device);
/// Restores the optimizer state saved with the model (for --resume).
void load_optimizer(const std::string& path, torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace mimo::tf
