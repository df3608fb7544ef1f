#include <algorithm>

#include "arrays.hpp"
#include "genoff/evaluate.hpp"

namespace genoff::bind {
namespace {

// A per-request argument: a scalar or a 1-D array of length n (or 1).
struct Arg {
  ArrF64 arr;
  Bcast view(index_t n, const char* name) const {
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
        struct Named {
          const char* name;
          py::handle obj;
        };
        const Named named[] = {{"n_tokens", n_tokens},
                               {use_cap ? "capacity_bps" : "radio_delay_s",
                                use_cap ? capacity_bps : radio_delay_s},
                               {"quality_req", quality_req},
                               {"bytes_per_token", bytes_per_token},
                               {"t_back_s", t_back_s},
                               {"ttft_edge_s", ttft_edge_s},
                               {"tpot_edge_s", tpot_edge_s},
                               {"ttft_cloud_s", ttft_cloud_s},
                               {"tpot_cloud_s", tpot_cloud_s},
                               {"quality_edge", quality_edge},
                               {"quality_cloud", quality_cloud},
                               {"target_s", target_s},
                               {"penalty", penalty}};
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
        ArrBool off = as_mask(offload, "offload");
        if (off.ndim() > 1) {
          throw py::value_error("offload must be a scalar or 1-D [num_req], got shape " + shape_str(off));
        }
        // num_req: the common length of the arguments that are not single values
        index_t n = -1;
        const char* first = nullptr;
        auto take = [&n, &first](index_t size, const char* name) {
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
        take(off.size(), "offload");
        for (int i = 0; i < kArgs; ++i) take(args[i].arr.size(), named[i].name);
        if (n == -1) n = 1;
        if (off.size() != 1 && off.size() != n) {
          throw py::value_error("offload must be a scalar or have shape (num_req,) = (" +
                                std::to_string(n) + ",), got shape " + shape_str(off));
        }
        EvalInputs in;
        in.num_req = n;
        in.n_tokens = args[0].view(n, named[0].name);
        (use_cap ? in.capacity_bps : in.radio_delay_s) = args[1].view(n, named[1].name);
        in.use_capacity = use_cap;
        in.quality_req = args[2].view(n, named[2].name);
        in.bytes_per_token = args[3].view(n, named[3].name);
        in.t_back_s = args[4].view(n, named[4].name);
        in.ttft_edge_s = args[5].view(n, named[5].name);
        in.tpot_edge_s = args[6].view(n, named[6].name);
        in.ttft_cloud_s = args[7].view(n, named[7].name);
        in.tpot_cloud_s = args[8].view(n, named[8].name);
        in.quality_edge = args[9].view(n, named[9].name);
        in.quality_cloud = args[10].view(n, named[10].name);
        in.target_s = args[11].view(n, named[11].name);
        in.penalty = args[12].view(n, named[12].name);
        in.offload = mask_ptr(off);
        in.offload_stride = off.size() == 1 ? 0 : 1;
        py::array_t<double> t_tran(n), t_gen(n), t_total(n), reward(n);
        py::array_t<bool> violated(n);
        EvalOutputs out{t_tran.mutable_data(), t_gen.mutable_data(), t_total.mutable_data(),
                        reinterpret_cast<std::uint8_t*>(violated.mutable_data()),
                        reward.mutable_data()};
        {
          py::gil_scoped_release nogil;
          genoff::evaluate(in, out, n_threads);
        }
        py::dict d;
        d["t_tran_s"] = t_tran;
        d["t_gen_s"] = t_gen;
        d["t_total_s"] = t_total;
        d["violated"] = violated;
        d["reward"] = reward;
        return d;
      },
      py::arg("n_tokens"), py::arg("offload"), py::kw_only(), py::arg("capacity_bps") = py::none(),
      py::arg("radio_delay_s") = py::none(), py::arg("quality_req") = 0.0,
      py::arg("bytes_per_token") = 4.0, py::arg("t_back_s") = 0.1, py::arg("ttft_edge_s") = 0.23,
      py::arg("tpot_edge_s") = 1.0 / 75.0, py::arg("ttft_cloud_s") = 0.42,
      py::arg("tpot_cloud_s") = 1.0 / 32.0, py::arg("quality_edge") = 68.4,
      py::arg("quality_cloud") = 88.7, py::arg("target_s") = 40.0, py::arg("penalty") = 30.0,
      py::arg("n_threads") = 0);
}

}  // namespace genoff::bind
