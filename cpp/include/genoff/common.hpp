// genoff core: shared types, argument errors and the thread count of a call.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

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

// True when the core was compiled with OpenMP (then n_threads has an effect).
bool has_openmp() noexcept;

// Threads a call uses: n_threads > 0 as asked, 0 = all available. Requests beyond four
// threads per processor are clamped there (more only oversubscribes, and thousands would
// exhaust the process's resources). Without OpenMP always 1. Throws InvalidArgument for
// n_threads < 0.
int resolve_threads(int n_threads);

}  // namespace genoff
