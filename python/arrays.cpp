#include "python/arrays.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace mimo::python {

namespace {

std::string shape_text(const std::vector<py::ssize_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + (dims[i] < 0 ? std::string("*") : std::to_string(dims[i]));
  return s + "]";
}

}  // namespace

py::array as_array(const py::handle& obj, const char* what, std::vector<py::ssize_t>& dims) {
  py::array a = py::array::ensure(obj);
  if (!a) throw std::invalid_argument(std::string(what) + " must be a numpy array (or convertible to one)");
  bool ok = a.ndim() == static_cast<py::ssize_t>(dims.size());
  for (size_t i = 0; ok && i < dims.size(); ++i) ok = dims[i] < 0 || a.shape(static_cast<py::ssize_t>(i)) == dims[i];
  if (!ok) {
    std::vector<py::ssize_t> got(a.shape(), a.shape() + a.ndim());
    throw std::invalid_argument(std::string(what) + " has shape " + shape_text(got) + ", expected " + shape_text(dims));
  }
  for (size_t i = 0; i < dims.size(); ++i) dims[i] = a.shape(static_cast<py::ssize_t>(i));
  return a;
}

void copy_complex(const py::array& a, std::vector<std::complex<float>>& out, const char* what) {
  const char kind = a.dtype().kind();
  if (kind != 'c' && kind != 'f' && kind != 'i' && kind != 'u')
    throw std::invalid_argument(std::string(what) + " must be a complex (or real) array, not dtype " +
                                std::string(py::str(a.dtype())));
  out.resize(static_cast<size_t>(a.size()));
  // x * 0 is NaN exactly when x is not finite: one sum checks every value in the copying pass.
  float check = 0.0f;
  auto copy_from = [&](const auto* src) {
    for (size_t i = 0; i < out.size(); ++i) {
      const std::complex<float> v(static_cast<float>(src[i].real()), static_cast<float>(src[i].imag()));
      check += v.real() * 0.0f + v.imag() * 0.0f;
      out[i] = v;
    }
  };
  if (a.dtype().is(py::dtype::of<std::complex<double>>()) && (a.flags() & py::array::c_style)) {
    copy_from(static_cast<const std::complex<double>*>(a.data()));  // one pass, no intermediate array
  } else {
    // Everything else (complex64 with any strides, real arrays): numpy makes it C-contiguous complex64 (a view
    // when it already is), then one copying pass.
    auto c = py::array_t<std::complex<float>, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!c) throw std::invalid_argument(std::string(what) + ": cannot convert to complex64");
    copy_from(c.data());
  }
  if (check != 0.0f) throw std::invalid_argument(std::string(what) + " has a non-finite value");
}

void copy_real(const py::array& a, std::vector<float>& out, const char* what) {
  if (a.dtype().kind() == 'c') throw std::invalid_argument(std::string(what) + " must be real, not complex");
  auto c = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!c) throw std::invalid_argument(std::string(what) + ": cannot convert to float32");
  out.assign(c.data(), c.data() + c.size());
  for (const float v : out)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(what) + " has a non-finite value");
}

}  // namespace mimo::python
