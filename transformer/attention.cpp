#include "transformer/attention.hpp"

#include <atomic>
#include <cmath>
#include <stdexcept>

#include "transformer/attention/cpu_kernels.hpp"
#include "transformer/attention/kernels.hpp"

#if defined(MIMO_TORCH_CUDA)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace mimo::tf {

namespace {

std::atomic<AttentionImpl> g_impl{AttentionImpl::fused};

void check_shapes(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& bias,
                  const torch::Tensor& mask) {
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes() && v.sizes() == q.sizes(),
              "attention_core: q, k, v must all be [B, H, L, d]");
  const auto B = q.size(0), H = q.size(1), L = q.size(2);
  TORCH_CHECK(!bias.defined() || bias.sizes() == torch::IntArrayRef({B, H, L, L}),
              "attention_core: bias must be [B, H, L, L]");
  TORCH_CHECK(!mask.defined() || mask.sizes() == torch::IntArrayRef({B, L}),
              "attention_core: key_padding_mask must be [B, L]");
}

kernels::AttentionShape shape_of(const torch::Tensor& q) { return {q.size(0), q.size(1), q.size(2), q.size(3)}; }

kernels::AttentionInputs inputs_of(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const torch::Tensor& bias, const torch::Tensor& mask) {
  kernels::AttentionInputs in;
  in.shape = shape_of(q);
  in.q = q.data_ptr();
  in.k = k.data_ptr();
  in.v = v.data_ptr();
  if (bias.defined()) in.bias = bias.data_ptr();
  if (mask.defined()) in.key_padding = reinterpret_cast<const uint8_t*>(mask.data_ptr<bool>());
  return in;
}

// Optional inputs cross the autograd Function as empty placeholders (it cannot take undefined tensors).
torch::Tensor placeholder_if_absent(const torch::Tensor& t, const torch::Tensor& like) {
  return t.defined() ? t : torch::empty({0}, like.options());
}
torch::Tensor present(const torch::Tensor& t) { return t.numel() > 0 ? t.contiguous() : torch::Tensor(); }

// Problems per CPU task: enough work (~32k multiply-adds) to be worth handing to a thread.
int64_t cpu_grain(const kernels::AttentionShape& s) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, s.length * s.length * s.head_dim));
}

void* cuda_stream_of(const torch::Tensor& t) {
#if defined(MIMO_TORCH_CUDA)
  return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
#else
  (void)t;
  return nullptr;  // a CPU LibTorch never hands us CUDA tensors
#endif
}

kernels::Precision precision_of(const torch::Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 ? kernels::Precision::bf16 : kernels::Precision::f32;
}

void check_cuda(const std::string& error) {
  if (!error.empty()) throw std::runtime_error("attention_core: " + error);
}

// The launch goes to the current device: make it q's (autograd's backward threads already do).
#if defined(MIMO_TORCH_CUDA)
using CudaDeviceGuard = c10::cuda::CUDAGuard;
#else
struct CudaDeviceGuard {
  explicit CudaDeviceGuard(const torch::Device&) {}
};
#endif

void forward_into(const kernels::AttentionInputs& in, const torch::Tensor& q, torch::Tensor& out, torch::Tensor& lse) {
  if (q.is_cuda()) {
    const CudaDeviceGuard guard(q.device());
    check_cuda(kernels::attention_forward_cuda(precision_of(q), in, out.data_ptr(), lse.data_ptr<float>(),
                                               cuda_stream_of(q)));
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "attention_forward_cpu", [&] {
    auto* o = out.data_ptr<scalar_t>();
    auto* l = lse.data_ptr<scalar_t>();
    at::parallel_for(0, in.shape.problems(), cpu_grain(in.shape), [&](int64_t first, int64_t last) {
      kernels::attention_forward_cpu<scalar_t>(in, o, l, first, last);
    });
  });
}

void backward_into(const kernels::AttentionInputs& in, const torch::Tensor& q, const torch::Tensor& out,
                   const torch::Tensor& lse, const torch::Tensor& dout, const kernels::AttentionGradients& grads) {
  if (q.is_cuda()) {
    const CudaDeviceGuard guard(q.device());
    check_cuda(kernels::attention_backward_cuda(precision_of(q), in, out.data_ptr(), lse.data_ptr<float>(),
                                                dout.data_ptr(), grads, cuda_stream_of(q)));
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "attention_backward_cpu", [&] {
    const auto* o = out.data_ptr<scalar_t>();
    const auto* l = lse.data_ptr<scalar_t>();
    const auto* g = dout.data_ptr<scalar_t>();
    at::parallel_for(0, in.shape.problems(), cpu_grain(in.shape), [&](int64_t first, int64_t last) {
      kernels::attention_backward_cpu<scalar_t>(in, o, l, g, grads, first, last);
    });
  });
}

// The fused core as an autograd node: the forward keeps only out and the rows' log-sum-exp; the backward
// recomputes P from them, so no [B, H, L, L] probability tensor is ever stored.
struct FusedAttention : torch::autograd::Function<FusedAttention> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in, const torch::Tensor& bias_in,
                               const torch::Tensor& mask_in) {
    const auto q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    const auto bias = present(bias_in), mask = present(mask_in);
    auto out = torch::empty_like(q);
    auto lse = torch::empty({q.size(0), q.size(1), q.size(2)},
                            q.options().dtype(q.is_cuda() ? torch::kFloat : q.scalar_type()));
    forward_into(inputs_of(q, k, v, bias, mask), q, out, lse);
    ctx->save_for_backward({q, k, v, bias_in, mask_in, out, lse});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    // The gradients are written into raw buffers, outside autograd: no second derivative.
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "attention_core: the fused attention has no double backward (use the reference implementation)");
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2];
    const auto bias = present(saved[3]), mask = present(saved[4]);
    const auto &out = saved[5], &lse = saved[6];
    const auto dout = grad_outputs[0].contiguous();
    // dq, dk and dv come out of one pass together, so all three are computed even when one is not needed.
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    torch::Tensor dbias;
    kernels::AttentionGradients grads{dq.data_ptr(), dk.data_ptr(), dv.data_ptr(), nullptr};
    if (bias.defined() && ctx->needs_input_grad(3)) {
      dbias = torch::empty_like(bias);
      grads.dbias = dbias.data_ptr();
    }
    backward_into(inputs_of(q, k, v, bias, mask), q, out, lse, dout, grads);
    return {dq, dk, dv, dbias, torch::Tensor()};
  }
};

}  // namespace

void set_attention_impl(AttentionImpl impl) { g_impl = impl; }
AttentionImpl attention_impl() { return g_impl; }

AttentionImpl parse_attention_impl(const std::string& name) {
  if (name == "fused") return AttentionImpl::fused;
  if (name == "reference") return AttentionImpl::reference;
  throw std::invalid_argument("unknown attention implementation '" + name + "' (fused or reference)");
}

torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& bias, const torch::Tensor& key_padding_mask) {
  check_shapes(q, k, v, bias, key_padding_mask);
  const auto d = q.size(3);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));
  if (bias.defined()) scores = scores + bias;
  if (!key_padding_mask.defined()) return torch::matmul(torch::softmax(scores, -1), v);
  const auto padded = key_padding_mask.view({q.size(0), 1, 1, q.size(2)});
  scores = scores.masked_fill(padded, -std::numeric_limits<float>::infinity());
  // A fully padded row (every key masked: an empty problem) has no distribution: softmax of all -inf is NaN, and
  // its gradient NaN too, which would spread into every gradient. Its scores become 0 (a finite softmax) and its
  // weights 0, so the row's output and gradients are zeros, as the fused kernels give.
  const auto empty = padded.all(-1, /*keepdim=*/true);  // [B, 1, 1, 1]
  scores = scores.masked_fill(empty, 0.0);
  return torch::matmul(torch::softmax(scores, -1).masked_fill(empty, 0.0), v);
}

bool fused_attention_supports(const torch::Tensor& q) {
  if (q.dim() != 4) return false;
  if (q.is_cuda()) {
    static const bool device = kernels::cuda_device_available();  // asks the driver: once
    const auto type = q.scalar_type();
    return (type == torch::kFloat || type == torch::kBFloat16) && kernels::cuda_supports(shape_of(q)) && device;
  }
  return q.is_cpu() && (q.scalar_type() == torch::kFloat || q.scalar_type() == torch::kDouble);
}

namespace {

// The fused paths read raw pointers: every input must live where q lives and share its dtype.
bool consistent(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& bias,
                const torch::Tensor& mask) {
  auto same = [&](const torch::Tensor& t) { return t.device() == q.device() && t.scalar_type() == q.scalar_type(); };
  return same(k) && same(v) && (!bias.defined() || same(bias)) &&
         (!mask.defined() || (mask.device() == q.device() && mask.scalar_type() == torch::kBool));
}

}  // namespace

torch::Tensor attention_fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& bias, const torch::Tensor& key_padding_mask) {
  check_shapes(q, k, v, bias, key_padding_mask);
  if (!fused_attention_supports(q)) {
    throw std::invalid_argument("attention_core: no fused implementation for " + std::string(q.is_cuda() ? "CUDA " : "") +
                                std::string(c10::toString(q.scalar_type())) + " tensors of head size " +
                                std::to_string(q.size(3)) + " and length " + std::to_string(q.size(2)));
  }
  TORCH_CHECK(consistent(q, k, v, bias, key_padding_mask),
              "attention_core: q, k, v and bias must share one device and dtype, and the mask be bool on it");
  return FusedAttention::apply(q, k, v, placeholder_if_absent(bias, q), placeholder_if_absent(key_padding_mask, q));
}

torch::Tensor attention_core(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& bias, const torch::Tensor& key_padding_mask) {
  if (g_impl == AttentionImpl::fused && fused_attention_supports(q) && consistent(q, k, v, bias, key_padding_mask))
    return attention_fused(q, k, v, bias, key_padding_mask);
  return attention_reference(q, k, v, bias, key_padding_mask);
}

}  // namespace mimo::tf
