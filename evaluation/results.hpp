#pragma once
// BER/SER results as files: the CSV that `mimo plot` and spreadsheets read, one row per (detector, SNR).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "evaluation/ber_engine.hpp"

namespace mimo {

/// The columns every row repeats so that a CSV file stands on its own.
struct ResultsContext {
  std::string channel;
  std::string modulation;
  int nt = 0, nr = 0;
};

/// llr_info: the LLRs' bitwise mutual information (empty for detectors without LLRs).
inline constexpr const char* kResultsHeader =
    "detector,channel,modulation,nt,nr,snr_db,esn0_db,ebn0_db,bits,bit_errors,ber,ber_lo,ber_hi,symbols,"
    "symbol_errors,ser,seconds,llr_info";
/// The header of files from before llr_info; still read.
inline constexpr const char* kResultsHeaderV1 =
    "detector,channel,modulation,nt,nr,snr_db,esn0_db,ebn0_db,bits,bit_errors,ber,ber_lo,ber_hi,symbols,"
    "symbol_errors,ser,seconds";

/// The columns a coded evaluation (--code) appends to kResultsHeader: transport blocks, block errors, the block
/// error rate with its 95% Wilson interval on blocks, and the BER of the decoded information bits.
inline constexpr const char* kResultsCodedColumns = ",blocks,block_errors,bler,bler_lo,bler_hi,coded_ber";

/// One column of a results row: its name (as in the headers above), its value (none: an empty llr_info) and the
/// significant digits the CSV keeps of a real. The CSV and the Python module's rows are both made from these.
struct ResultField {
  const char* name;
  std::variant<std::monostate, std::string, long long, unsigned long long, double> value;
  int digits = 0;
};
/// The columns of one row, in the header's order (with the coded columns when `coded`).
std::vector<ResultField> result_fields(const ResultsContext& context, const PointResult& row, bool coded);

/// With `coded`, every row also has the kResultsCodedColumns; without, the file is as before --code existed.
std::string results_csv(const ResultsContext& context, const std::vector<PointResult>& rows, bool coded = false);
/// Parses a results CSV (any of the headers above, with or without the coded columns); throws std::runtime_error naming the file and line on a malformed one.
std::vector<PointResult> read_results_csv(const std::string& path, ResultsContext* context = nullptr);

}  // namespace mimo
