#pragma once
// Streams batches into a new data set. Everything goes to "<path>.partial", which commit() renames to <path>
// once complete; a writer destroyed without commit() (an error, Ctrl-C handled by the caller) deletes it, and
// a killed process leaves only a ".partial" name, never a file that looks complete.
#include <memory>
#include <string>
#include <vector>

#include "channel/sample_batch.hpp"
#include "datasets/schema.hpp"

namespace mimo {

struct WriterOptions {
  bool with_h_est = false;
  int compression = 1;        // deflate level 0 (off) ... 9, with byte shuffle
  size_t chunk_bytes = 1 << 20;  // target size of one H chunk
  int threads = 0;               // threads compressing chunks (0 = all cores); never changes the file's data
};

class DatasetWriter {
public:
  DatasetWriter(const std::string& path, const DatasetInfo& info, const WriterOptions& options);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  /// Appends every sample of the batch (shapes must match the info given at construction). A coded data set
  /// (DatasetInfo::code) takes whole transport blocks only, with their K information bits each in `info_bits`
  /// (as CodedLink::encode_in_place writes them); an uncoded one takes none.
  void append(const SampleBatch& batch, const std::vector<uint8_t>& info_bits = {});
  /// Flushes, closes and renames to the final path. Nothing may be appended afterwards.
  void commit();
  /// Closes and deletes the partial file (also done by the destructor when commit() was not called).
  void abort() noexcept;

  uint64_t samples() const { return samples_; }
  const std::string& partial_path() const { return partial_; }

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_, partial_;
  uint64_t samples_ = 0;
};

}  // namespace mimo
