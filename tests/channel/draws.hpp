#pragma once
// ChannelDraws for tests: the uniforms of a channel model's realization from a given source instead of the
// generator's Philox stream, so the models are checked against independent randomness.
#include <functional>
#include <utility>

#include "channel/channel_model.hpp"
#include "channel/random.hpp"

namespace mimo::test {

/// Uniforms from a sequential Rng (shared across realizations).
class RngDraws final : public ChannelDraws {
public:
  explicit RngDraws(Rng& rng, uint64_t seed = 0, uint64_t index = 0) : ChannelDraws(seed, index), rng_(rng) {}
  double uniform() override { return rng_.uniform(); }

private:
  Rng& rng_;
};

/// Uniforms from a function (fixed values, counters).
class FunctionDraws final : public ChannelDraws {
public:
  explicit FunctionDraws(std::function<double()> next, uint64_t seed = 0, uint64_t index = 0)
      : ChannelDraws(seed, index), next_(std::move(next)) {}
  double uniform() override { return next_(); }

private:
  std::function<double()> next_;
};

}  // namespace mimo::test
