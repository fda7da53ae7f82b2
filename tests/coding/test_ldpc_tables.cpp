// The compiled 5G NR LDPC tables (coding/ldpc_tables.cpp) against TS 38.212: the CSV transcription of Tables
// 5.3.2-2 and 5.3.2-3 where it exists (read here on its own), entries copied from the spec's text, Table 5.3.2-1
// written out again, and the shape 5.3.2 describes (sizes, entry counts, the extension's identity diagonal).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "coding/ldpc_tables.hpp"

#ifndef MIMO_STANDARDS_DIR
#define MIMO_STANDARDS_DIR ""
#endif

namespace {

using Shifts = std::array<int, 8>;
using Entries = std::map<std::pair<int, int>, Shifts>;

Entries compiled(int bg) {
  Entries out;
  for (const auto& e : mimo::ldpc_base_graph(bg).entries) {
    Shifts s{};
    for (int i = 0; i < 8; ++i) s[i] = e.shift[i];
    out[{e.row, e.col}] = s;
  }
  return out;
}

// The CSV transcription: `row,col,shift_ils0..7` after a header line.
Entries read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  Entries out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string field;
    std::vector<int> v;
    while (std::getline(ss, field, ',')) v.push_back(std::stoi(field));
    EXPECT_EQ(v.size(), 10u) << line;
    Shifts s{};
    for (int i = 0; i < 8; ++i) s[i] = v[2 + i];
    out[{v[0], v[1]}] = s;
  }
  return out;
}

TEST(LdpcTables, AgreeWithTheSharedTranscription) {
  for (int bg : {1, 2}) {
    const std::filesystem::path csv =
        std::filesystem::path(MIMO_STANDARDS_DIR) / ("ts38212_ldpc_bg" + std::to_string(bg) + ".csv");
    if (!std::filesystem::exists(csv)) GTEST_SKIP() << csv << " is not here (a clean clone)";
    EXPECT_EQ(compiled(bg), read_csv(csv)) << "regenerate coding/ldpc_tables.cpp with scripts/ldpc_tables.py";
  }
}

TEST(LdpcTables, SizesAndEntryCounts) {
  const auto& bg1 = mimo::ldpc_base_graph(1);
  EXPECT_EQ(bg1.rows, 46);
  EXPECT_EQ(bg1.cols, 68);
  EXPECT_EQ(bg1.info_cols, 22);
  EXPECT_EQ(bg1.entries.size(), 316u);
  const auto& bg2 = mimo::ldpc_base_graph(2);
  EXPECT_EQ(bg2.rows, 42);
  EXPECT_EQ(bg2.cols, 52);
  EXPECT_EQ(bg2.info_cols, 10);
  EXPECT_EQ(bg2.entries.size(), 197u);
  EXPECT_THROW(mimo::ldpc_base_graph(3), std::invalid_argument);
  EXPECT_THROW(mimo::ldpc_base_graph(0), std::invalid_argument);
}

TEST(LdpcTables, RowsThenColumnsAscending) {
  for (int bg : {1, 2}) {
    const auto entries = mimo::ldpc_base_graph(bg).entries;
    for (std::size_t i = 1; i < entries.size(); ++i)
      ASSERT_TRUE(std::pair(entries[i - 1].row, entries[i - 1].col) < std::pair(entries[i].row, entries[i].col))
          << "base graph " << bg << ", entry " << i;
  }
}

// Entries as printed in Tables 5.3.2-2 and 5.3.2-3, iLS = 0..7.
TEST(LdpcTables, EntriesFromTheSpecText) {
  const Entries bg1 = compiled(1), bg2 = compiled(2);
  EXPECT_EQ(bg1.at({0, 0}), (Shifts{250, 307, 73, 223, 211, 294, 0, 135}));
  EXPECT_EQ(bg1.at({0, 22}), (Shifts{1, 1, 1, 1, 1, 1, 0, 1}));
  EXPECT_EQ(bg1.at({1, 22}), (Shifts{0, 0, 0, 0, 0, 0, 105, 0}));
  EXPECT_EQ(bg1.at({3, 22}), (Shifts{1, 1, 1, 1, 1, 1, 0, 1}));
  EXPECT_EQ(bg1.at({45, 1}), (Shifts{149, 135, 101, 184, 168, 82, 181, 177}));
  EXPECT_EQ(bg1.at({45, 10}), (Shifts{167, 15, 126, 29, 144, 235, 153, 93}));
  EXPECT_EQ(bg2.at({0, 0}), (Shifts{9, 174, 0, 72, 3, 156, 143, 145}));
  EXPECT_EQ(bg2.at({0, 10}), (Shifts{0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(bg2.at({2, 10}), (Shifts{1, 1, 1, 0, 1, 1, 1, 0}));
  EXPECT_EQ(bg2.at({41, 1}), (Shifts{129, 147, 0, 120, 48, 132, 191, 53}));
  EXPECT_EQ(bg2.at({41, 11}), (Shifts{118, 60, 55, 81, 19, 8, 167, 230}));
  EXPECT_EQ(bg1.count({0, 4}), 0u);  // a zero block
  EXPECT_EQ(bg2.count({0, 4}), 0u);
}

// 5.3.2: each row r >= 4 ends in its own parity column info_cols + r with the unshifted identity, and no other
// row touches that column (the extension parity bits are degree 1).
TEST(LdpcTables, ExtensionIsAnIdentityDiagonal) {
  for (int bg : {1, 2}) {
    const auto& g = mimo::ldpc_base_graph(bg);
    const Entries entries = compiled(bg);
    for (int r = 4; r < g.rows; ++r) {
      const auto it = entries.find({r, g.info_cols + r});
      ASSERT_NE(it, entries.end()) << "base graph " << bg << ", row " << r;
      EXPECT_EQ(it->second, Shifts{}) << "base graph " << bg << ", row " << r;
    }
    for (const auto& [at, shifts] : entries)
      if (at.second >= g.info_cols + 4) {
        EXPECT_EQ(at.second, g.info_cols + at.first) << "base graph " << bg;
      }
  }
}

// Table 5.3.2-1 written out.
TEST(LdpcTables, LiftingSizeSets) {
  const std::vector<std::vector<int>> table = {{2, 4, 8, 16, 32, 64, 128, 256}, {3, 6, 12, 24, 48, 96, 192, 384},
                                               {5, 10, 20, 40, 80, 160, 320},   {7, 14, 28, 56, 112, 224},
                                               {9, 18, 36, 72, 144, 288},       {11, 22, 44, 88, 176, 352},
                                               {13, 26, 52, 104, 208},          {15, 30, 60, 120, 240}};
  std::vector<int> all;
  for (int ils = 0; ils < 8; ++ils) {
    const auto set = mimo::ldpc_lifting_set(ils);
    EXPECT_EQ(std::vector<int>(set.begin(), set.end()), table[ils]) << "iLS = " << ils;
    all.insert(all.end(), table[ils].begin(), table[ils].end());
  }
  std::sort(all.begin(), all.end());
  const auto sizes = mimo::ldpc_lifting_sizes();
  EXPECT_EQ(std::vector<int>(sizes.begin(), sizes.end()), all);
  EXPECT_EQ(all.size(), 51u);
  EXPECT_THROW(mimo::ldpc_lifting_set(8), std::invalid_argument);
}

// The spec's values are below the largest Z of their set, so V mod Z differs from V only for smaller Z.
TEST(LdpcTables, ShiftsBelowTheLargestLiftingSizeOfTheirSet) {
  for (int bg : {1, 2})
    for (const auto& e : mimo::ldpc_base_graph(bg).entries)
      for (int ils = 0; ils < 8; ++ils) ASSERT_LT(e.shift[ils], mimo::ldpc_lifting_set(ils).back());
}

}  // namespace
