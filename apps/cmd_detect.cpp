// mimo detect: runs detectors over a stored data set and writes their hard decisions and bit LLRs to HDF5,
// row-aligned with the data set, for decoders and analyses outside mimo.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "apps/commands.hpp"
#include "apps/outputs.hpp"
#include "apps/terminal.hpp"
#include "channel/parallel.hpp"
#include "datasets/detection_file.hpp"
#include "datasets/reader.hpp"
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

int run_detect(const DetectFlags& f) {
  namespace fs = std::filesystem;
  const auto specs = split_detector_list(f.detectors);
  auto inputs = files_in_specs("--detectors", specs);
  inputs.push_back({"--data", f.data});
  check_outputs({{"--out", f.out}}, inputs);
  DatasetReader data(f.data);
  const auto& info = data.info();
  const Constellation constellation(info.modulation);
  const size_t nt = static_cast<size_t>(info.channel.nt), m = static_cast<size_t>(constellation.bits_per_symbol());

  std::vector<std::unique_ptr<Detector>> detectors;
  for (const auto& s : specs) detectors.push_back(make_detector(s, info.modulation));
  const auto names = group_names(detectors);

  DetectionFileInfo file_info{fs::absolute(f.data).string(), to_string(info.modulation), data.size(), nt,
                              static_cast<size_t>(info.channel.nr), m, command_line(), std::string(kToolVersion)};
  install_interrupt_handler();  // before the partial file exists, so no signal finds it unhandled
  DetectionFileWriter out(f.out, file_info);
  for (size_t d = 0; d < detectors.size(); ++d) out.add_detector(names[d], specs[d], detectors[d]->provides_llr());

  const int threads = resolve_threads(f.threads);
  ProgressBar bar("detect", data.size());
  std::vector<PointResult> counts(detectors.size());
  Detection det;
  SampleBatch batch;
  // An explicit loop rather than for_each_batch: after Ctrl-C nothing more is read from the data set.
  for (uint64_t first = 0; first < data.size() && !interrupted(); first += batch.n) {
    data.read(first, static_cast<size_t>(std::min<uint64_t>(f.batch, data.size() - first)), batch);
    for (size_t d = 0; d < detectors.size(); ++d) {
      detectors[d]->detect(batch, det, threads);
      count_errors(batch, det, counts[d], threads);
      out.write(d, first, batch.n, det.symbols.data(), det.llr.empty() ? nullptr : det.llr.data());
    }
    bar.update(first + batch.n);
  }
  bar.finish();
  if (interrupted()) {
    out.abort();
    std::fprintf(stderr, "mimo: interrupted; nothing written\n");
    return interrupted_exit_code();
  }
  std::printf("%-24s %12s %12s %12s\n", "detector", "BER", "SER", "LLR info");
  for (size_t d = 0; d < detectors.size(); ++d) {
    const auto& c = counts[d];
    const DetectionSummary s{c.bits, c.bit_errors, c.symbols, c.symbol_errors, c.llr_info()};
    out.summarize(d, s);
    char info_text[32] = "-";
    if (s.llr_information) std::snprintf(info_text, sizeof info_text, "%.4f", *s.llr_information);
    std::printf("%-24s %12.4e %12.4e %12s\n", names[d].c_str(), c.ber(), c.ser(), info_text);
  }
  out.commit();
  std::printf("wrote %s\n", f.out.c_str());
  return 0;
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
