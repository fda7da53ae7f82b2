#include "evaluation/coded_link.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "channel/parallel.hpp"
#include "detectors/detector.hpp"

namespace mimo {

namespace {

LdpcCode make_code(const LdpcSpec& spec, int m) {
  if (spec.e % m != 0)
    throw std::invalid_argument("--code " + spec.describe() + ": n = " + std::to_string(spec.e) +
                                " must be a multiple of the bits per symbol (" + std::to_string(m) + ")");
  return LdpcCode(spec.k, spec.e, m);
}

}  // namespace

CodedLink::CodedLink(const LdpcSpec& spec, Modulation modulation, int nt)
    : spec_(spec),
      constellation_(modulation),
      nt_(nt),
      m_(constellation_.bits_per_symbol()),
      code_(make_code(spec, m_)) {
  if (nt < 1) throw std::invalid_argument("a coded link needs at least one stream (nt = " + std::to_string(nt) + ")");
  const size_t per_use = static_cast<size_t>(nt_) * static_cast<size_t>(m_);
  const size_t e = static_cast<size_t>(code_.e());
  uses_ = (e + per_use - 1) / per_use;
  // The channel interleaver: code bit e to use e mod B, slot e div B (the uses fill their slots in order).
  position_.resize(e);
  for (size_t b = 0; b < e; ++b) position_[b] = static_cast<uint32_t>((b % uses_) * per_use + b / uses_);
}

void CodedLink::encode_in_place(SampleBatch& batch, std::vector<uint8_t>& info, int threads) const {
  if (batch.nt != static_cast<size_t>(nt_) || batch.m != static_cast<size_t>(m_))
    throw std::invalid_argument("encode_in_place: batch of another shape than the coded link's");
  if (batch.n % uses_ != 0) throw std::invalid_argument("encode_in_place: the batch is not a whole number of blocks");
  const size_t blocks = batch.n / uses_, nt = batch.nt, nr = batch.nr, per_use = nt * batch.m;
  const size_t k = static_cast<size_t>(code_.k()), e = static_cast<size_t>(code_.e());
  info.resize(blocks * k);
  parallel_for(blocks, blocks > 1 ? threads : 1, [&](size_t first, size_t last, int) {
    std::vector<uint8_t> f(e);
    std::vector<cdouble> dx(nt);
    for (size_t j = first; j < last; ++j) {
      uint8_t* bits = batch.bits.data() + j * uses_ * per_use;
      std::copy_n(bits, k, info.begin() + static_cast<std::ptrdiff_t>(j * k));
      code_.encode(info.data() + j * k, f.data());
      for (size_t b = 0; b < e; ++b) bits[position_[b]] = f[b];
      for (size_t u = j * uses_; u < (j + 1) * uses_; ++u) {
        for (size_t t = 0; t < nt; ++t) {
          cfloat& x = batch.x[u * nt + t];
          const cdouble now = constellation_.map(batch.bits.data() + u * per_use + t * batch.m);
          dx[t] = now - cdouble(x);
          x = cfloat(now);
        }
        // y = H x + n with the new x and the same n: y + H (x_new - x_old), in double, rounded once.
        const cfloat* H = batch.H.data() + u * nr * nt;
        for (size_t r = 0; r < nr; ++r) {
          cdouble acc(batch.y[u * nr + r]);
          for (size_t t = 0; t < nt; ++t) acc += cdouble(H[r * nt + t]) * dx[t];
          batch.y[u * nr + r] = cfloat(acc);
        }
      }
    }
  });
}

void CodedLink::decode_blocks(const Detection& det, const std::vector<uint8_t>& info, size_t first_block,
                              size_t last_block, BlockCounts& into, int threads, uint8_t* decoded) {
  if (det.llr.empty()) throw std::invalid_argument("decode_blocks: the detection has no LLRs");
  const size_t count = last_block - first_block;
  if (count == 0) return;
  const size_t per_use = static_cast<size_t>(nt_) * static_cast<size_t>(m_);
  const size_t k = static_cast<size_t>(code_.k()), e = static_cast<size_t>(code_.e());
  // At least one SIMD group of blocks per thread: fewer would leave decoder lanes empty.
  const size_t group = 16;
  const int used = static_cast<int>(std::clamp<size_t>(count / group, 1, static_cast<size_t>(std::max(threads, 1))));
  if (workers_.size() < static_cast<size_t>(used)) workers_.resize(static_cast<size_t>(used));
  std::vector<BlockCounts> partial(static_cast<size_t>(used));
  parallel_for(count, used, [&](size_t a, size_t z, int w) {
    Worker& worker = workers_[static_cast<size_t>(w)];
    if (!worker.decoder) worker.decoder = std::make_unique<LdpcDecoder>(code_, LdpcDecoderOptions{spec_.iterations});
    const size_t n = z - a;
    worker.llr.resize(n * e);
    worker.decided.resize(n * k);
    for (size_t i = 0; i < n; ++i) {
      const float* llr = det.llr.data() + (first_block + a + i) * uses_ * per_use;
      float* out = worker.llr.data() + i * e;
      for (size_t b = 0; b < e; ++b) out[b] = llr[position_[b]];
    }
    worker.decoder->decode(worker.llr.data(), n, worker.decided.data());
    if (decoded) std::copy_n(worker.decided.data(), n * k, decoded + a * k);
    BlockCounts& c = partial[static_cast<size_t>(w)];
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* sent = info.data() + (first_block + a + i) * k;
      const uint8_t* got = worker.decided.data() + i * k;
      uint64_t wrong = 0;
      for (size_t b = 0; b < k; ++b) wrong += sent[b] != got[b];
      c.info_bit_errors += wrong;
      c.block_errors += wrong != 0;
    }
    c.blocks += n;
    c.info_bits += n * k;
  });
  for (const auto& c : partial) {
    into.blocks += c.blocks;
    into.block_errors += c.block_errors;
    into.info_bits += c.info_bits;
    into.info_bit_errors += c.info_bit_errors;
  }
}

std::pair<double, SnrUnit> CodedLink::generator_snr(double value_db, SnrUnit unit) const {
  if (unit != SnrUnit::ebn0) return {value_db, unit};
  const double rate = static_cast<double>(k()) / static_cast<double>(e());
  return {snr_point(value_db, unit, nt_, m_, rate).esn0_db, SnrUnit::esn0};
}

}  // namespace mimo
