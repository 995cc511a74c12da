"""Benchmark of agentcron's schedule layer against the libraries it competes with or builds on.

One run measures, on the same machine and in the same process:

- cron ``next_after`` (agentcron) against croniter's own ``get_next``, naive and tz-aware;
- RRULE ``next_after`` (agentcron) against dateutil's own ``rrule.after()`` and ``xafter()``
  on equivalent naive rules, with a DTSTART in 2020 and a recent one;
- one cold ``next_after`` on the same rule with DTSTART 1990, 2020 and 2026 (what the
  age of a rule costs), against dateutil's ``rrule.after()``;
- ``parse()`` of English phrases (agentcron) against ``dateparser.parse`` on the one-off phrases.

Every walk goes forward: each call starts where the previous one ended, from
2026-11-22T10:07Z, so a walk of 2,000 calls spans years. The dateutil rules agentcron
caches are cleared before every repetition, and every ``parse`` gets a new ``now``, so
no repetition reuses the work of the one before. Each figure is run ``--reps`` times
after a warm-up pass, with the garbage collector disabled while timing; the table gives
the median of the per-repetition means, with min and max. The walks are checked to
yield the same occurrences in every library before anything is timed.

Usage::

    uv run --frozen python bench/schedules_bench.py --reps 7 [--json results.json]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
from croniter import croniter
from dateutil import rrule as du

from agentcron.schedules import Cron, Schedule, parse
from agentcron.schedules import rrule as agentcron_rrule
from machine import heading, load_average, machine_info, summary, target_lines, write_json

TZ = "Europe/Paris"
ZONE = ZoneInfo(TZ)
START = datetime(2026, 11, 22, 10, 7, tzinfo=UTC)
START_WALL = START.astimezone(ZONE).replace(tzinfo=None)  # 2026-11-22 11:07, Paris wall clock
NEXT_AFTER_TARGET_US = 50.0
PARSE_TARGET_US = 2000.0
WARMUP_CALLS = 200
FIRST_CALLS = 200

CRON_EXPRESSIONS = ("30 8 * * 1-5", "*/15 9-17 * * mon-fri")
WEEKDAY_PHRASE = "every weekday at 8:30"
MO_WE_RULE = "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0"
MO_WE_2020_START = datetime(2020, 1, 6, 9, 0)
MO_WE_RECENT_START = datetime(2026, 11, 23, 9, 0)
MO_WE_1990_START = datetime(1990, 1, 1, 9, 0)  # a Monday, like 2020-01-06
MO_WE_2020 = f"DTSTART;TZID={TZ}:{MO_WE_2020_START:%Y%m%dT%H%M%S} {MO_WE_RULE}"
MO_WE_RECENT = f"DTSTART;TZID={TZ}:{MO_WE_RECENT_START:%Y%m%dT%H%M%S} {MO_WE_RULE}"

ONE_OFF_PHRASES = (
    "tomorrow at 9am",
    "in half an hour",
    "in 2 hours",
    "next friday at 5pm",
    "monday at noon",
    "tonight at 11pm",
    "at 7pm",
    "on december 24 at 18:00",
    "the day after tomorrow at 10am",
    "in 3 days at 8am",
    "in a fortnight at 9am",
    "Thursday, 3 December 2026 at 14:00",
)
RECURRING_PHRASES = (
    "every weekday at 8:30",
    "every monday at 9am",
    "on the last day of every month at 17:00",
    "every other week on tuesday at 9",
    "every sunday at 10pm until december 31",
    "on the first monday of every month at 10:00",
    "every day at 7am and 7pm",
    "every day at 18:30 for 10 days",
    "every 15 minutes",
    "every year on march 14 at noon",
)
PHRASES = ONE_OFF_PHRASES + RECURRING_PHRASES
GROWN_PHRASES = (  # the forms added to the grammar later, one of each kind
    "at 8am, noon and 6pm every day",
    "every day at 7 and 19:30",
    "every 15 minutes from 8 to 6 on weekdays",
    "hourly between 10am and 4pm",
    "tuesday through friday at 8",
    "mon-fri at 7:45",
    "the first and third monday of each month at noon",
    "quarterly on the 15th at 9",
    "every 6 months on the 1st",
    "every 10 minutes for the next 2 hours",
    "every day at 8 until the end of the month",
    "every monday until the end of the year",
    "every day at 6pm starting next tuesday",
    "in an hour and a half",
    "in 2h15m",
    "in a couple of minutes",
    "next week on thursday at 3pm",
    "every day at 9, 5 times",
)

Rep = Callable[[], float]
"""One timed repetition; returns microseconds per operation."""


@dataclass
class Result:
    key: str
    group: str
    label: str
    unit: str
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "label": self.label,
            "unit": self.unit,
            **summary(self.samples),
            "samples": self.samples,
            "note": self.note,
        }


@dataclass(frozen=True)
class Case:
    key: str
    group: str
    label: str
    rep: Rep
    warmup: Rep
    before_rep: Callable[[], None] = lambda: None
    unit: str = "µs/call"
    note: str = ""


# --- walks -------------------------------------------------------------------------------


def _per_call(started: float, calls: int) -> float:
    return (time.perf_counter() - started) / calls * 1e6


def walk_schedule(schedule: Schedule, calls: int) -> Rep:
    """agentcron: ``next_after`` chained from START, ``calls`` times."""

    def rep() -> float:
        after = START
        started = time.perf_counter()
        for _ in range(calls):
            found = schedule.next_after(after)
            if found is None:
                raise RuntimeError(f"{schedule} ended during the walk")
            after = found
        return _per_call(started, calls)

    return rep


def walk_croniter(expression: str, start: datetime, calls: int) -> Rep:
    """croniter: one iterator, ``get_next`` ``calls`` times (the iterator is built untimed)."""

    def rep() -> float:
        iterator = croniter(expression, start)
        started = time.perf_counter()
        for _ in range(calls):
            iterator.get_next(datetime)
        return _per_call(started, calls)

    return rep


def walk_dateutil_after(rule: du.rrule, calls: int) -> Rep:
    """dateutil: ``rule.after(previous)`` chained from the Paris wall time of START."""

    def rep() -> float:
        after = START_WALL
        started = time.perf_counter()
        for _ in range(calls):
            found = rule.after(after)
            if found is None:
                raise RuntimeError("the dateutil rule ended during the walk")
            after = found
        return _per_call(started, calls)

    return rep


def walk_dateutil_xafter(rule: du.rrule, calls: int) -> Rep:
    """dateutil: one ``xafter`` generator yielding ``calls`` occurrences."""

    def rep() -> float:
        seen = 0
        started = time.perf_counter()
        for _ in rule.xafter(START_WALL, count=calls):
            seen += 1
        elapsed = _per_call(started, calls)
        if seen != calls:
            raise RuntimeError("the dateutil rule ended during the walk")
        return elapsed

    return rep


def mo_we_rule(dtstart: datetime) -> du.rrule:
    """dateutil's naive equivalent of FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0."""
    return du.rrule(
        du.WEEKLY, dtstart=dtstart, byweekday=(du.MO, du.WE), byhour=9, byminute=0, bysecond=0
    )


def first_call_schedule(schedule: Schedule, calls: int) -> Rep:
    """agentcron: the same ``next_after(START)``, caches cleared (untimed) before each call."""

    def rep() -> float:
        elapsed = 0.0
        for _ in range(calls):
            clear_rrule_caches()
            started = time.perf_counter()
            schedule.next_after(START)
            elapsed += time.perf_counter() - started
        return elapsed / calls * 1e6

    return rep


def first_call_dateutil(rule: du.rrule, calls: int) -> Rep:
    """dateutil: the same ``rule.after()`` from the Paris wall time of START."""

    def rep() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            rule.after(START_WALL)
        return _per_call(started, calls)

    return rep


def clear_rrule_caches() -> None:
    """Forget the dateutil rules agentcron built, so each repetition starts as the first did."""
    agentcron_rrule._window_occurrences.cache_clear()
    agentcron_rrule._all_occurrences.cache_clear()


# --- walks must agree, or the comparison is meaningless -------------------------------------


def _walls_agentcron(schedule: Schedule, calls: int) -> list[datetime]:
    walls: list[datetime] = []
    after = START
    for _ in range(calls):
        found = schedule.next_after(after)
        if found is None:
            break
        walls.append(found.astimezone(ZONE).replace(tzinfo=None))
        after = found
    return walls


def _walls_croniter(expression: str, start: datetime, calls: int) -> list[datetime]:
    iterator = croniter(expression, start)
    found = (iterator.get_next(datetime) for _ in range(calls))
    return [
        moment.astimezone(ZONE).replace(tzinfo=None) if moment.tzinfo else moment
        for moment in found
    ]


def _walls_dateutil(rule: du.rrule, calls: int) -> list[datetime]:
    return list(rule.xafter(START_WALL, count=calls))


def _agreement(name: str, ours: list[datetime], theirs: list[datetime]) -> str:
    if ours == theirs:
        span = f"{ours[0]:%Y-%m-%d} to {ours[-1]:%Y-%m-%d}"
        return f"{name}: identical ({len(ours)} occurrences, {span})"
    index = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
        min(len(ours), len(theirs)),
    )
    return f"{name}: DIFFERENT from occurrence {index}"


# --- parsing ---------------------------------------------------------------------------------


class Moments:
    """A fresh ``now`` for every parse, as in production, so no memoized answer is reused."""

    def __init__(self) -> None:
        self.count = 0

    def __iter__(self) -> Iterator[datetime]:
        return self

    def __next__(self) -> datetime:
        self.count += 1
        return START + timedelta(seconds=self.count, microseconds=(self.count * 7919) % 1_000_000)


def parse_phrases(
    phrases: Sequence[str], loops: int, moments: Moments, per_phrase: dict[str, list[float]]
) -> Rep:
    """agentcron: ``parse`` of each phrase ``loops`` times; per-phrase means into ``per_phrase``."""

    def rep() -> float:
        total = 0.0
        for phrase in phrases:
            elapsed = 0.0
            for _ in range(loops):
                now = next(moments)
                started = time.perf_counter()
                parse(phrase, TZ, now)
                elapsed += time.perf_counter() - started
            per_phrase.setdefault(phrase, []).append(elapsed / loops * 1e6)
            total += elapsed
        return total / (len(phrases) * loops) * 1e6

    return rep


def dateparser_phrases(
    phrases: Sequence[str], loops: int, moments: Moments, understood: dict[str, bool]
) -> Rep:
    """dateparser: ``dateparser.parse`` on the same phrases, with the same kind of ``now``."""

    def rep() -> float:
        total = 0.0
        for phrase in phrases:
            for _ in range(loops):
                base = next(moments).astimezone(ZONE).replace(tzinfo=None)
                settings: Any = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
                started = time.perf_counter()
                found = dateparser.parse(phrase, languages=["en"], settings=settings)
                total += time.perf_counter() - started
            understood[phrase] = found is not None
        return total / (len(phrases) * loops) * 1e6

    return rep


# --- harness ---------------------------------------------------------------------------------


def measure(case: Case, reps: int) -> Result:
    result = Result(case.key, case.group, case.label, case.unit, note=case.note)
    case.before_rep()
    case.warmup()
    for _ in range(reps):
        case.before_rep()
        gc.collect()
        gc.disable()
        try:
            result.samples.append(case.rep())
        finally:
            gc.enable()
    return result


def build_cases(calls: int, loops: int) -> tuple[list[Case], list[str], dict[str, Any]]:
    cases: list[Case] = []
    checks: list[str] = []
    side: dict[str, Any] = {"per_phrase": {}, "dateparser_understood": {}}
    warm = min(calls, WARMUP_CALLS)
    start_aware = START_WALL.replace(tzinfo=ZONE)

    for expression in CRON_EXPRESSIONS:
        group = f"cron '{expression}'"
        cron = Cron.from_text(expression, TZ)
        cases += [
            Case(
                f"cron:{expression}:agentcron",
                group,
                "agentcron Cron.next_after",
                walk_schedule(cron, calls),
                walk_schedule(cron, warm),
            ),
            Case(
                f"cron:{expression}:croniter-naive",
                group,
                "croniter get_next, naive start",
                walk_croniter(expression, START_WALL, calls),
                walk_croniter(expression, START_WALL, warm),
            ),
            Case(
                f"cron:{expression}:croniter-tz",
                group,
                f"croniter get_next, start aware in {TZ}",
                walk_croniter(expression, start_aware, calls),
                walk_croniter(expression, start_aware, warm),
            ),
        ]
        ours = _walls_agentcron(cron, calls)
        checks.append(
            _agreement(
                f"{group} vs croniter naive", ours, _walls_croniter(expression, START_WALL, calls)
            )
        )
        checks.append(
            _agreement(
                f"{group} vs croniter aware", ours, _walls_croniter(expression, start_aware, calls)
            )
        )

    weekday_days = (du.MO, du.TU, du.WE, du.TH, du.FR)
    mo_we_2020 = mo_we_rule(MO_WE_2020_START)
    mo_we_recent = mo_we_rule(MO_WE_RECENT_START)
    rules: list[tuple[str, str, Schedule, list[tuple[str, du.rrule]]]] = [
        (
            "rrule:weekday",
            f"rrule '{WEEKDAY_PHRASE}'",
            parse(WEEKDAY_PHRASE, TZ, START),
            [
                (
                    "DTSTART 2026-11-23",
                    du.rrule(
                        du.WEEKLY,
                        dtstart=datetime(2026, 11, 23, 8, 30),
                        byweekday=weekday_days,
                        byhour=8,
                        byminute=30,
                        bysecond=0,
                    ),
                ),
            ],
        ),
        (
            "rrule:mo-we-2020",
            "rrule MO,WE 09:00, DTSTART 2020-01-06",
            parse(MO_WE_2020, TZ, START),
            [
                ("DTSTART 2020-01-06", mo_we_2020),
                ("DTSTART 2026-11-23", mo_we_recent),
            ],
        ),
    ]
    for key, group, schedule, baselines in rules:
        cases.append(
            Case(
                f"{key}:agentcron",
                group,
                "agentcron RRule.next_after",
                walk_schedule(schedule, calls),
                walk_schedule(schedule, warm),
                before_rep=clear_rrule_caches,
                note="rule caches cleared before each repetition",
            )
        )
        if key == "rrule:mo-we-2020":
            control = parse(MO_WE_RECENT, TZ, START)
            cases.append(
                Case(
                    f"{key}:agentcron-recent",
                    group,
                    "agentcron RRule.next_after, same rule with DTSTART 2026-11-23 (control)",
                    walk_schedule(control, calls),
                    walk_schedule(control, warm),
                    before_rep=clear_rrule_caches,
                    note="rule caches cleared before each repetition",
                )
            )
        ours = _walls_agentcron(schedule, calls)
        for start_label, rule in baselines:
            suffix = start_label.split()[1][:4]
            cases += [
                Case(
                    f"{key}:dateutil-after-{suffix}",
                    group,
                    f"dateutil rrule.after(), naive, {start_label}",
                    walk_dateutil_after(rule, calls),
                    walk_dateutil_after(rule, warm),
                ),
                Case(
                    f"{key}:dateutil-xafter-{suffix}",
                    group,
                    f"dateutil xafter() stream, naive, {start_label}",
                    walk_dateutil_xafter(rule, calls),
                    walk_dateutil_xafter(rule, warm),
                    unit="µs/occurrence",
                ),
            ]
            checks.append(
                _agreement(f"{group} vs dateutil {start_label}", ours, _walls_dateutil(rule, calls))
            )

    group = f"rrule MO,WE 09:00, one next_after from {START:%Y-%m-%d} (age of the rule)"
    mo_we_1990 = f"DTSTART;TZID={TZ}:{MO_WE_1990_START:%Y%m%dT%H%M%S} {MO_WE_RULE}"
    ages: tuple[tuple[str, str, datetime, du.rrule | None], ...] = (
        ("1990", mo_we_1990, MO_WE_1990_START, None),  # dateutil would take ~15 ms a call
        ("2020", MO_WE_2020, MO_WE_2020_START, mo_we_2020),
        ("2026", MO_WE_RECENT, MO_WE_RECENT_START, mo_we_recent),
    )
    for year, text, dtstart, baseline in ages:
        schedule = parse(text, TZ, START)
        cases.append(
            Case(
                f"first:{year}:agentcron",
                group,
                f"agentcron RRule.next_after, DTSTART {dtstart:%Y-%m-%d}, caches cleared",
                first_call_schedule(schedule, FIRST_CALLS),
                first_call_schedule(schedule, FIRST_CALLS // 10),
            )
        )
        if baseline is not None:
            cases.append(
                Case(
                    f"first:{year}:dateutil-after",
                    group,
                    f"dateutil rrule.after(), naive, DTSTART {dtstart:%Y-%m-%d}",
                    first_call_dateutil(baseline, FIRST_CALLS),
                    first_call_dateutil(baseline, FIRST_CALLS // 10),
                )
            )

    moments = Moments()
    per_phrase: dict[str, list[float]] = side["per_phrase"]
    understood: dict[str, bool] = side["dateparser_understood"]
    cases += [
        Case(
            "parse:all",
            "parse",
            f"agentcron parse(), all {len(PHRASES)} phrases",
            parse_phrases(PHRASES, loops, moments, per_phrase),
            parse_phrases(PHRASES, 1, moments, {}),
            unit="µs/phrase",
        ),
        Case(
            "parse:one-off",
            "parse",
            f"agentcron parse(), {len(ONE_OFF_PHRASES)} one-off phrases",
            parse_phrases(ONE_OFF_PHRASES, loops, moments, {}),
            parse_phrases(ONE_OFF_PHRASES, 1, moments, {}),
            unit="µs/phrase",
        ),
        Case(
            "parse:recurring",
            "parse",
            f"agentcron parse(), {len(RECURRING_PHRASES)} recurring phrases",
            parse_phrases(RECURRING_PHRASES, loops, moments, {}),
            parse_phrases(RECURRING_PHRASES, 1, moments, {}),
            unit="µs/phrase",
        ),
        Case(
            "parse:grown",
            "parse",
            f"agentcron parse(), {len(GROWN_PHRASES)} newer forms",
            parse_phrases(GROWN_PHRASES, loops, moments, per_phrase),
            parse_phrases(GROWN_PHRASES, 1, moments, {}),
            unit="µs/phrase",
        ),
        Case(
            "parse:dateparser",
            "parse",
            f"dateparser.parse(), {len(ONE_OFF_PHRASES)} one-off phrases",
            dateparser_phrases(ONE_OFF_PHRASES, loops, moments, understood),
            dateparser_phrases(ONE_OFF_PHRASES, 1, moments, {}),
            unit="µs/phrase",
        ),
    ]
    return cases, checks, side


RATIOS: tuple[tuple[str, str, str], ...] = (
    *(
        (f"cron:{e}:agentcron", f"cron:{e}:croniter-{kind}", f"cron '{e}' vs croniter {kind}")
        for e in CRON_EXPRESSIONS
        for kind in ("naive", "tz")
    ),
    (
        "rrule:weekday:agentcron",
        "rrule:weekday:dateutil-after-2026",
        "weekday vs dateutil after(), 2026",
    ),
    (
        "rrule:weekday:agentcron",
        "rrule:weekday:dateutil-xafter-2026",
        "weekday vs dateutil xafter(), 2026",
    ),
    (
        "rrule:mo-we-2020:agentcron",
        "rrule:mo-we-2020:dateutil-after-2020",
        "MO,WE 2020 vs dateutil after(), 2020",
    ),
    (
        "rrule:mo-we-2020:agentcron",
        "rrule:mo-we-2020:dateutil-after-2026",
        "MO,WE 2020 vs dateutil after(), 2026",
    ),
    (
        "rrule:mo-we-2020:agentcron",
        "rrule:mo-we-2020:dateutil-xafter-2020",
        "MO,WE 2020 vs dateutil xafter(), 2020",
    ),
    (
        "rrule:mo-we-2020:agentcron",
        "rrule:mo-we-2020:agentcron-recent",
        "MO,WE DTSTART 2020 vs DTSTART 2026 (agentcron)",
    ),
    (
        "rrule:mo-we-2020:dateutil-after-2020",
        "rrule:mo-we-2020:dateutil-after-2026",
        "MO,WE DTSTART 2020 vs DTSTART 2026 (dateutil after())",
    ),
    ("first:2020:agentcron", "first:2026:agentcron", "one call, DTSTART 2020 vs 2026 (agentcron)"),
    ("first:1990:agentcron", "first:2020:agentcron", "one call, DTSTART 1990 vs 2020 (agentcron)"),
    (
        "first:2020:dateutil-after",
        "first:2026:dateutil-after",
        "one call, DTSTART 2020 vs 2026 (dateutil after())",
    ),
    (
        "first:2020:agentcron",
        "first:2020:dateutil-after",
        "one call, DTSTART 2020 vs dateutil after()",
    ),
    ("parse:one-off", "parse:dateparser", "one-off phrases vs dateparser.parse()"),
)


# --- report ----------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def schedules_machine_info() -> dict[str, str]:
    """``machine_info`` with the CPU model too, listed after the platform."""
    info = machine_info(("agentcron", "croniter", "python-dateutil", "dateparser", "tzdata"))
    first = {key: info.pop(key) for key in ("python", "platform")}
    return first | {"cpu": _cpu_model()} | info


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def render(
    *,
    results: dict[str, Result],
    checks: list[str],
    side: dict[str, Any],
    targets: list[tuple[str, bool]],
    info: dict[str, str],
    reps: int,
    calls: int,
    loops: int,
) -> str:
    lines = heading("schedules benchmark", info)
    lines += [
        f"- repetitions: {reps}; walks of {calls:,} consecutive calls from {START:%Y-%m-%dT%H:%MZ}"
        f" in {TZ}; each phrase parsed {loops} times per repetition",
        "",
        "| Case | Unit | Median | Min | Max |",
        "|---|---|---:|---:|---:|",
    ]
    group = ""
    for result in results.values():
        if result.group != group:
            group = result.group
            lines.append(f"| **{group}** | | | | |")
        lines.append(
            f"| {result.label} | {result.unit} | {_fmt(result.median)} | "
            f"{_fmt(min(result.samples))} | {_fmt(max(result.samples))} |"
        )
    lines += ["", "| Ratio of medians (> 1: the first is slower) | Ratio |", "|---|---:|"]
    for first, second, label in RATIOS:
        lines.append(f"| {label} | {_ratio(results[first].median / results[second].median)} |")
    per_phrase: dict[str, list[float]] = side["per_phrase"]
    understood: dict[str, bool] = side["dateparser_understood"]
    lines += [
        "",
        "| Phrase | agentcron parse() median µs | understood by dateparser.parse() |",
        "|---|---:|---|",
    ]
    for phrase in PHRASES + GROWN_PHRASES:
        known = {True: "yes", False: "no"}.get(understood.get(phrase, False), "")
        known = known if phrase in ONE_OFF_PHRASES else "(not asked)"
        lines.append(f"| {phrase} | {_fmt(statistics.median(per_phrase[phrase]))} | {known} |")
    lines += ["", "Walk checks (same occurrences, compared as Paris wall times):"]
    lines += [f"- {check}" for check in checks]
    lines += target_lines(targets)
    return "\n".join(lines)


def evaluate_targets(results: dict[str, Result]) -> list[tuple[str, bool]]:
    targets: list[tuple[str, bool]] = []
    for key, result in results.items():
        if key.startswith(("cron:", "rrule:")) and key.endswith(":agentcron"):
            median = result.median
            targets.append(
                (
                    f"{result.group}: next_after median {_fmt(median)} µs "
                    f"< {NEXT_AFTER_TARGET_US:.0f} µs",
                    median < NEXT_AFTER_TARGET_US,
                )
            )
    for key in ("parse:all", "parse:one-off", "parse:recurring", "parse:grown"):
        result = results[key]
        targets.append(
            (
                f"{result.label}: median {_fmt(result.median)} µs < {PARSE_TARGET_US:.0f} µs",
                result.median < PARSE_TARGET_US,
            )
        )
    return targets


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions per figure")
    parser.add_argument("--calls", type=int, default=2000, help="consecutive next_after calls")
    parser.add_argument("--parse-loops", type=int, default=10, help="parses per phrase per rep")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--strict", action="store_true", help="exit with 1 when a target fails")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.calls < 1 or args.parse_loops < 1:
        parser.error("--reps, --calls and --parse-loops must be at least 1")

    warnings.simplefilter("ignore")  # dateparser warns about its own internals
    info = schedules_machine_info()
    cases, checks, side = build_cases(args.calls, args.parse_loops)
    results: dict[str, Result] = {}
    for case in cases:
        print(f"measuring {case.group}: {case.label}", file=sys.stderr, flush=True)
        results[case.key] = measure(case, args.reps)
    info["load_average_at_end"] = load_average()
    targets = evaluate_targets(results)
    print(
        render(
            results=results,
            checks=checks,
            side=side,
            targets=targets,
            info=info,
            reps=args.reps,
            calls=args.calls,
            loops=args.parse_loops,
        )
    )

    if args.json is not None:
        write_json(
            args.json,
            info=info,
            settings={
                "reps": args.reps,
                "calls": args.calls,
                "parse_loops": args.parse_loops,
                "start": START.isoformat(),
                "timezone": TZ,
            },
            results={key: result.as_json() for key, result in results.items()},
            ratios={
                label: results[first].median / results[second].median
                for first, second, label in RATIOS
            },
            per_phrase_median_us={
                phrase: statistics.median(samples) for phrase, samples in side["per_phrase"].items()
            },
            dateparser_understood=side["dateparser_understood"],
            checks=checks,
            targets=targets,
            ensure_ascii=False,
        )
    return 1 if args.strict and not all(ok for _, ok in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
