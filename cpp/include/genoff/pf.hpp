// Proportional-fair resource-block scheduling, one allocation per TTI and cell.
//
// Semantics are those of Sionna's PFSchedulerSUMIMO (README, "Use the core"):
//   1. T[k] <- beta T[k] + (1 - beta) r_last[k]      (T starts at 1.0)
//   2. alloc[j,q] = argmax_{k: s(k)=j, eligible[k]} rate[k,q] / T[k]
//      ties to the lowest user index (strict >, like np.argmax), -1 if nobody is eligible
//   3. r_last[k] = sum_{q: alloc[s(k),q] = k} rate[k,q]
// T is floored at the smallest normal double, so a user that is never served keeps a
// finite metric instead of 0/0.
#pragma once

#include <cstdint>
#include <vector>

#include "genoff/common.hpp"
#include "genoff/defaults.hpp"

namespace genoff {

// Users of each cell in ascending order (CSR): users of cell j are
// users[start[j]] .. users[start[j+1]-1].
struct CellUsers {
  std::vector<index_t> start;
  std::vector<index_t> users;
  CellUsers() = default;
  CellUsers(const index_t* serving, index_t num_ue, index_t num_cell);
  index_t num_cell() const noexcept { return index_t(start.size()) - 1; }
};

// Step 2 alone. rate: [num_ue, num_rb] bit/s, finite >= 0; avg_rate: [num_ue], finite > 0;
// eligible: [num_ue] or nullptr (everyone); alloc out: [num_cell, num_rb].
void pf_allocate(const double* rate, const double* avg_rate, index_t num_ue, index_t num_rb,
                 const index_t* serving, index_t num_cell, const std::uint8_t* eligible,
                 index_t* alloc, int n_threads = 0);

// Steps 1-3 with state. Not safe to step from two threads at once (the Python binding locks).
class PFScheduler {
 public:
  PFScheduler(index_t num_ue, const index_t* serving, index_t num_cell,
              double beta = defaults::kPfBeta);

  // One TTI from achievable rates: rate [num_ue, num_rb] -> alloc [num_cell, num_rb].
  void step(const double* rate, index_t num_rb, const std::uint8_t* eligible, index_t* alloc,
            int n_threads = 0);

  // One TTI from the channel: SINR (active RBs interfere) + rate + steps 1-3. gain is
  // [num_ue, num_cell, num_rb or 1]; active [num_cell, num_rb] or nullptr (all active);
  // rate_out [num_ue, num_rb] or nullptr.
  template <class G>
  void step_channel(const G* gain, bool gain_per_rb, index_t num_rb, const double* tx_power_w,
                    const double* noise_w, const double* bandwidth_hz, const std::uint8_t* active,
                    const std::uint8_t* eligible, index_t* alloc, double* rate_out,
                    int n_threads = 0);

  void reset();
  index_t num_ue() const noexcept { return num_ue_; }
  index_t num_cell() const noexcept { return cells_.num_cell(); }
  double beta() const noexcept { return beta_; }
  const std::vector<index_t>& serving() const noexcept { return serving_; }
  const std::vector<double>& avg_rate() const noexcept { return avg_rate_; }
  const std::vector<double>& last_rate() const noexcept { return last_rate_; }
  // Restores a saved state (checkpointing); both [num_ue], avg finite > 0, last finite >= 0.
  void set_state(const double* avg_rate, const double* last_rate);

 private:
  void update_average();  // step 1
  void allocate(const double* rate, index_t num_rb, const std::uint8_t* eligible, index_t* alloc,
                int threads);  // steps 2-3

  index_t num_ue_;
  double beta_;
  std::vector<index_t> serving_;
  CellUsers cells_;
  std::vector<double> avg_rate_;
  std::vector<double> last_rate_;
  std::vector<double> rate_buf_;
};

}  // namespace genoff
