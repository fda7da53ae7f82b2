#pragma once
// Writes a whole file under a temporary name and renames it into place, so a reader never sees half of it.
#include <string>

namespace mimo {

/// Renames a finished "<path>.partial" to `path`; on failure deletes the partial file and returns false.
bool rename_into_place(const std::string& partial, const std::string& path);

/// Writes `content` to "<path>.partial" and renames it to `path`; throws std::runtime_error naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace mimo
