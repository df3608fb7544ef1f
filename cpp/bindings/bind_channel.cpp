#include "arrays.hpp"
#include "genoff/channel.hpp"

namespace genoff::bind {
namespace {

template <class T>
py::array_t<double> sinr_impl(const py::array_t<T, kFlags>& gain, bool per_rb, const ArrF64& tx,
                              const ArrBool& act, const std::vector<double>& noise,
                              const ArrI64& srv, int n_threads) {
  const index_t num_ue = srv.shape(0), num_cell = tx.shape(0), num_rb = tx.shape(1);
  py::array_t<double> out({py::ssize_t(num_ue), py::ssize_t(num_rb)});
  double* out_data = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    genoff::sinr<T>(gain.data(), num_ue, num_cell, num_rb, per_rb, tx.data(), mask_ptr(act),
                    noise.data(), srv.data(), out_data, n_threads);
  }
  return out;
}

}  // namespace

void bind_channel(py::module_& m) {
  m.def(
      "sinr",
      [](py::handle gain, py::handle tx_power_w, py::handle active, py::handle noise_w,
         py::handle serving, py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        ArrF64 tx = as_tx_power(tx_power_w);
        const py::ssize_t num_cell = tx.shape(0), num_rb = tx.shape(1);
        ArrBool act = as_mask(active, "active");
        require_ndim(act, "active", 2, "[num_cell, num_rb]");
        if (act.shape(0) != num_cell || act.shape(1) != num_rb) {
          // Blame the one that disagrees with gain ([num_ue, num_cell, num_rb]) when gain tells.
          const py::array g = as_numeric(gain, "gain", "biuf");
          const bool gain_agrees_with_active =
              g.ndim() == 3 && g.shape(1) == act.shape(0) &&
              (g.shape(2) == act.shape(1) || g.shape(2) == 1) &&
              (g.shape(1) != num_cell || (g.shape(2) != num_rb && g.shape(2) != 1));
          if (gain_agrees_with_active) {
            throw py::value_error("tx_power_w must have shape (num_cell, num_rb) = " +
                                  shape_str(act) + " like active and gain, got shape " +
                                  shape_str(tx));
          }
          throw py::value_error("active must have the shape of tx_power_w " + shape_str(tx) +
                                ", got shape " + shape_str(act));
        }
        std::vector<double> noise = per_rb(noise_w, "noise_w", num_rb);
        ArrI64 srv = as_serving(serving);
        return with_gain(gain, srv.shape(0), num_cell, num_rb, [&](const auto& g, bool gain_per_rb) {
          return sinr_impl(g, gain_per_rb, tx, act, noise, srv, n_threads);
        });
      },
      py::arg("gain"), py::arg("tx_power_w"), py::arg("active"), py::arg("noise_w"),
      py::arg("serving"), py::kw_only(), py::arg("n_threads") = 0);

  m.def(
      "shannon_rate",
      [](py::handle sinr, py::handle bandwidth_hz, py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        ArrF64 sinr_arr = as_f64(sinr, "sinr");
        require_ndim(sinr_arr, "sinr", 2, "[num_ue, num_rb]");
        const index_t num_ue = sinr_arr.shape(0), num_rb = sinr_arr.shape(1);
        std::vector<double> bw = per_rb(bandwidth_hz, "bandwidth_hz", num_rb);
        py::array_t<double> out({py::ssize_t(num_ue), py::ssize_t(num_rb)});
        double* out_data = out.mutable_data();
        {
          py::gil_scoped_release nogil;
          genoff::shannon_rate(sinr_arr.data(), num_ue, num_rb, bw.data(), out_data, n_threads);
        }
        return out;
      },
      py::arg("sinr"), py::arg("bandwidth_hz"), py::kw_only(), py::arg("n_threads") = 0);

  m.def(
      "rayleigh_power",
      [](py::handle num_tti_arg, py::handle num_ue_arg, py::handle num_cell_arg,
         py::handle num_rb_arg, py::handle seed, py::handle first_tti_arg,
         py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        const std::uint64_t seed_value = as_seed(seed, "seed");
        const index_t num_tti = as_count(num_tti_arg, "num_tti");
        const index_t num_ue = as_count(num_ue_arg, "num_ue");
        const index_t num_cell = as_count(num_cell_arg, "num_cell");
        const index_t num_rb = as_count(num_rb_arg, "num_rb");
        const index_t first_tti = as_count(first_tti_arg, "first_tti");
        // The output's size and its strides (8 bytes times the trailing dimensions, computed
        // by pybind11 even for an empty array) must be representable.
        index_t size = 8;
        for (const index_t d : {num_rb, num_cell, num_ue}) {  // the strides, last axis first
          if (__builtin_mul_overflow(size, d, &size)) {
            throw py::value_error("num_tti * num_ue * num_cell * num_rb is too large for one array");
          }
        }
        if (__builtin_mul_overflow(size, num_tti, &size)) {
          throw py::value_error("num_tti * num_ue * num_cell * num_rb is too large for one array");
        }
        py::array_t<double> out({py::ssize_t(num_tti), py::ssize_t(num_ue), py::ssize_t(num_cell),
                                 py::ssize_t(num_rb)});
        double* out_data = out.mutable_data();
        {
          py::gil_scoped_release nogil;
          genoff::rayleigh_power(seed_value, first_tti, num_tti, num_ue, num_cell, num_rb, out_data,
                                 n_threads);
        }
        return out;
      },
      py::arg("num_tti"), py::arg("num_ue"), py::arg("num_cell"), py::arg("num_rb"), py::kw_only(),
      py::arg("seed"), py::arg("first_tti") = 0, py::arg("n_threads") = 0);
}

}  // namespace genoff::bind
