#include "detectors/ml.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "detectors/demap.hpp"

namespace mimo {

void MlDetector::check(const SampleBatch& b) const {
  Detector::check(b);
  const Constellation& c = constellation();
  const double candidates = std::pow(static_cast<double>(c.size()), static_cast<double>(b.nt));
  if (candidates > max_)
    throw std::invalid_argument("ml: " + std::to_string(c.size()) + "^" + std::to_string(b.nt) +
                                " candidates exceed the limit of " + std::to_string(static_cast<uint64_t>(max_)) +
                                " (use sphere for exact ML, or raise ml:max=...)");
}

void MlDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  using cd = std::complex<double>;
  const Constellation& c = constellation();
  const size_t nr = b.nr, nt = b.nt, m = b.m, M = static_cast<size_t>(c.size());
  const auto& pts = c.points();
  std::vector<cd> H(nr * nt), y(nr), r(nr);
  std::vector<size_t> digit(nt);
  std::vector<double> best0(nt * m), best1(nt * m);
  const double inf = std::numeric_limits<double>::infinity();

  for (size_t i = begin; i < end; ++i) {
    load_channel(b, i, H.data());
    load_received(b, i, y.data());
    const double n0 = usable_noise_var(b.noise_var[i]);
    // Odometer over symbol indices; r = y - H x is updated by one column per changed digit.
    std::fill(digit.begin(), digit.end(), 0);
    for (size_t q = 0; q < nr; ++q) {
      cd acc = y[q];
      for (size_t t = 0; t < nt; ++t) acc -= H[q + t * nr] * pts[0];
      r[q] = acc;
    }
    std::fill(best0.begin(), best0.end(), inf);
    std::fill(best1.begin(), best1.end(), inf);
    double best = inf;
    size_t best_index = 0, index = 0;
    while (true) {
      double metric = 0;
      for (size_t q = 0; q < nr; ++q) metric += std::norm(r[q]);
      if (!(metric >= 0)) metric = inf;  // NaN input: never chosen
      if (metric < best) {
        best = metric;
        best_index = index;
      }
      for (size_t t = 0; t < nt; ++t)
        for (size_t j = 0; j < m; ++j) {
          double& slot = c.bit(static_cast<int>(digit[t]), static_cast<int>(j)) ? best1[t * m + j] : best0[t * m + j];
          if (metric < slot) slot = metric;
        }
      // Advance the odometer (digit 0 fastest).
      size_t t = 0;
      while (t < nt) {
        const cd old = pts[digit[t]];
        digit[t] = (digit[t] + 1) % M;
        const cd delta = pts[digit[t]] - old;
        for (size_t q = 0; q < nr; ++q) r[q] -= H[q + t * nr] * delta;
        if (digit[t] != 0) break;
        ++t;
      }
      if (t == nt) break;
      ++index;
    }
    for (size_t t = 0; t < nt; ++t) {
      size_t rest = best_index;
      for (size_t u = 0; u < t; ++u) rest /= M;
      out.symbols[i * nt + t] = static_cast<int32_t>(rest % M);
    }
    for (size_t k = 0; k < nt * m; ++k) {
      double llr = (best1[k] - best0[k]) / n0;
      if (std::isnan(llr)) llr = 0.0;
      out.llr[i * nt * m + k] = static_cast<float>(std::clamp(llr, -kLlrClip, kLlrClip));
    }
  }
}

}  // namespace mimo
