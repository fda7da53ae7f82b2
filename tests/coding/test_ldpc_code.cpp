// The LDPC encoder and rate matching (coding/ldpc_code.hpp) against TS 38.212 written out again here: every
// codeword is checked against the lifted parity-check matrix built from the base-graph tables in this file
// (5.3.2: entry V(i,j) becomes the identity cyclically shifted right by V(i,j) mod Z), independently of the
// encoder's own walk of the graph; rate matching against the loops of 5.4.2.1 and 5.4.2.2 as the spec writes them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "coding/ldpc_code.hpp"
#include "coding/ldpc_params.hpp"
#include "coding/ldpc_tables.hpp"
#include "random_bits.hpp"

namespace {

using mimo::LdpcCode;
using mimo::test::random_bits;
using mimo::LdpcParams;

// The lifted parity-check matrix, one list of column indices per check (row of H).
std::vector<std::vector<int>> lifted_checks(int base_graph, int z) {
  const mimo::LdpcBaseGraph& g = mimo::ldpc_base_graph(base_graph);
  const int ils = mimo::ldpc_lifting_set_index(z);
  std::vector<std::vector<int>> checks(static_cast<std::size_t>(g.rows) * z);
  for (const auto& entry : g.entries) {
    const int shift = entry.shift[ils] % z;
    for (int i = 0; i < z; ++i) checks[entry.row * z + i].push_back(entry.col * z + (i + shift) % z);
  }
  return checks;
}

// Indices of the checks that fail (empty when H c = 0).
std::vector<int> failed_checks(const std::vector<std::vector<int>>& checks, const std::vector<std::uint8_t>& c) {
  std::vector<int> failed;
  for (std::size_t r = 0; r < checks.size(); ++r) {
    int parity = 0;
    for (int col : checks[r]) parity ^= c[col];
    if (parity) failed.push_back(static_cast<int>(r));
  }
  return failed;
}

// The smallest and largest K for which base graph `bg` (forced) gets lifting size z: K in (Kb Z', Kb Z], Kb
// depending on K for base graph 2, found by asking ldpc_params about every K.
std::pair<int, int> k_range_for(int bg, int z) {
  int lo = 0, hi = 0;
  const int max_k = bg == 1 ? 8448 : 3840;
  for (int k = 1; k <= max_k; ++k)
    if (mimo::ldpc_params(k, 4 * k, bg).z == z) {
      if (!lo) lo = k;
      hi = k;
    }
  return {lo, hi};
}

// 5.4.2.1 with rv 0 (k0 = 0) and Ncb = N, then 5.4.2.2, as written in the spec: for each output bit f_t, the
// position j of d it carries. d_j is NULL (a filler bit) when c_{j + 2Z} is, i.e. K <= j + 2Z < info_cols Z.
std::vector<int> spec_rate_matching(const LdpcParams& p, int qm) {
  auto is_null = [&](int j) { return j + 2 * p.z >= p.k && j + 2 * p.z < p.info_cols * p.z; };
  std::vector<int> e_from(p.e);
  int k = 0, j = 0;
  while (k < p.e) {
    if (!is_null(j % p.n)) {
      e_from[k] = j % p.n;
      ++k;
    }
    ++j;
  }
  std::vector<int> f_from(p.e);
  for (int jj = 0; jj < p.e / qm; ++jj)
    for (int i = 0; i < qm; ++i) f_from[i + jj * qm] = e_from[i * (p.e / qm) + jj];
  return f_from;
}

struct GraphAndZ {
  int bg, z;
};

void PrintTo(const GraphAndZ& c, std::ostream* os) { *os << "BG" << c.bg << " Z " << c.z; }

std::string case_name(const testing::TestParamInfo<GraphAndZ>& info) {
  return "BG" + std::to_string(info.param.bg) + "_Z" + std::to_string(info.param.z);
}

// The smallest, a middle and the largest lifting size of every set iLS = 0..7, for both base graphs.
std::vector<GraphAndZ> sampled_sizes() {
  std::vector<GraphAndZ> out;
  for (int bg : {1, 2})
    for (int ils = 0; ils < 8; ++ils) {
      const auto set = mimo::ldpc_lifting_set(ils);
      for (std::size_t i : {std::size_t{0}, set.size() / 2, set.size() - 1}) out.push_back({bg, set[i]});
    }
  return out;
}

class EveryLiftingSet : public testing::TestWithParam<GraphAndZ> {};

TEST_P(EveryLiftingSet, CodewordsSatisfyEveryCheck) {
  const auto [bg, z] = GetParam();
  const auto checks = lifted_checks(bg, z);
  const auto [k_lo, k_hi] = k_range_for(bg, z);
  ASSERT_GT(k_lo, 0) << "no K gives Z = " << z;
  std::mt19937_64 rng(1000 * bg + z);
  // Most filler (the smallest K) and none or the least (the largest), each with a few random words.
  for (int k : {k_lo, k_hi}) {
    const LdpcCode code(mimo::ldpc_params(k, 4 * k, bg));
    ASSERT_EQ(code.params().z, z);
    for (int word = 0; word < 3; ++word) {
      const auto info = random_bits(k, rng);
      std::vector<std::uint8_t> lifted(code.lifted_length());
      code.encode_lifted(info.data(), lifted.data());
      EXPECT_EQ(failed_checks(checks, lifted), std::vector<int>{}) << "K = " << k << ", word " << word;
      // Systematic: the information bits, then filler bits 0.
      for (int j = 0; j < k; ++j) ASSERT_EQ(lifted[j], info[j]) << "bit " << j;
      for (int j = k; j < code.params().info_cols * z; ++j) ASSERT_EQ(lifted[j], 0) << "filler bit " << j;
      // 5.3.2's output d is the lifted word without its first 2 Z bits.
      std::vector<std::uint8_t> d(code.n());
      code.encode_codeword(info.data(), d.data());
      EXPECT_EQ(d, std::vector<std::uint8_t>(lifted.begin() + 2 * z, lifted.end()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ldpc, EveryLiftingSet, testing::ValuesIn(sampled_sizes()), case_name);

// A check that sees one bit flipped: the test above can fail.
TEST(LdpcEncoder, AFlippedBitFailsItsChecks) {
  const LdpcCode code(1024, 2048);
  std::mt19937_64 rng(7);
  const auto info = random_bits(1024, rng);
  std::vector<std::uint8_t> lifted(code.lifted_length());
  code.encode_lifted(info.data(), lifted.data());
  const auto checks = lifted_checks(code.params().base_graph, code.params().z);
  ASSERT_TRUE(failed_checks(checks, lifted).empty());
  lifted[5000] ^= 1;
  EXPECT_FALSE(failed_checks(checks, lifted).empty());
}

TEST(LdpcEncoder, ZeroWordAndLinearity) {
  const LdpcCode code(500, 1000);
  std::vector<std::uint8_t> zeros(500, 0), lifted(code.lifted_length(), 1);
  code.encode_lifted(zeros.data(), lifted.data());
  EXPECT_EQ(lifted, std::vector<std::uint8_t>(code.lifted_length(), 0));
  std::mt19937_64 rng(3);
  const auto a = random_bits(500, rng), b = random_bits(500, rng);
  std::vector<std::uint8_t> sum(500), ca(code.lifted_length()), cb(code.lifted_length()), cs(code.lifted_length());
  for (int j = 0; j < 500; ++j) sum[j] = a[j] ^ b[j];
  code.encode_lifted(a.data(), ca.data());
  code.encode_lifted(b.data(), cb.data());
  code.encode_lifted(sum.data(), cs.data());
  for (int j = 0; j < code.lifted_length(); ++j) ASSERT_EQ(cs[j], ca[j] ^ cb[j]) << "position " << j;
}

struct RateCase {
  int k, e, qm, bg;  // bg 0: chosen by 7.2.2
  const char* name;
};

void PrintTo(const RateCase& c, std::ostream* os) { *os << c.name; }

class RateMatching : public testing::TestWithParam<RateCase> {};

std::string rate_case_name(const testing::TestParamInfo<RateCase>& info) { return info.param.name; }

TEST_P(RateMatching, FollowsTheSpecLoops) {
  const RateCase c = GetParam();
  const LdpcCode code(mimo::ldpc_params(c.k, c.e, c.bg), c.qm);
  const LdpcParams& p = code.params();
  std::mt19937_64 rng(c.k + c.e + c.qm);
  const auto info = random_bits(c.k, rng);
  std::vector<std::uint8_t> d(p.n), f(p.e), f_direct(p.e);
  code.encode_codeword(info.data(), d.data());
  code.rate_match(d.data(), f.data());
  const auto from = spec_rate_matching(p, c.qm);
  for (int t = 0; t < p.e; ++t) ASSERT_EQ(f[t], d[from[t]]) << "output bit " << t;
  // encode() computes only the parity blocks sent, and must send the same bits.
  code.encode(info.data(), f_direct.data());
  EXPECT_EQ(f_direct, f);
}

// LLRs back: each lifted position gets the sum of the LLRs sent for it (distinct integers, so any misplaced one
// shows), punctured and unsent positions 0, filler bits the known-zero LLR and nothing else.
TEST_P(RateMatching, RecoveryInvertsIt) {
  const RateCase c = GetParam();
  const LdpcCode code(mimo::ldpc_params(c.k, c.e, c.bg), c.qm);
  const LdpcParams& p = code.params();
  std::vector<float> llr(p.e);
  for (int t = 0; t < p.e; ++t) llr[t] = static_cast<float>(t % 1000 + 1) * (t % 2 ? 1.0f : -1.0f);
  std::vector<float> recovered(code.lifted_length());
  code.rate_recover(llr.data(), recovered.data());
  std::vector<double> expected(code.lifted_length(), 0.0);
  std::vector<int> times(code.lifted_length(), 0);
  const auto from = spec_rate_matching(p, c.qm);
  for (int t = 0; t < p.e; ++t) {
    expected[from[t] + 2 * p.z] += llr[t];
    ++times[from[t] + 2 * p.z];
  }
  const int filler_end = p.info_cols * p.z;
  for (int j = 0; j < code.lifted_length(); ++j) {
    if (j >= p.k && j < filler_end) {
      ASSERT_EQ(times[j], 0) << "filler bit " << j << " sent";
      ASSERT_EQ(recovered[j], mimo::kLdpcKnownZeroLlr) << "filler bit " << j;
    } else {
      ASSERT_EQ(recovered[j], expected[j]) << "position " << j;
    }
    if (j < 2 * p.z) {
      ASSERT_EQ(times[j], 0) << "punctured bit " << j << " sent";
    }
  }
  // Each bit of d that is not a filler bit is sent once at most when E < N - F, else floor or ceil of
  // E / (N - F) times: repetition round the circular buffer.
  const int sendable = p.n - std::max(0, filler_end - std::max(p.k, 2 * p.z));
  long total = 0;
  for (int j = 2 * p.z; j < code.lifted_length(); ++j) {
    if (j >= p.k && j < filler_end) continue;
    total += times[j];
    ASSERT_GE(times[j], p.e / sendable) << "position " << j;
    ASSERT_LE(times[j], (p.e + sendable - 1) / sendable) << "position " << j;
  }
  EXPECT_EQ(total, p.e);
}

// The encoder's bits come back with the right sign from ±1 LLRs: the round trip of bits through LLRs.
TEST_P(RateMatching, RoundTripOfBits) {
  const RateCase c = GetParam();
  const LdpcCode code(mimo::ldpc_params(c.k, c.e, c.bg), c.qm);
  std::mt19937_64 rng(11 * c.k + c.qm);
  const auto info = random_bits(c.k, rng);
  std::vector<std::uint8_t> f(code.e()), lifted(code.lifted_length());
  code.encode(info.data(), f.data());
  code.encode_lifted(info.data(), lifted.data());
  std::vector<float> llr(code.e()), recovered(code.lifted_length());
  for (int t = 0; t < code.e(); ++t) llr[t] = f[t] ? -1.0f : 1.0f;
  code.rate_recover(llr.data(), recovered.data());
  int sent = 0;
  const int filler_end = code.params().info_cols * code.params().z;
  for (int j = 0; j < code.lifted_length(); ++j) {
    if (recovered[j] == 0.0f || (j >= code.k() && j < filler_end)) continue;  // unsent or filler
    ++sent;
    ASSERT_EQ(recovered[j] < 0.0f, lifted[j] == 1) << "position " << j;
  }
  EXPECT_GE(sent, std::min(code.e(), code.n() - code.params().filler));
}

INSTANTIATE_TEST_SUITE_P(Ldpc, RateMatching,
                         testing::Values(RateCase{1024, 2048, 1, 0, "Bg2_K1024_E2048_Qm1"},
                                         RateCase{1024, 2048, 2, 0, "Bg2_K1024_E2048_Qm2"},
                                         RateCase{1024, 2048, 4, 0, "Bg2_K1024_E2048_Qm4"},
                                         RateCase{1024, 2046, 6, 0, "Bg2_K1024_E2046_Qm6"},
                                         RateCase{1024, 2048, 8, 0, "Bg2_K1024_E2048_Qm8"},
                                         RateCase{100, 1200, 1, 0, "Bg2_K100_E1200_Qm1_Repeated"},
                                         RateCase{100, 1200, 2, 0, "Bg2_K100_E1200_Qm2_Repeated"},
                                         RateCase{100, 1200, 4, 0, "Bg2_K100_E1200_Qm4_Repeated"},
                                         RateCase{100, 1200, 6, 0, "Bg2_K100_E1200_Qm6_Repeated"},
                                         RateCase{100, 1200, 8, 0, "Bg2_K100_E1200_Qm8_Repeated"},
                                         RateCase{4000, 6000, 2, 0, "Bg1_K4000_E6000_Qm2"},
                                         RateCase{4000, 6000, 6, 0, "Bg1_K4000_E6000_Qm6"},
                                         RateCase{4000, 6000, 8, 0, "Bg1_K4000_E6000_Qm8"},
                                         RateCase{300, 1000, 4, 1, "Bg1_K300_E1000_Qm4_Repeated"},
                                         RateCase{1, 24, 8, 0, "Bg2_K1_E24_Qm8_FillerInPuncturedBits"}),
                         rate_case_name);

TEST(LdpcRateMatching, RefusesBadModulationOrders) {
  EXPECT_THROW(LdpcCode(1024, 2048, 3), std::invalid_argument);
  EXPECT_THROW(LdpcCode(1024, 2050, 4), std::invalid_argument);
  EXPECT_NO_THROW(LdpcCode(1024, 2052, 4));
}

}  // namespace
