"""``agentcron chat``: talk to the assistant that turns requests into tasks."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape

from agentcron.cli._context import run_with_service
from agentcron.cli._output import console, print_json
from agentcron.errors import AgentCronError, ConfigurationError
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
    from agentcron.agent.chat import ChatAssistant  # noqa: PLC0415 - pydantic-ai is heavy
    from agentcron.agent.models import close_models  # noqa: PLC0415

    async def talk(service: TaskService, owner: str) -> None:
        try:
            await converse(service, owner)
        finally:
            await close_models()

    async def converse(service: TaskService, owner: str) -> None:
        assistant = ChatAssistant(service, owner, model=model)
        if reset:
            await assistant.conversations.clear(owner, conversation)
        if message is not None:
            reply = await assistant.send(message, conversation=conversation)
            if as_json:
                print_json(
                    {
                        "reply": reply.text,
                        "tasks_changed": reply.tasks_changed,
                        "tool_calls": reply.tool_calls,
                        "usage": reply.usage,
                    }
                )
            else:
                console.print(escape(reply.text))
            return
        console.print("[dim]Talking to agentcron's assistant; Ctrl-D or 'exit' ends.[/dim]")
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
                reply = await assistant.send(text, conversation=conversation)
            except ConfigurationError:
                raise  # no model: every turn would fail the same way
            except AgentCronError as error:  # a failed turn leaves the conversation usable
                console.print(f"[red]error:[/red] {escape(error.message)}")
                continue
            console.print(f"[bold]agentcron>[/bold] {escape(reply.text)}")

    run_with_service(talk)
