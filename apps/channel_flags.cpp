#include "apps/channel_flags.hpp"

#include <stdexcept>

namespace mimo::cli {

void add_channel_flags(CLI::App& cmd, ChannelFlags& f, bool allow_range) {
  cmd.add_option("--nt", f.channel.nt, "Transmit streams")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd.add_option("--nr", f.channel.nr, "Receive antennas")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd.add_option("--mod", f.modulation, "Modulation: bpsk, qpsk, qam16, qam64, qam256")->capture_default_str();
  cmd.add_option("--channel", f.channel.model, "Channel model: rayleigh, kronecker, rician")->capture_default_str();
  cmd.add_option("--rho-tx", f.channel.rho_tx, "Kronecker transmit correlation rho, R_ij = rho^|i-j|, 0 <= rho < 1");
  cmd.add_option("--rho-rx", f.channel.rho_rx, "Kronecker receive correlation rho, 0 <= rho < 1");
  cmd.add_option("--k-factor", f.channel.k_factor, "Rician K-factor (linear power ratio LOS/scattered)");
  cmd.add_option("--csi-error-var", f.channel.csi_error_var,
                 "Imperfect CSI: detectors see H_est = H + E, E ~ CN(0, V); 0 = perfect CSI");
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
  for (const char* name : {"--snr-db", "--snr-range", "--nt", "--nr", "--mod", "--channel", "--rho-tx", "--rho-rx",
                           "--k-factor", "--csi-error-var", "--snr-unit"})
    if (CLI::Option* flag = cmd.get_option_no_throw(name)) data->excludes(flag);
}

}  // namespace mimo::cli
