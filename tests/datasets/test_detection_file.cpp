// The detections file's LLR quality measure against a closed form, and its all-or-nothing writing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "datasets/detection_file.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

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
  EXPECT_DOUBLE_EQ(llr_information(bits.data(), zero.data(), 4), 0.0);
  EXPECT_NEAR(llr_information(bits.data(), sure.data(), 4), 1.0, 1e-12);
}

TEST(DetectionFile, NothingIsLeftWithoutCommit) {
  const auto dir = test::scratch_dir("detections");
  const auto path = (dir / "det.h5").string();
  {
    DetectionFileWriter w(path, DetectionFileInfo{"d.h5", "qpsk", 2, 1, 1, 2, "test", "test"});
    const size_t d = w.add_detector("mmse", "mmse", true);
    const std::vector<int32_t> symbols{0, 3};
    const std::vector<float> llr{1, 2, 3, 4};
    w.write(d, 0, 2, symbols.data(), llr.data());
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
    EXPECT_THROW(w.add_detector("mmse", "mmse", false), DatasetError);  // a name used twice
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo
