// Beam search with the transformer (transformer/search.hpp): with a beam as wide as the whole tree it is
// exhaustive ML, decisions and LLRs alike, whatever the network; a subproblem is the smaller MIMO problem with the
// fixed streams cancelled; `mimo train --subproblems` keeps the full problem's noise; the detector refuses a beam
// for a model not trained for it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "channel/generator.hpp"
#include "fixtures.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"
#include "transformer/search.hpp"
#include "transformer/transformer_detector.hpp"

namespace mimo::tf {
namespace {

GeneratorConfig channel(int nt, int nr, Modulation mod, const std::string& snr) {
  auto g = test::channel(nt, nr, mod);
  g.snr = SnrSchedule::grid(snr);
  g.seed = 11;
  return g;
}

TransformerDetectorNet tiny(Modulation mod, int64_t nt_max) {
  auto net = test::tiny(mod, nt_max, /*seed=*/5);
  net->eval();
  return net;
}

std::string saved(const std::string& name, TransformerDetectorNet& net, bool subproblems) {
  const auto dir = std::filesystem::temp_directory_path() / ("mimo_search_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  ModelInfo info;
  info.subproblems = subproblems;
  return test::save_tiny(net, dir / name, info);
}

// Beam 4^3 = 64 over 3 QPSK streams keeps every vector: the list is the whole constellation, so the decision is
// ML's and the LLRs are exhaustive max-log, even from an untrained network.
TEST(BeamSearch, FullBeamIsExhaustiveMl) {
  auto net = tiny(Modulation::qpsk, 3);
  const auto path = saved("full.pt", net, true);
  SampleBatch b;
  Generator(channel(3, 3, Modulation::qpsk, "0,6")).generate(0, 300, b);
  Detection ml, beam;
  make_detector("ml", Modulation::qpsk)->detect(b, ml, 2);
  const auto det = make_transformer_detector({{"value", path}, {"beam", "64"}, {"clip", "10000"}}, Modulation::qpsk);
  EXPECT_EQ(det->name(), "transformer:beam=64,clip=10000");
  det->detect(b, beam, 2);
  EXPECT_EQ(beam.symbols, ml.symbols);
  ASSERT_EQ(beam.llr.size(), ml.llr.size());
  for (size_t k = 0; k < ml.llr.size(); ++k)
    ASSERT_NEAR(beam.llr[k], ml.llr[k], 1e-4 * (1 + std::abs(ml.llr[k]))) << k;
}

// A narrower beam still returns the best of its list: never a worse ML metric than the network's one pass.
TEST(BeamSearch, NeverWorseMetricThanOnePassAndLlrSignsMatchDecisions) {
  auto net = tiny(Modulation::qam16, 4);
  SampleBatch b;
  Generator(channel(4, 4, Modulation::qam16, "15")).generate(0, 200, b);
  const auto t = to_tensors(b, 0, b.n, torch::kCPU);
  const auto r = beam_search(net, t, 3, 20.0);
  torch::NoGradGuard no_grad;
  const auto one = net->forward(t).back().argmax(2);
  const Constellation c(Modulation::qam16);
  auto metric = [&](size_t i, const torch::Tensor& labels) {
    double d = 0;
    for (size_t r_ = 0; r_ < b.nr; ++r_) {
      std::complex<double> e = b.y[i * b.nr + r_];
      for (size_t s = 0; s < b.nt; ++s)
        e -= std::complex<double>(b.H[(i * b.nr + r_) * b.nt + s]) *
             c.points()[static_cast<size_t>(labels[static_cast<int64_t>(i)][static_cast<int64_t>(s)].item<int64_t>())];
      d += std::norm(e);
    }
    return d;
  };
  for (size_t i = 0; i < b.n; ++i) {
    EXPECT_LE(metric(i, r.labels), metric(i, one) + 1e-9) << i;
    for (int64_t s = 0; s < 4; ++s)
      for (int j = 0; j < 4; ++j) {
        const double l = r.llr[static_cast<int64_t>(i)][s][j].item<double>();
        const int q = static_cast<int>(r.labels[static_cast<int64_t>(i)][s].item<int64_t>());
        if (l != 0) {
          EXPECT_EQ(l < 0, c.bit(q, j) == 1);
        }
        EXPECT_LE(std::abs(l), 20.0);
      }
  }
}

// One level by hand: each hypothesis branches on its surest free stream, and the children of highest summed
// log-probability are kept.
TEST(BeamSearch, StepBranchesOnTheSurestStreamAndKeepsTheMostLikelyChildren) {
  auto logs = [](std::vector<std::vector<double>> p) {
    auto t = torch::tensor(std::vector<double>{}).view({0, 4});
    for (auto& row : p) t = torch::cat({t, torch::tensor(row).view({1, 4})});
    return t.to(torch::kFloat64).log();
  };
  Beam root{torch::full({1, 1, 3}, -1, torch::kInt64), torch::zeros({1, 1}, torch::kFloat64)};
  // Stream 1 is the surest (0.9): its two best symbols, 1 and 2.
  const auto level0 = logs({{0.4, 0.3, 0.2, 0.1}, {0.01, 0.9, 0.06, 0.03}, {0.5, 0.3, 0.15, 0.05}}).view({1, 3, 4});
  const auto one = beam_step(root, level0, torch::tensor({0, 1, 2}).view({1, 3}), 2);
  EXPECT_TRUE(torch::equal(one.labels, torch::tensor({-1, 1, -1, -1, 2, -1}).view({1, 2, 3})));
  EXPECT_TRUE(torch::allclose(one.score, torch::tensor(std::vector<double>{std::log(0.9), std::log(0.06)}).to(torch::kFloat64).view({1, 2})));
  // Hypothesis 0 is surest of stream 2 (0.7), hypothesis 1 of stream 0 (0.99); the children's products are
  // 0.63, 0.18 (from 0) and 0.0594, 0.0003 (from 1): the two kept both come from hypothesis 0.
  const auto level1 = torch::stack({logs({{0.6, 0.2, 0.1, 0.1}, {0.7, 0.2, 0.08, 0.02}}),
                                    logs({{0.99, 0.005, 0.003, 0.002}, {0.5, 0.3, 0.1, 0.1}})});
  const auto two = beam_step(one, level1, torch::tensor({0, 2, 0, 2}).view({2, 2}), 2);
  EXPECT_TRUE(torch::equal(two.labels, torch::tensor({-1, 1, 0, -1, 1, 1}).view({1, 2, 3})));
  const auto expect_two = torch::tensor(std::vector<double>{std::log(0.63), std::log(0.18)}).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(two.score, expect_two.view({1, 2})));
  // A beam of 4 ranks hypothesis 1's best child (0.0594) after 0.63, 0.18 and 0.072 (hypothesis 0, symbol 2).
  const auto four = beam_step(one, level1, torch::tensor({0, 2, 0, 2}).view({2, 2}), 4);
  EXPECT_TRUE(torch::equal(four.labels[0][2], torch::tensor({-1, 1, 2})));
  EXPECT_TRUE(torch::equal(four.labels[0][3], torch::tensor({0, 2, -1})));
}

// List LLRs by hand: two QPSK candidates; a bit both carry the same value has its other value at the worst
// candidate's metric.
TEST(BeamSearch, ListLlrsAreMaxLogOverTheListWithTheWorstMetricForMissingValues) {
  const Constellation c(Modulation::qpsk);
  std::vector<uint8_t> table;
  for (int q = 0; q < 4; ++q)
    for (int j = 0; j < 2; ++j) table.push_back(c.bit(q, j) ? 1 : 0);
  const auto bits = torch::tensor(table).view({4, 2}).to(torch::kBool);
  // Candidates: symbol 0 (metric 1) and symbol 1 (metric 3) on one stream; N0 = 0.5.
  const auto list = torch::tensor({0, 1}, torch::kInt64).view({1, 2, 1});
  const auto d = torch::tensor({1.0, 3.0}, torch::kFloat64).view({1, 2});
  const auto llr = list_llrs(list, d, torch::tensor({0.5}), bits, 100.0);
  const auto clipped = list_llrs(list, d, torch::tensor({0.5}), bits, 3.0);
  for (int j = 0; j < 2; ++j) {
    // Symbol 0 is the best candidate: its bit value gets metric 1, the other value metric 3 (from symbol 1 if it
    // differs there, else the worst candidate's, also 3).
    const double expect = (c.bit(0, j) ? -1.0 : 1.0) * (3.0 - 1.0) / 0.5;
    EXPECT_DOUBLE_EQ(llr[0][0][j].item<double>(), expect) << j;
    EXPECT_DOUBLE_EQ(clipped[0][0][j].item<double>(), std::clamp(expect, -3.0, 3.0)) << j;
  }
  // With a third, distant candidate the missing value takes its metric (the worst), the present one stays.
  const auto list3 = torch::tensor({0, 1, 1}, torch::kInt64).view({1, 3, 1});
  const auto llr3 = list_llrs(list3, torch::tensor({1.0, 3.0, 9.0}, torch::kFloat64).view({1, 3}), torch::tensor({0.5}),
                              bits, 100.0);
  for (int j = 0; j < 2; ++j) {
    const bool differs = c.bit(0, j) != c.bit(1, j);
    const double expect = (c.bit(0, j) ? -1.0 : 1.0) * ((differs ? 3.0 : 9.0) - 1.0) / 0.5;
    EXPECT_DOUBLE_EQ(llr3[0][0][j].item<double>(), expect) << j;
  }
}

// Fixing stream 1 to a symbol gives the network the 2-stream problem y - h_1 s with columns 0 and 2, as built by
// hand (and the outputs equal those of the padded 3-stream problem, the form the network was trained on).
TEST(BeamSearch, SubproblemIsTheProblemWithTheFixedStreamCancelled) {
  auto net = tiny(Modulation::qam16, 3);
  SampleBatch b;
  Generator(channel(3, 4, Modulation::qam16, "12")).generate(0, 50, b);
  const auto t = to_tensors(b, 0, b.n, torch::kCPU);
  auto labels = torch::full({50, 1, 3}, -1, torch::kInt64);
  labels.select(2, 1).fill_(6);
  const auto sub = cancel_fixed(t, labels, Modulation::qam16);
  const auto others = torch::tensor({0, 2});
  EXPECT_TRUE(torch::equal(sub.streams, others.view({1, 2}).expand({50, 2})));
  const Constellation c(Modulation::qam16);
  const auto s = c.points()[6];
  const auto h1r = t.Hr.select(2, 1), h1i = t.Hi.select(2, 1);
  MimoTensors by_hand;
  by_hand.yr = t.yr - (h1r * s.real() - h1i * s.imag());
  by_hand.yi = t.yi - (h1r * s.imag() + h1i * s.real());
  by_hand.Hr = t.Hr.index_select(2, others);
  by_hand.Hi = t.Hi.index_select(2, others);
  by_hand.n0 = t.n0;
  EXPECT_TRUE(torch::allclose(sub.problem.yr, by_hand.yr, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(sub.problem.yi, by_hand.yi, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(sub.problem.Hr, by_hand.Hr));
  EXPECT_TRUE(torch::equal(sub.problem.Hi, by_hand.Hi));
  MimoTensors padded = by_hand;
  padded.Hr = t.Hr.clone();
  padded.Hi = t.Hi.clone();
  padded.Hr.select(2, 1).zero_();
  padded.Hi.select(2, 1).zero_();
  padded.mask = torch::tensor({false, true, false}).view({1, 3}).expand({50, 3});
  torch::NoGradGuard no_grad;
  const auto a = net->forward(sub.problem).back(), e = net->forward(padded).back().index_select(1, others);
  EXPECT_TRUE(torch::allclose(a, e, 1e-4, 1e-4)) << (a - e).abs().max().item<double>();
}

// --subproblems: k of Nt streams keep the Nt-stream noise variance (the problem after cancelling Nt - k).
TEST(OnlineChannel, SubproblemsKeepTheFullProblemsNoise) {
  auto cfg = channel(4, 4, Modulation::qpsk, "10");
  cfg.snr = SnrSchedule::range("10:10");
  OnlineChannel gen(cfg, 1, torch::kCPU, /*subproblems=*/true);
  const auto t = gen.sample(2000, 3);
  ASSERT_TRUE(t.mask.defined());
  const auto active = (~t.mask).sum(1);
  EXPECT_EQ(active.min().item<int64_t>(), 1);
  EXPECT_EQ(active.max().item<int64_t>(), 4);
  EXPECT_TRUE(torch::allclose(t.n0, torch::full_like(t.n0, 4 / 10.0), 1e-5, 1e-7));
  // i.i.d. columns: the last streams are left out, as for --nt-min.
  EXPECT_TRUE(torch::equal(t.mask, torch::arange(4).view({1, 4}) >= active.view({-1, 1})));
}

// Kronecker (or Rician) streams differ, so any subset may be cancelled; with imperfect CSI the cancelled streams
// are subtracted with the estimate, leaving every stream's estimation error in y: E|y - H_est x_active|^2 per
// antenna = N0 + V Nt (unit-energy symbols), against N0 + V k if the cancelled streams were simply absent.
TEST(OnlineChannel, SubproblemsCancelAnySubsetWithTheChannelEstimate) {
  auto cfg = channel(4, 6, Modulation::qpsk, "10");
  cfg.snr = SnrSchedule::range("10:10");
  cfg.channel.model = "kronecker";
  cfg.channel.set("rho_tx", 0.5).set("rho_rx", 0.5);
  cfg.channel.csi_error_var = 0.05;
  OnlineChannel gen(cfg, 1, torch::kCPU, /*subproblems=*/true);
  const auto t = gen.sample(40000, 5);
  ASSERT_TRUE(t.mask.defined());
  const auto prefix = torch::arange(4).view({1, 4}) >= (~t.mask).sum(1).view({-1, 1});
  EXPECT_GT((t.mask != prefix).any(1).to(torch::kFloat64).mean().item<double>(), 0.3);  // not just the last ones
  EXPECT_NEAR(t.mask.to(torch::kFloat64).mean(0).min().item<double>(), t.mask.to(torch::kFloat64).mean().item<double>(),
              0.02);  // every stream equally often
  const auto col_power = (t.Hr.square() + t.Hi.square()).sum(1);
  EXPECT_EQ(col_power.masked_select(t.mask).abs().max().item<float>(), 0.0f);
  const Constellation c(Modulation::qpsk);
  std::vector<float> re, im;
  for (const auto& p : c.points()) {
    re.push_back(static_cast<float>(p.real()));
    im.push_back(static_cast<float>(p.imag()));
  }
  const auto keep = (~t.mask).to(torch::kFloat32);
  const auto xr = (torch::tensor(re).index_select(0, t.labels.reshape({-1})).view(t.labels.sizes()) * keep).unsqueeze(2);
  const auto xi = (torch::tensor(im).index_select(0, t.labels.reshape({-1})).view(t.labels.sizes()) * keep).unsqueeze(2);
  const auto er = t.yr - (torch::matmul(t.Hr, xr) - torch::matmul(t.Hi, xi)).squeeze(2);
  const auto ei = t.yi - (torch::matmul(t.Hr, xi) + torch::matmul(t.Hi, xr)).squeeze(2);
  const double residual = (er.square() + ei.square()).mean().item<double>();
  EXPECT_NEAR(residual, 4 / 10.0 + 0.05 * 4, 0.01);
}

TEST(BeamSearch, DetectorRefusesABeamForAModelNotTrainedOnSubproblems) {
  auto net = tiny(Modulation::qpsk, 2);
  const auto path = saved("plain.pt", net, false);
  try {
    make_transformer_detector({{"value", path}, {"beam", "4"}}, Modulation::qpsk);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--subproblems"), std::string::npos) << e.what();
  }
  EXPECT_EQ(make_transformer_detector({{"value", path}}, Modulation::qpsk)->name(), "transformer");
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace mimo::tf
