// mimo generate: synthetic data sets y = Hx + n streamed to HDF5 in chunks.
#include <algorithm>
#include <cstdio>
#include <future>

#include "apps/channel_flags.hpp"
#include "apps/commands.hpp"
#include "apps/outputs.hpp"
#include "apps/terminal.hpp"
#include "channel/parallel.hpp"
#include "datasets/writer.hpp"

namespace mimo::cli {

namespace {

struct GenerateFlags {
  ChannelFlags channel;
  uint64_t samples = 0;
  int threads = 0;
  int compression = 1;
  std::string out;
};

int run_generate(const GenerateFlags& f) {
  check_outputs({{"--out", f.out}});
  install_interrupt_handler();  // before the partial file exists, so no signal finds it unhandled
  const Generator gen(generator_config(f.channel, StreamTag::generate));
  const auto& cfg = gen.config();
  const int threads = resolve_threads(f.threads);

  DatasetInfo info;
  info.channel = cfg.channel;
  info.modulation = cfg.modulation;
  info.snr_unit = cfg.snr_unit;
  info.snr_schedule = cfg.snr.describe();
  info.seed = cfg.seed;
  info.tool_version = std::string(kToolVersion);
  WriterOptions wopt;
  wopt.with_h_est = cfg.channel.csi_error_var > 0.0;
  wopt.compression = f.compression;
  wopt.threads = threads;
  DatasetWriter writer(f.out, info, wopt);

  // Batches of about 8 MiB of H: memory stays bounded whatever --samples is. The next batch is generated
  // while the current one is compressed and written.
  const size_t per_sample = static_cast<size_t>(cfg.channel.nr) * cfg.channel.nt * 8;
  const size_t batch = std::clamp<size_t>((8u << 20) / per_sample, 64, 65536);
  ProgressBar bar("generate", f.samples);
  SampleBatch current, next;
  uint64_t done = 0;
  gen.generate(0, static_cast<size_t>(std::min<uint64_t>(batch, f.samples)), current, threads);
  while (done < f.samples) {
    const uint64_t next_first = done + current.n;
    const size_t next_count = static_cast<size_t>(std::min<uint64_t>(batch, f.samples - next_first));
    auto pending = std::async(std::launch::async, [&] {
      if (next_count > 0) gen.generate(next_first, next_count, next, threads);
    });
    writer.append(current);
    pending.get();
    done = next_first;
    bar.update(done);
    if (interrupted()) {
      bar.finish();
      writer.abort();
      std::fprintf(stderr, "mimo: interrupted; no file written\n");
      return interrupted_exit_code();
    }
    std::swap(current, next);
  }
  writer.commit();
  bar.finish();
  const double secs = bar.elapsed_seconds();
  std::printf("wrote %s: %llu samples of %dx%d %s, %s, SNR %s (%s), seed %llu\n", f.out.c_str(),
              static_cast<unsigned long long>(f.samples), cfg.channel.nr, cfg.channel.nt,
              to_string(cfg.modulation).c_str(), cfg.channel.model.c_str(), info.snr_schedule.c_str(),
              to_string(cfg.snr_unit).c_str(), static_cast<unsigned long long>(cfg.seed));
  std::printf("throughput: %s channel uses/s (%.2f s, %d threads)\n", si(f.samples / std::max(secs, 1e-9)).c_str(),
              secs, threads);
  return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate a synthetic MIMO data set (y = Hx + n) into HDF5");
  add_channel_flags(*cmd, flags->channel, /*allow_range=*/true);
  cmd->add_option("--samples", flags->samples, "Number of channel uses")->required()->check(kAtLeastOne);
  cmd->add_option("--threads", flags->threads, "Worker threads (0 = all cores)")->capture_default_str()
      ->check(thread_count());
  cmd->add_option("--compression", flags->compression, "Deflate level 0-9 (0 = off)")->capture_default_str()
      ->check(CLI::Range(0, 9));
  cmd->add_option("--out,-o", flags->out, "Output file (.h5); written as <out>.partial, renamed when complete")
      ->required();
  registry.add(cmd, [flags] { return run_generate(*flags); });
}

}  // namespace mimo::cli
