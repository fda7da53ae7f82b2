// `mimo train` across processes (transformer/replicas.hpp): P processes with --batch B train the model one process
// trains with --batch P B, launched by mpirun or torchrun-style environment variables; only process 0 writes;
// --resume takes any process count with the same global batch; one process stopping stops all; a bad environment
// is a one-line error. Gloo on localhost; skipped where mimo was built without it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../apps/cli_runner.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"

namespace mimo::tf {
namespace {

using test::CliResult;
using test::slurp;

// A port no one listens on now (the kernel's choice for port 0).
int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &n) != 0)
    ADD_FAILURE() << "no free port";
  close(s);
  return ntohs(a.sin_port);
}

// The parts of a parameter that softmax ignores: the key bias (the middle third of qkv.bias) and the score bias's
// own bias add one amount to all the scores of a row. Their gradient is zero but for rounding, which Adam turns
// into steps of the learning rate's size in a random direction: they differ between any two summation orders of
// a batch (by up to 1e-4 after 8 steps here) without changing what the model computes (output_difference).
torch::Tensor relevant(const std::string& name, const torch::Tensor& p) {
  if (name.ends_with("_bias.bias")) return torch::zeros({1});
  if (name.find("qkv.bias") == std::string::npos) return p;
  const int64_t d = p.size(0) / 3;
  return torch::cat({p.narrow(0, 0, d), p.narrow(0, 2 * d, d)});
}

// max over parameters of max |a - b| / max |b|, on the parts that change the model's function.
double parameter_difference(TransformerDetectorNet a, TransformerDetectorNet b) {
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (const auto& p : pa) {
    const auto x = relevant(p.key(), p.value()), y = relevant(p.key(), pb[p.key()]);
    worst = std::max(worst, (x - y).abs().max().item<double>() / std::max(y.abs().max().item<double>(), 1e-30));
  }
  return worst;
}

TransformerDetectorNet model(const std::filesystem::path& file) { return load_model(file.string(), torch::kCPU).net; }

// max |a - b| / max |b| over the last block's logits of 512 fresh channel uses (the training setup's).
double output_difference(TransformerDetectorNet a, TransformerDetectorNet b) {
  GeneratorConfig g;
  g.channel.nt = 2;
  g.channel.nr = 2;
  g.modulation = Modulation::qpsk;
  g.snr = SnrSchedule::range("5:15");
  const auto batch = OnlineChannel(g, 1, torch::kCPU).sample(512, 99);
  torch::NoGradGuard no_grad;
  a->eval();
  b->eval();
  const auto la = a->forward(batch).back(), lb = b->forward(batch).back();
  return (la - lb).abs().max().item<double>() / lb.abs().max().item<double>();
}

long steps_written(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("after (\\d+) steps")) ? std::stol(m[1]) : -1;
}

long lines(const std::string& text) { return static_cast<long>(std::count(text.begin(), text.end(), '\n')); }

class DistributedTraining : public test::CliTest {
protected:
  void SetUp() override {
#ifndef MIMO_C10D_GLOO
    GTEST_SKIP() << "mimo's LibTorch has no c10d Gloo backend";
#endif
    CliTest::SetUp();
  }

  // Processes 0 and 1 started as torchrun starts them (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
  // LOCAL_WORLD_SIZE); process 1 in the folder rank1, so that anything it wrote would be seen there. With
  // `interrupt_when`, process 1 gets a Ctrl-C (SIGINT) once that file exists (both are training by then).
  std::pair<CliResult, CliResult> run_two(const std::string& args, const std::string& interrupt_when = "") {
    std::filesystem::create_directories(dir_ / "rank1");
    std::ostringstream env, cmd;
    env << "WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" << free_port() << " ";
    // Bounded: were the processes ever to wait for each other forever, the test fails instead of hanging.
    // --foreground: timeout passes a signal on to mimo alone, once (a second Ctrl-C makes mimo exit at once).
    const std::string mimo = " timeout --foreground 120 '" MIMO_CLI "' " + args;
    cmd << "cd '" << dir_.string() << "' || exit 1; (cd rank1 && RANK=1 " << env.str() << "exec" << mimo
        << " >../out1 2>../err1) & p1=$!; RANK=0 " << env.str() << mimo << " >out0 2>err0 & p0=$!; ";
    if (!interrupt_when.empty())
      cmd << "while [ ! -e '" << interrupt_when << "' ] && kill -0 $p0 2>/dev/null; do sleep 0.05; done; "
          << "kill -INT $p1; ";
    cmd << "wait $p0; echo $? >rc0; wait $p1; echo $? >rc1";
    EXPECT_EQ(std::system(cmd.str().c_str()), 0);
    auto take = [&](const char* k) {
      const auto file = [&](std::string what) { return dir_ / what.append(k); };
      CliResult r;
      r.status = std::stoi(slurp(file("rc")));
      r.out = slurp(file("out"));
      r.err = slurp(file("err"));
      for (const char* f : {"rc", "out", "err"}) std::filesystem::remove(file(f));
      return r;
    };
    return {take("0"), take("1")};
  }

  // Processes 0 ... n - 1 started as torchrun starts them, each but 0 in its own folder rank<r>, every one bounded
  // by `seconds` (then its status is timeout's 124).
  std::vector<CliResult> run_many(int n, const std::string& args, int seconds = 120) {
    std::ostringstream env, cmd;
    env << "WORLD_SIZE=" << n << " LOCAL_WORLD_SIZE=" << n << " MASTER_ADDR=127.0.0.1 MASTER_PORT=" << free_port()
        << " ";
    const std::string mimo = " timeout --foreground " + std::to_string(seconds) + " '" MIMO_CLI "' " + args;
    cmd << "cd '" << dir_.string() << "' || exit 1; ";
    for (int r = n - 1; r >= 0; --r) {
      const std::string k = std::to_string(r);
      std::filesystem::create_directories(dir_ / ("rank" + k));
      cmd << "(" << (r ? "cd rank" + k + " && " : "") << "RANK=" << k << " " << env.str() << mimo << " >" << dir_.string()
          << "/out" << k << " 2>" << dir_.string() << "/err" << k << "; echo $? >" << dir_.string() << "/rc" << k
          << ") & ";
    }
    cmd << "wait";
    EXPECT_EQ(std::system(cmd.str().c_str()), 0);
    std::vector<CliResult> out;
    for (int r = 0; r < n; ++r) {
      const auto file = [&](std::string what) { return dir_ / what.append(std::to_string(r)); };
      CliResult c;
      c.status = std::stoi(slurp(file("rc")));
      c.out = slurp(file("out"));
      c.err = slurp(file("err"));
      for (const char* f : {"rc", "out", "err"}) std::filesystem::remove(file(f));
      out.push_back(c);
    }
    return out;
  }

  bool rank1_wrote_nothing() const { return std::filesystem::is_empty(dir_ / "rank1"); }
  std::filesystem::path dir_path(const std::string& name) const { return dir_ / name; }
};

// Tiny network, 2x2 QPSK with stream counts 1-2 (--nt-min 1: padded streams, so the processes' batches hold
// different numbers of loss terms and the global mean is not the mean of the processes' means).
const std::string kTiny = "train --nt 2 --nr 2 --mod qpsk --snr-db 5:15 --dim 16 --heads 2 --layers 1 --seed 4 "
                          "--nt-min 1 --validate-every 5 ";

// Float rounding differs (a batch's sums are split between processes), nothing else.
constexpr double kSameModel = 1e-5;

TEST_F(DistributedTraining, TwoProcessesTrainTheModelOfOneWithTwiceTheBatch) {
  const auto one = run(kTiny + "--steps 5 --batch 16 --out one.pt");
  ASSERT_EQ(one.status, 0) << one.err;
  const auto [root, other] = run_two(kTiny + "--steps 5 --batch 8 --out two.pt");
  ASSERT_EQ(root.status, 0) << root.err;
  ASSERT_EQ(other.status, 0) << other.err;
  EXPECT_LT(parameter_difference(model(dir_ / "two.pt"), model(dir_ / "one.pt")), kSameModel);
  EXPECT_LT(output_difference(model(dir_ / "two.pt"), model(dir_ / "one.pt")), kSameModel);
  // It can fail: the model moved from its initial weights, and another batch trains another model.
  torch::manual_seed(4);
  const TransformerDetectorNet initial(TransformerOptions(Modulation::qpsk, 2).dim(16).heads(2).layers(1));
  EXPECT_GT(parameter_difference(model(dir_ / "two.pt"), initial), 1e-3);
  ASSERT_EQ(run(kTiny + "--steps 5 --batch 8 --out half.pt").status, 0);
  EXPECT_GT(parameter_difference(model(dir_ / "half.pt"), model(dir_ / "one.pt")), 1e-3);
  EXPECT_GT(output_difference(model(dir_ / "half.pt"), model(dir_ / "one.pt")), 1e-3);

  // Process 0 alone writes, logs and prints; its summary has the traffic; the model records the global batch.
  EXPECT_TRUE(rank1_wrote_nothing());
  EXPECT_EQ(other.out, "");
  EXPECT_EQ(steps_written(root.out), 5) << root.out;
  EXPECT_NE(root.out.find("2 processes: "), std::string::npos) << root.out;
  EXPECT_NE(root.out.find(" k samples/s (global batch 16); all-reduce of 0.0147 MB of gradients per step (1 bucket, "
                          "gloo): "),
            std::string::npos)
      << root.out;
  EXPECT_EQ(lines(slurp(dir_ / "two.train.csv")), 2);  // header and step 5
  EXPECT_EQ(load_model((dir_ / "two.pt").string(), torch::kCPU).info.batch, 16);

#ifdef MIMO_WITH_MPI
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
  // Under mpirun, without MASTER_ADDR: process 0's hostname, sent to all (the port too: a free one, not 29500,
  // which another run on this machine may hold).
  const auto mpi = run(kTiny + "--steps 5 --batch 8 --out mpi.pt",
                       "MASTER_PORT=" + std::to_string(free_port()) +
                           " timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 env -u MASTER_ADDR");
  ASSERT_EQ(mpi.status, 0) << mpi.err;
  EXPECT_EQ(lines(mpi.out), 3) << mpi.out;  // the validation, the traffic and "wrote": once
  EXPECT_LT(parameter_difference(model(dir_ / "mpi.pt"), model(dir_ / "one.pt")), kSameModel);

  // scripts/slurm/train-multinode.sbatch as SLURM runs it, mpirun in place of srun.
  const std::string script = std::string(MIMO_SOURCE_DIR) + "/scripts/slurm/train-multinode.sbatch";
  const std::string cmd = "cd '" + dir_.string() + "' && MIMO='" + MIMO_CLI + "' MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                          std::to_string(free_port()) +
                          " LAUNCH='mpirun --allow-run-as-root --oversubscribe -n 2' timeout 120 bash '" + script +
                          "' " + kTiny.substr(kTiny.find(' ') + 1) + "--steps 5 --batch 8 --out slurm.pt >slurm.log 2>&1";
  const int raw = std::system(cmd.c_str());
  test::CliResult slurm;
  slurm.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  slurm.err = slurp(dir_ / "slurm.log");
  ASSERT_EQ(slurm.status, 0) << slurm.err;
  EXPECT_LT(parameter_difference(model(dir_ / "slurm.pt"), model(dir_ / "one.pt")), kSameModel);
#endif
}

// A run of 2 processes with --batch 8 continues as 1 process with --batch 16, exactly as a run of 1 process
// would; another global batch is refused in one line.
TEST_F(DistributedTraining, ResumeTakesAnyProcessCountWithTheSameGlobalBatch) {
  const std::string a = dir_path("a.pt").string(), b = dir_path("b.pt").string();
  const auto [root, other] = run_two(kTiny + "--steps 4 --batch 8 --out " + a);
  ASSERT_EQ(root.status, 0) << root.err;
  ASSERT_EQ(other.status, 0) << other.err;
  ASSERT_EQ(run(kTiny + "--steps 4 --batch 16 --out " + b).status, 0);
  auto r = run(kTiny + "--steps 8 --batch 16 --out " + a + " --resume " + a);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(steps_written(r.out), 8) << r.out;
  ASSERT_EQ(run(kTiny + "--steps 8 --batch 16 --out " + b + " --resume " + b).status, 0);
  EXPECT_LT(parameter_difference(model(a), model(b)), kSameModel);
  EXPECT_LT(output_difference(model(a), model(b)), kSameModel);

  r = run(kTiny + "--steps 12 --batch 8 --out " + a + " --resume " + a);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("a.pt was trained with global batch 16 (this command: 1 process x --batch 8 = 8); "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  const auto [root2, other2] = run_two(kTiny + "--steps 12 --batch 4 --out " + a + " --resume " + a);
  for (const auto& p : {root2, other2}) {
    EXPECT_EQ(p.status, 1);
    EXPECT_NE(p.err.find("global batch 16 (this command: 2 processes x --batch 4 = 8)"), std::string::npos) << p.err;
    EXPECT_EQ(lines(p.err), 1) << p.err;
  }
  EXPECT_EQ(load_model(a, torch::kCPU).info.step, 8);
}

// Ctrl-C in process 1 alone, or each process's own clock reaching --time-limit: all stop after the same step,
// process 0 saves; no process waits for another.
TEST_F(DistributedTraining, OneProcessStoppingStopsAll) {
  const auto [root, other] = run_two(kTiny + "--steps 100000000 --batch 8 --out m.pt", "m.pt");
  EXPECT_EQ(other.status, 130) << other.err;
  ASSERT_EQ(root.status, 0) << root.err;
  EXPECT_GE(steps_written(root.out), 5) << root.out;
  EXPECT_EQ(load_model(dir_path("m.pt").string(), torch::kCPU).info.step, steps_written(root.out));
  EXPECT_TRUE(rank1_wrote_nothing());

  const auto [root2, other2] = run_two(kTiny + "--time-limit 1.5 --batch 8 --out t.pt");
  EXPECT_EQ(other2.status, 0) << other2.err;
  ASSERT_EQ(root2.status, 0) << root2.err;
  EXPECT_GT(steps_written(root2.out), 0) << root2.out;
  EXPECT_TRUE(rank1_wrote_nothing());
}

// torchrun's variables, inconsistent or half set: one line naming the variable, nothing written.
TEST_F(DistributedTraining, BadEnvironmentIsOneLineError) {
  for (const auto& [env, expect] : std::vector<std::pair<std::string, std::string>>{
           {"RANK=0", "WORLD_SIZE is not set"},
           {"WORLD_SIZE=2", "RANK is not set"},
           {"RANK=2 WORLD_SIZE=2", "RANK must be an integer in [0, 1] (RANK = 2)"},
           {"RANK=0 WORLD_SIZE=two", "WORLD_SIZE must be an integer"},
           {"RANK=0 WORLD_SIZE=2 MASTER_ADDR=", "MASTER_ADDR is not set"},
           {"RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=70000", "MASTER_PORT must be an integer in [1, "
                                                                          "65535] (MASTER_PORT = 70000)"}}) {
    const auto r = run(kTiny + "--steps 2 --batch 8 --out m.pt", "env -u MASTER_ADDR " + env);
    EXPECT_EQ(r.status, 1) << env;
    EXPECT_NE(r.err.find(expect), std::string::npos) << env << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << env << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "m.pt")) << env;
  }
  // WORLD_SIZE=1: one process, as without the variables.
  const auto r = run(kTiny + "--steps 2 --batch 8 --out m.pt", "RANK=0 WORLD_SIZE=1");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("all-reduce"), std::string::npos) << r.out;  // no process group
}

// Three processes, batches that are not whole 64-sample blocks (a process's part starts inside a block), with
// --subproblems on a Kronecker channel (random stream subsets) and with --data: still the model of one process with
// the global batch.
TEST_F(DistributedTraining, ThreeProcessesWithSubproblemsOrDataTrainTheModelOfOne) {
  const std::string sub = "train --nt 2 --nr 2 --mod qpsk --snr-db 5:15 --dim 16 --heads 2 --layers 1 --seed 4 "
                          "--channel kronecker --rho-tx 0.5 --subproblems --validate-every 5 --steps 4 ";
  ASSERT_EQ(run(sub + "--batch 150 --out one.pt").status, 0);
  for (const auto& p : run_many(3, sub + "--batch 50 --out three.pt")) ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_LT(parameter_difference(model(dir_ / "three.pt"), model(dir_ / "one.pt")), kSameModel);
  EXPECT_LT(output_difference(model(dir_ / "three.pt"), model(dir_ / "one.pt")), kSameModel);

  ASSERT_EQ(run("generate --nt 2 --nr 2 --mod qpsk --snr-db 10 --samples 500 --out d.h5").status, 0);
  const std::string data = "train --data " + (dir_ / "d.h5").string() +
                           " --dim 16 --heads 2 --layers 1 --seed 4 --validate-every 5 --steps 4 ";
  ASSERT_EQ(run(data + "--batch 30 --out d1.pt").status, 0);
  for (const auto& p : run_many(3, data + "--batch 10 --out d3.pt")) ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_LT(parameter_difference(model(dir_ / "d3.pt"), model(dir_ / "d1.pt")), kSameModel);
}

// A check that only process 0 makes (its output paths: the others write nothing) fails there before the processes
// have met: the others must end with it in one line, not wait out the 5-minute rendezvous timeout.
TEST_F(DistributedTraining, ProcessZeroFailingItsOwnChecksEndsTheOthersAtOnce) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto ps = run_many(2, kTiny + "--steps 2 --batch 8 --out missing/m.pt", 60);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(50));
  for (size_t r = 0; r < ps.size(); ++r) {
    EXPECT_EQ(ps[r].status, 1) << "process " << r << ": " << ps[r].err;
    EXPECT_NE(ps[r].err.find("directory 'missing' does not exist"), std::string::npos) << ps[r].err;
    EXPECT_EQ(lines(ps[r].err), 1) << ps[r].err;
  }
}

}  // namespace
}  // namespace mimo::tf
