#include "transformer/model.hpp"

#include <cmath>

#include "detectors/ep.hpp"
#include "transformer/attention.hpp"

namespace mimo::tf {

namespace {

// Complex helpers on (re, im) pairs.
struct Cx {
  torch::Tensor re, im;
};

// a^H b for a [B, Nr, Nt] and b [B, Nr, K] -> [B, Nt, K].
Cx herm_mul(const Cx& a, const Cx& b) {
  auto at_r = a.re.transpose(1, 2), at_i = a.im.transpose(1, 2);
  return {torch::matmul(at_r, b.re) + torch::matmul(at_i, b.im), torch::matmul(at_r, b.im) - torch::matmul(at_i, b.re)};
}

}  // namespace

// The detector's EpSolver per channel use: small Cholesky kernels, where torch's batched inverse calls LAPACK
// once per 8x8 matrix (about 40x slower for a 4x4 batch of 256 here).
EpStart ep_start_cpu(const torch::Tensor& gram, const torch::Tensor& mf, const torch::Tensor& s2,
                     const std::vector<double>& levels, double es_dim) {
  const auto G = gram.to(torch::kDouble).contiguous(), b = mf.to(torch::kDouble).contiguous();
  const auto noise = s2.to(torch::kDouble).contiguous();
  const int64_t B = G.size(0), n = G.size(1);
  std::vector<torch::Tensor> outs;
  for (int i = 0; i < 4; ++i) outs.push_back(torch::empty({B, n}, G.options()));
  const double *g = G.data_ptr<double>(), *h = b.data_ptr<double>(), *s = noise.data_ptr<double>();
  at::parallel_for(0, B, std::max<int64_t>(1, 4096 / (n * n * n)), [&](int64_t first, int64_t last) {
    EpSolver ep(levels, es_dim, EpDetector::kDefaultIterations, EpDetector::kDefaultBeta);
    for (int64_t i = first; i < last; ++i) {
      ep.solve(g + i * n * n, h + i * n, static_cast<size_t>(n), s[i]);
      const std::vector<double>* from[] = {&ep.t(), &ep.h2(), &ep.mean(), &ep.var()};
      for (int o = 0; o < 4; ++o) std::copy(from[o]->begin(), from[o]->end(), outs[o].data_ptr<double>() + i * n);
    }
  });
  const auto type = gram.scalar_type();
  return {outs[0].to(type), outs[1].to(type), outs[2].to(type), outs[3].to(type)};
}

// On accelerators: the same iterations as batched torch ops, in float64 like the CPU path (its thresholds are
// set for it; the matrices are small).
EpStart ep_start_torch(const torch::Tensor& gram_in, const torch::Tensor& mf_in, const torch::Tensor& s2_in,
                       const torch::Tensor& levels_in, double es_dim) {
  const auto gram = gram_in.to(torch::kDouble), levels = levels_in.to(torch::kDouble);
  const int64_t B = gram.size(0), n = gram.size(1);
  const auto s2 = s2_in.to(torch::kDouble);
  const auto G = gram / s2.view({B, 1, 1});
  const auto b = mf_in.to(torch::kDouble) / s2.view({B, 1});
  auto lambda = torch::full({B, n}, 1.0 / es_dim, gram.options());
  auto gamma = torch::zeros({B, n}, gram.options());
  const double uninformative = EpSolver::kUninformativeRelativeVariance * es_dim;
  EpStart e;
  auto cavity = [&] {
    const auto sigma_full = torch::linalg_inv(G + torch::diag_embed(lambda));
    const auto mu = torch::matmul(sigma_full, (b + gamma).unsqueeze(2)).squeeze(2);
    const auto sigma = sigma_full.diagonal(0, 1, 2);
    // As EpSolver::cavity: no absolute floors, an uninformative cavity where its precision vanished.
    const auto denom = 1 - sigma * lambda;
    const auto ok = (denom > EpSolver::kVanishedCavity) & (sigma > 0);
    const auto safe = torch::where(ok, denom, torch::ones_like(denom));
    e.h2 = torch::where(ok, (sigma / safe).clamp_max(uninformative), torch::full_like(sigma, uninformative));
    e.t = torch::where(ok, (mu - sigma * gamma) / safe, torch::nan_to_num(mu, 0.0, 0.0, 0.0));
  };
  auto moments = [&] {
    const auto w = torch::softmax(-(e.t.unsqueeze(2) - levels).square() / (2 * e.h2.unsqueeze(2)), 2);
    e.mean = torch::matmul(w, levels);
    e.var = (torch::matmul(w, levels.square()) - e.mean.square()).clamp_min(EpSolver::kMinRelativeVariance * es_dim);
  };
  const double beta = EpDetector::kDefaultBeta;
  for (int it = 0; it < EpDetector::kDefaultIterations; ++it) {
    cavity();
    moments();
    const auto new_lambda = 1 / e.var - 1 / e.h2;
    const auto new_gamma = e.mean / e.var - e.t / e.h2;
    const auto ok = (new_lambda > 0) & torch::isfinite(new_lambda) & torch::isfinite(new_gamma);
    lambda = torch::where(ok, beta * new_lambda + (1 - beta) * lambda, lambda);
    gamma = torch::where(ok, beta * new_gamma + (1 - beta) * gamma, gamma);
  }
  cavity();
  moments();
  const auto type = gram_in.scalar_type();
  return {e.t.to(type), e.h2.to(type), e.mean.to(type), e.var.to(type)};
}

MimoTensors MimoTensors::to(const torch::Device& device) const {
  MimoTensors t;
  t.Hr = Hr.to(device);
  t.Hi = Hi.to(device);
  t.yr = yr.to(device);
  t.yi = yi.to(device);
  t.n0 = n0.to(device);
  if (mask.defined()) t.mask = mask.to(device);
  if (labels.defined()) t.labels = labels.to(device);
  return t;
}

TransformerDetectorNetImpl::TransformerDetectorNetImpl(const TransformerOptions& o) : options_(o) {
  TORCH_CHECK(o.dim() % o.heads() == 0, "transformer: dim must be a multiple of heads");
  const Constellation c(o.modulation());
  std::vector<float> re, im;
  for (const auto& p : c.points()) {
    re.push_back(static_cast<float>(p.real()));
    im.push_back(static_cast<float>(p.imag()));
  }
  points_re_ = register_buffer("points_re", torch::tensor(re));
  points_im_ = register_buffer("points_im", torch::tensor(im));
  levels_ = c.pam_levels();
  levels_tensor_ = register_buffer("pam_levels", torch::tensor(std::vector<float>(levels_.begin(), levels_.end())));
  real_ = c.is_real();
  es_dim_ = real_ ? 1.0 : 0.5;
  const int64_t D = o.dim(), M = c.size();
  embed_ = register_module("embed", torch::nn::Linear(kInitialFeatures, D));
  for (int64_t l = 0; l < o.layers(); ++l) {
    Block b;
    const std::string p = "block" + std::to_string(l) + "_";
    b.residual_in = register_module(p + "residual_in", torch::nn::Linear(kResidualFeatures, D));
    b.norm_attn = register_module(p + "norm_attn", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
    b.qkv = register_module(p + "qkv", torch::nn::Linear(D, 3 * D));
    b.out = register_module(p + "out", torch::nn::Linear(D, D));
    b.bias = register_module(p + "bias", torch::nn::Linear(kPairFeatures, o.heads()));
    b.norm_ff = register_module(p + "norm_ff", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
    b.ff1 = register_module(p + "ff1", torch::nn::Linear(D, 4 * D));
    b.ff2 = register_module(p + "ff2", torch::nn::Linear(4 * D, D));
    b.norm_head = register_module(p + "norm_head", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
    b.head = register_module(p + "head", torch::nn::Linear(D, M));
    blocks_.push_back(b);
  }
}

torch::Tensor TransformerDetectorNetImpl::attend(Block& b, const torch::Tensor& state,
                                                 const torch::Tensor& pair_features, const torch::Tensor& mask) {
  const int64_t B = state.size(0), L = state.size(1), H = options_.heads(), d = options_.dim() / H;
  auto qkv = b.qkv(b.norm_attn(state)).view({B, L, 3, H, d}).permute({2, 0, 3, 1, 4});  // [3, B, H, L, d]
  // Per-head additive bias on the scores from the Gram matrix: attention can follow the interference.
  auto bias = b.bias(pair_features).permute({0, 3, 1, 2});  // [B, H, L, L]
  auto attn = attention_core(qkv[0], qkv[1], qkv[2], bias, mask);
  return b.out(attn.transpose(1, 2).reshape({B, L, H * d}));
}

EpStreams TransformerDetectorNetImpl::ep_start(const torch::Tensor& gram_real, const torch::Tensor& mf_real,
                                               const torch::Tensor& s2) const {
  torch::NoGradGuard no_grad;
  const int64_t L = gram_real.size(1) / 2;
  // A real constellation's unknowns are the real parts only: EP runs on the L x L system Re(G), Re(z).
  const auto gram = real_ ? gram_real.narrow(1, 0, L).narrow(2, 0, L) : gram_real;
  const auto mf = real_ ? mf_real.narrow(1, 0, L) : mf_real;
  const auto e = gram.is_cpu() ? ep_start_cpu(gram, mf, s2, levels_, es_dim_)
                               : ep_start_torch(gram, mf, s2, levels_tensor_, es_dim_);
  auto re = [&](const torch::Tensor& t) { return t.narrow(1, 0, L); };
  auto im = [&](const torch::Tensor& t) { return real_ ? torch::zeros_like(re(t)) : t.narrow(1, L, L); };
  return {re(e.t), im(e.t), re(e.h2) + im(e.h2), re(e.mean), im(e.mean), re(e.var) + im(e.var)};
}

BlockLogits TransformerDetectorNetImpl::forward(const MimoTensors& in) {
  const auto& o = options_;
  const int64_t B = in.batch(), L = in.nt();
  TORCH_CHECK(L <= o.nt_max(), "transformer: ", L, " streams exceed the model's ", o.nt_max());
  const auto opts = in.Hr.options();
  const auto n0 = in.n0.clamp_min(1e-9).view({B, 1});
  const Cx H{in.Hr, in.Hi}, y{in.yr.unsqueeze(2), in.yi.unsqueeze(2)};

  // Gram matrix and matched filter.
  const Cx G = herm_mul(H, H);                                    // [B, L, L]
  const Cx z = herm_mul(H, y);                                    // [B, L, 1]
  const auto energy = G.re.diagonal(0, 1, 2).clamp_min(1e-9);     // ||h_k||^2, [B, L]

  // LMMSE start: solve (G + N0 I) x = z in the real 2L x 2L form; its inverse's diagonal gives the bias mu.
  const auto gram_real = torch::cat({torch::cat({G.re, -G.im}, 2), torch::cat({G.im, G.re}, 2)}, 1);
  const auto mf_real = torch::cat({z.re, z.im}, 1).squeeze(2);  // [B, 2L]
  const auto A = gram_real + n0.view({B, 1, 1}) * torch::eye(2 * L, opts).unsqueeze(0);
  const auto Ainv = torch::linalg_inv(A);
  const auto sol = torch::matmul(Ainv, mf_real.unsqueeze(2)).squeeze(2);  // [B, 2L]
  const auto mu = (1 - n0 * Ainv.diagonal(0, 1, 2).narrow(1, 0, L)).clamp(1e-4, 1.0);
  const auto x_re = sol.narrow(1, 0, L) / mu, x_im = sol.narrow(1, L, L) / mu;
  const auto mmse_var = (1 - mu) / mu;

  const auto ep = ep_start(gram_real, mf_real, n0 / 2);
  auto features = torch::stack({x_re, x_im, torch::log(mmse_var + 1e-6), torch::log(energy / n0),
                                torch::log(energy / n0) - torch::log(mmse_var + 1e-6), ep.t_re, ep.t_im,
                                torch::log(ep.cavity_var), ep.mean_re, ep.mean_im, torch::log(ep.var)}, 2);

  // Pairwise features for the attention bias: normalized correlation and interference-to-noise, per pair.
  const auto norm = torch::sqrt(energy.unsqueeze(2) * energy.unsqueeze(1));
  const auto rho = torch::sqrt(G.re * G.re + G.im * G.im) / norm;
  const auto inr = torch::log1p(torch::sqrt(G.re * G.re + G.im * G.im) / n0.view({B, 1, 1}));
  const auto pair = torch::stack({rho, rho * rho, inr}, 3);  // [B, L, L, 3]

  torch::Tensor valid;
  if (in.mask.defined()) valid = (~in.mask).to(opts.dtype()).unsqueeze(2);
  auto state = embed_(features);
  auto ex_re = ep.mean_re, ex_im = ep.mean_im, ex_var = ep.var.clamp(1e-6, 10.0);
  BlockLogits out;
  for (auto& b : blocks_) {
    // Residual matched filter: what the current estimate leaves unexplained, per stream.
    const Cx ex{ex_re.unsqueeze(2), ex_im.unsqueeze(2)};
    const auto hx_re = torch::matmul(H.re, ex.re) - torch::matmul(H.im, ex.im);
    const auto hx_im = torch::matmul(H.re, ex.im) + torch::matmul(H.im, ex.re);
    const Cx r{y.re - hx_re, y.im - hx_im};
    const Cx mf = herm_mul(H, r);
    const auto rf = torch::stack({ex_re, ex_im, torch::log(ex_var + 1e-6), mf.re.squeeze(2) / energy,
                                  mf.im.squeeze(2) / energy}, 2);
    state = state + b.residual_in(rf);
    state = state + attend(b, state, pair, in.mask);
    state = state + b.ff2(torch::gelu(b.ff1(b.norm_ff(state))));
    if (valid.defined()) state = state * valid;
    auto logits = b.head(b.norm_head(state));  // [B, L, M]
    out.push_back(logits);
    const auto p = torch::softmax(logits, 2);
    ex_re = torch::matmul(p, points_re_);
    ex_im = torch::matmul(p, points_im_);
    ex_var = (torch::matmul(p, points_re_ * points_re_ + points_im_ * points_im_) - ex_re * ex_re - ex_im * ex_im)
                 .clamp(1e-6, 10.0);
  }
  return out;
}

torch::Tensor TransformerDetectorNetImpl::loss_sum(const BlockLogits& logits, const MimoTensors& batch) const {
  auto total = torch::zeros({}, logits.front().options());
  for (const auto& l : logits) {
    auto ce = torch::nn::functional::cross_entropy(
        l.reshape({-1, l.size(2)}), batch.labels.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    if (batch.mask.defined()) ce = ce * (~batch.mask).reshape({-1}).to(ce.dtype());
    total = total + ce.sum();
  }
  return total / static_cast<double>(logits.size());
}

int64_t TransformerDetectorNetImpl::loss_tokens(const MimoTensors& batch) {
  const int64_t all = batch.batch() * batch.nt();
  return batch.mask.defined() ? all - batch.mask.sum().item<int64_t>() : all;
}

torch::Tensor TransformerDetectorNetImpl::loss(const BlockLogits& logits, const MimoTensors& batch) const {
  return loss_sum(logits, batch) / static_cast<double>(std::max<int64_t>(loss_tokens(batch), 1));
}

}  // namespace mimo::tf
