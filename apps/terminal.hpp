#pragma once
// What long-running commands share: a progress bar on a terminal, and a Ctrl-C/kill flag that lets them stop
// between batches and clean up (no half-written output is ever left under its final name).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace mimo::cli {

/// Installs SIGINT/SIGTERM handlers that set the flag read by interrupted(), so the command stops between
/// batches and cleans up. If it has not exited `grace_seconds` later (a long batch), or on a second signal, the
/// process deletes its registered partial files (PartialFileGuard) and exits at once with 128 + signal.
void install_interrupt_handler(double grace_seconds = 1);
bool interrupted();
/// The process has reported an error and is leaving: a signal now (mpirun ends the other processes when one
/// exits with an error) cleans up and exits without a second message.
void leaving_after_error();
/// The exit status of a command that stopped on a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM).
int interrupted_exit_code();

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

/// "12.3 k", "4.56 M": a rate or count with an SI prefix.
std::string si(double value);

}  // namespace mimo::cli
