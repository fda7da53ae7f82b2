#include <stdexcept>
#include <string>

#include "channel/models.hpp"

namespace mimo::models {

namespace {

// The AWGN channel: H = I, so y = x + n, for checking codes and demappers without fading (typically --nt 1
// --nr 1 BPSK). The i.i.d. draw is ignored. E|h_ij|^2 is 1/Nr over the entries rather than 1, yet each stream
// reaches one antenna with gain 1: under the SNR convention (receive SNR per antenna, Nt Es/N0) a stream's Es/N0
// is SNR / Nt, which for Nt = 1 is the SNR itself.
class Awgn final : public ChannelModel {
public:
  void shape(std::complex<float>* H, int nr, int nt, ChannelDraws&) const override {
    for (int r = 0; r < nr; ++r)
      for (int t = 0; t < nt; ++t) H[r * nt + t] = {r == t ? 1.0f : 0.0f, 0.0f};
  }
};

}  // namespace

ChannelModelInfo awgn() {
  return {"awgn", "no fading: H = I (needs --nt equal to --nr), y = x + n", {},
          [](const ChannelConfig& c) -> std::unique_ptr<ChannelModel> {
            if (c.nt != c.nr)
              throw std::invalid_argument("--channel awgn needs --nt equal to --nr (H = I; nt = " +
                                          std::to_string(c.nt) + ", nr = " + std::to_string(c.nr) + ")");
            return std::make_unique<Awgn>();
          }};
}

}  // namespace mimo::models
