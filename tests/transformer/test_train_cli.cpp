// `mimo train` as a user meets it: a model that `mimo evaluate` uses as it is, Ctrl-C saves and exits 130,
// --resume continues (and refuses other flags), bad or mismatched model files, bad settings and a diverging run
// give one-line errors and leave no partial output. No LibTorch headers here: this runs the CLI.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "../apps/cli_runner.hpp"

namespace {

using mimo::test::CliResult;
using mimo::test::slurp;

class TrainCli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mimo_train_cli_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // Runs `[prefix] mimo <args>` in the scratch directory; prefix is e.g. a `timeout` that sends SIGINT (with
  // --foreground, so that only mimo gets it, once: a second SIGINT makes mimo exit at once without saving).
  CliResult run(const std::string& args, const std::string& prefix = "") {
    return mimo::test::run_mimo(args, dir_, prefix);
  }
  static long steps_written(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex("after (\\d+) steps")) ? std::stol(m[1]) : -1;
  }
  std::filesystem::path dir_;
};

const std::string kTinyNet = "train --nt 2 --nr 3 --mod qpsk --snr-db 5:15 --dim 16 --heads 2 --layers 1 --seed 4 "
                             "--out m.pt";
const std::string kTiny = kTinyNet + " --validate-every 10";

TEST_F(TrainCli, TrainedModelServesEvaluateAsItIs) {
  auto r = run(kTiny + " --batch 32 --steps 20");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(steps_written(r.out), 20) << r.out;
  ASSERT_TRUE(std::filesystem::exists(dir_ / "m.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m.pt.partial"));
  const auto log = slurp(dir_ / "m.train.csv");
  EXPECT_EQ(log.substr(0, log.find('\n')),
            "step,seconds,loss,lr,ser_7.5dB,ser_10dB,ser_12.5dB,mmse_ser_7.5dB,mmse_ser_10dB,mmse_ser_12.5dB");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 3);  // header, steps 10 and 20

  r = run("evaluate --nt 2 --nr 3 --mod qpsk --snr-db 10 --detectors mmse,transformer:m.pt --min-errors 50 "
          "--max-bits 20000 --out e.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(slurp(dir_ / "e.csv").find("\ntransformer,"), std::string::npos);

  // Another modulation, too many streams, a missing and a foreign file: one-line errors, exit 1.
  for (const auto& [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {"--nt 2 --nr 3 --mod qam16 --detectors transformer:m.pt", "trained for qpsk"},
           {"--nt 3 --nr 3 --mod qpsk --detectors transformer:model=m.pt", "at most 2 streams"},
           {"--nt 2 --nr 3 --mod qpsk --detectors transformer:none.pt", "no such model file"},
           {"--nt 2 --nr 3 --mod qpsk --detectors transformer:m.train.csv", "not a readable model file"}}) {
    r = run("evaluate " + args + " --snr-db 10 --min-errors 10 --max-bits 2000 --out bad.csv");
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find(expect), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// --attention picks the core: the fused one and the composite reference train the same model to rounding (the
// same seeded batches), and an unknown name is a one-line error.
TEST_F(TrainCli, AttentionFlagSelectsTheCore) {
  auto last_loss = [](const std::string& out) {
    std::smatch m;
    std::string rest = out;
    double loss = -1;
    while (std::regex_search(rest, m, std::regex("loss ([0-9.e+-]+)"))) {
      loss = std::stod(m[1]);
      rest = m.suffix();
    }
    return loss;
  };
  auto fused = run(kTiny + " --batch 32 --steps 20 --attention fused");
  ASSERT_EQ(fused.status, 0) << fused.err;
  auto reference = run(kTiny + " --batch 32 --steps 20 --attention reference");
  ASSERT_EQ(reference.status, 0) << reference.err;
  ASSERT_GT(last_loss(fused.out), 0) << fused.out;
  EXPECT_NEAR(last_loss(fused.out), last_loss(reference.out), 1e-3 * last_loss(reference.out));

  auto bad = run(kTiny + " --steps 1 --attention flash");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--attention"), std::string::npos) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

// --subproblems makes a model that the beam search takes; a model without it is refused a beam in one line, and
// --subproblems with --data (it draws its problems online) is an error.
TEST_F(TrainCli, SubproblemModelServesTheBeamSearch) {
  auto r = run(kTiny + " --batch 32 --steps 10 --subproblems");
  ASSERT_EQ(r.status, 0) << r.err;
  std::filesystem::copy_file(dir_ / "m.pt", dir_ / "s.pt");
  r = run(kTiny + " --batch 32 --steps 10");
  ASSERT_EQ(r.status, 0) << r.err;
  // Two models in one run: rows named by their specs, as the names alone would be equal.
  r = run("evaluate --nt 2 --nr 3 --mod qpsk --snr-db 10 --detectors mmse,transformer:s.pt,beam=4,transformer:s.pt,"
          "transformer:m.pt --min-errors 50 --max-bits 20000 --out e.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto csv = slurp(dir_ / "e.csv");
  for (const std::string row : {"\nmmse,", "\ntransformer:beam=4,", "\ntransformer:s.pt,", "\ntransformer:m.pt,"})
    EXPECT_NE(csv.find(row), std::string::npos) << row << " in " << csv;

  r = run("evaluate --nt 2 --nr 3 --mod qpsk --snr-db 10 --detectors transformer:m.pt,beam=4 --out e2.csv");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--subproblems"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  ASSERT_EQ(run("generate --nt 2 --nr 3 --snr-db 10 --samples 100 --out d.h5").status, 0);
  r = run("train --data d.h5 --dim 16 --heads 2 --layers 1 --steps 10 --subproblems --out m2.pt");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--data"), std::string::npos) << r.err;
}

// With --data the data set decides the channel (also for validation): channel flags beside it are refused, as
// are outputs that would overwrite it and non-finite numbers.
TEST_F(TrainCli, DataSetsAndOutputsAreProtected) {
  ASSERT_EQ(run("generate --nt 2 --nr 3 --mod qpsk --snr-db 5,15 --samples 256 --out d.h5").status, 0);
  std::filesystem::copy_file(dir_ / "d.h5", dir_ / "e.train.csv");  // a data set where e.pt's log would go
  const auto size = std::filesystem::file_size(dir_ / "d.h5");
  const std::string model = " --dim 16 --heads 2 --layers 1 --batch 32 --steps 4 --validate-every 2";
  for (const std::string& bad : {"train --data d.h5 --out d.h5" + model, "train --data e.train.csv --out e.pt" + model,
                                "train --data d.h5 --rho-tx 0.5 --out m.pt" + model,
                                "train --data d.h5 --nt 4 --out m.pt" + model, kTiny + " --time-limit nan",
                                kTiny + " --lr inf", kTiny + " --nt-min 0", kTiny + " --out ''"}) {
    const auto r = run(bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
  }
  EXPECT_EQ(std::filesystem::file_size(dir_ / "d.h5"), size);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "e.train.csv"), size);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m.pt"));
  // The data set's own channel and SNRs: validated at three points across its 5-15 dB.
  const auto r = run("train --data d.h5 --out m.pt" + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("@7.5dB"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("@12.5dB"), std::string::npos) << r.out;

  // A full disk at the first checkpoint (its partial name points at /dev/full): one line, nothing left.
  std::filesystem::create_symlink("/dev/full", dir_ / "f.pt.partial");
  const auto full = run("train --data d.h5 --out f.pt" + model);
  EXPECT_EQ(full.status, 1);
  EXPECT_NE(full.err.find("no space left on device writing 'f.pt'"), std::string::npos) << full.err;
  EXPECT_EQ(std::count(full.err.begin(), full.err.end(), '\n'), 1) << full.err;
  for (const char* name : {"f.pt", "f.pt.partial", "f.train.csv"})
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(dir_ / name))) << name;
}

TEST_F(TrainCli, CtrlCSavesExits130AndResumeContinues) {
  auto r = run(kTiny + " --batch 32 --steps 100000000", "timeout --foreground --preserve-status -s INT 4");
  ASSERT_EQ(r.status, 130) << r.out << r.err;
  const long first = steps_written(r.out);
  ASSERT_GE(first, 0) << r.out;
  ASSERT_TRUE(std::filesystem::exists(dir_ / "m.pt"));

  r = run(kTiny + " --batch 64 --steps 100000000 --resume m.pt");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("global batch 32 (this command: 1 process x --batch 64 = 64)"), std::string::npos) << r.err;

  r = run(kTiny + " --batch 32 --steps 100000000 --resume m.pt", "timeout --foreground --preserve-status -s INT 4");
  ASSERT_EQ(r.status, 130) << r.out << r.err;
  EXPECT_GT(steps_written(r.out), first) << r.out;
}

// The lines of the training log, header included.
long log_lines(const std::filesystem::path& log) {
  const auto text = slurp(log);
  return static_cast<long>(std::count(text.begin(), text.end(), '\n'));
}

// Settings a run cannot use fail before anything is written, in one line that names the flag: the inputs of
// the hardening issue (--heads 3 with the default dim 64 was a 12-line torch trace, --batch 1e9 29 lines and a
// stray m.train.csv, --time-limit nan never stopped).
TEST_F(TrainCli, BadSettingsAreOneLineErrorsThatWriteNothing) {
  const std::string base = "train --nt 2 --nr 3 --mod qpsk --snr-db 5:15 --out m.pt ";
  for (const auto& [flags, names] : std::vector<std::pair<std::string, std::string>>{
           {"--steps 10 --heads 3", "--heads"},
           {"--steps 10 --batch 1000000000", "--batch"},
           {"--time-limit nan", "time-limit"},
           {"--time-limit inf", "time-limit"},
           {"--steps 10 --lr nan", "lr"},
           {"--steps 10 --lr inf", "lr"},
           {"--steps 10 --lr -0.1", "lr"},
           {"--steps -5", "steps"}}) {
    const auto r = run(base + flags);
    EXPECT_EQ(r.status, 1) << flags;
    EXPECT_NE(r.err.find(names), std::string::npos) << flags << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << flags << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "m.pt")) << flags;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "m.train.csv")) << flags;
  }
}

// A learning rate of 1e6 blows the loss up to NaN within a few steps. The run stops there with one line and
// exit 1; the checkpoint of the step before, all of whose parameters are finite, stays, with its log rows.
TEST_F(TrainCli, DivergenceStopsWithOneLineAndKeepsTheLastFiniteCheckpoint) {
  auto r = run(kTinyNet + " --batch 32 --steps 100 --lr 1e6 --validate-every 1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("training diverged at step (\\d+): (loss|gradient norm) is "
                                                     "(nan|inf|-inf); kept the last finite checkpoint m\\.pt\\n")))
      << r.err;
  const long step = std::stol(m[1]);
  EXPECT_GE(step, 2);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "m.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m.pt.partial"));
  EXPECT_EQ(log_lines(dir_ / "m.train.csv"), step);  // the header and steps 1 ... step - 1
  r = run("evaluate --nt 2 --nr 3 --mod qpsk --snr-db 10 --detectors transformer:m.pt --min-errors 10 "
          "--max-bits 2000 --out e.csv");
  EXPECT_EQ(r.status, 0) << r.err;

  // Diverging before the first checkpoint leaves neither a model nor a log.
  std::filesystem::remove(dir_ / "m.pt");
  std::filesystem::remove(dir_ / "m.train.csv");
  r = run(kTinyNet + " --batch 32 --steps 100 --lr 1e6 --validate-every 50");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("training diverged at step"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no checkpoint had been written"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m.pt"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "m.train.csv"));
}

}  // namespace
