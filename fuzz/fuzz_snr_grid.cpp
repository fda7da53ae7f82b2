// Arbitrary text as an SNR grid, an SNR range, a modulation and an SNR unit: each is parsed or refused with
// std::invalid_argument. A parsed schedule must hold what --snr-db promises (finite values, at most 10000 grid
// points from a range) and describe() must parse back to it; a violation aborts, which libFuzzer reports.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "channel/modulation.hpp"
#include "channel/snr.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

// The parse's result, or nothing when it refused with std::invalid_argument. Only the parse of the fuzzed text
// may refuse: a check after it that throws escapes and is reported.
template <class F>
auto parsed(F&& parse) -> std::optional<decltype(parse())> {
  try {
    return parse();
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

void check_grid(const std::string& text) {
  const auto s = parsed([&] { return mimo::SnrSchedule::grid(text); });
  if (!s) return;
  require(!s->is_range() && !s->values().empty());
  for (double v : s->values()) require(std::isfinite(v));
  if (text.find(':') != std::string::npos) require(s->values().size() <= 10000);
  require(mimo::SnrSchedule::grid(s->describe()).values().size() == s->values().size());
}

void check_range(const std::string& text) {
  const auto s = parsed([&] { return mimo::SnrSchedule::range(text); });
  if (!s) return;
  require(s->is_range() && std::isfinite(s->lo()) && std::isfinite(s->hi()) && s->lo() <= s->hi());
  require(mimo::SnrSchedule::range(s->describe()).is_range());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_grid(text);
  check_range(text);
  if (const auto unit = parsed([&] { return mimo::parse_snr_unit(text); }))
    require(mimo::parse_snr_unit(mimo::to_string(*unit)) == *unit);
  if (const auto modulation = parsed([&] { return mimo::parse_modulation(text); }))
    require(mimo::parse_modulation(mimo::to_string(*modulation)) == *modulation);
  return 0;
}
