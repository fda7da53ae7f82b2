#include "datasets/atomic_file.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace mimo {

bool rename_into_place(const std::string& partial, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (!ec) return true;
  std::filesystem::remove(partial, ec);
  return false;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string partial = path + ".partial";
  {
    std::ofstream f(partial, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write '" + partial + "' (does the directory exist?)");
    f << content;
    f.flush();
    if (!f) {
      f.close();
      std::filesystem::remove(partial);
      throw std::runtime_error("cannot write '" + partial + "' (disk full?)");
    }
  }
  if (!rename_into_place(partial, path)) throw std::runtime_error("cannot rename '" + partial + "' to '" + path + "'");
}

}  // namespace mimo
