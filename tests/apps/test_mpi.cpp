// `mpirun -n P mimo evaluate`: P processes share every batch and report the counts of one process, exactly, for
// P = 1, 2, 3 on this machine (--oversubscribe); commands that do not share their work are refused under mpirun,
// and so are srun tasks without MPI. The SLURM scripts of scripts/slurm/ run here as SLURM would run them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// scripts/slurm/: each script run as SLURM would run it, on this machine (LAUNCH replaces srun by mpirun).
std::string slurm_script(const std::string& name) { return std::string(MIMO_SOURCE_DIR) + "/scripts/slurm/" + name; }

std::string run_script(const std::filesystem::path& dir, const std::string& env, const std::string& script,
                       const std::string& args, int* status) {
  const std::string cmd = "cd '" + dir.string() + "' && env MIMO='" + MIMO_CLI + "' " + env + " bash '" + script +
                          "' " + args + " >out.txt 2>&1";
  const int raw = std::system(cmd.c_str());
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return slurp(dir / "out.txt");
}

TEST_F(CliTest, SlurmSweepRunsTheTasksLineOfTheConfigurations) {
  std::ofstream(dir_ / "configs.txt") << "# two configurations\n\n--nt 2 --nr 2 --detectors zf --snr-db 0 --max-bits 1000\n"
                                         "--nt 2 --nr 2 --detectors mmse,ml --snr-db 5,10 --max-bits 1000\n";
  int status = 0;
  const auto log = run_script(dir_, "SLURM_ARRAY_TASK_ID=2 SLURM_CPUS_PER_TASK=1", slurm_script("sweep.sbatch"),
                              "configs.txt results", &status);
  ASSERT_EQ(status, 0) << log;
  const auto csv = slurp(dir_ / "results" / "2.csv");
  EXPECT_NE(csv.find("\nml,"), std::string::npos) << csv;  // the second configuration, not the first
  EXPECT_EQ(csv.find("\nzf,"), std::string::npos) << csv;
  const auto past = run_script(dir_, "SLURM_ARRAY_TASK_ID=3", slurm_script("sweep.sbatch"), "configs.txt results", &status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(past.find("configs.txt has no configuration number 3"), std::string::npos) << past;
}

// The example configurations are real evaluate flags (each run on a few bits).
TEST_F(CliTest, SlurmSweepExampleLinesAreValidFlags) {
  std::ifstream in(slurm_script("sweep.example.txt"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto r = run("evaluate " + line + " --max-bits 200 --threads 1 --out e" + std::to_string(++n) + ".csv");
    EXPECT_EQ(r.status, 0) << line << ": " << r.err;
  }
  EXPECT_GE(n, 3);
}

TEST_F(Mpi, SlurmEvaluateScriptCountsAsOneProcess) {
  const std::string flags = "--nt 4 --nr 4 --mod qam16 --snr-db 8,16 -d mmse,ep --min-errors 500 --max-bits 1e6 --seed 9 ";
  ASSERT_EQ(run("evaluate " + flags + "--threads 1 -o one.csv").status, 0);
  int status = 0;
  const auto log = run_script(dir_, "SLURM_CPUS_PER_TASK=1 LAUNCH='" + mpirun(2) + "'",
                              slurm_script("evaluate-mpi.sbatch"), flags + "--out two.csv", &status);
  ASSERT_EQ(status, 0) << log;
  EXPECT_EQ(counts_of(slurp(dir_ / "two.csv")), counts_of(slurp(dir_ / "one.csv")));
  EXPECT_NE(slurp(dir_ / "two.json").find("\"processes\": 2"), std::string::npos);
}

}  // namespace
}  // namespace mimo::test
