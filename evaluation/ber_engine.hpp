#pragma once
// The one Monte Carlo engine behind `mimo evaluate`: per SNR point, every detector sees the same realizations,
// and the point stops when every detector has min_errors bit errors or max_bits bits have been simulated.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channel/generator.hpp"
#include "coding/ldpc_spec.hpp"
#include "detectors/detector.hpp"

namespace mimo {

class DatasetReader;
struct BlockCounts;
class CodedLink;

/// Error counts of one detector at one SNR point.
struct PointResult {
  std::string detector;
  SnrPoint snr;           // the point on all three SNR axes
  uint64_t bits = 0, bit_errors = 0;
  uint64_t symbols = 0, symbol_errors = 0;  // one complex symbol of one stream
  double seconds = 0.0;   // time spent in this detector
  uint64_t uses = 0;            // channel uses the bits came from
  double bit_errors_sq = 0.0;   // sum over channel uses of (bit errors in the use)^2, for the interval
  uint64_t llr_bits = 0;  // bits with an LLR (0 for detectors that give none)
  double llr_info_sum = 0.0;  // sum over them of 1 - log2(1 + exp(-(1 - 2b) L))
  // With a code (EngineOptions::code): transport blocks decoded, those with any wrong information bit, and the
  // information bits (K per block) and their errors after decoding. All 0 without a code.
  uint64_t blocks = 0, block_errors = 0;
  uint64_t info_bits = 0, info_bit_errors = 0;

  double ber() const { return bits ? static_cast<double>(bit_errors) / static_cast<double>(bits) : 0.0; }
  double ser() const { return symbols ? static_cast<double>(symbol_errors) / static_cast<double>(symbols) : 0.0; }
  double bler() const { return blocks ? static_cast<double>(block_errors) / static_cast<double>(blocks) : 0.0; }
  double coded_ber() const {
    return info_bits ? static_cast<double>(info_bit_errors) / static_cast<double>(info_bits) : 0.0;
  }
  /// Bitwise mutual information of the LLRs (see llr_information); none without LLRs.
  std::optional<double> llr_info() const {
    if (!llr_bits) return std::nullopt;
    return llr_info_sum / static_cast<double>(llr_bits);
  }
};

/// Bitwise mutual information estimated from LLRs L = ln P(b=0)/P(b=1) and the true bits:
/// 1 - mean log2(1 + exp(-(1 - 2b) L)). 1 for perfect confident LLRs, 0 for uninformative ones, negative for
/// confidently wrong ones: the soft-output quality measure of BICM receivers (an achievable rate per bit).
double llr_information(const uint8_t* bits, const float* llr, size_t count, int threads = 1);

/// Two-sided 95% Wilson score interval for a binomial proportion k/n (k and n may be effective, non-integer counts).
struct Interval {
  double lo, hi;
};
Interval wilson_interval(double k, double n, double z = 1.959963984540054);

/// The BER interval of a point. Bit errors within one channel use are correlated (a wrong decision flips several
/// bits), so a plain Wilson interval on bits is too narrow; this one divides the bit count by the design effect
/// (the variance of the per-use error counts over its binomial value, at least 1; Kish 1965) before applying
/// Wilson. Without per-use data (uses == 0, e.g. rows read back from a CSV) or errors, it is the plain interval.
Interval ber_interval(const PointResult& r);

/// The BLER interval of a point: Wilson on blocks, which treats blocks as independent (README.md, "Coded link
/// level": too narrow when neighbouring blocks share channel realizations).
Interval bler_interval(const PointResult& r);

/// Adds a coded link's block counts (CodedLink::decode_blocks) into a point's.
void accumulate(PointResult& into, const BlockCounts& blocks);

/// How simulate() shares its batches among processes (the MPI ranks of cluster/): process `rank` of `size` takes
/// its contiguous part of every batch's channel uses, and the sums add arrays element-wise over all processes,
/// leaving the same result in each. The default is one process.
struct Collective {
  int rank = 0, size = 1;
  std::function<void(uint64_t* values, size_t count)> sum_integers;
  std::function<void(double* values, size_t count)> sum_reals;
};

struct EngineOptions {
  uint64_t min_errors = 1000;
  uint64_t max_bits = 100'000'000;
  int threads = 0;                   // 0 = all cores
  /// Channel uses per chunk at most: the stopping rule is checked after each chunk of a schedule that starts at
  /// 64 uses and doubles up to this, whatever the thread count (simulate). 8192 keeps a thread's share of a batch
  /// (about 0.7 KB per 8x8 channel use) in the caches from generation to counting: 1.5x faster than 65536.
  size_t max_batch = 8192;
  /// Called after each batch with the point's index and its counts so far (evaluate_dataset: the number of
  /// samples read and no counts); return false to stop early.
  std::function<bool(size_t point, const std::vector<PointResult>& so_far)> progress;
  /// simulate() only: send LDPC transport blocks (evaluation/coded_link.hpp) and decode them from the detectors'
  /// LLRs. Every batch and chunk is then a whole number of blocks (the chunk schedule rounded up to one), and a
  /// point stops when every detector has min_block_errors block errors or max_bits channel bits were simulated
  /// (min_errors is not used). Every detector must give LLRs; one process only (collective.size == 1).
  std::optional<LdpcSpec> code;
  uint64_t min_block_errors = 100;
  /// simulate() only: the processes sharing the run. Every process gets the same (global) counts; a stop by
  /// `progress` in any process stops all.
  Collective collective;
};

/// Counts a detection's bit and symbol errors against the batch's transmitted bits, and the information of its
/// LLRs when it has them (on `threads` threads; the result does not depend on their number).
void count_errors(const SampleBatch& batch, const Detection& det, PointResult& into, int threads = 1);
/// The same for channel uses [begin, end) of the batch only.
void count_errors(const SampleBatch& batch, const Detection& det, PointResult& into, int threads, size_t begin,
                  size_t end);

/// Sums every part's counts, and the `seconds` beside them, over the processes of `comm` (every process gets the
/// totals). A collective call: every process must make it.
void sum_over_processes(const Collective& comm, std::vector<PointResult>& parts, std::vector<double>& seconds);

/// The generator of simulate()'s point at `value_db` (in channel.snr_unit): one SNR value, its channel uses drawn
/// from a seed derived from (seed, SNR value) in the evaluate stream, so that any point can be rerun alone; with a
/// coded link an Eb/N0 point is simulated as its Es/N0 (CodedLink::generator_snr). `mimo generate --code` stores
/// these samples.
GeneratorConfig point_config(const GeneratorConfig& channel, double value_db, const CodedLink* link = nullptr);

/// Simulates every SNR value of the generator's grid. A point's channel uses are drawn from a seed derived
/// from (seed, SNR value), so any single point can be reproduced alone. `on_point` receives each
/// completed point's results (one per detector, in the order given).
std::vector<PointResult> simulate(const GeneratorConfig& channel, const std::vector<const Detector*>& detectors,
                                  const EngineOptions& options,
                                  const std::function<void(const std::vector<PointResult>&)>& on_point = {});

/// Evaluates on a stored data set: one point per distinct snr_db value (a grid data set); every sample is used
/// unless max_bits caps a point. Throws std::invalid_argument for data sets drawn from an SNR range. A stop
/// requested by `progress` reports no point at all: each point's samples span the file, so all would be partial.
std::vector<PointResult> evaluate_dataset(const DatasetReader& data, const std::vector<const Detector*>& detectors,
                                          const EngineOptions& options,
                                          const std::function<void(const std::vector<PointResult>&)>& on_point = {});

}  // namespace mimo
