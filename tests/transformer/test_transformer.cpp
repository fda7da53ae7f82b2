// The transformer detector: attention core against float64, masking, permutation equivariance, learning,
// exact save/load/resume, the online channel's statistics, and clear errors for bad models.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "datasets/writer.hpp"
#include "transformer/attention.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"
#include "transformer/train.hpp"
#include "transformer/transformer_detector.hpp"

namespace mimo::tf {
namespace {

std::filesystem::path scratch(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("mimo_tf_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

GeneratorConfig channel(int nt, int nr, Modulation mod, const std::string& model = "rayleigh") {
  GeneratorConfig g;
  g.channel.model = model;
  g.channel.nt = nt;
  g.channel.nr = nr;
  g.modulation = mod;
  g.snr = SnrSchedule::range("5:20");
  g.seed = 7;
  return g;
}

TransformerDetectorNet tiny(Modulation mod, int64_t nt_max) {
  torch::manual_seed(3);
  return TransformerDetectorNet(TransformerOptions(mod, nt_max).dim(16).heads(2).layers(2));
}

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

double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  const auto w = want.to(torch::kDouble);
  return (got.to(torch::kDouble) - w).abs().max().item<double>() / std::max(1e-300, w.abs().max().item<double>());
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

TEST(Checkpoint, SaveLoadReproducesOutputsBitForBit) {
  const auto dir = scratch("ckpt");
  auto net = tiny(Modulation::qam16, 4);
  net->eval();
  ModelInfo info;
  info.options = net->options();
  info.channel = "rayleigh 4x4";
  save_model((dir / "m.pt").string(), net, info, nullptr);
  auto loaded = load_model((dir / "m.pt").string(), torch::kCPU);
  loaded.net->eval();
  OnlineChannel gen(channel(4, 4, Modulation::qam16), 4, torch::kCPU);
  const auto batch = gen.sample(8, 1);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(net->forward(batch).back(), loaded.net->forward(batch).back()));
  EXPECT_EQ(loaded.info.channel, "rayleigh 4x4");
  EXPECT_EQ(loaded.info.options.dim(), 16);
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, ResumedTrainingEqualsUninterruptedTraining) {
  const auto dir = scratch("resume");
  TrainConfig c;
  c.channel = channel(2, 2, Modulation::qpsk);
  c.dim = 16;
  c.heads = 2;
  c.layers = 1;
  c.steps = 6;
  c.batch = 32;
  c.validate_every = 3;
  c.validate_samples = 50;
  c.out = (dir / "straight.pt").string();
  train(c, {});
  c.out = (dir / "split.pt").string();
  TrainHooks stop_early;
  int calls = 0;
  stop_early.stop = [&] { return calls++ >= 3; };  // stops after 3 steps
  EXPECT_EQ(train(c, stop_early), 3);
  c.resume = c.out;
  EXPECT_EQ(train(c, {}), 6);
  auto a = load_model((dir / "straight.pt").string(), torch::kCPU), b = load_model((dir / "split.pt").string(), torch::kCPU);
  const auto pa = a.net->parameters(), pb = b.net->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << "parameter " << k;
  EXPECT_TRUE(std::filesystem::exists(dir / "split.train.csv"));
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, BadFilesAndMismatchesGiveClearErrors) {
  const auto dir = scratch("bad");
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto missing = (dir / "none.pt").string();
  EXPECT_NE(message([&] { load_model(missing, torch::kCPU); }).find("no such model file"), std::string::npos);
  std::ofstream(dir / "text.pt") << "hello";
  EXPECT_NE(message([&] { load_model((dir / "text.pt").string(), torch::kCPU); }).find("not a readable model file"),
            std::string::npos);
  auto net = tiny(Modulation::qpsk, 2);
  ModelInfo info;
  info.options = net->options();
  const auto good = (dir / "good.pt").string();
  save_model(good, net, info, nullptr);
  std::filesystem::copy_file(good, dir / "cut.pt");
  std::filesystem::resize_file(dir / "cut.pt", std::filesystem::file_size(good) / 2);
  EXPECT_NE(message([&] { load_model((dir / "cut.pt").string(), torch::kCPU); }), "no error");
  EXPECT_NE(message([&] { make_transformer_detector({{"value", good}}, Modulation::qam16); }).find("trained for qpsk"),
            std::string::npos);
  auto det = make_transformer_detector({{"value", good}}, Modulation::qpsk);
  SampleBatch three;
  Generator(channel(3, 3, Modulation::qpsk)).generate(0, 4, three);
  Detection d;
  EXPECT_NE(message([&] { det->detect(three, d); }).find("at most 2 streams"), std::string::npos);
  EXPECT_NE(message([&] { make_transformer_detector({}, Modulation::qpsk); }).find("needs a model file"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Detector, DecisionsAreTheArgmaxOfTheFinalLogits) {
  const auto dir = scratch("det");
  auto net = tiny(Modulation::qam16, 3);
  ModelInfo info;
  info.options = net->options();
  const auto path = (dir / "m.pt").string();
  save_model(path, net, info, nullptr);
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

TEST(Training, StreamsAnHdf5DataSetAndResumesExactly) {
  const auto dir = scratch("data");
  auto g = channel(3, 4, Modulation::qam16);
  DatasetInfo info;
  info.channel = g.channel;
  info.modulation = g.modulation;
  info.snr_schedule = g.snr.describe();
  info.seed = g.seed;
  const auto data = (dir / "train.h5").string();
  {
    DatasetWriter w(data, info, WriterOptions{});
    SampleBatch b;
    Generator(g).generate(0, 200, b);
    w.append(b);
    w.commit();
  }
  TrainConfig c;
  c.channel = g;
  c.data = data;
  c.dim = 16;
  c.heads = 2;
  c.layers = 1;
  c.steps = 6;
  c.batch = 64;  // windows wrap around the 200 samples
  c.validate_every = 3;
  c.validate_samples = 30;
  c.out = (dir / "straight.pt").string();
  EXPECT_EQ(train(c, {}), 6);
  c.out = (dir / "split.pt").string();
  TrainHooks stop;
  int calls = 0;
  stop.stop = [&] { return calls++ >= 4; };
  EXPECT_EQ(train(c, stop), 4);
  c.resume = c.out;
  EXPECT_EQ(train(c, {}), 6);
  auto a = load_model((dir / "straight.pt").string(), torch::kCPU), b = load_model(c.out, torch::kCPU);
  const auto pa = a.net->parameters(), pb = b.net->parameters();
  for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << "parameter " << k;
  // A data set of another modulation is refused.
  c.resume.clear();
  c.channel.modulation = Modulation::qpsk;
  EXPECT_THROW(train(c, {}), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST(OnlineChannel, StatisticsFollowChannelConventions) {
  auto cfg = channel(4, 6, Modulation::qam16, "kronecker");
  cfg.channel.rho_tx = 0.7;
  cfg.channel.rho_rx = 0.3;
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


TEST(Checkpoint, OtherFeatureVersionIsRefusedWithRetrain) {
  const auto dir = scratch("version");
  auto net = tiny(Modulation::qpsk, 2);
  ModelInfo info;
  info.options = net->options();
  info.feature_version = kFeatureVersion + 1;
  const auto path = (dir / "old.pt").string();
  save_model(path, net, info, nullptr);
  try {
    load_model(path, torch::kCPU);
    FAIL() << "another feature version was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("retrain"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, ResumeWithOtherSettingsIsRefused) {
  const auto dir = scratch("resume_flags");
  TrainConfig c;
  c.channel = channel(2, 2, Modulation::qpsk);
  c.dim = 16;
  c.heads = 2;
  c.layers = 1;
  c.steps = 4;
  c.batch = 16;
  c.validate_every = 2;
  c.validate_samples = 20;
  c.out = (dir / "m.pt").string();
  TrainHooks stop;
  int calls = 0;
  stop.stop = [&] { return calls++ >= 2; };
  EXPECT_EQ(train(c, stop), 2);
  c.resume = c.out;
  auto other = c;
  other.batch = 32;
  EXPECT_THROW(train(other, {}), std::invalid_argument);
  other = c;
  other.channel.snr = SnrSchedule::range("0:10");
  EXPECT_THROW(train(other, {}), std::invalid_argument);
  EXPECT_EQ(train(c, {}), 4);  // the same flags continue
  std::filesystem::remove_all(dir);
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

TEST(OnlineChannel, RicianAndRayleighHaveUnitEntryPower) {
  for (const std::string model : {"rayleigh", "rician"}) {
    auto cfg = channel(3, 5, Modulation::qpsk, model);
    cfg.channel.k_factor = model == "rician" ? 4.0 : 0.0;
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

TEST(Detector, UsesTheChannelEstimateAndAgreesAcrossThreads) {
  const auto dir = scratch("det_threads");
  auto net = tiny(Modulation::qpsk, 4);
  ModelInfo info;
  info.options = net->options();
  const auto path = (dir / "m.pt").string();
  save_model(path, net, info, nullptr);
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
