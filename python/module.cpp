// The `mimo._core` extension: the toolkit's generator, data sets, detectors and BER engine for numpy code. The
// Python package `mimo` (python/mimo/__init__.py) gives it its signatures and documentation.
#include <dlfcn.h>

#include <filesystem>

#include "apps/transformer_plugin.hpp"
#include "datasets/schema.hpp"
#include "python/module.hpp"

namespace mimo::python {

namespace {

// This extension's own folder: the transformer plugin is looked for relative to it, as `mimo` looks relative to
// its executable (the build tree's layout, then the installed one).
std::filesystem::path module_folder() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&module_folder), &info) || !info.dli_fname) return {};
  return std::filesystem::path(info.dli_fname).parent_path();
}

}  // namespace

}  // namespace mimo::python

PYBIND11_MODULE(_core, m) {
  using namespace mimo::python;
  m.doc() = "mimo's C++ core; use the `mimo` package, which documents it.";
  std::vector<std::filesystem::path> folders;
  for (const char* relative : {MIMO_MODULE_TO_BUILT_PLUGIN, MIMO_MODULE_TO_INSTALLED_PLUGIN})
    folders.push_back(module_folder() / relative);
  mimo::cli::set_plugin_folders(folders);
  mimo::register_builtin_detectors();
  mimo::cli::register_transformer_detector();
  // Unreadable or foreign files are OSError, as Python's own file errors; bad arguments stay ValueError
  // (std::invalid_argument, pybind11's default).
  static py::exception<mimo::DatasetError> dataset_error(m, "DatasetError", PyExc_OSError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const mimo::DatasetError& e) {
      dataset_error(e.what());
    } catch (const py::builtin_exception&) {
      throw;  // pybind11's own (cast errors, ...): its default translation
    } catch (const std::runtime_error& e) {
      // The plugin's errors (a LibTorch error carries a backtrace in what()) and the library's other run-time
      // failures, on one line.
      PyErr_SetString(PyExc_RuntimeError, mimo::cli::error_line(e).c_str());
    }
  });
  bind_data(m);
  bind_detectors(m);
  bind_evaluate(m);
}
