"""Keeps every job's lateness from the anchors harness's trials, for the lateness chart.

Python loads this module at start in every process that has ``bench/anchors`` on its
path (``bench/anchors/run.sh`` puts it there). It acts only when ``ANCHORS_LATENESS_DIR``
is set: the harness's trial process then writes, beside its own percentiles, each job's
lateness (first start minus due, in seconds) to ``<dir>/<run_id>.json``, as the harness
collects the sink. Nothing the harness measures is changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _keep_latenesses(folder: Path) -> None:
    try:
        from anchorbench import sink  # type: ignore[import-not-found]
    except ImportError:  # a process that is not the harness's
        return
    collect = sink.collect

    def collect_and_keep(run_id: str) -> Any:
        records = collect(run_id)
        first: dict[str, float] = {}
        for job_id, due, start, _pid in records:
            first.setdefault(job_id, start - due)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{run_id}.json").write_text(json.dumps(sorted(first.values())))
        return records

    sink.collect = collect_and_keep


if os.environ.get("ANCHORS_LATENESS_DIR"):
    _keep_latenesses(Path(os.environ["ANCHORS_LATENESS_DIR"]))
