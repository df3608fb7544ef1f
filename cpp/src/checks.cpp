#include "checks.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "simd.hpp"

namespace genoff::detail {
namespace {

constexpr double kMax = std::numeric_limits<double>::max();

// Whether any x[i] is NaN, infinite, negative (or zero, when positive): a vectorized screen
// before the scalar search for the offending index.
GENOFF_CLONES int any_outside(const double* x, index_t n, bool positive) {
  int bad = 0;
  if (positive) {
    for (index_t i = 0; i < n; ++i) bad |= int(!(x[i] > 0.0)) | int(!(x[i] <= kMax));
  } else {
    for (index_t i = 0; i < n; ++i) bad |= int(!(x[i] >= 0.0)) | int(!(x[i] <= kMax));
  }
  return bad;
}

}  // namespace

void check_num_cell(index_t num_cell) {
  if (num_cell < 1 || num_cell > kMaxCells) {
    throw InvalidArgument("num_cell", "must lie in [1, " + std::to_string(kMaxCells) + "], got " +
                                          std::to_string(num_cell));
  }
}

void check_serving(const index_t* serving, index_t num_ue, index_t num_cell) {
  for (index_t k = 0; k < num_ue; ++k) {
    if (serving[k] < 0 || serving[k] >= num_cell) {
      throw InvalidArgument("serving", "must hold cell indices in [0, " + std::to_string(num_cell) +
                                           "), got " + std::to_string(serving[k]) + " for user " +
                                           std::to_string(k));
    }
  }
}

void check_nonneg_finite(const char* name, const double* x, index_t n) {
  if (!any_outside(x, n, false)) return;
  for (index_t i = 0; i < n; ++i) {
    if (!(x[i] >= 0.0 && std::isfinite(x[i]))) {
      throw InvalidArgument(name, "must be finite and >= 0, got " + std::to_string(x[i]) +
                                      " at flat index " + std::to_string(i));
    }
  }
}

void check_pos_finite(const char* name, const double* x, index_t n) {
  if (!any_outside(x, n, true)) return;
  for (index_t i = 0; i < n; ++i) {
    if (!(x[i] > 0.0 && std::isfinite(x[i]))) {
      throw InvalidArgument(name, "must be finite and > 0, got " + std::to_string(x[i]) +
                                      " at flat index " + std::to_string(i));
    }
  }
}

void check_channel_arrays(index_t num_cell, index_t num_rb, const double* tx_power_w,
                          const double* noise_w, const double* bandwidth_hz) {
  check_nonneg_finite("tx_power_w", tx_power_w, num_cell * num_rb);
  check_pos_finite("noise_w", noise_w, num_rb);
  if (bandwidth_hz != nullptr) check_pos_finite("bandwidth_hz", bandwidth_hz, num_rb);
}

}  // namespace genoff::detail
