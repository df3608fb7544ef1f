"""A C++ simulator can compile and link against the core shipped in the installed package."""

import shutil
import subprocess
import sys
import textwrap

import numpy as np

import genoff.core as core

PROGRAM = textwrap.dedent(
    r"""
    // Two cells, three users: a full-buffer PF run and one evaluation, printed for Python.
    #include <cstdio>
    #include <vector>

    #include "genoff/downlink.hpp"
    #include "genoff/evaluate.hpp"

    int main() {
      const genoff::index_t num_ue = 3, num_cell = 2, num_rb = 4;
      std::vector<genoff::index_t> serving = {0, 0, 1};
      std::vector<double> tx(num_cell * num_rb, 0.5), noise(num_rb, 1e-13), bw(num_rb, 180e3);
      std::vector<double> gain(num_ue * num_cell);  // flat over RBs: [num_ue, num_cell, 1]
      const double g[] = {1e-9, 1e-11, 4e-10, 3e-11, 2e-11, 8e-10};
      for (int i = 0; i < 6; ++i) gain[i] = g[i];
      genoff::DownlinkConfig cfg;
      cfg.num_ue = num_ue;
      cfg.num_cell = num_cell;
      cfg.num_rb = num_rb;
      cfg.serving = serving.data();
      cfg.tx_power_w = tx.data();
      cfg.noise_w = noise.data();
      cfg.bandwidth_hz = bw.data();
      genoff::GainInput<double> in;
      in.data = gain.data();
      in.per_rb = false;
      in.rayleigh = true;
      in.seed = 7;
      const genoff::FullBufferResult r = genoff::run_full_buffer(cfg, in, 200, 1);
      for (double c : r.throughput_bps) std::printf("%.17g\n", c);
      try {
        in.seed = 7;
        cfg.beta = 1.5;
        genoff::run_full_buffer(cfg, in, 10, 1);
      } catch (const genoff::InvalidArgument& e) {
        std::printf("error:%s\n", e.arg().c_str());
      }
      return 0;
    }
    """
)


def test_cxx_program_links_against_installed_core(tmp_path):
    cxx = shutil.which("g++") or shutil.which("c++")
    assert cxx, "a C++ compiler is needed to test the C++ consumer path"
    src = tmp_path / "sim.cpp"
    src.write_text(PROGRAM)
    exe = tmp_path / "sim"
    cmd = [cxx, "-std=c++17", "-O2", str(src), f"-I{core.get_include()}",
           f"-L{core.get_library_dir()}", "-lgenoff_core", "-o", str(exe)]
    if core.has_openmp:
        cmd.append("-fopenmp")
    cmd.append("-pthread")  # the core's thread pool
    if sys.platform.startswith("linux"):
        cmd.append("-lm")
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    lines = run.stdout.split()
    got = np.array([float(x) for x in lines[:3]])
    assert lines[3] == "error:beta"

    gain = np.array([1e-9, 1e-11, 4e-10, 3e-11, 2e-11, 8e-10]).reshape(3, 2, 1)
    expected = core.run_full_buffer(
        gain, np.full((2, 4), 0.5), 1e-13, [0, 0, 1], 180e3, num_tti=200, fading="rayleigh", seed=7
    ).throughput_bps
    np.testing.assert_array_equal(got, expected)
