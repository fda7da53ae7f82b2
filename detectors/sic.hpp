#pragma once
// Ordered MMSE successive interference cancellation (V-BLAST ordering): at each step the remaining stream
// with the highest post-MMSE SINR is decided, its contribution subtracted from y, and the LMMSE filter
// recomputed for the streams left. LLRs are the max-log LLRs of each stream's unbiased MMSE estimate at the
// step it was decided (error propagation is not modelled). Degenerate input as for `mmse` (linear.hpp).
#include "detectors/detector.hpp"

namespace mimo {

class SicDetector final : public Detector {
public:
  explicit SicDetector(Modulation modulation) : Detector(modulation) {}
  std::string name() const override { return "sic"; }
  bool provides_llr() const override { return true; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;
};

}  // namespace mimo
