#include "channel/models.hpp"

namespace mimo {

void RayleighChannel::sample(Rng& rng, arma::cx_mat& H) const { fill_complex_normal(rng, H); }

}  // namespace mimo
