#pragma once
// An HDF5 file written under "<path>.partial" and renamed to <path> only by commit(). Destroyed without commit()
// (an error, an interrupt the caller handles) it is closed and deleted -- also when the owner's constructor
// throws after creating it -- so a reader never finds a half-written file under the final name.
#include <H5Cpp.h>

#include <string>

namespace mimo {

class PartialH5File {
public:
  /// Creates (truncates) "<path>.partial"; throws DatasetError if it cannot.
  explicit PartialH5File(const std::string& path);
  ~PartialH5File() { discard(); }
  PartialH5File(const PartialH5File&) = delete;
  PartialH5File& operator=(const PartialH5File&) = delete;

  H5::H5File& file() { return file_; }
  const std::string& partial_path() const { return partial_; }
  /// Closes and renames into place; throws DatasetError (and deletes the partial file) on failure. Every object
  /// opened in the file must be closed first, or HDF5 keeps it open.
  void commit();
  /// Closes and deletes the partial file; does nothing after commit().
  void discard() noexcept;

private:
  std::string path_, partial_;
  H5::H5File file_;
  bool open_ = false;
};

}  // namespace mimo
