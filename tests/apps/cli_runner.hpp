#pragma once
// Runs the mimo executable as a user would and captures exit status, stdout and stderr.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mimo::test {

struct CliResult {
  int status = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// Runs `mimo <args>` through the shell (args are shell words) in `dir`, after the shell words `prefix` if given
/// (shell commands such as "ulimit -f 64;", or a wrapper such as `timeout 5`).
inline CliResult run_mimo(const std::string& args, const std::filesystem::path& dir, const std::string& prefix = "") {
  const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = "cd '" + dir.string() + "' && " + prefix + " '" + std::string(MIMO_CLI) + "' " + args +
                          " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

/// Starts `mimo <args>` in `dir` without waiting (stdout to /dev/null, stderr to `err_file`), after the shell words
/// `launcher` if given (`mpirun -n 2`); returns the pid of mimo, or of the launcher.
inline pid_t start_mimo(const std::string& args, const std::filesystem::path& dir, const std::string& err_file,
                        const std::string& launcher = "") {
  const std::string cmd =
      "exec " + launcher + " '" + std::string(MIMO_CLI) + "' " + args + " >/dev/null 2>'" + err_file + "'";
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(99);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(98);
  }
  return pid;
}

/// Waits until `path` exists (a command's partial output: its signal handlers are installed by then).
inline bool wait_for_file(const std::filesystem::path& path, double seconds = 60) {
  for (int k = 0; k < seconds * 40; ++k) {
    if (std::filesystem::exists(path)) return true;
    usleep(25000);
  }
  return false;
}

/// A scratch directory per test, removed afterwards, in which commands run.
class CliTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mimo_test_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CliResult run(const std::string& args, const std::string& prefix = "") { return run_mimo(args, dir_, prefix); }
  // Nothing but the captured-output files may be left in the directory.
  bool dir_empty() const { return std::filesystem::is_empty(dir_); }
  std::filesystem::path dir_;
};

}  // namespace mimo::test
