#include "detectors/real_model.hpp"

#include <cmath>
#include <numeric>

namespace mimo {

void RealSystem::shape(const SampleBatch& b, const Constellation& c) {
  real_symbols_ = c.is_real();
  rows = 2 * b.nr;
  cols = real_symbols_ ? b.nt : 2 * b.nt;
  H.assign(rows * cols, 0.0);
  y.assign(rows, 0.0);
}

void RealSystem::load(const SampleBatch& b, size_t i) {
  const size_t nr = b.nr, nt = b.nt;
  const auto* src = (b.has_h_est() ? b.H_est.data() : b.H.data()) + i * nr * nt;
  for (size_t r = 0; r < nr; ++r) {
    y[r] = b.y[i * nr + r].real();
    y[nr + r] = b.y[i * nr + r].imag();
    for (size_t t = 0; t < nt; ++t) {
      const double hr = src[r * nt + t].real(), hi = src[r * nt + t].imag();
      H[r + t * rows] = hr;
      H[nr + r + t * rows] = hi;
      if (!real_symbols_) {
        H[r + (nt + t) * rows] = -hi;
        H[nr + r + (nt + t) * rows] = hr;
      }
    }
  }
}

void SortedQR::decompose(const RealSystem& s) {
  rows = s.rows;
  cols = s.cols;
  Q = s.H;
  R.assign(cols * cols, 0.0);
  perm.resize(cols);
  std::iota(perm.begin(), perm.end(), size_t{0});
  norms_.resize(cols);
  auto& norms = norms_;
  for (size_t j = 0; j < cols; ++j) {
    double n = 0;
    for (size_t r = 0; r < rows; ++r) n += Q[r + j * rows] * Q[r + j * rows];
    norms[j] = n;
  }
  for (size_t i = 0; i < cols; ++i) {
    size_t k = i;
    for (size_t j = i + 1; j < cols; ++j)
      if (norms[j] < norms[k]) k = j;
    if (k != i) {
      std::swap(perm[i], perm[k]);
      std::swap(norms[i], norms[k]);
      for (size_t r = 0; r < rows; ++r) std::swap(Q[r + i * rows], Q[r + k * rows]);
      for (size_t r = 0; r < i; ++r) std::swap(R[r + i * cols], R[r + k * cols]);
    }
    double rii = std::sqrt(std::max(norms[i], 0.0));
    if (!(rii > 1e-300)) rii = 1e-300;  // rank-deficient: a tiny pivot keeps the search finite
    R[i + i * cols] = rii;
    for (size_t r = 0; r < rows; ++r) Q[r + i * rows] /= rii;
    for (size_t j = i + 1; j < cols; ++j) {
      double d = 0;
      for (size_t r = 0; r < rows; ++r) d += Q[r + i * rows] * Q[r + j * rows];
      R[i + j * cols] = d;
      for (size_t r = 0; r < rows; ++r) Q[r + j * rows] -= d * Q[r + i * rows];
      norms[j] -= d * d;
    }
  }
  z.assign(cols, 0.0);
  for (size_t j = 0; j < cols; ++j) {
    double d = 0;
    for (size_t r = 0; r < rows; ++r) d += Q[r + j * rows] * s.y[r];
    z[j] = d;
  }
}

std::vector<std::vector<RealSystem::LabelBit>> RealSystem::label_bits(const Constellation& c, size_t nt) {
  const size_t m = static_cast<size_t>(c.bits_per_symbol());
  const int bpd = c.bits_per_dimension();
  std::vector<std::vector<LabelBit>> bits(c.is_real() ? nt : 2 * nt);
  for (size_t u = 0; u < bits.size(); ++u) {
    if (c.is_real()) {  // BPSK: one bit, the label itself
      bits[u] = {{u, 0}};
      continue;
    }
    const size_t t = u < nt ? u : u - nt, parity = u < nt ? 0 : 1;
    for (int k = 0; k < bpd; ++k) bits[u].push_back({t * m + 2 * static_cast<size_t>(k) + parity, bpd - 1 - k});
  }
  return bits;
}

}  // namespace mimo
