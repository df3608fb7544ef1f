// Multi-TTI downlink runs under PF scheduling, entirely in C++ (no Python per TTI).
//
// Each TTI: SINR on every RB (eq. 2; only RBs in use interfere), Shannon rate, PF steps 1-3
// (pf.hpp). Two modes:
//  - full buffer: every user always has data; returns each user's long-run PF throughput,
//    the paper's C in eq. (1);
//  - finite buffers: requests' bytes enter their user's buffer at given TTIs, each user's
//    requests drain first-in first-out, only users with data are scheduled, and a cell with
//    no such user is idle (does not interfere). Returns the TTI in which each request's last
//    byte is delivered.
// Gains are either passed in (static, or one tensor per TTI) and/or multiplied by Rayleigh
// fading powers drawn inside the run from a seed (counter-based: the same numbers for any
// thread count, and the same as rayleigh_power() of channel.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "genoff/common.hpp"
#include "genoff/defaults.hpp"

namespace genoff {

struct DownlinkConfig {
  index_t num_ue = 0;
  index_t num_cell = 0;
  index_t num_rb = 0;
  const index_t* serving = nullptr;       // [num_ue]
  const double* tx_power_w = nullptr;     // [num_cell, num_rb]
  const double* noise_w = nullptr;        // [num_rb]
  const double* bandwidth_hz = nullptr;   // [num_rb]
  // RBs kept busy by traffic the run does not model (e.g. fully loaded neighbour cells that
  // always interfere): [num_cell, num_rb], or nullptr for none.
  const std::uint8_t* background = nullptr;
  double beta = defaults::kPfBeta;
  double tti_s = defaults::kTtiS;
};

template <class G>
struct GainInput {
  const G* data = nullptr;  // [num_ue, num_cell, gain_rb] or [num_tti, num_ue, num_cell, gain_rb]
  index_t num_tti = 0;      // 0: one static tensor; else the number of per-TTI tensors
  bool per_rb = true;       // gain_rb == num_rb (else 1: flat over RBs)
  bool rayleigh = false;    // multiply by Exp(1) fading powers drawn from `seed`
  std::uint64_t seed = 0;
};

struct FullBufferResult {
  std::vector<double> throughput_bps;  // [num_ue] mean served rate over the run
  std::vector<double> avg_rate_bps;    // [num_ue] PF average T after the last TTI
  std::vector<double> rb_share;        // [num_ue] fraction of its cell's RB-TTIs the user got
};

template <class G>
FullBufferResult run_full_buffer(const DownlinkConfig& cfg, const GainInput<G>& gain,
                                 index_t num_tti, int n_threads = 0);

struct Requests {
  index_t num_req = 0;
  const index_t* ue = nullptr;           // [num_req] user of each request
  const index_t* arrival_tti = nullptr;  // [num_req] TTI its bytes enter the buffer, >= 0
  const double* bytes = nullptr;         // [num_req] content size, finite > 0
};

struct FiniteBufferResult {
  std::vector<index_t> completion_tti;  // [num_req] TTI that delivered the last byte, -1 if none
  std::vector<double> throughput_bps;   // [num_ue] delivered bits / (num_tti * tti_s)
  std::vector<double> avg_rate_bps;     // [num_ue] PF average T at the end
  index_t num_tti_run = 0;              // TTIs simulated (stops early once all are delivered)
};

template <class G>
FiniteBufferResult run_finite_buffer(const DownlinkConfig& cfg, const GainInput<G>& gain,
                                     const Requests& requests, index_t num_tti,
                                     int n_threads = 0);

}  // namespace genoff
