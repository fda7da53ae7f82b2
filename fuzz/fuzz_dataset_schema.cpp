// A well-formed HDF5 file whose mimo content the fuzz bytes choose, read by DatasetReader. Each attribute and data
// set of datasets/SCHEMA.md is written as the schema says, left out, or given another type, shape, layout or
// value. HDF5 writes the file itself, so every input reaches the reader's own checks (fuzz_dataset_reader's raw
// bytes mostly exercise HDF5's parser). The oracle is the schema:
//   - a file that breaks it must be refused with a DatasetError (or invalid_argument / out_of_range),
//   - a file that keeps it must be accepted and read back exactly as written,
//   - a file with a form the schema does not settle (a fixed-length string, an int64 `nt`, a big-endian float32,
//     zero samples) may go either way.
// Anything else (a crash, a sanitizer report, another exception, a wrong verdict) aborts with the reason.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "channel/modulation.hpp"
#include "datasets/reader.hpp"
#include "fuzz/scratch_file.hpp"

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_dataset_schema: %s\n", what.c_str());
  std::abort();
}

// Harness failures (an HDF5 call that should not fail) abort too: they would hide inputs otherwise.
hid_t ok(hid_t id, const char* call) {
  if (id < 0) finding(std::string("HDF5 call failed in the harness: ") + call);
  return id;
}

struct Verdict {
  enum Kind { conforms, unsettled, breaks } kind = conforms;
  std::string reason;  // the first break, for the report
  void unsettle() {
    if (kind == conforms) kind = unsettled;
  }
  void breaks_schema(const std::string& why) {
    if (kind != breaks) reason = why;
    kind = breaks;
  }
};

class Writer {
public:
  Writer(FuzzedDataProvider& fdp, Verdict& verdict, hid_t file) : fdp_(fdp), verdict_(verdict), file_(file) {}

  // Integer (int32 in the schema; uint64 for `seed`) and float64 attributes. `written` gets the value stored
  // when the form keeps the schema's type, for the read-back comparison.
  template <class T>
  void number(const char* name, T value, T* written = nullptr) {
    const bool is_int = std::is_integral_v<T>;
    const hid_t type = is_int ? (std::is_signed_v<T> ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT64) : H5T_NATIVE_DOUBLE;
    switch (fdp_.ConsumeIntegralInRange(0, 15)) {
      case 9:
        verdict_.breaks_schema(std::string("attribute '") + name + "' missing");
        return;
      case 10: {  // an array: readers that read one element into a scalar overflow it
        const hsize_t count = fdp_.ConsumeIntegralInRange<hsize_t>(2, 64);
        std::vector<T> values(count, value);
        put(name, type, type, H5Screate_simple(1, &count, nullptr), values.data());
        verdict_.breaks_schema(std::string("attribute '") + name + "' is an array");
        return;
      }
      case 11: {
        const hsize_t one = 1;
        put(name, type, type, H5Screate_simple(1, &one, nullptr), &value);
        verdict_.unsettle();
        return;
      }
      case 12:
        put(name, type, type, H5Screate(H5S_NULL), nullptr);
        verdict_.breaks_schema(std::string("attribute '") + name + "' has no value (null dataspace)");
        return;
      case 13: {  // the same class, another size (a uint64 seed only where int64 holds it)
        bool fits = true;
        if constexpr (std::is_unsigned_v<T>)
          fits = value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        if (fits) {
          put(name, is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT, type, H5Screate(H5S_SCALAR), &value);
          verdict_.unsettle();
          return;
        }
        break;
      }
      case 14: {  // another class
        const int variant = fdp_.ConsumeIntegralInRange(0, 2);
        if (variant == 0) {
          put_string(name, std::to_string(value), true);
          verdict_.breaks_schema(std::string("attribute '") + name + "' is a string");
        } else if (!is_int) {  // an integer: h5py writes `attrs["rho_tx"] = 0` so
          put(name, H5T_NATIVE_INT64, type, H5Screate(H5S_SCALAR), &value);
          verdict_.unsettle();
        } else {  // a float: MATLAB's h5writeatt writes 4.0 for 4; 4.5 must not be read as 4
          const double stored = static_cast<double>(value) + (variant == 2 ? 0.5 : 0.0);
          put(name, H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, H5Screate(H5S_SCALAR), &stored);
          if (variant == 2)
            verdict_.breaks_schema(std::string("attribute '") + name + "' holds a fraction");
          else
            verdict_.unsettle();
        }
        return;
      }
      case 15:
        value = other_value<T>();
        break;
      default:
        break;
    }
    put(name, type, type, H5Screate(H5S_SCALAR), &value);
    if (written) *written = value;
  }

  // String attributes. `accepted(text)` classifies a stored value; `written` gets it when stored as the schema
  // says (a variable-length string).
  template <class Classify>
  void string(const char* name, const std::string& value, Classify accepted, std::string* written = nullptr) {
    switch (fdp_.ConsumeIntegralInRange(0, 15)) {
      case 9:
        verdict_.breaks_schema(std::string("attribute '") + name + "' missing");
        return;
      case 10: {
        const hsize_t two = 2;
        const char* values[2] = {value.c_str(), value.c_str()};
        const hid_t t = vlen_string();
        put(name, t, t, H5Screate_simple(1, &two, nullptr), values);
        H5Tclose(t);
        verdict_.breaks_schema(std::string("attribute '") + name + "' is an array");
        return;
      }
      case 11:
        put_string(name, value, false);
        verdict_.unsettle();
        return;
      case 12: {  // a null variable-length string: legal HDF5, and a crash for readers that strlen() it
        const char* null_string = nullptr;
        const hid_t t = vlen_string();
        put(name, t, t, H5Screate(H5S_SCALAR), &null_string);
        H5Tclose(t);
        classify(name, "", accepted);
        verdict_.unsettle();  // read as "" or refused, the schema does not say
        return;
      }
      case 13: {
        const int32_t number = 4;
        put(name, H5T_NATIVE_INT32, H5T_NATIVE_INT32, H5Screate(H5S_SCALAR), &number);
        verdict_.breaks_schema(std::string("attribute '") + name + "' is not a string");
        return;
      }
      case 14:
      case 15: {
        std::string other = fdp_.ConsumeRandomLengthString(16);
        other = other.substr(0, other.find('\0'));  // a C string: the stored value ends at the first NUL
        put_string(name, other, true);
        classify(name, other, accepted);
        if (written) *written = other;
        return;
      }
      default:
        put_string(name, value, true);
        if (written) *written = value;
    }
  }

  // A data set [n, inner...] of `kind` (complex64, uint8 bits or float32). `values` are the float32 (or bit)
  // values written when the form keeps the schema's type and shape.
  enum class Kind { complex64, bits, float32 };
  // Returns whether the data set was written. Leaving out `H_est` is judged by the caller: it is required only
  // when the stored csi_error_var is > 0.
  bool data(const char* name, Kind kind, hsize_t n, std::vector<hsize_t> inner, std::vector<float>* values) {
    std::vector<hsize_t> dims{n};
    dims.insert(dims.end(), inner.begin(), inner.end());
    const int form = fdp_.ConsumeIntegralInRange(0, 15);
    if (form == 10) {
      if (std::string(name) != "H_est") verdict_.breaks_schema(std::string("data set '") + name + "' missing");
      return false;
    }
    if (form == 13) {  // another shape: one more sample, one more inner element, an extra axis or a scalar
      switch (fdp_.ConsumeIntegralInRange(0, 3)) {
        case 0: dims[0] += 1; break;
        case 1: dims.back() += 1; break;
        case 2: dims.push_back(1); break;
        default: dims.clear(); break;
      }
      verdict_.breaks_schema(std::string("data set '") + name + "' has the wrong shape");
    }
    const int variant = fdp_.ConsumeIntegralInRange(0, 2);
    Types t = types(kind, form == 11 ? variant + 1 : form == 12 ? -1 : 0);
    if (form == 11) verdict_.breaks_schema(std::string("data set '") + name + "' has the wrong element type");
    if (form == 12) verdict_.unsettle();

    hsize_t count = t.components;
    for (hsize_t d : dims) count *= d;
    std::vector<double> buffer(count);
    for (auto& v : buffer) {
      switch (kind) {
        case Kind::bits: v = fdp_.ConsumeBool() ? 1.0 : 0.0; break;
        case Kind::complex64: v = fdp_.ConsumeFloatingPointInRange<float>(-8.0f, 8.0f); break;
        case Kind::float32: v = fdp_.ConsumeFloatingPointInRange<float>(0.0f, 40.0f); break;
      }
    }
    if ((form == 14 || form == 15) && count > 0) corrupt(name, kind, buffer);
    // A noise variance of 0 is what an unwritten sample reads as: the reader refuses it (SCHEMA.md).
    if (std::string(name) == "noise_var" && std::any_of(buffer.begin(), buffer.end(), [](double v) { return v <= 0.0; }))
      verdict_.breaks_schema(std::string("data set 'noise_var' holds a noise variance that is not > 0"));
    if (values && form != 11 && form != 12 && form != 13) values->assign(buffer.begin(), buffer.end());

    // Contiguous, chunked and extensible along the sample axis like the writer's (maybe deflated), or compact.
    const int rank = static_cast<int>(dims.size());
    const hid_t dcpl = ok(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
    std::vector<hsize_t> max = dims;
    if (rank > 0) {
      switch (fdp_.ConsumeIntegralInRange(0, 2)) {
        case 1: {
          std::vector<hsize_t> chunk = dims;
          max[0] = H5S_UNLIMITED;
          chunk[0] = fdp_.ConsumeIntegralInRange<hsize_t>(1, 4);
          for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
          ok(H5Pset_chunk(dcpl, rank, chunk.data()), "H5Pset_chunk");
          if (fdp_.ConsumeBool()) ok(H5Pset_deflate(dcpl, 1), "H5Pset_deflate");
          break;
        }
        case 2: ok(H5Pset_layout(dcpl, H5D_COMPACT), "H5Pset_layout"); break;
        default: break;
      }
    }
    write(name, t, rank > 0 ? H5Screate_simple(rank, dims.data(), max.data()) : H5Screate(H5S_SCALAR), dcpl, buffer);
    H5Pclose(dcpl);
    H5Tclose(t.file);
    H5Tclose(t.memory);
    return true;
  }

private:
  struct Types {
    hid_t file, memory;
    hsize_t components;  // doubles per element in the memory buffer
  };

  // variant 0: the schema's type; 1..3: wrong types; -1: a byte order the schema does not name.
  static Types types(Kind kind, int variant) {
    auto compound = [](const char* re, const char* im, hid_t member, size_t size) {
      const hid_t t = H5Tcreate(H5T_COMPOUND, 2 * size);
      H5Tinsert(t, re, 0, member);
      H5Tinsert(t, im, size, member);
      return t;
    };
    auto memory_compound = [&](const char* re, const char* im) { return compound(re, im, H5T_NATIVE_DOUBLE, 8); };
    switch (kind) {
      case Kind::complex64:
        switch (variant) {
          case 1: return {compound("r", "i", H5T_IEEE_F64LE, 8), memory_compound("r", "i"), 2};
          case 2: return {compound("re", "im", H5T_IEEE_F32LE, 4), memory_compound("re", "im"), 2};
          case 3: return {H5Tcopy(H5T_IEEE_F32LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          case -1: return {compound("r", "i", H5T_IEEE_F32BE, 4), memory_compound("r", "i"), 2};
          default: return {compound("r", "i", H5T_IEEE_F32LE, 4), memory_compound("r", "i"), 2};
        }
      case Kind::bits:
        switch (variant) {
          case 1: return {H5Tcopy(H5T_STD_I8LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          case 2: return {H5Tcopy(H5T_STD_U16LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          case 3: return {H5Tcopy(H5T_IEEE_F32LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          default: return {H5Tcopy(H5T_STD_U8LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
        }
      case Kind::float32:
        switch (variant) {
          case 1: return {H5Tcopy(H5T_IEEE_F64LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          case 2: return {H5Tcopy(H5T_STD_I32LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          case 3: return {H5Tcopy(H5T_STD_U8LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          case -1: return {H5Tcopy(H5T_IEEE_F32BE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
          default: return {H5Tcopy(H5T_IEEE_F32LE), H5Tcopy(H5T_NATIVE_DOUBLE), 1};
        }
    }
    std::abort();
  }

  // One value the reader must refuse: non-finite data, a negative noise variance, a bit other than 0 or 1.
  void corrupt(const char* name, Kind kind, std::vector<double>& buffer) {
    double& v = buffer[fdp_.ConsumeIntegralInRange<size_t>(0, buffer.size() - 1)];
    const std::string where = std::string("data set '") + name + "' ";
    if (kind == Kind::bits) {
      v = fdp_.ConsumeIntegralInRange(2, 255);
      verdict_.breaks_schema(where + "holds a bit other than 0 or 1");
      return;
    }
    const double specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), -1.0, -0.0};
    v = fdp_.PickValueInArray(specials);
    if (std::isfinite(v) && std::string(name) != "noise_var") return;  // -1 and -0 are valid data elsewhere
    verdict_.breaks_schema(where + (std::isfinite(v) ? "holds a noise variance that is not > 0"
                                                     : "holds a non-finite value"));
  }

  void write(const char* name, const Types& t, hid_t space, hid_t dcpl, const std::vector<double>& buffer) {
    const hid_t d = ok(H5Dcreate2(file_, name, t.file, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), "H5Dcreate2");
    if (!buffer.empty()) ok(H5Dwrite(d, t.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "H5Dwrite");
    H5Dclose(d);
    H5Sclose(space);
  }

  template <class T>
  T other_value() {
    if constexpr (std::is_floating_point_v<T>) {
      const T specials[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(), -1, 1, 0.5, 0};
      return fdp_.ConsumeBool() ? fdp_.PickValueInArray(specials) : fdp_.ConsumeFloatingPoint<T>();
    } else {
      if (fdp_.ConsumeBool()) return static_cast<T>(fdp_.ConsumeIntegralInRange<int>(-2, 1100));
      return fdp_.ConsumeIntegral<T>();
    }
  }

  template <class Classify>
  void classify(const char* name, const std::string& text, Classify accepted) {
    switch (accepted(text)) {
      case Verdict::breaks: verdict_.breaks_schema(std::string("attribute '") + name + "' = '" + text + "'"); break;
      case Verdict::unsettled: verdict_.unsettle(); break;
      case Verdict::conforms: break;
    }
  }

  static hid_t vlen_string() {
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
  }

  void put_string(const char* name, const std::string& value, bool variable) {
    if (variable) {
      const hid_t t = vlen_string();
      const char* p = value.c_str();
      put(name, t, t, H5Screate(H5S_SCALAR), &p);
      H5Tclose(t);
    } else {
      const hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, std::max<size_t>(value.size(), 1));
      H5Tset_strpad(t, fdp_.ConsumeBool() ? H5T_STR_NULLPAD : H5T_STR_NULLTERM);
      std::string padded = value;
      padded.resize(std::max<size_t>(value.size(), 1), '\0');
      put(name, t, t, H5Screate(H5S_SCALAR), padded.data());
      H5Tclose(t);
    }
  }

  void put(const char* name, hid_t file_type, hid_t memory_type, hid_t space, const void* value) {
    ok(space, "H5Screate");
    const hid_t a = ok(H5Acreate2(file_, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2");
    if (value) ok(H5Awrite(a, memory_type, value), "H5Awrite");
    H5Aclose(a);
    H5Sclose(space);
  }

  FuzzedDataProvider& fdp_;
  Verdict& verdict_;
  hid_t file_;
};

// What a conforming file must read back as.
struct Expected {
  int32_t nt = 0, nr = 0;
  uint64_t seed = 0;
  double rho_tx = 0, rho_rx = 0, k_factor = 0, csi_error_var = 0;
  std::string model, modulation, unit, schedule, tool;
  uint64_t samples = 0;
  std::vector<float> H, H_est, y, x, bits, snr_db, noise_var;
};

Verdict::Kind one_of(const std::string& text, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (text == n) return Verdict::conforms;
  return Verdict::breaks;
}

template <class A, class B>
void same(const A& got, const B& want, const char* what) {
  if (!(got == want)) finding(std::string("a conforming file read back a different ") + what);
}

void compare(const std::vector<std::complex<float>>& got, const std::vector<float>& want, const char* what) {
  if (got.size() * 2 != want.size()) finding(std::string("a conforming file read back a different size of ") + what);
  for (size_t k = 0; k < got.size(); ++k)
    if (got[k].real() != want[2 * k] || got[k].imag() != want[2 * k + 1])
      finding(std::string("a conforming file read back different values in ") + what);
}

template <class T>
void compare(const std::vector<T>& got, const std::vector<float>& want, const char* what) {
  if (got.size() != want.size()) finding(std::string("a conforming file read back a different size of ") + what);
  for (size_t k = 0; k < got.size(); ++k)
    if (static_cast<float>(got[k]) != want[k])
      finding(std::string("a conforming file read back different values in ") + what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), true);
  (void)quiet;
  FuzzedDataProvider fdp(data, size);
  Verdict verdict;
  Expected e;
  const auto modulation = fdp.PickValueInArray({mimo::Modulation::bpsk, mimo::Modulation::qpsk,
                                                mimo::Modulation::qam16, mimo::Modulation::qam64,
                                                mimo::Modulation::qam256});
  const int32_t nt = fdp.ConsumeIntegralInRange(1, 3), nr = fdp.ConsumeIntegralInRange(1, 3);
  const hsize_t n = fdp.ConsumeIntegralInRange(1, 5) % 5;  // an input of zeros is a valid file; 5 is none
  if (n == 0) verdict.unsettle();
  const std::string model = fdp.PickValueInArray({"rayleigh", "kronecker", "rician"});
  const double csi = fdp.ConsumeBool() ? 0.25 : 0.0;
  const hsize_t m = static_cast<hsize_t>(mimo::Constellation(modulation).bits_per_symbol());

  const std::string& path = mimo::fuzz::scratch_file("mimo-fuzz-schema");
  const hid_t file = ok(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "H5Fcreate");
  {
    Writer w(fdp, verdict, file);
    int32_t version = mimo::kSchemaVersion, m_attr = static_cast<int32_t>(m);
    w.number("schema_version", version, &version);
    if (version != mimo::kSchemaVersion) verdict.breaks_schema("schema_version " + std::to_string(version));
    e.nt = nt;
    e.nr = nr;
    w.number("nt", nt, &e.nt);
    w.number("nr", nr, &e.nr);
    if (e.nt != nt || e.nr != nr) verdict.breaks_schema("nt or nr differs from the data sets' shapes");
    w.number("bits_per_symbol", m_attr, &m_attr);
    if (m_attr != static_cast<int32_t>(m)) verdict.breaks_schema("bits_per_symbol " + std::to_string(m_attr));
    const std::string modulation_name = mimo::to_string(modulation);
    e.modulation = modulation_name;
    w.string("modulation", modulation_name, [&](const std::string& t) {
      // Another modulation breaks the bits' shape; another name of this one ("16qam") the schema does not list.
      if (t == modulation_name) return Verdict::conforms;
      try {
        return mimo::parse_modulation(t) == modulation ? Verdict::unsettled : Verdict::breaks;
      } catch (const std::invalid_argument&) {
        return Verdict::breaks;
      }
    }, &e.modulation);
    e.model = model;
    w.string("channel_model", model, [](const std::string& t) {
      return one_of(t, {"rayleigh", "kronecker", "rician"});
    }, &e.model);
    // A model's parameters: required, in their own ranges. Another model's are not read (SCHEMA.md): whatever
    // happens to them (missing, mistyped, out of range) leaves the file readable, so it is at most unsettled.
    auto parameter = [&](const char* name, double valid, double& out, bool applies, bool unit_interval) {
      out = applies ? valid : 0.0;
      const Verdict before = verdict;
      w.number(name, out, &out);
      const bool in_range = unit_interval ? (out >= 0.0 && out < 1.0) : (out >= 0.0 && std::isfinite(out));
      if (!applies) {
        if (verdict.kind != before.kind) {
          verdict = before;
          verdict.unsettle();
        }
      } else if (!in_range) {
        verdict.breaks_schema(std::string(name) + " = " + std::to_string(out));
      }
    };
    parameter("rho_tx", 0.5, e.rho_tx, e.model == "kronecker", true);
    parameter("rho_rx", 0.3, e.rho_rx, e.model == "kronecker", true);
    parameter("k_factor", 2.0, e.k_factor, e.model == "rician", false);
    e.csi_error_var = csi;
    w.number("csi_error_var", csi, &e.csi_error_var);
    if (!(e.csi_error_var >= 0.0 && std::isfinite(e.csi_error_var)))
      verdict.breaks_schema("csi_error_var = " + std::to_string(e.csi_error_var));
    e.unit = "snr";
    w.string("snr_unit", "snr", [](const std::string& t) { return one_of(t, {"snr", "esn0", "ebn0"}); }, &e.unit);
    e.schedule = "0,5,10";
    w.string("snr_schedule", e.schedule, [](const std::string&) { return Verdict::unsettled; }, &e.schedule);
    e.seed = fdp.ConsumeIntegral<uint64_t>();
    w.number("seed", e.seed, &e.seed);
    e.tool = "fuzz";
    w.string("tool_version", e.tool, [](const std::string&) { return Verdict::conforms; }, &e.tool);

    using K = Writer::Kind;
    const hsize_t unt = static_cast<hsize_t>(nt), unr = static_cast<hsize_t>(nr);
    w.data("H", K::complex64, n, {unr, unt}, &e.H);
    w.data("y", K::complex64, n, {unr}, &e.y);
    w.data("x", K::complex64, n, {unt}, &e.x);
    w.data("bits", K::bits, n, {unt * m}, &e.bits);
    w.data("snr_db", K::float32, n, {}, &e.snr_db);
    w.data("noise_var", K::float32, n, {}, &e.noise_var);
    // H_est exactly when csi_error_var > 0; now and then the other way round.
    const bool with_h_est = (csi > 0.0) != (fdp.ConsumeIntegralInRange(0, 7) == 7);
    const bool h_est_written = with_h_est && w.data("H_est", K::complex64, n, {unr, unt}, &e.H_est);
    if (h_est_written != (e.csi_error_var > 0.0))
      verdict.breaks_schema(h_est_written ? "H_est present with csi_error_var = 0"
                                       : "H_est missing with csi_error_var > 0");
    // Last of all: the fuzzer's bytes are consumed in call order, so a field added at the end leaves the saved
    // regression inputs decoding to the same files as before.
    w.string("llr_convention", "ln P(b=0)/P(b=1)", [](const std::string&) { return Verdict::conforms; });
    e.samples = n;
  }
  ok(H5Fclose(file), "H5Fclose");

  try {
    const mimo::DatasetReader reader(path);
    mimo::SampleBatch all, part;
    reader.read(0, static_cast<size_t>(reader.size()), all);
    for (uint64_t first = 0; first < reader.size(); first += 3)
      reader.read(first, static_cast<size_t>(std::min<uint64_t>(3, reader.size() - first)), part);
    if (verdict.kind == Verdict::breaks) finding("accepted a file that breaks the schema: " + verdict.reason);
    if (verdict.kind == Verdict::conforms) {
      const auto& i = reader.info();
      same(i.channel.nt, e.nt, "nt");
      same(i.channel.nr, e.nr, "nr");
      same(i.modulation, modulation, "modulation");
      same(i.channel.model, e.model, "channel_model");
      if (e.model == "kronecker") {
        same(i.channel.real("rho_tx"), e.rho_tx, "rho_tx");
        same(i.channel.real("rho_rx"), e.rho_rx, "rho_rx");
      }
      if (e.model == "rician") same(i.channel.real("k_factor"), e.k_factor, "k_factor");
      same(i.channel.csi_error_var, e.csi_error_var, "csi_error_var");
      same(mimo::to_string(i.snr_unit), e.unit, "snr_unit");
      same(i.snr_schedule, e.schedule, "snr_schedule");
      same(i.seed, e.seed, "seed");
      same(i.tool_version, e.tool, "tool_version");
      same(reader.size(), e.samples, "sample count");
      same(reader.has_h_est(), !e.H_est.empty(), "H_est presence");
      compare(all.H, e.H, "H");
      compare(all.y, e.y, "y");
      compare(all.x, e.x, "x");
      compare(all.bits, e.bits, "bits");
      compare(all.snr_db, e.snr_db, "snr_db");
      compare(all.noise_var, e.noise_var, "noise_var");
      compare(all.H_est, e.H_est, "H_est");
    }
  } catch (const mimo::DatasetError& error) {
    if (verdict.kind == Verdict::conforms) finding(std::string("refused a conforming file: ") + error.what());
  } catch (const std::invalid_argument& error) {
    if (verdict.kind == Verdict::conforms) finding(std::string("refused a conforming file: ") + error.what());
  } catch (const std::out_of_range& error) {
    if (verdict.kind == Verdict::conforms) finding(std::string("refused a conforming file: ") + error.what());
  }
  return 0;
}
