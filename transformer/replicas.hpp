#pragma once
// The replicas of a data-parallel training run: one process per part of the global batch, each holding the same
// model. Process 0's weights are broadcast at the start; after every backward the gradients are summed over the
// processes, flattened into buckets of kBucketBytes with one all-reduce each, so that clipping and Adam take the
// same step everywhere and the replicas stay equal. Built on LibTorch's c10d: a TCPStore served by process 0 for
// the rendezvous, Gloo for CPU tensors, NCCL for CUDA ones (or Gloo through host memory where this LibTorch has
// no NCCL). With one process every call is local and no c10d object is created.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "transformer/train.hpp"

namespace mimo::tf {

class Replicas {
public:
  /// Large enough that an all-reduce is bandwidth-bound (Gloo and NCCL reach their rate at about 1 MB), small
  /// enough that the staging copies stay small beside the model.
  static constexpr int64_t kBucketBytes = 4 << 20;

  /// Joins the other processes: returns when all have joined; throws std::runtime_error (one line) when they
  /// have not within DistributedConfig::kTimeoutSeconds, or std::invalid_argument when this build cannot run
  /// across processes. `setup_error`: this process's own failure before joining (empty: none). The processes
  /// tell each other theirs at the rendezvous, so that one failing process (a check only process 0 makes, a file
  /// one machine lacks) ends all of them at once instead of leaving them to the timeout: when any failed, every
  /// process throws std::runtime_error naming the first failed process and its error.
  Replicas(const DistributedConfig& config, const torch::Device& device, const std::string& setup_error = "");
  ~Replicas();
  Replicas(const Replicas&) = delete;
  Replicas& operator=(const Replicas&) = delete;

  int rank() const { return config_.rank; }
  int size() const { return config_.size; }
  bool root() const { return config_.rank == 0; }

  /// Every process's `tensors` become process 0's.
  void broadcast(const std::vector<torch::Tensor>& tensors);
  /// Sums `scalars` over the processes, in place. Returns when every process has sent its own: the time spent
  /// here is mostly waiting for the slowest one.
  void sum(std::vector<double>& scalars);
  /// Sums the gradients of `parameters` (an undefined one counts as zeros) over the processes, in place.
  void sum_gradients(const std::vector<torch::Tensor>& parameters);

  /// What the sums have moved, and the time they took.
  struct Traffic {
    int64_t gradient_bytes = 0;   // per sum_gradients
    int64_t buckets = 0;          // all-reduces per sum_gradients
    int64_t steps = 0;            // sum_gradients calls
    double waiting_seconds = 0;   // in sum(): for the slowest process, mostly
    double gradient_seconds = 0;  // in sum_gradients()
  };
  const Traffic& traffic() const { return traffic_; }
  /// "gloo", "nccl", or "none" for one process.
  std::string backend() const;

private:
  class Group;
  DistributedConfig config_;
  std::unique_ptr<Group> group_;  // null for one process
  Traffic traffic_;
};

}  // namespace mimo::tf
