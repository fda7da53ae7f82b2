#pragma once
// The attention core: the one function through which every attention in the transformer detector goes, so a
// fused kernel can replace it without touching the model.
//
//   out = softmax(Q K^T / sqrt(d) + bias) V
//
// q, k, v: [B, H, L, d] (same dtype and device); bias: [B, H, L, L] additive on the scores, or an undefined
// tensor; key_padding_mask: [B, L] bool, true where a key is padding (never attended to), or undefined. Every
// row must have at least one unmasked key. Returns [B, H, L, d].
#include <torch/torch.h>

namespace mimo::tf {

torch::Tensor attention_core(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, const torch::Tensor& key_padding_mask);

/// The plain-torch reference (what attention_core runs on CPU and for checking).
torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias, const torch::Tensor& key_padding_mask);

}  // namespace mimo::tf
