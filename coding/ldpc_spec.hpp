#pragma once
// The text form of an LDPC code for the command line: "ldpc:k=1024,n=2048" (K information bits sent as n = E
// bits) or "ldpc:k=1024,rate=0.5" (E = round(K / rate)), optionally with ",iters=30" (decoder iterations, default
// 20). Keys in any order, each at most once.
#include <string>
#include <string_view>

namespace mimo {

struct LdpcSpec {
  int k = 0;
  int e = 0;
  int iterations = 20;

  /// The canonical form, "ldpc:k=1024,n=2048,iters=20": parses back to the same spec.
  std::string describe() const;
};

/// Parses and checks a spec (the code must exist: ldpc_params(k, e) accepts it). Throws std::invalid_argument
/// with one line naming the spec and what is wrong with it.
LdpcSpec parse_ldpc_spec(std::string_view text);

}  // namespace mimo
