"""``shell``: run a command, refused unless the operator allow-lists it.

Two operator settings bound what a task may run: ``shell_allow`` names the programs, and
``shell_allow_args`` may give, per program, the glob patterns each of its arguments must
match. A program without patterns takes any arguments, so an allowed program that runs
others (``find -exec``, ``env``, an interpreter) can run anything.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.actions._shell_env import check_env, child_env
from agentcron.errors import ActionFailed, InvalidInputError

MAX_OUTPUT_RECORDED = 4096


class ShellPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(
        min_length=1,
        max_length=4000,
        description="the program and its arguments, split like a shell would (no shell runs "
        "it); the program must be in AGENTCRON_SHELL_ALLOW",
    )
    env: dict[str, str] | None = Field(
        default=None, description="more environment variables (PATH, HOME, TZ are set)"
    )
    """More environment variables for the program (its environment is otherwise minimal)."""

    @field_validator("env")
    @classmethod
    def _checked_env(cls, env: dict[str, str] | None) -> dict[str, str] | None:
        if env is not None:
            check_env(env)
        return env


class ShellAction(Action):
    """Run an allow-listed program (no shell: arguments are split, never interpreted)."""

    name: ClassVar[str] = "shell"
    payload_model = ShellPayload
    summary: ClassVar[str] = "Run an allow-listed program; its output is recorded."
    payload_example: ClassVar[Mapping[str, Any]] = {
        "command": "backup.sh --quick",
        "env": {"BACKUP_DIR": "/srv/backups"},
    }
    defaults: ClassVar[Mapping[str, Any]] = {"notify_policy": "failure"}  # told when it fails

    def check(self, payload: BaseModel) -> None:
        assert isinstance(payload, ShellPayload)
        program, *arguments = _argv(payload.command)
        allowed = self.settings.shell_allow
        if program not in allowed:
            hint = (
                f"allowed: {', '.join(sorted(allowed))}"
                if allowed
                else "no command is allowed; the operator sets AGENTCRON_SHELL_ALLOW"
            )
            raise InvalidInputError(f"The shell action may not run '{program}' ({hint}).")
        patterns = self.settings.shell_allow_args.get(program)
        if patterns is None:
            return  # the operator gave no patterns: any arguments
        for argument in arguments:
            if not any(fnmatchcase(argument, pattern) for pattern in patterns):
                accepted = ", ".join(f"'{p}'" for p in patterns) or "none"
                raise InvalidInputError(
                    f"The shell action may not pass '{argument}' to '{program}' (arguments "
                    f"AGENTCRON_SHELL_ALLOW_ARGS allows for it: {accepted})."
                )

    async def run(self, context: ActionContext) -> ActionResult:
        payload = ShellPayload.model_validate(context.payload)
        self.check(payload)  # the allow-lists may have shrunk since the task was created
        argv = _argv(payload.command)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=child_env(context.timezone, payload.env),
            )
        except OSError as error:  # not on PATH, not executable
            raise ActionFailed(
                f"'{argv[0]}' cannot be run: {error.strerror}.", retryable=False
            ) from None
        try:
            output, _ = await process.communicate()
        except asyncio.CancelledError:
            process.kill()
            await process.wait()
            raise
        text = output.decode(errors="replace")[:MAX_OUTPUT_RECORDED]
        if process.returncode:
            raise ActionFailed(
                f"'{argv[0]}' exited with status {process.returncode}: {text[-500:]}"
            )
        return ActionResult(output=text.strip(), result={"exit_status": 0})


def _argv(command: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise InvalidInputError(f"Cannot read the command: {error}.") from None
    if not argv:
        raise InvalidInputError("The command is empty.")
    return argv
