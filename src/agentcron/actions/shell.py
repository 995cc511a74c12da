"""``shell``: run a command, refused unless the operator allow-lists it."""

from __future__ import annotations

import asyncio
import shlex
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentcron.abc import Action, ActionContext, ActionResult
from agentcron.errors import ActionFailed, InvalidInputError

MAX_OUTPUT_RECORDED = 4096


class ShellPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(min_length=1, max_length=4000)


class ShellAction(Action):
    """Run an allow-listed program (no shell: arguments are split, never interpreted)."""

    name: ClassVar[str] = "shell"
    payload_model = ShellPayload

    def check(self, payload: BaseModel) -> None:
        assert isinstance(payload, ShellPayload)
        program = _argv(payload.command)[0]
        allowed = self.settings.shell_allow
        if program not in allowed:
            hint = (
                f"allowed: {', '.join(sorted(allowed))}"
                if allowed
                else "no command is allowed; the operator sets AGENTCRON_SHELL_ALLOW"
            )
            raise InvalidInputError(f"The shell action may not run '{program}' ({hint}).")

    async def run(self, context: ActionContext) -> ActionResult:
        payload = ShellPayload.model_validate(context.payload)
        self.check(payload)  # the allow-list may have shrunk since the task was created
        argv = _argv(payload.command)
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
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
