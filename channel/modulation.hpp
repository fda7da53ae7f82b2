#pragma once
// Constellations with the bit mapping of 3GPP TS 38.211 section 5.1 (bit b(0) first), unit average energy.
//
// QPSK and the square QAMs of 38.211 are separable: the even bits b(0), b(2), ... pick the real part and
// the odd bits b(1), b(3), ... the imaginary part, each through the same Gray-coded PAM. Hard decisions and
// max-log LLRs therefore run per dimension on a PAM of sqrt(M) levels instead of searching all M points.
//
// LLR sign convention (used everywhere in mimo): LLR(b) = ln P(b = 0 | y) / P(b = 1 | y), so a positive LLR
// favours bit 0 and the hard bit is (LLR < 0). LLR magnitudes are clipped to kLlrClip so they stay finite
// even at noise variance 0.
#include <complex>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mimo {

using cfloat = std::complex<float>;
using cdouble = std::complex<double>;

enum class Modulation { bpsk, qpsk, qam16, qam64, qam256 };

/// Parses "bpsk", "qpsk", "qam16" (also "16qam"), "qam64", "qam256"; throws std::invalid_argument.
Modulation parse_modulation(const std::string& name);
std::string to_string(Modulation m);

inline constexpr double kLlrClip = 1e4;

class Constellation {
public:
  explicit Constellation(Modulation m);

  Modulation modulation() const { return mod_; }
  /// Bits per complex symbol.
  int bits_per_symbol() const { return m_; }
  /// Number of points M = 2^m.
  int size() const { return static_cast<int>(points_.size()); }
  /// True for BPSK: points lie on the real axis.
  bool is_real() const { return mod_ == Modulation::bpsk; }
  /// Point for symbol index s; s's bits, MSB first, are b(0) ... b(m-1).
  const std::vector<cdouble>& points() const { return points_; }
  /// Bit j (0 = b(0)) of the label of point s.
  int bit(int s, int j) const { return (s >> (m_ - 1 - j)) & 1; }

  /// Symbol index of m bits (b(0) first).
  int index_of(const uint8_t* bits) const;
  cdouble map(const uint8_t* bits) const { return points_[index_of(bits)]; }
  /// Maps bits (m per symbol, b(0) first) to symbols; bits.size() must be a multiple of m.
  void modulate(std::span<const uint8_t> bits, std::span<cfloat> symbols) const;

  /// Index of the nearest point (minimum Euclidean distance).
  int hard_index(cdouble y) const;
  cdouble hard_decision(cdouble y) const { return points_[hard_index(y)]; }
  /// Writes the m label bits of symbol index s.
  void bits_of(int s, uint8_t* out) const;

  /// Max-log LLRs of the m bits of one symbol seen as y = s + n, n ~ CN(0, noise_var) (real part only for
  /// BPSK, where the noise on the real axis has variance noise_var / 2). Writes m values to out.
  void llr_maxlog(cdouble y, double noise_var, double* out) const;
  /// The same with separate real-axis noise variances for the two dimensions (var_im unused for BPSK), for
  /// detectors that work on the real-valued model.
  void llr_maxlog(double re, double var_re, double im, double var_im, double* out) const;

  // The per-dimension view (real-valued detectors): QAM is two Gray PAMs; BPSK is one PAM, the real part.
  /// PAM amplitudes by label; the label of a dimension is its bits (b(0), b(2), ... or b(1), b(3), ...), MSB first.
  const std::vector<double>& pam_levels() const { return pam_levels_; }
  int bits_per_dimension() const { return bits_per_dim_; }
  /// Symbol index from the labels of the real and imaginary parts (im_label ignored for BPSK).
  int compose(int re_label, int im_label) const;

private:
  // Per-dimension PAM: level index k (Gray label of the bits in that dimension) -> amplitude.
  int pam_index(double v) const;
  void pam_llr(double v, double scale, double* out_bits, int stride) const;

  Modulation mod_;
  int m_;
  int bits_per_dim_;
  std::vector<cdouble> points_;
  std::vector<double> pam_levels_;   // amplitude of PAM label k
  std::vector<int> pam_sorted_;      // PAM labels sorted by amplitude
};

}  // namespace mimo
