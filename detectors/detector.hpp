#pragma once
// The one detector interface. A detector sees, per channel use, the received vector y, the channel (the
// estimate H_est when the data has imperfect CSI) and the complex noise variance N0, in that order, and returns
// hard decisions as constellation indices and, where the method defines them, per-bit max-log LLRs with the
// sign convention of channel/modulation.hpp (positive favours bit 0).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"

namespace mimo {

struct Detection {
  size_t n = 0, nt = 0, m = 0;
  std::vector<int32_t> symbols;  // [n][nt], constellation indices (Constellation::points())
  std::vector<float> llr;        // [n][nt*m], stream-major like SampleBatch::bits; empty if not produced

  void resize(size_t n_, size_t nt_, size_t m_, bool with_llr);
};

/// Options parsed from a detector spec "name:key=value,key=value".
using DetectorOptions = std::map<std::string, std::string>;

class Detector {
public:
  explicit Detector(Modulation modulation) : constellation_(modulation) {}
  virtual ~Detector() = default;
  /// The spec it was made from, e.g. "kbest:k=16": the name used in tables and CSV files.
  virtual std::string name() const = 0;
  /// True if detect() fills Detection::llr.
  virtual bool provides_llr() const { return false; }
  /// The constellation it was made for: detect() refuses batches of another.
  const Constellation& constellation() const { return constellation_; }

  /// Detects every sample of `batch` on `threads` worker threads. Uses H_est when the batch carries it.
  /// Throws std::invalid_argument on a batch whose modulation or shape the detector cannot handle.
  void detect(const SampleBatch& batch, Detection& out, int threads = 1) const;

protected:
  /// Detects samples [begin, end) of batch into out (already sized). Called concurrently on disjoint ranges;
  /// implementations keep their scratch space local to the call so that the per-sample loop never allocates.
  virtual void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const = 0;
  /// Called once per detect() before any detect_range(); throws std::invalid_argument if the batch is
  /// unsupported. The default requires at least one stream and one receive antenna, arrays (H, H_est, y,
  /// noise_var) of the batch's shape, and the constellation's bits per symbol (a mismatch would otherwise index
  /// past label tables); overrides add their own conditions to it.
  virtual void check(const SampleBatch& batch) const;

private:
  Constellation constellation_;
};

using DetectorFactory =
    std::function<std::unique_ptr<Detector>(const DetectorOptions& options, Modulation modulation)>;

/// Registers a detector name (e.g. "transformer" from the transformer module). Later registration replaces.
void register_detector(const std::string& name, DetectorFactory factory);
/// Creates a detector from a spec such as "mmse", "kbest:k=16", "transformer:model=model.pt" (a bare value
/// after the colon, "transformer:model.pt", is passed as option "value"). Throws std::invalid_argument on an
/// unknown name or option.
std::unique_ptr<Detector> make_detector(const std::string& spec, Modulation modulation);
/// Registered names, sorted.
std::vector<std::string> detector_names();
/// Registers mf, zf, mmse, sic, ml, sphere, kbest and ep (idempotent; make_detector calls it).
void register_builtin_detectors();
/// Splits a --detectors list "zf,kbest:k=16,x=2,mmse" into specs {"zf", "kbest:k=16,x=2", "mmse"}: a token with
/// '=' but no ':' is a further option of the detector before it. Throws std::invalid_argument on empty entries.
std::vector<std::string> split_detector_list(const std::string& list);
/// The names under which results are reported: each detector's name(), except where two detectors share one
/// (two transformer models): those are reported by the spec they were made from. `specs[i]` made `detectors[i]`.
std::vector<std::string> result_names(const std::vector<const Detector*>& detectors,
                                      const std::vector<std::string>& specs);
/// Splits "k=16,x=2" into options; a bare token becomes option "value".
DetectorOptions parse_detector_options(const std::string& text);

/// Reads a detector's options with range checks. finish() rejects any option never asked for ("detector
/// 'kbest' has no option 'kk'"), so typos never pass silently.
class OptionReader {
public:
  OptionReader(std::string detector, const DetectorOptions& options);
  void finish() const;
  long integer(const std::string& key, long fallback, long lo, long hi);
  double real(const std::string& key, double fallback, double lo, double hi);
  std::string text(const std::string& key, const std::string& fallback);

private:
  template <class T>
  T number(const std::string& key, T fallback, T lo, T hi, const char* kind);
  std::string detector_;
  const DetectorOptions& options_;
  std::set<std::string> used_;
};

}  // namespace mimo
