#pragma once
// The SIMD kernel of the LDPC decoder (ldpc_decoder.hpp), compiled for each Highway target and dispatched at run
// time. Arrays are lane-major: value v of code block (lane) w is at v * lanes + w, lanes = ldpc_kernel_lanes().
#include <cstddef>
#include <cstdint>

namespace mimo {

/// The largest row degree the kernel takes (its per-row state is on the stack); the base graphs' largest is 19.
inline constexpr int kLdpcKernelMaxDegree = 32;

struct LdpcKernelGraph {
  int z = 0;
  int rows = 0;                             // the active row blocks, 0 .. rows - 1
  const std::int32_t* row_start = nullptr;  // rows + 1 entries
  const std::int32_t* col = nullptr;
  const std::int32_t* shift = nullptr;
};

/// Floats per vector of the target the kernel dispatches to: the code blocks decoded side by side.
std::size_t ldpc_kernel_lanes();

/// One layered normalized min-sum iteration over the active rows. posterior: column * Zc + i; messages: row r's
/// at (row_start[r] * Zc + i * degree + entry) for check i of the block. `first`: the blocks' first iteration,
/// which takes every previous message as 0 without reading `messages` (it only writes them).
void ldpc_kernel_iterate(const LdpcKernelGraph& graph, float* posterior, float* messages, float scale, bool first);

/// Per lane, nonzero if the hard decisions (posterior < 0) fail some active check, zero if they satisfy all.
/// On entry, `unsatisfied` marks (nonzero) the lanes whose answer is not needed; they come back nonzero.
void ldpc_kernel_unsatisfied(const LdpcKernelGraph& graph, const float* posterior, std::uint32_t* unsatisfied);

}  // namespace mimo
