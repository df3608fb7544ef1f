// Delay and reward of offloading decisions (paper eq. 1, 3, 4, 4e, 10), vectorized.
#pragma once

#include <cstdint>

#include "genoff/common.hpp"

namespace genoff {

// A read-only length-n view of a per-request input: either an array (stride 1) or one value
// broadcast to every request (stride 0).
struct BroadcastView {
  const double* data = nullptr;
  index_t stride = 0;
  double operator[](index_t i) const noexcept { return data[i * stride]; }
};
using Bcast [[deprecated("renamed BroadcastView")]] = BroadcastView;

// Per-request inputs; each is an array (stride 1) or one value for all (stride 0).
struct EvalInputs {
  index_t num_req = 0;
  BroadcastView n_tokens;        // output tokens
  const std::uint8_t* offload = nullptr;  // [num_req] alpha: 1 = cloud, 0 = edge
  index_t offload_stride = 1;
  // Radio part of eq. (1), exactly one of the two:
  BroadcastView capacity_bps;    // analytic: n_tokens * bytes_per_token * 8 / C
  BroadcastView radio_delay_s;   // tti: measured delivery time
  bool use_capacity = true;
  BroadcastView bytes_per_token;
  BroadcastView t_back_s;        // backhaul delay, paid when offloaded
  BroadcastView ttft_edge_s, tpot_edge_s, ttft_cloud_s, tpot_cloud_s;  // eq. (4c), (4d)
  BroadcastView quality_req, quality_edge, quality_cloud;              // eq. (4e)
  BroadcastView target_s, penalty;                                     // eq. (10)
};

struct EvalOutputs {
  double* t_tran_s = nullptr;       // eq. (1)
  double* t_gen_s = nullptr;        // eq. (3) of the chosen model
  double* t_total_s = nullptr;      // eq. (4) summand
  std::uint8_t* violated = nullptr; // eq. (4e) broken
  double* reward = nullptr;         // eq. (10)
};

// Throws InvalidArgument for negative or non-finite token counts, times, bytes per token or
// penalty, non-positive capacity, non-finite quality or target.
void evaluate(const EvalInputs& in, const EvalOutputs& out, int n_threads = 0);

}  // namespace genoff
