"""LLM catalog: generation timing (TTFT, TPOT) and quality of models, with sources.

The packaged catalog (``genoff/data/catalog.toml``) holds the models of the paper's Sec. IV and the
paper's four edge + cloud combinations (Fig. 5(d)-(f)), plus a few accelerators for
roofline estimates. Every number carries a ``source``; numbers the paper does not give are
marked ``estimated`` and their source says how they were estimated:

========================  ======  ========  =======  ==========================================
model                     TTFT s  TPOT s    MMLU     estimated
========================  ======  ========  =======  ==========================================
llama3-8b (edge)          0.23    1/75      68.4     -
gemma-7b (edge)           0.24    1/155     64.3     TTFT (Llama3-8B's, scaled by parameters)
llama2-7b (edge)          0.19    1/89      45.3     TTFT (Llama3-8B's, scaled by parameters)
gpt-4o (cloud)            0.42    1/32      88.7     parameter count
llama3-70b (cloud)        0.42    1/40      82.0     TTFT (GPT-4o's), TPOT (Llama2-70B's)
gemini-1.5-pro (cloud)    0.42    1/58      85.9     TTFT (GPT-4o's), parameter count
llama2-70b (cloud)        0.42    1/40      68.9     TTFT (GPT-4o's)
========================  ======  ========  =======  ==========================================

With these, Gemma 7B + Gemini 1.5 Pro has the lowest generation time of the four
combinations for a 1000-token output, as the paper reports (Sec. IV-B).

The generation time of ``n`` output tokens is ``ttft_s + n * tpot_s`` (eq. 3,
:meth:`LLMModel.generation_time_s`).

**Roofline option** (:func:`roofline_timing`): TTFT and TPOT of a dense decoder from its
size and an accelerator's peak FLOP/s and memory bandwidth: prefill is compute-bound
(``2 * params * prompt_tokens`` FLOPs), decode is memory-bandwidth-bound (every output
token reads all weights, ``params * bytes_per_param`` bytes), each at a fraction
``efficiency`` of the peak. :meth:`Catalog.roofline_model` builds a catalog entry that way
and :meth:`Catalog.with_model` adds it::

    cat = load_catalog()
    orin = cat.roofline_model("llama3-8b", "jetson-orin", name="llama3-8b@orin")
    cat = cat.with_model(orin)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from genoff._util import validate

__all__ = [
    "LLMModel",
    "Hardware",
    "Catalog",
    "load_catalog",
    "roofline_timing",
    "MODEL_FIELDS",
    "HARDWARE_FIELDS",
]

# The numeric fields of each kind of entry, each with a source, and their bounds.
_MODEL_BOUNDS: dict[str, dict[str, float]] = {
    "ttft_s": {"ge": 0.0},
    "tpot_s": {"gt": 0.0},
    "quality": {"ge": 0.0, "le": 100.0},
    "params_b": {"gt": 0.0},
}
_HARDWARE_BOUNDS: dict[str, dict[str, float]] = {
    "peak_flops": {"gt": 0.0},
    "mem_bw_bytes_s": {"gt": 0.0},
    "memory_gb": {"gt": 0.0},
}
#: Numeric fields of a model entry, each with a source.
MODEL_FIELDS: tuple[str, ...] = tuple(_MODEL_BOUNDS)
#: Numeric fields of a hardware entry, each with a source.
HARDWARE_FIELDS: tuple[str, ...] = tuple(_HARDWARE_BOUNDS)


def _sources(where: str, source: Any, estimated: Any, fields: tuple[str, ...]):
    if not isinstance(source, Mapping):
        raise TypeError(f"{where}.source must be a mapping field -> str")
    src = {}
    for k, v in source.items():
        if k not in fields:
            raise ValueError(
                f"{where}.source has unknown field {k!r} (fields: {', '.join(fields)})"
            )
        src[k] = validate.string(f"{where}.source.{k}", v, nonempty=True, type_error=ValueError)
    for k in fields:
        src.setdefault(k, "user-supplied")
    if isinstance(estimated, str) or not isinstance(estimated, Iterable):
        raise TypeError(f"{where}.estimated must be a tuple of field names")
    est = tuple(estimated)
    for k in est:
        if k not in fields:
            raise ValueError(
                f"{where}.estimated has unknown field {k!r} (fields: {', '.join(fields)})"
            )
    return src, est


@dataclass(frozen=True)
class _Entry:
    """What a catalog entry shares: its name, a source per number, the numbers that are
    estimates and a display name; the subclasses add their numbers (``_BOUNDS``: field ->
    bounds) after ``name``, so those stay positional."""

    _SECTION: ClassVar[str] = ""
    _BOUNDS: ClassVar[dict[str, dict[str, float]]] = {}

    name: str
    _: KW_ONLY
    source: dict[str, str] = field(default_factory=dict)
    estimated: tuple[str, ...] = ()
    display_name: str = ""

    def __post_init__(self) -> None:
        validate.string(
            f"{type(self).__name__}.name", self.name, nonempty=True, type_error=ValueError
        )
        where = f"{self._SECTION}.{self.name}"
        for key, limits in self._BOUNDS.items():
            value = validate.real(f"{where}.{key}", getattr(self, key), **limits)
            object.__setattr__(self, key, value)
        src, est = _sources(where, self.source, self.estimated, tuple(self._BOUNDS))
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "estimated", est)
        validate.string(f"{where}.display_name", self.display_name)
        if not self.display_name:
            object.__setattr__(self, "display_name", self.name)

    def _identity(self) -> int:
        """The hash of the name and the numbers (``source`` is a dict)."""
        return hash((self.name, *(getattr(self, key) for key in self._BOUNDS)))


@dataclass(frozen=True)
class LLMModel(_Entry):
    """One LLM's generation timing and quality.

    Attributes:
        name: catalog key, e.g. ``"llama3-8b"``.
        ttft_s: time to first token (s), >= 0.
        tpot_s: time per output token (s), > 0.
        quality: quality index (MMLU 5-shot, %, 0-100), compared with ``tau_req`` in (4e).
        params_b: parameters (billions), > 0.
        source: field -> where its number comes from (fields not given: ``"user-supplied"``).
        estimated: the fields whose numbers are estimates.
        display_name: name for tables and plots (defaults to ``name``).

    ``source``, ``estimated`` and ``display_name`` are keyword-only.
    """

    _SECTION: ClassVar[str] = "models"
    _BOUNDS: ClassVar[dict[str, dict[str, float]]] = _MODEL_BOUNDS

    ttft_s: float
    tpot_s: float
    quality: float
    params_b: float

    __hash__ = _Entry._identity

    def generation_time_s(self, n_tokens):
        """``ttft_s + n_tokens * tpot_s`` (eq. 3), for a number or an array of token counts."""
        return self.ttft_s + n_tokens * self.tpot_s

    @property
    def tokens_per_s(self) -> float:
        """Output speed, ``1 / tpot_s``."""
        return 1.0 / self.tpot_s


@dataclass(frozen=True)
class Hardware(_Entry):
    """An accelerator for :func:`roofline_timing`.

    Attributes:
        name: catalog key, e.g. ``"h100-sxm"``.
        peak_flops: dense BF16 peak (FLOP/s).
        mem_bw_bytes_s: memory bandwidth (byte/s).
        memory_gb: memory (GB, 1e9 bytes).
        source: field -> source; estimated: fields that are estimates; display_name
            (keyword-only).
    """

    _SECTION: ClassVar[str] = "hardware"
    _BOUNDS: ClassVar[dict[str, dict[str, float]]] = _HARDWARE_BOUNDS

    peak_flops: float
    mem_bw_bytes_s: float
    memory_gb: float

    __hash__ = _Entry._identity


def roofline_timing(
    params_b: float,
    peak_flops: float,
    mem_bw_bytes_s: float,
    *,
    bytes_per_param: float = 2.0,
    prompt_tokens: int = 512,
    efficiency: float = 0.5,
) -> tuple[float, float]:
    """TTFT and TPOT of a dense decoder-only model from a roofline.

    ::

        ttft_s = 2 * params * prompt_tokens / (peak_flops * efficiency)   # prefill, compute-bound
        tpot_s = params * bytes_per_param / (mem_bw_bytes_s * efficiency)  # decode, bandwidth-bound

    with ``params = params_b * 1e9``. Prefill does ~2 FLOPs per parameter per prompt token
    (one multiply-add); a batch-1 decode step streams every weight from memory once. Ignored:
    attention's quadratic FLOPs and the KV-cache reads (small for short contexts), batching
    (which amortizes decode reads over requests), network and queueing. Mixture-of-experts
    models would need their *active* parameters.

    Args:
        params_b: parameters (billions), > 0.
        peak_flops: accelerator peak (FLOP/s) at the weights' precision, > 0.
        mem_bw_bytes_s: memory bandwidth (byte/s), > 0.
        bytes_per_param: 2 for BF16/FP16, 1 for INT8/FP8, 0.5 for 4-bit.
        prompt_tokens: prompt length processed by the prefill (tokens), >= 1.
        efficiency: achieved fraction of both peaks, in (0, 1].

    Returns:
        ``(ttft_s, tpot_s)``.
    """
    params = validate.real("params_b", params_b, gt=0.0) * 1e9
    peak = validate.real("peak_flops", peak_flops, gt=0.0)
    bw = validate.real("mem_bw_bytes_s", mem_bw_bytes_s, gt=0.0)
    bpp = validate.real("bytes_per_param", bytes_per_param, gt=0.0)
    tokens = validate.integer("prompt_tokens", prompt_tokens, ge=1)
    eff = validate.real("efficiency", efficiency, gt=0.0, le=1.0)
    ttft = 2.0 * params * tokens / (peak * eff)
    tpot = params * bpp / (bw * eff)
    return ttft, tpot


class Catalog(Mapping[str, LLMModel]):
    """Models by name (a read-only mapping), with combinations and hardware.

    Attributes:
        combinations: name -> ``(edge, cloud)`` model names, e.g.
            ``"llama3-8b+gpt-4o" -> ("llama3-8b", "gpt-4o")``.
        hardware: name -> :class:`Hardware`.
    """

    def __init__(
        self,
        models: Mapping[str, LLMModel] | Iterable[LLMModel],
        combinations: Mapping[str, tuple[str, str]] | None = None,
        hardware: Mapping[str, Hardware] | None = None,
    ) -> None:
        items = models.values() if isinstance(models, Mapping) else models
        self._models: dict[str, LLMModel] = {}
        for m in items:
            if not isinstance(m, LLMModel):
                raise TypeError(f"models must be LLMModel instances, got {type(m).__name__}")
            self._models[m.name] = m
        self.combinations: dict[str, tuple[str, str]] = {}
        for name, pair in (combinations or {}).items():
            if isinstance(pair, str) or len(pair) != 2:
                raise ValueError(f"combinations.{name} must be an (edge, cloud) pair, got {pair!r}")
            for role, model in zip(("edge", "cloud"), pair, strict=True):
                if model not in self._models:
                    raise ValueError(
                        f"combinations.{name}.{role}: unknown model {model!r} "
                        f"(known: {', '.join(self._models)})"
                    )
            self.combinations[name] = (pair[0], pair[1])
        self.hardware: dict[str, Hardware] = dict(hardware or {})

    def __getitem__(self, name: str) -> LLMModel:
        try:
            return self._models[name]
        except (KeyError, TypeError):
            raise KeyError(f"unknown model {name!r} (known: {', '.join(self._models)})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        return f"Catalog(models={list(self._models)}, combinations={list(self.combinations)})"

    def combination(self, name: str) -> tuple[LLMModel, LLMModel]:
        """The ``(edge, cloud)`` models of a combination; ``KeyError`` lists the known ones."""
        if name not in self.combinations:
            raise KeyError(f"unknown combination {name!r} (known: {', '.join(self.combinations)})")
        edge, cloud = self.combinations[name]
        return self._models[edge], self._models[cloud]

    def with_model(self, model: LLMModel) -> Catalog:
        """A new catalog with ``model`` added (or replacing the entry of the same name)."""
        if not isinstance(model, LLMModel):
            raise TypeError(f"model must be an LLMModel, got {type(model).__name__}")
        models = dict(self._models)
        models[model.name] = model
        return Catalog(models, self.combinations, self.hardware)

    def roofline_model(
        self,
        model: str | LLMModel,
        hardware: str | Hardware,
        *,
        name: str | None = None,
        bytes_per_param: float = 2.0,
        prompt_tokens: int = 512,
        efficiency: float = 0.5,
    ) -> LLMModel:
        """A copy of ``model`` whose TTFT and TPOT come from :func:`roofline_timing` on
        ``hardware`` (both catalog names or objects). The new entry is named ``name``
        (default ``"<model>@<hardware>"``); its timing is marked estimated."""
        m = self[model] if isinstance(model, str) else model
        if isinstance(hardware, str):
            if hardware not in self.hardware:
                raise KeyError(f"unknown hardware {hardware!r} (known: {', '.join(self.hardware)})")
            hw = self.hardware[hardware]
        else:
            hw = hardware
        ttft, tpot = roofline_timing(
            m.params_b,
            hw.peak_flops,
            hw.mem_bw_bytes_s,
            bytes_per_param=bytes_per_param,
            prompt_tokens=prompt_tokens,
            efficiency=efficiency,
        )
        how = (
            f"estimate: roofline on {hw.name} ({m.params_b:g} B params, {bytes_per_param:g} "
            f"byte/param, {prompt_tokens} prompt tokens, efficiency {efficiency:g})"
        )
        source = dict(m.source)
        source["ttft_s"] = how
        source["tpot_s"] = how
        estimated = tuple(dict.fromkeys((*m.estimated, "ttft_s", "tpot_s")))
        new_name = name if name is not None else f"{m.name}@{hw.name}"
        return LLMModel(
            name=new_name,
            ttft_s=ttft,
            tpot_s=tpot,
            quality=m.quality,
            params_b=m.params_b,
            source=source,
            estimated=estimated,
            display_name=f"{m.display_name} @ {hw.display_name}" if name is None else new_name,
        )


# ---------------------------------------------------------------------------------------
# Loading the TOML file


def _sourced(where: str, entry: Any) -> tuple[float, str, bool]:
    """Parse ``{value = x | reciprocal = x, source = "...", estimated = bool}``."""
    if not isinstance(entry, Mapping):
        raise TypeError(
            f'{where} must be a table {{ value = ..., source = "..." }}, got {type(entry).__name__}'
        )
    for key in entry:
        if key not in ("value", "reciprocal", "source", "estimated"):
            raise ValueError(f"unknown field {where}.{key}")
    if ("value" in entry) == ("reciprocal" in entry):
        raise ValueError(f"{where} needs exactly one of value or reciprocal")
    if "value" in entry:
        value = validate.real(f"{where}.value", entry["value"])
    else:
        value = 1.0 / validate.real(f"{where}.reciprocal", entry["reciprocal"], gt=0.0)
    source = validate.string(
        f"{where}.source", entry.get("source"), nonempty=True, type_error=ValueError
    )
    estimated = validate.boolean(f"{where}.estimated", entry.get("estimated", False))
    return value, source, estimated


def _entry(section: str, name: str, table: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    where = f"{section}.{name}"
    if not isinstance(table, Mapping):
        raise TypeError(f"{where} must be a table")
    for key in table:
        if key not in (*fields, "display_name"):
            raise ValueError(f"unknown field {where}.{key}")
    kwargs: dict[str, Any] = {"name": name, "source": {}, "estimated": []}
    for f in fields:
        if f not in table:
            raise ValueError(f"{where}.{f} is missing")
        value, source, est = _sourced(f"{where}.{f}", table[f])
        kwargs[f] = value
        kwargs["source"][f] = source
        if est:
            kwargs["estimated"].append(f)
    kwargs["display_name"] = table.get("display_name", "")  # checked by the entry
    return kwargs


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load the LLM catalog: the packaged ``genoff/data/catalog.toml`` or ``path``.

    The file has ``[models.<name>]`` tables with ``ttft_s``, ``tpot_s``, ``quality``,
    ``params_b`` (each ``{ value = x | reciprocal = x, source = "...", estimated = bool }``)
    and an optional ``display_name``; a ``[combinations]`` table of
    ``"<name>" = { edge = "...", cloud = "..." }``; and ``[hardware.<name>]`` tables with
    ``peak_flops``, ``mem_bw_bytes_s``, ``memory_gb``. Errors name the entry and field.
    """
    if path is None:
        text = (resources.files("genoff") / "data" / "catalog.toml").read_text(encoding="utf-8")
        where = "genoff/data/catalog.toml"
    else:
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        where = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{where}: invalid TOML: {e}") from None
    for key in data:
        if key not in ("models", "combinations", "hardware"):
            raise ValueError(f"unknown field {key} (in {where})")
    models_t = data.get("models", {})
    if not isinstance(models_t, Mapping) or not models_t:
        raise ValueError(f"{where}: models must be a non-empty table")
    models = [LLMModel(**_entry("models", n, t, MODEL_FIELDS)) for n, t in models_t.items()]
    combos: dict[str, tuple[str, str]] = {}
    for name, pair in data.get("combinations", {}).items():
        if not isinstance(pair, Mapping) or set(pair) != {"edge", "cloud"}:
            raise ValueError(
                f'combinations.{name} must be {{ edge = "...", cloud = "..." }}, got {pair!r}'
            )
        combos[name] = (pair["edge"], pair["cloud"])
    hardware = {
        n: Hardware(**_entry("hardware", n, t, HARDWARE_FIELDS))
        for n, t in data.get("hardware", {}).items()
    }
    return Catalog(models, combos, hardware)
