// The mimo command line as a user meets it: exit codes, one-line errors, files written only when complete.
#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "../datasets/io_helpers.hpp"
#include "cli_runner.hpp"
#include "datasets/detection_file.hpp"
#include "datasets/reader.hpp"
#include "evaluation/ber_engine.hpp"
#include "simd/target.hpp"

namespace mimo {
namespace {

using Cli = test::CliTest;

TEST_F(Cli, GenerateIsIdenticalForAnyThreadCount) {
  const std::string base = "generate --nt 4 --nr 6 --mod qam64 --channel kronecker --rho-tx 0.6 --rho-rx 0.3 "
                           "--snr-range 0:25 --samples 5000 --csi-error-var 0.02 ";
  for (int t : {1, 2, 3}) {
    const auto r = run(base + "--seed 9 --threads " + std::to_string(t) + " --out t" + std::to_string(t) + ".h5");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("throughput"), std::string::npos) << r.out;
  }
  SampleBatch a, b;
  DatasetReader(dir_ / "t1.h5").read(0, 5000, a);
  for (const char* other : {"t2.h5", "t3.h5"}) {
    DatasetReader(dir_ / other).read(0, 5000, b);
    EXPECT_EQ(a.H, b.H) << other;
    EXPECT_EQ(a.H_est, b.H_est) << other;
    EXPECT_EQ(a.y, b.y) << other;
    EXPECT_EQ(a.bits, b.bits) << other;
    EXPECT_EQ(a.snr_db, b.snr_db) << other;
  }
  // A different seed gives different data.
  ASSERT_EQ(run(base + "--seed 10 --out s.h5").status, 0);
  DatasetReader(dir_ / "s.h5").read(0, 5000, b);
  EXPECT_NE(a.y, b.y);
}

TEST_F(Cli, InspectReportsSchemaAndMeasuredSnr) {
  ASSERT_EQ(run("generate --nt 2 --nr 4 --mod qpsk --snr-db 5,15 --samples 20000 --out d.h5").status, 0);
  const auto r = run("inspect d.h5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("version 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("qpsk"), std::string::npos);
  // The measured SNR column (third) sits within 0.2 dB of each grid value.
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    double snr, measured;
    unsigned long long n;
    if (std::sscanf(line.c_str(), "%lf %llu %lf", &snr, &n, &measured) == 3) {
      EXPECT_NEAR(measured, snr, 0.2) << line;
      ++rows;
    }
  }
  EXPECT_EQ(rows, 2) << r.out;
}

TEST_F(Cli, BadFlagsGiveOneLineErrorAndNoFile) {
  const std::string ok = " --snr-db 10 --samples 10 --out d.h5";
  for (const std::string& bad : std::vector<std::string>{
           "generate --nt 0" + ok, "generate --mod qam32" + ok, "generate --channel foo" + ok,
           "generate --channel kronecker --rho-tx 1" + ok, "generate --nt 2 --snr-db 1:0:5 --samples 10 --out d.h5",
           "generate --snr-db 10 --snr-range 0:5 --samples 10 --out d.h5", "generate --snr-db nan --samples 10 --out d.h5",
           "generate --snr-db 10 --samples 10", "generate --snr-db 10 --samples 0 --out d.h5",
           "generate --k-factor -1 --channel rician" + ok, "generate --snr-db 10 --samples 10 --out no/dir/d.h5",
           "frobnicate"}) {
    const auto r = run(bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_EQ(r.err.rfind("mimo: error: ", 0), 0u) << bad << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    EXPECT_TRUE(dir_empty()) << bad;
  }
}

TEST_F(Cli, InspectRejectsBadFiles) {
  std::ofstream(dir_ / "junk.h5") << "not hdf5";
  const auto r = run("inspect junk.h5");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "mimo: error: junk.h5: not an HDF5 file\n");
  EXPECT_NE(run("inspect absent.h5").status, 0);
}

TEST_F(Cli, InterruptLeavesNoFile) {
  // A run long enough to be interrupted mid-way.
  const pid_t pid = test::start_mimo("generate --nt 32 --nr 32 --mod qam16 --snr-db 10 --samples 100000000 "
                                     "--threads 1 --out big.h5", dir_, "/dev/null");
  ASSERT_GE(pid, 0);
  // Wait until the partial file exists, then interrupt.
  EXPECT_TRUE(test::wait_for_file(dir_ / "big.h5.partial"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.h5.partial"));
}

TEST_F(Cli, EvaluateWritesCsvJsonAndSummary) {
  const auto r = run("evaluate --nt 2 --nr 4 --mod qpsk --detectors zf,mmse,kbest:k=4,sphere --snr-db 0,10 "
                     "--min-errors 200 --seed 3 --out res.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("kbest:k=4"), std::string::npos) << r.out;
  const auto csv = test::slurp(dir_ / "res.csv");
  EXPECT_EQ(csv.rfind("detector,channel,modulation,nt,nr,snr_db,esn0_db,ebn0_db,bits,bit_errors,ber,ber_lo,ber_hi,"
                      "symbols,symbol_errors,ser,seconds,llr_info\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 * 2);
  const auto json = test::slurp(dir_ / "res.json");
  EXPECT_NE(json.find("\"complete\": true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"seed\": 3"), std::string::npos) << json;
  // The instruction set the float32 kernels ran on (rounding differs without FMA).
  EXPECT_NE(json.find("\"simd_target\": \"" + std::string(simd::dispatched_target()) + "\""), std::string::npos) << json;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "res.csv.partial"));

  // The same run on a stored grid data set, and a plot of the result.
  ASSERT_EQ(run("generate --nt 2 --nr 4 --mod qpsk --snr-db 0,10 --samples 4000 --out d.h5").status, 0);
  const auto d = run("evaluate --data d.h5 --detectors mmse,ml --out data.csv");
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_EQ(std::count(d.out.begin(), d.out.end(), '\n'), 1 + 2 + 1) << d.out;  // header, 2 points, "wrote"
  if (std::string(MIMO_PYTHON).empty()) GTEST_SKIP() << "no python3 with matplotlib";
  const auto p = run("plot res.csv -o ber.png --theory");
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_GT(std::filesystem::file_size(dir_ / "ber.png"), 10000u);
  // The SNR at which each detector reaches a target, printed without a figure.
  const auto at = run("plot res.csv --metric ser --snr-at 0.05");
  ASSERT_EQ(at.status, 0) << at.err;
  EXPECT_EQ(at.out.substr(0, at.out.find('\n')), "receive SNR (dB) at SER = 0.05:") << at.out;
}

TEST_F(Cli, EvaluateAndPlotRejectBadInput) {
  ASSERT_EQ(run("generate --nt 2 --nr 2 --snr-range 0:10 --samples 100 --out range.h5").status, 0);
  std::ofstream(dir_ / "junk.csv") << "a,b\n1,2\n";
  const std::string ok = " --nt 2 --nr 2 --snr-db 10 --out r.csv";
  for (const std::string& bad : std::vector<std::string>{
           "evaluate --detectors zf,foo" + ok, "evaluate --detectors kbest:k=0" + ok, "evaluate --detectors ,zf" + ok,
           "evaluate --detectors ml:max=10 --mod qam16 --nt 2 --nr 2 --snr-db 10 --out r.csv",
           "evaluate --detectors sphere --nt 4 --nr 2 --snr-db 10 --out r.csv",
           "evaluate --detectors zf --snr-range 0:5 --out r.csv", "evaluate --data absent.h5 --out r.csv",
           "evaluate --data range.h5 --out r.csv", "evaluate --data range.h5 --snr-db 5 --out r.csv",
           "evaluate --detectors zf --nt 2 --nr 2 --snr-db 10 --out no/dir/r.csv",
           "evaluate --detectors zf --max-bits 0" + ok, "plot junk.csv -o x.png", "plot absent.csv -o x.png",
           "plot res.csv -o x.png --metric foo", "plot res.csv", "plot res.csv --snr-at abc"}) {
    const auto r = run(bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_NE(r.err.find("error"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "r.csv")) << bad;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "x.png")) << bad;
  }
}

// Reads a whole HDF5 data set of a detections file.
template <class T>
std::vector<T> read_all(const H5::H5File& f, const std::string& name, const H5::PredType& type) {
  H5::DataSet set = f.openDataSet(name);
  const auto n = static_cast<size_t>(set.getSpace().getSimpleExtentNpoints());
  std::vector<T> v(n);
  set.read(v.data(), type);
  return v;
}

double double_attr(const H5::H5Object& o, const char* name) {
  double v = 0;
  o.openAttribute(name).read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}

TEST_F(Cli, DetectWritesDecisionsAndLlrsRowAligned) {
  ASSERT_EQ(run("generate --nt 3 --nr 3 --mod qam16 --snr-range 10:20 --samples 1500 --seed 4 --out d.h5").status, 0);
  const auto r = run("detect --data d.h5 --detectors mmse,ml,sphere --batch 700 --out det.h5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("LLR info"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "det.h5.partial"));

  // A second computation: the same detectors called directly on the data set read in one batch.
  const DatasetReader data((dir_ / "d.h5").string());
  SampleBatch all;
  data.read(0, data.size(), all);
  H5::H5File f((dir_ / "det.h5").string(), H5F_ACC_RDONLY);
  for (const std::string name : {"mmse", "ml", "sphere"}) {
    SCOPED_TRACE(name);
    Detection direct;
    make_detector(name, data.info().modulation)->detect(all, direct, 1);
    EXPECT_EQ(read_all<int32_t>(f, name + "/symbols", H5::PredType::NATIVE_INT32), direct.symbols);
    PointResult counts;
    count_errors(all, direct, counts);
    EXPECT_DOUBLE_EQ(double_attr(f.openGroup(name), "ber"), counts.ber());
    EXPECT_DOUBLE_EQ(double_attr(f.openGroup(name), "ser"), counts.ser());
    EXPECT_EQ(f.openGroup(name).nameExists("llr"), !direct.llr.empty());
    if (direct.llr.empty()) continue;
    const auto llr = read_all<float>(f, name + "/llr", H5::PredType::NATIVE_FLOAT);
    EXPECT_EQ(llr, direct.llr);
    EXPECT_NEAR(double_attr(f.openGroup(name), "llr_mutual_information"),
                llr_information(all.bits.data(), llr.data(), llr.size()), 1e-9);
  }
  // ML's max-log LLRs agree in sign with its own hard decisions (positive favours bit 0).
  const auto ml_symbols = read_all<int32_t>(f, "ml/symbols", H5::PredType::NATIVE_INT32);
  const auto ml_llr = read_all<float>(f, "ml/llr", H5::PredType::NATIVE_FLOAT);
  const size_t m = all.m;
  for (size_t k = 0; k < ml_symbols.size(); ++k)
    for (size_t j = 0; j < m; ++j) {
      const int bit = (ml_symbols[k] >> (m - 1 - j)) & 1;
      ASSERT_EQ(ml_llr[k * m + j] >= 0, bit == 0) << "symbol " << k << " bit " << j;
    }
}

TEST_F(Cli, DetectRejectsBadInput) {
  ASSERT_EQ(run("generate --nt 2 --nr 2 --snr-db 10 --samples 100 --out d.h5").status, 0);
  std::ofstream(dir_ / "junk.h5") << "not hdf5";
  for (const std::string& bad : std::vector<std::string>{
           "detect --data absent.h5 --out o.h5", "detect --data junk.h5 --out o.h5",
           "detect --data d.h5 --detectors zf,foo --out o.h5", "detect --data d.h5 --detectors kbest:k=0 --out o.h5",
           "detect --data d.h5 --out d.h5", "detect --data d.h5 --out no/dir/o.h5",
           "detect --data d.h5 --batch 0 --out o.h5", "detect --data d.h5"}) {
    const auto r = run(bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_NE(r.err.find("error"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "o.h5")) << bad;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "o.h5.partial")) << bad;
  }
  EXPECT_EQ(DatasetReader((dir_ / "d.h5").string()).size(), 100u);  // the data set survived "--out d.h5"
}

}  // namespace
}  // namespace mimo
