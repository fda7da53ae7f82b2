#pragma once
// LibTorch's errors (c10::Error) carry a C++ backtrace in what(): a dozen lines where mimo reports one. This
// header is torch-free so that the CLI's last-resort catch can use it without LibTorch's headers.
#include <exception>
#include <string>

namespace mimo::tf {

/// e.what() as one line: for a LibTorch error its message without the backtrace, first line only, at most
/// 120 characters; any other exception's what() as it is.
std::string error_line(const std::exception& e);

}  // namespace mimo::tf
