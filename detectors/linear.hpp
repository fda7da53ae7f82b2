#pragma once
// Linear detectors: matched filter, zero forcing and LMMSE, each followed by per-stream hard decisions and
// max-log LLRs computed from the post-equalization SINR.
//
// Precision: by default float32 SIMD kernels across channel uses (linear_simd.hpp) with the float64 path for the
// channel uses float32 cannot resolve; `precision=64` (e.g. "mmse:precision=64") runs everything in float64.
//
// Degenerate input: a noise variance <= 0 or NaN is treated as 1e-12 (demap.hpp: LLRs saturate at the clip, not
// divide by zero); a singular H^H H is regularized at the Cholesky pivot floor (1e-12 relative to its trace),
// which yields the minimum-norm (pseudo-inverse) behaviour in the limit.
#include "detectors/detector.hpp"
#include "detectors/linear_simd.hpp"

namespace mimo {

class LinearDetector final : public Detector {
public:
  using Kind = LinearKind;
  LinearDetector(Kind kind, Modulation modulation, int precision = 32);
  std::string name() const override;
  bool provides_llr() const override { return true; }

protected:
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  Kind kind_;
  int precision_;
};

}  // namespace mimo
