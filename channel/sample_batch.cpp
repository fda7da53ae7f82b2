#include "channel/sample_batch.hpp"

namespace mimo {

void SampleBatch::resize(size_t n_, size_t nr_, size_t nt_, size_t m_, bool with_h_est, bool with_user_gain) {
  n = n_; nr = nr_; nt = nt_; m = m_;
  H.resize(n * nr * nt);
  H_est.resize(with_h_est ? n * nr * nt : 0);
  y.resize(n * nr);
  x.resize(n * nt);
  bits.resize(n * nt * m);
  snr_db.resize(n);
  noise_var.resize(n);
  user_gain_db.resize(with_user_gain ? n * nt : 0);
}

arma::cx_mat SampleBatch::channel(size_t i, bool estimate) const {
  const auto* src = ((estimate && has_h_est()) ? H_est.data() : H.data()) + i * nr * nt;
  arma::cx_mat M(nr, nt);
  for (size_t r = 0; r < nr; ++r)
    for (size_t t = 0; t < nt; ++t) M(r, t) = std::complex<double>(src[r * nt + t]);
  return M;
}

arma::cx_vec SampleBatch::received(size_t i) const {
  arma::cx_vec v(nr);
  for (size_t r = 0; r < nr; ++r) v[r] = std::complex<double>(y[i * nr + r]);
  return v;
}

arma::cx_vec SampleBatch::transmitted(size_t i) const {
  arma::cx_vec v(nt);
  for (size_t t = 0; t < nt; ++t) v[t] = std::complex<double>(x[i * nt + t]);
  return v;
}

void store_matrix(const arma::cx_mat& M, std::complex<float>* dst) {
  const size_t nt = M.n_cols;
  for (size_t r = 0; r < M.n_rows; ++r)
    for (size_t t = 0; t < nt; ++t) dst[r * nt + t] = std::complex<float>(M(r, t));
}

}  // namespace mimo
