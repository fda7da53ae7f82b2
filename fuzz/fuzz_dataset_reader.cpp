// Arbitrary bytes as a data set file: opening and reading it must either succeed or fail with the reader's
// documented errors (DatasetError, or invalid_argument / out_of_range). Any other exception escapes and aborts,
// which libFuzzer reports like a crash or a sanitizer finding. Most mutations end in HDF5's own parser, which
// (1.10) has memory errors of its own on corrupted metadata: a report with no mimo frame between the fuzzer and
// the HDF5 call is HDF5's, not the reader's (README, Testing). fuzz_dataset_schema reaches the reader's checks.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/reader.hpp"
#include "fuzz/scratch_file.hpp"

namespace {

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) std::abort();
}

// A valid file may declare far more samples than it stores (unallocated chunks read as the fill value); past the
// first few batches reading it only costs time, so stop after about 2^22 complex values.
constexpr uint64_t kMaxValues = uint64_t{1} << 22;
constexpr size_t kBatch = 7;  // odd, so batches end at every offset of a chunk

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = mimo::fuzz::scratch_file("mimo-fuzz-reader");
  write_file(path, data, size);
  try {
    const mimo::DatasetReader reader(path);
    const auto& ch = reader.info().channel;
    const uint64_t per_sample = static_cast<uint64_t>(ch.nr) * ch.nt * (reader.has_h_est() ? 2 : 1) + ch.nr + ch.nt;
    const uint64_t samples = std::min<uint64_t>(reader.size(), std::max<uint64_t>(1, kMaxValues / per_sample));
    mimo::SampleBatch batch;
    for (uint64_t first = 0; first < samples; first += kBatch)
      reader.read(first, static_cast<size_t>(std::min<uint64_t>(kBatch, samples - first)), batch);
    // A coded set's information bits too (odd batches of blocks, bounded like the samples).
    if (reader.info().code) {
      const uint64_t blocks =
          std::min<uint64_t>(reader.blocks(), kMaxValues / static_cast<uint64_t>(reader.info().code->spec.k));
      std::vector<uint8_t> bits;
      for (uint64_t first = 0; first < blocks; first += 3)
        reader.read_info_bits(first, static_cast<size_t>(std::min<uint64_t>(3, blocks - first)), bits);
    }
  } catch (const mimo::DatasetError&) {
  } catch (const std::invalid_argument&) {
  } catch (const std::out_of_range&) {
  }
  return 0;
}
