#include <gtest/gtest.h>
#include <unistd.h>

#include <H5Cpp.h>

#include "datasets/reader.hpp"
#include "datasets/writer.hpp"
#include "io_helpers.hpp"

namespace mimo {
namespace {

class DatasetRoundTrip : public ::testing::TestWithParam<double> {};

TEST_P(DatasetRoundTrip, WrittenBatchesReadBackIdentically) {
  const double csi = GetParam();
  const auto dir = test::scratch_dir("roundtrip");
  const auto path = (dir / "d.h5").string();
  const auto cfg = test::small_config(csi);
  const Generator gen(cfg);
  SampleBatch all;
  gen.generate(0, 1000, all, 2);
  {
    WriterOptions opt;
    opt.with_h_est = csi > 0;
    opt.chunk_bytes = 4096;  // several chunks, and batches that straddle them
    DatasetWriter w(path, test::info_for(cfg), opt);
    for (uint64_t first = 0; first < 1000; first += 300) {
      SampleBatch part;
      gen.generate(first, std::min<uint64_t>(300, 1000 - first), part);
      w.append(part);
    }
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
    EXPECT_FALSE(std::filesystem::exists(path));
    w.commit();
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));

  const DatasetReader r(path);
  EXPECT_EQ(r.size(), 1000u);
  EXPECT_EQ(r.has_h_est(), csi > 0);
  const auto& i = r.info();
  EXPECT_EQ(i.schema_version, kSchemaVersion);
  EXPECT_EQ(i.channel.nt, 3);
  EXPECT_EQ(i.channel.nr, 5);
  EXPECT_EQ(i.channel.model, "rician");
  EXPECT_DOUBLE_EQ(i.channel.real("k_factor"), 2.0);
  EXPECT_DOUBLE_EQ(i.channel.csi_error_var, csi);
  EXPECT_EQ(i.modulation, Modulation::qam16);
  EXPECT_EQ(i.snr_unit, SnrUnit::snr);
  EXPECT_EQ(i.snr_schedule, "0,5,10,15,20");
  EXPECT_EQ(i.seed, 42u);
  EXPECT_EQ(i.tool_version, "test");

  SampleBatch back;
  r.read(0, 1000, back);
  test::expect_same_samples(back, all);

  // Batched iteration covers every sample once, in order, with a short last batch.
  uint64_t seen = 0;
  r.for_each_batch(333, [&](const SampleBatch& b, uint64_t first) {
    EXPECT_EQ(first, seen);
    for (size_t k = 0; k < b.n * b.nr; ++k) ASSERT_EQ(b.y[k], all.y[first * b.nr + k]);
    seen += b.n;
  });
  EXPECT_EQ(seen, 1000u);
  EXPECT_THROW(r.read(900, 101, back), std::out_of_range);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Csi, DatasetRoundTrip, ::testing::Values(0.0, 0.05),
                         [](const auto& info) { return info.param > 0 ? "ImperfectCsi" : "PerfectCsi"; });

// uses_per_realization is an attribute only when U > 1 (files without it, and all older files, read as U = 1).
TEST(DatasetWriter, UsesPerRealizationRoundTripsAndIsAbsentForOne) {
  const auto dir = test::scratch_dir("uses");
  for (uint64_t uses : {uint64_t{1}, uint64_t{4}}) {
    const auto path = (dir / ("d" + std::to_string(uses) + ".h5")).string();
    auto cfg = test::small_config();
    cfg.channel.uses_per_realization = uses;
    const Generator gen(cfg);
    SampleBatch all;
    gen.generate(0, 100, all, 2);
    {
      DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
      w.append(all);
      w.commit();
    }
    {
      const H5::H5File f(path, H5F_ACC_RDONLY);
      ASSERT_EQ(f.attrExists("uses_per_realization"), uses > 1);
      if (uses > 1) {
        const H5::Attribute a = f.openAttribute("uses_per_realization");
        EXPECT_EQ(a.getTypeClass(), H5T_INTEGER);
        uint64_t v = 0;
        a.read(H5::PredType::NATIVE_UINT64, &v);
        EXPECT_EQ(v, uses);
      }
    }
    const DatasetReader r(path);
    EXPECT_EQ(r.info().channel.uses_per_realization, uses);
    SampleBatch back;
    r.read(0, 100, back);
    test::expect_same_samples(back, all);
  }
  std::filesystem::remove_all(dir);
}

TEST(DatasetWriter, WithoutCommitLeavesNothing) {
  const auto dir = test::scratch_dir("abort");
  const auto path = (dir / "d.h5").string();
  const auto cfg = test::small_config();
  {
    DatasetWriter w(path, test::info_for(cfg), WriterOptions{});
    SampleBatch b;
    Generator(cfg).generate(0, 10, b);
    w.append(b);
  }  // destroyed as if by an exception
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  std::filesystem::remove_all(dir);
}

TEST(DatasetWriter, RejectsMismatchedBatchAndBadDirectory) {
  const auto dir = test::scratch_dir("mismatch");
  const auto cfg = test::small_config();
  DatasetWriter w((dir / "d.h5").string(), test::info_for(cfg), WriterOptions{});
  SampleBatch b;
  auto other = cfg;
  other.channel.nr = 4;
  Generator(other).generate(0, 5, b);
  EXPECT_THROW(w.append(b), std::invalid_argument);
  EXPECT_THROW(DatasetWriter((dir / "no" / "such" / "d.h5").string(), test::info_for(cfg), WriterOptions{}),
               DatasetError);
  WriterOptions bad;
  bad.compression = 10;
  EXPECT_THROW(DatasetWriter((dir / "e.h5").string(), test::info_for(cfg), bad), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo
