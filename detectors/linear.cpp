#include "detectors/linear.hpp"

#include <algorithm>
#include <vector>

#include "detectors/demap.hpp"
#include "detectors/small_linalg.hpp"

namespace mimo {

using linalg::cd;

LinearDetector::LinearDetector(Kind kind, Modulation modulation) : Detector(modulation), kind_(kind) {}

std::string LinearDetector::name() const {
  switch (kind_) {
    case Kind::mf: return "mf";
    case Kind::zf: return "zf";
    case Kind::mmse: return "mmse";
  }
  return "?";
}

void LinearDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  const Constellation& c = constellation();
  const size_t nr = b.nr, nt = b.nt;
  std::vector<cd> H(nr * nt), y(nr), G(nt * nt), z(nt), work(nt);
  std::vector<double> dinv(nt);
  for (size_t i = begin; i < end; ++i) {
    load_channel(b, i, H.data());
    load_received(b, i, y.data());
    const double n0 = usable_noise_var(b.noise_var[i]);
    linalg::matched_filter(H.data(), nr, nt, y.data(), z.data());
    if (kind_ == Kind::mf) {
      // x_k ~ (h_k^H y) / ||h_k||^2; interference from other streams counts as noise.
      for (size_t t = 0; t < nt; ++t) {
        double e = 0, interference = 0;
        for (size_t r = 0; r < nr; ++r) e += std::norm(H[r + t * nr]);
        e = std::max(e, 1e-300);
        for (size_t u = 0; u < nt; ++u) {
          if (u == t) continue;
          cd cross = 0;
          for (size_t r = 0; r < nr; ++r) cross += std::conj(H[r + t * nr]) * H[r + u * nr];
          interference += std::norm(cross);
        }
        decide(c, z[t] / e, (interference / e + n0) / e, out, i, t);
      }
      continue;
    }
    const double load = kind_ == Kind::mmse ? n0 : 0.0;
    linalg::gram(H.data(), nr, nt, load, G.data());
    double trace = 0;
    for (size_t t = 0; t < nt; ++t) trace += G[t + t * nt].real();
    linalg::cholesky(G.data(), nt, std::max(1e-12 * trace / nt, 1e-300));
    linalg::cholesky_solve(G.data(), nt, z.data());  // z = (G + load I)^{-1} H^H y
    linalg::inverse_diagonal(G.data(), nt, dinv.data(), work.data());
    for (size_t t = 0; t < nt; ++t) {
      if (kind_ == Kind::zf) {
        decide(c, z[t], n0 * dinv[t], out, i, t);
      } else {
        // LMMSE bias mu = 1 - N0 [(G + N0 I)^{-1}]_tt; unbiased estimate z / mu has noise (1 - mu) / mu.
        const double mu = std::clamp(1.0 - n0 * dinv[t], 1e-12, 1.0);
        decide(c, z[t] / mu, std::max((1.0 - mu) / mu, 1e-300), out, i, t);
      }
    }
  }
}

}  // namespace mimo
