#pragma once
// What the detectors share around one channel use: reading it in the complex model, the noise variance they may
// divide by, and demapping an unbiased per-stream estimate to a hard decision and max-log LLRs.
#include <cmath>
#include <complex>
#include <cstddef>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "detectors/detector.hpp"

namespace mimo {

/// Noise variance as detectors use it: positive and finite. A noise variance <= 0 or NaN is treated as 1e-12, so
/// that LLRs saturate at the clip instead of dividing by zero.
inline double usable_noise_var(double n0) { return (n0 > 1e-12 && std::isfinite(n0)) ? n0 : 1e-12; }

/// Copies sample i's channel (H_est when present) into column-major complex<double> scratch.
void load_channel(const SampleBatch& b, size_t i, std::complex<double>* H);
void load_received(const SampleBatch& b, size_t i, std::complex<double>* y);

/// Writes the hard decision and max-log LLRs of stream t of sample i from an unbiased estimate and its
/// effective noise variance.
void decide(const Constellation& c, std::complex<double> estimate, double noise_var, Detection& out, size_t i,
            size_t t);

}  // namespace mimo
