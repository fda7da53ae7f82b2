// LibTorch's errors as one line (transformer/errors.hpp): what() of a c10::Error ends in a backtrace.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "transformer/errors.hpp"

namespace mimo::tf {
namespace {

TEST(Errors, TorchErrorsLoseTheirBacktraceOthersStayAsTheyAre) {
  try {
    torch::ones({2, 3}).matmul(torch::ones({2, 3}));
    FAIL() << "a shape mismatch was accepted";
  } catch (const c10::Error& e) {
    ASSERT_NE(std::string(e.what()).find('\n'), std::string::npos) << "no backtrace to remove: " << e.what();
    const auto line = error_line(e);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_NE(line.find("cannot be multiplied"), std::string::npos) << line;
    EXPECT_LE(line.size(), 120u);
  }
  EXPECT_EQ(error_line(std::runtime_error("disk full\nsecond line")), "disk full\nsecond line");
}

}  // namespace
}  // namespace mimo::tf
