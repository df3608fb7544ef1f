"""bench/gpu_check.py runs on CPU at a reduced size (the GPU run uses the same code)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# the installed package first: the script puts the source tree's python/ on sys.path
import genoff.deciders.icl  # noqa: E402,F401

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "gpu_check.py"


@pytest.fixture(scope="module")
def gpu_check():
    path = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("genoff_bench_gpu_check", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = path  # the script's sys.path entry must not leak into other tests
    return module


def test_main_runs_on_cpu_at_tiny_size(gpu_check, tmp_path, capsys):
    out = tmp_path / "gpu_check.json"
    args = ["--device", "cpu", "--size", "tiny", "--repeats", "1", "--json", str(out)]
    result = gpu_check.main(args)
    data = json.loads(out.read_text())
    assert data == json.loads(json.dumps(result))  # the file holds what main returned
    assert json.loads(capsys.readouterr().out) == data  # and what it printed
    assert set(data) == {
        "device", "size", "quantization", "parameters_b", "gpu_memory_gb", "build_s", "users",
        "distinct_queries", "prefix_tokens", "shared_prefix_step_s",
        "shared_prefix_incremental_step_s", "naive_step_s", "speedup", "speedup_incremental",
        "decisions_per_s_shared", "decisions_per_s_shared_incremental", "decisions_per_s_naive",
        "torch",
    }
    assert (data["device"], data["size"], data["quantization"]) == ("cpu", "tiny", "nf4")
    assert data["gpu_memory_gb"] is None
    assert data["users"] == 20
    assert 1 <= data["distinct_queries"] <= 15  # 5 services x 3 levels
    assert data["prefix_tokens"] > 300  # the real prompt with 15 examples
    assert 0.005 < data["parameters_b"] < 0.02  # the tiny Llama config, unquantized count
    for key in ("build_s", "shared_prefix_step_s", "shared_prefix_incremental_step_s",
                "naive_step_s", "speedup", "speedup_incremental"):
        assert data[key] > 0, key
    assert data["speedup"] == pytest.approx(data["naive_step_s"] / data["shared_prefix_step_s"])
    # 20 decisions per step each way
    assert data["decisions_per_s_shared"] * data["shared_prefix_step_s"] == pytest.approx(20)
    assert data["decisions_per_s_naive"] * data["naive_step_s"] == pytest.approx(20)
    assert data["speedup_incremental"] == pytest.approx(
        data["naive_step_s"] / data["shared_prefix_incremental_step_s"]
    )


def test_build_model_quantizes_the_decoder_to_nf4(gpu_check):
    import bitsandbytes as bnb
    import torch

    model, config = gpu_check.build_model("tiny", "cpu", quantize=True)
    assert config.num_hidden_layers == 2
    for layer in model.model.layers:
        linears = [m for m in layer.modules() if isinstance(m, torch.nn.Linear)]
        assert len(linears) == 7  # q, k, v, o, gate, up, down
        assert all(isinstance(m, bnb.nn.Linear4bit) for m in linears)
        assert all(m.weight.quant_type == "nf4" for m in linears)
    assert not isinstance(model.lm_head, bnb.nn.Linear4bit)  # the head stays full precision
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[1, 2, 3]])).logits
    assert logits.shape == (1, 3, config.vocab_size) and torch.isfinite(logits).all()

    plain, _ = gpu_check.build_model("tiny", "cpu", quantize=False)
    assert not any(isinstance(m, bnb.nn.Linear4bit) for m in plain.modules())
