#pragma once
// The generator: draws bits, symbols, a channel, noise at the scheduled SNR, and (for imperfect CSI) a channel
// estimate, for any range of sample indices. Sample i depends only on (seed, tag, i), never on threads, chunks or
// the CPU's SIMD instruction set: every draw comes from its own Philox counter (SampleDraws, channel/random.hpp),
// computed by a SIMD kernel across samples (channel/generator_kernel.hpp).
#include <cstdint>
#include <memory>

#include "channel/channel_model.hpp"
#include "channel/modulation.hpp"
#include "channel/random.hpp"
#include "channel/sample_batch.hpp"
#include "channel/snr.hpp"

namespace mimo {

/// Multi-user power spread (--user-power-spread-db S): user t's large-scale power gain is 10^(g_t / 10) with
/// g_t = S (u - 1/2) - 10 log10 E[10^(S (u - 1/2) / 10)], u uniform: uniform over an S dB wide window, shifted so
/// its linear mean is 1 and E|h|^2 stays 1.
class UserPowerSpread {
public:
  explicit UserPowerSpread(double spread_db);
  /// The gain in dB for the uniform u.
  double gain_db(double u) const;
  /// E[10^(d / 10)] for d uniform in [-S/2, S/2].
  static double mean_linear(double spread_db);

private:
  double spread_db_, mean_offset_db_;
};

struct KernelJob;  // channel/generator_kernel.hpp

struct GeneratorConfig {
  ChannelConfig channel;
  Modulation modulation = Modulation::qpsk;
  SnrSchedule snr = SnrSchedule::grid(std::vector<double>{10.0});
  SnrUnit snr_unit = SnrUnit::snr;
  uint64_t seed = 1;
  StreamTag tag = StreamTag::generate;
};

class Generator {
public:
  explicit Generator(GeneratorConfig cfg);

  const GeneratorConfig& config() const { return cfg_; }
  const Constellation& constellation() const { return constellation_; }
  const ChannelModel& model() const { return *model_; }

  /// Fills `out` with samples first, first+1, ..., first+count-1, using `threads` worker threads.
  void generate(uint64_t first, size_t count, SampleBatch& out, int threads = 1) const;

private:
  /// The kernel's settings of this run (seed, tag, sizes, constellation); the caller sets the rest.
  KernelJob kernel_job() const;
  void apply_user_gains(uint64_t index, std::complex<float>* H, float* gain_db) const;
  /// Block fading (uses_per_realization > 1): samples first, ..., first + count - 1, at out[at, at + count), whose
  /// x, n and E the kernel has drawn, get their realization's H (and gains), y = Hx + n and H_est = H + E.
  void share_realizations(uint64_t first, size_t count, SampleBatch& out, size_t at) const;

  GeneratorConfig cfg_;
  Constellation constellation_;
  std::unique_ptr<ChannelModel> model_;
  UserPowerSpread spread_;
  std::vector<float> levels_;                    // the constellation's PAM levels, as the kernel looks them up
  std::vector<double> grid_n0_;                  // noise variance of each grid value (grid schedules)
};

}  // namespace mimo
