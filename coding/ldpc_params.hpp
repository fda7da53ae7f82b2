#pragma once
// The parameters of one 5G NR LDPC code block (3GPP TS 38.212): which base graph (section 7.2.2), Kb, the lifting
// size Zc and the filler bits (section 5.2.2), and the encoder's output length N (section 5.3.2).
//
// Scope: one code block of K information bits, without the transport block CRC (7.2.1), code block segmentation
// or the code block CRC (5.2.2). K therefore plays both the spec's payload A (in the base graph choice of 7.2.2)
// and its K' = B (the bits of the one code block, before filler bits), and K above the largest code block of
// the chosen graph (8448 for base graph 1, 3840 for base graph 2) is refused rather than segmented.
#include <cstdint>

namespace mimo {

struct LdpcParams {
  int k = 0;           // information bits per code block (the spec's A, and K' since there is no CRC)
  int e = 0;           // rate-matched bits per code block (the spec's E; the code rate is R = k / e)
  int base_graph = 0;  // 1 or 2
  int kb = 0;          // Kb (5.2.2): 22 for base graph 1; 10, 9, 8 or 6 for base graph 2 by K
  int z = 0;           // the lifting size Zc: the smallest of Table 5.3.2-1 with Kb * Zc >= K
  int ils = 0;         // the set of Table 5.3.2-1 that holds Zc: selects the shift values V(i,j)
  int info_cols = 0;   // 22 or 10: the spec's K = info_cols * Zc systematic bits (information and filler)
  int rows = 0;        // 46 or 42 check blocks
  int filler = 0;      // F = info_cols * Zc - K filler bits, at the end of the systematic bits
  int n = 0;           // N = 66 Zc or 50 Zc encoder output bits (the first 2 Zc systematic bits punctured)

  int lifted_length() const { return n + 2 * z; }  // 68 Zc or 52 Zc: every column of the lifted matrix
};

/// Table 5.3.2-1: the set iLS = 0..7 that holds lifting size z; throws std::invalid_argument if z is not one.
int ldpc_lifting_set_index(int z);

/// The code for k information bits sent as e bits. Base graph 2 if k <= 292, or k <= 3824 and R <= 0.67, or
/// R <= 0.25 (R = k / e, compared exactly in integers); else base graph 1. Then Kb, Zc, iLS, F and N as above.
/// base_graph 1 or 2 overrides 7.2.2's choice (0: choose), e.g. to test base graph 1 at sizes 7.2.2 never
/// gives it. Throws std::invalid_argument (one line naming the rule and the value) when k < 1, e < k (a rate
/// above 1), e above 2^26, base_graph not 0, 1 or 2, or k beyond the graph's largest code block.
LdpcParams ldpc_params(int k, int e, int base_graph = 0);

}  // namespace mimo
