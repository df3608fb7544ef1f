// Private to the core: the per-user channel rows (SINR or Shannon rate of one user on every RB)
// that sinr(), PFScheduler::step_channel and the downlink runs are built from, and the one
// place that sets up their context.
#pragma once

#include <cstdint>
#include <vector>

#include "genoff/common.hpp"

namespace genoff::detail {

// What one user's SINR row needs besides its own gains.
struct RowContext {
  index_t num_cell = 0;
  index_t num_rb = 0;
  bool gain_per_rb = true;
  const double* tx_power_w = nullptr;  // [num_cell, num_rb]
  const double* weight = nullptr;      // [num_cell, num_rb]: tx power where active, else 0
  const std::uint8_t* cell_on = nullptr;  // [num_cell]: any RB of the cell active
  const double* noise_w = nullptr;     // [num_rb]
  const double* bandwidth_hz = nullptr;  // [num_rb], for rate rows
  bool fading = false;                 // multiply gains by Exp(1) draws
  std::uint64_t key = 0;               // rng::key(seed)
};

// A RowContext together with the buffers it points into (the active-RB weights and the cells'
// on flags): the context of every kernel that computes channel rows. Not copyable (a copy
// would point into the original's buffers).
class OwnedRowContext {
 public:
  // Arrays as in RowContext (checked by the caller, see check_channel_arrays); active:
  // [num_cell, num_rb] RBs in use, nullptr = all; bandwidth_hz may be nullptr for SINR rows;
  // with fading, gains are multiplied by the Exp(1) draws of `seed`.
  OwnedRowContext(index_t num_cell, index_t num_rb, bool gain_per_rb, const double* tx_power_w,
                  const std::uint8_t* active, const double* noise_w,
                  const double* bandwidth_hz = nullptr, bool fading = false,
                  std::uint64_t seed = 0);
  OwnedRowContext(const OwnedRowContext&) = delete;
  OwnedRowContext& operator=(const OwnedRowContext&) = delete;

  // Marks the RBs in use from now on ([num_cell, num_rb], nullptr = all): only they interfere.
  void set_active(const std::uint8_t* active);
  const RowContext& get() const noexcept { return ctx_; }

 private:
  std::vector<double> weight_;
  std::vector<std::uint8_t> cell_on_;
  RowContext ctx_;
};

// The rows (SINR, or Shannon rate when with_rate) of every user k with eligible[k] (all when
// eligible is nullptr) into out[k, :], on `threads` threads. gain holds [num_ue, num_cell,
// gain_rb] for this TTI; the fading draw of (user k, cell j, RB q) is number counter_base +
// (k * num_cell + j) * num_rb + q. scratch grows to threads * num_rb doubles; bad[k] is set
// nonzero for a user whose gains were negative or not finite (or whose rate overflowed), 0
// otherwise (see throw_if_bad_gain).
template <class G>
void channel_rows_parallel(const G* gain, index_t num_ue, const RowContext& ctx,
                           const index_t* serving, std::uint64_t counter_base,
                           const std::uint8_t* eligible, bool with_rate, double* out,
                           int threads, std::vector<double>& scratch, int* bad);

// Throws InvalidArgument("gain", or "bandwidth_hz" for an overflowed rate) if any of
// bad[0..n) is set.
void throw_if_bad_gain(const int* bad, index_t n);

}  // namespace genoff::detail
