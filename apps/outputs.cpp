#include "apps/outputs.hpp"

#include <filesystem>
#include <sstream>
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
    // The finished file is renamed over the name: a device (/dev/null) or a pipe there would be replaced.
    if (fs::exists(out.path, ec) && !fs::is_regular_file(out.path, ec))
      throw std::invalid_argument(named(out) + " exists and is not a regular file");
    const auto dir = fs::path(out.path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
      throw std::invalid_argument(out.flag + ": directory '" + dir.string() + "' does not exist");
    // The partial file is created (truncated) first, so an input under that name would be lost too.
    for (const auto& in : inputs)
      for (const std::string& written : {out.path, out.path + ".partial"})
        if (!in.path.empty() && same_file(written, in.path))
          throw std::invalid_argument(named(out) + " would overwrite " + named(in));
    for (size_t j = 0; j < k; ++j)
      if (same_file(out.path, outputs[j].path))
        throw std::invalid_argument(named(out) + " and " + named(outputs[j]) + " are the same file");
  }
}

std::vector<FlagPath> files_in_specs(const std::string& flag, const std::vector<std::string>& specs) {
  std::vector<FlagPath> files;
  for (const auto& spec : specs) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos) continue;
    std::stringstream options(spec.substr(colon + 1));
    for (std::string token; std::getline(options, token, ',');) {
      const auto eq = token.find('=');
      const std::string value = eq == std::string::npos ? token : token.substr(eq + 1);
      std::error_code ec;
      if (!value.empty() && fs::is_regular_file(value, ec)) files.push_back({flag, value});
    }
  }
  return files;
}

void require_extension(const FlagPath& output, const std::string& extension) {
  if (fs::path(output.path).extension() != extension)
    throw std::invalid_argument(named(output) + " must end in " + extension);
}

}  // namespace mimo::cli
