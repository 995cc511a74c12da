"""``agentcron chat``: talk to the assistant that turns requests into tasks."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agentcron.cli._context import run_with_service
from agentcron.cli._output import NOBODY_SERVING, console, print_json
from agentcron.errors import AgentCronError, ConfigurationError

if TYPE_CHECKING:
    from agentcron.agent.chat import ChatAssistant
    from agentcron.service import TaskService

_BYE = {"exit", "quit", "bye"}


def chat(
    message: Annotated[
        str | None,
        typer.Argument(help="One message to send; without it, a conversation until Ctrl-D."),
    ] = None,
    conversation: Annotated[
        str, typer.Option("--conversation", "-c", help="Which of your conversations.")
    ] = "default",
    model: Annotated[
        str | None, typer.Option(help="provider:model, instead of AGENTCRON_MODEL.")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Forget this conversation first.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON reply (with MESSAGE).")] = False,
) -> None:
    """Ask for tasks in plain words: "every weekday at 8am, brief me on the weather"."""
    import asyncio  # noqa: PLC0415

    from rich.markup import escape  # noqa: PLC0415

    from agentcron.agent.chat import ChatAssistant  # noqa: PLC0415 - pydantic-ai is heavy
    from agentcron.agent.clients import close_clients  # noqa: PLC0415

    async def talk(service: TaskService, owner: str) -> None:
        try:
            await converse(service, owner)
        finally:
            await close_clients()

    async def converse(service: TaskService, owner: str) -> None:
        assistant = ChatAssistant(service, owner, model=model)
        if reset:
            await assistant.conversations.clear(owner, conversation)
        if message is not None and as_json:
            reply = await assistant.send(message, conversation=conversation)
            print_json(reply.to_dict() | {"served": bool(await service.serving())})
            return
        if message is not None:
            await answer(service, assistant, message, conversation, prompt="")
            return
        console().print("[dim]Talking to agentcron's assistant; Ctrl-D or 'exit' ends.[/dim]")
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                return
            if text.strip().lower() in _BYE:
                return
            if not text.strip():
                continue
            try:
                await answer(service, assistant, text, conversation, prompt="agentcron> ")
            except ConfigurationError:
                raise  # no model: every turn would fail the same way
            except AgentCronError as error:  # a failed turn leaves the conversation usable
                console().print(f"[red]error:[/red] {escape(error.message)}")

    run_with_service(talk)


async def answer(
    service: TaskService, assistant: ChatAssistant, text: str, conversation: str, *, prompt: str
) -> None:
    """Print the reply as the model writes it (a turn that fails midway ends its line), and
    say so when it changed tasks that nothing serves."""
    streamed: list[str] = []

    def show(piece: str) -> None:
        if not streamed:
            sys.stdout.write(prompt)
        streamed.append(piece)
        sys.stdout.write(piece)
        sys.stdout.flush()

    try:
        reply = await assistant.send(text, conversation=conversation, on_text=show)
    finally:
        if streamed:
            sys.stdout.write("\n")
            sys.stdout.flush()
    if not streamed:  # a model server that does not stream text
        sys.stdout.write(f"{prompt}{reply.text}\n")
    if reply.tasks_changed and not await service.serving():
        console().print(NOBODY_SERVING, soft_wrap=True)
