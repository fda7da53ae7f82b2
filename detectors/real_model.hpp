#pragma once
// The real-valued form of y = Hx + n that tree searches and EP work on. For QAM (two Gray PAMs per symbol)
// unknown j < Nt is Re x_j and unknown Nt + j is Im x_j:
//   [Re y]   [Re H  -Im H] [Re x]
//   [Im y] = [Im H   Re H] [Im x] + noise,  noise variance N0/2 per real dimension.
// For real BPSK the unknowns are x itself: [Re y; Im y] = [Re H; Im H] x + noise.
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"

namespace mimo {

struct RealSystem {
  size_t rows = 0, cols = 0;  // 2 Nr, and 2 Nt (QAM) or Nt (BPSK)
  std::vector<double> H;      // rows x cols, column-major
  std::vector<double> y;      // rows

  /// Sizes the scratch for a batch's shape (once per detect_range).
  void shape(const SampleBatch& b, const Constellation& c);
  /// Loads sample i (H_est when the batch carries it).
  void load(const SampleBatch& b, size_t i);
  /// Symbol index of stream t from the PAM labels of all unknowns.
  static int symbol(const Constellation& c, const int* labels, size_t nt, size_t t) {
    return c.is_real() ? labels[t] : c.compose(labels[t], labels[nt + t]);
  }
  /// One symbol bit carried by an unknown: its index in a [Nt][m] bit (or LLR) array and the shift that reads it
  /// from the unknown's PAM label, (label >> shift) & 1.
  struct LabelBit {
    size_t index;
    int shift;
  };
  /// Per unknown, the bits its label decides (as compose(): even bits from the real part, odd from the imaginary).
  static std::vector<std::vector<LabelBit>> label_bits(const Constellation& c, size_t nt);

private:
  bool real_symbols_ = false;
};

/// Sorted QR decomposition (Wuebben et al., 2001): H P = Q R by modified Gram-Schmidt, choosing at each step
/// the remaining column of least norm, so the strongest unknowns sit last and are detected first by a tree
/// search running from the last row up. Needs rows >= cols.
struct SortedQR {
  size_t rows = 0, cols = 0;
  std::vector<double> Q;       // rows x cols, column-major
  std::vector<double> R;       // cols x cols, upper triangular, column-major
  std::vector<size_t> perm;    // position k holds original unknown perm[k]
  std::vector<double> z;       // Q^T y

  /// Reuses the storage of the previous call: no allocation once the shape is fixed.
  void decompose(const RealSystem& s);

private:
  std::vector<double> norms_;  // squared norms of the not yet orthogonalized columns
};

}  // namespace mimo
