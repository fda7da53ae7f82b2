// The network (transformer/model.hpp): its EP start against an independent computation, shapes, padded streams
// that change nothing, permutation equivariance, and learning on a fixed batch.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fixtures.hpp"
#include "transformer/online_channel.hpp"

namespace mimo::tf {
namespace {

using namespace test;

// The EP start's two implementations (per system with Cholesky kernels, batched torch inverses) are
// independent computations of the same fixed point, at moderate SNR and at the noise floor (N0 = 1e-12,
// s2 = 5e-13), where an absolute floor on the cavity variances once moved their means off the levels.
TEST(EpStart, CpuSolverAndBatchedTorchAgree) {
  for (const double floor_s2 : {0.0, 5e-13}) {
    SCOPED_TRACE(floor_s2 > 0 ? "s2 = 5e-13" : "s2 in [0.001, 0.006]");
    torch::manual_seed(5);
    const int64_t B = 64, nr = 6, n = 8;  // 4 complex streams as 8 real unknowns
    const auto H = torch::randn({B, 2 * nr, n}, torch::kDouble) / std::sqrt(2.0 * nr);
    const auto x = (torch::randint(0, 4, {B, n}, torch::kLong).to(torch::kDouble) * 2 - 3) / std::sqrt(10.0);
    const auto s2 = floor_s2 > 0 ? torch::full({B}, floor_s2, torch::kDouble)
                                 : torch::rand({B}, torch::kDouble) * 0.005 + 0.001;
    const auto y = torch::matmul(H, x.unsqueeze(2)).squeeze(2) + torch::randn({B, 2 * nr}, torch::kDouble) * s2.sqrt().unsqueeze(1);
    const auto gram = torch::matmul(H.transpose(1, 2), H);
    const auto mf = torch::matmul(H.transpose(1, 2), y.unsqueeze(2)).squeeze(2);
    const std::vector<double> levels{-3 / std::sqrt(10.0), -1 / std::sqrt(10.0), 1 / std::sqrt(10.0), 3 / std::sqrt(10.0)};
    const auto cpu = ep_start_cpu(gram, mf, s2, levels, 0.5);
    const auto batched = ep_start_torch(gram, mf, s2, torch::tensor(levels, torch::kDouble), 0.5);
    EXPECT_LT(relative_error(batched.t, cpu.t), 1e-8);
    EXPECT_LT(relative_error(batched.h2, cpu.h2), 1e-8);
    EXPECT_LT(relative_error(batched.mean, cpu.mean), 1e-8);
    EXPECT_LT(relative_error(batched.var, cpu.var), 1e-8);
    // The batched path runs in float64 whatever its input (the GPU trains in float32).
    const auto from_float = ep_start_torch(gram.to(torch::kFloat), mf.to(torch::kFloat), s2.to(torch::kFloat),
                                           torch::tensor(levels, torch::kDouble), 0.5);
    EXPECT_EQ(from_float.t.scalar_type(), torch::kFloat);
    EXPECT_LT(relative_error(from_float.t, cpu.t), 1e-4);
    // And EP is a detector: at these SNRs its cavity means decide nearly every symbol right (every one at the
    // floor, where they sit on the levels).
    const auto decided = (cpu.t.unsqueeze(2) - torch::tensor(levels, torch::kDouble)).abs().argmin(2);
    const auto sent = ((x * std::sqrt(10.0) + 3) / 2).round().to(torch::kLong);
    EXPECT_GT(decided.eq(sent).to(torch::kDouble).mean().item<double>(), floor_s2 > 0 ? 1.0 - 1e-12 : 0.97);
    if (floor_s2 > 0) {
      EXPECT_LT((cpu.t - x).abs().max().item<double>(), 1e-4);
    }
  }
}

TEST(Model, ShapesAndPaddedStreamsChangeNothing) {
  auto net = tiny(Modulation::qam16, 4);
  net->eval();
  torch::NoGradGuard no_grad;
  OnlineChannel gen(channel(3, 5, Modulation::qam16), 3, torch::kCPU);
  const auto small = gen.sample(32, 0);
  const auto logits = net->forward(small);
  ASSERT_EQ(logits.size(), 2u);
  EXPECT_EQ(logits.back().sizes(), torch::IntArrayRef({32, 3, 16}));
  // The same problems with a fourth, padded stream (zero channel column, masked).
  MimoTensors padded = small;
  padded.Hr = torch::cat({small.Hr, torch::zeros({32, 5, 1})}, 2);
  padded.Hi = torch::cat({small.Hi, torch::zeros({32, 5, 1})}, 2);
  padded.mask = torch::zeros({32, 4}, torch::kBool);
  padded.mask.select(1, 3).fill_(true);
  const auto with_pad = net->forward(padded).back().narrow(1, 0, 3);
  EXPECT_TRUE(torch::allclose(with_pad, logits.back(), 1e-4, 1e-4))
      << (with_pad - logits.back()).abs().max().item<float>();
}

TEST(Model, APaddedStreamBetweenOthersChangesNothing) {
  auto net = tiny(Modulation::qpsk, 5);
  net->eval();
  torch::NoGradGuard no_grad;
  OnlineChannel gen(channel(4, 4, Modulation::qpsk), 4, torch::kCPU);
  const auto small = gen.sample(16, 2);
  const auto ref = net->forward(small);
  // Insert a zero column at position 1, masked; the other streams' logits after every block stay the same.
  auto widen = [](const torch::Tensor& h) {
    return torch::cat({h.narrow(2, 0, 1), torch::zeros({h.size(0), h.size(1), 1}), h.narrow(2, 1, 3)}, 2);
  };
  MimoTensors padded = small;
  padded.Hr = widen(small.Hr);
  padded.Hi = widen(small.Hi);
  padded.mask = torch::zeros({16, 5}, torch::kBool);
  padded.mask.select(1, 1).fill_(true);
  const auto out = net->forward(padded);
  const auto keep = torch::tensor({0, 2, 3, 4}, torch::kInt64);
  for (size_t k = 0; k < out.size(); ++k) {
    const auto kept = out[k].index_select(1, keep);
    EXPECT_TRUE(torch::allclose(kept, ref[k], 1e-4, 1e-4)) << "block " << k << ": "
                                                            << (kept - ref[k]).abs().max().item<float>();
  }
}

TEST(Model, PermutingStreamsPermutesOutputs) {
  auto net = tiny(Modulation::qpsk, 6);
  net->eval();
  torch::NoGradGuard no_grad;
  OnlineChannel gen(channel(6, 6, Modulation::qpsk), 6, torch::kCPU);
  const auto a = gen.sample(16, 4);
  const auto perm = torch::tensor({3, 0, 5, 1, 4, 2}, torch::kInt64);
  MimoTensors b = a;
  b.Hr = a.Hr.index_select(2, perm);
  b.Hi = a.Hi.index_select(2, perm);
  const auto la = net->forward(a).back().index_select(1, perm);
  const auto lb = net->forward(b).back();
  EXPECT_TRUE(torch::allclose(la, lb, 1e-4, 1e-4)) << (la - lb).abs().max().item<float>();
}

// Split in two parts (as between two processes), a padded batch's summed losses add up to the whole batch's, and
// their sum over the whole batch's stream count is its mean loss; the mean of the parts' means is not.
TEST(Model, LossSumsOfPartsAddUpToTheWholeBatch) {
  auto net = tiny(Modulation::qpsk, 4);
  torch::NoGradGuard no_grad;
  const OnlineChannel gen(channel(4, 4, Modulation::qpsk), 1, torch::kCPU);
  const auto whole = gen.sample(96, 2), a = gen.draw(2, 0, 48), b = gen.draw(2, 48, 48);
  const int64_t tokens = TransformerDetectorNetImpl::loss_tokens(whole);
  EXPECT_EQ(tokens, 96 * 4 - whole.mask.sum().item<int64_t>());
  EXPECT_EQ(TransformerDetectorNetImpl::loss_tokens(a) + TransformerDetectorNetImpl::loss_tokens(b), tokens);
  const double sa = net->loss_sum(net->forward(a), a).item<double>();
  const double sb = net->loss_sum(net->forward(b), b).item<double>();
  const double mean = net->loss(net->forward(whole), whole).item<double>();
  EXPECT_NEAR((sa + sb) / static_cast<double>(tokens), mean, 1e-6 * mean);
  const double mean_of_means = (sa / static_cast<double>(TransformerDetectorNetImpl::loss_tokens(a)) +
                                sb / static_cast<double>(TransformerDetectorNetImpl::loss_tokens(b))) / 2;
  EXPECT_GT(std::abs(mean_of_means - mean), 1e-5 * mean);  // 3.6e-5 here: the parts hold 119 and 122 streams
}

TEST(Model, TrainingStepsReduceTheLossOnAFixedBatch) {
  auto net = tiny(Modulation::qpsk, 4);
  OnlineChannel gen(channel(4, 4, Modulation::qpsk), 4, torch::kCPU);
  const auto batch = gen.sample(256, 0);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(3e-3));
  const double first = net->loss(net->forward(batch), batch).item<double>();
  double last = first;
  for (int s = 0; s < 40; ++s) {
    opt.zero_grad();
    auto loss = net->loss(net->forward(batch), batch);
    loss.backward();
    opt.step();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.8 * first) << first << " -> " << last;
}

}  // namespace
}  // namespace mimo::tf
