// Coded data sets (`mimo generate --code`, SCHEMA.md "Coded data sets"): the code's attributes and info_bits
// round-trip, a corrupted one is refused in one line, and uncoded files, older ones included, read as before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <H5Cpp.h>

#include "coding/ldpc_params.hpp"
#include "datasets/h5_schema.hpp"
#include "datasets/reader.hpp"
#include "datasets/writer.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

class CodedDataset : public test::ScratchDirTest {
protected:
  // small_config's 3 streams of QAM16 carry a block of E = 512 bits in B = ceil(512 / 12) = 43 channel uses.
  static DatasetCode code() { return DatasetCode{parse_ldpc_spec("ldpc:k=256,rate=0.5"), "ldpc:k=256,rate=0.5", 43}; }

  // `blocks` blocks in appends of one and two blocks (several chunks of info_bits: chunk_bytes is small);
  // info_bits are drawn from the samples' own bits (any 0/1 pattern will do here).
  std::string coded_file(const std::string& name, size_t blocks, std::vector<uint8_t>& info_bits) {
    const auto path = (dir_ / name).string();
    const auto cfg = test::small_config();
    auto info = test::info_for(cfg);
    info.code = code();
    WriterOptions options;
    options.chunk_bytes = 600;
    DatasetWriter w(path, info, options);
    const size_t B = info.code->uses_per_block, k = static_cast<size_t>(info.code->spec.k);
    info_bits.clear();
    for (size_t first = 0; first < blocks;) {
      const size_t count = std::min<size_t>(first % 2 + 1, blocks - first);
      SampleBatch b;
      Generator(cfg).generate(first * B, count * B, b);
      std::vector<uint8_t> part(b.bits.begin(), b.bits.begin() + static_cast<std::ptrdiff_t>(count * k));
      w.append(b, part);
      info_bits.insert(info_bits.end(), part.begin(), part.end());
      first += count;
    }
    w.commit();
    return path;
  }
};

TEST_F(CodedDataset, CodeAndInfoBitsRoundTrip) {
  std::vector<uint8_t> sent;
  const auto path = coded_file("c.h5", 7, sent);
  const DatasetReader r(path);
  ASSERT_TRUE(r.info().code.has_value());
  const auto& c = *r.info().code;
  EXPECT_EQ(c.spec.describe(), code().spec.describe());
  EXPECT_EQ(c.spec.e, 512);
  EXPECT_EQ(c.requested, "ldpc:k=256,rate=0.5");
  EXPECT_EQ(c.uses_per_block, 43u);
  EXPECT_EQ(r.size(), 7u * 43u);
  EXPECT_EQ(r.blocks(), 7u);
  std::vector<uint8_t> back;
  r.read_info_bits(0, 7, back);
  EXPECT_EQ(back, sent);
  r.read_info_bits(3, 2, back);
  EXPECT_EQ(back, std::vector<uint8_t>(sent.begin() + 3 * 256, sent.begin() + 5 * 256));
  EXPECT_THROW(r.read_info_bits(6, 2, back), std::out_of_range);

  // The attributes written for people are the code's own (38.212: K = 256 at rate 1/2 is base graph 2, Zc = 26).
  const LdpcParams p = ldpc_params(256, 512);
  const H5::H5File f(path, H5F_ACC_RDONLY);
  const auto int_attr = [&](const char* name) {
    int v = -1;
    f.openAttribute(name).read(H5::PredType::NATIVE_INT, &v);
    return v;
  };
  EXPECT_EQ(int_attr("code_k"), 256);
  EXPECT_EQ(int_attr("code_e"), 512);
  EXPECT_EQ(int_attr("code_iterations"), 20);
  EXPECT_EQ(int_attr("code_base_graph"), p.base_graph);
  EXPECT_EQ(int_attr("code_zc"), p.z);
  EXPECT_EQ(int_attr("code_lifted_n"), p.n);
}

// Every uncoded file, whichever mimo wrote it, has no code: it reads as before, with no blocks.
TEST_F(CodedDataset, UncodedFilesReadAsBefore) {
  const auto path = (dir_ / "u.h5").string();
  test::write_generated(path, test::small_config(), 50);
  // A seed of the reader's fuzzer, written by the mimo of before coded data sets (and committed then).
  const std::string older = std::string(MIMO_SOURCE_DIR) + "/fuzz/corpus/fuzz_dataset_reader/qam16_c1.seed";
  for (const auto& file : {path, older}) {
    const DatasetReader r(file);
    EXPECT_FALSE(r.info().code.has_value()) << file;
    EXPECT_EQ(r.blocks(), 0u) << file;
    SampleBatch b;
    r.read(0, static_cast<size_t>(r.size()), b);
    EXPECT_EQ(b.n, r.size());
    std::vector<uint8_t> info;
    EXPECT_THROW(r.read_info_bits(0, 1, info), std::logic_error) << file;
  }
}

TEST_F(CodedDataset, WriterTakesWholeBlocksWithTheirInformationBits) {
  const auto cfg = test::small_config();
  auto info = test::info_for(cfg);
  info.code = code();
  DatasetWriter w((dir_ / "w.h5").string(), info, WriterOptions{});
  SampleBatch b;
  Generator(cfg).generate(0, 43, b);
  EXPECT_THROW(w.append(b), std::invalid_argument);                                   // no information bits
  EXPECT_THROW(w.append(b, std::vector<uint8_t>(255)), std::invalid_argument);        // too few
  Generator(cfg).generate(0, 42, b);
  EXPECT_THROW(w.append(b, std::vector<uint8_t>(256)), std::invalid_argument);        // not a whole block
  DatasetWriter u((dir_ / "u.h5").string(), test::info_for(cfg), WriterOptions{});
  EXPECT_THROW(u.append(b, std::vector<uint8_t>(256)), std::invalid_argument);        // uncoded: none
}

TEST_F(CodedDataset, CorruptedCodeIsRefusedInOneLine) {
  std::vector<uint8_t> sent;
  const auto set_int = [](const std::string& path, const char* name, int v) {
    H5::H5File(path, H5F_ACC_RDWR).openAttribute(name).write(H5::PredType::NATIVE_INT, &v);
  };
  const auto set_text = [](const std::string& path, const char* name, const std::string& v) {
    H5::H5File f(path, H5F_ACC_RDWR);
    f.removeAttr(name);
    schema::write_attr(f, name, v);
  };

  auto path = coded_file("k.h5", 2, sent);
  set_int(path, "code_k", 255);
  test::expect_read_error(path, "attribute 'code_k' is 255 but the code ldpc:k=256,n=512,iters=20 has 256");

  path = coded_file("zc.h5", 2, sent);
  set_int(path, "code_zc", 27);
  test::expect_read_error(path, "attribute 'code_zc' is 27");

  path = coded_file("spec.h5", 2, sent);
  set_text(path, "code", "ldpc:k=256,rate=zero");
  test::expect_read_error(path, "attribute 'code'");

  path = coded_file("qm.h5", 2, sent);  // E = 510 is no multiple of QAM16's 4 bits (k and e agree with it)
  set_text(path, "code", "ldpc:k=256,n=510,iters=20");
  set_int(path, "code_e", 510);
  test::expect_read_error(path, "not a multiple of the 4 bits per symbol");

  // B must be the code's over this shape, ceil(512 / (3 x 4)) = 43, even where the samples would divide: 86 = 43 x 2.
  for (const uint64_t b : {44u, 2u}) {
    path = coded_file("uses.h5", 2, sent);
    H5::H5File(path, H5F_ACC_RDWR).openAttribute("code_uses_per_block").write(H5::PredType::NATIVE_UINT64, &b);
    test::expect_read_error(path, "attribute 'code_uses_per_block' is " + std::to_string(b) +
                                      " but the code ldpc:k=256,n=512,iters=20 over 3 streams of 4 bits takes 43");
  }

  path = coded_file("noinfo.h5", 2, sent);
  H5::H5File(path, H5F_ACC_RDWR).unlink("info_bits");
  test::expect_read_error(path, "missing data set 'info_bits'");

  path = coded_file("nocode.h5", 2, sent);
  H5::H5File(path, H5F_ACC_RDWR).removeAttr("code");
  test::expect_read_error(path, "has 'info_bits' but no attribute 'code'");

  path = coded_file("nok.h5", 2, sent);
  H5::H5File(path, H5F_ACC_RDWR).removeAttr("code_k");
  test::expect_read_error(path, "missing attribute 'code_k'");

  // An information bit other than 0/1 is found when read.
  path = coded_file("two.h5", 2, sent);
  {
    H5::H5File f(path, H5F_ACC_RDWR);
    f.unlink("info_bits");
    hsize_t dims[2] = {2, 256};
    std::vector<uint8_t> bits(512, 0);
    bits[300] = 2;
    f.createDataSet("info_bits", H5::PredType::NATIVE_UINT8, H5::DataSpace(2, dims))
        .write(bits.data(), H5::PredType::NATIVE_UINT8);
  }
  const DatasetReader r(path);
  std::vector<uint8_t> back;
  try {
    r.read_info_bits(0, 2, back);
    FAIL() << "no error for a bit 2";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find("other than 0 or 1 at block 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mimo
