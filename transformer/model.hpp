#pragma once
// The transformer detector: one token per transmit stream, self-attention between streams whose scores carry a
// learned per-head bias from the channel's Gram matrix, and iterated refinement of the symbol estimate from the
// residual y - H E[x] (as in RE-MIMO), with per-stream logits over the constellation after every block.
//
// Everything the model sees is per stream or per pair of streams and normalized by the noise, so one model
// serves any Nr and any Nt up to nt_max (fewer streams are padding-masked), and permuting the streams permutes
// the outputs.
#include <torch/torch.h>

#include <vector>

#include "channel/modulation.hpp"

namespace mimo::tf {

/// One batch of channel uses as tensors on one device; complex values as separate real and imaginary parts.
struct MimoTensors {
  torch::Tensor Hr, Hi;  // [B, Nr, Nt] channel (or its estimate)
  torch::Tensor yr, yi;  // [B, Nr]
  torch::Tensor n0;      // [B] complex noise variance
  torch::Tensor mask;    // [B, Nt] bool, true = padded stream (its H column must be zero); undefined = none
  torch::Tensor labels;  // [B, Nt] int64 transmitted symbol indices (training and tests only)

  MimoTensors to(const torch::Device& device) const;
  int64_t batch() const { return Hr.size(0); }
  int64_t nt() const { return Hr.size(2); }
};

struct TransformerOptions {
  TransformerOptions(Modulation modulation, int64_t nt_max) : modulation_(modulation), nt_max_(nt_max) {}
  TORCH_ARG(Modulation, modulation);
  TORCH_ARG(int64_t, nt_max);
  TORCH_ARG(int64_t, dim) = 64;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, layers) = 4;
};

/// Per-block outputs: logits [B, Nt, M] after each block (the last one is the detector's answer).
using BlockLogits = std::vector<torch::Tensor>;

class TransformerDetectorNetImpl : public torch::nn::Module {
public:
  explicit TransformerDetectorNetImpl(const TransformerOptions& options);
  BlockLogits forward(const MimoTensors& batch);
  /// Mean over blocks of the cross-entropy of the transmitted symbols (padded streams excluded).
  torch::Tensor loss(const BlockLogits& logits, const MimoTensors& batch) const;
  const TransformerOptions& options() const { return options_; }

private:
  struct Block {
    torch::nn::Linear residual_in{nullptr}, qkv{nullptr}, out{nullptr}, ff1{nullptr}, ff2{nullptr}, bias{nullptr},
        head{nullptr};
    torch::nn::LayerNorm norm_attn{nullptr}, norm_ff{nullptr}, norm_head{nullptr};
  };
  torch::Tensor attend(Block& b, const torch::Tensor& state, const torch::Tensor& pair_features,
                       const torch::Tensor& mask);

  TransformerOptions options_;
  torch::Tensor points_re_, points_im_;  // constellation, buffers [M]
  torch::nn::Linear embed_{nullptr};
  std::vector<Block> blocks_;
};
TORCH_MODULE(TransformerDetectorNet);

/// Token features before the first block, exposed for tests: [B, Nt, kInitialFeatures].
inline constexpr int64_t kInitialFeatures = 5;
inline constexpr int64_t kResidualFeatures = 5;
inline constexpr int64_t kPairFeatures = 3;

}  // namespace mimo::tf
