#pragma once
// The coded link level of `mimo evaluate --code ldpc:...`: 5G NR LDPC transport blocks carried over consecutive
// channel uses of the generator's batches, detected as usual, decoded from the detectors' LLRs.
//
// One transport block is one LDPC codeword (coding/ldpc_code.hpp) of K information bits sent as E bits, carried
// by B = ceil(E / (Nt m)) consecutive channel uses (Nt streams, m bits per symbol). Block j of a point is its
// channel uses [jB, (j+1)B); simulate() makes every batch a whole number of blocks.
//
// Encoding in place (encode_in_place), per block of a generated batch:
//   - the K information bits are the first K of the block's generator bits, read use by use and, within a use,
//     in SampleBatch::bits order (stream-major): so they follow from (seed, sample index) alone;
//   - LdpcCode::encode (Qm = m: its 38.212 5.4.2.2 bit interleaver) gives the E code bits f_0 .. f_{E-1};
//   - the channel interleaver puts f_e in use e mod B of the block, at slot e div B of that use, slot s being
//     stream s div m, bit s mod m (SampleBatch::bits order). Consecutive code bits therefore go to different
//     channel uses (different fades, unless --uses-per-realization makes uses share one), and each use fills its slots from the first. When Nt m B > E, the last
//     slot(s) of some uses are not code bits: they keep the generator's random bits and are not decoded (the
//     uncoded BER still counts them, as every other transmitted bit);
//   - x is modulated again from the new bits, and y becomes y + H (x_new - x_old), computed in double and rounded
//     to float: the noise (and H, H_est) stay the generator's.
// Decoding (decode_blocks) gathers each block's E LLRs through the same map (the inverse of the interleaver),
// rate-recovers and decodes them (LdpcDecoder, one per thread), and compares the K decisions with the sent bits.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "channel/modulation.hpp"
#include "channel/sample_batch.hpp"
#include "channel/snr.hpp"
#include "coding/ldpc_code.hpp"
#include "coding/ldpc_decoder.hpp"
#include "coding/ldpc_spec.hpp"

namespace mimo {

struct Detection;

/// Block counts of one detector over some blocks.
struct BlockCounts {
  uint64_t blocks = 0, block_errors = 0;
  uint64_t info_bits = 0, info_bit_errors = 0;
};

class CodedLink {
public:
  /// Throws std::invalid_argument (one line) when the code cannot be built for this modulation (E must be a
  /// multiple of m, LdpcCode's rule for its bit interleaver) or nt < 1.
  CodedLink(const LdpcSpec& spec, Modulation modulation, int nt);

  const LdpcSpec& spec() const { return spec_; }
  const LdpcCode& code() const { return code_; }
  int k() const { return code_.k(); }
  int e() const { return code_.e(); }
  /// Channel uses per block, B = ceil(E / (Nt m)).
  size_t uses_per_block() const { return uses_; }
  /// Where code bit e (0 <= e < E) goes, as an offset in the block's bits (use * Nt m + slot).
  size_t position(int e) const { return position_[static_cast<size_t>(e)]; }

  /// Encodes every block of `batch` in place (see above); batch.n must be a multiple of B, and batch.m / nt
  /// those of the link. Writes the K information bits of block j to info[j * K ...] (resized).
  void encode_in_place(SampleBatch& batch, std::vector<uint8_t>& info, int threads = 1) const;

  /// Decodes blocks [first_block, last_block) of a batch from `det`'s LLRs and counts them against `info`
  /// (as encode_in_place wrote it) into `into`; with `decoded`, also writes each block's K decided bits there
  /// (block first_block + i at decoded[i * K]). `det` must have LLRs. The counts do not depend on `threads`
  /// (a block decodes to the same bits in any group: ldpc_decoder.hpp). Not thread-safe: it keeps a decoder and
  /// its work space per worker thread between calls.
  void decode_blocks(const Detection& det, const std::vector<uint8_t>& info, size_t first_block, size_t last_block,
                     BlockCounts& into, int threads = 1, uint8_t* decoded = nullptr);

  /// The SNR to give the generator for a point `value_db` in `unit`: the generator knows no code rate, so an Eb/N0
  /// per information bit (Eb = Es / (R m), R = K / E) is simulated as its Es/N0; other units pass unchanged.
  std::pair<double, SnrUnit> generator_snr(double value_db, SnrUnit unit) const;

private:
  LdpcSpec spec_;
  Constellation constellation_;
  int nt_, m_;
  LdpcCode code_;
  size_t uses_;
  std::vector<uint32_t> position_;
  // Per worker thread: a decoder (LdpcDecoder is not thread-safe), made on first use, and its LLR and bit buffers.
  struct Worker {
    std::unique_ptr<LdpcDecoder> decoder;
    std::vector<float> llr;
    std::vector<uint8_t> decided;
  };
  std::vector<Worker> workers_;
};

}  // namespace mimo
