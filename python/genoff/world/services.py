"""The paper's service types (Sec. IV-A): a leaf that the scenario, the task generator, the
prompt builder and the observation all read.

Quality requirements per service type are scenario settings
(:attr:`genoff.world.scenario.TasksConfig.quality_requirement`).
"""

from __future__ import annotations

__all__ = ["SERVICE_TYPES", "REGULAR", "QUALITY_PREFERRED"]

#: Service types, in the order of :attr:`genoff.world.tasks.Requests.service` indices.
SERVICE_TYPES: tuple[str, ...] = (
    "chatting",
    "translation",
    "summarization",
    "science_reasoning",
    "coding",
)
#: Regular service types (paper Sec. IV-A): satisfied by a small edge model.
REGULAR: tuple[str, ...] = SERVICE_TYPES[:3]
#: Quality-preferred service types (paper Sec. IV-A): need a large cloud model.
QUALITY_PREFERRED: tuple[str, ...] = SERVICE_TYPES[3:]
