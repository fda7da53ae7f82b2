#include "channel/models.hpp"

namespace mimo::models {

namespace {

// i.i.d. Rayleigh fading: the generator's CN(0, 1) draw is H.
class Rayleigh final : public ChannelModel {
public:
  bool iid() const override { return true; }
  void shape(std::complex<float>*, int, int, ChannelDraws&) const override {}
};

}  // namespace

ChannelModelInfo rayleigh() {
  return {"rayleigh", "i.i.d. Rayleigh fading, entries CN(0, 1)", {},
          [](const ChannelConfig&) { return std::make_unique<Rayleigh>(); }};
}

}  // namespace mimo::models
