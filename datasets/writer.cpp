#include "datasets/writer.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace mimo {

namespace {

template <class T>
void write_attr(H5::H5Object& obj, const char* name, const H5::DataType& type, const T& value) {
  H5::Attribute a = obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  a.write(type, &value);
}

void write_attr(H5::H5Object& obj, const char* name, const std::string& value) {
  H5::Attribute a = obj.createAttribute(name, schema::string_type(), H5::DataSpace(H5S_SCALAR));
  a.write(schema::string_type(), value);
}

// An extensible data set [0, inner...] grown along the sample axis.
struct Column {
  H5::DataSet set;
  H5::DataType type;
  std::vector<hsize_t> inner;  // dims after the sample axis

  Column(H5::H5File& file, const char* name, const H5::DataType& t, std::vector<hsize_t> inner_dims,
         hsize_t chunk_samples, int compression)
      : type(t), inner(std::move(inner_dims)) {
    std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk{chunk_samples};
    for (hsize_t d : inner) {
      dims.push_back(d);
      maxdims.push_back(d);
      chunk.push_back(d);
    }
    H5::DSetCreatPropList props;
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    if (compression > 0) {
      props.setShuffle();
      props.setDeflate(compression);
    }
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), maxdims.data());
    set = file.createDataSet(name, type, space, props);
  }

  void append(const void* data, hsize_t first, hsize_t count) {
    std::vector<hsize_t> size{first + count}, offset{first}, block{count};
    for (hsize_t d : inner) {
      size.push_back(d);
      offset.push_back(0);
      block.push_back(d);
    }
    set.extend(size.data());
    H5::DataSpace file_space = set.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, block.data(), offset.data());
    H5::DataSpace mem_space(static_cast<int>(block.size()), block.data());
    set.write(data, type, mem_space, file_space);
  }
};

}  // namespace

struct DatasetWriter::Impl {
  H5::H5File file;
  std::vector<Column> columns;  // H, y, x, bits, snr_db, noise_var[, H_est]
  size_t nt, nr, m;
  bool with_h_est;
};

DatasetWriter::DatasetWriter(const std::string& path, const DatasetInfo& info, const WriterOptions& options)
    : path_(path), partial_(path + ".partial") {
  quiet_hdf5_errors();
  if (options.compression < 0 || options.compression > 9)
    throw std::invalid_argument("compression level must be in [0, 9] (compression = " +
                                std::to_string(options.compression) + ")");
  const auto& ch = info.channel;
  impl_ = std::make_unique<Impl>();
  impl_->nt = ch.nt;
  impl_->nr = ch.nr;
  impl_->m = Constellation(info.modulation).bits_per_symbol();
  impl_->with_h_est = options.with_h_est;
  try {
    impl_->file = H5::H5File(partial_, H5F_ACC_TRUNC);
  } catch (const H5::Exception&) {
    throw DatasetError("cannot create '" + partial_ + "' (does the directory exist and is it writable?)");
  }
  try {
    auto& f = impl_->file;
    write_attr(f, "schema_version", H5::PredType::NATIVE_INT, info.schema_version);
    write_attr(f, "nt", H5::PredType::NATIVE_INT, ch.nt);
    write_attr(f, "nr", H5::PredType::NATIVE_INT, ch.nr);
    write_attr(f, "modulation", to_string(info.modulation));
    write_attr(f, "bits_per_symbol", H5::PredType::NATIVE_INT, static_cast<int>(impl_->m));
    write_attr(f, "channel_model", ch.model);
    write_attr(f, "rho_tx", H5::PredType::NATIVE_DOUBLE, ch.rho_tx);
    write_attr(f, "rho_rx", H5::PredType::NATIVE_DOUBLE, ch.rho_rx);
    write_attr(f, "k_factor", H5::PredType::NATIVE_DOUBLE, ch.k_factor);
    write_attr(f, "csi_error_var", H5::PredType::NATIVE_DOUBLE, ch.csi_error_var);
    write_attr(f, "snr_unit", to_string(info.snr_unit));
    write_attr(f, "snr_schedule", info.snr_schedule);
    write_attr(f, "seed", H5::PredType::NATIVE_UINT64, info.seed);
    write_attr(f, "tool_version", info.tool_version);
    write_attr(f, "llr_convention", std::string("none stored; mimo LLRs are ln P(b=0)/P(b=1)"));

    const hsize_t per_sample = static_cast<hsize_t>(ch.nr) * ch.nt * sizeof(std::complex<float>);
    const hsize_t chunk = std::max<hsize_t>(1, options.chunk_bytes / std::max<hsize_t>(per_sample, 1));
    const hsize_t nt = ch.nt, nr = ch.nr, m = impl_->m;
    const int level = options.compression;
    const auto& cx = schema::complex_type();
    auto& cols = impl_->columns;
    cols.emplace_back(f, schema::H, cx, std::vector<hsize_t>{nr, nt}, chunk, level);
    cols.emplace_back(f, schema::y, cx, std::vector<hsize_t>{nr}, chunk, level);
    cols.emplace_back(f, schema::x, cx, std::vector<hsize_t>{nt}, chunk, level);
    cols.emplace_back(f, schema::bits, H5::PredType::NATIVE_UINT8, std::vector<hsize_t>{nt * m}, chunk, level);
    cols.emplace_back(f, schema::snr_db, H5::PredType::NATIVE_FLOAT, std::vector<hsize_t>{}, chunk, level);
    cols.emplace_back(f, schema::noise_var, H5::PredType::NATIVE_FLOAT, std::vector<hsize_t>{}, chunk, level);
    if (options.with_h_est) cols.emplace_back(f, schema::H_est, cx, std::vector<hsize_t>{nr, nt}, chunk, level);
  } catch (const H5::Exception& e) {
    abort();
    throw DatasetError("cannot write '" + partial_ + "': " + e.getDetailMsg());
  }
}

DatasetWriter::~DatasetWriter() { abort(); }

void DatasetWriter::append(const SampleBatch& b) {
  if (!impl_) throw std::logic_error("DatasetWriter::append after commit or abort");
  if (b.nt != impl_->nt || b.nr != impl_->nr || b.m != impl_->m || b.has_h_est() != impl_->with_h_est)
    throw std::invalid_argument("DatasetWriter::append: batch shape does not match the data set");
  if (b.n == 0) return;
  try {
    auto& c = impl_->columns;
    c[0].append(b.H.data(), samples_, b.n);
    c[1].append(b.y.data(), samples_, b.n);
    c[2].append(b.x.data(), samples_, b.n);
    c[3].append(b.bits.data(), samples_, b.n);
    c[4].append(b.snr_db.data(), samples_, b.n);
    c[5].append(b.noise_var.data(), samples_, b.n);
    if (impl_->with_h_est) c[6].append(b.H_est.data(), samples_, b.n);
  } catch (const H5::Exception& e) {
    throw DatasetError("cannot write '" + partial_ + "' (disk full?): " + e.getDetailMsg());
  }
  samples_ += b.n;
}

void DatasetWriter::commit() {
  if (!impl_) throw std::logic_error("DatasetWriter::commit twice");
  try {
    impl_->columns.clear();
    impl_->file.close();
  } catch (const H5::Exception& e) {
    abort();
    throw DatasetError("cannot finish '" + partial_ + "': " + e.getDetailMsg());
  }
  impl_.reset();
  std::error_code ec;
  std::filesystem::rename(partial_, path_, ec);
  if (ec) {
    std::filesystem::remove(partial_, ec);
    throw DatasetError("cannot rename '" + partial_ + "' to '" + path_ + "'");
  }
}

void DatasetWriter::abort() noexcept {
  if (!impl_) return;
  try {
    impl_->columns.clear();
    impl_->file.close();
  } catch (...) {
  }
  impl_.reset();
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
}

}  // namespace mimo
