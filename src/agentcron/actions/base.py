"""The action contract: what a run does when its occurrence comes due."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ValidationError

from agentcron.config import Settings
from agentcron.errors import InvalidInputError, RuntimeFailure, summarize_problems

if TYPE_CHECKING:
    from agentcron.service import TaskService


@dataclass(frozen=True)
class ActionContext:
    """Everything an action may know about the run it performs."""

    run_id: int
    task_id: int
    task_title: str
    owner_id: str
    timezone: str
    scheduled_for: datetime
    attempt: int
    payload: dict[str, Any]
    settings: Settings
    service: TaskService | None = None
    """The task service, for actions that read or create tasks (the agent's tools)."""


@dataclass(frozen=True)
class ActionResult:
    """What a run produced: a message for the person and what the system should do next."""

    output: str
    result: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    notify: bool = True
    complete: bool = False


class ActionFailed(RuntimeFailure):
    """The action failed; ``retryable`` says whether another attempt may succeed."""

    code = "action_failed"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.details = details
        """Kept as the run's result (an agent's trace up to the failure, say)."""


class Action(ABC):
    """One kind of work a task can do; registered under ``name``.

    Plugins add kinds through the ``agentcron.actions`` entry-point group: each
    entry names a subclass, constructed with the settings.
    """

    name: ClassVar[str]
    payload_model: ClassVar[type[BaseModel]]
    default_overlap: ClassVar[str] = "allow"
    default_timeout_seconds: ClassVar[float] = 30.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def validate(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload checked and normalized, or InvalidInputError saying what is wrong."""
        try:
            model = self.payload_model.model_validate(payload)
        except ValidationError as error:
            problems = summarize_problems(error.errors(), "payload")
            raise InvalidInputError(f"Invalid {self.name} payload ({problems}).") from None
        self.check(model)
        return model.model_dump(mode="json", exclude_none=True, by_alias=True)

    def check(self, payload: BaseModel) -> None:  # noqa: B027 - optional hook, no-op by default
        """Operator rules beyond the payload's shape (allow-lists); raise to refuse."""

    @abstractmethod
    async def run(self, context: ActionContext) -> ActionResult:
        """Do the work once. Raise ActionFailed on failure; the runner enforces the timeout."""
