#pragma once
// The pieces of the `mimo._core` extension module, each binding one area; module.cpp assembles them.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "channel/generator.hpp"

namespace mimo::python {

namespace py = pybind11;

void bind_data(py::module_& m);       // generate, read, info, schema names, constellations
void bind_detectors(py::module_& m);  // Detector (registered specs and Python callables)
void bind_evaluate(py::module_& m);   // evaluate

/// The channel, modulation and SNR settings given as `mimo generate` flags (["--nt", "8", "--rho-tx", "0.7"]),
/// parsed and checked by the CLI's own flag definitions: the same defaults and the same one-line errors
/// (std::invalid_argument).
GeneratorConfig channel_config(const std::vector<std::string>& flags, bool allow_range, StreamTag tag);

/// The generator of a configuration; a channel file that cannot be read (--channel file) raises OSError, as
/// unreadable data sets do.
std::unique_ptr<Generator> make_generator(const GeneratorConfig& config);

/// Runs work(stop) on a thread of its own, without the GIL, while the calling (Python) thread waits and checks for
/// Ctrl-C every 100 ms: on a signal, `stop` becomes true, the work is expected to return soon (between chunks), and
/// the signal's exception (KeyboardInterrupt) is raised once it has. An exception of the work is rethrown.
void run_interruptible(const std::function<void(const std::atomic<bool>& stop)>& work);

/// Worker threads from a Python argument (0 = all cores), checked like --threads: a one-line ValueError.
int threads_arg(const py::handle& threads);

}  // namespace mimo::python
