// mimo detect: runs detectors over a stored data set and writes their hard decisions and bit LLRs to HDF5,
// row-aligned with the data set, for decoders and analyses outside mimo.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "apps/commands.hpp"
#include "apps/outputs.hpp"
#include "apps/sharded_output.hpp"
#include "apps/terminal.hpp"
#include "channel/parallel.hpp"
#include "cluster/mpi.hpp"
#include "datasets/detection_file.hpp"
#include "datasets/reader.hpp"
#include "datasets/virtual_file.hpp"
#include "evaluation/ber_engine.hpp"

namespace mimo::cli {

namespace {

struct DetectFlags {
  std::string data, detectors = "mmse", out;
  size_t batch = 4096;
  int threads = 0;
};

// HDF5 group names: the detector's name, '/' replaced (a path separator there), numbered when repeated
// (two transformer models); the full spec is stored beside it.
std::vector<std::string> group_names(const std::vector<std::unique_ptr<Detector>>& detectors) {
  std::vector<std::string> names;
  std::map<std::string, int> seen;
  for (const auto& d : detectors) {
    std::string name = d->name();
    for (char& c : name)
      if (c == '/') c = '_';
    if (name == "." || name.empty()) name = "detector";
    const int k = ++seen[name];
    names.push_back(k == 1 ? name : name + "_" + std::to_string(k));
  }
  return names;
}

// What both ways of running share: the data set, the detectors and their group names.
struct DetectJob {
  explicit DetectJob(const DetectFlags& f) : data(f.data) {
    for (const auto& s : split_detector_list(f.detectors)) {
      specs.push_back(s);
      detectors.push_back(make_detector(s, data.info().modulation));
    }
    names = group_names(detectors);
    threads = resolve_threads(f.threads == 0 ? cluster::World::default_threads() : f.threads);
  }

  // The file's metadata for rows [first, end) of the data set.
  DetectionFileInfo file_info(const DetectFlags& f, uint64_t rows) const {
    const auto& info = data.info();
    return {std::filesystem::absolute(f.data).string(), to_string(info.modulation), rows,
            static_cast<size_t>(info.channel.nt), static_cast<size_t>(info.channel.nr),
            static_cast<size_t>(Constellation(info.modulation).bits_per_symbol()), command_line(),
            std::string(kToolVersion)};
  }

  void add_groups(DetectionFileWriter& out) const {
    for (size_t d = 0; d < detectors.size(); ++d) out.add_detector(names[d], specs[d], detectors[d]->provides_llr());
  }

  // Rows [first, end) of the data set through every detector into `out` (row `first` as its row 0), counting
  // errors into `counts`. False when interrupted: after Ctrl-C nothing more is read.
  bool detect_rows(uint64_t first, uint64_t end, size_t batch_size, DetectionFileWriter& out,
                   std::vector<PointResult>& counts) const {
    ProgressBar bar("detect", end - first);
    counts.assign(detectors.size(), PointResult{});
    Detection det;
    SampleBatch batch;
    for (uint64_t row = first; row < end && !interrupted(); row += batch.n) {
      data.read(row, static_cast<size_t>(std::min<uint64_t>(batch_size, end - row)), batch);
      for (size_t d = 0; d < detectors.size(); ++d) {
        detectors[d]->detect(batch, det, threads);
        count_errors(batch, det, counts[d], threads);
        out.write(d, row - first, batch.n, det.symbols.data(), det.llr.empty() ? nullptr : det.llr.data());
      }
      bar.update(row + batch.n - first);
    }
    bar.finish();
    return !interrupted();
  }

  DatasetReader data;
  std::vector<std::string> specs;
  std::vector<std::unique_ptr<Detector>> detectors;
  std::vector<std::string> names;
  int threads = 1;
};

DetectionSummary summary_of(const PointResult& c) {
  return {c.bits, c.bit_errors, c.symbols, c.symbol_errors, c.llr_info()};
}

void print_table(const std::vector<std::string>& names, const std::vector<PointResult>& counts) {
  std::printf("%-24s %12s %12s %12s\n", "detector", "BER", "SER", "LLR info");
  for (size_t d = 0; d < counts.size(); ++d) {
    const auto& c = counts[d];
    char info_text[32] = "-";
    if (const auto info = c.llr_info()) std::snprintf(info_text, sizeof info_text, "%.4f", *info);
    std::printf("%-24s %12.4e %12.4e %12s\n", names[d].c_str(), c.ber(), c.ser(), info_text);
  }
}

std::vector<FlagPath> inputs_of(const DetectFlags& f) {
  auto inputs = files_in_specs("--detectors", split_detector_list(f.detectors));
  inputs.push_back({"--data", f.data});
  return inputs;
}

int run_one_process(const DetectFlags& f) {
  check_outputs({{"--out", f.out}}, inputs_of(f));
  const DetectJob job(f);
  install_interrupt_handler();  // before the partial file exists, so no signal finds it unhandled
  DetectionFileWriter out(f.out, job.file_info(f, job.data.size()));
  job.add_groups(out);
  std::vector<PointResult> counts;
  if (!job.detect_rows(0, job.data.size(), f.batch, out, counts)) {
    out.abort();
    std::fprintf(stderr, "mimo: interrupted; nothing written\n");
    return interrupted_exit_code();
  }
  print_table(job.names, counts);
  for (size_t d = 0; d < counts.size(); ++d) out.summarize(d, summary_of(counts[d]));
  out.commit();
  remove_stale_shards(f.out, 0);
  std::printf("wrote %s\n", f.out.c_str());
  return 0;
}

// `mpirun -n P mimo detect`: process r detects rows [N r/P, N (r+1)/P) into its shard, a detection file of those
// rows with their own counts; the counts are then summed, and process 0 joins the shards into --out with the
// totals.
int run_sharded(const DetectFlags& f) {
  using cluster::World;
  ShardedOutput sharded(f.out, inputs_of(f));
  std::optional<DetectJob> job;
  std::vector<PointResult> counts;
  sharded.write([&](const std::string& shard) {
    job.emplace(f);
    if (job->data.size() < static_cast<uint64_t>(World::size()))
      throw std::invalid_argument(f.data + " holds " + std::to_string(job->data.size()) + " samples, fewer than the " +
                                  std::to_string(World::size()) + " processes (each writes a shard of at least one)");
    const auto [first, end] = World::share(job->data.size());
    DetectionFileWriter out(shard, job->file_info(f, end - first));
    job->add_groups(out);
    if (!job->detect_rows(first, end, f.batch, out, counts)) return false;  // the destructor deletes the file
    for (size_t d = 0; d < counts.size(); ++d) out.summarize(d, summary_of(counts[d]));
    out.commit();
    return true;
  });
  std::vector<double> no_seconds;
  sum_over_processes(World::collective(), counts, no_seconds);
  sharded.join([&](const std::vector<std::string>& shards) {
    std::vector<std::pair<std::string, DetectionSummary>> totals;
    for (size_t d = 0; d < counts.size(); ++d) totals.emplace_back(job->names[d], summary_of(counts[d]));
    join_detection_shards(f.out, shards, job->data.size(), totals);
  });
  if (World::rank() == 0) {
    print_table(job->names, counts);
    std::printf("wrote %s (%d shards in %s/)\n", f.out.c_str(), World::size(), shard_folder(f.out).c_str());
  }
  return 0;
}

int run_detect(const DetectFlags& f) {
  return cluster::World::size() > 1 ? run_sharded(f) : run_one_process(f);
}

}  // namespace

void add_detect_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<DetectFlags>();
  CLI::App* cmd = app.add_subcommand("detect", "Write detectors' hard decisions and bit LLRs for a stored data set");
  cmd->add_option("--data", flags->data, "The data set (from mimo generate)")->required();
  cmd->add_option("--detectors,-d", flags->detectors,
                  "Comma-separated detector specs: mf zf mmse sic ml sphere kbest:k=K ep transformer:model.pt[,beam=K]")
      ->capture_default_str();
  cmd->add_option("--batch", flags->batch, "Samples per batch")->capture_default_str()->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--threads", flags->threads, "Worker threads (0 = all cores)")->capture_default_str()
      ->check(thread_count());
  cmd->add_option("--out,-o", flags->out, "Output HDF5 file: one group per detector (symbols, llr)")->required();
  registry.add(cmd, [flags] { return run_detect(*flags); });
}

}  // namespace mimo::cli
