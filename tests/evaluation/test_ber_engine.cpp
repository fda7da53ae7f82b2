// The BER engine and results files, tested with detectors whose error counts are known exactly.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <type_traits>

#include "datasets/atomic_file.hpp"
#include "datasets/reader.hpp"
#include "datasets/writer.hpp"
#include "evaluation/ber_engine.hpp"
#include "evaluation/information_loss.hpp"
#include "evaluation/results.hpp"

namespace mimo {
namespace {

// Returns the transmitted symbols, optionally with bit b(0) of every symbol flipped.
class OracleDetector : public Detector {
public:
  OracleDetector(Modulation m, bool flip_first_bit) : Detector(m), flip_(flip_first_bit) {}
  std::string name() const override { return flip_ ? "flip" : "oracle"; }

protected:
  void detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const override {
    for (size_t k = begin * b.nt; k < end * b.nt; ++k) {
      int s = 0;
      for (size_t j = 0; j < b.m; ++j) s = (s << 1) | b.bits[k * b.m + j];
      out.symbols[k] = flip_ ? s ^ (1 << (b.m - 1)) : s;
    }
  }

private:
  bool flip_;
};

// Decides stream t from y_t / H_tt alone: a crude, data-dependent detector whose errors depend on the noise.
class DiagonalDetector : public Detector {
public:
  explicit DiagonalDetector(Modulation m) : Detector(m) {}
  std::string name() const override { return "diag"; }

protected:
  void detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const override {
    for (size_t i = begin; i < end; ++i)
      for (size_t t = 0; t < b.nt; ++t) {
        const std::complex<double> y = b.y[i * b.nr + t], h = b.H[(i * b.nr + t) * b.nt + t];
        out.symbols[i * b.nt + t] = constellation().hard_index(y / h);
      }
  }
};

GeneratorConfig config(const std::string& grid, int nt = 2) {
  GeneratorConfig g;
  g.channel.nt = nt;
  g.channel.nr = 2;
  g.modulation = Modulation::qam16;
  g.snr = SnrSchedule::grid(grid);
  g.seed = 11;
  return g;
}

TEST(WilsonInterval, KnownValues) {
  // 5 of 10 at 95%: the textbook Wilson interval (0.2366, 0.7634).
  const auto a = wilson_interval(5, 10);
  EXPECT_NEAR(a.lo, 0.2366, 1e-4);
  EXPECT_NEAR(a.hi, 0.7634, 1e-4);
  // No errors: lower bound 0, upper bound z^2 / (n + z^2).
  const auto b = wilson_interval(0, 100);
  const double z2 = 1.959963984540054 * 1.959963984540054;
  EXPECT_DOUBLE_EQ(b.lo, 0.0);
  EXPECT_NEAR(b.hi, z2 / (100 + z2), 1e-12);
  const auto c = wilson_interval(7, 0);
  EXPECT_EQ(c.lo, 0.0);
  EXPECT_EQ(c.hi, 1.0);
}

// The BER interval with the design effect: exact when every error use has all its bits wrong (each use is one
// trial then), plain Wilson when the per-use counts are binomial, and ~95% coverage where plain Wilson on bits
// falls far short.
TEST(BerInterval, DesignEffectOfClusteredErrors) {
  PointResult clustered;
  clustered.bits = 8000, clustered.bit_errors = 80, clustered.uses = 1000, clustered.bit_errors_sq = 10 * 64.0;
  const auto a = ber_interval(clustered), per_use = wilson_interval(10, 1000);
  EXPECT_NEAR(a.lo, per_use.lo, 1e-12);
  EXPECT_NEAR(a.hi, per_use.hi, 1e-12);

  PointResult independent = clustered;  // per-use variance m p (1 - p): design effect 1
  const double m = 8, p = 0.01, mean = m * p;
  independent.bit_errors_sq = 1000 * (m * p * (1 - p) + mean * mean);
  const auto b = ber_interval(independent), plain = wilson_interval(80, 8000);
  EXPECT_NEAR(b.lo, plain.lo, 1e-12);
  EXPECT_NEAR(b.hi, plain.hi, 1e-12);
  PointResult from_csv = clustered;
  from_csv.uses = 0;
  EXPECT_NEAR(ber_interval(from_csv).hi, plain.hi, 1e-12);

  // Coverage: uses of 8 bits, each wrong as a whole with probability 0.02.
  std::mt19937_64 rng(3);
  std::bernoulli_distribution burst(0.02);
  int covered = 0, covered_plain = 0;
  const int experiments = 2000;
  for (int e = 0; e < experiments; ++e) {
    PointResult r;
    r.uses = 500, r.bits = 4000;
    for (int u = 0; u < 500; ++u)
      if (burst(rng)) r.bit_errors += 8, r.bit_errors_sq += 64;
    const auto ci = ber_interval(r), naive = wilson_interval(static_cast<double>(r.bit_errors), 4000);
    covered += ci.lo <= 0.02 && 0.02 <= ci.hi;
    covered_plain += naive.lo <= 0.02 && 0.02 <= naive.hi;
  }
  EXPECT_GT(covered, experiments * 0.93) << covered;
  EXPECT_LT(covered_plain, experiments * 0.75) << covered_plain;
}

TEST(BerEngine, ExactCountsAndStoppingRules) {
  const OracleDetector oracle(Modulation::qam16, false), flip(Modulation::qam16, true);
  EngineOptions opt;
  opt.threads = 2;
  opt.min_errors = 1000;
  opt.max_bits = 200000;
  const auto rows = simulate(config("0,10"), {&oracle, &flip}, opt);
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.bits, 200000u) << "oracle never errs, so every point runs to max-bits";
    EXPECT_EQ(r.symbols, r.bits / 4);
  }
  EXPECT_EQ(rows[0].detector, "oracle");
  EXPECT_EQ(rows[0].bit_errors, 0u);
  EXPECT_EQ(rows[1].detector, "flip");
  EXPECT_EQ(rows[1].bit_errors, rows[1].bits / 4);  // one of 4 bits per symbol
  EXPECT_EQ(rows[1].symbol_errors, rows[1].symbols);
  EXPECT_DOUBLE_EQ(rows[1].ber(), 0.25);
  EXPECT_DOUBLE_EQ(rows[0].snr.snr_db, 0.0);
  EXPECT_DOUBLE_EQ(rows[2].snr.snr_db, 10.0);
  EXPECT_NEAR(rows[2].snr.esn0_db, 10.0 - 10 * std::log10(2.0), 1e-12);

  // Without the oracle, min-errors ends each point early: at the first batch reaching 1000 errors.
  const auto early = simulate(config("0,10"), {&flip}, opt);
  for (const auto& r : early) {
    EXPECT_GE(r.bit_errors, 1000u);
    EXPECT_LT(r.bits, 200000u);
  }
}

TEST(BerEngine, ReproducibleAndPointsIndependentOfGrid) {
  const DiagonalDetector diag(Modulation::qam16);
  EngineOptions opt;
  opt.min_errors = 500;
  opt.max_bits = 1000000;
  opt.threads = 1;
  // One stream: the diagonal detector is then exact, and its BER falls with SNR.
  const auto a = simulate(config("0,10", 1), {&diag}, opt);
  opt.threads = 3;
  const auto b = simulate(config("0,10", 1), {&diag}, opt);
  const auto alone = simulate(config("10", 1), {&diag}, opt);
  ASSERT_EQ(a.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(a[k].bits, b[k].bits);
    EXPECT_EQ(a[k].bit_errors, b[k].bit_errors);
    EXPECT_EQ(a[k].symbol_errors, b[k].symbol_errors);
  }
  EXPECT_GT(a[0].ber(), 2 * a[1].ber()) << "a higher BER at 0 dB than at 10 dB";
  // The stopping rule's chunks do not depend on the thread count (more threads make longer batches of the same
  // chunks): identical counts, LLR information included, where min-errors ends the point mid-batch.
  const auto mmse = make_detector("mmse", Modulation::qam16);
  opt.min_errors = 3000;
  opt.threads = 1;
  const auto one = simulate(config("0,10"), {mmse.get(), &diag}, opt);
  for (int threads : {2, 5, 8}) {
    opt.threads = threads;
    const auto many = simulate(config("0,10"), {mmse.get(), &diag}, opt);
    ASSERT_EQ(many.size(), one.size());
    for (size_t k = 0; k < one.size(); ++k) {
      EXPECT_LT(one[k].bits, opt.max_bits) << "min-errors must end the point";
      EXPECT_EQ(many[k].bits, one[k].bits) << threads;
      EXPECT_EQ(many[k].bit_errors, one[k].bit_errors) << threads;
      EXPECT_EQ(many[k].bit_errors_sq, one[k].bit_errors_sq) << threads;
      EXPECT_EQ(many[k].llr_info_sum, one[k].llr_info_sum) << threads;
    }
  }
  EXPECT_EQ(alone[0].bits, a[1].bits);
  EXPECT_EQ(alone[0].bit_errors, a[1].bit_errors);
}

// P processes sharing a run (MPI ranks in `mimo`), here threads with a shared-memory sum: every process gets the
// one-process counts exactly, and the LLR information to 1e-7 (its float32 partial sums are split elsewhere).
class ThreadCollective {
public:
  explicit ThreadCollective(int size) : size_(size), sync_(size), integers_(size), reals_(size) {}
  Collective member(int rank) {
    Collective c;
    c.rank = rank;
    c.size = size_;
    c.sum_integers = [this, rank](uint64_t* v, size_t n) { sum(integers_, rank, v, n); };
    c.sum_reals = [this, rank](double* v, size_t n) { sum(reals_, rank, v, n); };
    return c;
  }

  /// Sums of more than `n` integers rank 0 made so far.
  int sums_longer_than(size_t n) const {
    return static_cast<int>(std::count_if(lengths_.begin(), lengths_.end(), [n](size_t l) { return l > n; }));
  }
  size_t integer_sums() const { return lengths_.size(); }
  /// Whether the processes ever summed arrays of different lengths (MPI would fail or hang).
  bool mismatched() const { return mismatched_; }

private:
  template <class T>
  void sum(std::vector<std::vector<T>>& slots, int rank, T* v, size_t n) {
    if (rank == 0 && std::is_integral_v<T>) lengths_.push_back(n);
    slots[rank].assign(v, v + n);
    sync_.arrive_and_wait();
    for (size_t k = 0; k < n; ++k) {
      T total = 0;
      for (const auto& s : slots) {  // rank order, as MPI_Allreduce's result is one value for all
        if (s.size() != n) mismatched_ = true;
        if (k < s.size()) total += s[k];
      }
      v[k] = total;
    }
    sync_.arrive_and_wait();
  }
  int size_;
  std::barrier<> sync_;
  std::vector<std::vector<uint64_t>> integers_;
  std::vector<std::vector<double>> reals_;
  std::vector<size_t> lengths_;
  std::atomic<bool> mismatched_{false};
};

TEST(BerEngine, ProcessesSharingARunCountAsOne) {
  const auto mmse = make_detector("mmse", Modulation::qam16);
  const DiagonalDetector diag(Modulation::qam16);
  EngineOptions opt;
  opt.min_errors = 3000;
  opt.max_bits = 1000000;
  opt.threads = 1;
  opt.max_batch = 128;  // batches of several chunks early: the point ends inside one
  const auto one = simulate(config("0,10"), {mmse.get(), &diag}, opt);
  for (int size : {2, 3}) {
    ThreadCollective world(size);
    std::vector<std::vector<PointResult>> got(size);
    std::vector<std::thread> processes;
    for (int r = 0; r < size; ++r)
      processes.emplace_back([&, r] {
        EngineOptions o = opt;
        o.collective = world.member(r);
        got[r] = simulate(config("0,10"), {mmse.get(), &diag}, o);
      });
    for (auto& t : processes) t.join();
    for (int r = 0; r < size; ++r) {
      ASSERT_EQ(got[r].size(), one.size());
      for (size_t k = 0; k < one.size(); ++k) {
        EXPECT_LT(one[k].bits, opt.max_bits) << "min-errors must end the point";
        EXPECT_EQ(got[r][k].bits, one[k].bits) << size << " processes, rank " << r;
        EXPECT_EQ(got[r][k].bit_errors, one[k].bit_errors);
        EXPECT_EQ(got[r][k].symbol_errors, one[k].symbol_errors);
        EXPECT_EQ(got[r][k].bit_errors_sq, one[k].bit_errors_sq);
        EXPECT_NEAR(got[r][k].llr_info_sum, one[k].llr_info_sum,
                    1e-7 * std::abs(one[k].llr_info_sum));  // float32 partial sums split elsewhere
      }
    }
    // The messages never grow with a batch's chunks: at most the counts of 2 detectors (12), also in the batch
    // that ends a point (bisection on the counts of its first chunks).
    EXPECT_GT(world.integer_sums(), 2u * 2 * 3);  // several batches per point (totals and stop flag)
    EXPECT_EQ(world.sums_longer_than(12), 0);
  }
}

// The diagonal detector at `per_use` of wall time per channel use (on one thread: the batches here are too small
// for more): slow enough that a shared batch's size is set by max_batch per thread, not by the time it should last.
class SlowDiagonalDetector : public DiagonalDetector {
public:
  SlowDiagonalDetector(Modulation m, std::chrono::microseconds per_use) : DiagonalDetector(m), per_use_(per_use) {}

protected:
  void detect_range(const SampleBatch& b, size_t begin, size_t end, Detection& out) const override {
    std::this_thread::sleep_for(per_use_ * static_cast<int>(end - begin));
    DiagonalDetector::detect_range(b, begin, end, out);
  }

private:
  std::chrono::microseconds per_use_;
};

TEST(BerEngine, ProcessesWithDifferentThreadCountsCountAsOne) {
  // --threads 0 under mpirun gives each process its machine's cores shared among the machine's processes: on
  // machines of different sizes the processes' thread counts differ. They must still split the same batches.
  const DiagonalDetector fast(Modulation::qam16);
  const SlowDiagonalDetector slow(Modulation::qam16, std::chrono::microseconds(2500));
  EngineOptions opt;
  opt.min_errors = 1u << 30;
  // 64 uses per thread and process: 512 uses for 4 threads, 1024 for 8, where 0.5 s of detection per process
  // would be 400 uses. 1600 uses (2 streams of QAM16) reach beyond 1024.
  opt.max_batch = 64;
  opt.max_bits = 8 * 1600;
  opt.threads = 1;
  const auto one = simulate(config("10"), {&fast}, opt);  // the same decisions: the same counts, at once
  ThreadCollective world(2);
  std::vector<std::vector<PointResult>> got(2);
  std::vector<std::thread> processes;
  for (int r = 0; r < 2; ++r)
    processes.emplace_back([&, r] {
      EngineOptions o = opt;
      o.threads = 4 * (r + 1);
      o.collective = world.member(r);
      got[r] = simulate(config("10"), {&slow}, o);
    });
  for (auto& t : processes) t.join();
  EXPECT_FALSE(world.mismatched()) << "the processes split different batches";
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(got[r].size(), 1u);
    EXPECT_EQ(got[r][0].bits, one[0].bits) << "rank " << r;
    EXPECT_EQ(got[r][0].bit_errors, one[0].bit_errors) << "rank " << r;
    EXPECT_EQ(got[r][0].bit_errors_sq, one[0].bit_errors_sq) << "rank " << r;
  }
}

TEST(BerEngine, DatasetEvaluationCountsEverySampleByItsSnr) {
  const auto dir = std::filesystem::temp_directory_path() / ("mimo_test_engine_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "d.h5").string();
  const auto cfg = config("0,20");
  SampleBatch all;
  Generator(cfg).generate(0, 3001, all);
  {
    DatasetInfo info;
    info.channel = cfg.channel;
    info.modulation = cfg.modulation;
    info.snr_schedule = cfg.snr.describe();
    DatasetWriter w(path, info, WriterOptions{});
    w.append(all);
    w.commit();
  }
  // The same counts computed directly on the whole batch, split by SNR.
  const DiagonalDetector diag(Modulation::qam16);
  Detection det;
  diag.detect(all, det);
  uint64_t errors[2] = {0, 0}, samples[2] = {0, 0};
  for (size_t i = 0; i < all.n; ++i) {
    const int p = all.snr_db[i] > 10;
    ++samples[p];
    for (size_t t = 0; t < all.nt; ++t)
      for (size_t j = 0; j < all.m; ++j)
        errors[p] += ((det.symbols[i * all.nt + t] >> (all.m - 1 - j)) & 1) != all.bits[(i * all.nt + t) * all.m + j];
  }
  EngineOptions opt;
  opt.max_batch = 500;  // several batches
  const auto rows = evaluate_dataset(DatasetReader(path), {&diag}, opt);
  ASSERT_EQ(rows.size(), 2u);
  for (int p = 0; p < 2; ++p) {
    EXPECT_DOUBLE_EQ(rows[p].snr.snr_db, p ? 20.0 : 0.0);
    EXPECT_EQ(rows[p].bits, samples[p] * 2 * 4);
    EXPECT_EQ(rows[p].bit_errors, errors[p]);
  }

  // Stopped after the second of seven batches (Ctrl-C): every point holds only part of its samples, and none
  // may be reported as if complete (they were written as finished rows before).
  size_t batches = 0, reported = 0;
  opt.progress = [&](size_t, const std::vector<PointResult>&) { return ++batches < 2; };
  const auto stopped =
      evaluate_dataset(DatasetReader(path), {&diag}, opt, [&](const std::vector<PointResult>&) { ++reported; });
  EXPECT_EQ(batches, 2u);
  EXPECT_TRUE(stopped.empty());
  EXPECT_EQ(reported, 0u);
  std::filesystem::remove_all(dir);
}

TEST(Results, CsvRoundTripAndBadFiles) {
  const auto dir = std::filesystem::temp_directory_path() / ("mimo_test_csv_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::vector<PointResult> rows(2);
  rows[0] = {"kbest:k=16,clip=8", snr_point(10, SnrUnit::snr, 4, 2), 123456789, 4321, 61728394, 4000, 1.25};
  rows[1] = {"mmse", snr_point(12, SnrUnit::snr, 4, 2), 1000, 0, 500, 0, 0.5};
  rows[1].llr_bits = 1000;
  rows[1].llr_info_sum = 1000 * 0.875;
  const ResultsContext ctx{"rayleigh", "qpsk", 4, 8};
  const auto path = (dir / "r.csv").string();
  write_file_atomically(path, results_csv(ctx, rows));
  ResultsContext back_ctx;
  const auto back = read_results_csv(path, &back_ctx);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].detector, "kbest:k=16;clip=8");  // a comma would have split the row
  EXPECT_EQ(back[1].detector, "mmse");
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(back[k].bits, rows[k].bits);
    EXPECT_EQ(back[k].bit_errors, rows[k].bit_errors);
    EXPECT_EQ(back[k].symbols, rows[k].symbols);
    EXPECT_EQ(back[k].symbol_errors, rows[k].symbol_errors);
    EXPECT_NEAR(back[k].snr.esn0_db, rows[k].snr.esn0_db, 1e-5);
    EXPECT_NEAR(back[k].snr.ebn0_db, rows[k].snr.ebn0_db, 1e-5);
  }
  EXPECT_FALSE(back[0].llr_info());  // K-best gives no LLRs: an empty field
  ASSERT_TRUE(back[1].llr_info());
  EXPECT_NEAR(*back[1].llr_info(), 0.875, 1e-6);
  EXPECT_EQ(back_ctx.channel, "rayleigh");
  EXPECT_EQ(back_ctx.nr, 8);
  // The BER column is errors / bits, and the interval brackets it.
  std::ifstream f(path);
  std::string header, line;
  std::getline(f, header);
  std::getline(f, line);
  std::vector<double> fields;
  std::stringstream ss(line.substr(line.find(',') + 1));
  std::string field;
  for (int k = 0; std::getline(ss, field, ','); ++k)
    if (k >= 4) fields.push_back(std::stod(field));  // snr_db onwards
  ASSERT_EQ(fields.size(), 12u) << line;
  EXPECT_NEAR(fields[5], 4321.0 / 123456789.0, 1e-9 * fields[5]);  // ber, 9 significant digits
  EXPECT_LT(fields[6], fields[5]);                                 // ber_lo
  EXPECT_GT(fields[7], fields[5]);                                 // ber_hi

  // Files from before the llr_info column are still read.
  std::ofstream(dir / "v1.csv") << kResultsHeaderV1 << "\nzf,rayleigh,qpsk,4,8,10,4,1,100,7,0.07,0.03,0.1,50,5,0.1,2\n";
  const auto v1 = read_results_csv((dir / "v1.csv").string());
  ASSERT_EQ(v1.size(), 1u);
  EXPECT_EQ(v1[0].bit_errors, 7u);
  EXPECT_FALSE(v1[0].llr_info());
  std::ofstream(dir / "bad.csv") << kResultsHeader << "\nzf,rayleigh,qpsk,4,8,10,4,1,100,7\n";
  EXPECT_THROW(read_results_csv((dir / "bad.csv").string()), std::runtime_error);
  std::ofstream(dir / "foreign.csv") << "a,b,c\n1,2,3\n";
  EXPECT_THROW(read_results_csv((dir / "foreign.csv").string()), std::runtime_error);
  std::filesystem::remove_all(dir);
}

// Mutual information of BPSK on a real AWGN channel with exact LLRs: given the bit, L ~ N(mu, 2 mu) with
// mu = 2 / sigma^2, and I = 1 - E[log2(1 + exp(-L))], integrated here by Simpson's rule.
double bpsk_awgn_information(double sigma2) {
  const double mu = 2 / sigma2, sd = std::sqrt(2 * mu);
  const int n = 4000;
  const double lo = -12, hi = 12, h = (hi - lo) / n;
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double u = lo + i * h, l = mu + sd * u;
    const double f = std::exp(-u * u / 2) / std::sqrt(2 * M_PI) * std::log2(1 + std::exp(-l));
    sum += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
  }
  return 1 - sum * h / 3;
}

TEST(LlrInformation, MatchesBpskAwgnClosedForm) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 1);
  std::bernoulli_distribution coin(0.5);
  for (double sigma2 : {0.25, 1.0, 4.0}) {
    const size_t n = 400000;
    std::vector<uint8_t> bits(n);
    std::vector<float> llr(n);
    for (size_t i = 0; i < n; ++i) {
      bits[i] = coin(rng);
      const double y = (bits[i] ? -1.0 : 1.0) + std::sqrt(sigma2) * noise(rng);
      llr[i] = static_cast<float>(2 * y / sigma2);
    }
    const double expected = bpsk_awgn_information(sigma2);
    EXPECT_NEAR(llr_information(bits.data(), llr.data(), n), expected, 4e-3) << "sigma2 " << sigma2;
    // Flipped LLRs are confidently wrong: the estimate goes negative.
    for (auto& l : llr) l = -l;
    EXPECT_LT(llr_information(bits.data(), llr.data(), n), 0.0);
  }
  EXPECT_NEAR(bpsk_awgn_information(1.0), 0.486, 2e-3);  // the textbook BPSK capacity at 0 dB
  const std::vector<uint8_t> bits{0, 1, 1, 0};
  const std::vector<float> zero(4, 0.0f), sure{80, -80, -80, 80};
  EXPECT_NEAR(llr_information(bits.data(), zero.data(), 4), 0.0, 1e-7);  // float32 terms (information_loss.hpp)
  EXPECT_NEAR(llr_information(bits.data(), sure.data(), 4), 1.0, 1e-12);
}

// The SIMD kernel against the same sum in float64, one term at a time: LLRs from 1e-6 to the clip, both signs,
// right and wrong, and every tail length a vector leaves.
TEST(LlrInformation, SimdKernelMatchesFloat64Sum) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> exponent(-6, 4);
  std::bernoulli_distribution coin(0.5);
  for (size_t n : {1u, 7u, 15u, 16u, 17u, 63u, 1000u, 16411u}) {
    std::vector<uint8_t> bits(n);
    std::vector<float> llr(n);
    double expected = 0;
    for (size_t i = 0; i < n; ++i) {
      bits[i] = coin(rng);
      llr[i] = static_cast<float>((coin(rng) ? 1 : -1) * std::pow(10.0, exponent(rng)));
      const double x = (bits[i] ? -1.0 : 1.0) * llr[i];
      expected += x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
    }
    EXPECT_NEAR(information_loss_simd(bits.data(), llr.data(), n), expected, 2e-6 * expected) << n;
  }
}

}  // namespace
}  // namespace mimo
