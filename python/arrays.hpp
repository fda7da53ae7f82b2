#pragma once
// numpy <-> the toolkit's row-major std::vector arrays. Outputs move their vector into the array (no copy: a
// capsule owns it); inputs are converted once per call, whatever their dtype and strides, never per sample.
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
py::array as_array(const py::handle& obj, const char* what, std::vector<py::ssize_t>& dims);

/// Copies a complex array (complex64 or complex128, or real) into `out` as complex64, row-major.
void copy_complex(const py::array& a, std::vector<std::complex<float>>& out, const char* what);
/// Copies a real array into `out` as float32, row-major; non-finite values are refused.
void copy_real(const py::array& a, std::vector<float>& out, const char* what);

}  // namespace mimo::python
