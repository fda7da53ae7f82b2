#pragma once
// Ordered MMSE-SIC in float32 across channel uses (sic_simd.cpp), with the float64 fallback of the linear
// kernels (linear_simd.hpp): channel uses whose Cholesky pivots fall below kRedoPivotRatio of their diagonal, or
// with non-finite values, are appended to `redo` for SicDetector's float64 path.
#include <cstddef>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "detectors/detector.hpp"
#include "detectors/linear_simd.hpp"

namespace mimo {

void sic_detect_simd(const Constellation& c, const SampleBatch& b, size_t begin, size_t end, Detection& out,
                     std::vector<size_t>& redo);

}  // namespace mimo
