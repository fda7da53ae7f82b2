// Every way a data set can be unusable must end in a DatasetError whose message says what is wrong.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "datasets/h5_schema.hpp"
#include "datasets/reader.hpp"
#include "datasets/writer.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

class BadFiles : public ::testing::Test {
protected:
  void SetUp() override { dir_ = test::scratch_dir("bad"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string good_file(const std::string& name, size_t n = 2000) {
    const auto path = (dir_ / name).string();
    const auto cfg = test::small_config();
    DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
    SampleBatch b;
    Generator(cfg).generate(0, n, b);
    w.append(b);
    w.commit();
    return path;
  }

  // Asserts that opening and reading all of `path` fails with a message containing `needle`.
  static void expect_error(const std::string& path, const std::string& needle) {
    try {
      DatasetReader r(path);
      SampleBatch b;
      r.for_each_batch(512, [](const SampleBatch&, uint64_t) {});
      FAIL() << "no error for " << path;
    } catch (const DatasetError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line message: " << e.what();
    }
  }

  std::filesystem::path dir_;
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

TEST_F(BadFiles, NonFiniteValues) {
  const auto path = (dir_ / "nan.h5").string();
  const auto cfg = test::small_config();
  DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
  SampleBatch b;
  Generator(cfg).generate(0, 100, b);
  b.y[7 * b.nr + 2] = {NAN, 0.0f};
  w.append(b);
  w.commit();
  expect_error(path, "non-finite value in 'y' at sample 7");
}

}  // namespace
}  // namespace mimo
