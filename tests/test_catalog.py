"""genoff.world.catalog: the packaged numbers, their sources, the paper's combinations, the roofline."""

from __future__ import annotations

import pytest

from genoff.world.catalog import (
    HARDWARE_FIELDS,
    MODEL_FIELDS,
    Catalog,
    LLMModel,
    load_catalog,
    roofline_timing,
)
from genoff.world.scenario import Scenario
from genoff.world.tasks import QUALITY_PREFERRED, REGULAR

PAPER_COMBINATIONS = {
    "llama3-8b+gpt-4o": ("llama3-8b", "gpt-4o"),
    "llama3-8b+llama3-70b": ("llama3-8b", "llama3-70b"),
    "gemma-7b+gemini-1.5-pro": ("gemma-7b", "gemini-1.5-pro"),
    "llama2-7b+llama2-70b": ("llama2-7b", "llama2-70b"),
}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_every_model_has_all_fields_with_sources(cat):
    assert set(cat) == {
        "llama3-8b",
        "llama3-70b",
        "gpt-4o",
        "gemma-7b",
        "gemini-1.5-pro",
        "llama2-7b",
        "llama2-70b",
    }
    for name, m in cat.items():
        assert m.name == name and m.display_name
        assert m.ttft_s > 0 and m.tpot_s > 0 and 0 < m.quality <= 100 and m.params_b > 0
        assert set(m.source) == set(MODEL_FIELDS)
        for f in MODEL_FIELDS:
            src = m.source[f]
            assert src.strip() and src != "user-supplied"
            # an estimate says so, and only estimates do
            assert src.startswith("estimate:") == (f in m.estimated), (name, f, src)
    for name, hw in cat.hardware.items():
        assert set(hw.source) == set(HARDWARE_FIELDS)
        assert hw.peak_flops > 1e12 and hw.mem_bw_bytes_s > 1e10
        for f in HARDWARE_FIELDS:
            assert hw.source[f].startswith("estimate:") == (f in hw.estimated), (name, f)
    assert {"h100-sxm", "a100-80gb", "l4", "jetson-orin"} <= set(cat.hardware)


def test_spec_numbers(cat):
    # SPEC Sec. 3 / paper Sec. IV
    assert (cat["llama3-8b"].ttft_s, cat["llama3-8b"].tpot_s) == (0.23, 1 / 75)
    assert (cat["gpt-4o"].ttft_s, cat["gpt-4o"].tpot_s) == (0.42, 1 / 32)
    tpot = {
        "gemma-7b": 1 / 155,
        "gemini-1.5-pro": 1 / 58,
        "llama2-7b": 1 / 89,
        "llama2-70b": 1 / 40,
    }
    for name, v in tpot.items():
        assert cat[name].tpot_s == v and "tpot_s" not in cat[name].estimated
    mmlu = {
        "llama3-8b": 68.4,
        "llama3-70b": 82.0,
        "gpt-4o": 88.7,
        "gemma-7b": 64.3,
        "gemini-1.5-pro": 85.9,
        "llama2-7b": 45.3,
        "llama2-70b": 68.9,
    }
    for name, v in mmlu.items():
        assert cat[name].quality == v and "quality" not in cat[name].estimated
    # what the paper does not give is marked as an estimate
    for name in ("llama3-70b", "gemma-7b", "gemini-1.5-pro", "llama2-7b", "llama2-70b"):
        assert "ttft_s" in cat[name].estimated
    assert "tpot_s" in cat["llama3-70b"].estimated
    assert "ttft_s" not in cat["llama3-8b"].estimated and "ttft_s" not in cat["gpt-4o"].estimated


def test_combinations(cat):
    assert cat.combinations == PAPER_COMBINATIONS
    for name, (edge, cloud) in cat.combinations.items():
        assert edge in cat and cloud in cat
        e, c = cat.combination(name)
        assert (e.name, c.name) == (edge, cloud)
    with pytest.raises(KeyError, match="llama3-8b\\+gpt-4o"):
        cat.combination("nope")


def test_gemma_gemini_lowest_delay(cat):
    # Paper Sec. IV-B: Gemma 7B + Gemini 1.5 Pro has the lowest overall delay.
    n = 1000
    edges = {e for e, _ in cat.combinations.values()}
    clouds = {c for _, c in cat.combinations.values()}
    t = {m: cat[m].ttft_s + n * cat[m].tpot_s for m in edges | clouds}
    assert min(edges, key=t.get) == "gemma-7b"
    assert min(clouds, key=t.get) == "gemini-1.5-pro"
    assert all(t["gemma-7b"] < t[e] for e in edges - {"gemma-7b"})
    assert all(t["gemini-1.5-pro"] < t[c] for c in clouds - {"gemini-1.5-pro"})
    assert cat["gemma-7b"].generation_time_s(n) == pytest.approx(t["gemma-7b"])


def test_default_quality_requirements_split_edge_and_cloud(cat):
    # Regular tasks: every edge model suffices; quality-preferred: only the cloud models.
    qr = Scenario().tasks.quality_requirement
    for edge, cloud in cat.combinations.values():
        for s in REGULAR:
            assert cat[edge].quality >= qr[s] and cat[cloud].quality >= qr[s]
        for s in QUALITY_PREFERRED:
            assert cat[edge].quality < qr[s] <= cat[cloud].quality


def test_unknown_model_lists_known_names(cat):
    with pytest.raises(KeyError) as info:
        cat["gpt-5"]
    msg = str(info.value)
    assert "gpt-5" in msg and "llama3-8b" in msg and "gemini-1.5-pro" in msg
    assert "gpt-5" not in cat


def test_roofline_known_case():
    # Llama3-8B-sized (8 B params) on an H100 SXM (989 TFLOP/s BF16, 3.35 TB/s), BF16 weights,
    # 512-token prompt, 50 % efficiency:
    #   TTFT = 2 * 8e9 * 512 / (989e12 * 0.5) = 16.566 ms
    #   TPOT = 8e9 * 2 / (3.35e12 * 0.5)      =  9.552 ms
    ttft, tpot = roofline_timing(8.0, 989e12, 3.35e12)
    assert ttft == pytest.approx(8.192e12 / 4.945e14, rel=1e-12)
    assert ttft == pytest.approx(0.016566, abs=1e-6)
    assert tpot == pytest.approx(1.6e10 / 1.675e12, rel=1e-12)
    assert tpot == pytest.approx(0.0095522, abs=1e-7)
    # 4-bit weights read a quarter of the bytes and full efficiency halves the time: TPOT / 8;
    # twice the prompt at twice the efficiency: the same TTFT
    ttft4, tpot4 = roofline_timing(
        8.0, 989e12, 3.35e12, bytes_per_param=0.5, prompt_tokens=1024, efficiency=1.0
    )
    assert tpot4 == pytest.approx(tpot / 8)
    assert ttft4 == pytest.approx(ttft)
    with pytest.raises(ValueError, match="efficiency"):
        roofline_timing(8.0, 989e12, 3.35e12, efficiency=1.5)
    with pytest.raises(ValueError, match="params_b"):
        roofline_timing(0.0, 989e12, 3.35e12)
    with pytest.raises(ValueError, match="prompt_tokens"):
        roofline_timing(8.0, 989e12, 3.35e12, prompt_tokens=0)


def test_roofline_model_and_with_model(cat):
    m = cat.roofline_model("llama3-8b", "h100-sxm")
    ttft, tpot = roofline_timing(cat["llama3-8b"].params_b, 989e12, 3.35e12)
    assert m.name == "llama3-8b@h100-sxm"
    assert (m.ttft_s, m.tpot_s) == (ttft, tpot)
    assert m.quality == cat["llama3-8b"].quality
    assert {"ttft_s", "tpot_s"} <= set(m.estimated)
    assert m.source["tpot_s"].startswith("estimate: roofline on h100-sxm")
    bigger = cat.with_model(m)
    assert m.name in bigger and m.name not in cat and len(bigger) == len(cat) + 1
    assert bigger.combinations == cat.combinations
    override = cat.with_model(LLMModel("gpt-4o", 0.1, 0.01, 90.0, 200.0))
    assert override["gpt-4o"].ttft_s == 0.1 and cat["gpt-4o"].ttft_s == 0.42
    assert override["gpt-4o"].source["ttft_s"] == "user-supplied"
    with pytest.raises(KeyError, match="h100-sxm"):
        cat.roofline_model("llama3-8b", "tpu-v9")


def test_model_validation_names_model_and_field():
    with pytest.raises(ValueError, match=r"models\.x\.tpot_s must be > 0"):
        LLMModel("x", 0.1, 0.0, 50.0, 1.0)
    with pytest.raises(ValueError, match=r"models\.x\.quality"):
        LLMModel("x", 0.1, 0.01, 150.0, 1.0)
    with pytest.raises(TypeError, match=r"models\.x\.ttft_s"):
        LLMModel("x", "fast", 0.01, 50.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"models\.x\.estimated"):
        LLMModel("x", 0.1, 0.01, 50.0, 1.0, estimated=("speed",))


GOOD_MODEL = """
[models.m]
ttft_s = { value = 0.1, source = "a" }
tpot_s = { reciprocal = 50, source = "b" }
quality = { value = 60.0, source = "c" }
params_b = { value = 7.0, source = "estimate: d", estimated = true }
"""


def test_load_catalog_file_errors(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(GOOD_MODEL + '[combinations]\n"m+m" = { edge = "m", cloud = "m" }\n')
    c = load_catalog(p)
    assert c["m"].tpot_s == 1 / 50 and c["m"].estimated == ("params_b",)
    assert c.combinations == {"m+m": ("m", "m")}
    cases = [
        (GOOD_MODEL.replace(', source = "a"', ""), ValueError, r"models\.m\.ttft_s\.source"),
        (
            GOOD_MODEL.replace('quality = { value = 60.0, source = "c" }\n', ""),
            ValueError,
            r"models\.m\.quality is missing",
        ),
        (GOOD_MODEL + "speed = 3\n", ValueError, r"unknown field models\.m\.speed"),
        (
            GOOD_MODEL.replace("value = 0.1,", "value = 0.1, reciprocal = 10,"),
            ValueError,
            r"models\.m\.ttft_s needs exactly one",
        ),
        (GOOD_MODEL.replace("value = 60.0", "value = 160.0"), ValueError, r"models\.m\.quality"),
        (
            GOOD_MODEL + '[combinations]\n"m+z" = { edge = "m", cloud = "z" }\n',
            ValueError,
            r"combinations\.m\+z\.cloud: unknown model 'z'",
        ),
        (GOOD_MODEL + "[extra]\n", ValueError, "unknown field extra"),
        ("[models.m\n", ValueError, "invalid TOML"),
    ]
    for text, exc, pattern in cases:
        p.write_text(text)
        with pytest.raises(exc, match=pattern):
            load_catalog(p)
