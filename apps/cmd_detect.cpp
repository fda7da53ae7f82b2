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
#include "coding/ldpc_spec.hpp"
#include "evaluation/ber_engine.hpp"
#include "evaluation/coded_link.hpp"

namespace mimo::cli {

namespace {

struct DetectFlags {
  std::string data, detectors = "mmse", out;
  std::string code;  // optional: must be the coded data set's code (a check, for scripts that pass evaluate's flags)
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

// The coded link of a coded data set (generate --code), which decodes the detectors' LLRs per transport block;
// none for an uncoded one. --code, if given, must name the data set's code: the data decide, the flag only checks.
std::optional<CodedLink> coded_link(const DatasetReader& data, const DetectFlags& f,
                                    const std::vector<std::unique_ptr<Detector>>& detectors,
                                    const std::vector<std::string>& specs) {
  const auto& code = data.info().code;
  if (!code) {
    if (!f.code.empty())
      throw std::invalid_argument("--code: " + f.data + " is not a coded data set (make one with generate --code)");
    return std::nullopt;
  }
  if (!f.code.empty() && parse_ldpc_spec(f.code).describe() != code->spec.describe())
    throw std::invalid_argument("--code " + f.code + " is not the code of " + f.data + " (" + code->spec.describe() +
                                ")");
  std::optional<CodedLink> link;
  link.emplace(code->spec, data.info().modulation, data.info().channel.nt);  // its B: the reader checked the file's
  for (size_t d = 0; d < detectors.size(); ++d)
    if (!detectors[d]->provides_llr())
      throw std::invalid_argument(f.data + " is coded: decoding needs soft outputs (LLRs); '" + specs[d] +
                                  "' gives hard decisions only");
  return link;
}

// What both ways of running share: the data set, the detectors and their group names, and for a coded data set
// its link.
struct DetectJob {
  explicit DetectJob(const DetectFlags& f) : data(f.data) {
    for (const auto& s : split_detector_list(f.detectors)) {
      specs.push_back(s);
      detectors.push_back(make_detector(s, data.info().modulation));
    }
    names = group_names(detectors);
    link = coded_link(data, f, detectors, specs);
    threads = resolve_threads(f.threads == 0 ? cluster::World::default_threads() : f.threads);
  }

  // The file's metadata for rows [first, end) of the data set.
  DetectionFileInfo file_info(const DetectFlags& f, uint64_t rows) const {
    const auto& info = data.info();
    return {std::filesystem::absolute(f.data).string(), to_string(info.modulation), rows,
            static_cast<size_t>(info.channel.nt), static_cast<size_t>(info.channel.nr),
            static_cast<size_t>(Constellation(info.modulation).bits_per_symbol()), command_line(),
            std::string(kToolVersion), link ? link->spec().describe() : "",
            link ? rows / link->uses_per_block() : 0, link ? static_cast<size_t>(link->k()) : 0};
  }

  void add_groups(DetectionFileWriter& out) const {
    for (size_t d = 0; d < detectors.size(); ++d) out.add_detector(names[d], specs[d], detectors[d]->provides_llr());
  }

  // Rows [first, end) of the data set through every detector into `out` (row `first` as its row 0), counting
  // errors into `counts`; a coded data set's blocks are decoded too (its batches are whole blocks). False when
  // interrupted: after Ctrl-C nothing more is read.
  bool detect_rows(uint64_t first, uint64_t end, size_t batch_size, DetectionFileWriter& out,
                   std::vector<PointResult>& counts) {
    ProgressBar bar("detect", end - first);
    counts.assign(detectors.size(), PointResult{});
    const size_t B = link ? link->uses_per_block() : 1;
    batch_size = (batch_size + B - 1) / B * B;
    Detection det;
    SampleBatch batch;
    std::vector<uint8_t> info_bits;
    for (uint64_t row = first; row < end && !interrupted(); row += batch.n) {
      data.read(row, static_cast<size_t>(std::min<uint64_t>(batch_size, end - row)), batch);
      if (link) data.read_info_bits(row / B, batch.n / B, info_bits);
      for (size_t d = 0; d < detectors.size(); ++d) {
        detectors[d]->detect(batch, det, threads);
        count_errors(batch, det, counts[d], threads);
        out.write(d, row - first, batch.n, det.symbols.data(), det.llr.empty() ? nullptr : det.llr.data());
        if (link) decode(d, (row - first) / B, det, info_bits, counts[d], out);
      }
      bar.update(row + batch.n - first);
    }
    bar.finish();
    return !interrupted();
  }

  // Decodes one batch's blocks (`info_bits` sent) from detector d's LLRs into its counts and, as blocks
  // [first_block, ...) of the file, its decoded bits.
  void decode(size_t d, uint64_t first_block, const Detection& det, const std::vector<uint8_t>& info_bits,
              PointResult& counts, DetectionFileWriter& out) {
    const size_t blocks = info_bits.size() / static_cast<size_t>(link->k());
    BlockCounts decoded_counts;
    decoded.resize(info_bits.size());
    link->decode_blocks(det, info_bits, 0, blocks, decoded_counts, threads, decoded.data());
    accumulate(counts, decoded_counts);
    out.write_decoded(d, first_block, blocks, decoded.data());
  }

  DatasetReader data;
  std::vector<std::string> specs;
  std::vector<std::unique_ptr<Detector>> detectors;
  std::vector<std::string> names;
  std::optional<CodedLink> link;  // a coded data set's
  std::vector<uint8_t> decoded;   // a batch's decoded bits
  int threads = 1;
};

DetectionSummary summary_of(const PointResult& c, bool coded) {
  DetectionSummary s{c.bits, c.bit_errors, c.symbols, c.symbol_errors, c.llr_info(), std::nullopt};
  if (coded) {
    const Interval bler = bler_interval(c);
    s.decoding = DecodingSummary{c.blocks, c.block_errors, c.info_bits, c.info_bit_errors, bler.lo, bler.hi};
  }
  return s;
}

void print_table(const std::vector<std::string>& names, const std::vector<PointResult>& counts, bool coded) {
  std::printf("%-24s %12s %12s %12s", "detector", "BER", "SER", "LLR info");
  if (coded) std::printf(" %8s %8s %12s %21s %12s", "blocks", "errors", "BLER", "(95% interval)", "coded BER");
  std::printf("\n");
  for (size_t d = 0; d < counts.size(); ++d) {
    const auto& c = counts[d];
    char info_text[32] = "-";
    if (const auto info = c.llr_info()) std::snprintf(info_text, sizeof info_text, "%.4f", *info);
    std::printf("%-24s %12.4e %12.4e %12s", names[d].c_str(), c.ber(), c.ser(), info_text);
    if (coded) {
      const Interval bler = bler_interval(c);
      std::printf(" %8llu %8llu %12.4e   (%.3e, %.3e) %12.4e", static_cast<unsigned long long>(c.blocks),
                  static_cast<unsigned long long>(c.block_errors), c.bler(), bler.lo, bler.hi, c.coded_ber());
    }
    std::printf("\n");
  }
}

std::vector<FlagPath> inputs_of(const DetectFlags& f) {
  auto inputs = files_in_specs("--detectors", split_detector_list(f.detectors));
  inputs.push_back({"--data", f.data});
  return inputs;
}

int run_one_process(const DetectFlags& f) {
  check_outputs({{"--out", f.out}}, inputs_of(f));
  DetectJob job(f);
  install_interrupt_handler();  // before the partial file exists, so no signal finds it unhandled
  DetectionFileWriter out(f.out, job.file_info(f, job.data.size()));
  job.add_groups(out);
  std::vector<PointResult> counts;
  if (!job.detect_rows(0, job.data.size(), f.batch, out, counts)) {
    out.abort();
    std::fprintf(stderr, "mimo: interrupted; nothing written\n");
    return interrupted_exit_code();
  }
  const bool coded = job.link.has_value();
  print_table(job.names, counts, coded);
  for (size_t d = 0; d < counts.size(); ++d) out.summarize(d, summary_of(counts[d], coded));
  out.commit();
  remove_stale_shards(f.out, 0);
  std::printf("wrote %s\n", f.out.c_str());
  return 0;
}

// `mpirun -n P mimo detect`: process r detects rows [N r/P, N (r+1)/P) into its shard, a detection file of those
// rows with their own counts; the counts are then summed, and process 0 joins the shards into --out with the
// totals. Uncoded data sets only: a shard's rows would split transport blocks.
int run_sharded(const DetectFlags& f) {
  using cluster::World;
  ShardedOutput sharded(f.out, inputs_of(f));
  std::optional<DetectJob> job;
  std::vector<PointResult> counts;
  sharded.write([&](const std::string& shard) {
    job.emplace(f);
    if (job->link)
      throw std::invalid_argument(f.data + " is coded: it is detected by one process, not under mpirun, for now");
    if (job->data.size() < static_cast<uint64_t>(World::size()))
      throw std::invalid_argument(f.data + " holds " + std::to_string(job->data.size()) + " samples, fewer than the " +
                                  std::to_string(World::size()) + " processes (each writes a shard of at least one)");
    const auto [first, end] = World::share(job->data.size());
    DetectionFileWriter out(shard, job->file_info(f, end - first));
    job->add_groups(out);
    if (!job->detect_rows(first, end, f.batch, out, counts)) return false;  // the destructor deletes the file
    for (size_t d = 0; d < counts.size(); ++d) out.summarize(d, summary_of(counts[d], false));
    out.commit();
    return true;
  });
  std::vector<double> no_seconds;
  sum_over_processes(World::collective(), counts, no_seconds);
  sharded.join([&](const std::vector<std::string>& shards) {
    std::vector<std::pair<std::string, DetectionSummary>> totals;
    for (size_t d = 0; d < counts.size(); ++d) totals.emplace_back(job->names[d], summary_of(counts[d], false));
    join_detection_shards(f.out, shards, job->data.size(), totals);
  });
  if (World::rank() == 0) {
    print_table(job->names, counts, false);
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
  cmd->add_option("--out,-o", flags->out,
                  "Output HDF5 file: one group per detector (symbols, llr; decoded_bits for a coded data set)")
      ->required();
  cmd->add_option("--code", flags->code,
                  "Optional check: the code the data set must have been generated with (a coded data set is decoded "
                  "with its own code, given or not)");
  registry.add(cmd, [flags] { return run_detect(*flags); });
}

}  // namespace mimo::cli
