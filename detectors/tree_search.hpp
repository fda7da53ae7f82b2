#pragma once
// Tree searches on the sorted-QR real-valued model (real_model.hpp): the distance ||y - Hx||^2 splits into
// per-level terms of ||z - R x||^2, searched from the last row up.
//
// `sphere`: Schnorr-Euchner depth-first sphere decoder: children visited in order of distance from their
// centre, the radius shrinking to each new leaf; the first leaf is the Babai (SIC) point, and the result is the
// exact ML decision. `kbest:k=K`: breadth-first, keeping the K best partial paths per level (ML when
// K >= |C|^Nt). Both need Nr >= Nt (BPSK: 2 Nr >= Nt). K-best also gives max-log LLRs over its final list
// (list sphere decoding, Hochwald and ten Brink 2003): a bit whose other value no survivor has takes the worst
// survivor's metric (or the lowest a dropped path can have, if larger) for it, and every LLR is clipped at +-clip.
// `sphere:soft=1` gives exact max-log LLRs clipped at +-clip by a single tree search (Studer, Burg and
// Boelcskei 2008): besides the ML metric it keeps, per bit, the best metric with the other bit value, and prunes
// a node only when no leaf below it can improve the ML metric or any counter-hypothesis it could touch.
#include <atomic>
#include <vector>

#include "detectors/detector.hpp"
#include "detectors/real_model.hpp"

namespace mimo {

class SphereDetector final : public Detector {
public:
  static constexpr double kDefaultClip = 20.0;
  explicit SphereDetector(Modulation modulation, bool soft = false, double clip = kDefaultClip)
      : Detector(modulation), soft_(soft), clip_(clip) {}
  std::string name() const override;
  bool provides_llr() const override { return soft_; }
  /// Tree nodes visited (children whose partial distance was computed) since construction, over all calls.
  uint64_t visited_nodes() const { return visited_.load(); }
  uint64_t searches() const { return searches_.load(); }

protected:
  void check(const SampleBatch& batch) const override;
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  bool soft_;
  double clip_;
  mutable std::atomic<uint64_t> visited_{0}, searches_{0};
};

class KBestDetector final : public Detector {
public:
  static constexpr double kDefaultClip = 20.0;
  KBestDetector(Modulation modulation, size_t k, double clip = kDefaultClip)
      : Detector(modulation), k_(k), clip_(clip) {}
  std::string name() const override;
  bool provides_llr() const override { return true; }

protected:
  void check(const SampleBatch& batch) const override;
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  using LabelBits = std::vector<std::vector<RealSystem::LabelBit>>;
  void write_list_llrs(const SortedQR& qr, const int* paths, const double* dist, size_t alive, double missing,
                       double noise_var, const LabelBits& bits, std::vector<double>& best_label, float* llr) const;
  size_t k_;
  double clip_;
};

/// Throws std::invalid_argument when the real-valued model has more unknowns than observations.
void require_determined(const std::string& detector, const SampleBatch& batch, const Constellation& c);

}  // namespace mimo
