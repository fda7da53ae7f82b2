#include "apps/outputs.hpp"

#include <filesystem>
#include <stdexcept>

namespace mimo::cli {

namespace {

namespace fs = std::filesystem;

// Two names for one file: hard and symbolic links when both exist, else the same normalized absolute path.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  const auto ca = fs::weakly_canonical(a, ec);
  const auto cb = fs::weakly_canonical(b, ec);
  return !ec && ca == cb;
}

std::string named(const FlagPath& p) { return p.flag + " '" + p.path + "'"; }

}  // namespace

void check_outputs(const std::vector<FlagPath>& outputs, const std::vector<FlagPath>& inputs) {
  for (size_t k = 0; k < outputs.size(); ++k) {
    const auto& out = outputs[k];
    if (out.path.empty()) throw std::invalid_argument(out.flag + " is empty: give a file name");
    std::error_code ec;
    if (fs::is_directory(out.path, ec)) throw std::invalid_argument(named(out) + " is a directory, not a file");
    const auto dir = fs::path(out.path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
      throw std::invalid_argument(out.flag + ": directory '" + dir.string() + "' does not exist");
    for (const auto& in : inputs)
      if (!in.path.empty() && same_file(out.path, in.path))
        throw std::invalid_argument(named(out) + " is the same file as " + named(in) + ": it would be overwritten");
    for (size_t j = 0; j < k; ++j)
      if (same_file(out.path, outputs[j].path))
        throw std::invalid_argument(named(out) + " and " + named(outputs[j]) + " are the same file");
  }
}

void require_extension(const FlagPath& output, const std::string& extension) {
  if (fs::path(output.path).extension() != extension)
    throw std::invalid_argument(named(output) + " must end in " + extension);
}

}  // namespace mimo::cli
