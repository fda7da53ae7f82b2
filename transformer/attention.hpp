#pragma once
// The attention core: the one function through which every attention in the transformer detector goes, so a
// fused kernel can replace it without touching the model.
//
//   out = softmax(Q K^T / sqrt(d) + bias) V
//
// q, k, v: [B, H, L, d] (same dtype and device); bias: [B, H, L, L] additive on the scores, or an undefined
// tensor; key_padding_mask: [B, L] bool, true where a key is padding (never attended to), or undefined. A row
// whose keys are all padding (an empty problem) gives zeros, and zero gradients, on every path. Returns [B, H, L, d].
#include <string>

#include <torch/torch.h>

namespace mimo::tf {

/// Which implementation attention_core runs. `fused` (the default): our CUDA kernels for CUDA tensors of the
/// shapes they cover (transformer/attention/kernels.hpp), the fused CPU loops for float and double CPU tensors,
/// the reference otherwise. `reference`: always the composite torch ops (for comparisons and checking).
enum class AttentionImpl { fused, reference };
void set_attention_impl(AttentionImpl impl);
AttentionImpl attention_impl();
AttentionImpl parse_attention_impl(const std::string& name);  // "fused" | "reference"; throws otherwise

torch::Tensor attention_core(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, const torch::Tensor& key_padding_mask);

/// The plain-torch reference: composite ops, differentiated by autograd.
torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias, const torch::Tensor& key_padding_mask);

/// The fused implementation for q's device (CPU float/double, or CUDA float/bfloat16 where the kernels cover
/// the shape); throws std::invalid_argument when it cannot run these inputs.
torch::Tensor attention_fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& bias, const torch::Tensor& key_padding_mask);

/// Whether attention_fused can run these inputs.
bool fused_attention_supports(const torch::Tensor& q);

}  // namespace mimo::tf
