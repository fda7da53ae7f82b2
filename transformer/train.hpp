#pragma once
// Training of the transformer detector: Adam with linear warm-up and cosine decay, gradient clipping, online
// batches (or an HDF5 data set), a validation SER beside MMSE's logged to CSV, and atomic checkpoints that
// --resume continues exactly (each batch is seeded from (seed, step)). Data-parallel across processes when
// TrainConfig::distributed says so (transformer/replicas.hpp).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "channel/generator.hpp"

namespace mimo::tf {

/// The processes of a data-parallel run, as `mimo train` found them (apps/cmd_train.cpp: mpirun, srun or torchrun-
/// style environment variables). With size 1 training is one process and no process group is created.
struct DistributedConfig {
  static constexpr int kDefaultPort = 29500;     // MASTER_PORT's default, as torchrun's
  static constexpr double kTimeoutSeconds = 300;  // a process that has not joined, or a collective still waiting
                                                  // after this long, ends the run (a process died or hangs)
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;  // among the processes on this machine: GPU and torch threads per process
  std::string master_addr;             // where process 0 serves the rendezvous (c10d TCPStore)
  int master_port = kDefaultPort;
};

struct TrainConfig {
  GeneratorConfig channel;          // nt is the model's nt_max; snr gives the training range [lo, hi]
  int64_t nt_min = 0;               // 0: every batch has nt streams
  bool subproblems = false;         // fewer streams keep the full problem's noise (OnlineChannel); nt_min 0 -> 1
  int64_t dim = 64, heads = 4, layers = 4;
  int64_t steps = 0;                // schedule length; 0 = set by time_limit
  double time_limit = 0;            // seconds; 0 = none
  int64_t batch = 256;              // per process: the global batch is distributed.size * batch
  double lr = 2e-3;
  double clip = 1.0;
  std::string device = "cpu";
  std::string attention = "fused";  // attention core: fused or reference (transformer/attention.hpp)
  std::string data;                 // HDF5 training set instead of online generation
  std::string resume;               // checkpoint to continue from
  std::string out;                  // model file; its log goes to <stem>.train.csv
  int64_t validate_every = 250;     // steps between validations (and checkpoints)
  int64_t validate_samples = 2000;  // channel uses per validation SNR
  std::vector<double> validate_snr; // empty: three points across the training range
  DistributedConfig distributed;    // process 0 validates, logs and checkpoints; the others write nothing
};

struct TrainStatus {
  int64_t step = 0, total_steps = 0;
  double loss = 0, lr = 0, samples_per_second = 0, progress = 0;  // loss and samples/s of the global batch
};

struct TrainHooks {
  std::function<void(const TrainStatus&)> progress;  // after every step
  std::function<bool()> stop;                        // true: save and stop now (Ctrl-C)
  std::function<void()> check;                       // this process's own checks, run first: across processes
                                                     // their error, as any setup error, ends every process
  std::function<void(const std::string&)> log;       // one line per validation, and the traffic of a
                                                     // data-parallel run at its end
};

/// Trains and writes the model; returns the number of steps done. Throws std::invalid_argument on bad config.
int64_t train(const TrainConfig& config, const TrainHooks& hooks);

/// The training log path for a model path: "model.pt" -> "model.train.csv". Inline: `mimo train` checks it
/// before the plugin that trains is loaded.
inline std::string training_log_path(const std::string& model_path) {
  const auto p = std::filesystem::path(model_path);
  return (p.parent_path() / (p.stem().string() + ".train.csv")).string();
}

}  // namespace mimo::tf
