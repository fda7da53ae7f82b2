// Arbitrary text as a --detectors list and as a single detector spec, for every modulation: each spec builds a
// detector or is refused with std::invalid_argument, and a detector that builds runs on a small batch (2x2, two
// channel uses) or refuses that batch with std::invalid_argument (ml over its candidate limit, a search on a
// shape it cannot take). Any other exception aborts, which libFuzzer reports like a crash.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel/generator.hpp"
#include "detectors/detector.hpp"

namespace {

constexpr mimo::Modulation kModulations[] = {mimo::Modulation::bpsk, mimo::Modulation::qpsk, mimo::Modulation::qam16,
                                             mimo::Modulation::qam64, mimo::Modulation::qam256};

const mimo::SampleBatch& batch_for(mimo::Modulation modulation) {
  static const std::vector<mimo::SampleBatch> batches = [] {
    std::vector<mimo::SampleBatch> out;
    for (const auto m : kModulations) {
      mimo::GeneratorConfig cfg;
      cfg.channel.nt = cfg.channel.nr = 2;
      cfg.modulation = m;
      out.emplace_back();
      mimo::Generator(cfg).generate(0, 2, out.back());
    }
    return out;
  }();
  return batches.at(static_cast<size_t>(modulation));
}

void build_and_run(const std::string& spec, mimo::Modulation modulation) {
  std::unique_ptr<mimo::Detector> detector;
  try {
    detector = mimo::make_detector(spec, modulation);
  } catch (const std::invalid_argument&) {
    return;
  }
  if (detector->name().empty()) std::abort();
  const auto& batch = batch_for(modulation);
  mimo::Detection out;
  try {
    detector->detect(batch, out);
  } catch (const std::invalid_argument&) {
    return;
  }
  if (out.symbols.size() != batch.n * batch.nt || out.llr.size() != (detector->provides_llr() ? batch.bits.size() : 0))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> specs;
  try {
    specs = mimo::split_detector_list(text);
  } catch (const std::invalid_argument&) {
  }
  // The list's entries, and the text itself as one spec ("kbest:k=16,clip=8" is both).
  if (specs.size() != 1 || specs[0] != text) specs.push_back(text);
  for (const auto& spec : specs)
    for (const auto m : kModulations) build_and_run(spec, m);
  return 0;
}
