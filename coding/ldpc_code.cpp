#include "coding/ldpc_code.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include "coding/ldpc_decoder.hpp"
#include "coding/ldpc_tables.hpp"

namespace mimo {

namespace {

constexpr int kMaxZ = 384;
constexpr int kCoreBlocks = 4;
constexpr int kMaxLiftedLength = 68 * kMaxZ;

// acc ^= P_s v for one Z-bit block: P_s, the identity cyclically shifted right by s, has its ones at (i, i + s mod
// Z), so (P_s v)_i = v_{(i + s) mod Z}. Two contiguous runs, which the compiler vectorizes.
void xor_shifted(std::uint8_t* acc, const std::uint8_t* v, int s, int z) {
  const int head = z - s;
  for (int i = 0; i < head; ++i) acc[i] ^= v[i + s];
  for (int i = head; i < z; ++i) acc[i] ^= v[i - head];
}

// out = P_s^-1 v, i.e. out_{(i + s) mod Z} = v_i: the block u that solves P_s u = v.
void unshift(std::uint8_t* out, const std::uint8_t* v, int s, int z) {
  const int head = z - s;
  for (int i = 0; i < head; ++i) out[i + s] = v[i];
  for (int i = head; i < z; ++i) out[i - head] = v[i];
}

[[noreturn]] void not_dual_diagonal(int base_graph, const std::string& what) {
  throw std::logic_error("LDPC base graph " + std::to_string(base_graph) +
                         " is not of TS 38.212's dual-diagonal form: " + what);
}

}  // namespace

LdpcCode::LdpcCode(int k, int e, int qm) : LdpcCode(ldpc_params(k, e), qm) {}

LdpcCode::LdpcCode(const LdpcParams& params, int qm) : p_(ldpc_params(params.k, params.e, params.base_graph)), qm_(qm) {
  if (qm != 1 && qm != 2 && qm != 4 && qm != 6 && qm != 8)
    throw std::invalid_argument("LDPC: the modulation order Qm must be 1, 2, 4, 6 or 8 (Qm = " + std::to_string(qm) +
                                ")");
  if (p_.e % qm != 0)
    throw std::invalid_argument("LDPC: E must be a multiple of the modulation order (E = " + std::to_string(p_.e) +
                                ", Qm = " + std::to_string(qm) + ")");
  build_graph();
  build_core_schedule();
  build_rate_matching();
}

void LdpcCode::build_graph() {
  const LdpcBaseGraph& base = ldpc_base_graph(p_.base_graph);
  graph_.z = p_.z;
  graph_.rows = base.rows;
  graph_.row_start.assign(base.rows + 1, 0);
  for (const LdpcBaseGraphEntry& entry : base.entries) {
    ++graph_.row_start[entry.row + 1];
    graph_.col.push_back(entry.col);
    graph_.shift.push_back(entry.shift[p_.ils] % p_.z);
  }
  for (int r = 0; r < base.rows; ++r) graph_.row_start[r + 1] += graph_.row_start[r];
}

// Reads the structure 5.3.2's encoding relies on from the table rather than assuming it, and fails loudly if a
// table ever breaks it: rows 0..3 touch only systematic and core columns; summed, they leave core column 0 with
// a single shift; each extension row r >= 4 has its own parity column info_cols + r and otherwise only
// systematic and core columns.
void LdpcCode::build_core_schedule() {
  const int core = p_.info_cols;
  for (int r = 0; r < kCoreBlocks; ++r)
    for (int i = graph_.row_start[r]; i < graph_.row_start[r + 1]; ++i)
      if (graph_.col[i] >= core + kCoreBlocks)
        not_dual_diagonal(p_.base_graph, "core row " + std::to_string(r) + " has an extension column");
  for (int c = core; c < core + kCoreBlocks; ++c) {
    std::map<int, int> times;  // shift -> how often column c has it in the core rows
    for (int r = 0; r < kCoreBlocks; ++r)
      for (int i = graph_.row_start[r]; i < graph_.row_start[r + 1]; ++i)
        if (graph_.col[i] == c) ++times[graph_.shift[i]];
    std::vector<int> odd;
    for (const auto& [shift, count] : times)
      if (count % 2) odd.push_back(shift);
    if (c == core && odd.size() != 1)
      not_dual_diagonal(p_.base_graph, "the core rows' sum does not leave core column 0 with one shift");
    if (c != core && !odd.empty())
      not_dual_diagonal(p_.base_graph, "core column " + std::to_string(c - core) + " does not cancel in the sum");
    if (c == core) p0_shift_ = odd[0];
  }

  std::array<bool, kCoreBlocks> known{true, false, false, false}, solved_row{};
  for (int pass = 0; pass < kCoreBlocks; ++pass)
    for (int r = 0; r < kCoreBlocks; ++r) {
      if (solved_row[r]) continue;
      int unknown = -1, count = 0;
      for (int i = graph_.row_start[r]; i < graph_.row_start[r + 1]; ++i)
        if (graph_.col[i] >= core && !known[graph_.col[i] - core]) {
          unknown = i;
          ++count;
        }
      if (count != 1) continue;
      core_steps_.push_back({r, unknown});
      known[graph_.col[unknown] - core] = true;
      solved_row[r] = true;
    }
  if (!std::all_of(known.begin(), known.end(), [](bool b) { return b; }))
    not_dual_diagonal(p_.base_graph, "the core rows cannot be solved one block at a time");

  ext_entry_.assign(graph_.rows, -1);
  for (int r = kCoreBlocks; r < graph_.rows; ++r)
    for (int i = graph_.row_start[r]; i < graph_.row_start[r + 1]; ++i) {
      const int c = graph_.col[i];
      if (c < core + kCoreBlocks) continue;
      if (c != core + r || ext_entry_[r] >= 0)
        not_dual_diagonal(p_.base_graph, "extension row " + std::to_string(r) + " is not alone in its column");
      ext_entry_[r] = i;
    }
  for (int r = kCoreBlocks; r < graph_.rows; ++r)
    if (ext_entry_[r] < 0) not_dual_diagonal(p_.base_graph, "extension row " + std::to_string(r) + " has no parity");
}

// 5.4.2.1 with rv = 0 (k0 = 0) and Ncb = N: e_k = d_{j mod N} for successive j, skipping filler bits; then 5.4.2.2:
// f_{i + j Qm} = e_{i E/Qm + j}. Stored as the lifted position each f_t carries (d_j is lifted position j + 2Z).
void LdpcCode::build_rate_matching() {
  const int z = p_.z, e = p_.e;
  const int filler_begin = p_.k, filler_end = p_.info_cols * z;  // lifted positions of the filler bits
  std::vector<std::uint32_t> selected(e);
  for (long long j = 0, k = 0; k < e; ++j) {
    const int lifted = static_cast<int>(j % p_.n) + 2 * z;
    if (lifted >= filler_begin && lifted < filler_end) continue;
    selected[k++] = static_cast<std::uint32_t>(lifted);
  }
  const int per_symbol = e / qm_;
  tx_.resize(e);
  for (int i = 0; i < qm_; ++i)
    for (int j = 0; j < per_symbol; ++j) tx_[i + j * qm_] = selected[i * per_symbol + j];

  const int last_col = static_cast<int>(*std::max_element(tx_.begin(), tx_.end())) / z;
  active_rows_ = std::clamp(last_col - p_.info_cols + 1, kCoreBlocks, graph_.rows);
}

void LdpcCode::encode_rows(const std::uint8_t* info, std::uint8_t* lifted, int rows) const {
  const int z = p_.z, core = p_.info_cols;
  for (int i = 0; i < p_.k; ++i) lifted[i] = info[i] != 0;
  std::memset(lifted + p_.k, 0, static_cast<std::size_t>((core + rows) * z - p_.k));
  auto block = [&](int col) { return lifted + static_cast<std::ptrdiff_t>(col) * z; };

  // The systematic part of each core row, lambda_r = sum over systematic columns of P_s c_col.
  std::array<std::array<std::uint8_t, kMaxZ>, kCoreBlocks> lambda{};
  for (int r = 0; r < kCoreBlocks; ++r)
    for (int i = graph_.row_start[r]; i < graph_.row_start[r + 1]; ++i)
      if (graph_.col[i] < core) xor_shifted(lambda[r].data(), block(graph_.col[i]), graph_.shift[i], z);

  std::array<std::uint8_t, kMaxZ> acc{};
  for (int r = 0; r < kCoreBlocks; ++r)
    for (int i = 0; i < z; ++i) acc[i] ^= lambda[r][i];
  unshift(block(core), acc.data(), p0_shift_, z);
  for (const CoreStep& step : core_steps_) {
    acc = lambda[step.row];
    for (int i = graph_.row_start[step.row]; i < graph_.row_start[step.row + 1]; ++i)
      if (graph_.col[i] >= core && i != step.entry) xor_shifted(acc.data(), block(graph_.col[i]), graph_.shift[i], z);
    unshift(block(graph_.col[step.entry]), acc.data(), graph_.shift[step.entry], z);
  }

  for (int r = kCoreBlocks; r < rows; ++r) {
    acc.fill(0);
    for (int i = graph_.row_start[r]; i < graph_.row_start[r + 1]; ++i)
      if (i != ext_entry_[r]) xor_shifted(acc.data(), block(graph_.col[i]), graph_.shift[i], z);
    unshift(block(core + r), acc.data(), graph_.shift[ext_entry_[r]], z);
  }
}

void LdpcCode::encode_lifted(const std::uint8_t* info, std::uint8_t* lifted) const {
  encode_rows(info, lifted, graph_.rows);
}

void LdpcCode::encode_codeword(const std::uint8_t* info, std::uint8_t* d) const {
  std::array<std::uint8_t, kMaxLiftedLength> lifted;
  encode_lifted(info, lifted.data());
  std::memcpy(d, lifted.data() + 2 * p_.z, static_cast<std::size_t>(p_.n));
}

void LdpcCode::rate_match(const std::uint8_t* d, std::uint8_t* f) const {
  const std::uint32_t punctured = 2 * p_.z;
  for (std::size_t t = 0; t < tx_.size(); ++t) f[t] = d[tx_[t] - punctured];
}

void LdpcCode::encode(const std::uint8_t* info, std::uint8_t* f) const {
  std::array<std::uint8_t, kMaxLiftedLength> lifted;
  encode_rows(info, lifted.data(), active_rows_);
  for (std::size_t t = 0; t < tx_.size(); ++t) f[t] = lifted[tx_[t]];
}

void LdpcCode::rate_recover(const float* llr, float* lifted_llr) const {
  std::fill(lifted_llr, lifted_llr + lifted_length(), 0.0f);
  std::fill(lifted_llr + p_.k, lifted_llr + p_.info_cols * p_.z, kLdpcKnownZeroLlr);
  for (std::size_t t = 0; t < tx_.size(); ++t) lifted_llr[tx_[t]] += llr[t];
}

LdpcDecodeStats LdpcCode::decode(const float* llr, std::size_t count, std::uint8_t* info, bool* ok,
                                 const LdpcDecoderOptions& options) const {
  LdpcDecoder decoder(*this, options);
  return decoder.decode(llr, count, info, ok);
}

LdpcDecodeStats LdpcCode::decode(const float* llr, std::size_t count, std::uint8_t* info, bool* ok) const {
  return decode(llr, count, info, ok, LdpcDecoderOptions{});
}

}  // namespace mimo
