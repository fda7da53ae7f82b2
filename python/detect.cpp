// Detectors from Python: any registered spec ("kbest:k=16", "transformer:m.pt") on numpy batches, and Python
// callables made into detectors, so that a user's own detector runs in the engine beside the built-in ones.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <stdexcept>

#include "channel/parallel.hpp"

#include "python/arrays.hpp"
#include "python/detectors.hpp"
#include "python/module.hpp"

namespace mimo::python {

namespace {

using ssize = py::ssize_t;

// The inputs of one detect() call (a batch, or one channel use: y [nr], H [nr, nt]), checked under the GIL; the
// worker threads copy their chunks out of them without it.
struct Inputs {
  size_t n = 0, nr = 0, nt = 0;
  bool single = false;
  std::optional<ComplexRows> y, H, H_est;
  std::vector<float> noise_var;  // [n]

  /// Channel uses [first, first + count) as a batch (m bits per symbol; no bits or x: detectors do not read them).
  void fill(size_t first, size_t count, size_t m, SampleBatch& b) const {
    b.n = count, b.nr = nr, b.nt = nt, b.m = m;
    b.y.resize(count * nr);
    b.H.resize(count * nr * nt);
    b.H_est.resize(H_est ? count * nr * nt : 0);
    y->copy_rows(first, count, b.y.data());
    H->copy_rows(first, count, b.H.data());
    if (H_est) H_est->copy_rows(first, count, b.H_est.data());
    b.noise_var.assign(noise_var.begin() + static_cast<ptrdiff_t>(first),
                       noise_var.begin() + static_cast<ptrdiff_t>(first + count));
  }
};

Inputs inputs_from(const py::handle& y, const py::handle& H, const py::handle& noise_var, const py::handle& H_est) {
  Inputs in;
  const py::array ya = py::array::ensure(y);
  in.single = ya && ya.ndim() == 1;
  std::vector<ssize> ydims = in.single ? std::vector<ssize>{-1} : std::vector<ssize>{-1, -1};
  const py::array yv = as_array(y, "y", ydims);
  const ssize n = in.single ? 1 : ydims[0], nr = ydims.back();
  std::vector<ssize> hdims = in.single ? std::vector<ssize>{nr, -1} : std::vector<ssize>{n, nr, -1};
  const py::array Hv = as_array(H, "H", hdims);
  const ssize nt = hdims.back();
  if (nt < 1 || nr < 1) throw std::invalid_argument("H must have at least one row and one column per channel use");
  in.n = static_cast<size_t>(n), in.nr = static_cast<size_t>(nr), in.nt = static_cast<size_t>(nt);
  in.y.emplace(yv, in.nr, "y");
  in.H.emplace(Hv, in.nr * in.nt, "H");
  if (!H_est.is_none()) {
    std::vector<ssize> edims = hdims;
    in.H_est.emplace(as_array(H_est, "H_est", edims), in.nr * in.nt, "H_est");
  }
  const py::array nv = py::array::ensure(noise_var);
  if (nv && nv.ndim() == 0) {
    std::vector<float> one;
    copy_real(nv, one, "noise_var");
    in.noise_var.assign(in.n, one.at(0));
  } else {
    std::vector<ssize> ndims = {in.single ? 1 : n};
    copy_real(as_array(noise_var, "noise_var", ndims), in.noise_var, "noise_var");
  }
  for (const float v : in.noise_var)
    if (!(v > 0)) throw std::invalid_argument("noise_var must be positive");
  return in;
}

// Work space of detect() calls, kept between calls: fresh megabyte buffers would be page-faulted in on every
// call (a third of the time of a call on 4096 channel uses). Shared by concurrent calls, one per worker.
struct Scratch {
  SampleBatch batch;
  Detection part;
};

class ScratchPool {
public:
  std::unique_ptr<Scratch> take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return std::make_unique<Scratch>();
    auto s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void give(std::vector<std::unique_ptr<Scratch>>& used) {
    std::lock_guard lock(mutex_);
    // Kept for as many workers as the machine has cores; a call with more threads frees its extra ones.
    const size_t keep = std::max(1u, std::thread::hardware_concurrency());
    for (auto& s : used)
      if (s && free_.size() < keep) free_.push_back(std::move(s));
  }

private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Scratch>> free_;
};

ScratchPool& scratch_pool() {
  static auto* pool = new ScratchPool;  // never destroyed: no order problem with the interpreter's exit
  return *pool;
}

}  // namespace

PythonDetector::PythonDetector(py::function fn, Modulation modulation, std::string name, bool llr)
    : Detector(modulation), fn_(std::move(fn)), name_(std::move(name)), llr_(llr) {}

PythonDetector::~PythonDetector() {
  py::gil_scoped_acquire gil;  // the callable's last reference may go with the detector, from any thread
  fn_ = py::function();
}

void PythonDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  py::gil_scoped_acquire gil;
  const auto n = static_cast<ssize>(end - begin), nr = static_cast<ssize>(b.nr), nt = static_cast<ssize>(b.nt);
  const auto& H = b.has_h_est() ? b.H_est : b.H;  // what every detector sees
  auto slice = [&](const auto& v, size_t per) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    return std::vector<T>(v.begin() + static_cast<ptrdiff_t>(begin * per), v.begin() + static_cast<ptrdiff_t>(end * per));
  };
  py::object result = fn_(to_numpy(slice(b.y, b.nr), {n, nr}), to_numpy(slice(H, b.nr * b.nt), {n, nr, nt}),
                          to_numpy(slice(b.noise_var, 1), {n}));
  py::object symbols = result, llr = py::none();
  if (py::isinstance<py::tuple>(result)) {
    const auto t = result.cast<py::tuple>();
    if (t.size() != 2) throw std::invalid_argument(name_ + ": return symbols or (symbols, llr)");
    symbols = t[0], llr = t[1];
  }
  std::vector<ssize> sdims = {n, nt};
  const py::array s = as_array(symbols, name_ + ": symbols", sdims);
  int32_t* dst = out.symbols.data() + begin * b.nt;
  const Constellation& c = constellation();
  if (s.dtype().kind() == 'i' || s.dtype().kind() == 'u') {
    // Constellation indices, signed or unsigned.
    auto take = [&](const auto* idx) {
      for (ssize i = 0; i < n * nt; ++i) {
        if (std::cmp_less(idx[i], 0) || std::cmp_greater_equal(idx[i], c.size()))
          throw std::invalid_argument(name_ + ": symbol index " + std::to_string(idx[i]) + " outside [0, " +
                                      std::to_string(c.size()) + ")");
        dst[i] = static_cast<int32_t>(idx[i]);
      }
    };
    if (s.dtype().kind() == 'u')
      take(py::array_t<uint64_t, py::array::c_style | py::array::forcecast>::ensure(s).data());
    else
      take(py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(s).data());
  } else {
    // Symbol values: the nearest constellation point's index.
    std::vector<std::complex<float>> values(static_cast<size_t>(n * nt));
    ComplexRows(s, values.size(), name_ + ": symbols").copy_rows(0, 1, values.data());
    for (ssize i = 0; i < n * nt; ++i) dst[i] = c.hard_index(values[static_cast<size_t>(i)]);
  }
  if (llr_ == llr.is_none())
    throw std::invalid_argument(name_ + (llr_ ? ": made with llr=True but returned no LLRs"
                                              : ": returned LLRs but was made with llr=False"));
  if (llr_) {
    std::vector<ssize> ldims = {n, nt * static_cast<ssize>(b.m)};
    std::vector<float> values;
    copy_real(as_array(llr, name_ + ": llr", ldims), values, name_ + ": llr");
    std::copy(values.begin(), values.end(), out.llr.begin() + static_cast<ptrdiff_t>(begin * b.nt * b.m));
  }
}

py::tuple detect(const Detector& det, const py::handle& y, const py::handle& H, const py::handle& noise_var,
                 const py::handle& H_est, const py::handle& threads) {
  const Inputs in = inputs_from(y, H, noise_var, H_est);
  const int workers = threads_arg(threads);
  const auto m = static_cast<size_t>(det.constellation().bits_per_symbol());
  const auto n = static_cast<ssize>(in.n), nt = static_cast<ssize>(in.nt), bits = static_cast<ssize>(in.nt * m);
  // numpy's own arrays (no zero-filling pass; numpy asks for huge pages for large ones), written chunk by chunk.
  py::array_t<int32_t> symbols(in.single ? std::vector<ssize>{nt} : std::vector<ssize>{n, nt});
  py::array_t<float> llr;
  if (det.provides_llr()) llr = py::array_t<float>(in.single ? std::vector<ssize>{bits} : std::vector<ssize>{n, bits});
  int32_t* symbols_out = symbols.mutable_data();
  float* llr_out = det.provides_llr() ? llr.mutable_data() : nullptr;
  // The worker threads run without the GIL (a Python detector takes it per call); Ctrl-C stops them between chunks.
  run_interruptible([&](const std::atomic<bool>& stop) {
    // Chunks of channel uses copied out of numpy and detected while they are in the caches: the arrays are read
    // once from memory.
    // About 1 MiB of H per chunk (2048 uses at 8x8, 128 at 32x32): a worker's chunk stays in its caches.
    const size_t chunk = std::clamp<size_t>((size_t{1} << 20) / (in.nr * in.nt * sizeof(std::complex<float>)), 16, 2048);
    const size_t chunks = (in.n + chunk - 1) / chunk;
    std::vector<std::unique_ptr<Scratch>> scratch(static_cast<size_t>(workers));
    struct GiveBack {
      std::vector<std::unique_ptr<Scratch>>& used;
      ~GiveBack() { scratch_pool().give(used); }
    } give_back{scratch};
    parallel_for_dynamic(chunks, workers, 1, [&](size_t c0, size_t c1, int worker) {
      auto& mine = scratch[static_cast<size_t>(worker)];
      if (!mine) mine = scratch_pool().take();
      for (size_t c = c0; c < c1 && !stop; ++c) {
        const size_t first = c * chunk, count = std::min(chunk, in.n - first);
        in.fill(first, count, m, mine->batch);
        det.detect(mine->batch, mine->part, 1);
        std::copy(mine->part.symbols.begin(), mine->part.symbols.end(), symbols_out + first * in.nt);
        if (llr_out) std::copy(mine->part.llr.begin(), mine->part.llr.end(), llr_out + first * in.nt * m);
      }
    });
  });
  return py::make_tuple(symbols, llr_out ? py::object(llr) : py::none());
}

std::unique_ptr<Detector> make_python_detector(const py::object& spec, const std::string& modulation,
                                               const py::object& name, bool llr) {
  const Modulation mod = parse_modulation(modulation);
  if (py::isinstance<py::str>(spec)) {
    if (!name.is_none() || llr) throw std::invalid_argument("name and llr are for Python callables, not specs");
    return make_detector(spec.cast<std::string>(), mod);
  }
  if (!PyCallable_Check(spec.ptr()))
    throw std::invalid_argument("a detector is a spec such as \"kbest:k=16\" or a callable f(y, H, noise_var)");
  if (!name.is_none() && !py::isinstance<py::str>(name))
    throw std::invalid_argument("name must be a string (got " + std::string(py::repr(name)) + ")");
  std::string label = name.is_none() ? py::str(py::getattr(spec, "__name__", py::str("python"))).cast<std::string>()
                                     : name.cast<std::string>();
  if (label.empty() || label == "<lambda>") label = "python";
  return std::make_unique<PythonDetector>(spec.cast<py::function>(), mod, label, llr);
}

void bind_detectors(py::module_& m) {
  py::class_<Detector>(m, "Detector", R"doc(A detector: a registered spec or a Python callable.

Detector("kbest:k=16", "qam16") makes a built-in detector (every name of mimo.detector_names(); "transformer:m.pt"
when the transformer plugin is built). Detector(f, "qam16", name="mine", llr=False) wraps a callable
f(y [n, nr], H [n, nr, nt], noise_var [n]) returning symbols [n, nt] (constellation indices, or complex values that
are sliced to the nearest point) or (symbols, llr [n, nt*m]) when llr=True; it can then run in mimo.evaluate beside
the built-in detectors.)doc")
      .def(py::init(&make_python_detector), py::arg("spec"), py::arg("modulation"), py::kw_only(),
           py::arg("name") = py::none(), py::arg("llr") = false)
      .def_property_readonly("name", &Detector::name, "The name used in results (the spec it was made from).")
      .def_property_readonly("modulation", [](const Detector& d) { return to_string(d.constellation().modulation()); })
      .def_property_readonly("provides_llr", &Detector::provides_llr, "True if detect() returns LLRs.")
      .def("detect", &detect, py::arg("y"), py::arg("H"), py::arg("noise_var"), py::kw_only(),
           py::arg("H_est") = py::none(), py::arg("threads") = 0,
           R"doc(Detects a batch: y [n, nr], H [n, nr, nt] (complex64 or complex128, any layout: converted once),
noise_var [n] or a scalar (the complex noise variance N0). H_est, when given, is what the detector sees instead of
H (as a data set with imperfect CSI). Returns (symbols [n, nt] int32 constellation indices, llr [n, nt*m] float32
max-log LLRs, positive favouring bit 0, or None). One channel use (y [nr], H [nr, nt]) gives unbatched results.
Runs on `threads` worker threads (0 = all cores) without the GIL.)doc")
      .def("__repr__", [](const Detector& d) {
        return "mimo.Detector('" + d.name() + "', '" + to_string(d.constellation().modulation()) + "')";
      });
  m.def("detector_names", [] { return detector_names(); }, "The registered detector names.");
  m.def("_split_detectors", &split_detector_list, py::arg("list"));
}

}  // namespace mimo::python
