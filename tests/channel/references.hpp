#pragma once
// The conventions written out independently of channel/'s code, from the standards and snr.hpp's header
// comment: bits per symbol and the 3GPP TS 38.211 section 5.1 mapping (BPSK real: 0 -> +1, 1 -> -1, a
// deliberate deviation), and the noise variance of each SNR unit.
#include <cmath>
#include <complex>

#include "channel/modulation.hpp"
#include "channel/snr.hpp"

namespace mimo::test {

inline int bits_of(Modulation m) {
  switch (m) {
    case Modulation::bpsk: return 1;
    case Modulation::qpsk: return 2;
    case Modulation::qam16: return 4;
    case Modulation::qam64: return 6;
    case Modulation::qam256: return 8;
  }
  return -1;
}

/// The symbol of bits b[0] = b(0), b[1] = b(1), ... (any integer type holding 0 or 1).
template <typename Bit>
std::complex<double> ref_map(Modulation m, const Bit* b) {
  auto s = [&](int i) { return 1.0 - 2.0 * static_cast<double>(b[i]); };
  using cd = std::complex<double>;
  switch (m) {
    case Modulation::bpsk: return {s(0), 0.0};
    case Modulation::qpsk: return cd(s(0), s(1)) / std::sqrt(2.0);
    case Modulation::qam16: return cd(s(0) * (2 - s(2)), s(1) * (2 - s(3))) / std::sqrt(10.0);
    case Modulation::qam64:
      return cd(s(0) * (4 - s(2) * (2 - s(4))), s(1) * (4 - s(3) * (2 - s(5)))) / std::sqrt(42.0);
    case Modulation::qam256:
      return cd(s(0) * (8 - s(2) * (4 - s(4) * (2 - s(6)))), s(1) * (8 - s(3) * (4 - s(5) * (2 - s(7))))) /
             std::sqrt(170.0);
  }
  return {};
}

/// N0 for an SNR value v in unit u, nt streams, m bits per symbol.
inline double ref_n0(double v, SnrUnit u, int nt, int m) {
  switch (u) {
    case SnrUnit::snr: return nt / std::pow(10.0, v / 10.0);
    case SnrUnit::esn0: return std::pow(10.0, -v / 10.0);
    case SnrUnit::ebn0: return std::pow(10.0, -v / 10.0) / m;
  }
  return NAN;
}

}  // namespace mimo::test
