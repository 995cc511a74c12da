"""The lateness chart: each system's distribution of lateness in one run of the anchors
harness, one line per system (the share of the burst started by each lateness).

For each system, the repetition whose p99 is the median one is drawn, from the latenesses
``sitecustomize`` kept for it. Usage::

    .venv/bin/python bench/anchors/lateness_chart.py RESULTS.jsonl LATENESS_DIR \\
        --n 10000 --out docs/lateness-burst.png
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any


def median_runs(results: Path, n: int) -> dict[str, dict[str, Any]]:
    """Per system, the finished trial at ``n`` whose p99 is the median of its trials."""
    by_system: dict[str, list[dict[str, Any]]] = {}
    for line in results.read_text().splitlines():
        row = json.loads(line)
        if row.get("n") == n and row.get("ok") and row.get("late_p99") is not None:
            by_system.setdefault(row["system"], []).append(row)
    chosen = {}
    for system, rows in by_system.items():
        middle = statistics.median_low([row["late_p99"] for row in rows])
        chosen[system] = next(row for row in rows if row["late_p99"] == middle)
    return chosen


def draw(results: Path, latenesses: Path, n: int, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 5.5), dpi=110)
    drawn = []
    for system, row in sorted(median_runs(results, n).items()):
        kept = latenesses / f"{row['run_id']}.json"
        if not kept.exists():
            continue
        values = json.loads(kept.read_text())
        shares = [(index + 1) / n for index in range(len(values))]
        label = f"{system} (p99 {row['late_p99']:.2f} s)"
        axes.step(values, shares, where="post", label=label, linewidth=1.6)
        drawn.append(system)
    axes.set_xscale("symlog", linthresh=0.1)
    axes.set_xlabel("lateness: start minus due (s)")
    axes.set_ylabel(f"share of the {n:,} jobs started")
    axes.set_ylim(0, 1.02)
    axes.grid(True, which="both", alpha=0.3)
    axes.set_title(f"Burst of {n:,} jobs due at one instant (anchors harness, one run)")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("latenesses", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("docs/lateness-burst.png"))
    args = parser.parse_args()
    drawn = draw(args.results, args.latenesses, args.n, args.out)
    print(f"{args.out}: {', '.join(drawn) or 'no system had its latenesses kept'}")


if __name__ == "__main__":
    main()
