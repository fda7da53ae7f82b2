#include "coding/ldpc_decoder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "coding/ldpc_decoder_kernel.hpp"

namespace mimo {

LdpcDecoder::LdpcDecoder(const LdpcCode& code, LdpcDecoderOptions options)
    : code_(&code), options_(options), lanes_(ldpc_kernel_lanes()) {
  if (options.iterations < 0)
    throw std::invalid_argument(
        "LDPC decoder: iterations must be at least 0 (iterations = " + std::to_string(options.iterations) + ")");
  if (!(options.scale > 0.0f && options.scale <= 1.0f))
    throw std::invalid_argument(
        "LDPC decoder: the min-sum scale must be in (0, 1] (scale = " + std::to_string(options.scale) + ")");
  const LdpcLiftedGraph& g = code.graph();
  const int rows = code.active_rows();
  active_cols_ = code.params().info_cols + rows;  // extension row r owns column info_cols + r
  for (int r = 0; r < rows; ++r)
    if (g.row_degree(r) > kLdpcKernelMaxDegree)
      throw std::logic_error("LDPC decoder: row " + std::to_string(r) + " has more than " +
                             std::to_string(kLdpcKernelMaxDegree) + " entries");
  const std::size_t z = static_cast<std::size_t>(g.z);
  posterior_.resize(active_cols_ * z * lanes_);
  messages_.resize(static_cast<std::size_t>(g.row_start[rows]) * z * lanes_);
  unsatisfied_.resize(lanes_);
}

// The group's channel LLRs into the lane-major posteriors (rate recovery, LdpcCode::rate_recover, for every lane
// at once). Lanes past `lanes_used` hold the all-zero codeword, which every check accepts. The check messages
// start at 0 without being cleared: the kernel's first iteration does not read them.
void LdpcDecoder::load(const float* llr, std::size_t lanes_used) {
  const LdpcParams& p = code_->params();
  const std::size_t e = static_cast<std::size_t>(p.e);
  std::fill(posterior_.begin(), posterior_.end(), 0.0f);
  const auto positions = code_->transmitted_positions();
  for (std::size_t w = 0; w < lanes_used; ++w) {
    const float* in = llr + w * e;
    for (std::size_t t = 0; t < e; ++t) posterior_[positions[t] * lanes_ + w] += in[t];
  }
  for (std::size_t w = lanes_used; w < lanes_; ++w)
    for (std::size_t v = 0; v < posterior_.size() / lanes_; ++v) posterior_[v * lanes_ + w] = kLdpcKnownZeroLlr;
  const std::size_t filler_end = static_cast<std::size_t>(p.info_cols) * p.z;
  for (std::size_t v = static_cast<std::size_t>(p.k); v < filler_end; ++v)
    std::fill_n(posterior_.begin() + v * lanes_, lanes_, kLdpcKnownZeroLlr);
}

void LdpcDecoder::write_decisions(std::size_t lane, std::uint8_t* info) const {
  const int k = code_->k();
  for (int j = 0; j < k; ++j) info[j] = posterior_[j * lanes_ + lane] < 0.0f;
}

LdpcDecodeStats LdpcDecoder::decode(const float* llr, std::size_t count, std::uint8_t* info, bool* ok) {
  const LdpcLiftedGraph& g = code_->graph();
  const LdpcKernelGraph kernel{g.z, code_->active_rows(), g.row_start.data(), g.col.data(), g.shift.data()};
  const std::size_t e = static_cast<std::size_t>(code_->e()), k = static_cast<std::size_t>(code_->k());
  LdpcDecodeStats stats;
  stats.blocks = count;
  std::vector<bool> done(lanes_);
  for (std::size_t first = 0; first < count; first += lanes_) {
    const std::size_t used = std::min(lanes_, count - first);
    load(llr + first * e, used);
    std::fill(done.begin(), done.end(), false);
    std::size_t remaining = used;
    // Decisions are checked before the first iteration too (with early stopping): a block the channel already
    // delivered as a codeword is final after 0 iterations.
    for (int iteration = 0;; ++iteration) {
      const bool last = iteration == options_.iterations;
      if (options_.early_stop || last) {
        for (std::size_t w = 0; w < lanes_; ++w) unsatisfied_[w] = w >= used || done[w];
        ldpc_kernel_unsatisfied(kernel, posterior_.data(), unsatisfied_.data());
        for (std::size_t w = 0; w < used; ++w) {
          if (done[w] || (unsatisfied_[w] != 0 && !last)) continue;
          write_decisions(w, info + (first + w) * k);
          if (ok) ok[first + w] = unsatisfied_[w] == 0;
          stats.satisfied += unsatisfied_[w] == 0;
          stats.iterations += static_cast<std::size_t>(iteration);
          done[w] = true;
          --remaining;
        }
      }
      if (remaining == 0 || last) break;
      ldpc_kernel_iterate(kernel, posterior_.data(), messages_.data(), options_.scale, iteration == 0);
      ++stats.group_iterations;
    }
    ++stats.groups;
  }
  return stats;
}

}  // namespace mimo
