#pragma once
// The clustered delay line models CDL-A ... CDL-E of 3GPP TR 38.901 (V16/V17) section 7.7.1, Tables 7.7.1-1 to
// 7.7.1-5, as tabulated there. The numbers live in cdl_tables.cpp, which scripts/cdl_tables.py generates from
// tr38901_cdl.json (the project's shared transcription of the standard, absent from a clean clone), so a build
// never needs the JSON; tests/channel/test_cdl.cpp checks the two agree wherever the JSON is present.
#include <array>
#include <span>
#include <string_view>

namespace mimo {

/// One CDL model as the standard tabulates it, for the downlink: "departure" is the base station's side.
/// Entry i of every column is one cluster, in the table's order. For the line-of-sight models (CDL-D, CDL-E)
/// entry 0 is the specular LoS path and entry 1 the Laplacian cluster at the same delay and angles: a column
/// then has clusters + 1 entries.
struct CdlTable {
  std::string_view name;  // "A" ... "E"
  bool los;
  int clusters;                              // Laplacian clusters, the standard's count (the LoS path not included)
  std::span<const double> delay_normalized;  // times the delay spread DS
  std::span<const double> power_db;
  std::span<const double> aod_deg, aoa_deg, zod_deg, zoa_deg;
  double c_asd_deg, c_asa_deg, c_zsd_deg, c_zsa_deg;  // per-cluster rms angle spreads
  double xpr_db;

  int entries() const { return clusters + (los ? 1 : 0); }
};

/// CDL-A ... CDL-E, in that order.
std::span<const CdlTable> cdl_tables();

/// The table of CDL-`name`, name one of "A" ... "E"; throws std::invalid_argument for any other.
const CdlTable& cdl_table(std::string_view name);

/// Table 7.5-3: the offset angles of the 20 rays of a cluster in units of its rms angle spread, ray m = 1 ... 20
/// in the table's order (7.7-0a: the ray angle is the cluster angle plus the spread times the offset).
inline constexpr std::array<double, 20> kCdlRayOffsets = {0.0447,  -0.0447, 0.1413,  -0.1413, 0.2492,  -0.2492, 0.3715,
                                                          -0.3715, 0.5129,  -0.5129, 0.6797,  -0.6797, 0.8844,  -0.8844,
                                                          1.1481,  -1.1481, 1.5195,  -1.5195, 2.1551,  -2.1551};

}  // namespace mimo
