#pragma once
// Which instruction set the SIMD kernels run on: Highway dispatches every kernel to the best target that was
// compiled in and that this CPU supports. Results files and benchmarks record it, because float32 rounding of
// FMA-based kernels can differ between targets (README.md, "Reproducibility").
#include <hwy/highway.h>
#include <hwy/targets.h>

namespace mimo::simd {

inline const char* dispatched_target() {
  const int64_t usable = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(usable & -usable);  // lower bits are the better targets
}

}  // namespace mimo::simd
