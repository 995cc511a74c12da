"""The chat assistant over real HTTP to a scripted model, against the real store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from agentcron.agent.chat import ChatAssistant
from agentcron.config import Settings
from agentcron.errors import InvalidInputError
from agentcron.service import TaskService
from agentcron.store.models import conversations
from agentcron.testing import FakeClock
from agentcron.testing.model_server import ScriptedModelServer, Text, ToolCall, ToolCalls
from tests.support.agent_rig import AgentRig, report
from tests.support.sql import sessions

QUOTE = {
    "title": "Motivational quote",
    "when": "every day at 9am",
    "instructions": "Give me a short motivational quote.",
    "kind": "agent",
}


@pytest.fixture
def assistant(service: TaskService) -> ChatAssistant:
    return ChatAssistant(service, "ann")


async def test_a_chat_request_becomes_one_task_that_an_agent_acts_on(
    assistant: ChatAssistant,
    service: TaskService,
    clock: FakeClock,
    model_server: ScriptedModelServer,
) -> None:
    model_server.script(
        ToolCalls([ToolCall("create_task", QUOTE)]),
        Text("Done: every day at 09:00 Europe/Paris, first on Mon 23 Nov 09:00."),
    )
    reply = await assistant.send("every day at 9am give me a motivational quote")
    assert reply.text.startswith("Done: every day at 09:00")
    (task,) = await service.list_tasks("ann")
    assert (task.action, task.timezone, task.description) == (
        "agent",
        "Europe/Paris",
        "every day at 09:00 (Europe/Paris)",
    )
    assert task.payload == {"instructions": "Give me a short motivational quote."}
    assert reply.tasks_changed == [task.id]
    (answer,) = model_server.requests[1].tool_results.values()
    assert answer == (
        f"Done: task {task.id} 'Motivational quote' [active, agent]: every day at 09:00 "
        "(Europe/Paris); next run Mon 23 Nov 2026 09:00; told on your default channels "
        "(none yet: nothing reaches you until you add one) when the agent has news (and if a "
        "run fails)"
    )
    assert "Now: Sunday 22 November 2026 11:00 (Europe/Paris)" in model_server.requests[0].text

    rig = AgentRig(service, clock)
    model_server.script(report("Keep going."), report("Small steps count."))
    await rig.until_next(task.id)
    await rig.until_next(task.id)
    first, second = model_server.requests[2:]
    assert "Give me a short motivational quote." in first.text
    assert "Now: Monday 23 November 2026 09:00 (Europe/Paris)" in first.text
    assert "- Mon 23 Nov 09:00: Keep going." in second.text
    runs = await rig.runs(task.id)
    assert [(r.status, r.output) for r in runs] == [
        ("succeeded", "Keep going."),
        ("succeeded", "Small steps count."),
    ]
    assert (runs[1].usage or {})["output_tokens"] == 30


async def test_a_replayed_turn_and_a_repeated_call_still_make_one_task(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    create = ToolCall("create_task", QUOTE)
    model_server.script(
        ToolCalls([create]),
        ToolCalls([create]),  # the model calls again with the same arguments
        Text("Done."),
        ToolCalls([create]),  # the whole turn again, as a client retry would send it
        Text("Done."),
    )
    await assistant.send("every day at 9am give me a motivational quote")
    await assistant.send("every day at 9am give me a motivational quote")
    (task,) = await service.list_tasks("ann")
    answers = [
        answer for request in model_server.requests for answer in request.tool_results.values()
    ]
    assert all(answer.startswith(f"Done: task {task.id} ") for answer in answers)


async def test_the_same_words_on_another_day_are_a_new_request(
    assistant: ChatAssistant,
    service: TaskService,
    clock: FakeClock,
    model_server: ScriptedModelServer,
) -> None:
    remind = {
        "title": "Water",
        "when": "in 1 hour",
        "instructions": "Drink water.",
        "kind": "reminder",
    }
    model_server.script(ToolCalls([ToolCall("create_task", remind)]), Text("Done."))
    await assistant.send("remind me to drink water in an hour")
    clock.advance(timedelta(days=1))
    model_server.script(ToolCalls([ToolCall("create_task", remind)]), Text("Done."))
    await assistant.send("remind me to drink water in an hour")
    tasks = await service.list_tasks("ann")
    assert [t.action for t in tasks] == ["reminder", "reminder"]
    assert tasks[0].payload == {"message": "Drink water."}


async def test_a_rejected_schedule_comes_back_readable_and_writes_nothing(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    model_server.script(
        ToolCalls([ToolCall("create_task", QUOTE | {"when": "every blursday at 9"})]),
        Text("Which day do you mean?"),
    )
    reply = await assistant.send("every blursday give me a quote")
    assert reply.text == "Which day do you mean?"
    (answer,) = model_server.requests[1].tool_results.values()
    assert answer.startswith("ERROR: ")
    assert "Try for example" in answer
    assert await service.list_tasks("ann") == []
    assert [(c["tool"], c["ok"]) for c in reply.tool_calls] == [("create_task", False)]


async def test_unknown_ids_and_other_peoples_tasks_are_refused(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    bobs = await service.create(
        "bob", {"title": "Bob's", "when": "tomorrow at 9am", "payload": {"message": "hi"}}
    )
    model_server.script(
        ToolCalls(
            [
                ToolCall("cancel_task", {"task_id": bobs.id}),
                ToolCall("get_task", {"task_id": 999}),
                ToolCall("update_task", {"task_id": bobs.id, "title": "mine now"}),
            ]
        ),
        Text("I cannot find that task."),
    )
    await assistant.send("cancel task 1")
    answers = list(model_server.requests[1].tool_results.values())
    assert all(answer.startswith("ERROR: ") for answer in answers)
    assert f"{bobs.id}" in answers[0]
    untouched = await service.get("bob", bobs.id)
    assert (untouched.status, untouched.title) == ("active", "Bob's")


async def test_the_assistant_sees_the_persons_tasks_and_can_change_them(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    existing = await service.create(
        "ann",
        {
            "title": "Motivational quote",
            "when": "every day at 9am",
            "action": "agent",
            "payload": {"instructions": "A quote."},
        },
    )
    model_server.script(
        ToolCalls([ToolCall("update_task", {"task_id": existing.id, "when": "every day at 7am"})]),
        Text("Moved to 07:00."),
    )
    await assistant.send("you already do my quote; make it 7am instead")
    listed = f"task {existing.id} 'Motivational quote' [active, agent]: every day at 09:00"
    assert listed in model_server.requests[0].text
    changed = await service.get("ann", existing.id)
    assert changed.description == "every day at 07:00 (Europe/Paris)"
    assert len(await service.list_tasks("ann")) == 1


async def test_preview_pause_resume_and_runs(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    task = await service.create(
        "ann", {"title": "Stretch", "when": "every weekday at 8:30", "payload": {"message": "Up!"}}
    )
    model_server.script(
        ToolCalls(
            [
                ToolCall("preview_schedule", {"when": "every other tuesday at 9"}),
                ToolCall("pause_task", {"task_id": task.id}),
                ToolCall("list_runs", {"task_id": task.id}),
            ]
        ),
        ToolCalls([ToolCall("list_tasks", {"status": "paused"})]),  # calls of one step may overlap
        Text("Paused."),
    )
    await assistant.send("pause my stretching")
    preview, paused, runs = model_server.requests[1].tool_results.values()
    listed = list(model_server.requests[2].tool_results.values())[-1]
    assert preview.startswith(
        "every other week on Tuesday at 09:00 (Europe/Paris); next: Tue 24 Nov"
    )
    assert "[paused, reminder]" in paused
    assert runs == "This task has not run yet."
    assert f"task {task.id} 'Stretch' [paused" in listed
    assert (await service.get("ann", task.id)).status == "paused"


async def test_the_conversation_is_kept_bounded_and_replayed_to_the_model(
    service: TaskService, settings: Settings, model_server: ScriptedModelServer
) -> None:
    settings.chat_history_messages = 4
    assistant = ChatAssistant(service, "ann")
    for number in range(4):
        model_server.script(Text(f"answer {number}"))
        await assistant.send(f"message {number}")
    last = model_server.requests[-1]
    assert "message 2" in last.text
    assert "answer 2" in last.text
    assert "message 0" not in last.text
    history = await assistant.conversations.load("ann", "default")
    assert len(history.messages) == 4
    async with sessions(service.store)() as session:
        rows = (await session.execute(select(conversations.c.owner_id, conversations.c.name))).all()
    assert [(row.owner_id, row.name) for row in rows] == [("ann", "default")]


async def test_without_a_model_the_assistant_says_what_to_set(
    service: TaskService, settings: Settings
) -> None:
    settings.model = None
    with pytest.raises(Exception, match="Set AGENTCRON_MODEL"):
        await ChatAssistant(service, "ann").send("hello")
    with pytest.raises(InvalidInputError, match="empty"):  # the person's mistake
        await ChatAssistant(service, "ann").send("   ")


async def test_the_reply_can_be_streamed_as_the_model_writes_it(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    model_server.script(
        ToolCalls([ToolCall("create_task", QUOTE)], content="Let me set that up.", input_tokens=40),
        Text("Done: every day at 09:00 Europe/Paris, first on Mon 23 Nov 09:00."),
    )
    pieces: list[str] = []
    reply = await assistant.send(
        "every day at 9am give me a motivational quote", on_text=pieces.append
    )
    assert all(request.stream for request in model_server.requests)
    assert len(pieces) > 3  # word by word, not in one piece
    assert "".join(pieces) == f"Let me set that up.\n\n{reply.text}"
    assert reply.text.startswith("Done: every day at 09:00")
    assert [task.title for task in await service.list_tasks("ann")] == ["Motivational quote"]
    assert reply.usage["requests"] == 2
    assert reply.usage["input_tokens"] > 40  # the streamed usage of both requests
