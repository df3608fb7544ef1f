"""The BS antenna of 3GPP TR 38.901 Sec. 7.3: omni (0 dBi) or the single sector element of
Table 7.3-1 (8 dBi maximum), with an electrical downtilt. Angles in degrees, azimuths
counter-clockwise from the x axis, gains in dBi.
"""

from __future__ import annotations

import numpy as np

from genoff._util.validate import real_array

__all__ = ["ANTENNAS", "antenna_gain_db", "wrap_deg"]

#: The antenna kinds: ``"omni"`` and the Table 7.3-1 sector element ``"3gpp-sector"``.
ANTENNAS = ("omni", "3gpp-sector")

# TR 38.901 Table 7.3-1: single antenna element pattern.
_THETA_3DB_DEG = 65.0
_PHI_3DB_DEG = 65.0
_SLA_V_DB = 30.0
_A_MAX_DB = 30.0
_G_E_MAX_DBI = 8.0


def wrap_deg(a: np.ndarray) -> np.ndarray:
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
    if kind not in ANTENNAS:
        raise ValueError(f"kind must be 'omni' or '3gpp-sector', got {kind!r}")
    ue = real_array("ue_xy", ue_xy)
    cells = real_array("cell_xy", cell_xy)
    if ue.ndim != 2 or ue.shape[1] != 2:
        raise ValueError(f"ue_xy must have shape [num_ue, 2], got {ue.shape}")
    if cells.ndim != 2 or cells.shape[1] != 2:
        raise ValueError(f"cell_xy must have shape [num_cell, 2], got {cells.shape}")
    bore = real_array("boresight_deg", boresight_deg)
    if bore.shape != (cells.shape[0],):
        raise ValueError(f"boresight_deg must have shape [{cells.shape[0]}], got {bore.shape}")
    if kind == "omni":
        return np.zeros((ue.shape[0], cells.shape[0]))
    # [num_ue, num_cell, 2]
    delta = ue[:, None, :] - cells[None, :, :]
    # [num_ue, num_cell]
    phi = wrap_deg(np.degrees(np.arctan2(delta[..., 1], delta[..., 0])) - bore[None, :])
    d2d = np.hypot(delta[..., 0], delta[..., 1])
    theta = 90.0 + np.degrees(np.arctan2(float(h_bs_m) - float(h_ut_m), d2d))
    a_v = -np.minimum(
        12.0 * ((theta - 90.0 - float(downtilt_deg)) / _THETA_3DB_DEG) ** 2, _SLA_V_DB
    )
    a_h = -np.minimum(12.0 * (phi / _PHI_3DB_DEG) ** 2, _A_MAX_DB)
    return -np.minimum(-(a_v + a_h), _A_MAX_DB) + _G_E_MAX_DBI
