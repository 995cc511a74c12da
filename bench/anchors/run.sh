#!/usr/bin/env bash
# agentcron in the anchors burst harness, beside the anchors, in one run.
#
#   bench/anchors/run.sh [OUT.jsonl]
#
# ANCHORS_DIR: the harness (default: ../shared/anchors-bench from the repository root).
# ANCHORS_VENV: the harness's own virtual environment, for the anchors (default
#   /tmp/anchors-venv, made by the harness's setup_env.sh); ANCHORS=0 skips them.
# SYSTEMS_AGENTCRON, SYSTEMS_ANCHORS, NS, REPS: what to run (defaults below).
# Every job's lateness is kept beside OUT (OUT.lateness/, see sitecustomize.py), and the
# chart of the N=10,000 run drawn to CHART (default docs/lateness-burst.png).
# One trial at a time: on a 2-core machine parallel trials spoil each other.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ANCHORS_DIR=${ANCHORS_DIR:-$ROOT/../shared/anchors-bench}
ANCHORS_VENV=${ANCHORS_VENV:-/tmp/anchors-venv}
OUT=${1:-$ROOT/bench/anchors/results/burst-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
NS=${NS:-1000,10000}
REPS=${REPS:-3}
SYSTEMS_AGENTCRON=${SYSTEMS_AGENTCRON:-agentcron_system:batch,agentcron_system:one_by_one,agentcron_distributed:two_workers,agentcron_distributed:two_workers_c1000}
SYSTEMS_ANCHORS=${SYSTEMS_ANCHORS:-celery-prefork2,celery-threads8,aps-memory,aps-memory-nograce,procrastinate-batch,arq}
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
CHART=${CHART:-$ROOT/docs/lateness-burst.png}
export ANCHORS_LATENESS_DIR="${OUT%.jsonl}.lateness"
cd "$ANCHORS_DIR"
export PYTHONPATH="$ROOT/bench/anchors:$ANCHORS_DIR${PYTHONPATH:+:$PYTHONPATH}"
"$ROOT/.venv/bin/python" bench.py suite --systems "$SYSTEMS_AGENTCRON" --ns "$NS" --reps "$REPS" --out "$OUT"
if [ "${ANCHORS:-1}" != 0 ]; then
  "$ANCHORS_VENV/bin/python" bench.py suite --systems "$SYSTEMS_ANCHORS" --ns "$NS" --reps "$REPS" --out "$OUT"
fi
"$ROOT/.venv/bin/python" bench.py report "$OUT" --ref celery-prefork2
"$ROOT/.venv/bin/python" "$ROOT/bench/anchors/lateness_chart.py" "$OUT" "$ANCHORS_LATENESS_DIR" --n 10000 --out "$CHART"
