#pragma once
// A batch of channel uses y = H x + n, laid out exactly as the HDF5 schema stores it (row-major, sample first),
// so batches move between the generator, files and detectors without reshaping.
#include <armadillo>
#include <complex>
#include <cstdint>
#include <vector>

namespace mimo {

struct SampleBatch {
  size_t n = 0, nr = 0, nt = 0, m = 0;  // samples, receive antennas, streams, bits per symbol
  std::vector<std::complex<float>> H;      // [n][nr][nt]
  std::vector<std::complex<float>> H_est;  // [n][nr][nt], empty when CSI is perfect
  std::vector<std::complex<float>> y;      // [n][nr]
  std::vector<std::complex<float>> x;      // [n][nt]
  std::vector<uint8_t> bits;               // [n][nt*m], stream-major, b(0) first
  std::vector<float> snr_db;               // [n], in the data set's SNR unit
  std::vector<float> noise_var;            // [n], complex noise variance N0
  std::vector<float> user_gain_db;         // [n][nt], each user's large-scale gain (in H); empty without a spread

  /// Sizes every array for n samples (H_est only when with_h_est, user_gain_db only when with_user_gain).
  void resize(size_t n_, size_t nr_, size_t nt_, size_t m_, bool with_h_est, bool with_user_gain = false);
  bool has_h_est() const { return !H_est.empty(); }
  bool has_user_gain() const { return !user_gain_db.empty(); }

  /// Sample i's channel (or its estimate when `estimate` and one is stored) as an Nr x Nt matrix.
  arma::cx_mat channel(size_t i, bool estimate = false) const;
  arma::cx_vec received(size_t i) const;
  arma::cx_vec transmitted(size_t i) const;
};

/// Copies an Nr x Nt matrix into the row-major slot [nr][nt] starting at dst.
void store_matrix(const arma::cx_mat& M, std::complex<float>* dst);

}  // namespace mimo
