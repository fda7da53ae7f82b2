#include "datasets/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mimo {

namespace {

// A fixed table rather than a container: a signal handler may read it at any moment, so entries are written
// completely before they are published (the atomic flag) and nothing in it is ever allocated or freed.
constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;
struct Slot {
  std::atomic<bool> claimed{false};  // owned by a guard
  std::atomic<bool> used{false};     // path complete: visible to remove_partial_files_now
  char path[kPathMax];
};
Slot g_slots[kSlots];

}  // namespace

PartialFileGuard::PartialFileGuard(const std::string& partial_path) {
  if (partial_path.size() >= kPathMax) return;
  for (int k = 0; k < kSlots; ++k) {
    bool expected = false;
    if (!g_slots[k].claimed.compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_slots[k].path, partial_path.c_str(), partial_path.size() + 1);
    g_slots[k].used.store(true, std::memory_order_release);
    slot_ = k;
    return;
  }
}

PartialFileGuard::~PartialFileGuard() {
  if (slot_ < 0) return;
  g_slots[slot_].used.store(false, std::memory_order_release);
  g_slots[slot_].claimed.store(false, std::memory_order_release);
}

void remove_partial_files_now() noexcept {
  for (auto& s : g_slots)
    if (s.used.load(std::memory_order_acquire)) ::unlink(s.path);
  // Then the registered folders (a sharded output's), each only if nothing else is left in it.
  for (auto& s : g_slots)
    if (s.used.load(std::memory_order_acquire)) ::rmdir(s.path);
}

std::string write_error(const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT) return "no space left on device writing '" + path + "'";
  if (err == EFBIG) return "file too large for this file system or limit writing '" + path + "'";
  if (err != 0) return "cannot write '" + path + "': " + std::strerror(err);
  return "cannot write '" + path + "'";
}

bool rename_into_place(const std::string& partial, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (!ec) return true;
  std::filesystem::remove(partial, ec);
  return false;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string partial = path + ".partial";
  PartialFileGuard guard(partial);
  // POSIX calls rather than an ofstream: the errno of the failing call is what tells a full disk apart.
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    throw std::runtime_error(err == ENOENT ? "cannot write '" + partial + "' (does the directory exist?)"
                                           : write_error(partial, err));
  }
  const char* data = content.data();
  size_t left = content.size();
  int err = 0;
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(partial.c_str());
    throw std::runtime_error(write_error(path, err));
  }
  if (!rename_into_place(partial, path)) throw std::runtime_error("cannot rename '" + partial + "' to '" + path + "'");
}

}  // namespace mimo
