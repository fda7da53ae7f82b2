// `mimo evaluate --code` and `mimo plot --metric bler` as a user meets them: the coded columns, the
// configuration, one-line refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "cli_runner.hpp"
#include "h5_read.hpp"
#include "coding/ldpc_code.hpp"
#include "coding/ldpc_decoder.hpp"
#include "datasets/reader.hpp"
#include "evaluation/ber_engine.hpp"
#include "evaluation/coded_link.hpp"
#include "evaluation/results.hpp"

namespace mimo {
namespace {

using CodedCli = test::CliTest;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

using test::read_attr;
using test::read_rows;

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

// A coded data set holds `evaluate --code`'s channel uses [0, N) of its SNR point, encoded alike: detect on it counts
// what evaluate counts when evaluate stops after exactly those N uses (--max-bits N Nt m, block errors never enough).
// Its decoded bits and counts are also what a decoder of the test's own makes of the stored LLRs, gathered through
// the interleaver as SCHEMA.md writes it out.
TEST_F(CodedCli, DetectOnAGeneratedCodedSetCountsWhatEvaluateCounts) {
  const std::string flags = "--nt 2 --nr 2 --mod qpsk --snr-db 4 --seed 4 --code ldpc:k=256,rate=0.5 --threads 2 ";
  const size_t k = 256, e = 512, per_use = 4, B = e / per_use, blocks = 40, samples = blocks * B;
  ASSERT_EQ(run("generate " + flags + "--samples " + std::to_string(samples) + " --out c.h5").status, 0);
  const auto det = run("detect --data c.h5 --detectors mmse,ep --threads 2 --out d.h5");
  ASSERT_EQ(det.status, 0) << det.err;
  EXPECT_NE(det.out.find("BLER"), std::string::npos) << det.out;
  ASSERT_EQ(run("evaluate " + flags + "--detectors mmse,ep --max-bits " + std::to_string(samples * per_use) +
                " --min-block-errors 1000000 --out e.csv").status, 0);
  const auto rows = read_results_csv((dir_ / "e.csv").string());
  ASSERT_EQ(rows.size(), 2u);

  const DatasetReader data((dir_ / "c.h5").string());
  ASSERT_EQ(data.blocks(), blocks);
  std::vector<uint8_t> sent;
  data.read_info_bits(0, blocks, sent);
  const H5::H5File file((dir_ / "d.h5").string(), H5F_ACC_RDONLY);
  const LdpcCode code(static_cast<int>(k), static_cast<int>(e), 2);
  for (size_t d = 0; d < 2; ++d) {
    const std::string name = d == 0 ? "mmse" : "ep";
    const H5::Group g = file.openGroup(name);
    const auto blocks_attr = read_attr<uint64_t>(g, "blocks", H5::PredType::NATIVE_UINT64);
    const auto errors_attr = read_attr<uint64_t>(g, "block_errors", H5::PredType::NATIVE_UINT64);
    const auto info_errors_attr = read_attr<uint64_t>(g, "info_bit_errors", H5::PredType::NATIVE_UINT64);
    // evaluate's counts over the same uses.
    EXPECT_EQ(rows[d].bits, samples * per_use) << name;
    EXPECT_EQ(read_attr<uint64_t>(g, "bit_errors", H5::PredType::NATIVE_UINT64), rows[d].bit_errors) << name;
    EXPECT_EQ(blocks_attr, rows[d].blocks) << name;
    EXPECT_EQ(errors_attr, rows[d].block_errors) << name;
    EXPECT_NEAR(read_attr<double>(g, "coded_ber", H5::PredType::NATIVE_DOUBLE), rows[d].coded_ber(), 1e-9) << name;
    // The point loses some blocks and decodes others: equal counts then say something.
    EXPECT_GT(errors_attr, 0u) << name;
    EXPECT_LT(errors_attr, blocks) << name;

    // The test's own decoder: code bit t of block j is LLR (j B + t mod B, slot t div B).
    const auto llr = read_rows<float>(file, name + "/llr", H5::PredType::NATIVE_FLOAT);
    const auto decoded = read_rows<uint8_t>(file, name + "/decoded_bits", H5::PredType::NATIVE_UINT8);
    ASSERT_EQ(llr.size(), samples * per_use);
    ASSERT_EQ(decoded.size(), blocks * k);
    std::vector<float> words(blocks * e);
    for (size_t j = 0; j < blocks; ++j)
      for (size_t t = 0; t < e; ++t) words[j * e + t] = llr[(j * B + t % B) * per_use + t / B];
    std::vector<uint8_t> mine(blocks * k);
    code.decode(words.data(), blocks, mine.data(), nullptr, LdpcDecoderOptions{20});
    EXPECT_EQ(mine, decoded) << name;
    uint64_t block_errors = 0, info_errors = 0;
    for (size_t j = 0; j < blocks; ++j) {
      uint64_t wrong = 0;
      for (size_t b = 0; b < k; ++b) wrong += mine[j * k + b] != sent[j * k + b];
      block_errors += wrong > 0;
      info_errors += wrong;
    }
    EXPECT_EQ(blocks_attr, blocks);
    EXPECT_EQ(errors_attr, block_errors) << name;
    EXPECT_EQ(info_errors_attr, info_errors) << name;
    const Interval ci = wilson_interval(static_cast<double>(block_errors), static_cast<double>(blocks));
    EXPECT_DOUBLE_EQ(read_attr<double>(g, "bler_lo", H5::PredType::NATIVE_DOUBLE), ci.lo) << name;
    EXPECT_DOUBLE_EQ(read_attr<double>(g, "bler_hi", H5::PredType::NATIVE_DOUBLE), ci.hi) << name;
  }
}

// The stored blocks: info_bits[j] are the first K generator bits of block j (the point's uncoded samples), and the
// stored bits carry their codeword where the interleaver puts it, the generator's bits elsewhere, over the same
// channels and noise.
TEST_F(CodedCli, GeneratedBlocksAreTheCodewordsOfTheirInformationBits) {
  // 2 streams of QAM16 (8 slots per use), E = 300: B = ceil(300 / 8) = 38 uses, 4 slots of each block carry no code bit.
  const size_t k = 100, e = 300, per_use = 8, B = 38, blocks = 3, n = blocks * B;
  ASSERT_EQ(run("generate --nt 2 --nr 3 --mod qam16 --snr-db 12 --seed 9 --samples " + std::to_string(n) +
                " --code ldpc:k=100,n=300 --out c.h5").status, 0);
  const DatasetReader data((dir_ / "c.h5").string());
  ASSERT_TRUE(data.info().code.has_value());
  EXPECT_EQ(data.info().code->uses_per_block, B);
  EXPECT_EQ(data.info().seed, 9u);
  SampleBatch coded;
  data.read(0, n, coded);
  std::vector<uint8_t> info;
  data.read_info_bits(0, blocks, info);

  GeneratorConfig g;
  g.channel.model = "rayleigh";
  g.channel.nt = 2;
  g.channel.nr = 3;
  g.modulation = Modulation::qam16;
  g.snr = SnrSchedule::grid(std::vector<double>{12.0});
  g.seed = 9;
  const CodedLink link(parse_ldpc_spec("ldpc:k=100,n=300"), Modulation::qam16, 2);
  SampleBatch plain;
  Generator(point_config(g, 12.0, &link)).generate(0, n, plain, 1);

  const LdpcCode code(static_cast<int>(k), static_cast<int>(e), 4);
  std::vector<uint8_t> f(e);
  for (size_t j = 0; j < blocks; ++j) {
    const uint8_t* generated = plain.bits.data() + j * B * per_use;
    const uint8_t* stored = coded.bits.data() + j * B * per_use;
    for (size_t b = 0; b < k; ++b) ASSERT_EQ(info[j * k + b], generated[b]) << j << " " << b;
    code.encode(info.data() + j * k, f.data());
    std::vector<bool> carries(B * per_use, false);
    for (size_t t = 0; t < e; ++t) {
      const size_t slot = (t % B) * per_use + t / B;
      ASSERT_EQ(slot, link.position(static_cast<int>(t)));
      ASSERT_EQ(stored[slot], f[t]) << j << " " << t;
      carries[slot] = true;
    }
    for (size_t s = 0; s < B * per_use; ++s)
      if (!carries[s]) {
        EXPECT_EQ(stored[s], generated[s]) << j << " " << s;
      }
  }
  EXPECT_EQ(coded.H, plain.H);
  EXPECT_EQ(coded.noise_var, plain.noise_var);
  EXPECT_NE(coded.x, plain.x);
}

// --snr-unit ebn0 counts information bits with a code: the file holds the Es/N0 point evaluate simulates, the same
// samples as --snr-unit esn0 at X + 10 log10(R m) (QAM16, rate 1/2: + 3.0103 dB).
TEST_F(CodedCli, GeneratedEbN0IsStoredAsItsEsN0) {
  const std::string base = "generate --nt 2 --nr 2 --mod qam16 --seed 3 --samples 128 --code ldpc:k=256,rate=0.5 ";
  volatile double information_bits_per_symbol = 0.5 * 4;  // at run time, as mimo computes it (see above)
  char esn0[64];
  std::snprintf(esn0, sizeof esn0, "%.17g", 6.0 + 10.0 * std::log10(information_bits_per_symbol));
  ASSERT_EQ(run(base + "--snr-unit ebn0 --snr-db 6 --out eb.h5").status, 0);
  ASSERT_EQ(run(base + "--snr-unit esn0 --snr-db " + std::string(esn0) + " --out es.h5").status, 0);
  const DatasetReader eb((dir_ / "eb.h5").string()), es((dir_ / "es.h5").string());
  EXPECT_EQ(eb.info().snr_unit, SnrUnit::esn0);
  EXPECT_EQ(eb.info().snr_schedule, es.info().snr_schedule);
  SampleBatch a, b;
  eb.read(0, 128, a);
  es.read(0, 128, b);
  EXPECT_EQ(a.y, b.y);
  EXPECT_EQ(a.bits, b.bits);
  EXPECT_NEAR(a.snr_db[0], 6.0 + 10 * std::log10(2.0), 1e-5);
}

TEST_F(CodedCli, GenerateAndDetectRefusalsAreOneLine) {
  // 2 streams of QPSK, E = 512: B = 128 channel uses per block.
  const std::string coded = "generate --nt 2 --nr 2 --snr-db 4 --code ldpc:k=256,rate=0.5 ";
  ASSERT_EQ(run(coded + "--samples 256 --out c.h5").status, 0);
  ASSERT_EQ(run("generate --nt 2 --nr 2 --snr-db 4 --samples 256 --out u.h5").status, 0);
  const auto expect_refused = [&](const std::string& args, const std::string& needle) {
    const auto r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "x.h5")) << args;
  };
  const size_t B = 128;
  expect_refused(coded + "--samples 300 --out x.h5",
                 "use " + std::to_string(2 * B) + " or " + std::to_string(3 * B));
  expect_refused(coded + "--samples 100 --out x.h5", "use " + std::to_string(B));
  expect_refused("generate --nt 2 --nr 2 --snr-db 4,8 --code ldpc:k=256,rate=0.5 --samples 256 --out x.h5",
                 "--code needs one SNR value");
  expect_refused("generate --nt 2 --nr 2 --snr-range 0:8 --code ldpc:k=256,rate=0.5 --samples 256 --out x.h5",
                 "--code needs one SNR value");
  expect_refused("generate --nt 2 --nr 2 --snr-db 4 --mod qam16 --code ldpc:k=64,n=130 --samples 256 --out x.h5",
                 "multiple");  // E not a multiple of m = 4
  expect_refused("detect --data u.h5 --code ldpc:k=256,rate=0.5 --out x.h5", "not a coded data set");
  expect_refused("detect --data c.h5 --code ldpc:k=256,rate=0.25 --out x.h5", "is not the code of");
  expect_refused("detect --data c.h5 --detectors mmse,sphere --out x.h5",
                 "decoding needs soft outputs (LLRs); 'sphere' gives hard decisions only");
  expect_refused("evaluate --data c.h5 --detectors mmse --code ldpc:k=256,rate=0.5 --out r.csv", "mimo detect");
  // The given spec, written differently, is the file's code: accepted.
  EXPECT_EQ(run("detect --data c.h5 --code ldpc:k=256,n=512 --out ok.h5").status, 0);

  // A corrupted code attribute.
  {
    H5::H5File f((dir_ / "c.h5").string(), H5F_ACC_RDWR);
    const int k = 255;
    f.openAttribute("code_k").write(H5::PredType::NATIVE_INT, &k);
  }
  expect_refused("detect --data c.h5 --out x.h5", "attribute 'code_k' is 255");
  // A block length the file agrees with (info_bits rewritten to match) but the code does not.
  ASSERT_EQ(run(coded + "--samples 256 --out c64.h5").status, 0);
  {
    H5::H5File f((dir_ / "c64.h5").string(), H5F_ACC_RDWR);
    const uint64_t b = 64;
    f.openAttribute("code_uses_per_block").write(H5::PredType::NATIVE_UINT64, &b);
    f.unlink("info_bits");
    hsize_t dims[2] = {4, 256};
    const std::vector<uint8_t> zeros(4 * 256, 0);
    f.createDataSet("info_bits", H5::PredType::NATIVE_UINT8, H5::DataSpace(2, dims))
        .write(zeros.data(), H5::PredType::NATIVE_UINT8);
  }
  expect_refused("detect --data c64.h5 --out x.h5", "'code_uses_per_block' is 64 but");
}

// Uncoded data sets detect as before: no decoded bits, no block counts, no code.
TEST_F(CodedCli, UncodedDataSetsDetectAsBefore) {
  ASSERT_EQ(run("generate --nt 2 --nr 2 --snr-db 4 --samples 100 --out u.h5").status, 0);
  const auto r = run("detect --data u.h5 --detectors mmse --out d.h5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("BLER"), std::string::npos) << r.out;
  const H5::H5File f((dir_ / "d.h5").string(), H5F_ACC_RDONLY);
  EXPECT_FALSE(f.attrExists("code"));
  EXPECT_FALSE(f.nameExists("mmse/decoded_bits"));
  EXPECT_TRUE(f.nameExists("mmse/llr"));
  EXPECT_FALSE(f.openGroup("mmse").attrExists("blocks"));
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
