// Training (transformer/train.hpp): from an HDF5 data set, resumed exactly.
#include <gtest/gtest.h>

#include <filesystem>

#include "datasets/writer.hpp"
#include "fixtures.hpp"
#include "transformer/checkpoint.hpp"

namespace mimo::tf {
namespace {

using namespace test;

TEST(Training, StreamsAnHdf5DataSetAndResumesExactly) {
  const auto dir = scratch("data");
  auto g = channel(3, 4, Modulation::qam16);
  DatasetInfo info;
  info.channel = g.channel;
  info.modulation = g.modulation;
  info.snr_schedule = g.snr.describe();
  info.seed = g.seed;
  const auto data = (dir / "train.h5").string();
  {
    DatasetWriter w(data, info, WriterOptions{});
    SampleBatch b;
    Generator(g).generate(0, 200, b);
    w.append(b);
    w.commit();
  }
  auto c = tiny_training(g, dir / "straight.pt");
  c.data = data;
  c.steps = 6;
  c.batch = 64;  // windows wrap around the 200 samples
  c.validate_every = 3;
  c.validate_samples = 30;
  EXPECT_EQ(train(c, {}), 6);
  c.out = (dir / "split.pt").string();
  EXPECT_EQ(train(c, stop_after(4)), 4);
  c.resume = c.out;
  EXPECT_EQ(train(c, {}), 6);
  expect_same_parameters(dir / "straight.pt", c.out);
  // A data set of another modulation is refused.
  c.resume.clear();
  c.channel.modulation = Modulation::qpsk;
  EXPECT_THROW(train(c, {}), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo::tf
