#include "detectors/tree_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "detectors/linear.hpp"
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
  require_modulation(b, c_);
  require_determined("sphere", b, c_);
}

void SphereDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  RealSystem sys;
  sys.shape(b, c_);
  SortedQR qr;
  const size_t n = sys.cols;
  const auto& levels = c_.pam_levels();
  const size_t L = levels.size();
  // Per level: children in Schnorr-Euchner order, the next one to try, partial distances, chosen amplitudes.
  std::vector<int> order(n * L), best(n), path(n), labels(n);
  std::vector<size_t> next(n);
  std::vector<double> dist(n + 1), amp(n), gap(L), centres(n);
  uint64_t visited = 0;

  auto enumerate = [&](size_t k) {
    const double c = centres[k] = centre(qr, k, amp.data());
    int* o = order.data() + k * L;
    for (size_t l = 0; l < L; ++l) {
      o[l] = static_cast<int>(l);
      gap[l] = (c - levels[l]) * (c - levels[l]);
    }
    std::sort(o, o + L, [&](int a, int bb) { return gap[a] < gap[bb]; });
    next[k] = 0;
  };

  for (size_t i = begin; i < end; ++i) {
    sys.load(b, i);
    qr.decompose(sys);
    double radius = std::numeric_limits<double>::infinity();
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
      if (!(d < radius)) {  // children come in increasing distance: the rest of this level is pruned too
        if (++k == n) break;
        continue;
      }
      path[k] = label;
      amp[k] = levels[label];
      if (k == 0) {
        radius = d;
        best = path;
        continue;
      }
      dist[k] = d;
      --k;
      enumerate(k);
    }
    if (!std::isfinite(radius)) std::fill(best.begin(), best.end(), 0);  // only with NaN input
    write_symbols(c_, qr, best.data(), b.nt, labels, out, i);
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
  require_modulation(b, c_);
  require_determined("kbest", b, c_);
}

void KBestDetector::detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const {
  RealSystem sys;
  sys.shape(b, c_);
  SortedQR qr;
  const size_t n = sys.cols;
  const auto& levels = c_.pam_levels();
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

  for (size_t i = begin; i < end; ++i) {
    sys.load(b, i);
    qr.decompose(sys);
    size_t alive = 1;
    dist[0] = 0.0;
    for (size_t k = n; k-- > 0;) {
      size_t count = 0;
      const double rkk = qr.R[k + k * n];
      for (size_t p = 0; p < alive; ++p) {
        for (size_t j = k + 1; j < n; ++j) amp[j] = levels[paths[p * n + j]];
        const double c = centre(qr, k, amp.data());
        for (size_t l = 0; l < L; ++l) {
          const double e = rkk * (c - levels[l]);
          children[count++] = Child{dist[p] + e * e, static_cast<uint32_t>(p), static_cast<int>(l)};
        }
      }
      const size_t keep = std::min(k_, count);
      std::partial_sort(children.begin(), children.begin() + keep, children.begin() + count,
                        [](const Child& a, const Child& bb) { return a.dist < bb.dist; });
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
    write_symbols(c_, qr, paths.data(), b.nt, labels, out, i);
    if (!out.llr.empty())
      write_list_llrs(qr, paths.data(), dist.data(), alive, b.noise_var[i], best_label, out.llr.data() + i * nt * m, nt);
  }
}

// Max-log LLRs over the survivors: the distances are ||y - Hx||^2 up to a constant common to all of them. A QAM
// bit depends on one PAM label (even bits: real part, odd bits: imaginary part, as Constellation::compose), so
// the minimum per (unknown, label) is taken first and the bits read from those.
void KBestDetector::write_list_llrs(const SortedQR& qr, const int* paths, const double* dist, size_t alive,
                                    double noise_var, std::vector<double>& best_label, float* llr, size_t nt) const {
  const size_t n = qr.cols, m = static_cast<size_t>(c_.bits_per_symbol()), L = c_.pam_levels().size();
  const int bpd = c_.bits_per_dimension();
  const double inf = std::numeric_limits<double>::infinity(), n0 = usable_noise_var(noise_var);
  std::fill(best_label.begin(), best_label.end(), inf);  // [unknown][label]
  for (size_t r = 0; r < alive; ++r)
    for (size_t k = 0; k < n; ++k) {
      double& slot = best_label[qr.perm[k] * L + static_cast<size_t>(paths[r * n + k])];
      slot = std::min(slot, dist[r]);
    }
  for (size_t t = 0; t < nt; ++t)
    for (size_t j = 0; j < m; ++j) {
      const size_t unknown = (j % 2 == 0 || c_.is_real()) ? t : nt + t;
      const int shift = bpd - 1 - static_cast<int>(j / 2);
      double best[2] = {inf, inf};
      for (size_t l = 0; l < L; ++l) {
        double& b = best[(l >> shift) & 1];
        b = std::min(b, best_label[unknown * L + l]);
      }
      double v = (best[1] - best[0]) / n0;  // +-inf when the list lacks one value
      if (std::isnan(v)) v = 0.0;           // only with NaN input
      llr[t * m + j] = static_cast<float>(std::clamp(v, -clip_, clip_));
    }
}

}  // namespace mimo
