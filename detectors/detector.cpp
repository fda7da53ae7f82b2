#include "detectors/detector.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <type_traits>
#include <sstream>
#include <stdexcept>

#include "channel/parallel.hpp"

namespace mimo {

void Detection::resize(size_t n_, size_t nt_, size_t m_, bool with_llr) {
  n = n_; nt = nt_; m = m_;
  symbols.resize(n * nt);
  llr.resize(with_llr ? n * nt * m : 0);
}

void Detector::check(const SampleBatch& batch) const {
  if (batch.nt < 1 || batch.nr < 1) throw std::invalid_argument(name() + ": empty antenna configuration");
  // detect_range() indexes the arrays by the shape fields alone: a batch assembled by hand with arrays of the
  // wrong length must fail here, not read out of bounds on a worker thread.
  const size_t h = batch.n * batch.nr * batch.nt;
  if (batch.H.size() != h || batch.y.size() != batch.n * batch.nr || batch.noise_var.size() != batch.n ||
      (batch.has_h_est() && batch.H_est.size() != h))
    throw std::invalid_argument(name() + ": batch arrays do not match its shape (n = " + std::to_string(batch.n) +
                                ", nr = " + std::to_string(batch.nr) + ", nt = " + std::to_string(batch.nt) + ")");
  const auto& c = constellation_;
  if (batch.m != static_cast<size_t>(c.bits_per_symbol()))
    throw std::invalid_argument(name() + ": made for " + to_string(c.modulation()) + " (" +
                                std::to_string(c.bits_per_symbol()) + " bits per symbol) but the batch has " +
                                std::to_string(batch.m) + " bits per symbol");
}

void Detector::detect(const SampleBatch& batch, Detection& out, int threads) const {
  check(batch);
  out.resize(batch.n, batch.nt, batch.m, provides_llr());
  // Ranges of at least a few hundred channel uses (thread start-up and a call's set-up must not dominate), about 8
  // per thread, taken in turn: a tree search's cost per use is heavy-tailed (the sphere decoder at 8x8 QAM16,
  // 24 dB: coefficient of variation 16), and equal shares would wait for the slowest thread.
  const int workers = resolve_threads(threads);
  const size_t grain = workers <= 1 ? batch.n : std::max<size_t>(256, batch.n / (static_cast<size_t>(workers) * 8));
  parallel_for_dynamic(batch.n, workers, grain,
                       [&](size_t begin, size_t end, int) { detect_range(batch, begin, end, out); });
}

namespace {

std::map<std::string, DetectorFactory>& registry() {
  static std::map<std::string, DetectorFactory> r;
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void register_detector(const std::string& name, DetectorFactory factory) {
  std::lock_guard lock(registry_mutex());
  registry()[name] = std::move(factory);
}

std::vector<std::string> detector_names() {
  register_builtin_detectors();
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& [n, f] : registry()) names.push_back(n);
  return names;
}

DetectorOptions parse_detector_options(const std::string& text) {
  DetectorOptions options;
  if (text.empty()) return options;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      if (options.count("value")) throw std::invalid_argument("detector option '" + item + "' has no '=value'");
      options["value"] = item;
    } else {
      if (eq == 0) throw std::invalid_argument("detector option '" + item + "' has no name");
      options[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return options;
}

std::unique_ptr<Detector> make_detector(const std::string& spec, Modulation modulation) {
  register_builtin_detectors();
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const DetectorOptions options = parse_detector_options(colon == std::string::npos ? "" : spec.substr(colon + 1));
  DetectorFactory factory;
  {
    std::lock_guard lock(registry_mutex());
    const auto it = registry().find(name);
    if (it == registry().end()) {
      std::string known;
      for (const auto& [n, f] : registry()) known += (known.empty() ? "" : ", ") + n;
      throw std::invalid_argument("unknown detector '" + name + "' (known: " + known + ")");
    }
    factory = it->second;
  }
  return factory(options, modulation);
}

OptionReader::OptionReader(std::string detector, const DetectorOptions& options)
    : detector_(std::move(detector)), options_(options) {}

void OptionReader::finish() const {
  for (const auto& [key, value] : options_)
    if (!used_.count(key))
      throw std::invalid_argument("detector '" + detector_ + "' has no option '" + key + "'");
}

namespace {

// Parses the whole of `text` as a T within [lo, hi], or returns nothing.
template <class T>
std::optional<T> parse_in_range(const std::string& text, T lo, T hi) {
  size_t used = 0;
  T v{};
  try {
    if constexpr (std::is_integral_v<T>)
      v = static_cast<T>(std::stol(text, &used));
    else
      v = static_cast<T>(std::stod(text, &used));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used == 0 || used != text.size() || !(v >= lo && v <= hi)) return std::nullopt;
  return v;
}

}  // namespace

template <class T>
T OptionReader::number(const std::string& key, T fallback, T lo, T hi, const char* kind) {
  used_.insert(key);
  const auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  if (auto v = parse_in_range<T>(it->second, lo, hi)) return *v;
  std::ostringstream msg;
  msg << "detector '" << detector_ << "': option " << key << " must be " << kind << " in [" << lo << ", " << hi
      << "] (" << key << " = " << it->second << ")";
  throw std::invalid_argument(msg.str());
}

long OptionReader::integer(const std::string& key, long fallback, long lo, long hi) {
  return number<long>(key, fallback, lo, hi, "an integer");
}

double OptionReader::real(const std::string& key, double fallback, double lo, double hi) {
  return number<double>(key, fallback, lo, hi, "a number");
}

std::string OptionReader::text(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  const auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

std::vector<std::string> result_names(const std::vector<const Detector*>& detectors,
                                      const std::vector<std::string>& specs) {
  std::map<std::string, int> count;
  for (const auto* d : detectors) ++count[d->name()];
  std::vector<std::string> names;
  for (size_t i = 0; i < detectors.size(); ++i) {
    const auto name = detectors[i]->name();
    names.push_back(count[name] > 1 && i < specs.size() ? specs[i] : name);
  }
  return names;
}

std::vector<std::string> split_detector_list(const std::string& list) {
  std::vector<std::string> specs;
  std::string token;
  std::stringstream ss(list);
  while (std::getline(ss, token, ',')) {
    if (token.empty()) throw std::invalid_argument("empty entry in --detectors '" + list + "'");
    const bool option = token.find('=') != std::string::npos && token.find(':') == std::string::npos;
    if (option && !specs.empty() && specs.back().find(':') != std::string::npos)
      specs.back() += "," + token;
    else
      specs.push_back(token);
  }
  if (specs.empty()) throw std::invalid_argument("--detectors is empty");
  return specs;
}

}  // namespace mimo
