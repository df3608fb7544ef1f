#include "genoff/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "parallel.hpp"

namespace genoff {
namespace {

// x finite and > 0 (positive), >= 0, or of any sign (allow_negative), else InvalidArgument(name).
void check_values(const char* name, const BroadcastView& x, index_t n, bool positive,
                  bool allow_negative = false) {
  const index_t distinct = x.stride == 0 ? (n > 0 ? 1 : 0) : n;
  for (index_t i = 0; i < distinct; ++i) {
    const double v = x[i];
    const bool ok = std::isfinite(v) && (allow_negative || (positive ? v > 0.0 : v >= 0.0));
    if (!ok) {
      const char* rule = allow_negative ? "finite" : positive ? "finite and > 0" : "finite and >= 0";
      throw InvalidArgument(name, std::string("must be ") + rule + ", got " + std::to_string(v) +
                                      " at index " + std::to_string(i));
    }
  }
}

}  // namespace

void evaluate(const EvalInputs& in, const EvalOutputs& out, int n_threads) {
  const int threads = resolve_threads(n_threads);
  const index_t n = in.num_req;
  check_values("n_tokens", in.n_tokens, n, false);
  if (in.use_capacity) {
    check_values("capacity_bps", in.capacity_bps, n, true);
  } else {
    check_values("radio_delay_s", in.radio_delay_s, n, false);
  }
  check_values("bytes_per_token", in.bytes_per_token, n, false);
  check_values("t_back_s", in.t_back_s, n, false);
  check_values("ttft_edge_s", in.ttft_edge_s, n, false);
  check_values("tpot_edge_s", in.tpot_edge_s, n, false);
  check_values("ttft_cloud_s", in.ttft_cloud_s, n, false);
  check_values("tpot_cloud_s", in.tpot_cloud_s, n, false);
  check_values("quality_req", in.quality_req, n, false, true);
  check_values("quality_edge", in.quality_edge, n, false, true);
  check_values("quality_cloud", in.quality_cloud, n, false, true);
  check_values("target_s", in.target_s, n, false, true);
  check_values("penalty", in.penalty, n, false);
  const index_t block = 4096;
  const int block_threads = threads_for(threads, double(n) * kNsPerRequest);
  parallel_chunks((n + block - 1) / block, 1, block_threads, [&](index_t first, index_t last, int) {
    for (index_t b = first; b < last; ++b) {
      const index_t end = std::min(n, (b + 1) * block);
      for (index_t i = b * block; i < end; ++i) {
        const bool cloud = in.offload[i * in.offload_stride] != 0;
        const double tokens = in.n_tokens[i];
        // eq. (1): radio delivery of the generated content, plus backhaul when offloaded
        const double radio = in.use_capacity
                                 ? tokens * in.bytes_per_token[i] * 8.0 / in.capacity_bps[i]
                                 : in.radio_delay_s[i];
        const double t_tran = radio + (cloud ? in.t_back_s[i] : 0.0);
        // eq. (3), (4c), (4d): generation on the chosen model
        const double t_gen = cloud ? in.ttft_cloud_s[i] + tokens * in.tpot_cloud_s[i]
                                   : in.ttft_edge_s[i] + tokens * in.tpot_edge_s[i];
        // eq. (4): the delays add (Sec. III's minus signs are a typo)
        const double t_total = t_tran + t_gen;
        // eq. (4e): the serving model's quality must reach the requirement
        const bool violated = in.quality_req[i] > (cloud ? in.quality_cloud[i] : in.quality_edge[i]);
        out.t_tran_s[i] = t_tran;
        out.t_gen_s[i] = t_gen;
        out.t_total_s[i] = t_total;
        out.violated[i] = std::uint8_t(violated);
        // eq. (10)
        out.reward[i] = in.target_s[i] - t_total - (violated ? in.penalty[i] : 0.0);
      }
    }
  });
  // Finite inputs can still overflow (e.g. 1e300 tokens): refuse rather than return inf.
  for (index_t i = 0; i < n; ++i) {
    if (!std::isfinite(out.t_total_s[i]) || !std::isfinite(out.reward[i])) {
      throw InvalidArgument("n_tokens", "and the other inputs make a delay or reward overflow to inf "
                                        "(request " + std::to_string(i) + ")");
    }
  }
}

}  // namespace genoff
