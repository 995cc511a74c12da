"""What a person is told: Markdown flattened for plain channels, text messages cut and
saying where the rest is, errors in words, and each service's body fitted to it."""

from __future__ import annotations

from datetime import UTC, datetime

import apprise
import pytest

from agentcron.abc import Message
from agentcron.notify.messages import (
    SMS_LIMIT,
    SMS_SEGMENT,
    failed,
    fit_sms,
    flatten_markdown,
    readable_error,
    succeeded,
    when_in,
)
from agentcron.notify.notifier import Shape, fitted

AT = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("plain words stay", "plain words stay"),
        ("**bold** and *it* and _it_ and __b__ and ~~gone~~", "bold and it and it and b and gone"),
        ("**_nested_** emphasis", "nested emphasis"),
        ("see [the report](https://example.com/r)", "see the report (https://example.com/r)"),
        ("[https://example.com](https://example.com)", "https://example.com"),
        ("run `agentcron runs` now", "run agentcron runs now"),
        ("# Title\n## Sub", "Title\nSub"),
        ("* one\n+ two\n  * three", "- one\n- two\n  - three"),
        ("- already a dash", "- already a dash"),
        ("> quoted\n> twice", "quoted\ntwice"),
        ("```python\nprint(1)\n```", "print(1)\n"),
        ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),  # not emphasis: spaces inside
        ("snake_case_name and my_report_v2.pdf", "snake_case_name and my_report_v2.pdf"),
        ("_italic_ at the start, (_inside_ brackets)", "italic at the start, (inside brackets)"),
        ("ünïcode ✓ **fett**", "ünïcode ✓ fett"),
    ],
)
def test_flatten_markdown(markdown: str, plain: str) -> None:
    assert flatten_markdown(markdown) == plain


def test_a_text_that_fits_is_not_cut() -> None:
    assert fit_sms("x" * SMS_LIMIT, 1, "see the app") == "x" * SMS_LIMIT
    assert fit_sms("x" * SMS_SEGMENT * 3, 3, "see the app") == "x" * SMS_SEGMENT * 3


@pytest.mark.parametrize(("segments", "limit"), [(1, SMS_LIMIT), (2, 306), (3, 459)])
def test_a_long_text_is_cut_to_its_segments_marked_and_says_where_the_rest_is(
    segments: int, limit: int
) -> None:
    text = " ".join(f"word{i}" for i in range(300))
    cut = fit_sms(text, segments, "agentcron run-show 42")
    assert len(cut) <= limit
    assert len(cut) >= limit - 10  # as much as fits is kept
    assert cut.endswith("… (cut; agentcron run-show 42)")
    kept = cut.removesuffix("… (cut; agentcron run-show 42)")
    assert text.startswith(kept)
    assert not kept.endswith(" ")


@pytest.mark.parametrize(
    ("error", "readable"),
    [
        (None, "no reason was recorded."),
        ("", "no reason was recorded."),
        ("Connection refused", "connection refused."),
        ("HTTP 500 from the server.", "HTTP 500 from the server."),  # an acronym stays
        (
            "gave up after 3 attempts: GET https://example.com/x answered 503",
            "GET https://example.com/x answered 503 (tried 3 times).",
        ),
        (
            "gave up after 2 attempts: The model provider refused the request.",
            "the model provider refused the request (tried 2 times).",
        ),
        (
            "POST https://bot:hunter2@hooks.example.com/x?token=s3cr3t failed",
            "POST https://bot:****@hooks.example.com/x?token=**** failed.",
        ),
        ("  timed out after 30 s  ", "timed out after 30 s."),
    ],
)
def test_readable_error(error: str | None, readable: str) -> None:
    assert readable_error(error) == readable


def test_when_in_says_the_instant_in_the_persons_zone() -> None:
    assert when_in(AT, "Europe/Paris") == "Tue 1 Dec 2026, 18:00 (Europe/Paris)"
    assert when_in(AT, "America/New_York") == "Tue 1 Dec 2026, 12:00 (America/New_York)"


def test_a_success_says_what_the_run_said_and_when_it_was_for() -> None:
    told = succeeded("Stretch", "  Stand up.  ", AT, "Europe/Paris")
    assert told == Message("Stretch", "Stand up.\n\n_Tue 1 Dec 2026, 18:00 (Europe/Paris)_")
    silent = succeeded("Stretch", None, AT, "Europe/Paris")
    assert silent.body.startswith("Stretch: done.\n\n")


def test_a_failure_names_the_task_and_says_why() -> None:
    told = failed(
        "Backups", "gave up after 3 attempts: disk full", AT, "Europe/Paris", task_id=7, run_id=9
    )
    assert told.title == "Failed: Backups"
    assert told.body == (
        "Your task **Backups** (task 7) could not be done: disk full (tried 3 times).\n\n"
        "_Tue 1 Dec 2026, 18:00 (Europe/Paris); `agentcron run-show 9` has the details._"
    )


MESSAGE = Message("Weekly **report**", "**Done**: [the report](https://example.com/r)", "more")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("json://localhost", (MESSAGE.title, MESSAGE.body, "markdown")),  # passes Markdown on
        ("mailto://ann@example.com", (MESSAGE.title, MESSAGE.body, "markdown")),  # as HTML
        ("rocket://u:p@localhost/#general", (MESSAGE.title, MESSAGE.body, "markdown")),
        ("syslog://", (MESSAGE.title, "Done: the report (https://example.com/r)", "text")),
    ],
    ids=["json", "email", "rocketchat", "syslog"],
)
def test_each_service_gets_markdown_where_it_renders_else_plain_text(
    url: str, expected: tuple[str, str, str]
) -> None:
    plugin = apprise.Apprise.instantiate(url)
    assert plugin is not None
    assert fitted(Shape.of(plugin), MESSAGE, 3) == expected


def test_a_text_message_service_gets_the_title_and_body_flattened_and_cut() -> None:
    plugin = apprise.Apprise.instantiate(
        f"twilio://AC{'1' * 32}:{'0' * 32}@+15550001111/+15551112222"
    )
    assert plugin is not None
    long = Message("Daily **brief**", "word " * 200, more="agentcron run-show 5")
    title, body, body_format = fitted(Shape.of(plugin), long, 1)
    assert (title, body_format) == ("", "text")
    assert body.startswith("Daily brief\nword word")
    assert body.endswith("… (cut; agentcron run-show 5)")
    assert len(body) <= SMS_LIMIT
    short = fitted(Shape.of(plugin), Message("Hi", "**there**"), 1)
    assert short == ("", "Hi\nthere", "text")
