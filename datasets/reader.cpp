#include "datasets/reader.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <sstream>
#include <vector>

#include "coding/ldpc_params.hpp"
#include "datasets/h5_schema.hpp"
#include "datasets/h5_virtual.hpp"

namespace mimo {

namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::ostringstream os;
  os << '[';
  for (size_t k = 0; k < dims.size(); ++k) os << (k ? "," : "") << dims[k];
  os << ']';
  return os.str();
}

// An attribute checked before it is read: HDF5 reads a whole array attribute into the buffer it is given, so an
// array where a scalar belongs would overflow it. MATLAB writes scalars as 1x1 arrays, so one element is enough.
H5::Attribute open_scalar_attr(const H5::H5File& f, const char* name, const std::string& path) {
  if (!f.attrExists(name)) throw DatasetError(path + ": missing attribute " + quote(name));
  H5::Attribute a = f.openAttribute(name);
  const hssize_t points = a.getSpace().getSimpleExtentNpoints();
  if (points != 1)
    throw DatasetError(path + ": attribute " + quote(name) + " must be a single value, not " +
                       std::to_string(points) + " values");
  return a;
}

// Whole numbers only (a floating-point `nt = 4.5` must not be truncated to 4), in [lo, hi]: read at full width,
// since HDF5's conversion to a narrower or unsigned type clamps silently (an int64 seed of -1 would read as 0).
template <class T>
T read_integer_attr(const H5::H5File& f, const char* name, T lo, T hi, const std::string& path) {
  H5::Attribute a = open_scalar_attr(f, name, path);
  if (a.getTypeClass() != H5T_INTEGER) throw DatasetError(path + ": attribute " + quote(name) + " is not an integer");
  const auto out_of_range = [&](const std::string& value) {
    return DatasetError(path + ": attribute " + quote(name) + " is " + value + ", out of range [" + std::to_string(lo) +
                        ", " + std::to_string(hi) + "]");
  };
  if (a.getIntType().getSign() != H5T_SGN_NONE) {
    long long v = 0;
    a.read(H5::PredType::NATIVE_LLONG, &v);
    const bool below = v < 0 ? (lo >= 0 || v < static_cast<long long>(lo)) : (lo > 0 && v < static_cast<long long>(lo));
    const bool above = v >= 0 && static_cast<unsigned long long>(v) > static_cast<unsigned long long>(hi);
    if (below || above) throw out_of_range(std::to_string(v));
    return static_cast<T>(v);
  }
  unsigned long long v = 0;
  a.read(H5::PredType::NATIVE_ULLONG, &v);
  if ((lo > 0 && v < static_cast<unsigned long long>(lo)) || v > static_cast<unsigned long long>(hi))
    throw out_of_range(std::to_string(v));
  return static_cast<T>(v);
}

double read_real_attr(const H5::H5File& f, const char* name, const std::string& path) {
  H5::Attribute a = open_scalar_attr(f, name, path);
  if (a.getTypeClass() != H5T_FLOAT && a.getTypeClass() != H5T_INTEGER)
    throw DatasetError(path + ": attribute " + quote(name) + " is not a number");
  double v = 0;
  a.read(H5::PredType::NATIVE_DOUBLE, &v);
  if (!std::isfinite(v)) throw DatasetError(path + ": attribute " + quote(name) + " is not finite");
  return v;
}

std::string read_string_attr(const H5::H5File& f, const char* name, const std::string& path) {
  H5::Attribute a = open_scalar_attr(f, name, path);
  if (a.getTypeClass() != H5T_STRING) throw DatasetError(path + ": attribute " + quote(name) + " is not a string");
  const H5::StrType stored = a.getStrType();
  if (!stored.isVariableStr()) {
    std::string v;
    a.read(stored, v);
    return v;
  }
  // Read by hand: the C++ API calls strlen on the pointer HDF5 returns, and a stored null string is a null pointer.
  H5::StrType memory(H5::PredType::C_S1, H5T_VARIABLE);
  memory.setCset(stored.getCset());
  char* raw = nullptr;
  a.read(memory, &raw);
  if (raw == nullptr) throw DatasetError(path + ": attribute " + quote(name) + " is a null string");
  std::string v(raw);
  H5free_memory(raw);
  return v;
}

// A file's scalar number and string attributes (strings as their text, numbers as their bytes), for comparing the
// attributes of two files.
std::vector<std::pair<std::string, std::string>> root_attributes(const H5::H5File& f) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int k = 0; k < f.getNumAttrs(); ++k) {
    const H5::Attribute a = f.openAttribute(static_cast<unsigned>(k));
    const H5T_class_t kind = a.getTypeClass();
    if (a.getSpace().getSimpleExtentNpoints() != 1 || (kind != H5T_STRING && kind != H5T_INTEGER && kind != H5T_FLOAT))
      continue;
    std::string value;
    if (kind == H5T_STRING) {
      a.read(a.getStrType(), value);
    } else {
      const H5::DataType type = a.getDataType();
      value.assign(type.getSize(), '\0');
      a.read(type, value.data());
    }
    out.emplace_back(a.getName(), std::to_string(kind) + ":" + value);
  }
  return out;
}

// A shard of a virtual data set carries its joined file's attributes (the joined file took them from its first
// shard): one of another run, even of as many rows, is refused rather than read as part of this one.
void require_same_attributes(const H5::DataSet& joined, const H5::DataSet& source, const std::string& label) {
  const auto theirs = root_attributes(H5::H5File(source.getFileName(), H5F_ACC_RDONLY));
  for (const auto& ours : root_attributes(H5::H5File(joined.getFileName(), H5F_ACC_RDONLY))) {
    const std::string& name = ours.first;  // not a structured binding: Clang 14 cannot capture one
    const auto it = std::find_if(theirs.begin(), theirs.end(), [&](const auto& a) { return a.first == name; });
    if (it == theirs.end() || it->second != ours.second)
      throw DatasetError(label + " differs from the joined file in its attribute " + quote(name) +
                         " (a shard of another run?)");
  }
}

// A chunked data set whose chunks were never all written reads as fill values (zeros), and a tiny file can declare
// a billion samples that way; a complete one has every chunk. Contiguous data (other writers) must be allocated. A
// virtual data set (`mpirun mimo generate`) reads fill values for a missing or short shard: each source is checked,
// and checked like this in turn (`depth` bounds a file whose virtual data sets map one another).
void require_written(const H5::DataSet& d, const char* name, const std::string& path, int depth = 0) {
  const H5::DSetCreatPropList props = d.getCreatePlist();
  if (props.getLayout() == H5D_CHUNKED) {
    const H5::DataSpace space = d.getSpace();  // HDF5 1.10 does not take H5S_ALL here
    std::vector<hsize_t> dims(static_cast<size_t>(space.getSimpleExtentNdims())), chunk(dims.size());
    space.getSimpleExtentDims(dims.data());
    props.getChunk(static_cast<int>(chunk.size()), chunk.data());
    hsize_t expected = 1;
    for (size_t k = 0; k < dims.size(); ++k) expected *= (dims[k] + chunk[k] - 1) / std::max<hsize_t>(chunk[k], 1);
    hsize_t stored = 0;
    if (H5Dget_num_chunks(d.getId(), space.getId(), &stored) < 0 || stored < expected)
      throw DatasetError(path + ": data set " + quote(name) + " is incomplete (" + std::to_string(stored) + " of " +
                         std::to_string(expected) + " chunks written)");
  } else if (props.getLayout() == H5D_CONTIGUOUS && d.getStorageSize() == 0) {
    throw DatasetError(path + ": data set " + quote(name) + " was declared but never written");
  } else if (props.getLayout() == H5D_VIRTUAL) {
    if (depth >= 4) throw DatasetError(path + ": data set " + quote(name) + " is virtual more than 4 levels deep");
    require_virtual_sources(d, name, path, [&](const H5::DataSet& source, const std::string& label) {
      require_written(source, name, label, depth + 1);
      require_same_attributes(d, source, label);
    });
  }
}

// A coded data set's code (SCHEMA.md, "Coded data sets"): the spec in `code` rebuilds it, and the numbers beside it
// (written for people) must be that spec's own, so that a corrupted one is refused rather than believed. Uncoded
// files (every one before `generate --code`) have none of these attributes.
std::optional<DatasetCode> read_code(const H5::H5File& f, int m, int nt, const std::string& p) {
  if (!f.attrExists("code")) {
    if (f.nameExists(schema::info_bits)) throw DatasetError(p + ": has 'info_bits' but no attribute 'code'");
    return std::nullopt;
  }
  DatasetCode code;
  LdpcParams params;
  try {
    code.spec = parse_ldpc_spec(read_string_attr(f, "code", p));
    params = ldpc_params(code.spec.k, code.spec.e);
    if (code.spec.e % m != 0)
      throw std::invalid_argument("n = " + std::to_string(code.spec.e) + " is not a multiple of the " +
                                  std::to_string(m) + " bits per symbol");
  } catch (const std::invalid_argument& e) {
    throw DatasetError(p + ": attribute 'code': " + e.what());
  }
  code.requested = read_string_attr(f, "code_requested", p);
  const auto require = [&](const char* name, int expected) {
    const int stored = read_integer_attr<int>(f, name, 0, INT_MAX, p);
    if (stored != expected)
      throw DatasetError(p + ": attribute " + quote(name) + " is " + std::to_string(stored) + " but the code " +
                         code.spec.describe() + " has " + std::to_string(expected));
  };
  require("code_k", code.spec.k);
  require("code_e", code.spec.e);
  require("code_iterations", code.spec.iterations);
  require("code_base_graph", params.base_graph);
  require("code_zc", params.z);
  require("code_lifted_n", params.n);
  code.uses_per_block = read_integer_attr<uint64_t>(f, "code_uses_per_block", 1, static_cast<uint64_t>(params.e), p);
  // B follows from the code and the shape (ceil(E / (Nt m)), coded_link.hpp): another value would group the
  // samples and the information bits into the wrong blocks.
  const uint64_t slots = static_cast<uint64_t>(nt) * static_cast<uint64_t>(m);
  const uint64_t expected_b = (static_cast<uint64_t>(code.spec.e) + slots - 1) / slots;
  if (code.uses_per_block != expected_b)
    throw DatasetError(p + ": attribute 'code_uses_per_block' is " + std::to_string(code.uses_per_block) +
                       " but the code " + code.spec.describe() + " over " + std::to_string(nt) + " streams of " +
                       std::to_string(m) + " bits takes " + std::to_string(expected_b) + " channel uses per block");
  read_string_attr(f, "code_interleaver", p);  // its text is for people
  return code;
}

bool is_complex_compound(const H5::DataSet& d) {
  if (d.getTypeClass() != H5T_COMPOUND) return false;
  H5::CompType t = d.getCompType();
  if (t.getNmembers() != 2 || t.getMemberName(0) != "r" || t.getMemberName(1) != "i") return false;
  return t.getMemberDataType(0).getSize() == sizeof(float) && t.getMemberDataType(1).getSize() == sizeof(float) &&
         t.getMemberClass(0) == H5T_FLOAT && t.getMemberClass(1) == H5T_FLOAT;
}

// Rows [first, first + count) of a data set along its first axis; a failure is `error` with the rows and ")".
void read_rows(const H5::DataSet& d, uint64_t first, size_t count, void* dst, const H5::DataType& mem_type,
               const std::string& error) {
  try {
    H5::DataSpace fs = d.getSpace();
    const int rank = fs.getSimpleExtentNdims();
    std::vector<hsize_t> dims(rank);
    fs.getSimpleExtentDims(dims.data());
    std::vector<hsize_t> offset(rank, 0), block = dims;
    offset[0] = first;
    block[0] = count;
    fs.selectHyperslab(H5S_SELECT_SET, block.data(), offset.data());
    H5::DataSpace ms(rank, block.data());
    d.read(dst, mem_type, ms, fs);
  } catch (const H5::Exception&) {
    throw DatasetError(error + std::to_string(first) + ".." + std::to_string(first + count - 1) + ")");
  }
}

}  // namespace

struct DatasetReader::Impl {
  H5::H5File file;
  H5::DataSet H, H_est, y, x, bits, snr_db, noise_var, user_gain_db, info_bits;
};

DatasetReader::~DatasetReader() = default;
DatasetReader::DatasetReader(DatasetReader&&) noexcept = default;
DatasetReader& DatasetReader::operator=(DatasetReader&&) noexcept = default;

DatasetReader::DatasetReader(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  quiet_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DatasetError(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw DatasetError(path + ": is a directory, not a data set");
  try {
    if (!H5::H5File::isHdf5(path)) throw DatasetError(path + ": not an HDF5 file");
  } catch (const H5::Exception&) {
    throw DatasetError(path + ": not an HDF5 file (or unreadable)");
  }
  try {
    impl_->file = H5::H5File(path, H5F_ACC_RDONLY);
  } catch (const H5::Exception&) {
    throw DatasetError(path + ": cannot open (truncated or corrupted HDF5 file?)");
  }
  const auto& f = impl_->file;
  const std::string& p = path_;
  try {
    if (!f.attrExists("schema_version"))
      throw DatasetError(p + ": not a mimo data set (no 'schema_version' attribute)");
    info_.schema_version = read_integer_attr<int>(f, "schema_version", 0, INT_MAX, p);
    if (info_.schema_version != kSchemaVersion)
      throw DatasetError(p + ": schema version " + std::to_string(info_.schema_version) +
                         " is not supported (this mimo reads version " + std::to_string(kSchemaVersion) + ")");
    auto& ch = info_.channel;
    ch.nt = read_integer_attr<int>(f, "nt", 1, 1024, p);
    ch.nr = read_integer_attr<int>(f, "nr", 1, 1024, p);
    ch.model = read_string_attr(f, "channel_model", p);
    ch.csi_error_var = read_real_attr(f, "csi_error_var", p);
    if (f.attrExists("user_power_spread_db")) ch.user_power_spread_db = read_real_attr(f, "user_power_spread_db", p);
    if (f.attrExists("uses_per_realization"))  // absent: a new realization per channel use
      ch.uses_per_realization =
          read_integer_attr<uint64_t>(f, "uses_per_realization", 1, kMaxUsesPerRealization, p);
    try {
      // The model's declared parameters, each a required attribute of its kind.
      for (const auto& param : channel_model_info(ch.model).parameters) {
        if (param.kind == ChannelParameter::Kind::real)
          ch.params[param.name] = read_real_attr(f, param.name.c_str(), p);
        else
          ch.params[param.name] = read_string_attr(f, param.name.c_str(), p);
      }
      validate(ch);
      info_.modulation = parse_modulation(read_string_attr(f, "modulation", p));
      info_.snr_unit = parse_snr_unit(read_string_attr(f, "snr_unit", p));
    } catch (const std::invalid_argument& e) {
      throw DatasetError(p + ": bad metadata: " + e.what());
    }
    info_.snr_schedule = read_string_attr(f, "snr_schedule", p);
    try {
      SnrSchedule::from_description(info_.snr_schedule);  // parsed, not only stored: commands rebuild SNRs from it
    } catch (const std::invalid_argument& e) {
      throw DatasetError(p + ": attribute 'snr_schedule': " + e.what());
    }
    info_.seed = read_integer_attr<uint64_t>(f, "seed", 0, UINT64_MAX, p);
    info_.tool_version = read_string_attr(f, "tool_version", p);
    read_string_attr(f, "llr_convention", p);  // required by SCHEMA.md; its text is for people

    const hsize_t nt = ch.nt, nr = ch.nr;
    const hsize_t m = Constellation(info_.modulation).bits_per_symbol();
    const int declared_m = read_integer_attr<int>(f, "bits_per_symbol", 1, 8, p);
    if (declared_m != static_cast<int>(m))
      throw DatasetError(p + ": attribute 'bits_per_symbol' is " + std::to_string(declared_m) + " but " +
                         to_string(info_.modulation) + " has " + std::to_string(m));
    bool have_n = false;
    hsize_t n = 0;
    // `rows`: the first dimension, when it is not the samples' (info_bits: one row per block).
    auto open = [&](const char* name, std::vector<hsize_t> inner, bool complex, H5T_class_t cls, size_t size,
                    hsize_t rows = 0) {
      if (!f.nameExists(name)) throw DatasetError(p + ": missing data set " + quote(name));
      H5::DataSet d = f.openDataSet(name);
      const bool type_ok = complex ? is_complex_compound(d)
                                   : (d.getTypeClass() == cls && d.getDataType().getSize() == size);
      if (!type_ok) throw DatasetError(p + ": data set " + quote(name) + " has the wrong element type");
      H5::DataSpace s = d.getSpace();
      const int rank = s.getSimpleExtentNdims();
      std::vector<hsize_t> dims(std::max(rank, 0));
      if (rank > 0) s.getSimpleExtentDims(dims.data());
      std::vector<hsize_t> want{rows ? rows : have_n ? n : (dims.empty() ? 0 : dims[0])};
      want.insert(want.end(), inner.begin(), inner.end());
      if (dims != want) {
        throw DatasetError(p + ": data set " + quote(name) + " has shape " + shape_text(dims) + ", expected " +
                           shape_text(want));
      }
      if (!have_n) { n = dims[0]; have_n = true; }
      require_written(d, name, p);
      return d;
    };
    impl_->H = open(schema::H, {nr, nt}, true, H5T_COMPOUND, 0);
    impl_->y = open(schema::y, {nr}, true, H5T_COMPOUND, 0);
    impl_->x = open(schema::x, {nt}, true, H5T_COMPOUND, 0);
    // A signed int8 -1 would be converted to the uint8 0 on reading: a wrong bit, not an error.
    const auto require_unsigned = [&](const H5::DataSet& d, const char* name) {
      if (d.getIntType().getSign() != H5T_SGN_NONE)
        throw DatasetError(p + ": data set " + quote(name) + " must be unsigned 8-bit integers (uint8)");
    };
    impl_->bits = open(schema::bits, {nt * m}, false, H5T_INTEGER, 1);
    require_unsigned(impl_->bits, schema::bits);
    impl_->snr_db = open(schema::snr_db, {}, false, H5T_FLOAT, 4);
    impl_->noise_var = open(schema::noise_var, {}, false, H5T_FLOAT, 4);
    has_h_est_ = f.nameExists(schema::H_est);
    if (has_h_est_) impl_->H_est = open(schema::H_est, {nr, nt}, true, H5T_COMPOUND, 0);
    has_user_gain_ = ch.user_power_spread_db > 0;
    if (has_user_gain_) impl_->user_gain_db = open(schema::user_gain_db, {nt}, false, H5T_FLOAT, 4);
    if (!has_user_gain_ && f.nameExists(schema::user_gain_db))
      throw DatasetError(p + ": has 'user_gain_db' but no attribute 'user_power_spread_db' > 0");
    if (has_h_est_ != (ch.csi_error_var > 0))
      throw DatasetError(p + (has_h_est_ ? ": has 'H_est' but attribute 'csi_error_var' is 0 (perfect CSI)"
                                         : ": attribute 'csi_error_var' is > 0 but data set 'H_est' is missing"));
    if (n == 0) throw DatasetError(p + ": holds no samples");
    info_.code = read_code(f, static_cast<int>(m), static_cast<int>(nt), p);
    if (info_.code) {
      const uint64_t b = info_.code->uses_per_block;
      if (n % b != 0)
        throw DatasetError(p + ": holds " + std::to_string(n) + " samples, not a whole number of blocks of " +
                           std::to_string(b) + " (attribute 'code_uses_per_block')");
      impl_->info_bits = open(schema::info_bits, {static_cast<hsize_t>(info_.code->spec.k)}, false, H5T_INTEGER, 1, n / b);
      require_unsigned(impl_->info_bits, schema::info_bits);
    }
    info_.samples = n;
  } catch (const H5::Exception& e) {
    throw DatasetError(p + ": unreadable metadata (corrupted file?): " + e.getDetailMsg());
  }
}

void DatasetReader::read(uint64_t first, size_t count, SampleBatch& out) const {
  if (first + count > size())
    throw std::out_of_range(path_ + ": read past the end (" + std::to_string(first + count) + " > " +
                            std::to_string(size()) + " samples)");
  const auto& ch = info_.channel;
  out.resize(count, ch.nr, ch.nt, Constellation(info_.modulation).bits_per_symbol(), has_h_est_, has_user_gain_);
  if (count == 0) return;
  auto load = [&](const H5::DataSet& d, const char* name, void* dst, const H5::DataType& mem_type) {
    read_rows(d, first, count, dst, mem_type, path_ + ": corrupted data in " + quote(name) + " (samples ");
  };
  const auto& cx = schema::complex_type();
  load(impl_->H, schema::H, out.H.data(), cx);
  load(impl_->y, schema::y, out.y.data(), cx);
  load(impl_->x, schema::x, out.x.data(), cx);
  load(impl_->bits, schema::bits, out.bits.data(), H5::PredType::NATIVE_UINT8);
  load(impl_->snr_db, schema::snr_db, out.snr_db.data(), H5::PredType::NATIVE_FLOAT);
  load(impl_->noise_var, schema::noise_var, out.noise_var.data(), H5::PredType::NATIVE_FLOAT);
  if (has_h_est_) load(impl_->H_est, schema::H_est, out.H_est.data(), cx);
  if (has_user_gain_) load(impl_->user_gain_db, schema::user_gain_db, out.user_gain_db.data(), H5::PredType::NATIVE_FLOAT);

  // Detectors divide by noise_var and multiply by H: a NaN here would silently poison a BER curve.
  auto finite = [&](const auto& v, const char* name, size_t per_sample) {
    for (size_t k = 0; k < v.size(); ++k) {
      bool ok;
      if constexpr (std::is_same_v<std::decay_t<decltype(v[k])>, std::complex<float>>)
        ok = std::isfinite(v[k].real()) && std::isfinite(v[k].imag());
      else
        ok = std::isfinite(v[k]);
      if (!ok)
        throw DatasetError(path_ + ": non-finite value in " + quote(name) + " at sample " +
                           std::to_string(first + k / per_sample));
    }
  };
  finite(out.H, schema::H, ch.nr * ch.nt);
  finite(out.y, schema::y, ch.nr);
  finite(out.x, schema::x, ch.nt);
  finite(out.noise_var, schema::noise_var, 1);
  finite(out.snr_db, schema::snr_db, 1);
  if (has_h_est_) finite(out.H_est, schema::H_est, ch.nr * ch.nt);
  if (has_user_gain_) finite(out.user_gain_db, schema::user_gain_db, ch.nt);
  for (size_t k = 0; k < count; ++k)
    if (!(out.noise_var[k] > 0.0f))  // 0 is also what a never-written sample reads as
      throw DatasetError(path_ + ": noise_var " + std::to_string(out.noise_var[k]) + " at sample " +
                         std::to_string(first + k) + " is not > 0 (unwritten data?)");
  for (size_t k = 0; k < count; ++k)
    if (!(std::abs(out.snr_db[k]) <= kMaxAbsSnrDb))
      throw DatasetError(path_ + ": snr_db " + std::to_string(out.snr_db[k]) + " at sample " + std::to_string(first + k) +
                         " is outside [-" + std::to_string(static_cast<int>(kMaxAbsSnrDb)) + ", " +
                         std::to_string(static_cast<int>(kMaxAbsSnrDb)) + "] dB");
  for (size_t k = 0; k < out.bits.size(); ++k)
    if (out.bits[k] > 1)
      throw DatasetError(path_ + ": 'bits' holds a value other than 0 or 1 at sample " +
                         std::to_string(first + k / (ch.nt * out.m)));
}

void DatasetReader::read_info_bits(uint64_t first, size_t count, std::vector<uint8_t>& out) const {
  if (!info_.code) throw std::logic_error(path_ + " is not a coded data set: it has no information bits");
  if (first > blocks() || count > blocks() - first)
    throw std::out_of_range(path_ + ": read past the last block (" + std::to_string(first) + " + " +
                            std::to_string(count) + " > " +
                            std::to_string(blocks()) + " blocks)");
  const size_t k = static_cast<size_t>(info_.code->spec.k);
  out.resize(count * k);
  if (count == 0) return;
  read_rows(impl_->info_bits, first, count, out.data(), H5::PredType::NATIVE_UINT8,
            path_ + ": corrupted data in 'info_bits' (blocks ");
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] > 1)
      throw DatasetError(path_ + ": 'info_bits' holds a value other than 0 or 1 at block " +
                         std::to_string(first + i / k));
}

}  // namespace mimo
