#include "channel/modulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace mimo {

Modulation parse_modulation(const std::string& name) {
  if (name == "bpsk") return Modulation::bpsk;
  if (name == "qpsk" || name == "qam4" || name == "4qam") return Modulation::qpsk;
  if (name == "qam16" || name == "16qam") return Modulation::qam16;
  if (name == "qam64" || name == "64qam") return Modulation::qam64;
  if (name == "qam256" || name == "256qam") return Modulation::qam256;
  throw std::invalid_argument("unknown modulation '" + name + "' (expected bpsk, qpsk, qam16, qam64, qam256)");
}

std::string to_string(Modulation m) {
  switch (m) {
    case Modulation::bpsk: return "bpsk";
    case Modulation::qpsk: return "qpsk";
    case Modulation::qam16: return "qam16";
    case Modulation::qam64: return "qam64";
    case Modulation::qam256: return "qam256";
  }
  return "?";
}

namespace {

int bits_for(Modulation m) {
  switch (m) {
    case Modulation::bpsk: return 1;
    case Modulation::qpsk: return 2;
    case Modulation::qam16: return 4;
    case Modulation::qam64: return 6;
    case Modulation::qam256: return 8;
  }
  return 0;
}

// 38.211's nested form for one dimension, e.g. 64-QAM: (1-2b0)[4 - (1-2b2)[2 - (1-2b4)]], unnormalized.
// `label` holds that dimension's bits, first bit in the MSB.
double pam_amplitude(int label, int nbits) {
  auto sgn = [&](int j) { return 1.0 - 2.0 * ((label >> (nbits - 1 - j)) & 1); };
  double inner = 1.0;
  for (int j = nbits - 1; j >= 1; --j) inner = std::ldexp(1.0, nbits - j) - sgn(j) * inner;
  return sgn(0) * inner;
}

}  // namespace

Constellation::Constellation(Modulation mod) : mod_(mod), m_(bits_for(mod)) {
  const int M = 1 << m_;
  points_.resize(M);
  if (mod == Modulation::bpsk) {
    bits_per_dim_ = 1;
    pam_levels_ = {1.0, -1.0};
    points_ = {cdouble(1.0, 0.0), cdouble(-1.0, 0.0)};
  } else {
    bits_per_dim_ = m_ / 2;
    const int L = 1 << bits_per_dim_;
    // E|s|^2 = 2 * mean(a^2) over the L levels {±1, ±3, ...} = 2 (L^2 - 1) / 3.
    const double norm = 1.0 / std::sqrt(2.0 * (L * L - 1) / 3.0);
    pam_levels_.resize(L);
    for (int k = 0; k < L; ++k) pam_levels_[k] = norm * pam_amplitude(k, bits_per_dim_);
    for (int s = 0; s < M; ++s) {
      int re = 0, im = 0;
      for (int j = 0; j < m_; ++j) {
        int b = bit(s, j);
        if (j % 2 == 0) re = (re << 1) | b; else im = (im << 1) | b;
      }
      points_[s] = cdouble(pam_levels_[re], pam_levels_[im]);
    }
  }
  pam_sorted_.resize(pam_levels_.size());
  for (size_t k = 0; k < pam_sorted_.size(); ++k) pam_sorted_[k] = static_cast<int>(k);
  std::sort(pam_sorted_.begin(), pam_sorted_.end(),
            [&](int a, int b) { return pam_levels_[a] < pam_levels_[b]; });
}

int Constellation::index_of(const uint8_t* bits) const {
  int s = 0;
  for (int j = 0; j < m_; ++j) s = (s << 1) | (bits[j] & 1);
  return s;
}

void Constellation::modulate(std::span<const uint8_t> bits, std::span<cfloat> symbols) const {
  if (bits.size() != symbols.size() * static_cast<size_t>(m_))
    throw std::invalid_argument("modulate: bits.size() must equal symbols.size() * bits_per_symbol");
  for (size_t i = 0; i < symbols.size(); ++i) symbols[i] = cfloat(map(bits.data() + i * m_));
}

void Constellation::bits_of(int s, uint8_t* out) const {
  for (int j = 0; j < m_; ++j) out[j] = static_cast<uint8_t>(bit(s, j));
}

int Constellation::pam_index(double v) const {
  // Levels are uniformly spaced: round to the nearest one in sorted order.
  const int L = static_cast<int>(pam_sorted_.size());
  const double lo = pam_levels_[pam_sorted_.front()];
  const double step = L > 1 ? (pam_levels_[pam_sorted_.back()] - lo) / (L - 1) : 1.0;
  double pos = std::nearbyint((v - lo) / step);
  if (!(pos >= 0)) pos = 0;  // also catches NaN
  if (pos > L - 1) pos = L - 1;
  return pam_sorted_[static_cast<int>(pos)];
}

int Constellation::hard_index(cdouble y) const {
  if (is_real()) return pam_index(y.real());
  return compose(pam_index(y.real()), pam_index(y.imag()));
}

int Constellation::compose(int re, int im) const {
  if (is_real()) return re;
  int s = 0;
  for (int j = 0; j < m_; ++j) {
    const int k = j / 2;
    const int b = (j % 2 == 0) ? (re >> (bits_per_dim_ - 1 - k)) & 1 : (im >> (bits_per_dim_ - 1 - k)) & 1;
    s = (s << 1) | b;
  }
  return s;
}

// Max-log LLR of each bit of one PAM dimension: (min_{b=1} (v-a)^2 - min_{b=0} (v-a)^2) * scale.
void Constellation::pam_llr(double v, double scale, double* out_bits, int stride) const {
  const int L = static_cast<int>(pam_levels_.size());
  for (int j = 0; j < bits_per_dim_; ++j) {
    double d0 = std::numeric_limits<double>::infinity(), d1 = d0;
    for (int k = 0; k < L; ++k) {
      const double e = v - pam_levels_[k];
      const double d = e * e;
      if ((k >> (bits_per_dim_ - 1 - j)) & 1) d1 = std::min(d1, d); else d0 = std::min(d0, d);
    }
    double llr = (d1 - d0) * scale;
    if (std::isnan(llr)) llr = 0.0;
    out_bits[j * stride] = std::clamp(llr, -kLlrClip, kLlrClip);
  }
}

void Constellation::llr_maxlog(double re, double var_re, double im, double var_im, double* out) const {
  // ln p = -(v-a)^2 / (2 var) per dimension.
  const double scale_re = 0.5 / std::max(var_re, 1e-300);
  if (is_real()) {
    pam_llr(re, scale_re, out, 1);
    return;
  }
  pam_llr(re, scale_re, out, 2);
  pam_llr(im, 0.5 / std::max(var_im, 1e-300), out + 1, 2);
}

void Constellation::llr_maxlog(cdouble y, double noise_var, double* out) const {
  // Complex noise CN(0, N0) puts N0/2 on each real dimension.
  const double half = 0.5 * std::max(noise_var, 1e-300);
  llr_maxlog(y.real(), half, y.imag(), half, out);
}

}  // namespace mimo
