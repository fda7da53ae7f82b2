// Detector throughput in channel uses per second, one thread, on pre-generated i.i.d. Rayleigh QAM16 batches
// at two receive SNRs; the sphere decoder also reports its average visited nodes per channel use. Exhaustive
// ML runs only where it is feasible: 4x4 QPSK (256 candidates), beside sphere and K-best on the same batch.
// Large systems (32 streams, 64 receive antennas) only for the detectors whose cost is polynomial. EP's matrix
// kernel alone (one cavity: Cholesky, L^-T, diag of the inverse, mean; n^3 flops) in GFLOP/s, for the roofline.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "channel/generator.hpp"
#include "channel/random.hpp"
#include "detectors/detector.hpp"
#include "detectors/ep_kernels.hpp"
#include "detectors/tree_search.hpp"

namespace {

// nt x nr channel uses (square by default); `uses` per batch.
const mimo::SampleBatch& batch(int n, int snr_db, mimo::Modulation mod = mimo::Modulation::qam16, int nr = 0,
                               size_t uses = 4096) {
  if (nr == 0) nr = n;
  static std::map<std::tuple<int, int, int, mimo::Modulation, size_t>, mimo::SampleBatch> cache;
  auto& b = cache[{n, nr, snr_db, mod, uses}];
  if (b.n == 0) {
    mimo::GeneratorConfig g;
    g.channel.nt = n;
    g.channel.nr = nr;
    g.modulation = mod;
    g.snr = mimo::SnrSchedule::grid(std::vector<double>{static_cast<double>(snr_db)});
    mimo::Generator(g).generate(0, uses, b, 2);
  }
  return b;
}

// Times one detector on one pre-generated batch: channel uses per second, and the sphere decoder's nodes.
void time_detector(benchmark::State& state, const std::string& spec, mimo::Modulation mod, const mimo::SampleBatch& b,
                   const std::string& label) {
  auto det = mimo::make_detector(spec, mod);
  mimo::Detection out;
  size_t uses = 0;
  for (auto _ : state) {
    det->detect(b, out, 1);
    uses += b.n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(uses));
  if (const auto* sphere = dynamic_cast<const mimo::SphereDetector*>(det.get()))
    state.counters["nodes"] = static_cast<double>(sphere->visited_nodes()) / static_cast<double>(sphere->searches());
  state.SetLabel(spec + " " + label);
}

const char* const kSpecs[] = {"mf", "zf", "mmse", "sic", "ep", "kbest:k=16", "sphere", "sphere:soft=1"};

void BM_Detect(benchmark::State& state) {
  const int n = static_cast<int>(state.range(1)), snr = static_cast<int>(state.range(2));
  time_detector(state, kSpecs[state.range(0)], mimo::Modulation::qam16, batch(n, snr),
                std::to_string(n) + "x" + std::to_string(n) + " qam16 " + std::to_string(snr) + "dB");
}

void Args(benchmark::internal::Benchmark* b) {
  for (int d = 0; d < 8; ++d)
    for (int n : {8, 16})
      for (int snr : {20, 30}) {
        // The sphere decoder's cost is exponential at low SNR: 16x16 QAM16 at 20 dB visits ~1e6 nodes per use
        // (about a minute for one batch), so that point is left out, for the soft-output one too.
        if (d >= 6 && n == 16 && snr == 20) continue;
        b->Args({d, n, snr});
      }
}

const char* const kSmallSpecs[] = {"ml", "sphere", "kbest:k=16", "mmse"};

// 4x4 QPSK, where exhaustive ML is affordable.
void BM_DetectSmall(benchmark::State& state) {
  const int snr = static_cast<int>(state.range(1));
  time_detector(state, kSmallSpecs[state.range(0)], mimo::Modulation::qpsk, batch(4, snr, mimo::Modulation::qpsk),
                "4x4 qpsk " + std::to_string(snr) + "dB");
}

// MMSE at 8x8 QAM16 on 2^20 channel uses (about 600 MB: read from memory, not the caches): the C++ side of the
// Python module's throughput (bench/python_throughput.py, which detects the same amount from numpy arrays).
void BM_DetectStream(benchmark::State& state) {
  time_detector(state, "mmse", mimo::Modulation::qam16, batch(8, 20, mimo::Modulation::qam16, 8, size_t{1} << 20),
                "8x8 qam16 20dB, 2^20 uses");
}

const char* const kLargeSpecs[] = {"mmse", "ep"};

// 32x64 QAM16 (a massive-MIMO uplink): 512 uses per batch, EP takes about a second per batch at float64.
void BM_DetectLarge(benchmark::State& state) {
  const int snr = static_cast<int>(state.range(1));
  time_detector(state, kLargeSpecs[state.range(0)], mimo::Modulation::qam16,
                batch(32, snr, mimo::Modulation::qam16, 64, 512), "32x64 qam16 " + std::to_string(snr) + "dB");
}

// One EP cavity on an n x n system G + diag(lambda), G = H^T H for a (n + 8) x n Gaussian H.
template <class T>
void BM_EpKernel(benchmark::State& state) {
  namespace k = mimo::ep_kernels;
  const size_t n = static_cast<size_t>(state.range(0)), N = k::padded_size(n);
  k::AlignedArray<T> G(N * N), L(N * N), U(N * N), lambda(N), b(N), sigma(N), mu(N);
  mimo::Rng rng(7);
  std::vector<double> H((n + 8) * n);
  for (auto& h : H) h = rng.normal();
  for (size_t i = 0; i < n; ++i) {
    lambda[i] = 2;
    for (size_t j = 0; j < n; ++j) {
      double acc = 0;
      for (size_t r = 0; r < n + 8; ++r) acc += H[r + i * (n + 8)] * H[r + j * (n + 8)];
      G[i + j * N] = static_cast<T>(acc * 100);
    }
  }
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) b[i] = 1;
    benchmark::DoNotOptimize(
        k::cavity_linear<T>(G.get(), lambda.get(), b.get(), n, T(1), L.get(), U.get(), sigma.get(), mu.get()));
  }
  state.counters["GFLOP"] =
      benchmark::Counter(static_cast<double>(n * n * n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(sizeof(T) == 4 ? "float32" : "float64") + " n=" + std::to_string(n));
}

// The spread of the sphere decoder's cost over channel uses (8x8 QAM16), in visited nodes per use: a batch of
// mpirun evaluate waits for its slowest process, whose excess over the mean grows as cv / sqrt(uses per process)
// times sqrt(2 ln P) (README.md, "On a cluster"). Nodes, not seconds: the count is exact and noise-free.
void BM_SphereCostSpread(benchmark::State& state) {
  const int snr = static_cast<int>(state.range(0));
  mimo::GeneratorConfig g;
  g.channel.nt = g.channel.nr = 8;
  g.modulation = mimo::Modulation::qam16;
  g.snr = mimo::SnrSchedule::grid(std::vector<double>{static_cast<double>(snr)});
  const mimo::Generator gen(g);
  const auto det = mimo::make_detector("sphere", g.modulation);
  const auto& sphere = dynamic_cast<const mimo::SphereDetector&>(*det);
  mimo::SampleBatch one;
  mimo::Detection out;
  double sum = 0, sum_sq = 0, uses = 0;
  for (auto _ : state) {
    for (uint64_t k = 0; k < 2000; ++k) {
      gen.generate(static_cast<uint64_t>(uses) + k, 1, one, 1);
      const uint64_t before = sphere.visited_nodes();
      det->detect(one, out, 1);
      const double nodes = static_cast<double>(sphere.visited_nodes() - before);
      sum += nodes;
      sum_sq += nodes * nodes;
    }
    uses += 2000;
  }
  const double mean = sum / uses;
  state.counters["nodes"] = mean;
  state.counters["cv"] = std::sqrt(std::max(sum_sq / uses - mean * mean, 0.0)) / mean;
  state.SetLabel("sphere 8x8 qam16 " + std::to_string(snr) + "dB");
}

}  // namespace

BENCHMARK(BM_SphereCostSpread)->Arg(16)->Arg(24)->ArgName("snr")->Unit(benchmark::kMillisecond)->Iterations(20);

BENCHMARK(BM_DetectSmall)->ArgsProduct({{0, 1, 2, 3}, {10, 20}})->ArgNames({"detector", "snr"})
    ->Unit(benchmark::kMicrosecond)->MinTime(0.2);

BENCHMARK(BM_Detect)->Apply(Args)->ArgNames({"detector", "n", "snr"})->Unit(benchmark::kMicrosecond)
    ->MinTime(0.2);

BENCHMARK(BM_DetectStream)->Unit(benchmark::kMillisecond)->Iterations(5);

BENCHMARK(BM_DetectLarge)->ArgsProduct({{0, 1}, {20, 30}})->ArgNames({"detector", "snr"})
    ->Unit(benchmark::kMicrosecond)->MinTime(0.5);

BENCHMARK(BM_EpKernel<float>)->Arg(16)->Arg(64)->ArgName("n")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EpKernel<double>)->Arg(16)->Arg(64)->ArgName("n")->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
