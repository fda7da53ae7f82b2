#pragma once
// Linear detectors: matched filter, zero forcing and LMMSE, each followed by per-stream hard decisions and
// max-log LLRs computed from the post-equalization SINR.
//
// Degenerate input: a noise variance <= 0 or NaN is treated as 1e-12 (demap.hpp: LLRs saturate at the clip, not
// divide by zero); a singular H^H H is regularized at the Cholesky pivot floor (1e-12 relative to its trace),
// which yields the minimum-norm (pseudo-inverse) behaviour in the limit.
#include "detectors/detector.hpp"

namespace mimo {

class LinearDetector final : public Detector {
public:
  enum class Kind { mf, zf, mmse };
  LinearDetector(Kind kind, Modulation modulation);
  std::string name() const override;
  bool provides_llr() const override { return true; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  Kind kind_;
};

}  // namespace mimo
