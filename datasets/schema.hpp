#pragma once
// The mimo HDF5 data-set schema (documented for users in datasets/SCHEMA.md): names, types and the metadata
// recorded with every file. Reader and writer both take their names from here.
#include <H5Cpp.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "channel/channel_model.hpp"
#include "channel/modulation.hpp"
#include "channel/snr.hpp"

namespace mimo {

inline constexpr int kSchemaVersion = 1;

/// A file that is not a readable mimo data set: missing, truncated, corrupted, foreign or of another version.
class DatasetError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
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

/// complex64 as the compound {r: float32, i: float32} that h5py reads as numpy.complex64.
const H5::CompType& complex_type();
/// Variable-length UTF-8 string, read by h5py as str.
const H5::StrType& string_type();

/// Scalar attributes, as every mimo file writes its metadata.
void write_attr(H5::H5Object& obj, const char* name, const H5::PredType& type, const void* value);
void write_attr(H5::H5Object& obj, const char* name, const std::string& value);
inline void write_attr(H5::H5Object& obj, const char* name, int value) {
  write_attr(obj, name, H5::PredType::NATIVE_INT, &value);
}
inline void write_attr(H5::H5Object& obj, const char* name, double value) {
  write_attr(obj, name, H5::PredType::NATIVE_DOUBLE, &value);
}
inline void write_attr(H5::H5Object& obj, const char* name, uint64_t value) {
  write_attr(obj, name, H5::PredType::NATIVE_UINT64, &value);
}
}  // namespace schema

/// Silences the HDF5 library's own error-stack printing; mimo reports errors itself.
void quiet_hdf5_errors();

}  // namespace mimo
