#include "transformer/transformer_detector.hpp"

#include <sstream>

#include "transformer/checkpoint.hpp"
#include "transformer/errors.hpp"
#include "transformer/online_channel.hpp"
#include "transformer/search.hpp"

namespace mimo::tf {

namespace {

class TransformerDetector final : public Detector {
public:
  TransformerDetector(LoadedModel model, std::string path, torch::Device device, int64_t batch, int64_t beam,
                      double clip)
      : Detector(model.info.options.modulation()),
        model_(std::move(model)),
        path_(std::move(path)),
        device_(device),
        batch_(batch),
        beam_(beam),
        clip_(clip) {
    model_.net->eval();
  }
  std::string name() const override {
    std::ostringstream options;
    if (beam_ > 0) options << ",beam=" << beam_;
    if (clip_ != kDefaultClip) options << ",clip=" << clip_;
    const auto text = options.str();
    return text.empty() ? "transformer" : "transformer:" + text.substr(1);
  }
  static constexpr double kDefaultClip = 20.0;
  bool provides_llr() const override { return true; }

protected:
  void check(const SampleBatch& b) const override {
    Detector::check(b);
    if (static_cast<int64_t>(b.nt) > model_.info.options.nt_max())
      throw std::invalid_argument(path_ + ": the model serves at most " + std::to_string(model_.info.options.nt_max()) +
                                  " streams, the data has " + std::to_string(b.nt));
  }

  void detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const override {
    // One forward pass at a time: LibTorch parallelizes each pass itself, and the engine's threads would only
    // oversubscribe the cores.
    std::lock_guard lock(mutex_);
    try {
      detect_locked(b, begin, end, out);
    } catch (const c10::Error& e) {  // out of memory, a CUDA error: one line, not LibTorch's backtrace
      throw std::runtime_error(path_ + ": " + error_line(e));
    }
  }

private:
  void detect_locked(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
    torch::NoGradGuard no_grad;
    const Constellation& c = constellation();
    const size_t m = b.m, M = static_cast<size_t>(c.size());
    // A beam search runs `beam` subproblems per channel use through each pass, and its list LLRs take memory
    // in proportion to the candidates: both bound the channel uses per pass.
    int64_t per_pass = batch_;
    if (beam_ > 0) {
      constexpr int64_t kSearchBytes = int64_t{512} << 20;
      const auto use = beam_search_bytes_per_use(static_cast<int64_t>(b.nt), static_cast<int64_t>(M),
                                                 static_cast<int64_t>(m), beam_);
      per_pass = std::min(batch_ / beam_, kSearchBytes / use);
    }
    const auto chunk = static_cast<size_t>(std::max<int64_t>(1, per_pass));
    for (size_t first = begin; first < end; first += chunk) {
      const size_t last = std::min(end, first + chunk);
      auto t = to_tensors(b, first, last, device_);
      if (beam_ > 0) {
        write_search(beam_search(model_.net, t, beam_, clip_), first, last, out);
        continue;
      }
      const auto logits = model_.net->forward(t).back().to(torch::kCPU).to(torch::kFloat64).contiguous();
      const double* lp = logits.data_ptr<double>();
      for (size_t i = first; i < last; ++i)
        for (size_t s = 0; s < b.nt; ++s) {
          const double* l = lp + ((i - first) * b.nt + s) * M;
          size_t best = 0;
          for (size_t q = 1; q < M; ++q)
            if (l[q] > l[best]) best = q;
          out.symbols[i * b.nt + s] = static_cast<int32_t>(best);
          for (size_t j = 0; j < m; ++j) {
            double max0 = -INFINITY, max1 = -INFINITY;
            for (size_t q = 0; q < M; ++q) {
              double& slot = c.bit(static_cast<int>(q), static_cast<int>(j)) ? max1 : max0;
              slot = std::max(slot, l[q]);
            }
            double llr = max0 - max1;
            if (std::isnan(llr)) llr = 0;
            out.llr[(i * b.nt + s) * m + j] = static_cast<float>(std::clamp(llr, -clip_, clip_));
          }
        }
    }
  }

  static void write_search(const SearchResult& r, size_t first, size_t last, Detection& out) {
    const auto labels = r.labels.to(torch::kCPU).to(torch::kInt32).contiguous();
    const auto llr = r.llr.to(torch::kCPU).to(torch::kFloat32).contiguous();
    const size_t per = out.nt, bits = out.nt * out.m;
    std::copy_n(labels.data_ptr<int32_t>(), (last - first) * per, out.symbols.begin() + static_cast<long>(first * per));
    std::copy_n(llr.data_ptr<float>(), (last - first) * bits, out.llr.begin() + static_cast<long>(first * bits));
  }

  mutable LoadedModel model_;  // forward() is non-const in LibTorch; calls are serialized by mutex_
  std::string path_;
  torch::Device device_;
  int64_t batch_;
  int64_t beam_;  // 0: one pass of the network; else beam search (search.hpp)
  double clip_;
  mutable std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Detector> make_transformer_detector(const DetectorOptions& options, Modulation modulation) {
  OptionReader o("transformer", options);
  std::string path = o.text("model", "");
  const std::string bare = o.text("value", "");
  if (path.empty()) path = bare;
  const std::string device_name = o.text("device", "cpu");
  const long batch = o.integer("batch", 4096, 1, 1 << 20);
  const long beam = o.integer("beam", 0, 0, 4096);
  const double clip = o.real("clip", TransformerDetector::kDefaultClip, 1e-3, 1e4);
  o.finish();
  if (path.empty()) throw std::invalid_argument("transformer needs a model file: transformer:model.pt");
  if (device_name != "cpu" && device_name != "cuda")
    throw std::invalid_argument("transformer: device must be cpu or cuda (device = " + device_name + ")");
  const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw std::invalid_argument("transformer: device=cuda but no CUDA device is available");
  auto model = load_model(path, device);
  if (model.info.options.modulation() != modulation)
    throw std::invalid_argument(path + ": the model was trained for " + to_string(model.info.options.modulation()) +
                                ", the data is " + to_string(modulation));
  if (beam > 0 && !model.info.subproblems)
    throw std::invalid_argument(path + ": beam search needs a model trained with mimo train --subproblems");
  return std::make_unique<TransformerDetector>(std::move(model), path, device, batch, beam, clip);
}

}  // namespace mimo::tf
