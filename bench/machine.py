"""What every benchmark reports beside its figures: the machine it ran on, the median, min and
max of a row's samples, and the report's heading, targets and JSON file."""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the figures."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info(packages: Sequence[str], **extra: str) -> dict[str, str]:
    """The interpreter, the platform, the CPUs and the load average now, then the installed
    version of each of ``packages``, then ``extra``, in that order."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu_count": f"{os.cpu_count()} (usable: {usable})",
        "load_average_at_start": load_average(),
        **{name: package_version(name) for name in packages},
        **extra,
    }


def summary(samples: Sequence[float]) -> dict[str, float]:
    """The median, min and max of ``samples``, under those keys."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def heading(title: str, info: dict[str, str]) -> list[str]:
    """A report's first lines: ``# agentcron TITLE, <now> UTC``, then one line per ``info``."""
    lines = [f"# agentcron {title}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    return lines + [f"- {name}: {value}" for name, value in info.items()]


def target_lines(targets: list[tuple[str, bool]]) -> list[str]:
    """A report's last lines: each target, passed or failed."""
    return ["", "Targets:", *(f"- {'PASS' if ok else 'FAIL'}: {label}" for label, ok in targets)]


def write_json(
    path: Path,
    *,
    info: dict[str, str],
    settings: dict[str, Any],
    results: dict[str, Any],
    targets: list[tuple[str, bool]],
    ensure_ascii: bool = True,
    **more: Any,
) -> None:
    """The date, ``info``, ``settings``, ``results``, ``more`` and ``targets`` as JSON in
    ``path``."""
    payload = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "settings": settings,
        "results": results,
        **more,
        "targets": [{"target": label, "pass": ok} for label, ok in targets],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=ensure_ascii) + "\n")
