// 5G NR LDPC throughput (coding/), one thread, in information bits per second: the decoder at rate 1/2 for K = 1024
// (base graph 2, Zc = 104) and K = 8448 (base graph 1, Zc = 384), both with all 20 iterations run (no early stop:
// the cost does not depend on the SNR) and with early stopping at an SNR where nearly every block decodes (the
// average iterations a block took in "iters"; a SIMD group runs as long as its slowest block, "group_iters");
// and the encoder (encode(): parity, rate matching, interleaving).
// LLRs are BPSK over AWGN, drawn once per case.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "coding/ldpc_code.hpp"
#include "coding/ldpc_decoder.hpp"
#include "simd/target.hpp"

namespace {

// Early stopping is timed where the code works: BLER about 1e-5 (K = 1024 at 2.0 dB) and below 1e-3 (K = 8448
// at 1.5 dB; tests/coding/test_ldpc_decoder.cpp has the K = 1024 curve).
double operating_ebn0_db(int k) { return k <= 1024 ? 2.0 : 1.5; }

// Code blocks per decode() call: a few SIMD groups, so the padded tail does not matter.
std::size_t blocks_per_call(int k) { return k <= 1024 ? 64 : 32; }

struct Workload {
  mimo::LdpcCode code;
  std::vector<std::uint8_t> info;
  std::vector<float> llr;
  std::size_t count;
};

const Workload& workload(int k) {
  static std::map<int, Workload> cache;
  auto it = cache.find(k);
  if (it != cache.end()) return it->second;
  const std::size_t count = blocks_per_call(k);
  Workload w{mimo::LdpcCode(k, 2 * k), {}, {}, count};
  std::mt19937_64 rng(k);
  w.info.resize(count * k);
  for (auto& b : w.info) b = static_cast<std::uint8_t>(rng() & 1);
  const double rate = 0.5, sigma2 = 1.0 / (2.0 * rate * std::pow(10.0, operating_ebn0_db(k) / 10.0));
  std::normal_distribution<double> noise(0.0, std::sqrt(sigma2));
  std::vector<std::uint8_t> coded(w.code.e());
  w.llr.resize(count * w.code.e());
  for (std::size_t i = 0; i < count; ++i) {
    w.code.encode(&w.info[i * k], coded.data());
    for (int t = 0; t < w.code.e(); ++t)
      w.llr[i * w.code.e() + t] = static_cast<float>(2.0 * ((coded[t] ? -1.0 : 1.0) + noise(rng)) / sigma2);
  }
  return cache.emplace(k, std::move(w)).first->second;
}

void BM_LdpcDecode(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const bool early_stop = state.range(1) != 0;
  const Workload& w = workload(k);
  mimo::LdpcDecoderOptions options;
  options.iterations = 20;
  options.early_stop = early_stop;
  mimo::LdpcDecoder decoder(w.code, options);
  std::vector<std::uint8_t> info(w.info.size());
  std::size_t blocks = 0, iterations = 0, satisfied = 0, groups = 0, group_iterations = 0;
  for (auto _ : state) {
    const auto stats = decoder.decode(w.llr.data(), w.count, info.data());
    benchmark::DoNotOptimize(info.data());
    blocks += stats.blocks;
    iterations += stats.iterations;
    satisfied += stats.satisfied;
    groups += stats.groups;
    group_iterations += stats.group_iterations;
  }
  state.counters["info_bits"] = benchmark::Counter(static_cast<double>(blocks) * k, benchmark::Counter::kIsRate);
  state.counters["iters"] = static_cast<double>(iterations) / static_cast<double>(blocks);
  state.counters["group_iters"] = static_cast<double>(group_iterations) / static_cast<double>(groups);
  state.counters["ok"] = static_cast<double>(satisfied) / static_cast<double>(blocks);
  state.SetLabel(std::string("rate 1/2, BG") + std::to_string(w.code.params().base_graph) + " Z" +
                 std::to_string(w.code.params().z) + ", " + std::to_string(decoder.lanes()) + " lanes " +
                 mimo::simd::dispatched_target() + (early_stop ? ", early stop" : ", 20 iterations"));
}

void BM_LdpcEncode(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const Workload& w = workload(k);
  std::vector<std::uint8_t> coded(w.code.e());
  std::size_t blocks = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < w.count; ++i) {
      w.code.encode(&w.info[i * k], coded.data());
      benchmark::DoNotOptimize(coded.data());
    }
    blocks += w.count;
  }
  state.counters["info_bits"] = benchmark::Counter(static_cast<double>(blocks) * k, benchmark::Counter::kIsRate);
  state.SetLabel("rate 1/2, BG" + std::to_string(w.code.params().base_graph));
}

}  // namespace

BENCHMARK(BM_LdpcDecode)
    ->ArgNames({"k", "early_stop"})
    ->ArgsProduct({{1024, 8448}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LdpcEncode)->ArgNames({"k"})->Arg(1024)->Arg(8448)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
