#pragma once
// Output paths are checked before any work: a long run must not find out at its end that it cannot write, and
// no command may overwrite one of its own inputs or write two outputs to one name.
#include <string>
#include <vector>

namespace mimo::cli {

/// A path and the flag it came from, for messages ("--out 'd.h5' is the same file as --data").
struct FlagPath {
  std::string flag, path;
};

/// Throws std::invalid_argument (one line) if an output is empty, a directory or another non-regular file (a
/// device, a pipe), in a directory that does not exist, the same file as an input (or its partial file is), or
/// the same file as another output.
void check_outputs(const std::vector<FlagPath>& outputs, const std::vector<FlagPath>& inputs = {});

/// The files that detector specs name (transformer:model.pt): inputs that an output must not overwrite.
std::vector<FlagPath> files_in_specs(const std::string& flag, const std::vector<std::string>& specs);

/// Throws std::invalid_argument unless `path` ends in `extension` (".csv"), naming the flag.
void require_extension(const FlagPath& output, const std::string& extension);

}  // namespace mimo::cli
