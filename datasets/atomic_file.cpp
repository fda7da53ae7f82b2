#include "datasets/atomic_file.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace mimo {

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
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    throw std::runtime_error("cannot rename '" + partial + "' to '" + path + "'");
  }
}

}  // namespace mimo
