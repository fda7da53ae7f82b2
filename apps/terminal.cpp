#include "apps/terminal.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "datasets/atomic_file.hpp"

namespace mimo::cli {

namespace {
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
std::atomic<bool> g_leaving{false};  // an error has been reported; the process is on its way out
// A POSIX timer rather than alarm(): the grace period under mpirun is shorter than a second (mpirun kills a
// process one second after the SIGTERM it forwards).
timer_t g_grace_timer;
itimerspec g_grace{};

// Leaves at once: only async-signal-safe calls (unlink, write, _exit).
[[noreturn]] void exit_now(int sig) {
  remove_partial_files_now();
  static const char msg[] = "mimo: interrupted; stopped at once, partial files deleted\n";
  if (!g_leaving.load()) {
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  }
  ::_exit(128 + sig);
}

extern "C" void on_signal(int sig) {
  if (g_interrupted.load() || g_leaving.load()) exit_now(sig);  // a second Ctrl-C: the user does not want to wait
  g_signal = sig;                           // before the flag: a command that sees the flag reads the signal
  g_interrupted = true;
  ::timer_settime(g_grace_timer, 0, &g_grace, nullptr);  // async-signal-safe, unlike setitimer
}

// The command did not reach a point where it stops cleanly within the grace period (a long batch).
extern "C" void on_alarm(int) { exit_now(g_signal.load()); }
}  // namespace

void install_interrupt_handler(double grace_seconds) {
  static const bool timer_made = [] {
    sigevent event{};
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGALRM;
    return ::timer_create(CLOCK_MONOTONIC, &event, &g_grace_timer) == 0;
  }();
  if (!timer_made) throw std::runtime_error("cannot create a timer for the interrupt handler");
  const auto nanos = static_cast<long long>(std::max(grace_seconds, 0.01) * 1e9);
  g_grace.it_value.tv_sec = static_cast<time_t>(nanos / 1000000000);
  g_grace.it_value.tv_nsec = static_cast<long>(nanos % 1000000000);
  std::signal(SIGALRM, on_alarm);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

void leaving_after_error() { g_leaving = true; }

bool interrupted() { return g_interrupted.load(std::memory_order_relaxed); }

int interrupted_exit_code() { return 128 + (g_signal.load() ? g_signal.load() : SIGINT); }

std::string si(double v) {
  const char* prefixes[] = {"", " k", " M", " G", " T"};
  int k = 0;
  while (v >= 1000.0 && k < 4) { v /= 1000.0; ++k; }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, prefixes[k]);
  return buf;
}

ProgressBar::ProgressBar(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(uint64_t done, const std::string& extra) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done, extra);
}

void ProgressBar::draw(uint64_t done, const std::string& extra) {
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int width = 30, filled = static_cast<int>(frac * width);
  std::string bar(filled, '#');
  bar.resize(width, ' ');
  const double secs = elapsed_seconds();
  const double rate = secs > 0 ? done / secs : 0.0;
  const double eta = rate > 0 && total_ > done ? (total_ - done) / rate : 0.0;
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %s/s ETA %.0fs %s\033[K", label_.c_str(), bar.c_str(), 100 * frac,
               si(rate).c_str(), eta, extra.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace mimo::cli
