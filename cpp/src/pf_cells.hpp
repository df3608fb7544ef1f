// Private to the core: PF steps 1-3 (pf.hpp) on plain arrays, for PFScheduler and the downlink
// runs.
#pragma once

#include <cstdint>
#include <vector>

#include "genoff/pf.hpp"

namespace genoff::detail {

// Steps 2-3 for every cell on `threads` threads: alloc [num_cell, num_rb] and, unless
// last_rate is nullptr, r_last of every user. scratch grows to threads * num_rb doubles.
void pf_cells_parallel(const double* rate, const double* avg_rate, index_t num_rb,
                       const CellUsers& cells, const std::uint8_t* eligible, index_t* alloc,
                       double* last_rate, int threads, std::vector<double>& scratch);

// Step 1 for n users: avg <- max(beta avg + (1 - beta) last, smallest normal double).
void pf_update_average(double beta, const double* last_rate, double* avg_rate, index_t n);

}  // namespace genoff::detail
