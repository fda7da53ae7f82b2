#include "datasets/virtual_file.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "datasets/h5_schema.hpp"
#include "datasets/h5_virtual.hpp"
#include "datasets/partial_file.hpp"

namespace mimo {

namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) { return "'" + s + "'"; }

// In the source names of a virtual data set '%' starts a printf-style pattern ("%b", the block number), so a
// literal '%' is stored as "%%".
std::string escape_source_name(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

// The literal name, or nothing for a pattern (a mapping that mimo never writes and does not check).
std::optional<std::string> unescape_source_name(const std::string& name) {
  std::string out;
  for (size_t k = 0; k < name.size(); ++k) {
    if (name[k] == '%' && (k + 1 == name.size() || name[++k] != '%')) return std::nullopt;
    out += name[k];
  }
  return out;
}

std::vector<hsize_t> dims_of(const H5::DataSet& d) {
  const H5::DataSpace space = d.getSpace();
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(space.getSimpleExtentNdims(), 0)));
  if (!dims.empty()) space.getSimpleExtentDims(dims.data());
  return dims;
}

struct Shard {
  std::string path;    // as given, for messages
  std::string stored;  // as stored in the joined file: relative to its folder, escaped
  H5::H5File file;
};

// Copies every attribute of `from` to `to` in its own type: HDF5 reads variable-length strings as pointers it
// allocates, which are freed once written.
void copy_attributes(const H5::H5Object& from, H5::H5Object& to) {
  for (int k = 0; k < from.getNumAttrs(); ++k) {
    const H5::Attribute a = from.openAttribute(static_cast<unsigned>(k));
    const H5::DataType type = a.getDataType();
    const H5::DataSpace space = a.getSpace();
    std::vector<unsigned char> value(type.getSize() * static_cast<size_t>(std::max<hssize_t>(space.getSimpleExtentNpoints(), 1)));
    a.read(type, value.data());
    struct Reclaim {
      hid_t type, space;
      void* data;
      ~Reclaim() { H5Dvlen_reclaim(type, space, H5P_DEFAULT, data); }
    } reclaim{type.getId(), space.getId(), value.data()};
    to.createAttribute(a.getName(), type, space).write(type, value.data());
  }
}

// Data set `full` (its path in every shard) as a virtual data set `link` of `out`: the shards' rows one after
// another, each shard's whole data set mapped to its block of rows.
void join_data_set(H5::Group& out, const std::string& link, const std::string& full, const std::vector<Shard>& shards) {
  const H5::DataSet first = shards[0].file.openDataSet(full);
  const H5::DataType type = first.getDataType();
  std::vector<hsize_t> total = dims_of(first);
  std::vector<hsize_t> rows;
  for (const auto& s : shards) {
    if (!s.file.nameExists(full))
      throw DatasetError(s.path + ": has no data set " + quote(full) + " (unlike " + shards[0].path + ")");
    const H5::DataSet d = s.file.openDataSet(full);
    const auto dims = dims_of(d);
    if (!(d.getDataType() == type) || dims.size() != total.size() ||
        !std::equal(dims.begin() + 1, dims.end(), total.begin() + 1))
      throw DatasetError(s.path + ": data set " + quote(full) + " differs in type or shape from " + shards[0].path);
    rows.push_back(dims[0]);
  }
  total[0] = 0;
  for (hsize_t r : rows) total[0] += r;
  const int rank = static_cast<int>(total.size());
  H5::DataSpace space(rank, total.data());
  H5::DSetCreatPropList props;
  std::vector<hsize_t> start(total.size(), 0), block = total;
  for (size_t k = 0; k < shards.size(); ++k) {
    if (rows[k] == 0) continue;  // an empty selection cannot be mapped
    block[0] = rows[k];
    space.selectHyperslab(H5S_SELECT_SET, block.data(), start.data());
    // A hyperslab rather than the whole source: HDF5 stores a whole-source selection without its extent, and a
    // reader could then not tell how many rows the shard must hold.
    H5::DataSpace source(rank, block.data());
    const std::vector<hsize_t> origin(total.size(), 0);
    source.selectHyperslab(H5S_SELECT_SET, block.data(), origin.data());
    if (H5Pset_virtual(props.getId(), space.getId(), shards[k].stored.c_str(), escape_source_name(full).c_str(),
                       source.getId()) < 0)
      throw DatasetError("cannot map " + shards[k].path + " into a virtual data set " + quote(full));
    start[0] += rows[k];
  }
  space.selectAll();
  H5::DataSet joined = out.createDataSet(link, type, space, props);
  copy_attributes(first, joined);
}

// The tree of the first shard, with every data set that has rows joined over the shards and the rest copied.
void mirror_group(const H5::Group& from, H5::Group& to, const std::string& prefix, const std::vector<Shard>& shards) {
  copy_attributes(from, to);
  for (hsize_t k = 0; k < from.getNumObjs(); ++k) {
    const std::string name = from.getObjnameByIdx(k);
    const std::string full = prefix + "/" + name;
    const H5O_type_t kind = from.childObjType(name);
    if (kind == H5O_TYPE_GROUP) {
      H5::Group group = to.createGroup(name);
      mirror_group(from.openGroup(name), group, full, shards);
    } else if (kind == H5O_TYPE_DATASET && from.openDataSet(name).getSpace().getSimpleExtentNdims() > 0) {
      join_data_set(to, name, full, shards);
    } else if (H5Ocopy(from.getId(), name.c_str(), to.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0) {
      throw DatasetError("cannot copy " + quote(full) + " from " + shards[0].path);
    }
  }
}

// The name HDF5 resolves against the joined file's folder when it opens a source.
std::string stored_name(const std::string& shard, const fs::path& folder) {
  const fs::path absolute = fs::absolute(shard).lexically_normal();
  const fs::path relative = absolute.lexically_relative(folder);
  return escape_source_name((relative.empty() ? absolute : relative).generic_string());
}

}  // namespace

std::string shard_folder(const std::string& path) { return path + ".shards"; }

std::string shard_path(const std::string& path, int index, int count) {
  std::string number = std::to_string(index);
  number.insert(0, std::to_string(count).size() - std::min(number.size(), std::to_string(count).size()), '0');
  return (fs::path(shard_folder(path)) / ("part-" + number + "-of-" + std::to_string(count) + ".h5")).string();
}

void write_virtual_file(const std::string& path, const std::vector<std::string>& shard_paths) {
  write_virtual_file(path, shard_paths, [](H5::H5File&) {});
}

void write_virtual_file(const std::string& path, const std::vector<std::string>& shard_paths,
                        const std::function<void(H5::H5File&)>& amend) {
  quiet_hdf5_errors();
  if (shard_paths.empty()) throw std::invalid_argument("write_virtual_file: no shards to join into " + path);
  const fs::path folder = fs::absolute(path).lexically_normal().parent_path();
  std::vector<Shard> shards;
  for (const auto& p : shard_paths) {
    Shard s{p, stored_name(p, folder), {}};
    try {
      s.file = H5::H5File(p, H5F_ACC_RDONLY);
    } catch (const H5::Exception&) {
      throw DatasetError("cannot open shard '" + p + "' (missing, or not a complete HDF5 file)");
    }
    shards.push_back(std::move(s));
  }
  PartialH5File out(path, H5Format::v110);
  try {
    errno = 0;  // read by h5_write_error: only a failure of these writes may set it
    mirror_group(shards[0].file, out.file(), "", shards);
    amend(out.file());
  } catch (const H5::Exception& e) {
    throw DatasetError(h5_write_error(out.partial_path(), e.getDetailMsg()));
  }
  out.commit();
}

namespace {

// One mapping of a virtual data set: its rows in the joined data set and where they come from.
struct Mapping {
  hsize_t first = 0, last = 0;            // rows of the virtual data set
  std::string file, data_set;             // as stored (escaped)
  std::vector<hsize_t> source_first, source_last;  // bounds of the selection in the source data set
};

std::vector<hsize_t> bounds(hid_t space, bool upper) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> lo(static_cast<size_t>(std::max(rank, 0))), hi(lo.size());
  if (rank <= 0 || H5Sget_select_bounds(space, lo.data(), hi.data()) < 0)
    throw DatasetError("a virtual data set mapping without bounds");
  return upper ? hi : lo;
}

std::string mapping_string(ssize_t (*get)(hid_t, size_t, char*, size_t), hid_t props, size_t k) {
  const ssize_t size = get(props, k, nullptr, 0);
  if (size < 0) throw DatasetError("a virtual data set mapping without a source name");
  std::string text(static_cast<size_t>(size) + 1, '\0');
  get(props, k, text.data(), text.size());
  text.resize(static_cast<size_t>(size));
  return text;
}

std::vector<Mapping> read_mappings(const H5::DataSet& d) {
  const H5::DSetCreatPropList props = d.getCreatePlist();
  size_t count = 0;
  if (H5Pget_virtual_count(props.getId(), &count) < 0) throw DatasetError("unreadable virtual data set mappings");
  std::vector<Mapping> mappings(count);
  for (size_t k = 0; k < count; ++k) {
    auto& m = mappings[k];
    const hid_t vspace = H5Pget_virtual_vspace(props.getId(), k);
    const hid_t source = H5Pget_virtual_srcspace(props.getId(), k);
    try {
      const auto first = bounds(vspace, false), last = bounds(vspace, true);
      m.first = first[0];
      m.last = last[0];
      if (H5Sget_select_type(source) == H5S_SEL_ALL) {  // stored without the source's extent: it must fit the block
        m.source_first.assign(first.size(), 0);
        for (size_t i = 0; i < first.size(); ++i) m.source_last.push_back(last[i] - first[i]);
      } else {
        m.source_first = bounds(source, false);
        m.source_last = bounds(source, true);
      }
    } catch (...) {
      H5Sclose(vspace);
      H5Sclose(source);
      throw;
    }
    H5Sclose(vspace);
    H5Sclose(source);
    m.file = mapping_string(H5Pget_virtual_filename, props.getId(), k);
    m.data_set = mapping_string(H5Pget_virtual_dsetname, props.getId(), k);
  }
  return mappings;
}

std::string rows_text(hsize_t first, hsize_t last) {
  return "its rows " + std::to_string(first) + ".." + std::to_string(last) + " would read as fill values";
}

// Rows that map to no source read as fill values too: the mappings must cover [0, rows).
void require_covered(std::vector<Mapping> mappings, hsize_t rows, const std::string& name, const std::string& path) {
  std::sort(mappings.begin(), mappings.end(), [](const Mapping& a, const Mapping& b) { return a.first < b.first; });
  hsize_t next = 0;
  for (const auto& m : mappings) {
    if (m.first > next) break;
    next = std::max(next, m.last + 1);
  }
  if (next < rows)
    throw DatasetError(path + ": rows " + std::to_string(next) + ".. of virtual data set " + quote(name) +
                       " map to no shard (they would read as fill values)");
}

void require_source(const Mapping& m, const std::string& path, const SourceCheck& check_source) {
  const auto file = unescape_source_name(m.file);
  const auto data_set = unescape_source_name(m.data_set);
  if (!file || !data_set)
    throw DatasetError(path + ": a virtual data set maps a pattern of files (" + m.file + "), which mimo does not read");
  // HDF5 looks for a relative source beside the joined file first; "." is the joined file itself.
  const fs::path shard = *file == "." ? fs::path(path)
                         : fs::path(*file).is_absolute() ? fs::path(*file)
                                                         : fs::path(path).parent_path() / *file;
  const std::string where = path + ": shard " + shard.lexically_normal().string();
  const std::string shown = data_set->rfind('/', 0) == 0 ? data_set->substr(1) : *data_set;  // "H", as users name it
  const std::string lost = " (" + rows_text(m.first, m.last) + ")";
  std::error_code ec;
  if (!fs::is_regular_file(shard, ec)) throw DatasetError(where + " is missing" + lost);
  try {
    const H5::H5File f(shard.string(), H5F_ACC_RDONLY);
    if (!f.nameExists(*data_set)) throw DatasetError(where + " has no data set " + quote(shown) + lost);
    const H5::DataSet source = f.openDataSet(*data_set);
    const auto dims = dims_of(source);
    if (dims.size() != m.source_last.size())
      throw DatasetError(where + ": data set " + quote(shown) + " has another rank than mapped" + lost);
    // The joined file maps each shard's whole data set: more rows than mapped are another run's shard.
    if (!dims.empty() && m.source_first[0] == 0 && dims[0] > m.source_last[0] + 1)
      throw DatasetError(where + " holds " + std::to_string(dims[0]) + " rows of " + quote(shown) + " where " +
                         std::to_string(m.source_last[0] + 1) + " are mapped (a shard of another run?)");
    for (size_t k = 0; k < dims.size(); ++k) {
      if (dims[k] > m.source_last[k]) continue;
      if (k > 0)
        throw DatasetError(where + ": data set " + quote(shown) + " is narrower than mapped" + lost);
      const hsize_t held = dims[0] > m.source_first[0] ? dims[0] - m.source_first[0] : 0;
      throw DatasetError(where + " holds " + std::to_string(dims[0]) + " rows of " + quote(shown) + " where " +
                         std::to_string(m.source_last[0] + 1) + " are mapped (" +
                         rows_text(m.first + held, m.last) + ")");
    }
    check_source(source, where);
  } catch (const H5::Exception&) {
    throw DatasetError(where + " is not a readable HDF5 file (truncated or corrupted?; " + rows_text(m.first, m.last) +
                       ")");
  }
}

}  // namespace

void require_virtual_sources(const H5::DataSet& d, const std::string& name, const std::string& path,
                             const SourceCheck& check_source) {
  std::vector<Mapping> mappings;
  try {
    mappings = read_mappings(d);
  } catch (const DatasetError& e) {
    throw DatasetError(path + ": data set " + quote(name) + ": " + e.what());
  }
  const auto dims = dims_of(d);
  require_covered(mappings, dims.empty() ? 0 : dims[0], name, path);
  for (const auto& m : mappings) require_source(m, path, check_source);
}

}  // namespace mimo
