#include "datasets/detection_file.hpp"

#include <cerrno>
#include <stdexcept>

#include "datasets/h5_schema.hpp"
#include "datasets/h5_virtual.hpp"
#include "datasets/partial_file.hpp"

namespace mimo {

struct DetectionFileWriter::Impl {
  explicit Impl(const std::string& path) : out(path) {}
  PartialH5File out;  // declared first: destroyed (deleted unless committed) after the groups
  DetectionFileInfo info;
  struct Group {
    H5::Group group;
    H5::DataSet symbols, llr, decoded_bits;
    bool with_llr = false;
  };
  std::vector<Group> groups;
};

namespace {

H5::DataSet create_rows(H5::Group& g, const char* name, const H5::PredType& type, std::vector<hsize_t> dims) {
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  return g.createDataSet(name, type, space);
}

void write_rows(H5::DataSet& set, const H5::PredType& type, uint64_t first, size_t count, const void* data) {
  H5::DataSpace file_space = set.getSpace();
  std::vector<hsize_t> dims(static_cast<size_t>(file_space.getSimpleExtentNdims()));
  file_space.getSimpleExtentDims(dims.data());
  std::vector<hsize_t> start(dims.size(), 0), block = dims;
  start[0] = first;
  block[0] = count;
  file_space.selectHyperslab(H5S_SELECT_SET, block.data(), start.data());
  H5::DataSpace mem_space(static_cast<int>(block.size()), block.data());
  set.write(data, type, mem_space, file_space);
}

// A detector's summary as its group's attributes, replacing any already there (a shard's own counts).
void write_summary(H5::Group& g, const DetectionSummary& s) {
  const auto put = [&g](const char* name, auto value) {
    if (g.attrExists(name)) g.removeAttr(name);
    schema::write_attr(g, name, value);
  };
  auto rate = [](uint64_t k, uint64_t n) { return n ? static_cast<double>(k) / static_cast<double>(n) : 0.0; };
  put("ber", rate(s.bit_errors, s.bits));
  put("ser", rate(s.symbol_errors, s.symbols));
  put("bit_errors", s.bit_errors);
  put("symbol_errors", s.symbol_errors);
  if (s.llr_information) put("llr_mutual_information", *s.llr_information);
  if (const auto& c = s.decoding) {
    put("blocks", c->blocks);
    put("block_errors", c->block_errors);
    put("bler", rate(c->block_errors, c->blocks));
    put("bler_lo", c->bler_lo);
    put("bler_hi", c->bler_hi);
    put("info_bit_errors", c->info_bit_errors);
    put("coded_ber", rate(c->info_bit_errors, c->info_bits));
  }
}

}  // namespace

DetectionFileWriter::DetectionFileWriter(const std::string& path, const DetectionFileInfo& info)
    : impl_(std::make_unique<Impl>(path)) {
  impl_->info = info;
  auto& f = impl_->out.file();
  try {
    schema::write_attr(f, "source", info.source);
    schema::write_attr(f, "modulation", info.modulation);
    schema::write_attr(f, "samples", info.samples);
    schema::write_attr(f, "nt", static_cast<int>(info.nt));
    schema::write_attr(f, "nr", static_cast<int>(info.nr));
    schema::write_attr(f, "bits_per_symbol", static_cast<int>(info.m));
    schema::write_attr(f, "command", info.command);
    schema::write_attr(f, "tool_version", info.tool_version);
    schema::write_attr(f, "llr_convention", std::string("ln P(b=0)/P(b=1), max-log; positive favours bit 0; bit "
                                                        "order as the data set's bits"));
    if (!info.code.empty()) schema::write_attr(f, "code", info.code);
  } catch (const H5::Exception& e) {
    throw DatasetError(h5_write_error(impl_->out.partial_path(), e.getDetailMsg()));
  }
}

DetectionFileWriter::~DetectionFileWriter() { abort(); }

DetectionFileWriter::Impl& DetectionFileWriter::live() const {
  if (!impl_) throw std::logic_error("DetectionFileWriter used after commit or abort");
  return *impl_;
}

size_t DetectionFileWriter::add_detector(const std::string& group, const std::string& spec, bool with_llr) {
  auto& impl = live();
  const auto& info = impl.info;
  Impl::Group g;
  try {
    g.group = impl.out.file().createGroup(group);
    schema::write_attr(g.group, "spec", spec);
    g.symbols = create_rows(g.group, "symbols", H5::PredType::NATIVE_INT32, {info.samples, info.nt});
    g.with_llr = with_llr;
    if (with_llr) g.llr = create_rows(g.group, "llr", H5::PredType::NATIVE_FLOAT, {info.samples, info.nt, info.m});
    if (info.k > 0) {
      if (!with_llr) throw std::invalid_argument("decoding '" + spec + "' needs its LLRs");
      g.decoded_bits = create_rows(g.group, "decoded_bits", H5::PredType::NATIVE_UINT8, {info.blocks, info.k});
    }
  } catch (const H5::Exception& e) {
    throw DatasetError("cannot add group '" + group + "' to '" + impl.out.partial_path() + "': " + e.getDetailMsg());
  }
  impl.groups.push_back(g);
  return impl.groups.size() - 1;
}

void DetectionFileWriter::write(size_t d, uint64_t first, size_t count, const int32_t* symbols, const float* llr) {
  auto& impl = live();
  auto& g = impl.groups.at(d);
  if (count == 0) return;
  try {
    errno = 0;  // read by h5_write_error: only a failure of these writes may set it
    write_rows(g.symbols, H5::PredType::NATIVE_INT32, first, count, symbols);
    if (g.with_llr && llr) write_rows(g.llr, H5::PredType::NATIVE_FLOAT, first, count, llr);
  } catch (const H5::Exception& e) {
    throw DatasetError(h5_write_error(impl.out.partial_path(), e.getDetailMsg()));
  }
}

void DetectionFileWriter::write_decoded(size_t d, uint64_t first, size_t count, const uint8_t* bits) {
  auto& impl = live();
  auto& g = impl.groups.at(d);
  if (impl.info.k == 0) throw std::logic_error("write_decoded: the data set is not coded");
  if (count == 0) return;
  try {
    errno = 0;
    write_rows(g.decoded_bits, H5::PredType::NATIVE_UINT8, first, count, bits);
  } catch (const H5::Exception& e) {
    throw DatasetError(h5_write_error(impl.out.partial_path(), e.getDetailMsg()));
  }
}

void DetectionFileWriter::summarize(size_t d, const DetectionSummary& s) {
  auto& impl = live();
  try {
    write_summary(impl.groups.at(d).group, s);
  } catch (const H5::Exception& e) {
    throw DatasetError(h5_write_error(impl.out.partial_path(), e.getDetailMsg()));
  }
}

void DetectionFileWriter::commit() {
  live().out.flush();  // a full disk is reported here, before the data sets are closed
  impl_->groups.clear();
  impl_->out.commit();
  impl_.reset();
}

void join_detection_shards(const std::string& path, const std::vector<std::string>& shards, uint64_t samples,
                           const std::vector<std::pair<std::string, DetectionSummary>>& summaries) {
  write_virtual_file(path, shards, [&](H5::H5File& f) {
    f.removeAttr("samples");
    schema::write_attr(f, "samples", samples);
    for (const auto& [name, summary] : summaries) {
      H5::Group group = f.openGroup(name);
      write_summary(group, summary);
    }
  });
}

void DetectionFileWriter::abort() noexcept {
  if (impl_) impl_->out.abandon();  // closing the groups' data sets must not fail on a full disk
  impl_.reset();
}

}  // namespace mimo
