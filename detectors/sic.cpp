#include "detectors/sic.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "detectors/demap.hpp"
#include "detectors/sic_simd.hpp"
#include "detectors/small_linalg.hpp"

namespace mimo {

// One inverse per channel use instead of one per step: with P = (G + N0 I)^{-1} over the streams left, removing
// stream u leaves the inverse of the smaller system as the Schur downdate P - P e_u e_u^T P / P_uu, and the
// matched filter of the cancelled y as z - G e_u x_u. O(Nt^3) per use where refactoring each step is O(Nt^4).
namespace {

using linalg::cd;

// The float64 path, one channel use at a time: the reference, and the fallback of the float32 kernel.
class Float64Sic {
public:
  Float64Sic(const Constellation& c, size_t nr, size_t nt)
      : c_(c), H(nr * nt), y(nr), A(nt * nt), F(nt * nt), P(nt * nt), z(nt), remaining(nt) {}
  void detect(const SampleBatch& b, size_t i, Detection& out);

private:
  const Constellation& c_;
  std::vector<cd> H, y, A, F, P, z;
  std::vector<size_t> remaining;
};

void Float64Sic::detect(const SampleBatch& b, size_t i, Detection& out) {
  const Constellation& c = c_;
  const size_t nr = b.nr, nt = b.nt;
  load_channel(b, i, H.data());
  load_received(b, i, y.data());
  const double n0 = usable_noise_var(b.noise_var[i]);
  linalg::gram(H.data(), nr, nt, n0, A.data());  // A = G + N0 I, kept for the cancellation
  std::copy(A.begin(), A.end(), F.begin());
  linalg::cholesky(F.data(), nt, 1e-300);
  for (size_t k = 0; k < nt; ++k) {  // P = A^{-1}, column by column
    cd* pk = P.data() + k * nt;
    std::fill(pk, pk + nt, cd(0.0));
    pk[k] = 1.0;
    linalg::cholesky_solve(F.data(), nt, pk);
  }
  linalg::matched_filter(H.data(), nr, nt, y.data(), z.data());
  for (size_t t = 0; t < nt; ++t) remaining[t] = t;
  for (size_t left = nt; left > 0; --left) {
    // Highest SINR = smallest diagonal entry of the remaining streams' inverse.
    size_t u = 0;
    for (size_t v = 1; v < left; ++v)
      if (P[remaining[v] * (nt + 1)].real() < P[remaining[u] * (nt + 1)].real()) u = v;
    const size_t t = remaining[u];
    const double ptt = P[t * (nt + 1)].real();
    cd estimate = 0.0;
    for (size_t v = 0; v < left; ++v) estimate += P[t + remaining[v] * nt] * z[remaining[v]];
    const double mu = std::clamp(1.0 - n0 * ptt, 1e-12, 1.0);
    decide(c, estimate / mu, std::max((1.0 - mu) / mu, 1e-300), out, i, t);
    const cd x = c.points()[out.symbols[i * nt + t]];
    remaining.erase(remaining.begin() + u);
    remaining.push_back(t);  // keeps the vector's size fixed: no reallocation in the loop
    // Cancel stream t from the others' matched filter, and drop it from the inverse.
    for (size_t v = 0; v + 1 < left; ++v) {
      const size_t j = remaining[v];
      z[j] -= A[j + t * nt] * x;
    }
    const double inv = 1.0 / ptt;
    for (size_t w = 0; w + 1 < left; ++w) {
      const size_t k = remaining[w];
      const cd ptk = P[t + k * nt] * inv;
      for (size_t v = 0; v + 1 < left; ++v) {
        const size_t j = remaining[v];
        P[j + k * nt] -= P[j + t * nt] * ptk;
      }
    }
  }
}

}  // namespace

SicDetector::SicDetector(Modulation modulation, int precision) : Detector(modulation), precision_(precision) {
  if (precision != 32 && precision != 64)
    throw std::invalid_argument("precision must be 32 or 64 (precision = " + std::to_string(precision) + ")");
}

void SicDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  Float64Sic exact(constellation(), b.nr, b.nt);
  if (precision_ == 64) {
    for (size_t i = begin; i < end; ++i) exact.detect(b, i, out);
    return;
  }
  std::vector<size_t> redo;
  sic_detect_simd(constellation(), b, begin, end, out, redo);
  for (size_t i : redo) exact.detect(b, i, out);
}

}  // namespace mimo
