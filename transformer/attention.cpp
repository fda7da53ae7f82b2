#include "transformer/attention.hpp"

#include <cmath>

namespace mimo::tf {

torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias, const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes() && v.sizes() == q.sizes(),
              "attention_core: q, k, v must all be [B, H, L, d]");
  const auto d = q.size(3);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));
  if (bias.defined()) {
    TORCH_CHECK(bias.dim() == 4 && bias.size(2) == q.size(2) && bias.size(3) == q.size(2),
                "attention_core: bias must be [B, H, L, L]");
    scores = scores + bias;
  }
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.dim() == 2 && key_padding_mask.size(0) == q.size(0) &&
                    key_padding_mask.size(1) == q.size(2),
                "attention_core: key_padding_mask must be [B, L]");
    scores = scores.masked_fill(key_padding_mask.view({q.size(0), 1, 1, q.size(2)}),
                                -std::numeric_limits<float>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1), v);
}

torch::Tensor attention_core(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, const torch::Tensor& key_padding_mask) {
  // A fused GPU kernel plugs in here (a later issue); until then every device runs the reference.
  return attention_reference(q, k, v, bias, key_padding_mask);
}

}  // namespace mimo::tf
