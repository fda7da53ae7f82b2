// `mpirun -n P mimo evaluate`: P processes share every batch and report the counts of one process, exactly, for
// P = 1, 2, 3 on this machine (--oversubscribe); other commands are refused under mpirun with one line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace mimo::test {
namespace {

std::string mpirun(int processes) {
  return "mpirun --allow-run-as-root --oversubscribe -n " + std::to_string(processes);
}

// The CSV without its `seconds` column (timings differ; every count must not).
std::vector<std::string> counts_of(const std::string& csv) {
  std::vector<std::string> rows;
  std::istringstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    std::string cell;
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    std::string row;
    for (size_t k = 0; k < cells.size(); ++k)
      if (k != 16) row += cells[k] + ",";  // column 17 is seconds
    rows.push_back(row);
  }
  return rows;
}

class Mpi : public CliTest {
protected:
  void SetUp() override {
#ifndef MIMO_WITH_MPI
    GTEST_SKIP() << "mimo built without MPI";
#endif
    if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
    CliTest::SetUp();
  }
};

TEST_F(Mpi, ProcessesCountAsOne) {
  // min-errors ends the points mid-batch: the chunk schedule and the summed counts must match exactly.
  const std::string flags =
      "evaluate --nt 4 --nr 4 --mod qam16 --snr-db 0,10,20 -d mmse,sic,ep --min-errors 2000 "
      "--max-bits 2e6 --threads 1 --seed 5 ";
  const auto one = run(flags + "-o one.csv");
  ASSERT_EQ(one.status, 0) << one.err;
  const auto expected = counts_of(slurp(dir_ / "one.csv"));
  ASSERT_EQ(expected.size(), 10u);
  EXPECT_NE(expected[1].find(",0,"), std::string::npos);  // snr 0 row present (sanity of the parsing)
  for (int p : {1, 2, 3}) {
    const std::string out = "p" + std::to_string(p) + ".csv";
    const auto r = run(flags + "-o " + out, mpirun(p));
    ASSERT_EQ(r.status, 0) << p << " processes: " << r.err;
    EXPECT_EQ(counts_of(slurp(dir_ / out)), expected) << p << " processes";
    EXPECT_NE(slurp(dir_ / ("p" + std::to_string(p) + ".json")).find("\"processes\": " + std::to_string(p)),
              std::string::npos);
    // Process 0 records what its sums cost (more than one process only).
    EXPECT_EQ(slurp(dir_ / ("p" + std::to_string(p) + ".json")).find("\"allreduce_calls\": ") != std::string::npos,
              p > 1);
  }
  // --threads 0: the machine's cores shared among its processes; the counts do not depend on it either.
  std::string all_cores = flags;
  all_cores.replace(all_cores.find("--threads 1"), 11, "--threads 0");
  const auto r = run(all_cores + "-o t0.csv", mpirun(2));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(counts_of(slurp(dir_ / "t0.csv")), expected);
}

TEST_F(Mpi, OtherCommandsAreOneLineErrors) {
  const auto r = run("plot missing.csv --out p.png", mpirun(2));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("mimo: error: under mpirun (2 processes) `mimo plot` does not run; run it as one process"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "p.png"));
}

// srun without PMI (--mpi=none) would start P independent copies of the whole job: refused before any work.
TEST_F(CliTest, SrunTasksWithoutMpiAreRefused) {
  const auto r = run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out g.h5", "SLURM_STEP_NUM_TASKS=4");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("mimo: error: srun started 4 tasks"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "g.h5"));
  // One task, or a torchrun-style launch, runs.
  EXPECT_EQ(run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out g1.h5", "SLURM_STEP_NUM_TASKS=1").status, 0);
  EXPECT_EQ(run("inspect g1.h5", "SLURM_STEP_NUM_TASKS=4 WORLD_SIZE=1").status, 0);
}

}  // namespace
}  // namespace mimo::test
