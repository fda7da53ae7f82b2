// mimo generate: synthetic data sets y = Hx + n streamed to HDF5 in chunks. Under mpirun every process writes its
// share of the samples as a shard, and process 0 joins the shards into one file of virtual data sets.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <optional>

#include "apps/channel_flags.hpp"
#include "apps/commands.hpp"
#include "apps/outputs.hpp"
#include "apps/terminal.hpp"
#include "apps/sharded_output.hpp"
#include "channel/parallel.hpp"
#include "cluster/mpi.hpp"
#include "datasets/virtual_file.hpp"
#include "datasets/writer.hpp"
#include "evaluation/ber_engine.hpp"
#include "evaluation/coded_link.hpp"

namespace mimo::cli {

namespace {

using cluster::World;

struct GenerateFlags {
  ChannelFlags channel;
  uint64_t samples = 0;
  int threads = 0;
  int compression = 1;
  std::string out;
  std::string code;  // --code ldpc:k=K,n=N|rate=R[,iters=I]; empty: uncoded
};

// What the generator draws, and with --code the link that encodes its samples in place. A coded file holds the
// channel uses [0, N) of `evaluate --code`'s point at its one SNR, encoded alike (point_config): the same blocks, so
// that detect on it counts what evaluate counts. One SNR only: a list or a range would give a block's channel
// uses different SNRs, and with them no block error rate of one operating point.
struct Source {
  GeneratorConfig config;
  uint64_t seed = 0;  // --seed, recorded in the file (a coded point draws from a seed derived from it)
  std::optional<CodedLink> link;
  std::string requested_code;
};

Source source_of(const GenerateFlags& f) {
  const GeneratorConfig flags = generator_config(f.channel, StreamTag::generate);
  Source s{flags, flags.seed, std::nullopt, f.code};
  if (f.code.empty()) return s;
  s.link.emplace(parse_ldpc_spec(f.code), flags.modulation, flags.channel.nt);
  if (flags.snr.is_range() || flags.snr.values().size() != 1)
    throw std::invalid_argument("--code needs one SNR value (--snr-db X): a list or range would give a block's "
                                "channel uses different SNRs; generate one file per SNR");
  s.config = point_config(flags, flags.snr.values().front(), &*s.link);
  const uint64_t B = s.link->uses_per_block();
  if (f.samples % B != 0) {
    const uint64_t below = f.samples / B * B;
    throw std::invalid_argument("--samples " + std::to_string(f.samples) + " is not a whole number of transport " +
                                "blocks of " + std::to_string(B) + " channel uses (--code " + f.code + "): use " +
                                (below > 0 ? std::to_string(below) + " or " : "") + std::to_string(below + B));
  }
  return s;
}

DatasetInfo info_of(const Source& source) {
  const GeneratorConfig& cfg = source.config;
  DatasetInfo info;
  info.channel = cfg.channel;
  info.modulation = cfg.modulation;
  info.snr_unit = cfg.snr_unit;
  info.snr_schedule = cfg.snr.describe();
  info.seed = source.seed;
  info.tool_version = std::string(kToolVersion);
  if (source.link)
    info.code = DatasetCode{source.link->spec(), source.requested_code, source.link->uses_per_block()};
  return info;
}

WriterOptions writer_options(const GeneratorConfig& cfg, const GenerateFlags& f, int threads) {
  WriterOptions options;
  options.with_h_est = cfg.channel.csi_error_var > 0.0;
  options.compression = f.compression;
  options.threads = threads;
  return options;
}

// Samples [first, first + count) into `writer`, in batches of about 8 MiB of H (memory stays bounded whatever
// --samples is); the next batch is generated while the current one is compressed and written. With a coded link,
// batches are whole blocks (first and count are), each encoded in place. False when interrupted: the caller then
// aborts the writer.
bool write_samples(const Generator& gen, const CodedLink* link, uint64_t first, uint64_t count, int threads,
                   DatasetWriter& writer, ProgressBar& bar) {
  const auto& ch = gen.config().channel;
  const size_t per_sample = static_cast<size_t>(ch.nr) * ch.nt * 8;
  const size_t B = link ? link->uses_per_block() : 1;
  const size_t batch = (std::clamp<size_t>((8u << 20) / per_sample, 64, 65536) + B - 1) / B * B;
  const uint64_t end = first + count;
  struct Batch {
    SampleBatch samples;
    std::vector<uint8_t> info_bits;  // with a code: its blocks' information bits
  } current, next;
  auto make = [&](uint64_t at, size_t n, Batch& into) {
    gen.generate(at, n, into.samples, threads);
    if (link) link->encode_in_place(into.samples, into.info_bits, threads);
  };
  uint64_t done = first;
  make(first, static_cast<size_t>(std::min<uint64_t>(batch, count)), current);
  while (done < end) {
    const uint64_t next_first = done + current.samples.n;
    const size_t next_count = static_cast<size_t>(std::min<uint64_t>(batch, end - next_first));
    auto pending = std::async(std::launch::async, [&] {
      if (next_count > 0) make(next_first, next_count, next);
    });
    writer.append(current.samples, current.info_bits);
    pending.get();
    done = next_first;
    bar.update(done - first);
    if (interrupted()) return false;
    std::swap(current, next);
  }
  return true;
}

void print_summary(const GenerateFlags& f, const Source& source, double seconds, int threads, int processes) {
  const GeneratorConfig& cfg = source.config;
  std::printf("wrote %s: %llu samples of %dx%d %s, %s, SNR %s (%s), seed %llu", f.out.c_str(),
              static_cast<unsigned long long>(f.samples), cfg.channel.nr, cfg.channel.nt,
              to_string(cfg.modulation).c_str(), cfg.channel.model.c_str(), cfg.snr.describe().c_str(),
              to_string(cfg.snr_unit).c_str(), static_cast<unsigned long long>(source.seed));
  if (source.link)
    std::printf("; %llu blocks of %s, %zu channel uses each",
                static_cast<unsigned long long>(f.samples / source.link->uses_per_block()),
                source.link->spec().describe().c_str(), source.link->uses_per_block());
  if (processes > 1) std::printf("; %d shards in %s/", processes, shard_folder(f.out).c_str());
  std::printf("\nthroughput: %s channel uses/s (%.2f s, ", si(f.samples / std::max(seconds, 1e-9)).c_str(), seconds);
  if (processes > 1) std::printf("%d processes x ", processes);
  std::printf("%d threads)\n", threads);
}

int run_one_process(const GenerateFlags& f) {
  check_outputs({{"--out", f.out}});
  install_interrupt_handler();  // before the partial file exists, so no signal finds it unhandled
  const Source source = source_of(f);
  const Generator gen(source.config);
  const int threads = resolve_threads(f.threads);
  DatasetWriter writer(f.out, info_of(source), writer_options(gen.config(), f, threads));
  ProgressBar bar("generate", f.samples);
  const bool complete = write_samples(gen, source.link ? &*source.link : nullptr, 0, f.samples, threads, writer, bar);
  bar.finish();
  if (!complete) {
    writer.abort();
    std::fprintf(stderr, "mimo: interrupted; no file written\n");
    return interrupted_exit_code();
  }
  writer.commit();
  remove_stale_shards(f.out, 0);
  print_summary(f, source, bar.elapsed_seconds(), threads, 1);
  return 0;
}

// `mpirun -n P mimo generate`: process r writes samples [N r/P, N (r+1)/P) as its shard, a complete data set; the
// Generator draws every sample from its global index, so the rows are a one-process run's. Process 0 then joins the
// shards into --out. Uncoded only: a shard's rows would split transport blocks.
int run_sharded(const GenerateFlags& f) {
  const auto start = std::chrono::steady_clock::now();
  ShardedOutput out(f.out, {});
  std::optional<Source> source;
  std::optional<Generator> gen;
  int threads = 0;
  out.write([&](const std::string& shard) {
    if (!f.code.empty()) throw std::invalid_argument("--code writes one file, not under mpirun, for now");
    source.emplace(source_of(f));
    gen.emplace(source->config);
    if (f.samples < static_cast<uint64_t>(World::size()))
      throw std::invalid_argument("--samples " + std::to_string(f.samples) + " is fewer than the " +
                                  std::to_string(World::size()) + " processes (each writes a shard of at least one)");
    threads = resolve_threads(f.threads == 0 ? World::default_threads() : f.threads);
    const auto [first, end] = World::share(f.samples);
    DatasetWriter writer(shard, info_of(*source), writer_options(gen->config(), f, threads));
    ProgressBar bar("generate", end - first);
    const bool complete = write_samples(*gen, nullptr, first, end - first, threads, writer, bar);
    bar.finish();
    if (complete) writer.commit();  // else its destructor deletes the partial file
    return complete;
  });
  out.join([&](const std::vector<std::string>& shards) { write_virtual_file(f.out, shards); });
  if (World::rank() == 0)
    print_summary(f, *source, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                  threads, World::size());
  return 0;
}

int run_generate(const GenerateFlags& f) { return World::size() > 1 ? run_sharded(f) : run_one_process(f); }

}  // namespace

void add_generate_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate a synthetic MIMO data set (y = Hx + n) into HDF5");
  add_channel_flags(*cmd, flags->channel, /*allow_range=*/true);
  cmd->add_option("--samples", flags->samples, "Number of channel uses")->required()->check(kAtLeastOne);
  cmd->add_option("--threads", flags->threads, "Worker threads (0 = all cores; under mpirun, shared among a machine's processes)")
      ->capture_default_str()->check(thread_count());
  cmd->add_option("--compression", flags->compression, "Deflate level 0-9 (0 = off)")->capture_default_str()
      ->check(CLI::Range(0, 9));
  cmd->add_option("--out,-o", flags->out,
                  "Output file (.h5); written as <out>.partial, renamed when complete. Under mpirun: one shard per "
                  "process in <out>.shards/, joined by <out>")
      ->required();
  cmd->add_option("--code", flags->code,
                  "Store 5G NR LDPC transport blocks, encoded as `evaluate --code` sends them, with their information "
                  "bits: ldpc:k=K,n=N or ldpc:k=K,rate=R, optional ,iters=I (one SNR value; whole blocks)");
  registry.add(cmd, [flags] { return run_generate(*flags); });
}

}  // namespace mimo::cli
