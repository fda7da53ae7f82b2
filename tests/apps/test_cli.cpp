// The mimo command line as a user meets it: exit codes, one-line errors, files written only when complete.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "../datasets/io_helpers.hpp"
#include "cli_runner.hpp"
#include "datasets/reader.hpp"

namespace mimo {
namespace {

class Cli : public ::testing::Test {
protected:
  void SetUp() override { dir_ = test::scratch_dir("cli"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  test::CliResult run(const std::string& args) { return test::run_mimo(args, dir_); }
  // Nothing but the captured-output files may be left in the directory.
  bool dir_empty() const { return std::filesystem::is_empty(dir_); }
  std::filesystem::path dir_;
};

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
  const std::string cmd = std::string(MIMO_CLI) + " generate --nt 32 --nr 32 --mod qam16 --snr-db 10 "
                          "--samples 100000000 --threads 1 --out big.h5";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(dir_.c_str()) != 0) _exit(99);
    execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), nullptr);
    _exit(98);
  }
  // Wait until the partial file exists, then interrupt.
  for (int k = 0; k < 200 && !std::filesystem::exists(dir_ / "big.h5.partial"); ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.h5.partial"));
}

}  // namespace
}  // namespace mimo
