// `mimo evaluate --code` and `mimo plot --metric bler` as a user meets them: the coded columns, the
// configuration, one-line refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "cli_runner.hpp"
#include "evaluation/results.hpp"

namespace mimo {
namespace {

using CodedCli = test::CliTest;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST_F(CodedCli, EvaluateWritesBlockColumnsAndTheCode) {
  const std::string base = "evaluate --nt 4 --nr 4 --mod qpsk --detectors mmse,ep --snr-db 0,30 --seed 2 "
                           "--max-bits 2e5 --threads 2 ";
  const auto r = run(base + "--code ldpc:k=256,rate=0.5 --min-block-errors 20 --out c.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("BLER"), std::string::npos) << r.out;
  const auto csv = test::slurp(dir_ / "c.csv");
  EXPECT_EQ(first_line(csv), std::string(kResultsHeader) + kResultsCodedColumns);
  const auto rows = read_results_csv((dir_ / "c.csv").string());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_GE(rows[0].block_errors, 20u);  // 0 dB: stopped on block errors
  EXPECT_GT(rows[0].bler(), 0.9);
  EXPECT_EQ(rows[2].block_errors, 0u);   // 30 dB: no block lost up to max-bits
  EXPECT_GT(rows[2].blocks, 300u);
  const auto json = test::slurp(dir_ / "c.json");
  for (const char* key : {"\"code\"", "\"k\": 256", "\"e\": 512", "\"base_graph\": 2", "\"zc\": 32",
                          "\"iterations\": 20", "\"uses_per_block\": 64", "\"min_block_errors\": 20"})
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;

  // Without --code: the header of before, and no code in the configuration.
  ASSERT_EQ(run(base + "--out u.csv").status, 0);
  EXPECT_EQ(first_line(test::slurp(dir_ / "u.csv")), kResultsHeader);
  EXPECT_EQ(test::slurp(dir_ / "u.json").find("\"code\""), std::string::npos);
}

// With --code, Eb counts information bits: ebn0_db = esn0_db - 10 log10(R m), R = K / E (README.md, "Coded link
// level"); uncoded it stays esn0_db - 10 log10(m).
TEST_F(CodedCli, EbN0CountsInformationBits) {
  // QPSK at rate 1/2: R m = 1, Eb/N0 = Es/N0. QAM16 at rate 1/2: R m = 2, 3.0103 dB below.
  ASSERT_EQ(run("evaluate --nt 2 --nr 2 --mod qpsk --detectors mmse --snr-unit esn0 --snr-db 3,6 "
                "--code ldpc:k=1024,n=2048 --min-block-errors 1 --max-bits 2e4 --out q.csv").status, 0);
  auto rows = read_results_csv((dir_ / "q.csv").string());
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) EXPECT_NEAR(r.snr.ebn0_db, r.snr.esn0_db, 1e-6);
  EXPECT_NEAR(rows[0].snr.esn0_db, 3.0, 1e-9);
  ASSERT_EQ(run("evaluate --nt 2 --nr 2 --mod qam16 --detectors mmse --snr-unit esn0 --snr-db 8 "
                "--code ldpc:k=1024,n=2048 --min-block-errors 1 --max-bits 2e4 --out q16.csv").status, 0);
  rows = read_results_csv((dir_ / "q16.csv").string());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(rows[0].snr.ebn0_db, 8.0 - 10 * std::log10(2.0), 1e-6);
  // Uncoded: channel bits, as before.
  ASSERT_EQ(run("evaluate --nt 2 --nr 2 --mod qam16 --detectors mmse --snr-unit esn0 --snr-db 8 "
                "--max-bits 2e4 --out u16.csv").status, 0);
  rows = read_results_csv((dir_ / "u16.csv").string());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(rows[0].snr.ebn0_db, 8.0 - 10 * std::log10(4.0), 1e-6);
}

// `--snr-unit ebn0 --snr-db X --code ...` simulates Eb/N0 = X per information bit: the same run, counts and all,
// as `--snr-unit esn0` at X + 10 log10(R m) (4x4 QAM16, rate 1/2: R m = 2, + 3.0103 dB).
TEST_F(CodedCli, EbN0PointIsTheEsN0PointOfTheRate) {
  const std::string base = "evaluate --nt 4 --nr 4 --mod qam16 --detectors mmse,ep --seed 5 --threads 2 "
                           "--code ldpc:k=1024,n=2048 --min-block-errors 10 --max-bits 3e5 ";
  // The Es/N0 mimo simulates, computed as mimo does (at run time: a compiler folds log10(2) correctly rounded,
  // the C library's may differ in the last bit, and the point's seed follows the value's bits).
  volatile double information_bits_per_symbol = 0.5 * 4;
  char esn0[64];
  std::snprintf(esn0, sizeof esn0, "%.17g", 4.5 + 10.0 * std::log10(information_bits_per_symbol));
  ASSERT_EQ(run(base + "--snr-unit ebn0 --snr-db 4.5 --out eb.csv").status, 0);
  ASSERT_EQ(run(base + "--snr-unit esn0 --snr-db " + esn0 + " --out es.csv").status, 0);
  const auto eb = read_results_csv((dir_ / "eb.csv").string());
  const auto es = read_results_csv((dir_ / "es.csv").string());
  ASSERT_EQ(eb.size(), 2u);
  ASSERT_EQ(es.size(), 2u);
  for (size_t d = 0; d < 2; ++d) {
    EXPECT_EQ(eb[d].detector, es[d].detector);
    EXPECT_EQ(eb[d].bits, es[d].bits);
    EXPECT_EQ(eb[d].bit_errors, es[d].bit_errors);
    EXPECT_EQ(eb[d].blocks, es[d].blocks);
    EXPECT_EQ(eb[d].block_errors, es[d].block_errors);
    EXPECT_EQ(eb[d].info_bit_errors, es[d].info_bit_errors);
    EXPECT_GT(eb[d].bit_errors, 0u);
    EXPECT_NEAR(eb[d].snr.ebn0_db, 4.5, 1e-6);
    EXPECT_NEAR(eb[d].snr.esn0_db, 4.5 + 3.0103, 1e-4);
    EXPECT_NEAR(es[d].snr.ebn0_db, 4.5, 1e-6);
  }
}

TEST_F(CodedCli, RefusalsAreOneLine) {
  ASSERT_EQ(run("generate --nt 2 --nr 2 --snr-db 10 --samples 100 --out grid.h5").status, 0);
  const std::string ok = " --nt 2 --nr 2 --snr-db 10 --out r.csv";
  for (const std::string& bad : std::vector<std::string>{
           "evaluate --detectors mmse,sphere --code ldpc:k=64,rate=0.5" + ok,
           "evaluate --detectors mmse --code ldpc:k=0,n=100" + ok,
           "evaluate --detectors mmse --code turbo:k=64" + ok,
           "evaluate --detectors mmse --code ldpc:k=64,rate=0.5 --min-block-errors 0" + ok,
           "evaluate --detectors mmse --min-block-errors 5" + ok,  // without --code it would be ignored
           "evaluate --detectors mmse --code ldpc:k=64,n=129 --mod qam16" + ok,  // E not a multiple of m = 4
           "evaluate --data grid.h5 --detectors mmse --code ldpc:k=64,rate=0.5 --out r.csv",
           "plot r.csv -o x.png --metric blr"}) {
    const auto r = run(bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_NE(r.err.find("error"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "r.csv")) << bad;
  }
  const auto r = run("evaluate --detectors mmse,sphere --code ldpc:k=64,rate=0.5" + ok);
  EXPECT_NE(r.err.find("--code needs soft outputs (LLRs); 'sphere' gives hard decisions only"), std::string::npos)
      << r.err;
}

TEST_F(CodedCli, PlotDrawsBler) {
  if (std::system((std::string(MIMO_PYTHON[0] ? MIMO_PYTHON : "python3") + " -c 'import matplotlib' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "no matplotlib";
  ASSERT_EQ(run("evaluate --nt 2 --nr 2 --detectors mmse --snr-db 0,4,8 --code ldpc:k=128,rate=0.5 "
                "--min-block-errors 10 --max-bits 2e5 --out c.csv").status, 0);
  const auto r = run("plot c.csv -o bler.png --metric bler");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "bler.png"));
  const auto at = run("plot c.csv --metric bler --snr-at 0.1");
  EXPECT_EQ(at.status, 0) << at.err;
  // An uncoded file has no BLER to plot.
  ASSERT_EQ(run("evaluate --nt 2 --nr 2 --detectors mmse --snr-db 0 --max-bits 1e4 --out u.csv").status, 0);
  EXPECT_NE(run("plot u.csv -o u.png --metric bler").status, 0);
}

}  // namespace
}  // namespace mimo
