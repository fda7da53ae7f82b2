#pragma once
// The 5G NR LDPC base graphs of 3GPP TS 38.212 (V15 onwards) section 5.3.2, Table 5.3.2-2 (base graph 1) and
// Table 5.3.2-3 (base graph 2), and the lifting sizes of Table 5.3.2-1, as tabulated there. The numbers live in
// ldpc_tables.cpp, which scripts/ldpc_tables.py generates from ts38212_ldpc_bg1.csv and ts38212_ldpc_bg2.csv
// (the project's shared transcription of the standard, absent from a clean clone), so a build never needs the
// CSV files; tests/coding/test_ldpc_tables.cpp checks the two agree wherever the CSV files are present.
#include <array>
#include <cstdint>
#include <span>

namespace mimo {

/// One non-zero entry of a base graph: row i, column j (0-based, as in the spec) and V(i,j) for each
/// lifting-size set iLS = 0..7. The lifted matrix replaces the entry by the Z x Z identity cyclically shifted to
/// the right by V(i,j) mod Z, Z being a lifting size of set iLS (5.3.2); every other entry by the zero matrix.
struct LdpcBaseGraphEntry {
  std::uint8_t row;
  std::uint8_t col;
  std::array<std::uint16_t, 8> shift;
};

/// One base graph: its size and entries, rows ascending and columns ascending within a row.
struct LdpcBaseGraph {
  int number;     // 1 or 2
  int rows;       // 46 or 42 (check blocks)
  int cols;       // 68 or 52 (variable blocks)
  int info_cols;  // 22 or 10: the systematic columns, K = info_cols * Z bits with the filler bits
  std::span<const LdpcBaseGraphEntry> entries;
};

/// Base graph 1 or 2; throws std::invalid_argument for any other number.
const LdpcBaseGraph& ldpc_base_graph(int number);

/// Table 5.3.2-1: the lifting sizes of set iLS = 0..7, ascending (throws std::invalid_argument otherwise).
std::span<const int> ldpc_lifting_set(int ils);

/// All 51 lifting sizes of Table 5.3.2-1, ascending (2 ... 384).
std::span<const int> ldpc_lifting_sizes();

}  // namespace mimo
