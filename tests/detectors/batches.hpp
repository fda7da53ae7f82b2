#pragma once
// Test batches of the generator's i.i.d. Rayleigh channel at one SNR, shared by the detector tests.
#include <vector>

#include "channel/generator.hpp"

namespace mimo::test {

inline SampleBatch make_batch(int nt, int nr, Modulation mod, double snr_db, size_t n, uint64_t seed) {
  GeneratorConfig g;
  g.channel.nt = nt;
  g.channel.nr = nr;
  g.modulation = mod;
  g.snr = SnrSchedule::grid(std::vector<double>{snr_db});
  g.seed = seed;
  SampleBatch b;
  Generator(g).generate(0, n, b, 2);
  return b;
}

}  // namespace mimo::test
