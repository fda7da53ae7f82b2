// Training (transformer/train.hpp): from an HDF5 data set, resumed exactly; settings it cannot use refused before
// anything is written; a diverging run stopped with its last finite checkpoint kept.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "datasets/writer.hpp"
#include "fixtures.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/online_channel.hpp"

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

// Online batches are drawn in seeded blocks since data-parallel training (each process draws its part of the
// global batch). A model trained on the older whole-step draws cannot be continued exactly: refused in one line.
// Every registered channel model trains (its default parameters; the file model on a data set's H, which is
// complex64 in h5py's layout), and on channel/'s own implementation: the online H of step s, sample i, is the
// generator's sample s 2^32 + i (tag train), bit for bit, also with a user power spread and block fading. Square
// (awgn needs Nt = Nr). No model exists twice.
TEST(Training, EveryRegisteredChannelModelTrainsOnChannelsFromItsOwnImplementation) {
  const auto dir = scratch("every_model");
  const auto file = (dir / "channels.h5").string();
  {
    auto g = channel(2, 2, Modulation::qpsk);
    DatasetInfo info;
    info.channel = g.channel;
    info.modulation = g.modulation;
    info.snr_schedule = g.snr.describe();
    DatasetWriter w(file, info, WriterOptions{});
    SampleBatch b;
    Generator(g).generate(0, 40, b);
    w.append(b);
    w.commit();
  }
  for (const auto& model : channel_models()) {
    auto g = channel(2, 2, Modulation::qpsk, model.name);
    if (model.name == "file") g.channel.set("h_file", file);
    g.channel.user_power_spread_db = 6;
    g.channel.uses_per_realization = 3;
    const auto t = OnlineChannel(g, 2, torch::kCPU).draw(3, 5, 20);
    auto direct = g;
    direct.tag = StreamTag::train;
    SampleBatch b;
    Generator(direct).generate((uint64_t{3} << 32) + 5, 20, b);
    for (int64_t i = 0; i < 20; ++i)
      for (int64_t e = 0; e < 4; ++e) {
        const auto h = b.H[static_cast<size_t>(i * 4 + e)];
        ASSERT_EQ(t.Hr.index({i, e / 2, e % 2}).item().toFloat(), h.real()) << model.name << " sample " << i;
        ASSERT_EQ(t.Hi.index({i, e / 2, e % 2}).item().toFloat(), h.imag()) << model.name << " sample " << i;
      }
    auto c = two_tiny_steps(g, dir / (model.name + ".pt"));
    EXPECT_EQ(train(c, {}), 2) << model.name;
    // The model's parameters, the power spread and the uses per realization are part of what a run must reproduce
    // to resume.
    const auto info = load_model(c.out, torch::kCPU).info;
    for (const auto& [name, value] : g.channel.resolved_parameters()) {
      if (name != "rho_tx" && name != "rho_rx" && name != "k_factor") {
        EXPECT_NE(info.training.find(" " + name + "=" + to_text(value)), std::string::npos) << info.training;
      }
    }
    EXPECT_NE(info.training.find(" power_spread_db=6"), std::string::npos) << info.training;
    EXPECT_NE(info.training.find(" uses_per_realization=3"), std::string::npos) << info.training;
  }
  std::filesystem::remove_all(dir);
}

TEST(Training, ResumingAModelOfTheOlderWholeStepBatchesIsRefused) {
  const auto dir = scratch("old_batches");
  auto c = two_tiny_steps(channel(2, 2, Modulation::qpsk), dir / "m.pt");
  ASSERT_EQ(train(c, {}), 2);
  c.resume = c.out;
  c.steps = 3;
  EXPECT_EQ(train(c, {}), 3);  // this mimo's own model resumes

  // The same file as older mimos wrote it: without the draw token (whole batches per step), and with the token of
  // blocks whose channels a torch copy of the models drew.
  const auto ours = load_model(c.out, torch::kCPU);
  const std::string token = " draw=channels-blocks64";
  const auto at = ours.info.training.find(token);
  ASSERT_NE(at, std::string::npos) << ours.info.training;
  for (const std::string older : {"", " draw=blocks64"}) {
    auto old = ours;
    old.info.training.replace(at, token.size(), older);
    torch::optim::Adam adam(old.net->parameters());
    save_model(c.out, old.net, old.info, &adam);
    c.steps = 4;
    try {
      train(c, {});
      ADD_FAILURE() << "resumed a model of older batches: '" << older << "'";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("was trained on online batches drawn by an older mimo"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_EQ(load_model(c.out, torch::kCPU).info.step, 3);  // untouched
  }
  std::filesystem::remove_all(dir);
}

// Every numeric setting is checked by train() itself, not only by the CLI's flags: a direct caller with a NaN
// time limit would otherwise train forever, and a NaN learning rate train nothing but NaNs.
TEST(Training, NonFiniteAndOutOfRangeSettingsAreRefusedBeforeAnythingIsWritten) {
  const auto dir = scratch("bad_config");
  const auto good = two_tiny_steps(channel(2, 2, Modulation::qpsk), dir / "m.pt");
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, std::function<void(TrainConfig&)>>> cases{
      {"time-limit", [&](TrainConfig& c) { c.steps = 0, c.time_limit = nan; }},
      {"time-limit", [&](TrainConfig& c) { c.time_limit = inf; }},
      {"time-limit", [&](TrainConfig& c) { c.time_limit = -1; }},
      {"lr", [&](TrainConfig& c) { c.lr = nan; }},
      {"lr", [&](TrainConfig& c) { c.lr = inf; }},
      {"lr", [&](TrainConfig& c) { c.lr = 0; }},
      {"clip", [&](TrainConfig& c) { c.clip = nan; }},
      {"clip", [&](TrainConfig& c) { c.clip = 0; }},
      {"steps", [&](TrainConfig& c) { c.steps = -3; }},
      {"batch", [&](TrainConfig& c) { c.batch = 0; }},
      {"batch", [&](TrainConfig& c) { c.batch = int64_t{1} << 40; }},
      {"heads", [&](TrainConfig& c) { c.dim = 64, c.heads = 3; }},
      {"heads", [&](TrainConfig& c) { c.heads = 0; }},
      {"layers", [&](TrainConfig& c) { c.layers = 0; }},
      {"nt-min", [&](TrainConfig& c) { c.nt_min = 3; }},
      {"nt-min", [&](TrainConfig& c) { c.nt_min = -1; }},
      {"validate-every", [&](TrainConfig& c) { c.validate_every = 0; }},
      {"validate-samples", [&](TrainConfig& c) { c.validate_samples = 0; }},
      {"validate-snr", [&](TrainConfig& c) { c.validate_snr = {10, nan}; }},
  };
  for (const auto& [name, spoil] : cases) {
    auto c = good;
    spoil(c);
    try {
      train(c, {});
      ADD_FAILURE() << name << ": accepted";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(name), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "m.pt")) << name;
    EXPECT_FALSE(std::filesystem::exists(dir / "m.train.csv")) << name;
  }
  EXPECT_EQ(train(good, {}), 2);  // the unspoilt settings train
  std::filesystem::remove_all(dir);
}

// --lr 1e6 makes the loss NaN within a few steps. train() throws there, without taking the step, and the model
// file is the checkpoint of the step before: finite, with the log's last row at that step.
TEST(Training, DivergenceStopsAndKeepsTheLastFiniteCheckpoint) {
  const auto dir = scratch("diverge");
  auto c = tiny_training(channel(2, 3, Modulation::qpsk), dir / "m.pt");
  c.steps = 100;
  c.batch = 32;
  c.lr = 1e6;
  c.validate_every = 1;
  c.validate_samples = 20;
  long step = -1;
  try {
    train(c, {});
    FAIL() << "a learning rate of 1e6 trained 100 steps";
  } catch (const std::runtime_error& e) {
    std::cmatch m;
    ASSERT_TRUE(std::regex_match(e.what(), m, std::regex("training diverged at step (\\d+): (loss|gradient norm) is "
                                                         "(nan|inf|-inf); kept the last finite checkpoint (.*)")))
        << e.what();
    step = std::stol(m[1]);
    EXPECT_EQ(m[4], c.out);
  }
  ASSERT_GE(step, 2);
  const auto kept = load_model(c.out, torch::kCPU);
  EXPECT_EQ(kept.info.step, step - 1);
  for (const auto& p : kept.net->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
  std::ifstream log(training_log_path(c.out));
  std::string line, last;
  while (std::getline(log, line)) last = line;
  EXPECT_EQ(last.substr(0, last.find(',')), std::to_string(step - 1));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimo::tf
