#include "channel/generator.hpp"

#include "channel/parallel.hpp"

namespace mimo {

Generator::Generator(GeneratorConfig cfg)
    : cfg_(std::move(cfg)), constellation_(cfg_.modulation), model_(make_channel_model(cfg_.channel)) {}

void Generator::generate(uint64_t first, size_t count, SampleBatch& out, int threads) const {
  const auto& c = cfg_.channel;
  out.resize(count, c.nr, c.nt, constellation_.bits_per_symbol(), c.csi_error_var > 0.0);
  parallel_for(count, threads, [&](size_t begin, size_t end, int) {
    arma::cx_mat H(c.nr, c.nt);
    for (size_t k = begin; k < end; ++k) draw(first + k, out, k, H);
  });
}

void Generator::draw(uint64_t index, SampleBatch& out, size_t slot, arma::cx_mat& H) const {
  const size_t nt = out.nt, nr = out.nr, m = out.m;
  Rng rng = Rng::for_sample(cfg_.seed, cfg_.tag, index);

  // The draw order below is part of the file format's reproducibility: change it only with the schema version.
  const double snr_db = cfg_.snr.value_for(index, rng.uniform());
  const double n0 = noise_variance(snr_db, cfg_.snr_unit, static_cast<int>(nt), static_cast<int>(m));

  uint8_t* bits = out.bits.data() + slot * nt * m;
  for (size_t j = 0; j < nt * m; ++j) bits[j] = rng.bit();
  std::complex<float>* x = out.x.data() + slot * nt;
  arma::cx_vec xv(nt);
  for (size_t t = 0; t < nt; ++t) {
    xv[t] = constellation_.map(bits + t * m);
    x[t] = std::complex<float>(xv[t]);
  }

  model_->sample(rng, H);
  store_matrix(H, out.H.data() + slot * nr * nt);

  std::complex<float>* y = out.y.data() + slot * nr;
  for (size_t r = 0; r < nr; ++r) {
    std::complex<double> acc = 0.0;
    for (size_t t = 0; t < nt; ++t) acc += H(r, t) * xv[t];
    y[r] = std::complex<float>(acc + rng.complex_normal(n0));
  }

  if (out.has_h_est()) {
    std::complex<float>* he = out.H_est.data() + slot * nr * nt;
    for (size_t r = 0; r < nr; ++r)
      for (size_t t = 0; t < nt; ++t)
        he[r * nt + t] = std::complex<float>(H(r, t) + rng.complex_normal(cfg_.channel.csi_error_var));
  }

  out.snr_db[slot] = static_cast<float>(snr_db);
  out.noise_var[slot] = static_cast<float>(n0);
}

}  // namespace mimo
