"""genoff.world.tasks: service mix, token-length distributions, size estimates and levels."""

from __future__ import annotations

import numpy as np
import pytest

from genoff.world.scenario import TasksConfig
from genoff.world.tasks import (
    QUALITY_PREFERRED,
    REGULAR,
    SERVICE_TYPES,
    Requests,
    TaskGenerator,
    sample_tokens,
)

N = 200_000


def _gen(**kw) -> TaskGenerator:
    return TaskGenerator(TasksConfig(**kw))


def test_service_types():
    assert SERVICE_TYPES == (
        "chatting",
        "translation",
        "summarization",
        "science_reasoning",
        "coding",
    )
    assert QUALITY_PREFERRED == ("science_reasoning", "coding")
    assert REGULAR + QUALITY_PREFERRED == SERVICE_TYPES


@pytest.mark.parametrize("dist", ["lognormal", "uniform", "exponential", "fixed"])
def test_token_distribution_mean(dist):
    g = _gen(token_distribution=dist, token_cv=0.5, max_tokens=100_000)
    r = g.sample(np.random.default_rng(1), np.arange(N))
    assert r.n_tokens.dtype == np.int64
    assert r.n_tokens.mean() == pytest.approx(1000.0, rel=0.015)
    assert r.n_tokens.min() >= 1
    cv = {"lognormal": 0.5, "uniform": 0.5, "exponential": 1.0, "fixed": 0.0}[dist]
    assert r.n_tokens.std() / r.n_tokens.mean() == pytest.approx(cv, abs=0.02)
    if dist == "fixed":
        np.testing.assert_array_equal(r.n_tokens, 1000)


def test_token_clipping_and_other_means():
    rng = np.random.default_rng(2)
    x = sample_tokens(
        rng, N, mean=1000.0, distribution="exponential", cv=1.0, min_tokens=200, max_tokens=4096
    )
    assert x.min() == 200 and x.max() == 4096
    y = sample_tokens(
        rng, N, mean=300.0, distribution="lognormal", cv=0.3, min_tokens=1, max_tokens=10_000
    )
    assert y.mean() == pytest.approx(300.0, rel=0.01)
    # the default configuration (lognormal, cv 0.5, clipped to [1, 4096]) keeps the mean of 1000
    r = TaskGenerator(TasksConfig()).sample(rng, np.arange(N))
    assert r.n_tokens.mean() == pytest.approx(1000.0, rel=0.01)
    with pytest.raises(ValueError, match="token_distribution"):
        sample_tokens(rng, 3, mean=1.0, distribution="zipf", cv=1.0, min_tokens=1, max_tokens=2)


def test_quality_preferred_share_and_services():
    g = _gen(quality_preferred_share=0.4)
    r = g.sample(np.random.default_rng(3), np.arange(N))
    assert r.quality_preferred.mean() == pytest.approx(0.4, abs=0.005)
    qp_idx = [SERVICE_TYPES.index(s) for s in QUALITY_PREFERRED]
    np.testing.assert_array_equal(r.quality_preferred, np.isin(r.service, qp_idx))
    counts = np.bincount(r.service, minlength=5) / N
    np.testing.assert_allclose(counts[:3], 0.6 / 3, atol=0.005)  # uniform within a class
    np.testing.assert_allclose(counts[3:], 0.4 / 2, atol=0.005)
    qr = TasksConfig().quality_requirement
    np.testing.assert_array_equal(r.quality_req, [qr[SERVICE_TYPES[s]] for s in r.service])
    for share in (0.0, 1.0):
        r = _gen(quality_preferred_share=share).sample(np.random.default_rng(4), np.arange(1000))
        assert r.quality_preferred.all() == bool(share) and r.quality_preferred.any() == bool(share)


def test_levels_monotone_in_estimate():
    g = _gen(size_estimate_noise=0.3, token_distribution="exponential")
    r = g.sample(np.random.default_rng(5), np.arange(50_000))
    order = np.argsort(r.est_tokens, kind="stable")
    assert np.all(np.diff(r.size_level[order]) >= 0)
    assert set(np.unique(r.size_level)) == {0, 1, 2}
    # edges (600, 1400): short < 600 <= middle < 1400 <= long
    np.testing.assert_array_equal(
        g.size_level([0.0, 599.9, 600.0, 1399.9, 1400.0, 1e6]), [0, 0, 1, 1, 2, 2]
    )
    i = int(np.argmax(r.size_level == 2))
    assert r.level_name(i) == "long"
    assert r.service_name(i) == SERVICE_TYPES[r.service[i]]


def test_size_estimate_noise():
    exact = _gen().sample(np.random.default_rng(6), np.arange(N))
    np.testing.assert_array_equal(exact.est_tokens, exact.n_tokens)
    assert exact.est_tokens.dtype == np.float64
    noisy = _gen(size_estimate_noise=0.3).sample(np.random.default_rng(6), np.arange(N))
    # common random numbers: the same services and true sizes as without noise
    np.testing.assert_array_equal(noisy.n_tokens, exact.n_tokens)
    np.testing.assert_array_equal(noisy.service, exact.service)
    ratio = noisy.est_tokens / noisy.n_tokens
    assert np.all(noisy.est_tokens >= 0)
    assert ratio.mean() == pytest.approx(1.0, abs=0.005)
    assert ratio.std() == pytest.approx(0.3, rel=0.03)


def test_determinism_and_arrivals():
    g = _gen(requests_per_step=3, size_estimate_noise=0.2)
    users = np.array([4, 1, 7])
    a = g.sample(np.random.default_rng(7), users)
    b = g.sample(np.random.default_rng(7), users)
    assert len(a) == 9
    np.testing.assert_array_equal(a.user, [4, 4, 4, 1, 1, 1, 7, 7, 7])
    for f in (
        "user",
        "service",
        "quality_preferred",
        "quality_req",
        "n_tokens",
        "est_tokens",
        "size_level",
    ):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    c = g.sample(np.random.default_rng(8), users)
    assert not np.array_equal(a.n_tokens, c.n_tokens)
    sub = a.take(a.quality_preferred)
    assert len(sub) == int(a.quality_preferred.sum()) and sub.quality_preferred.all()
    empty = g.sample(np.random.default_rng(0), np.array([], dtype=np.int64))
    assert len(empty) == 0


def test_errors():
    with pytest.raises(TypeError, match="cfg"):
        TaskGenerator({"mean_output_tokens": 1000})  # type: ignore[arg-type]
    g = _gen()
    with pytest.raises(TypeError, match="rng"):
        g.sample(np.random.RandomState(0), np.arange(3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="users"):
        g.sample(np.random.default_rng(0), np.zeros((2, 2), dtype=int))
    with pytest.raises(TypeError, match="users"):
        g.sample(np.random.default_rng(0), np.array([0.5]))
    with pytest.raises(ValueError, match="Requests.service"):
        Requests(
            user=np.arange(3),
            service=np.arange(2),
            quality_preferred=np.zeros(3, bool),
            quality_req=np.zeros(3),
            n_tokens=np.ones(3),
            est_tokens=np.ones(3),
            size_level=np.zeros(3),
        )
