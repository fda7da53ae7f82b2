#pragma once
// Splits [0, n) into contiguous ranges over worker threads. Work is assigned by index, never by timing, so
// results that depend only on the index are the same for every thread count.
#include <algorithm>
#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace mimo {

/// The most worker threads any command starts: far above any machine's useful count, far below the point where
/// thread creation fails.
inline constexpr int kMaxThreads = 1024;

/// Number of worker threads to use when the user asks for `requested` (0 = all hardware threads).
inline int resolve_threads(int requested) {
  if (requested < 0 || requested > kMaxThreads)
    throw std::invalid_argument("threads must be in [0, " + std::to_string(kMaxThreads) + "] (threads = " +
                                std::to_string(requested) + ")");
  if (requested > 0) return requested;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, static_cast<unsigned>(kMaxThreads)));
}

/// Calls body(begin, end, worker) on `threads` disjoint ranges covering [0, n); rethrows the first exception.
template <class Body>
void parallel_for(size_t n, int threads, Body&& body) {
  const size_t workers = std::min<size_t>(std::max(1, threads), std::max<size_t>(n, 1));
  if (workers <= 1) {
    body(size_t{0}, n, 0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(workers);
  std::vector<std::exception_ptr> errors(workers);
  try {
    for (size_t w = 0; w < workers; ++w) {
      const size_t begin = n * w / workers, end = n * (w + 1) / workers;
      pool.emplace_back([&, begin, end, w] {
        try {
          body(begin, end, static_cast<int>(w));
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    }
  } catch (const std::exception& e) {
    // A joinable std::thread destroyed during unwinding would call std::terminate: join the started ones first.
    for (auto& t : pool) t.join();
    throw std::runtime_error("cannot start " + std::to_string(workers) + " threads (" + e.what() +
                             "); use fewer --threads");
  }
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Like parallel_for, but the workers take ranges of `grain` items in turn until none are left (body may run many
/// times per worker): where the cost per item varies widely (tree searches), no worker waits for a slow one's fixed
/// share.
template <class Body>
void parallel_for_dynamic(size_t n, int threads, size_t grain, Body&& body) {
  grain = std::max<size_t>(grain, 1);
  const size_t ranges = (n + grain - 1) / grain;
  std::atomic<size_t> next{0};
  const size_t workers = std::min<size_t>(std::max(1, threads), std::max<size_t>(ranges, 1));
  parallel_for(workers, static_cast<int>(workers), [&](size_t, size_t, int worker) {
    for (size_t k = next.fetch_add(1); k < ranges; k = next.fetch_add(1))
      body(k * grain, std::min(n, (k + 1) * grain), worker);
  });
}

}  // namespace mimo
