#include "arrays.hpp"

#ifndef GENOFF_VERSION
#define GENOFF_VERSION "dev"
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "genoff's compiled core (use the validated wrappers in genoff.core)";
  m.attr("__version__") = GENOFF_VERSION;
  m.attr("has_openmp") = genoff::has_openmp();
  m.def("max_threads", [] { return genoff::resolve_threads(0); },
        "Threads a call with n_threads=0 uses.");
  genoff::bind::bind_channel(m);
  genoff::bind::bind_pf(m);
  genoff::bind::bind_downlink(m);
  genoff::bind::bind_evaluate(m);
}
