#pragma once
// One 5G NR LDPC code (3GPP TS 38.212): encoding (5.3.2), rate matching for redundancy version 0 (5.4.2.1 bit
// selection, 5.4.2.2 bit interleaving) and its inverse for LLRs, and decoding (ldpc_decoder.hpp).
//
// Bits are one per byte, 0 or 1. LLRs follow the project's convention, LLR(b) = ln P(b=0) / P(b=1): positive
// favours bit 0, the hard decision is LLR < 0. Positions of the lifted codeword (the 68 Zc or 52 Zc columns of
// the lifted matrix, "lifted" below) are column * Zc + row-in-block: systematic bits c_0 .. c_{K-1}, the filler
// bits up to info_cols * Zc, then the 4 Zc core parity bits and the extension parity bits w (5.3.2 writes the
// codeword as c then w, and H [c w]^T = 0).
//
// Not implemented: CRC attachment, code block segmentation (ldpc_params.hpp), redundancy versions other than 0
// (k0 = 0), limited-buffer rate matching (Ncb = N always), and code block concatenation.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "coding/ldpc_params.hpp"

namespace mimo {

/// The LLR rate recovery gives filler bits, which are known to be 0 and never sent: far above any channel LLR
/// (the detectors clip theirs to +-1e4) so that no check ever takes one for the least reliable of its bits, yet
/// small enough that float sums with it stay exact to within the messages' size.
inline constexpr float kLdpcKnownZeroLlr = 1e6f;

/// The lifted parity-check matrix of one code as the encoder and decoder walk it: row block r has the entries
/// row_start[r] .. row_start[r + 1] - 1, each a column block and a right cyclic shift of the identity in 0..Zc-1
/// (V(i,j) mod Zc), columns ascending.
struct LdpcLiftedGraph {
  int z = 0;
  int rows = 0;
  std::vector<std::int32_t> row_start;
  std::vector<std::int32_t> col;
  std::vector<std::int32_t> shift;

  int row_degree(int r) const { return row_start[r + 1] - row_start[r]; }
};

struct LdpcDecoderOptions;
struct LdpcDecodeStats;

class LdpcCode {
public:
  /// The code for k information bits sent as e bits (ldpc_params), e a multiple of the modulation order qm
  /// (bits per symbol: 1, 2, 4, 6 or 8; 5.4.2.2 interleaves the bits across a symbol's bit positions).
  /// Throws std::invalid_argument, one line, for parameters ldpc_params refuses or a bad qm.
  LdpcCode(int k, int e, int qm = 1);
  /// The code of ldpc_params(params.k, params.e, params.base_graph), e.g. with a base graph of one's choosing
  /// (the other fields are derived again, so they cannot disagree).
  explicit LdpcCode(const LdpcParams& params, int qm = 1);

  const LdpcParams& params() const { return p_; }
  int k() const { return p_.k; }
  int e() const { return p_.e; }
  int qm() const { return qm_; }
  int n() const { return p_.n; }
  int lifted_length() const { return p_.lifted_length(); }
  const LdpcLiftedGraph& graph() const { return graph_; }

  /// Row blocks the transmitted bits reach: the 4 core rows and each extension row whose parity column holds at
  /// least one of the e bits sent. The other rows only check an extension parity block that is never sent (an
  /// erased degree-1 variable), so they tell the decoder nothing and neither it nor encode() computes them.
  int active_rows() const { return active_rows_; }

  /// For each of the e output bits (after interleaving), the lifted position it carries; never a filler bit or
  /// one of the first 2 Zc systematic bits (punctured).
  std::span<const std::uint32_t> transmitted_positions() const { return tx_; }

  /// 5.3.2 in full: the lifted codeword (lifted_length() bits), information bits then filler bits (0) then
  /// every parity bit, so that H times it is 0.
  void encode_lifted(const std::uint8_t* info, std::uint8_t* lifted) const;

  /// 5.3.2's output d: the n() bits of the lifted codeword after the first 2 Zc (punctured); filler bits are 0.
  void encode_codeword(const std::uint8_t* info, std::uint8_t* d) const;

  /// 5.4.2.1 bit selection (k0 = 0, Ncb = N, skipping filler bits, wrapping round the circular buffer when e
  /// exceeds N - F) and the 5.4.2.2 bit interleaver: e() bits f from the n() bits d of encode_codeword.
  void rate_match(const std::uint8_t* d, std::uint8_t* f) const;

  /// encode_codeword then rate_match, computing only the parity blocks the e bits reach: k() bits in, e() out.
  void encode(const std::uint8_t* info, std::uint8_t* f) const;

  /// The inverse for LLRs: e() channel LLRs (interleaved order, as sent) to lifted_length() LLRs. Positions sent
  /// more than once get the sum of their LLRs; punctured and unsent positions 0; filler bits kLdpcKnownZeroLlr.
  void rate_recover(const float* llr, float* lifted_llr) const;

  /// Decodes `count` code blocks of e() LLRs each (llr[i * e() + t]) into k() hard bits each (info[i * k() + j])
  /// and whether the final hard decisions satisfy every parity check of the active rows (ok[i]; may be null).
  /// Convenience for LdpcDecoder(*this, options).decode(...), which keeps its work space between calls.
  LdpcDecodeStats decode(const float* llr, std::size_t count, std::uint8_t* info, bool* ok,
                         const LdpcDecoderOptions& options) const;
  LdpcDecodeStats decode(const float* llr, std::size_t count, std::uint8_t* info, bool* ok = nullptr) const;

private:
  // Solving for the core parity blocks (5.3.2's dual-diagonal structure, read from the table at construction):
  // summing the 4 core rows cancels core columns 1..3 (each appears twice with equal shifts) and leaves column 0
  // with one shift, so p0 = P^-1 (sum of the 4 rows' systematic parts); each step then solves one core row for
  // its one unknown block.
  struct CoreStep {
    int row;    // the core row solved (0..3)
    int entry;  // its entry of the unknown block
  };

  void build_graph();
  void build_core_schedule();
  void build_rate_matching();
  void encode_rows(const std::uint8_t* info, std::uint8_t* lifted, int rows) const;

  LdpcParams p_;
  int qm_ = 1;
  LdpcLiftedGraph graph_;
  int active_rows_ = 0;
  int p0_shift_ = 0;  // the one shift of core column 0 that survives the sum of the core rows
  std::vector<CoreStep> core_steps_;
  std::vector<int> ext_entry_;  // per row >= 4: its entry in its own extension parity column
  std::vector<std::uint32_t> tx_;
};

}  // namespace mimo
