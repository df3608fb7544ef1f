// SINR (paper eq. 2), Shannon rate and Rayleigh fast fading.
//
// Layouts are C order. gain: [num_ue, num_cell, gain_rb] linear power gain cell -> user,
// with gain_rb = num_rb (per-RB gain) or 1 (the same gain on every RB).
#pragma once

#include <cstdint>
#include <vector>

#include "genoff/common.hpp"

namespace genoff {

// sinr[k,q] = p[s,q] g[k,s,q] / (sum_{j != s, active[j,q]} p[j,q] g[k,j,q] + noise[q]),
// s = serving[k]. out: [num_ue, num_rb].
// Throws InvalidArgument for a serving cell out of range, negative or non-finite power,
// non-positive or non-finite noise, negative or non-finite gain.
template <class G>
void sinr(const G* gain, index_t num_ue, index_t num_cell, index_t num_rb, bool gain_per_rb,
          const double* tx_power_w, const std::uint8_t* active, const double* noise_w,
          const index_t* serving, double* out, int n_threads = 0);

// rate[k,q] = bandwidth[q] * log2(1 + sinr[k,q]) in bit/s (computed with log1p, accurate for
// small SINR). sinr: [num_ue, num_rb]; bandwidth_hz: [num_rb]; out: [num_ue, num_rb].
void shannon_rate(const double* sinr, index_t num_ue, index_t num_rb, const double* bandwidth_hz,
                  double* out, int n_threads = 0);

// The Exp(1) fading powers |h|^2 that runs with Rayleigh fading draw, for TTIs
// [first_tti, first_tti + num_tti). Element (t, k, j, q) is draw number
// ((t * num_ue + k) * num_cell + j) * num_rb + q of the stream of `seed` (see rng.hpp).
// out: [num_tti, num_ue, num_cell, num_rb].
void rayleigh_power(std::uint64_t seed, index_t first_tti, index_t num_tti, index_t num_ue,
                    index_t num_cell, index_t num_rb, double* out, int n_threads = 0);

namespace detail {

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

// One user's SINR on every RB into out[num_rb] (its Shannon rate instead, when with_rate);
// scratch[num_rb] is clobbered. counter0 is the fading draw number of (this TTI, this user,
// cell 0, RB 0). Returns nonzero when a gain was negative or not finite (out is then
// meaningless).
int channel_row(const double* gain_k, const RowContext& ctx, index_t serving,
                std::uint64_t counter0, bool with_rate, double* scratch, double* out);
int channel_row(const float* gain_k, const RowContext& ctx, index_t serving,
                std::uint64_t counter0, bool with_rate, double* scratch, double* out);

// Fills weights ([num_cell, num_rb]: tx power where active, else 0) and cell_on
// ([num_cell]: any RB active). active == nullptr means every RB is active.
void active_weights(const double* tx_power_w, const std::uint8_t* active, index_t num_cell,
                    index_t num_rb, double* weight, std::uint8_t* cell_on);

// channel_row for users k in [k0, k1) with eligible[k] (all when eligible is nullptr) into
// out[k, :]. gain holds [num_ue, num_cell, gain_rb] for this TTI; the fading draw of (user k,
// cell j, RB q) is number counter_base + (k * num_cell + j) * num_rb + q. scratch: num_rb
// doubles of the calling thread; bad[k] is set nonzero for a user whose gains were negative or
// not finite (or whose rate overflowed).
template <class G>
void channel_rows_range(const G* gain, index_t k0, index_t k1, const RowContext& ctx,
                        const index_t* serving, std::uint64_t counter_base,
                        const std::uint8_t* eligible, bool with_rate, double* out,
                        double* scratch, int* bad);

// Threads worth using for the rows of num_ue users (the work-size model of common.hpp).
int channel_threads(int max_threads, index_t num_ue, const RowContext& ctx);

// channel_rows_range over all users on `threads` threads; scratch grows to threads * num_rb.
template <class G>
void channel_rows_parallel(const G* gain, index_t num_ue, const RowContext& ctx,
                           const index_t* serving, std::uint64_t counter_base,
                           const std::uint8_t* eligible, bool with_rate, double* out,
                           int threads, std::vector<double>& scratch, int* bad);

// channel_rows_parallel with its own buffers; throws InvalidArgument on bad gains.
template <class G>
void channel_rows(const G* gain, index_t num_ue, const RowContext& ctx, const index_t* serving,
                  std::uint64_t counter_base, const std::uint8_t* eligible, bool with_rate,
                  double* out, int threads);

// Throws InvalidArgument("gain") if any of bad[0..n) is set.
void throw_if_bad_gain(const int* bad, index_t n);

// Argument checks shared by the kernels (throw InvalidArgument naming the argument).
void check_serving(const index_t* serving, index_t num_ue, index_t num_cell);
void check_nonneg_finite(const char* name, const double* x, index_t n);
void check_pos_finite(const char* name, const double* x, index_t n);

}  // namespace detail
}  // namespace genoff
