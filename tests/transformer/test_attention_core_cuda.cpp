// attention_core on CUDA tensors (the CUDA branch of the autograd wrapper in transformer/attention.cpp), fed the
// way the model feeds it: q, k, v as permuted, non-contiguous views of one [B, L, 3 H d] projection, the bias a
// permuted view of [B, L, L, H] pair features, a bool key padding mask. Output and the gradients reaching the
// projection and the pair features are compared with the composite torch reference in float64 on the CPU, on
// the same (rounded) values. Skips without a CUDA LibTorch and a device. Uses only LibTorch API present in 1.13
// and 2.x.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "transformer/attention.hpp"

namespace mimo::tf {
namespace {

// max |got - want| / max |want|, both taken to the CPU in float64 (got may live on the GPU).
double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  const auto w = want.detach().to(torch::kCPU).to(torch::kDouble);
  const auto g = got.detach().to(torch::kCPU).to(torch::kDouble);
  return (g - w).abs().max().item<double>() / std::max(1e-300, w.abs().max().item<double>());
}

struct Case {
  int64_t B, L, H, d;
  bool mask;
};

std::string describe(const Case& c) {
  return "B=" + std::to_string(c.B) + " L=" + std::to_string(c.L) + " H=" + std::to_string(c.H) +
         " d=" + std::to_string(c.d) + (c.mask ? " mask" : "");
}

// The model's inputs before the attention core: the fused q/k/v projection and the per-head pair bias.
struct Inputs {
  torch::Tensor qkv;   // [B, L, 3 H d]
  torch::Tensor pair;  // [B, L, L, H]
  torch::Tensor mask;  // [B, L] bool, true for padding keys, or undefined
  torch::Tensor dout;  // [B, H, L, d]
};

struct CoreRun {
  torch::Tensor out, dqkv, dpair;
  std::string node;  // the autograd node that produced out
};

// out = core(q, k, v, bias, mask) with the views of transformer/model.cpp (attend), and the gradients of
// sum(out * dout) with respect to the projection and the pair features, all on `device` in `type`.
template <typename Core>
CoreRun run_core(Core core, const Inputs& in, const Case& c, torch::Device device, torch::ScalarType type) {
  auto qkv = in.qkv.to(device).to(type).detach().requires_grad_(true);
  auto pair = in.pair.to(device).to(type).detach().requires_grad_(true);
  const auto mask = in.mask.defined() ? in.mask.to(device) : torch::Tensor();
  auto heads = qkv.view({c.B, c.L, 3, c.H, c.d}).permute({2, 0, 3, 1, 4});  // [3, B, H, L, d]
  auto bias = pair.permute({0, 3, 1, 2});                                     // [B, H, L, L]
  const auto q = heads[0], k = heads[1], v = heads[2];
  // (H = 1 would make the bias view contiguous: every case here has H >= 2.)
  EXPECT_FALSE(q.is_contiguous() || k.is_contiguous() || v.is_contiguous() || bias.is_contiguous())
      << "the views are meant to be the model's non-contiguous ones";
  auto out = core(q, k, v, bias, mask);
  CoreRun r;
  r.node = out.grad_fn() ? out.grad_fn()->name() : std::string("(none)");
  (out * in.dout.to(device).to(type)).sum().backward();
  r.out = out.detach();
  r.dqkv = qkv.grad();
  r.dpair = pair.grad();
  return r;
}

// The inputs rounded to `type` (what the GPU run sees), as float64.
Inputs rounded(const Inputs& in, torch::ScalarType type) {
  auto round = [&](const torch::Tensor& t) { return t.to(type).to(torch::kDouble); };
  return {round(in.qkv), round(in.pair), in.mask, round(in.dout)};
}

class AttentionCoreCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA LibTorch or no CUDA device";
#ifndef MIMO_HAVE_CUDA_KERNELS
    GTEST_SKIP() << "mimo was built without the CUDA attention kernels (no nvcc)";
#endif
  }
};

// f32 within 1e-5 of float64 (the kernels' float accumulation, as in test_attention_kernels); bf16 within 2e-2:
// one bf16 rounding of each output and gradient (2^-9) plus the backward's Di taken from the rounded O, which
// the float64 reference does not round.
TEST_F(AttentionCoreCuda, ModelViewsWithMaskMatchFloat64ReferenceAndGradients) {
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(17);
  for (const Case c : {Case{3, 16, 2, 16, true}, Case{2, 7, 4, 32, true}, Case{2, 33, 2, 64, false},
                       Case{2, 128, 2, 64, true}}) {
    Inputs in;
    in.qkv = torch::randn({c.B, c.L, 3 * c.H * c.d});
    in.pair = torch::randn({c.B, c.L, c.L, c.H});
    if (c.mask) {
      in.mask = torch::rand({c.B, c.L}) < 0.3;
      in.mask.select(1, 0).fill_(false);  // every row keeps a key
    }
    in.dout = torch::randn({c.B, c.H, c.L, c.d});
    for (const auto type : {torch::kFloat, torch::kBFloat16}) {
      const std::string what = describe(c) + (type == torch::kFloat ? " f32" : " bf16");
      SCOPED_TRACE(what);
      const CoreRun got = run_core(attention_core, in, c, cuda, type);
      EXPECT_NE(got.node.find("FusedAttention"), std::string::npos)
          << "attention_core did not take the fused CUDA path: " << got.node;
      ASSERT_TRUE(got.out.is_cuda() && got.dqkv.defined() && got.dpair.defined());
      EXPECT_EQ(got.out.scalar_type(), type);
      EXPECT_EQ(got.dqkv.scalar_type(), type);
      const CoreRun want = run_core(attention_reference, rounded(in, type), c, torch::kCPU, torch::kDouble);
      const double tol = type == torch::kFloat ? 1e-5 : 2e-2;
      EXPECT_LT(relative_error(got.out, want.out), tol) << "out";
      EXPECT_LT(relative_error(got.dqkv, want.dqkv), tol) << "d qkv (dq, dk, dv through the views)";
      EXPECT_LT(relative_error(got.dpair, want.dpair), tol) << "d pair (dbias through the permute)";
    }
  }
}

// The same values through the CPU fused core (float) and the CUDA one (float) agree: the two fused
// implementations, not just each against the reference.
TEST_F(AttentionCoreCuda, CudaAndCpuFusedCoresAgree) {
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(23);
  const Case c{2, 20, 2, 32, true};
  Inputs in;
  in.qkv = torch::randn({c.B, c.L, 3 * c.H * c.d});
  in.pair = torch::randn({c.B, c.L, c.L, c.H});
  in.mask = torch::rand({c.B, c.L}) < 0.3;
  in.mask.select(1, c.L - 1).fill_(false);
  in.dout = torch::randn({c.B, c.H, c.L, c.d});
  const CoreRun gpu = run_core(attention_core, in, c, cuda, torch::kFloat);
  const CoreRun cpu = run_core(attention_core, in, c, torch::kCPU, torch::kFloat);
  EXPECT_NE(gpu.node.find("FusedAttention"), std::string::npos) << gpu.node;
  EXPECT_NE(cpu.node.find("FusedAttention"), std::string::npos) << cpu.node;
  EXPECT_LT(relative_error(gpu.out, cpu.out), 2e-5) << "out";
  EXPECT_LT(relative_error(gpu.dqkv, cpu.dqkv), 2e-5) << "d qkv";
  EXPECT_LT(relative_error(gpu.dpair, cpu.dpair), 2e-5) << "d pair";
}

}  // namespace
}  // namespace mimo::tf
