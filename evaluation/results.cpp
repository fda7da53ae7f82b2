#include "evaluation/results.hpp"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mimo {

std::string results_csv(const ResultsContext& c, const std::vector<PointResult>& rows, bool coded) {
  std::string out = std::string(kResultsHeader) + (coded ? kResultsCodedColumns : "") + "\n";
  char line[1024];
  for (const auto& r : rows) {
    // Names with several options ("kbest:k=16,clip=8") would split the row: their commas are written as ';'.
    std::string name = r.detector;
    std::replace(name.begin(), name.end(), ',', ';');
    const Interval ci = ber_interval(r);
    char info[32] = "";
    if (const auto i = r.llr_info()) std::snprintf(info, sizeof info, "%.6f", *i);
    std::snprintf(line, sizeof line, "%s,%s,%s,%d,%d,%.6g,%.6g,%.6g,%llu,%llu,%.9g,%.9g,%.9g,%llu,%llu,%.9g,%.6g,%s\n",
                  name.c_str(), c.channel.c_str(), c.modulation.c_str(), c.nt, c.nr, r.snr.snr_db,
                  r.snr.esn0_db, r.snr.ebn0_db, static_cast<unsigned long long>(r.bits),
                  static_cast<unsigned long long>(r.bit_errors), r.ber(), ci.lo, ci.hi,
                  static_cast<unsigned long long>(r.symbols), static_cast<unsigned long long>(r.symbol_errors), r.ser(),
                  r.seconds, info);
    out += line;
    if (coded) {
      const Interval bi = wilson_interval(static_cast<double>(r.block_errors), static_cast<double>(r.blocks));
      out.pop_back();  // the newline
      std::snprintf(line, sizeof line, ",%llu,%llu,%.9g,%.9g,%.9g,%.9g\n", static_cast<unsigned long long>(r.blocks),
                    static_cast<unsigned long long>(r.block_errors), r.bler(), bi.lo, bi.hi, r.coded_ber());
      out += line;
    }
  }
  return out;
}

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, ',')) f.push_back(item);
  if (!line.empty() && line.back() == ',') f.push_back("");
  return f;
}

}  // namespace

std::vector<PointResult> read_results_csv(const std::string& path, ResultsContext* context) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string line;
  const std::string coded_header = std::string(kResultsHeader) + kResultsCodedColumns;
  if (!std::getline(f, line) || (line != kResultsHeader && line != kResultsHeaderV1 && line != coded_header))
    throw std::runtime_error(path + ": not a mimo results file (unexpected header)");
  const bool coded = line == coded_header;
  const size_t fields = coded ? 24 : line == kResultsHeader ? 18 : 17;
  std::vector<PointResult> rows;
  for (int number = 2; std::getline(f, line); ++number) {
    if (line.empty()) continue;
    const auto v = split_csv(line);
    auto fail = [&](const std::string& why) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + why);
    };
    if (v.size() != fields) fail("expected " + std::to_string(fields) + " fields, found " + std::to_string(v.size()));
    try {
      PointResult r;
      r.detector = v[0];
      if (context) *context = ResultsContext{v[1], v[2], std::stoi(v[3]), std::stoi(v[4])};
      r.snr = {std::stod(v[5]), std::stod(v[6]), std::stod(v[7])};
      r.bits = std::stoull(v[8]);
      r.bit_errors = std::stoull(v[9]);
      r.symbols = std::stoull(v[13]);
      r.symbol_errors = std::stoull(v[14]);
      r.seconds = std::stod(v[16]);
      // The mean is what the file keeps; one pseudo-bit carries it back.
      if (fields >= 18 && !v[17].empty()) {
        r.llr_info_sum = std::stod(v[17]);
        r.llr_bits = 1;
      }
      if (coded) {
        r.blocks = std::stoull(v[18]);
        r.block_errors = std::stoull(v[19]);
        const double coded_ber = std::stod(v[23]);
        if (r.block_errors > r.blocks) fail("more block errors than blocks");
        if (!(coded_ber >= 0 && coded_ber <= 1)) fail("coded_ber outside [0, 1]");
        // The file keeps the coded BER, not the information bit counts: pseudo-counts of 1e12 bits carry it back
        // (to 12 digits; the column has 9).
        r.info_bits = 1'000'000'000'000ull;
        r.info_bit_errors = static_cast<uint64_t>(std::llround(coded_ber * 1e12));
      }
      if (r.bit_errors > r.bits || r.symbol_errors > r.symbols) fail("more errors than bits or symbols");
      rows.push_back(r);
    } catch (const std::logic_error&) {
      fail("a field is not a number");
    }
  }
  return rows;
}

}  // namespace mimo
