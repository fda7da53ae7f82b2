#include "evaluation/ber_engine.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "channel/parallel.hpp"
#include "datasets/reader.hpp"
#include "evaluation/coded_link.hpp"
#include "evaluation/information_loss.hpp"

namespace mimo {

Interval wilson_interval(double k, double n, double z) {
  if (!(n > 0)) return {0.0, 1.0};
  const double nn = n, p = k / nn, z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  // The bounds are exactly 0 and 1 at the extremes; the formula gives them only up to rounding.
  return {k <= 0 ? 0.0 : std::max(0.0, centre - half), k >= n ? 1.0 : std::min(1.0, centre + half)};
}

Interval ber_interval(const PointResult& r) {
  const double n = static_cast<double>(r.bits), k = static_cast<double>(r.bit_errors);
  if (r.uses == 0 || r.bit_errors == 0 || r.bit_errors == r.bits) return wilson_interval(k, n);
  const double uses = static_cast<double>(r.uses), per_use = n / uses, p = k / n;
  const double mean = k / uses, variance = r.bit_errors_sq / uses - mean * mean;
  const double deff = std::clamp(variance / (per_use * p * (1 - p)), 1.0, per_use);
  return wilson_interval(k / deff, n / deff);
}

Interval bler_interval(const PointResult& r) {
  return wilson_interval(static_cast<double>(r.block_errors), static_cast<double>(r.blocks));
}

double llr_information(const uint8_t* bits, const float* llr, size_t count, int threads) {
  if (count == 0) return 0.0;
  // Fixed blocks summed in order: the same value for every thread count.
  constexpr size_t kBlock = 1 << 14;
  const size_t blocks = (count + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks);
  parallel_for(blocks, blocks > 4 ? threads : 1, [&](size_t first, size_t last, int) {
    for (size_t k = first; k < last; ++k) {
      const size_t begin = k * kBlock, n = std::min(kBlock, count - begin);
      partial[k] = information_loss_simd(bits + begin, llr + begin, n);
    }
  });
  double sum = 0;
  for (double p : partial) sum += p;
  return 1.0 - sum / (static_cast<double>(count) * std::log(2.0));
}

namespace {

// Bits set in a label difference (at most 8 bits): a table, as std::popcount without -mpopcnt is a libgcc call.
constexpr auto kBitsSet = [] {
  std::array<uint8_t, 256> t{};
  for (int v = 0; v < 256; ++v) t[v] = static_cast<uint8_t>(std::popcount(static_cast<unsigned>(v)));
  return t;
}();

}  // namespace

void count_errors(const SampleBatch& batch, const Detection& det, PointResult& into, int threads) {
  count_errors(batch, det, into, threads, 0, batch.n);
}

void count_errors(const SampleBatch& batch, const Detection& det, PointResult& into, int threads, size_t begin,
                  size_t end) {
  const size_t m = batch.m, nt = batch.nt;
  const uint32_t label_mask = (1u << m) - 1;
  uint64_t bit_errors = 0, symbol_errors = 0;
  double squares = 0;  // of the per-use bit error counts, for the interval's design effect
  const uint8_t* truth = batch.bits.data() + begin * nt * m;
  for (size_t i = begin; i < end; ++i) {
    uint64_t use_errors = 0;
    for (size_t k = i * nt; k < (i + 1) * nt; ++k, truth += m) {
      // The true label as a symbol index (b(0) is the MSB): its XOR with the decided index marks the wrong bits.
      uint32_t label = 0;
      for (size_t j = 0; j < m; ++j) label = (label << 1) | truth[j];
      const uint32_t wrong = (static_cast<uint32_t>(det.symbols[k]) ^ label) & label_mask;
      use_errors += kBitsSet[wrong];
      symbol_errors += wrong != 0;
    }
    bit_errors += use_errors;
    squares += static_cast<double>(use_errors) * static_cast<double>(use_errors);
  }
  const size_t uses = end - begin;
  into.uses += uses;
  into.bit_errors_sq += squares;
  into.bits += uses * nt * m;
  into.bit_errors += bit_errors;
  into.symbols += uses * nt;
  into.symbol_errors += symbol_errors;
  if (!det.llr.empty()) {
    const size_t first = begin * nt * m, count = uses * nt * m;
    into.llr_info_sum +=
        llr_information(batch.bits.data() + first, det.llr.data() + first, count, threads) * static_cast<double>(count);
    into.llr_bits += count;
  }
}

namespace {

// Runs every detector on one batch: detections[d] holds detector d's result, the return value its seconds.
std::vector<double> run_detectors(const SampleBatch& batch, const std::vector<const Detector*>& detectors, int threads,
                                  std::vector<Detection>& detections) {
  detections.resize(detectors.size());
  std::vector<double> seconds(detectors.size());
  for (size_t d = 0; d < detectors.size(); ++d) {
    const auto t0 = std::chrono::steady_clock::now();
    detectors[d]->detect(batch, detections[d], threads);
    seconds[d] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return seconds;
}

void count_all(const SampleBatch& batch, const std::vector<Detection>& detections, int threads, size_t begin,
               size_t end, std::vector<PointResult>& results) {
  for (size_t d = 0; d < detections.size(); ++d) count_errors(batch, detections[d], results[d], threads, begin, end);
}

// Adds a part's counts (seconds aside) into a point's.
void accumulate(PointResult& into, const PointResult& part) {
  into.uses += part.uses;
  into.bits += part.bits;
  into.bit_errors += part.bit_errors;
  into.symbols += part.symbols;
  into.symbol_errors += part.symbol_errors;
  into.llr_bits += part.llr_bits;
  into.bit_errors_sq += part.bit_errors_sq;
  into.llr_info_sum += part.llr_info_sum;
  into.blocks += part.blocks;
  into.block_errors += part.block_errors;
  into.info_bits += part.info_bits;
  into.info_bit_errors += part.info_bit_errors;
}

}  // namespace

void accumulate(PointResult& into, const BlockCounts& blocks) {
  into.blocks += blocks.blocks;
  into.block_errors += blocks.block_errors;
  into.info_bits += blocks.info_bits;
  into.info_bit_errors += blocks.info_bit_errors;
}

// The integer counts are exact; the per-use squares are sums of integers (exact below 2^53); the LLR information
// differs from one process's in its last bits only.
void sum_over_processes(const Collective& comm, std::vector<PointResult>& parts, std::vector<double>& seconds) {
  std::vector<uint64_t> integers;
  std::vector<double> reals(seconds);
  for (const auto& p : parts) {
    // Not the block counts: simulate() refuses a code under several processes (left for later: summing them
    // would also grow every message of an uncoded run).
    integers.insert(integers.end(), {p.uses, p.bits, p.bit_errors, p.symbols, p.symbol_errors, p.llr_bits});
    reals.insert(reals.end(), {p.bit_errors_sq, p.llr_info_sum});
  }
  comm.sum_integers(integers.data(), integers.size());
  comm.sum_reals(reals.data(), reals.size());
  std::copy_n(reals.begin(), seconds.size(), seconds.begin());
  for (size_t k = 0; k < parts.size(); ++k) {
    const uint64_t* i = integers.data() + 6 * k;
    const double* r = reals.data() + seconds.size() + 2 * k;
    parts[k].uses = i[0], parts[k].bits = i[1], parts[k].bit_errors = i[2], parts[k].symbols = i[3];
    parts[k].symbol_errors = i[4], parts[k].llr_bits = i[5];
    parts[k].bit_errors_sq = r[0], parts[k].llr_info_sum = r[1];
  }
}

namespace {

// Counts the detections of global uses [a, z) of a batch (`batch` holds them) into the parts of the chunks they
// fall in: parts[c * detectors + d] for chunk c of `chunks` (the batch's chunks, in order) and detector d. With a
// coded link, also decodes the blocks of each chunk (chunks and a are then whole numbers of blocks) against the
// information bits `info` of the batch.
void count_chunks(const SampleBatch& batch, const std::vector<Detection>& detections,
                  const std::vector<size_t>& chunks, size_t a, size_t z, int threads, std::vector<PointResult>& parts,
                  CodedLink* link = nullptr, const std::vector<uint8_t>* info = nullptr) {
  size_t begin = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    const size_t b = std::clamp(begin, a, z) - a, e = std::clamp(begin + chunks[c], a, z) - a;
    begin += chunks[c];
    if (b == e) continue;
    for (size_t d = 0; d < detections.size(); ++d) {
      PointResult& part = parts[c * detections.size() + d];
      count_errors(batch, detections[d], part, threads, b, e);
      if (link) {
        BlockCounts blocks;
        const size_t B = link->uses_per_block();
        link->decode_blocks(detections[d], *info, b / B, e / B, blocks, threads);
        accumulate(part, blocks);
      }
    }
  }
}

// Under mpirun a batch should also last a while in every process: each batch waits for its slowest process,
// and an expensive detector's cost per channel use is heavy-tailed (the sphere decoder at 8x8 QAM16, 24 dB:
// coefficient of variation 16 in nodes per use, bench_detectors BM_SphereCostSpread), so a process's excess over
// the mean falls only as 1/sqrt(its uses). Batches hold about kSharedBatchSeconds of detection per process
// (estimated from the last batch), simulated in pieces of max_batch uses per thread (the caches' size). Which
// chunks a batch groups never changes the counts.
constexpr double kSharedBatchSeconds = 0.5;
// At most this many chunks of max_batch uses in a batch (unless max_batch per thread of every process is more):
// every process keeps a part per chunk and detector, so a very fast detector's batch stays a few MB.
constexpr double kSharedBatchMaxChunks = 4096;

size_t shared_batch_uses(size_t batch_target, size_t max_batch, double seconds_per_use, int processes) {
  if (processes <= 1 || seconds_per_use <= 0) return batch_target;
  const double uses = std::min(kSharedBatchSeconds / seconds_per_use * processes,
                               kSharedBatchMaxChunks * static_cast<double>(max_batch));
  return std::max(batch_target, static_cast<size_t>(uses));
}

// The counts of the first `chunks` chunks of a batch, per detector.
std::vector<PointResult> prefix_totals(const std::vector<PointResult>& parts, size_t chunks, size_t detectors) {
  std::vector<PointResult> totals(detectors);
  for (size_t k = 0; k < chunks * detectors; ++k) accumulate(totals[k % detectors], parts[k]);
  return totals;
}

// A batch's counts summed over the processes, per chunk of `chunks` (parts[c * detectors + d]), in messages whose
// size does not grow with the number of chunks (or processes): the batch's totals per detector. When they end
// the point (`ends`), the chunk that ends it, as one process would find it, by bisection on the summed counts of
// the first chunks (log2 of the chunks more sums of the same size; `ends` grows with the chunks taken). The
// batch then becomes one chunk: its counts up to that chunk, or all of them.
void sum_batch_over_processes(const Collective& comm, std::vector<size_t>& chunks, std::vector<PointResult>& parts,
                              std::vector<double>& seconds,
                              const std::function<bool(const std::vector<PointResult>&)>& ends) {
  const size_t detectors = seconds.size();
  auto taken = prefix_totals(parts, chunks.size(), detectors);
  sum_over_processes(comm, taken, seconds);
  size_t lo = 0, hi = chunks.size();  // the first hi chunks end the point (or hi is every chunk); lo of them do not
  if (ends(taken)) {
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      auto prefix = prefix_totals(parts, mid, detectors);
      std::vector<double> no_seconds;
      sum_over_processes(comm, prefix, no_seconds);
      if (ends(prefix)) {
        hi = mid;
        taken = std::move(prefix);
      } else {
        lo = mid;
      }
    }
  }
  chunks.assign(1, std::accumulate(chunks.begin(), chunks.begin() + static_cast<std::ptrdiff_t>(hi), size_t{0}));
  parts = std::move(taken);
}

std::vector<PointResult> fresh_results(const std::vector<const Detector*>& detectors, const SnrPoint& snr) {
  std::vector<PointResult> r(detectors.size());
  for (size_t d = 0; d < detectors.size(); ++d) {
    r[d].detector = detectors[d]->name();
    r[d].snr = snr;
  }
  return r;
}

}  // namespace

GeneratorConfig point_config(const GeneratorConfig& channel, double value_db, const CodedLink* link) {
  GeneratorConfig point = channel;
  // A coded Eb/N0 point is simulated (and seeded) as its Es/N0, so that `--snr-unit ebn0 --snr-db X` is the
  // same run as `--snr-unit esn0` at X + 10 log10(R m).
  double sim_snr = value_db;
  if (link) std::tie(sim_snr, point.snr_unit) = link->generator_snr(value_db, channel.snr_unit);
  point.snr = SnrSchedule::grid(std::vector<double>{sim_snr});
  // Seeded by the SNR value, not its position in the grid: any point can be rerun alone.
  uint64_t snr_bits = 0;
  std::memcpy(&snr_bits, &sim_snr, sizeof snr_bits);
  uint64_t seed_state = channel.seed ^ splitmix64(snr_bits);
  point.seed = splitmix64(seed_state);
  point.tag = StreamTag::evaluate;
  return point;
}

std::vector<PointResult> simulate(const GeneratorConfig& channel, const std::vector<const Detector*>& detectors,
                                  const EngineOptions& opt,
                                  const std::function<void(const std::vector<PointResult>&)>& on_point) {
  if (channel.snr.is_range()) throw std::invalid_argument("evaluate needs an SNR grid (--snr-db), not a range");
  if (detectors.empty()) throw std::invalid_argument("no detectors to evaluate");
  if (opt.min_errors == 0 && opt.max_bits == 0) throw std::invalid_argument("min-errors and max-bits are both 0");
  if (opt.max_batch == 0) throw std::invalid_argument("max_batch must be at least 1");
  const int threads = resolve_threads(opt.threads);
  const int m = Constellation(channel.modulation).bits_per_symbol();
  const uint64_t bits_per_use = static_cast<uint64_t>(channel.channel.nt) * m;
  // With a code, every count of channel uses below (chunks, batches, pieces, the uses left) is rounded up to a
  // whole number of blocks of B uses, so that no block straddles two batches; B = 1 without a code.
  std::optional<CodedLink> link;
  if (opt.code) {
    if (opt.collective.size > 1)
      throw std::invalid_argument("--code runs as one process for now (not under mpirun)");
    if (opt.min_block_errors == 0 && opt.max_bits == 0)
      throw std::invalid_argument("min-block-errors and max-bits are both 0");
    for (const Detector* d : detectors)
      if (!d->provides_llr())
        throw std::invalid_argument("--code needs soft outputs (LLRs); '" + d->name() + "' gives hard decisions only");
    link.emplace(*opt.code, channel.modulation, channel.channel.nt);
  }
  const size_t B = link ? link->uses_per_block() : 1;
  auto whole_blocks = [B](uint64_t uses) { return (uses + B - 1) / B * B; };
  // With a code, chunks and pieces grow to at least 32 blocks: the decoder fills its 16 SIMD lanes and two
  // threads per call even when a block spans thousands of uses (1x1 BPSK: B = E). Without one, max_batch.
  const size_t max_batch = link ? std::max(opt.max_batch, 32 * B) : opt.max_batch;
  std::vector<uint8_t> info;  // the information bits of the batch's blocks

  std::vector<PointResult> all;
  SampleBatch batch;
  std::vector<Detection> detections;
  const auto& grid = channel.snr.values();
  // Eb counts information bits: with a code, Eb = Es / (R m), R = K / E (snr.hpp); R = 1 uncoded.
  const double code_rate = link ? static_cast<double>(link->k()) / static_cast<double>(link->e()) : 1.0;
  for (size_t p = 0; p < grid.size(); ++p) {
    const SnrPoint point = snr_point(grid[p], channel.snr_unit, channel.channel.nt, m, code_rate);
    const Generator gen(point_config(channel, grid[p], link ? &*link : nullptr));
    auto results = fresh_results(detectors, point);

    // The stopping rule is checked after each chunk of a schedule that depends on the flags alone (64 channel
    // uses, doubling up to max_batch: high-SNR points end quickly), so the counts are the same for any --threads.
    // A batch holds whole chunks, at most as many uses as already counted (so what is simulated past the end of
    // a point is at most as much as was counted) and about max_batch per thread; chunks after the one that ends
    // the point are detected but not counted, and their share of the detection time is not charged.
    uint64_t first = 0;
    size_t chunk = whole_blocks(std::min<size_t>(64, max_batch));
    const size_t max_chunk = whole_blocks(max_batch);
    // About max_batch uses per thread of every process: a process's share stays as large as one process's batch,
    // so the sums per batch stay few however many processes share it.
    const size_t batch_target = max_batch * static_cast<size_t>(threads) * static_cast<size_t>(opt.collective.size);
    // The most uses of the next batch: process 0's plan, which every process receives with the stop flag's sum
    // (below). The processes must split the same batches, and their thread counts may differ (--threads 0 on
    // machines of different sizes, or with different numbers of processes), and so would their own plans. The
    // first batch of a point holds one chunk whatever the plan.
    uint64_t planned = batch_target;
    std::vector<size_t> chunks;
    const Collective& comm = opt.collective;
    bool stopped = false;
    auto done_with = [&](const std::vector<PointResult>& counts) {
      if (counts.front().bits >= opt.max_bits) return true;
      if (link)
        return std::all_of(counts.begin(), counts.end(),
                           [&](const PointResult& r) { return r.block_errors >= opt.min_block_errors; });
      return std::all_of(counts.begin(), counts.end(),
                         [&](const PointResult& r) { return r.bit_errors >= opt.min_errors; });
    };
    auto done = [&] { return done_with(results); };
    while (!done()) {
      const uint64_t left_uses = whole_blocks((opt.max_bits - results.front().bits + bits_per_use - 1) / bits_per_use);
      const uint64_t limit = std::min<uint64_t>(planned, results.front().uses);
      chunks.clear();
      size_t count = 0;
      while (count < left_uses && (chunks.empty() || count + chunk <= limit)) {
        chunks.push_back(static_cast<size_t>(std::min<uint64_t>(chunk, left_uses - count)));
        count += chunks.back();
        chunk = std::min(chunk * 2, max_chunk);
      }
      // This process's part of the batch: its channel uses are the same global samples a single process draws.
      const size_t lo = count * static_cast<size_t>(comm.rank) / static_cast<size_t>(comm.size);
      const size_t hi = count * static_cast<size_t>(comm.rank + 1) / static_cast<size_t>(comm.size);
      // Each chunk's counts over this process's share of it, then summed over the processes.
      std::vector<PointResult> parts(chunks.size() * detectors.size());
      std::vector<double> seconds(detectors.size());
      const size_t piece = whole_blocks(max_batch * static_cast<size_t>(threads));
      for (size_t a = lo; a < hi; a += piece) {
        const size_t z = std::min(hi, a + piece);
        gen.generate(first + a, z - a, batch, threads);
        if (link) link->encode_in_place(batch, info, threads);
        const auto piece_seconds = run_detectors(batch, detectors, threads, detections);
        for (size_t d = 0; d < detectors.size(); ++d) seconds[d] += piece_seconds[d];
        count_chunks(batch, detections, chunks, a, z, threads, parts, link ? &*link : nullptr, &info);
      }
      first += count;
      if (comm.size > 1) sum_batch_over_processes(comm, chunks, parts, seconds, [&](const std::vector<PointResult>& totals) {
        auto with = results;
        for (size_t d = 0; d < detectors.size(); ++d) accumulate(with[d], totals[d]);
        return done_with(with);
      });
      size_t counted = 0;
      for (size_t c = 0; c < chunks.size(); ++c) {
        for (size_t d = 0; d < detectors.size(); ++d) accumulate(results[d], parts[c * detectors.size() + d]);
        counted += chunks[c];
        if (done()) break;
      }
      for (size_t d = 0; d < detectors.size(); ++d)
        results[d].seconds += seconds[d] * static_cast<double>(counted) / static_cast<double>(count);
      // Detection wall time per use and process in this batch (the seconds are summed over the processes).
      const double seconds_per_use = std::accumulate(seconds.begin(), seconds.end(), 0.0) / static_cast<double>(count);
      uint64_t agreed[2] = {opt.progress && !opt.progress(p, results),
                            comm.rank == 0 ? shared_batch_uses(batch_target, max_batch, seconds_per_use, comm.size) : 0};
      if (comm.size > 1) comm.sum_integers(agreed, 2);  // one process interrupted stops all
      planned = agreed[1];
      if (agreed[0]) {
        stopped = true;
        break;
      }
    }
    if (stopped) break;
    all.insert(all.end(), results.begin(), results.end());
    if (on_point) on_point(results);
  }
  return all;
}

std::vector<PointResult> evaluate_dataset(const DatasetReader& data, const std::vector<const Detector*>& detectors,
                                          const EngineOptions& opt,
                                          const std::function<void(const std::vector<PointResult>&)>& on_point) {
  const auto& info = data.info();
  if (info.snr_schedule.find(':') != std::string::npos)
    throw std::invalid_argument(data.path() + " draws SNRs from a range (" + info.snr_schedule +
                                "); evaluate needs a data set generated on an SNR grid (--snr-db)");
  if (detectors.empty()) throw std::invalid_argument("no detectors to evaluate");
  const int threads = resolve_threads(opt.threads);
  const int nt = info.channel.nt, m = Constellation(info.modulation).bits_per_symbol();

  // Samples are grouped by their snr_db value; each group is one point, detected batch by batch.
  std::map<float, std::vector<PointResult>> points;
  SampleBatch group;
  std::vector<Detection> detections;
  uint64_t processed = 0;
  bool stopped = false;
  SampleBatch b;
  const size_t batch = std::min<size_t>(opt.max_batch, 16384);
  // An explicit loop rather than for_each_batch: after a stop nothing more is read from the data set.
  for (uint64_t first = 0; first < data.size() && !stopped; first += b.n) {
    data.read(first, static_cast<size_t>(std::min<uint64_t>(batch, data.size() - first)), b);
    std::map<float, std::vector<size_t>> members;
    for (size_t k = 0; k < b.n; ++k) members[b.snr_db[k]].push_back(k);
    for (const auto& [snr, idx] : members) {
      auto it = points.find(snr);
      if (it == points.end())
        it = points.emplace(snr, fresh_results(detectors, snr_point(snr, info.snr_unit, nt, m))).first;
      if (it->second.front().bits >= opt.max_bits) continue;
      group.resize(idx.size(), b.nr, b.nt, b.m, b.has_h_est());
      for (size_t g = 0; g < idx.size(); ++g) {
        const size_t k = idx[g];
        std::copy_n(b.H.begin() + k * b.nr * b.nt, b.nr * b.nt, group.H.begin() + g * b.nr * b.nt);
        if (b.has_h_est())
          std::copy_n(b.H_est.begin() + k * b.nr * b.nt, b.nr * b.nt, group.H_est.begin() + g * b.nr * b.nt);
        std::copy_n(b.y.begin() + k * b.nr, b.nr, group.y.begin() + g * b.nr);
        std::copy_n(b.x.begin() + k * b.nt, b.nt, group.x.begin() + g * b.nt);
        std::copy_n(b.bits.begin() + k * b.nt * b.m, b.nt * b.m, group.bits.begin() + g * b.nt * b.m);
        group.snr_db[g] = b.snr_db[k];
        group.noise_var[g] = b.noise_var[k];
      }
      const auto seconds = run_detectors(group, detectors, threads, detections);
      for (size_t d = 0; d < detectors.size(); ++d) it->second[d].seconds += seconds[d];
      count_all(group, detections, threads, 0, group.n, it->second);
    }
    processed += b.n;
    if (opt.progress && !opt.progress(processed, {})) stopped = true;
  }
  // A point's samples are spread over the whole file: after a stop every point is partial, and none is reported.
  if (stopped) return {};
  std::vector<PointResult> all;
  for (const auto& [snr, results] : points) {
    all.insert(all.end(), results.begin(), results.end());
    if (on_point) on_point(results);
  }
  return all;
}

}  // namespace mimo
