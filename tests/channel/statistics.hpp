#pragma once
// Statistical checks shared by the channel tests: a sample mean is compared with its expected value within
// kSigmas standard errors, the standard error estimated from the same samples, and each check also asserts
// that the standard error is small enough for the test to catch a real bug (e.g. a factor of 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>
#include <type_traits>

namespace mimo::test {

constexpr double kSigmas = 6.0;

/// Running mean and variance of a real or complex statistic (variance = E|z - mean|^2, unbiased).
template <typename T>
struct Stat {
  double n = 0;
  T sum = 0;
  double sum_sq = 0;
  void add(T z) { n += 1; sum += z; sum_sq += std::norm(z); }
  T mean() const { return sum / n; }
  double var() const { return (sum_sq / n - std::norm(mean())) * n / (n - 1); }
  double se() const { return std::sqrt(std::max(var(), 0.0) / n); }
};

/// |mean - want| <= kSigmas * se, and se <= max_se so the check has teeth.
template <typename T>
void expect_mean(const Stat<T>& s, std::type_identity_t<T> want, double max_se, const std::string& what) {
  EXPECT_LE(s.se(), max_se) << what << ": standard error too large for a meaningful check";
  EXPECT_LE(std::abs(s.mean() - want), kSigmas * s.se() + 1e-12)
      << what << ": mean " << s.mean() << " want " << want << " (se " << s.se() << ")";
}

}  // namespace mimo::test
