"""Propagation of 3GPP TR 38.901 (V17) Sec. 7.4, UMa and UMi - Street Canyon: path loss
(Table 7.4.1-1) with its breakpoint distance, LOS probability (Table 7.4.2-1) and the
shadow-fading standard deviation (Table 7.4.1-1).

Not modelled: the UMa random effective environment height for ``h_ut_m >= 13 m``
(``h_E = 1 m`` is used throughout), indoor users and O2I penetration loss. Units: distances in
m, frequencies in GHz (``fc_ghz``), losses in dB.
"""

from __future__ import annotations

import numpy as np

from genoff._util.validate import real_array

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "MODELS",
    "pathloss_db",
    "breakpoint_distance_m",
    "los_probability",
    "shadowing_std_db",
]

#: Speed of light used by TR 38.901's breakpoint distance (Table 7.4.1-1, note 1).
SPEED_OF_LIGHT_M_S = 3.0e8
#: The scenarios of the tables: Urban Macro and Urban Micro - Street Canyon.
MODELS = ("uma", "umi")


def _model(scenario: str) -> str:
    if scenario not in MODELS:
        raise ValueError(f"scenario must be 'uma' or 'umi', got {scenario!r}")
    return scenario


def breakpoint_distance_m(fc_ghz, h_bs_m, h_ut_m) -> np.ndarray:
    """Breakpoint distance ``d'_BP = 4 h'_BS h'_UT f_c / c`` (m), Table 7.4.1-1 note 1.

    Effective heights ``h' = h - h_E`` with ``h_E = 1 m`` (UMi always; UMa for
    ``h_UT < 13 m``), ``f_c`` in Hz, ``c = 3.0e8 m/s``.
    """
    fc = real_array("fc_ghz", fc_ghz, gt=0.0)
    hb = real_array("h_bs_m", h_bs_m)
    hu = real_array("h_ut_m", h_ut_m)
    if not (np.all(hb > 1.0) and np.all(hu > 1.0)):
        raise ValueError("h_bs_m and h_ut_m must be > 1 m (effective heights h - 1 m > 0)")
    return 4.0 * (hb - 1.0) * (hu - 1.0) * fc * 1e9 / SPEED_OF_LIGHT_M_S


def pathloss_db(scenario: str, d3d_m, los, fc_ghz, h_bs_m, h_ut_m, d2d_m=None) -> np.ndarray:
    """Path loss (dB) of TR 38.901 Table 7.4.1-1, UMa or UMi - Street Canyon.

    With ``d3D``, ``d2D`` in m, ``f_c`` in GHz, ``d'_BP`` from :func:`breakpoint_distance_m`:

    UMa (``"uma"``)::

        PL1 = 28.0 + 22 log10(d3D) + 20 log10(fc)
        PL2 = 28.0 + 40 log10(d3D) + 20 log10(fc) - 9 log10(d'BP^2 + (hBS - hUT)^2)
        PL_LOS = PL1 if d2D <= d'BP else PL2
        PL'_NLOS = 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (hUT - 1.5)
        PL_NLOS = max(PL_LOS, PL'_NLOS)

    UMi - Street Canyon (``"umi"``)::

        PL1 = 32.4 + 21 log10(d3D) + 20 log10(fc)
        PL2 = 32.4 + 40 log10(d3D) + 20 log10(fc) - 9.5 log10(d'BP^2 + (hBS - hUT)^2)
        PL_LOS = PL1 if d2D <= d'BP else PL2
        PL'_NLOS = 35.3 log10(d3D) + 22.4 + 21.3 log10(fc) - 0.3 (hUT - 1.5)
        PL_NLOS = max(PL_LOS, PL'_NLOS)

    The formulas are applied as written also outside the table's validity range
    (``10 m <= d2D <= 5 km``); nothing is clipped.

    Args:
        scenario: ``"uma"`` or ``"umi"``.
        d3d_m: float [...] 3-D distance (m), > 0.
        los: bool [...] line of sight (broadcasts with ``d3d_m``).
        fc_ghz: carrier frequency (GHz).
        h_bs_m: BS height (m), > 1.
        h_ut_m: user height (m), > 1 (scalar or broadcasting with ``d3d_m``).
        d2d_m: float [...] 2-D distance (m); default ``sqrt(d3D^2 - (hBS - hUT)^2)``
            (0 where that is negative).

    Returns:
        float64 [...] path loss (dB), the broadcast shape of the inputs.
    """
    model = _model(scenario)
    d3d = real_array("d3d_m", d3d_m, gt=0.0)
    los = np.asarray(los)
    if los.dtype != np.bool_:
        raise TypeError(f"los must be a bool array, got dtype {los.dtype}")
    fc = real_array("fc_ghz", fc_ghz, gt=0.0)
    hb = real_array("h_bs_m", h_bs_m)
    hu = real_array("h_ut_m", h_ut_m)
    dh = hb - hu
    if d2d_m is None:
        d2d = np.sqrt(np.maximum(d3d * d3d - dh * dh, 0.0))
    else:
        d2d = real_array("d2d_m", d2d_m, ge=0.0)
    d_bp = breakpoint_distance_m(fc, hb, hu)
    log_d = np.log10(d3d)
    log_fc = np.log10(fc)
    if model == "uma":
        pl1 = 28.0 + 22.0 * log_d + 20.0 * log_fc
        pl2 = 28.0 + 40.0 * log_d + 20.0 * log_fc - 9.0 * np.log10(d_bp**2 + dh**2)
        pl_nlos = 13.54 + 39.08 * log_d + 20.0 * log_fc - 0.6 * (hu - 1.5)
    else:
        pl1 = 32.4 + 21.0 * log_d + 20.0 * log_fc
        pl2 = 32.4 + 40.0 * log_d + 20.0 * log_fc - 9.5 * np.log10(d_bp**2 + dh**2)
        pl_nlos = 35.3 * log_d + 22.4 + 21.3 * log_fc - 0.3 * (hu - 1.5)
    # [...]
    pl_los = np.where(d2d <= d_bp, pl1, pl2)
    return np.where(los, pl_los, np.maximum(pl_los, pl_nlos))


def los_probability(scenario: str, d2d_m, h_ut_m) -> np.ndarray:
    """LOS probability of TR 38.901 Table 7.4.2-1 (outdoor users).

    UMa::

        Pr = 1                                                     for d2D <= 18 m
        Pr = [18/d2D + exp(-d2D/63) (1 - 18/d2D)]
             * [1 + C'(hUT) 5/4 (d2D/100)^3 exp(-d2D/150)]          for d2D > 18 m
        C'(hUT) = 0 for hUT <= 13 m, ((hUT - 13)/10)^1.5 for 13 m < hUT <= 23 m

    UMi - Street Canyon::

        Pr = 1                                                     for d2D <= 18 m
        Pr = 18/d2D + exp(-d2D/36) (1 - 18/d2D)                    for d2D > 18 m

    Args:
        scenario: ``"uma"`` or ``"umi"``.
        d2d_m: float [...] 2-D distance (m), >= 0.
        h_ut_m: user height (m) (only UMa uses it).

    Returns:
        float64 [...] probability in [0, 1].
    """
    model = _model(scenario)
    d = real_array("d2d_m", d2d_m, ge=0.0)
    hu = real_array("h_ut_m", h_ut_m)
    ds = np.maximum(d, 18.0)  # the d2D > 18 m branch, evaluated safely everywhere
    if model == "uma":
        c = np.where(hu <= 13.0, 0.0, (np.clip(hu, 13.0, None) - 13.0) / 10.0) ** 1.5
        p = (18.0 / ds + np.exp(-ds / 63.0) * (1.0 - 18.0 / ds)) * (
            1.0 + c * 1.25 * (ds / 100.0) ** 3 * np.exp(-ds / 150.0)
        )
    else:
        p = 18.0 / ds + np.exp(-ds / 36.0) * (1.0 - 18.0 / ds)
    # [...]
    return np.where(d <= 18.0, 1.0, np.minimum(p, 1.0))


def shadowing_std_db(scenario: str, los) -> np.ndarray:
    """Shadow-fading standard deviation (dB), TR 38.901 Table 7.4.1-1.

    UMa: 4 dB LOS, 6 dB NLOS. UMi - Street Canyon: 4 dB LOS, 7.82 dB NLOS.

    Args:
        scenario: ``"uma"`` or ``"umi"``.
        los: bool [...] line of sight.

    Returns:
        float64 [...] std (dB).
    """
    model = _model(scenario)
    los = np.asarray(los, dtype=bool)
    return np.where(los, 4.0, 6.0 if model == "uma" else 7.82)
