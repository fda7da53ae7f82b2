#pragma once
// The fused attention kernels behind attention_core, on raw contiguous buffers: no torch and no CUDA headers
// here, so the kernels compile (and their tests build) without a CUDA LibTorch, and CPU-only builds see the
// same declarations.
//
//   S = Q K^T / sqrt(d) + bias, keys marked as padding get -inf;  P = softmax_rows(S);  O = P V
//
// Layouts (row-major, contiguous): q, k, v, out, dq, dk, dv, dout: [B, H, L, d]; bias, dbias: [B, H, L, L];
// key_padding: [B, L] bytes, nonzero where the key is padding; lse: [B, H, L] float32, the log-sum-exp of each
// score row, written by the forward and read by the backward (which recomputes P from it instead of storing P).
// A row whose keys are all padding has no distribution: its output is 0 and its lse +inf, so that the backward's
// P = exp(S - lse) is 0 and its gradients are zeros (not the NaN of softmax over nothing).
#include <cstdint>
#include <string>

namespace mimo::tf::kernels {

enum class Precision { f32, bf16 };  // bf16: inputs and outputs bfloat16, accumulation float32

struct AttentionShape {
  int64_t batch = 0, heads = 0, length = 0, head_dim = 0;
  int64_t problems() const { return batch * heads; }
};

struct AttentionInputs {
  AttentionShape shape;
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  const void* bias = nullptr;             // optional, same precision as q
  const uint8_t* key_padding = nullptr;   // optional
};

struct AttentionGradients {
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
  void* dbias = nullptr;  // optional: written only when non-null (the bias needs a gradient)
};

/// The shapes the CUDA kernels cover: L in 1..128, d in {16, 32, 64}.
bool cuda_supports(const AttentionShape& shape);

/// True when the library was built with the CUDA kernels and a CUDA device is usable now.
bool cuda_device_available();

/// Forward on the GPU (device pointers, `stream` a cudaStream_t or nullptr for the default stream). Returns an
/// empty string on success, else a one-line description of what failed.
std::string attention_forward_cuda(Precision precision, const AttentionInputs& in, void* out, float* lse,
                                   void* stream);

/// Backward on the GPU: from the forward's inputs, its out and lse, and dout, writes dq, dk, dv (and dbias).
std::string attention_backward_cuda(Precision precision, const AttentionInputs& in, const void* out,
                                    const float* lse, const void* dout, const AttentionGradients& grads,
                                    void* stream);

}  // namespace mimo::tf::kernels
