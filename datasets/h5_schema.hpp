#pragma once
// The HDF5 side of the schema, for the datasets module's own sources (reader, writer, detection file): the types
// and attribute writers every mimo file uses. Kept out of schema.hpp so that its includers need no HDF5.
#include <H5Cpp.h>

#include <cstdint>
#include <string>

#include "datasets/schema.hpp"

namespace mimo {

namespace schema {

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
