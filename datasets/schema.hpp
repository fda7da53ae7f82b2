#pragma once
// The mimo HDF5 data-set schema (documented for users in datasets/SCHEMA.md): names, types and the metadata
// recorded with every file. Reader and writer both take their names from here; the HDF5 types are in
// h5_schema.hpp, so that including this header needs no HDF5.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "channel/channel_model.hpp"
#include "channel/modulation.hpp"
#include "channel/snr.hpp"
#include "coding/ldpc_spec.hpp"

namespace mimo {

inline constexpr int kSchemaVersion = 1;

/// A file that is not a readable mimo data set: missing, truncated, corrupted, foreign or of another version.
class DatasetError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The channel code of a coded data set (`mimo generate --code`; SCHEMA.md, "Coded data sets"): its samples carry
/// LDPC transport blocks of `uses_per_block` consecutive channel uses, laid out as evaluation/coded_link.hpp says.
struct DatasetCode {
  LdpcSpec spec;                // K, E and the decoder's iterations: what rebuilds the code
  std::string requested;        // the spec as given on the command line ("ldpc:k=1024,rate=0.5"), for people
  uint64_t uses_per_block = 0;  // B, channel uses per block: samples [jB, (j+1)B) carry block j
};

/// Everything recorded about how a data set was made.
struct DatasetInfo {
  int schema_version = kSchemaVersion;
  ChannelConfig channel;              // model, nt, nr and the model's parameters
  Modulation modulation = Modulation::qpsk;
  SnrUnit snr_unit = SnrUnit::snr;
  std::string snr_schedule;           // SnrSchedule::describe(): "0,2,4" (cycled) or "lo:hi" (uniform draws)
  uint64_t seed = 0;
  std::string tool_version;
  std::optional<DatasetCode> code;    // none: uncoded (every file before `generate --code`)
  uint64_t samples = 0;               // filled in by the reader
};

namespace schema {
inline constexpr const char* H = "H";
inline constexpr const char* H_est = "H_est";
inline constexpr const char* y = "y";
inline constexpr const char* x = "x";
inline constexpr const char* bits = "bits";
inline constexpr const char* snr_db = "snr_db";
inline constexpr const char* noise_var = "noise_var";
inline constexpr const char* user_gain_db = "user_gain_db";  // only with a user power spread
inline constexpr const char* info_bits = "info_bits";        // [blocks, K], only in a coded data set
}  // namespace schema

/// True once an HDF5 file could not be closed (and was leaked, see partial_file.cpp): the process must then
/// leave with _exit, since HDF5's clean-up at exit would close that file again and crash.
bool hdf5_needs_quick_exit();

}  // namespace mimo
