#include "genoff/channel.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "checks.hpp"
#include "fastmath.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "row_context.hpp"
#include "simd.hpp"

namespace genoff {
namespace {

constexpr double kLog2e = 1.4426950408889634074;  // 1 / ln 2

constexpr double kMax = std::numeric_limits<double>::max();

// a * b for a fading draw count, or InvalidArgument(name) when it does not fit in int64 (the
// draw counter of rng.hpp must not wrap; the reference raises there too).
index_t checked_mul(index_t a, index_t b, const char* name) {
  index_t ab = 0;
  if (__builtin_mul_overflow(a, b, &ab)) {
    throw InvalidArgument(name, "is so large that the fading draw index overflows 64 bits");
  }
  return ab;
}

// Fading draws per block: a block's 64-bit outputs and 32-bit words stay in L1.
constexpr index_t kFadeBlock = 256;

// out[i] = Exp(1) draw n0 + i of the stream `key` for i < n <= kFadeBlock: the same numbers as
// rng::exp1, in two vectorizable passes (SplitMix64 outputs, then the float32 transform).
GENOFF_CLONES void exp1_block(std::uint64_t key, std::uint64_t n0, index_t n, double* out) {
  std::uint64_t z[kFadeBlock / 2 + 1];
  std::uint32_t words[kFadeBlock + 2];
  const std::uint64_t m0 = n0 >> 1;
  const index_t off = index_t(n0 & 1);
  const index_t pairs = (off + n + 1) / 2;
  for (index_t p = 0; p < pairs; ++p) z[p] = rng::pair(key, m0 + std::uint64_t(p));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(words, z, std::size_t(pairs) * sizeof(std::uint64_t));  // low word first
#else
  for (index_t p = 0; p < pairs; ++p) {
    words[2 * p] = std::uint32_t(z[p]);
    words[2 * p + 1] = std::uint32_t(z[p] >> 32);
  }
#endif
  for (index_t i = 0; i < n; ++i) out[i] = double(rng::exp1_of_word(words[off + i]));
}


// out[q] <- out[q] / (interf[q] + noise[q]); flags NaN/inf that bad gains propagated here.
GENOFF_INLINE int finish_row(const double* noise_w, index_t nrb, const double* interf, double* out) {
  int bad = 0;
  for (index_t q = 0; q < nrb; ++q) {
    const double d = interf[q] + noise_w[q];
    const double r = out[q] / d;
    bad |= int(!(d <= kMax)) | int(!(r <= kMax));
    out[q] = r;
  }
  return bad;
}

// Sign bit of a gain: OR-ing the raw bits of every gain costs one integer op per vector and
// flags any negative gain (and -0.0, which row_has_negative() then clears).
GENOFF_INLINE std::uint64_t sign_bits(double g) noexcept {
  std::uint64_t b;
  std::memcpy(&b, &g, sizeof b);
  return b;
}

// Signal and interference of RBs [q0, q0 + B) for static per-RB gains: the sum over cells
// runs in registers (no accumulator traffic through memory), in the same order (ascending
// cell) as the streaming loop below, so results are identical.
template <index_t B, class G>
GENOFF_INLINE std::uint64_t sum_block(const G* gain_k, const detail::RowContext& ctx,
                                      index_t serving, index_t q0, double* interf, double* out) {
  const index_t nrb = ctx.num_rb;
  double acc[B];
  double sig[B];
  std::uint64_t bits = 0;
  for (index_t b = 0; b < B; ++b) acc[b] = 0.0;
  for (index_t b = 0; b < B; ++b) sig[b] = 0.0;
  for (index_t j = 0; j < ctx.num_cell; ++j) {
    const G* g = gain_k + j * nrb + q0;
    if (j == serving) {
      const double* p = ctx.tx_power_w + j * nrb + q0;
      for (index_t b = 0; b < B; ++b) {
        const double gq = double(g[b]);
        bits |= sign_bits(gq);
        sig[b] += p[b] * gq;
      }
    } else if (ctx.cell_on[j]) {
      const double* w = ctx.weight + j * nrb + q0;
      for (index_t b = 0; b < B; ++b) {
        const double gq = double(g[b]);
        bits |= sign_bits(gq);
        acc[b] += w[b] * gq;
      }
    }
  }
  for (index_t b = 0; b < B; ++b) interf[q0 + b] = acc[b];
  for (index_t b = 0; b < B; ++b) out[q0 + b] = sig[b];
  return bits;
}

// Whether a user's gains (the cells that were read) hold a negative value; the exact check
// behind the sign-bit screen, run only when that screen fires.
template <class G>
int row_has_negative(const G* gain_k, const detail::RowContext& ctx, index_t serving) {
  const index_t n = ctx.gain_per_rb ? ctx.num_rb : 1;
  for (index_t j = 0; j < ctx.num_cell; ++j) {
    if (j != serving && !ctx.cell_on[j]) continue;
    for (index_t q = 0; q < n; ++q) {
      if (double(gain_k[j * n + q]) < 0.0) return 1;
    }
  }
  return 0;
}

// Gains are checked on the fly without breaking vectorization: negative ones are flagged per
// element; NaN and inf propagate into the accumulators, which are checked once per RB.
template <class G>
GENOFF_INLINE int sinr_row_impl(const G* gain_k, const detail::RowContext& ctx,
                                index_t serving, std::uint64_t counter0, double* interf,
                                double* out) {
  const index_t nrb = ctx.num_rb;
  const index_t step = ctx.gain_per_rb ? nrb : 1;
  int bad = 0;
  std::uint64_t bits = 0;
  // Register blocking pays when a user's gains are cache-resident (few cells); with many
  // cells the row streams from memory, and reading it in order lets the prefetchers keep up.
  if (ctx.gain_per_rb && !ctx.fading && ctx.num_cell <= 16) {
    index_t q0 = 0;
    for (; q0 + 32 <= nrb; q0 += 32) bits |= sum_block<32>(gain_k, ctx, serving, q0, interf, out);
    for (; q0 + 8 <= nrb; q0 += 8) bits |= sum_block<8>(gain_k, ctx, serving, q0, interf, out);
    for (; q0 < nrb; ++q0) bits |= sum_block<1>(gain_k, ctx, serving, q0, interf, out);
    if (bits >> 63) bad |= row_has_negative(gain_k, ctx, serving);
    return bad | finish_row(ctx.noise_w, nrb, interf, out);
  }
  for (index_t q = 0; q < nrb; ++q) interf[q] = 0.0;
  for (index_t j = 0; j < ctx.num_cell; ++j) {
    const G* g = gain_k + j * step;
    const std::uint64_t n0 = counter0 + std::uint64_t(j * nrb);
    const bool own = j == serving;
    if (!own && !ctx.cell_on[j]) continue;  // idle cell: no interference on any RB
    // signal: out[q] = p[s,q] g[k,s,q]; interference: interf[q] += (p[j,q] if active) g[k,j,q]
    const double* w = own ? ctx.tx_power_w + j * nrb : ctx.weight + j * nrb;
    double* acc = own ? out : interf;
    if (own) {
      for (index_t q = 0; q < nrb; ++q) out[q] = 0.0;
    }
    if (ctx.gain_per_rb) {
      if (ctx.fading) {
        double fade[kFadeBlock];
        for (index_t q0 = 0; q0 < nrb; q0 += kFadeBlock) {
          const index_t nb = std::min(kFadeBlock, nrb - q0);
          exp1_block(ctx.key, n0 + std::uint64_t(q0), nb, fade);
          for (index_t b = 0; b < nb; ++b) {
            const double gq = double(g[q0 + b]);
            bits |= sign_bits(gq);
            acc[q0 + b] += w[q0 + b] * (gq * fade[b]);
          }
        }
      } else {
        for (index_t q = 0; q < nrb; ++q) {
          const double gq = double(g[q]);
          bits |= sign_bits(gq);
          acc[q] += w[q] * gq;
        }
      }
    } else {
      const double g0 = double(g[0]);
      bad |= int(!(g0 >= 0.0 && g0 <= kMax));
      if (ctx.fading) {
        double fade[kFadeBlock];
        for (index_t q0 = 0; q0 < nrb; q0 += kFadeBlock) {
          const index_t nb = std::min(kFadeBlock, nrb - q0);
          exp1_block(ctx.key, n0 + std::uint64_t(q0), nb, fade);
          for (index_t b = 0; b < nb; ++b) acc[q0 + b] += w[q0 + b] * (g0 * fade[b]);
        }
      } else {
        for (index_t q = 0; q < nrb; ++q) acc[q] += w[q] * g0;
      }
    }
  }
  if (bits >> 63) bad |= row_has_negative(gain_k, ctx, serving);
  return bad | finish_row(ctx.noise_w, nrb, interf, out);
}

// rate[q] = b[q] log2(1 + sinr[q]) in place, for SINRs known finite and >= 0. Returns
// kRateOverflow when a rate overflowed to inf (finite but huge bandwidths), else 0.
constexpr int kRateOverflow = 2;
GENOFF_INLINE int rate_in_place(double* x, const double* bw, index_t nrb) {
  int inf = 0;
  for (index_t q = 0; q < nrb; ++q) {
    const double r = bw[q] * (fastmath::log1p_nonneg(x[q]) * kLog2e);
    inf |= int(!(r <= kMax));
    x[q] = r;
  }
  return inf ? kRateOverflow : 0;
}

// One user's SINR on every RB into out[num_rb] (its Shannon rate instead, when with_rate);
// scratch[num_rb] is clobbered. counter0 is the fading draw number of (this TTI, this user,
// cell 0, RB 0). Returns nonzero when a gain was negative or not finite (out is then
// meaningless), kRateOverflow when a rate overflowed.
template <class G>
GENOFF_INLINE int channel_row_impl(const G* gain_k, const detail::RowContext& ctx,
                                   index_t serving, std::uint64_t counter0, bool with_rate,
                                   double* scratch, double* out) {
  const int bad = sinr_row_impl(gain_k, ctx, serving, counter0, scratch, out);
  if (with_rate && !bad) return rate_in_place(out, ctx.bandwidth_hz, ctx.num_rb);
  return bad;
}

// The ISA clones of channel_row_impl, one per gain type (target_clones takes no templates).
GENOFF_CLONES int channel_row_f64(const double* gain_k, const detail::RowContext& ctx,
                                  index_t serving, std::uint64_t counter0, bool with_rate,
                                  double* scratch, double* out) {
  return channel_row_impl(gain_k, ctx, serving, counter0, with_rate, scratch, out);
}
GENOFF_CLONES int channel_row_f32(const float* gain_k, const detail::RowContext& ctx,
                                  index_t serving, std::uint64_t counter0, bool with_rate,
                                  double* scratch, double* out) {
  return channel_row_impl(gain_k, ctx, serving, counter0, with_rate, scratch, out);
}

template <class G>
int channel_row(const G* gain_k, const detail::RowContext& ctx, index_t serving,
                std::uint64_t counter0, bool with_rate, double* scratch, double* out) {
  if constexpr (std::is_same_v<G, float>) {
    return channel_row_f32(gain_k, ctx, serving, counter0, with_rate, scratch, out);
  } else {
    return channel_row_f64(gain_k, ctx, serving, counter0, with_rate, scratch, out);
  }
}

// The user-facing shannon_rate: SINRs come from outside, so they are checked. Returns 1 for a
// bad SINR, kRateOverflow for a rate that overflowed to inf, else 0.
GENOFF_CLONES int rate_row_checked(double* x, const double* bw, index_t nrb) {
  int bad = 0, inf = 0;
  for (index_t q = 0; q < nrb; ++q) {
    const double s = x[q];
    bad |= int(!(s >= 0.0)) | int(!(s <= kMax));
    const double r = bw[q] * (fastmath::log1p_nonneg(s) * kLog2e);
    inf |= int(!(r <= kMax));
    x[q] = r;
  }
  return bad ? 1 : inf ? kRateOverflow : 0;
}

// channel_row for users k in [k0, k1) with eligible[k] (all when eligible is nullptr) into
// out[k, :]; scratch: num_rb doubles of the calling thread.
template <class G>
void channel_rows_range(const G* gain, index_t k0, index_t k1, const detail::RowContext& ctx,
                        const index_t* serving, std::uint64_t counter_base,
                        const std::uint8_t* eligible, bool with_rate, double* out,
                        double* scratch, int* bad) {
  const index_t nrb = ctx.num_rb;
  const index_t gain_row = ctx.num_cell * (ctx.gain_per_rb ? nrb : 1);
  const std::uint64_t draws_row = std::uint64_t(ctx.num_cell * nrb);
  for (index_t k = k0; k < k1; ++k) {
    if (eligible && !eligible[k]) {
      bad[k] = 0;
      continue;
    }
    bad[k] = channel_row(gain + k * gain_row, ctx, serving[k],
                         counter_base + std::uint64_t(k) * draws_row, with_rate, scratch,
                         out + k * nrb);
  }
}

// Fills weights ([num_cell, num_rb]: tx power where active, else 0) and cell_on
// ([num_cell]: any RB active). active == nullptr means every RB is active.
void active_weights(const double* tx_power_w, const std::uint8_t* active, index_t num_cell,
                    index_t num_rb, double* weight, std::uint8_t* cell_on) {
  for (index_t j = 0; j < num_cell; ++j) {
    std::uint8_t any = 0;
    for (index_t q = 0; q < num_rb; ++q) {
      const index_t i = j * num_rb + q;
      const bool on = active == nullptr || active[i] != 0;
      weight[i] = on ? tx_power_w[i] : 0.0;
      any |= std::uint8_t(on);
    }
    cell_on[j] = any;
  }
}

}  // namespace

namespace detail {

OwnedRowContext::OwnedRowContext(index_t num_cell, index_t num_rb, bool gain_per_rb,
                                 const double* tx_power_w, const std::uint8_t* active,
                                 const double* noise_w, const double* bandwidth_hz, bool fading,
                                 std::uint64_t seed)
    : weight_(static_cast<std::size_t>(num_cell * num_rb)),
      cell_on_(static_cast<std::size_t>(num_cell)) {
  ctx_.num_cell = num_cell;
  ctx_.num_rb = num_rb;
  ctx_.gain_per_rb = gain_per_rb;
  ctx_.tx_power_w = tx_power_w;
  ctx_.weight = weight_.data();
  ctx_.cell_on = cell_on_.data();
  ctx_.noise_w = noise_w;
  ctx_.bandwidth_hz = bandwidth_hz;
  ctx_.fading = fading;
  ctx_.key = rng::key(seed);
  set_active(active);
}

void OwnedRowContext::set_active(const std::uint8_t* active) {
  active_weights(ctx_.tx_power_w, active, ctx_.num_cell, ctx_.num_rb, weight_.data(),
                 cell_on_.data());
}

void throw_if_bad_gain(const int* bad, index_t n) {
  for (index_t i = 0; i < n; ++i) {
    if (bad[i] == kRateOverflow) {
      throw InvalidArgument("bandwidth_hz", "is so large that a Shannon rate overflows to inf");
    }
    if (bad[i]) {
      throw InvalidArgument("gain", "must be finite and >= 0 (found a negative, NaN or inf gain, "
                                    "or gains so large that the SINR overflows)");
    }
  }
}

template <class G>
void channel_rows_parallel(const G* gain, index_t num_ue, const RowContext& ctx,
                           const index_t* serving, std::uint64_t counter_base,
                           const std::uint8_t* eligible, bool with_rate, double* out,
                           int threads, std::vector<double>& scratch, int* bad) {
  const index_t nrb = ctx.num_rb;
  if (scratch.size() < std::size_t(threads * nrb)) scratch.resize(std::size_t(threads * nrb));
  // Users go to whichever thread claims them (one writer per row: any split gives the same
  // result); a thread the OS deschedules holds up one chunk at most.
  parallel_chunks(num_ue, chunk_for(num_ue, threads), threads,
                  [&](index_t begin, index_t end, int slot) {
                    channel_rows_range(gain, begin, end, ctx, serving, counter_base, eligible,
                                       with_rate, out, scratch.data() + slot * nrb, bad);
                  });
}

template void channel_rows_parallel<double>(const double*, index_t, const RowContext&,
                                            const index_t*, std::uint64_t, const std::uint8_t*,
                                            bool, double*, int, std::vector<double>&, int*);
template void channel_rows_parallel<float>(const float*, index_t, const RowContext&,
                                           const index_t*, std::uint64_t, const std::uint8_t*,
                                           bool, double*, int, std::vector<double>&, int*);

}  // namespace detail

template <class G>
void sinr(const G* gain, index_t num_ue, index_t num_cell, index_t num_rb, bool gain_per_rb,
          const double* tx_power_w, const std::uint8_t* active, const double* noise_w,
          const index_t* serving, double* out, int n_threads) {
  const int max_threads = resolve_threads(n_threads);
  detail::check_serving(serving, num_ue, num_cell);
  detail::check_channel_arrays(num_cell, num_rb, tx_power_w, noise_w, nullptr);
  const detail::OwnedRowContext rows(num_cell, num_rb, gain_per_rb, tx_power_w, active, noise_w);
  const double per_row = double(num_cell * num_rb) * kNsPerGain;
  const int threads = threads_for(max_threads, double(num_ue) * per_row);
  std::vector<int> bad(static_cast<std::size_t>(num_ue));
  std::vector<double> scratch;
  detail::channel_rows_parallel(gain, num_ue, rows.get(), serving, 0, nullptr, false, out,
                                threads, scratch, bad.data());
  detail::throw_if_bad_gain(bad.data(), num_ue);
}

template void sinr<double>(const double*, index_t, index_t, index_t, bool, const double*,
                           const std::uint8_t*, const double*, const index_t*, double*, int);
template void sinr<float>(const float*, index_t, index_t, index_t, bool, const double*,
                          const std::uint8_t*, const double*, const index_t*, double*, int);

void shannon_rate(const double* sinr_in, index_t num_ue, index_t num_rb, const double* bandwidth_hz,
                  double* out, int n_threads) {
  const int max_threads = resolve_threads(n_threads);
  detail::check_pos_finite("bandwidth_hz", bandwidth_hz, num_rb);
  std::vector<int> bad(static_cast<std::size_t>(num_ue), 0);
  const int threads = threads_for(max_threads, double(num_ue * num_rb) * kNsPerRate);
  const index_t chunk = chunk_for(num_ue, threads);
  parallel_chunks(num_ue, chunk, threads, [&](index_t begin, index_t end, int) {
    for (index_t k = begin; k < end; ++k) {
      double* row = out + k * num_rb;
      for (index_t q = 0; q < num_rb; ++q) row[q] = sinr_in[k * num_rb + q];
      bad[std::size_t(k)] = rate_row_checked(row, bandwidth_hz, num_rb);
    }
  });
  for (int flag : bad) {
    if (flag == 1) throw InvalidArgument("sinr", "must be finite and >= 0 (found a negative, NaN or inf SINR)");
  }
  for (int flag : bad) {
    if (flag) throw InvalidArgument("bandwidth_hz", "is so large that a Shannon rate overflows to inf");
  }
}

void rayleigh_power(std::uint64_t seed, index_t first_tti, index_t num_tti, index_t num_ue,
                    index_t num_cell, index_t num_rb, double* out, int n_threads) {
  const int max_threads = resolve_threads(n_threads);
  if (first_tti < 0) throw InvalidArgument("first_tti", "must be >= 0");
  if (num_tti < 0 || num_ue < 0 || num_cell < 0 || num_rb < 0) {
    throw InvalidArgument("num_tti", "and num_ue, num_cell, num_rb must be >= 0");
  }
  // Nothing to draw (and no loop over empty rows, however many).
  if (num_tti == 0 || num_ue == 0 || num_cell == 0 || num_rb == 0) return;
  const index_t row = checked_mul(num_cell, num_rb, "num_rb");
  const index_t per_tti = checked_mul(num_ue, row, "num_ue");
  index_t end_tti = 0;
  if (__builtin_add_overflow(first_tti, num_tti, &end_tti)) {
    throw InvalidArgument("first_tti", "is so large that the fading draw index overflows 64 bits");
  }
  checked_mul(end_tti, per_tti, "first_tti");
  const std::uint64_t key = rng::key(seed);
  const index_t rows = num_tti * num_ue;
  const int threads = threads_for(max_threads, double(rows) * double(row) * kNsPerFade);
  parallel_chunks(rows, chunk_for(rows, threads), threads, [&](index_t begin, index_t end, int) {
    for (index_t tk = begin; tk < end; ++tk) {
      const index_t t = tk / num_ue, k = tk % num_ue;
      const std::uint64_t n0 = std::uint64_t(((first_tti + t) * num_ue + k) * row);
      for (index_t q0 = 0; q0 < row; q0 += kFadeBlock) {
        exp1_block(key, n0 + std::uint64_t(q0), std::min(kFadeBlock, row - q0),
                   out + tk * row + q0);
      }
    }
  });
}

}  // namespace genoff
