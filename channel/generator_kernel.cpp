// The generator's SIMD kernel, compiled once per Highway target (hwy/foreach_target.h re-includes this file)
// and dispatched at run time. Lanes are samples: each vector holds the same draw of L consecutive samples
// (structure of arrays, real and imaginary parts apart), so y = Hx + n is L independent sums. Complex results are
// zipped into (re, im) pairs in small aligned buffers and gathered into each sample's row-major slot of the
// SampleBatch a few rows at a time. This file is compiled with -ffp-contract=off (channel/CMakeLists.txt): every
// Mul and Add stays a correctly rounded operation of its own, so all targets give the same bits.
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

// The complex lanes (re, im) as 64-bit (re, im) pairs, the layout of std::complex<float>, at dst[0, L): lane k
// goes to dst[pos[k]], pos being what Positions returns (zipping works within 128-bit blocks).
template <class DF>
HWY_INLINE void StoreComplex(DF df, hn::Vec<DF> re, hn::Vec<DF> im, uint64_t* HWY_RESTRICT dst) {
  const hn::RebindToUnsigned<DF> du;
  (void)df;
#if HWY_TARGET == HWY_SCALAR
  dst[0] = hn::GetLane(hn::BitCast(du, re)) | static_cast<uint64_t>(hn::GetLane(hn::BitCast(du, im))) << 32;
#else
  const hn::RepartitionToWide<decltype(du)> dw;
  const auto r = hn::BitCast(du, re), i = hn::BitCast(du, im);
  hn::Store(hn::ZipLower(dw, r, i), dw, dst);
  hn::Store(hn::ZipUpper(dw, r, i), dw, dst + hn::Lanes(dw));
#endif
}

// pos[k]: where StoreComplex puts lane k.
template <class DF>
HWY_INLINE void Positions(DF df, uint32_t* pos) {
  const hn::RebindToUnsigned<DF> du;
  const size_t L = hn::Lanes(df);
  auto tmp = hwy::AllocateAligned<uint64_t>(L);
  const auto iota = hn::BitCast(df, hn::Iota(du, 0));
  StoreComplex(df, iota, iota, tmp.get());
  for (size_t p = 0; p < L; ++p) pos[static_cast<uint32_t>(tmp[p])] = static_cast<uint32_t>(p);
}

// dst[e] = the complex at src[e * stride], e < n: one lane's entries out of a zipped [entry][pos] buffer, gathered
// a vector at a time so the (mostly cache-missing) destination is written by whole-vector stores.
template <class D64>
HWY_INLINE void CopyColumn(D64 d64, const uint64_t* HWY_RESTRICT src, size_t stride, size_t n,
                           std::complex<float>* HWY_RESTRICT dst) {
  const hn::RebindToSigned<D64> di64;
  const size_t N = hn::Lanes(d64);
  const auto step = hn::Mul(hn::Iota(di64, 0), hn::Set(di64, static_cast<int64_t>(stride)));
  size_t e = 0;
  for (; e + N <= n; e += N) {
    const auto idx = hn::Add(step, hn::Set(di64, static_cast<int64_t>(e * stride)));
    hn::StoreU(hn::GatherIndex(d64, src, idx), d64, reinterpret_cast<uint64_t*>(dst + e));
  }
  for (; e < n; ++e) std::memcpy(static_cast<void*>(dst + e), src + e * stride, sizeof(uint64_t));
}

// y += h x (complex, per lane), as (hr xr - hm xm, hr xm + hm xr).
template <class V>
HWY_INLINE void MulAcc(V hr, V hm, V xr, V xm, V& acc_re, V& acc_im) {
  acc_re = hn::Add(acc_re, hn::Sub(hn::Mul(hr, xr), hn::Mul(hm, xm)));
  acc_im = hn::Add(acc_im, hn::Add(hn::Mul(hr, xm), hn::Mul(hm, xr)));
}

// Entry t of a row of H: y += h x_t when the kernel applies the channel, and h into the zipped row buffer.
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE void TakeEntry(DF df, bool fused, const float* HWY_RESTRICT xs, size_t t, V hr, V hm, V& acc_re, V& acc_im,
                          uint64_t* HWY_RESTRICT row) {
  const size_t L = hn::Lanes(df);
  if (fused) MulAcc(hr, hm, hn::Load(df, xs + 2 * t * L), hn::Load(df, xs + (2 * t + 1) * L), acc_re, acc_im);
  StoreComplex(df, hr, hm, row + t * L);
}

// Noise n = sigma z from the words (a, b) into entry [0, 2L) of an [entry][lane] buffer.
template <class DF, class VU, class V = hn::Vec<DF>>
HWY_INLINE void TakeNoise(DF df, V sigma, VU a, VU b, float* HWY_RESTRICT dst) {
  V re, im;
  rnd::ComplexNormal(df, a, b, re, im);
  hn::Store(hn::Mul(re, sigma), df, dst);
  hn::Store(hn::Mul(im, sigma), df, dst + hn::Lanes(df));
}

// A CSI error entry E = sigma_csi e from the words (a, b): H + E into dst when the kernel knows H, else E.
template <class DF, class VU, class V = hn::Vec<DF>>
HWY_INLINE void TakeError(DF df, bool fused, V csi_std, VU a, VU b, V hr, V hm, uint64_t* HWY_RESTRICT dst) {
  V er, em;
  rnd::ComplexNormal(df, a, b, er, em);
  er = hn::Mul(er, csi_std);
  em = hn::Mul(em, csi_std);
  if (fused) {
    er = hn::Add(hr, er);
    em = hn::Add(hm, em);
  }
  StoreComplex(df, er, em, dst);
}

void GenerateSamples(const KernelJob& job) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::ScalableTag<uint64_t> d64;
  using VF = hn::Vec<decltype(df)>;
  using VU = hn::Vec<decltype(du)>;
  const size_t L = hn::Lanes(df);
  const size_t nt = static_cast<size_t>(job.nt), nr = static_cast<size_t>(job.nr);
  const size_t m = static_cast<size_t>(job.bits_per_symbol), nbits = nt * m;
  const size_t bit_blocks = (nbits + 127) / 128, nwords = (nbits + 31) / 32;
  const size_t row_blocks = (nt + 1) / 2;  // channel and CSI-error blocks per row of H
  const bool csi = job.csi_std > 0.0f;

  const rnd::PhiloxKeys keys(static_cast<uint32_t>(job.seed), static_cast<uint32_t>(job.seed >> 32));
  const uint32_t kind_bits = SampleDraws::counter_word(job.tag, DrawKind::bits);
  const uint32_t kind_channel = SampleDraws::counter_word(job.tag, DrawKind::channel);
  const uint32_t kind_noise = SampleDraws::counter_word(job.tag, DrawKind::noise);
  const uint32_t kind_csi = SampleDraws::counter_word(job.tag, DrawKind::csi_error);
  const VF csi_std = hn::Set(df, job.csi_std);

  // Per entry one vector of L samples: [entry][lane]. Complex outputs are kept zipped, [entry][pos[lane]].
  auto words = hwy::AllocateAligned<uint32_t>(bit_blocks * 4 * L);
  auto xs = hwy::AllocateAligned<float>(2 * nt * L);  // x, real and imaginary parts, for y = Hx
  auto ns = hwy::AllocateAligned<float>(2 * nr * L);  // n
  auto zx = hwy::AllocateAligned<uint64_t>(nt * L), zy = hwy::AllocateAligned<uint64_t>(nr * L);
  // Rows of H (and H_est) are copied out a few at a time, about 8 KiB, so the vector stores have left the store
  // buffer before the gathers read their lanes back (a load from part of a pending store stalls).
  const size_t chunk_rows = std::min(nr, std::max<size_t>(1, 1024 / (nt * L)));
  auto zh = hwy::AllocateAligned<uint64_t>(chunk_rows * nt * L), ze = hwy::AllocateAligned<uint64_t>(chunk_rows * nt * L);
  auto index_lo = hwy::AllocateAligned<uint32_t>(L), index_hi = hwy::AllocateAligned<uint32_t>(L);
  auto pos = hwy::AllocateAligned<uint32_t>(L);
  auto n0 = hwy::AllocateAligned<float>(L);
  Positions(df, pos.get());

  for (size_t s0 = 0; s0 < job.count; s0 += L) {
    const size_t lanes = std::min(L, job.count - s0);
    for (size_t k = 0; k < L; ++k) {
      const uint64_t index = job.first + s0 + k;  // lanes past the end compute a sample nobody stores
      index_lo[k] = static_cast<uint32_t>(index);
      index_hi[k] = static_cast<uint32_t>(index >> 32);
      n0[k] = k < lanes ? job.noise_var[s0 + k] : 0.0f;
    }
    const VU lo = hn::Load(du, index_lo.get()), hi = hn::Load(du, index_hi.get());

    // Bits: word w of the sample's bit string is word w mod 4 of block w / 4, stored at words[w].
    for (size_t j = 0; j < bit_blocks; j += 2) {
      VU a0, a1, a2, a3, b0 = hn::Zero(du), b1 = b0, b2 = b0, b3 = b0;
      const uint32_t block = static_cast<uint32_t>(j);
      if (j + 1 < bit_blocks)
        rnd::PhiloxPair(du, keys, kind_bits, block, block + 1, lo, hi, a0, a1, a2, a3, b0, b1, b2, b3);
      else
        rnd::PhiloxOne(du, keys, kind_bits, block, lo, hi, a0, a1, a2, a3);
      uint32_t* w = words.get() + 4 * j * L;
      hn::Store(a0, du, w);
      hn::Store(a1, du, w + L);
      hn::Store(a2, du, w + 2 * L);
      hn::Store(a3, du, w + 3 * L);
      if (j + 1 < bit_blocks) {
        hn::Store(b0, du, w + 4 * L);
        hn::Store(b1, du, w + 5 * L);
        hn::Store(b2, du, w + 6 * L);
        hn::Store(b3, du, w + 7 * L);
      }
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
      const VF xr = hn::GatherIndex(df, job.levels, hn::BitCast(di, label_re));
      const VF xm = job.real_symbols ? hn::Zero(df) : hn::GatherIndex(df, job.levels, hn::BitCast(di, label_im));
      hn::Store(xr, df, xs.get() + 2 * t * L);
      hn::Store(xm, df, xs.get() + (2 * t + 1) * L);
      StoreComplex(df, xr, xm, zx.get() + t * L);
    }
    // Noise n = sqrt(N0) z, N0 as stored.
    const VF sigma = hn::Sqrt(hn::Load(df, n0.get()));
    for (size_t r = 0; r < nr; r += 4) {  // four antennas (two blocks) at a time
      VU a0, a1, a2, a3, b0 = hn::Zero(du), b1 = b0, b2 = b0, b3 = b0;
      const uint32_t block = static_cast<uint32_t>(r / 2);
      if (r + 2 < nr)
        rnd::PhiloxPair(du, keys, kind_noise, block, block + 1, lo, hi, a0, a1, a2, a3, b0, b1, b2, b3);
      else
        rnd::PhiloxOne(du, keys, kind_noise, block, lo, hi, a0, a1, a2, a3);
      TakeNoise(df, sigma, a0, a1, ns.get() + 2 * r * L);
      if (r + 1 < nr) TakeNoise(df, sigma, a2, a3, ns.get() + 2 * (r + 1) * L);
      if (r + 2 < nr) TakeNoise(df, sigma, b0, b1, ns.get() + 2 * (r + 2) * L);
      if (r + 3 < nr) TakeNoise(df, sigma, b2, b3, ns.get() + 2 * (r + 3) * L);
    }

    for (size_t r = 0; r < nr; ++r) {
      uint64_t* HWY_RESTRICT hrow = zh.get() + (r % chunk_rows) * nt * L;
      uint64_t* HWY_RESTRICT erow = ze.get() + (r % chunk_rows) * nt * L;
      VF acc_re = hn::Zero(df), acc_im = hn::Zero(df);
      // Four entries (two Philox blocks, evaluated together) at a time.
      for (size_t t = 0; t < nt; t += 4) {
        const size_t n = std::min<size_t>(4, nt - t);
        const uint32_t block = static_cast<uint32_t>(r * row_blocks + t / 2);
        VU a0, a1, a2, a3, b0 = hn::Zero(du), b1 = b0, b2 = b0, b3 = b0;
        if (n > 2)
          rnd::PhiloxPair(du, keys, kind_channel, block, block + 1, lo, hi, a0, a1, a2, a3, b0, b1, b2, b3);
        else
          rnd::PhiloxOne(du, keys, kind_channel, block, lo, hi, a0, a1, a2, a3);
        VF h0r, h0m, h1r = hn::Zero(df), h1m = hn::Zero(df), h2r = h1r, h2m = h1r, h3r = h1r, h3m = h1r;
        rnd::ComplexNormal(df, a0, a1, h0r, h0m);
        if (n > 1) rnd::ComplexNormal(df, a2, a3, h1r, h1m);
        if (n > 2) rnd::ComplexNormal(df, b0, b1, h2r, h2m);
        if (n > 3) rnd::ComplexNormal(df, b2, b3, h3r, h3m);
        // y_r = sum_t H_rt x_t + n_r, t ascending.
        TakeEntry(df, job.fused, xs.get(), t, h0r, h0m, acc_re, acc_im, hrow);
        if (n > 1) TakeEntry(df, job.fused, xs.get(), t + 1, h1r, h1m, acc_re, acc_im, hrow);
        if (n > 2) TakeEntry(df, job.fused, xs.get(), t + 2, h2r, h2m, acc_re, acc_im, hrow);
        if (n > 3) TakeEntry(df, job.fused, xs.get(), t + 3, h3r, h3m, acc_re, acc_im, hrow);
        if (csi) {
          VU e0, e1, e2, e3, f0 = hn::Zero(du), f1 = f0, f2 = f0, f3 = f0;
          if (n > 2)
            rnd::PhiloxPair(du, keys, kind_csi, block, block + 1, lo, hi, e0, e1, e2, e3, f0, f1, f2, f3);
          else
            rnd::PhiloxOne(du, keys, kind_csi, block, lo, hi, e0, e1, e2, e3);
          TakeError(df, job.fused, csi_std, e0, e1, h0r, h0m, erow + t * L);
          if (n > 1) TakeError(df, job.fused, csi_std, e2, e3, h1r, h1m, erow + (t + 1) * L);
          if (n > 2) TakeError(df, job.fused, csi_std, f0, f1, h2r, h2m, erow + (t + 2) * L);
          if (n > 3) TakeError(df, job.fused, csi_std, f2, f3, h3r, h3m, erow + (t + 3) * L);
        }
      }
      VF yr = hn::Load(df, ns.get() + 2 * r * L), ym = hn::Load(df, ns.get() + (2 * r + 1) * L);
      if (job.fused) {
        yr = hn::Add(acc_re, yr);
        ym = hn::Add(acc_im, ym);
      }
      StoreComplex(df, yr, ym, zy.get() + r * L);
      // Rows r0..r of every lane's H (and H_est) into the row-major batch, once the chunk is full.
      if ((r + 1) % chunk_rows != 0 && r + 1 != nr) continue;
      const size_t r0 = r - r % chunk_rows, rows = r + 1 - r0;
      for (size_t k = 0; k < lanes; ++k) {
        const size_t at = ((s0 + k) * nr + r0) * nt;
        CopyColumn(d64, zh.get() + pos[k], L, rows * nt, job.H + at);
        if (csi) CopyColumn(d64, ze.get() + pos[k], L, rows * nt, job.H_est + at);
      }
    }
    for (size_t k = 0; k < lanes; ++k) {
      CopyColumn(d64, zx.get() + pos[k], L, nt, job.x + (s0 + k) * nt);
      CopyColumn(d64, zy.get() + pos[k], L, nr, job.y + (s0 + k) * nr);
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
