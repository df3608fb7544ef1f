#include "genoff/pf.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "checks.hpp"
#include "parallel.hpp"
#include "pf_cells.hpp"
#include "row_context.hpp"
#include "simd.hpp"

namespace genoff {
namespace {

constexpr double kMinAvg = std::numeric_limits<double>::min();  // floor of T

GENOFF_CLONES void pick_best(const double* rate_k, double avg_k, index_t k, index_t nrb,
                             double* best, index_t* alloc_j) {
  for (index_t q = 0; q < nrb; ++q) {
    const double m = rate_k[q] / avg_k;
    const bool better = m > best[q];  // strict: ties stay with the lower user index
    best[q] = better ? m : best[q];
    alloc_j[q] = better ? k : alloc_j[q];
  }
}

// Allocates the RBs of cell j (no argument checks) and, unless last_rate is nullptr, writes
// r_last of the cell's users; best: num_rb doubles of scratch.
void pf_cell(const double* rate, const double* avg_rate, index_t num_rb, const CellUsers& cells,
             index_t j, const std::uint8_t* eligible, index_t* alloc_j, double* last_rate,
             double* best) {
  std::fill(best, best + num_rb, -std::numeric_limits<double>::infinity());
  std::fill(alloc_j, alloc_j + num_rb, index_t(-1));
  const index_t first = cells.start[std::size_t(j)], end = cells.start[std::size_t(j + 1)];
  for (index_t i = first; i < end; ++i) {
    const index_t k = cells.users[std::size_t(i)];
    if (eligible && !eligible[k]) continue;
    pick_best(rate + k * num_rb, avg_rate[k], k, num_rb, best, alloc_j);
  }
  if (last_rate) {
    for (index_t i = first; i < end; ++i) last_rate[cells.users[std::size_t(i)]] = 0.0;
    for (index_t q = 0; q < num_rb; ++q) {
      const index_t k = alloc_j[q];
      if (k >= 0) last_rate[k] += rate[k * num_rb + q];
    }
  }
}

// pf_cell for cells [j0, j1); best_scratch: num_rb doubles of the calling thread.
void pf_cells_range(const double* rate, const double* avg_rate, index_t num_rb,
                    const CellUsers& cells, index_t j0, index_t j1, const std::uint8_t* eligible,
                    index_t* alloc, double* last_rate, double* best_scratch) {
  for (index_t j = j0; j < j1; ++j) {
    pf_cell(rate, avg_rate, num_rb, cells, j, eligible, alloc + j * num_rb, last_rate,
            best_scratch);
  }
}

}  // namespace

CellUsers::CellUsers(const index_t* serving, index_t num_ue, index_t num_cell)
    : start(std::size_t(num_cell + 1), 0), users(std::size_t(num_ue)) {
  for (index_t k = 0; k < num_ue; ++k) ++start[std::size_t(serving[k] + 1)];
  for (index_t j = 0; j < num_cell; ++j) start[std::size_t(j + 1)] += start[std::size_t(j)];
  std::vector<index_t> fill(start.begin(), start.end() - 1);
  for (index_t k = 0; k < num_ue; ++k) users[std::size_t(fill[std::size_t(serving[k])]++)] = k;
}

namespace detail {

void pf_cells_parallel(const double* rate, const double* avg_rate, index_t num_rb,
                       const CellUsers& cells, const std::uint8_t* eligible, index_t* alloc,
                       double* last_rate, int threads, std::vector<double>& scratch) {
  const index_t num_cell = cells.num_cell();
  if (scratch.size() < std::size_t(threads * num_rb)) scratch.resize(std::size_t(threads * num_rb));
  // One writer per cell, whichever thread claims it: the same result for any split.
  parallel_chunks(num_cell, chunk_for(num_cell, threads), threads,
                  [&](index_t begin, index_t end, int slot) {
                    pf_cells_range(rate, avg_rate, num_rb, cells, begin, end, eligible, alloc,
                                   last_rate, scratch.data() + slot * num_rb);
                  });
}

void pf_update_average(double beta, const double* last_rate, double* avg_rate, index_t n) {
  const double weight_last = 1.0 - beta;
  for (index_t k = 0; k < n; ++k) {
    avg_rate[k] = std::max(beta * avg_rate[k] + weight_last * last_rate[k], kMinAvg);
  }
}

}  // namespace detail

void pf_allocate(const double* rate, const double* avg_rate, index_t num_ue, index_t num_rb,
                 const index_t* serving, index_t num_cell, const std::uint8_t* eligible,
                 index_t* alloc, int n_threads) {
  const int max_threads = resolve_threads(n_threads);
  detail::check_num_cell(num_cell);
  detail::check_serving(serving, num_ue, num_cell);
  detail::check_nonneg_finite("rate", rate, num_ue * num_rb);
  detail::check_pos_finite("avg_rate", avg_rate, num_ue);
  const CellUsers cells(serving, num_ue, num_cell);
  const int threads = threads_for(max_threads, double(num_ue * num_rb) * kNsPerMetric);
  std::vector<double> best;
  detail::pf_cells_parallel(rate, avg_rate, num_rb, cells, eligible, alloc, nullptr, threads, best);
}

PFScheduler::PFScheduler(index_t num_ue, const index_t* serving, index_t num_cell, double beta)
    : num_ue_(num_ue), beta_(beta) {
  if (num_ue < 0) throw InvalidArgument("num_ue", "must be >= 0");
  detail::check_num_cell(num_cell);
  if (!(beta > 0.0 && beta < 1.0)) {
    throw InvalidArgument("beta", "must lie in (0, 1), got " + std::to_string(beta));
  }
  detail::check_serving(serving, num_ue, num_cell);
  serving_.assign(serving, serving + num_ue);
  cells_ = CellUsers(serving, num_ue, num_cell);
  reset();
}

void PFScheduler::reset() {
  avg_rate_.assign(std::size_t(num_ue_), 1.0);
  last_rate_.assign(std::size_t(num_ue_), 0.0);
}

void PFScheduler::set_state(const double* avg_rate, const double* last_rate) {
  detail::check_pos_finite("avg_rate", avg_rate, num_ue_);
  detail::check_nonneg_finite("last_rate", last_rate, num_ue_);
  avg_rate_.assign(avg_rate, avg_rate + num_ue_);
  last_rate_.assign(last_rate, last_rate + num_ue_);
}

void PFScheduler::update_average() {
  detail::pf_update_average(beta_, last_rate_.data(), avg_rate_.data(), num_ue_);
}

void PFScheduler::allocate(const double* rate, index_t num_rb, const std::uint8_t* eligible,
                           index_t* alloc, int max_threads) {
  const int threads = threads_for(max_threads, double(num_ue_ * num_rb) * kNsPerMetric);
  std::vector<double> best;
  detail::pf_cells_parallel(rate, avg_rate_.data(), num_rb, cells_, eligible, alloc,
                            last_rate_.data(), threads, best);
}

void PFScheduler::step(const double* rate, index_t num_rb, const std::uint8_t* eligible,
                       index_t* alloc, int n_threads) {
  const int threads = resolve_threads(n_threads);
  detail::check_nonneg_finite("rate", rate, num_ue_ * num_rb);
  update_average();
  allocate(rate, num_rb, eligible, alloc, threads);
}

template <class G>
void PFScheduler::step_channel(const G* gain, bool gain_per_rb, index_t num_rb,
                               const double* tx_power_w, const double* noise_w,
                               const double* bandwidth_hz, const std::uint8_t* active,
                               const std::uint8_t* eligible, index_t* alloc, double* rate_out,
                               int n_threads) {
  const int max_threads = resolve_threads(n_threads);
  const index_t num_cell = cells_.num_cell();
  detail::check_channel_arrays(num_cell, num_rb, tx_power_w, noise_w, bandwidth_hz);
  const detail::OwnedRowContext rows(num_cell, num_rb, gain_per_rb, tx_power_w, active, noise_w,
                                     bandwidth_hz);
  if (rate_out == nullptr) {
    rate_buf_.resize(std::size_t(num_ue_ * num_rb));
    rate_out = rate_buf_.data();
  }
  // Rate rows in parallel, then step 1 (state changes only when the rows were good), then
  // the cells' allocations in parallel.
  const int threads = threads_for(
      max_threads, double(num_ue_ * num_cell * num_rb) * kNsPerGain + double(num_ue_ * num_rb) * kNsPerMetric);
  std::vector<int> bad(static_cast<std::size_t>(num_ue_));
  std::vector<double> scratch;
  detail::channel_rows_parallel(gain, num_ue_, rows.get(), serving_.data(), 0, nullptr, true,
                                rate_out, threads, scratch, bad.data());
  detail::throw_if_bad_gain(bad.data(), num_ue_);
  update_average();
  detail::pf_cells_parallel(rate_out, avg_rate_.data(), num_rb, cells_, eligible, alloc,
                            last_rate_.data(), threads, scratch);
}

template void PFScheduler::step_channel<double>(const double*, bool, index_t, const double*,
                                                const double*, const double*, const std::uint8_t*,
                                                const std::uint8_t*, index_t*, double*, int);
template void PFScheduler::step_channel<float>(const float*, bool, index_t, const double*,
                                               const double*, const double*, const std::uint8_t*,
                                               const std::uint8_t*, index_t*, double*, int);

}  // namespace genoff
