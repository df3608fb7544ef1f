// genoff core: shared types, argument errors and the threading helper.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

#ifdef GENOFF_HAS_OPENMP
#include <omp.h>
#endif

namespace genoff {

using index_t = std::int64_t;

// A bad argument. The message starts with the argument's name; Python sees a ValueError.
class InvalidArgument : public std::invalid_argument {
 public:
  InvalidArgument(const std::string& arg, const std::string& what)
      : std::invalid_argument(arg + " " + what), arg_(arg) {}
  const std::string& arg() const noexcept { return arg_; }

 private:
  std::string arg_;
};

// The most cells a scheduler takes: per-cell tables are allocated up front, so an absurd count
// would exhaust memory before any check on the data could run.
constexpr index_t kMaxCells = index_t(1) << 24;

inline void check_num_cell(index_t num_cell) {
  if (num_cell < 1 || num_cell > kMaxCells) {
    throw InvalidArgument("num_cell", "must lie in [1, " + std::to_string(kMaxCells) + "], got " +
                                          std::to_string(num_cell));
  }
}

// True when the core was compiled with OpenMP.
constexpr bool has_openmp() noexcept {
#ifdef GENOFF_HAS_OPENMP
  return true;
#else
  return false;
#endif
}

// Threads a call uses: n_threads > 0 as asked, 0 = all available. Requests beyond four
// threads per processor are clamped there (more only oversubscribes, and thousands would
// exhaust the process's resources). Without OpenMP always 1.
inline int resolve_threads(int n_threads) {
  if (n_threads < 0) throw InvalidArgument("n_threads", "must be >= 0 (0 = all), got " + std::to_string(n_threads));
#ifdef GENOFF_HAS_OPENMP
  if (n_threads == 0) return omp_get_max_threads();
  const int cap = 4 * (omp_get_num_procs() > 1 ? omp_get_num_procs() : 1);
  return n_threads < cap ? n_threads : cap;
#else
  return 1;
#endif
}

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

// OpenMP pragmas that vanish (without -Wunknown-pragmas noise) in a build without OpenMP.
#ifdef GENOFF_HAS_OPENMP
#define GENOFF_OMP(directive) _Pragma(#directive)
#else
#define GENOFF_OMP(directive)
#endif

// A read-only length-n view that is either an array (stride 1) or one broadcast value (stride 0).
struct Bcast {
  const double* data = nullptr;
  index_t stride = 0;
  double operator[](index_t i) const noexcept { return data[i * stride]; }
};

}  // namespace genoff
