"""The channel (genoff.world.propagation, .antenna, .topology) against TR 38.901 written out
independently, plus layout and drop geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genoff.world import antenna, propagation, topology
from genoff.world.scenario import Scenario, load_scenario

FC = 3.5  # GHz
C = 3.0e8


# --- TR 38.901 Table 7.4.1-1, written out again here (scalar, d in m, fc in GHz) -----------


def uma_ref(d3d: float, los: bool, fc: float = FC, hbs: float = 25.0, hut: float = 1.5) -> float:
    d2d = math.sqrt(d3d**2 - (hbs - hut) ** 2)
    dbp = 4 * (hbs - 1) * (hut - 1) * fc * 1e9 / C
    if d2d <= dbp:
        pl_los = 28.0 + 22 * math.log10(d3d) + 20 * math.log10(fc)
    else:
        pl_los = (
            28.0
            + 40 * math.log10(d3d)
            + 20 * math.log10(fc)
            - 9 * math.log10(dbp**2 + (hbs - hut) ** 2)
        )
    if los:
        return pl_los
    pl_nlos = 13.54 + 39.08 * math.log10(d3d) + 20 * math.log10(fc) - 0.6 * (hut - 1.5)
    return max(pl_los, pl_nlos)


def umi_ref(d3d: float, los: bool, fc: float = FC, hbs: float = 10.0, hut: float = 1.5) -> float:
    d2d = math.sqrt(d3d**2 - (hbs - hut) ** 2)
    dbp = 4 * (hbs - 1) * (hut - 1) * fc * 1e9 / C
    if d2d <= dbp:
        pl_los = 32.4 + 21 * math.log10(d3d) + 20 * math.log10(fc)
    else:
        pl_los = (
            32.4
            + 40 * math.log10(d3d)
            + 20 * math.log10(fc)
            - 9.5 * math.log10(dbp**2 + (hbs - hut) ** 2)
        )
    if los:
        return pl_los
    pl_nlos = 35.3 * math.log10(d3d) + 22.4 + 21.3 * math.log10(fc) - 0.3 * (hut - 1.5)
    return max(pl_los, pl_nlos)


def test_breakpoint_distances():
    # UMa: 4 * 24 * 0.5 * 3.5e9 / 3e8 = 560 m; UMi: 4 * 9 * 0.5 * 3.5e9 / 3e8 = 210 m
    assert propagation.breakpoint_distance_m(FC, 25.0, 1.5) == pytest.approx(560.0)
    assert propagation.breakpoint_distance_m(FC, 10.0, 1.5) == pytest.approx(210.0)


@pytest.mark.parametrize("d3d", [50.0, 200.0, 1000.0])
@pytest.mark.parametrize("los", [True, False])
def test_uma_pathloss_fixed_distances(d3d, los):
    got = propagation.pathloss_db("uma", d3d, np.bool_(los), FC, 25.0, 1.5)
    assert float(got) == pytest.approx(uma_ref(d3d, los), abs=1e-9)


@pytest.mark.parametrize("d3d", [50.0, 200.0, 1000.0])
@pytest.mark.parametrize("los", [True, False])
def test_umi_pathloss_fixed_distances(d3d, los):
    got = propagation.pathloss_db("umi", d3d, np.bool_(los), FC, 10.0, 1.5)
    assert float(got) == pytest.approx(umi_ref(d3d, los), abs=1e-9)


def test_pathloss_hand_values():
    # Numbers worked out by hand, so a shared mistake in both formulas would still show.
    # UMa LOS, d3D = 100 m (before the 560 m breakpoint): 28 + 44 + 20 log10(3.5)
    assert float(propagation.pathloss_db("uma", 100.0, np.True_, FC, 25.0, 1.5)) == pytest.approx(
        82.8814, abs=1e-4
    )
    # UMa LOS after the breakpoint, d3D = 1000 m: 28 + 120 + 10.8814 - 9 log10(560^2 + 23.5^2)
    expect = 28 + 120 + 20 * math.log10(3.5) - 9 * math.log10(560.0**2 + 23.5**2)
    assert float(propagation.pathloss_db("uma", 1000.0, np.True_, FC, 25.0, 1.5)) == pytest.approx(
        expect, abs=1e-9
    )
    assert expect == pytest.approx(109.4071, abs=1e-3)  # 158.8814 - 49.4743
    # UMa NLOS at 200 m: 13.54 + 39.08 log10(200) + 10.8814 = 114.3454 (> LOS 89.50)
    assert float(propagation.pathloss_db("uma", 200.0, np.False_, FC, 25.0, 1.5)) == pytest.approx(
        114.3454, abs=1e-3
    )


def test_pathloss_breakpoint_branch_uses_d2d():
    # Just below and above d'BP = 560 m in 2-D: PL1 then PL2.
    for d2d in (559.0, 561.0):
        d3d = math.hypot(d2d, 23.5)
        got = float(propagation.pathloss_db("uma", d3d, np.True_, FC, 25.0, 1.5))
        assert got == pytest.approx(uma_ref(d3d, True), abs=1e-9)
    # An explicit d2d_m equal to the default changes nothing.
    d3d = np.array([60.0, 700.0])
    d2d = np.sqrt(d3d**2 - 23.5**2)
    los = np.array([True, True])
    np.testing.assert_array_equal(
        propagation.pathloss_db("uma", d3d, los, FC, 25.0, 1.5, d2d_m=d2d),
        propagation.pathloss_db("uma", d3d, los, FC, 25.0, 1.5),
    )


@pytest.mark.parametrize("model,hbs", [("uma", 25.0), ("umi", 10.0)])
def test_nlos_at_least_los_and_broadcasting(model, hbs):
    d = np.geomspace(15.0, 5000.0, 200)
    pl_los = propagation.pathloss_db(model, d, np.ones_like(d, bool), FC, hbs, 1.5)
    pl_nlos = propagation.pathloss_db(model, d, np.zeros_like(d, bool), FC, hbs, 1.5)
    assert np.all(pl_nlos >= pl_los)
    assert np.all(np.diff(pl_los) > 0) and np.all(np.diff(pl_nlos) > 0)
    both = propagation.pathloss_db(model, d[:, None], np.array([True, False]), FC, hbs, 1.5)
    assert both.shape == (200, 2)
    np.testing.assert_array_equal(both[:, 0], pl_los)
    np.testing.assert_array_equal(both[:, 1], pl_nlos)


def test_pathloss_errors():
    with pytest.raises(ValueError, match="scenario"):
        propagation.pathloss_db("rma", 100.0, np.True_, FC, 25.0, 1.5)
    with pytest.raises(ValueError, match="d3d_m"):
        propagation.pathloss_db("uma", -1.0, np.True_, FC, 25.0, 1.5)
    with pytest.raises(TypeError, match="los"):
        propagation.pathloss_db("uma", 100.0, 1.0, FC, 25.0, 1.5)
    with pytest.raises(ValueError, match="fc_ghz"):
        propagation.pathloss_db("uma", 100.0, np.True_, 0.0, 25.0, 1.5)


def test_los_probability_values():
    # Table 7.4.2-1: 1 up to 18 m
    for model in ("uma", "umi"):
        assert np.all(propagation.los_probability(model, np.array([0.0, 10.0, 18.0]), 1.5) == 1.0)
    d = 100.0
    uma = 18 / d + math.exp(-d / 63) * (1 - 18 / d)
    umi = 18 / d + math.exp(-d / 36) * (1 - 18 / d)
    assert float(propagation.los_probability("uma", d, 1.5)) == pytest.approx(uma, rel=1e-12)
    assert float(propagation.los_probability("uma", d, 1.5)) == pytest.approx(0.3477, abs=1e-4)
    assert float(propagation.los_probability("umi", d, 1.5)) == pytest.approx(umi, rel=1e-12)
    # UMa with C'(hUT) for a user at 20 m height
    c = ((20.0 - 13.0) / 10.0) ** 1.5
    uma20 = uma * (1 + c * 1.25 * (d / 100) ** 3 * math.exp(-d / 150))
    assert float(propagation.los_probability("uma", d, 20.0)) == pytest.approx(uma20, rel=1e-12)
    p = propagation.los_probability("uma", np.linspace(18, 2000, 300), 1.5)
    assert np.all((p >= 0) & (p <= 1)) and np.all(np.diff(p) < 0)


def test_shadowing_std():
    los = np.array([True, False])
    np.testing.assert_array_equal(propagation.shadowing_std_db("uma", los), [4.0, 6.0])
    np.testing.assert_array_equal(propagation.shadowing_std_db("umi", los), [4.0, 7.82])


# --- antenna ---------------------------------------------------------------------------------


def test_sector_pattern_boresight_and_back():
    hbs, hut, tilt = 25.0, 1.5, 12.0
    d_peak = (hbs - hut) / math.tan(math.radians(tilt))  # where the beam's axis hits hUT
    cell = np.array([[0.0, 0.0]])
    for bore in (30.0, 150.0, 270.0):
        b = math.radians(bore)
        ue = np.array(
            [
                [d_peak * math.cos(b), d_peak * math.sin(b)],  # on boresight, on the tilt
                [-d_peak * math.cos(b), -d_peak * math.sin(b)],  # behind
            ]
        )
        g = antenna.antenna_gain_db("3gpp-sector", ue, cell, np.array([bore]), hbs, hut, tilt)
        assert g.shape == (2, 1)
        assert g[0, 0] == pytest.approx(8.0, abs=1e-9)
        assert g[1, 0] == pytest.approx(8.0 - 30.0, abs=1e-9)


def test_sector_pattern_cuts():
    hbs, hut, tilt = 25.0, 1.5, 12.0
    d_peak = (hbs - hut) / math.tan(math.radians(tilt))
    cell = np.array([[0.0, 0.0]])
    # 65 deg off boresight on the tilt: A_H = -12 (65/65)^2 = -12 dB
    a = math.radians(65.0)
    ue = np.array([[d_peak * math.cos(a), d_peak * math.sin(a)]])
    g = antenna.antenna_gain_db("3gpp-sector", ue, cell, np.array([0.0]), hbs, hut, tilt)
    assert g[0, 0] == pytest.approx(8.0 - 12.0, abs=1e-9)
    # On boresight at 500 m: theta'' - 90 = atan(23.5/500) - 12 deg
    elev = math.degrees(math.atan2(hbs - hut, 500.0))
    av = -min(12 * ((elev - tilt) / 65.0) ** 2, 30.0)
    g = antenna.antenna_gain_db(
        "3gpp-sector", np.array([[500.0, 0.0]]), cell, np.array([0.0]), hbs, hut, tilt
    )
    assert g[0, 0] == pytest.approx(8.0 + av, abs=1e-9)
    omni = antenna.antenna_gain_db("omni", ue, cell, np.array([0.0]), hbs, hut, tilt)
    np.testing.assert_array_equal(omni, 0.0)


# --- layout and drops ------------------------------------------------------------------------


def test_cell_layout_geometry():
    isd = 500.0
    xy, bore = topology.cell_layout(7, 1, isd)
    assert xy.shape == (7, 2) and bore.shape == (7,)
    np.testing.assert_array_equal(xy[0], [0.0, 0.0])
    np.testing.assert_allclose(np.hypot(xy[1:, 0], xy[1:, 1]), isd)
    np.testing.assert_array_equal(bore, 0.0)
    # every pair of sites at least ISD apart; each ring-1 site has 2 ring-1 neighbours at ISD
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert np.min(dist[~np.eye(7, dtype=bool)]) == pytest.approx(isd)

    xy, bore = topology.cell_layout(19, 3, isd)
    assert xy.shape == (57, 2) and bore.shape == (57,)
    np.testing.assert_array_equal(bore[:6], [30.0, 150.0, 270.0, 30.0, 150.0, 270.0])
    sites = xy[::3]
    r = np.sort(np.hypot(sites[:, 0], sites[:, 1]))
    np.testing.assert_allclose(r[1:7], isd)
    np.testing.assert_allclose(r[7:13], math.sqrt(3) * isd)
    np.testing.assert_allclose(r[13:], 2 * isd)
    dist = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    assert np.min(dist[~np.eye(19, dtype=bool)]) == pytest.approx(isd)
    # the three cells of a site share its position
    np.testing.assert_array_equal(xy[0::3], xy[1::3])
    with pytest.raises(ValueError, match="num_sites"):
        topology.cell_layout(5, 1, isd)
    with pytest.raises(ValueError, match="sectors_per_site"):
        topology.cell_layout(7, 2, isd)


def test_drops_respect_min_distance_and_cell(rng):
    for s in (
        Scenario().with_overrides({"layout.users_per_cell": 500}),
        load_scenario("3gpp-57").with_overrides({"layout.users_per_cell": 40}),
        Scenario().with_overrides({"layout.min_distance_m": 200.0, "layout.users_per_cell": 300}),
    ):
        lay = s.layout
        ue, home = topology.drop_users(rng, s)
        assert ue.shape == (s.num_users, 2) and home.shape == (s.num_users,)
        assert home.dtype == np.int64
        np.testing.assert_array_equal(
            np.bincount(home, minlength=s.num_cells)[list(s.user_cell_ids)], lay.users_per_cell
        )
        cell_xy, _ = topology.cell_layout(lay.num_sites, lay.sectors_per_site, lay.isd_m)
        d = np.hypot(*(ue - cell_xy[home]).T)
        assert np.all(d >= lay.min_distance_m)
        assert np.all(d <= lay.isd_m / math.sqrt(3) + 1e-9)
        for c in s.user_cell_ids:
            pts = ue[home == c]
            assert np.all(topology.in_cell(pts, c, lay.num_sites, lay.sectors_per_site, lay.isd_m))


def test_drops_are_uniform(rng):
    s = Scenario().with_overrides({"layout.users_per_cell": 40000})
    ue, _ = topology.drop_users(rng, s)
    # symmetric hexagon: mean position ~ 0
    assert np.all(np.abs(ue.mean(axis=0)) < 3.0)
    # share inside 125 m: area ratio of the annulus 35..125 m to the hexagon minus 35 m disc
    r = np.hypot(ue[:, 0], ue[:, 1])
    hex_area = math.sqrt(3) / 2 * 500.0**2
    expect = math.pi * (125.0**2 - 35.0**2) / (hex_area - math.pi * 35.0**2)
    assert np.mean(r < 125.0) == pytest.approx(expect, abs=0.01)
    # equal shares in the three 120-degree wedges
    ang = np.degrees(np.arctan2(ue[:, 1], ue[:, 0])) % 360
    shares = np.bincount(((ang + 30) % 360 // 120).astype(int), minlength=3) / len(ang)
    np.testing.assert_allclose(shares, 1 / 3, atol=0.01)


# --- large scale -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["paper", "3gpp-57"])
def test_large_scale_consistency(name):
    s = load_scenario(name)
    ls = topology.large_scale(np.random.default_rng(7), s)
    nu, nc = s.num_users, s.num_cells
    for a in (
        ls.d2d_m,
        ls.d3d_m,
        ls.los,
        ls.pathloss_db,
        ls.shadowing_db,
        ls.antenna_gain_db,
        ls.gain,
    ):
        assert a.shape == (nu, nc)
    assert ls.gain.dtype == np.float64 and ls.los.dtype == np.bool_
    assert ls.serving.dtype == np.int64 and ls.serving.shape == (nu,)
    assert ls.ue_xy.shape == (nu, 2) and ls.cell_xy.shape == (nc, 2)
    np.testing.assert_allclose(
        ls.gain, 10 ** ((ls.antenna_gain_db - ls.pathloss_db - ls.shadowing_db) / 10), rtol=1e-12
    )
    if s.layout.association == "strongest":
        np.testing.assert_array_equal(ls.serving, np.argmax(ls.gain, axis=1))
    else:  # "home": served by the cell the user was dropped in
        np.testing.assert_array_equal(ls.serving, ls.home_cell)
    np.testing.assert_allclose(ls.d3d_m**2, ls.d2d_m**2 + 23.5**2)
    # path loss recomputed from the stored LOS state and distances
    np.testing.assert_allclose(
        ls.pathloss_db, propagation.pathloss_db("uma", ls.d3d_m, ls.los, 3.5, 25.0, 1.5), rtol=1e-12
    )
    # background: loaded cells that serve nobody
    served = np.zeros(nc, bool)
    served[ls.serving] = True
    np.testing.assert_array_equal(ls.background, ~served)
    # LOS and shadowing are per (user, site): equal over a site's sectors
    spc = s.layout.sectors_per_site
    for k in range(1, spc):
        np.testing.assert_array_equal(ls.los[:, k::spc], ls.los[:, ::spc])
        np.testing.assert_array_equal(ls.shadowing_db[:, k::spc], ls.shadowing_db[:, ::spc])
    # deterministic for a seed
    again = topology.large_scale(np.random.default_rng(7), s)
    np.testing.assert_array_equal(again.gain, ls.gain)
    np.testing.assert_array_equal(again.serving, ls.serving)
    g = topology.per_rb_gain(ls, s.radio.num_rb)
    assert g.shape == (nu, nc, 1) and np.shares_memory(g, ls.gain)
    assert topology.per_rb_gain(ls, 4, expand=True).shape == (nu, nc, 4)


def test_large_scale_options(rng):
    s = Scenario().with_overrides(
        {
            "channel.shadowing": False,
            "layout.neighbours_loaded": False,
            "layout.association": "home",
        }
    )
    ls = topology.large_scale(rng, s)
    np.testing.assert_array_equal(ls.shadowing_db, 0.0)
    np.testing.assert_array_equal(ls.serving, ls.home_cell)
    assert not ls.background.any()
    # shadowing statistics: NLOS links ~ N(0, 6 dB), LOS ~ N(0, 4 dB)
    big = Scenario().with_overrides({"layout.users_per_cell": 3000})
    ls = topology.large_scale(rng, big)
    sf = ls.shadowing_db
    assert np.std(sf[~ls.los]) == pytest.approx(6.0, rel=0.03)
    assert np.std(sf[ls.los]) == pytest.approx(4.0, rel=0.05)
    # LOS frequency follows the LOS probability
    p = propagation.los_probability("uma", ls.d2d_m, 1.5)
    assert ls.los.mean() == pytest.approx(p.mean(), abs=0.01)


def test_noise_and_power_per_rb():
    s = Scenario()
    noise_dbm = -174 + 10 * math.log10(180e3) + 9
    assert s.noise_w == pytest.approx(10 ** ((noise_dbm - 30) / 10), rel=1e-12)
    assert 10 * math.log10(s.noise_w) + 30 == pytest.approx(-112.447, abs=1e-3)
    assert s.tx_power_w_per_rb == pytest.approx(10**1.6 / 106, rel=1e-12)  # 39.81 W / 106


def test_wideband_sinr_and_fading(rng):
    s = Scenario()
    ls = topology.large_scale(rng, s)
    sinr = topology.wideband_sinr_db(ls, s)
    assert sinr.shape == (s.num_users,) and np.all(np.isfinite(sinr))
    h = topology.rayleigh_fading_power(rng, (200000,))
    assert h.mean() == pytest.approx(1.0, abs=0.01) and np.all(h >= 0)
