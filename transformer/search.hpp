#pragma once
// Beam search with the transformer as the branch model: the network gives p(x_k | y, x_F) for every stream k
// not yet fixed, given the streams F already fixed (cancelled from y, their columns removed: a smaller MIMO
// problem at the same noise, which `mimo train --subproblems` teaches it). Each level fixes one more stream per
// hypothesis -- the free stream the network is most sure of -- to each of its most likely symbols, and keeps the
// `beam` hypotheses of highest chain-rule log-probability sum_t log p(x_t | y, x_<t).
//
// One pass of the network per hypothesis and level also completes that hypothesis with the network's most
// likely symbols of its free streams; all these complete vectors, and at the last level every symbol of the one
// stream left (no network pass needed), form a candidate list. The answer is the
// candidate of least ||y - Hx||^2, the exact ML metric, and the LLRs are max-log over the list like K-best's:
// a bit value no candidate has takes the worst candidate's metric, and all are clipped at +-clip.
#include <torch/torch.h>

#include "transformer/model.hpp"

namespace mimo::tf {

struct SearchResult {
  torch::Tensor labels;  // [B, Nt] int64, the chosen candidate's symbol indices
  torch::Tensor llr;     // [B, Nt, m] float64, max-log over the candidate list, positive favours bit 0
};

/// The subproblems of hypotheses `labels` [B, K, Nt] (symbol indices, -1 = free; every hypothesis with the same
/// number of free streams F >= 1) of `batch` [B]: per hypothesis, y minus the fixed streams' contribution and
/// the channel columns of the free streams only, as B * K problems of F streams; `streams` [B * K, F] names the
/// original stream of each (in increasing order).
struct Subproblems {
  MimoTensors problem;
  torch::Tensor streams;
};
Subproblems cancel_fixed(const MimoTensors& batch, const torch::Tensor& labels, Modulation modulation);

/// Hypotheses [B, K, Nt] (symbol indices, -1 = free) and their log-probabilities [B, K].
struct Beam {
  torch::Tensor labels, score;
};
/// One level: each hypothesis branches on its surest free stream (`logp` [B * K, F, M] over the free streams
/// `streams` [B * K, F]) to its min(beam, M) most likely symbols; the `beam` children of highest summed
/// log-probability are kept.
Beam beam_step(const Beam& hypotheses, const torch::Tensor& logp, const torch::Tensor& streams, int64_t beam);

/// Max-log LLRs [B, Nt, m] over candidate lists `list` [B, P, Nt] with metrics ||y - Hx||^2 `d` [B, P] (float64),
/// noise variance `n0` [B] and the label bit table `bits` [M, m] (bool): a bit value no candidate has takes the
/// worst candidate's metric; clipped at +-clip.
torch::Tensor list_llrs(const torch::Tensor& list, const torch::Tensor& d, const torch::Tensor& n0,
                        const torch::Tensor& bits, double clip);

/// About the most memory one channel use takes in beam_search (the list LLRs' float64 [P, Nt, m] tensors over
/// P = 1 + K (Nt - 2) + K M candidates), for sizing batches.
int64_t beam_search_bytes_per_use(int64_t nt, int64_t points, int64_t bits_per_symbol, int64_t beam);

/// `beam` >= 1 hypotheses per level; `batch.mask` must be undefined (every stream is real).
SearchResult beam_search(TransformerDetectorNet& net, const MimoTensors& batch, int64_t beam, double clip);

}  // namespace mimo::tf
