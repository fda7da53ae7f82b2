#pragma once
// The generator's SIMD kernel (channel/generator_kernel.cpp): draws the bits, symbols, channel, noise and CSI
// error of a range of samples, vectorized across samples (one sample per lane, structure of arrays inside), with
// Highway's runtime dispatch to the best instruction set of the CPU. Every output is bit-identical on every
// target (see simd/random-inl.h); which counter each draw uses is fixed by SampleDraws (channel/random.hpp).
#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "channel/random.hpp"

namespace mimo {

struct KernelJob {
  // The run.
  uint64_t seed = 0;
  StreamTag tag = StreamTag::generate;
  int nt = 0, nr = 0;
  int bits_per_symbol = 0;        // m; a stream's even bits label the real PAM, its odd bits the imaginary one
  bool real_symbols = false;      // BPSK: every bit labels the real PAM, x = (level, 0)
  const float* levels = nullptr;  // PAM amplitude by label (2^(m/2) entries, BPSK 2), rounded to float
  /// true: H is the i.i.d. draw (Rayleigh) and the kernel writes the final H, y = Hx + n and H_est = H + E.
  /// false: it writes the draws G into H, n into y and E into H_est, for the generator to finish per sample.
  bool fused = true;
  float csi_std = 0.0f;        // standard deviation of each complex CSI error entry; 0: no H_est

  // The range: samples first, ..., first + count - 1, written from the given pointers on (AoS, row-major).
  uint64_t first = 0;
  size_t count = 0;
  const float* noise_var = nullptr;  // [count] N0 of each sample; its noise is sqrt(N0) (float32) times CN(0, 1)
  std::complex<float>* H = nullptr;      // [count][nr][nt]
  std::complex<float>* y = nullptr;      // [count][nr]
  std::complex<float>* x = nullptr;      // [count][nt]
  uint8_t* bits = nullptr;               // [count][nt m]
  std::complex<float>* H_est = nullptr;  // [count][nr][nt] when csi_std > 0
};

/// Runs the job on the best target the CPU supports (or the one a test selected).
void run_generator_kernel(const KernelJob& job);

/// y_r = sum_t H_rt x_t (t ascending, complex products as (hr xr - hi xi, hr xi + hi xr)) + n_r in float32: the
/// kernel's formula, for the samples whose H the generator shapes after the kernel. n is read from y.
void apply_channel(const std::complex<float>* H, const std::complex<float>* x, std::complex<float>* y, int nr, int nt);

/// The Highway targets the kernel was compiled for that this CPU supports (HWY_* bits), best first.
std::vector<int64_t> generator_kernel_targets();
/// The name of the target run_generator_kernel uses now, e.g. "AVX3".
std::string generator_kernel_target();

}  // namespace mimo
