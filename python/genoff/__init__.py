"""genoff: generation-task offloading for LLM services in a 6G edge-cloud.

The compiled core (`genoff.core`) computes the multi-cell downlink of the paper's model
(SINR, Shannon rate, proportional-fair scheduling, multi-TTI runs) and the delay and reward
of offloading decisions; `genoff._reference` is its NumPy twin. Heavy optional dependencies
(torch, transformers) are never imported here.

``import genoff`` registers the Gymnasium environment ``"genoff/Offload-v0"``
(:class:`genoff.envs.offload.OffloadEnv`, imported by ``gymnasium.make`` only), as Gymnasium
packages do.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("genoff")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "ENV_ID"]

#: The Gymnasium id of :class:`genoff.envs.offload.OffloadEnv`.
ENV_ID = "genoff/Offload-v0"
#: ``gymnasium.make``'s TimeLimit: the environment's own episode with its defaults (50 slots
#: of the paper scenario's 20 users), on whose last step it truncates itself.
ENV_MAX_EPISODE_STEPS = 50 * 20


def _register_env() -> None:
    """Register :data:`ENV_ID` with Gymnasium (idempotent; the entry point is a string, so
    nothing of the environment is imported before ``gymnasium.make``)."""
    try:
        import gymnasium
    except ModuleNotFoundError:  # pragma: no cover - gymnasium is a dependency
        return
    if ENV_ID not in gymnasium.envs.registry:
        gymnasium.register(
            id=ENV_ID, entry_point="genoff.envs.offload:OffloadEnv",
            max_episode_steps=ENV_MAX_EPISODE_STEPS,
        )


_register_env()
