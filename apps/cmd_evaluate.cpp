// mimo evaluate: BER/SER versus SNR of several detectors on identical channel realizations.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <sstream>

#include "apps/channel_flags.hpp"
#include "apps/commands.hpp"
#include "cluster/mpi.hpp"
#include "simd/target.hpp"
#include "apps/json.hpp"
#include "apps/outputs.hpp"
#include "apps/terminal.hpp"
#include "channel/parallel.hpp"
#include "datasets/atomic_file.hpp"
#include "datasets/reader.hpp"
#include "coding/ldpc_code.hpp"
#include "coding/ldpc_spec.hpp"
#include "evaluation/coded_link.hpp"
#include "evaluation/results.hpp"

namespace mimo::cli {

namespace {

struct EvaluateFlags {
  ChannelFlags channel;
  std::string detectors = "zf,mmse";
  std::string data;
  uint64_t min_errors = 1000;
  double max_bits = 1e8;
  int threads = 0;
  std::string out;
  std::string code;  // --code ldpc:k=K,n=N|rate=R[,iters=I]; empty: uncoded
  uint64_t min_block_errors = 100;
};

std::string json_path_for(const std::string& csv) {
  return std::filesystem::path(csv).replace_extension(".json").string();
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

JsonObject configuration(const EvaluateFlags& f, const GeneratorConfig& g, const std::vector<std::string>& specs,
                         bool complete, const CodedLink* link) {
  JsonObject channel;
  channel.add("model", g.channel.model).add("nt", g.channel.nt).add("nr", g.channel.nr);
  for (const auto& [name, value] : g.channel.resolved_parameters()) {
    if (const double* v = std::get_if<double>(&value))
      channel.add(name, *v);
    else
      channel.add(name, std::get<std::string>(value));
  }
  channel.add("csi_error_var", g.channel.csi_error_var).add("user_power_spread_db", g.channel.user_power_spread_db);
  channel.add("uses_per_realization", static_cast<unsigned long long>(g.channel.uses_per_realization));
  JsonObject j;
  j.add("tool", "mimo").add("tool_version", std::string(kToolVersion)).add("created", now_utc());
  j.add("command", command_line()).add("complete", complete).add("processes", cluster::World::size());
  if (cluster::World::size() > 1) {
    // Process 0's sums over the processes so far; their seconds include waiting for the slowest process.
    const auto t = cluster::World::traffic();
    JsonObject c;
    c.add("allreduce_calls", static_cast<unsigned long long>(t.calls))
        .add("allreduce_bytes", static_cast<unsigned long long>(t.bytes))
        .add("allreduce_seconds", t.seconds);
    j.add("communication", c);
  }
  // float32 kernels round alike on every FMA instruction set, differently without FMA (README.md, "Detectors").
  j.add("simd_target", std::string(simd::dispatched_target()));
  j.add("detectors", specs).add("modulation", to_string(g.modulation)).add("channel", channel);
  j.add("snr_unit", to_string(g.snr_unit));
  if (f.data.empty()) {
    j.add("snr_db", g.snr.values()).add("seed", static_cast<unsigned long long>(g.seed));
  } else {
    j.add("data", std::filesystem::absolute(f.data).string());
  }
  j.add("min_errors", static_cast<unsigned long long>(f.min_errors)).add("max_bits", f.max_bits);
  if (link) {
    const auto& p = link->code().params();
    JsonObject code;
    code.add("spec", link->spec().describe()).add("k", p.k).add("e", p.e).add("lifted_n", p.n).add("base_graph", p.base_graph);
    code.add("zc", p.z).add("iterations", link->spec().iterations).add("uses_per_block",
                                                                        static_cast<unsigned long long>(link->uses_per_block()));
    code.add("interleaver", "code bit e -> channel use e mod B of its block, slot e div B (stream-major slots)");
    code.add("decoder", "layered normalized min-sum, scale 0.75, early stopping");
    j.add("code", code).add("min_block_errors", static_cast<unsigned long long>(f.min_block_errors));
  }
  j.add("confidence_interval",
        "Wilson score, 95%, on bit errors, with the design effect of errors clustered in a channel use");
  j.add("snr_convention",
        link ? "snr = receive SNR per antenna = Nt Es/N0; esn0 = Es/N0; ebn0 = Eb/N0 per information bit = "
               "Es/N0 / (R bits per symbol), code rate R = K/E"
             : "snr = receive SNR per antenna = Nt Es/N0; esn0 = Es/N0; ebn0 = Es/N0 / bits per symbol");
  return j;
}

void print_row(const std::vector<PointResult>& point, bool header, bool coded) {
  if (header) {
    std::printf("%9s", "snr_db");
    for (const auto& r : point) std::printf("  %14s", r.detector.substr(0, 14).c_str());
    std::printf(coded ? "   (BER / BLER)\n" : "   (BER)\n");
  }
  std::printf("%9.2f", point.front().snr.snr_db);
  for (const auto& r : point) std::printf("  %14.4e", r.ber());
  std::printf("\n");
  if (coded) {
    std::printf("%9s", "");
    for (const auto& r : point) std::printf("  %14.4e", r.bler());
    std::printf("\n");
  }
  std::fflush(stdout);
}

int run_evaluate(const EvaluateFlags& f) {
  // Under mpirun every process simulates its part of each batch; process 0 alone reports and writes.
  const bool reporter = cluster::World::rank() == 0;
  // Checked before the (possibly long) run.
  require_extension({"--out", f.out}, ".csv");
  const auto specs = split_detector_list(f.detectors);
  auto inputs = files_in_specs("--detectors", specs);
  inputs.push_back({"--data", f.data});
  if (reporter)
    check_outputs({{"--out", f.out}, {"the configuration file beside --out", json_path_for(f.out)}}, inputs);
  if (!f.data.empty() && cluster::World::size() > 1)
    throw std::invalid_argument("evaluate --data runs as one process (under mpirun only simulated points are shared)");
  if (!(f.max_bits >= 1 && f.max_bits <= 1e18)) throw std::invalid_argument("--max-bits must be in [1, 1e18]");
  std::optional<LdpcSpec> code;
  if (!f.code.empty()) {
    code = parse_ldpc_spec(f.code);
    if (!f.data.empty())
      throw std::invalid_argument("--code needs simulated points (a data set made with generate --code is decoded "
                                  "by mimo detect)");
    if (cluster::World::size() > 1) throw std::invalid_argument("--code runs as one process for now (not under mpirun)");
  }
  std::optional<DatasetReader> data;
  GeneratorConfig g;
  if (!f.data.empty()) {
    data.emplace(f.data);
    g = generator_config(data->info(), 0, StreamTag::evaluate);
  } else {
    g = generator_config(f.channel, StreamTag::evaluate);
  }
  std::vector<std::unique_ptr<Detector>> owned;
  std::vector<const Detector*> detectors;
  for (const auto& s : specs) {
    owned.push_back(make_detector(s, g.modulation));
    detectors.push_back(owned.back().get());
  }
  const ResultsContext context{g.channel.model, to_string(g.modulation), g.channel.nt, g.channel.nr};
  std::optional<CodedLink> link;  // for the checks and the configuration; simulate() makes its own
  if (code) {
    for (size_t d = 0; d < detectors.size(); ++d)
      if (!detectors[d]->provides_llr())
        throw std::invalid_argument("--code needs soft outputs (LLRs); '" + specs[d] + "' gives hard decisions only");
    link.emplace(*code, g.modulation, g.channel.nt);
  }

  EngineOptions opt;
  opt.min_errors = f.min_errors;
  opt.max_bits = static_cast<uint64_t>(f.max_bits);
  opt.code = code;
  opt.min_block_errors = f.min_block_errors;
  // --threads 0 is every core of the machine, shared among the processes mpirun started on it.
  opt.threads = resolve_threads(f.threads == 0 ? cluster::World::default_threads() : f.threads);
  opt.collective = cluster::World::collective();
  install_interrupt_handler();
  std::unique_ptr<ProgressBar> bar;
  size_t bar_point = SIZE_MAX;
  const auto& grid = data ? std::vector<double>{} : g.snr.values();
  opt.progress = [&](size_t point, const std::vector<PointResult>& so_far) {
    if (!reporter) return !interrupted();
    if (data) {
      if (!bar) bar = std::make_unique<ProgressBar>("evaluate", data->size());
      bar->update(point);
      return !interrupted();
    }
    if (point != bar_point) {
      if (bar) bar->finish();
      char label[64];
      std::snprintf(label, sizeof label, "%6.2f dB", grid[point]);
      bar = std::make_unique<ProgressBar>(label, 1000);
      bar_point = point;
    }
    // Progress of a point: the slowest detector's share of min-errors (min-block-errors with --code), or the
    // share of max-bits if larger.
    double frac = static_cast<double>(so_far.front().bits) / static_cast<double>(opt.max_bits);
    double worst = 1.0;
    for (const auto& r : so_far)
      worst = std::min(worst, code ? static_cast<double>(r.block_errors) / static_cast<double>(opt.min_block_errors)
                                   : static_cast<double>(r.bit_errors) / static_cast<double>(opt.min_errors));
    frac = std::max(frac, worst);
    bar->update(static_cast<uint64_t>(std::min(frac, 1.0) * 1000),
                si(static_cast<double>(so_far.front().bits)) + " bits");
    return !interrupted();
  };

  std::vector<PointResult> done;
  auto save = [&](bool complete) {
    write_file_atomically(f.out, results_csv(context, done, code.has_value()));
    write_file_atomically(json_path_for(f.out),
                          configuration(f, g, specs, complete, link ? &*link : nullptr).str() + "\n");
  };
  // Each finished point is saved at once (atomically), so a long run interrupted late keeps its points.
  const auto names = result_names(detectors, specs);
  auto on_point = [&](std::vector<PointResult> point) {
    if (!reporter) return;
    for (size_t d = 0; d < point.size(); ++d) point[d].detector = names[d];
    if (bar) bar->finish();
    print_row(point, done.empty(), code.has_value());
    done.insert(done.end(), point.begin(), point.end());
    save(false);
  };
  // Under mpirun a signal to any process stops them all: process 0 may not have had one itself, but the points
  // after the one it stopped in are missing all the same.
  bool all_points = true;
  if (data)
    evaluate_dataset(*data, detectors, opt, on_point);
  else
    all_points = simulate(g, detectors, opt, on_point).size() == grid.size() * detectors.size();
  const bool stopped = interrupted() || !all_points;
  if (bar) bar->finish();
  if (!reporter) return stopped ? interrupted_exit_code() : 0;
  if (stopped) {
    if (done.empty())
      std::fprintf(stderr, "mimo: interrupted; nothing written\n");
    else
      std::fprintf(stderr, "mimo: interrupted; %s holds the %zu completed rows\n", f.out.c_str(), done.size());
    return interrupted_exit_code();
  }
  save(true);
  std::printf("wrote %s and %s\n", f.out.c_str(), json_path_for(f.out).c_str());
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* cmd = app.add_subcommand("evaluate", "BER/SER versus SNR of detectors on identical channel realizations");
  add_channel_flags(*cmd, flags->channel, /*allow_range=*/false);
  cmd->add_option("--detectors,-d", flags->detectors,
                  "Comma-separated detector specs: mf zf mmse sic ml sphere kbest:k=K ep transformer:model.pt[,beam=K]")
      ->capture_default_str();
  auto* data = cmd->add_option("--data", flags->data, "Evaluate on a stored data set (its channel flags apply)");
  exclude_channel_flags(*cmd, data);
  data->excludes(cmd->get_option("--seed"));  // the data set's realizations are fixed: no seed to give
  cmd->add_option("--min-errors", flags->min_errors, "Stop a point when every detector has this many bit errors")
      ->capture_default_str()
      ->check(kAtLeastOne);
  cmd->add_option("--max-bits", flags->max_bits, "Stop a point after this many bits")->capture_default_str();
  auto* code = cmd->add_option("--code", flags->code,
                  "Send 5G NR LDPC transport blocks and decode them from the detectors' LLRs: "
                  "ldpc:k=K,n=N or ldpc:k=K,rate=R, optional ,iters=I (adds BLER and coded BER columns)");
  cmd->add_option("--min-block-errors", flags->min_block_errors,
                  "With --code: stop a point when every detector has this many block errors (or after --max-bits)")
      ->capture_default_str()
      ->check(kAtLeastOne)
      ->needs(code);
  cmd->add_option("--threads", flags->threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->check(thread_count());
  cmd->add_option("--out,-o", flags->out, "Results CSV (.csv); the configuration goes to the .json beside it")
      ->required();
  registry.add(cmd, [flags] { return run_evaluate(*flags); });
}

}  // namespace mimo::cli
