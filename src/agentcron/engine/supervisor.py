"""Keeping a process's long-lived loops alive: each loop is a step called again and again;
a step that raises is logged with its cause and called again after a growing pause.

A store that is locked, full or unreachable, or a broker that is down, is waited out for as
long as it takes (the scheduler carries on when it comes back). Any other error that keeps
recurring, with no step of that loop succeeding for ``give_up_seconds``, or a configuration
error at once, stops the process: ``done`` is set with one line saying why, and the
process exits non-zero rather than stay up doing nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from agentcron.abc import Clock
from agentcron.errors import AgentCronError, BrokerError, ConfigurationError, StoreError

log = logging.getLogger("agentcron.supervisor")

FIRST_PAUSE_SECONDS = 0.1
LONGEST_PAUSE_SECONDS = 2.0


@dataclass
class LoopState:
    """How one loop is doing, as ``agentcron status`` shows it."""

    name: str
    state: str = "running"  # running, retrying, stopped or failed
    restarts: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("last_error_at", "failing_since"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def describe(error: BaseException) -> str:
    """One line for a person: agentcron's own message, or the exception's type and text."""
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return message
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class Supervisor:
    """Keeps named loops going (the ``Supervisor`` contract); their owners create and
    cancel the tasks, so each stops its own loops in its own order."""

    def __init__(
        self,
        clock: Clock,
        *,
        give_up_seconds: float,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.clock = clock
        self.give_up_seconds = give_up_seconds
        self.on_change = on_change
        self.states: dict[str, LoopState] = {}
        self.done = asyncio.Event()
        self.fatal: str | None = None

    def snapshot(self) -> list[dict[str, Any]]:
        return [state.as_json() for state in self.states.values()]

    async def keep(
        self,
        name: str,
        step: Callable[[], Awaitable[None]],
        *,
        until: Callable[[], bool] | None = None,
    ) -> None:
        state = self.states[name] = LoopState(name)
        pause = FIRST_PAUSE_SECONDS
        try:
            while until is None or not until():
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if self._stop_for(state, error, self.clock.now()):
                        return
                    log.error(
                        "%s failed: %s; trying again in %.1f s", name, describe(error), pause,
                        exc_info=not isinstance(error, AgentCronError),
                    )  # fmt: skip
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
                    continue
                if state.failing_since is not None:
                    log.warning("%s works again after %d failures", name, state.restarts)
                    state.state, state.failing_since = "running", None
                    self._changed()
                pause = FIRST_PAUSE_SECONDS
        finally:
            if state.state != "failed":
                state.state = "stopped"

    def _stop_for(self, state: LoopState, error: Exception, now: datetime) -> bool:
        """Record ``error``; True when it ends the process."""
        first = state.failing_since is None
        state.failing_since = state.failing_since or now
        state.state, state.last_error, state.last_error_at = "retrying", describe(error), now
        state.restarts += 1
        failing_for = (now - state.failing_since).total_seconds()
        if isinstance(error, ConfigurationError):
            reason = describe(error)
        elif (
            not isinstance(error, StoreError | BrokerError) and failing_for >= self.give_up_seconds
        ):
            reason = f"it kept failing for {failing_for:.0f} s: {describe(error)}"
        else:
            if first:
                self._changed()
            return False
        state.state = "failed"
        self.fatal = f"the {state.name} loop stopped: {reason}"
        log.critical("%s", self.fatal, exc_info=not isinstance(error, AgentCronError))
        self._changed()
        self.done.set()
        return True

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
