#include "arrays.hpp"
#include "parallel.hpp"

#include <vector>

namespace {

// A read-only pass over an array (its sum): the roofline of a kernel that must read it once.
// For the benchmarks only; eight independent accumulators keep the adds off the critical path.
template <class T>
double read_pass(const T* x, genoff::index_t n, int threads) {
  // Each thread sums a contiguous part into its own slot; the total adds the slots in order.
  std::vector<double> part(std::size_t(threads > 1 ? threads : 1), 0.0);
  const genoff::index_t parts = genoff::index_t(part.size());
  genoff::parallel_chunks(parts, 1, threads, [&](genoff::index_t c0, genoff::index_t c1, int) {
    for (genoff::index_t c = c0; c < c1; ++c) {
      const genoff::index_t b0 = n * c / parts, b1 = n * (c + 1) / parts;
      double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      genoff::index_t i = b0;
      for (; i + 8 <= b1; i += 8) {
        for (int j = 0; j < 8; ++j) acc[j] += double(x[i + j]);
      }
      double total = 0.0;
      for (; i < b1; ++i) total += double(x[i]);
      for (int j = 0; j < 8; ++j) total += acc[j];
      part[std::size_t(c)] = total;
    }
  });
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

}  // namespace

#ifndef GENOFF_VERSION
#define GENOFF_VERSION "dev"
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "genoff's compiled core (use the validated wrappers in genoff.core)";
  m.attr("__version__") = GENOFF_VERSION;
  m.attr("has_openmp") = genoff::has_openmp();
  m.def("max_threads", [] { return genoff::resolve_threads(0); },
        "Threads a call with n_threads=0 uses.");
  m.def(
      "_read_pass",
      [](py::array a, int n_threads) {
        // The same work-size model as the kernels (about 0.1 ns per element when streaming).
        const int threads = genoff::threads_for(genoff::resolve_threads(n_threads), double(a.size()) * 0.1);
        if (a.dtype().is(py::dtype::of<float>())) {
          auto f32 = genoff::bind::ArrF32::ensure(a);
          py::gil_scoped_release nogil;
          return read_pass(f32.data(), f32.size(), threads);
        }
        auto f64 = genoff::bind::ArrF64::ensure(a);
        py::gil_scoped_release nogil;
        return read_pass(f64.data(), f64.size(), threads);
      },
      py::arg("a"), py::arg("n_threads") = 1,
      "Sum of an array: a read-only pass, the roofline the benchmarks compare against.");
  genoff::bind::bind_channel(m);
  genoff::bind::bind_pf(m);
  genoff::bind::bind_downlink(m);
  genoff::bind::bind_evaluate(m);
}
