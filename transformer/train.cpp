#include "transformer/train.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <optional>
#include <sstream>

#include "datasets/reader.hpp"
#include "detectors/detector.hpp"
#include "transformer/attention.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"

namespace mimo::tf {

std::string training_log_path(const std::string& model_path) {
  auto p = std::filesystem::path(model_path);
  return (p.parent_path() / (p.stem().string() + ".train.csv")).string();
}

namespace {

// Validation set: fixed channel uses at a few SNRs, with MMSE's SER on them as the reference.
struct Validation {
  std::vector<double> snr;
  std::vector<SampleBatch> sets;
  std::vector<double> mmse_ser;
};

double ser(const SampleBatch& b, const std::vector<int32_t>& symbols) {
  uint64_t wrong = 0;
  for (size_t k = 0; k < b.n * b.nt; ++k) {
    int s = 0;
    for (size_t j = 0; j < b.m; ++j) s = (s << 1) | b.bits[k * b.m + j];
    wrong += symbols[k] != s;
  }
  return static_cast<double>(wrong) / static_cast<double>(b.n * b.nt);
}

Validation make_validation(const TrainConfig& c) {
  Validation v;
  v.snr = c.validate_snr;
  if (v.snr.empty()) {
    const double lo = c.channel.snr.lo(), hi = c.channel.snr.hi();
    v.snr = {lo + 0.25 * (hi - lo), lo + 0.5 * (hi - lo), lo + 0.75 * (hi - lo)};
  }
  const auto mmse = make_detector("mmse", c.channel.modulation);
  for (double s : v.snr) {
    GeneratorConfig g = c.channel;
    g.snr = SnrSchedule::grid(std::vector<double>{s});
    g.tag = StreamTag::validate;
    SampleBatch b;
    Generator(g).generate(0, static_cast<size_t>(c.validate_samples), b, 0);
    Detection d;
    mmse->detect(b, d, 0);
    v.mmse_ser.push_back(ser(b, d.symbols));
    v.sets.push_back(std::move(b));
  }
  return v;
}

std::vector<double> validate(TransformerDetectorNet& net, const Validation& v, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<double> out;
  for (const auto& b : v.sets) {
    const auto t = to_tensors(b, 0, b.n, device);
    const auto pred = net->forward(t).back().argmax(2).to(torch::kCPU).to(torch::kInt32).contiguous();
    const auto* p = pred.data_ptr<int32_t>();
    out.push_back(ser(b, std::vector<int32_t>(p, p + pred.numel())));
  }
  net->train();
  return out;
}

// Linear warm-up over the first 3% of training, then cosine decay to 5% of the peak.
double schedule(double lr, double progress) {
  const double warm = 0.03;
  if (progress < warm) return lr * std::max(progress / warm, 0.01);
  const double t = std::min((progress - warm) / (1 - warm), 1.0);
  return lr * (0.05 + 0.95 * 0.5 * (1 + std::cos(std::numbers::pi * t)));
}

// Every setting that decides the batches, the model shape and the schedule's form, as one line. A resumed run
// must reproduce it exactly: otherwise it would silently train on other data than the run it continues.
// (--steps may change, which stretches the schedule, and --time-limit, which only decides when to stop.)
std::string training_signature(const TrainConfig& c, int64_t nt_min) {
  const auto& ch = c.channel.channel;
  std::ostringstream s;
  s.precision(17);
  s << "mod=" << to_string(c.channel.modulation) << " channel=" << ch.model << " nr=" << ch.nr << " nt=" << ch.nt
    << " rho_tx=" << ch.rho_tx << " rho_rx=" << ch.rho_rx << " k=" << ch.k_factor << " csi=" << ch.csi_error_var
    << " snr=" << c.channel.snr.lo() << ":" << c.channel.snr.hi() << " unit=" << to_string(c.channel.snr_unit)
    << " seed=" << c.channel.seed << " nt_min=" << nt_min << " dim=" << c.dim << " heads=" << c.heads
    << " layers=" << c.layers << " batch=" << c.batch << " lr=" << c.lr << " clip=" << c.clip
    << " data=" << (c.data.empty() ? "online" : std::filesystem::absolute(c.data).string());
  if (c.subproblems) s << " subproblems=1";  // only when set: older models' signatures stay valid
  return s.str();
}

// Subproblem training covers every stream count down to one unless --nt-min says otherwise.
int64_t effective_nt_min(const TrainConfig& c) {
  if (c.nt_min > 0) return c.nt_min;
  return c.subproblems ? 1 : c.channel.channel.nt;
}

// "batch=32 (this command: batch=64)" for every setting that differs between two signatures.
std::string settings_diff(const std::string& saved, const std::string& wanted) {
  std::istringstream a(saved), b(wanted);
  std::string x, y, out;
  // Until both ends: a setting only one side has (subproblems=1) is a difference too.
  while (true) {
    const bool more_a = static_cast<bool>(a >> x), more_b = static_cast<bool>(b >> y);
    if (!more_a && !more_b) break;
    if (!more_a) x = "(none)";
    if (!more_b) y = "none";
    if (x != y) out += (out.empty() ? "" : ", ") + x + " (this command: " + y + ")";
  }
  return out.empty() ? "other settings" : out;
}

}  // namespace

int64_t train(const TrainConfig& c, const TrainHooks& hooks) {
  if (c.steps <= 0 && c.time_limit <= 0) throw std::invalid_argument("give --steps or --time-limit");
  if (c.batch < 1) throw std::invalid_argument("batch must be >= 1");
  if (!(c.lr > 0)) throw std::invalid_argument("lr must be > 0");
  if (c.out.empty()) throw std::invalid_argument("no output model path");
  if (c.subproblems && !c.data.empty())
    throw std::invalid_argument("--subproblems draws its problems online; it cannot be used with --data");
  if (c.subproblems && c.nt_min >= c.channel.channel.nt)
    throw std::invalid_argument("--subproblems needs --nt-min below --nt (the subproblems have fewer streams)");
  const auto dir = std::filesystem::path(c.out).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir))
    throw std::invalid_argument("output directory '" + dir.string() + "' does not exist");
  const torch::Device device(c.device == "cuda" ? torch::kCUDA : torch::kCPU);
  // The choice is process-wide: put it back when training ends, however it ends.
  struct RestoreAttention {
    AttentionImpl previous = attention_impl();
    ~RestoreAttention() { set_attention_impl(previous); }
  } restore_attention;
  set_attention_impl(parse_attention_impl(c.attention));
  if (device.is_cuda() && !torch::cuda::is_available())
    throw std::invalid_argument("--device cuda: no CUDA device (or this LibTorch was built without CUDA)");

  ModelInfo info;
  info.options = TransformerOptions(c.channel.modulation, c.channel.channel.nt).dim(c.dim).heads(c.heads).layers(c.layers);
  TransformerDetectorNet net{nullptr};
  if (!c.resume.empty()) {
    auto loaded = load_model(c.resume, device);
    net = loaded.net;
    info = loaded.info;
    if (info.options.modulation() != c.channel.modulation || info.options.nt_max() != c.channel.channel.nt)
      throw std::invalid_argument(c.resume + " was trained for " + to_string(info.options.modulation()) + " with nt " +
                                  std::to_string(info.options.nt_max()) + "; resume with the same --mod and --nt");
    if (c.subproblems != info.subproblems)
      throw std::invalid_argument(c.resume + (info.subproblems ? " was" : " was not") +
                                  " trained with --subproblems; resume with the same flags");
    const auto wanted = training_signature(c, effective_nt_min(c));
    if (!info.training.empty() && info.training != wanted)
      throw std::invalid_argument(c.resume + " was trained with " + settings_diff(info.training, wanted) +
                                  "; resume with the same flags");
  } else {
    torch::manual_seed(c.channel.seed);
    net = TransformerDetectorNet(info.options);
    net->to(device);
    std::ostringstream ch;
    ch << c.channel.channel.model << " " << c.channel.channel.nr << "x" << c.channel.channel.nt;
    info.channel = ch.str();
    info.snr = c.channel.snr.is_range() ? c.channel.snr.describe()
                                        : std::to_string(c.channel.snr.lo()) + ":" + std::to_string(c.channel.snr.hi());
    info.snr_unit = to_string(c.channel.snr_unit);
    info.seed = c.channel.seed;
    info.total_steps = c.steps;
    info.batch = c.batch;
    info.lr = c.lr;
    info.nt_min = effective_nt_min(c);
    info.subproblems = c.subproblems;
    info.training = training_signature(c, info.nt_min);
  }
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(c.lr));
  if (!c.resume.empty()) load_optimizer(c.resume, optimizer, device);
  const int64_t total = c.steps > 0 ? c.steps : 0;
  info.total_steps = total;

  std::optional<OnlineChannel> online;
  std::optional<DatasetReader> data;
  if (c.data.empty()) {
    online.emplace(c.channel, info.nt_min, device, info.subproblems);
  } else {
    data.emplace(c.data);
    const auto& d = data->info();
    if (d.modulation != c.channel.modulation || d.channel.nt != c.channel.channel.nt)
      throw std::invalid_argument(c.data + " holds " + to_string(d.modulation) + " with nt " + std::to_string(d.channel.nt) +
                                  "; train with the same --mod and --nt");
    if (data->size() < static_cast<uint64_t>(c.batch)) throw std::invalid_argument(c.data + " has fewer samples than one batch");
  }
  const Validation val = make_validation(c);
  const std::string log_path = training_log_path(c.out);
  std::ofstream log;
  if (c.resume.empty() || !std::filesystem::exists(log_path)) {
    log.open(log_path, std::ios::trunc);
    log << "step,seconds,loss,lr";
    for (double s : val.snr) log << ",ser_" << s << "dB";
    for (double s : val.snr) log << ",mmse_ser_" << s << "dB";
    log << "\n";
  } else {
    log.open(log_path, std::ios::app);
  }

  const auto start = std::chrono::steady_clock::now();
  const double seconds_before = info.seconds;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  // --time-limit counts the total training time, across --resume, so that a resumed time-limited run
  // continues the schedule where it stopped.
  auto trained = [&] { return seconds_before + elapsed(); };
  auto progress_of = [&](int64_t step) {
    return total > 0 ? static_cast<double>(step) / total : std::min(trained() / c.time_limit, 1.0);
  };
  auto checkpoint = [&](double loss) {
    info.seconds = seconds_before + elapsed();
    const auto s = validate(net, val, device);
    log << info.step << "," << info.seconds << "," << loss << "," << schedule(c.lr, progress_of(info.step));
    for (double v : s) log << "," << v;
    for (double v : val.mmse_ser) log << "," << v;
    log << "\n";
    log.flush();
    save_model(c.out, net, info, &optimizer);
    if (hooks.log) {
      std::ostringstream line;
      line << "step " << info.step << ": loss " << loss << ", SER";
      for (size_t k = 0; k < s.size(); ++k) line << " " << s[k] << " (mmse " << val.mmse_ser[k] << ") @" << val.snr[k] << "dB";
      hooks.log(line.str());
    }
  };

  net->train();
  double loss_avg = 0;
  SampleBatch file_batch;
  int64_t done_here = 0;
  while (true) {
    if (total > 0 && info.step >= total) break;
    if (c.time_limit > 0 && trained() >= c.time_limit) break;
    if (hooks.stop && hooks.stop()) break;
    MimoTensors batch;
    if (online) {
      batch = online->sample(c.batch, info.step);
    } else {
      const uint64_t first = (static_cast<uint64_t>(info.step) * c.batch) % (data->size() - c.batch + 1);
      data->read(first, static_cast<size_t>(c.batch), file_batch);
      batch = to_tensors(file_batch, 0, file_batch.n, device);
    }
    const double lr = schedule(c.lr, progress_of(info.step));
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer.zero_grad();
    const auto loss = net->loss(net->forward(batch), batch);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), c.clip);
    optimizer.step();
    const double l = loss.item<double>();
    loss_avg = done_here == 0 ? l : 0.98 * loss_avg + 0.02 * l;
    ++info.step;
    ++done_here;
    if (hooks.progress) {
      TrainStatus st;
      st.step = info.step;
      st.total_steps = total;
      st.loss = loss_avg;
      st.lr = lr;
      st.samples_per_second = static_cast<double>(done_here * c.batch) / std::max(elapsed(), 1e-9);
      st.progress = progress_of(info.step);
      hooks.progress(st);
    }
    if (info.step % c.validate_every == 0) checkpoint(loss_avg);
  }
  if (done_here == 0 || info.step % c.validate_every != 0) checkpoint(loss_avg);
  return info.step;
}

}  // namespace mimo::tf
