// mimo.evaluate: the BER engine of `mimo evaluate` (simulated points or a stored data set), its rows as dicts.
#include <cmath>
#include <optional>
#include <stdexcept>

#include "apps/channel_flags.hpp"
#include "coding/ldpc_spec.hpp"
#include "datasets/reader.hpp"
#include "evaluation/ber_engine.hpp"
#include "evaluation/coded_link.hpp"
#include "evaluation/results.hpp"
#include "python/module.hpp"

namespace mimo::python {

namespace {

py::dict row_dict(const ResultsContext& context, const PointResult& r, bool coded) {
  py::dict d;
  for (const auto& f : result_fields(context, r, coded))
    d[f.name] = std::visit(
        [](const auto& v) -> py::object {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>)
            return py::none();
          else
            return py::cast(v);
        },
        f.value);
  return d;
}

py::list evaluate(const py::object& flags, const py::object& data_path, const py::list& detector_objects,
                  uint64_t min_errors, double max_bits, const py::handle& threads, const py::object& code_spec,
                  uint64_t min_block_errors) {
  if (detector_objects.empty()) throw std::invalid_argument("give at least one detector");
  if (min_errors < 1) throw std::invalid_argument("min_errors must be at least 1");
  if (min_block_errors < 1) throw std::invalid_argument("min_block_errors must be at least 1");
  if (!(max_bits >= 1 && max_bits <= 1e18)) throw std::invalid_argument("max_bits must be in [1, 1e18]");
  std::optional<DatasetReader> data;
  GeneratorConfig g;
  if (!data_path.is_none()) {
    data.emplace(data_path.cast<std::string>());
    g = cli::generator_config(data->info(), 0, StreamTag::evaluate);
  } else {
    g = channel_config(flags.cast<std::vector<std::string>>(), /*allow_range=*/false, StreamTag::evaluate);
    make_generator(g);  // a channel file's errors now, as OSError (simulate makes the point's generators)
  }
  std::vector<const Detector*> detectors;
  std::vector<std::string> names;
  for (const auto& obj : detector_objects) {
    const auto& d = obj.cast<const Detector&>();
    detectors.push_back(&d);
    names.push_back(d.name());
  }
  names = result_names(detectors, names);  // as `mimo evaluate` names them (a repeated spec repeats its rows)
  EngineOptions opt;
  opt.min_errors = min_errors;
  opt.max_bits = static_cast<uint64_t>(max_bits);
  opt.min_block_errors = min_block_errors;
  opt.threads = threads_arg(threads);
  if (!code_spec.is_none()) {
    if (data) throw std::invalid_argument("code needs simulated points (a stored data set's bits are not codewords)");
    opt.code = parse_ldpc_spec(code_spec.cast<std::string>());
    for (size_t d = 0; d < detectors.size(); ++d)
      if (!detectors[d]->provides_llr())
        throw std::invalid_argument("code needs soft outputs (LLRs); '" + names[d] + "' gives hard decisions only");
    CodedLink(*opt.code, g.modulation, g.channel.nt);  // its one-line errors before the run
  }
  // Ctrl-C: Python's signal handler only flags it; the engine stops at its next check and the error is raised.
  bool interrupted = false;
  opt.progress = [&](size_t, const std::vector<PointResult>&) {
    py::gil_scoped_acquire gil;
    interrupted = interrupted || PyErr_CheckSignals() != 0;
    return !interrupted;
  };
  const ResultsContext context{g.channel.model, to_string(g.modulation), g.channel.nt, g.channel.nr};
  std::vector<PointResult> rows;
  auto on_point = [&](std::vector<PointResult> point) {
    for (size_t d = 0; d < point.size(); ++d) point[d].detector = names[d];
    rows.insert(rows.end(), point.begin(), point.end());
  };
  {
    py::gil_scoped_release unlocked;
    if (data)
      evaluate_dataset(*data, detectors, opt, on_point);
    else
      simulate(g, detectors, opt, on_point);
  }
  if (interrupted) throw py::error_already_set();
  py::list out;
  for (const auto& r : rows) out.append(row_dict(context, r, opt.code.has_value()));
  return out;
}

}  // namespace

void bind_evaluate(py::module_& m) {
  m.def("_evaluate", &evaluate, py::arg("flags"), py::arg("data"), py::arg("detectors"), py::arg("min_errors"),
        py::arg("max_bits"), py::arg("threads"), py::arg("code"), py::arg("min_block_errors"));
}

}  // namespace mimo::python
