#pragma once
// The trained transformer as a mimo Detector: `transformer:model.pt` (or `transformer:model=model.pt`), with
// optional `device=cuda` and `batch=N` (channel uses per forward pass, default 4096). Hard decisions are the
// final block's most likely points; LLRs are max-log over its logits (positive favours bit 0), clipped at
// +-clip (default 20). `beam=K` (a model trained with --subproblems) runs the beam search of search.hpp instead.
#include <memory>
#include <mutex>

#include "detectors/detector.hpp"

namespace mimo::tf {

/// Loads a model file as a detector for `modulation`; throws std::invalid_argument when the file is bad or
/// trained for another modulation.
std::unique_ptr<Detector> make_transformer_detector(const DetectorOptions& options, Modulation modulation);

}  // namespace mimo::tf
