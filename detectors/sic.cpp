#include "detectors/sic.hpp"

#include <algorithm>
#include <vector>

#include "detectors/linear.hpp"
#include "detectors/small_linalg.hpp"

namespace mimo {

void SicDetector::check(const SampleBatch& b) const {
  Detector::check(b);
  require_modulation(b, c_);
}

void SicDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  using linalg::cd;
  const size_t nr = b.nr, nt = b.nt;
  std::vector<cd> H(nr * nt), Hs(nr * nt), y(nr), G(nt * nt), z(nt), work(nt);
  std::vector<double> dinv(nt);
  std::vector<size_t> remaining(nt);
  for (size_t i = begin; i < end; ++i) {
    load_channel(b, i, H.data());
    load_received(b, i, y.data());
    const double n0 = usable_noise_var(b.noise_var[i]);
    for (size_t t = 0; t < nt; ++t) remaining[t] = t;
    for (size_t left = nt; left > 0; --left) {
      // LMMSE on the remaining columns.
      for (size_t u = 0; u < left; ++u) std::copy_n(H.begin() + remaining[u] * nr, nr, Hs.begin() + u * nr);
      linalg::gram(Hs.data(), nr, left, n0, G.data());
      linalg::cholesky(G.data(), left, 1e-300);
      linalg::inverse_diagonal(G.data(), left, dinv.data(), work.data());
      // Highest SINR = smallest [(G + N0 I)^{-1}]_uu.
      const size_t u = static_cast<size_t>(std::min_element(dinv.begin(), dinv.begin() + left) - dinv.begin());
      linalg::matched_filter(Hs.data(), nr, left, y.data(), z.data());
      linalg::cholesky_solve(G.data(), left, z.data());
      const double mu = std::clamp(1.0 - n0 * dinv[u], 1e-12, 1.0);
      const size_t t = remaining[u];
      decide(c_, z[u] / mu, std::max((1.0 - mu) / mu, 1e-300), out, i, t);
      const cd x = c_.points()[out.symbols[i * nt + t]];
      for (size_t r = 0; r < nr; ++r) y[r] -= H[r + t * nr] * x;
      remaining.erase(remaining.begin() + u);
      remaining.push_back(t);  // keeps the vector's size fixed: no reallocation in the loop
    }
  }
}

}  // namespace mimo
