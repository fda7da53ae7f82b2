// Online batches (transformer/online_channel.hpp): the channel conventions of channel/, padded mixes of stream
// counts with their own noise variance, and unit entry power for every model.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.hpp"
#include "transformer/online_channel.hpp"

namespace mimo::tf {
namespace {

using namespace test;

TEST(OnlineChannel, StatisticsFollowChannelConventions) {
  auto cfg = channel(4, 6, Modulation::qam16, "kronecker");
  cfg.channel.set("rho_tx", 0.7).set("rho_rx", 0.3);
  cfg.snr = SnrSchedule::range("10:10");
  OnlineChannel gen(cfg, 4, torch::kCPU);
  const auto t = gen.sample(20000, 0);
  const double power = (t.Hr.square() + t.Hi.square()).mean().item<double>();
  EXPECT_NEAR(power, 1.0, 0.02);
  // E[H^H H] / Nr = R_tx (real part), R_ij = 0.7^|i-j|.
  const auto gram = (torch::matmul(t.Hr.transpose(1, 2), t.Hr) + torch::matmul(t.Hi.transpose(1, 2), t.Hi)).mean(0) / 6;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(gram[i][j].item<double>(), std::pow(0.7, std::abs(i - j)), 0.03) << i << j;
  // Noise variance: snr unit, N0 = Nt / 10^(snr/10), and y - Hx has that power.
  EXPECT_NEAR(t.n0[0].item<double>(), 4.0 / 10.0, 1e-6);
  const Constellation c(Modulation::qam16);
  std::vector<float> re, im;
  for (auto p : c.points()) { re.push_back(p.real()); im.push_back(p.imag()); }
  const auto xr = torch::tensor(re).index_select(0, t.labels.reshape({-1})).view({20000, 4, 1});
  const auto xi = torch::tensor(im).index_select(0, t.labels.reshape({-1})).view({20000, 4, 1});
  const auto nr = t.yr - (torch::matmul(t.Hr, xr) - torch::matmul(t.Hi, xi)).squeeze(2);
  const auto ni = t.yi - (torch::matmul(t.Hr, xi) + torch::matmul(t.Hi, xr)).squeeze(2);
  EXPECT_NEAR((nr.square() + ni.square()).mean().item<double>(), 0.4, 0.01);
}

TEST(OnlineChannel, MixedStreamCountsArePaddedWithTheirOwnNoiseVariance) {
  auto cfg = channel(4, 4, Modulation::qpsk);
  cfg.snr = SnrSchedule::range("10:10");
  OnlineChannel gen(cfg, 1, torch::kCPU);
  const auto t = gen.sample(4000, 3);
  ASSERT_TRUE(t.mask.defined());
  const auto active = (~t.mask).sum(1);  // streams per problem
  EXPECT_EQ(active.min().item<int64_t>(), 1);
  EXPECT_EQ(active.max().item<int64_t>(), 4);
  // Padded streams come last, with zero channel columns.
  EXPECT_TRUE(torch::equal(t.mask, torch::arange(4).view({1, 4}) >= active.view({-1, 1})));
  const auto col_power = (t.Hr.square() + t.Hi.square()).sum(1);  // [B, Nt]
  EXPECT_EQ(col_power.masked_select(t.mask).abs().max().item<float>(), 0.0f);
  // snr unit: N0 = k / 10^(snr/10) for k active streams, as channel/ would generate an Nt = k problem.
  EXPECT_TRUE(torch::allclose(t.n0, active.to(torch::kFloat32) / 10.0, 1e-5, 1e-7));
  // Training on the mix runs and learns something.
  auto net = tiny(Modulation::qpsk, 4);
  EXPECT_TRUE(std::isfinite(net->loss(net->forward(t), t).item<double>()));
}

// Any range of a step's samples is the same whoever draws it, whichever blocks it crosses: what lets each process
// of a data-parallel run draw its part of the global batch alone. Other steps and seeds draw other samples.
TEST(OnlineChannel, AnyRangeOfAStepEqualsTheSameRowsOfTheWholeBatch) {
  auto cfg = channel(3, 4, Modulation::qam16, "rician");
  cfg.channel.set("k_factor", 2.0);
  const OnlineChannel gen(cfg, 1, torch::kCPU);
  const auto whole = gen.sample(200, 5);
  ASSERT_EQ(whole.batch(), 200);
  for (const auto& [first, count] : std::vector<std::pair<int64_t, int64_t>>{{0, 64}, {50, 100}, {64, 1}, {199, 1}}) {
    const auto part = gen.draw(5, first, count);
    ASSERT_EQ(part.batch(), count);
    for (const auto& [a, b] : std::vector<std::pair<torch::Tensor, torch::Tensor>>{
             {part.Hr, whole.Hr}, {part.Hi, whole.Hi}, {part.yr, whole.yr}, {part.yi, whole.yi},
             {part.n0, whole.n0}, {part.mask, whole.mask}, {part.labels, whole.labels}})
      EXPECT_TRUE(torch::equal(a, b.narrow(0, first, count))) << first << "+" << count;
  }
  EXPECT_FALSE(torch::equal(gen.sample(64, 6).Hr, whole.Hr.narrow(0, 0, 64)));  // another step
  EXPECT_FALSE(torch::equal(whole.Hr.narrow(0, 64, 64), whole.Hr.narrow(0, 0, 64)));  // another block
  cfg.seed = 8;
  EXPECT_FALSE(torch::equal(OnlineChannel(cfg, 1, torch::kCPU).sample(64, 5).Hr, whole.Hr.narrow(0, 0, 64)));
}

TEST(OnlineChannel, RicianAndRayleighHaveUnitEntryPower) {
  for (const std::string model : {"rayleigh", "rician"}) {
    auto cfg = channel(3, 5, Modulation::qpsk, model);
    if (model == "rician") cfg.channel.set("k_factor", 4.0);
    OnlineChannel gen(cfg, 3, torch::kCPU);
    const auto t = gen.sample(20000, 1);
    EXPECT_NEAR((t.Hr.square() + t.Hi.square()).mean().item<double>(), 1.0, 0.02) << model;
    if (model == "rician") {
      // The line of sight makes |h| far less spread than Rayleigh's: E|h|^4 = 1 + 1 - (K/(K+1))^2 for unit
      // modulus LOS plus CN(0, 1/(K+1)), so 2 - 0.64 = 1.36 for K = 4 (Rayleigh: 2).
      const auto p = t.Hr.square() + t.Hi.square();
      EXPECT_NEAR(p.square().mean().item<double>(), 1.36, 0.05);
    }
  }
}

}  // namespace
}  // namespace mimo::tf
