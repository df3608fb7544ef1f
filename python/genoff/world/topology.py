"""Where the cells and users are, and the large-scale channel between them.

* **layout** (:func:`site_layout`, :func:`cell_layout`): 1, 7 or 19 hexagonal sites (centre,
  ring of 6, ring of 12) at inter-site distance ISD; 1 omni cell or 3 sectors per site
  (boresights 30, 150, 270 deg, measured counter-clockwise from the x axis);
* **drops** (:func:`drop_users`, :func:`in_cell`): users uniform over their cell (the site's
  hexagon, or the sector's third of it: a rhombus), at least ``min_distance_m`` from the
  site (2-D), all outdoor at height ``h_ut_m``;
* **large scale** (:func:`large_scale`): per (user, cell) link the path loss with LOS drawn
  from the LOS probability and log-normal shadowing (:mod:`genoff.world.propagation`, TR
  38.901 Sec. 7.4) and the BS antenna gain (:mod:`genoff.world.antenna`, Sec. 7.3); the
  **serving cell** is the strongest large-scale gain, or the cell of the drop
  (``layout.association = "home"``).

LOS state and shadowing are drawn per (user, site) and shared by the sectors of a site
(one physical path); they are i.i.d. across users and sites: the spatial and inter-site
correlation of TR 38.901 Sec. 7.6.3 / Table 7.5-6 is **not** modelled, and neither is
wrap-around. Fast (Rayleigh) fading is drawn per RB and TTI inside the compiled core's runs
(:func:`genoff.core.rayleigh_power`); :func:`per_rb_gain` hands the core the large-scale
gain, flat over RBs.

Units: distances in m, angles in degrees, gains and losses in dB unless named linear.
Randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from genoff._util import validate
from genoff.world.antenna import antenna_gain_db, wrap_deg
from genoff.world.propagation import los_probability, pathloss_db, shadowing_std_db

if TYPE_CHECKING:
    from genoff.world.scenario import Scenario

__all__ = [
    "NUM_SITES",
    "SECTORS_PER_SITE",
    "site_layout",
    "cell_layout",
    "drop_users",
    "in_cell",
    "LargeScale",
    "large_scale",
    "per_rb_gain",
    "wideband_sinr_db",
    "rayleigh_fading_power",
]

#: The layouts: the centre site, + a ring of 6, + a ring of 12.
NUM_SITES = (1, 7, 19)
#: Cells per site: one omni cell, or three sectors.
SECTORS_PER_SITE = (1, 3)
_SECTOR_BORESIGHTS_DEG = (30.0, 150.0, 270.0)


def site_layout(num_sites: int, isd_m: float) -> np.ndarray:
    """Hexagonal site positions (m), float64 [num_sites, 2], the centre site first.

    Ring 1 (sites 1-6): distance ISD at 0, 60, ..., 300 deg. Ring 2 (sites 7-18):
    alternately distance 2 ISD at 0, 60, ... deg and sqrt(3) ISD at 30, 90, ... deg. Each
    site's own hexagon (apothem ISD/2) has its vertices at 30, 90, ..., 330 deg.
    """
    num_sites = validate.integer("num_sites", num_sites, choices=NUM_SITES, type_error=ValueError)
    isd = float(validate.real_array("isd_m", isd_m, gt=0.0))
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
    sectors_per_site = validate.integer(
        "sectors_per_site", sectors_per_site, choices=SECTORS_PER_SITE, type_error=ValueError
    )
    sites = site_layout(num_sites, isd_m)
    # [num_cell, 2]
    cell_xy = np.repeat(sites, sectors_per_site, axis=0)
    per_site = _SECTOR_BORESIGHTS_DEG if sectors_per_site == 3 else (0.0,)
    # [num_cell]
    boresight = np.tile(np.array(per_site, dtype=np.float64), num_sites)
    return cell_xy, boresight


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
    pts = validate.real_array("xy", xy)
    cell_xy, bore = cell_layout(num_sites, sectors_per_site, isd_m)
    rel = pts - cell_xy[cell]
    apothem = float(isd_m) / 2.0
    tol = 1e-9 * float(isd_m)
    inside = np.ones(rel.shape[0], dtype=bool)
    for k in range(6):
        a = math.radians(60.0 * k)
        inside &= rel[:, 0] * math.cos(a) + rel[:, 1] * math.sin(a) <= apothem + tol
    if sectors_per_site == 3:
        ang = wrap_deg(np.degrees(np.arctan2(rel[:, 1], rel[:, 0])) - bore[cell])
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
    num_rb = validate.integer("num_rb", num_rb, ge=1, type_error=ValueError)
    g = ls.gain[:, :, None]
    if expand:
        return np.broadcast_to(g, (g.shape[0], g.shape[1], num_rb))
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
