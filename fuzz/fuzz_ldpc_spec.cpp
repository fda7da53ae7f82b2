// Arbitrary text as an LDPC code spec (`--code`, the `code` attribute of coded data sets): parsed or refused with
// std::invalid_argument, one line. A parsed spec must be a code ldpc_params builds (1 <= k <= E, the parameters
// 38.212 allows), its describe() must parse back to the same spec, and an error must be one line whatever the
// text holds; a violation aborts, which libFuzzer reports.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "coding/ldpc_params.hpp"
#include "coding/ldpc_spec.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mimo::LdpcSpec spec;
  try {
    spec = mimo::parse_ldpc_spec(text);
  } catch (const std::invalid_argument& e) {
    for (const char c : std::string(e.what())) require(c != '\n' && c != '\r' && c != '\0');
    return 0;
  }
  require(spec.k >= 1 && spec.e >= spec.k && spec.iterations >= 0);
  const mimo::LdpcParams p = mimo::ldpc_params(spec.k, spec.e);  // must not throw
  require(p.k == spec.k && p.e == spec.e);
  const mimo::LdpcSpec back = mimo::parse_ldpc_spec(spec.describe());
  require(back.k == spec.k && back.e == spec.e && back.iterations == spec.iterations);
  return 0;
}
