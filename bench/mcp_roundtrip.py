"""MCP round trip: ``schedule_task`` called through the official ``mcp`` client on stdio,
against ``agentcron mcp`` in a subprocess on SQLite in a temporary home, beside the same
creates made by ``TaskService.create`` in process.

Each run gets a fresh home for each row:

- ``mcp stdio``: one client session to a fresh ``python -m agentcron mcp``; ``--warmup``
  calls (not counted), then ``--n`` calls one after another, each a new one-off reminder
  an hour ahead (distinct titles, so each is created, none is the session's repeat);
- ``service``: the same requests, ``TaskService.create`` awaited one after another, on a
  service built as the CLI builds it (``command_service``).

A call's latency is from the request sent to its answer read (the client's side: the JSON-RPC
framing, the pipes, the tool's validation, the service call and its transaction). With
``--runs`` above 1, each figure is the median over runs. The report is a markdown table
(median, p90, p99 and mean per row) and the ratio of the MCP median to the service's.

Usage::

    uv run --frozen python bench/mcp_roundtrip.py [--n 200] [--warmup 20] [--runs 3]
    uv run --frozen python bench/mcp_roundtrip.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from agentcron.bootstrap import command_service
from agentcron.config import Settings
from machine import heading, machine_info, write_json
from serve_process import percentile

ZONE = "Europe/Paris"


def request(index: int) -> dict[str, Any]:
    """A one-off reminder an hour ahead, its title its own."""
    return {"title": f"Reminder {index}", "when": "in 1 hour", "payload": {"message": "hi"}}


async def over_stdio(home: Path, n: int, warmup: int) -> list[float]:
    """Seconds per ``schedule_task`` call, each after the one before."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    environment |= {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": ZONE}
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "agentcron", "mcp"], env=environment
    )
    timings: list[float] = []
    async with Client(parameters) as client:
        for index in range(warmup + n):
            started = time.perf_counter()
            result = await client.call_tool("schedule_task", request(index))
            elapsed = time.perf_counter() - started
            if result.is_error:
                raise SystemExit(f"schedule_task refused: {result.content}")
            if index >= warmup:
                timings.append(elapsed)
    return timings


async def in_process(home: Path, n: int, warmup: int) -> list[float]:
    """Seconds per ``TaskService.create`` call, each after the one before."""
    timings: list[float] = []
    async with command_service(Settings(home=home, timezone=ZONE)) as (service, owner):
        for index in range(warmup + n):
            started = time.perf_counter()
            await service.create(owner, request(index))
            elapsed = time.perf_counter() - started
            if index >= warmup:
                timings.append(elapsed)
    return timings


def figures(timings: list[float]) -> dict[str, float]:
    """Milliseconds: median, p90, p99 and mean."""
    ms = [value * 1000 for value in timings]
    return {
        "median": statistics.median(ms),
        "p90": percentile(ms, 0.90),
        "p99": percentile(ms, 0.99),
        "mean": statistics.fmean(ms),
    }


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def render(info: dict[str, str], rows: dict[str, dict[str, float]], n: int, runs: int) -> str:
    lines = heading("MCP round trip (schedule_task on stdio)", info)
    lines += [
        f"- calls per row: {n}, one after another; runs: {runs} (figures: medians over runs)",
        "",
        "| row | median ms | p90 ms | p99 ms | mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        cells = " | ".join(f"{row[key]:.2f}" for key in ("median", "p90", "p99", "mean"))
        lines.append(f"| {name} | {cells} |")
    ratio = rows["mcp stdio"]["median"] / rows["service"]["median"]
    lines += ["", f"MCP median / service median: {ratio:.1f}x"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200, help="counted calls per row")
    parser.add_argument("--warmup", type=int, default=20, help="uncounted calls before each row")
    parser.add_argument("--runs", type=int, default=1, help="runs, each in fresh homes")
    parser.add_argument("--quick", action="store_true", help="30 calls, 5 to warm up, 1 run")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.warmup, args.runs = 30, 5, 1
    if args.n < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--n and --runs must be at least 1, --warmup at least 0")
    for name in [name for name in os.environ if name.startswith("AGENTCRON_")]:
        del os.environ[name]  # the caller's configuration must not reach these stores

    info = machine_info(("agentcron", "mcp", "sqlalchemy"), store="SQLite in a temporary home")
    measured: dict[str, list[dict[str, float]]] = {"mcp stdio": [], "service": []}
    for run in range(args.runs):
        print(f"run {run + 1} of {args.runs}", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as mcp_home, tempfile.TemporaryDirectory() as home:
            measured["mcp stdio"].append(
                figures(asyncio.run(over_stdio(Path(mcp_home), args.n, args.warmup)))
            )
            measured["service"].append(
                figures(asyncio.run(in_process(Path(home), args.n, args.warmup)))
            )
    rows = {name: median_figures(runs) for name, runs in measured.items()}
    print(render(info, rows, args.n, args.runs))
    if args.json is not None:
        write_json(
            args.json,
            info=info,
            settings={"n": args.n, "warmup": args.warmup, "runs": args.runs},
            results={"rows": rows, "runs": measured},
            targets=[],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
