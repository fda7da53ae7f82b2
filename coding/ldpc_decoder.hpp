#pragma once
// Layered normalized min-sum decoding of a 5G NR LDPC code (ldpc_code.hpp), many code blocks at once.
//
// The algorithm: row block by row block (a "layer": the Zc checks of one base-graph row touch each variable at
// most once, so they update together), each check takes its bits' posterior LLRs minus its own previous message,
// q = L - R, and sends each bit R' = scale * (the smallest |q| of its other bits) * (the product of their signs);
// the bit's posterior becomes q + R'. One iteration is a pass over every active row (LdpcCode::active_rows);
// after each, a code block whose hard decisions (L < 0) satisfy every active check stops (early stopping) and
// its decisions are final.
//
// Normalized rather than offset min-sum: min-sum overestimates the check messages by a factor that is about the
// same at every SNR, so one scale (0.75, a common choice for the 5G graphs) corrects most of it without tying the
// decoder to the scale of the input LLRs, as an offset would (a data set's LLRs may be scaled or clipped by the
// detector that made them). Floating point throughout, so no saturation at any LLR size; LLRs must be finite.
//
// Vectorized across code blocks: the work space holds every LLR as lanes() consecutive floats, one per code block
// ("lane-major"), and a kernel compiled for each SIMD target (Google Highway, dispatched at run time) processes a
// whole vector of code blocks per operation. A call decodes any count: the last group is padded with code blocks
// that are already a codeword. Lanes are independent, so a code block decodes to the same bits whichever group,
// lane or call it is decoded in.
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "coding/ldpc_code.hpp"

namespace mimo {

struct LdpcDecoderOptions {
  int iterations = 20;     // at most this many passes over the active rows (0: the channel's hard decisions)
  bool early_stop = true;  // stop a code block as soon as its decisions satisfy every active check
  float scale = 0.75f;     // normalized min-sum: check messages are scale * min |q|, in (0, 1]
};

struct LdpcDecodeStats {
  std::size_t blocks = 0;            // code blocks decoded
  std::size_t satisfied = 0;         // of them, how many end with every active check satisfied
  std::size_t iterations = 0;        // summed over code blocks: the iterations each ran before it stopped
  std::size_t groups = 0;            // SIMD groups of lanes() code blocks (the last one padded)
  std::size_t group_iterations = 0;  // summed over groups: the iterations run, those of its slowest block
};

/// Storage for the kernel's vectors: aligned to 64 bytes, the widest SIMD vector (AVX-512) and a cache line.
template <class T>
struct LdpcAlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  LdpcAlignedAllocator() = default;
  template <class U>
  LdpcAlignedAllocator(const LdpcAlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlignment); }
  friend bool operator==(const LdpcAlignedAllocator&, const LdpcAlignedAllocator&) { return true; }
};

class LdpcDecoder {
public:
  /// Keeps a reference to `code`, which must outlive the decoder. Throws std::invalid_argument for iterations
  /// < 0 or a scale outside (0, 1].
  explicit LdpcDecoder(const LdpcCode& code, LdpcDecoderOptions options = {});

  /// See LdpcCode::decode. Not thread-safe (one work space); use one decoder per thread.
  LdpcDecodeStats decode(const float* llr, std::size_t count, std::uint8_t* info, bool* ok = nullptr);

  /// Code blocks decoded side by side: the SIMD width in floats of the dispatched target.
  std::size_t lanes() const { return lanes_; }

private:
  void load(const float* llr, std::size_t lanes_used);
  void write_decisions(std::size_t lane, std::uint8_t* info) const;

  const LdpcCode* code_;
  LdpcDecoderOptions options_;
  std::size_t lanes_;
  int active_cols_;
  template <class T>
  using Aligned = std::vector<T, LdpcAlignedAllocator<T>>;
  Aligned<float> posterior_;            // L: active columns x Zc x lanes
  Aligned<float> messages_;             // R: per active row, its Zc x degree x lanes check messages
  Aligned<std::uint32_t> unsatisfied_;  // per lane: nonzero if some active check fails
};

}  // namespace mimo
