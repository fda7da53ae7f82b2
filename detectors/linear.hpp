#pragma once
// Linear detectors: matched filter, zero forcing and LMMSE, each followed by per-stream hard decisions and
// max-log LLRs computed from the post-equalization SINR.
//
// Degenerate input: a noise variance <= 0 or NaN is treated as 1e-12 (so LLRs saturate at the clip instead of
// dividing by zero); a singular H^H H is regularized at the Cholesky pivot floor (1e-12 relative to its trace),
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

/// Noise variance as detectors use it: positive and finite.
inline double usable_noise_var(double n0) { return (n0 > 1e-12 && std::isfinite(n0)) ? n0 : 1e-12; }

/// Copies sample i's channel (H_est when present) into column-major complex<double> scratch.
void load_channel(const SampleBatch& b, size_t i, std::complex<double>* H);
void load_received(const SampleBatch& b, size_t i, std::complex<double>* y);

/// Writes the hard decision and max-log LLRs of stream t of sample i from an unbiased estimate and its
/// effective noise variance.
void decide(const Constellation& c, std::complex<double> estimate, double noise_var, Detection& out, size_t i,
            size_t t);

}  // namespace mimo
