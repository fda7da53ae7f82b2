// The attention core (transformer/attention.hpp): against float64 loops, the fused CPU path and its backward
// against autograd through the composite reference, and the choice between them.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "fixtures.hpp"
#include "transformer/attention.hpp"

namespace mimo::tf {
namespace {

using namespace test;

TEST(AttentionCore, MatchesFloat64Loops) {
  torch::manual_seed(1);
  const int64_t B = 2, H = 3, L = 5, d = 4;
  auto q = torch::randn({B, H, L, d}), k = torch::randn({B, H, L, d}), v = torch::randn({B, H, L, d});
  auto bias = torch::randn({B, H, L, L});
  auto mask = torch::zeros({B, L}, torch::kBool);
  mask[1][4] = true;
  mask[1][2] = true;
  const auto out = attention_core(q, k, v, bias, mask);
  auto qa = q.accessor<float, 4>(), ka = k.accessor<float, 4>(), va = v.accessor<float, 4>();
  auto ba = bias.accessor<float, 4>();
  auto oa = out.accessor<float, 4>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < L; ++i) {
        std::vector<double> w(L, 0.0);
        double top = -INFINITY, sum = 0;
        for (int64_t j = 0; j < L; ++j) {
          if (mask[b][j].item<bool>()) { w[j] = -INFINITY; continue; }
          double s = 0;
          for (int64_t e = 0; e < d; ++e) s += static_cast<double>(qa[b][h][i][e]) * ka[b][h][j][e];
          w[j] = s / std::sqrt(static_cast<double>(d)) + ba[b][h][i][j];
          top = std::max(top, w[j]);
        }
        for (auto& x : w) sum += x = std::exp(x - top);
        for (int64_t e = 0; e < d; ++e) {
          double o = 0;
          for (int64_t j = 0; j < L; ++j) o += w[j] / sum * va[b][h][j][e];
          EXPECT_NEAR(oa[b][h][i][e], o, 1e-5 * std::max(1.0, std::abs(o)));
        }
      }
  // Without bias and mask it is plain softmax attention.
  const auto plain = attention_core(q, k, v, torch::Tensor(), torch::Tensor());
  const auto ref = torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / 2.0, -1), v);
  EXPECT_TRUE(torch::allclose(plain, ref, 1e-5, 1e-6));
}

// out and the gradients of sum(out * dout) with respect to q, k, v and bias, through one attention function.
struct AttentionRun {
  torch::Tensor out, dq, dk, dv, dbias;
};

template <typename Fn>
AttentionRun run_attention(Fn fn, torch::ScalarType type, const std::vector<torch::Tensor>& inputs,
                           const torch::Tensor& mask, const torch::Tensor& dout) {
  std::vector<torch::Tensor> leaves;
  for (const auto& t : inputs) leaves.push_back(t.defined() ? t.to(type).detach().requires_grad_(true) : t);
  auto out = fn(leaves[0], leaves[1], leaves[2], leaves[3], mask);
  (out * dout.to(type)).sum().backward();
  auto grad = [](const torch::Tensor& t) { return t.defined() ? t.grad() : t; };
  return {out.detach(), grad(leaves[0]), grad(leaves[1]), grad(leaves[2]), grad(leaves[3])};
}

void expect_runs_match(const AttentionRun& got, const AttentionRun& want, double tolerance, const std::string& what) {
  EXPECT_LT(relative_error(got.out, want.out), tolerance) << what << " out";
  EXPECT_LT(relative_error(got.dq, want.dq), tolerance) << what << " dq";
  EXPECT_LT(relative_error(got.dk, want.dk), tolerance) << what << " dk";
  EXPECT_LT(relative_error(got.dv, want.dv), tolerance) << what << " dv";
  ASSERT_EQ(got.dbias.defined(), want.dbias.defined()) << what;
  if (want.dbias.defined()) {
    EXPECT_LT(relative_error(got.dbias, want.dbias), tolerance) << what << " dbias";
  }
}

// The fused CPU path (forward and its hand-written backward) against autograd through the composite reference
// in float64: float32 within 1e-5 relative, float64 to rounding.
TEST(AttentionCore, FusedCpuMatchesFloat64ReferenceAndItsGradients) {
  torch::manual_seed(11);
  struct Case {
    int64_t B, H, L, d;
    bool bias, mask;
  };
  for (const Case c : {Case{3, 2, 1, 16, true, false}, Case{2, 4, 4, 16, true, true}, Case{2, 2, 7, 32, false, true},
                       Case{1, 2, 16, 64, true, false}, Case{2, 1, 33, 8, true, true}, Case{4, 3, 5, 3, false, false}}) {
    const auto shape = std::vector<int64_t>{c.B, c.H, c.L, c.d};
    std::vector<torch::Tensor> in{torch::randn(shape), torch::randn(shape), torch::randn(shape),
                                  c.bias ? torch::randn({c.B, c.H, c.L, c.L}) : torch::Tensor()};
    torch::Tensor mask;
    if (c.mask) {
      mask = torch::rand({c.B, c.L}) < 0.4;
      mask.select(1, c.L - 1).fill_(false);  // every row keeps a key
    }
    const auto dout = torch::randn(shape);
    const std::string what = "L " + std::to_string(c.L) + " d " + std::to_string(c.d);
    const auto want = run_attention(attention_reference, torch::kDouble, in, mask, dout);
    expect_runs_match(run_attention(attention_fused, torch::kFloat, in, mask, dout), want, 1e-5, what + " float");
    expect_runs_match(run_attention(attention_fused, torch::kDouble, in, mask, dout), want, 1e-12, what + " double");
  }
}

// A batch element whose keys are all padding (an empty problem) gives zeros and zero gradients on every path, not
// NaN; the other elements are what they are without it (the same run on them alone, an independent computation).
TEST(AttentionCore, FullyPaddedRowsGiveZerosAndZeroGradients) {
  torch::manual_seed(5);
  const int64_t B = 3, H = 2, L = 6, d = 16;
  const auto shape = std::vector<int64_t>{B, H, L, d};
  std::vector<torch::Tensor> in{torch::randn(shape), torch::randn(shape), torch::randn(shape),
                                torch::randn({B, H, L, L})};
  auto mask = torch::rand({B, L}) < 0.3;
  mask.select(1, 0).fill_(false);
  mask[1].fill_(true);  // element 1: every key padding
  const auto dout = torch::randn(shape);
  const auto keep = torch::tensor({0, 2}, torch::kLong);
  std::vector<torch::Tensor> kept;
  for (const auto& t : in) kept.push_back(t.index_select(0, keep));
  const auto alone = run_attention(attention_reference, torch::kDouble, kept, mask.index_select(0, keep),
                                   dout.index_select(0, keep));
  using Fn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               const torch::Tensor&);
  for (const auto& [name, fn, type, tolerance] :
       {std::tuple<const char*, Fn, torch::ScalarType, double>{"reference float", attention_reference, torch::kFloat, 1e-5},
        {"reference double", attention_reference, torch::kDouble, 1e-12},
        {"fused float", attention_fused, torch::kFloat, 1e-5},
        {"fused double", attention_fused, torch::kDouble, 1e-12}}) {
    SCOPED_TRACE(name);
    const auto run = run_attention(fn, type, in, mask, dout);
    for (const auto& t : {run.out, run.dq, run.dk, run.dv, run.dbias}) {
      EXPECT_TRUE(torch::isfinite(t).all().item<bool>());
      EXPECT_EQ(t[1].abs().max().item<double>(), 0.0);  // the empty element: zeros exactly
    }
    AttentionRun rest{run.out.index_select(0, keep), run.dq.index_select(0, keep), run.dk.index_select(0, keep),
                      run.dv.index_select(0, keep), run.dbias.index_select(0, keep)};
    expect_runs_match(rest, alone, tolerance, name);
  }
}

TEST(AttentionCore, ImplementationIsSelectable) {
  torch::manual_seed(2);
  auto q = torch::randn({2, 2, 4, 8}, torch::requires_grad());
  ASSERT_EQ(attention_impl(), AttentionImpl::fused);
  EXPECT_TRUE(fused_attention_supports(q));
  const auto fused = attention_core(q, q, q, torch::Tensor(), torch::Tensor());
  EXPECT_NE(fused.grad_fn()->name().find("FusedAttention"), std::string::npos) << fused.grad_fn()->name();
  set_attention_impl(AttentionImpl::reference);
  const auto reference = attention_core(q, q, q, torch::Tensor(), torch::Tensor());
  set_attention_impl(AttentionImpl::fused);
  EXPECT_EQ(reference.grad_fn()->name().find("FusedAttention"), std::string::npos);
  EXPECT_TRUE(torch::allclose(fused, reference, 1e-5, 1e-6));
  EXPECT_EQ(parse_attention_impl("reference"), AttentionImpl::reference);
  EXPECT_THROW(parse_attention_impl("flash"), std::invalid_argument);
  // Half precision has no fused CPU path: attention_core falls back, attention_fused says why.
  EXPECT_FALSE(fused_attention_supports(q.to(torch::kBFloat16)));
  EXPECT_THROW(attention_fused(q.to(torch::kBFloat16), q.to(torch::kBFloat16), q.to(torch::kBFloat16),
                               torch::Tensor(), torch::Tensor()),
               std::invalid_argument);
}

}  // namespace
}  // namespace mimo::tf
