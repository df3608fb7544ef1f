"""Large-scale channel of the multi-cell downlink: 3GPP TR 38.901 (V17) UMa / UMi.

What is modelled, per (user, cell) link:

* **layout** (:func:`cell_layout`): 1, 7 or 19 hexagonal sites (centre, ring of 6, ring
  of 12) at inter-site distance ISD; 1 omni cell or 3 sectors per site (boresights 30,
  150, 270 deg, measured counter-clockwise from the x axis);
* **drops** (:func:`drop_users`): users uniform over their cell (the site's hexagon, or the
  sector's third of it: a rhombus), at least ``min_distance_m`` from the site (2-D), all
  outdoor at height ``h_ut_m``;
* **path loss** (:func:`pathloss_db`, Table 7.4.1-1) with **LOS** drawn from the LOS
  probability (:func:`los_probability`, Table 7.4.2-1);
* **shadowing**: log-normal, std from :func:`shadowing_std_db` (Table 7.4.1-1);
* **BS antenna gain** (:func:`antenna_gain_db`): omni 0 dBi, or the sector element
  pattern of Table 7.3-1 (8 dBi maximum);
* **serving cell**: the strongest large-scale gain (path loss, shadowing, antenna), or
  the cell of the drop (``layout.association = "home"``).

LOS state and shadowing are drawn per (user, site) and shared by the sectors of a site
(one physical path); they are i.i.d. across users and sites: the spatial and inter-site
correlation of TR 38.901 Sec. 7.6.3 / Table 7.5-6 is **not** modelled, and neither are
wrap-around, indoor users, O2I penetration loss or the UMa random effective environment
height for ``h_ut_m >= 13 m`` (``h_E = 1 m`` is used throughout). Fast (Rayleigh) fading is
drawn per RB and TTI inside the compiled core's runs (:func:`genoff.core.rayleigh_power`);
:func:`per_rb_gain` hands the core the large-scale gain, flat over RBs.

Units: distances in m, angles in degrees, frequencies in GHz (``fc_ghz``), gains and losses
in dB unless named linear. Randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from genoff.world.scenario import Scenario

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "pathloss_db",
    "breakpoint_distance_m",
    "los_probability",
    "shadowing_std_db",
    "cell_layout",
    "site_layout",
    "antenna_gain_db",
    "drop_users",
    "in_cell",
    "LargeScale",
    "large_scale",
    "per_rb_gain",
    "wideband_sinr_db",
    "rayleigh_fading_power",
]

#: Speed of light used by TR 38.901's breakpoint distance (Table 7.4.1-1, note 1).
SPEED_OF_LIGHT_M_S = 3.0e8

_MODELS = ("uma", "umi")
_SECTOR_BORESIGHTS_DEG = (30.0, 150.0, 270.0)

# TR 38.901 Table 7.3-1: single antenna element pattern.
_THETA_3DB_DEG = 65.0
_PHI_3DB_DEG = 65.0
_SLA_V_DB = 30.0
_A_MAX_DB = 30.0
_G_E_MAX_DBI = 8.0


def _model(scenario: str) -> str:
    if scenario not in _MODELS:
        raise ValueError(f"scenario must be 'uma' or 'umi', got {scenario!r}")
    return scenario


def _finite(name: str, value, *, positive: bool = False, nonneg: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {type(value).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if positive and not np.all(arr > 0):
        raise ValueError(f"{name} must be > 0, got min {arr.min():g}")
    if nonneg and not np.all(arr >= 0):
        raise ValueError(f"{name} must be >= 0, got min {arr.min():g}")
    return arr


# ---------------------------------------------------------------------------------------
# Path loss, LOS probability, shadowing (TR 38.901 Sec. 7.4)


def breakpoint_distance_m(fc_ghz, h_bs_m, h_ut_m) -> np.ndarray:
    """Breakpoint distance ``d'_BP = 4 h'_BS h'_UT f_c / c`` (m), Table 7.4.1-1 note 1.

    Effective heights ``h' = h - h_E`` with ``h_E = 1 m`` (UMi always; UMa for
    ``h_UT < 13 m``), ``f_c`` in Hz, ``c = 3.0e8 m/s``.
    """
    fc = _finite("fc_ghz", fc_ghz, positive=True)
    hb = _finite("h_bs_m", h_bs_m)
    hu = _finite("h_ut_m", h_ut_m)
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
    d3d = _finite("d3d_m", d3d_m, positive=True)
    los = np.asarray(los)
    if los.dtype != np.bool_:
        raise TypeError(f"los must be a bool array, got dtype {los.dtype}")
    fc = _finite("fc_ghz", fc_ghz, positive=True)
    hb = _finite("h_bs_m", h_bs_m)
    hu = _finite("h_ut_m", h_ut_m)
    dh = hb - hu
    if d2d_m is None:
        d2d = np.sqrt(np.maximum(d3d * d3d - dh * dh, 0.0))
    else:
        d2d = _finite("d2d_m", d2d_m, nonneg=True)
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
    d = _finite("d2d_m", d2d_m, nonneg=True)
    hu = _finite("h_ut_m", h_ut_m)
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


# ---------------------------------------------------------------------------------------
# Layout and antenna


def site_layout(num_sites: int, isd_m: float) -> np.ndarray:
    """Hexagonal site positions (m), float64 [num_sites, 2], the centre site first.

    Ring 1 (sites 1-6): distance ISD at 0, 60, ..., 300 deg. Ring 2 (sites 7-18):
    alternately distance 2 ISD at 0, 60, ... deg and sqrt(3) ISD at 30, 90, ... deg. Each
    site's own hexagon (apothem ISD/2) has its vertices at 30, 90, ..., 330 deg.
    """
    if isinstance(num_sites, bool) or num_sites not in (1, 7, 19):
        raise ValueError(f"num_sites must be 1, 7 or 19, got {num_sites!r}")
    isd = float(_finite("isd_m", isd_m, positive=True))
    pts = [(0.0, 0.0)]
    if num_sites >= 7:
        for k in range(6):
            a = math.radians(60.0 * k)
            pts.append((isd * math.cos(a), isd * math.sin(a)))
    if num_sites >= 19:
        for k in range(6):
            a = math.radians(60.0 * k)
            pts.append((2.0 * isd * math.cos(a), 2.0 * isd * math.sin(a)))
            b = math.radians(60.0 * k + 30.0)
            r = math.sqrt(3.0) * isd
            pts.append((r * math.cos(b), r * math.sin(b)))
    return np.array(pts, dtype=np.float64)


def cell_layout(
    num_sites: int, sectors_per_site: int, isd_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cells of a hexagonal layout.

    Cell ``c`` is sector ``c % sectors_per_site`` of site ``c // sectors_per_site``
    (:func:`site_layout` order).

    Args:
        num_sites: 1, 7 or 19.
        sectors_per_site: 1 (omni, boresight 0 deg) or 3 (boresights 30, 150, 270 deg).
        isd_m: inter-site distance (m).

    Returns:
        ``(cell_xy, boresight_deg)``: float64 [num_cell, 2] position of each cell's site
        (m), float64 [num_cell] sector boresight azimuth (deg, counter-clockwise from x).
    """
    if isinstance(sectors_per_site, bool) or sectors_per_site not in (1, 3):
        raise ValueError(f"sectors_per_site must be 1 or 3, got {sectors_per_site!r}")
    sites = site_layout(num_sites, isd_m)
    # [num_cell, 2]
    cell_xy = np.repeat(sites, sectors_per_site, axis=0)
    per_site = _SECTOR_BORESIGHTS_DEG if sectors_per_site == 3 else (0.0,)
    # [num_cell]
    boresight = np.tile(np.array(per_site, dtype=np.float64), num_sites)
    return cell_xy, boresight


def _wrap_deg(a: np.ndarray) -> np.ndarray:
    """Angles wrapped to [-180, 180) deg."""
    return (a + 180.0) % 360.0 - 180.0


def antenna_gain_db(
    kind: str, ue_xy, cell_xy, boresight_deg, h_bs_m: float, h_ut_m: float, downtilt_deg: float
) -> np.ndarray:
    """BS antenna gain towards each user (dBi), float64 [num_ue, num_cell].

    ``"omni"``: 0 dBi. ``"3gpp-sector"``: the single-element pattern of TR 38.901
    Table 7.3-1::

        A_V = -min(12 ((theta'' - 90 deg) / 65 deg)^2, SLA_V = 30) dB     (vertical cut)
        A_H = -min(12 (phi'' / 65 deg)^2, A_max = 30) dB                  (horizontal cut)
        A   = -min(-(A_V + A_H), A_max) + G_E,max,   G_E,max = 8 dBi

    with ``phi''`` the azimuth of the user from the boresight (wrapped to [-180, 180)) and
    ``theta''`` the zenith angle of the user in the antenna's frame: the zenith angle seen
    from the BS, ``90 deg + atan((h_BS - h_UT) / d2D)``, minus the downtilt (a downtilted
    antenna has its maximum at ``90 deg + downtilt``). The tilt is applied as this shift of
    the vertical cut (the separable form of TR 36.814 Table A.2.1.1-2), not as the full
    LCS rotation of TR 38.901 eq. 7.1-7; no array factor (one element per sector).
    So boresight gives 8 dBi and the back (180 deg) 8 - 30 = -22 dBi.

    Args:
        kind: ``"omni"`` or ``"3gpp-sector"``.
        ue_xy: float [num_ue, 2] user positions (m).
        cell_xy: float [num_cell, 2] positions of the cells' sites (m).
        boresight_deg: float [num_cell] boresight azimuths (deg).
        h_bs_m, h_ut_m: heights (m).
        downtilt_deg: electrical downtilt (deg, positive = below the horizon).
    """
    if kind not in ("omni", "3gpp-sector"):
        raise ValueError(f"kind must be 'omni' or '3gpp-sector', got {kind!r}")
    ue = _finite("ue_xy", ue_xy)
    cells = _finite("cell_xy", cell_xy)
    if ue.ndim != 2 or ue.shape[1] != 2:
        raise ValueError(f"ue_xy must have shape [num_ue, 2], got {ue.shape}")
    if cells.ndim != 2 or cells.shape[1] != 2:
        raise ValueError(f"cell_xy must have shape [num_cell, 2], got {cells.shape}")
    bore = _finite("boresight_deg", boresight_deg)
    if bore.shape != (cells.shape[0],):
        raise ValueError(f"boresight_deg must have shape [{cells.shape[0]}], got {bore.shape}")
    if kind == "omni":
        return np.zeros((ue.shape[0], cells.shape[0]))
    # [num_ue, num_cell, 2]
    delta = ue[:, None, :] - cells[None, :, :]
    # [num_ue, num_cell]
    phi = _wrap_deg(np.degrees(np.arctan2(delta[..., 1], delta[..., 0])) - bore[None, :])
    d2d = np.hypot(delta[..., 0], delta[..., 1])
    theta = 90.0 + np.degrees(np.arctan2(float(h_bs_m) - float(h_ut_m), d2d))
    a_v = -np.minimum(
        12.0 * ((theta - 90.0 - float(downtilt_deg)) / _THETA_3DB_DEG) ** 2, _SLA_V_DB
    )
    a_h = -np.minimum(12.0 * (phi / _PHI_3DB_DEG) ** 2, _A_MAX_DB)
    return -np.minimum(-(a_v + a_h), _A_MAX_DB) + _G_E_MAX_DBI


# ---------------------------------------------------------------------------------------
# User drops


def _rhombus_points(rng: np.random.Generator, bore_deg: np.ndarray, radius_m: float) -> np.ndarray:
    """Uniform points in the rhombi {u A + v B} (u, v ~ U[0,1]) spanned by the hexagon
    vertices at ``bore - 60`` and ``bore + 60`` deg; [n, 2] relative to the site (m)."""
    uv = rng.random((bore_deg.shape[0], 2))
    a = np.radians(bore_deg - 60.0)
    b = np.radians(bore_deg + 60.0)
    x = radius_m * (uv[:, 0] * np.cos(a) + uv[:, 1] * np.cos(b))
    y = radius_m * (uv[:, 0] * np.sin(a) + uv[:, 1] * np.sin(b))
    return np.stack([x, y], axis=1)


def in_cell(xy, cell: int, num_sites: int, sectors_per_site: int, isd_m: float) -> np.ndarray:
    """Whether points lie in a cell's area (bool [n]; boundaries count as inside).

    The area of a site is its hexagon (apothem ISD/2, vertices at 30, 90, ... deg); a
    sector's is the part within +-60 deg of its boresight.
    """
    pts = _finite("xy", xy)
    cell_xy, bore = cell_layout(num_sites, sectors_per_site, isd_m)
    rel = pts - cell_xy[cell]
    apothem = float(isd_m) / 2.0
    tol = 1e-9 * float(isd_m)
    inside = np.ones(rel.shape[0], dtype=bool)
    for k in range(6):
        a = math.radians(60.0 * k)
        inside &= rel[:, 0] * math.cos(a) + rel[:, 1] * math.sin(a) <= apothem + tol
    if sectors_per_site == 3:
        ang = _wrap_deg(np.degrees(np.arctan2(rel[:, 1], rel[:, 0])) - bore[cell])
        inside &= (np.abs(ang) <= 60.0 + 1e-9) | (np.hypot(rel[:, 0], rel[:, 1]) <= tol)
    return inside


def drop_users(rng: np.random.Generator, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Drop ``users_per_cell`` users uniformly in each cell that gets users.

    A cell's area is its site's hexagon (omni) or the sector's rhombus (the third of the
    hexagon within +-60 deg of the boresight); points closer than ``min_distance_m`` (2-D)
    to the site are redrawn. The cells are ``scenario.user_cell_ids`` (the centre site's
    cells for ``user_cells = "centre"``, all cells for ``"all"``).

    Returns:
        ``(ue_xy, home_cell)``: float64 [num_ue, 2] positions (m), int64 [num_ue] the cell
        each user was dropped in; users are ordered by home cell.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    lay = scenario.layout
    cell_xy, bore = cell_layout(lay.num_sites, lay.sectors_per_site, lay.isd_m)
    radius = lay.isd_m / math.sqrt(3.0)  # hexagon circumradius
    # [num_ue]
    home = np.repeat(np.array(scenario.user_cell_ids, dtype=np.int64), lay.users_per_cell)
    num_ue = home.shape[0]
    rel = np.empty((num_ue, 2))
    pending = np.arange(num_ue)
    while pending.size:
        if lay.sectors_per_site == 3:
            rb = bore[home[pending]]
        else:  # a hexagon is the union of the three rhombi around 30, 150, 270 deg
            rb = np.array(_SECTOR_BORESIGHTS_DEG)[rng.integers(0, 3, size=pending.size)]
        pts = _rhombus_points(rng, rb, radius)
        ok = np.hypot(pts[:, 0], pts[:, 1]) >= lay.min_distance_m
        rel[pending[ok]] = pts[ok]
        pending = pending[~ok]
    # [num_ue, 2]
    ue_xy = cell_xy[home] + rel
    return ue_xy, home


# ---------------------------------------------------------------------------------------
# Large-scale gains


@dataclass(frozen=True, eq=False)
class LargeScale:
    """Large-scale channel of one drop (all arrays float64 unless noted).

    Attributes:
        ue_xy: [num_ue, 2] user positions (m).
        cell_xy: [num_cell, 2] positions of the cells' sites (m).
        boresight_deg: [num_cell] sector boresights (deg).
        home_cell: int64 [num_ue] cell each user was dropped in.
        d2d_m: [num_ue, num_cell] 2-D distance (m).
        d3d_m: [num_ue, num_cell] 3-D distance (m).
        los: bool [num_ue, num_cell] line of sight (shared by a site's sectors).
        pathloss_db: [num_ue, num_cell] path loss (dB, positive).
        shadowing_db: [num_ue, num_cell] shadow-fading loss (dB, ~ N(0, sigma^2), added to
            the path loss; 0 when shadowing is off).
        antenna_gain_db: [num_ue, num_cell] BS antenna gain (dBi).
        gain: [num_ue, num_cell] linear power gain
            ``10^((antenna_gain_db - pathloss_db - shadowing_db) / 10)``.
        serving: int64 [num_ue] serving cell: argmax of ``gain`` over cells
            (``layout.association = "strongest"``) or ``home_cell`` (``"home"``).
        background: bool [num_cell] cells that always transmit on every RB: those serving
            no user when ``layout.neighbours_loaded``, else none.
    """

    ue_xy: np.ndarray
    cell_xy: np.ndarray
    boresight_deg: np.ndarray
    home_cell: np.ndarray
    d2d_m: np.ndarray
    d3d_m: np.ndarray
    los: np.ndarray
    pathloss_db: np.ndarray
    shadowing_db: np.ndarray
    antenna_gain_db: np.ndarray
    gain: np.ndarray
    serving: np.ndarray
    background: np.ndarray

    @property
    def num_ue(self) -> int:
        return int(self.gain.shape[0])

    @property
    def num_cell(self) -> int:
        return int(self.gain.shape[1])

    @property
    def gain_db(self) -> np.ndarray:
        """[num_ue, num_cell] large-scale gain (dB)."""
        return self.antenna_gain_db - self.pathloss_db - self.shadowing_db


def large_scale(rng: np.random.Generator, scenario: Scenario) -> LargeScale:
    """Drop users and draw their large-scale channel to every cell.

    Draw order (fixed, from ``rng``): the drops (:func:`drop_users`), one uniform per
    (user, site) for the LOS state (``LOS iff u < los_probability``), one standard normal
    per (user, site) for the shadowing (drawn even when shadowing is off, so that switching
    it leaves the rest of the stream unchanged).
    """
    lay, ch = scenario.layout, scenario.channel
    ue_xy, home = drop_users(rng, scenario)
    cell_xy, bore = cell_layout(lay.num_sites, lay.sectors_per_site, lay.isd_m)
    sites = site_layout(lay.num_sites, lay.isd_m)
    spc = lay.sectors_per_site
    # [num_ue, num_site]
    d2d_site = np.hypot(
        ue_xy[:, None, 0] - sites[None, :, 0], ue_xy[:, None, 1] - sites[None, :, 1]
    )
    d3d_site = np.sqrt(d2d_site**2 + (ch.h_bs_m - ch.h_ut_m) ** 2)
    los_site = rng.random(d2d_site.shape) < los_probability(ch.model, d2d_site, ch.h_ut_m)
    z_site = rng.standard_normal(d2d_site.shape)
    pl_site = pathloss_db(ch.model, d3d_site, los_site, ch.fc_ghz, ch.h_bs_m, ch.h_ut_m, d2d_site)
    sf_site = (
        z_site * shadowing_std_db(ch.model, los_site) if ch.shadowing else np.zeros_like(z_site)
    )
    # [num_ue, num_cell]: sectors of a site share distance, LOS and shadowing
    d2d = np.repeat(d2d_site, spc, axis=1)
    d3d = np.repeat(d3d_site, spc, axis=1)
    los = np.repeat(los_site, spc, axis=1)
    pl = np.repeat(pl_site, spc, axis=1)
    sf = np.repeat(sf_site, spc, axis=1)
    ant = antenna_gain_db(ch.antenna, ue_xy, cell_xy, bore, ch.h_bs_m, ch.h_ut_m, ch.downtilt_deg)
    gain = 10.0 ** ((ant - pl - sf) / 10.0)
    # [num_ue]
    if lay.association == "home":
        serving = home.copy()
    else:
        serving = np.argmax(gain, axis=1).astype(np.int64)
    num_cell = cell_xy.shape[0]
    if lay.neighbours_loaded:
        background = np.ones(num_cell, dtype=bool)
        background[serving] = False
    else:
        background = np.zeros(num_cell, dtype=bool)
    return LargeScale(
        ue_xy=ue_xy,
        cell_xy=cell_xy,
        boresight_deg=bore,
        home_cell=home,
        d2d_m=d2d,
        d3d_m=d3d,
        los=los,
        pathloss_db=pl,
        shadowing_db=sf,
        antenna_gain_db=ant,
        gain=gain,
        serving=serving,
        background=background,
    )


def per_rb_gain(ls: LargeScale, num_rb: int, *, expand: bool = False) -> np.ndarray:
    """Large-scale gain per RB for :mod:`genoff.core`, flat over RBs.

    Returns a view of ``ls.gain``: float64 [num_ue, num_cell, 1] (the core broadcasts a
    last axis of 1 over its ``num_rb`` RBs), or, with ``expand=True``, a read-only
    broadcast view [num_ue, num_cell, num_rb]. Fast fading is drawn inside the core's runs.
    """
    if isinstance(num_rb, bool) or not isinstance(num_rb, (int, np.integer)) or num_rb < 1:
        raise ValueError(f"num_rb must be an integer >= 1, got {num_rb!r}")
    g = ls.gain[:, :, None]
    if expand:
        return np.broadcast_to(g, (g.shape[0], g.shape[1], int(num_rb)))
    return g


def wideband_sinr_db(ls: LargeScale, scenario: Scenario) -> np.ndarray:
    """Geometry SINR (dB) of each user, float64 [num_ue]: every cell transmitting on every
    RB, no fast fading. A calibration quantity (compare with TR 38.901 / 36.814 CDFs)."""
    p = scenario.tx_power_w_per_rb
    # [num_ue, num_cell]
    rx = p * ls.gain
    sig = rx[np.arange(ls.num_ue), ls.serving]
    return 10.0 * np.log10(sig / (rx.sum(axis=1) - sig + scenario.noise_w))


def rayleigh_fading_power(rng: np.random.Generator, shape) -> np.ndarray:
    """Rayleigh fast-fading power gains: i.i.d. Exp(1), float64 ``shape`` (mean 1).

    For Python-side experiments; the core's runs draw their own (counter-based) fading.
    """
    return rng.standard_exponential(shape)
