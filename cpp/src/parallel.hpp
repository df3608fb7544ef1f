// Private to the core: the thread pool (what n_threads > 1 runs on) and the work-size model
// that decides how many threads a kernel call uses.
//
// Why not an OpenMP parallel region: its closing barrier waits for every thread of the team,
// including one the OS has not even woken yet. On a busy machine that is a scheduler time slice
// per region (a 3GPP-scale TTI took 3x longer on two threads than on one with the machine
// loaded). Here the caller never waits for a thread that has not started work: chunks are
// claimed from a shared counter, the caller claims too, and it waits only for chunks another
// thread is running. Late workers find nothing left and go back to sleep. Workers sleep on a
// condition variable (no spinning), so idle workers cost other programs nothing.
#pragma once

#include <cstdint>
#include <exception>
#include <type_traits>

#include "genoff/common.hpp"

namespace genoff {

// The work-size model. A kernel asks for threads_for(threads, work_ns), work_ns being its
// estimated single-thread time in nanoseconds; it gets one thread per kNsPerThread of work, at
// most `threads`, and runs on the calling thread alone below 2 * kNsPerThread (1 ms). Forking
// and joining costs a few microseconds on an idle machine but a scheduler time slice (several
// ms) on a loaded one, where a woken worker waits for a core: a sub-millisecond kernel can only
// lose by it. Results never depend on it (every kernel is bit-identical for any thread count).
constexpr double kNsPerThread = 500e3;
inline int threads_for(int threads, double work_ns) {
  const double useful = work_ns / kNsPerThread;
  if (threads <= 1 || !(useful >= 2.0)) return 1;
  return useful < double(threads) ? int(useful) : threads;
}

// Rough single-thread costs (ns) of the kernels' units on a current x86-64 core, for threads_for.
constexpr double kNsPerGain = 1.0;    // one gain element of a SINR / rate row
constexpr double kNsPerFade = 2.0;    // one in-kernel fading draw, transform and multiply
constexpr double kNsPerRate = 2.0;    // one Shannon rate from a given SINR
constexpr double kNsPerMetric = 0.5;  // one PF metric rate / T and its comparison
constexpr double kNsPerRequest = 4.0; // one request of evaluate()

}  // namespace genoff

namespace genoff::pool {

// Calls body(ctx, begin, end, slot) over chunks [begin, end) of [0, n), `chunk` indices each,
// on up to `threads` threads (the caller included); slot in [0, threads) is unique among the
// threads running at once, for per-thread scratch. Each index is processed exactly once, by
// whichever thread claims its chunk. The first exception thrown by body is rethrown here after
// every claimed chunk has finished.
using Body = void (*)(void* ctx, index_t begin, index_t end, int slot);
void run(index_t n, index_t chunk, int threads, Body body, void* ctx);

}  // namespace genoff::pool

namespace genoff {

// f(begin, end, slot) over chunks of [0, n) on up to `threads` threads (see pool::run); runs
// inline on the calling thread when threads <= 1 or there is a single chunk.
template <class F>
void parallel_chunks(index_t n, index_t chunk, int threads, F&& f) {
  if (n <= 0) return;
  if (chunk < 1) chunk = 1;
  if (threads <= 1 || n <= chunk) {
    f(index_t(0), n, 0);
    return;
  }
  using Fn = typename std::remove_reference<F>::type;
  pool::run(n, chunk, threads,
            [](void* ctx, index_t begin, index_t end, int slot) {
              (*static_cast<Fn*>(ctx))(begin, end, slot);
            },
            const_cast<void*>(static_cast<const void*>(&f)));
}

// A chunk size giving each of `threads` threads about 32 chunks: small enough that a thread the
// OS deschedules mid-chunk holds up little, large enough that claiming (one atomic add) costs
// nothing next to it.
inline index_t chunk_for(index_t n, int threads) {
  const index_t c = n / (32 * index_t(threads > 1 ? threads : 1));
  return c > 1 ? c : 1;
}

}  // namespace genoff
