"""TransformersBackend on CPU with the embedded SmolLM2-135M: scoring equals a naive full
forward, prefix-cache reuse, batching, chat framing, nf4, argument checks; genoff profile-llm."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402  (the llm extra: a missing one fails, never skips)

from genoff.deciders.icl import PrioritizedPool, PromptBuilder  # noqa: E402
from genoff.llm.embedded import embedded_model_path  # noqa: E402
from genoff.llm.hf import TransformersBackend  # noqa: E402

CANDIDATES = [" local", " offload"]
Q = PromptBuilder().query


def fresh(embedded, **kwargs) -> TransformersBackend:
    """A backend on the same weights with empty caches and stats."""
    return TransformersBackend.from_model(
        embedded.model, embedded.tokenizer, device="cpu", **kwargs
    )


def small_prefix(n_examples: int = 3) -> str:
    pool = PrioritizedPool()
    rows = [
        (("chatting", "short"), "local", 33.0),
        (("coding", "long"), "offload", 21.5),
        (("translation", "middle"), "local", 30.25),
        (("science reasoning", "short"), "offload", 19.0),
    ]
    for kw, d, r in rows[:n_examples]:
        pool.add(kw, d, r, False)
    return PromptBuilder().prefix(pool.examples())


def naive_scores(model, tok, prefix, suffixes, candidates, *, head="", tail="") -> np.ndarray:
    """Log-probabilities by one full forward per (suffix, candidate), no cache, no batch.

    The sequence is tokens(head + prefix) + tokens(suffix + tail + candidate); the candidate's
    tokens are those beyond the tokens it shares with tokens(suffix + tail).
    """
    pids = tok(head + prefix, add_special_tokens=True)["input_ids"]
    out = np.zeros((len(suffixes), len(candidates)))
    for i, s in enumerate(suffixes):
        ctx = tok(s + tail, add_special_tokens=False)["input_ids"]
        for j, c in enumerate(candidates):
            full = tok(s + tail + c, add_special_tokens=False)["input_ids"]
            n = 0
            while n < min(len(ctx), len(full)) and ctx[n] == full[n]:
                n += 1
            ids = torch.tensor([pids + full])
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), dim=-1)
            out[i, j] = sum(float(logp[len(pids) + k - 1, full[k]]) for k in range(n, len(full)))
    return out


def test_candidate_tokenization_covers_multi_token_candidates(embedded):
    tok = embedded.tokenizer
    assert len(tok(" local", add_special_tokens=False)["input_ids"]) == 1
    assert len(tok(" offload", add_special_tokens=False)["input_ids"]) == 2


SHORT = "Answer with one word, local or offload.\n\n"


@pytest.mark.parametrize(
    "prefix, suffixes, candidates",
    [
        # the real prompt and queries; " offload" is 2 tokens, the last candidate several
        (small_prefix(), [Q(("coding", "long")), Q(("chatting", "short"))],
         [" local", " offload", " offload to the cloud"]),
        # a trailing space merges with the candidate's first token (BPE seam)
        (SHORT, [Q(("coding", "long")) + " ", "Decision:"], [" local", "local", " offload"]),
        # a suffix that merges completely: the first candidate token is read from the prefix
        (SHORT, [" ", "Keywords"], ["local", "offload"]),
        # single-token candidates only: one row per suffix
        (SHORT, [Q(("coding", "long")), Q(("translation", "short"))], [" local", " yes"]),
    ],
    ids=["icl-prompt", "bpe-seam", "suffix-merges", "single-tokens"],
)
def test_score_equals_a_naive_full_forward(embedded, prefix, suffixes, candidates):
    got = fresh(embedded).score(prefix, suffixes, candidates)
    want = naive_scores(embedded.model, embedded.tokenizer, prefix, suffixes, candidates)
    assert got.shape == (len(suffixes), len(candidates)) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, atol=2e-4, rtol=0)


def test_chat_backend_scores_equal_a_naive_forward_of_the_chat_prompt(embedded):
    tok = embedded.tokenizer
    marker = "@@@"
    text = tok.apply_chat_template([{"role": "user", "content": marker}], tokenize=False,
                                   add_generation_prompt=True)
    head, tail = text.split(marker)
    assert "<|im_start|>assistant" in tail
    prefix = small_prefix(1)
    suffixes = [Q(("coding", "long")), Q(("chatting", "middle"))]
    chat = fresh(embedded, chat=True)
    got = chat.score(prefix, suffixes, CANDIDATES)
    # candidates start the assistant's answer: no leading space
    want = naive_scores(embedded.model, tok, prefix, suffixes, ["local", "offload"], head=head,
                        tail=tail)
    np.testing.assert_allclose(got, want, atol=2e-4, rtol=0)
    assert not np.allclose(got, fresh(embedded).score(prefix, suffixes, CANDIDATES), atol=0.1)
    assert isinstance(chat.generate(prefix + suffixes[0], max_new_tokens=3), str)


def test_prefix_cache_is_reused_and_gives_the_same_scores(embedded):
    b = fresh(embedded)
    p1, p2 = small_prefix(3), small_prefix(4)  # p2 = p1 with one more example
    n1 = len(embedded.tokenizer(p1)["input_ids"])
    suffixes = [Q(("coding", "long")), Q(("chatting", "short")), Q(("coding", "middle"))]

    s1 = b.score(p1, suffixes, CANDIDATES)
    # the prefix, plus the tokens every suffix starts with ("Keywords: (") folded into it
    first = b.stats["prefix_tokens"]
    assert n1 <= first <= n1 + 8
    s1_again = b.score(p1, suffixes, CANDIDATES)
    assert b.stats["prefix_reuses"] == 1
    assert b.stats["prefix_tokens"] == first  # nothing re-run
    np.testing.assert_array_equal(s1_again, s1)

    # a prefix that shares its beginning runs only its new tokens ...
    s2 = b.score(p2, suffixes, CANDIDATES)
    n2 = len(embedded.tokenizer(p2)["input_ids"])
    assert first < b.stats["prefix_tokens"] < first + n2
    # ... and scores as if computed from scratch, both ways
    scratch = fresh(embedded).score(p2, suffixes, CANDIDATES)
    np.testing.assert_allclose(s2, scratch, atol=1e-4, rtol=0)
    np.testing.assert_allclose(b.score(p1, suffixes, CANDIDATES), s1, atol=1e-4, rtol=0)


def test_max_batch_one_equals_one_large_batch(embedded):
    prefix = small_prefix(2)
    # different lengths, so the large batch pads
    suffixes = [Q(("coding", "long")), Q(("science reasoning", "middle")), Q(("N/A",)),
                Q(("chatting", "short")), Q(("coding", "long"))]
    one = fresh(embedded, max_batch=1)
    big = fresh(embedded, max_batch=64)
    a = one.score(prefix, suffixes, CANDIDATES)
    b = big.score(prefix, suffixes, CANDIDATES)
    assert one.stats["forward_passes"] > big.stats["forward_passes"] == 1
    np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
    np.testing.assert_array_equal(a[0], a[4])  # the same query, the same scores


def test_score_edge_cases(embedded):
    b = fresh(embedded)
    assert b.score(small_prefix(1), [], CANDIDATES).shape == (0, 2)
    with pytest.raises(TypeError):
        b.score(small_prefix(1), "Keywords: (coding, long); Decision:", CANDIDATES)
    with pytest.raises(ValueError, match="candidates"):
        b.score(small_prefix(1), [Q(("coding", "long"))], [])


def test_generate_returns_greedy_text(embedded):
    prompt = small_prefix(2) + Q(("coding", "long"))
    a = embedded.generate(prompt, max_new_tokens=3)
    assert isinstance(a, str) and a
    assert embedded.generate(prompt, max_new_tokens=3) == a  # greedy: deterministic


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        ({"quantization": "fp8"}, "quantization"),
        ({"quantization": "4bit"}, "quantization"),
        ({"max_batch": 0}, "max_batch"),
        ({"max_batch": 2.0}, "max_batch"),
        ({"max_batch": True}, "max_batch"),
        ({"dtype": "nope"}, "dtype"),
        ({"dtype": "Tensor"}, "dtype"),
    ],
)
def test_bad_args_raise_naming_them(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        TransformersBackend(embedded_model_path(), **kwargs)


def test_nf4_on_cpu_loads_and_scores_close_to_fp32(embedded):
    import bitsandbytes as bnb

    q = TransformersBackend(embedded_model_path(), quantization="nf4")
    assert q.config()["quantization"] == "nf4"
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in q.model.modules())
    builder = PromptBuilder()
    keywords = [(s, lvl) for s in ("chatting", "summarization", "coding")
                for lvl in ("short", "long")]
    queries = [builder.query(kw) for kw in keywords]
    for decision in ("local", "offload"):
        pool = PrioritizedPool()
        for kw in keywords:
            pool.add(kw, decision, 20.0, False)
        prefix = builder.prefix(pool.examples())
        a = embedded.score(prefix, queries, CANDIDATES)
        b = q.score(prefix, queries, CANDIDATES)
        assert np.isfinite(b).all()
        # with clear examples both follow them; the winner's log-prob moves by < 1 nat
        assert (a.argmax(1) == b.argmax(1)).all()
        assert (b.argmax(1) == (decision == "offload")).all()
        win = a.argmax(1)
        rows = np.arange(len(queries))
        assert np.abs(a[rows, win] - b[rows, win]).max() < 1.0
        assert not np.allclose(a, b, atol=1e-3)  # really quantized


def test_llm_prior_decides_with_an_nf4_backend(embedded):
    """The recommended decider on a 4-bit model: a finite prior for every keyword tuple,
    close in rank to the fp32 model's, and a run without fallbacks."""
    from genoff import experiments
    from genoff.deciders.llm_prior import LLMPriorDecider
    from genoff.world.scenario import load_scenario

    q = TransformersBackend(embedded_model_path(), quantization="nf4")
    d4 = LLMPriorDecider(q, seed=0)
    p4, p32 = d4.prior(), LLMPriorDecider(embedded, seed=0).prior()
    assert set(p4) == set(p32) == set(PromptBuilder().vocabulary())
    keys = sorted(p32)
    rank_corr = np.corrcoef(np.argsort(np.argsort([p4[k] for k in keys])),
                            np.argsort(np.argsort([p32[k] for k in keys])))[0, 1]
    assert rank_corr > 0.6
    r = experiments.run(load_scenario("paper"), d4, steps=2, seed=0, n_threads=1)
    assert r.meta["decider_stats"]["fallbacks"] == 0


def test_profile_llm_writes_a_catalog_entry(tmp_path, capsys):
    from genoff.world.catalog import load_catalog
    from genoff.cli import main

    out = tmp_path / "edge.toml"
    args = ["profile-llm", "--model", str(embedded_model_path()), "--prompt-tokens", "32",
            "--new-tokens", "4", "--repeats", "3", "--out", str(out)]
    assert main(args) == 0
    catalog = load_catalog(out)
    (name,) = list(catalog)
    model = catalog[name]
    # the folder name made a bare TOML key (its dots would have nested tables)
    assert re.fullmatch(r"smollm2-135m-instruct[a-z0-9_-]*", name), name
    assert model.ttft_s > 0 and model.tpot_s > 0
    assert 0.1 < model.params_b < 0.2  # 135M parameters
    assert "genoff profile-llm" in model.source["ttft_s"]
    assert "quality" in model.estimated
    # an existing --out is never overwritten
    before = out.read_bytes()
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert "exists" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_catalog_entry_is_valid_toml_for_any_name(tmp_path):
    from genoff.world.catalog import load_catalog
    from genoff.llm.profile import Profile, catalog_entry

    p = Profile(name='my.model "v2"', ttft_s=0.25, tpot_s=0.0125, params_b=8.0, prompt_tokens=256,
                new_tokens=32, repeats=3, device="cuda", hardware='GPU "X" 80GB')
    path = tmp_path / "c.toml"
    path.write_text(catalog_entry(p, quality=68.4, quality_source='model card "MMLU"'))
    m = load_catalog(path)['my.model "v2"']
    assert (m.ttft_s, m.tpot_s, m.quality, m.params_b) == (0.25, 0.0125, 68.4, 8.0)
    assert 'GPU "X" 80GB' in m.source["tpot_s"]
