#include "python/arrays.hpp"

#include <cmath>
#include <cstdint>
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

py::array as_array(const py::handle& obj, const std::string& what, std::vector<py::ssize_t>& dims) {
  py::array a = py::array::ensure(obj);
  if (!a) throw std::invalid_argument(what + " must be a numpy array (or convertible to one)");
  if (std::string("biufc").find(a.dtype().kind()) == std::string::npos)
    throw std::invalid_argument(what + " must be a numeric array (got " + std::string(py::str(obj.get_type())) +
                                (a.dtype().kind() == 'O' ? "" : " of dtype " + std::string(py::str(a.dtype()))) + ")");
  bool ok = a.ndim() == static_cast<py::ssize_t>(dims.size());
  for (size_t i = 0; ok && i < dims.size(); ++i) ok = dims[i] < 0 || a.shape(static_cast<py::ssize_t>(i)) == dims[i];
  if (!ok) {
    std::vector<py::ssize_t> got(a.shape(), a.shape() + a.ndim());
    throw std::invalid_argument(what + " has shape " + shape_text(got) + ", expected " + shape_text(dims));
  }
  for (size_t i = 0; i < dims.size(); ++i) dims[i] = a.shape(static_cast<py::ssize_t>(i));
  return a;
}

ComplexRows::ComplexRows(const py::array& a, size_t row, std::string what) : row_(row), what_(std::move(what)) {
  const char kind = a.dtype().kind();
  if (kind != 'c' && kind != 'f' && kind != 'i' && kind != 'u')
    throw std::invalid_argument(what_ + " must be a complex (or real) array, not dtype " + std::string(py::str(a.dtype())));
  const bool contiguous = a.flags() & py::array::c_style;
  if (contiguous && a.dtype().is(py::dtype::of<std::complex<double>>())) {
    keep_ = a;
    f64_ = static_cast<const std::complex<double>*>(a.data());
  } else {
    // complex64 C-contiguous: a view of `a`; anything else: numpy converts it once, whole.
    auto c = py::array_t<std::complex<float>, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!c) throw std::invalid_argument(what_ + ": cannot convert to complex64");
    keep_ = c;
    f32_ = c.data();
  }
}

namespace {

// 1 when v is infinite or NaN (all exponent bits set): integer operations, so the copying loop vectorizes.
inline uint32_t non_finite(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u & 0x7f800000u) == 0x7f800000u;
}

}  // namespace

void ComplexRows::copy_rows(size_t first, size_t count, std::complex<float>* out) const {
  uint32_t bad = 0;
  auto copy_from = [&](const auto* src) {
    float* dst = reinterpret_cast<float*>(out);  // std::complex<float> is two floats (array-compatible)
    for (size_t i = 0; i < count * row_; ++i) {
      const auto re = static_cast<float>(src[i].real()), im = static_cast<float>(src[i].imag());
      dst[2 * i] = re;
      dst[2 * i + 1] = im;
      bad |= non_finite(re) | non_finite(im);
    }
  };
  if (f64_)
    copy_from(f64_ + first * row_);
  else
    copy_from(f32_ + first * row_);
  if (bad) throw std::invalid_argument(what_ + " has a non-finite value");
}

void copy_real(const py::array& a, std::vector<float>& out, const std::string& what) {
  if (a.dtype().kind() == 'c') throw std::invalid_argument(what + " must be real, not complex");
  auto c = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!c) throw std::invalid_argument(what + ": cannot convert to float32");
  out.assign(c.data(), c.data() + c.size());
  for (const float v : out)
    if (!std::isfinite(v)) throw std::invalid_argument(what + " has a non-finite value");
}

}  // namespace mimo::python
