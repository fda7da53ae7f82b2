#pragma once
// A Python callable as a mimo Detector (see detect.cpp).
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "detectors/detector.hpp"

namespace mimo::python {

namespace py = pybind11;

/// Calls fn(y, H, noise_var) on each range of channel uses, taking the GIL for the call (the engine's worker
/// threads run without it), and checks what it returns: symbols [n, nt] as indices or values, and LLRs
/// [n, nt*m] when made with llr.
class PythonDetector : public Detector {
public:
  PythonDetector(py::function fn, Modulation modulation, std::string name, bool llr);
  ~PythonDetector() override;
  std::string name() const override { return name_; }
  bool provides_llr() const override { return llr_; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  py::function fn_;
  std::string name_;
  bool llr_;
};

/// A detector from a spec string or a Python callable (Detector's constructor).
std::unique_ptr<Detector> make_python_detector(const py::object& spec, const std::string& modulation,
                                               const py::object& name, bool llr);

}  // namespace mimo::python
