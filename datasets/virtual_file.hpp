#pragma once
// A file written by several processes (`mpirun -n P mimo generate`): each process writes a complete file of its
// contiguous rows, a shard, and one file joins them as HDF5 virtual data sets, so that every reader (mimo, h5py,
// MATLAB R2021b+, h5dump) sees one file with the rows in order and no row is copied.
#include <string>
#include <vector>

namespace mimo {

/// The folder beside `path` holding its shards: "<path>.shards".
std::string shard_folder(const std::string& path);

/// Shard `index` of `count` of `path`: "<path>.shards/part-<index>-of-<count>.h5", the index zero-padded to the
/// width of `count` so that a listing sorts in row order.
std::string shard_path(const std::string& path, int index, int count);

/// Writes `path` (as "<path>.partial", renamed when complete) as one file whose data sets join, in order along
/// their first axis, the same-named data sets of `shards` (existing files, each a complete file of the same
/// layout). Groups, attributes and scalar data sets are those of the first shard. The shards' names are stored
/// relative to `path`'s folder, so `path` and its shards folder can be moved together. Throws DatasetError (one
/// line) if a shard cannot be read or does not match the first.
void write_virtual_file(const std::string& path, const std::vector<std::string>& shards);

}  // namespace mimo
