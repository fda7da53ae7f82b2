#pragma once
// The file a fuzzer writes each input to before opening it by name: one per process, since parallel fuzzing jobs
// (-jobs, -fork) must not share it, removed at exit.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace mimo::fuzz {

inline const std::string& scratch_file(const char* stem) {
  static std::string path;
  if (path.empty()) {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/" + stem + "-XXXXXX";
    const int fd = mkstemp(path.data());
    if (fd < 0) std::abort();
    close(fd);
    std::atexit([] { std::remove(path.c_str()); });
  }
  return path;
}

}  // namespace mimo::fuzz
