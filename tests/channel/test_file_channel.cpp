// --channel file (channel/file_channel.cpp): files written here with the HDF5 C++ API in h5py's and MATLAB's
// layouts (and by h5py itself where python has it) give back exactly the realizations written; the
// normalizations, the cycle and shuffle orders, and a one-line error naming the file for each kind of bad input.
#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "channel/channel_model.hpp"

namespace {

namespace fs = std::filesystem;
using cd = std::complex<double>;
using cf = std::complex<float>;

// ---- realizations and how a file orders them ----

// N realizations of an Nr x Nt channel, [n][r][t] row-major.
struct Channels {
  int n, nr, nt;
  std::vector<cd> h;
  cd& at(int i, int r, int t) { return h[(static_cast<size_t>(i) * nr + r) * nt + t]; }
  cd at(int i, int r, int t) const { return h[(static_cast<size_t>(i) * nr + r) * nt + t]; }
};

// Every entry different and exact in float32, so a swapped index or a lost imaginary part shows.
cd entry(int i, int r, int t) { return {i * 100.0 + r * 10.0 + t + 0.25, -(i * 100.0 + r * 10.0 + t) - 0.5}; }

Channels numbered(int n, int nr, int nt) {
  Channels c{n, nr, nt, std::vector<cd>(static_cast<size_t>(n) * nr * nt)};
  for (int i = 0; i < n; ++i)
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) c.at(i, r, t) = entry(i, r, t);
  return c;
}

enum class Order { h5py, matlab };

// The entries in the order the file stores them, and the file's dims: h5py [N, Nr, Nt]; MATLAB's column-major
// [N, Nr, Nt] array as HDF5 sees it, [Nt, Nr, N] with (n, r, t) at (t Nr + r) N + n.
std::vector<cd> file_order(const Channels& c, Order o) {
  if (o == Order::h5py) return c.h;
  std::vector<cd> v(c.h.size());
  for (int i = 0; i < c.n; ++i)
    for (int r = 0; r < c.nr; ++r)
      for (int t = 0; t < c.nt; ++t) v[(static_cast<size_t>(t) * c.nr + r) * c.n + i] = c.at(i, r, t);
  return v;
}

std::vector<hsize_t> file_dims(const Channels& c, Order o) {
  const hsize_t n = c.n, nr = c.nr, nt = c.nt;
  return o == Order::h5py ? std::vector<hsize_t>{n, nr, nt} : std::vector<hsize_t>{nt, nr, n};
}

// ---- writing files ----

struct Names {
  const char* re;
  const char* im;
};
constexpr Names kH5py{"r", "i"}, kMatlab{"real", "imag"};

// What MATLAB puts in the 512-byte user block of a -v7.3 file: a 116-byte text header, the subsystem offset,
// version 0x0200 and the endian indicator.
void write_matlab_header(const fs::path& file) {
  std::string header =
      "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .";
  header.resize(116, ' ');
  header += std::string(8, '\0') + std::string("\x00\x02", 2) + "IM";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
}

H5::H5File create_file(const fs::path& file, hsize_t userblock) {
  H5::FileCreatPropList props;
  if (userblock) props.setUserblock(userblock);
  return H5::H5File(file.string(), H5F_ACC_TRUNC, props);
}

// A complex data set: the compound {names.re, names.im} of float64 (or float32) in the file.
void write_complex(const fs::path& file, const std::vector<cd>& values, const std::vector<hsize_t>& dims, Names names,
                   bool float64, hsize_t userblock = 0, const std::string& dataset = "/H") {
  H5::CompType memory(sizeof(cd));
  memory.insertMember(names.re, 0, H5::PredType::NATIVE_DOUBLE);
  memory.insertMember(names.im, sizeof(double), H5::PredType::NATIVE_DOUBLE);
  const H5::PredType& member = float64 ? H5::PredType::IEEE_F64LE : H5::PredType::IEEE_F32LE;
  H5::CompType stored(2 * member.getSize());
  stored.insertMember(names.re, 0, member);
  stored.insertMember(names.im, member.getSize(), member);
  {
    H5::H5File f = create_file(file, userblock);
    H5::DataSet d = f.createDataSet(dataset, stored, H5::DataSpace(static_cast<int>(dims.size()), dims.data()));
    d.write(values.data(), memory);
  }
  if (userblock) write_matlab_header(file);
}

void write_real(const fs::path& file, const std::vector<double>& values, const std::vector<hsize_t>& dims,
                bool float64) {
  H5::H5File f = create_file(file, 0);
  H5::DataSet d = f.createDataSet("/H", float64 ? H5::PredType::IEEE_F64LE : H5::PredType::IEEE_F32LE,
                                  H5::DataSpace(static_cast<int>(dims.size()), dims.data()));
  d.write(values.data(), H5::PredType::NATIVE_DOUBLE);
}

void write_h5py(const fs::path& file, const Channels& c, bool float64 = true) {
  write_complex(file, file_order(c, Order::h5py), file_dims(c, Order::h5py), kH5py, float64);
}

// ---- the model under test ----

// The index and seed the generator would pass; the uniforms are not the file model's business.
class IndexDraws final : public mimo::ChannelDraws {
public:
  using ChannelDraws::ChannelDraws;
  double uniform() override { return 0.5; }
};

mimo::ChannelConfig file_config(const fs::path& file, int nr, int nt,
                                const std::map<std::string, std::string>& params = {}) {
  mimo::ChannelConfig c;
  c.model = "file";
  c.nr = nr;
  c.nt = nt;
  c.set("h_file", file.string());
  for (const auto& [name, value] : params) c.set(name, value);
  return c;
}

std::vector<cf> realization(const mimo::ChannelModel& m, int nr, int nt, uint64_t index, uint64_t seed = 1) {
  std::vector<cf> H(static_cast<size_t>(nr) * nt, cf(-7.0f, 7.0f));  // the i.i.d. draw the model ignores
  IndexDraws draws(seed, index);
  m.shape(H.data(), nr, nt, draws);
  return H;
}

// Realization i of the model equals realization k of c, exactly.
void expect_realization(const mimo::ChannelModel& m, const Channels& c, uint64_t index, int k,
                        const std::string& what) {
  const auto H = realization(m, c.nr, c.nt, index);
  for (int r = 0; r < c.nr; ++r)
    for (int t = 0; t < c.nt; ++t)
      ASSERT_EQ(cd(H[r * c.nt + t]), c.at(k, r, t)) << what << ": index " << index << " (r " << r << ", t " << t << ")";
}

// Every index of two passes gives realization index mod N.
void expect_cycle(const mimo::ChannelModel& m, const Channels& c, const std::string& what) {
  for (int i = 0; i < 2 * c.n; ++i) expect_realization(m, c, i, i % c.n, what);
}

// The message of the exception E that making the model throws ("" and a failure when there is none); it must be
// one line.
template <class E>
std::string error_of(const mimo::ChannelConfig& c) {
  try {
    mimo::make_channel_model(c);
  } catch (const E& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  ADD_FAILURE() << "no error";
  return "";
}

class FileChannel : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("mimo_test_file_channel_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static fs::path path(const std::string& name) { return dir_ / name; }
  // The runtime_error for `file` with nr x nt, which must name the file and contain `phrase`.
  static void expect_file_error(const fs::path& file, int nr, int nt, const std::string& phrase,
                                const std::map<std::string, std::string>& params = {}) {
    const std::string what = error_of<std::runtime_error>(file_config(file, nr, nt, params));
    EXPECT_NE(what.find(file.string()), std::string::npos) << "does not name the file: " << what;
    EXPECT_NE(what.find(phrase), std::string::npos) << "'" << phrase << "' not in: " << what;
  }
  static inline fs::path dir_;
};

const std::map<std::string, std::string> kAsStored{{"h_normalize", "none"}};

// ---- layouts ----

TEST_F(FileChannel, H5pyLayoutFloat64AndFloat32GiveTheValuesWritten) {
  const Channels c = numbered(5, 3, 2);  // Nr != Nt: a transposed realization cannot pass
  for (bool float64 : {true, false}) {
    const auto file = path(float64 ? "h5py64.h5" : "h5py32.h5");
    write_h5py(file, c, float64);
    const auto m = mimo::make_channel_model(file_config(file, 3, 2, kAsStored));
    EXPECT_FALSE(m->iid());
    expect_cycle(*m, c, file.filename().string());
  }
}

TEST_F(FileChannel, MatlabLayoutWithAndWithoutUserBlockGivesTheValuesWritten) {
  const Channels c = numbered(5, 3, 2);
  for (hsize_t userblock : {hsize_t{0}, hsize_t{512}}) {
    const auto file = path("matlab" + std::to_string(userblock) + ".mat");
    write_complex(file, file_order(c, Order::matlab), file_dims(c, Order::matlab), kMatlab, true, userblock);
    const auto m = mimo::make_channel_model(file_config(file, 3, 2, kAsStored));
    expect_cycle(*m, c, file.filename().string());
    // Forcing the layout MATLAB files have changes nothing.
    const auto forced =
        mimo::make_channel_model(file_config(file, 3, 2, {{"h_normalize", "none"}, {"h_layout", "matlab"}}));
    expect_cycle(*forced, c, file.filename().string() + " --h-layout matlab");
  }
}

TEST_F(FileChannel, LayoutFlagOverridesTheFieldNames) {
  // {r, i} in column-major order, as Julia's HDF5.jl writes: only --h-layout matlab reads it right.
  const Channels c = numbered(4, 3, 2);
  const auto file = path("julia.h5");
  write_complex(file, file_order(c, Order::matlab), file_dims(c, Order::matlab), kH5py, true);
  expect_cycle(*mimo::make_channel_model(file_config(file, 3, 2, {{"h_normalize", "none"}, {"h_layout", "matlab"}})), c,
               "julia");
  // Read as h5py ([2, 3, 4]) it does not fit 3 x 2.
  expect_file_error(file, 3, 2, "is [2, 3, 4] (h5py layout [N, Nr, Nt]) but --nr 3 --nt 2", kAsStored);
}

TEST_F(FileChannel, MatlabRank2IsOneTransmitAntenna) {
  // MATLAB drops the trailing singleton of [N, Nr, 1]: HDF5 dims [Nr, N].
  const Channels c = numbered(6, 3, 1);
  const auto file = path("nt1.mat");
  write_complex(file, file_order(c, Order::matlab), {3, 6}, kMatlab, true, 512);
  expect_cycle(*mimo::make_channel_model(file_config(file, 3, 1, kAsStored)), c, "rank 2");
  expect_file_error(file, 3, 2, "is [3, 6] (matlab layout [Nt, Nr, N]) but --nr 3 --nt 2", kAsStored);
}

TEST_F(FileChannel, RealDataSetsPickTheOrientationThatFits) {
  Channels c = numbered(5, 3, 2);
  for (auto& h : c.h) h = {h.real(), 0.0};
  auto reals = [](const std::vector<cd>& v) {
    std::vector<double> out;
    for (const auto& z : v) out.push_back(z.real());
    return out;
  };
  const auto h5py = path("real_h5py.h5"), matlab = path("real_matlab.mat");
  write_real(h5py, reals(file_order(c, Order::h5py)), file_dims(c, Order::h5py), false);
  write_real(matlab, reals(file_order(c, Order::matlab)), file_dims(c, Order::matlab), true);
  expect_cycle(*mimo::make_channel_model(file_config(h5py, 3, 2, kAsStored)), c, "real h5py, auto");
  expect_cycle(*mimo::make_channel_model(file_config(matlab, 3, 2, kAsStored)), c, "real matlab, auto");
  expect_cycle(*mimo::make_channel_model(file_config(matlab, 3, 2, {{"h_normalize", "none"}, {"h_layout", "matlab"}})),
               c, "real matlab, forced");

  // [4, 4, 4] fits 4 x 4 both ways: auto asks, a forced layout reads.
  const Channels cube = numbered(4, 4, 4);
  std::vector<double> values;
  for (const auto& z : file_order(cube, Order::matlab)) values.push_back(z.real());
  const auto ambiguous = path("real_cube.h5");
  write_real(ambiguous, values, {4, 4, 4}, true);
  expect_file_error(ambiguous, 4, 4, "pass --h-layout h5py or matlab", kAsStored);
  const auto m =
      mimo::make_channel_model(file_config(ambiguous, 4, 4, {{"h_normalize", "none"}, {"h_layout", "matlab"}}));
  for (int i = 0; i < 4; ++i) {
    const auto H = realization(*m, 4, 4, i);
    for (int r = 0; r < 4; ++r)
      for (int t = 0; t < 4; ++t) ASSERT_EQ(cd(H[r * 4 + t]), cd(cube.at(i, r, t).real(), 0.0));
  }
  expect_file_error(ambiguous, 3, 4, "neither", kAsStored);
}

TEST_F(FileChannel, ReadsWhatH5pyWrites) {
  const std::string python = std::string(MIMO_PYTHON).empty() ? "/usr/bin/python3" : MIMO_PYTHON;
  if (std::system((python + " -c 'import h5py, numpy' > /dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << python << " has no h5py and numpy";
  const auto script = path("write_h.py"), file = path("from_h5py.h5");
  // The same entries as entry(i, r, t), as a complex64 numpy array [N, Nr, Nt].
  std::ofstream(script) << "import sys, h5py, numpy as np\n"
                           "i, r, t = np.meshgrid(np.arange(5), np.arange(3), np.arange(2), indexing='ij')\n"
                           "v = i * 100.0 + r * 10.0 + t\n"
                           "H = ((v + 0.25) + 1j * (-v - 0.5)).astype(np.complex64)\n"
                           "with h5py.File(sys.argv[1], 'w') as f:\n"
                           "    f['channels/H'] = H\n";
  ASSERT_EQ(std::system((python + " " + script.string() + " " + file.string()).c_str()), 0);
  const auto m =
      mimo::make_channel_model(file_config(file, 3, 2, {{"h_normalize", "none"}, {"h_dataset", "/channels/H"}}));
  expect_cycle(*m, numbered(5, 3, 2), "h5py");
}

// ---- normalization ----

// Realizations of very different gains (a path loss per realization), as a ray tracer gives.
Channels faded(int n, int nr, int nt) {
  Channels c = numbered(n, nr, nt);
  for (int i = 0; i < n; ++i)
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) c.at(i, r, t) *= std::pow(10.0, -3.0 - i) * (1.0 + 0.3 * std::sin(r + 2.0 * t));
  return c;
}

std::vector<cf> all_realizations(const mimo::ChannelModel& m, const Channels& c) {
  std::vector<cf> all;
  for (int i = 0; i < c.n; ++i) {
    const auto H = realization(m, c.nr, c.nt, i);
    all.insert(all.end(), H.begin(), H.end());
  }
  return all;
}

double mean_power(const cf* h, size_t count) {
  double sum = 0.0;
  for (size_t k = 0; k < count; ++k) sum += std::norm(cd(h[k]));
  return sum / static_cast<double>(count);
}

TEST_F(FileChannel, GlobalNormalizationIsOneScaleToUnitMeanPower) {
  const Channels c = faded(6, 3, 2);
  const auto file = path("faded.h5");
  write_h5py(file, c);
  const auto global =
      all_realizations(*mimo::make_channel_model(file_config(file, 3, 2, {{"h_normalize", "global"}})), c);
  EXPECT_NEAR(mean_power(global.data(), global.size()), 1.0, 1e-6);
  // One scale for all: the ratio to the stored entry is the same everywhere, so the path-loss differences stay.
  const double scale = std::abs(cd(global[0]) / c.h[0]);
  for (size_t k = 0; k < global.size(); ++k)
    ASSERT_NEAR(std::abs(cd(global[k]) - scale * c.h[k]), 0.0, 1e-6 * std::abs(scale * c.h[k])) << k;
  EXPECT_GT(mean_power(global.data(), 6), 1e4 * mean_power(global.data() + 5 * 6, 6));
  // The default is global.
  EXPECT_EQ(all_realizations(*mimo::make_channel_model(file_config(file, 3, 2)), c), global);
}

TEST_F(FileChannel, PerSampleNormalizationScalesEachRealizationToUnitMeanPower) {
  const Channels c = faded(6, 3, 2);
  const auto file = path("faded_per_sample.h5");
  write_h5py(file, c);
  const auto per =
      all_realizations(*mimo::make_channel_model(file_config(file, 3, 2, {{"h_normalize", "per-sample"}})), c);
  for (int i = 0; i < c.n; ++i) {
    EXPECT_NEAR(mean_power(per.data() + i * 6, 6), 1.0, 1e-6) << "realization " << i;
    const double scale = std::abs(cd(per[i * 6]) / c.h[i * 6]);
    for (int k = i * 6; k < i * 6 + 6; ++k)
      ASSERT_NEAR(std::abs(cd(per[k]) - scale * c.h[k]), 0.0, 1e-6 * std::abs(scale * c.h[k])) << k;
  }
  // "none" is the file as stored: the tiny gains of the faded file, rounded to float32.
  const auto none = all_realizations(*mimo::make_channel_model(file_config(file, 3, 2, kAsStored)), c);
  for (size_t k = 0; k < none.size(); ++k) ASSERT_EQ(none[k], cf(c.h[k])) << k;
}

// ---- order ----

TEST_F(FileChannel, CycleWrapsAtAnyIndex) {
  const Channels c = numbered(7, 2, 2);
  const auto file = path("cycle.h5");
  write_h5py(file, c);
  const auto m = mimo::make_channel_model(file_config(file, 2, 2, {{"h_normalize", "none"}, {"h_order", "cycle"}}));
  for (uint64_t i : {uint64_t{0}, uint64_t{6}, uint64_t{7}, uint64_t{1000000000003}, ~uint64_t{0}})
    expect_realization(*m, c, i, static_cast<int>(i % 7), "cycle");
}

// The realization numbers sample indices [first, first + count) get (realization k of numbered(n, 1, 1) is
// entry(k, 0, 0) = 100 k + 0.25 - 0.5i).
std::vector<int> order_of(const mimo::ChannelModel& m, uint64_t seed, uint64_t first, int count) {
  std::vector<int> out;
  for (int k = 0; k < count; ++k) {
    cf h;
    IndexDraws draws(seed, first + k);
    m.shape(&h, 1, 1, draws);
    out.push_back(static_cast<int>(h.real() / 100.0f));
  }
  return out;
}

std::unique_ptr<mimo::ChannelModel> shuffled_model(const fs::path& file, int n) {
  write_h5py(file, numbered(n, 1, 1));
  return mimo::make_channel_model(file_config(file, 1, 1, {{"h_normalize", "none"}, {"h_order", "shuffle"}}));
}

TEST_F(FileChannel, ShuffleUsesEveryRealizationOncePerPass) {
  for (int n : {1, 2, 3, 4, 5, 16, 17, 64, 100, 1000}) {
    const auto m = shuffled_model(path("shuffle" + std::to_string(n) + ".h5"), n);
    std::vector<int> identity(n);
    std::iota(identity.begin(), identity.end(), 0);
    for (uint64_t seed : {uint64_t{1}, uint64_t{42}, ~uint64_t{0}})
      for (uint64_t pass : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{12345678901}}) {
        auto order = order_of(*m, seed, pass * n, n);
        std::sort(order.begin(), order.end());
        ASSERT_EQ(order, identity) << "N " << n << " seed " << seed << " pass " << pass;
      }
  }
}

TEST_F(FileChannel, ShuffleDiffersBetweenPassesAndSeedsAndIsReproducible) {
  const int n = 17;  // not a power of 4: the network walks cycles
  const auto file = path("shuffle_order.h5");
  const auto m = shuffled_model(file, n);
  const auto pass0 = order_of(*m, 7, 0, n), pass1 = order_of(*m, 7, n, n), seed8 = order_of(*m, 8, 0, n);
  std::vector<int> identity(n);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(pass0, identity);
  EXPECT_NE(pass0, pass1);
  EXPECT_NE(pass0, seed8);
  // Reproducible: another model of the same file, indices visited backwards, one at a time.
  const auto again =
      mimo::make_channel_model(file_config(file, 1, 1, {{"h_normalize", "none"}, {"h_order", "shuffle"}}));
  for (int k = n - 1; k >= 0; --k) EXPECT_EQ(order_of(*again, 7, n + k, 1)[0], pass1[k]) << k;
}

TEST_F(FileChannel, ShuffleStartsAnywhereWithEqualChance) {
  // Over many seeds, the realization a pass starts with is uniform (a network whose keys did not reach every
  // output bit would favour some): within 5.5 standard deviations of the expected count.
  for (int n : {2, 5}) {
    const auto m = shuffled_model(path("uniform" + std::to_string(n) + ".h5"), n);
    const int seeds = 4000;
    std::vector<int> count(n);
    for (int s = 0; s < seeds; ++s) ++count[order_of(*m, 1000 + s, 0, 1)[0]];
    const double expected = static_cast<double>(seeds) / n, sd = std::sqrt(expected * (1.0 - 1.0 / n));
    for (int k = 0; k < n; ++k) EXPECT_NEAR(count[k], expected, 5.5 * sd) << "N " << n << ", realization " << k;
  }
}

TEST_F(FileChannel, ShapeIsSafeOnManyThreads) {
  const Channels c = numbered(37, 3, 2);
  const auto file = path("threads.h5");
  write_h5py(file, c);
  const auto m = mimo::make_channel_model(file_config(file, 3, 2, {{"h_order", "shuffle"}}));
  const int count = 2000;
  std::vector<std::vector<cf>> serial(count), parallel(count);
  for (int i = 0; i < count; ++i) serial[i] = realization(*m, 3, 2, i, 5);
  std::vector<std::thread> pool;
  for (int w = 0; w < 4; ++w)
    pool.emplace_back([&, w] {
      for (int i = w; i < count; i += 4) parallel[i] = realization(*m, 3, 2, i, 5);
    });
  for (auto& t : pool) t.join();
  EXPECT_EQ(parallel, serial);
}

// ---- bad input: one line each, naming the file ----

TEST_F(FileChannel, NoFileIsAnError) {
  mimo::ChannelConfig c;
  c.model = "file";
  EXPECT_NE(error_of<std::invalid_argument>(c).find("--channel file needs --h-file"), std::string::npos);
  c.set("h_layout", "julia");
  EXPECT_NE(error_of<std::invalid_argument>(c).find("h-layout must be one of auto, h5py, matlab"), std::string::npos);
}

TEST_F(FileChannel, MissingOrForeignFileOrDataSet) {
  expect_file_error(path("absent.h5"), 2, 2, "no such file");
  const auto text = path("text.h5");
  std::ofstream(text) << "not HDF5\n";
  expect_file_error(text, 2, 2, "not an HDF5 file");

  const Channels c = numbered(3, 2, 2);
  const auto file = path("g.h5");
  write_h5py(file, c);
  expect_file_error(file, 2, 2, "no data set /G (--h-dataset; the top level holds H)", {{"h_dataset", "/G"}});
  expect_file_error(file, 2, 2, "no data set /grp/H", {{"h_dataset", "/grp/H"}});
  expect_file_error(file, 2, 2, "/ is not a data set", {{"h_dataset", "/"}});
}

TEST_F(FileChannel, WrongTypeRankOrShape) {
  const Channels c = numbered(5, 3, 2);
  const auto flat = path("flat.h5");
  write_complex(flat, c.h, {5, 6}, kH5py, true);
  expect_file_error(flat, 3, 2, "/H has rank 2 [5, 6]; expected rank 3 (h5py layout [N, Nr, Nt])");

  const auto h5py = path("shape.h5");
  write_h5py(h5py, c);
  expect_file_error(h5py, 2, 3, "/H is [5, 3, 2] (h5py layout [N, Nr, Nt]) but --nr 2 --nt 3");
  const auto matlab = path("shape.mat");
  write_complex(matlab, file_order(c, Order::matlab), file_dims(c, Order::matlab), kMatlab, true, 512);
  expect_file_error(matlab, 4, 2, "/H is [2, 3, 5] (matlab layout [Nt, Nr, N]) but --nr 4 --nt 2");

  const auto empty = path("empty.h5");
  write_complex(empty, {}, {0, 3, 2}, kH5py, true);
  expect_file_error(empty, 3, 2, "no realizations (N = 0)");

  const auto integers = path("integers.h5");
  {
    H5::H5File f = create_file(integers, 0);
    const hsize_t dims[3] = {2, 2, 2};
    const int values[8] = {};
    f.createDataSet("H", H5::PredType::STD_I32LE, H5::DataSpace(3, dims)).write(values, H5::PredType::NATIVE_INT);
  }
  expect_file_error(integers, 2, 2, "holds neither complex nor real floats; expected complex");
  const auto other = path("other_names.h5");
  write_complex(other, numbered(2, 2, 2).h, {2, 2, 2}, Names{"re", "im"}, true);
  expect_file_error(other, 2, 2, "is a compound {re, im}; expected complex");
}

TEST_F(FileChannel, NonFiniteEntriesNameTheirRealization) {
  Channels c = numbered(20, 2, 2);
  c.at(17, 1, 0) = {std::numeric_limits<double>::quiet_NaN(), 0.0};
  const auto nan = path("nan.h5");
  write_h5py(nan, c, false);
  expect_file_error(nan, 2, 2, "/H has a non-finite entry at realization 17 (r 1, t 0;", kAsStored);

  c = numbered(20, 2, 2);
  c.at(3, 0, 1) = {0.0, -std::numeric_limits<double>::infinity()};
  const auto inf = path("inf.mat");
  write_complex(inf, file_order(c, Order::matlab), file_dims(c, Order::matlab), kMatlab, true, 512);
  expect_file_error(inf, 2, 2, "non-finite entry at realization 3 (r 0, t 1;");

  // A float64 entry float32 cannot hold.
  c = numbered(20, 2, 2);
  c.at(9, 0, 0) = {1e300, 0.0};
  const auto huge = path("huge.h5");
  write_h5py(huge, c, true);
  expect_file_error(huge, 2, 2,
                    "non-finite entry at realization 9 (r 0, t 0; counting from 0): NaN, Inf, or beyond "
                    "the float32 range");
}

// A data set declaring more entries than memory can count (chunked and never written, so the file is small): a
// one-line error, not a wrapped size and reads outside the buffer.
TEST_F(FileChannel, ImpossiblyLargeDataSetsAreRefused) {
  for (const hsize_t n : {(hsize_t{1} << 62) + 1, hsize_t{1} << 62, hsize_t{1} << 61}) {
    const auto file = path("huge.h5");
    {
      H5::H5File f(file.string(), H5F_ACC_TRUNC);
      H5::CompType cx(2 * sizeof(float));
      cx.insertMember("r", 0, H5::PredType::NATIVE_FLOAT);
      cx.insertMember("i", sizeof(float), H5::PredType::NATIVE_FLOAT);
      const hsize_t dims[3] = {n, 4, 1}, chunk[3] = {1, 4, 1};
      H5::DSetCreatPropList plist;
      plist.setChunk(3, chunk);
      f.createDataSet("H", cx, H5::DataSpace(3, dims), plist);
    }
    const std::string what = error_of<std::runtime_error>(file_config(file, 4, 1, kAsStored));
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_TRUE(what.find("too many realizations") != std::string::npos ||
                what.find("not enough memory") != std::string::npos) << n << ": " << what;
  }
}

TEST_F(FileChannel, ZerosCannotBeNormalized) {
  Channels c = numbered(4, 2, 2);
  for (auto& h : c.h) h = 0.0;
  const auto zeros = path("zeros.h5");
  write_h5py(zeros, c);
  expect_file_error(zeros, 2, 2, "/H is all zeros: nothing to normalize (--h-normalize global)");
  expect_file_error(zeros, 2, 2, "realization 0 (counting from 0) is all zeros", {{"h_normalize", "per-sample"}});
  EXPECT_NO_THROW(mimo::make_channel_model(file_config(zeros, 2, 2, kAsStored)));

  c = numbered(4, 2, 2);
  for (int r = 0; r < 2; ++r)
    for (int t = 0; t < 2; ++t) c.at(2, r, t) = 0.0;
  const auto one_zero = path("one_zero.h5");
  write_h5py(one_zero, c);
  expect_file_error(one_zero, 2, 2, "realization 2 (counting from 0) is all zeros: cannot normalize it",
                    {{"h_normalize", "per-sample"}});
  EXPECT_NO_THROW(mimo::make_channel_model(file_config(one_zero, 2, 2)));
}

}  // namespace
