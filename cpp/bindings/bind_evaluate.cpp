#include <algorithm>

#include "arrays.hpp"
#include "genoff/evaluate.hpp"

namespace genoff::bind {
namespace {

// A per-request argument: a scalar or a 1-D array of length n (or 1).
struct Arg {
  ArrF64 arr;
  BroadcastView view(index_t n, const char* name) const {
    if (arr.size() == 1) return {arr.data(), 0};
    if (arr.ndim() == 1 && arr.shape(0) == n) return {arr.data(), 1};
    throw py::value_error(std::string(name) + " must be a scalar or have shape (num_req,) = (" +
                          std::to_string(n) + ",), got shape " + shape_str(arr));
  }
};

}  // namespace

void bind_evaluate(py::module_& m) {
  m.def(
      "evaluate",
      [](py::handle n_tokens, py::handle offload, py::handle capacity_bps,
         py::handle radio_delay_s, py::handle quality_req, py::handle bytes_per_token,
         py::handle t_back_s, py::handle ttft_edge_s, py::handle tpot_edge_s,
         py::handle ttft_cloud_s, py::handle tpot_cloud_s, py::handle quality_edge,
         py::handle quality_cloud, py::handle target_s, py::handle penalty, py::handle n_threads_arg) {
        const int n_threads = as_threads(n_threads_arg);
        if (capacity_bps.is_none() == radio_delay_s.is_none()) {
          throw py::value_error(
              "give exactly one of capacity_bps (analytic mode) and radio_delay_s (tti mode)");
        }
        const bool use_cap = !capacity_bps.is_none();
        // Every per-request argument with the EvalInputs field it fills, in checking order.
        struct Named {
          const char* name;
          py::handle obj;
          BroadcastView EvalInputs::*field;
        };
        const Named named[] = {
            {"n_tokens", n_tokens, &EvalInputs::n_tokens},
            {use_cap ? "capacity_bps" : "radio_delay_s", use_cap ? capacity_bps : radio_delay_s,
             use_cap ? &EvalInputs::capacity_bps : &EvalInputs::radio_delay_s},
            {"quality_req", quality_req, &EvalInputs::quality_req},
            {"bytes_per_token", bytes_per_token, &EvalInputs::bytes_per_token},
            {"t_back_s", t_back_s, &EvalInputs::t_back_s},
            {"ttft_edge_s", ttft_edge_s, &EvalInputs::ttft_edge_s},
            {"tpot_edge_s", tpot_edge_s, &EvalInputs::tpot_edge_s},
            {"ttft_cloud_s", ttft_cloud_s, &EvalInputs::ttft_cloud_s},
            {"tpot_cloud_s", tpot_cloud_s, &EvalInputs::tpot_cloud_s},
            {"quality_edge", quality_edge, &EvalInputs::quality_edge},
            {"quality_cloud", quality_cloud, &EvalInputs::quality_cloud},
            {"target_s", target_s, &EvalInputs::target_s},
            {"penalty", penalty, &EvalInputs::penalty}};
        constexpr int kArgs = sizeof(named) / sizeof(named[0]);
        Arg args[kArgs];
        for (int i = 0; i < kArgs; ++i) {
          args[i].arr = as_f64(named[i].obj, named[i].name);
          if (args[i].arr.ndim() > 1) {
            throw py::value_error(std::string(named[i].name) +
                                  " must be a scalar or 1-D [num_req], got shape " +
                                  shape_str(args[i].arr));
          }
        }
        ArrBool offload_mask = as_mask(offload, "offload");
        if (offload_mask.ndim() > 1) {
          throw py::value_error("offload must be a scalar or 1-D [num_req], got shape " +
                                shape_str(offload_mask));
        }
        // num_req: the common length of the arguments that are not single values
        index_t n = -1;
        const char* first = nullptr;
        auto take_length = [&n, &first](index_t size, const char* name) {
          if (size == 1) return;
          if (n == -1) {
            n = size;
            first = name;
          }
          if (size != n) {
            throw py::value_error(std::string(name) + " has " + std::to_string(size) + " entries but " +
                                  first + " has " + std::to_string(n) +
                                  " (per-request arguments need one length, or a single value)");
          }
        };
        take_length(offload_mask.size(), "offload");
        for (int i = 0; i < kArgs; ++i) take_length(args[i].arr.size(), named[i].name);
        if (n == -1) n = 1;
        if (offload_mask.size() != 1 && offload_mask.size() != n) {
          throw py::value_error("offload must be a scalar or have shape (num_req,) = (" +
                                std::to_string(n) + ",), got shape " + shape_str(offload_mask));
        }
        EvalInputs in;
        in.num_req = n;
        in.use_capacity = use_cap;
        for (int i = 0; i < kArgs; ++i) in.*(named[i].field) = args[i].view(n, named[i].name);
        in.offload = mask_ptr(offload_mask);
        in.offload_stride = offload_mask.size() == 1 ? 0 : 1;
        py::array_t<double> t_tran(n), t_gen(n), t_total(n), reward(n);
        py::array_t<bool> violated(n);
        EvalOutputs out{t_tran.mutable_data(), t_gen.mutable_data(), t_total.mutable_data(),
                        reinterpret_cast<std::uint8_t*>(violated.mutable_data()),
                        reward.mutable_data()};
        {
          py::gil_scoped_release nogil;
          genoff::evaluate(in, out, n_threads);
        }
        py::dict out_dict;
        out_dict["t_tran_s"] = t_tran;
        out_dict["t_gen_s"] = t_gen;
        out_dict["t_total_s"] = t_total;
        out_dict["violated"] = violated;
        out_dict["reward"] = reward;
        return out_dict;
      },
      // No defaults: genoff.core.evaluate passes every argument (the paper's defaults live in
      // genoff.defaults).
      py::arg("n_tokens"), py::arg("offload"), py::kw_only(), py::arg("capacity_bps"),
      py::arg("radio_delay_s"), py::arg("quality_req"), py::arg("bytes_per_token"),
      py::arg("t_back_s"), py::arg("ttft_edge_s"), py::arg("tpot_edge_s"), py::arg("ttft_cloud_s"),
      py::arg("tpot_cloud_s"), py::arg("quality_edge"), py::arg("quality_cloud"),
      py::arg("target_s"), py::arg("penalty"), py::arg("n_threads"));
}

}  // namespace genoff::bind
