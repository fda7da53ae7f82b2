#pragma once
// The SNR convention of mimo, in one place.
//
// Channel entries have E|h|^2 = 1 and symbols Es = 1, and the noise is CN(0, N0) per receive antenna.
//   snr  (default): receive SNR per antenna, E||Hx||^2 / E||n||^2 = Nt * Es / N0, so N0 = Nt / 10^(snr/10)
//   esn0:           Es / N0 per stream,                                          so N0 = 1 / 10^(esn0/10)
//   ebn0:           Eb / N0 = Es / N0 / (R m) (m bits per symbol, code rate R), so N0 = 1 / (R m 10^(ebn0/10))
// Eb is the energy per information bit: R = K / E with an LDPC code (`evaluate --code`), R = 1 uncoded (the default).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mimo {

enum class SnrUnit { snr, esn0, ebn0 };

SnrUnit parse_snr_unit(const std::string& name);  // "snr", "esn0", "ebn0"
std::string to_string(SnrUnit u);

/// Complex noise variance N0 for a value in dB of the given unit, Nt streams, m bits per symbol and code rate R
/// (information bits per code bit, R = K / E; 1 uncoded): only the ebn0 axis depends on R.
double noise_variance(double value_db, SnrUnit unit, int nt, int bits_per_symbol, double code_rate = 1.0);

/// The same operating point expressed on all three axes (dB).
struct SnrPoint {
  double snr_db;
  double esn0_db;
  double ebn0_db;
};
SnrPoint snr_point(double value_db, SnrUnit unit, int nt, int bits_per_symbol, double code_rate = 1.0);

/// The SNRs mimo accepts, in any unit: the noise variance of any of them, for any Nt up to 1024 and m up to 8,
/// is a normal float32 (data sets store it so), with a wide margin around any physical SNR.
inline constexpr double kMaxAbsSnrDb = 300.0;

/// Throws std::invalid_argument unless |value_db| <= kMaxAbsSnrDb.
void require_snr_in_range(double value_db);

/// Which SNR each sample gets: a grid that samples cycle through, or a uniform draw from [lo, hi].
class SnrSchedule {
public:
  /// Parses "10", "5,15,20" or "start:step:stop" (stop included when reached within rounding).
  static SnrSchedule grid(const std::string& spec);
  static SnrSchedule grid(std::vector<double> values);
  /// Parses "lo:hi".
  static SnrSchedule range(const std::string& spec);

  bool is_range() const { return range_.has_value(); }
  const std::vector<double>& values() const { return values_; }
  double lo() const { return range_ ? range_->first : values_.front(); }
  double hi() const { return range_ ? range_->second : values_.back(); }
  /// Text that parses back to the same schedule ("0:2:20" becomes "0,2,...,20"; a range stays "lo:hi").
  std::string describe() const;
  /// Parses describe()'s text (as data sets store it): "lo:hi" is a range, anything else a grid.
  static SnrSchedule from_description(const std::string& text);

  /// SNR (dB) of sample `index`; `uniform01` is a draw in [0, 1) used only for ranges.
  double value_for(uint64_t index, double uniform01) const {
    if (range_) return range_->first + (range_->second - range_->first) * uniform01;
    return values_[index % values_.size()];
  }

private:
  std::vector<double> values_;
  std::optional<std::pair<double, double>> range_;
};

}  // namespace mimo
