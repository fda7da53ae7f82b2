#include "coding/ldpc_spec.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <stdexcept>

#include "coding/ldpc_params.hpp"

namespace mimo {

namespace {

constexpr std::string_view kPrefix = "ldpc:";
constexpr int kMaxIterations = 10000;

// The message quotes the text (and parts of it): control characters are escaped, so that it stays one line
// whatever the text holds (a corrupted `code` attribute of a data set, a flag with a newline).
std::string one_line(const std::string& message) {
  std::string out;
  for (const char c : message) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

[[noreturn]] void bad_spec(std::string_view text, const std::string& why) {
  throw std::invalid_argument(one_line("LDPC spec '" + std::string(text) + "': " + why +
                                       " (expected ldpc:k=<bits>,n=<bits> or ldpc:k=<bits>,rate=<r>[,iters=<n>])"));
}

// The whole of `value` as a T, or nothing (from_chars: no locale, no leading spaces or '+').
template <class T>
std::optional<T> parse_number(std::string_view value) {
  T v{};
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string LdpcSpec::describe() const {
  return "ldpc:k=" + std::to_string(k) + ",n=" + std::to_string(e) + ",iters=" + std::to_string(iterations);
}

LdpcSpec parse_ldpc_spec(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) bad_spec(text, "does not start with 'ldpc:'");
  std::string_view rest = text.substr(kPrefix.size());
  std::optional<long long> k, n;
  std::optional<double> rate;
  LdpcSpec spec;
  std::set<std::string_view> seen;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) bad_spec(text, "'" + std::string(item) + "' is not key=value");
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (!seen.insert(key).second) bad_spec(text, "'" + std::string(key) + "' given twice");
    if (key == "k" || key == "n") {
      const auto v = parse_number<long long>(value);
      if (!v || *v < 1 || *v > (1LL << 30))
        bad_spec(text, std::string(key) + " must be a positive integer (" + std::string(key) + " = " +
                           std::string(value) + ")");
      (key == "k" ? k : n) = *v;
    } else if (key == "rate") {
      rate = parse_number<double>(value);
      if (!rate || !(*rate > 0.0 && *rate <= 1.0))
        bad_spec(text, "rate must be a number in (0, 1] (rate = " + std::string(value) + ")");
    } else if (key == "iters") {
      const auto v = parse_number<int>(value);
      if (!v || *v < 0 || *v > kMaxIterations)
        bad_spec(text, "iters must be an integer in [0, " + std::to_string(kMaxIterations) +
                           "] (iters = " + std::string(value) + ")");
      spec.iterations = *v;
    } else {
      bad_spec(text, "unknown key '" + std::string(key) + "'");
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!k) bad_spec(text, "no k");
  if (n && rate) bad_spec(text, "give n or rate, not both");
  if (!n && !rate) bad_spec(text, "no n or rate");
  const double e = n ? static_cast<double>(*n) : std::round(static_cast<double>(*k) / *rate);
  if (e > (1 << 30)) bad_spec(text, "n = k / rate is too large");
  spec.k = static_cast<int>(*k);
  spec.e = static_cast<int>(e);
  try {
    ldpc_params(spec.k, spec.e);
  } catch (const std::invalid_argument& error) {
    std::string why = error.what();
    if (why.rfind("LDPC: ", 0) == 0) why.erase(0, 6);
    bad_spec(text, why);
  }
  return spec;
}

}  // namespace mimo
