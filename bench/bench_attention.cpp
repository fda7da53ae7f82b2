// The attention core side by side: the composite torch reference, our fused implementation (CPU loops, CUDA
// kernels), and on CUDA every scaled_dot_product_attention backend that accepts the shape, forward and
// forward+backward, with the memory floor (bytes that must move over measured device copy bandwidth).
//
// Counters: `x_floor` = measured time / floor time (CUDA only); items/s = attention problems (batch x heads)
// per second. Arguments: cuda, impl (0 reference, 1 fused, 2 sdpa auto, 3 sdpa flash, 4 sdpa efficient,
// 5 sdpa cudnn, 6 sdpa math), bf16, backward, bias, B, L, d; H = 4.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <optional>
#include <vector>

#include "transformer/attention.hpp"

namespace {

enum Impl { kReference, kFused, kSdpaAuto, kSdpaFlash, kSdpaEfficient, kSdpaCudnn, kSdpaMath };
constexpr int64_t kHeads = 4;

const char* impl_name(int impl) {
  static const char* names[] = {"reference", "fused", "sdpa", "sdpa-flash", "sdpa-efficient", "sdpa-cudnn", "sdpa-math"};
  return names[impl];
}

// Device copy bandwidth (read + write bytes per second), measured once on a 1 GiB buffer.
double copy_bandwidth() {
  static const double bandwidth = [] {
    auto src = torch::empty({int64_t{1} << 28}, torch::TensorOptions().dtype(torch::kFloat).device(torch::kCUDA));
    auto dst = torch::empty_like(src);
    dst.copy_(src);
    torch::cuda::synchronize();
    const int reps = 20;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) dst.copy_(src);
    torch::cuda::synchronize();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return 2.0 * src.nbytes() * reps / seconds;
  }();
  return bandwidth;
}

#if TORCH_VERSION_MAJOR >= 2
// Restricts scaled_dot_product_attention to one backend (or leaves the choice to it) while it lives.
struct SdpaBackend {
  explicit SdpaBackend(int impl) {
    auto& ctx = at::globalContext();
    if (impl == kSdpaAuto) return;
    ctx.setSDPUseFlash(impl == kSdpaFlash);
    ctx.setSDPUseMemEfficient(impl == kSdpaEfficient);
    ctx.setSDPUseCuDNN(impl == kSdpaCudnn);
    ctx.setSDPUseMath(impl == kSdpaMath);
  }
  ~SdpaBackend() {
    auto& ctx = at::globalContext();
    ctx.setSDPUseFlash(flash_);
    ctx.setSDPUseMemEfficient(efficient_);
    ctx.setSDPUseCuDNN(cudnn_);
    ctx.setSDPUseMath(math_);
  }
  bool flash_ = at::globalContext().userEnabledFlashSDP();
  bool efficient_ = at::globalContext().userEnabledMemEfficientSDP();
  bool cudnn_ = at::globalContext().userEnabledCuDNNSDP();
  bool math_ = at::globalContext().userEnabledMathSDP();
};
#endif

torch::Tensor run(int impl, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  const torch::Tensor& bias) {
  switch (impl) {
    case kReference:
      return mimo::tf::attention_reference(q, k, v, bias, torch::Tensor());
    case kFused:
      return mimo::tf::attention_fused(q, k, v, bias, torch::Tensor());
    default:
#if TORCH_VERSION_MAJOR >= 2
      return at::scaled_dot_product_attention(q, k, v, bias.defined() ? std::optional<at::Tensor>(bias) : std::nullopt);
#else
      throw std::invalid_argument("scaled_dot_product_attention needs LibTorch 2");
#endif
  }
}

void BM_Attention(benchmark::State& state) {
  const bool cuda = state.range(0), bf16 = state.range(2), backward = state.range(3), with_bias = state.range(4);
  const int impl = static_cast<int>(state.range(1));
  const int64_t B = state.range(5), L = state.range(6), d = state.range(7);
  if (cuda && !torch::cuda::is_available()) return state.SkipWithError("no CUDA device");
  if (!cuda && impl > kFused) return state.SkipWithError("SDPA rows are CUDA only");
  const auto options = torch::TensorOptions()
                           .dtype(bf16 ? torch::kBFloat16 : torch::kFloat)
                           .device(cuda ? torch::kCUDA : torch::kCPU)
                           .requires_grad(backward);
  auto q = torch::randn({B, kHeads, L, d}, options), k = torch::randn({B, kHeads, L, d}, options);
  auto v = torch::randn({B, kHeads, L, d}, options);
  auto bias = with_bias ? torch::randn({B, kHeads, L, L}, options) : torch::Tensor();
  auto dout = torch::randn({B, kHeads, L, d}, options.requires_grad(false));
#if TORCH_VERSION_MAJOR >= 2
  std::optional<SdpaBackend> backend;
  if (impl >= kSdpaAuto) backend.emplace(impl);
#endif
  std::vector<torch::Tensor> leaves{q, k, v};
  if (with_bias) leaves.push_back(bias);
  auto step = [&] {
    auto out = run(impl, q, k, v, bias);
    // autograd::grad rather than backward(): no .grad accumulation (extra reads and writes) in the timing.
    if (backward) torch::autograd::grad({out}, leaves, {dout});
    if (cuda) torch::cuda::synchronize();
  };
  try {
    step();  // warm-up, and a backend that refuses the shape says so here
  } catch (const std::exception& e) {
    return state.SkipWithError(std::string(e.what()).substr(0, 120).c_str());
  }
  for (auto _ : state) step();

  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * B * kHeads);
  std::string label = std::string(impl_name(impl)) + (cuda ? " cuda" : " cpu") + (bf16 ? " bf16" : " f32") +
                      (backward ? " fwd+bwd" : " fwd") + (with_bias ? " bias" : "");
  if (cuda) {
    // Bytes that must move: forward reads q, k, v (and bias) and writes out; backward also reads out and dout
    // and writes dq, dk, dv (and dbias), rereading q, k, v.
    const double tile = static_cast<double>(q.nbytes()), pairs = with_bias ? static_cast<double>(bias.nbytes()) : 0;
    double bytes = 4 * tile + pairs;
    if (backward) bytes += 2 * tile + 3 * tile + 3 * tile + 2 * pairs;
    const double floor_seconds = bytes / copy_bandwidth();
    state.counters["x_floor"] = benchmark::Counter(floor_seconds * static_cast<double>(state.iterations()),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    label += " floor " + std::to_string(floor_seconds * 1e3).substr(0, 6) + " ms";
  }
  state.SetLabel(label);
}

void cpu_rows(benchmark::internal::Benchmark* b) {
  for (int64_t L : {4, 8, 16, 32})
    for (int impl : {kReference, kFused})
      for (int backward : {0, 1}) b->Args({0, impl, 0, backward, 1, 4096, L, 16});
}

void cuda_rows(benchmark::internal::Benchmark* b) {
  // The anchor: B x H = 131072 problems (above the 65535 some backends allow) for every L, bf16 and float32, every
  // backend; the d sweep (16, 64) at L = 16 for ours and the reference. scripts/gpu-build.sh stage 3 runs d = 32.
  const int64_t batch = 131072 / kHeads;
  for (int64_t L : {8, 16, 32, 64, 128})
    for (int64_t d : {16, 32, 64})
      for (int backward : {0, 1}) {
        if (d != 32 && L != 16) continue;
        for (int bf16 : {1, 0}) {
          if (d == 32) {
            for (int impl : {kReference, kFused, kSdpaAuto, kSdpaFlash, kSdpaEfficient, kSdpaCudnn})
              b->Args({1, impl, bf16, backward, 0, batch, L, d});
          } else {
            for (int impl : {kReference, kFused}) b->Args({1, impl, bf16, backward, 0, batch, L, d});
          }
        }
        b->Args({1, kFused, 1, backward, 1, batch, L, d});      // with the bias
        b->Args({1, kReference, 1, backward, 1, batch, L, d});
      }
}

}  // namespace

BENCHMARK(BM_Attention)->Name("cpu")->ArgNames({"cuda", "impl", "bf16", "bwd", "bias", "B", "L", "d"})
    ->Apply(cpu_rows)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_Attention)->Name("cuda")->ArgNames({"cuda", "impl", "bf16", "bwd", "bias", "B", "L", "d"})
    ->Apply(cuda_rows)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.3);

BENCHMARK_MAIN();
