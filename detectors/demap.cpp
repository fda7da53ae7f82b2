#include "detectors/demap.hpp"

namespace mimo {

using cd = std::complex<double>;

void load_channel(const SampleBatch& b, size_t i, cd* H) {
  const auto* src = (b.has_h_est() ? b.H_est.data() : b.H.data()) + i * b.nr * b.nt;
  for (size_t r = 0; r < b.nr; ++r)
    for (size_t t = 0; t < b.nt; ++t) H[r + t * b.nr] = cd(src[r * b.nt + t]);
}

void load_received(const SampleBatch& b, size_t i, cd* y) {
  for (size_t r = 0; r < b.nr; ++r) y[r] = cd(b.y[i * b.nr + r]);
}

void decide(const Constellation& c, cd estimate, double noise_var, Detection& out, size_t i, size_t t) {
  const size_t k = i * out.nt + t;
  out.symbols[k] = c.hard_index(estimate);
  if (out.llr.empty()) return;
  double llr[8];
  c.llr_maxlog(estimate, noise_var, llr);
  for (size_t j = 0; j < out.m; ++j) out.llr[k * out.m + j] = static_cast<float>(llr[j]);
}

}  // namespace mimo
