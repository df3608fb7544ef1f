#include <memory>
#include <mutex>
#include <optional>

#include "arrays.hpp"
#include "checks.hpp"
#include "genoff/pf.hpp"

namespace genoff::bind {
namespace {

// The scheduler plus a lock: Python threads may share one object. The GIL is released
// before the lock is taken, so a thread waiting for the lock never holds the GIL.
struct PyPF {
  std::unique_ptr<PFScheduler> pf;
  std::mutex mutex;
};

std::unique_ptr<PyPF> make_pf(py::handle num_ue_arg, py::handle serving, py::handle num_cell_arg,
                              py::handle beta_arg) {
  const index_t num_ue = as_count(num_ue_arg, "num_ue");
  const index_t num_cell = as_count(num_cell_arg, "num_cell");
  const double beta = as_real(beta_arg, "beta");
  ArrI64 srv = as_serving(serving);
  if (srv.shape(0) != num_ue) {
    throw py::value_error("serving must have shape (num_ue,) = (" + std::to_string(num_ue) +
                          ",), got shape " + shape_str(srv));
  }
  auto out = std::make_unique<PyPF>();
  out->pf = std::make_unique<PFScheduler>(num_ue, srv.data(), num_cell, beta);
  return out;
}

// A default-constructed py::array is an empty array, not a null handle: absence is an optional.
std::optional<ArrBool> optional_eligible(py::handle eligible, index_t num_ue) {
  if (eligible.is_none()) return std::nullopt;
  ArrBool mask = as_mask(eligible, "eligible");
  require_vector(mask, "eligible", num_ue, "[num_ue]", "(num_ue,)");
  return mask;
}

const std::uint8_t* eligible_ptr(const std::optional<ArrBool>& eligible) {
  return eligible ? mask_ptr(*eligible) : nullptr;
}

ArrF64 checked_rate(py::handle rate, index_t num_ue) {
  ArrF64 arr = as_f64(rate, "rate");
  require_ndim(arr, "rate", 2, "[num_ue, num_rb]");
  require_dim(arr, "rate", 0, num_ue, "[num_ue, num_rb]");
  if (arr.shape(1) < 1) throw py::value_error("rate must have at least one RB, got shape " + shape_str(arr));
  return arr;
}

template <class T>
py::array_t<std::int64_t> step_channel_impl(PyPF& self, const py::array_t<T, kFlags>& gain,
                                            bool per_rb, const ArrF64& tx,
                                            const std::vector<double>& noise,
                                            const std::vector<double>& bw,
                                            const std::optional<ArrBool>& act,
                                            const std::optional<ArrBool>& elig, int n_threads) {
  const index_t num_cell = tx.shape(0), num_rb = tx.shape(1);
  py::array_t<std::int64_t> alloc({py::ssize_t(num_cell), py::ssize_t(num_rb)});
  std::int64_t* alloc_data = alloc.mutable_data();
  {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(self.mutex);
    self.pf->step_channel<T>(gain.data(), per_rb, num_rb, tx.data(), noise.data(), bw.data(),
                             act ? mask_ptr(*act) : nullptr, eligible_ptr(elig), alloc_data,
                             nullptr, n_threads);
  }
  return alloc;
}

py::array_t<double> locked_copy(PyPF& self, bool avg) {
  std::vector<double> v;
  {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(self.mutex);
    v = avg ? self.pf->avg_rate() : self.pf->last_rate();
  }
  return to_array(v);
}

}  // namespace

void bind_pf(py::module_& m) {
  m.def(
      "pf_allocate",
      [](py::handle rate, py::handle avg_rate, py::handle serving, py::handle num_cell_arg,
         py::handle eligible, py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        const index_t num_cell = as_count(num_cell_arg, "num_cell");
        ArrI64 srv = as_serving(serving);
        const index_t num_ue = srv.shape(0);
        ArrF64 rate_arr = checked_rate(rate, num_ue);
        const index_t num_rb = rate_arr.shape(1);
        ArrF64 avg = as_f64(avg_rate, "avg_rate");
        require_vector(avg, "avg_rate", num_ue, "[num_ue]", "(num_ue,)");
        detail::check_num_cell(num_cell);  // before the output [num_cell, num_rb] is allocated
        std::optional<ArrBool> mask = optional_eligible(eligible, num_ue);
        py::array_t<std::int64_t> alloc({py::ssize_t(num_cell), py::ssize_t(num_rb)});
        std::int64_t* alloc_data = alloc.mutable_data();
        {
          py::gil_scoped_release nogil;
          genoff::pf_allocate(rate_arr.data(), avg.data(), num_ue, num_rb, srv.data(), num_cell,
                              eligible_ptr(mask), alloc_data, n_threads);
        }
        return alloc;
      },
      py::arg("rate"), py::arg("avg_rate"), py::arg("serving"), py::arg("num_cell"),
      py::arg("eligible") = py::none(), py::kw_only(), py::arg("n_threads") = 0);

  py::class_<PyPF>(m, "PFScheduler")
      .def(py::init(&make_pf), py::arg("num_ue"), py::arg("serving"), py::arg("num_cell"),
           py::arg("beta"))
      .def(
          "step",
          [](PyPF& self, py::handle rate, py::handle eligible, py::handle n_threads_arg) {
            const int n_threads = as_threads(n_threads_arg);
            const index_t num_ue = self.pf->num_ue();
            ArrF64 rate_arr = checked_rate(rate, num_ue);
            const index_t num_rb = rate_arr.shape(1);
            std::optional<ArrBool> mask = optional_eligible(eligible, num_ue);
            py::array_t<std::int64_t> alloc({py::ssize_t(self.pf->num_cell()), py::ssize_t(num_rb)});
            std::int64_t* alloc_data = alloc.mutable_data();
            {
              py::gil_scoped_release nogil;
              std::lock_guard<std::mutex> lock(self.mutex);
              self.pf->step(rate_arr.data(), num_rb, eligible_ptr(mask), alloc_data, n_threads);
            }
            return alloc;
          },
          py::arg("rate"), py::arg("eligible") = py::none(), py::kw_only(), py::arg("n_threads") = 0)
      .def(
          "step_channel",
          [](PyPF& self, py::handle gain, py::handle tx_power_w, py::handle noise_w,
             py::handle bandwidth_hz, py::handle active, py::handle eligible, py::handle n_threads_arg) {
            const int n_threads = as_threads(n_threads_arg);
            const index_t num_ue = self.pf->num_ue(), num_cell = self.pf->num_cell();
            ArrF64 tx = as_tx_power(tx_power_w);
            require_dim(tx, "tx_power_w", 0, num_cell, "[num_cell, num_rb]");
            const index_t num_rb = tx.shape(1);
            std::vector<double> noise = per_rb(noise_w, "noise_w", num_rb);
            std::vector<double> bw = per_rb(bandwidth_hz, "bandwidth_hz", num_rb);
            std::optional<ArrBool> act;
            if (!active.is_none()) {
              act = as_mask(active, "active");
              require_ndim(*act, "active", 2, "[num_cell, num_rb]");
              if (act->shape(0) != num_cell || act->shape(1) != num_rb) {
                throw py::value_error("active must have the shape of tx_power_w " + shape_str(tx) +
                                      ", got shape " + shape_str(*act));
              }
            }
            std::optional<ArrBool> mask = optional_eligible(eligible, num_ue);
            return with_gain(gain, num_ue, num_cell, num_rb, [&](const auto& g, bool gain_per_rb) {
              return step_channel_impl(self, g, gain_per_rb, tx, noise, bw, act, mask, n_threads);
            });
          },
          py::arg("gain"), py::arg("tx_power_w"), py::arg("noise_w"), py::arg("bandwidth_hz"),
          py::kw_only(), py::arg("active") = py::none(), py::arg("eligible") = py::none(),
          py::arg("n_threads") = 0)
      .def("reset", [](PyPF& self) {
        py::gil_scoped_release nogil;
        std::lock_guard<std::mutex> lock(self.mutex);
        self.pf->reset();
      })
      .def_property_readonly("avg_rate", [](PyPF& self) { return locked_copy(self, true); })
      .def_property_readonly("last_rate", [](PyPF& self) { return locked_copy(self, false); })
      .def_property_readonly("num_ue", [](PyPF& self) { return self.pf->num_ue(); })
      .def_property_readonly("num_cell", [](PyPF& self) { return self.pf->num_cell(); })
      .def_property_readonly("beta", [](PyPF& self) { return self.pf->beta(); })
      .def_property_readonly("serving", [](PyPF& self) { return to_array(self.pf->serving()); })
      .def(
          "set_state",
          [](PyPF& self, py::handle avg_rate, py::handle last_rate) {
            const index_t num_ue = self.pf->num_ue();
            ArrF64 avg = as_f64(avg_rate, "avg_rate");
            require_vector(avg, "avg_rate", num_ue, "[num_ue]", "(num_ue,)");
            ArrF64 last = as_f64(last_rate, "last_rate");
            require_vector(last, "last_rate", num_ue, "[num_ue]", "(num_ue,)");
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(self.mutex);
            self.pf->set_state(avg.data(), last.data());
          },
          py::arg("avg_rate"), py::arg("last_rate"));
}

}  // namespace genoff::bind
