#include "datasets/writer.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include <zlib.h>

#include "channel/parallel.hpp"
#include "coding/ldpc_params.hpp"
#include "datasets/h5_schema.hpp"
#include "datasets/partial_file.hpp"

namespace mimo {

namespace {

// Byte shuffle as HDF5's shuffle filter does it: byte j of element i goes to j * n + i.
void shuffle_bytes(const uint8_t* in, size_t bytes, size_t element, uint8_t* out) {
  if (element <= 1) {
    std::memcpy(out, in, bytes);
    return;
  }
  const size_t n = bytes / element;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < element; ++j) out[j * n + i] = in[i * element + j];
}

// An extensible data set [samples, inner...] grown along the sample axis. Whole chunks are filtered here, on
// several threads, and stored with H5Dwrite_chunk: HDF5's own pipeline compresses on the calling thread only,
// which made deflate the bottleneck of `mimo generate`. The last, partial chunk goes through HDF5's pipeline.
struct Column {
  H5::DataSet set;
  H5::DataType type;
  std::vector<hsize_t> inner;  // dims after the sample axis
  size_t sample_bytes = 0;     // bytes of one sample
  size_t element_bytes = 0;    // shuffle element size (the datatype's size)
  hsize_t chunk_samples = 0;
  int level = 0;
  std::vector<uint8_t> pending;  // samples not yet stored, fewer than one chunk after each store
  hsize_t stored = 0;            // samples already in the file

  Column(H5::H5File& file, const char* name, const H5::DataType& t, std::vector<hsize_t> inner_dims,
         hsize_t chunk, int compression)
      : type(t), inner(std::move(inner_dims)), chunk_samples(chunk), level(compression) {
    element_bytes = type.getSize();
    sample_bytes = element_bytes;
    for (hsize_t d : inner) sample_bytes *= d;
    std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk_dims{chunk};
    for (hsize_t d : inner) {
      dims.push_back(d);
      maxdims.push_back(d);
      chunk_dims.push_back(d);
    }
    H5::DSetCreatPropList props;
    props.setChunk(static_cast<int>(chunk_dims.size()), chunk_dims.data());
    if (level > 0) {
      props.setShuffle();
      props.setDeflate(level);
    }
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), maxdims.data());
    set = file.createDataSet(name, type, space, props);
  }

  size_t chunk_bytes() const { return static_cast<size_t>(chunk_samples) * sample_bytes; }
  size_t full_chunks() const { return pending.size() / chunk_bytes(); }

  // Filters chunk k of `pending` into out (shuffle + zlib stream, what the deflate filter expects).
  void encode(size_t k, std::vector<uint8_t>& out) const {
    const uint8_t* raw = pending.data() + k * chunk_bytes();
    if (level == 0) {
      out.assign(raw, raw + chunk_bytes());
      return;
    }
    std::vector<uint8_t> shuffled(chunk_bytes());
    shuffle_bytes(raw, chunk_bytes(), element_bytes, shuffled.data());
    uLongf size = compressBound(static_cast<uLong>(shuffled.size()));
    out.resize(size);
    if (compress2(out.data(), &size, shuffled.data(), static_cast<uLong>(shuffled.size()), level) != Z_OK)
      throw std::runtime_error("zlib compression failed");
    out.resize(size);
  }

  void extend_to(hsize_t samples) {
    std::vector<hsize_t> size{samples};
    size.insert(size.end(), inner.begin(), inner.end());
    set.extend(size.data());
  }

  // Stores the encoded full chunks and drops them from `pending`.
  void store_chunks(const std::vector<std::vector<uint8_t>>& encoded) {
    if (encoded.empty()) return;
    extend_to(stored + encoded.size() * chunk_samples);
    std::vector<hsize_t> offset(1 + inner.size(), 0);
    for (const auto& chunk : encoded) {
      offset[0] = stored;
      if (H5Dwrite_chunk(set.getId(), H5P_DEFAULT, 0, offset.data(), chunk.size(), chunk.data()) < 0)
        throw H5::DataSetIException("H5Dwrite_chunk", "cannot write a chunk");
      stored += chunk_samples;
    }
    pending.erase(pending.begin(), pending.begin() + encoded.size() * chunk_bytes());
  }

  // Writes what is left (less than one chunk) through HDF5's own filter pipeline.
  void flush_tail() {
    const hsize_t count = pending.size() / sample_bytes;
    if (count == 0) return;
    extend_to(stored + count);
    std::vector<hsize_t> offset{stored}, block{count};
    for (hsize_t d : inner) {
      offset.push_back(0);
      block.push_back(d);
    }
    H5::DataSpace file_space = set.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, block.data(), offset.data());
    H5::DataSpace mem_space(static_cast<int>(block.size()), block.data());
    set.write(pending.data(), type, mem_space, file_space);
    stored += count;
    pending.clear();
  }
};

// A coded data set's code as root attributes (SCHEMA.md, "Coded data sets"): `code` alone rebuilds it; the rest
// spares Python and MATLAB users re-deriving 38.212's parameters and the block layout.
void write_code_attributes(H5::H5File& f, const DatasetCode& code) {
  const LdpcParams p = ldpc_params(code.spec.k, code.spec.e);
  schema::write_attr(f, "code", code.spec.describe());
  schema::write_attr(f, "code_requested", code.requested);
  schema::write_attr(f, "code_k", code.spec.k);
  schema::write_attr(f, "code_e", code.spec.e);
  schema::write_attr(f, "code_iterations", code.spec.iterations);
  schema::write_attr(f, "code_base_graph", p.base_graph);
  schema::write_attr(f, "code_zc", p.z);
  schema::write_attr(f, "code_lifted_n", p.n);
  schema::write_attr(f, "code_uses_per_block", code.uses_per_block);
  schema::write_attr(f, "code_interleaver",
                     std::string("code bit e of block j is in sample j*B + (e mod B), bit (e div B) of its row of "
                                 "'bits' (B = code_uses_per_block); info_bits[j] are its K information bits"));
}

}  // namespace

struct DatasetWriter::Impl {
  explicit Impl(const std::string& path) : out(path) {}
  PartialH5File out;            // declared first: destroyed (deleted unless committed) after the columns
  std::vector<Column> columns;  // H, y, x, bits, snr_db, noise_var[, H_est][, user_gain_db][, info_bits]
  size_t nt, nr, m;
  bool with_h_est, with_user_gain;
  std::optional<DatasetCode> code;
  int threads;
};

DatasetWriter::DatasetWriter(const std::string& path, const DatasetInfo& info, const WriterOptions& options)
    : path_(path), partial_(path + ".partial") {
  quiet_hdf5_errors();
  if (options.compression < 0 || options.compression > 9)
    throw std::invalid_argument("compression level must be in [0, 9] (compression = " +
                                std::to_string(options.compression) + ")");
  if (info.code && info.code->uses_per_block == 0)
    throw std::invalid_argument("a coded data set needs at least one channel use per block");
  const auto& ch = info.channel;
  impl_ = std::make_unique<Impl>(path);
  impl_->nt = ch.nt;
  impl_->nr = ch.nr;
  impl_->m = Constellation(info.modulation).bits_per_symbol();
  impl_->with_h_est = options.with_h_est;
  impl_->with_user_gain = ch.user_power_spread_db > 0.0;
  impl_->code = info.code;
  impl_->threads = resolve_threads(options.threads);
  try {
    auto& f = impl_->out.file();
    schema::write_attr(f, "schema_version", info.schema_version);
    schema::write_attr(f, "nt", ch.nt);
    schema::write_attr(f, "nr", ch.nr);
    schema::write_attr(f, "modulation", to_string(info.modulation));
    schema::write_attr(f, "bits_per_symbol", static_cast<int>(impl_->m));
    schema::write_attr(f, "channel_model", ch.model);
    // The model's declared parameters, each under its own name (SCHEMA.md): numbers as float64, text as strings.
    for (const auto& [name, value] : ch.resolved_parameters()) {
      if (const double* v = std::get_if<double>(&value))
        schema::write_attr(f, name.c_str(), *v);
      else
        schema::write_attr(f, name.c_str(), std::get<std::string>(value));
    }
    schema::write_attr(f, "csi_error_var", ch.csi_error_var);
    if (impl_->with_user_gain) schema::write_attr(f, "user_power_spread_db", ch.user_power_spread_db);
    if (ch.uses_per_realization > 1) schema::write_attr(f, "uses_per_realization", ch.uses_per_realization);
    schema::write_attr(f, "snr_unit", to_string(info.snr_unit));
    schema::write_attr(f, "snr_schedule", info.snr_schedule);
    schema::write_attr(f, "seed", info.seed);
    schema::write_attr(f, "tool_version", info.tool_version);
    schema::write_attr(f, "llr_convention", std::string("none stored; mimo LLRs are ln P(b=0)/P(b=1)"));
    if (info.code) write_code_attributes(f, *info.code);

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
    if (impl_->with_user_gain)
      cols.emplace_back(f, schema::user_gain_db, H5::PredType::NATIVE_FLOAT, std::vector<hsize_t>{nt}, chunk, level);
    if (info.code) {
      const hsize_t k = static_cast<hsize_t>(info.code->spec.k);
      cols.emplace_back(f, schema::info_bits, H5::PredType::NATIVE_UINT8, std::vector<hsize_t>{k},
                        std::max<hsize_t>(1, options.chunk_bytes / k), level);
    }
  } catch (const H5::Exception& e) {
    const std::string message = h5_write_error(partial_, e.getDetailMsg());
    abort();
    throw DatasetError(message);
  }
}

DatasetWriter::~DatasetWriter() { abort(); }

void DatasetWriter::append(const SampleBatch& b, const std::vector<uint8_t>& info_bits) {
  if (!impl_) throw std::logic_error("DatasetWriter::append after commit or abort");
  if (b.nt != impl_->nt || b.nr != impl_->nr || b.m != impl_->m || b.has_h_est() != impl_->with_h_est ||
      b.has_user_gain() != impl_->with_user_gain)
    throw std::invalid_argument("DatasetWriter::append: batch shape does not match the data set");
  const auto& code = impl_->code;
  const size_t blocks = code ? b.n / code->uses_per_block : 0;
  if (code ? b.n % code->uses_per_block != 0 || info_bits.size() != blocks * static_cast<size_t>(code->spec.k)
           : !info_bits.empty())
    throw std::invalid_argument("DatasetWriter::append: a coded data set takes whole blocks with their information "
                                "bits, an uncoded one none");
  if (b.n == 0) return;
  // What the reader refuses is refused here too, so no command can write a file that cannot be read back.
  for (size_t k = 0; k < b.n; ++k)
    if (!std::isfinite(b.snr_db[k]) || !(b.noise_var[k] > 0.0f) || !std::isfinite(b.noise_var[k]))
      throw std::invalid_argument("DatasetWriter::append: sample " + std::to_string(samples_ + k) +
                                  " has SNR " + std::to_string(b.snr_db[k]) + " dB and noise variance " +
                                  std::to_string(b.noise_var[k]) + " (must be finite and > 0)");
  auto require_finite = [&](const auto& v, const char* name, size_t per_sample) {
    for (size_t e = 0; e < v.size(); ++e) {
      const std::complex<float> z(v[e]);
      if (!std::isfinite(z.real()) || !std::isfinite(z.imag()))
        throw std::invalid_argument("DatasetWriter::append: sample " + std::to_string(samples_ + e / per_sample) +
                                    " has a non-finite value in '" + name + "'");
    }
  };
  require_finite(b.H, schema::H, b.nr * b.nt);
  require_finite(b.y, schema::y, b.nr);
  require_finite(b.H_est, schema::H_est, b.nr * b.nt);
  require_finite(b.user_gain_db, schema::user_gain_db, b.nt);
  auto& c = impl_->columns;
  auto stage = [&](Column& col, const void* data) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    col.pending.insert(col.pending.end(), bytes, bytes + b.n * col.sample_bytes);
  };
  stage(c[0], b.H.data());
  stage(c[1], b.y.data());
  stage(c[2], b.x.data());
  stage(c[3], b.bits.data());
  stage(c[4], b.snr_db.data());
  stage(c[5], b.noise_var.data());
  if (impl_->with_h_est) stage(c[6], b.H_est.data());
  if (impl_->with_user_gain) stage(c[impl_->with_h_est ? 7 : 6], b.user_gain_db.data());
  if (code) c.back().pending.insert(c.back().pending.end(), info_bits.begin(), info_bits.end());

  // Encode every full chunk of every column in parallel, then store them in order.
  std::vector<std::pair<size_t, size_t>> jobs;  // (column, chunk)
  std::vector<std::vector<std::vector<uint8_t>>> encoded(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    encoded[i].resize(c[i].full_chunks());
    for (size_t k = 0; k < encoded[i].size(); ++k) jobs.emplace_back(i, k);
  }
  // Jobs differ in size by orders of magnitude (an H chunk against a noise_var chunk), so workers pull them
  // one at a time instead of taking fixed ranges.
  std::atomic<size_t> next{0};
  const int workers = static_cast<int>(std::min<size_t>(impl_->threads, jobs.size()));
  parallel_for(static_cast<size_t>(workers), workers, [&](size_t, size_t, int) {
    for (size_t j; (j = next.fetch_add(1)) < jobs.size();)
      c[jobs[j].first].encode(jobs[j].second, encoded[jobs[j].first][jobs[j].second]);
  });
  try {
    errno = 0;  // read by h5_write_error: only a failure of these writes may set it
    for (size_t i = 0; i < c.size(); ++i) c[i].store_chunks(encoded[i]);
  } catch (const H5::Exception& e) {
    throw DatasetError(h5_write_error(partial_, e.getDetailMsg()));
  }
  samples_ += b.n;
}

void DatasetWriter::commit() {
  if (!impl_) throw std::logic_error("DatasetWriter::commit twice");
  try {
    errno = 0;
    for (auto& col : impl_->columns) col.flush_tail();
  } catch (const H5::Exception& e) {
    const std::string message = h5_write_error(partial_, e.getDetailMsg());
    abort();
    throw DatasetError(message);
  }
  impl_->out.flush();  // a full disk is reported here (the destructor then aborts), before the columns close
  impl_->columns.clear();
  impl_->out.commit();
  impl_.reset();
}

void DatasetWriter::abort() noexcept {
  if (impl_) impl_->out.abandon();  // closing the columns must not fail on a full disk
  impl_.reset();
}

}  // namespace mimo
