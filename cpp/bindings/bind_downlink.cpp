#include "arrays.hpp"
#include "genoff/downlink.hpp"

namespace genoff::bind {
namespace {

// Everything both run modes take, converted and checked with the GIL held.
struct RunArgs {
  ArrF64 tx;
  std::vector<double> noise, bw;
  ArrI64 srv;
  std::vector<std::uint8_t> background;
  DownlinkConfig cfg;
  py::array gain;  // float32 or float64, C-contiguous
  bool gain_f32 = false;
  GainInput<double> g64;
  GainInput<float> g32;
};

void parse_run(RunArgs& args, py::handle gain, py::handle tx_power_w, py::handle noise_w,
               py::handle serving, py::handle bandwidth_hz, bool rayleigh, py::handle seed,
               py::handle beta_arg, py::handle background, py::handle tti_s_arg) {
  const double beta = as_real(beta_arg, "beta");
  const double tti_s = as_real(tti_s_arg, "tti_s");
  args.tx = as_tx_power(tx_power_w);
  const index_t num_cell = args.tx.shape(0), num_rb = args.tx.shape(1);
  args.noise = per_rb(noise_w, "noise_w", num_rb);
  args.bw = per_rb(bandwidth_hz, "bandwidth_hz", num_rb);
  args.srv = as_serving(serving);
  const index_t num_ue = args.srv.shape(0);
  if (!background.is_none()) {
    ArrBool mask = as_mask(background, "background");
    if (mask.ndim() == 1 && mask.shape(0) == num_cell) {
      args.background.resize(std::size_t(num_cell * num_rb));
      for (index_t j = 0; j < num_cell; ++j) {
        for (index_t q = 0; q < num_rb; ++q) {
          args.background[std::size_t(j * num_rb + q)] = mask.data()[j];
        }
      }
    } else if (mask.ndim() == 2 && mask.shape(0) == num_cell && mask.shape(1) == num_rb) {
      args.background.assign(mask_ptr(mask), mask_ptr(mask) + num_cell * num_rb);
    } else {
      throw py::value_error("background must have shape (num_cell,) or (num_cell, num_rb) = (" +
                            std::to_string(num_cell) + ", " + std::to_string(num_rb) +
                            "), got shape " + shape_str(mask));
    }
  }
  const std::uint64_t seed_value = as_seed(seed, "seed");
  args.gain_f32 = is_float32(gain);
  args.gain = args.gain_f32 ? py::array(ArrF32::ensure(gain)) : py::array(as_f64(gain, "gain"));
  const bool gain_per_rb = check_gain(args.gain, num_ue, num_cell, num_rb, true);
  const index_t gain_tti = args.gain.ndim() == 4 ? args.gain.shape(0) : 0;
  if (args.gain.ndim() == 4 && gain_tti == 0) {
    // 0 would mean "one static tensor" to the core: refuse instead of reading past the end.
    throw py::value_error("gain has a TTI axis of length 0, got shape " + shape_str(args.gain) +
                          "; give at least one TTI or a 3-D gain");
  }
  const void* gain_data = args.gain.data();
  args.g64 = {args.gain_f32 ? nullptr : static_cast<const double*>(gain_data), gain_tti,
              gain_per_rb, rayleigh, seed_value};
  args.g32 = {args.gain_f32 ? static_cast<const float*>(gain_data) : nullptr, gain_tti,
              gain_per_rb, rayleigh, seed_value};
  args.cfg.num_ue = num_ue;
  args.cfg.num_cell = num_cell;
  args.cfg.num_rb = num_rb;
  args.cfg.serving = args.srv.data();
  args.cfg.tx_power_w = args.tx.data();
  args.cfg.noise_w = args.noise.data();
  args.cfg.bandwidth_hz = args.bw.data();
  args.cfg.background = args.background.empty() ? nullptr : args.background.data();
  args.cfg.beta = beta;
  args.cfg.tti_s = tti_s;
}

index_t resolve_num_tti(py::handle num_tti, const RunArgs& args) {
  if (num_tti.is_none()) {
    if (args.gain.ndim() == 4) return args.gain.shape(0);
    throw py::value_error("num_tti must be given unless gain has a TTI axis (4-D)");
  }
  return index_t(as_seed(num_tti, "num_tti"));
}

}  // namespace

void bind_downlink(py::module_& m) {
  m.def(
      "run_full_buffer",
      [](py::handle gain, py::handle tx_power_w, py::handle noise_w, py::handle serving,
         py::handle bandwidth_hz, py::handle num_tti, bool rayleigh, py::handle seed, py::handle beta,
         py::handle background, py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        RunArgs args;
        parse_run(args, gain, tx_power_w, noise_w, serving, bandwidth_hz, rayleigh, seed, beta,
                  background, py::float_(genoff::defaults::kTtiS));
        const index_t tti_count = resolve_num_tti(num_tti, args);
        FullBufferResult result;
        {
          py::gil_scoped_release nogil;
          result = args.gain_f32 ? run_full_buffer(args.cfg, args.g32, tti_count, n_threads)
                                 : run_full_buffer(args.cfg, args.g64, tti_count, n_threads);
        }
        py::dict out;
        out["throughput_bps"] = to_array(result.throughput_bps);
        out["avg_rate_bps"] = to_array(result.avg_rate_bps);
        out["rb_share"] = to_array(result.rb_share);
        return out;
      },
      py::arg("gain"), py::arg("tx_power_w"), py::arg("noise_w"), py::arg("serving"),
      py::arg("bandwidth_hz"), py::kw_only(), py::arg("num_tti") = py::none(),
      py::arg("rayleigh") = false, py::arg("seed") = 0, py::arg("beta"),
      py::arg("background") = py::none(), py::arg("n_threads") = 0);

  m.def(
      "run_finite_buffer",
      [](py::handle gain, py::handle tx_power_w, py::handle noise_w, py::handle serving,
         py::handle bandwidth_hz, py::handle request_ue, py::handle request_tti,
         py::handle request_bytes, py::handle num_tti, bool rayleigh, py::handle seed, py::handle beta,
         py::handle background, py::handle tti_s, py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        RunArgs args;
        parse_run(args, gain, tx_power_w, noise_w, serving, bandwidth_hz, rayleigh, seed, beta,
                  background, tti_s);
        const index_t tti_count = resolve_num_tti(num_tti, args);
        ArrI64 ue = as_i64(request_ue, "request_ue");
        require_ndim(ue, "request_ue", 1, "[num_req]");
        const index_t num_req = ue.shape(0);
        ArrI64 tti = as_i64(request_tti, "request_tti");
        require_vector(tti, "request_tti", num_req, "[num_req]", "(num_req,) like request_ue");
        ArrF64 bytes = as_f64(request_bytes, "request_bytes");
        require_vector(bytes, "request_bytes", num_req, "[num_req]", "(num_req,) like request_ue");
        Requests req{num_req, ue.data(), tti.data(), bytes.data()};
        FiniteBufferResult result;
        {
          py::gil_scoped_release nogil;
          result = args.gain_f32
                       ? run_finite_buffer(args.cfg, args.g32, req, tti_count, n_threads)
                       : run_finite_buffer(args.cfg, args.g64, req, tti_count, n_threads);
        }
        py::dict out;
        out["completion_tti"] = to_array(result.completion_tti);
        out["throughput_bps"] = to_array(result.throughput_bps);
        out["avg_rate_bps"] = to_array(result.avg_rate_bps);
        out["num_tti_run"] = result.num_tti_run;
        return out;
      },
      py::arg("gain"), py::arg("tx_power_w"), py::arg("noise_w"), py::arg("serving"),
      py::arg("bandwidth_hz"), py::kw_only(), py::arg("request_ue"), py::arg("request_tti"),
      py::arg("request_bytes"), py::arg("num_tti") = py::none(), py::arg("rayleigh") = false,
      py::arg("seed") = 0, py::arg("beta"), py::arg("background") = py::none(),
      py::arg("tti_s"), py::arg("n_threads") = 0);
}

}  // namespace genoff::bind
