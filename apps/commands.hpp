#pragma once
// How subcommands plug into the CLI: each cmd_*.cpp defines add_<name>_command, which declares its flags on a
// CLI11 subcommand and registers the function that runs it after parsing.
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apps/flag_checks.hpp"

namespace mimo {
inline constexpr std::string_view kToolVersion = "0.3.0";
}

namespace mimo::cli {

/// The command line as typed, recorded in every results file.
std::string& command_line();

/// An error that every process of an mpirun already knows of and has cleaned up after (they agreed on it, see
/// cluster::World::first_failure): main prints it once, from process 0, and every process ends normally with
/// `exit_code`, where any other error in one process has to end them all (MPI_Abort).
class AgreedError : public std::runtime_error {
public:
  AgreedError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

private:
  int exit_code_;
};

class Registry {
public:
  void add(CLI::App* sub, std::function<int()> run) { commands_.emplace_back(sub, std::move(run)); }
  int run_selected() const {
    for (const auto& [sub, run] : commands_) {
      if (!sub->parsed()) continue;
      require_finite_numbers(*sub);
      return run();
    }
    return 2;
  }

private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands_;
};

void add_generate_command(CLI::App& app, Registry& registry);
void add_inspect_command(CLI::App& app, Registry& registry);
void add_evaluate_command(CLI::App& app, Registry& registry);
void add_detect_command(CLI::App& app, Registry& registry);
void add_plot_command(CLI::App& app, Registry& registry);
void add_train_command(CLI::App& app, Registry& registry);

inline void add_all_commands(CLI::App& app, Registry& registry) {
  add_generate_command(app, registry);
  add_inspect_command(app, registry);
  add_evaluate_command(app, registry);
  add_detect_command(app, registry);
  add_plot_command(app, registry);
  add_train_command(app, registry);
}

}  // namespace mimo::cli
