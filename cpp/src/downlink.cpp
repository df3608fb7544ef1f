#include "genoff/downlink.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "checks.hpp"
#include "parallel.hpp"
#include "pf_cells.hpp"
#include "row_context.hpp"

namespace genoff {
namespace {

// Checks the arguments of a run (n_threads first) and returns the most threads it may use.
template <class G>
int check_run(const DownlinkConfig& cfg, const GainInput<G>& gain, index_t num_tti,
              int n_threads) {
  const int max_threads = resolve_threads(n_threads);
  if (cfg.num_cell < 1) throw InvalidArgument("num_cell", "must be >= 1");
  if (cfg.num_rb < 1) throw InvalidArgument("num_rb", "must be >= 1");
  if (num_tti < 0) throw InvalidArgument("num_tti", "must be >= 0");
  if (gain.num_tti > 0 && num_tti > gain.num_tti) {
    throw InvalidArgument("num_tti", "is " + std::to_string(num_tti) + " but gain holds only " +
                                         std::to_string(gain.num_tti) + " TTIs");
  }
  if (gain.rayleigh) {
    // The fading draw index of the last TTI must fit in 64 bits (rng.hpp's counter).
    index_t per_tti = 0, total = 0;
    if (__builtin_mul_overflow(cfg.num_ue * cfg.num_cell, cfg.num_rb, &per_tti) ||
        __builtin_mul_overflow(per_tti, num_tti, &total)) {
      throw InvalidArgument("num_tti", "is so large that the fading draw index overflows 64 bits");
    }
  }
  if (gain.data == nullptr && cfg.num_ue > 0) throw InvalidArgument("gain", "is missing");
  if (!(cfg.beta > 0.0 && cfg.beta < 1.0)) {
    throw InvalidArgument("beta", "must lie in (0, 1), got " + std::to_string(cfg.beta));
  }
  if (!(cfg.tti_s > 0.0 && std::isfinite(cfg.tti_s))) {
    throw InvalidArgument("tti_s", "must be finite and > 0");
  }
  detail::check_serving(cfg.serving, cfg.num_ue, cfg.num_cell);
  detail::check_channel_arrays(cfg.num_cell, cfg.num_rb, cfg.tx_power_w, cfg.noise_w,
                               cfg.bandwidth_hz);
  return max_threads;
}

// State shared by both run modes: the channel rows' context, PF state and per-TTI buffers.
template <class G>
class DownlinkRun {
 public:
  // Arguments checked by check_run, which gave max_threads.
  DownlinkRun(const DownlinkConfig& cfg, const GainInput<G>& gain, int max_threads)
      : cfg_(cfg),
        gain_(gain),
        max_threads_(max_threads),
        // Threads from the work of one TTI: every TTI hands work out and collects it again.
        threads_(tti_threads(cfg.num_ue)),
        cells_(cfg.serving, cfg.num_ue, cfg.num_cell),
        channel_(cfg.num_cell, cfg.num_rb, gain.per_rb, cfg.tx_power_w, nullptr, cfg.noise_w,
                 cfg.bandwidth_hz, gain.rayleigh, gain.seed) {
    const index_t nc = cfg.num_cell, nrb = cfg.num_rb;
    active_.resize(std::size_t(nc * nrb));
    rate_.assign(std::size_t(cfg.num_ue * nrb), 0.0);
    alloc_.resize(std::size_t(nc * nrb));
    avg_rate_.assign(std::size_t(cfg.num_ue), 1.0);
    last_rate_.assign(std::size_t(cfg.num_ue), 0.0);
    bad_.assign(std::size_t(cfg.num_ue), 0);
    scratch_.resize(std::size_t(threads_ * nrb));
  }

  // RBs in use this TTI: the background's, plus every RB of a cell that has a user to serve.
  void set_active(const std::uint8_t* eligible) {
    const index_t nc = cfg_.num_cell, nrb = cfg_.num_rb;
    for (index_t j = 0; j < nc; ++j) {
      bool busy = false;
      for (index_t i = cells_.start[std::size_t(j)]; i < cells_.start[std::size_t(j + 1)]; ++i) {
        if (eligible == nullptr || eligible[cells_.users[std::size_t(i)]]) {
          busy = true;
          break;
        }
      }
      for (index_t q = 0; q < nrb; ++q) {
        const bool bg = cfg_.background != nullptr && cfg_.background[j * nrb + q] != 0;
        active_[std::size_t(j * nrb + q)] = std::uint8_t(busy || bg);
      }
    }
    channel_.set_active(active_.data());
  }

  // Achievable rates of the eligible users in TTI t (rows in parallel; bad_[k] flags bad
  // gains), then step 1 unless a gain was bad. Returns false when a gain was bad.
  bool rates(index_t t, const std::uint8_t* eligible, bool compute) {
    // With finite buffers only the users with data cost anything: size the TTI by them.
    tti_threads_ = threads_;
    if (eligible != nullptr && threads_ > 1) {
      index_t n = 0;
      for (index_t k = 0; k < cfg_.num_ue; ++k) n += eligible[k] != 0;
      tti_threads_ = tti_threads(n);
    }
    if (compute) {
      const index_t per_tti = cfg_.num_ue * cfg_.num_cell * (gain_.per_rb ? cfg_.num_rb : 1);
      const G* g = gain_.data + (gain_.num_tti > 0 ? t * per_tti : 0);
      const std::uint64_t base =
          std::uint64_t(t) * std::uint64_t(cfg_.num_ue * cfg_.num_cell * cfg_.num_rb);
      detail::channel_rows_parallel(g, cfg_.num_ue, channel_.get(), cfg_.serving, base, eligible,
                                    true, rate_.data(), tti_threads_, scratch_, bad_.data());
    }
    failed_ = compute && std::any_of(bad_.begin(), bad_.end(), [](int flag) { return flag != 0; });
    if (!failed_) {
      detail::pf_update_average(cfg_.beta, last_rate_.data(), avg_rate_.data(), cfg_.num_ue);
    }
    return !failed_;
  }

  // PF steps 2-3 (cells in parallel).
  void schedule(const std::uint8_t* eligible) {
    detail::pf_cells_parallel(rate_.data(), avg_rate_.data(), cfg_.num_rb, cells_, eligible,
                              alloc_.data(), last_rate_.data(), tti_threads_, scratch_);
  }

  void throw_if_failed() const {
    if (failed_) detail::throw_if_bad_gain(bad_.data(), cfg_.num_ue);
  }

  bool static_channel() const { return !gain_.rayleigh && gain_.num_tti == 0; }

  const DownlinkConfig& cfg_;
  const GainInput<G>& gain_;
  int max_threads_;
  int threads_;      // for a TTI in which every user has data
  int tti_threads_ = 1;  // for the current TTI

  int tti_threads(index_t active_users) const {
    return threads_for(max_threads_, double(active_users * cfg_.num_cell * cfg_.num_rb) *
                                         (gain_.rayleigh ? kNsPerFade : kNsPerGain) +
                                     double(cfg_.num_ue * cfg_.num_rb) * kNsPerMetric);
  }
  CellUsers cells_;
  detail::OwnedRowContext channel_;
  std::vector<std::uint8_t> active_;  // [num_cell, num_rb] RBs in use this TTI
  std::vector<double> rate_;          // [num_ue, num_rb]
  std::vector<index_t> alloc_;        // [num_cell, num_rb]
  std::vector<double> avg_rate_;      // PF T
  std::vector<double> last_rate_;     // PF r_last
  std::vector<int> bad_;              // [num_ue] bad-gain flags of the latest rows
  std::vector<double> scratch_;       // num_rb per thread
  bool failed_ = false;
};

}  // namespace

template <class G>
FullBufferResult run_full_buffer(const DownlinkConfig& cfg, const GainInput<G>& gain,
                                 index_t num_tti, int n_threads) {
  if (num_tti < 1) throw InvalidArgument("num_tti", "must be >= 1");
  DownlinkRun<G> run(cfg, gain, check_run(cfg, gain, num_tti, n_threads));
  const index_t nue = cfg.num_ue;
  std::vector<double> sum_rate(std::size_t(nue), 0.0);
  std::vector<index_t> rb_count(std::size_t(nue), 0);
  run.set_active(nullptr);  // full buffer: every cell with users always transmits
  const bool fixed = run.static_channel();
  for (index_t t = 0; t < num_tti; ++t) {
    if (!run.rates(t, nullptr, t == 0 || !fixed)) break;
    run.schedule(nullptr);
    for (index_t k = 0; k < nue; ++k) sum_rate[std::size_t(k)] += run.last_rate_[std::size_t(k)];
    for (index_t k : run.alloc_) {
      if (k >= 0) ++rb_count[std::size_t(k)];
    }
  }
  run.throw_if_failed();
  FullBufferResult res;
  res.throughput_bps.resize(std::size_t(nue));
  res.rb_share.resize(std::size_t(nue));
  for (index_t k = 0; k < nue; ++k) {
    res.throughput_bps[std::size_t(k)] = sum_rate[std::size_t(k)] / double(num_tti);
    res.rb_share[std::size_t(k)] = double(rb_count[std::size_t(k)]) / double(num_tti * cfg.num_rb);
  }
  res.avg_rate_bps = run.avg_rate_;
  return res;
}

template <class G>
FiniteBufferResult run_finite_buffer(const DownlinkConfig& cfg, const GainInput<G>& gain,
                                     const Requests& req, index_t num_tti, int n_threads) {
  DownlinkRun<G> run(cfg, gain, check_run(cfg, gain, num_tti, n_threads));
  const index_t nue = cfg.num_ue, nreq = req.num_req;
  for (index_t i = 0; i < nreq; ++i) {
    if (req.ue[i] < 0 || req.ue[i] >= nue) {
      throw InvalidArgument("request_ue", "must hold user indices in [0, " + std::to_string(nue) +
                                              "), got " + std::to_string(req.ue[i]));
    }
    if (req.arrival_tti[i] < 0) throw InvalidArgument("request_tti", "must be >= 0");
    if (!(req.bytes[i] > 0.0 && std::isfinite(req.bytes[i]))) {
      throw InvalidArgument("request_bytes", "must be finite and > 0");
    }
  }
  // Each user's requests in first-in first-out order: by arrival TTI, then by index.
  std::vector<index_t> order(static_cast<std::size_t>(nreq));
  std::iota(order.begin(), order.end(), index_t(0));
  std::stable_sort(order.begin(), order.end(), [&](index_t lhs, index_t rhs) {
    return req.ue[lhs] != req.ue[rhs] ? req.ue[lhs] < req.ue[rhs]
                                      : req.arrival_tti[lhs] < req.arrival_tti[rhs];
  });
  std::vector<index_t> first(std::size_t(nue + 1), 0);
  for (index_t i = 0; i < nreq; ++i) ++first[std::size_t(req.ue[i] + 1)];
  for (index_t k = 0; k < nue; ++k) first[std::size_t(k + 1)] += first[std::size_t(k)];
  // end_bits[i]: the user's cumulative bits up to and including its i-th request (FIFO order).
  std::vector<double> end_bits(static_cast<std::size_t>(nreq));
  for (index_t k = 0; k < nue; ++k) {
    double cum = 0.0;
    for (index_t i = first[std::size_t(k)]; i < first[std::size_t(k + 1)]; ++i) {
      cum += req.bytes[order[std::size_t(i)]] * 8.0;
      end_bits[std::size_t(i)] = cum;
    }
  }
  std::vector<index_t> arrived(first.begin(), first.end() - 1);  // next not-yet-arrived request
  std::vector<index_t> done(first.begin(), first.end() - 1);     // next undelivered request
  std::vector<double> arrived_bits(std::size_t(nue), 0.0), delivered_bits(std::size_t(nue), 0.0);
  std::vector<std::uint8_t> eligible(std::size_t(nue), 0);
  FiniteBufferResult res;
  res.completion_tti.assign(std::size_t(nreq), -1);
  index_t num_done = 0;
  index_t t = 0;
  while (t < num_tti && num_done < nreq) {
    for (index_t k = 0; k < nue; ++k) {
      index_t& a = arrived[std::size_t(k)];
      while (a < first[std::size_t(k + 1)] && req.arrival_tti[order[std::size_t(a)]] <= t) ++a;
      if (a > first[std::size_t(k)]) arrived_bits[std::size_t(k)] = end_bits[std::size_t(a - 1)];
      eligible[std::size_t(k)] = arrived_bits[std::size_t(k)] - delivered_bits[std::size_t(k)] > 0.0;
    }
    run.set_active(eligible.data());
    if (!run.rates(t, eligible.data(), true)) break;
    run.schedule(eligible.data());
    for (index_t k = 0; k < nue; ++k) {
      if (!eligible[std::size_t(k)]) continue;
      double& last = run.last_rate_[std::size_t(k)];
      const double buffered = arrived_bits[std::size_t(k)] - delivered_bits[std::size_t(k)];
      const double capacity = last * cfg.tti_s;
      if (capacity >= buffered) {
        delivered_bits[std::size_t(k)] = arrived_bits[std::size_t(k)];
        last = buffered / cfg.tti_s;  // PF averages what was delivered
      } else {
        delivered_bits[std::size_t(k)] += capacity;
      }
      index_t& d = done[std::size_t(k)];
      while (d < arrived[std::size_t(k)] &&
             end_bits[std::size_t(d)] <= delivered_bits[std::size_t(k)]) {
        res.completion_tti[std::size_t(order[std::size_t(d)])] = t;
        ++d;
        ++num_done;
      }
    }
    ++t;
  }
  run.throw_if_failed();
  res.num_tti_run = t;
  res.throughput_bps.resize(std::size_t(nue));
  const double horizon_s = double(num_tti) * cfg.tti_s;
  for (index_t k = 0; k < nue; ++k) {
    res.throughput_bps[std::size_t(k)] = num_tti > 0 ? delivered_bits[std::size_t(k)] / horizon_s : 0.0;
  }
  res.avg_rate_bps = run.avg_rate_;
  return res;
}

template FullBufferResult run_full_buffer<double>(const DownlinkConfig&, const GainInput<double>&,
                                                  index_t, int);
template FullBufferResult run_full_buffer<float>(const DownlinkConfig&, const GainInput<float>&,
                                                 index_t, int);
template FiniteBufferResult run_finite_buffer<double>(const DownlinkConfig&,
                                                      const GainInput<double>&, const Requests&,
                                                      index_t, int);
template FiniteBufferResult run_finite_buffer<float>(const DownlinkConfig&, const GainInput<float>&,
                                                     const Requests&, index_t, int);

}  // namespace genoff
