#include "channel/channel_model.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "channel/models.hpp"

namespace mimo {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument(what); }

// Shortest text that parses back to the same double ("10", "0.7", "1e+300").
std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

const ChannelParameter* find_parameter(const ChannelModelInfo& info, const std::string& name) {
  for (const auto& p : info.parameters)
    if (p.name == name) return &p;
  return nullptr;
}

const ChannelParameter& declared(const ChannelConfig& c, const std::string& name, ChannelParameter::Kind kind) {
  const ChannelParameter* p = find_parameter(channel_model_info(c.model), name);
  if (!p || p->kind != kind) fail("channel model '" + c.model + "' has no " +
                                  (kind == ChannelParameter::Kind::real ? "numeric" : "text") + " parameter '" +
                                  name + "'");
  return *p;
}

ParameterValue default_value(const ChannelParameter& p) {
  if (p.kind == ChannelParameter::Kind::text) return p.default_value;
  return std::strtod(p.default_value.c_str(), nullptr);
}

void check_value(const ChannelParameter& p, const ParameterValue& v) {
  const std::string flag = p.flag();
  if (p.kind == ChannelParameter::Kind::real) {
    const double* x = std::get_if<double>(&v);
    if (!x) fail(flag + " must be a number");
    const bool in = std::isfinite(*x) && *x >= p.min && (p.max_open ? *x < p.max : *x <= p.max);
    if (!in)
      fail(flag.substr(2) + " must be in [" + number_text(p.min) + ", " + number_text(p.max) +
           (p.max_open ? ")" : "]") + " (" + flag.substr(2) + " = " + number_text(*x) + ")");
    return;
  }
  const std::string* t = std::get_if<std::string>(&v);
  if (!t) fail(flag + " must be text");
  if (p.choices.empty()) {
    if (t->empty()) fail(flag + " must not be empty");
    return;
  }
  std::string list;
  for (const auto& ch : p.choices) {
    if (ch == *t) return;
    list += (list.empty() ? "" : ", ") + ch;
  }
  fail(flag.substr(2) + " must be one of " + list + " (" + flag.substr(2) + " = '" + *t + "')");
}

}  // namespace

std::string to_text(const ParameterValue& v) {
  if (const double* x = std::get_if<double>(&v)) return number_text(*x);
  return std::get<std::string>(v);
}

std::string ChannelConfig::describe() const {
  std::string s = model, list;
  for (const auto& [name, value] : resolved_parameters()) list += (list.empty() ? "" : ", ") + name + " = " + to_text(value);
  if (user_power_spread_db > 0)
    list += (list.empty() ? "" : ", ") + std::string("user power spread ") + number_text(user_power_spread_db) + " dB";
  if (uses_per_realization > 1)
    list += (list.empty() ? "" : ", ") + std::to_string(uses_per_realization) + " uses per realization";
  return list.empty() ? s : s + " (" + list + ")";
}

std::string ChannelParameter::flag() const {
  std::string f = "--" + name;
  for (char& ch : f)
    if (ch == '_') ch = '-';
  return f;
}

double ChannelConfig::real(const std::string& name) const {
  const auto& p = declared(*this, name, ChannelParameter::Kind::real);
  const auto it = params.find(name);
  const ParameterValue v = it == params.end() ? default_value(p) : it->second;
  if (!std::holds_alternative<double>(v)) fail(p.flag() + " must be a number");
  return std::get<double>(v);
}

std::string ChannelConfig::text(const std::string& name) const {
  const auto& p = declared(*this, name, ChannelParameter::Kind::text);
  const auto it = params.find(name);
  const ParameterValue v = it == params.end() ? default_value(p) : it->second;
  if (!std::holds_alternative<std::string>(v)) fail(p.flag() + " must be text");
  return std::get<std::string>(v);
}

std::vector<std::pair<std::string, ParameterValue>> ChannelConfig::resolved_parameters() const {
  std::vector<std::pair<std::string, ParameterValue>> out;
  for (const auto& p : channel_model_info(model).parameters) {
    const auto it = params.find(p.name);
    out.emplace_back(p.name, it == params.end() ? default_value(p) : it->second);
  }
  return out;
}

void validate(const ChannelConfig& c) {
  if (c.nt < 1 || c.nt > 1024) fail("nt must be in [1, 1024] (nt = " + std::to_string(c.nt) + ")");
  if (c.nr < 1 || c.nr > 1024) fail("nr must be in [1, 1024] (nr = " + std::to_string(c.nr) + ")");
  if (!(c.csi_error_var >= 0.0 && std::isfinite(c.csi_error_var)))
    fail("csi-error-var must be finite and >= 0 (csi-error-var = " + number_text(c.csi_error_var) + ")");
  if (!(c.user_power_spread_db >= 0.0 && c.user_power_spread_db <= 60.0))
    fail("user-power-spread-db must be in [0, 60] (user-power-spread-db = " + number_text(c.user_power_spread_db) +
         ")");
  if (c.uses_per_realization < 1 || c.uses_per_realization > kMaxUsesPerRealization)
    fail("uses-per-realization must be in [1, " + std::to_string(kMaxUsesPerRealization) +
         "] (uses-per-realization = " + std::to_string(c.uses_per_realization) + ")");
  const ChannelModelInfo& info = channel_model_info(c.model);
  for (const auto& [name, value] : c.params) {
    const ChannelParameter* p = find_parameter(info, name);
    if (!p) {
      // Name the model that does declare it, if any: the usual slip is a flag of another model.
      const auto owners = models_declaring(name);
      ChannelParameter named;
      named.name = name;
      fail(named.flag() + (owners.empty() ? " is not a channel parameter" : " belongs to --channel " + owners.front()) +
           ", not to --channel " + c.model);
    }
    check_value(*p, value);
  }
}

const std::vector<ChannelModelInfo>& channel_models() {
  // The registry: one line per model.
  static const std::vector<ChannelModelInfo> registry = {
      models::rayleigh(),
      models::kronecker(),
      models::rician(),
      models::cdl(),
      models::file(),
      models::awgn(),
  };
  return registry;
}

const ChannelModelInfo& channel_model_info(const std::string& name) {
  for (const auto& m : channel_models())
    if (m.name == name) return m;
  std::string list;
  for (const auto& m : channel_models()) list += (list.empty() ? "" : ", ") + m.name;
  fail("unknown channel model '" + name + "' (expected one of " + list + ")");
}

std::vector<std::string> channel_model_names() {
  std::vector<std::string> names;
  for (const auto& m : channel_models()) names.push_back(m.name);
  return names;
}

std::vector<std::string> models_declaring(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& m : channel_models())
    if (find_parameter(m, name)) names.push_back(m.name);
  return names;
}

std::unique_ptr<ChannelModel> make_channel_model(const ChannelConfig& c) {
  validate(c);
  return channel_model_info(c.model).make(c);
}

arma::mat exponential_correlation(int n, double rho) {
  arma::mat R(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) R(i, j) = std::pow(rho, std::abs(i - j));
  return R;
}

arma::mat symmetric_sqrt(const arma::mat& R) {
  if (R.n_rows != R.n_cols) throw std::invalid_argument("symmetric_sqrt needs a square matrix");
  const arma::uword n = R.n_rows;
  arma::mat A = R, V(n, n, arma::fill::eye);
  // Cyclic Jacobi: rotations J with A <- J^T A J zero one off-diagonal pair each, until A is diagonal to within
  // rounding; then R = V diag(A) V^T. Element access, no BLAS: every operation is a correctly rounded one.
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0, diag = 0.0;
    for (arma::uword q = 0; q < n; ++q) {
      diag += A(q, q) * A(q, q);
      for (arma::uword p = 0; p < q; ++p) off += A(p, q) * A(p, q);
    }
    if (!(off > 1e-34 * diag)) break;
    for (arma::uword p = 0; p + 1 < n; ++p)
      for (arma::uword q = p + 1; q < n; ++q) {
        const double apq = A(p, q);
        if (apq == 0.0) continue;
        // t = tan of the rotation angle, the smaller root of t^2 + 2 theta t - 1 = 0.
        const double theta = (A(q, q) - A(p, p)) / (2.0 * apq);
        const double t = (theta < 0 ? -1.0 : 1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (arma::uword k = 0; k < n; ++k) {
          const double akp = A(k, p), akq = A(k, q);
          A(k, p) = c * akp - s * akq;
          A(k, q) = s * akp + c * akq;
        }
        for (arma::uword k = 0; k < n; ++k) {
          const double apk = A(p, k), aqk = A(q, k);
          A(p, k) = c * apk - s * aqk;
          A(q, k) = s * apk + c * aqk;
        }
        for (arma::uword k = 0; k < n; ++k) {
          const double vkp = V(k, p), vkq = V(k, q);
          V(k, p) = c * vkp - s * vkq;
          V(k, q) = s * vkp + c * vkq;
        }
      }
  }
  arma::vec root(n);
  for (arma::uword k = 0; k < n; ++k) root(k) = A(k, k) > 0.0 ? std::sqrt(A(k, k)) : 0.0;
  arma::mat S(n, n);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword j = 0; j < n; ++j) {
      double acc = 0.0;
      for (arma::uword k = 0; k < n; ++k) acc += V(i, k) * root(k) * V(j, k);
      S(i, j) = acc;
    }
  return S;
}

}  // namespace mimo
