"""The chat assistant chooses where and when a task tells its person, over real HTTP to a
scripted model, against the real store; channels' secrets never reach the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agentcron.agent.chat import ChatAssistant
from agentcron.config import Settings
from agentcron.domain import NotifyPolicy
from agentcron.errors import InvalidInputError
from agentcron.notify.deliverer import Deliverer
from agentcron.service import TaskService
from agentcron.store.models import conversations
from agentcron.testing import FakeClock
from agentcron.testing.model_server import ScriptedModelServer, Text, ToolCall, ToolCalls
from tests.support.agent_rig import AgentRig, report
from tests.support.sql import sessions

MAIL_TRANSPORT_PASSWORD = "Tr4nsportPw-q81"
SMS_TRANSPORT_TOKEN = "Tw1ll0T0ken5ecretZq"
PAGER_TOKEN = "Pag3rT0kenS3cretW8"
HOOK_PASSWORD = "H00kPassw0rdQ7"
TELEGRAM_TOKEN = "AAH-T3legramT0kenXyz"
PHONE = "+15559876512"
SECRETS = (
    MAIL_TRANSPORT_PASSWORD,
    SMS_TRANSPORT_TOKEN,
    PAGER_TOKEN,
    HOOK_PASSWORD,
    TELEGRAM_TOKEN,
    PHONE,
)
SID = "AC0123456789abcdef0123456789abcdef"
CHANNELS = {  # the first is the default, as a person's first channel is
    "mail": "email:ann@example.com",
    "phone": f"sms:{PHONE}",
    "pager": f"twilio://{SID}:{PAGER_TOKEN}@+15550001111/+15550004434",
    "hook": f"json://hook:{HOOK_PASSWORD}@127.0.0.1:9/in",
    "tg": f"tgram://123456789:{TELEGRAM_TOKEN}/987654",
}
BTC = {
    "title": "BTC below 50k",
    "when": "every 15 minutes",
    "instructions": "Check the BTC price in USD; report only when it is below 50,000 USD.",
    "kind": "agent",
}
AGENT_WORDS = "when the agent has news (and if a run fails)"
DOC = Path(__file__).parents[3] / "docs" / "agent.md"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The agent tests' settings, with the operator's mail and SMS transports (and their
    secrets) for the shorthands."""
    settings.email_transport = (
        f"mailtos://agentcron:{MAIL_TRANSPORT_PASSWORD}@127.0.0.1:2525?from=agentcron@example.com"
    )
    settings.sms_transport = f"twilio://{SID}:{SMS_TRANSPORT_TOKEN}@+15550001111"
    return settings


@pytest.fixture
def assistant(service: TaskService) -> ChatAssistant:
    return ChatAssistant(service, "ann")


async def add_channels(service: TaskService, *names: str) -> None:
    for name in names:
        await service.notifications.add_channel("ann", name, CHANNELS[name])


def documented_confirmation() -> str:
    """The example in docs/agent.md of what the assistant is told when it made a task."""
    text = DOC.read_text(encoding="utf-8").split("### Where and when the person is told")[1]
    return " ".join(text.split("```text\n")[1].split("\n```")[0].splitlines())


def tool_results(server: ScriptedModelServer) -> list[str]:
    return [answer for request in server.requests for answer in request.tool_results.values()]


async def saved_conversations(service: TaskService) -> str:
    async with sessions(service.store)() as session:
        rows = (await session.execute(select(conversations))).all()
    assert rows  # the scan below reads something
    return json.dumps([row._asdict() for row in rows], default=str)


async def test_text_me_picks_the_sms_channel_and_the_task_tells_it_when_the_agent_has_news(
    assistant: ChatAssistant,
    service: TaskService,
    clock: FakeClock,
    model_server: ScriptedModelServer,
) -> None:
    await add_channels(service, *CHANNELS)
    model_server.script(
        ToolCalls([ToolCall("list_channels", {}, id="listed")]),
        ToolCalls(
            [
                ToolCall(
                    "create_task", BTC | {"notify": ["phone"], "notify_when": "agent"}, id="made"
                )
            ]
        ),
        Text("Done: every 15 minutes; I'll text you on phone when BTC is below 50k."),
    )
    reply = await assistant.send("text me when BTC drops below 50k")

    first = model_server.requests[0]
    assert "'agentcron channels add phone sms:+NUMBER'" in first.text  # how to add one
    for tool in ("create_task", "update_task"):
        properties = first.tool(tool)["parameters"]["properties"]
        assert {"notify", "notify_when", "urgent"} <= properties.keys()
        (policies, _) = properties["notify_when"]["anyOf"]
        assert policies["enum"] == [policy.value for policy in NotifyPolicy]  # every one
    listed = model_server.requests[1].tool_results["listed"].splitlines()
    shown = {channel.name: channel.shown for channel in await service.notifications.channels("ann")}
    assert listed == [
        f"- hook: webhook, {shown['hook']}",
        f"- mail: email, {shown['mail']} (default)",
        f"- pager: sms, {shown['pager']}",
        f"- phone: sms, {shown['phone']}",
        f"- tg: telegram, {shown['tg']}",
    ]
    (task,) = await service.list_tasks("ann")
    assert (task.notify, task.notify_policy, task.urgent) == (["phone"], "agent", False)
    made = model_server.requests[2].tool_results["made"]
    assert made == documented_confirmation().replace("task 1 ", f"task {task.id} ")
    assert made.endswith(f"; told on phone {AGENT_WORDS}")
    assert reply.tasks_changed == [task.id]

    for seen in [*tool_results(model_server), json.dumps(reply.tool_calls)]:
        assert not [secret for secret in SECRETS if secret in seen], seen
    for request in model_server.requests:  # all the model was sent: instructions, history...
        sent = json.dumps(request.body)
        assert not [secret for secret in SECRETS if secret in sent]
    saved = await saved_conversations(service)
    assert shown["hook"] in saved  # the listing was kept...
    assert not [secret for secret in SECRETS if secret in saved]  # ...masked

    notifications = service.notifications  # the run the agent reports on tells the phone only
    deliverer = Deliverer(service.store, clock, service.settings, notifications.notifier, "w")
    rig = AgentRig(service, clock, notices=deliverer)  # (its loop not started: nothing is sent)
    model_server.script(report("BTC is at 49,800 USD."))
    await rig.until_next(task.id)
    (run,) = await rig.runs(task.id)
    assert run.output == "BTC is at 49,800 USD."
    told = await notifications.of_runs("ann", [run.id])
    assert [delivery.channel for delivery in told[run.id]] == ["phone"]


async def test_an_unknown_channel_comes_back_as_the_services_error_and_is_corrected(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    await add_channels(service, "mail", "phone")
    model_server.script(
        ToolCalls([ToolCall("create_task", BTC | {"notify": ["mobile"]}, id="wrong")]),
        ToolCalls([ToolCall("create_task", BTC | {"notify": ["phone"]}, id="right")]),
        Text("Done: I'll text you on phone."),
    )
    reply = await assistant.send("text me on my mobile when BTC drops below 50k")
    with pytest.raises(InvalidInputError) as refused:
        await service.notifications.check_names("ann", ["mobile"])
    assert "'mobile'" in refused.value.message
    assert "mail, phone" in refused.value.message  # what the model corrects from
    assert model_server.requests[1].tool_results["wrong"] == f"ERROR: {refused.value.message}"
    assert model_server.requests[2].tool_results["right"].endswith(f"told on phone {AGENT_WORDS}")
    assert [(call["tool"], call["ok"]) for call in reply.tool_calls] == [
        ("create_task", False),
        ("create_task", True),
    ]
    (task,) = await service.list_tasks("ann")
    assert task.notify == ["phone"]


async def test_a_task_moves_to_other_channels_and_back_to_the_defaults(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    await add_channels(service, "mail", "phone")
    task = await service.create(
        "ann",
        {"title": "Stretch", "when": "every weekday at 8:30", "payload": {"message": "Up!"},
         "notify": ["phone"]},
    )  # fmt: skip

    async def change(arguments: dict[str, Any]) -> str:
        model_server.script(
            ToolCalls([ToolCall("update_task", {"task_id": task.id} | arguments, id="changed")]),
            Text("Changed."),
        )
        await assistant.send(f"change my stretching: {arguments}")
        return model_server.requests[-1].tool_results["changed"]

    said = await change({"notify": ["mail", "phone"], "notify_when": "failure"})
    assert said.endswith("; told on mail and phone only if a run fails")
    said = await change({"notify": [], "notify_when": "always", "urgent": True})
    assert said.endswith(
        "; told on your default channels (mail) after every run, even in quiet hours"
    )
    stored = await service.get("ann", task.id)
    assert (stored.notify, stored.notify_policy, stored.urgent) == ([], "always", True)

    said = await change({"notify": ["pager"], "urgent": False})
    assert said.startswith("ERROR: You have no channel named 'pager' (yours: mail, phone)")
    assert await service.get("ann", task.id) == stored  # nothing half-written

    said = await change({"notify_when": "never"})
    assert said.endswith("; never told (notify_when never)")


async def test_with_no_channel_the_assistant_reads_how_to_add_one(
    assistant: ChatAssistant, service: TaskService, model_server: ScriptedModelServer
) -> None:
    model_server.script(
        ToolCalls([ToolCall("list_channels", {}, id="listed")]),
        Text("You have no channel yet: 'agentcron channels add phone sms:+NUMBER' adds one."),
        ToolCalls([ToolCall("create_task", BTC, id="made")]),  # the person agreed
        Text("Done."),
    )
    await assistant.send("text me when BTC drops below 50k")
    listed = model_server.requests[1].tool_results["listed"]
    assert listed.startswith("No channels yet")
    assert "'agentcron channels add NAME sms:+NUMBER'" in listed
    assert "'agentcron channels add NAME email:ADDRESS'" in listed
    await assistant.send("ok, create it anyway")
    made = model_server.requests[3].tool_results["made"]
    assert made.endswith(
        "; told on your default channels (none yet: nothing reaches you until you add one) "
        f"{AGENT_WORDS}"
    )
    (task,) = await service.list_tasks("ann")
    assert (task.notify, task.notify_policy) == ([], "agent")
