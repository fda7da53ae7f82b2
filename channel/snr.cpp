#include "channel/snr.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace mimo {

SnrUnit parse_snr_unit(const std::string& name) {
  if (name == "snr") return SnrUnit::snr;
  if (name == "esn0") return SnrUnit::esn0;
  if (name == "ebn0") return SnrUnit::ebn0;
  throw std::invalid_argument("unknown SNR unit '" + name + "' (expected snr, esn0 or ebn0)");
}

std::string to_string(SnrUnit u) {
  switch (u) {
    case SnrUnit::snr: return "snr";
    case SnrUnit::esn0: return "esn0";
    case SnrUnit::ebn0: return "ebn0";
  }
  return "?";
}

SnrPoint snr_point(double value_db, SnrUnit unit, int nt, int m, double code_rate) {
  if (nt < 1 || m < 1) throw std::invalid_argument("snr_point: nt and bits per symbol must be >= 1");
  if (!(code_rate > 0.0 && std::isfinite(code_rate)))
    throw std::invalid_argument("snr_point: the code rate must be a positive finite number");
  const double nt_db = 10.0 * std::log10(static_cast<double>(nt));
  // Information bits per symbol, R m; exactly m when uncoded (R = 1), so uncoded values are unchanged.
  const double m_db = 10.0 * std::log10(code_rate == 1.0 ? static_cast<double>(m) : code_rate * m);
  double esn0_db = 0.0;
  switch (unit) {
    case SnrUnit::snr: esn0_db = value_db - nt_db; break;
    case SnrUnit::esn0: esn0_db = value_db; break;
    case SnrUnit::ebn0: esn0_db = value_db + m_db; break;
  }
  return {esn0_db + nt_db, esn0_db, esn0_db - m_db};
}

double noise_variance(double value_db, SnrUnit unit, int nt, int m, double code_rate) {
  if (!std::isfinite(value_db)) throw std::invalid_argument("SNR must be a finite number of dB");
  return std::pow(10.0, -snr_point(value_db, unit, nt, m, code_rate).esn0_db / 10.0);
}

namespace {

double parse_number(const std::string& text, const std::string& spec) {
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v))
    throw std::invalid_argument("bad SNR '" + spec + "': '" + text + "' is not a finite number");
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) parts.push_back(item);
  if (!s.empty() && s.back() == sep) parts.push_back("");
  return parts;
}

}  // namespace

// Within +-300 dB the SNR and N0 stay finite normal float32 values for any Nt <= 1024 and m <= 8 (N0 from about
// 1e-31 to 1e33; 1e300 dB was stored as snr_db = inf, noise_var = 0), and describe()'s 10 digits parse back
// (1.7976931348623157e308 became 1.797693135e+308, past the largest double).
void require_snr_in_range(double value_db) {
  if (!(std::abs(value_db) <= kMaxAbsSnrDb)) {
    std::ostringstream os;
    os << "SNR " << value_db << " dB is outside [-" << kMaxAbsSnrDb << ", " << kMaxAbsSnrDb
       << "] dB (its noise variance would not fit a float32 data set)";
    throw std::invalid_argument(os.str());
  }
}

SnrSchedule SnrSchedule::grid(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("SNR grid is empty");
  for (double v : values) require_snr_in_range(v);
  SnrSchedule s;
  s.values_ = std::move(values);
  return s;
}

SnrSchedule SnrSchedule::grid(const std::string& spec) {
  if (spec.find(':') != std::string::npos) {
    auto p = split(spec, ':');
    if (p.size() != 3) throw std::invalid_argument("bad SNR range '" + spec + "' (expected start:step:stop)");
    const double start = parse_number(p[0], spec), step = parse_number(p[1], spec), stop = parse_number(p[2], spec);
    if (step <= 0 || stop < start)
      throw std::invalid_argument("bad SNR range '" + spec + "' (need step > 0 and stop >= start)");
    require_snr_in_range(start);
    require_snr_in_range(stop);
    const double count = std::floor((stop - start) / step + 1e-9) + 1;
    if (count > 10000) throw std::invalid_argument("SNR range '" + spec + "' has more than 10000 points");
    // Not through grid(values): the last point may pass `stop`, and so the bound, by a rounding error.
    SnrSchedule s;
    for (int i = 0; i < static_cast<int>(count); ++i) s.values_.push_back(start + i * step);
    return s;
  }
  std::vector<double> v;
  for (const auto& part : split(spec, ',')) v.push_back(parse_number(part, spec));
  return grid(std::move(v));
}

SnrSchedule SnrSchedule::range(const std::string& spec) {
  auto p = split(spec, ':');
  if (p.size() != 2) throw std::invalid_argument("bad SNR range '" + spec + "' (expected lo:hi)");
  const double lo = parse_number(p[0], spec), hi = parse_number(p[1], spec);
  if (hi < lo) throw std::invalid_argument("bad SNR range '" + spec + "' (need lo <= hi)");
  require_snr_in_range(lo);
  require_snr_in_range(hi);
  SnrSchedule s;
  s.range_ = std::make_pair(lo, hi);
  return s;
}

SnrSchedule SnrSchedule::from_description(const std::string& text) {
  return text.find(':') != std::string::npos ? range(text) : grid(text);
}

std::string SnrSchedule::describe() const {
  // The shortest text that reads back as the same double (to_chars): a stored schedule reproduces the run's
  // values exactly, e.g. the Es/N0 a coded Eb/N0 point is simulated (and seeded) at.
  auto text = [](double v) {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return std::string(buf, end);
  };
  if (range_) return text(range_->first) + ":" + text(range_->second);
  std::string out;
  for (size_t i = 0; i < values_.size(); ++i) out += (i ? "," : "") + text(values_[i]);
  return out;
}

}  // namespace mimo
