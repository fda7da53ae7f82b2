// Model files (transformer/checkpoint.hpp): exact save/load, resume that equals an uninterrupted run, and clear
// errors for bad files, other feature versions and other training settings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "fixtures.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"
#include "transformer/transformer_detector.hpp"

namespace mimo::tf {
namespace {

using namespace test;

TEST(Checkpoint, SaveLoadReproducesOutputsBitForBit) {
  const auto dir = scratch("ckpt");
  auto net = tiny(Modulation::qam16, 4);
  net->eval();
  ModelInfo info;
  info.channel = "rayleigh 4x4";
  save_tiny(net, dir / "m.pt", info);
  auto loaded = load_model((dir / "m.pt").string(), torch::kCPU);
  loaded.net->eval();
  OnlineChannel gen(channel(4, 4, Modulation::qam16), 4, torch::kCPU);
  const auto batch = gen.sample(8, 1);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(net->forward(batch).back(), loaded.net->forward(batch).back()));
  EXPECT_EQ(loaded.info.channel, "rayleigh 4x4");
  EXPECT_EQ(loaded.info.options.dim(), 16);
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, ResumedTrainingEqualsUninterruptedTraining) {
  const auto dir = scratch("resume");
  auto c = tiny_training(channel(2, 2, Modulation::qpsk), dir / "straight.pt");
  c.steps = 6;
  c.batch = 32;
  c.validate_every = 3;
  c.validate_samples = 50;
  train(c, {});
  c.out = (dir / "split.pt").string();
  EXPECT_EQ(train(c, stop_after(3)), 3);
  c.resume = c.out;
  EXPECT_EQ(train(c, {}), 6);
  expect_same_parameters(dir / "straight.pt", dir / "split.pt");
  EXPECT_TRUE(std::filesystem::exists(dir / "split.train.csv"));
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, BadFilesAndMismatchesGiveClearErrors) {
  const auto dir = scratch("bad");
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto missing = (dir / "none.pt").string();
  EXPECT_NE(message([&] { load_model(missing, torch::kCPU); }).find("no such model file"), std::string::npos);
  std::ofstream(dir / "text.pt") << "hello";
  EXPECT_NE(message([&] { load_model((dir / "text.pt").string(), torch::kCPU); }).find("not a readable model file"),
            std::string::npos);
  auto net = tiny(Modulation::qpsk, 2);
  const auto good = save_tiny(net, dir / "good.pt");
  std::filesystem::copy_file(good, dir / "cut.pt");
  std::filesystem::resize_file(dir / "cut.pt", std::filesystem::file_size(good) / 2);
  EXPECT_NE(message([&] { load_model((dir / "cut.pt").string(), torch::kCPU); }), "no error");
  EXPECT_NE(message([&] { make_transformer_detector({{"value", good}}, Modulation::qam16); }).find("trained for qpsk"),
            std::string::npos);
  auto det = make_transformer_detector({{"value", good}}, Modulation::qpsk);
  SampleBatch three;
  Generator(channel(3, 3, Modulation::qpsk)).generate(0, 4, three);
  Detection d;
  EXPECT_NE(message([&] { det->detect(three, d); }).find("at most 2 streams"), std::string::npos);
  EXPECT_NE(message([&] { make_transformer_detector({}, Modulation::qpsk); }).find("needs a model file"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, OtherFeatureVersionIsRefusedWithRetrain) {
  const auto dir = scratch("version");
  auto net = tiny(Modulation::qpsk, 2);
  ModelInfo info;
  info.feature_version = kFeatureVersion + 1;
  const auto path = save_tiny(net, dir / "old.pt", info);
  try {
    load_model(path, torch::kCPU);
    FAIL() << "another feature version was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("retrain"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, ResumeWithOtherSettingsIsRefused) {
  const auto dir = scratch("resume_flags");
  auto c = tiny_training(channel(2, 2, Modulation::qpsk), dir / "m.pt");
  c.steps = 4;
  c.batch = 16;
  c.validate_every = 2;
  c.validate_samples = 20;
  EXPECT_EQ(train(c, stop_after(2)), 2);
  c.resume = c.out;
  auto other = c;
  other.batch = 32;
  EXPECT_THROW(train(other, {}), std::invalid_argument);
  other = c;
  other.channel.snr = SnrSchedule::range("0:10");
  EXPECT_THROW(train(other, {}), std::invalid_argument);
  EXPECT_EQ(train(c, {}), 4);  // the same flags continue
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo::tf
