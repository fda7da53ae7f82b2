#include "evaluation/results.hpp"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace mimo {

std::vector<ResultField> result_fields(const ResultsContext& c, const PointResult& r, bool coded) {
  using u64 = unsigned long long;
  const Interval ci = ber_interval(r);
  std::vector<ResultField> f = {
      {"detector", r.detector}, {"channel", c.channel}, {"modulation", c.modulation},
      {"nt", static_cast<long long>(c.nt)}, {"nr", static_cast<long long>(c.nr)},
      {"snr_db", r.snr.snr_db, 6}, {"esn0_db", r.snr.esn0_db, 6}, {"ebn0_db", r.snr.ebn0_db, 6},
      {"bits", static_cast<u64>(r.bits)}, {"bit_errors", static_cast<u64>(r.bit_errors)},
      {"ber", r.ber(), 9}, {"ber_lo", ci.lo, 9}, {"ber_hi", ci.hi, 9},
      {"symbols", static_cast<u64>(r.symbols)}, {"symbol_errors", static_cast<u64>(r.symbol_errors)},
      {"ser", r.ser(), 9}, {"seconds", r.seconds, 6}, {"llr_info", std::monostate{}, 6}};
  if (const auto i = r.llr_info()) f.back().value = *i;
  if (coded) {
    const Interval bi = bler_interval(r);
    f.insert(f.end(), {{"blocks", static_cast<u64>(r.blocks)}, {"block_errors", static_cast<u64>(r.block_errors)},
                       {"bler", r.bler(), 9}, {"bler_lo", bi.lo, 9}, {"bler_hi", bi.hi, 9},
                       {"coded_ber", r.coded_ber(), 9}});
  }
  return f;
}

namespace {

std::string csv_field(const ResultField& field) {
  char text[64] = "";
  if (const auto* s = std::get_if<std::string>(&field.value)) {
    // Names with several options ("kbest:k=16,clip=8") would split the row: their commas are written as ';'.
    std::string name = *s;
    std::replace(name.begin(), name.end(), ',', ';');
    return name;
  }
  if (const auto* i = std::get_if<long long>(&field.value)) std::snprintf(text, sizeof text, "%lld", *i);
  if (const auto* u = std::get_if<unsigned long long>(&field.value)) std::snprintf(text, sizeof text, "%llu", *u);
  if (const auto* d = std::get_if<double>(&field.value)) {
    // llr_info keeps fixed decimals (the mutual information of a good detector is close to 1).
    const bool fixed = std::string_view(field.name) == "llr_info";
    std::snprintf(text, sizeof text, fixed ? "%.*f" : "%.*g", field.digits, *d);
  }
  return text;
}

}  // namespace

std::string results_csv(const ResultsContext& c, const std::vector<PointResult>& rows, bool coded) {
  std::string out = std::string(kResultsHeader) + (coded ? kResultsCodedColumns : "") + "\n";
  for (const auto& r : rows) {
    const auto fields = result_fields(c, r, coded);
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
    out += "\n";
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
