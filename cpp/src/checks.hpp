// Private to the core: argument checks shared by the kernels. Each throws InvalidArgument
// naming the argument.
#pragma once

#include <cstdint>

#include "genoff/common.hpp"

namespace genoff::detail {

// num_cell in [1, kMaxCells].
void check_num_cell(index_t num_cell);
// serving[0..num_ue) in [0, num_cell).
void check_serving(const index_t* serving, index_t num_ue, index_t num_cell);
// x[0..n) finite and >= 0.
void check_nonneg_finite(const char* name, const double* x, index_t n);
// x[0..n) finite and > 0.
void check_pos_finite(const char* name, const double* x, index_t n);
// The per-RB arrays of a channel computation: tx_power_w [num_cell, num_rb] finite >= 0,
// noise_w [num_rb] and bandwidth_hz [num_rb] (unless nullptr) finite > 0, in that order.
void check_channel_arrays(index_t num_cell, index_t num_rb, const double* tx_power_w,
                          const double* noise_w, const double* bandwidth_hz);

}  // namespace genoff::detail
