// Generation throughput in channel uses per second (bits, symbols, H, noise, y), as `mimo generate` does it
// before HDF5 writing. Arguments: nt, nr, threads. The label names the SIMD instruction set the kernel ran on.
#include <benchmark/benchmark.h>

#include "channel/generator.hpp"
#include "channel/generator_kernel.hpp"

namespace {

void BM_Generate(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  mimo::GeneratorConfig cfg;
  cfg.channel.model = "rayleigh";
  cfg.channel.nt = n;
  cfg.channel.nr = n;
  cfg.modulation = mimo::Modulation::qam16;
  cfg.snr = mimo::SnrSchedule::grid("0:2:20");
  const mimo::Generator gen(cfg);
  const size_t batch = n <= 8 ? 16384 : 512;
  mimo::SampleBatch b;
  uint64_t first = 0;
  for (auto _ : state) {
    gen.generate(first, batch, b, threads);
    benchmark::DoNotOptimize(b.y.data());
    first += batch;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.SetLabel(std::to_string(n) + "x" + std::to_string(n) + " qam16 rayleigh " + mimo::generator_kernel_target());
}

}  // namespace

BENCHMARK(BM_Generate)->ArgNames({"n", "threads"})->Args({8, 1})->Args({8, 2})->Args({64, 1})->Args({64, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
