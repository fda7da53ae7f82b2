// Transformer training throughput: samples (channel uses) per second for one optimizer step (online batch
// generation, forward, backward, Adam), default model size, 8x8 QAM16, with the fused attention core and with
// the composite reference; on CUDA too when available. Also the online batch draw alone (its share of a step).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "transformer/attention.hpp"
#include "transformer/model.hpp"
#include "transformer/online_channel.hpp"

namespace {

void BM_TrainStep(benchmark::State& state) {
  const bool cuda = state.range(0) == 1;
  if (cuda && !torch::cuda::is_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const torch::Device device(cuda ? torch::kCUDA : torch::kCPU);
  const int64_t batch = state.range(1);
  const bool fused = state.range(2) == 1;
  mimo::tf::set_attention_impl(fused ? mimo::tf::AttentionImpl::fused : mimo::tf::AttentionImpl::reference);
  mimo::GeneratorConfig g;
  g.channel.nt = 8;
  g.channel.nr = 8;
  g.modulation = mimo::Modulation::qam16;
  g.snr = mimo::SnrSchedule::range("10:25");
  mimo::tf::OnlineChannel gen(g, 8, device);
  mimo::tf::TransformerDetectorNet net(mimo::tf::TransformerOptions(g.modulation, 8));
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  uint64_t step = 0;
  for (auto _ : state) {
    const auto b = gen.sample(batch, step++);
    opt.zero_grad();
    auto loss = net->loss(net->forward(b), b);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * batch);
  mimo::tf::set_attention_impl(mimo::tf::AttentionImpl::fused);
  state.SetLabel(std::string(cuda ? "cuda" : "cpu") + (fused ? " fused" : " reference") +
                 " attention, 8x8 qam16 dim 64 heads 4 layers 4");
}

// The batch draw alone, 8x8 QAM16 with padding-masked stream counts (--nt-min 1, the most random draws), for
// each channel model: H comes from channel/'s implementation on the CPU (the generator), the rest from torch.
const std::vector<std::string> kOnlineModels = {"rayleigh", "kronecker", "rician", "cdl"};

void BM_OnlineBatch(benchmark::State& state) {
  mimo::GeneratorConfig g;
  g.channel.nt = 8;
  g.channel.nr = 8;
  g.channel.model = kOnlineModels.at(static_cast<size_t>(state.range(1)));
  if (g.channel.model == "kronecker") g.channel.set("rho_tx", 0.7).set("rho_rx", 0.7);
  if (g.channel.model == "rician") g.channel.set("k_factor", 4.0);
  g.modulation = mimo::Modulation::qam16;
  g.snr = mimo::SnrSchedule::range("10:20");
  const mimo::tf::OnlineChannel gen(g, 1, torch::kCPU);
  const int64_t batch = state.range(0);
  uint64_t step = 0;
  for (auto _ : state) benchmark::DoNotOptimize(gen.sample(batch, step++).yr.data_ptr<float>());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * batch);
  state.SetLabel(g.channel.describe());
}

}  // namespace

BENCHMARK(BM_OnlineBatch)->ArgNames({"batch", "model"})->ArgsProduct({{256, 4096}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_TrainStep)->ArgNames({"cuda", "batch", "fused"})->ArgsProduct({{0}, {256}, {0, 1}})
    ->ArgsProduct({{1}, {4096}, {0, 1}})->Unit(benchmark::kMillisecond)
    ->UseRealTime()->MinTime(2.0);

BENCHMARK_MAIN();
