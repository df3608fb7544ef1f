"""Gymnasium environments: :class:`genoff.envs.offload.OffloadEnv` (``"genoff/Offload-v0"``)."""

from genoff.envs.offload import OffloadEnv

__all__ = ["OffloadEnv"]
