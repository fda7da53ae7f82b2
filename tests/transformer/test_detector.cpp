// The transformer as a mimo Detector (transformer/transformer_detector.hpp): decisions and LLRs from the final
// logits, the channel estimate under imperfect CSI, and the same output for any thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <filesystem>

#include "fixtures.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"
#include "transformer/transformer_detector.hpp"

namespace mimo::tf {
namespace {

using namespace test;

TEST(Detector, DecisionsAreTheArgmaxOfTheFinalLogits) {
  const auto dir = scratch("det");
  auto net = tiny(Modulation::qam16, 3);
  const auto path = save_tiny(net, dir / "m.pt");
  SampleBatch b;
  Generator(channel(3, 4, Modulation::qam16)).generate(0, 100, b);
  Detection d;
  make_transformer_detector({{"model", path}, {"batch", "7"}}, Modulation::qam16)->detect(b, d, 2);
  net->eval();
  torch::NoGradGuard no_grad;
  const auto logits = net->forward(to_tensors(b, 0, b.n, torch::kCPU)).back();
  const auto arg = logits.argmax(2).reshape({-1});
  for (int64_t k = 0; k < arg.size(0); ++k) ASSERT_EQ(d.symbols[k], arg[k].item<int64_t>());
  // Max-log LLR sign agrees with the decided symbol's bits.
  const Constellation c(Modulation::qam16);
  for (size_t k = 0; k < b.n * b.nt; ++k)
    for (int j = 0; j < 4; ++j)
      if (std::abs(d.llr[k * 4 + j]) > 1e-4) {
        EXPECT_EQ(d.llr[k * 4 + j] < 0, c.bit(d.symbols[k], j) == 1);
      }
  std::filesystem::remove_all(dir);
}

TEST(Detector, UsesTheChannelEstimateAndAgreesAcrossThreads) {
  const auto dir = scratch("det_threads");
  auto net = tiny(Modulation::qpsk, 4);
  const auto path = save_tiny(net, dir / "m.pt");
  auto cfg = channel(4, 4, Modulation::qpsk);
  cfg.channel.csi_error_var = 0.1;
  SampleBatch b;
  Generator(cfg).generate(0, 300, b);
  ASSERT_TRUE(b.has_h_est());
  const auto t = to_tensors(b, 0, b.n, torch::kCPU);
  EXPECT_EQ(t.Hr[0][1][2].item<float>(), b.H_est[1 * 4 + 2].real());
  // Labels are the transmitted points' indices.
  const Constellation c(Modulation::qpsk);
  for (size_t k = 0; k < 40; ++k) {
    const auto p = c.points()[t.labels.reshape({-1})[static_cast<int64_t>(k)].item<int64_t>()];
    EXPECT_LT(std::abs(p - std::complex<double>(b.x[k])), 1e-6) << k;
  }
  const auto det = make_transformer_detector({{"value", path}, {"batch", "64"}}, Modulation::qpsk);
  Detection one, three;
  det->detect(b, one, 1);
  det->detect(b, three, 3);
  EXPECT_EQ(one.symbols, three.symbols);
  EXPECT_EQ(one.llr, three.llr);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo::tf
