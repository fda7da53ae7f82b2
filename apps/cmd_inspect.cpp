// mimo inspect: what a data set holds, and whether its statistics match what its metadata claims.
#include <cmath>
#include <cstdio>
#include <map>

#include "apps/commands.hpp"
#include "datasets/reader.hpp"

namespace mimo::cli {

namespace {

struct InspectFlags {
  std::string file;
  uint64_t samples = 20000;
};

// Per SNR value: sums that give the measured SNR, E|h|^2 and the measured noise variance.
struct Moments {
  uint64_t n = 0;
  double signal = 0, noise = 0, channel = 0, recorded_n0 = 0;
};

void print_schema(const DatasetReader& r) {
  const auto& i = r.info();
  const auto& c = i.channel;
  std::printf("file           %s\n", r.path().c_str());
  std::printf("schema         mimo data set, version %d (written by mimo %s)\n", i.schema_version,
              i.tool_version.c_str());
  std::printf("samples        %llu\n", static_cast<unsigned long long>(i.samples));
  std::printf("antennas       nt = %d streams, nr = %d receive\n", c.nt, c.nr);
  std::printf("modulation     %s (%d bits/symbol)\n", to_string(i.modulation).c_str(),
              Constellation(i.modulation).bits_per_symbol());
  std::printf("channel        %s\n", c.describe().c_str());
  std::printf("csi            %s\n", r.has_h_est() ? ("imperfect, H_est = H + CN(0, " + std::to_string(c.csi_error_var) + ")").c_str()
                                                   : "perfect (no H_est)");
  std::printf("snr            %s dB, unit %s\n", i.snr_schedule.c_str(), to_string(i.snr_unit).c_str());
  std::printf("seed           %llu\n", static_cast<unsigned long long>(i.seed));
  if (i.code)
    std::printf("code           %s (given as %s): %llu transport blocks of %llu channel uses\n",
                i.code->spec.describe().c_str(), i.code->requested.c_str(), static_cast<unsigned long long>(r.blocks()),
                static_cast<unsigned long long>(i.code->uses_per_block));
  const unsigned long long n = i.samples;
  const int m = Constellation(i.modulation).bits_per_symbol();
  std::printf("data sets      H [%llu,%d,%d] complex64, y [%llu,%d] complex64, x [%llu,%d] complex64,\n", n, c.nr,
              c.nt, n, c.nr, n, c.nt);
  std::printf("               bits [%llu,%d] uint8, snr_db [%llu] float32, noise_var [%llu] float32%s\n", n, c.nt * m,
              n, n, r.has_h_est() ? ", H_est complex64" : "");
  if (r.has_user_gain()) std::printf("               user_gain_db [%llu,%d] float32\n", n, c.nt);
  if (i.code)
    std::printf("               info_bits [%llu,%d] uint8\n", static_cast<unsigned long long>(r.blocks()), i.code->spec.k);
}

int run_inspect(const InspectFlags& f) {
  const DatasetReader reader(f.file);
  print_schema(reader);
  const uint64_t count = std::min<uint64_t>(f.samples, reader.size());
  if (count == 0) return 0;

  std::map<float, Moments> by_snr;  // a grid has few values; a range is summarized as one row
  const bool range = reader.info().snr_schedule.find(':') != std::string::npos;
  SampleBatch b;
  reader.read(0, static_cast<size_t>(count), b);
  for (size_t k = 0; k < b.n; ++k) {
    Moments& mo = by_snr[range ? NAN : b.snr_db[k]];
    double sig = 0, noi = 0, ch = 0;
    for (size_t r = 0; r < b.nr; ++r) {
      std::complex<double> hx = 0;
      for (size_t t = 0; t < b.nt; ++t) {
        const std::complex<double> h = b.H[(k * b.nr + r) * b.nt + t];
        hx += h * std::complex<double>(b.x[k * b.nt + t]);
        ch += std::norm(h);
      }
      sig += std::norm(hx);
      noi += std::norm(std::complex<double>(b.y[k * b.nr + r]) - hx);
    }
    mo.n += 1;
    mo.signal += sig / b.nr;
    mo.noise += noi / b.nr;
    mo.channel += ch / (b.nr * b.nt);
    mo.recorded_n0 += b.noise_var[k];
  }
  std::printf("\nstatistics of the first %llu samples (measured SNR = E||Hx||^2 / E||y - Hx||^2 per antenna)\n",
              static_cast<unsigned long long>(count));
  std::printf("%10s %8s %14s %10s %14s %14s\n", "snr_db", "samples", "measured_snr", "E|h|^2", "noise_var", "measured_n0");
  for (const auto& [snr, mo] : by_snr) {
    const double n = static_cast<double>(mo.n);
    std::printf("%10s %8llu %14.3f %10.4f %14.6g %14.6g\n", std::isnan(snr) ? "range" : std::to_string(snr).substr(0, 6).c_str(),
                static_cast<unsigned long long>(mo.n), 10 * std::log10(mo.signal / mo.noise), mo.channel / n,
                mo.recorded_n0 / n, mo.noise / n);
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, Registry& registry) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = app.add_subcommand("inspect", "Print a data set's schema, metadata and measured statistics");
  cmd->add_option("file", flags->file, "Data set (.h5)")->required();
  cmd->add_option("--samples", flags->samples, "Samples used for the statistics")->capture_default_str()
      ->check(kAtLeastOne);
  registry.add(cmd, [flags] { return run_inspect(*flags); });
}

}  // namespace mimo::cli
