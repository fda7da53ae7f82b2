// The generator's SIMD kernel, compiled once per Highway target (hwy/foreach_target.h re-includes this file)
// and dispatched at run time. Lanes are samples: each vector holds the same draw of L consecutive samples, kept
// as structure of arrays (real and imaginary parts apart) in small aligned buffers, and transposed into the
// SampleBatch's row-major layout once per row. This file is compiled with -ffp-contract=off (channel/CMakeLists.txt):
// every Mul and Add stays a correctly rounded operation of its own, so all targets give the same bits.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "channel/generator_kernel.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <bit>
#include <cstring>

#include "channel/generator_kernel.hpp"
#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "simd/random-inl.h"

#ifndef MIMO_GENERATOR_KERNEL_ONCE
#define MIMO_GENERATOR_KERNEL_ONCE
namespace mimo::detail {

// Writes the n <= 32 low bits of w as bytes 0/1, bit 0 first: each byte of w is spread over 8 bytes by a
// multiplication (byte k keeps bit k), then every nonzero byte becomes 1.
inline void expand_bits(uint32_t w, uint8_t* out, size_t n) {
  for (size_t b = 0; b * 8 < n; ++b) {
    uint64_t v = (static_cast<uint64_t>((w >> (8 * b)) & 0xFFu) * 0x0101010101010101ULL) & 0x8040201008040201ULL;
    v = ((v + 0x7F7F7F7F7F7F7F7FULL) >> 7) & 0x0101010101010101ULL;
    const size_t len = std::min<size_t>(8, n - 8 * b);
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out + 8 * b, &v, len);
    } else {
      for (size_t k = 0; k < len; ++k) out[8 * b + k] = static_cast<uint8_t>(v >> (8 * k));
    }
  }
}

}  // namespace mimo::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace mimo::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace rnd = mimo::simd::HWY_NAMESPACE;

const char* KernelTargetName() { return hwy::TargetName(HWY_TARGET); }

// The two complex draws of Philox block `block` of kind `kind` for the samples (lo, hi): entries e and e + 1
// (the latter only if below `end`) of an [entry][lane] buffer, times `scale`.
template <class DF, class DU>
HWY_INLINE void DrawPair(DF df, DU du, const rnd::PhiloxKeys& keys, hn::Vec<DU> kind, uint32_t block, hn::Vec<DU> lo,
                         hn::Vec<DU> hi, hn::Vec<DF> scale, float* HWY_RESTRICT buf, size_t e, size_t end) {
  const size_t L = hn::Lanes(df);
  auto c0 = hn::Set(du, block), c1 = kind, c2 = lo, c3 = hi;
  rnd::Philox(du, keys, c0, c1, c2, c3);
  hn::Vec<DF> re, im;
  rnd::ComplexNormal(df, c0, c1, re, im);
  hn::Store(hn::Mul(re, scale), df, buf + 2 * e * L);
  hn::Store(hn::Mul(im, scale), df, buf + (2 * e + 1) * L);
  if (e + 1 < end) {
    rnd::ComplexNormal(df, c2, c3, re, im);
    hn::Store(hn::Mul(re, scale), df, buf + (2 * e + 2) * L);
    hn::Store(hn::Mul(im, scale), df, buf + (2 * e + 3) * L);
  }
}

void GenerateSamples(const KernelJob& job) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::RebindToSigned<decltype(df)> di;
  using VF = hn::Vec<decltype(df)>;
  using VU = hn::Vec<decltype(du)>;
  const size_t L = hn::Lanes(df);
  const size_t nt = static_cast<size_t>(job.nt), nr = static_cast<size_t>(job.nr);
  const size_t m = static_cast<size_t>(job.bits_per_symbol), nbits = nt * m;
  const size_t bit_blocks = (nbits + 127) / 128, nwords = (nbits + 31) / 32;
  const size_t row_blocks = (nt + 1) / 2;  // channel and CSI-error blocks per row of H
  const bool csi = job.csi_std > 0.0f;

  const rnd::PhiloxKeys keys(static_cast<uint32_t>(job.seed), static_cast<uint32_t>(job.seed >> 32));
  const VU word_bits = hn::Set(du, SampleDraws::counter_word(job.tag, DrawKind::bits));
  const VU word_channel = hn::Set(du, SampleDraws::counter_word(job.tag, DrawKind::channel));
  const VU word_noise = hn::Set(du, SampleDraws::counter_word(job.tag, DrawKind::noise));
  const VU word_csi = hn::Set(du, SampleDraws::counter_word(job.tag, DrawKind::csi_error));
  const VF csi_std = hn::Set(df, job.csi_std);

  // Structure-of-arrays buffers, one vector of L samples per entry: [entry][lane].
  auto words = hwy::AllocateAligned<uint32_t>(bit_blocks * 4 * L);
  auto xs = hwy::AllocateAligned<float>(2 * nt * L);    // x: re, im per stream
  auto ys = hwy::AllocateAligned<float>(2 * nr * L);    // n, then y
  auto hs = hwy::AllocateAligned<float>(2 * nt * L);    // one row of H (or G)
  auto es = hwy::AllocateAligned<float>(2 * nt * L);    // one row of H_est (or E)
  auto index_lo = hwy::AllocateAligned<uint32_t>(L), index_hi = hwy::AllocateAligned<uint32_t>(L);
  auto n0 = hwy::AllocateAligned<float>(L);

  for (size_t s0 = 0; s0 < job.count; s0 += L) {
    const size_t lanes = std::min(L, job.count - s0);
    for (size_t k = 0; k < L; ++k) {
      const uint64_t index = job.first + s0 + k;  // lanes past the end compute a sample nobody stores
      index_lo[k] = static_cast<uint32_t>(index);
      index_hi[k] = static_cast<uint32_t>(index >> 32);
      n0[k] = k < lanes ? job.noise_var[s0 + k] : 0.0f;
    }
    const VU lo = hn::Load(du, index_lo.get()), hi = hn::Load(du, index_hi.get());
    const VF sigma = hn::Sqrt(hn::Load(df, n0.get()));

    // Bits: word w of the sample's bit string is word w mod 4 of block w / 4, stored at words[w].
    for (size_t j = 0; j < bit_blocks; ++j) {
      VU c0 = hn::Set(du, static_cast<uint32_t>(j)), c1 = word_bits, c2 = lo, c3 = hi;
      rnd::Philox(du, keys, c0, c1, c2, c3);
      hn::Store(c0, du, words.get() + (4 * j + 0) * L);
      hn::Store(c1, du, words.get() + (4 * j + 1) * L);
      hn::Store(c2, du, words.get() + (4 * j + 2) * L);
      hn::Store(c3, du, words.get() + (4 * j + 3) * L);
    }
    // Symbols: the even bits of a stream (b(0), b(2), ...) label the real PAM, the odd ones the imaginary PAM,
    // first bit most significant; the level is looked up in the float table.
    const VU one = hn::Set(du, 1u);
    for (size_t t = 0; t < nt; ++t) {
      VU label_re = hn::Zero(du), label_im = hn::Zero(du);
      for (size_t b = 0; b < m; ++b) {
        const size_t q = t * m + b;
        const VU w = hn::Load(du, words.get() + (q / 32) * L);
        const VU bit = hn::IfThenElseZero(hn::TestBit(w, hn::Set(du, 1u << (q % 32))), one);
        if (job.real_symbols || b % 2 == 0)
          label_re = hn::Or(hn::ShiftLeft<1>(label_re), bit);
        else
          label_im = hn::Or(hn::ShiftLeft<1>(label_im), bit);
      }
      hn::Store(hn::GatherIndex(df, job.levels, hn::BitCast(di, label_re)), df, xs.get() + 2 * t * L);
      hn::Store(job.real_symbols ? hn::Zero(df) : hn::GatherIndex(df, job.levels, hn::BitCast(di, label_im)), df,
                xs.get() + (2 * t + 1) * L);
    }
    // Noise n = sqrt(N0) z, into ys.
    for (size_t r = 0; r < nr; r += 2) DrawPair(df, du, keys, word_noise, static_cast<uint32_t>(r / 2), lo, hi, sigma, ys.get(), r, nr);

    for (size_t r = 0; r < nr; ++r) {
      for (size_t t = 0; t < nt; t += 2) {
        const uint32_t block = static_cast<uint32_t>(r * row_blocks + t / 2);
        DrawPair(df, du, keys, word_channel, block, lo, hi, hn::Set(df, 1.0f), hs.get(), t, nt);
        if (csi) DrawPair(df, du, keys, word_csi, block, lo, hi, csi_std, es.get(), t, nt);
      }
      if (job.fused) {
        // y_r = sum_t H_rt x_t + n_r, t ascending.
        VF acc_re = hn::Zero(df), acc_im = hn::Zero(df);
        for (size_t t = 0; t < nt; ++t) {
          const VF hr = hn::Load(df, hs.get() + 2 * t * L), hm = hn::Load(df, hs.get() + (2 * t + 1) * L);
          const VF xr = hn::Load(df, xs.get() + 2 * t * L), xm = hn::Load(df, xs.get() + (2 * t + 1) * L);
          acc_re = hn::Add(acc_re, hn::Sub(hn::Mul(hr, xr), hn::Mul(hm, xm)));
          acc_im = hn::Add(acc_im, hn::Add(hn::Mul(hr, xm), hn::Mul(hm, xr)));
        }
        hn::Store(hn::Add(acc_re, hn::Load(df, ys.get() + 2 * r * L)), df, ys.get() + 2 * r * L);
        hn::Store(hn::Add(acc_im, hn::Load(df, ys.get() + (2 * r + 1) * L)), df, ys.get() + (2 * r + 1) * L);
        if (csi)
          for (size_t e = 0; e < 2 * nt; ++e)
            hn::Store(hn::Add(hn::Load(df, hs.get() + e * L), hn::Load(df, es.get() + e * L)), df, es.get() + e * L);
      }
      // Row r of every lane's H (and H_est) into the row-major batch.
      for (size_t k = 0; k < lanes; ++k) {
        std::complex<float>* dst = job.H + (s0 + k) * nr * nt + r * nt;
        for (size_t t = 0; t < nt; ++t) dst[t] = {hs[2 * t * L + k], hs[(2 * t + 1) * L + k]};
        if (csi) {
          std::complex<float>* est = job.H_est + (s0 + k) * nr * nt + r * nt;
          for (size_t t = 0; t < nt; ++t) est[t] = {es[2 * t * L + k], es[(2 * t + 1) * L + k]};
        }
      }
    }
    for (size_t k = 0; k < lanes; ++k) {
      std::complex<float>* x = job.x + (s0 + k) * nt;
      for (size_t t = 0; t < nt; ++t) x[t] = {xs[2 * t * L + k], xs[(2 * t + 1) * L + k]};
      std::complex<float>* y = job.y + (s0 + k) * nr;
      for (size_t r = 0; r < nr; ++r) y[r] = {ys[2 * r * L + k], ys[(2 * r + 1) * L + k]};
      uint8_t* bits = job.bits + (s0 + k) * nbits;
      for (size_t w = 0; w < nwords; ++w)
        detail::expand_bits(words[w * L + k], bits + 32 * w, std::min<size_t>(32, nbits - 32 * w));
    }
  }
}

}  // namespace mimo::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mimo {

HWY_EXPORT(GenerateSamples);
HWY_EXPORT(KernelTargetName);

void run_generator_kernel(const KernelJob& job) {
  if (job.count > 0) HWY_DYNAMIC_DISPATCH(GenerateSamples)(job);
}

std::string generator_kernel_target() { return HWY_DYNAMIC_DISPATCH(KernelTargetName)(); }

std::vector<int64_t> generator_kernel_targets() {
  std::vector<int64_t> out;
  for (int64_t t = hwy::SupportedTargets() & HWY_TARGETS; t != 0; t &= t - 1) out.push_back(t & -t);
  return out;
}

void apply_channel(const std::complex<float>* H, const std::complex<float>* x, std::complex<float>* y, int nr,
                   int nt) {
  for (int r = 0; r < nr; ++r) {
    float acc_re = 0.0f, acc_im = 0.0f;
    for (int t = 0; t < nt; ++t) {
      const float hr = H[r * nt + t].real(), hm = H[r * nt + t].imag();
      const float xr = x[t].real(), xm = x[t].imag();
      acc_re = acc_re + (hr * xr - hm * xm);
      acc_im = acc_im + (hr * xm + hm * xr);
    }
    y[r] = {acc_re + y[r].real(), acc_im + y[r].imag()};
  }
}

}  // namespace mimo
#endif
