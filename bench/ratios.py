"""Ratios from a pytest-benchmark JSON file: core vs reference, core vs roofline (min times).

Usage: python bench/ratios.py out.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(path: str) -> None:
    data = json.load(open(path))
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    for b in data["benchmarks"]:
        name = b["name"]
        key = (
            "roofline" if "roofline" in name
            else "reference" if "reference" in name
            else "naive" if "naive" in name
            else "shared-cold" if "shared_cold" in name
            else "shared-incremental" if "shared_incremental" in name
            else "core"
        )
        groups[b["group"]][key] = b["stats"]["min"]
    print(f"machine: {data['machine_info'].get('cpu', {}).get('brand_raw', '?')}")
    for group, t in sorted(groups.items()):
        parts = [f"{k} {v * 1e3:.3f} ms" for k, v in sorted(t.items())]
        if "reference" in t and "core" in t:
            parts.append(f"core is {t['reference'] / t['core']:.1f}x faster than the reference")
        for k in ("shared-cold", "shared-incremental"):
            if k in t and "naive" in t:
                parts.append(f"{k} is {t['naive'] / t[k]:.1f}x faster than naive")
        if "roofline" in t and "core" in t:
            parts.append(f"core = {t['core'] / t['roofline']:.2f}x the roofline")
        print(f"{group}: " + "; ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1])
