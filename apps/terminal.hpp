#pragma once
// What long-running commands share: a progress bar on a terminal, and a Ctrl-C/kill flag that lets them stop
// between batches and clean up (no half-written output is ever left under its final name).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace mimo::cli {

/// Installs SIGINT/SIGTERM handlers that set the flag read by interrupted(); a second signal exits at once.
void install_interrupt_handler();
bool interrupted();

/// A one-line progress bar on stderr, drawn only when stderr is a terminal, at most ~10 times a second.
class ProgressBar {
public:
  ProgressBar(std::string label, uint64_t total);
  /// Sets the count done; `extra` is appended (e.g. "loss 0.12").
  void update(uint64_t done, const std::string& extra = "");
  /// Clears the line.
  void finish();
  double elapsed_seconds() const;

private:
  void draw(uint64_t done, const std::string& extra);
  std::string label_;
  uint64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

/// Throws std::invalid_argument unless the directory `output` goes into exists: checked before a long run,
/// not found out at its end.
void require_output_directory(const std::string& output);

/// "12.3 k", "4.56 M": a rate or count with an SI prefix.
std::string si(double value);

}  // namespace mimo::cli
