#include "detectors/linear.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "detectors/demap.hpp"
#include "detectors/small_linalg.hpp"

namespace mimo {

using linalg::cd;

LinearDetector::LinearDetector(Kind kind, Modulation modulation, int precision)
    : Detector(modulation), kind_(kind), precision_(precision) {
  if (precision != 32 && precision != 64)
    throw std::invalid_argument("precision must be 32 or 64 (precision = " + std::to_string(precision) + ")");
}

std::string LinearDetector::name() const {
  const char* base = kind_ == Kind::mf ? "mf" : kind_ == Kind::zf ? "zf" : "mmse";
  return precision_ == 32 ? base : std::string(base) + ":precision=64";
}

namespace {

// The float64 path, one channel use at a time: the reference, and the fallback of the float32 kernels.
class Float64Path {
public:
  Float64Path(LinearKind kind, const Constellation& c, size_t nr, size_t nt)
      : kind_(kind), c_(c), H(nr * nt), y(nr), G(nt * nt), z(nt), work(nt), dinv(nt) {}
  void detect(const SampleBatch& b, size_t i, Detection& out);

private:
  using Kind = LinearKind;
  LinearKind kind_;
  const Constellation& c_;
  std::vector<cd> H, y, G, z, work;
  std::vector<double> dinv;
};

void Float64Path::detect(const SampleBatch& b, size_t i, Detection& out) {
  const Constellation& c = c_;
  const size_t nr = b.nr, nt = b.nt;
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
    return;
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

}  // namespace

void LinearDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  Float64Path exact(kind_, constellation(), b.nr, b.nt);
  if (precision_ == 64) {
    for (size_t i = begin; i < end; ++i) exact.detect(b, i, out);
    return;
  }
  std::vector<size_t> redo;
  linear_detect_simd(kind_, constellation(), b, begin, end, out, redo);
  for (size_t i : redo) exact.detect(b, i, out);
}

}  // namespace mimo
