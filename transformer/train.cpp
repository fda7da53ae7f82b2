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

// ---------------------------------------------------------------------------------------------------------
// Config checks: everything that can be refused before a byte is allocated or written.
// ---------------------------------------------------------------------------------------------------------

void check_config(const TrainConfig& c) {
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
  parse_attention_impl(c.attention);
  if (c.device == "cuda" && !torch::cuda::is_available())
    throw std::invalid_argument("--device cuda: no CUDA device (or this LibTorch was built without CUDA)");
}

// ---------------------------------------------------------------------------------------------------------
// Init or resume: the network and its record, fresh or from the file --resume names.
// ---------------------------------------------------------------------------------------------------------

struct Model {
  TransformerDetectorNet net{nullptr};
  ModelInfo info;
};

Model new_model(const TrainConfig& c, const torch::Device& device) {
  Model m;
  auto& info = m.info;
  info.options = TransformerOptions(c.channel.modulation, c.channel.channel.nt).dim(c.dim).heads(c.heads).layers(c.layers);
  torch::manual_seed(c.channel.seed);
  m.net = TransformerDetectorNet(info.options);
  m.net->to(device);
  std::ostringstream ch;
  ch << c.channel.channel.model << " " << c.channel.channel.nr << "x" << c.channel.channel.nt;
  info.channel = ch.str();
  info.snr = c.channel.snr.is_range() ? c.channel.snr.describe()
                                      : std::to_string(c.channel.snr.lo()) + ":" + std::to_string(c.channel.snr.hi());
  info.snr_unit = to_string(c.channel.snr_unit);
  info.seed = c.channel.seed;
  info.batch = c.batch;
  info.lr = c.lr;
  info.nt_min = effective_nt_min(c);
  info.subproblems = c.subproblems;
  info.training = training_signature(c, info.nt_min);
  return m;
}

// The file must have been trained with this command's settings: --resume continues a run, it does not start
// another one from its weights.
Model resumed_model(const TrainConfig& c, const torch::Device& device) {
  auto loaded = load_model(c.resume, device);
  const auto& info = loaded.info;
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
  return {loaded.net, loaded.info};
}

Model init_or_resume(const TrainConfig& c, const torch::Device& device) {
  Model m = c.resume.empty() ? new_model(c, device) : resumed_model(c, device);
  m.info.total_steps = c.steps;  // 0: the schedule follows the time limit
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// Batches: fresh online problems, or windows of an HDF5 set. Batch `step` is the same whenever it is drawn,
// which is what makes --resume exact.
// ---------------------------------------------------------------------------------------------------------

class BatchSource {
public:
  BatchSource(const TrainConfig& c, const ModelInfo& info, const torch::Device& device)
      : batch_(c.batch), device_(device) {
    if (c.data.empty()) {
      online_.emplace(c.channel, info.nt_min, device, info.subproblems);
      return;
    }
    data_.emplace(c.data);
    const auto& d = data_->info();
    if (d.modulation != c.channel.modulation || d.channel.nt != c.channel.channel.nt)
      throw std::invalid_argument(c.data + " holds " + to_string(d.modulation) + " with nt " + std::to_string(d.channel.nt) +
                                  "; train with the same --mod and --nt");
    if (data_->size() < static_cast<uint64_t>(c.batch)) throw std::invalid_argument(c.data + " has fewer samples than one batch");
  }

  MimoTensors at(int64_t step) {
    if (online_) return online_->sample(batch_, step);
    const uint64_t first = (static_cast<uint64_t>(step) * batch_) % (data_->size() - batch_ + 1);
    data_->read(first, static_cast<size_t>(batch_), file_batch_);
    return to_tensors(file_batch_, 0, file_batch_.n, device_);
  }

private:
  int64_t batch_;
  torch::Device device_;
  std::optional<OnlineChannel> online_;
  std::optional<DatasetReader> data_;
  SampleBatch file_batch_;
};

// ---------------------------------------------------------------------------------------------------------
// The training log <stem>.train.csv: one row per validation; a resumed run appends to the log of the run it
// continues.
// ---------------------------------------------------------------------------------------------------------

class TrainingLog {
public:
  TrainingLog(const std::string& path, const Validation& v, bool resume) : mmse_ser_(v.mmse_ser) {
    if (resume && std::filesystem::exists(path)) {
      out_.open(path, std::ios::app);
      return;
    }
    out_.open(path, std::ios::trunc);
    out_ << "step,seconds,loss,lr";
    for (double s : v.snr) out_ << ",ser_" << s << "dB";
    for (double s : v.snr) out_ << ",mmse_ser_" << s << "dB";
    out_ << "\n";
  }

  void row(int64_t step, double seconds, double loss, double lr, const std::vector<double>& ser) {
    out_ << step << "," << seconds << "," << loss << "," << lr;
    for (double v : ser) out_ << "," << v;
    for (double v : mmse_ser_) out_ << "," << v;
    out_ << "\n";
    out_.flush();
  }

private:
  std::vector<double> mmse_ser_;
  std::ofstream out_;
};

// ---------------------------------------------------------------------------------------------------------
// The step loop: one optimizer step per batch; a validation, a log row and a checkpoint every validate_every
// steps and at the end.
// ---------------------------------------------------------------------------------------------------------

class StepLoop {
public:
  StepLoop(const TrainConfig& c, const TrainHooks& hooks, Model& model, torch::optim::Adam& optimizer,
           BatchSource& batches, const Validation& validation, TrainingLog& log, const torch::Device& device)
      : c_(c), hooks_(hooks), net_(model.net), info_(model.info), optimizer_(optimizer), batches_(batches),
        validation_(validation), log_(log), device_(device), seconds_before_(info_.seconds) {}

  int64_t run() {
    net_->train();
    while (true) {
      if (info_.total_steps > 0 && info_.step >= info_.total_steps) break;
      if (c_.time_limit > 0 && trained() >= c_.time_limit) break;
      if (hooks_.stop && hooks_.stop()) break;
      const double l = step();
      loss_avg_ = done_here_ == 0 ? l : 0.98 * loss_avg_ + 0.02 * l;
      ++info_.step;
      ++done_here_;
      report();
      if (info_.step % c_.validate_every == 0) checkpoint();
    }
    if (done_here_ == 0 || info_.step % c_.validate_every != 0) checkpoint();
    return info_.step;
  }

private:
  // One optimizer step; returns its loss.
  double step() {
    const auto batch = batches_.at(info_.step);
    lr_ = schedule(c_.lr, progress_of(info_.step));
    for (auto& group : optimizer_.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr_);
    optimizer_.zero_grad();
    const auto loss = net_->loss(net_->forward(batch), batch);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net_->parameters(), c_.clip);
    optimizer_.step();
    return loss.item<double>();
  }

  void checkpoint() {
    info_.seconds = seconds_before_ + elapsed();
    const auto s = validate(net_, validation_, device_);
    log_.row(info_.step, info_.seconds, loss_avg_, schedule(c_.lr, progress_of(info_.step)), s);
    save_model(c_.out, net_, info_, &optimizer_);
    if (hooks_.log) {
      std::ostringstream line;
      line << "step " << info_.step << ": loss " << loss_avg_ << ", SER";
      for (size_t k = 0; k < s.size(); ++k)
        line << " " << s[k] << " (mmse " << validation_.mmse_ser[k] << ") @" << validation_.snr[k] << "dB";
      hooks_.log(line.str());
    }
  }

  void report() const {
    if (!hooks_.progress) return;
    TrainStatus st;
    st.step = info_.step;
    st.total_steps = info_.total_steps;
    st.loss = loss_avg_;
    st.lr = lr_;
    st.samples_per_second = static_cast<double>(done_here_ * c_.batch) / std::max(elapsed(), 1e-9);
    st.progress = progress_of(info_.step);
    hooks_.progress(st);
  }

  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  // --time-limit counts the total training time, across --resume, so that a resumed time-limited run continues
  // the schedule where it stopped.
  double trained() const { return seconds_before_ + elapsed(); }
  double progress_of(int64_t step) const {
    return info_.total_steps > 0 ? static_cast<double>(step) / static_cast<double>(info_.total_steps)
                                 : std::min(trained() / c_.time_limit, 1.0);
  }

  const TrainConfig& c_;
  const TrainHooks& hooks_;
  TransformerDetectorNet& net_;
  ModelInfo& info_;
  torch::optim::Adam& optimizer_;
  BatchSource& batches_;
  const Validation& validation_;
  TrainingLog& log_;
  torch::Device device_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  const double seconds_before_;
  double loss_avg_ = 0;
  double lr_ = 0;                // the last step's learning rate
  int64_t done_here_ = 0;        // steps taken by this run (not counting those before --resume)
};

// The attention core is a process-wide choice: put it back when training ends, however it ends.
class ScopedAttention {
public:
  explicit ScopedAttention(AttentionImpl impl) { set_attention_impl(impl); }
  ~ScopedAttention() { set_attention_impl(previous_); }
  ScopedAttention(const ScopedAttention&) = delete;
  ScopedAttention& operator=(const ScopedAttention&) = delete;

private:
  AttentionImpl previous_ = attention_impl();
};

}  // namespace

int64_t train(const TrainConfig& c, const TrainHooks& hooks) {
  check_config(c);
  const torch::Device device(c.device == "cuda" ? torch::kCUDA : torch::kCPU);
  const ScopedAttention attention(parse_attention_impl(c.attention));
  Model model = init_or_resume(c, device);
  torch::optim::Adam optimizer(model.net->parameters(), torch::optim::AdamOptions(c.lr));
  if (!c.resume.empty()) load_optimizer(c.resume, optimizer, device);
  BatchSource batches(c, model.info, device);
  const Validation validation = make_validation(c);
  TrainingLog log(training_log_path(c.out), validation, !c.resume.empty());
  return StepLoop(c, hooks, model, optimizer, batches, validation, log, device).run();
}

}  // namespace mimo::tf
