#include "detectors/tree_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "detectors/demap.hpp"
#include "detectors/real_model.hpp"

namespace mimo {

void require_determined(const std::string& detector, const SampleBatch& b, const Constellation& c) {
  const size_t unknowns = c.is_real() ? b.nt : 2 * b.nt;
  if (unknowns > 2 * b.nr)
    throw std::invalid_argument(detector + " needs at least as many receive antennas as streams (nr = " +
                                std::to_string(b.nr) + ", nt = " + std::to_string(b.nt) + ")");
}

namespace {

// Writes the symbols of a complete path given per-position labels (position k = unknown perm[k]).
void write_symbols(const Constellation& c, const SortedQR& qr, const int* labels_by_position, size_t nt,
                   std::vector<int>& labels, Detection& out, size_t i) {
  for (size_t k = 0; k < qr.cols; ++k) labels[qr.perm[k]] = labels_by_position[k];
  for (size_t t = 0; t < nt; ++t) out.symbols[i * nt + t] = RealSystem::symbol(c, labels.data(), nt, t);
}

// Centre of level k given the amplitudes chosen below it (positions k+1 .. cols-1).
inline double centre(const SortedQR& qr, size_t k, const double* amp) {
  const size_t n = qr.cols;
  double s = qr.z[k];
  for (size_t j = k + 1; j < n; ++j) s -= qr.R[k + j * n] * amp[j];
  return s / qr.R[k + k * n];
}

}  // namespace

void SphereDetector::check(const SampleBatch& b) const {
  Detector::check(b);
  require_determined("sphere", b, constellation());
}

std::string SphereDetector::name() const {
  if (!soft_) return "sphere";
  std::string n = "sphere:soft=1";
  if (clip_ != kDefaultClip) {
    char text[32];
    std::snprintf(text, sizeof text, ",clip=%g", clip_);
    n += text;
  }
  return n;
}

namespace {

// The counter-hypothesis bookkeeping of the soft-output sphere decoder, on the real model's unknowns (each
// carries the label bits RealSystem::label_bits lists).
class CounterMetrics {
public:
  CounterMetrics(const Constellation& c, size_t nt)
      : bits_(RealSystem::label_bits(c, nt)), bar_(nt * static_cast<size_t>(c.bits_per_symbol())) {}

  void reset(double clip_metric) {
    ml_ = std::numeric_limits<double>::infinity();
    clip_ = clip_metric;
    std::fill(bar_.begin(), bar_.end(), std::numeric_limits<double>::infinity());
  }
  double ml() const { return ml_; }

  // The largest metric a leaf below a node may have and still matter, in two parts. base(): the bits a node at
  // position k cannot settle -- those of the undecided positions below k, and those of the decided positions
  // above k where the path differs from the ML point. at(): the bits of position k itself, all of them for a
  // bound on every sibling (label < 0), or those where `label` differs from the ML point.
  double base(const SortedQR& qr, const int* path, const int* best, size_t k) const {
    if (!std::isfinite(ml_)) return ml_;  // before the first leaf: no bound (and `best` is not set)
    double r = -std::numeric_limits<double>::infinity();
    for (size_t p = 0; p < qr.cols; ++p) {
      if (p == k) continue;
      for (const auto& [b, shift] : bits_[qr.perm[p]])
        if (p < k || ((path[p] >> shift) & 1) != ((best[p] >> shift) & 1)) r = std::max(r, counter(b));
    }
    return r;
  }
  double at(const SortedQR& qr, const int* best, size_t k, int label, double base) const {
    if (!std::isfinite(ml_)) return ml_;
    double r = base;
    for (const auto& [b, shift] : bits_[qr.perm[k]])
      if (label < 0 || ((label >> shift) & 1) != ((best[k] >> shift) & 1)) r = std::max(r, counter(b));
    return r;
  }
  /// Changes whenever a leaf updates the metrics, so that cached base() values can be recomputed.
  uint64_t epoch() const { return epoch_; }

  // A leaf with metric d: it becomes the ML point, or a counter-hypothesis for the bits where it differs.
  void leaf(const SortedQR& qr, const int* path, std::vector<int>& best, double d) {
    ++epoch_;
    const bool first = !std::isfinite(ml_);
    const double counter = d < ml_ ? ml_ : d;
    if (!first)
      for (size_t p = 0; p < qr.cols; ++p)
        for (const auto& [b, shift] : bits_[qr.perm[p]])
          if (((path[p] >> shift) & 1) != ((best[p] >> shift) & 1)) bar_[b] = std::min(bar_[b], counter);
    if (d < ml_) {
      ml_ = d;
      std::copy(path, path + qr.cols, best.begin());
    }
  }

  void write_llrs(const SortedQR& qr, const int* best, double n0, double clip, float* llr) const {
    for (size_t p = 0; p < qr.cols; ++p)
      for (const auto& [b, shift] : bits_[qr.perm[p]]) {
        double v = std::min((bar_[b] - ml_) / n0, clip);
        if (std::isnan(v)) v = 0.0;  // only with NaN input
        llr[b] = static_cast<float>(((best[p] >> shift) & 1) ? -v : v);
      }
  }

private:
  // With LLR clipping, a counter-hypothesis beyond ml + clip changes no output: the search need not find it.
  double counter(size_t b) const { return std::min(bar_[b], ml_ + clip_); }

  std::vector<std::vector<RealSystem::LabelBit>> bits_;  // per unknown
  std::vector<double> bar_;                               // per bit: best metric with the other value
  double ml_ = 0, clip_ = 0;
  uint64_t epoch_ = 0;
};

}  // namespace

void SphereDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  const Constellation& c = constellation();
  RealSystem sys;
  sys.shape(b, c);
  SortedQR qr;
  const size_t n = sys.cols;
  const auto& levels = c.pam_levels();
  const size_t L = levels.size();
  // Per level: children in Schnorr-Euchner order, the next one to try, partial distances, chosen amplitudes.
  std::vector<int> order(n * L), best(n), path(n), labels(n);
  std::vector<size_t> next(n);
  std::vector<double> dist(n + 1), amp(n), gap(L), centres(n);
  uint64_t visited = 0;
  const bool soft = !out.llr.empty();
  CounterMetrics counters(c, b.nt);
  std::vector<double> base(n);                // soft output: CounterMetrics::base per level, cached
  std::vector<uint64_t> base_epoch(n, ~0ull);  // the epoch it was computed in (~0: stale)

  auto enumerate = [&](size_t k) {
    const double mid = centres[k] = centre(qr, k, amp.data());
    int* o = order.data() + k * L;
    for (size_t l = 0; l < L; ++l) {
      o[l] = static_cast<int>(l);
      gap[l] = (mid - levels[l]) * (mid - levels[l]);
    }
    std::sort(o, o + L, [&](int a, int bb) { return gap[a] < gap[bb]; });
    next[k] = 0;
    base_epoch[k] = ~0ull;  // a new parent above: base(k) must be recomputed
  };

  for (size_t i = begin; i < end; ++i) {
    sys.load(b, i);
    qr.decompose(sys);
    const double n0 = usable_noise_var(b.noise_var[i]);
    double radius = std::numeric_limits<double>::infinity();  // hard output: the ML metric so far
    if (soft) counters.reset(clip_ * n0);
    size_t k = n - 1;
    dist[n] = 0.0;
    enumerate(k);
    while (true) {
      if (next[k] == L) {  // level exhausted: back up
        if (++k == n) break;
        continue;
      }
      const int label = order[k * L + next[k]++];
      const double e = qr.R[k + k * n] * (centres[k] - levels[label]);
      const double d = dist[k + 1] + e * e;
      ++visited;
      if (soft && base_epoch[k] != counters.epoch()) {
        base[k] = counters.base(qr, path.data(), best.data(), k);
        base_epoch[k] = counters.epoch();
      }
      // Children come in increasing distance: beyond the bound for every label, the rest of this level is pruned.
      const double level_bound = soft ? counters.at(qr, best.data(), k, -1, base[k]) : radius;
      if (!(d < level_bound)) {
        if (++k == n) break;
        continue;
      }
      if (soft && !(d < counters.at(qr, best.data(), k, label, base[k]))) continue;
      path[k] = label;
      amp[k] = levels[label];
      if (k == 0) {
        if (soft) {
          counters.leaf(qr, path.data(), best, d);
        } else {
          radius = d;
          best = path;
        }
        continue;
      }
      dist[k] = d;
      --k;
      enumerate(k);
    }
    const bool found = soft ? std::isfinite(counters.ml()) : std::isfinite(radius);
    if (!found) std::fill(best.begin(), best.end(), 0);  // only with NaN input
    write_symbols(c, qr, best.data(), b.nt, labels, out, i);
    if (soft) counters.write_llrs(qr, best.data(), n0, clip_, out.llr.data() + i * b.nt * b.m);
  }
  visited_ += visited;
  searches_ += end - begin;
}

std::string KBestDetector::name() const {
  std::string n = "kbest:k=" + std::to_string(k_);
  if (clip_ != kDefaultClip) {
    char text[32];
    std::snprintf(text, sizeof text, ",clip=%g", clip_);
    n += text;
  }
  return n;
}

void KBestDetector::check(const SampleBatch& b) const {
  Detector::check(b);
  require_determined("kbest", b, constellation());
}

void KBestDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  const Constellation& c = constellation();
  RealSystem sys;
  sys.shape(b, c);
  SortedQR qr;
  const size_t n = sys.cols;
  const auto& levels = c.pam_levels();
  const size_t L = levels.size();
  // Survivors as flat rows of n labels (positions >= the current level are set) plus their distances;
  // children as (distance, parent, label) triples. Nothing is allocated per channel use.
  struct Child {
    double dist;
    uint32_t parent;
    int label;
  };
  std::vector<int> paths(k_ * n), next_paths(k_ * n), labels(n);
  std::vector<double> dist(k_), next_dist(k_), amp(n);
  std::vector<Child> children(k_ * L);
  const size_t nt = b.nt, m = b.m;
  std::vector<double> best_label(n * L);
  const auto bits = RealSystem::label_bits(c, nt);

  for (size_t i = begin; i < end; ++i) {
    sys.load(b, i);
    qr.decompose(sys);
    size_t alive = 1;
    dist[0] = 0.0;
    double dropped_floor = std::numeric_limits<double>::infinity();
    for (size_t k = n; k-- > 0;) {
      size_t count = 0;
      const double rkk = qr.R[k + k * n];
      for (size_t p = 0; p < alive; ++p) {
        for (size_t j = k + 1; j < n; ++j) amp[j] = levels[paths[p * n + j]];
        const double mid = centre(qr, k, amp.data());
        for (size_t l = 0; l < L; ++l) {
          const double e = rkk * (mid - levels[l]);
          children[count++] = Child{dist[p] + e * e, static_cast<uint32_t>(p), static_cast<int>(l)};
        }
      }
      const size_t keep = std::min(k_, count);
      std::partial_sort(children.begin(), children.begin() + keep, children.begin() + count,
                        [](const Child& a, const Child& bb) { return a.dist < bb.dist; });
      // Every path dropped here ends with a metric of at least the worst kept partial distance.
      if (count > keep) dropped_floor = std::min(dropped_floor, children[keep - 1].dist);
      for (size_t r = 0; r < keep; ++r) {
        const Child& ch = children[r];
        std::copy_n(paths.begin() + ch.parent * n, n, next_paths.begin() + r * n);
        next_paths[r * n + k] = ch.label;
        next_dist[r] = ch.dist;
      }
      std::swap(paths, next_paths);
      std::swap(dist, next_dist);
      alive = keep;
    }
    write_symbols(c, qr, paths.data(), b.nt, labels, out, i);
    if (!out.llr.empty())
      write_list_llrs(qr, paths.data(), dist.data(), alive, std::max(dropped_floor, dist[alive - 1]), b.noise_var[i],
                      bits, best_label, out.llr.data() + i * nt * m);
  }
}

// Max-log LLRs over the survivors: the distances are ||y - Hx||^2 up to a constant common to all of them. A QAM
// bit depends on one PAM label (RealSystem::label_bits), so the minimum per (unknown, label) is taken first and
// the bits read from those. A bit value no survivor has gets `missing` as its metric: the worst survivor's, or
// the lowest metric any dropped path can have if that is larger. A fixed clip alone makes such LLRs confidently wrong at low SNR, where the list is full of near-ties
// (4x4 QPSK, 0 dB, K = 8: bitwise mutual information -0.45 with +-20, 0.30 this way, 0.34 for exact max-log).
void KBestDetector::write_list_llrs(const SortedQR& qr, const int* paths, const double* dist, size_t alive,
                                    double missing, double noise_var, const LabelBits& bits,
                                    std::vector<double>& best_label, float* llr) const {
  const size_t n = qr.cols, L = constellation().pam_levels().size();
  const double inf = std::numeric_limits<double>::infinity(), n0 = usable_noise_var(noise_var);
  std::fill(best_label.begin(), best_label.end(), inf);  // [unknown][label]
  for (size_t r = 0; r < alive; ++r)
    for (size_t k = 0; k < n; ++k) {
      double& slot = best_label[qr.perm[k] * L + static_cast<size_t>(paths[r * n + k])];
      slot = std::min(slot, dist[r]);
    }
  for (size_t u = 0; u < n; ++u)
    for (const auto& [index, shift] : bits[u]) {
      double best[2] = {inf, inf};
      for (size_t l = 0; l < L; ++l) {
        double& b = best[(l >> shift) & 1];
        b = std::min(b, best_label[u * L + l]);
      }
      // A value missing from the list: never better than the list's best for the other value.
      for (int v = 0; v < 2; ++v)
        if (std::isinf(best[v])) best[v] = std::max(missing, best[1 - v]);
      double v = (best[1] - best[0]) / n0;  // inf only with nothing dropped (then the list is complete)
      if (std::isnan(v)) v = 0.0;           // only with NaN input
      llr[index] = static_cast<float>(std::clamp(v, -clip_, clip_));
    }
}

}  // namespace mimo
