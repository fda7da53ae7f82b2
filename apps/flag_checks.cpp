#include "apps/flag_checks.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

#include "channel/parallel.hpp"

namespace mimo::cli {

namespace {

std::string show(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <class T>
bool parse_whole(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

bool parse_real(const std::string& text, double& value) {
  try {
    size_t used = 0;
    value = std::stod(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

CLI::Validator integer_in(long long lo, long long hi) {
  const std::string rule =
      hi == std::numeric_limits<long long>::max() ? "an integer >= " + std::to_string(lo)
                                                  : "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, rule](std::string& v) -> std::string {
        long long x = 0;
        if (parse_whole(v, x) && x >= lo && x <= hi) return "";
        return "must be " + rule + " (got '" + v + "')";
      },
      "INT");
}

CLI::Validator unsigned64() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        unsigned long long x = 0;
        if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && parse_whole(v, x)) return "";
        return "must be an integer in [0, 2^64 - 1] (got '" + v + "')";
      },
      "UINT");
}

CLI::Validator number_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& v) -> std::string {
        double x = 0;
        if (parse_real(v, x) && std::isfinite(x) && x >= lo && x <= hi) return "";
        return "must be a finite number in [" + show(lo) + ", " + show(hi) + "] (got '" + v + "')";
      },
      "NUMBER");
}

CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        double x = 0;
        if (parse_real(v, x) && std::isfinite(x)) return "";
        return "must be a finite number (got '" + v + "')";
      },
      "NUMBER");
}

CLI::Validator thread_count() { return integer_in(0, kMaxThreads); }

void require_finite_numbers(const CLI::App& command) {
  for (const CLI::Option* opt : command.get_options()) {
    if (opt->get_type_name().rfind("FLOAT", 0) != 0) continue;
    for (const std::string& text : opt->results()) {
      double x = 0;
      if (parse_real(text, x) && !std::isfinite(x))
        throw std::invalid_argument(opt->get_name() + " must be a finite number (got '" + text + "')");
    }
  }
}

}  // namespace mimo::cli
