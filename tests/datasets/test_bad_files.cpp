// Every way a data set can be unusable must end in a DatasetError whose message says what is wrong.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <vector>

#include "datasets/h5_schema.hpp"
#include "datasets/reader.hpp"
#include "datasets/writer.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

// Replaces (or adds) the scalar attribute `name` of the file at `path`: `value` stored as `type`.
template <class T>
void put_scalar_attr(const std::string& path, const char* name, const H5::PredType& type, T value) {
  H5::H5File f(path, H5F_ACC_RDWR);
  if (f.attrExists(name)) f.removeAttr(name);
  f.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, &value);
}

class BadFiles : public test::ScratchDirTest {
protected:
  std::string good_file(const std::string& name, size_t n = 2000) {
    const auto path = (dir_ / name).string();
    test::write_generated(path, test::small_config(), n);
    return path;
  }

  static void expect_error(const std::string& path, const std::string& needle) { test::expect_read_error(path, needle); }
};

TEST_F(BadFiles, MissingFileAndDirectory) {
  expect_error((dir_ / "absent.h5").string(), "no such file");
  expect_error(dir_.string(), "directory");
}

TEST_F(BadFiles, NotHdf5) {
  const auto path = (dir_ / "text.h5").string();
  std::ofstream(path) << "time,value\n1,2\n";
  expect_error(path, "not an HDF5 file");
  const auto empty = (dir_ / "empty.h5").string();
  std::ofstream{empty};
  expect_error(empty, "not an HDF5 file");
}

TEST_F(BadFiles, Truncated) {
  const auto path = good_file("t.h5");
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  expect_error(path, path);
}

TEST_F(BadFiles, CorruptedChunk) {
  const auto path = good_file("c.h5", 20000);
  // Overwrite a stretch in the middle (compressed chunk data): the deflate filter must fail cleanly.
  const auto size = std::filesystem::file_size(path);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(size / 2));
  for (int k = 0; k < 4096; ++k) f.put(static_cast<char>(k * 37));
  f.close();
  expect_error(path, "corrupted");
}

TEST_F(BadFiles, ForeignHdf5) {
  const auto path = (dir_ / "foreign.h5").string();
  {
    H5::H5File f(path, H5F_ACC_TRUNC);
    hsize_t dims[1] = {4};
    f.createDataSet("data", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, dims));
  }
  expect_error(path, "not a mimo data set");
}

TEST_F(BadFiles, OtherSchemaVersion) {
  const auto path = good_file("v.h5");
  {
    H5::H5File f(path, H5F_ACC_RDWR);
    int v = 99;
    f.openAttribute("schema_version").write(H5::PredType::NATIVE_INT, &v);
  }
  expect_error(path, "schema version 99");
}

TEST_F(BadFiles, WrongShapeAndType) {
  const auto shape = good_file("s.h5");
  {
    H5::H5File f(shape, H5F_ACC_RDWR);
    f.unlink("y");
    hsize_t dims[2] = {2000, 4};  // nr is 5
    f.createDataSet("y", schema::complex_type(), H5::DataSpace(2, dims));
  }
  expect_error(shape, "'y' has shape [2000,4], expected [2000,5]");

  const auto type = good_file("ty.h5");
  {
    H5::H5File f(type, H5F_ACC_RDWR);
    f.unlink("bits");
    hsize_t dims[2] = {2000, 12};
    f.createDataSet("bits", H5::PredType::NATIVE_FLOAT, H5::DataSpace(2, dims));
  }
  expect_error(type, "'bits' has the wrong element type");

  const auto missing = good_file("m.h5");
  {
    H5::H5File f(missing, H5F_ACC_RDWR);
    f.unlink("noise_var");
  }
  expect_error(missing, "missing data set 'noise_var'");
}

// user_gain_db exactly when user_power_spread_db > 0, both ways round.
TEST_F(BadFiles, UserGainsGoWithTheirSpread) {
  auto cfg = test::small_config();
  cfg.channel.user_power_spread_db = 10;
  auto spread_file = [&](const char* name) {
    const auto path = (dir_ / name).string();
    DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
    SampleBatch b;
    Generator(cfg).generate(0, 20, b);
    w.append(b);
    w.commit();
    return path;
  };
  const auto path = spread_file("spread.h5");
  EXPECT_TRUE(DatasetReader(path).has_user_gain());
  H5::H5File(path, H5F_ACC_RDWR).removeAttr("user_power_spread_db");
  expect_error(path, "has 'user_gain_db' but no attribute 'user_power_spread_db' > 0");
  const auto lost = spread_file("lost.h5");
  H5::H5File(lost, H5F_ACC_RDWR).unlink("user_gain_db");
  expect_error(lost, "missing data set 'user_gain_db'");
}

TEST_F(BadFiles, NonFiniteValues) {
  const auto path = (dir_ / "nan.h5").string();
  const auto cfg = test::small_config();
  DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
  SampleBatch b;
  Generator(cfg).generate(0, 100, b);
  auto bad = b;
  bad.y[7 * b.nr + 2] = {NAN, 0.0f};
  // The writer refuses it (no command writes what the reader would refuse) ...
  EXPECT_THROW(w.append(bad), std::invalid_argument);
  w.append(b);
  w.commit();
  // ... and the reader refuses it in a file made elsewhere: sample 7's y overwritten in place.
  {
    H5::H5File f(path, H5F_ACC_RDWR);
    H5::DataSet y = f.openDataSet("y");
    H5::DataSpace space = y.getSpace();
    const hsize_t offset[2] = {7, 2}, count[2] = {1, 1};
    space.selectHyperslab(H5S_SELECT_SET, count, offset);
    const float value[2] = {NAN, 0.0f};
    H5::CompType cx(2 * sizeof(float));
    cx.insertMember("r", 0, H5::PredType::NATIVE_FLOAT);
    cx.insertMember("i", sizeof(float), H5::PredType::NATIVE_FLOAT);
    y.write(value, cx, H5::DataSpace(2, count), space);
  }
  expect_error(path, "non-finite value in 'y' at sample 7");
}

// The audit's inputs: an array where a scalar attribute belongs overflowed the reader's stack (or wrote out of
// bounds silently); each is now a one-line error naming the attribute.
TEST_F(BadFiles, ArrayValuedAttributes) {
  struct Case {
    const char* name;
    H5::PredType type;
    hsize_t count;
  };
  const Case cases[] = {{"seed", H5::PredType::NATIVE_UINT64, 100}, {"nt", H5::PredType::NATIVE_INT, 1000},
                        {"nt", H5::PredType::NATIVE_INT, 3},        {"k_factor", H5::PredType::NATIVE_DOUBLE, 50},
                        {"schema_version", H5::PredType::NATIVE_INT, 8}};
  for (const auto& c : cases) {
    const auto path = good_file(std::string("arr_") + c.name + ".h5", 10);
    {
      H5::H5File f(path, H5F_ACC_RDWR);
      f.removeAttr(c.name);
      std::vector<uint64_t> values(c.count, 4);  // 8 bytes per element covers every type above
      f.createAttribute(c.name, c.type, H5::DataSpace(1, &c.count)).write(c.type, values.data());
    }
    expect_error(path, "attribute '" + std::string(c.name) + "' must be a single value, not " +
                           std::to_string(c.count) + " values");
  }
}

TEST_F(BadFiles, AttributeOfTheWrongKind) {
  const auto path = good_file("nt45.h5", 10);
  put_scalar_attr(path, "nt", H5::PredType::NATIVE_DOUBLE, 4.5);
  expect_error(path, "attribute 'nt' is not an integer");

  const auto nan = good_file("rhonan.h5", 10);
  {
    H5::H5File f(nan, H5F_ACC_RDWR);
    const double v = NAN;
    f.openAttribute("k_factor").write(H5::PredType::NATIVE_DOUBLE, &v);
  }
  expect_error(nan, "attribute 'k_factor' is not finite");

  // A model's declared parameter is required; another model's is not read.
  const auto missing = good_file("nok.h5", 10);
  {
    H5::H5File f(missing, H5F_ACC_RDWR);
    f.removeAttr("k_factor");
    const double v = NAN;
    f.createAttribute("rho_tx", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR)).write(H5::PredType::NATIVE_DOUBLE, &v);
  }
  expect_error(missing, "missing attribute 'k_factor'");

  // A null variable-length string (found by fuzz_dataset_schema): HDF5's C++ API took its strlen and crashed.
  const auto null_string = good_file("nullstr.h5", 10);
  {
    H5::H5File f(null_string, H5F_ACC_RDWR);
    f.removeAttr("channel_model");
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    const char* null = nullptr;
    f.createAttribute("channel_model", type, H5::DataSpace(H5S_SCALAR)).write(type, &null);
  }
  expect_error(null_string, "attribute 'channel_model' is a null string");

  const auto strings = good_file("strarr.h5", 10);
  {
    H5::H5File f(strings, H5F_ACC_RDWR);
    f.removeAttr("modulation");
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    const char* two[2] = {"qpsk", "qam16"};
    const hsize_t n = 2;
    f.createAttribute("modulation", type, H5::DataSpace(1, &n)).write(type, two);
  }
  expect_error(strings, "attribute 'modulation' must be a single value, not 2 values");
}

TEST_F(BadFiles, MissingOrInconsistentMetadata) {
  const auto no_m = good_file("nom.h5", 10);
  H5::H5File(no_m, H5F_ACC_RDWR).removeAttr("bits_per_symbol");
  expect_error(no_m, "missing attribute 'bits_per_symbol'");

  const auto bad_m = good_file("badm.h5", 10);
  {
    H5::H5File f(bad_m, H5F_ACC_RDWR);
    const int v = 2;  // the file is QAM16: 4
    f.openAttribute("bits_per_symbol").write(H5::PredType::NATIVE_INT, &v);
  }
  expect_error(bad_m, "attribute 'bits_per_symbol' is 2 but qam16 has 4");

  const auto no_llr = good_file("nollr.h5", 10);
  H5::H5File(no_llr, H5F_ACC_RDWR).removeAttr("llr_convention");
  expect_error(no_llr, "missing attribute 'llr_convention'");
}

TEST_F(BadFiles, CsiErrorVarAndHEstMustAgree) {
  const auto no_est = good_file("noest.h5", 10);
  {
    H5::H5File f(no_est, H5F_ACC_RDWR);
    const double v = 0.1;
    f.openAttribute("csi_error_var").write(H5::PredType::NATIVE_DOUBLE, &v);
  }
  expect_error(no_est, "'csi_error_var' is > 0 but data set 'H_est' is missing");

  const auto path = (dir_ / "est0.h5").string();
  {
    const auto cfg = test::small_config(0.05);
    WriterOptions o;
    o.with_h_est = true;
    DatasetWriter w(path, test::info_for(cfg), o);
    SampleBatch b;
    Generator(cfg).generate(0, 10, b);
    w.append(b);
    w.commit();
    H5::H5File f(path, H5F_ACC_RDWR);
    const double zero = 0;
    f.openAttribute("csi_error_var").write(H5::PredType::NATIVE_DOUBLE, &zero);
  }
  expect_error(path, "has 'H_est' but attribute 'csi_error_var' is 0");
}

// int8 -1 was converted to the uint8 0 on reading: a wrong BER, silently.
TEST_F(BadFiles, SignedBits) {
  const auto path = good_file("int8.h5", 10);
  {
    H5::H5File f(path, H5F_ACC_RDWR);
    f.unlink("bits");
    hsize_t dims[2] = {10, 12};
    std::vector<int8_t> bits(120, -1);
    f.createDataSet("bits", H5::PredType::NATIVE_INT8, H5::DataSpace(2, dims)).write(bits.data(), H5::PredType::NATIVE_INT8);
  }
  expect_error(path, "'bits' must be unsigned 8-bit integers");
}

// Data sets declared but never written read as zeros; a 7 KB file declaring 1e9 such samples hung `detect`.
TEST_F(BadFiles, DeclaredButNeverWritten) {
  const auto path = good_file("unwritten.h5", 10);
  {
    H5::H5File f(path, H5F_ACC_RDWR);
    for (const char* name : {"H", "y", "x", "bits", "snr_db", "noise_var"}) {
      H5::DataSet d = f.openDataSet(name);
      std::vector<hsize_t> dims(static_cast<size_t>(d.getSpace().getSimpleExtentNdims()));
      d.getSpace().getSimpleExtentDims(dims.data());
      dims[0] = 1'000'000'000;
      d.extend(dims.data());
    }
  }
  EXPECT_LT(std::filesystem::file_size(path), 100'000u);
  expect_error(path, "data set 'H' is incomplete");

  const auto contiguous = good_file("contig.h5", 10);
  {
    H5::H5File f(contiguous, H5F_ACC_RDWR);
    f.unlink("noise_var");
    hsize_t n = 10;
    f.createDataSet("noise_var", H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &n));
  }
  expect_error(contiguous, "data set 'noise_var' was declared but never written");

  // Contiguous data written in part: the unwritten samples read as zeros (or, here, the bytes of the data set
  // unlinked above), caught by noise_var.
  const auto sparse = good_file("sparse.h5", 10);
  {
    H5::H5File f(sparse, H5F_ACC_RDWR);
    f.unlink("noise_var");
    hsize_t n = 10;
    H5::DataSet d = f.createDataSet("noise_var", H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &n));
    hsize_t start = 0, count = 5;
    H5::DataSpace file_space = d.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, &count, &start);
    const float ones[5] = {1, 1, 1, 1, 1};
    d.write(ones, H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &count), file_space);
  }
  expect_error(sparse, "at sample 5 is not > 0");
}

// SNRs far outside what mimo writes: a row at 1e30 dB was reported as a point; a schedule of 1000 dB failed
// later, in a message that did not name the file.
TEST_F(BadFiles, SnrOutOfRange) {
  const auto values = good_file("snr1e30.h5", 10);
  {
    H5::H5File f(values, H5F_ACC_RDWR);
    std::vector<float> snr(10, 1e30f);
    f.openDataSet("snr_db").write(snr.data(), H5::PredType::NATIVE_FLOAT);
  }
  expect_error(values, "snr_db 1000000015047466219876688855040.000000 at sample 0 is outside [-300, 300] dB");
  const auto schedule = good_file("sched.h5", 10);
  {
    H5::H5File f(schedule, H5F_ACC_RDWR);
    f.removeAttr("snr_schedule");
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    f.createAttribute("snr_schedule", type, H5::DataSpace(H5S_SCALAR)).write(type, std::string("1000"));
  }
  expect_error(schedule, "attribute 'snr_schedule': SNR 1000 dB is outside");
}

// HDF5 converts integers to a narrower or unsigned type by clamping: an int64 seed of -1 read as 0, and an nt of
// 2^40 + 2 was reported as 2147483647.
TEST_F(BadFiles, IntegerAttributesAreNotClamped) {
  const auto seed = good_file("seed.h5", 10);
  put_scalar_attr(seed, "seed", H5::PredType::NATIVE_LLONG, -1LL);
  expect_error(seed, "attribute 'seed' is -1, out of range [0, 18446744073709551615]");
  const auto nt = good_file("nt.h5", 10);
  put_scalar_attr(nt, "nt", H5::PredType::NATIVE_LLONG, (1LL << 40) + 2);
  expect_error(nt, "attribute 'nt' is 1099511627778, out of range [1, 1024]");
}

// uses_per_realization, when present, is a whole number in [1, 1e9].
TEST_F(BadFiles, UsesPerRealizationOutOfRangeOrNotAnInteger) {
  const auto zero = good_file("zero.h5", 10);
  put_scalar_attr(zero, "uses_per_realization", H5::PredType::NATIVE_UINT64, uint64_t{0});
  expect_error(zero, "attribute 'uses_per_realization' is 0, out of range [1, 1000000000]");
  const auto real = good_file("real.h5", 10);
  put_scalar_attr(real, "uses_per_realization", H5::PredType::NATIVE_DOUBLE, 2.5);
  expect_error(real, "attribute 'uses_per_realization' is not an integer");
}

TEST_F(BadFiles, NoSamples) {
  const auto path = (dir_ / "empty_set.h5").string();
  {
    const auto cfg = test::small_config();
    DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
    w.commit();
  }
  expect_error(path, "holds no samples");
}

// NaN in half the samples' snr_db merged them into one "nan" point of `evaluate` in place of the 10 dB row.
TEST_F(BadFiles, NonFiniteSnr) {
  const auto path = good_file("snrnan.h5", 10);
  {
    H5::H5File f(path, H5F_ACC_RDWR);
    std::vector<float> snr(10, 10.0f);
    for (size_t k = 1; k < 10; k += 2) snr[k] = NAN;
    f.openDataSet("snr_db").write(snr.data(), H5::PredType::NATIVE_FLOAT);
  }
  expect_error(path, "non-finite value in 'snr_db' at sample 1");

  // ... and the writer refuses to write such a file in the first place.
  const auto cfg = test::small_config();
  DatasetWriter w((dir_ / "w.h5").string(), test::info_for(cfg), WriterOptions{});
  SampleBatch b;
  Generator(cfg).generate(0, 4, b);
  b.noise_var[2] = INFINITY;
  EXPECT_THROW(w.append(b), std::invalid_argument);
}

// Object headers of the 1.8 format carry checksums: a flipped byte in the root group's attributes is refused
// instead of read as a different value.
TEST_F(BadFiles, CorruptedHeaderIsDetected) {
  const auto path = good_file("hdr.h5", 10);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = bytes.find("k_factor");
  ASSERT_NE(at, std::string::npos);
  // The attribute's value follows its name, type and dataspace within a few dozen bytes: flip one of them.
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(at + 40));
  f.put(static_cast<char>(bytes[at + 40] ^ 0x5a));
  f.close();
  try {
    DatasetReader r(path);
    FAIL() << "a corrupted header was read";
  } catch (const DatasetError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mimo
