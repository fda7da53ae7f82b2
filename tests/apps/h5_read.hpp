#pragma once
// Reading back what the CLI wrote, as h5py would: a whole data set, row-major, and a scalar attribute.
#include <H5Cpp.h>

#include <string>
#include <vector>

namespace mimo::test {

template <class T>
std::vector<T> read_rows(const H5::H5File& f, const std::string& name, const H5::PredType& type) {
  const H5::DataSet d = f.openDataSet(name);
  std::vector<T> values(static_cast<size_t>(d.getSpace().getSimpleExtentNpoints()));
  d.read(values.data(), type);
  return values;
}

template <class T>
T read_attr(const H5::H5Object& o, const std::string& name, const H5::PredType& type) {
  T value{};
  o.openAttribute(name).read(type, &value);
  return value;
}

}  // namespace mimo::test
