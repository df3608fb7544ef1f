#include "arrays.hpp"

namespace {

// A read-only pass over an array (its sum): the roofline of a kernel that must read it once.
// For the benchmarks only; eight independent accumulators keep the adds off the critical path.
template <class T>
double read_pass(const T* x, genoff::index_t n, int threads) {
  double total = 0.0;
  const genoff::index_t blocks = n / 8;
  GENOFF_OMP(omp parallel for schedule(static) num_threads(threads) reduction(+ : total) if (threads > 1))
  for (genoff::index_t c = 0; c < threads; ++c) {
    const genoff::index_t b0 = blocks * c / threads, b1 = blocks * (c + 1) / threads;
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (genoff::index_t b = b0; b < b1; ++b) {
      for (int i = 0; i < 8; ++i) acc[i] += double(x[b * 8 + i]);
    }
    for (int i = 0; i < 8; ++i) total += acc[i];
  }
  for (genoff::index_t i = blocks * 8; i < n; ++i) total += double(x[i]);
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
          auto f = genoff::bind::ArrF32::ensure(a);
          py::gil_scoped_release nogil;
          return read_pass(f.data(), f.size(), threads);
        }
        auto d = genoff::bind::ArrF64::ensure(a);
        py::gil_scoped_release nogil;
        return read_pass(d.data(), d.size(), threads);
      },
      py::arg("a"), py::arg("n_threads") = 1,
      "Sum of an array: a read-only pass, the roofline the benchmarks compare against.");
  genoff::bind::bind_channel(m);
  genoff::bind::bind_pf(m);
  genoff::bind::bind_downlink(m);
  genoff::bind::bind_evaluate(m);
}
