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

/// Expectation propagation on a batch of real systems (the `ep` detector's algorithm and defaults), the
/// transformer's start: gram [B, n, n], mf [B, n] (H^T y), s2 [B] noise variance per real dimension, the PAM
/// levels of every unknown and their energy. Two implementations that agree: per system with the detector's
/// EpSolver on the CPU, and batched torch ops (any device).
struct EpStart {
  torch::Tensor t, h2;      // [B, n] cavity means and variances
  torch::Tensor mean, var;  // [B, n] moments of the discrete posterior
};
EpStart ep_start_cpu(const torch::Tensor& gram, const torch::Tensor& mf, const torch::Tensor& s2,
                     const std::vector<double>& levels, double es_dim);
EpStart ep_start_torch(const torch::Tensor& gram, const torch::Tensor& mf, const torch::Tensor& s2,
                       const torch::Tensor& levels, double es_dim);

/// The EP start per stream: cavity means and variance, posterior means and variance (variances summed over the
/// real and imaginary parts), each [B, Nt].
struct EpStreams {
  torch::Tensor t_re, t_im, cavity_var, mean_re, mean_im, var;
};

/// Per-block outputs: logits [B, Nt, M] after each block (the last one is the detector's answer).
using BlockLogits = std::vector<torch::Tensor>;

class TransformerDetectorNetImpl : public torch::nn::Module {
public:
  explicit TransformerDetectorNetImpl(const TransformerOptions& options);
  BlockLogits forward(const MimoTensors& batch);
  /// Mean over blocks of the cross-entropy of the transmitted symbols (padded streams excluded):
  /// loss_sum / loss_tokens.
  torch::Tensor loss(const BlockLogits& logits, const MimoTensors& batch) const;
  /// The loss summed over the batch's streams instead of averaged. A data-parallel step divides the processes'
  /// summed gradients by the global batch's stream count: the gradient of the global batch's mean, whatever
  /// share of padded streams each process drew.
  torch::Tensor loss_sum(const BlockLogits& logits, const MimoTensors& batch) const;
  /// The streams the loss counts (those not padded).
  static int64_t loss_tokens(const MimoTensors& batch);
  const TransformerOptions& options() const { return options_; }

private:
  struct Block {
    torch::nn::Linear residual_in{nullptr}, qkv{nullptr}, out{nullptr}, ff1{nullptr}, ff2{nullptr}, bias{nullptr},
        head{nullptr};
    torch::nn::LayerNorm norm_attn{nullptr}, norm_ff{nullptr}, norm_head{nullptr};
  };
  EpStreams ep_start(const torch::Tensor& gram_real, const torch::Tensor& mf_real, const torch::Tensor& s2) const;
  torch::Tensor attend(Block& b, const torch::Tensor& state, const torch::Tensor& pair_features,
                       const torch::Tensor& mask);

  TransformerOptions options_;
  torch::Tensor points_re_, points_im_;  // constellation, buffers [M]
  std::vector<double> levels_;           // PAM levels per real dimension, for the EP start
  torch::Tensor levels_tensor_;          // the same as a buffer
  bool real_ = false;                    // real constellation (BPSK): EP on the real parts only
  double es_dim_ = 0.5;                  // symbol energy per real dimension
  torch::nn::Linear embed_{nullptr};
  std::vector<Block> blocks_;
};
TORCH_MODULE(TransformerDetectorNet);

/// Token features before the first block, exposed for tests: [B, Nt, kInitialFeatures].
inline constexpr int64_t kInitialFeatures = 11;
inline constexpr int64_t kResidualFeatures = 5;
inline constexpr int64_t kPairFeatures = 3;

}  // namespace mimo::tf
