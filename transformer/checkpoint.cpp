#include "transformer/checkpoint.hpp"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "datasets/atomic_file.hpp"
#include "transformer/errors.hpp"

namespace mimo::tf {

namespace {

void put(torch::serialize::OutputArchive& a, const std::string& key, const c10::IValue& v) { a.write("info/" + key, v); }

c10::IValue get(torch::serialize::InputArchive& a, const std::string& key, const std::string& path) {
  c10::IValue v;
  if (!a.try_read("info/" + key, v)) throw std::invalid_argument(path + ": model file lacks '" + key + "'");
  return v;
}

}  // namespace

void save_model(const std::string& path, TransformerDetectorNet& net, const ModelInfo& info,
                torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive a;
  a.write("format", c10::IValue(std::string(kModelFormat)));
  const auto& o = info.options;
  put(a, "modulation", to_string(o.modulation()));
  put(a, "nt_max", o.nt_max());
  put(a, "dim", o.dim());
  put(a, "heads", o.heads());
  put(a, "layers", o.layers());
  put(a, "feature_version", info.feature_version);
  put(a, "training", info.training);
  put(a, "channel", info.channel);
  put(a, "snr", info.snr);
  put(a, "snr_unit", info.snr_unit);
  put(a, "seed", static_cast<int64_t>(info.seed));
  put(a, "step", info.step);
  put(a, "total_steps", info.total_steps);
  put(a, "batch", info.batch);
  put(a, "lr", info.lr);
  put(a, "nt_min", info.nt_min);
  put(a, "subproblems", static_cast<int64_t>(info.subproblems));
  put(a, "seconds", info.seconds);
  torch::serialize::OutputArchive model;
  net->save(model);
  a.write("model", model);
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    a.write("optimizer", opt);
  }
  // Serialized in memory (a model is a few MB), then written by the one writer of whole files: a full disk is
  // reported as such and leaves no partial file, and a signal's forced exit deletes it too.
  std::ostringstream bytes;
  a.save_to(bytes);
  write_file_atomically(path, bytes.str());
}

LoadedModel load_model(const std::string& path, const torch::Device& device) {
  if (!std::filesystem::exists(path)) throw std::invalid_argument(path + ": no such model file");
  torch::serialize::InputArchive a;
  try {
    a.load_from(path, device);
  } catch (const c10::Error&) {
    throw std::invalid_argument(path + ": not a readable model file (truncated, or not written by mimo train)");
  }
  c10::IValue format;
  if (!a.try_read("format", format) || !format.isString() || format.toStringRef() != kModelFormat)
    throw std::invalid_argument(path + ": not a mimo transformer model (format '" + std::string(kModelFormat) + "')");
  c10::IValue version;
  const int64_t features = a.try_read("info/feature_version", version) && version.isInt() ? version.toInt() : 1;
  if (features != kFeatureVersion)
    throw std::invalid_argument(path + ": model has features v" + std::to_string(features) + ", this mimo reads v" +
                                std::to_string(kFeatureVersion) + "; retrain it with this mimo's train command");
  LoadedModel m;
  try {
    auto& i = m.info;
    i.feature_version = features;
    i.options = TransformerOptions(parse_modulation(get(a, "modulation", path).toStringRef()),
                                   get(a, "nt_max", path).toInt());
    i.options.dim(get(a, "dim", path).toInt()).heads(get(a, "heads", path).toInt()).layers(get(a, "layers", path).toInt());
    i.channel = get(a, "channel", path).toStringRef();
    i.snr = get(a, "snr", path).toStringRef();
    i.snr_unit = get(a, "snr_unit", path).toStringRef();
    i.seed = static_cast<uint64_t>(get(a, "seed", path).toInt());
    i.step = get(a, "step", path).toInt();
    i.total_steps = get(a, "total_steps", path).toInt();
    i.batch = get(a, "batch", path).toInt();
    i.lr = get(a, "lr", path).toDouble();
    i.nt_min = get(a, "nt_min", path).toInt();
    c10::IValue sub;  // absent before subproblem training existed
    i.subproblems = a.try_read("info/subproblems", sub) && sub.isInt() && sub.toInt() != 0;
    i.seconds = get(a, "seconds", path).toDouble();
    c10::IValue training;  // absent in the first model files: no resume check for them
    if (a.try_read("info/training", training) && training.isString()) i.training = training.toStringRef();
    m.net = TransformerDetectorNet(i.options);
    torch::serialize::InputArchive model;
    if (!a.try_read("model", model)) throw std::invalid_argument(path + ": model file has no network weights");
    m.net->load(model);
    m.net->to(device);
  } catch (const c10::Error& e) {
    throw std::invalid_argument(path + ": corrupted model file (" + error_line(e) + ")");
  } catch (const std::invalid_argument&) {
    throw;
  }
  return m;
}

void load_optimizer(const std::string& path, torch::optim::Optimizer& optimizer, const torch::Device& device) {
  torch::serialize::InputArchive a, opt;
  try {
    a.load_from(path, device);
  } catch (const c10::Error&) {
    throw std::invalid_argument(path + ": not a readable model file (truncated, or not written by mimo train)");
  }
  if (!a.try_read("optimizer", opt)) throw std::invalid_argument(path + ": model file holds no optimizer state to resume");
  try {
    optimizer.load(opt);
  } catch (const c10::Error& e) {
    throw std::invalid_argument(path + ": optimizer state does not fit the model (" + error_line(e) + ")");
  }
}

}  // namespace mimo::tf
