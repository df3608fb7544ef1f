// The one project header that includes pybind11: argument conversion and checks for the
// bindings. Every failure names the argument (TypeError for a wrong kind of object,
// ValueError for a wrong shape or value).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "genoff/common.hpp"

namespace py = pybind11;

namespace genoff::bind {

constexpr int kFlags = py::array::c_style | py::array::forcecast;
using ArrF64 = py::array_t<double, kFlags>;
using ArrF32 = py::array_t<float, kFlags>;
using ArrI64 = py::array_t<std::int64_t, kFlags>;
using ArrBool = py::array_t<bool, kFlags>;

void bind_channel(py::module_& m);
void bind_pf(py::module_& m);
void bind_downlink(py::module_& m);
void bind_evaluate(py::module_& m);

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    s += std::to_string(a.shape(i));
    if (a.ndim() == 1 || i + 1 < a.ndim()) s += a.ndim() == 1 ? "," : ", ";
  }
  return s + ")";
}

// np.asarray(obj) with a TypeError naming `name` for objects that are not numeric arrays.
inline py::array as_numeric(py::handle obj, const char* name, const char* kinds) {
  if (obj.is_none()) throw py::type_error(std::string(name) + " must be an array of numbers, got None");
  py::array arr;
  if (py::isinstance<py::array>(obj)) {
    arr = py::reinterpret_borrow<py::array>(obj);
  } else {
    try {
      arr = py::module_::import("numpy").attr("asarray")(obj);
    } catch (py::error_already_set&) {
      throw py::type_error(std::string(name) + " must be an array of numbers");
    }
  }
  const char kind = arr.dtype().kind();
  // An empty list becomes an empty float64 array: fine for any numeric argument.
  const bool empty_numeric = arr.size() == 0 && std::string("biuf").find(kind) != std::string::npos;
  if (!empty_numeric && std::string(kinds).find(kind) == std::string::npos) {
    const std::string what = std::string(kinds) == "iu"    ? "integers"
                             : std::string(kinds) == "biu" ? "booleans (or 0/1 integers)"
                                                           : "real numbers";
    throw py::type_error(std::string(name) + " must be an array of " + what + ", got dtype " +
                         std::string(py::str(arr.dtype())));
  }
  return arr;
}

inline ArrF64 as_f64(py::handle obj, const char* name) {
  return ArrF64::ensure(as_numeric(obj, name, "biuf"));
}

inline ArrI64 as_i64(py::handle obj, const char* name) {
  return ArrI64::ensure(as_numeric(obj, name, "iu"));
}

// A boolean mask: bool dtype, or integers that are all 0 or 1.
inline ArrBool as_mask(py::handle obj, const char* name) {
  py::array arr = as_numeric(obj, name, "biu");
  if (arr.dtype().kind() != 'b' && arr.size() > 0) {
    const bool ok = py::module_::import("numpy")
                        .attr("isin")(arr, py::make_tuple(0, 1))
                        .attr("all")()
                        .cast<bool>();
    if (!ok) throw py::value_error(std::string(name) + " must be boolean (or 0/1)");
  }
  return ArrBool::ensure(arr);
}

inline const std::uint8_t* mask_ptr(const ArrBool& a) {
  static_assert(sizeof(bool) == 1, "bool must be one byte");
  return reinterpret_cast<const std::uint8_t*>(a.data());
}

inline void require_ndim(const py::array& a, const char* name, py::ssize_t ndim, const char* dims) {
  if (a.ndim() != ndim) {
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D " + dims +
                          ", got shape " + shape_str(a));
  }
}

inline void require_dim(const py::array& a, const char* name, py::ssize_t axis, py::ssize_t size,
                        const char* dims) {
  if (a.shape(axis) != size) {
    throw py::value_error(std::string(name) + " must have shape " + dims + " with axis " +
                          std::to_string(axis) + " of length " + std::to_string(size) +
                          ", got shape " + shape_str(a));
  }
}

// A 1-D array of `length` entries: `dims` names the axis for a wrong ndim ("[num_ue]"),
// `shape` the expected shape for a wrong length ("(num_ue,)").
inline void require_vector(const py::array& a, const char* name, py::ssize_t length,
                           const char* dims, const char* shape) {
  require_ndim(a, name, 1, dims);
  require_dim(a, name, 0, length, shape);
}

// A per-RB quantity given as a scalar or a [num_rb] vector, as a [num_rb] vector.
inline std::vector<double> per_rb(py::handle obj, const char* name, py::ssize_t num_rb) {
  ArrF64 a = as_f64(obj, name);
  if (a.ndim() == 0 || (a.ndim() == 1 && a.shape(0) == 1)) return std::vector<double>(std::size_t(num_rb), a.data()[0]);
  if (a.ndim() == 1 && a.shape(0) == num_rb) return std::vector<double>(a.data(), a.data() + num_rb);
  throw py::value_error(std::string(name) + " must be a scalar or have shape (num_rb,) = (" +
                        std::to_string(num_rb) + ",), got shape " + shape_str(a));
}

// A count or index from any Python integer: a ValueError naming it outside [0, 2**63).
inline index_t as_count(py::handle obj, const char* name) {
  PyObject* idx = PyNumber_Index(obj.ptr());
  if (idx == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + " must be an integer");
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(idx, &overflow);
  Py_DECREF(idx);
  if (overflow != 0 || v < 0) {
    PyErr_Clear();
    throw py::value_error(std::string(name) + " must be an integer in [0, 2**63)");
  }
  return index_t(v);
}

// A real number from any Python number: a ValueError naming it when it does not fit a double.
inline double as_real(py::handle obj, const char* name) {
  if (PyBool_Check(obj.ptr()) || !(PyFloat_Check(obj.ptr()) || PyIndex_Check(obj.ptr()) ||
                                   PyNumber_Check(obj.ptr()))) {
    throw py::type_error(std::string(name) + " must be a real number");
  }
  const double v = PyFloat_AsDouble(obj.ptr());
  if (v == -1.0 && PyErr_Occurred()) {
    const bool overflow = PyErr_ExceptionMatches(PyExc_OverflowError);
    PyErr_Clear();
    if (overflow) throw py::value_error(std::string(name) + " is too large for a float");
    throw py::type_error(std::string(name) + " must be a real number");
  }
  return v;
}

// n_threads from any Python integer: a ValueError naming it outside [0, 2**31).
inline int as_threads(py::handle obj) {
  PyObject* idx = PyNumber_Index(obj.ptr());
  if (idx == nullptr) {
    PyErr_Clear();
    throw py::type_error("n_threads must be an integer");
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(idx, &overflow);
  Py_DECREF(idx);
  if (overflow != 0 || v < 0 || v > 0x7fffffffLL) {
    PyErr_Clear();
    throw py::value_error("n_threads must be an integer in [0, 2**31) (0 = all)");
  }
  return int(v);
}

inline std::uint64_t as_seed(py::handle obj, const char* name) {
  PyObject* idx = PyNumber_Index(obj.ptr());
  if (idx == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + " must be an integer");
  }
  const unsigned long long v = PyLong_AsUnsignedLongLong(idx);
  Py_DECREF(idx);
  if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    throw py::value_error(std::string(name) + " must be an integer in [0, 2**64)");
  }
  return static_cast<std::uint64_t>(v);
}

// Gain tensor checks: [num_ue, num_cell, num_rb or 1] (ndim 3) or with a leading TTI axis
// (ndim 4, when allow_tti). Returns whether the last axis is per RB.
inline bool check_gain(const py::array& g, py::ssize_t num_ue, py::ssize_t num_cell,
                       py::ssize_t num_rb, bool allow_tti) {
  const char* dims = allow_tti ? "[num_ue, num_cell, num_rb or 1] or [num_tti, num_ue, num_cell, num_rb or 1]"
                               : "[num_ue, num_cell, num_rb or 1]";
  if (!(g.ndim() == 3 || (allow_tti && g.ndim() == 4))) {
    throw py::value_error(std::string("gain must be ") + (allow_tti ? "3-D or 4-D " : "3-D ") + dims +
                          ", got shape " + shape_str(g));
  }
  const py::ssize_t o = g.ndim() - 3;
  if (g.shape(o) != num_ue || g.shape(o + 1) != num_cell || (g.shape(o + 2) != num_rb && g.shape(o + 2) != 1)) {
    throw py::value_error("gain must have shape " + std::string(dims) + " = (" + std::to_string(num_ue) +
                          ", " + std::to_string(num_cell) + ", " + std::to_string(num_rb) +
                          " or 1) (num_ue from serving, num_cell and num_rb from tx_power_w), got shape " +
                          shape_str(g));
  }
  return g.shape(o + 2) == num_rb;
}

// tx_power_w as [num_cell, num_rb] with num_cell, num_rb >= 1.
inline ArrF64 as_tx_power(py::handle obj) {
  ArrF64 tx = as_f64(obj, "tx_power_w");
  require_ndim(tx, "tx_power_w", 2, "[num_cell, num_rb]");
  if (tx.shape(0) < 1 || tx.shape(1) < 1) {
    throw py::value_error("tx_power_w must have at least one cell and one RB, got shape " + shape_str(tx));
  }
  return tx;
}

inline ArrI64 as_serving(py::handle obj) {
  ArrI64 s = as_i64(obj, "serving");
  require_ndim(s, "serving", 1, "[num_ue]");
  return s;
}

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> out(py::ssize_t(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// True when obj is a float32 NumPy array (kept as float32; everything else becomes float64).
inline bool is_float32(py::handle obj) {
  return py::isinstance<py::array>(obj) &&
         py::reinterpret_borrow<py::array>(obj).dtype().is(py::dtype::of<float>());
}

// kernel(gain_array, gain_per_rb) with gain as a checked 3-D [num_ue, num_cell, num_rb or 1]
// array: an ArrF32 for a float32 array (kept), else an ArrF64.
template <class Kernel>
auto with_gain(py::handle gain, py::ssize_t num_ue, py::ssize_t num_cell, py::ssize_t num_rb,
               Kernel&& kernel) {
  if (is_float32(gain)) {
    const ArrF32 g32 = ArrF32::ensure(gain);
    return kernel(g32, check_gain(g32, num_ue, num_cell, num_rb, false));
  }
  const ArrF64 g64 = as_f64(gain, "gain");
  return kernel(g64, check_gain(g64, num_ue, num_cell, num_rb, false));
}

}  // namespace genoff::bind
