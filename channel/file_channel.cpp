// --channel file: channel realizations made elsewhere (a ray tracer, QuaDRiGa, measurements), read from an HDF5
// file instead of drawn.
//
// The file (--h-file) holds one data set (--h-dataset, default /H) of N realizations of the Nr x Nt channel:
//   h5py    a numpy array H of shape [N, Nr, Nt], complex64 or complex128, which h5py stores as the compound
//           {r, i} of float32 or float64; HDF5 dims [N, Nr, Nt], element (n, r, t) at (n Nr + r) Nt + t.
//   matlab  a MATLAB array H of size [N, Nr, Nt] saved with `save -v7.3` (an HDF5 file behind a 512-byte user
//           block), complex as the compound {real, imag}. MATLAB is column-major, so the HDF5 dims are the reverse,
//           [Nt, Nr, N]: element (n, r, t) at (t Nr + r) N + n. MATLAB drops a trailing singleton dimension, so
//           with Nt = 1 the data set has rank 2, [Nr, N], and is read as [1, Nr, N].
// --h-layout auto (the default) takes the orientation from the field names: {r, i} h5py, {real, imag} matlab.
// h5py or matlab force the orientation whatever the field names (Julia's HDF5.jl, for one, writes {r, i} in
// column-major order: --h-layout matlab). A real float32/float64 data set is a real channel (imaginary parts 0):
// h5py orientation, or matlab with --h-layout matlab; auto takes the orientation whose Nr and Nt match --nr and
// --nt, and asks for --h-layout when both or neither do (e.g. [4, 4, 4] with --nr 4 --nt 4).
// Nr and Nt must be --nr and --nt, N >= 1, every entry finite; entries are read as float32 (HDF5 converts a
// float64 file on reading: an entry beyond the float32 range is an error, one below it rounds towards 0, and a
// normalized float64 entry is rounded twice, within 1 ulp of rounding once).
//
// Normalization (--h-normalize), the scale computed in double, each float32 entry scaled in double and rounded:
//   global      (default) one scale for the whole file, so that the mean |h|^2 over its N Nr Nt entries is 1: the
//               differences in path gain between realizations stay, and the SNR is the average one.
//   per-sample  each realization scaled to mean |h|^2 = 1 over its Nr Nt entries: the SNR is the one of every
//               realization, like the drawn models' E|h_ij|^2 = 1.
//   none        as stored: the SNR then includes the file's own gain.
//
// Which realization sample i gets (--h-order); the generator's i.i.d. draw and uniforms are ignored:
//   cycle       (default) realization i mod N.
//   shuffle     pass p = floor(i / N) takes the N realizations in its own seeded order: sample i gets realization
//               perm_{seed,p}(i mod N), so every realization is used exactly once per pass, in a new order each
//               pass. perm_{seed,p} is a Feistel network on 2k bits (4^k the least power of 4 >= N; 8 rounds,
//               round function the splitmix64 finalizer of the right half xor the round key; round keys from
//               splitmix64 of (seed, p)), restricted to [0, N) by cycle walking (apply it again until the result
//               is < N). It is stateless, a pure function of (seed, p, i mod N) in integer arithmetic: sample i is
//               the same on any thread, in any batch and on any CPU, and costs 4^k / N < 4 network evaluations
//               on average over a pass. The seed is the generator's --seed; the stream tag (train, validate,
//               test) is not part of it.
#include <H5Cpp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <filesystem>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel/models.hpp"
#include "channel/random.hpp"

namespace mimo::models {

namespace {

using cf = std::complex<float>;

enum class Layout { h5py, matlab };
enum class Normalize { global, per_sample, none };
enum class Order { cycle, shuffle };

// The configuration's file settings, and the text every error starts with ("H.h5: /H").
struct Source {
  std::string path, dataset;
  int nr = 0, nt = 0;
  std::string prefix() const { return path + ": " + dataset; }
};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::string dims_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
  return s + "]";
}

std::string layout_text(Layout l) {
  return l == Layout::h5py ? "h5py layout [N, Nr, Nt]" : "matlab layout [Nt, Nr, N]";
}

std::string asked_text(const Source& s) { return "--nr " + std::to_string(s.nr) + " --nt " + std::to_string(s.nt); }

// ---- opening ----

H5::H5File open_file(const Source& s) {
  std::error_code ec;
  if (!std::filesystem::exists(s.path, ec)) fail(s.path + ": no such file (--h-file)");
  if (std::filesystem::is_directory(s.path, ec)) fail(s.path + ": is a directory, not an HDF5 file (--h-file)");
  try {
    // isHdf5 also finds the superblock behind a user block (MATLAB's 512 bytes).
    if (!H5::H5File::isHdf5(s.path)) fail(s.path + ": not an HDF5 file (MATLAB files must be saved with -v7.3)");
    return H5::H5File(s.path, H5F_ACC_RDONLY);
  } catch (const H5::Exception&) {
    fail(s.path + ": cannot open as HDF5 (unreadable, truncated or corrupted?)");
  }
}

// The names at the file's top level, for the error that says the data set is not there (a MATLAB file names its
// data sets after the saved variables).
std::string top_level_names(const H5::H5File& f) {
  std::string list;
  const hsize_t n = f.getNumObjs();
  for (hsize_t k = 0; k < std::min<hsize_t>(n, 10); ++k) list += (k ? ", " : "") + f.getObjnameByIdx(k);
  if (n > 10) list += ", ...";
  return list.empty() ? "nothing" : list;
}

H5::DataSet open_dataset(const H5::H5File& f, const Source& s) {
  bool found = false;
  try {
    found = f.nameExists(s.dataset);
  } catch (const H5::Exception&) {
    // HDF5 1.10 throws, rather than answering false, when a group on the path is missing.
  }
  if (!found)
    fail(s.path + ": no data set " + s.dataset + " (--h-dataset; the top level holds " + top_level_names(f) + ")");
  if (f.childObjType(s.dataset) != H5O_TYPE_DATASET) fail(s.prefix() + " is not a data set (--h-dataset)");
  return f.openDataSet(s.dataset);
}

// ---- the element type ----

// What one stored entry is: the compound {re, im} of two floats (by their names in the file), or one real float.
struct Element {
  bool complex = false;
  bool float64 = false;  // a member or the real type is 64-bit: HDF5 rounds it to float32 on reading
  std::string re, im;    // complex: "r", "i" or "real", "imag"
};

bool is_float(const H5::DataType& t) { return t.getClass() == H5T_FLOAT && (t.getSize() == 4 || t.getSize() == 8); }

Element element_of(const H5::DataSet& d, const Source& s) {
  const std::string expected =
      "; expected complex ({r, i} or {real, imag} of float32 or float64) or real float32/float64";
  const H5T_class_t cls = d.getTypeClass();
  if (cls == H5T_FLOAT) {
    const H5::DataType t = d.getDataType();
    if (!is_float(t)) fail(s.prefix() + " holds " + std::to_string(8 * t.getSize()) + "-bit floats" + expected);
    return {false, t.getSize() == 8, "", ""};
  }
  if (cls != H5T_COMPOUND) fail(s.prefix() + " holds neither complex nor real floats" + expected);
  const H5::CompType t = d.getCompType();
  std::vector<std::string> names;
  for (int k = 0; k < t.getNmembers(); ++k) names.push_back(t.getMemberName(k));
  auto has = [&](const char* a, const char* b) {
    return names.size() == 2 && std::count(names.begin(), names.end(), a) == 1 &&
           std::count(names.begin(), names.end(), b) == 1;
  };
  const char* const pair[2][2] = {{"r", "i"}, {"real", "imag"}};  // h5py's and MATLAB's names
  const int p = has(pair[0][0], pair[0][1]) ? 0 : has(pair[1][0], pair[1][1]) ? 1 : -1;
  if (p < 0) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fail(s.prefix() + " is a compound {" + list + "}" + expected);
  }
  Element e{true, false, pair[p][0], pair[p][1]};
  for (int k = 0; k < 2; ++k) {
    if (!is_float(t.getMemberDataType(k)))
      fail(s.prefix() + " member '" + names[k] + "' is not float32 or float64" + expected);
    e.float64 = e.float64 || t.getMemberDataType(k).getSize() == 8;
  }
  return e;
}

// The memory type HDF5 converts the stored entries to: float32 members picked by the file's names (HDF5 matches
// compound members by name, so their order in the file does not matter).
H5::DataType memory_type(const Element& e) {
  if (!e.complex) return H5::PredType::NATIVE_FLOAT;
  static_assert(sizeof(cf) == 2 * sizeof(float));
  H5::CompType t(sizeof(cf));
  t.insertMember(e.re, 0, H5::PredType::NATIVE_FLOAT);
  t.insertMember(e.im, sizeof(float), H5::PredType::NATIVE_FLOAT);
  return t;
}

// ---- the shape ----

std::vector<hsize_t> dims_of(const H5::DataSet& d) {
  const H5::DataSpace space = d.getSpace();
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(std::max(rank, 0));
  if (rank > 0) space.getSimpleExtentDims(dims.data());
  return dims;
}

// The dims as the rank-3 array of `layout`, or empty when they cannot be: a rank-2 data set is MATLAB's [N, Nr, 1]
// with its trailing singleton dropped.
std::vector<hsize_t> as_rank3(std::vector<hsize_t> dims, Layout layout) {
  if (layout == Layout::matlab && dims.size() == 2) dims.insert(dims.begin(), 1);
  return dims.size() == 3 ? dims : std::vector<hsize_t>{};
}

bool matches(const std::vector<hsize_t>& dims, Layout layout, const Source& s) {
  const auto d = as_rank3(dims, layout);
  if (d.empty()) return false;
  const hsize_t nr = s.nr, nt = s.nt;
  return layout == Layout::h5py ? d[1] == nr && d[2] == nt : d[0] == nt && d[1] == nr;
}

Layout choose_layout(const std::string& requested, const Element& e, const std::vector<hsize_t>& dims,
                     const Source& s) {
  if (requested == "h5py") return Layout::h5py;
  if (requested == "matlab") return Layout::matlab;
  if (e.complex) return e.re == "r" ? Layout::h5py : Layout::matlab;
  // auto, real entries: no field names to go by, so the orientation that fits the configuration.
  const bool h5py = matches(dims, Layout::h5py, s), matlab = matches(dims, Layout::matlab, s);
  if (h5py && matlab)
    fail(s.prefix() + " is real " + dims_text(dims) + ", which fits " + asked_text(s) + " as both " +
         layout_text(Layout::h5py) + " and " + layout_text(Layout::matlab) + ": pass --h-layout h5py or matlab");
  if (!h5py && !matlab)
    fail(s.prefix() + " is real " + dims_text(dims) + " but " + asked_text(s) + " (neither " +
         layout_text(Layout::h5py) + " nor " + layout_text(Layout::matlab) + " fits)");
  return h5py ? Layout::h5py : Layout::matlab;
}

// The number of realizations N, after checking that the dims are [N, nr, nt] in `layout`.
size_t realizations(const std::vector<hsize_t>& dims, Layout layout, const Source& s) {
  if (as_rank3(dims, layout).empty())
    fail(s.prefix() + " has rank " + std::to_string(dims.size()) + " " + dims_text(dims) + "; expected rank 3 (" +
         layout_text(layout) + ")");
  if (!matches(dims, layout, s))
    fail(s.prefix() + " is " + dims_text(dims) + " (" + layout_text(layout) + ") but " + asked_text(s));
  const size_t n = layout == Layout::h5py ? dims[0] : as_rank3(dims, layout)[2];
  if (n == 0) fail(s.prefix() + " is " + dims_text(dims) + ": no realizations (N = 0)");
  // N Nr Nt entries of 8 bytes must be countable (a wrapped count would size the buffer wrongly).
  const size_t per = static_cast<size_t>(s.nr) * static_cast<size_t>(s.nt);
  if (n > std::numeric_limits<size_t>::max() / sizeof(cf) / per)
    fail(s.prefix() + " is " + dims_text(dims) + ": too many realizations to hold in memory");
  return n;
}

// ---- loading ----

// Reads the whole data set once, into [N][nr][nt] (row-major, the order shape() copies out).
// Memory: the result is 8 N Nr Nt bytes (complex<float>) for the model's lifetime (100 000 realizations of
// 64 x 16: 819 MB). An h5py complex file is read straight into it; a matlab or real file is read into a buffer in
// file order first (another 8 or 4 bytes per entry, freed before make() returns), as reordering in place would
// cost more code than the transient copy costs memory.
std::vector<cf> load(const H5::DataSet& d, const Element& e, Layout layout, size_t n, const Source& s) {
  const size_t nr = s.nr, nt = s.nt, count = n * nr * nt;
  const H5::DataType type = memory_type(e);
  try {
    std::vector<cf> h(count);
    if (e.complex && layout == Layout::h5py) {
      d.read(h.data(), type);
      return h;
    }
    std::vector<cf> complex_buf(e.complex ? count : 0);
    std::vector<float> real_buf(e.complex ? 0 : count);
    d.read(e.complex ? static_cast<void*>(complex_buf.data()) : static_cast<void*>(real_buf.data()), type);
    auto stored = [&](size_t k) { return e.complex ? complex_buf[k] : cf(real_buf[k], 0.0f); };
    for (size_t i = 0; i < n; ++i)
      for (size_t r = 0; r < nr; ++r)
        for (size_t t = 0; t < nt; ++t)
          h[(i * nr + r) * nt + t] = stored(layout == Layout::h5py ? (i * nr + r) * nt + t : (t * nr + r) * n + i);
    return h;
  } catch (const std::length_error&) {
    fail(s.prefix() + ": not enough memory for its " + std::to_string(count) + " entries");
  } catch (const std::bad_alloc&) {
    fail(s.prefix() + ": not enough memory for its " + std::to_string(count) + " entries (" +
         std::to_string(count * sizeof(cf) >> 20) + " MiB as complex64)");
  } catch (const H5::Exception&) {
    fail(s.prefix() + ": cannot read the data (corrupted file, or a filter this HDF5 lacks?)");
  }
}

void check_finite(const std::vector<cf>& h, const Element& e, const Source& s) {
  const size_t per = static_cast<size_t>(s.nr) * s.nt;
  for (size_t k = 0; k < h.size(); ++k)
    if (!std::isfinite(h[k].real()) || !std::isfinite(h[k].imag()))
      fail(s.prefix() + " has a non-finite entry at realization " + std::to_string(k / per) + " (r " +
           std::to_string(k % per / s.nt) + ", t " + std::to_string(k % s.nt) + "; counting from 0)" +
           (e.float64 ? ": NaN, Inf, or beyond the float32 range" : ""));
}

double sum_of_squares(const cf* h, size_t count) {
  double sum = 0.0;
  for (size_t k = 0; k < count; ++k) {
    const double re = h[k].real(), im = h[k].imag();
    sum += re * re + im * im;
  }
  return sum;
}

void scale(cf* h, size_t count, double a) {
  for (size_t k = 0; k < count; ++k) h[k] = {static_cast<float>(a * h[k].real()), static_cast<float>(a * h[k].imag())};
}

void normalize(std::vector<cf>& h, Normalize how, const Source& s) {
  const size_t per = static_cast<size_t>(s.nr) * s.nt;
  if (how == Normalize::global) {
    const double sum = sum_of_squares(h.data(), h.size());
    if (sum == 0.0) fail(s.prefix() + " is all zeros: nothing to normalize (--h-normalize global)");
    scale(h.data(), h.size(), std::sqrt(static_cast<double>(h.size()) / sum));
  } else if (how == Normalize::per_sample) {
    for (size_t i = 0; i < h.size() / per; ++i) {
      const double sum = sum_of_squares(h.data() + i * per, per);
      if (sum == 0.0)
        fail(s.prefix() + " realization " + std::to_string(i) +
             " (counting from 0) is all zeros: cannot normalize it (--h-normalize per-sample)");
      scale(h.data() + i * per, per, std::sqrt(static_cast<double>(per) / sum));
    }
  }
}

// ---- the shuffle ----

// perm_{seed,pass}(x) for x < n: a permutation of [0, n) (see the top of the file).
uint64_t shuffled(uint64_t seed, uint64_t pass, uint64_t x, uint64_t n) {
  constexpr int kRounds = 8;
  int half = 0;  // bits per half: 4^half >= n
  while ((uint64_t{1} << (2 * half)) < n) ++half;
  if (half == 0) return 0;  // n == 1
  uint64_t state = seed;
  uint64_t key_state = splitmix64(state) ^ pass * 0xd1b54a32d192ed03ULL;
  std::array<uint64_t, kRounds> keys;
  for (auto& k : keys) k = splitmix64(key_state);
  const uint64_t mask = (uint64_t{1} << half) - 1;
  auto round_function = [](uint64_t v) {  // splitmix64's finalizer: every input bit reaches every output bit
    v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
    v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
    return v ^ (v >> 31);
  };
  // Cycle walking: x < n lies on a cycle of the network's permutation of [0, 4^half), so walking it reaches an
  // element < n again; the first one met is x's image, which keeps the restriction one to one.
  do {
    uint64_t left = x >> half, right = x & mask;
    for (const uint64_t k : keys) {
      const uint64_t next = left ^ (round_function(right ^ k) & mask);
      left = right;
      right = next;
    }
    x = left << half | right;
  } while (x >= n);
  return x;
}

// ---- the model ----

class FileChannel final : public ChannelModel {
public:
  FileChannel(std::vector<cf> h, size_t n, size_t per, Order order)
      : h_(std::move(h)), n_(n), per_(per), order_(order) {}

  void shape(cf* H, [[maybe_unused]] int nr, [[maybe_unused]] int nt, ChannelDraws& draws) const override {
    assert(static_cast<size_t>(nr) * nt == per_);
    const uint64_t i = draws.index();
    const uint64_t k = order_ == Order::cycle ? i % n_ : shuffled(draws.seed(), i / n_, i % n_, n_);
    std::copy_n(h_.data() + k * per_, per_, H);
  }

private:
  const std::vector<cf> h_;  // [N][nr][nt], normalized; read only, so shape() may run on many threads at once
  const size_t n_, per_;
  const Order order_;
};

std::unique_ptr<ChannelModel> make_file_channel(const ChannelConfig& c) {
  const Source s{c.text("h_file"), c.text("h_dataset"), c.nr, c.nt};
  if (s.path.empty()) throw std::invalid_argument("--channel file needs --h-file");
  const std::string how = c.text("h_normalize");
  const Normalize normalization = how == "global"       ? Normalize::global
                                  : how == "per-sample" ? Normalize::per_sample
                                                        : Normalize::none;
  const Order order = c.text("h_order") == "shuffle" ? Order::shuffle : Order::cycle;

  H5::Exception::dontPrint();  // errors are reported as one line each, below, not as HDF5's stack dump
  const H5::H5File f = open_file(s);
  std::vector<cf> h;
  size_t n = 0;
  try {
    const H5::DataSet d = open_dataset(f, s);
    const Element e = element_of(d, s);
    const std::vector<hsize_t> dims = dims_of(d);
    const Layout layout = choose_layout(c.text("h_layout"), e, dims, s);
    n = realizations(dims, layout, s);
    h = load(d, e, layout, n, s);
    check_finite(h, e, s);
  } catch (const H5::Exception& ex) {
    fail(s.prefix() + ": unreadable (corrupted file?): " + ex.getDetailMsg());
  }
  normalize(h, normalization, s);
  return std::make_unique<FileChannel>(std::move(h), n, static_cast<size_t>(c.nr) * c.nt, order);
}

}  // namespace

ChannelModelInfo file() {
  using K = ChannelParameter::Kind;
  return {"file",
          "realizations read from an HDF5 / MATLAB v7.3 file (ray tracer, QuaDRiGa, measurements), --h-file",
          {
              {"h_file", K::text, "", 0, 0, false, {}, "HDF5 or MATLAB v7.3 file of N realizations of H"},
              {"h_dataset", K::text, "/H", 0, 0, false, {}, "the data set in --h-file holding H"},
              {"h_layout",
               K::text,
               "auto",
               0,
               0,
               false,
               {"auto", "h5py", "matlab"},
               "h5py: [N, Nr, Nt] as numpy writes it; matlab: a MATLAB [N, Nr, Nt] array (HDF5 dims reversed); "
               "auto: from the complex field names"},
              {"h_normalize",
               K::text,
               "global",
               0,
               0,
               false,
               {"global", "per-sample", "none"},
               "global: mean |h|^2 = 1 over the file; per-sample: over each realization; none: as stored"},
              {"h_order",
               K::text,
               "cycle",
               0,
               0,
               false,
               {"cycle", "shuffle"},
               "cycle: sample i uses realization i mod N; shuffle: a new seeded order of all N every pass"},
          },
          make_file_channel};
}

}  // namespace mimo::models
