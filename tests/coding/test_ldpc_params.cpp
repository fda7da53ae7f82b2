// LDPC code parameters (coding/ldpc_params.hpp) for cases worked out by hand from TS 38.212 (7.2.2: base graph;
// 5.2.2: Kb, Zc, filler bits; 5.3.2: N), and the spec strings of coding/ldpc_spec.hpp.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "coding/ldpc_params.hpp"
#include "coding/ldpc_spec.hpp"

namespace {

struct Expected {
  int k, e;
  int bg, kb, z, ils, filler, n;
  const char* why;  // the rule that decides, as worked out
};

// Each row by hand: 7.2.2 picks base graph 2 if K <= 292, or K <= 3824 and R <= 0.67, or R <= 0.25 (R = K / E);
// 5.2.2: Kb = 22 (BG1) or 10 / 9 / 8 / 6 for K > 640 / > 560 / > 192 / else; Zc the smallest lifting size with
// Kb Zc >= K; F = 22 Zc - K or 10 Zc - K; N = 66 Zc or 50 Zc.
const std::vector<Expected> kCases = {
    {100, 112, 2, 6, 18, 4, 80, 900, "K <= 292 at R 0.89; 6 Z >= 100 -> 18"},
    {292, 320, 2, 8, 40, 2, 108, 2000, "K = 292 still BG2; Kb 8; 8 Z >= 292 -> 40"},
    {293, 438, 2, 8, 40, 2, 107, 2000, "R = 0.6689 <= 0.67"},
    {293, 437, 1, 22, 14, 3, 15, 924, "R = 0.6705 > 0.67 and K > 292; 22 Z >= 293 -> 14"},
    {670, 1000, 2, 10, 72, 4, 50, 3600, "R = 0.67 exactly counts as <= 0.67"},
    {670, 999, 1, 22, 32, 0, 34, 2112, "R just above 0.67; 22 Z >= 670 -> 32"},
    {641, 1282, 2, 10, 72, 4, 79, 3600, "K > 640: Kb 10; 10 Z >= 641 -> 72"},
    {640, 1280, 2, 9, 72, 4, 80, 3600, "K = 640: Kb 9; 9 Z >= 640 -> 72"},
    {561, 1122, 2, 9, 64, 0, 79, 3200, "K > 560: Kb 9; 9 Z >= 561 -> 64"},
    {560, 1120, 2, 8, 72, 4, 160, 3600, "K = 560: Kb 8; 8 Z >= 560 -> 72 (70 is no lifting size)"},
    {193, 386, 2, 8, 26, 6, 67, 1300, "K > 192: Kb 8; 8 Z >= 193 -> 26"},
    {192, 384, 2, 6, 32, 0, 128, 1600, "K = 192: Kb 6; 6 Z >= 192 -> 32"},
    {1024, 2048, 2, 10, 104, 6, 16, 5200, "rate 1/2; 10 Z >= 1024 -> 104"},
    {3824, 5708, 2, 10, 384, 1, 16, 19200, "K = 3824 at R = 0.66994"},
    {3825, 5709, 1, 22, 176, 5, 47, 11616, "K > 3824, R > 0.25; 22 Z >= 3825 -> 176"},
    {3825, 15300, 2, 10, 384, 1, 15, 19200, "R = 0.25 exactly"},
    {3825, 15299, 1, 22, 176, 5, 47, 11616, "R just above 0.25"},
    {3840, 15360, 2, 10, 384, 1, 0, 19200, "the largest BG2 block, no filler"},
    {8448, 16896, 1, 22, 384, 1, 0, 25344, "the largest BG1 block at rate 1/2"},
    {8448, 8448, 1, 22, 384, 1, 0, 25344, "rate 1"},
    {4000, 13334, 1, 22, 192, 1, 224, 12672, "R = 0.29998; 22 Z >= 4000 -> 192"},
    {2000, 3000, 2, 10, 208, 6, 80, 10400, "R = 0.667"},
    {2000, 2900, 1, 22, 96, 1, 112, 6336, "R = 0.69; 22 Z >= 2000 -> 96"},
    {1, 1, 2, 6, 2, 0, 19, 100, "the smallest code"},
};

TEST(LdpcParams, HandWorkedCases) {
  for (const Expected& c : kCases) {
    SCOPED_TRACE("K = " + std::to_string(c.k) + ", E = " + std::to_string(c.e) + ": " + c.why);
    const mimo::LdpcParams p = mimo::ldpc_params(c.k, c.e);
    EXPECT_EQ(p.base_graph, c.bg);
    EXPECT_EQ(p.kb, c.kb);
    EXPECT_EQ(p.z, c.z);
    EXPECT_EQ(p.ils, c.ils);
    EXPECT_EQ(p.filler, c.filler);
    EXPECT_EQ(p.n, c.n);
    EXPECT_EQ(p.info_cols, c.bg == 1 ? 22 : 10);
    EXPECT_EQ(p.rows, c.bg == 1 ? 46 : 42);
    EXPECT_EQ(p.lifted_length(), (c.bg == 1 ? 68 : 52) * c.z);
  }
}

TEST(LdpcParams, ForcedBaseGraph) {
  const mimo::LdpcParams p = mimo::ldpc_params(100, 200, 1);  // 7.2.2 would pick base graph 2
  EXPECT_EQ(p.base_graph, 1);
  EXPECT_EQ(p.kb, 22);
  EXPECT_EQ(p.z, 5);  // 22 Z >= 100
  EXPECT_EQ(p.filler, 10);
}

void expect_one_line_error(const std::function<void()>& f, const std::string& mentions) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << mentions << "'";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find(mentions), std::string::npos) << what;
  }
}

TEST(LdpcParams, RefusesWhatOneCodeBlockCannotCarry) {
  expect_one_line_error([] { mimo::ldpc_params(0, 10); }, "K must be at least 1");
  expect_one_line_error([] { mimo::ldpc_params(100, 99); }, "E must be at least K");
  expect_one_line_error([] { mimo::ldpc_params(8449, 16898); }, "8448");
  expect_one_line_error([] { mimo::ldpc_params(3841, 15364); }, "3840");  // R = 0.25 -> base graph 2
  EXPECT_EQ(mimo::ldpc_params(3841, 15363).base_graph, 1);                // R > 0.25 -> base graph 1 holds it
  expect_one_line_error([] { mimo::ldpc_params(100, (1 << 26) + 1); }, "E must be at most");
  expect_one_line_error([] { mimo::ldpc_params(100, 200, 3); }, "base graph must be 1 or 2");
  expect_one_line_error([] { mimo::ldpc_params(4000, 8000, 2); }, "3840");
  expect_one_line_error([] { mimo::ldpc_lifting_set_index(17); }, "not a lifting size");
  EXPECT_EQ(mimo::ldpc_lifting_set_index(208), 6);
}

TEST(LdpcSpec, Parses) {
  auto s = mimo::parse_ldpc_spec("ldpc:k=1024,n=2048");
  EXPECT_EQ(s.k, 1024);
  EXPECT_EQ(s.e, 2048);
  EXPECT_EQ(s.iterations, 20);
  s = mimo::parse_ldpc_spec("ldpc:k=1024,rate=0.5");
  EXPECT_EQ(s.e, 2048);
  s = mimo::parse_ldpc_spec("ldpc:rate=0.3,k=100");
  EXPECT_EQ(s.e, 333);  // round(333.33)
  s = mimo::parse_ldpc_spec("ldpc:k=1000,rate=0.75,iters=30");
  EXPECT_EQ(s.e, 1333);
  EXPECT_EQ(s.iterations, 30);
  EXPECT_EQ(s.describe(), "ldpc:k=1000,n=1333,iters=30");
  const auto again = mimo::parse_ldpc_spec(s.describe());
  EXPECT_EQ(again.k, s.k);
  EXPECT_EQ(again.e, s.e);
  EXPECT_EQ(again.iterations, s.iterations);
}

TEST(LdpcSpec, RefusesBadSpecsInOneLine) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "does not start with 'ldpc:'"},
      {"ldpc", "does not start with 'ldpc:'"},
      {"mmse:k=1,n=2", "does not start with 'ldpc:'"},
      {"ldpc:", "is not key=value"},
      {"ldpc:k=1024", "no n or rate"},
      {"ldpc:n=2048", "no k"},
      {"ldpc:k=1024,n=2048,rate=0.5", "not both"},
      {"ldpc:k=1024,n=2048,k=10", "given twice"},
      {"ldpc:k=abc,n=1", "k must be a positive integer"},
      {"ldpc:k= 1024,n=2048", "k must be a positive integer"},
      {"ldpc:k=1024,n=2048x", "n must be a positive integer"},
      {"ldpc:k=-5,n=10", "k must be a positive integer"},
      {"ldpc:k=1024,n=2048,foo=1", "unknown key 'foo'"},
      {"ldpc:k=1024,rate=0", "rate must be a number in (0, 1]"},
      {"ldpc:k=1024,rate=1.5", "rate must be a number in (0, 1]"},
      {"ldpc:k=1024,rate=nan", "rate must be a number in (0, 1]"},
      {"ldpc:k=1024,rate=1e-300", "too large"},
      {"ldpc:k=10000,n=20000", "8448"},
      {"ldpc:k=1024,n=1000", "E must be at least K"},
      {"ldpc:k=1024,n=2048,iters=-1", "iters must be an integer"},
      {"ldpc:k=1024,,n=2048", "is not key=value"},
      {"ldpc:k=1024,n=2048,", "is not key=value"},
      {"ldpc:=5,k=1,n=2", "is not key=value"},
  };
  for (const auto& item : bad) {
    const std::string& spec = item.first;  // not a structured binding: Clang 14 cannot capture one
    const std::string& mentions = item.second;
    SCOPED_TRACE(spec);
    expect_one_line_error([&] { mimo::parse_ldpc_spec(spec); }, mentions);
    expect_one_line_error([&] { mimo::parse_ldpc_spec(spec); }, "'" + spec + "'");
  }
}

}  // namespace
