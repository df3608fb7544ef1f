"""Benchmark fixtures. The cases themselves live in cases.py (importable without pytest)."""

from __future__ import annotations

import os

# Both contenders get the same threads: the NumPy reference's BLAS calls are pinned to one
# thread (set before NumPy loads OpenBLAS; the reference's einsum/ufunc work is single-threaded
# anyway). The core's thread count is a benchmark parameter.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402

from cases import RB_HZ, Case, gpp_case, make_case, paper_case  # noqa: E402,F401

THREADS = 2  # the 2-thread rows; every group also has a 1-thread row


@pytest.fixture(scope="session")
def paper() -> Case:
    return paper_case()


@pytest.fixture(scope="session")
def gpp() -> Case:
    return gpp_case()
