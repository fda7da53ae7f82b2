#include <chrono>
#include <future>

#include "python/module.hpp"

namespace mimo::python {

void run_interruptible(const std::function<void(const std::atomic<bool>& stop)>& work) {
  std::atomic<bool> stop{false};
  bool interrupted = false;
  {
    py::gil_scoped_release unlocked;
    auto done = std::async(std::launch::async, [&] { work(stop); });
    while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      py::gil_scoped_acquire gil;
      if (!interrupted && PyErr_CheckSignals() != 0) {
        // The error (KeyboardInterrupt) stays set in this thread until it is raised below.
        interrupted = true;
        stop = true;
      }
    }
    if (!interrupted) {
      done.get();  // the work's own exception, if any
      return;
    }
    try {
      done.get();
    } catch (...) {
      // Stopped early: whatever the work reports is moot beside the interrupt.
    }
  }
  throw py::error_already_set();
}

}  // namespace mimo::python
