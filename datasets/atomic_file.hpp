#pragma once
// Writes a whole file under a temporary name and renames it into place, so a reader never sees half of it.
#include <string>

namespace mimo {

/// Renames a finished "<path>.partial" to `path`; on failure deletes the partial file and returns false.
bool rename_into_place(const std::string& partial, const std::string& path);

/// Writes `content` to "<path>.partial" and renames it to `path`; throws std::runtime_error naming the path
/// ("no space left on device writing ..." when the disk is full), leaving no partial file behind.
void write_file_atomically(const std::string& path, const std::string& content);

/// One line for a failed write of `path` given the errno it failed with: a full disk or quota says so.
std::string write_error(const std::string& path, int err);

/// Registers a partial file for the lifetime of the guard, so that a process that must exit at once from a signal
/// handler (see remove_partial_files_now) still leaves no partial file behind. A folder may be registered too: it
/// is removed then if it is empty.
class PartialFileGuard {
public:
  explicit PartialFileGuard(const std::string& partial_path);
  ~PartialFileGuard();
  PartialFileGuard(const PartialFileGuard&) = delete;
  PartialFileGuard& operator=(const PartialFileGuard&) = delete;

private:
  int slot_ = -1;
};

/// Deletes every registered partial file, then every registered folder left empty. Async-signal-safe (unlink and
/// rmdir only): for signal handlers that _exit.
void remove_partial_files_now() noexcept;

}  // namespace mimo
