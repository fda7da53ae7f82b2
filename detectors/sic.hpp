#pragma once
// Ordered MMSE successive interference cancellation (V-BLAST ordering): at each step the remaining stream
// with the highest post-MMSE SINR is decided, its contribution subtracted from y, and the LMMSE filter
// recomputed for the streams left. LLRs are the max-log LLRs of each stream's unbiased MMSE estimate at the
// step it was decided (error propagation is not modelled). Degenerate input as for `mmse` (linear.hpp).
// Precision as for `mmse`: float32 SIMD across channel uses (sic_simd.hpp) by default, `sic:precision=64` for
// float64 throughout.
#include "detectors/detector.hpp"

namespace mimo {

class SicDetector final : public Detector {
public:
  explicit SicDetector(Modulation modulation, int precision = 32);
  std::string name() const override { return precision_ == 32 ? "sic" : "sic:precision=64"; }
  bool provides_llr() const override { return true; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  int precision_;
};

}  // namespace mimo
