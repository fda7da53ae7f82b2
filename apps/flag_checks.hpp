#pragma once
// Checks on numeric flags that every command shares, each failing with one line that names the rule and the
// value given (CLI11's own NonNegativeNumber writes DBL_MAX out in full, and its integer parsing lets "-1"
// wrap to 2^64 - 1 in an unsigned flag).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>

namespace mimo::cli {

/// A whole number in [lo, hi] (no sign for lo >= 0).
CLI::Validator integer_in(long long lo, long long hi);

/// A whole number in [0, 2^64 - 1], for seeds.
CLI::Validator unsigned64();

/// A number in [lo, hi]; NaN and infinities are refused.
CLI::Validator number_in(double lo, double hi);

/// Any finite number (NaN and infinities refused), for flags kept as text.
CLI::Validator finite_number();

inline const CLI::Validator kAtLeastOne = integer_in(1, std::numeric_limits<long long>::max());

/// --threads: 0 (all cores) up to kMaxThreads.
CLI::Validator thread_count();

/// Refuses NaN and infinities in every floating-point flag of `command` (one line naming the flag), so a flag
/// declared without its own check is still safe.
void require_finite_numbers(const CLI::App& command);

}  // namespace mimo::cli
