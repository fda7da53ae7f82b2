#pragma once
// Detector outputs for a stored data set (`mimo detect`): one group per detector holding its hard decisions and,
// where it produces them, its max-log bit LLRs, row-aligned with the data set's samples so that h5py or MATLAB
// can put them beside the file's bits. Written to "<path>.partial" and renamed by commit(), like data sets.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mimo {

struct DetectionFileInfo {
  std::string source;      // the data set the detections are for
  std::string modulation;
  uint64_t samples = 0;
  size_t nt = 0, nr = 0, m = 0;  // streams, receive antennas, bits per symbol
  std::string command;     // the command line that made the file
  std::string tool_version;
  // A coded data set's code (its canonical spec) and transport blocks of k information bits: every group then also
  // holds the decoded information bits. Empty and 0 for an uncoded one.
  std::string code;
  uint64_t blocks = 0;
  size_t k = 0;
};

/// What decoding one detector's LLRs achieved on a coded data set's transport blocks.
struct DecodingSummary {
  uint64_t blocks = 0, block_errors = 0, info_bits = 0, info_bit_errors = 0;
  double bler_lo = 0, bler_hi = 0;  // the 95% interval on the BLER (as `mimo evaluate --code`'s CSV)
};

/// What one detector achieved on the whole data set, stored as its group's attributes.
struct DetectionSummary {
  uint64_t bits = 0, bit_errors = 0, symbols = 0, symbol_errors = 0;
  std::optional<double> llr_information;  // bitwise mutual information of the LLRs (bits per bit)
  std::optional<DecodingSummary> decoding;  // coded data sets only
};

class DetectionFileWriter {
public:
  DetectionFileWriter(const std::string& path, const DetectionFileInfo& info);
  ~DetectionFileWriter();
  DetectionFileWriter(const DetectionFileWriter&) = delete;
  DetectionFileWriter& operator=(const DetectionFileWriter&) = delete;

  /// Adds a group for a detector ("symbols" int32 [samples, nt]; "llr" float32 [samples, nt, m] if with_llr;
  /// "decoded_bits" uint8 [blocks, k] for a coded data set, whose detectors all give LLRs) and returns its index.
  /// `group` must be a valid, unused HDF5 name; `spec` is recorded as an attribute.
  size_t add_detector(const std::string& group, const std::string& spec, bool with_llr);
  /// Stores rows [first, first + count) of detector d: symbols [count][nt], llr [count][nt*m] (nullptr if none).
  void write(size_t d, uint64_t first, size_t count, const int32_t* symbols, const float* llr);
  /// Stores the decoded information bits of blocks [first, first + count) of detector d: bits [count][k].
  void write_decoded(size_t d, uint64_t first, size_t count, const uint8_t* bits);
  void summarize(size_t d, const DetectionSummary& summary);
  /// Closes the file and renames it into place.
  void commit();
  /// Closes and deletes the partial file (the destructor does this unless commit() ran).
  void abort() noexcept;

private:
  struct Impl;
  Impl& live() const;  // throws std::logic_error after commit() or abort()
  std::unique_ptr<Impl> impl_;
};

/// Joins the detection files that the processes of `mpirun mimo detect` wrote for consecutive rows (`shards`, in
/// row order) into `path`, as virtual data sets (datasets/virtual_file.hpp): its `samples` attribute is the whole
/// data set's, and each listed group's summary that of all processes together (a shard's own counts are its rows').
void join_detection_shards(const std::string& path, const std::vector<std::string>& shards, uint64_t samples,
                           const std::vector<std::pair<std::string, DetectionSummary>>& summaries);

}  // namespace mimo
