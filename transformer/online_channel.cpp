#include "transformer/online_channel.hpp"

#include <algorithm>
#include <cmath>

namespace mimo::tf {

namespace {
// One seed per (seed, step, block): independent torch streams for every block of every step.
uint64_t block_seed(uint64_t seed, uint64_t step, uint64_t block) {
  uint64_t state = seed ^ (0x9e3779b97f4a7c15ULL * (step + 1));
  state = splitmix64(state) ^ (0xd1b54a32d192ed03ULL * (block + 1));
  return splitmix64(state) >> 1;
}

}  // namespace

namespace {
// The generator that draws the training channels: the configuration's model and user power spread, without CSI
// error (added here, per problem) and with its own stream tag.
GeneratorConfig channel_only(GeneratorConfig g) {
  g.channel.csi_error_var = 0.0;
  g.snr = SnrSchedule::grid(std::vector<double>{0.0});
  g.tag = StreamTag::train;
  return g;
}
}  // namespace

OnlineChannel::OnlineChannel(const GeneratorConfig& config, int64_t nt_min, torch::Device device, bool subproblems)
    : cfg_(config), nt_min_(nt_min), subproblems_(subproblems), device_(device),
      channels_(channel_only(config)) {
  TORCH_CHECK(nt_min_ >= 1 && nt_min_ <= cfg_.channel.nt, "nt-min must be in [1, nt]");
  const Constellation c(cfg_.modulation);
  std::vector<float> re, im;
  for (const auto& p : c.points()) {
    re.push_back(static_cast<float>(p.real()));
    im.push_back(static_cast<float>(p.imag()));
  }
  points_re_ = torch::tensor(re).to(device_);
  points_im_ = torch::tensor(im).to(device_);
  std::vector<float> offsets(static_cast<size_t>(cfg_.channel.nt) + 1, 0.0f);
  for (int k = 1; k <= cfg_.channel.nt; ++k)
    offsets[static_cast<size_t>(k)] = static_cast<float>(snr_point(0.0, cfg_.snr_unit, k, c.bits_per_symbol()).esn0_db);
  esn0_offset_db_ = torch::tensor(offsets).to(device_);
}

// The random numbers of every sample, one row each: drawn per block from torch's generator as seeded for it, then
// turned into problems for all blocks at once (per-block work is then 4 generator calls, whatever the model).
struct OnlineChannel::Randomness {
  torch::Tensor normal;   // [B, 2 nr noise, 2 nr nt CSI error when csi_error_var > 0]
  torch::Tensor uniform;  // [B, SNR, nt stream order when subsets (see draw)]
  torch::Tensor labels;   // [B, nt] symbol indices
  torch::Tensor active;   // [B, 1] streams in the problem, when nt_min < nt

  Randomness rows(int64_t begin, int64_t n) const {
    auto cut = [&](const torch::Tensor& x) { return x.defined() ? x.narrow(0, begin, n) : x; };
    return {cut(normal), cut(uniform), cut(labels), cut(active)};
  }
};

namespace {

// The blocks' random numbers as one.
OnlineChannel::Randomness concatenate(const std::vector<OnlineChannel::Randomness>& parts) {
  auto cat = [&](torch::Tensor OnlineChannel::Randomness::*field) {
    if (!(parts.front().*field).defined()) return torch::Tensor();
    std::vector<torch::Tensor> xs;
    for (const auto& p : parts) xs.push_back(p.*field);
    return torch::cat(xs);
  };
  using R = OnlineChannel::Randomness;
  return {cat(&R::normal), cat(&R::uniform), cat(&R::labels), cat(&R::active)};
}

}  // namespace

MimoTensors OnlineChannel::draw(uint64_t step, int64_t first, int64_t count) const {
  TORCH_CHECK(first >= 0 && count >= 1, "online batch: bad sample range");
  const int64_t first_block = first / kBlock, last_block = (first + count - 1) / kBlock;
  std::vector<Randomness> blocks;
  for (int64_t b = first_block; b <= last_block; ++b) {
    torch::manual_seed(block_seed(cfg_.seed, step, static_cast<uint64_t>(b)));
    blocks.push_back(block_randomness());
  }
  return problems(concatenate(blocks).rows(first - first_block * kBlock, count), channels(step, first, count));
}

// H of samples [first, first + count) of step `step`: the generator's samples step 2^32 + first, ... (the channel
// model's own implementation, on the CPU), moved to the device.
std::pair<torch::Tensor, torch::Tensor> OnlineChannel::channels(uint64_t step, int64_t first, int64_t count) const {
  TORCH_CHECK(step < (uint64_t{1} << 32) && first + count <= (int64_t{1} << 32), "online batch: step or batch too large");
  SampleBatch b;
  channels_.generate(step << 32 | static_cast<uint64_t>(first), static_cast<size_t>(count), b,
                     std::max(1, at::get_num_threads()));
  const int64_t nr = cfg_.channel.nr, nt = cfg_.channel.nt;
  // H is complex<float> interleaved: a [count, nr, nt, 2] view split into real and imaginary parts.
  const auto both = torch::from_blob(b.H.data(), {count, nr, nt, 2}, torch::kFloat32);
  // clone: the batch's storage ends here (contiguous() may return a view of it, e.g. for a single entry).
  return {both.select(3, 0).clone(at::MemoryFormat::Contiguous).to(device_),
          both.select(3, 1).clone(at::MemoryFormat::Contiguous).to(device_)};
}

// A subproblem of a channel whose streams differ (Kronecker, Rician) leaves out a random subset of streams
// instead of the last ones, as a search may fix any; for i.i.d. columns the two are the same in distribution.
bool OnlineChannel::random_subsets() const {
  const bool identical_streams = channels_.model().iid() && cfg_.channel.user_power_spread_db == 0.0;
  return subproblems_ && !identical_streams && nt_min_ < cfg_.channel.nt;
}

OnlineChannel::Randomness OnlineChannel::block_randomness() const {
  const int64_t B = kBlock, nt = cfg_.channel.nt, nr = cfg_.channel.nr;
  const auto f = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  const int64_t normals = 2 * nr + (cfg_.channel.csi_error_var > 0 ? 2 * nr * nt : 0);
  const int64_t uniforms = 1 + (random_subsets() ? nt : 0);
  Randomness r;
  r.normal = torch::randn({B, normals}, f);
  r.uniform = torch::rand({B, uniforms}, f);
  r.labels = torch::randint(points_re_.size(0), {B, nt}, f.dtype(torch::kInt64));
  if (nt_min_ < nt) r.active = torch::randint(nt_min_, nt + 1, {B, 1}, f.dtype(torch::kInt64));
  return r;
}

MimoTensors OnlineChannel::problems(const Randomness& r, std::pair<torch::Tensor, torch::Tensor> H) const {
  const int64_t B = r.normal.size(0);
  const int64_t nt = cfg_.channel.nt, nr = cfg_.channel.nr;
  const auto f = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  int64_t next_normal = 0, next_uniform = 0;
  auto normals = [&](int64_t n, torch::IntArrayRef shape) {
    next_normal += n;
    return r.normal.narrow(1, next_normal - n, n).reshape(shape);
  };
  auto uniforms = [&](int64_t n, torch::IntArrayRef shape) {
    next_uniform += n;
    return r.uniform.narrow(1, next_uniform - n, n).reshape(shape);
  };
  auto [Hr, Hi] = std::move(H);
  const auto noise_r = normals(nr, {B, nr, 1}), noise_i = normals(nr, {B, nr, 1});
  auto snr_db = cfg_.snr.lo() + (cfg_.snr.hi() - cfg_.snr.lo()) * uniforms(1, {B});
  MimoTensors out;
  out.labels = r.labels;
  auto offset_db = esn0_offset_db_[nt].expand({B});
  // A tree search cancels its fixed streams with the channel estimate: their estimation error stays in y.
  const bool cancel_with_estimate = subproblems_ && cfg_.channel.csi_error_var > 0;
  if (nt_min_ < nt) {
    // Streams beyond each sample's count are padding: zero channel columns, masked out of attention and loss.
    const auto position = random_subsets()
                              ? uniforms(nt, {B, nt}).argsort(/*dim=*/int64_t{1}).argsort(/*dim=*/int64_t{1})
                              : torch::arange(nt, f.dtype(torch::kInt64)).view({1, nt});
    out.mask = position >= r.active;
    if (!subproblems_) offset_db = esn0_offset_db_.index_select(0, r.active.reshape({B}));
    if (!cancel_with_estimate) {
      const auto keep = (~out.mask).to(torch::kFloat32).unsqueeze(1);
      Hr = Hr * keep;
      Hi = Hi * keep;
    }
  }
  const auto xr = points_re_.index_select(0, out.labels.reshape({-1})).view({B, nt, 1});
  const auto xi = points_im_.index_select(0, out.labels.reshape({-1})).view({B, nt, 1});
  out.n0 = torch::pow(10.0, -(snr_db + offset_db) / 10.0);
  const auto sigma = torch::sqrt(out.n0 / 2).view({B, 1, 1});
  out.yr = (torch::matmul(Hr, xr) - torch::matmul(Hi, xi) + sigma * noise_r).squeeze(2);
  out.yi = (torch::matmul(Hr, xi) + torch::matmul(Hi, xr) + sigma * noise_i).squeeze(2);
  if (cfg_.channel.csi_error_var > 0) {
    const double e = std::sqrt(cfg_.channel.csi_error_var / 2);
    Hr = Hr + e * normals(nr * nt, {B, nr, nt});
    Hi = Hi + e * normals(nr * nt, {B, nr, nt});
    if (out.mask.defined()) {
      if (cancel_with_estimate) {
        const auto fixed = out.mask.to(torch::kFloat32).unsqueeze(2);
        const auto fr = xr * fixed, fi = xi * fixed;
        out.yr = out.yr - (torch::matmul(Hr, fr) - torch::matmul(Hi, fi)).squeeze(2);
        out.yi = out.yi - (torch::matmul(Hr, fi) + torch::matmul(Hi, fr)).squeeze(2);
      }
      const auto keep = (~out.mask).to(torch::kFloat32).unsqueeze(1);
      Hr = Hr * keep;
      Hi = Hi * keep;
    }
  }
  out.Hr = Hr;
  out.Hi = Hi;
  return out;
}

MimoTensors to_tensors(const SampleBatch& b, size_t begin, size_t end, const torch::Device& device) {
  const int64_t n = static_cast<int64_t>(end - begin), nr = b.nr, nt = b.nt;
  auto Hr = torch::empty({n, nr, nt}), Hi = torch::empty({n, nr, nt});
  auto yr = torch::empty({n, nr}), yi = torch::empty({n, nr}), n0 = torch::empty({n});
  // Labels only when the batch carries its bits: a detector's input (y, H, N0) may have none, as from Python.
  const bool with_labels = b.bits.size() == b.n * b.nt * b.m;
  auto labels = with_labels ? torch::empty({n, nt}, torch::kInt64) : torch::Tensor();
  float *hr = Hr.data_ptr<float>(), *hi = Hi.data_ptr<float>(), *pr = yr.data_ptr<float>(), *pi = yi.data_ptr<float>();
  float* pn = n0.data_ptr<float>();
  int64_t* pl = with_labels ? labels.data_ptr<int64_t>() : nullptr;
  const auto* H = b.has_h_est() ? b.H_est.data() : b.H.data();
  for (int64_t k = 0; k < n; ++k) {
    const size_t i = begin + static_cast<size_t>(k);
    for (int64_t e = 0; e < nr * nt; ++e) {
      hr[k * nr * nt + e] = H[i * nr * nt + e].real();
      hi[k * nr * nt + e] = H[i * nr * nt + e].imag();
    }
    for (int64_t r = 0; r < nr; ++r) {
      pr[k * nr + r] = b.y[i * nr + r].real();
      pi[k * nr + r] = b.y[i * nr + r].imag();
    }
    pn[k] = b.noise_var[i];
    for (int64_t t = 0; pl && t < nt; ++t) {
      int s = 0;
      for (size_t j = 0; j < b.m; ++j) s = (s << 1) | b.bits[(i * nt + t) * b.m + j];
      pl[k * nt + t] = s;
    }
  }
  MimoTensors t{Hr, Hi, yr, yi, n0, torch::Tensor(), labels};
  return device.is_cpu() ? t : t.to(device);
}

}  // namespace mimo::tf
