#pragma once
// The linear detectors (mf, zf, mmse) in float32, vectorized across channel uses: a block of as many channel
// uses as a vector register has float lanes (16 with AVX-512, 8 with AVX2, 4 with NEON) is transposed to
// structure-of-arrays and every step (Gram matrix, matched filter, Cholesky, solve, diagonal of the inverse,
// hard decision, max-log LLRs) runs on all of them at once. Google Highway picks the instruction set at run time.
//
// float32 is exact enough where the Gram matrix is well conditioned. A channel use whose Cholesky pivots fall
// below kRedoPivotRatio of their diagonal (1e-3 let float32 rounding move 0.3% of the LLRs of 8x8 ZF at 40 dB by
// more than 1e-3 relative; 1e-2 keeps them all within it), whose conditioning fails kRedoConditionRatio, or
// whose input or output is not finite, is handed back in `redo` for the float64 path (LinearDetector), so that float32 results
// differ from float64 ones only by rounding (tests/detectors/test_linear_simd.cpp bounds it).
#include <cstddef>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "detectors/detector.hpp"

namespace mimo {

enum class LinearKind { mf, zf, mmse };

/// Cholesky pivot / original diagonal below which a channel use is redone in float64.
inline constexpr float kRedoPivotRatio = 1e-2f;
/// 1 / max_t G_tt [G^-1]_tt below which a channel use is redone in float64: the pivots bound only the leading
/// submatrices; this bounds the whole matrix's condition. With both, ZF on square i.i.d. Rayleigh channels redoes
/// 9% of 8x8 and 19% of 16x16 uses, MMSE none at 8x8 20 dB, 8% and 17% at 40 dB. 1e-2 here would keep every
/// LLR of 64x64 QAM16 at 40 dB within 1e-3 of float64 but redo 97% of them; 1e-3 left 3.7% of those beyond it
/// and 0.5% of 16x16 QAM64's at 40 dB; 3e-3 leaves 1.1% and 0.24%, all within 5e-2 (README.md).
inline constexpr float kRedoConditionRatio = 3e-3f;

/// Detects samples [begin, end) of b into out (sized; LLRs when out.llr is not empty) and appends to `redo` the
/// samples to detect again in float64.
void linear_detect_simd(LinearKind kind, const Constellation& c, const SampleBatch& b, size_t begin, size_t end,
                        Detection& out, std::vector<size_t>& redo);

}  // namespace mimo
