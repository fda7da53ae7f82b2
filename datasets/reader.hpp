#pragma once
// Opens a mimo data set, validates its schema and shapes up front, and reads it in batches. Every failure,
// from a missing file to a corrupted chunk or a non-finite value, is a DatasetError with a one-line message.
#include <memory>
#include <string>
#include <vector>

#include "channel/sample_batch.hpp"
#include "datasets/schema.hpp"

namespace mimo {

class DatasetReader {
public:
  explicit DatasetReader(const std::string& path);
  ~DatasetReader();
  DatasetReader(DatasetReader&&) noexcept;
  DatasetReader& operator=(DatasetReader&&) noexcept;

  const DatasetInfo& info() const { return info_; }
  uint64_t size() const { return info_.samples; }
  bool has_h_est() const { return has_h_est_; }
  bool has_user_gain() const { return has_user_gain_; }
  const std::string& path() const { return path_; }

  /// Reads samples [first, first + count) into out (resized). Throws DatasetError on corrupted or
  /// non-finite data, std::out_of_range past the end.
  void read(uint64_t first, size_t count, SampleBatch& out) const;

  /// Transport blocks of a coded data set (info().code), 0 for an uncoded one.
  uint64_t blocks() const { return info_.code ? info_.samples / info_.code->uses_per_block : 0; }
  /// Reads the K information bits of blocks [first, first + count) of a coded data set into out (count * K,
  /// resized). Throws DatasetError on corrupted data or a bit other than 0/1, std::out_of_range past the end,
  /// std::logic_error for an uncoded data set.
  void read_info_bits(uint64_t first, size_t count, std::vector<uint8_t>& out) const;

  /// Calls f(batch, first_index) for consecutive batches of at most batch_size samples.
  template <class F>
  void for_each_batch(size_t batch_size, F&& f) const {
    SampleBatch b;
    for (uint64_t first = 0; first < size(); first += batch_size) {
      read(first, static_cast<size_t>(std::min<uint64_t>(batch_size, size() - first)), b);
      f(b, first);
    }
  }

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  DatasetInfo info_;
  bool has_h_est_ = false;
  bool has_user_gain_ = false;
};

}  // namespace mimo
