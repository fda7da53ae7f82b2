#pragma once
// A minimal JSON object writer for the configuration files mimo writes beside its results.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace mimo::cli {

class JsonObject {
public:
  JsonObject& add(const std::string& key, const std::string& value) { return raw(key, quote(value)); }
  JsonObject& add(const std::string& key, const char* value) { return raw(key, quote(value)); }
  JsonObject& add(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
  JsonObject& add(const std::string& key, double value) {
    if (!std::isfinite(value)) return raw(key, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    return raw(key, buf);
  }
  JsonObject& add(const std::string& key, int value) { return raw(key, std::to_string(value)); }
  JsonObject& add(const std::string& key, unsigned long long value) { return raw(key, std::to_string(value)); }
  JsonObject& add(const std::string& key, const std::vector<std::string>& values) {
    std::string s = "[";
    for (size_t k = 0; k < values.size(); ++k) s += (k ? ", " : "") + quote(values[k]);
    return raw(key, s + "]");
  }
  JsonObject& add(const std::string& key, const std::vector<double>& values) {
    std::string s = "[";
    char buf[64];
    for (size_t k = 0; k < values.size(); ++k) {
      std::snprintf(buf, sizeof buf, "%.17g", values[k]);
      s += (k ? ", " : "") + std::string(buf);
    }
    return raw(key, s + "]");
  }
  JsonObject& add(const std::string& key, const JsonObject& nested) { return raw(key, nested.str(indent_ + 2)); }

  std::string str(int indent = 0) const {
    const std::string pad(indent + 2, ' ');
    std::string s = "{\n";
    for (size_t k = 0; k < fields_.size(); ++k)
      s += pad + fields_[k] + (k + 1 < fields_.size() ? ",\n" : "\n");
    return s + std::string(indent, ' ') + "}";
  }

  static std::string quote(const std::string& v) {
    std::string s = "\"";
    for (char c : v) {
      switch (c) {
        case '"': s += "\\\""; break;
        case '\\': s += "\\\\"; break;
        case '\n': s += "\\n"; break;
        case '\t': s += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            s += buf;
          } else {
            s += c;
          }
      }
    }
    return s + "\"";
  }

private:
  JsonObject& raw(const std::string& key, const std::string& value) {
    fields_.push_back(quote(key) + ": " + value);
    return *this;
  }
  std::vector<std::string> fields_;
  int indent_ = 0;
};

}  // namespace mimo::cli
