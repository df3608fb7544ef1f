// SINR (paper eq. 2), Shannon rate and Rayleigh fast fading.
//
// Layouts are C order. gain: [num_ue, num_cell, gain_rb] linear power gain cell -> user,
// with gain_rb = num_rb (per-RB gain) or 1 (the same gain on every RB).
#pragma once

#include <cstdint>

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
// ((t * num_ue + k) * num_cell + j) * num_rb + q of a counter-based stream of `seed`
// (SplitMix64 words turned into -log(u) in float32; the generator is described in
// genoff.core's documentation and reproduced bit for bit by genoff._reference).
// out: [num_tti, num_ue, num_cell, num_rb].
void rayleigh_power(std::uint64_t seed, index_t first_tti, index_t num_tti, index_t num_ue,
                    index_t num_cell, index_t num_rb, double* out, int n_threads = 0);

}  // namespace genoff
