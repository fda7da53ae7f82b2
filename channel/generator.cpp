#include "channel/generator.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "channel/generator_kernel.hpp"
#include "channel/parallel.hpp"

namespace mimo {

namespace {

// The generator's ChannelDraws: the sample's scalars blocks 1, 2, ..., two uniforms each.
class SampleChannelDraws final : public ChannelDraws {
public:
  SampleChannelDraws(uint64_t seed, StreamTag tag, uint64_t index)
      : ChannelDraws(seed, index), draws_{seed, tag, index} {}
  double uniform() override {
    if (used_ == 2) {
      block_ = draws_.block(DrawKind::scalars, next_block_++);
      used_ = 0;
    }
    const int w = 2 * used_++;
    return SampleDraws::uniform53(block_[w], block_[w + 1]);
  }

private:
  SampleDraws draws_;
  simd::PhiloxBlock block_{};
  uint32_t next_block_ = 1;
  int used_ = 2;
};

}  // namespace

double UserPowerSpread::mean_linear(double spread_db) {
  // E[exp(a d)] for d uniform in [-S/2, S/2], a = ln(10) / 10: sinh(x) / x with x = a S / 2, which stays accurate
  // (and finite) for tiny S where the difference of two exponentials would cancel to 0.
  const double x = std::log(10.0) / 10.0 * spread_db / 2;
  return x == 0.0 ? 1.0 : std::sinh(x) / x;
}

UserPowerSpread::UserPowerSpread(double spread_db)
    : spread_db_(spread_db), mean_offset_db_(10.0 * std::log10(mean_linear(spread_db))) {}

double UserPowerSpread::gain_db(double u) const { return spread_db_ * (u - 0.5) - mean_offset_db_; }

Generator::Generator(GeneratorConfig cfg)
    : cfg_(std::move(cfg)), constellation_(cfg_.modulation), model_(make_channel_model(cfg_.channel)),
      spread_(cfg_.channel.user_power_spread_db) {
  for (double level : constellation_.pam_levels()) levels_.push_back(static_cast<float>(level));
  if (!cfg_.snr.is_range())
    for (double v : cfg_.snr.values())
      grid_n0_.push_back(noise_variance(v, cfg_.snr_unit, cfg_.channel.nt, constellation_.bits_per_symbol()));
}

// What sample i is, and in which order its parts are computed (SampleDraws in channel/random.hpp says which Philox
// counter each draw uses; a change to either changes the data sets a seed gives, so document it in
// datasets/SCHEMA.md):
//   1. SNR: grid[i mod size], or lo + (hi - lo) u for a range (u from the scalars block 0); N0 from
//      channel/snr.hpp in double; snr_db and noise_var are stored as float32.
//   2. bits (Nt m per sample), symbols x by the constellation's float32 PAM levels.
//   3. the channel's i.i.d. CN(0, 1) draw G and noise z; n = sqrt(noise_var) z in float32 (the stored N0).
//   4. H = G (Rayleigh) or the model's shape of G and its stream of uniforms (channel_model.hpp), rounded to
//      float32; with a user power spread, column t times sqrt(10^(g_t / 10)) in double, g_t = user_gain_db from
//      its uniform (UserPowerSpread), rounded to float32.
//   5. y = H x + n in float32 (apply_channel's order), from the stored H and x.
//   6. with imperfect CSI: H_est = H + sqrt(csi_error_var) e, e ~ CN(0, 1), in float32.
// With U = uses_per_realization > 1 (block fading), step 4 is taken from the realization r = floor(i / U): H (the
// i.i.d. draw G, the model's uniforms and the user gains, all drawn under index r) and user_gain_db are exactly
// those of sample r with U = 1; steps 1-3 (SNR, bits, x, n), 5 and 6 (e) stay sample i's own. y then always comes
// from apply_channel (the fused kernel's formula). U = 1 is the path above, unchanged.
void Generator::generate(uint64_t first, size_t count, SampleBatch& out, int threads) const {
  const auto& c = cfg_.channel;
  const int m = constellation_.bits_per_symbol();
  const bool spread = c.user_power_spread_db > 0.0;
  out.resize(count, c.nr, c.nt, m, c.csi_error_var > 0.0, spread);

  KernelJob base = kernel_job();
  const uint64_t uses = c.uses_per_realization;
  base.fused = model_->iid() && !spread && uses == 1;
  base.csi_std = out.has_h_est() ? static_cast<float>(std::sqrt(c.csi_error_var)) : 0.0f;

  const size_t nh = static_cast<size_t>(c.nr) * c.nt;
  parallel_for(count, threads, [&](size_t begin, size_t end, int) {
    for (size_t k = begin; k < end; ++k) {
      const uint64_t index = first + k;
      double snr_db, n0;
      if (cfg_.snr.is_range()) {
        const auto b = SampleDraws{cfg_.seed, cfg_.tag, index}.block(DrawKind::scalars, 0);
        snr_db = cfg_.snr.value_for(index, SampleDraws::uniform53(b[0], b[1]));
        n0 = noise_variance(snr_db, cfg_.snr_unit, c.nt, m);
      } else {
        const size_t g = index % grid_n0_.size();
        snr_db = cfg_.snr.values()[g];
        n0 = grid_n0_[g];
      }
      out.snr_db[k] = static_cast<float>(snr_db);
      out.noise_var[k] = static_cast<float>(n0);
    }

    KernelJob job = base;
    job.first = first + begin;
    job.count = end - begin;
    job.noise_var = out.noise_var.data() + begin;
    job.H = out.H.data() + begin * nh;
    job.y = out.y.data() + begin * c.nr;
    job.x = out.x.data() + begin * c.nt;
    job.bits = out.bits.data() + begin * c.nt * m;
    job.H_est = out.has_h_est() ? out.H_est.data() + begin * nh : nullptr;
    run_generator_kernel(job);
    if (job.fused) return;
    if (uses > 1) {
      share_realizations(first + begin, end - begin, out, begin);
      return;
    }

    // The kernel left G in H, n in y and E in H_est: shape H, then apply it.
    for (size_t k = begin; k < end; ++k) {
      std::complex<float>* H = out.H.data() + k * nh;
      SampleChannelDraws draws(cfg_.seed, cfg_.tag, first + k);
      model_->shape(H, c.nr, c.nt, draws);
      if (spread) apply_user_gains(first + k, H, out.user_gain_db.data() + k * c.nt);
      apply_channel(H, out.x.data() + k * c.nt, out.y.data() + k * c.nr, c.nr, c.nt);
      if (out.has_h_est()) {
        std::complex<float>* he = out.H_est.data() + k * nh;
        for (size_t e = 0; e < nh; ++e) he[e] = {H[e].real() + he[e].real(), H[e].imag() + he[e].imag()};
      }
    }
  });
}

KernelJob Generator::kernel_job() const {
  KernelJob job;
  job.seed = cfg_.seed;
  job.tag = cfg_.tag;
  job.nt = cfg_.channel.nt;
  job.nr = cfg_.channel.nr;
  job.bits_per_symbol = constellation_.bits_per_symbol();
  job.real_symbols = constellation_.is_real();
  job.levels = levels_.data();
  return job;
}

void Generator::share_realizations(uint64_t first, size_t count, SampleBatch& out, size_t at) const {
  if (count == 0) return;
  const auto& c = cfg_.channel;
  const uint64_t uses = c.uses_per_realization;
  const size_t nh = static_cast<size_t>(c.nr) * c.nt, m = out.m;
  // The realizations of these samples, drawn as samples r0, ..., r1 with U = 1 (the kernel, unfused, then the
  // model's shape and the gains under index r); only their H and gains are kept. Neighbouring ranges may both
  // draw a realization they share: each gets the same bits.
  const uint64_t r0 = first / uses, r1 = (first + count - 1) / uses;
  const size_t n = static_cast<size_t>(r1 - r0 + 1);
  std::vector<std::complex<float>> H(n * nh), y(n * c.nr), x(n * c.nt);
  std::vector<uint8_t> bits(n * c.nt * m);
  std::vector<float> noise_var(n, 1.0f), gains(out.has_user_gain() ? n * c.nt : 0);
  KernelJob job = kernel_job();
  job.fused = false;
  job.csi_std = 0.0f;
  job.first = r0;
  job.count = n;
  job.noise_var = noise_var.data();
  job.H = H.data();
  job.y = y.data();
  job.x = x.data();
  job.bits = bits.data();
  run_generator_kernel(job);
  for (size_t j = 0; j < n; ++j) {
    SampleChannelDraws draws(cfg_.seed, cfg_.tag, r0 + j);
    model_->shape(H.data() + j * nh, c.nr, c.nt, draws);
    if (!gains.empty()) apply_user_gains(r0 + j, H.data() + j * nh, gains.data() + j * c.nt);
  }

  // Each sample: the kernel left its own x, n in y and E in H_est; its H is its realization's.
  for (size_t k = 0; k < count; ++k) {
    const size_t j = static_cast<size_t>((first + k) / uses - r0), s = at + k;
    std::complex<float>* h = out.H.data() + s * nh;
    std::copy_n(H.data() + j * nh, nh, h);
    if (!gains.empty()) std::copy_n(gains.data() + j * c.nt, c.nt, out.user_gain_db.data() + s * c.nt);
    apply_channel(h, out.x.data() + s * c.nt, out.y.data() + s * c.nr, c.nr, c.nt);
    if (out.has_h_est()) {
      std::complex<float>* he = out.H_est.data() + s * nh;
      for (size_t e = 0; e < nh; ++e) he[e] = {h[e].real() + he[e].real(), h[e].imag() + he[e].imag()};
    }
  }
}

void Generator::apply_user_gains(uint64_t index, std::complex<float>* H, float* gain_db) const {
  const auto& c = cfg_.channel;
  const SampleDraws d{cfg_.seed, cfg_.tag, index};
  simd::PhiloxBlock b{};
  for (int t = 0; t < c.nt; ++t) {
    if (t % 2 == 0) b = d.block(DrawKind::user_gain, static_cast<uint32_t>(t / 2));
    const int w = 2 * (t % 2);
    const double g = spread_.gain_db(SampleDraws::uniform53(b[w], b[w + 1]));
    gain_db[t] = static_cast<float>(g);
    const double a = std::sqrt(std::pow(10.0, g / 10.0));
    for (int r = 0; r < c.nr; ++r) {
      auto& h = H[r * c.nt + t];
      h = {static_cast<float>(a * h.real()), static_cast<float>(a * h.imag())};
    }
  }
}

}  // namespace mimo
