#include "transformer/search.hpp"

#include <limits>
#include <vector>

namespace mimo::tf {

namespace {

// Constellation points (float64) and the label bit table [M, m] on `device`.
struct Alphabet {
  torch::Tensor re, im, bits;
};

Alphabet alphabet(Modulation modulation, const torch::Device& device) {
  const Constellation c(modulation);
  const int64_t M = c.size(), m = c.bits_per_symbol();
  std::vector<double> re, im;
  std::vector<uint8_t> bits;
  for (int64_t q = 0; q < M; ++q) {
    re.push_back(c.points()[static_cast<size_t>(q)].real());
    im.push_back(c.points()[static_cast<size_t>(q)].imag());
    for (int64_t j = 0; j < m; ++j) bits.push_back(c.bit(static_cast<int>(q), static_cast<int>(j)) ? 1 : 0);
  }
  const auto f = torch::TensorOptions().dtype(torch::kFloat64);
  return {torch::tensor(re, f).to(device), torch::tensor(im, f).to(device),
          torch::tensor(bits, torch::kUInt8).view({M, m}).to(torch::kBool).to(device)};
}

// ||y - Hx||^2 of candidate label vectors [B, P, Nt] -> [B, P], in float64 (the LLRs are its differences).
torch::Tensor distances(const MimoTensors& in, const Alphabet& a, const torch::Tensor& labels) {
  const auto shape = labels.sizes();
  const auto flat = labels.reshape({-1});
  const auto xr = a.re.index_select(0, flat).view(shape), xi = a.im.index_select(0, flat).view(shape);
  const auto Hr = in.Hr.to(torch::kFloat64).transpose(1, 2), Hi = in.Hi.to(torch::kFloat64).transpose(1, 2);
  const auto dr = in.yr.to(torch::kFloat64).unsqueeze(1) - (torch::matmul(xr, Hr) - torch::matmul(xi, Hi));
  const auto di = in.yi.to(torch::kFloat64).unsqueeze(1) - (torch::matmul(xi, Hr) + torch::matmul(xr, Hi));
  return (dr.square() + di.square()).sum(2);
}

Subproblems cancel(const MimoTensors& in, const torch::Tensor& labels, const Alphabet& a) {
  const int64_t B = labels.size(0), K = labels.size(1), Nt = labels.size(2), Nr = in.Hr.size(1);
  const auto flat = labels.reshape({B * K, Nt});
  const auto fixed = flat >= 0;
  const int64_t F = Nt - fixed[0].sum().item<int64_t>();
  TORCH_CHECK(F >= 1 && (fixed.sum(1) == Nt - F).all().item<bool>(),
              "beam search: every hypothesis must have the same number of fixed streams, and one free");
  const auto type = in.Hr.scalar_type();
  const auto on = fixed.to(type);
  const auto safe = flat.clamp_min(0).reshape({-1});
  const auto xr = (a.re.index_select(0, safe).view({B * K, Nt, 1}).to(type)) * on.unsqueeze(2);
  const auto xi = (a.im.index_select(0, safe).view({B * K, Nt, 1}).to(type)) * on.unsqueeze(2);
  auto each = [&](const torch::Tensor& t) {
    auto sizes = t.sizes().vec();
    std::vector<int64_t> expanded{B, K};
    expanded.insert(expanded.end(), sizes.begin() + 1, sizes.end());
    sizes[0] = B * K;
    return t.unsqueeze(1).expand(expanded).reshape(sizes);
  };
  const auto Hr = each(in.Hr), Hi = each(in.Hi);
  Subproblems sub;
  // The free streams in their original order: sorting (fixed, index) puts them first.
  sub.streams = (fixed.to(torch::kInt64) * Nt + torch::arange(Nt, flat.options())).argsort(/*dim=*/int64_t{1}).narrow(1, 0, F);
  auto& p = sub.problem;
  p.yr = each(in.yr) - (torch::matmul(Hr, xr) - torch::matmul(Hi, xi)).squeeze(2);
  p.yi = each(in.yi) - (torch::matmul(Hr, xi) + torch::matmul(Hi, xr)).squeeze(2);
  const auto columns = sub.streams.unsqueeze(1).expand({B * K, Nr, F});
  p.Hr = Hr.gather(2, columns);
  p.Hi = Hi.gather(2, columns);
  p.n0 = each(in.n0);
  return sub;
}

}  // namespace

Subproblems cancel_fixed(const MimoTensors& batch, const torch::Tensor& labels, Modulation modulation) {
  return cancel(batch, labels, alphabet(modulation, batch.Hr.device()));
}

Beam beam_step(const Beam& in, const torch::Tensor& logp, const torch::Tensor& streams, int64_t beam) {
  const int64_t B = in.labels.size(0), K = in.labels.size(1), Nt = in.labels.size(2), M = logp.size(2);
  const int64_t E = std::min(beam, M);
  // Branch on the free stream the network is surest of, over its E most likely symbols.
  const auto local = std::get<0>(logp.max(2)).argmax(1);
  const auto branch = streams.gather(1, local.unsqueeze(1)).squeeze(1);
  const auto branch_logp = logp.gather(1, local.view({B * K, 1, 1}).expand({B * K, 1, M})).squeeze(1);
  const auto top_symbols = branch_logp.topk(E, 1);
  const auto children = (in.score.view({B * K, 1}) + std::get<0>(top_symbols)).view({B, K * E});
  const auto kept = children.topk(std::min(beam, K * E), 1);
  const auto pick = std::get<1>(kept);
  const auto parent = torch::div(pick, E, "floor");
  auto labels = in.labels.gather(1, parent.unsqueeze(2).expand({B, pick.size(1), Nt})).clone();
  const auto stream = branch.view({B, K}).gather(1, parent);
  const auto symbol = std::get<1>(top_symbols).view({B, K * E}).gather(1, pick);
  labels.scatter_(2, stream.unsqueeze(2), symbol.unsqueeze(2));
  return {labels, std::get<0>(kept)};
}

torch::Tensor list_llrs(const torch::Tensor& list, const torch::Tensor& d, const torch::Tensor& n0,
                        const torch::Tensor& bits, double clip) {
  const int64_t B = list.size(0), P = list.size(1), Nt = list.size(2), m = bits.size(1);
  const auto bit = bits.index_select(0, list.reshape({-1})).view({B, P, Nt, m});
  const auto dist = d.view({B, P, 1, 1}).expand({B, P, Nt, m});
  const auto inf = torch::full({}, std::numeric_limits<double>::infinity(), d.options());
  const auto worst = std::get<0>(d.max(1)).view({B, 1, 1});
  const auto d0 = torch::minimum(torch::where(bit, inf, dist).amin(1), worst);
  const auto d1 = torch::minimum(torch::where(bit, dist, inf).amin(1), worst);
  return ((d1 - d0) / n0.to(torch::kFloat64).clamp_min(1e-30).view({B, 1, 1})).clamp(-clip, clip);
}

int64_t beam_search_bytes_per_use(int64_t nt, int64_t points, int64_t bits_per_symbol, int64_t beam) {
  const int64_t candidates = 1 + beam * std::max<int64_t>(0, nt - 2) + beam * points;
  return candidates * nt * bits_per_symbol * 8 * 4;  // distances, the two masked copies, and the bit table
}

SearchResult beam_search(TransformerDetectorNet& net, const MimoTensors& in, int64_t beam, double clip) {
  TORCH_CHECK(beam >= 1, "beam search: beam must be >= 1");
  TORCH_CHECK(!in.mask.defined(), "beam search: the batch must not be padded");
  torch::NoGradGuard no_grad;
  const auto a = alphabet(net->options().modulation(), in.Hr.device());
  const int64_t B = in.batch(), Nt = in.nt(), M = a.re.size(0);
  const auto index = torch::TensorOptions().dtype(torch::kInt64).device(in.Hr.device());

  auto labels = torch::full({B, 1, Nt}, -1, index);  // hypotheses: fixed symbols, -1 = free
  auto score = torch::zeros({B, 1}, in.Hr.options().dtype(torch::kFloat64));
  std::vector<torch::Tensor> candidates;
  for (int64_t level = 0; level < Nt - 1; ++level) {
    const int64_t K = labels.size(1);
    const auto flat = labels.reshape({B * K, Nt});
    const auto sub = cancel(in, labels, a);
    const auto logp = torch::log_softmax(net->forward(sub.problem).back().to(torch::kFloat64), 2);  // [B*K, F, M]
    candidates.push_back(flat.scatter(1, sub.streams, logp.argmax(2)).view({B, K, Nt}));

    const auto next = beam_step({labels, score}, logp, sub.streams, beam);
    labels = next.labels;
    score = next.score;
  }
  // One free stream left per hypothesis: its M completions by the exact metric need no network pass.
  const int64_t K = labels.size(1);
  const auto free = (labels < 0).to(torch::kInt64).argmax(2).view({B, K, 1, 1}).expand({B, K, M, 1});
  auto last = labels.unsqueeze(2).expand({B, K, M, Nt}).clone();
  last.scatter_(3, free, torch::arange(M, index).view({1, 1, M, 1}).expand({B, K, M, 1}));
  candidates.push_back(last.view({B, K * M, Nt}));

  const auto list = torch::cat(candidates, 1);  // [B, P, Nt]
  const auto d = distances(in, a, list);  // [B, P]
  SearchResult r;
  r.labels = list.gather(1, d.argmin(1).view({B, 1, 1}).expand({B, 1, Nt})).squeeze(1);
  r.llr = list_llrs(list, d, in.n0, a.bits, clip);
  return r;
}

}  // namespace mimo::tf
