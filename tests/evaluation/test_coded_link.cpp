// The coded link level (evaluation/coded_link.hpp, simulate() with EngineOptions::code): blocks encoded in place
// into the generator's batches, decoded from the detectors' LLRs, counted per point.
#include <gtest/gtest.h>

#include <unistd.h>

#include <complex>
#include <filesystem>
#include <fstream>
#include <set>

#include "coding/ldpc_spec.hpp"
#include "evaluation/ber_engine.hpp"
#include "evaluation/coded_link.hpp"
#include "evaluation/results.hpp"

namespace mimo {
namespace {

GeneratorConfig config(int nt, int nr, Modulation mod, double snr_db, uint64_t seed = 5) {
  GeneratorConfig g;
  g.channel.model = "rayleigh";
  g.channel.nt = nt;
  g.channel.nr = nr;
  g.modulation = mod;
  g.snr = SnrSchedule::grid(std::vector<double>{snr_db});
  g.seed = seed;
  g.tag = StreamTag::evaluate;
  return g;
}

TEST(CodedLink, InterleaverSpreadsConsecutiveBitsOverUses) {
  // 3 streams of QAM16: 12 slots per use; E = 412 needs B = 35 uses (8 slots unused).
  const CodedLink link(parse_ldpc_spec("ldpc:k=200,n=412"), Modulation::qam16, 3);
  ASSERT_EQ(link.uses_per_block(), 35u);
  std::set<size_t> slots;
  for (int e = 0; e < link.e(); ++e) {
    const size_t p = link.position(e);
    EXPECT_LT(p, 35u * 12u);
    EXPECT_EQ(p / 12, static_cast<size_t>(e) % 35) << e;  // use e mod B
    slots.insert(p);
    if (e > 0) {
      EXPECT_NE(p / 12, link.position(e - 1) / 12) << e;
    }
  }
  EXPECT_EQ(slots.size(), 412u);  // a one-to-one map
}

TEST(CodedLink, EncodeInPlaceWritesCodewordsSymbolsAndKeepsTheNoise) {
  const auto g = config(3, 4, Modulation::qam16, 12.0);
  const CodedLink link(parse_ldpc_spec("ldpc:k=200,n=412"), Modulation::qam16, 3);
  const size_t B = link.uses_per_block(), blocks = 3, per_use = 12;
  SampleBatch batch;
  Generator(g).generate(0, blocks * B, batch, 1);
  const SampleBatch original = batch;
  std::vector<uint8_t> info;
  link.encode_in_place(batch, info, 2);
  ASSERT_EQ(info.size(), blocks * 200);
  const Constellation c(Modulation::qam16);
  std::vector<uint8_t> f(412);
  std::vector<bool> code_slot(B * per_use, false);
  for (int e = 0; e < 412; ++e) code_slot[link.position(e)] = true;
  for (size_t j = 0; j < blocks; ++j) {
    const uint8_t* orig = original.bits.data() + j * B * per_use;
    const uint8_t* now = batch.bits.data() + j * B * per_use;
    // The information bits are the block's first K generator bits; the stored bits de-interleave to their codeword.
    for (size_t b = 0; b < 200; ++b) ASSERT_EQ(info[j * 200 + b], orig[b]) << j << " " << b;
    link.code().encode(info.data() + j * 200, f.data());
    for (int e = 0; e < 412; ++e) ASSERT_EQ(now[link.position(e)], f[static_cast<size_t>(e)]) << j << " " << e;
    // Slots that carry no code bit keep the generator's bits.
    for (size_t s = 0; s < B * per_use; ++s)
      if (!code_slot[s]) {
        EXPECT_EQ(now[s], orig[s]) << j << " " << s;
      }
  }
  bool changed = false;
  for (size_t u = 0; u < batch.n; ++u) {
    for (size_t t = 0; t < 3; ++t) {
      const cfloat want(c.map(batch.bits.data() + u * per_use + t * 4));
      EXPECT_EQ(batch.x[u * 3 + t], want) << u << " " << t;
      changed |= batch.x[u * 3 + t] != original.x[u * 3 + t];
    }
    // y - H x is the generator's noise y0 - H x0, to float rounding.
    for (size_t r = 0; r < 4; ++r) {
      cdouble n_new(batch.y[u * 4 + r]), n_old(original.y[u * 4 + r]);
      for (size_t t = 0; t < 3; ++t) {
        const cdouble h(batch.H[(u * 4 + r) * 3 + t]);
        n_new -= h * cdouble(batch.x[u * 3 + t]);
        n_old -= h * cdouble(original.x[u * 3 + t]);
      }
      EXPECT_NEAR(std::abs(n_new - n_old), 0.0, 1e-5 * (1 + std::abs(cdouble(batch.y[u * 4 + r])))) << u << " " << r;
    }
  }
  EXPECT_TRUE(changed);
  EXPECT_EQ(batch.H, original.H);
  // A batch that is not a whole number of blocks is refused.
  SampleBatch partial;
  Generator(g).generate(0, B + 1, partial, 1);
  EXPECT_THROW(link.encode_in_place(partial, info), std::invalid_argument);
}

std::vector<PointResult> run_coded(const GeneratorConfig& g, const std::vector<std::string>& specs,
                                   const std::string& code, uint64_t max_bits, uint64_t min_block_errors,
                                   int threads) {
  std::vector<std::unique_ptr<Detector>> owned;
  std::vector<const Detector*> detectors;
  for (const auto& s : specs) {
    owned.push_back(make_detector(s, g.modulation));
    detectors.push_back(owned.back().get());
  }
  EngineOptions opt;
  opt.code = parse_ldpc_spec(code);
  opt.max_bits = max_bits;
  opt.min_block_errors = min_block_errors;
  opt.threads = threads;
  opt.max_batch = 1024;
  return simulate(g, detectors, opt);
}

TEST(CodedSimulate, HighSnrDecodesEveryBlock) {
  const auto r = run_coded(config(4, 4, Modulation::qpsk, 30.0), {"mmse"}, "ldpc:k=256,rate=0.5", 100'000, 100, 2);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_GE(r[0].blocks, 190u);  // 1e5 bits / (64 uses x 8 bits)
  EXPECT_EQ(r[0].block_errors, 0u);
  EXPECT_EQ(r[0].info_bits, r[0].blocks * 256);
  EXPECT_EQ(r[0].info_bit_errors, 0u);
  EXPECT_EQ(r[0].uses, r[0].blocks * 64);  // whole blocks only
}

TEST(CodedSimulate, VeryLowSnrLosesAlmostEveryBlock) {
  const auto r = run_coded(config(4, 4, Modulation::qpsk, -5.0), {"mmse"}, "ldpc:k=256,rate=0.5", 10'000'000, 50, 2);
  EXPECT_GE(r[0].block_errors, 50u);
  EXPECT_GT(r[0].bler(), 0.95);
}

TEST(CodedSimulate, DecodingLowersTheBerAndStopsOnBlockErrors) {
  const auto r =
      run_coded(config(4, 4, Modulation::qpsk, 5.0), {"mmse", "ep"}, "ldpc:k=256,rate=0.5", 10'000'000, 30, 2);
  for (const auto& p : r) {
    EXPECT_GT(p.ber(), 0.0) << p.detector;
    EXPECT_LT(p.coded_ber(), p.ber()) << p.detector;
    EXPECT_GE(p.block_errors, 30u) << p.detector;  // stopped on block errors, not on max_bits
    EXPECT_LT(p.bits, 10'000'000u) << p.detector;
  }
  EXPECT_LT(r[1].bler(), r[0].bler());  // EP's LLRs beat MMSE's
}

TEST(CodedSimulate, CountsDoNotDependOnThreads) {
  const auto g = config(4, 4, Modulation::qam16, 14.0, 11);
  const auto a = run_coded(g, {"mmse", "kbest:k=8"}, "ldpc:k=512,rate=0.5", 300'000, 20, 1);
  const auto b = run_coded(g, {"mmse", "kbest:k=8"}, "ldpc:k=512,rate=0.5", 300'000, 20, 2);
  ASSERT_EQ(a.size(), b.size());
  for (size_t d = 0; d < a.size(); ++d) {
    EXPECT_GT(a[d].blocks, 0u);
    EXPECT_EQ(a[d].blocks, b[d].blocks) << a[d].detector;
    EXPECT_EQ(a[d].block_errors, b[d].block_errors) << a[d].detector;
    EXPECT_EQ(a[d].info_bit_errors, b[d].info_bit_errors) << a[d].detector;
    EXPECT_EQ(a[d].bit_errors, b[d].bit_errors) << a[d].detector;
  }
}

TEST(CodedSimulate, RefusesHardOnlyDetectorsAndSeveralProcesses) {
  const auto g = config(2, 2, Modulation::qpsk, 10.0);
  try {
    run_coded(g, {"mmse", "sphere"}, "ldpc:k=64,rate=0.5", 10'000, 10, 1);
    FAIL() << "a hard-output detector was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'sphere' gives hard decisions only"), std::string::npos) << e.what();
  }
  auto mmse = make_detector("mmse", g.modulation);
  EngineOptions opt;
  opt.code = parse_ldpc_spec("ldpc:k=64,rate=0.5");
  opt.collective.size = 2;
  EXPECT_THROW(simulate(g, {mmse.get()}, opt), std::invalid_argument);
}

// The CSV and the Python module's rows come from result_fields: its names must be the headers' columns, in order.
TEST(CodedResults, FieldNamesAreTheHeaders) {
  const ResultsContext ctx{"rayleigh", "qpsk", 4, 4};
  for (bool coded : {false, true}) {
    std::string names;
    for (const auto& f : result_fields(ctx, PointResult{}, coded)) names += (names.empty() ? "" : ",") + std::string(f.name);
    EXPECT_EQ(names, std::string(kResultsHeader) + (coded ? kResultsCodedColumns : ""));
  }
}

TEST(CodedResults, CsvAppendsBlockColumnsOnlyWhenCoded) {
  PointResult r;
  r.detector = "mmse";
  r.snr = {10, 4, 3};
  r.bits = 1000, r.bit_errors = 10, r.uses = 125, r.symbols = 500, r.symbol_errors = 8;
  r.blocks = 40, r.block_errors = 4, r.info_bits = 40 * 256, r.info_bit_errors = 64;
  const ResultsContext ctx{"rayleigh", "qpsk", 4, 4};
  const auto plain = results_csv(ctx, {r});
  EXPECT_EQ(plain.substr(0, plain.find('\n')), kResultsHeader);
  EXPECT_EQ(plain.find("bler"), std::string::npos);
  const auto coded = results_csv(ctx, {r}, true);
  EXPECT_EQ(coded.substr(0, coded.find('\n')), std::string(kResultsHeader) + kResultsCodedColumns);
  const auto row = coded.substr(coded.find('\n') + 1);
  const auto wilson = wilson_interval(4, 40);
  char tail[128];
  std::snprintf(tail, sizeof tail, ",40,4,0.1,%.9g,%.9g,0.00625\n", wilson.lo, wilson.hi);
  EXPECT_EQ(row.substr(row.size() - std::string(tail).size()), tail) << row;
  // Read back.
  const auto path = (std::filesystem::temp_directory_path() / ("mimo_coded_" + std::to_string(::getpid()) + ".csv"));
  {
    std::ofstream f(path);
    f << coded;
  }
  const auto back = read_results_csv(path.string());
  std::filesystem::remove(path);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].blocks, 40u);
  EXPECT_EQ(back[0].block_errors, 4u);
  EXPECT_DOUBLE_EQ(back[0].coded_ber(), 0.00625);
}

}  // namespace
}  // namespace mimo
