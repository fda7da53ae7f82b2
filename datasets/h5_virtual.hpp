#pragma once
// Virtual data sets (datasets/virtual_file.hpp) on the HDF5 side, for the datasets module's own sources: joining
// shards into a file that the caller then amends, and the check readers make at open (HDF5 reads fill values,
// without any error, for rows whose source file is missing or shorter than mapped).
#include <H5Cpp.h>

#include <functional>
#include <string>

namespace mimo {

/// write_virtual_file (virtual_file.hpp), then `amend` on the joined file before it is renamed into place: attributes
/// of the whole (the shards' own counts replaced by everyone's) are rewritten there.
void write_virtual_file(const std::string& path, const std::vector<std::string>& shards,
                        const std::function<void(H5::H5File&)>& amend);

/// Called for each source data set of a virtual data set; `label` names the joined file and the shard
/// ("d.h5: shard d.h5.shards/part-1-of-2.h5") for the messages of further checks.
using SourceCheck = std::function<void(const H5::DataSet& source, const std::string& label)>;

/// Throws DatasetError, one line naming `path` and the shard, unless the mappings of the virtual data set `d`
/// (data set `name` of the file `path`) cover every row of it and each source file exists, opens, and holds its
/// source data set with at least the mapped rows; then calls `check_source` on each source data set.
void require_virtual_sources(const H5::DataSet& d, const std::string& name, const std::string& path,
                             const SourceCheck& check_source);

}  // namespace mimo
