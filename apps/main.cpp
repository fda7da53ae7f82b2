// The `mimo` command line: one subcommand per job, each defined in its own cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <stdexcept>
#include <string>

#include "apps/commands.hpp"
#include "apps/terminal.hpp"
#include "apps/transformer_plugin.hpp"
#include "cluster/mpi.hpp"
#include "datasets/schema.hpp"

std::string& mimo::cli::command_line() {
  static std::string line;
  return line;
}

namespace {

// A LibTorch error's what() ends in a backtrace, and messages quote text from files and flags: a newline or escape
// there must not break the one line.
std::string one_line(const std::exception& e) {
  std::string message = mimo::cli::error_line(e);
  for (char& c : message)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return message;
}

}  // namespace

int main(int argc, char** argv) {
  using mimo::cluster::World;
  World::init(argc, argv);
  for (int k = 0; k < argc; ++k) mimo::cli::command_line() += (k ? " " : "") + std::string(k ? argv[k] : "mimo");
  mimo::cli::register_transformer_detector();
  CLI::App app{"mimo: MIMO detection research toolkit (data sets, detectors, BER curves)"};
  app.set_version_flag("--version", std::string(mimo::kToolVersion));
  app.require_subcommand(1);
  // Every parse error is one line naming the problem, like every other error mimo reports.
  app.failure_message(
      [](const CLI::App*, const CLI::Error& e) { return std::string("mimo: error: ") + e.what() + " (see --help)\n"; });
  mimo::cli::Registry registry;
  mimo::cli::add_all_commands(app, registry);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // every process parses the same flags: all print, all end alike
    World::finalize();
    return code;
  }
  int rc = 1;
  try {
    // Under mpirun only the commands that share their work run; any other in every process would write one file
    // P times.
    static const std::set<std::string> shared_work = {"evaluate", "generate", "detect", "train"};
    for (const CLI::App* sub : app.get_subcommands())
      if (World::size() > 1 && !shared_work.count(sub->get_name()))
        throw std::invalid_argument("under mpirun (" + std::to_string(World::size()) + " processes) `mimo " +
                                    sub->get_name() + "` does not run; run it as one process");
    rc = registry.run_selected();
  } catch (const mimo::cli::AgreedError& e) {
    mimo::cli::leaving_after_error();
    if (World::rank() == 0) std::fprintf(stderr, "mimo: error: %s\n", one_line(e).c_str());
    rc = e.exit_code();
  } catch (const std::exception& e) {
    const std::string message = one_line(e);
    if (World::size() > 1) {  // the other processes would wait for this one forever
      mimo::cli::leaving_after_error();
      if (World::rank() == 0)
        std::fprintf(stderr, "mimo: error: %s\n", message.c_str());
      else
        std::fprintf(stderr, "mimo: error (process %d): %s\n", World::rank(), message.c_str());
      std::fflush(nullptr);
      World::abort(1);
    }
    std::fprintf(stderr, "mimo: error: %s\n", message.c_str());
  }
  // After a file HDF5 could not close (a write error), its clean-up at exit would crash: skip it.
  if (mimo::hdf5_needs_quick_exit()) {
    std::fflush(nullptr);
    std::_Exit(rc);
  }
  World::finalize();
  return rc;
}
