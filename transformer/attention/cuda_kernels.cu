// The fused attention kernels of kernels.hpp on CUDA: many tiny (batch, head) problems, each held whole in
// shared memory by one thread block, so Q, K, V (and dO) cross the memory bus once and the [L, L] scores never
// leave the chip.
//
// Work split. A block of kThreads threads owns `group` consecutive problems (several when L is small, so a
// block has enough rows to keep its warps busy) and loops over such groups grid-stride. Their Q, K, V rows are
// copied into shared memory as float, each row padded to D + 1 floats: lanes that walk down a column of a tile
// (one lane per key) then hit distinct banks. A "team" of W = min(LMAX, 32) lanes handles one score row at a
// time, lanes over keys for the scores and softmax (shuffle max and sum within the team) and lanes over the
// head dimension for the products with V (or K, Q, dO), the probabilities passed around by shuffles.
//
// Backward recomputes P = exp(S - lse) row by row (phase 1: dQ, dbias and P kept in shared memory), then walks
// the key rows (phase 2: dK = dS^T Q, dV = P^T dO with dS rebuilt from P and one dot product). A block owns
// whole problems, so every output element has exactly one writer and no atomics are needed.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "transformer/attention/kernels.hpp"

namespace mimo::tf::kernels {
namespace {

constexpr int kThreads = 256;  // 8 warps: enough teams for a group's rows, small enough for 8 blocks per SM
constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;
// Shared memory a block aims for when several problems fit: ~8 such blocks fill an H100 SM (228 KiB, 2048
// threads). Problems larger than this get a block each (up to ~195 KiB: backward, L = 128, d = 64).
constexpr int64_t kTargetSharedBytes = 24 * 1024;
constexpr size_t kDefaultSharedLimit = 48 * 1024;  // above this a kernel must opt in

// ---------------------------------------------------------------------------------------------------------
// Element access: everything is computed in float, T is only how global memory stores it.

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ void store(float* p, float x) { *p = x; }
__device__ __forceinline__ void store(__nv_bfloat16* p, float x) { *p = __float2bfloat16(x); }

// Sixteen bytes of global memory as floats (4 f32 or 8 bf16 values); `src` must be 16-byte aligned.
__device__ __forceinline__ void load16(const float* src, float* dst) {
  const float4 x = *reinterpret_cast<const float4*>(src);
  dst[0] = x.x, dst[1] = x.y, dst[2] = x.z, dst[3] = x.w;
}
__device__ __forceinline__ void load16(const __nv_bfloat16* src, float* dst) {
  const uint4 raw = *reinterpret_cast<const uint4*>(src);
  const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const float2 x = __bfloat1622float2(pairs[k]);
    dst[2 * k] = x.x, dst[2 * k + 1] = x.y;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tiles in shared memory.

// Row stride of a staged [rows, D] tile: odd, so lanes reading one column of consecutive rows use distinct banks.
template <int D>
constexpr int kTileStride = D + 1;

// Copies `rows` rows of D contiguous elements from global memory into a shared tile (stride D + 1), with
// 16-byte loads when the source is aligned. A group's rows are contiguous and start at a multiple of L * D
// elements (>= 32 bytes), so alignment depends only on the base pointer, the same for the whole block.
template <typename T, int D>
__device__ void stage_rows(float* tile, const T* __restrict__ src, int rows) {
  constexpr int kPerLoad = 16 / sizeof(T);
  constexpr int kLoadsPerRow = D / kPerLoad;
  static_assert(D % kPerLoad == 0, "a 16-byte load must stay within one row");
  constexpr int S = kTileStride<D>;
  if (reinterpret_cast<uintptr_t>(src) % 16 == 0) {
    for (int n = threadIdx.x; n < rows * kLoadsPerRow; n += blockDim.x) {
      const int r = n / kLoadsPerRow, c = (n % kLoadsPerRow) * kPerLoad;
      float x[kPerLoad];
      load16(src + static_cast<int64_t>(r) * D + c, x);
#pragma unroll
      for (int e = 0; e < kPerLoad; ++e) tile[r * S + c + e] = x[e];
    }
  } else {
    for (int n = threadIdx.x; n < rows * D; n += blockDim.x) tile[(n / D) * S + n % D] = to_float(src[n]);
  }
}

// Dot product of two staged rows of length D.
template <int D>
__device__ __forceinline__ float dot_rows(const float* a, const float* b) {
  float acc = 0.f;
#pragma unroll
  for (int c = 0; c < D; ++c) acc = fmaf(a[c], b[c], acc);
  return acc;
}

// ---------------------------------------------------------------------------------------------------------
// Teams: W lanes of a warp that together handle one row of L <= LMAX scores. All loops containing shuffles
// have trip counts uniform over the warp (they depend only on L, D and the warp's row base), as __shfl_sync
// with the full mask requires.

template <int LMAX, int D>
struct Team {
  static constexpr int kWidth = LMAX < kWarpSize ? LMAX : kWarpSize;  // lanes per row
  static constexpr int kPerWarp = kWarpSize / kWidth;                  // rows a warp handles at once
  static constexpr int kRowsPerPass = kPerWarp * (kThreads / kWarpSize);
  static constexpr int kKeysPerLane = LMAX / kWidth;             // lane t of a team: keys t, t + W, ...
  static constexpr int kDimsPerLane = (D + kWidth - 1) / kWidth;  // lane t: dims t, t + W, ... (< D)
  static_assert(LMAX % kWidth == 0 && kWarpSize % kWidth == 0, "LMAX must be a power of two");

  int lane;       // lane within the team
  int slot;       // which of the warp's teams: the warp's rows in a pass are base + slot
  int warp_base;  // base of the warp's first pass

  __device__ Team() {
    const int warp_lane = threadIdx.x % kWarpSize;
    lane = warp_lane % kWidth;
    slot = warp_lane / kWidth;
    warp_base = (threadIdx.x / kWarpSize) * kPerWarp;
  }
};

template <int W>
__device__ __forceinline__ float team_max(float x) {
#pragma unroll
  for (int offset = W / 2; offset > 0; offset /= 2) x = fmaxf(x, __shfl_xor_sync(kFullMask, x, offset, W));
  return x;
}

template <int W>
__device__ __forceinline__ float team_sum(float x) {
#pragma unroll
  for (int offset = W / 2; offset > 0; offset /= 2) x += __shfl_xor_sync(kFullMask, x, offset, W);
  return x;
}

// acc[u] += sum_j weight_j * tile[j][lane + u W] over j < L, where lane (j mod W) holds weight_j in
// weights[j / W]: the team's lanes switch from "one per key" to "one per output dimension".
template <int LMAX, int D>
__device__ __forceinline__ void team_weighted_rows(const float (&weights)[Team<LMAX, D>::kKeysPerLane],
                                                   const float* tile, int L, int lane,
                                                   float (&acc)[Team<LMAX, D>::kDimsPerLane]) {
  using TeamT = Team<LMAX, D>;
  constexpr int W = TeamT::kWidth, S = kTileStride<D>;
#pragma unroll
  for (int t = 0; t < TeamT::kKeysPerLane; ++t) {
#pragma unroll
    for (int src = 0; src < W; ++src) {
      const float w = __shfl_sync(kFullMask, weights[t], src, W);
      const int j = t * W + src;
      if (j < L) {
#pragma unroll
        for (int u = 0; u < TeamT::kDimsPerLane; ++u) {
          const int c = lane + u * W;
          if (c < D) acc[u] = fmaf(w, tile[j * S + c], acc[u]);
        }
      }
    }
  }
}

// Writes a team's row of D values (acc[u] is dimension lane + u W) times `scale` to global memory.
template <typename T, int LMAX, int D>
__device__ __forceinline__ void store_team_row(T* dst, const float (&acc)[Team<LMAX, D>::kDimsPerLane],
                                               float scale, int lane) {
  using TeamT = Team<LMAX, D>;
#pragma unroll
  for (int u = 0; u < TeamT::kDimsPerLane; ++u) {
    const int c = lane + u * TeamT::kWidth;
    if (c < D) store(dst + c, acc[u] * scale);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scores.

struct Problems {
  int64_t count = 0;  // B * H
  int64_t heads = 0;
  int length = 0;     // L
  int group = 0;      // problems per block
  float scale = 0.f;  // 1 / sqrt(d)
};

// S_ij for one query row and key j (-inf for padding). `row` is the query's global row index (problem * L + i),
// `batch` the problem's batch index.
template <typename T, int D>
__device__ __forceinline__ float score(const float* q_row, const float* k_row, const T* __restrict__ bias,
                                       const uint8_t* __restrict__ key_padding, int64_t row, int64_t batch,
                                       int j, int L, float scale) {
  if (key_padding && key_padding[batch * L + j]) return -INFINITY;
  float s = dot_rows<D>(q_row, k_row) * scale;
  if (bias) s += to_float(bias[row * L + j]);
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Forward.

template <typename T>
struct ForwardArgs {
  const T* q;
  const T* k;
  const T* v;
  const T* bias;
  const uint8_t* key_padding;
  T* out;
  float* lse;
  Problems problems;
};

// Shared memory per problem: Q, K, V tiles.
template <int D>
constexpr int64_t forward_floats_per_row() {
  return 3 * kTileStride<D>;
}

template <typename T, int D, int LMAX>
__global__ void __launch_bounds__(kThreads) forward_kernel(ForwardArgs<T> a) {
  using TeamT = Team<LMAX, D>;
  constexpr int W = TeamT::kWidth, S = kTileStride<D>;
  extern __shared__ float shared_mem[];
  const Problems& pr = a.problems;
  const int L = pr.length;
  const int tile_rows = pr.group * L;
  float* q_tile = shared_mem;
  float* k_tile = q_tile + tile_rows * S;
  float* v_tile = k_tile + tile_rows * S;
  const TeamT team;

  for (int64_t first = static_cast<int64_t>(blockIdx.x) * pr.group; first < pr.count;
       first += static_cast<int64_t>(gridDim.x) * pr.group) {
    const int rows = static_cast<int>(min(static_cast<int64_t>(pr.group), pr.count - first)) * L;
    const int64_t first_row = first * L;  // global row index of the group's first query row
    stage_rows<T, D>(q_tile, a.q + first_row * D, rows);
    stage_rows<T, D>(k_tile, a.k + first_row * D, rows);
    stage_rows<T, D>(v_tile, a.v + first_row * D, rows);
    __syncthreads();

    for (int base = team.warp_base; base < rows; base += TeamT::kRowsPerPass) {
      const int wanted = base + team.slot;
      const bool active = wanted < rows;  // inactive teams compute a copy of the last row and write nothing
      const int r = active ? wanted : rows - 1;
      const int problem = r / L;
      const int64_t row = first_row + r;
      const int64_t batch = (first + problem) / pr.heads;
      const float* keys = k_tile + problem * L * S;

      float p[TeamT::kKeysPerLane];
      float row_max = -INFINITY;
#pragma unroll
      for (int t = 0; t < TeamT::kKeysPerLane; ++t) {
        const int j = t * W + team.lane;
        p[t] = j < L ? score<T, D>(q_tile + r * S, keys + j * S, a.bias, a.key_padding, row, batch, j, L, pr.scale)
                     : -INFINITY;
        row_max = fmaxf(row_max, p[t]);
      }
      row_max = team_max<W>(row_max);
      // Every key padding: no distribution. Shifting by 0 keeps exp(-inf) = 0 (not exp(-inf + inf) = NaN); the
      // row's output is 0 and its lse +inf, so the backward's P = exp(S - lse) is 0 too (kernels.hpp).
      const bool empty = row_max == -INFINITY;
      const float shift = empty ? 0.f : row_max;
      float row_sum = 0.f;
#pragma unroll
      for (int t = 0; t < TeamT::kKeysPerLane; ++t) {
        p[t] = expf(p[t] - shift);  // padding and keys past L: exp(-inf) = 0
        row_sum += p[t];
      }
      row_sum = team_sum<W>(row_sum);

      float acc[TeamT::kDimsPerLane] = {};
      team_weighted_rows<LMAX, D>(p, v_tile + problem * L * S, L, team.lane, acc);
      if (active) {
        store_team_row<T, LMAX, D>(a.out + row * D, acc, empty ? 0.f : 1.f / row_sum, team.lane);
        if (team.lane == 0) a.lse[row] = empty ? INFINITY : row_max + logf(row_sum);
      }
    }
    __syncthreads();  // the next group's staging overwrites the tiles
  }
}

// ---------------------------------------------------------------------------------------------------------
// Backward.

template <typename T>
struct BackwardArgs {
  const T* q;
  const T* k;
  const T* v;
  const T* bias;
  const uint8_t* key_padding;
  const T* out;
  const float* lse;
  const T* dout;
  T* dq;
  T* dk;
  T* dv;
  T* dbias;
  Problems problems;
};

// Shared memory per problem row: Q, K, V, dO tiles, a row of P (stride L + 1, odd for the column walks of
// phase 2 when L is even) and Di.
template <int D>
constexpr int64_t backward_floats_per_row(int64_t L) {
  return 4 * kTileStride<D> + (L + 1) + 1;
}

template <typename T, int D, int LMAX>
__global__ void __launch_bounds__(kThreads) backward_kernel(BackwardArgs<T> a) {
  using TeamT = Team<LMAX, D>;
  constexpr int W = TeamT::kWidth, S = kTileStride<D>;
  extern __shared__ float shared_mem[];
  const Problems& pr = a.problems;
  const int L = pr.length, PS = L + 1;
  const int tile_rows = pr.group * L;
  float* q_tile = shared_mem;
  float* k_tile = q_tile + tile_rows * S;
  float* v_tile = k_tile + tile_rows * S;
  float* do_tile = v_tile + tile_rows * S;
  float* p_tile = do_tile + tile_rows * S;  // P[r][j] at r * PS + j, r = problem * L + i
  float* d_tile = p_tile + tile_rows * PS;  // Di = rowsum(dO * O) per row r
  const TeamT team;

  for (int64_t first = static_cast<int64_t>(blockIdx.x) * pr.group; first < pr.count;
       first += static_cast<int64_t>(gridDim.x) * pr.group) {
    const int rows = static_cast<int>(min(static_cast<int64_t>(pr.group), pr.count - first)) * L;
    const int64_t first_row = first * L;
    stage_rows<T, D>(q_tile, a.q + first_row * D, rows);
    stage_rows<T, D>(k_tile, a.k + first_row * D, rows);
    stage_rows<T, D>(v_tile, a.v + first_row * D, rows);
    stage_rows<T, D>(do_tile, a.dout + first_row * D, rows);
    __syncthreads();

    // Phase 1, one team per query row i: P_i, dS_i = P_i (dO_i V^T - Di), dQ_i = dS_i K / sqrt(d), dbias_i = dS_i.
    for (int base = team.warp_base; base < rows; base += TeamT::kRowsPerPass) {
      const int wanted = base + team.slot;
      const bool active = wanted < rows;
      const int r = active ? wanted : rows - 1;
      const int problem = r / L;
      const int64_t row = first_row + r;
      const int64_t batch = (first + problem) / pr.heads;
      const float* keys = k_tile + problem * L * S;
      const float* values = v_tile + problem * L * S;
      const float* dout_row = do_tile + r * S;

      float di = 0.f;
#pragma unroll
      for (int u = 0; u < TeamT::kDimsPerLane; ++u) {
        const int c = team.lane + u * W;
        if (c < D) di = fmaf(dout_row[c], to_float(a.out[row * D + c]), di);
      }
      di = team_sum<W>(di);
      const float lse = a.lse[row];

      float ds[TeamT::kKeysPerLane];
#pragma unroll
      for (int t = 0; t < TeamT::kKeysPerLane; ++t) {
        const int j = t * W + team.lane;
        ds[t] = 0.f;
        if (j < L) {
          const float s = score<T, D>(q_tile + r * S, keys + j * S, a.bias, a.key_padding, row, batch, j, L,
                                      pr.scale);
          const float p = expf(s - lse);  // padding: exp(-inf) = 0; a row of padding has lse +inf: 0 as well
          ds[t] = p * (dot_rows<D>(dout_row, values + j * S) - di);
          if (active) {
            p_tile[r * PS + j] = p;
            if (a.dbias) store(a.dbias + row * L + j, ds[t]);
          }
        }
      }
      float acc[TeamT::kDimsPerLane] = {};
      team_weighted_rows<LMAX, D>(ds, keys, L, team.lane, acc);
      if (active) {
        store_team_row<T, LMAX, D>(a.dq + row * D, acc, pr.scale, team.lane);
        if (team.lane == 0) d_tile[r] = di;
      }
    }
    __syncthreads();

    // Phase 2, one team per key row j, lanes over query rows i: dK_j = sum_i dS_ij Q_i / sqrt(d) and
    // dV_j = sum_i P_ij dO_i, with dS_ij = P_ij (dO_i . V_j - Di) rebuilt from the stored P.
    for (int base = team.warp_base; base < rows; base += TeamT::kRowsPerPass) {
      const int wanted = base + team.slot;
      const bool active = wanted < rows;
      const int r = active ? wanted : rows - 1;  // r = problem * L + j
      const int problem = r / L;
      const int j = r % L;
      const int64_t row = first_row + r;
      const int problem_row = problem * L;  // tile row of the problem's query 0

      float ds[TeamT::kKeysPerLane], p[TeamT::kKeysPerLane];
#pragma unroll
      for (int t = 0; t < TeamT::kKeysPerLane; ++t) {
        const int i = t * W + team.lane;
        ds[t] = p[t] = 0.f;
        if (i < L) {
          const int ri = problem_row + i;
          p[t] = p_tile[ri * PS + j];
          ds[t] = p[t] * (dot_rows<D>(do_tile + ri * S, v_tile + r * S) - d_tile[ri]);
        }
      }
      float dk[TeamT::kDimsPerLane] = {}, dv[TeamT::kDimsPerLane] = {};
      team_weighted_rows<LMAX, D>(ds, q_tile + problem_row * S, L, team.lane, dk);
      team_weighted_rows<LMAX, D>(p, do_tile + problem_row * S, L, team.lane, dv);
      if (active) {
        store_team_row<T, LMAX, D>(a.dk + row * D, dk, pr.scale, team.lane);
        store_team_row<T, LMAX, D>(a.dv + row * D, dv, 1.f, team.lane);
      }
    }
    __syncthreads();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Host side: shape buckets, group sizes, launches.

// Calls f(integral_constant<D>, integral_constant<LMAX>) for the template instance covering the shape (which
// cuda_supports has accepted): LMAX is L rounded up to a power of two, at least 4.
template <typename F>
std::string with_bucket(const AttentionShape& shape, F&& f) {
  auto by_length = [&](auto d) -> std::string {
    const int64_t L = shape.length;
    if (L <= 4) return f(d, std::integral_constant<int, 4>{});
    if (L <= 8) return f(d, std::integral_constant<int, 8>{});
    if (L <= 16) return f(d, std::integral_constant<int, 16>{});
    if (L <= 32) return f(d, std::integral_constant<int, 32>{});
    if (L <= 64) return f(d, std::integral_constant<int, 64>{});
    return f(d, std::integral_constant<int, 128>{});
  };
  switch (shape.head_dim) {
    case 16: return by_length(std::integral_constant<int, 16>{});
    case 32: return by_length(std::integral_constant<int, 32>{});
    default: return by_length(std::integral_constant<int, 64>{});
  }
}

// Problems per block: as many as fit the shared-memory target, at least one.
Problems plan(const AttentionShape& shape, int64_t floats_per_row) {
  Problems pr;
  pr.count = shape.problems();
  pr.heads = shape.heads;
  pr.length = static_cast<int>(shape.length);
  const int64_t bytes_per_problem = floats_per_row * shape.length * static_cast<int64_t>(sizeof(float));
  int64_t group = kTargetSharedBytes / bytes_per_problem;
  if (group < 1) group = 1;
  if (group > pr.count) group = pr.count;
  pr.group = static_cast<int>(group);
  pr.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape.head_dim)));
  return pr;
}

std::string cuda_error(const char* what, cudaError_t err) {
  return std::string(what) + ": " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
}

// Launches kernel(args) over ceil(count / group) blocks (grid-stride beyond INT_MAX) with `floats_per_row`
// floats of shared memory per row of the group, and reports launch errors. `kernel_max_bytes` is the most any
// launch of this instance asks for (one problem of length LMAX): the opt-in is always set to that one value,
// so concurrent launches with different L cannot lower it under each other.
template <typename Args>
std::string launch(void (*kernel)(Args), const Args& args, int64_t floats_per_row, size_t kernel_max_bytes,
                   void* stream) {
  const Problems& pr = args.problems;
  const size_t bytes = static_cast<size_t>(pr.group) * pr.length * floats_per_row * sizeof(float);
  if (bytes > kDefaultSharedLimit) {
    int device = 0, optin = 0;
    cudaError_t err = cudaGetDevice(&device);
    if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
    if (err != cudaSuccess) return cuda_error("attention kernels: querying the device", err);
    if (bytes > static_cast<size_t>(optin))
      return "attention kernels: L = " + std::to_string(pr.length) + " needs " + std::to_string(bytes) +
             " bytes of shared memory per block, the device allows " + std::to_string(optin);
    const size_t limit = kernel_max_bytes < static_cast<size_t>(optin) ? kernel_max_bytes : optin;
    err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(limit));
    if (err != cudaSuccess) return cuda_error("attention kernels: cudaFuncSetAttribute", err);
  }
  const int64_t groups = (pr.count + pr.group - 1) / pr.group;
  const unsigned grid = static_cast<unsigned>(groups < INT_MAX ? groups : INT_MAX);
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  kernel<<<grid, kThreads, bytes, cuda_stream>>>(args);
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? std::string() : cuda_error("attention kernel launch", err);
}

std::string describe(const AttentionShape& s) {
  return "B=" + std::to_string(s.batch) + " H=" + std::to_string(s.heads) + " L=" + std::to_string(s.length) +
         " d=" + std::to_string(s.head_dim);
}

// The checks both entry points share; "" when the call may go ahead.
std::string check_inputs(const char* who, const AttentionInputs& in) {
  if (!cuda_supports(in.shape))
    return std::string(who) + ": unsupported shape " + describe(in.shape) +
           " (the CUDA kernels need L in 1..128 and d in {16, 32, 64})";
  if (in.shape.problems() > 0 && (!in.q || !in.k || !in.v))
    return std::string(who) + ": q, k and v must be device pointers, got a null one";
  return "";
}

template <typename T>
std::string forward_typed(const AttentionInputs& in, void* out, float* lse, void* stream) {
  return with_bucket(in.shape, [&](auto d, auto lmax) {
    constexpr int D = decltype(d)::value, LMAX = decltype(lmax)::value;
    constexpr int64_t floats_per_row = forward_floats_per_row<D>();
    ForwardArgs<T> args{static_cast<const T*>(in.q),    static_cast<const T*>(in.k), static_cast<const T*>(in.v),
                        static_cast<const T*>(in.bias), in.key_padding,              static_cast<T*>(out),
                        lse,                            plan(in.shape, floats_per_row)};
    constexpr size_t max_bytes = LMAX * floats_per_row * sizeof(float);
    return launch(&forward_kernel<T, D, LMAX>, args, floats_per_row, max_bytes, stream);
  });
}

template <typename T>
std::string backward_typed(const AttentionInputs& in, const void* out, const float* lse, const void* dout,
                           const AttentionGradients& grads, void* stream) {
  return with_bucket(in.shape, [&](auto d, auto lmax) {
    constexpr int D = decltype(d)::value, LMAX = decltype(lmax)::value;
    const int64_t floats_per_row = backward_floats_per_row<D>(in.shape.length);
    BackwardArgs<T> args{static_cast<const T*>(in.q),   static_cast<const T*>(in.k),
                         static_cast<const T*>(in.v),   static_cast<const T*>(in.bias),
                         in.key_padding,                static_cast<const T*>(out),
                         lse,                           static_cast<const T*>(dout),
                         static_cast<T*>(grads.dq),     static_cast<T*>(grads.dk),
                         static_cast<T*>(grads.dv),     static_cast<T*>(grads.dbias),
                         plan(in.shape, floats_per_row)};
    constexpr size_t max_bytes = LMAX * backward_floats_per_row<D>(LMAX) * sizeof(float);
    return launch(&backward_kernel<T, D, LMAX>, args, floats_per_row, max_bytes, stream);
  });
}

}  // namespace

bool cuda_supports(const AttentionShape& s) {
  // Keep in sync with no_cuda.cpp.
  return s.batch >= 0 && s.heads >= 0 && s.length >= 1 && s.length <= 128 &&
         (s.head_dim == 16 || s.head_dim == 32 || s.head_dim == 64);
}

bool cuda_device_available() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the error so later calls do not report it
    return false;
  }
  return count > 0;
}

std::string attention_forward_cuda(Precision precision, const AttentionInputs& in, void* out, float* lse,
                                   void* stream) {
  if (std::string err = check_inputs("attention_forward_cuda", in); !err.empty()) return err;
  if (in.shape.problems() == 0) return "";
  if (!out || !lse) return "attention_forward_cuda: out and lse must be device pointers, got a null one";
  return precision == Precision::f32 ? forward_typed<float>(in, out, lse, stream)
                                     : forward_typed<__nv_bfloat16>(in, out, lse, stream);
}

std::string attention_backward_cuda(Precision precision, const AttentionInputs& in, const void* out,
                                    const float* lse, const void* dout, const AttentionGradients& grads,
                                    void* stream) {
  if (std::string err = check_inputs("attention_backward_cuda", in); !err.empty()) return err;
  if (in.shape.problems() == 0) return "";
  if (!out || !lse || !dout || !grads.dq || !grads.dk || !grads.dv)
    return "attention_backward_cuda: out, lse, dout, dq, dk and dv must be device pointers, got a null one";
  return precision == Precision::f32 ? backward_typed<float>(in, out, lse, dout, grads, stream)
                                     : backward_typed<__nv_bfloat16>(in, out, lse, dout, grads, stream);
}

}  // namespace mimo::tf::kernels
