#include "transformer/errors.hpp"

#include <c10/util/Exception.h>

namespace mimo::tf {

std::string error_line(const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  if (!torch_error) return e.what();
  std::string s = torch_error->what_without_backtrace();
  s = s.substr(0, s.find('\n'));
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

}  // namespace mimo::tf
