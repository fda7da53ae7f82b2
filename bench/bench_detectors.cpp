// Detector throughput in channel uses per second, one thread, on pre-generated i.i.d. Rayleigh QAM16 batches
// at two receive SNRs; the sphere decoder also reports its average visited nodes per channel use.
#include <benchmark/benchmark.h>

#include <map>

#include "channel/generator.hpp"
#include "detectors/detector.hpp"
#include "detectors/tree_search.hpp"

namespace {

const mimo::SampleBatch& batch(int n, int snr_db) {
  static std::map<std::pair<int, int>, mimo::SampleBatch> cache;
  auto& b = cache[{n, snr_db}];
  if (b.n == 0) {
    mimo::GeneratorConfig g;
    g.channel.nt = n;
    g.channel.nr = n;
    g.modulation = mimo::Modulation::qam16;
    g.snr = mimo::SnrSchedule::grid(std::vector<double>{static_cast<double>(snr_db)});
    mimo::Generator(g).generate(0, 4096, b, 2);
  }
  return b;
}

const char* const kSpecs[] = {"mf", "zf", "mmse", "sic", "ep", "kbest:k=16", "sphere"};

void BM_Detect(benchmark::State& state) {
  const std::string spec = kSpecs[state.range(0)];
  const int n = static_cast<int>(state.range(1)), snr = static_cast<int>(state.range(2));
  const auto& b = batch(n, snr);
  auto det = mimo::make_detector(spec, mimo::Modulation::qam16);
  mimo::Detection out;
  size_t uses = 0;
  for (auto _ : state) {
    det->detect(b, out, 1);
    uses += b.n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(uses));
  if (const auto* sphere = dynamic_cast<const mimo::SphereDetector*>(det.get()))
    state.counters["nodes"] = static_cast<double>(sphere->visited_nodes()) / static_cast<double>(sphere->searches());
  state.SetLabel(spec + " " + std::to_string(n) + "x" + std::to_string(n) + " qam16 " + std::to_string(snr) + "dB");
}

void Args(benchmark::internal::Benchmark* b) {
  for (int d = 0; d < 7; ++d)
    for (int n : {8, 16})
      for (int snr : {20, 30}) {
        // The sphere decoder's cost is exponential at low SNR: 16x16 QAM16 at 20 dB visits ~1e6 nodes per use
        // (about a minute for one batch), so that point is left out.
        if (d == 6 && n == 16 && snr == 20) continue;
        b->Args({d, n, snr});
      }
}

}  // namespace

BENCHMARK(BM_Detect)->Apply(Args)->ArgNames({"detector", "n", "snr"})->Unit(benchmark::kMicrosecond)
    ->MinTime(0.2);

BENCHMARK_MAIN();
