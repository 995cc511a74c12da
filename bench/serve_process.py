"""What every benchmark does with an ``agentcron serve`` process: start it, read its memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``agentcron serve`` with ``env``, its output in ``log``; returns once it serves."""
    with log.open("wb") as handle:
        serve = subprocess.Popen(
            [sys.executable, "-m", "agentcron", "serve"], env=env, stdout=handle, stderr=handle
        )
    while b"agentcron serving" not in log.read_bytes():
        if serve.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.05)
    return serve


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A memory figure of a process from /proc: VmHWM (peak RSS) or VmRSS (current)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]
