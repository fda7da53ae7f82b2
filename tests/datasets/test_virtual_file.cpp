// Shards joined into one file of virtual data sets (what `mpirun mimo generate` writes) read as the one data set
// they make up, from anywhere the set is moved to; a missing, short or broken shard is a one-line error, never
// fill values.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "datasets/h5_schema.hpp"
#include "datasets/h5_virtual.hpp"
#include "datasets/virtual_file.hpp"
#include "datasets/writer.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSamples = 1000;

class VirtualFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = test::scratch_dir("virtual");
    Generator(cfg_).generate(0, kSamples, all_, 2);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Samples [first, end) of the generator as a complete data set at `path`, as one process of P writes it.
  void write_rows(const std::string& path, uint64_t first, uint64_t end) const { write_rows(path, first, end, cfg_); }
  void write_rows(const std::string& path, uint64_t first, uint64_t end, const GeneratorConfig& cfg) const {
    WriterOptions options;
    options.with_h_est = true;
    options.chunk_bytes = 4096;  // several chunks per shard
    DatasetWriter w(path, test::info_for(cfg), options);
    SampleBatch b;
    Generator(cfg).generate(first, end - first, b);
    w.append(b);
    w.commit();
  }

  // `shards` shards of kSamples rows, split as `mpirun -n shards` splits them, joined into `name`.
  std::string joined(const std::string& name, int shards) const {
    const std::string path = (dir_ / name).string();
    fs::create_directories(shard_folder(path));
    std::vector<std::string> parts;
    for (int k = 0; k < shards; ++k) {
      parts.push_back(shard_path(path, k, shards));
      write_rows(parts.back(), kSamples * k / shards, kSamples * (k + 1) / shards);
    }
    write_virtual_file(path, parts);
    return path;
  }

  void expect_all_rows(const std::string& path) const {
    const DatasetReader r(path);
    ASSERT_EQ(r.size(), kSamples);
    EXPECT_TRUE(r.has_h_est());
    EXPECT_EQ(r.info().seed, cfg_.seed);
    EXPECT_EQ(r.info().snr_schedule, "0,5,10,15,20");
    EXPECT_EQ(r.info().channel.csi_error_var, 0.05);
    SampleBatch back;
    r.read(0, kSamples, back);
    test::expect_same_samples(back, all_);
  }

  static H5D_layout_t layout_of(const std::string& path, const char* data_set) {
    return H5::H5File(path, H5F_ACC_RDONLY).openDataSet(data_set).getCreatePlist().getLayout();
  }

  fs::path dir_;
  GeneratorConfig cfg_ = test::small_config(0.05);
  SampleBatch all_;
};

TEST_F(VirtualFile, ShardNamesSortInRowOrder) {
  EXPECT_EQ(shard_folder("out/d.h5"), "out/d.h5.shards");
  EXPECT_EQ(shard_path("out/d.h5", 1, 2), "out/d.h5.shards/part-1-of-2.h5");
  EXPECT_EQ(shard_path("d.h5", 3, 12), "d.h5.shards/part-03-of-12.h5");
  EXPECT_EQ(shard_path("d.h5", 11, 12), "d.h5.shards/part-11-of-12.h5");
}

TEST_F(VirtualFile, JoinedShardsReadAsOneDataSet) {
  const auto path = joined("d.h5", 3);
  expect_all_rows(path);
  for (const char* name : {schema::H, schema::y, schema::x, schema::bits, schema::snr_db, schema::noise_var, schema::H_est})
    EXPECT_EQ(layout_of(path, name), H5D_VIRTUAL) << name;
  // Stored relative to the file's folder, so the set can move.
  const H5::H5File f(path, H5F_ACC_RDONLY);
  char source[256] = "";
  H5Pget_virtual_filename(f.openDataSet("H").getCreatePlist().getId(), 1, source, sizeof source);
  EXPECT_STREQ(source, "d.h5.shards/part-1-of-3.h5");
}

TEST_F(VirtualFile, MovedWithItsShardsFolderItStillReads) {
  const auto path = joined("d.h5", 2);
  const auto moved = dir_ / "elsewhere" / "deeper";
  fs::create_directories(moved);
  fs::rename(path, moved / "d.h5");
  fs::rename(shard_folder(path), moved / "d.h5.shards");
  expect_all_rows((moved / "d.h5").string());  // read from this process's working directory, not the file's
}

TEST_F(VirtualFile, PercentInTheNameIsNotAPattern) {
  expect_all_rows(joined("100%.h5", 2));
}

TEST_F(VirtualFile, MissingShardIsOneLineNamingItsRows) {
  const auto path = joined("d.h5", 3);
  fs::remove(shard_path(path, 1, 3));
  test::expect_read_error(path, path + ": shard " + shard_path(path, 1, 3) +
                                    " is missing (its rows 333..665 would read as fill values)");
}

TEST_F(VirtualFile, ShortShardIsOneLineNamingTheRowsItLacks) {
  const auto path = joined("d.h5", 2);
  write_rows(shard_path(path, 1, 2), 0, 100);  // a complete data set, but of 100 rows where 500 are mapped
  test::expect_read_error(path, path + ": shard " + shard_path(path, 1, 2) +
                                    " holds 100 rows of 'H' where 500 are mapped (its rows 600..999 would read as "
                                    "fill values)");
}

TEST_F(VirtualFile, ShardOfAnotherRunIsRefused) {
  // What a rerun into the same --out leaves when it stops between two processes' shards, or a shard copied from
  // another set: as many rows of the same shapes, read silently as part of this set unless its attributes differ.
  const auto path = joined("d.h5", 2);
  GeneratorConfig other = cfg_;
  other.seed += 1;
  write_rows(shard_path(path, 1, 2), 500, 1000, other);
  test::expect_read_error(path, path + ": shard " + shard_path(path, 1, 2) +
                                    " differs from the joined file in its attribute 'seed' (a shard of another run?)");
}

TEST_F(VirtualFile, LongerShardIsRefused) {
  // The shard of a run of more samples (same seed) would put that run's rows 600..1099 at rows 500..999.
  const auto path = joined("d.h5", 2);
  write_rows(shard_path(path, 1, 2), 600, 1200);
  test::expect_read_error(path, path + ": shard " + shard_path(path, 1, 2) +
                                    " holds 600 rows of 'H' where 500 are mapped (a shard of another run?)");
}

TEST_F(VirtualFile, BrokenShardsAreOneLineErrors) {
  const auto path = joined("d.h5", 2);
  const auto shard = shard_path(path, 0, 2);
  const auto bytes = fs::file_size(shard);
  fs::resize_file(shard, bytes / 2);
  test::expect_read_error(path, "shard " + shard + " is not a readable HDF5 file (truncated or corrupted?; its rows 0..499");
  std::ofstream(shard, std::ios::trunc) << "not hdf5";
  test::expect_read_error(path, "shard " + shard + " is not a readable HDF5 file");
  fs::remove(shard);
  fs::create_directory(shard);
  test::expect_read_error(path, "shard " + shard + " is missing");
}

TEST_F(VirtualFile, ShardWithUnwrittenChunksIsRefused) {
  const auto path = joined("d.h5", 2);
  // A shard that declares its rows but never wrote them: its own chunks are checked as a plain file's are.
  const auto shard = shard_path(path, 1, 2);
  fs::remove(shard);
  {
    H5::H5File f(shard, H5F_ACC_TRUNC);
    const hsize_t dims[3] = {500, 5, 3}, chunk[3] = {100, 5, 3};
    H5::DSetCreatPropList props;
    props.setChunk(3, chunk);
    f.createDataSet("H", schema::complex_type(), H5::DataSpace(3, dims), props);
  }
  test::expect_read_error(path, path + ": shard " + shard + ": data set 'H' is incomplete (0 of 5 chunks written)");
}

TEST_F(VirtualFile, RowsMappedToNoShardAreRefused) {
  const auto source = (dir_ / "s.h5").string(), path = (dir_ / "v.h5").string();
  const hsize_t rows = 10, mapped = 6;
  {
    H5::H5File f(source, H5F_ACC_TRUNC);
    const std::vector<float> values(mapped, 1.0f);
    f.createDataSet("v", H5::PredType::NATIVE_FLOAT, H5::DataSpace(1, &mapped))
        .write(values.data(), H5::PredType::NATIVE_FLOAT);
  }
  H5::H5File f(path, H5F_ACC_TRUNC);
  H5::DataSpace space(1, &rows);
  space.selectHyperslab(H5S_SELECT_SET, &mapped, std::vector<hsize_t>{0}.data());
  H5::DSetCreatPropList props;
  H5Pset_virtual(props.getId(), space.getId(), "s.h5", "v", H5::DataSpace(1, &mapped).getId());
  space.selectAll();
  const H5::DataSet v = f.createDataSet("v", H5::PredType::NATIVE_FLOAT, space, props);
  int sources = 0;
  try {
    require_virtual_sources(v, "v", path, [&](const H5::DataSet&, const std::string&) { ++sources; });
    FAIL() << "rows 6..9 read as fill values without an error";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": rows 6.. of virtual data set 'v' map to no shard"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(sources, 0);  // refused before any source is opened
}

TEST_F(VirtualFile, H5repackMakesASelfContainedCopy) {
  if (std::system("command -v h5repack >/dev/null 2>&1") != 0) GTEST_SKIP() << "no h5repack";
  const auto path = joined("d.h5", 3);
  const auto copy = (dir_ / "copy.h5").string();
  // The command README.md gives: a filter makes h5repack rewrite every data set's storage (without one it would
  // copy the virtual layout as it is).
  ASSERT_EQ(std::system(("h5repack -f SHUF -f GZIP=1 '" + path + "' '" + copy + "'").c_str()), 0);
  fs::remove_all(shard_folder(path));
  for (const char* name : {schema::H, schema::y, schema::x, schema::bits, schema::snr_db, schema::noise_var, schema::H_est})
    EXPECT_EQ(layout_of(copy, name), H5D_CHUNKED) << name;
  expect_all_rows(copy);
}

}  // namespace
}  // namespace mimo
