"""Schedules: when a task runs. Pure code, no I/O; time is always an argument.

``parse(text, tz, now)`` turns what a person or a model says into one of four
schedules (Once, Interval, Cron, RRule), or into AfterTask ("after task 12"), which has
no instant of its own; each offers ``next_after``,
``preview``, ``describe`` and a ``normalized`` text that parses back to itself.
"""

from agentcron.errors import ScheduleError
from agentcron.schedules._base import Schedule, ScheduleKind
from agentcron.schedules._zones import get_zone
from agentcron.schedules.after import AfterTask, AfterWhen
from agentcron.schedules.cron import Cron, CronExpression
from agentcron.schedules.interval import Interval
from agentcron.schedules.once import Once
from agentcron.schedules.parse import describe_normalized, parse, parse_normalized
from agentcron.schedules.rrule import RRule, RRuleSpec

__all__ = [
    "AfterTask",
    "AfterWhen",
    "Cron",
    "CronExpression",
    "Interval",
    "Once",
    "RRule",
    "RRuleSpec",
    "Schedule",
    "ScheduleError",
    "ScheduleKind",
    "describe_normalized",
    "get_zone",
    "parse",
    "parse_normalized",
]
