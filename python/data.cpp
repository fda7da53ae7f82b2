// Data: the generator, stored data sets and the schema's names, as numpy arrays.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <stdexcept>

#include "apps/channel_flags.hpp"
#include "channel/parallel.hpp"
#include "datasets/reader.hpp"
#include "datasets/schema.hpp"
#include "python/arrays.hpp"
#include "python/module.hpp"

namespace mimo::python {

GeneratorConfig channel_config(const std::vector<std::string>& flags, bool allow_range, StreamTag tag) {
  CLI::App app("mimo (Python)");
  cli::ChannelFlags parsed;
  cli::add_channel_flags(app, parsed, allow_range);
  std::vector<std::string> args(flags.rbegin(), flags.rend());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(e.what());
  }
  return cli::generator_config(parsed, tag);
}

int threads_arg(const py::handle& threads) {
  const std::string range = "threads must be an integer in [0, " + std::to_string(kMaxThreads) + "] (0 = all cores)";
  if (!py::isinstance<py::int_>(threads) || py::isinstance<py::bool_>(threads)) throw std::invalid_argument(range);
  const py::int_ value = threads.cast<py::int_>();
  if (value < py::int_(0) || value > py::int_(kMaxThreads)) throw std::invalid_argument(range);
  return resolve_threads(value.cast<int>());
}

std::unique_ptr<Generator> make_generator(const GeneratorConfig& config) {
  try {
    return std::make_unique<Generator>(config);
  } catch (const std::runtime_error& e) {
    // Bad settings are std::invalid_argument; a run-time error here is the model's input file (--h-file).
    PyErr_SetString(PyExc_OSError, e.what());
    throw py::error_already_set();
  }
}

namespace {

using ssize = py::ssize_t;

/// A batch as the schema's arrays; the batch's vectors move into them.
py::dict to_dict(SampleBatch&& b) {
  const auto n = static_cast<ssize>(b.n), nr = static_cast<ssize>(b.nr), nt = static_cast<ssize>(b.nt);
  py::dict d;
  d[schema::H] = to_numpy(std::move(b.H), {n, nr, nt});
  if (b.has_h_est()) d[schema::H_est] = to_numpy(std::move(b.H_est), {n, nr, nt});
  d[schema::y] = to_numpy(std::move(b.y), {n, nr});
  d[schema::x] = to_numpy(std::move(b.x), {n, nt});
  d[schema::bits] = to_numpy(std::move(b.bits), {n, nt * static_cast<ssize>(b.m)});
  d[schema::snr_db] = to_numpy(std::move(b.snr_db), {n});
  d[schema::noise_var] = to_numpy(std::move(b.noise_var), {n});
  if (b.has_user_gain()) d[schema::user_gain_db] = to_numpy(std::move(b.user_gain_db), {n, nt});
  return d;
}

py::dict generate(const std::vector<std::string>& flags, uint64_t samples, const py::handle& threads) {
  if (samples < 1) throw std::invalid_argument("samples must be at least 1");
  const auto gen = make_generator(channel_config(flags, /*allow_range=*/true, StreamTag::generate));
  const int workers = threads_arg(threads);
  // Bytes per sample, generously (H and H_est, y, x, bits, gains, SNR, N0): a count past 2^47 bytes is refused
  // before any size computation could wrap.
  const auto& ch = gen->config().channel;
  const uint64_t per_sample = (2ull * ch.nr * ch.nt + ch.nr + 2ull * ch.nt) * 8 + 8ull * ch.nt + 16;
  if (samples > (uint64_t{1} << 47) / per_sample)
    throw std::invalid_argument("samples = " + std::to_string(samples) +
                                " cannot be held in memory (use `mimo generate` and mimo.read in parts)");
  SampleBatch batch;
  try {
    py::gil_scoped_release unlocked;
    gen->generate(0, static_cast<size_t>(samples), batch, workers);
  } catch (const std::length_error&) {
    throw std::invalid_argument("samples = " + std::to_string(samples) +
                                " cannot be held in memory (use `mimo generate` and mimo.read in parts)");
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, ("samples = " + std::to_string(samples) +
                                        " do not fit in memory (use `mimo generate` and mimo.read in parts)").c_str());
    throw py::error_already_set();
  }
  return to_dict(std::move(batch));
}

/// Every model's parameter names (the keyword arguments of generate and evaluate).
std::vector<std::string> channel_options() {
  std::vector<std::string> names;
  for (const auto& model : channel_models())
    for (const auto& p : model.parameters)
      if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
  return names;
}

py::dict read(const std::string& path, uint64_t first, py::object count) {
  const DatasetReader data(path);
  if (first > data.size())
    throw std::invalid_argument("first = " + std::to_string(first) + " is past the end (" + std::to_string(data.size()) +
                                " samples)");
  const uint64_t left = data.size() - first;
  const uint64_t n = count.is_none() ? left : count.cast<uint64_t>();
  if (n > left)
    throw std::invalid_argument("count = " + std::to_string(n) + " reaches past the end (" + std::to_string(left) +
                                " samples from " + std::to_string(first) + ")");
  SampleBatch batch;
  std::vector<uint8_t> info_bits;
  const auto& code = data.info().code;
  // A coded set's information bits come with whole blocks: samples [jB, (j+1)B) carry block j.
  const bool whole_blocks = code && first % code->uses_per_block == 0 && n % code->uses_per_block == 0;
  {
    py::gil_scoped_release unlocked;
    data.read(first, static_cast<size_t>(n), batch);
    if (whole_blocks)
      data.read_info_bits(first / code->uses_per_block, static_cast<size_t>(n / code->uses_per_block), info_bits);
  }
  py::dict d = to_dict(std::move(batch));
  if (whole_blocks) {
    const auto blocks = static_cast<ssize>(n / code->uses_per_block), k = static_cast<ssize>(code->spec.k);
    d[schema::info_bits] = to_numpy(std::move(info_bits), {blocks, k});
  }
  return d;
}

py::object parameter(const ParameterValue& v) {
  if (const double* d = std::get_if<double>(&v)) return py::float_(*d);
  return py::str(std::get<std::string>(v));
}

py::dict info(const std::string& path) {
  const DatasetReader data(path);
  const DatasetInfo& i = data.info();
  py::dict channel;
  for (const auto& [name, value] : i.channel.resolved_parameters()) channel[py::str(name)] = parameter(value);
  py::dict d;
  d["schema_version"] = i.schema_version;
  d["channel"] = i.channel.model;
  d["nt"] = i.channel.nt;
  d["nr"] = i.channel.nr;
  d["parameters"] = channel;
  d["csi_error_var"] = i.channel.csi_error_var;
  d["user_power_spread_db"] = i.channel.user_power_spread_db;
  d["uses_per_realization"] = i.channel.uses_per_realization;
  d["modulation"] = to_string(i.modulation);
  d["snr_unit"] = to_string(i.snr_unit);
  d["snr_schedule"] = i.snr_schedule;
  d["seed"] = i.seed;
  d["tool_version"] = i.tool_version;
  d["samples"] = i.samples;
  d["has_h_est"] = data.has_h_est();
  py::object code = py::none();
  if (const auto& c = i.code) {
    py::dict cd;
    cd["spec"] = c->spec.describe();
    cd["requested"] = c->requested;
    cd["k"] = c->spec.k;
    cd["e"] = c->spec.e;
    cd["iterations"] = c->spec.iterations;
    cd["uses_per_block"] = c->uses_per_block;
    cd["blocks"] = data.blocks();
    code = cd;
  }
  d["code"] = code;
  return d;
}

py::array_t<std::complex<double>> constellation(const std::string& modulation) {
  const Constellation c(parse_modulation(modulation));
  return to_numpy(std::vector<std::complex<double>>(c.points()), {static_cast<ssize>(c.size())});
}

}  // namespace

void bind_data(py::module_& m) {
  m.def("_generate", &generate, py::arg("flags"), py::arg("samples"), py::arg("threads"));
  m.def("_channel_options", &channel_options);
  m.def("_read", &read, py::arg("path"), py::arg("first"), py::arg("count"));
  m.def("_info", &info, py::arg("path"));
  m.def("constellation", &constellation, py::arg("modulation"),
        "The constellation's points by symbol index (the label's bits b(0) .. b(m-1), MSB first), unit average "
        "energy: index i of `symbols` from Detector.detect is constellation(mod)[i].");
  m.def("bits_per_symbol", [](const std::string& mod) { return Constellation(parse_modulation(mod)).bits_per_symbol(); },
        py::arg("modulation"), "Bits per complex symbol of a modulation (bpsk 1, qpsk 2, qam16 4, ...).");
  auto s = m.def_submodule("schema", "The data-set schema's names (datasets/SCHEMA.md): use them, never literals.");
  s.attr("H") = schema::H;
  s.attr("H_est") = schema::H_est;
  s.attr("y") = schema::y;
  s.attr("x") = schema::x;
  s.attr("bits") = schema::bits;
  s.attr("snr_db") = schema::snr_db;
  s.attr("noise_var") = schema::noise_var;
  s.attr("user_gain_db") = schema::user_gain_db;
  s.attr("info_bits") = schema::info_bits;
  s.attr("version") = kSchemaVersion;
}

}  // namespace mimo::python
