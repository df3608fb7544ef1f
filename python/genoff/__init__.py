"""genoff: generation-task offloading for LLM services in a 6G edge-cloud.

The compiled core (`genoff.core`) computes the multi-cell downlink of the paper's model
(SINR, Shannon rate, proportional-fair scheduling, multi-TTI runs) and the delay and reward
of offloading decisions; `genoff._reference` is its NumPy twin. Heavy optional dependencies
(torch, transformers) are never imported here.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("genoff")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
