#pragma once
// Fresh training batches with the conventions of channel/: H from the channel models' own implementations (the
// generator, on the CPU, moved to the training device), the 38.211 constellation and the SNR convention of
// channel/snr.hpp; symbols, SNR and noise drawn on the training device. A step's channels are the generator's
// samples step 2^32 + i (tag train); its other draws come in blocks of kBlock, each seeded from (seed, step, block), so
// training resumes exactly at any step, and each process of a data-parallel run draws its own part of the
// step's global batch without drawing the rest (samples [first, first + count) are the same whoever draws them).
#include <torch/torch.h>

#include "channel/generator.hpp"
#include "transformer/model.hpp"

namespace mimo::tf {

class OnlineChannel {
public:
  /// `config.snr` must be a range (or a grid, whose values are then drawn uniformly); `nt_min` < nt mixes in
  /// problems with fewer streams (the rest padded). A problem with k active streams gets the noise variance
  /// channel/snr.hpp gives for Nt = k, as if it had been generated with --nt k. With `subproblems` it keeps the
  /// full Nt problem's noise variance instead: the problem a tree search meets after cancelling Nt - k streams
  /// (any Nt - k of them for Kronecker and Rician channels; with imperfect CSI cancelled with the estimate, so
  /// their estimation error stays in y).
  OnlineChannel(const GeneratorConfig& config, int64_t nt_min, torch::Device device, bool subproblems = false);
  /// Samples [first, first + count) of step `step`'s stream.
  MimoTensors draw(uint64_t step, int64_t first, int64_t count) const;
  /// The first `batch` samples of step `step`.
  MimoTensors sample(int64_t batch, uint64_t step) const { return draw(step, 0, batch); }

  /// Samples per seeded block. Part of what a model was trained on (train.cpp's signature names it): changing it,
  /// or what a block draws (Randomness), changes every batch.
  static constexpr int64_t kBlock = 64;

  struct Randomness;  // a block's random numbers (online_channel.cpp)

private:
  Randomness block_randomness() const;
  std::pair<torch::Tensor, torch::Tensor> channels(uint64_t step, int64_t first, int64_t count) const;
  MimoTensors problems(const Randomness& r, std::pair<torch::Tensor, torch::Tensor> H) const;
  bool random_subsets() const;

  GeneratorConfig cfg_;
  int64_t nt_min_;
  bool subproblems_;
  torch::Device device_;
  torch::Tensor points_re_, points_im_;
  Generator channels_;               // H comes from channel/'s models, on the CPU (one implementation per model)
  torch::Tensor esn0_offset_db_;     // [nt + 1]: esn0_db = value_db + offset[streams], from channel/snr.hpp
};

/// Converts a slice of a SampleBatch (uses H_est when present) into tensors on `device`; `labels` only when the
/// batch carries its bits (a detector's input need not).
MimoTensors to_tensors(const SampleBatch& b, size_t begin, size_t end, const torch::Device& device);

}  // namespace mimo::tf
