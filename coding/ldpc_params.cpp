#include "coding/ldpc_params.hpp"

#include <stdexcept>
#include <string>

#include "coding/ldpc_tables.hpp"

namespace mimo {

namespace {

// The largest code block each graph carries without segmentation (5.2.2: Kcb).
constexpr int kMaxBlockBg1 = 8448;
constexpr int kMaxBlockBg2 = 3840;
// Far beyond any 5G allocation; keeps the rate-matching tables (4 bytes per bit) to a sane size on bad input.
constexpr int kMaxE = 1 << 26;

// 7.2.2, with A = k and R = k / e. The rate thresholds are compared in integers so that a rate given as k and e
// lands on the side of 0.67 and 0.25 that exact arithmetic puts it.
int select_base_graph(int k, int e) {
  const long long kk = k, ee = e;
  const bool rate_at_most_067 = 100 * kk <= 67 * ee;
  const bool rate_at_most_025 = 4 * kk <= ee;
  return (k <= 292 || (k <= 3824 && rate_at_most_067) || rate_at_most_025) ? 2 : 1;
}

// 5.2.2: the number of systematic columns that must hold the information bits.
int select_kb(int base_graph, int k) {
  if (base_graph == 1) return 22;
  if (k > 640) return 10;
  if (k > 560) return 9;
  if (k > 192) return 8;
  return 6;
}

}  // namespace

int ldpc_lifting_set_index(int z) {
  for (int ils = 0; ils < 8; ++ils)
    for (int size : ldpc_lifting_set(ils))
      if (size == z) return ils;
  throw std::invalid_argument("Z = " + std::to_string(z) + " is not a lifting size of TS 38.212 Table 5.3.2-1");
}

LdpcParams ldpc_params(int k, int e, int base_graph) {
  if (k < 1) throw std::invalid_argument("LDPC: K must be at least 1 (K = " + std::to_string(k) + ")");
  if (e < k)
    throw std::invalid_argument("LDPC: E must be at least K, a code rate of at most 1 (K = " + std::to_string(k) +
                                ", E = " + std::to_string(e) + ")");
  if (e > kMaxE)
    throw std::invalid_argument("LDPC: E must be at most " + std::to_string(kMaxE) + " (E = " + std::to_string(e) +
                                ")");
  LdpcParams p;
  p.k = k;
  p.e = e;
  if (base_graph < 0 || base_graph > 2)
    throw std::invalid_argument("LDPC: the base graph must be 1 or 2, or 0 to choose by 38.212 7.2.2 (base graph " +
                                std::to_string(base_graph) + ")");
  p.base_graph = base_graph != 0 ? base_graph : select_base_graph(k, e);
  const int max_block = p.base_graph == 1 ? kMaxBlockBg1 : kMaxBlockBg2;
  if (k > max_block)
    throw std::invalid_argument("LDPC: K = " + std::to_string(k) + " exceeds the " + std::to_string(max_block) +
                                " bits of one base graph " + std::to_string(p.base_graph) + " code block (rate " +
                                std::to_string(static_cast<double>(k) / e) + "; no code block segmentation)");
  const LdpcBaseGraph& graph = ldpc_base_graph(p.base_graph);
  p.kb = select_kb(p.base_graph, k);
  for (int z : ldpc_lifting_sizes())
    if (p.kb * z >= k) {
      p.z = z;
      break;
    }
  p.ils = ldpc_lifting_set_index(p.z);
  p.info_cols = graph.info_cols;
  p.rows = graph.rows;
  p.filler = p.info_cols * p.z - k;
  p.n = (graph.cols - 2) * p.z;
  return p;
}

}  // namespace mimo
