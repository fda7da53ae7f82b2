// The fused attention kernels of kernels.hpp against straightforward float64 loops. Torch-free: the shape rule
// and the error paths run everywhere; the GPU cases skip without a CUDA device.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "transformer/attention/kernels.hpp"

#ifdef MIMO_HAVE_CUDA_KERNELS
#include <cuda_runtime.h>
#endif

namespace {

using namespace mimo::tf::kernels;

AttentionShape shape_of(int64_t batch, int64_t heads, int64_t length, int64_t head_dim) {
  AttentionShape s;
  s.batch = batch, s.heads = heads, s.length = length, s.head_dim = head_dim;
  return s;
}

TEST(AttentionKernels, CudaSupportsLengthsUpTo128AndHeadDims16_32_64) {
  for (int64_t d : {16, 32, 64}) {
    EXPECT_TRUE(cuda_supports(shape_of(2, 3, 1, d)));
    EXPECT_TRUE(cuda_supports(shape_of(2, 3, 128, d)));
    EXPECT_FALSE(cuda_supports(shape_of(2, 3, 0, d)));
    EXPECT_FALSE(cuda_supports(shape_of(2, 3, 129, d)));
  }
  for (int64_t d : {0, 8, 24, 48, 128}) EXPECT_FALSE(cuda_supports(shape_of(2, 3, 16, d))) << "d = " << d;
}

TEST(AttentionKernels, UnsupportedShapeIsAnErrorNotALaunch) {
  AttentionInputs in;
  in.shape = shape_of(2, 3, 200, 16);
  const std::string err = attention_forward_cuda(Precision::f32, in, nullptr, nullptr, nullptr);
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
#ifdef MIMO_HAVE_CUDA_KERNELS
  EXPECT_NE(err.find("unsupported shape"), std::string::npos) << err;
#endif
  EXPECT_FALSE(attention_backward_cuda(Precision::f32, in, nullptr, nullptr, nullptr, {}, nullptr).empty());
}

// Without CUDA kernels (or without a device) a supported shape still fails with a message, never crashes: the
// pointers are host memory that nothing may touch.
TEST(AttentionKernels, WithoutADeviceTheForwardReportsAnError) {
  if (cuda_device_available()) GTEST_SKIP() << "a CUDA device is present";
  std::vector<float> host(64, 0.f);
  float lse[4] = {};
  AttentionInputs in;
  in.shape = shape_of(1, 1, 4, 16);
  in.q = in.k = in.v = host.data();
  const std::string err = attention_forward_cuda(Precision::f32, in, host.data(), lse, nullptr);
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
#ifndef MIMO_HAVE_CUDA_KERNELS
  EXPECT_EQ(err, "mimo was built without CUDA kernels");
#endif
}

#ifdef MIMO_HAVE_CUDA_KERNELS

// ---------------------------------------------------------------------------------------------------------
// Host reference in float64.

struct Reference {
  std::vector<double> out, lse, dq, dk, dv, dbias;
};

// Inputs as doubles (already rounded to the tested precision); bias and padding may be empty.
struct HostProblem {
  AttentionShape shape;
  std::vector<double> q, k, v, bias, dout;
  std::vector<uint8_t> padding;
};

// `backward_out`, when given, is the O the backward receives (the kernel's rounded one): Di = rowsum(dO * O) is
// taken from it, as the kernel does. In bf16 the rounding of O alone moves dS by ~2^-9 |dO| |O|, about the
// tolerance, where dP - Di cancels (rows with two or three valid keys).
Reference reference(const HostProblem& h, const std::vector<double>* backward_out = nullptr) {
  const int64_t BH = h.shape.problems(), L = h.shape.length, D = h.shape.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  Reference r;
  r.out.assign(BH * L * D, 0.0), r.lse.assign(BH * L, 0.0);
  r.dq.assign(BH * L * D, 0.0), r.dk.assign(BH * L * D, 0.0), r.dv.assign(BH * L * D, 0.0);
  r.dbias.assign(BH * L * L, 0.0);
  std::vector<double> p(L * L), ds(L * L);
  for (int64_t n = 0; n < BH; ++n) {
    const int64_t b = n / h.shape.heads, rows = n * L;
    auto at = [&](const std::vector<double>& x, int64_t i, int64_t c) { return x[(rows + i) * D + c]; };
    for (int64_t i = 0; i < L; ++i) {
      double row_max = -INFINITY;
      for (int64_t j = 0; j < L; ++j) {
        double s = -INFINITY;
        if (h.padding.empty() || !h.padding[b * L + j]) {
          s = 0.0;
          for (int64_t c = 0; c < D; ++c) s += at(h.q, i, c) * at(h.k, j, c);
          s *= scale;
          if (!h.bias.empty()) s += h.bias[(rows + i) * L + j];
        }
        p[i * L + j] = s;
        row_max = std::max(row_max, s);
      }
      if (row_max == -INFINITY) {  // every key padding: output 0, lse +inf, P 0 (kernels.hpp)
        r.lse[rows + i] = INFINITY;
        for (int64_t j = 0; j < L; ++j) p[i * L + j] = 0.0;
        continue;
      }
      double sum = 0.0;
      for (int64_t j = 0; j < L; ++j) sum += std::exp(p[i * L + j] - row_max);
      r.lse[rows + i] = row_max + std::log(sum);
      for (int64_t j = 0; j < L; ++j) p[i * L + j] = std::exp(p[i * L + j] - r.lse[rows + i]);
      for (int64_t c = 0; c < D; ++c)
        for (int64_t j = 0; j < L; ++j) r.out[(rows + i) * D + c] += p[i * L + j] * at(h.v, j, c);
    }
    for (int64_t i = 0; i < L; ++i) {
      double di = 0.0;
      const std::vector<double>& o = backward_out ? *backward_out : r.out;
      for (int64_t c = 0; c < D; ++c) di += at(h.dout, i, c) * o[(rows + i) * D + c];
      for (int64_t j = 0; j < L; ++j) {
        double dp = 0.0;
        for (int64_t c = 0; c < D; ++c) dp += at(h.dout, i, c) * at(h.v, j, c);
        ds[i * L + j] = p[i * L + j] * (dp - di);
        r.dbias[(rows + i) * L + j] = ds[i * L + j];
      }
    }
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < L; ++j)
        for (int64_t c = 0; c < D; ++c) {
          r.dq[(rows + i) * D + c] += ds[i * L + j] * at(h.k, j, c) * scale;
          r.dk[(rows + j) * D + c] += ds[i * L + j] * at(h.q, i, c) * scale;
          r.dv[(rows + j) * D + c] += p[i * L + j] * at(h.dout, i, c);
        }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// bf16 on the host: round to nearest even, as __float2bfloat16 does.

uint16_t to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u += 0x7fffu + ((u >> 16) & 1u);  // inputs here are finite
  return static_cast<uint16_t>(u >> 16);
}

float from_bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

// ---------------------------------------------------------------------------------------------------------
// Device buffers. Each has kGuard extra elements, and the whole allocation starts as 0xFF bytes (NaN in f32
// and bf16): an element a kernel should write but does not stays NaN, and a write past the end shows in the
// guard. `offset` elements before the data (1: the data is not 16-byte aligned, cudaMalloc's 256-byte
// alignment plus one element) send the kernels down their scalar staging path.

constexpr int64_t kGuard = 64;

void check_cuda(cudaError_t err, const char* what) {
  ASSERT_EQ(err, cudaSuccess) << what << ": " << cudaGetErrorString(err);
}

class DeviceBuffer {
 public:
  DeviceBuffer(int64_t elements, int64_t element_bytes, int64_t offset = 0)
      : elements_(elements),
        element_bytes_(element_bytes),
        offset_bytes_(offset * element_bytes),
        bytes_((elements + kGuard) * element_bytes) {
    check_cuda(cudaMalloc(&ptr_, offset_bytes_ + bytes_), "cudaMalloc");
    check_cuda(cudaMemset(ptr_, 0xFF, offset_bytes_ + bytes_), "cudaMemset");
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return static_cast<uint8_t*>(ptr_) + offset_bytes_; }
  void upload(const void* host) {
    check_cuda(cudaMemcpy(get(), host, elements_ * element_bytes_, cudaMemcpyHostToDevice), "upload");
  }
  // The data and the guard after it (not the offset before it).
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> host(bytes_);
    check_cuda(cudaMemcpy(host.data(), get(), bytes_, cudaMemcpyDeviceToHost), "download");
    return host;
  }
  bool guard_intact() const {
    const std::vector<uint8_t> all = bytes();
    return std::all_of(all.begin() + elements_ * element_bytes_, all.end(), [](uint8_t b) { return b == 0xFF; });
  }
  // The first `elements` values as doubles; element type f32 or bf16 (by element size).
  std::vector<double> values() const {
    const std::vector<uint8_t> all = bytes();
    std::vector<double> out(elements_);
    for (int64_t n = 0; n < elements_; ++n) out[n] = value_at(all, n);
    return out;
  }
  // Element n of a download from bytes().
  double value_at(const std::vector<uint8_t>& all, int64_t n) const {
    if (element_bytes_ == 4) {
      float x;
      std::memcpy(&x, all.data() + 4 * n, 4);
      return x;
    }
    uint16_t x;
    std::memcpy(&x, all.data() + 2 * n, 2);
    return from_bf16(x);
  }
  int64_t elements() const { return elements_; }
  int64_t element_bytes() const { return element_bytes_; }

 private:
  void* ptr_ = nullptr;
  int64_t elements_, element_bytes_, offset_bytes_, bytes_;
};

// max |got - ref| / max(max |ref|, 1), NaN (a missing write) counting as infinitely wrong. The floor of 1: the
// inputs are unit normals, so every output is of order 1 unless it vanishes identically (L = 1: P = 1, so
// dS = dP - Di = 0 and dQ, dK, dbias are rounding noise around 0).
double max_relative_error(const std::vector<double>& got, const std::vector<double>& ref) {
  double diff = 0.0, scale = 1.0;
  for (size_t n = 0; n < ref.size(); ++n) {
    if (std::isfinite(ref[n])) scale = std::max(scale, std::abs(ref[n]));
    if (got[n] == ref[n]) continue;  // equal, infinities too (a fully padded row's lse)
    const double d = std::abs(got[n] - ref[n]);
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
  }
  return diff / scale;
}

struct Options {
  Precision precision = Precision::f32;
  bool bias = false, padding = false;
  bool empty_batch = false;       // with padding: every key of batch element 0 is padding (its rows give zeros)
  int64_t misalign = 0;           // elements by which q, k, v, bias and dout start past an aligned address
  cudaStream_t stream = nullptr;  // where forward and backward run (nullptr: the default stream)
};

// Random inputs, rounded to the tested precision; padding keeps at least one key per batch row (except batch
// element 0 with empty_batch).
HostProblem random_problem(const AttentionShape& shape, const Options& o, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  auto draw = [&](int64_t n) {
    std::vector<double> x(n);
    for (auto& e : x) {
      const float f = normal(rng);
      e = o.precision == Precision::bf16 ? from_bf16(to_bf16(f)) : f;
    }
    return x;
  };
  const int64_t rows = shape.problems() * shape.length, L = shape.length;
  HostProblem h;
  h.shape = shape;
  h.q = draw(rows * shape.head_dim), h.k = draw(rows * shape.head_dim), h.v = draw(rows * shape.head_dim);
  h.dout = draw(rows * shape.head_dim);
  if (o.bias) h.bias = draw(rows * L);
  if (o.padding) {
    std::bernoulli_distribution padded(0.3);
    h.padding.assign(shape.batch * L, 0);
    for (int64_t b = 0; b < shape.batch; ++b) {
      for (int64_t j = 0; j < L; ++j) h.padding[b * L + j] = padded(rng);
      const auto row = h.padding.begin() + b * L;
      if (std::all_of(row, row + L, [](uint8_t x) { return x != 0; })) row[rng() % L] = 0;
    }
    if (o.empty_batch) std::fill(h.padding.begin(), h.padding.begin() + L, uint8_t{1});
  }
  return h;
}

// A device copy of host values in the tested precision, `misalign` elements past an aligned address (empty
// input: no buffer).
std::unique_ptr<DeviceBuffer> device_copy(const std::vector<double>& x, Precision precision, int64_t misalign = 0) {
  if (x.empty()) return nullptr;
  if (precision == Precision::f32) {
    std::vector<float> f(x.begin(), x.end());
    auto buffer = std::make_unique<DeviceBuffer>(x.size(), 4, misalign);
    buffer->upload(f.data());
    return buffer;
  }
  std::vector<uint16_t> h(x.size());
  for (size_t n = 0; n < x.size(); ++n) h[n] = to_bf16(static_cast<float>(x[n]));
  auto buffer = std::make_unique<DeviceBuffer>(x.size(), 2, misalign);
  buffer->upload(h.data());
  return buffer;
}

// f32: float accumulation over at most 128 keys and 64 dimensions, relative to each tensor's largest entry,
// stays near 1e-6 (sums of ~100 terms with rounding 6e-8 each). bf16: one rounding of each output (2^-9 =
// 2e-3 relative) on top of float accumulation; the reference backward uses the same rounded O (see reference()).
double tolerance(Precision p) { return p == Precision::f32 ? 1e-5 : 1e-2; }

// Runs forward and backward on the GPU and compares every output with the float64 reference.
void check_against_reference(const AttentionShape& shape, const Options& o, uint32_t seed) {
  const HostProblem h = random_problem(shape, o, seed);
  const int64_t element = o.precision == Precision::f32 ? 4 : 2;
  const int64_t rows = shape.problems() * shape.length, values = rows * shape.head_dim;

  const int64_t m = o.misalign;
  auto q = device_copy(h.q, o.precision, m), k = device_copy(h.k, o.precision, m);
  auto v = device_copy(h.v, o.precision, m), dout = device_copy(h.dout, o.precision, m);
  auto bias = device_copy(h.bias, o.precision, m);
  if (m != 0) {
    for (const DeviceBuffer* b : {q.get(), k.get(), v.get(), dout.get(), bias.get()})
      if (b) {
        ASSERT_NE(reinterpret_cast<uintptr_t>(b->get()) % 16, 0u) << "meant to be misaligned";
      }
  }
  std::unique_ptr<DeviceBuffer> padding;
  if (!h.padding.empty()) {
    padding = std::make_unique<DeviceBuffer>(h.padding.size(), 1);
    padding->upload(h.padding.data());
  }
  AttentionInputs in;
  in.shape = shape;
  in.q = q->get(), in.k = k->get(), in.v = v->get();
  in.bias = bias ? bias->get() : nullptr;
  in.key_padding = padding ? static_cast<const uint8_t*>(padding->get()) : nullptr;

  DeviceBuffer out(values, element), lse(rows, 4);
  ASSERT_EQ(attention_forward_cuda(o.precision, in, out.get(), static_cast<float*>(lse.get()), o.stream), "");
  check_cuda(o.stream ? cudaStreamSynchronize(o.stream) : cudaDeviceSynchronize(), "forward");
  const std::vector<double> gpu_out = out.values();
  const Reference ref = reference(h, &gpu_out);
  const double tol = tolerance(o.precision);
  EXPECT_LT(max_relative_error(gpu_out, ref.out), tol) << "out";
  EXPECT_LT(max_relative_error(lse.values(), ref.lse), tol) << "lse";
  EXPECT_TRUE(out.guard_intact() && lse.guard_intact()) << "forward wrote past its outputs";

  DeviceBuffer dq(values, element), dk(values, element), dv(values, element), dbias(rows * shape.length, element);
  AttentionGradients grads;
  grads.dq = dq.get(), grads.dk = dk.get(), grads.dv = dv.get();
  grads.dbias = o.bias ? dbias.get() : nullptr;
  ASSERT_EQ(attention_backward_cuda(o.precision, in, out.get(), static_cast<const float*>(lse.get()), dout->get(),
                                    grads, o.stream),
            "");
  check_cuda(o.stream ? cudaStreamSynchronize(o.stream) : cudaDeviceSynchronize(), "backward");
  EXPECT_LT(max_relative_error(dq.values(), ref.dq), tol) << "dq";
  EXPECT_LT(max_relative_error(dk.values(), ref.dk), tol) << "dk";
  EXPECT_LT(max_relative_error(dv.values(), ref.dv), tol) << "dv";
  EXPECT_TRUE(dq.guard_intact() && dk.guard_intact() && dv.guard_intact()) << "backward wrote past dq, dk, dv";
  if (o.bias) {
    EXPECT_LT(max_relative_error(dbias.values(), ref.dbias), tol) << "dbias";
    EXPECT_TRUE(dbias.guard_intact()) << "backward wrote past dbias";
  } else {
    const std::vector<uint8_t> untouched = dbias.bytes();
    EXPECT_TRUE(std::all_of(untouched.begin(), untouched.end(), [](uint8_t b) { return b == 0xFF; }))
        << "dbias written although not requested";
  }
}

// ---------------------------------------------------------------------------------------------------------
// The grid: per precision and length, every head dimension with and without bias and padding. 3 x 13 = 39
// problems: several groups per block for small L, and a partly filled last group.

struct GridCase {
  Precision precision;
  int length;
};

std::string name_of(const GridCase& c) {
  return std::string(c.precision == Precision::f32 ? "f32" : "bf16") + "_L" + std::to_string(c.length);
}

void PrintTo(const GridCase& c, std::ostream* os) { *os << name_of(c); }  // ctest's listing of the case

class AttentionKernelsGpu : public ::testing::TestWithParam<GridCase> {
 protected:
  void SetUp() override {
    if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  }
};

class AttentionKernelsOnGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda_device_available()) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(AttentionKernelsGpu, MatchesFloat64Reference) {
  const GridCase c = GetParam();
  uint32_t seed = 1000 + c.length;
  for (int64_t d : {16, 32, 64})
    for (bool bias : {false, true})
      for (bool padding : {false, true}) {
        SCOPED_TRACE("d=" + std::to_string(d) + (bias ? " bias" : "") + (padding ? " padding" : ""));
        Options o;
        o.precision = c.precision, o.bias = bias, o.padding = padding;
        check_against_reference(shape_of(3, 13, c.length, d), o, ++seed);
      }
}

std::vector<GridCase> grid_cases() {
  std::vector<GridCase> cases;
  for (Precision p : {Precision::f32, Precision::bf16})
    // 5, 7, 9, 15: partly filled length buckets (LMAX 8 and 16: a team's lanes past L hold no key).
    for (int L : {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 32, 33, 64, 100, 128}) cases.push_back({p, L});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Grid, AttentionKernelsGpu, ::testing::ValuesIn(grid_cases()),
                         [](const ::testing::TestParamInfo<GridCase>& info) { return name_of(info.param); });

// More than 65535 (batch, head) problems: the grid must not be limited like gridDim.y.
TEST_F(AttentionKernelsOnGpu, ManyProblemsBeyondGridYLimit) {
  for (Precision p : {Precision::f32, Precision::bf16}) {
    SCOPED_TRACE(p == Precision::f32 ? "f32" : "bf16");
    Options o;
    o.precision = p, o.bias = true, o.padding = true;
    check_against_reference(shape_of(16500, 4, 4, 16), o, 7);
  }
}

// A batch element whose keys are all padding: its rows give zeros (lse +inf) and zero gradients, not NaN, and the
// others are unaffected (the float64 reference treats such rows the same way: kernels.hpp).
TEST_F(AttentionKernelsOnGpu, FullyPaddedRowsGiveZerosAndZeroGradients) {
  for (Precision p : {Precision::f32, Precision::bf16})
    for (int64_t L : {1, 7, 16, 33, 128}) {
      SCOPED_TRACE(std::string(p == Precision::f32 ? "f32" : "bf16") + " L=" + std::to_string(L));
      Options o;
      o.precision = p, o.bias = true, o.padding = true, o.empty_batch = true;
      check_against_reference(shape_of(3, 2, L, 32), o, 900 + static_cast<uint32_t>(L));
    }
}

// A host problem's inputs on the device in the tested precision, its output and gradient buffers (filled with
// 0xFF), and the structs that point at them.
struct DeviceProblem {
  std::unique_ptr<DeviceBuffer> q, k, v, dout, bias, padding;
  DeviceBuffer out, lse, dq, dk, dv, dbias;
  AttentionInputs in;

  DeviceProblem(const HostProblem& h, Precision p)
      : q(device_copy(h.q, p)), k(device_copy(h.k, p)), v(device_copy(h.v, p)), dout(device_copy(h.dout, p)),
        bias(device_copy(h.bias, p)), out(values_of(h), bytes_of(p)), lse(rows_of(h), 4),
        dq(values_of(h), bytes_of(p)), dk(values_of(h), bytes_of(p)), dv(values_of(h), bytes_of(p)),
        dbias(rows_of(h) * h.shape.length, bytes_of(p)) {
    if (!h.padding.empty()) {
      padding = std::make_unique<DeviceBuffer>(static_cast<int64_t>(h.padding.size()), 1);
      padding->upload(h.padding.data());
    }
    in.shape = h.shape;
    in.q = q->get(), in.k = k->get(), in.v = v->get();
    in.bias = bias ? bias->get() : nullptr;
    in.key_padding = padding ? static_cast<const uint8_t*>(padding->get()) : nullptr;
  }
  AttentionGradients gradients(bool with_dbias) const {
    AttentionGradients g;
    g.dq = dq.get(), g.dk = dk.get(), g.dv = dv.get(), g.dbias = with_dbias ? dbias.get() : nullptr;
    return g;
  }
  static int64_t rows_of(const HostProblem& h) { return h.shape.problems() * h.shape.length; }
  static int64_t values_of(const HostProblem& h) { return rows_of(h) * h.shape.head_dim; }
  static int64_t bytes_of(Precision p) { return p == Precision::f32 ? 4 : 2; }
};

// Without dbias the other gradients are unchanged and nothing else is written. Both precisions, with the
// tolerances of check_against_reference (bf16: the reference backward takes the kernel's rounded O).
TEST_F(AttentionKernelsOnGpu, NullDbiasLeavesItAlone) {
  for (Precision p : {Precision::f32, Precision::bf16}) {
    SCOPED_TRACE(p == Precision::f32 ? "f32" : "bf16");
    Options o;
    o.precision = p, o.bias = true;
    const HostProblem h = random_problem(shape_of(2, 3, 8, 16), o, 11);
    DeviceProblem d(h, p);
    ASSERT_EQ(attention_forward_cuda(p, d.in, d.out.get(), static_cast<float*>(d.lse.get()), nullptr), "");
    check_cuda(cudaDeviceSynchronize(), "forward");
    const std::vector<double> gpu_out = d.out.values();
    const Reference ref = reference(h, &gpu_out);
    ASSERT_EQ(attention_backward_cuda(p, d.in, d.out.get(), static_cast<const float*>(d.lse.get()), d.dout->get(),
                                      d.gradients(/*with_dbias=*/false), nullptr),
              "");
    check_cuda(cudaDeviceSynchronize(), "backward");
    const double tol = tolerance(p);
    EXPECT_LT(max_relative_error(d.dq.values(), ref.dq), tol) << "dq";
    EXPECT_LT(max_relative_error(d.dk.values(), ref.dk), tol) << "dk";
    EXPECT_LT(max_relative_error(d.dv.values(), ref.dv), tol) << "dv";
    const std::vector<uint8_t> untouched = d.dbias.bytes();  // not passed: never written
    EXPECT_TRUE(std::all_of(untouched.begin(), untouched.end(), [](uint8_t b) { return b == 0xFF; }));
  }
}

// q, k, v, bias and dout one element past a 16-byte boundary: stage_rows takes its element-by-element path
// (cudaMalloc aligns to 256 bytes, so one element is 4 or 2 bytes off). Lengths across the buckets, the
// longest with the opt-in shared memory of the backward.
TEST_F(AttentionKernelsOnGpu, UnalignedInputsMatchFloat64Reference) {
  uint32_t seed = 300;
  for (Precision p : {Precision::f32, Precision::bf16})
    for (int64_t L : {1, 5, 16, 33, 128})
      for (int64_t d : {16, 32, 64}) {
        SCOPED_TRACE(std::string(p == Precision::f32 ? "f32" : "bf16") + " L=" + std::to_string(L) +
                     " d=" + std::to_string(d));
        Options o;
        o.precision = p, o.bias = true, o.padding = true, o.misalign = 1;
        check_against_reference(shape_of(2, 5, L, d), o, ++seed);
      }
}

// Forward and backward launched on a created stream and synchronized on that stream alone.
TEST_F(AttentionKernelsOnGpu, RunsOnACreatedStream) {
  cudaStream_t stream = nullptr;
  check_cuda(cudaStreamCreate(&stream), "cudaStreamCreate");
  uint32_t seed = 500;
  for (Precision p : {Precision::f32, Precision::bf16})
    for (int64_t L : {7, 64, 128}) {
      SCOPED_TRACE(std::string(p == Precision::f32 ? "f32" : "bf16") + " L=" + std::to_string(L));
      Options o;
      o.precision = p, o.bias = true, o.padding = true, o.stream = stream;
      check_against_reference(shape_of(3, 4, L, 32), o, ++seed);
    }
  check_cuda(cudaStreamDestroy(stream), "cudaStreamDestroy");
}

// A host function that holds its stream until the test opens the gate (or 10 s pass: a missed opening must
// not hang the suite). It makes no CUDA call, as host functions must not.
struct Gate {
  std::atomic<bool> open{false};
};

void CUDART_CB wait_for_gate(void* data) {
  auto* gate = static_cast<Gate*>(data);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!gate->open.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// The launches really go to the stream given: with that stream (non-blocking, so the default stream never
// waits for it) held by a host function, forward and backward must not have run when the default stream has
// drained; once it is released they complete with the right values.
TEST_F(AttentionKernelsOnGpu, LaunchesOnTheGivenStreamNotTheDefaultOne) {
  for (Precision p : {Precision::f32, Precision::bf16}) {
    SCOPED_TRACE(p == Precision::f32 ? "f32" : "bf16");
    Options o;
    o.precision = p, o.bias = true, o.padding = true;
    const HostProblem h = random_problem(shape_of(2, 3, 8, 16), o, 21);
    // Every allocation before the stream is held: cudaFree and cudaMalloc may synchronize the device.
    DeviceProblem d(h, p);
    const AttentionGradients grads = d.gradients(/*with_dbias=*/true);

    cudaStream_t stream = nullptr;
    check_cuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    Gate gate;
    // Opens the gate and drains the stream however this scope ends (an ASSERT included), before any buffer is
    // freed.
    struct Release {
      Gate& gate;
      cudaStream_t stream;
      ~Release() {
        gate.open = true;
        cudaStreamSynchronize(stream);
        cudaStreamDestroy(stream);
      }
    } release{gate, stream};
    check_cuda(cudaLaunchHostFunc(stream, wait_for_gate, &gate), "cudaLaunchHostFunc");
    ASSERT_EQ(attention_forward_cuda(p, d.in, d.out.get(), static_cast<float*>(d.lse.get()), stream), "");
    ASSERT_EQ(attention_backward_cuda(p, d.in, d.out.get(), static_cast<const float*>(d.lse.get()), d.dout->get(),
                                      grads, stream),
              "");
    check_cuda(cudaStreamSynchronize(nullptr), "default stream");
    EXPECT_EQ(cudaStreamQuery(stream), cudaErrorNotReady) << "the held stream finished early";
    cudaGetLastError();  // not-ready is no error, but leave nothing behind for the next launch's check
    for (const DeviceBuffer* b : {&d.out, &d.lse, &d.dq, &d.dk, &d.dv}) {
      const std::vector<uint8_t> all = b->bytes();  // cudaMemcpy: the default stream, does not wait for `stream`
      EXPECT_TRUE(std::all_of(all.begin(), all.end(), [](uint8_t x) { return x == 0xFF; }))
          << "written before the held stream was released: the kernel ran on another stream";
    }
    gate.open = true;
    check_cuda(cudaStreamSynchronize(stream), "held stream");
    const std::vector<double> gpu_out = d.out.values();
    const Reference ref = reference(h, &gpu_out);
    const double tol = tolerance(p);
    EXPECT_LT(max_relative_error(gpu_out, ref.out), tol) << "out";
    EXPECT_LT(max_relative_error(d.lse.values(), ref.lse), tol) << "lse";
    EXPECT_LT(max_relative_error(d.dq.values(), ref.dq), tol) << "dq";
    EXPECT_LT(max_relative_error(d.dk.values(), ref.dk), tol) << "dk";
    EXPECT_LT(max_relative_error(d.dv.values(), ref.dv), tol) << "dv";
    EXPECT_LT(max_relative_error(d.dbias.values(), ref.dbias), tol) << "dbias";
  }
}

// max |got - ref| / max(max |ref|, 1) for a device buffer whose contents repeat `ref` (size divides it).
double periodic_relative_error(const DeviceBuffer& got, const std::vector<double>& ref) {
  const std::vector<uint8_t> all = got.bytes();
  double diff = 0.0, scale = 1.0;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  const int64_t period = static_cast<int64_t>(ref.size());
  for (int64_t n = 0; n < got.elements(); ++n) {
    const double d = std::abs(got.value_at(all, n) - ref[n % period]);
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
  }
  return diff / scale;
}

// Fills a device buffer with copies of its first `period` elements (already uploaded), doubling on the device.
void repeat_on_device(DeviceBuffer& b, int64_t period) {
  auto* base = static_cast<uint8_t*>(b.get());
  const int64_t eb = b.element_bytes();
  for (int64_t filled = period; filled < b.elements();) {
    const int64_t n = std::min(filled, b.elements() - filled);
    check_cuda(cudaMemcpy(base + filled * eb, base, n * eb, cudaMemcpyDeviceToDevice), "repeat");
    filled += n;
  }
}

// The largest grid the tests afford. The launch caps the grid at INT_MAX blocks and loops grid-stride beyond
// that; with the problems per block of plan(), reaching the loop's second iteration needs more than 2^31
// blocks of whole problems (terabytes), so no test here can exercise it. What this checks instead: a grid of
// more than 65535 blocks in both kernels (L = 61, d = 16: one problem per block, forward 12.4 KB and backward
// 32 KB of shared memory against the 24 KB target), i.e. blockIdx.x past any 16-bit limit and the block's first
// problem computed in 64 bits. The inputs repeat a period of 257 distinct problems (heads = 1, so the padding
// row repeats with them), so the float64 reference is computed once per period. f32, ~2 GB of device memory.
TEST_F(AttentionKernelsOnGpu, GridOfMoreThan65535Blocks) {
  const int64_t period = 257, L = 61, D = 16;
  const int64_t problems = 65536 + 37;  // > 65535 blocks at one problem per block
  Options o;
  o.padding = true;
  const HostProblem h = random_problem(shape_of(period, 1, L, D), o, 4242);
  const Reference ref = reference(h);

  const int64_t rows = problems * L, values = rows * D;
  auto full_copy = [&](const std::vector<double>& x) {
    auto b = std::make_unique<DeviceBuffer>(values, 4);
    const std::vector<float> f(x.begin(), x.end());
    check_cuda(cudaMemcpy(b->get(), f.data(), f.size() * 4, cudaMemcpyHostToDevice), "upload period");
    repeat_on_device(*b, static_cast<int64_t>(f.size()));
    return b;
  };
  auto q = full_copy(h.q), k = full_copy(h.k), v = full_copy(h.v), dout = full_copy(h.dout);
  DeviceBuffer padding(problems * L, 1);
  check_cuda(cudaMemcpy(padding.get(), h.padding.data(), h.padding.size(), cudaMemcpyHostToDevice), "padding");
  repeat_on_device(padding, static_cast<int64_t>(h.padding.size()));

  AttentionInputs in;
  in.shape = shape_of(problems, 1, L, D);
  in.q = q->get(), in.k = k->get(), in.v = v->get();
  in.key_padding = static_cast<const uint8_t*>(padding.get());
  DeviceBuffer out(values, 4), lse(rows, 4), dq(values, 4), dk(values, 4), dv(values, 4);
  ASSERT_EQ(attention_forward_cuda(Precision::f32, in, out.get(), static_cast<float*>(lse.get()), nullptr), "");
  check_cuda(cudaDeviceSynchronize(), "forward");
  AttentionGradients grads;
  grads.dq = dq.get(), grads.dk = dk.get(), grads.dv = dv.get();
  ASSERT_EQ(attention_backward_cuda(Precision::f32, in, out.get(), static_cast<const float*>(lse.get()),
                                    dout->get(), grads, nullptr),
            "");
  check_cuda(cudaDeviceSynchronize(), "backward");
  const double tol = tolerance(Precision::f32);
  EXPECT_LT(periodic_relative_error(out, ref.out), tol) << "out";
  EXPECT_LT(periodic_relative_error(lse, ref.lse), tol) << "lse";
  EXPECT_LT(periodic_relative_error(dq, ref.dq), tol) << "dq";
  EXPECT_LT(periodic_relative_error(dk, ref.dk), tol) << "dk";
  EXPECT_LT(periodic_relative_error(dv, ref.dv), tol) << "dv";
  EXPECT_TRUE(out.guard_intact() && lse.guard_intact() && dq.guard_intact() && dk.guard_intact() &&
              dv.guard_intact())
      << "wrote past an output";
}

#endif  // MIMO_HAVE_CUDA_KERNELS

}  // namespace
