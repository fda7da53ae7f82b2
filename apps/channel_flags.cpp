#include "apps/channel_flags.hpp"

#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>

namespace mimo::cli {

namespace {

// A model flag's value before parsing, so that an empty value given (--h-dataset '') is told from none given.
const std::string kNotGiven(1, '\0');

std::string model_list() {
  std::string list;
  for (const auto& m : channel_models()) list += (list.empty() ? "" : ", ") + m.name;
  return list;
}

// Every registered model's parameters, each once (two models may share a parameter only as one declaration).
std::vector<ChannelParameter> all_parameters() {
  std::vector<ChannelParameter> out;
  std::set<std::string> seen;
  for (const auto& m : channel_models())
    for (const auto& p : m.parameters)
      if (seen.insert(p.name).second) out.push_back(p);
  return out;
}

ParameterValue parse_value(const ChannelParameter& p, const std::string& text) {
  if (p.kind == ChannelParameter::Kind::text) return text;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw std::invalid_argument(p.flag() + " must be a finite number (got '" + text + "')");
  return v;
}

}  // namespace

void add_channel_flags(CLI::App& cmd, ChannelFlags& f, bool allow_range) {
  cmd.add_option("--nt", f.channel.nt, "Transmit streams")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd.add_option("--nr", f.channel.nr, "Receive antennas")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd.add_option("--mod", f.modulation, "Modulation: bpsk, qpsk, qam16, qam64, qam256")->capture_default_str();
  cmd.add_option("--channel", f.channel.model, "Channel model: " + model_list())->capture_default_str();
  for (const auto& p : all_parameters()) {
    std::string owners;
    for (const auto& m : models_declaring(p.name)) owners += (owners.empty() ? "" : "/") + m;
    std::string help = "[" + owners + "] " + p.help + " (default " + (p.default_value.empty() ? "none" : p.default_value);
    if (!p.choices.empty()) {
      help += "; one of";
      for (const auto& c : p.choices) help += " " + c;
    }
    f.model_flags[p.name] = kNotGiven;
    cmd.add_option(p.flag(), f.model_flags[p.name], help + ")");
  }
  cmd.add_option("--csi-error-var", f.channel.csi_error_var,
                 "Imperfect CSI: detectors see H_est = H + E, E ~ CN(0, V); 0 = perfect CSI");
  cmd.add_option("--user-power-spread-db", f.channel.user_power_spread_db,
                 "Per-user large-scale gain uniform in [-S/2, S/2] dB per realization, mean power kept (any model); "
                 "0 = equal powers");
  cmd.add_option("--uses-per-realization", f.channel.uses_per_realization,
                 "Block fading (any model): U consecutive channel uses share one channel realization, as over an "
                 "OFDM slot; bits, noise, SNR and CSI error stay per use")
      ->capture_default_str()
      ->check(integer_in(1, static_cast<long long>(kMaxUsesPerRealization)));
  auto* grid = cmd.add_option("--snr-db", f.snr_db, "SNR grid in dB: 10 | 5,15 | 0:2:20 (start:step:stop)");
  if (allow_range) {
    auto* range = cmd.add_option("--snr-range", f.snr_range, "Draw each sample's SNR uniformly from lo:hi dB");
    grid->excludes(range);
    range->excludes(grid);
  }
  cmd.add_option("--snr-unit", f.snr_unit,
                 "SNR axis: snr (receive SNR per antenna, Nt*Es/N0), esn0 (Es/N0), ebn0 (Eb/N0)")
      ->capture_default_str();
  cmd.add_option("--seed", f.seed, "Random seed; the same seed gives identical results")->capture_default_str()
      ->check(unsigned64());
}

GeneratorConfig generator_config(const ChannelFlags& f, StreamTag tag) {
  GeneratorConfig g;
  g.channel = f.channel;
  for (const auto& p : all_parameters()) {
    const auto it = f.model_flags.find(p.name);
    if (it != f.model_flags.end() && it->second != kNotGiven) g.channel.params[p.name] = parse_value(p, it->second);
  }
  validate(g.channel);
  g.modulation = parse_modulation(f.modulation);
  g.snr_unit = parse_snr_unit(f.snr_unit);
  if (!f.snr_range.empty())
    g.snr = SnrSchedule::range(f.snr_range);
  else if (!f.snr_db.empty())
    g.snr = SnrSchedule::grid(f.snr_db);
  else
    throw std::invalid_argument("give the SNR with --snr-db (or --snr-range)");
  g.seed = f.seed;
  g.tag = tag;
  return g;
}

GeneratorConfig generator_config(const DatasetInfo& data, uint64_t seed, StreamTag tag) {
  GeneratorConfig g;
  g.channel = data.channel;
  g.modulation = data.modulation;
  g.snr_unit = data.snr_unit;
  g.snr = SnrSchedule::from_description(data.snr_schedule);
  g.seed = seed;
  g.tag = tag;
  return g;
}

void exclude_channel_flags(CLI::App& cmd, CLI::Option* data) {
  std::vector<std::string> names = {"--snr-db", "--snr-range", "--nt", "--nr", "--mod", "--channel",
                                    "--csi-error-var", "--user-power-spread-db", "--uses-per-realization",
                                    "--snr-unit"};
  for (const auto& p : all_parameters()) names.push_back(p.flag());
  for (const auto& name : names)
    if (CLI::Option* flag = cmd.get_option_no_throw(name)) data->excludes(flag);
}

}  // namespace mimo::cli
