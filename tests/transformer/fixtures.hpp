#pragma once
// Shared by the transformer tests: a scratch directory, a small channel configuration, a tiny network and a
// tiny training configuration (one block of width 16, so that a few training steps take a fraction of a second).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "channel/generator.hpp"
#include "transformer/checkpoint.hpp"
#include "transformer/model.hpp"
#include "transformer/train.hpp"

namespace mimo::tf::test {

/// An empty directory of its own for one test (per process: ctest runs tests in parallel).
inline std::filesystem::path scratch(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("mimo_tf_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

/// nt x nr i.i.d. (or `model`) channel, each sample's SNR uniform in [5, 20] dB, seed 7.
inline GeneratorConfig channel(int nt, int nr, Modulation mod, const std::string& model = "rayleigh") {
  GeneratorConfig g;
  g.channel.model = model;
  g.channel.nt = nt;
  g.channel.nr = nr;
  g.modulation = mod;
  g.snr = SnrSchedule::range("5:20");
  g.seed = 7;
  return g;
}

/// An untrained two-block network of width 16, the same for the same seed.
inline TransformerDetectorNet tiny(Modulation mod, int64_t nt_max, uint64_t seed = 3) {
  torch::manual_seed(seed);
  return TransformerDetectorNet(TransformerOptions(mod, nt_max).dim(16).heads(2).layers(2));
}

/// Writes `net` as a model file at `path` with `info` (its options set from the net), no optimizer state;
/// returns the path.
inline std::string save_tiny(TransformerDetectorNet& net, const std::filesystem::path& path, ModelInfo info = {}) {
  info.options = net->options();
  save_model(path.string(), net, info, nullptr);
  return path.string();
}

/// Training on `g` of a one-block network of width 16 into `out`; the caller sets steps, batch and validation.
inline TrainConfig tiny_training(const GeneratorConfig& g, const std::filesystem::path& out) {
  TrainConfig c;
  c.channel = g;
  c.dim = 16;
  c.heads = 2;
  c.layers = 1;
  c.out = out.string();
  return c;
}

/// tiny_training for two steps of batch 8, validated on 10 channel uses per SNR: a run in a fraction of a second.
inline TrainConfig two_tiny_steps(const GeneratorConfig& g, const std::filesystem::path& out) {
  auto c = tiny_training(g, out);
  c.steps = 2;
  c.batch = 8;
  c.validate_samples = 10;
  return c;
}

/// The two model files hold the same parameters, bit for bit.
inline void expect_same_parameters(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto pa = load_model(a.string(), torch::kCPU).net->parameters();
  const auto pb = load_model(b.string(), torch::kCPU).net->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << "parameter " << k;
}

/// Hooks that stop training (as Ctrl-C does) after `steps` steps of this run.
inline TrainHooks stop_after(int steps) {
  TrainHooks hooks;
  hooks.stop = [calls = 0, steps]() mutable { return calls++ >= steps; };
  return hooks;
}

/// max |got - want| / max |want|, in float64.
inline double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  const auto w = want.to(torch::kDouble);
  return (got.to(torch::kDouble) - w).abs().max().item<double>() / std::max(1e-300, w.abs().max().item<double>());
}

}  // namespace mimo::tf::test
