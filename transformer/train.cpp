#include "transformer/train.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <numbers>
#include <optional>
#include <sstream>
#include <thread>

#include "datasets/atomic_file.hpp"
#include "datasets/reader.hpp"
#include "detectors/detector.hpp"
#include "transformer/attention.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/errors.hpp"
#include "transformer/online_channel.hpp"
#include "transformer/replicas.hpp"

// OpenBLAS, where this LibTorch computes with it (Debian's), keeps a thread pool of its own that
// torch::set_num_threads does not size. Weak: absent with another BLAS (MKL, which torch::set_num_threads sizes).
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace mimo::tf {

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

// How online batches are drawn: channels from channel/'s models (the generator's samples, tag train), the rest in
// seeded blocks of OnlineChannel::kBlock. Older signatures name another way (whole batches per step, or blocks64
// with channels drawn by a torch copy of the models): streams this mimo cannot reproduce.
std::string block_token() { return "draw=channels-blocks" + std::to_string(OnlineChannel::kBlock); }

// The channel's settings as signature terms. rho_tx, rho_rx and k come first and always (0 when the model has no
// such parameter), as signatures named them before models declared their parameters: runs trained on data sets by
// an older mimo still resume; other parameters follow by name, then the power spread when there is one and the
// uses per realization when more than 1 (so signatures without block fading read as before).
std::string channel_terms(const ChannelConfig& ch) {
  const auto params = ch.resolved_parameters();
  auto legacy = [&](const char* name) {
    for (const auto& [n, v] : params)
      if (n == name) return std::get<double>(v);
    return 0.0;
  };
  std::ostringstream s;
  s.precision(17);
  s << " rho_tx=" << legacy("rho_tx") << " rho_rx=" << legacy("rho_rx") << " k=" << legacy("k_factor");
  for (const auto& [name, value] : params) {
    if (name == "rho_tx" || name == "rho_rx" || name == "k_factor") continue;
    s << " " << name << "=";
    if (const double* v = std::get_if<double>(&value))
      s << *v;
    else
      s << std::get<std::string>(value);
  }
  s << " csi=" << ch.csi_error_var;
  if (ch.user_power_spread_db > 0) s << " power_spread_db=" << ch.user_power_spread_db;
  if (ch.uses_per_realization > 1) s << " uses_per_realization=" << ch.uses_per_realization;
  return s.str();
}

int64_t global_batch(const TrainConfig& c) { return c.batch * c.distributed.size; }

// Every setting that decides the batches, the model shape and the schedule's form, as one line. A resumed run
// must reproduce it exactly: otherwise it would silently train on other data than the run it continues.
// (--steps may change, which stretches the schedule, and --time-limit, which only decides when to stop.) The
// batch is the global one: any number of processes continues a run whose global batch it reproduces.
std::string training_signature(const TrainConfig& c, int64_t nt_min) {
  const auto& ch = c.channel.channel;
  std::ostringstream s;
  s.precision(17);
  s << "mod=" << to_string(c.channel.modulation) << " channel=" << ch.model << " nr=" << ch.nr << " nt=" << ch.nt
    << channel_terms(ch)
    << " snr=" << c.channel.snr.lo() << ":" << c.channel.snr.hi() << " unit=" << to_string(c.channel.snr_unit)
    << " seed=" << c.channel.seed << " nt_min=" << nt_min << " dim=" << c.dim << " heads=" << c.heads
    << " layers=" << c.layers << " batch=" << global_batch(c) << " lr=" << c.lr << " clip=" << c.clip
    << " data=" << (c.data.empty() ? "online" : std::filesystem::absolute(c.data).string());
  if (c.subproblems) s << " subproblems=1";  // only when set: older models' signatures stay valid
  if (c.data.empty()) s << " " << block_token();
  return s.str();
}

bool drawn_by_older_mimo(const std::string& signature) {
  return signature.find(" data=online") != std::string::npos && signature.find(block_token()) == std::string::npos;
}

// Subproblem training covers every stream count down to one unless --nt-min says otherwise.
int64_t effective_nt_min(const TrainConfig& c) {
  if (c.nt_min > 0) return c.nt_min;
  return c.subproblems ? 1 : c.channel.channel.nt;
}

// One differing setting: "lr=0.002 (this command: lr=0.001)"; the batch as the global batch and its parts.
std::string difference(const std::string& saved, const std::string& wanted, const TrainConfig& c) {
  const std::string key = "batch=";
  if (saved.rfind(key, 0) != 0 || wanted.rfind(key, 0) != 0) return saved + " (this command: " + wanted + ")";
  const int p = c.distributed.size;
  return "global batch " + saved.substr(key.size()) + " (this command: " + std::to_string(p) +
         (p == 1 ? " process" : " processes") + " x --batch " + std::to_string(c.batch) + " = " +
         std::to_string(global_batch(c)) + ")";
}

// "global batch 32 (this command: ...), lr=..." for every setting that differs between two signatures.
std::string settings_diff(const std::string& saved, const std::string& wanted, const TrainConfig& c) {
  std::istringstream a(saved), b(wanted);
  std::string x, y, out;
  // Until both ends: a setting only one side has (subproblems=1) is a difference too.
  while (true) {
    const bool more_a = static_cast<bool>(a >> x), more_b = static_cast<bool>(b >> y);
    if (!more_a && !more_b) break;
    if (!more_a) x = "(none)";
    if (!more_b) y = "none";
    if (x != y) out += (out.empty() ? "" : ", ") + difference(x, y, c);
  }
  return out.empty() ? "other settings" : out;
}

// ---------------------------------------------------------------------------------------------------------
// Config checks: everything that can be refused before a byte is allocated or written.
// ---------------------------------------------------------------------------------------------------------

std::string number(double v) {
  if (std::isnan(v)) return "nan";  // not glibc's "-nan" for a NaN with its sign bit set
  std::ostringstream s;
  s << v;
  return s.str();
}

void require(bool ok, const std::string& rule, const std::string& name, const std::string& value) {
  if (!ok) throw std::invalid_argument(rule + " (" + name + " = " + value + ")");
}

// Finite first: a NaN fails every comparison, so it passes a range check written as `if (x < 0) refuse`; a NaN
// time limit then never stops, and a NaN learning rate trains nothing but NaNs.
void require_finite(double v, bool in_range, const std::string& rule, const std::string& name) {
  require(std::isfinite(v) && in_range, rule, name, number(v));
}

// A lower bound on the floats one training step keeps per stream, token width and block: measured (peak RSS
// between batch 256 and 2048, CPU, nt 2 to 32, dim 32 to 256, 1 to 8 blocks) at 24 to 35; 16 leaves a margin,
// so the check below refuses only batches that cannot fit, not every batch that will not.
constexpr double kFloatsPerTokenDimLayer = 16;

double step_bytes_lower_bound(const TrainConfig& c) {
  return static_cast<double>(c.batch) * static_cast<double>(c.channel.channel.nt) * static_cast<double>(c.dim) *
         static_cast<double>(c.layers) * kFloatsPerTokenDimLayer * sizeof(float);
}

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

void check_processes(const DistributedConfig& d) {
  require(d.size >= 1, "a run needs >= 1 process", "processes", std::to_string(d.size));
  require(d.rank >= 0 && d.rank < d.size, "the process rank must be in [0, processes)", "rank", std::to_string(d.rank));
  require(d.local_size >= 1 && d.local_rank >= 0 && d.local_rank < d.local_size,
          "the local rank must be in [0, processes on this machine)", "local rank", std::to_string(d.local_rank));
  if (d.size == 1) return;
  if (d.master_addr.empty()) throw std::invalid_argument("a run across processes needs the address of process 0");
  require(d.master_port >= 1 && d.master_port <= 65535, "the rendezvous port must be in [1, 65535]", "port",
          std::to_string(d.master_port));
}

void check_config(const TrainConfig& c) {
  mimo::validate(c.channel.channel);
  require(c.steps >= 0, "--steps must be >= 0", "steps", std::to_string(c.steps));
  require_finite(c.time_limit, c.time_limit >= 0, "--time-limit must be a finite number of seconds >= 0",
                 "time-limit");
  if (c.steps == 0 && c.time_limit == 0) throw std::invalid_argument("give --steps or --time-limit");
  require(c.batch >= 1, "--batch must be >= 1", "batch", std::to_string(c.batch));
  require_finite(c.lr, c.lr > 0, "--lr must be a finite number > 0", "lr");
  require_finite(c.clip, c.clip > 0, "the gradient clip norm must be a finite number > 0", "clip");
  require(c.layers >= 1, "--layers must be >= 1", "layers", std::to_string(c.layers));
  require(c.heads >= 1, "--heads must be >= 1", "heads", std::to_string(c.heads));
  if (c.dim < 1 || c.dim % c.heads != 0)
    throw std::invalid_argument("--dim must be a positive multiple of --heads (dim = " + std::to_string(c.dim) +
                                ", heads = " + std::to_string(c.heads) + ")");
  require(c.nt_min >= 0 && c.nt_min <= c.channel.channel.nt, "--nt-min must be in [0, --nt]", "nt-min",
          std::to_string(c.nt_min));
  require(c.validate_every >= 1, "--validate-every must be >= 1", "validate-every", std::to_string(c.validate_every));
  require(c.validate_samples >= 1, "the validation set needs >= 1 channel use per SNR", "validate-samples",
          std::to_string(c.validate_samples));
  for (double s : c.validate_snr) require_finite(s, true, "--validate-snr must be finite dB values", "validate-snr");
  for (double s : {c.channel.snr.lo(), c.channel.snr.hi()})
    require_finite(s, true, "--snr-db must be finite dB values", "snr-db");
  if (c.out.empty()) throw std::invalid_argument("no output model path");
  check_processes(c.distributed);
  if (c.subproblems && !c.data.empty())
    throw std::invalid_argument("--subproblems draws its problems online; it cannot be used with --data");
  if (c.subproblems && c.nt_min >= c.channel.channel.nt)
    throw std::invalid_argument("--subproblems needs --nt-min below --nt (the subproblems have fewer streams)");
  const auto dir = std::filesystem::path(c.out).parent_path();
  if (c.distributed.rank == 0 && !dir.empty() && !std::filesystem::is_directory(dir))  // the others write nothing
    throw std::invalid_argument("output directory '" + dir.string() + "' does not exist");
  if (c.device != "cpu" && c.device != "cuda")
    throw std::invalid_argument("--device must be cpu or cuda (device = " + c.device + ")");
  parse_attention_impl(c.attention);
  if (c.device == "cuda" && !torch::cuda::is_available())
    throw std::invalid_argument("--device cuda: no CUDA device (or this LibTorch was built without CUDA)");
  // On the CPU a batch far beyond memory would fail deep inside torch, or, with Linux overcommit, be killed by
  // the OOM killer mid-step. (A GPU's memory is not known here; its allocation error is caught in train().)
  // The processes of a run on one machine share its memory.
  const int local = c.distributed.local_size;
  const double need = step_bytes_lower_bound(c) * local, have = physical_memory_bytes();
  if (c.device == "cpu" && have > 0 && need > have)
    throw std::invalid_argument("--batch " + std::to_string(c.batch) + " needs more than " +
                                std::to_string(static_cast<int64_t>(need / (1 << 30))) + " GiB per step" +
                                (local > 1 ? " in the " + std::to_string(local) + " processes on this machine" : "") +
                                ", this machine has " + std::to_string(static_cast<int64_t>(have / (1 << 30))) +
                                " GiB; use a smaller --batch");
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
  ch << c.channel.channel.describe() << " " << c.channel.channel.nr << "x" << c.channel.channel.nt;
  info.channel = ch.str();
  info.snr = c.channel.snr.is_range() ? c.channel.snr.describe()
                                      : std::to_string(c.channel.snr.lo()) + ":" + std::to_string(c.channel.snr.hi());
  info.snr_unit = to_string(c.channel.snr_unit);
  info.seed = c.channel.seed;
  info.batch = global_batch(c);
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
  if (c.data.empty() && drawn_by_older_mimo(info.training))
    throw std::invalid_argument(c.resume + " was trained on online batches drawn by an older mimo; this mimo draws "
                                "their channels from its channel models and the rest in blocks of " +
                                std::to_string(OnlineChannel::kBlock) +
                                " samples, and cannot continue that run exactly: train a new model, or resume with "
                                "the mimo that trained it");
  const auto wanted = training_signature(c, effective_nt_min(c));
  if (!info.training.empty() && info.training != wanted)
    throw std::invalid_argument(c.resume + " was trained with " + settings_diff(info.training, wanted, c) +
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
// which is what makes --resume exact, and process r of P takes its part [r B, (r + 1) B) of the step's global
// batch of P B, so that P processes train on the batches of one process with --batch P B.
// ---------------------------------------------------------------------------------------------------------

class BatchSource {
public:
  BatchSource(const TrainConfig& c, const ModelInfo& info, const torch::Device& device)
      : batch_(c.batch), global_(global_batch(c)), first_(c.distributed.rank * c.batch), device_(device) {
    if (c.data.empty()) {
      online_.emplace(c.channel, info.nt_min, device, info.subproblems);
      return;
    }
    data_.emplace(c.data);
    const auto& d = data_->info();
    if (d.modulation != c.channel.modulation || d.channel.nt != c.channel.channel.nt)
      throw std::invalid_argument(c.data + " holds " + to_string(d.modulation) + " with nt " + std::to_string(d.channel.nt) +
                                  "; train with the same --mod and --nt");
    if (data_->size() < static_cast<uint64_t>(global_))
      throw std::invalid_argument(c.data + " has fewer samples than one batch (" + std::to_string(global_) + ")");
  }

  MimoTensors at(int64_t step) {
    if (online_) return online_->draw(static_cast<uint64_t>(step), first_, batch_);
    const uint64_t window = (static_cast<uint64_t>(step) * global_) % (data_->size() - global_ + 1);
    data_->read(window + first_, static_cast<size_t>(batch_), file_batch_);
    return to_tensors(file_batch_, 0, file_batch_.n, device_);
  }

private:
  int64_t batch_, global_, first_;  // this process's batch, the global one, and this process's first sample
  torch::Device device_;
  std::optional<OnlineChannel> online_;
  std::optional<DatasetReader> data_;
  SampleBatch file_batch_;
};

// ---------------------------------------------------------------------------------------------------------
// The training log <stem>.train.csv: one row per validation. The file is opened at the first row, so a run
// that fails before its first checkpoint leaves no log; a resumed run appends to the log of the run it continues.
// ---------------------------------------------------------------------------------------------------------

class TrainingLog {
public:
  TrainingLog(std::string path, const Validation& v, bool resume)
      : path_(std::move(path)), append_(resume && std::filesystem::exists(path_)), mmse_ser_(v.mmse_ser) {
    std::ostringstream h;
    h << "step,seconds,loss,lr";
    for (double s : v.snr) h << ",ser_" << s << "dB";
    for (double s : v.snr) h << ",mmse_ser_" << s << "dB";
    header_ = h.str();
  }

  void row(int64_t step, double seconds, double loss, double lr, const std::vector<double>& ser) {
    if (!out_.is_open()) {
      out_.open(path_, append_ ? std::ios::app : std::ios::trunc);
      if (!append_) out_ << header_ << "\n";
    }
    out_ << step << "," << seconds << "," << loss << "," << lr;
    for (double v : ser) out_ << "," << v;
    for (double v : mmse_ser_) out_ << "," << v;
    out_ << "\n";
    out_.flush();
    if (!out_) throw std::runtime_error(write_error(path_, errno));
  }

private:
  std::string path_, header_;
  bool append_;
  std::vector<double> mmse_ser_;
  std::ofstream out_;
};

// ---------------------------------------------------------------------------------------------------------
// The step loop: one optimizer step per batch; a validation, a log row and a checkpoint every validate_every
// steps and at the end; a one-line error at the first non-finite loss or gradient.
// ---------------------------------------------------------------------------------------------------------

bool parameters_finite(TransformerDetectorNet& net) {
  torch::NoGradGuard no_grad;
  for (const auto& p : net->parameters())
    if (!torch::isfinite(p).all().item<bool>()) return false;
  return true;
}

class StepLoop {
public:
  StepLoop(const TrainConfig& c, const TrainHooks& hooks, Model& model, torch::optim::Adam& optimizer,
           BatchSource& batches, Replicas& replicas, const Validation& validation, TrainingLog& log,
           const torch::Device& device)
      : c_(c), hooks_(hooks), net_(model.net), info_(model.info), optimizer_(optimizer), batches_(batches),
        replicas_(replicas), validation_(validation), log_(log), device_(device), parameters_(net_->parameters()),
        seconds_before_(info_.seconds), last_checkpoint_(c.resume) {}

  int64_t run() {
    net_->train();
    while (!schedule_done() && step()) {
      loss_avg_ = done_here_ == 0 ? loss_ : 0.98 * loss_avg_ + 0.02 * loss_;
      ++info_.step;
      ++done_here_;
      report();
      if (info_.step % c_.validate_every == 0) checkpoint();
    }
    const double seconds = elapsed();  // the rate as the progress line had it, before the last checkpoint
    if (done_here_ == 0 || info_.step % c_.validate_every != 0) checkpoint();
    report_traffic(seconds);
    return info_.step;
  }

private:
  // What the processes add up each step, beside the gradients.
  enum Scalar { kLossSum, kTokens, kStop, kSeconds, kScalars };

  // One optimizer step on the global batch. Returns false without a step when any process asks to stop (Ctrl-C,
  // --time-limit): the request is summed with the step's loss, so every process stops before the same step.
  // Nothing is changed either when the loss or the gradient is not finite: the step would write NaNs into every
  // parameter.
  bool step() {
    std::vector<double> s(kScalars, 0.0);
    s[kStop] = wants_to_stop() ? 1 : 0;
    s[kSeconds] = trained();
    optimizer_.zero_grad();
    if (s[kStop] == 0) {  // a process that stops skips its batch: the step is dropped everywhere anyway
      const auto batch = batches_.at(info_.step);
      const auto loss = net_->loss_sum(net_->forward(batch), batch);
      loss.backward();
      s[kLossSum] = loss.item<double>();
      s[kTokens] = static_cast<double>(TransformerDetectorNetImpl::loss_tokens(batch));
    }
    replicas_.sum(s);
    if (s[kStop] > 0) return false;
    replicas_.sum_gradients(parameters_);
    // Summed over the processes, divided by the global batch's stream count: the gradient of its mean loss.
    scale_gradients(1.0 / s[kTokens]);
    agreed_seconds_ = s[kSeconds] / replicas_.size();  // the processes' clocks differ; the schedule must not
    lr_ = schedule(c_.lr, progress_of(info_.step));
    for (auto& group : optimizer_.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr_);
    const double norm = torch::nn::utils::clip_grad_norm_(parameters_, c_.clip);
    loss_ = s[kLossSum] / s[kTokens];
    if (!std::isfinite(loss_)) diverged(info_.step + 1, "loss is " + number(loss_));
    if (!std::isfinite(norm)) diverged(info_.step + 1, "gradient norm is " + number(norm));
    optimizer_.step();
    return true;
  }

  bool schedule_done() const { return info_.total_steps > 0 && info_.step >= info_.total_steps; }

  bool wants_to_stop() const {
    return (c_.time_limit > 0 && trained() >= c_.time_limit) || (hooks_.stop && hooks_.stop());
  }

  void scale_gradients(double factor) {
    torch::NoGradGuard no_grad;
    for (auto& p : parameters_)
      if (p.grad().defined()) p.mutable_grad().mul_(factor);
  }

  // Process 0 validates, logs and saves; every process checks its (equal) parameters, so all stop alike.
  void checkpoint() {
    // A step with finite loss and gradients can still overflow a parameter (an enormous --lr): never save it.
    if (!parameters_finite(net_)) diverged(info_.step, "a parameter is not finite");
    if (!replicas_.root()) return;
    info_.seconds = seconds_before_ + elapsed();
    const auto s = validate(net_, validation_, device_);
    // The model first: every row of the log has its checkpoint.
    save_model(c_.out, net_, info_, &optimizer_);
    last_checkpoint_ = c_.out;
    log_.row(info_.step, info_.seconds, loss_avg_, schedule(c_.lr, progress_of(info_.step)), s);
    if (hooks_.log) {
      std::ostringstream line;
      line << "step " << info_.step << ": loss " << loss_avg_ << ", SER";
      for (size_t k = 0; k < s.size(); ++k)
        line << " " << s[k] << " (mmse " << validation_.mmse_ser[k] << ") @" << validation_.snr[k] << "dB";
      hooks_.log(line.str());
    }
  }

  void report() const {
    if (!hooks_.progress || !replicas_.root()) return;
    TrainStatus st;
    st.step = info_.step;
    st.total_steps = info_.total_steps;
    st.loss = loss_avg_;
    st.lr = lr_;
    st.samples_per_second = static_cast<double>(done_here_ * global_batch(c_)) / std::max(elapsed(), 1e-9);
    st.progress = progress_of(info_.step);
    hooks_.progress(st);
  }

  // The run's rate and its traffic, e.g. "2 processes: 2.1 k samples/s (global batch 256); all-reduce of 0.828 MB
  // of gradients per step (1 bucket, gloo): 1.2 ms per step, after 3.4 ms waiting for the slowest process".
  void report_traffic(double seconds) const {
    const auto& t = replicas_.traffic();
    if (!hooks_.log || !replicas_.root() || t.steps == 0) return;
    const double steps = static_cast<double>(t.steps);
    std::ostringstream line;
    line.precision(3);
    line << replicas_.size() << " processes: "
         << static_cast<double>(done_here_ * global_batch(c_)) / std::max(seconds, 1e-9) / 1e3
         << " k samples/s (global batch " << global_batch(c_) << "); all-reduce of "
         << static_cast<double>(t.gradient_bytes) / 1e6 << " MB of gradients per step (" << t.buckets
         << (t.buckets == 1 ? " bucket, " : " buckets, ") << replicas_.backend() << "): "
         << 1e3 * t.gradient_seconds / steps << " ms per step, after " << 1e3 * t.waiting_seconds / steps
         << " ms waiting for the slowest process";
    hooks_.log(line.str());
  }

  [[noreturn]] void diverged(int64_t step, const std::string& what) const {
    throw std::runtime_error("training diverged at step " + std::to_string(step) + ": " + what + "; " +
                             (last_checkpoint_.empty() ? std::string("no checkpoint had been written")
                                                       : "kept the last finite checkpoint " + last_checkpoint_));
  }

  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  // --time-limit counts the total training time, across --resume, so that a resumed time-limited run continues
  // the schedule where it stopped.
  double trained() const { return seconds_before_ + elapsed(); }
  // A time-limited schedule follows the processes' mean clock at the last step's start, the same everywhere.
  double progress_of(int64_t step) const {
    return info_.total_steps > 0 ? static_cast<double>(step) / static_cast<double>(info_.total_steps)
                                 : std::min(agreed_seconds_ / c_.time_limit, 1.0);
  }

  const TrainConfig& c_;
  const TrainHooks& hooks_;
  TransformerDetectorNet& net_;
  ModelInfo& info_;
  torch::optim::Adam& optimizer_;
  BatchSource& batches_;
  Replicas& replicas_;
  const Validation& validation_;  // empty except in process 0
  TrainingLog& log_;              // written by process 0 only
  torch::Device device_;
  std::vector<torch::Tensor> parameters_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  const double seconds_before_;
  double agreed_seconds_ = seconds_before_;
  std::string last_checkpoint_;  // the newest model file with finite parameters; empty: none yet
  double loss_ = 0;              // the last step's loss on the global batch
  double loss_avg_ = 0;
  double lr_ = 0;                // the last step's learning rate
  int64_t done_here_ = 0;        // steps taken by this run (not counting those before --resume)
};

// The attention core is a process-wide choice: put it back when training ends, however it ends.
class ScopedAttention {
public:
  ScopedAttention() = default;
  void set(AttentionImpl impl) { set_attention_impl(impl); }
  ~ScopedAttention() { set_attention_impl(previous_); }
  ScopedAttention(const ScopedAttention&) = delete;
  ScopedAttention& operator=(const ScopedAttention&) = delete;

private:
  AttentionImpl previous_ = attention_impl();
};

// A run across processes puts each process of a machine on its own GPU (by local rank; with more processes
// than GPUs they share them round robin). One process keeps torch's current device.
torch::Device training_device(const TrainConfig& c) {
  if (c.device != "cuda") return torch::kCPU;
  if (c.distributed.size == 1) return torch::kCUDA;
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(c.distributed.local_rank % std::max(gpus, 1))};
}

// The processes on one machine share its cores; one process keeps torch's default (all of them). BLAS's threads
// too: two processes on two cores, each with a second OpenBLAS thread spinning while idle, trained 4.3x slower
// (0.84 k against 3.6 k samples/s at the default model).
void share_cores(const DistributedConfig& d) {
  if (d.local_size <= 1) return;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::max(1, cores / d.local_size);
  torch::set_num_threads(threads);
  if (openblas_set_num_threads) openblas_set_num_threads(threads);
}

// A setup failure as train() reports it: a LibTorch error or an allocation failure in one line.
[[noreturn]] int64_t rethrow_setup(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const c10::Error& e) {
    throw std::runtime_error("training failed: " + error_line(e));
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("training ran out of memory; use a smaller --batch");
  }
}

}  // namespace

int64_t train(const TrainConfig& c, const TrainHooks& hooks) {
  // Every check and file of this process first. Across processes, a failure here is not thrown at once: the
  // processes tell each other theirs when they join (Replicas), so that one failing process ends all of them in
  // one line instead of leaving the others to the rendezvous timeout.
  std::exception_ptr setup_failure;
  std::string setup_error;
  torch::Device device = torch::kCPU;
  ScopedAttention attention;
  std::optional<Model> model;
  std::optional<torch::optim::Adam> optimizer;
  std::optional<BatchSource> batches;
  try {
    if (hooks.check) hooks.check();
    check_config(c);
    device = training_device(c);
    attention.set(parse_attention_impl(c.attention));
    share_cores(c.distributed);
    model.emplace(init_or_resume(c, device));
    optimizer.emplace(model->net->parameters(), torch::optim::AdamOptions(c.lr));
    if (!c.resume.empty()) load_optimizer(c.resume, *optimizer, device);  // in every process, from the file
    batches.emplace(c, model->info, device);
  } catch (const std::exception& e) {
    setup_failure = std::current_exception();
    setup_error = error_line(e);
  }
  if (setup_failure && c.distributed.size <= 1) return rethrow_setup(setup_failure);
  // LibTorch reports a failure (out of memory, a CUDA error) with a backtrace in what(): one line here.
  try {
    std::optional<Replicas> joined;
    try {
      joined.emplace(c.distributed, device, setup_error);
    } catch (...) {
      if (setup_failure) return rethrow_setup(setup_failure);  // this process's own error, however the others went
      throw;
    }
    Replicas& replicas = *joined;
    replicas.broadcast(model->net->parameters());
    replicas.broadcast(model->net->buffers());
    const Validation validation = replicas.root() ? make_validation(c) : Validation{};
    TrainingLog log(training_log_path(c.out), validation, !c.resume.empty());
    return StepLoop(c, hooks, *model, *optimizer, *batches, replicas, validation, log, device).run();
  } catch (const c10::Error& e) {
    throw std::runtime_error("training failed: " + error_line(e));
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("training ran out of memory; use a smaller --batch");
  }
}

}  // namespace mimo::tf
