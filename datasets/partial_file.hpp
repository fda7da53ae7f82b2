#pragma once
// An HDF5 file written under "<path>.partial" and renamed to <path> only by commit(). Destroyed without commit()
// (an error, an interrupt the caller handles) it is closed and deleted -- also when the owner's constructor
// throws after creating it -- so a reader never finds a half-written file under the final name.
#include <H5Cpp.h>

#include <memory>
#include <string>

#include "datasets/atomic_file.hpp"

namespace mimo {

/// The one-line message for an HDF5 call that failed writing `path`, read from the errno it left: a full disk
/// says so ("no space left on device writing ..."), anything else gives HDF5's detail.
std::string h5_write_error(const std::string& path, const std::string& detail);

/// The newest HDF5 file format a file may use. mimo writes the 1.8 format, which every current reader opens;
/// virtual data sets exist only from the 1.10 format on (HDF5 1.10, h5py on it, MATLAB R2021b).
enum class H5Format { v18, v110 };

class PartialH5File {
public:
  /// Creates (truncates) "<path>.partial"; throws DatasetError if it cannot (and leaves no file behind).
  explicit PartialH5File(const std::string& path, H5Format newest = H5Format::v18);
  ~PartialH5File() { discard(); }
  PartialH5File(const PartialH5File&) = delete;
  PartialH5File& operator=(const PartialH5File&) = delete;

  H5::H5File& file() { return *file_; }
  const std::string& partial_path() const { return partial_; }
  /// Writes everything HDF5 still holds in memory to disk; throws DatasetError ("no space left on device
  /// writing ...") on failure. Owners call it before closing their objects, so that a full disk is reported
  /// here and not by a failing close.
  void flush();
  /// Closes and renames into place; throws DatasetError (and deletes the partial file) on failure. Every object
  /// opened in the file must be closed first, or HDF5 keeps it open.
  void commit();
  /// The file will be deleted: from now on HDF5 writes into an in-memory file, so closing the owner's objects
  /// (which flushes them) does not fail on a full disk. Owners call it before releasing their objects on an error path.
  void abandon() noexcept;
  /// Closes and deletes the partial file; does nothing after commit().
  void discard() noexcept;


private:
  std::string path_, partial_;
  std::unique_ptr<PartialFileGuard> guard_;  // removes the partial file if the process must exit from a signal
  std::unique_ptr<H5::H5File> file_;  // released (leaked) if its close fails: see commit()
  bool open_ = false;
  bool abandoned_ = false;
};

}  // namespace mimo
