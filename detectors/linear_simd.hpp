#pragma once
// The linear detectors (mf, zf, mmse) in float32, vectorized across channel uses: a block of as many channel
// uses as a vector register has float lanes (16 with AVX-512, 8 with AVX2, 4 with NEON) is transposed to
// structure-of-arrays and every step (Gram matrix, matched filter, Cholesky, solve, diagonal of the inverse,
// hard decision, max-log LLRs) runs on all of them at once. Google Highway picks the instruction set at run time.
//
// float32 is exact enough where the Gram matrix is well conditioned. A channel use whose Cholesky pivots fall
// below kRedoPivotRatio of their diagonal (1e-3 let float32 rounding move 0.3% of the LLRs of 8x8 ZF at 40 dB by
// more than 1e-3 relative; 1e-2 keeps them all within it), or whose input or
// output is not finite, is handed back in `redo` for the float64 path (LinearDetector), so that float32 results
// differ from float64 ones only by rounding (tests/detectors/test_linear_simd.cpp bounds it).
#include <cstddef>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "detectors/detector.hpp"

namespace mimo {

enum class LinearKind { mf, zf, mmse };

/// Cholesky pivot / original diagonal below which a channel use is redone in float64 (ZF on square i.i.d.
/// Rayleigh channels: 7% of 8x8, 15% of 16x16; MMSE at those sizes: none up to 20 dB, 7% and 13% at 40 dB).
inline constexpr float kRedoPivotRatio = 1e-2f;

/// Detects samples [begin, end) of b into out (sized; LLRs when out.llr is not empty) and appends to `redo` the
/// samples to detect again in float64.
void linear_detect_simd(LinearKind kind, const Constellation& c, const SampleBatch& b, size_t begin, size_t end,
                        Detection& out, std::vector<size_t>& redo);

}  // namespace mimo
