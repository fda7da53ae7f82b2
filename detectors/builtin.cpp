// The registry entries of the classical detectors: each line names a detector, reads its options and builds it.
#include <mutex>
#include <stdexcept>
#include <string>

#include "detectors/ep.hpp"
#include "detectors/linear.hpp"
#include "detectors/ml.hpp"
#include "detectors/sic.hpp"
#include "detectors/tree_search.hpp"

namespace mimo {

namespace {

// The `precision` option of the SIMD detectors (float32 kernels by default, 64 for the float64 reference),
// checked after OptionReader::finish, so that an unknown option is reported first.
int checked_precision(long precision, const char* name) {
  if (precision != 32 && precision != 64)
    throw std::invalid_argument(std::string("detector '") + name + "': precision must be 32 or 64");
  return static_cast<int>(precision);
}

// mf, zf, mmse, sic: their one option is the precision.
template <class Make>
DetectorFactory with_precision(const char* name, Make make) {
  return [name, make](const DetectorOptions& options, Modulation m) -> std::unique_ptr<Detector> {
    OptionReader o(name, options);
    const long precision = o.integer("precision", 32, 32, 64);
    o.finish();
    return make(m, checked_precision(precision, name));
  };
}

DetectorFactory linear(const char* name, LinearDetector::Kind kind) {
  return with_precision(name, [kind](Modulation m, int p) { return std::make_unique<LinearDetector>(kind, m, p); });
}

std::unique_ptr<Detector> make_ml(const DetectorOptions& options, Modulation m) {
  OptionReader o("ml", options);
  const double max = o.real("max", 1 << 20, 1, 1e12);
  o.finish();
  return std::make_unique<MlDetector>(m, max);
}

std::unique_ptr<Detector> make_sphere(const DetectorOptions& options, Modulation m) {
  OptionReader o("sphere", options);
  const bool soft = o.integer("soft", 0, 0, 1) == 1;
  const double clip = o.real("clip", SphereDetector::kDefaultClip, 1e-3, kLlrClip);
  o.finish();
  return std::make_unique<SphereDetector>(m, soft, clip);
}

std::unique_ptr<Detector> make_kbest(const DetectorOptions& options, Modulation m) {
  OptionReader o("kbest", options);
  const long k = o.integer("k", 16, 1, 1 << 20);
  const double clip = o.real("clip", KBestDetector::kDefaultClip, 1e-3, kLlrClip);
  o.finish();
  return std::make_unique<KBestDetector>(m, static_cast<size_t>(k), clip);
}

std::unique_ptr<Detector> make_ep(const DetectorOptions& options, Modulation m) {
  OptionReader o("ep", options);
  const long iters = o.integer("iters", EpDetector::kDefaultIterations, 1, 1000);
  const double beta = o.real("beta", EpDetector::kDefaultBeta, 1e-3, 1.0);
  const long precision = o.integer("precision", 32, 32, 64);
  o.finish();
  return std::make_unique<EpDetector>(m, static_cast<int>(iters), beta, checked_precision(precision, "ep"));
}

}  // namespace

void register_builtin_detectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    using K = LinearDetector::Kind;
    register_detector("mf", linear("mf", K::mf));
    register_detector("zf", linear("zf", K::zf));
    register_detector("mmse", linear("mmse", K::mmse));
    register_detector("sic",
                      with_precision("sic", [](Modulation m, int p) { return std::make_unique<SicDetector>(m, p); }));
    register_detector("sphere", make_sphere);
    register_detector("ml", make_ml);
    register_detector("kbest", make_kbest);
    register_detector("ep", make_ep);
  });
}

}  // namespace mimo
