"""Table tests of how a kept conversation is cut: the latest messages, from something said."""

from __future__ import annotations

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from agentcron.agent.conversations import bounded


def said(text: str) -> ModelRequest:
    return ModelRequest(parts=[UserPromptPart(content=text)])


def answered(text: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content=text)])


def called(call_id: str) -> ModelResponse:
    return ModelResponse(
        parts=[
            ToolCallPart(tool_name="list_tasks", args={"status": "active"}, tool_call_id=call_id)
        ]
    )


def returned(call_id: str) -> ModelRequest:
    return ModelRequest(
        parts=[ToolReturnPart(tool_name="list_tasks", content="[]", tool_call_id=call_id)]
    )


def conversation() -> list[ModelMessage]:
    """Ten messages; the person speaks at 0, 4 and 6, tools are called at 1 and 7."""
    return [
        said("what runs today?"),  # 0
        called("c1"),  # 1
        returned("c1"),  # 2
        answered("nothing today"),  # 3
        said("remind me at 9 to call Bob"),  # 4
        answered("done: tomorrow at 09:00"),  # 5
        said("and list my tasks"),  # 6
        called("c2"),  # 7
        returned("c2"),  # 8
        answered("one task: call Bob"),  # 9
    ]


def tool_only_tail() -> list[ModelMessage]:
    """The person spoke once, then the model worked through five tool calls."""
    messages: list[ModelMessage] = [said("tidy up my tasks")]
    for index in range(5):
        messages += [called(f"t{index}"), returned(f"t{index}")]
    return [*messages, answered("tidied")]


@pytest.mark.parametrize(
    ("messages", "limit", "first_kept"),
    [
        pytest.param(conversation(), 50, 0, id="well-under-the-limit-unchanged"),
        pytest.param(conversation(), 10, 0, id="exactly-the-limit-unchanged"),
        pytest.param(conversation()[1:], 9, 0, id="at-the-limit-unchanged-even-mid-exchange"),
        pytest.param(conversation()[1:], 8, 3, id="one-over-the-limit-cut-to-a-prompt"),
        pytest.param(conversation(), 9, 4, id="cut-at-a-tool-call-moves-to-the-next-prompt"),
        pytest.param(conversation(), 8, 4, id="cut-at-a-tool-return-moves-to-the-next-prompt"),
        pytest.param(conversation(), 7, 4, id="cut-at-an-answer-moves-to-the-next-prompt"),
        pytest.param(conversation(), 6, 4, id="cut-exactly-at-a-prompt"),
        pytest.param(conversation(), 5, 6, id="cut-just-after-a-prompt"),
        pytest.param(conversation(), 4, 6, id="cut-exactly-at-the-last-prompt"),
        pytest.param(conversation(), 3, None, id="no-prompt-in-the-last-3"),
        pytest.param(conversation(), 2, None, id="no-prompt-in-the-last-2"),
        pytest.param(tool_only_tail(), 11, None, id="tool-calls-fill-the-window"),
        pytest.param(tool_only_tail(), 12, 0, id="window-reaches-the-prompt"),
        pytest.param([], 2, 0, id="empty"),
    ],
)
def test_bounded(messages: list[ModelMessage], limit: int, first_kept: int | None) -> None:
    kept = bounded(messages, limit)
    expected = [] if first_kept is None else messages[first_kept:]
    assert kept == expected
    assert len(kept) <= limit


@pytest.mark.parametrize("limit", range(2, 13))
def test_what_is_kept_starts_at_a_prompt_and_every_tool_return_has_its_call(limit: int) -> None:
    messages = conversation()
    kept = bounded(messages, limit)
    assert len(kept) <= limit
    assert kept == messages[len(messages) - len(kept) :]  # the latest ones, in order
    if not kept:
        return
    first = kept[0]
    assert isinstance(first, ModelRequest)
    assert any(isinstance(part, UserPromptPart) for part in first.parts)
    calls = {
        part.tool_call_id
        for message in kept
        for part in message.parts
        if isinstance(part, ToolCallPart)
    }
    returns = {
        part.tool_call_id
        for message in kept
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    }
    assert returns <= calls


def test_a_bounded_conversation_keeps_the_latest_exchange_whole() -> None:
    messages = conversation()
    kept = bounded(messages, 5)
    assert [type(m).__name__ for m in kept] == [
        "ModelRequest",
        "ModelResponse",
        "ModelRequest",
        "ModelResponse",
    ]
    assert kept[0] is messages[6]
    assert kept[-1] is messages[-1]
