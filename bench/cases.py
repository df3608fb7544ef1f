"""Benchmark inputs: the paper's scale and the 3GPP scale, with the same random layout recipe."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RB_HZ = 180e3


@dataclass
class Case:
    name: str
    gain: np.ndarray  # [num_ue, num_cell, num_rb] per-RB gains (one TTI)
    gain_ls: np.ndarray  # [num_ue, num_cell, 1] large-scale gains (runs draw fading)
    tx_power_w: np.ndarray
    noise_w: float
    serving: np.ndarray


def make_case(name: str, num_cell: int, ue_per_cell: int, num_rb: int, seed: int = 0) -> Case:
    rng = np.random.default_rng(seed)
    num_ue = num_cell * ue_per_cell
    gain_ls = 10 ** rng.uniform(-13, -8, (num_ue, num_cell, 1))
    serving = np.repeat(np.arange(num_cell), ue_per_cell)
    gain_ls[np.arange(num_ue), serving, 0] *= 100  # users sit in their serving cell
    gain = gain_ls * rng.exponential(size=(num_ue, num_cell, num_rb))
    tx = np.full((num_cell, num_rb), 10 ** ((46 - 30) / 10) / num_rb)
    noise = 10 ** ((-174 + 9 - 30) / 10) * RB_HZ
    return Case(name, gain, gain_ls, tx, noise, serving)


def paper_case() -> Case:
    """Paper scale: 7 cells x 20 users, 106 RBs."""
    return make_case("paper", 7, 20, 106)


def gpp_case() -> Case:
    """3GPP scale: 57 cells x 20 users, 273 RBs."""
    return make_case("3gpp", 57, 20, 273)
