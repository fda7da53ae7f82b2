#include "datasets/partial_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

#include "datasets/h5_schema.hpp"
#include "datasets/schema.hpp"

namespace mimo {

namespace {

std::atomic<bool> g_failed_close{false};

// HDF5 frees a file whose close fails but keeps its id, so any later close -- H5File's destructor, or HDF5's own
// clean-up at exit -- would use freed memory. The object is leaked on purpose and the process told to skip
// HDF5's clean-up at exit (hdf5_needs_quick_exit).
void leak_failed_file(std::unique_ptr<H5::H5File>& file) {
  (void)file.release();
  g_failed_close = true;
}

}  // namespace

bool hdf5_needs_quick_exit() { return g_failed_close; }

PartialH5File::PartialH5File(const std::string& path, H5Format newest)
    : path_(path), partial_(path + ".partial"), guard_(std::make_unique<PartialFileGuard>(partial_)) {
  quiet_hdf5_errors();
  try {
    // The 1.8 file format: object headers and the superblock carry checksums (the default, earliest format has
    // none), so a corrupted header is refused instead of read; HDF5 1.8 and later, h5py and MATLAB R2011a+ read it.
    H5::FileAccPropList access;
    access.setLibverBounds(H5F_LIBVER_V18, newest == H5Format::v110 ? H5F_LIBVER_V110 : H5F_LIBVER_V18);
    errno = 0;
    file_ = std::make_unique<H5::H5File>(partial_, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
  } catch (const H5::Exception&) {
    const int err = errno;
    // HDF5 locks the files it writes: another mimo is writing this very file, and it is not ours to delete.
    if (err == EAGAIN || err == EWOULDBLOCK)
      throw DatasetError("another process is writing '" + partial_ + "' (the same --out twice?)");
    std::error_code ec;
    const bool created = std::filesystem::exists(std::filesystem::symlink_status(partial_, ec));
    // A leftover of a killed run, or a file created before the failure, would stay behind (maybe empty).
    if (created && !std::filesystem::is_directory(std::filesystem::symlink_status(partial_, ec)))
      std::filesystem::remove(partial_, ec);
    if (created && err != 0) throw DatasetError(write_error(partial_, err));
    throw DatasetError("cannot create '" + partial_ + "' (does the directory exist and is it writable?)");
  }
  open_ = true;
}

std::string h5_write_error(const std::string& path, const std::string& detail) {
  const int err = errno;
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) return write_error(path, err);
  return write_error(path, 0) + (detail.empty() ? "" : ": " + detail);
}

void PartialH5File::flush() {
  if (!open_) throw std::logic_error("PartialH5File::flush after commit or discard");
  errno = 0;
  if (H5Fflush(file_->getId(), H5F_SCOPE_LOCAL) < 0) throw DatasetError(h5_write_error(partial_, ""));
}

void PartialH5File::commit() {
  if (!open_) throw std::logic_error("PartialH5File::commit after commit or discard");
  flush();  // a full disk fails here, while closing is still safe to skip
  try {
    file_->close();
  } catch (const H5::Exception& e) {
    leak_failed_file(file_);
    open_ = false;
    std::error_code ec;
    std::filesystem::remove(partial_, ec);
    throw DatasetError("cannot finish '" + partial_ + "': " + e.getDetailMsg());
  }
  open_ = false;
  if (!rename_into_place(partial_, path_)) throw DatasetError("cannot rename '" + partial_ + "' to '" + path_ + "'");
}

void PartialH5File::abandon() noexcept {
  if (!open_ || abandoned_) return;
  abandoned_ = true;
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file_->getId(), H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  const int fd = *static_cast<int*>(handle);  // the default (sec2) driver's handle is its file descriptor
  // A file in memory, not /dev/null: closing ends with a truncate to the allocated size, which /dev/null
  // refuses. Extending it is sparse, and only the metadata HDF5 still holds (kilobytes to a few MB) is written.
  const int sink = ::memfd_create("mimo-abandoned-h5", MFD_CLOEXEC);
  if (sink < 0) return;
  ::dup2(sink, fd);
  ::close(sink);
}

void PartialH5File::discard() noexcept {
  if (!open_) return;
  abandon();
  open_ = false;
  try {
    file_->close();
  } catch (...) {
    leak_failed_file(file_);
  }
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
}

}  // namespace mimo
