#include "datasets/partial_file.hpp"

#include <filesystem>

#include "datasets/atomic_file.hpp"
#include "datasets/h5_schema.hpp"

namespace mimo {

PartialH5File::PartialH5File(const std::string& path) : path_(path), partial_(path + ".partial") {
  quiet_hdf5_errors();
  try {
    file_ = H5::H5File(partial_, H5F_ACC_TRUNC);
  } catch (const H5::Exception&) {
    throw DatasetError("cannot create '" + partial_ + "' (does the directory exist and is it writable?)");
  }
  open_ = true;
}

void PartialH5File::commit() {
  if (!open_) throw std::logic_error("PartialH5File::commit after commit or discard");
  try {
    file_.close();
  } catch (const H5::Exception& e) {
    discard();
    throw DatasetError("cannot finish '" + partial_ + "': " + e.getDetailMsg());
  }
  open_ = false;
  if (!rename_into_place(partial_, path_)) throw DatasetError("cannot rename '" + partial_ + "' to '" + path_ + "'");
}

void PartialH5File::discard() noexcept {
  if (!open_) return;
  open_ = false;
  try {
    file_.close();
  } catch (...) {
  }
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
}

}  // namespace mimo
