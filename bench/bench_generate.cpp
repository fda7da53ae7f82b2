// Generation throughput in channel uses per second (bits, symbols, H, noise, y), as `mimo generate` does it
// before HDF5 writing. BM_Generate: n x n Rayleigh, arguments n, threads; the label names the SIMD instruction
// set the kernel ran on. BM_GenerateModel: a registered model with the parameters given (the others at their
// defaults) at nt x nr, arguments nt, nr, threads: CDL-A beside Rayleigh at the same sizes.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <variant>

#include "channel/generator.hpp"
#include "channel/generator_kernel.hpp"

namespace {

// Times Generator::generate on consecutive batches of `batch` samples.
void generate_batches(benchmark::State& state, const mimo::GeneratorConfig& cfg, size_t batch, int threads) {
  const mimo::Generator gen(cfg);
  mimo::SampleBatch b;
  uint64_t first = 0;
  for (auto _ : state) {
    gen.generate(first, batch, b, threads);
    benchmark::DoNotOptimize(b.y.data());
    first += batch;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}

void BM_Generate(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  mimo::GeneratorConfig cfg;
  cfg.channel.model = "rayleigh";
  cfg.channel.nt = n;
  cfg.channel.nr = n;
  cfg.modulation = mimo::Modulation::qam16;
  cfg.snr = mimo::SnrSchedule::grid("0:2:20");
  generate_batches(state, cfg, n <= 8 ? 16384 : 512, threads);
  state.SetLabel(std::to_string(n) + "x" + std::to_string(n) + " qam16 rayleigh " + mimo::generator_kernel_target());
}

template <class... Parameters>
void BM_GenerateModel(benchmark::State& state, const char* model, Parameters... parameters) {
  const int nt = static_cast<int>(state.range(0)), nr = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  mimo::GeneratorConfig cfg;
  cfg.channel.model = model;
  cfg.channel.nt = nt;
  cfg.channel.nr = nr;
  (cfg.channel.set(parameters.first, parameters.second), ...);
  cfg.modulation = mimo::Modulation::qam16;
  cfg.snr = mimo::SnrSchedule::grid("0:2:20");
  generate_batches(state, cfg, 256, threads);
  std::string label = std::to_string(nt) + "x" + std::to_string(nr) + " " + model;
  ((label += " " + parameters.first + "=" + std::get<std::string>(parameters.second)), ...);
  state.SetLabel(label);
}

using Parameter = std::pair<std::string, mimo::ParameterValue>;

}  // namespace

BENCHMARK_CAPTURE(BM_GenerateModel, cdl_a, "cdl", Parameter{"cdl_model", std::string("A")})
    ->ArgNames({"nt", "nr", "threads"})
    ->Args({16, 64, 1})
    ->Args({8, 8, 1})
    ->Args({16, 64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_GenerateModel, cdl_a_38901, "cdl", Parameter{"cdl_model", std::string("A")},
                  Parameter{"element", std::string("38901")})
    ->ArgNames({"nt", "nr", "threads"})
    ->Args({16, 64, 1})
    ->Args({8, 8, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_GenerateModel, rayleigh, "rayleigh")
    ->ArgNames({"nt", "nr", "threads"})
    ->Args({16, 64, 1})
    ->Args({8, 8, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK(BM_Generate)->ArgNames({"n", "threads"})->Args({8, 1})->Args({8, 2})->Args({64, 1})->Args({64, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
