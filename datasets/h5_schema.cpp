#include "datasets/h5_schema.hpp"

#include <complex>

namespace mimo {

namespace schema {

const H5::CompType& complex_type() {
  static const H5::CompType type = [] {
    static_assert(sizeof(std::complex<float>) == 2 * sizeof(float));
    H5::CompType t(sizeof(std::complex<float>));
    t.insertMember("r", 0, H5::PredType::NATIVE_FLOAT);
    t.insertMember("i", sizeof(float), H5::PredType::NATIVE_FLOAT);
    return t;
  }();
  return type;
}

const H5::StrType& string_type() {
  static const H5::StrType type = [] {
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    t.setCset(H5T_CSET_UTF8);
    return t;
  }();
  return type;
}

void write_attr(H5::H5Object& obj, const char* name, const H5::PredType& type, const void* value) {
  H5::Attribute a = obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  a.write(type, value);
}

void write_attr(H5::H5Object& obj, const char* name, const std::string& value) {
  H5::Attribute a = obj.createAttribute(name, string_type(), H5::DataSpace(H5S_SCALAR));
  a.write(string_type(), value);
}

}  // namespace schema

void quiet_hdf5_errors() { H5::Exception::dontPrint(); }

}  // namespace mimo
