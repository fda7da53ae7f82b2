// mimo train: trains the transformer detector on online-generated batches (or an HDF5 set) and writes a model
// file that `mimo evaluate --detectors transformer:model.pt` uses as it is. The flags are read here; the training
// itself is the transformer plugin's (apps/transformer_plugin.hpp). Under mpirun or srun, or with torchrun's
// environment variables, the processes train one model data-parallel (transformer/replicas.hpp).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "apps/channel_flags.hpp"
#include "apps/commands.hpp"
#include "apps/outputs.hpp"
#include "apps/terminal.hpp"
#include "apps/transformer_plugin.hpp"
#include "cluster/mpi.hpp"
#include "datasets/reader.hpp"
#include "transformer/train.hpp"

namespace mimo::cli {

namespace {

struct TrainFlags {
  ChannelFlags channel;
  tf::TrainConfig config;
  std::string validate_snr;
};

// ---------------------------------------------------------------------------------------------------------
// The processes of a run: mpirun or srun (cluster::World), else torchrun-style environment variables (RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK, LOCAL_WORLD_SIZE), else one process.
// ---------------------------------------------------------------------------------------------------------

// An integer environment variable in [lo, hi]; `fallback` when it is not set (none: it must be).
int env_int(const char* name, int lo, int hi, std::optional<int> fallback, const std::string& why_needed) {
  const char* text = std::getenv(name);
  if (!text || !*text) {
    if (fallback) return *fallback;
    throw std::invalid_argument(std::string(name) + " is not set; " + why_needed);
  }
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    throw std::invalid_argument(std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "] (" + name + " = " + text + ")");
  return static_cast<int>(v);
}

tf::DistributedConfig processes_from_environment() {
  const std::string both = "a run across processes sets RANK and WORLD_SIZE (as torchrun does), one run sets neither";
  tf::DistributedConfig d;
  d.size = env_int("WORLD_SIZE", 1, INT_MAX, std::nullopt, both);
  d.rank = env_int("RANK", 0, d.size - 1, std::nullopt, both);
  if (d.size == 1) return d;
  d.local_size = env_int("LOCAL_WORLD_SIZE", 1, d.size, 1, "");
  d.local_rank = env_int("LOCAL_RANK", 0, d.local_size - 1, d.rank % d.local_size, "");
  const char* addr = std::getenv("MASTER_ADDR");
  if (!addr || !*addr)
    throw std::invalid_argument("MASTER_ADDR is not set; a run across processes (WORLD_SIZE = " +
                                std::to_string(d.size) + ") needs the address of process 0");
  d.master_addr = addr;
  d.master_port = env_int("MASTER_PORT", 1, 65535, tf::DistributedConfig::kDefaultPort, "");
  return d;
}

// Process 0's "host port": MASTER_ADDR and MASTER_PORT where set, else its hostname and the default port.
std::string rendezvous_of_process_0() {
  std::string host;
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) {
    host = addr;
  } else {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) throw std::runtime_error("cannot read this machine's hostname");
    host = name;
  }
  return host + " " + std::to_string(env_int("MASTER_PORT", 1, 65535, tf::DistributedConfig::kDefaultPort, ""));
}

tf::DistributedConfig processes_from_mpi() {
  using cluster::World;
  tf::DistributedConfig d;
  d.rank = World::rank();
  d.size = World::size();
  d.local_rank = World::local_rank();
  d.local_size = World::local_size();
  // Process 0's view, sent to all: every process meets at the same place whatever its own environment says.
  std::istringstream agreed(World::broadcast(d.rank == 0 ? rendezvous_of_process_0() : std::string()));
  agreed >> d.master_addr >> d.master_port;
  return d;
}

tf::DistributedConfig training_processes() {
  if (cluster::World::size() > 1) return processes_from_mpi();
  if (std::getenv("RANK") || std::getenv("WORLD_SIZE")) return processes_from_environment();
  return {};
}

int run_train(TrainFlags& f) {
  // Before anything else: without the plugin no other check matters.
  const tf::PluginApi& plugin = transformer_plugin();
  auto& c = f.config;
  c.distributed = training_processes();
  const bool root = c.distributed.rank == 0;  // the one process that prints and writes
  // Process 0's own check (the others write nothing): across processes train() runs it, so that its error ends
  // the others too instead of leaving them waiting at the rendezvous.
  const auto check = [&] {
    check_outputs({{"--out", c.out}, {"the training log", tf::training_log_path(c.out)}}, {{"--data", c.data}});
  };
  if (c.distributed.size == 1) check();
  // Training draws SNRs uniformly: "--snr-db LO:HI" is read as that range (a grid is used by its ends).
  ChannelFlags flags = f.channel;
  if (flags.snr_range.empty() && std::count(flags.snr_db.begin(), flags.snr_db.end(), ':') == 1) {
    flags.snr_range = flags.snr_db;
    flags.snr_db.clear();
  }
  // With --data the model is trained for, and validated on, the data set's channel.
  c.channel = c.data.empty() ? generator_config(flags, StreamTag::train)
                             : generator_config(DatasetReader(c.data).info(), flags.seed, StreamTag::train);
  if (!f.validate_snr.empty()) c.validate_snr = SnrSchedule::grid(f.validate_snr).values();

  // A step ends and the model is saved well within this; a longer wait would mean a stuck step.
  install_interrupt_handler(/*grace_seconds=*/10);
#if defined(__GLIBC__)
  // Every step allocates and frees the same few-MB activation buffers; glibc would hand them back to the kernel
  // and fault them in again each time (measured: 10-25% more steps per second on CPU when it keeps them).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  ProgressBar bar("train", 1000);
  const auto end_bar = [&] {
    if (root) bar.finish();  // the others never draw it: clearing the line would erase process 0's
  };
  tf::TrainHooks hooks;
  if (root) hooks.progress = [&](const tf::TrainStatus& s) {
    char extra[128];
    std::snprintf(extra, sizeof extra, "step %lld loss %.4f lr %.2e %s samples/s", static_cast<long long>(s.step), s.loss,
                  s.lr, si(s.samples_per_second).c_str());
    bar.update(static_cast<uint64_t>(s.progress * 1000), extra);
  };
  hooks.stop = [] { return interrupted(); };
  if (root && c.distributed.size > 1) hooks.check = check;
  if (root) hooks.log = [&](const std::string& line) {
    bar.finish();
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  int64_t steps = 0;
  try {
    steps = plugin.train(c, hooks);
  } catch (...) {
    end_bar();  // the error goes on a line of its own, not after the bar
    throw;
  }
  end_bar();
  if (root)
    std::printf("wrote %s after %lld steps (log: %s)\n", c.out.c_str(), static_cast<long long>(steps),
                tf::training_log_path(c.out).c_str());
  return interrupted() ? interrupted_exit_code() : 0;
}

}  // namespace

void add_train_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<TrainFlags>();
  auto& c = flags->config;
  CLI::App* cmd = app.add_subcommand("train", "Train the transformer detector (CPU or CUDA)");
  add_channel_flags(*cmd, flags->channel, /*allow_range=*/true);
  // Training draws each sample's SNR uniformly, so here --snr-db LO:HI means that range (like --snr-range).
  cmd->get_option("--snr-db")->description(
      "Training SNR range in dB, LO:HI, each sample drawn uniformly (same as --snr-range; a grid's ends are used)");
  cmd->add_option("--steps", c.steps, "Optimizer steps (the learning-rate schedule's length)");
  cmd->add_option("--time-limit", c.time_limit,
                  "Stop after this many seconds of training in total, counted across --resume, and save (without "
                  "--steps the learning-rate schedule follows time)");
  cmd->add_option("--batch", c.batch, "Channel uses per step and process (across P processes the step's batch is P times it)")
      ->capture_default_str()->check(kAtLeastOne);
  cmd->add_option("--lr", c.lr, "Peak learning rate (Adam, 3% warm-up, cosine decay)")->capture_default_str();
  cmd->add_option("--layers", c.layers, "Transformer blocks")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--dim", c.dim, "Token width")->capture_default_str()->check(CLI::Range(8, 4096));
  cmd->add_option("--heads", c.heads, "Attention heads (must divide --dim)")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--nt-min", c.nt_min, "Also train on fewer streams, down to this many (padding-masked)")
      ->check(integer_in(1, 1024));
  cmd->add_flag("--subproblems", c.subproblems,
               "Also train on the subproblems a tree search meets (transformer:model.pt,beam=K): k of the Nt "
               "streams left after the others are cancelled, at the full problem's noise (default --nt-min 1)");
  cmd->add_option("--device", c.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--attention", c.attention,
                  "Attention core: fused (our kernels: CUDA, or fused CPU loops) or reference (composite torch ops)")
      ->capture_default_str()->check(CLI::IsMember({"fused", "reference"}));
  auto* data = cmd->add_option("--data", c.data,
                               "Train on an HDF5 data set instead of fresh online batches (its channel, modulation "
                               "and SNRs apply, also to validation)");
  exclude_channel_flags(*cmd, data);
  cmd->add_option("--resume", c.resume,
                  "Continue from a model file written by mimo train with the same flags (checked); --steps may grow");
  cmd->add_option("--validate-every", c.validate_every, "Steps between validation and checkpoint")->capture_default_str()
      ->check(kAtLeastOne);
  cmd->add_option("--validate-snr", flags->validate_snr, "Validation SNRs in dB (default: 3 across the range)");
  cmd->add_option("--out,-o", c.out, "Model file (.pt); the training log goes to <name>.train.csv")->required();
  registry.add(cmd, [flags] { return run_train(*flags); });
}

}  // namespace mimo::cli
