#pragma once
// Exhaustive maximum-likelihood detection: every one of |C|^Nt symbol vectors is scored by ||y - Hx||^2, and
// exact max-log LLRs come from the best candidate with each bit at 0 and at 1. Refuses problems with more than
// `max_candidates` vectors (default 2^20) with a clear error: use `sphere` for exact ML at larger sizes.
#include "detectors/detector.hpp"

namespace mimo {

class MlDetector final : public Detector {
public:
  MlDetector(Modulation modulation, double max_candidates) : Detector(modulation), max_(max_candidates) {}
  std::string name() const override { return "ml"; }
  bool provides_llr() const override { return true; }

protected:
  void check(const SampleBatch& batch) const override;
  void detect_range(const SampleBatch& batch, size_t begin, size_t end, Detection& out) const override;

private:
  double max_;
};

}  // namespace mimo
