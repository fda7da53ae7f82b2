#pragma once
// The fused attention on the CPU: one pass per (batch, head) problem over buffers laid out as in kernels.hpp,
// instead of the eight to fifteen separate torch ops (and their [B, H, L, L] temporaries) of the composite
// reference. Small L is the MIMO case, so a problem's rows stay in cache and the loops are over d.
#include <cstdint>

#include "transformer/attention/kernels.hpp"

namespace mimo::tf::kernels {

/// Forward for problems [first, last) (a problem is one (batch, head) pair); T is float or double, and so is
/// lse here (the GPU keeps it in float32 whatever the precision).
template <typename T>
void attention_forward_cpu(const AttentionInputs& in, T* out, T* lse, int64_t first, int64_t last);

/// Backward for problems [first, last), recomputing P from lse.
template <typename T>
void attention_backward_cpu(const AttentionInputs& in, const T* out, const T* lse, const T* dout,
                            const AttentionGradients& grads, int64_t first, int64_t last);

}  // namespace mimo::tf::kernels
