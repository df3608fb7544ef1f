"""Shared test configuration: Hypothesis profiles, a seeded generator, the embedded LLM.

Hypothesis profiles (pick one with ``GENOFF_HYPOTHESIS_PROFILE=<name>``):

* ``default``: modest example counts so the whole suite stays well under a minute on two
  cores; no deadline (the first call of a kernel may pay for thread-pool start-up);
* ``thorough``: ten times the examples, for a nightly or pre-release run;
* ``fuzz``: the long fuzz campaign (tests marked ``fuzz`` run thousands of cases each):
  ``GENOFF_HYPOTHESIS_PROFILE=fuzz python -m pytest -m fuzz``.

Fuzz tests take their example count from the profile (they set no ``max_examples``), so
the normal run fuzzes each entry point a bounded number of times.
"""

from __future__ import annotations

import os

# Offline: models load from the installed packages only (set before anything imports
# huggingface_hub; an explicit HF_HUB_OFFLINE=0 in the environment wins).
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    max_examples=5000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
settings.load_profile(os.environ.get("GENOFF_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, so a failing test fails the same way every run."""
    return np.random.default_rng(20250801)


@pytest.fixture(scope="session")
def embedded():
    """The embedded SmolLM2 backend, loaded once per test session (ICL and LLM tests)."""
    from genoff.llm import default_backend

    return default_backend()
