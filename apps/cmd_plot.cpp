// mimo plot: paper-ready BER/SER curves from results CSV files, drawn by scripts/plot_ber.py (matplotlib).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>
#include <filesystem>

#include "apps/commands.hpp"
#include "apps/outputs.hpp"

#ifndef MIMO_SOURCE_DIR
#define MIMO_SOURCE_DIR "."
#endif
#ifndef MIMO_PYTHON
#define MIMO_PYTHON ""
#endif

namespace mimo::cli {

namespace {

struct PlotFlags {
  std::vector<std::string> inputs;
  std::string out;
  std::string metric = "ber";
  std::string x;
  std::string format;
  std::string title;
  bool theory = false;
  std::string snr_at;  // passed on as text: the script parses and checks it
};

// The interpreter: $MIMO_PYTHON, else the one CMake found with matplotlib and h5py, else python3.
std::string python() {
  if (const char* env = std::getenv("MIMO_PYTHON"); env && *env) return env;
  if (*MIMO_PYTHON) return MIMO_PYTHON;
  return "python3";
}

std::string plot_script() {
  const char* env = std::getenv("MIMO_SCRIPTS_DIR");
  const std::filesystem::path dir = env && *env ? env : MIMO_SOURCE_DIR "/scripts";
  const auto script = dir / "plot_ber.py";
  if (!std::filesystem::exists(script))
    throw std::runtime_error("plot script not found at " + script.string() + " (set MIMO_SCRIPTS_DIR)");
  return script.string();
}

int run_plot(const PlotFlags& f) {
  if (!f.out.empty()) {
    std::vector<FlagPath> inputs;
    for (const auto& in : f.inputs) inputs.push_back({"the results file", in});
    check_outputs({{"--out", f.out}}, inputs);
  }
  if (f.out.empty() && f.snr_at.empty()) throw std::invalid_argument("give --out (a figure), --snr-at, or both");
  // "--flag=value" and "--" before the files: a value or file name starting with '-' stays a value.
  std::vector<std::string> args{python(), plot_script(), "--metric=" + f.metric};
  if (!f.out.empty()) args.push_back("--output=" + f.out);
  if (!f.snr_at.empty()) args.push_back("--snr-at=" + f.snr_at);
  if (!f.x.empty()) args.push_back("--x=" + f.x);
  if (!f.format.empty()) args.push_back("--format=" + f.format);
  if (!f.title.empty()) args.push_back("--title=" + f.title);
  if (f.theory) args.push_back("--theory");
  args.push_back("--");
  args.insert(args.end(), f.inputs.begin(), f.inputs.end());

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot start " + args[0]);
  if (pid == 0) {
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "mimo: error: cannot run '%s' (install python3-matplotlib or set MIMO_PYTHON)\n", argv[0]);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

void add_plot_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<PlotFlags>();
  CLI::App* cmd = app.add_subcommand("plot", "Plot BER/SER versus SNR from results CSV files (pdf, png, svg, tex)");
  cmd->add_option("results", flags->inputs, "Results CSV files from mimo evaluate")->required();
  cmd->add_option("--out,-o", flags->out, "Output figure: .pdf, .png, .svg or .tex (pgfplots)");
  cmd->add_option("--snr-at", flags->snr_at,
                  "Print the SNR at which each curve reaches this value of --metric (e.g. 1e-2), interpolated "
                  "between measured points, and its gap to the best")
      ->check(finite_number());
  cmd->add_option("--metric", flags->metric,
                  "ber, ser, llr_info (the LLRs' mutual information, linear axis) or bler (evaluate --code files)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ber", "ser", "llr_info", "bler"}));
  cmd->add_option("--x", flags->x, "SNR axis: snr, esn0 or ebn0 (default: the axis of the evaluation)")
      ->check(CLI::IsMember({"snr", "esn0", "ebn0"}));
  cmd->add_option("--format", flags->format, "Force the output format")
      ->check(CLI::IsMember({"pdf", "png", "svg", "tex"}));
  cmd->add_option("--title", flags->title, "Figure title (default from the data)");
  cmd->add_flag("--theory", flags->theory, "Overlay closed forms where they exist (ZF/MRC, Rayleigh, BPSK/QPSK)");
  registry.add(cmd, [flags] { return run_plot(*flags); });
}

}  // namespace mimo::cli
