// `mpirun -n P mimo evaluate`: P processes share every batch and report the counts of one process, exactly, for
// P = 1, 2, 3 on this machine (--oversubscribe). `mpirun -n P mimo generate` (and detect): one shard per process,
// joined into one file whose rows equal one process's. Other commands are refused under mpirun with one line, and
// so are srun tasks without MPI. The SLURM scripts of scripts/slurm/ run here as SLURM would run them.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <H5Cpp.h>

#include "../datasets/io_helpers.hpp"
#include "cli_runner.hpp"
#include "datasets/reader.hpp"
#include "h5_read.hpp"

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

// A mimo built without MPI under mpirun, or under srun with PMI, would run the whole job in every process too.
TEST_F(CliTest, LaunchedProcessesWithoutMpiAreRefused) {
#ifdef MIMO_WITH_MPI
  GTEST_SKIP() << "mimo built with MPI (it joins the other processes)";
#endif
  const auto r = run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out g.h5", "OMPI_COMM_WORLD_SIZE=3");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("mimo: error: mpirun started 3 processes, but this mimo was built without MPI"),
            std::string::npos)
      << r.err;
  const auto pmix = run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out g.h5",
                        "SLURM_STEP_NUM_TASKS=4 PMIX_RANK=0");
  EXPECT_EQ(pmix.status, 1);
  EXPECT_NE(pmix.err.find("mimo: error: srun started 4 tasks, but this mimo was built without MPI"),
            std::string::npos)
      << pmix.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "g.h5"));
  EXPECT_EQ(run("generate --nt 2 --nr 2 --snr-db 10 --samples 10 --out g1.h5", "OMPI_COMM_WORLD_SIZE=1").status, 0);
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

std::string generate_flags(uint64_t samples) {
  return "generate --nt 4 --nr 6 --mod qam16 --channel kronecker --rho-tx 0.3 --rho-rx 0.5 --snr-db 0:10:30 "
         "--csi-error-var 0.1 --seed 9 --threads 1 --samples " +
         std::to_string(samples) + " ";
}

SampleBatch read_all(const std::filesystem::path& path) {
  const DatasetReader r(path.string());
  SampleBatch b;
  r.read(0, static_cast<size_t>(r.size()), b);
  return b;
}

// The lines of `err` that mimo wrote (mpirun adds its own banner when a process exits non-zero).
std::vector<std::string> mimo_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("mimo:", 0) == 0) lines.push_back(line);
  return lines;
}

TEST_F(Mpi, GenerateWritesTheRowsOfOneProcess) {
  ASSERT_EQ(run(generate_flags(1001) + "--out one.h5").status, 0);
  const DatasetReader one((dir_ / "one.h5").string());
  const SampleBatch expected = read_all(dir_ / "one.h5");
  for (int p : {2, 3}) {
    const std::string out = "p" + std::to_string(p) + ".h5";
    // --threads 0 once: each process then takes its share of the machine's cores; the rows do not depend on it.
    auto flags = generate_flags(1001);
    if (p == 2) flags.replace(flags.find("--threads 1"), 11, "--threads 0");
    const auto r = run(flags + "--out " + out, mpirun(p));
    ASSERT_EQ(r.status, 0) << p << " processes: " << r.err;
    EXPECT_EQ(r.out.find("wrote "), r.out.rfind("wrote ")) << "one summary, from process 0: " << r.out;
    EXPECT_NE(r.out.find("; " + std::to_string(p) + " shards in " + out + ".shards/"), std::string::npos) << r.out;
    for (int k = 0; k < p; ++k) {  // each shard a complete data set of its share of the rows
      const auto shard = dir_ / (out + ".shards") / ("part-" + std::to_string(k) + "-of-" + std::to_string(p) + ".h5");
      EXPECT_EQ(DatasetReader(shard.string()).size(), 1001u * (k + 1) / p - 1001u * k / p) << shard;
    }
    const DatasetReader joined((dir_ / out).string());
    const auto& a = joined.info();
    const auto& b = one.info();
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.snr_schedule, b.snr_schedule);
    EXPECT_EQ(a.channel.model, b.channel.model);
    EXPECT_EQ(a.channel.params, b.channel.params);
    EXPECT_EQ(a.channel.csi_error_var, b.channel.csi_error_var);
    EXPECT_EQ(a.modulation, b.modulation);
    EXPECT_EQ(a.tool_version, b.tool_version);
    SCOPED_TRACE(std::to_string(p) + " processes");
    expect_same_samples(read_all(dir_ / out), expected);
  }
}

TEST_F(Mpi, ShardedSetMovesAsAFolderAndRefusesMissingOrShortShards) {
  ASSERT_EQ(run(generate_flags(1001) + "--out d.h5", mpirun(2)).status, 0);
  std::filesystem::create_directory(dir_ / "moved");
  std::filesystem::rename(dir_ / "d.h5", dir_ / "moved" / "d.h5");
  std::filesystem::rename(dir_ / "d.h5.shards", dir_ / "moved" / "d.h5.shards");
  // From another working directory: the shards are found beside the file, not beside the reader.
  const auto inspect = run("inspect '" + (dir_ / "moved" / "d.h5").string() + "'", "cd / &&");
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("samples        1001"), std::string::npos) << inspect.out;
  ASSERT_EQ(run("evaluate --data moved/d.h5 -d mmse -o ok.csv").status, 0);

  std::filesystem::remove(dir_ / "moved" / "d.h5.shards" / "part-1-of-2.h5");
  const std::string missing = "mimo: error: moved/d.h5: shard moved/d.h5.shards/part-1-of-2.h5 is missing (its rows "
                              "500..1000 would read as fill values)\n";
  const auto r = run("inspect moved/d.h5");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, missing);
  const auto e = run("evaluate --data moved/d.h5 -d mmse -o e.csv");
  EXPECT_EQ(e.status, 1);
  EXPECT_EQ(e.err, missing);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "e.csv"));

  // A complete one-process data set in its place, of fewer rows than mapped.
  ASSERT_EQ(run(generate_flags(100) + "--out moved/d.h5.shards/part-1-of-2.h5").status, 0);
  const auto s = run("inspect moved/d.h5");
  EXPECT_EQ(s.status, 1);
  EXPECT_EQ(s.err, "mimo: error: moved/d.h5: shard moved/d.h5.shards/part-1-of-2.h5 holds 100 rows of 'H' where 501 "
                   "are mapped (its rows 600..1000 would read as fill values)\n");
}

TEST_F(Mpi, GenerateFailingInOneProcessLeavesNothing) {
  // Process 1 cannot write its shard (a folder stands at its name); process 0 writes its own, then removes it.
  std::filesystem::create_directories(dir_ / "d.h5.shards" / "part-1-of-2.h5");
  const auto r = run(generate_flags(1001) + "--out d.h5", mpirun(2));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(mimo_lines(r.err),
            std::vector<std::string>{"mimo: error: process 1 of 2: its shard 'd.h5.shards/part-1-of-2.h5' is a directory, "
                                     "not a file; nothing written"})
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "d.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "d.h5.shards" / "part-0-of-2.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "d.h5.shards" / "part-0-of-2.h5.partial"));

  // Every process fails alike: one line, and nothing created at all.
  std::filesystem::remove_all(dir_ / "d.h5.shards");
  const auto few = run(generate_flags(1) + "--out d.h5", mpirun(2));
  EXPECT_NE(few.status, 0);
  EXPECT_EQ(mimo_lines(few.err), std::vector<std::string>{"mimo: error: --samples 1 is fewer than the 2 processes (each "
                                                          "writes a shard of at least one); nothing written"})
      << few.err;
  EXPECT_TRUE(dir_empty());
}

// Coded data sets are one file, detected by one process (a shard's rows would split transport blocks): one line
// under mpirun, and nothing written.
TEST_F(Mpi, CodedDataSetsAreRefusedInOneLine) {
  const std::string coded = "generate --nt 2 --nr 2 --snr-db 4 --samples 256 --code ldpc:k=256,rate=0.5 ";
  const auto g = run(coded + "--out d.h5", mpirun(2));
  EXPECT_NE(g.status, 0);
  EXPECT_EQ(mimo_lines(g.err),
            std::vector<std::string>{"mimo: error: --code writes one file, not under mpirun, for now; nothing written"})
      << g.err;
  EXPECT_TRUE(dir_empty());
  ASSERT_EQ(run(coded + "--out c.h5").status, 0);
  const auto d = run("detect --data c.h5 -d mmse --out det.h5", mpirun(2));
  EXPECT_NE(d.status, 0);
  EXPECT_EQ(mimo_lines(d.err), std::vector<std::string>{"mimo: error: c.h5 is coded: it is detected by one process, "
                                                        "not under mpirun, for now; nothing written"})
      << d.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "det.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "det.h5.shards"));
}

// Runs `args` as 2 processes of mpirun, sends mpirun a Ctrl-C once both write their shard of `out`, and returns
// its wait status.
int interrupt_while_sharding(const std::filesystem::path& dir, const std::string& args, const std::string& out) {
  const pid_t pid = start_mimo(args, dir, "/dev/null", mpirun(2));
  EXPECT_GE(pid, 0);
  if (pid < 0) return -1;
  EXPECT_TRUE(wait_for_file(dir / (out + ".shards") / "part-0-of-2.h5.partial"));
  EXPECT_TRUE(wait_for_file(dir / (out + ".shards") / "part-1-of-2.h5.partial"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST_F(Mpi, InterruptedGenerateLeavesNothing) {
  // Ctrl-C to mpirun: it forwards SIGTERM to every process, and kills them one second later.
  const int status =
      interrupt_while_sharding(dir_, "generate --nt 4 --nr 4 --snr-db 10 --samples 3000000 --threads 1 --out big.h5", "big.h5");
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "big.h5.shards"));
  EXPECT_TRUE(dir_empty());
}

// The process of rank `rank` that mpirun (`launcher`, its pid) started on this machine, or -1.
pid_t rank_process(pid_t launcher, int rank) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream status(entry.path() / "status");
    std::string line;
    bool child = false;
    while (std::getline(status, line))
      if (line.rfind("PPid:", 0) == 0) child = std::stol(line.substr(5)) == launcher;
    if (!child) continue;
    std::ifstream environ(entry.path() / "environ");
    for (std::string var; std::getline(environ, var, '\0');)
      if (var == "OMPI_COMM_WORLD_RANK=" + std::to_string(rank)) return std::stoi(entry.path().filename().string());
  }
  return -1;
}

TEST_F(Mpi, SignalToAnotherProcessLeavesAnIncompleteRun) {
  // SIGTERM to process 1 alone (a node's own signal): every process stops after its batch, and process 0, which
  // had no signal, must not report the points so far as the complete run.
  const pid_t pid = start_mimo("evaluate --nt 4 --nr 4 --mod qam16 --snr-db 0,30,40 -d mmse,sphere --min-errors "
                               "1000000 --max-bits 1e9 --seed 9 --threads 1 --out e.csv",
                               dir_, "/dev/null", mpirun(2));
  ASSERT_GE(pid, 0);
  EXPECT_TRUE(wait_for_file(dir_ / "e.csv"));  // the first point is done; the second lasts far longer
  const pid_t second = rank_process(pid, 1);
  ASSERT_GT(second, 0);
  kill(second, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(slurp(dir_ / "e.json").find("\"complete\": false"), std::string::npos) << slurp(dir_ / "e.json");
}

TEST_F(Mpi, FailedRerunKeepsTheEarlierSet) {
  // A rerun into the same --out with as many processes that fails before writing its shards (a mistyped flag, a
  // missing input) must leave the earlier run's shards, which its --out still maps, where they are.
  ASSERT_EQ(run(generate_flags(1001) + "--out d.h5", mpirun(2)).status, 0);
  const auto few = run(generate_flags(1) + "--out d.h5", mpirun(2));
  EXPECT_NE(few.status, 0);
  EXPECT_EQ(DatasetReader((dir_ / "d.h5").string()).size(), 1001u);
  ASSERT_EQ(run("detect --data d.h5 -d mmse --threads 1 --out det.h5", mpirun(2)).status, 0);
  const auto typo = run("detect --data d.h5 -d mmsee --threads 1 --out det.h5", mpirun(2));
  EXPECT_NE(typo.status, 0);
  const auto missing = run("detect --data nosuch.h5 -d mmse --threads 1 --out det.h5", mpirun(2));
  EXPECT_NE(missing.status, 0);
  for (const char* shard : {"part-0-of-2.h5", "part-1-of-2.h5"})
    EXPECT_TRUE(std::filesystem::exists(dir_ / "det.h5.shards" / shard)) << shard;
}

TEST_F(Mpi, InterruptedDetectKeepsAnEarlierOutput) {
  // A batch of ML at 4x4 QAM16 lasts far longer than the half second a process has after mpirun forwards Ctrl-C:
  // process 0 stops at once, deleting its partial files, but not the det.h5 an earlier run wrote.
  ASSERT_EQ(run(generate_flags(20000) + "--out d.h5").status, 0);
  ASSERT_EQ(run("detect --data d.h5 -d mmse --threads 1 --out det.h5").status, 0);
  const int status = interrupt_while_sharding(dir_, "detect --data d.h5 -d ml --threads 1 --out det.h5", "det.h5");
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "det.h5"));
  const H5::H5File det((dir_ / "det.h5").string(), H5F_ACC_RDONLY);
  EXPECT_TRUE(det.nameExists("mmse"));
}

using test::read_attr;
using test::read_rows;

TEST_F(Mpi, DetectWritesTheRowsAndCountsOfOneProcess) {
  // From a sharded data set, as a cluster's detect would read one.
  ASSERT_EQ(run(generate_flags(1001) + "--out d.h5", mpirun(2)).status, 0);
  const std::string flags = "detect --data d.h5 -d mmse,sphere --threads 1 ";
  ASSERT_EQ(run(flags + "--out one.h5").status, 0);
  const auto r = run(flags + "--out det.h5", mpirun(3));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("wrote det.h5 (3 shards in det.h5.shards/)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("detector"), r.out.rfind("detector")) << "one table, from process 0: " << r.out;
  const H5::H5File one((dir_ / "one.h5").string(), H5F_ACC_RDONLY), det((dir_ / "det.h5").string(), H5F_ACC_RDONLY);
  EXPECT_EQ(read_attr<uint64_t>(det, "samples", H5::PredType::NATIVE_UINT64), 1001u);
  for (const std::string group : {"mmse", "sphere"}) {
    EXPECT_EQ(det.openDataSet(group + "/symbols").getCreatePlist().getLayout(), H5D_VIRTUAL);
    EXPECT_EQ(read_rows<int32_t>(det, group + "/symbols", H5::PredType::NATIVE_INT32),
              read_rows<int32_t>(one, group + "/symbols", H5::PredType::NATIVE_INT32))
        << group;
    for (const char* count : {"bit_errors", "symbol_errors"})
      EXPECT_EQ(read_attr<uint64_t>(det.openGroup(group), count, H5::PredType::NATIVE_UINT64),
                read_attr<uint64_t>(one.openGroup(group), count, H5::PredType::NATIVE_UINT64))
          << group << " " << count;
  }
  EXPECT_EQ(read_rows<float>(det, "mmse/llr", H5::PredType::NATIVE_FLOAT),
            read_rows<float>(one, "mmse/llr", H5::PredType::NATIVE_FLOAT));
  // Summed in another order (per process, then over processes): equal to rounding.
  EXPECT_NEAR(read_attr<double>(det.openGroup("mmse"), "llr_mutual_information", H5::PredType::NATIVE_DOUBLE),
              read_attr<double>(one.openGroup("mmse"), "llr_mutual_information", H5::PredType::NATIVE_DOUBLE), 1e-6);
  // A shard alone is a detection file of its own rows, with their own counts.
  const H5::H5File shard((dir_ / "det.h5.shards" / "part-1-of-3.h5").string(), H5F_ACC_RDONLY);
  EXPECT_EQ(read_attr<uint64_t>(shard, "samples", H5::PredType::NATIVE_UINT64), 1001u * 2 / 3 - 1001u / 3);
}

TEST_F(Mpi, DetectFailingEverywhereIsOneLine) {
  const auto r = run("detect --data absent.h5 -d mmse --out det.h5", mpirun(2));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(mimo_lines(r.err), std::vector<std::string>{"mimo: error: absent.h5: no such file; nothing written"}) << r.err;
  EXPECT_TRUE(dir_empty());
}

}  // namespace
}  // namespace mimo::test
