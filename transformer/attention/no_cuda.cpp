// The kernels' CUDA entry points in a build without nvcc: shapes are still described, nothing runs.
#include "transformer/attention/kernels.hpp"

namespace mimo::tf::kernels {

bool cuda_supports(const AttentionShape& s) {
  // Keep in sync with cuda_kernels.cu: the rule describes the shapes, whether or not the kernels were built.
  return s.batch >= 0 && s.heads >= 0 && s.length >= 1 && s.length <= 128 &&
         (s.head_dim == 16 || s.head_dim == 32 || s.head_dim == 64);
}

bool cuda_device_available() { return false; }

std::string attention_forward_cuda(Precision, const AttentionInputs&, void*, float*, void*) {
  return "mimo was built without CUDA kernels";
}

std::string attention_backward_cuda(Precision, const AttentionInputs&, const void*, const float*, const void*,
                                    const AttentionGradients&, void*) {
  return "mimo was built without CUDA kernels";
}

}  // namespace mimo::tf::kernels
