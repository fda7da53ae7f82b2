#include "transformer/attention/cpu_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace mimo::tf::kernels {

namespace {

// One problem's slices of the [B, H, ...] buffers.
template <typename T>
struct ProblemView {
  const T* q;
  const T* k;
  const T* v;
  const T* bias;          // [L, L] or null
  const uint8_t* padding;  // [L] or null
};

template <typename T>
ProblemView<T> view_of(const AttentionInputs& in, int64_t problem) {
  const auto& s = in.shape;
  const int64_t L = s.length, d = s.head_dim, tile = L * d;
  const int64_t batch = problem / s.heads;
  return {static_cast<const T*>(in.q) + problem * tile, static_cast<const T*>(in.k) + problem * tile,
          static_cast<const T*>(in.v) + problem * tile,
          in.bias ? static_cast<const T*>(in.bias) + problem * L * L : nullptr,
          in.key_padding ? in.key_padding + batch * L : nullptr};
}

// Per-problem scratch: K and V transposed to [d, L], so that a row of scores (or of dO V^T) is a sum of
// d scaled rows of length L, which vectorizes without reassociating a dot product.
template <typename T>
struct Scratch {
  std::vector<T> kt, vt, row, grad;
  explicit Scratch(int64_t L, int64_t d) : kt(L * d), vt(L * d), row(L), grad(L) {}
  void load(const ProblemView<T>& p, int64_t L, int64_t d, bool with_v) {
    for (int64_t j = 0; j < L; ++j)
      for (int64_t t = 0; t < d; ++t) {
        kt[t * L + j] = p.k[j * d + t];
        if (with_v) vt[t * L + j] = p.v[j * d + t];
      }
  }
};

// out[j] = sum_t a[t] * mt[t, j] for mt [d, L].
template <typename T>
void row_times(const T* a, const T* mt, int64_t L, int64_t d, T* out) {
  std::fill(out, out + L, T(0));
  for (int64_t t = 0; t < d; ++t) {
    const T at = a[t];
    const T* m = mt + t * L;
    for (int64_t j = 0; j < L; ++j) out[j] += at * m[j];
  }
}

// Row i of S = Q K^T / sqrt(d) + bias, padded keys at -inf.
template <typename T>
void score_row(const ProblemView<T>& p, const Scratch<T>& w, int64_t i, int64_t L, int64_t d, T scale, T* row) {
  row_times(p.q + i * d, w.kt.data(), L, d, row);
  for (int64_t j = 0; j < L; ++j) {
    row[j] = row[j] * scale + (p.bias ? p.bias[i * L + j] : T(0));
    if (p.padding && p.padding[j]) row[j] = -std::numeric_limits<T>::infinity();
  }
}

}  // namespace

template <typename T>
void attention_forward_cpu(const AttentionInputs& in, T* out, T* lse, int64_t first, int64_t last) {
  const int64_t L = in.shape.length, d = in.shape.head_dim;
  const T scale = T(1) / std::sqrt(static_cast<T>(d));
  Scratch<T> w(L, d);
  T* row = w.row.data();
  for (int64_t problem = first; problem < last; ++problem) {
    const auto p = view_of<T>(in, problem);
    w.load(p, L, d, /*with_v=*/false);
    T* o = out + problem * L * d;
    for (int64_t i = 0; i < L; ++i) {
      score_row(p, w, i, L, d, scale, row);
      const T m = *std::max_element(row, row + L);
      T* oi = o + i * d;
      std::fill(oi, oi + d, T(0));
      if (m == -std::numeric_limits<T>::infinity()) {  // every key padding: output 0, lse +inf (kernels.hpp)
        lse[problem * L + i] = std::numeric_limits<T>::infinity();
        continue;
      }
      T sum = 0;
      for (int64_t j = 0; j < L; ++j) sum += (row[j] = std::exp(row[j] - m));
      const T inv = T(1) / sum;
      for (int64_t j = 0; j < L; ++j) {
        const T pj = row[j] * inv;
        const T* vj = p.v + j * d;
        for (int64_t t = 0; t < d; ++t) oi[t] += pj * vj[t];
      }
      lse[problem * L + i] = m + std::log(sum);
    }
  }
}

template <typename T>
void attention_backward_cpu(const AttentionInputs& in, const T* out, const T* lse, const T* dout,
                            const AttentionGradients& grads, int64_t first, int64_t last) {
  const int64_t L = in.shape.length, d = in.shape.head_dim;
  const T scale = T(1) / std::sqrt(static_cast<T>(d));
  Scratch<T> w(L, d);
  T *ds = w.row.data(), *dp = w.grad.data();
  for (int64_t problem = first; problem < last; ++problem) {
    const auto p = view_of<T>(in, problem);
    w.load(p, L, d, /*with_v=*/true);
    const int64_t at = problem * L * d;
    T* dq = static_cast<T*>(grads.dq) + at;
    T* dk = static_cast<T*>(grads.dk) + at;
    T* dv = static_cast<T*>(grads.dv) + at;
    T* dbias = grads.dbias ? static_cast<T*>(grads.dbias) + problem * L * L : nullptr;
    std::fill(dq, dq + L * d, T(0));
    std::fill(dk, dk + L * d, T(0));
    std::fill(dv, dv + L * d, T(0));
    for (int64_t i = 0; i < L; ++i) {
      // P's row from the saved log-sum-exp; then dS = P (dP - <dO_i, O_i>) with dP = dO V^T.
      score_row(p, w, i, L, d, scale, ds);
      const T row_lse = lse[problem * L + i];
      const T* doi = dout + at + i * d;
      const T* oi = out + at + i * d;
      T di = 0;
      for (int64_t t = 0; t < d; ++t) di += doi[t] * oi[t];
      row_times(doi, w.vt.data(), L, d, dp);
      for (int64_t j = 0; j < L; ++j) {
        const T pij = std::exp(ds[j] - row_lse);  // exp(-inf) = 0 for padded keys, and for a row of them (lse +inf)
        T* dvj = dv + j * d;
        for (int64_t t = 0; t < d; ++t) dvj[t] += pij * doi[t];
        ds[j] = pij * (dp[j] - di);
      }
      if (dbias) std::copy(ds, ds + L, dbias + i * L);
      T* dqi = dq + i * d;
      const T* qi = p.q + i * d;
      for (int64_t j = 0; j < L; ++j) {
        const T g = ds[j] * scale;
        const T* kj = p.k + j * d;
        T* dkj = dk + j * d;
        for (int64_t t = 0; t < d; ++t) {
          dqi[t] += g * kj[t];
          dkj[t] += g * qi[t];
        }
      }
    }
  }
}

template void attention_forward_cpu<float>(const AttentionInputs&, float*, float*, int64_t, int64_t);
template void attention_forward_cpu<double>(const AttentionInputs&, double*, double*, int64_t, int64_t);
template void attention_backward_cpu<float>(const AttentionInputs&, const float*, const float*, const float*,
                                            const AttentionGradients&, int64_t, int64_t);
template void attention_backward_cpu<double>(const AttentionInputs&, const double*, const double*, const double*,
                                             const AttentionGradients&, int64_t, int64_t);

}  // namespace mimo::tf::kernels
