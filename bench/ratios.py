"""Ratios from a pytest-benchmark JSON file written by bench/ (interleaved contenders).

Usage: python bench/ratios.py out.json [--markdown]

For each group: every contender's min / median / max, and the ratios reference/core (how much
faster the core is) and core/roofline (how close a TTI gets to one read-only pass over the gain
tensor), both from medians (mins beside).
"""

from __future__ import annotations

import json
import sys


def _ms(s: float) -> str:
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.2f} s"


def rows(data: dict) -> list[dict]:
    out = []
    for b in data["benchmarks"]:
        c = b.get("extra_info", {}).get("contenders")
        if not c:  # a benchmark without interleaved contenders: its own figures
            c = {"core": {k: b["stats"][k] for k in ("min", "median", "max")}}
        row = {"group": b["group"], "contenders": c}
        if "core" in c and "reference" in c:
            row["ref/core median"] = c["reference"]["median"] / c["core"]["median"]
            row["ref/core min"] = c["reference"]["min"] / c["core"]["min"]
        if "core" in c and "roofline" in c:
            row["core/roofline median"] = c["core"]["median"] / c["roofline"]["median"]
            row["core/roofline min"] = c["core"]["min"] / c["roofline"]["min"]
        if "ns_per_draw" in b.get("extra_info", {}):
            row["ns_per_draw"] = b["extra_info"]["ns_per_draw"]
        out.append(row)
    return sorted(out, key=lambda r: r["group"])


def main(path: str) -> None:
    data = json.load(open(path))
    print(f"machine: {data['machine_info'].get('cpu', {}).get('brand_raw', '?')}")
    for r in rows(data):
        parts = [
            f"{k} {_ms(v['median'])} (min {_ms(v['min'])}, max {_ms(v['max'])})"
            for k, v in r["contenders"].items()
        ]
        if "ref/core median" in r:
            parts.append(f"core {r['ref/core median']:.1f}x faster than the reference "
                         f"(mins: {r['ref/core min']:.1f}x)")
        if "core/roofline median" in r:
            parts.append(f"core = {r['core/roofline median']:.2f}x the read-only pass "
                         f"(mins: {r['core/roofline min']:.2f}x)")
        if "ns_per_draw" in r:
            parts.append("ns/draw (min): " + ", ".join(f"{k} {v:.2f}" for k, v in r["ns_per_draw"].items()))
        print(f"{r['group']}: " + "; ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1])
