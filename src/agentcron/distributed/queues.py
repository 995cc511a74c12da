"""The broker's queues, and which one each kind of work goes to.

Operators run specialised workers per queue (``agentcron worker --queues agent``): LLM
calls are long and many, reminders short and urgent, maintenance rare and heavy.
"""

from __future__ import annotations

from typing import Final

AGENT: Final = "agent"
NOTIFY: Final = "notify"
DEFAULT: Final = "default"
MAINTENANCE: Final = "maintenance"
QUEUES: Final = (AGENT, NOTIFY, DEFAULT, MAINTENANCE)
"""Every queue; a worker started without ``--queues`` serves them all."""

_BY_ACTION: Final = {"agent": AGENT, "reminder": NOTIFY}

RUNS_TASK: Final = "agentcron.runs"
"""The Celery task that carries run ids to a worker."""
PURGE_TASK: Final = "agentcron.purge"
"""The Celery task that deletes history past the retention."""


def queue_for(action: str) -> str:
    """The queue of a run of ``action``: agent runs to ``agent``, reminders (whose whole job
    is to tell someone) to ``notify``, every other action (http, shell, plugins) to
    ``default``."""
    return _BY_ACTION.get(action, DEFAULT)


def parse_queues(text: str | None) -> tuple[str, ...]:
    """``--queues agent,notify`` as a tuple of known queues (every queue when not given).

    Raises ValueError naming an unknown queue and the known ones.
    """
    if text is None or not text.strip():
        return QUEUES
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise ValueError(
            f"unknown queue {', '.join(repr(n) for n in unknown) or '(none given)'}; "
            f"the queues are {', '.join(QUEUES)}"
        )
    return names
