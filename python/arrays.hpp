#pragma once
// numpy <-> the toolkit's row-major std::vector arrays. Outputs move their vector into the array (no copy: a
// capsule owns it). Inputs are read where they lie when C-contiguous complex64 or complex128, converted once
// otherwise, never per sample.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <string>
#include <vector>

namespace mimo::python {

namespace py = pybind11;

/// The vector as a numpy array of `shape`, which then owns it.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule free_it(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owner->data(), free_it);
}

/// `obj` as a numpy array of rank `dims.size()` whose known sizes (dims[i] >= 0) match; unknown ones (-1) are
/// filled in. Throws std::invalid_argument naming `what` otherwise.
py::array as_array(const py::handle& obj, const std::string& what, std::vector<py::ssize_t>& dims);

/// A complex input array seen as rows of `row` values: read in place when C-contiguous complex64 or complex128,
/// else converted once (whole) to complex64. Rows are copied out without the GIL (copy_rows), which checks that
/// every value is finite.
class ComplexRows {
public:
  ComplexRows(const py::array& a, size_t row, std::string what);
  /// Rows [first, first + count) into out[0, count * row) as complex64; std::invalid_argument on a non-finite value.
  void copy_rows(size_t first, size_t count, std::complex<float>* out) const;

private:
  py::array keep_;  // holds the memory read below
  const std::complex<float>* f32_ = nullptr;
  const std::complex<double>* f64_ = nullptr;
  size_t row_;
  std::string what_;
};

/// Copies a real array into `out` as float32, row-major; non-finite values are refused.
void copy_real(const py::array& a, std::vector<float>& out, const std::string& what);

}  // namespace mimo::python
