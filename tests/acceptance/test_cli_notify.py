"""Notification commands as a person types them: channels, where and when a task tells, the
profile's quiet hours, every run's deliveries and sending one again. Refusals are one line
and write nothing; a channel's secrets (passwords, tokens) are shown nowhere."""

from __future__ import annotations

import base64
import json
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.acceptance.test_cli_schedule import agentcron
from tests.acceptance.test_serve import Serve, environment
from tests.support.local_http import free_port

DELIVERY_FIELDS = {
    "id", "run_id", "channel_id", "channel", "owner_id", "status", "attempts", "title", "body",
    "last_error", "next_attempt_at", "held_until", "sent_at", "created_at", "updated_at",
}  # fmt: skip
CHANNEL_FIELDS = {"id", "name", "url", "default", "created_at"}


@dataclass
class Received:
    """What a local receiver was sent: each request's path, query, Authorization and JSON."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@dataclass
class Receiver:
    address: str
    """host:port, as a json:// channel names it."""
    received: Received


def _handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            received.requests.append(
                {"path": parts.path, "query": parse_qs(parts.query),
                 "authorization": self.headers.get("Authorization", ""),
                 "json": json.loads(body)}
            )  # fmt: skip
            received.arrived.set()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Hook


@contextmanager
def receiving_on(port: int) -> Iterator[Receiver]:
    """A receiver on ``port`` of 127.0.0.1 (0: any free one) until the block ends."""
    received = Received()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"127.0.0.1:{server.server_address[1]}", received)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver on 127.0.0.1."""
    with receiving_on(0) as hook:
        yield hook


@dataclass
class Mailbox:
    port: int
    messages: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 that takes any login (over plain SMTP, as a local
    relay may) and keeps every message."""
    box = Mailbox(free_port())

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            box.messages.append(envelope)
            return "250 OK"

    def login(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            box.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=box.port, authenticator=login,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return environment(tmp_path)


def ok(env: dict[str, str], *args: str) -> str:
    """The command's output; it must succeed and say nothing on stderr."""
    done = agentcron(*args, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def as_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(ok(env, *args, "--json"))


def refused(env: dict[str, str], *args: str, status: int = 2) -> str:
    """The one error line of a refused command (nothing on stdout)."""
    done = agentcron(*args, env=env)
    assert done.returncode == status, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ")
    return done.stderr.removeprefix("error: ").rstrip("\n")


def lines_of(text: str) -> list[str]:
    """Rich's rows without the padding at their ends, each run of spaces one space."""
    return [" ".join(line.split()) for line in text.splitlines()]


def wait_for(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)
    return found


def settled(env: dict[str, str], count: int) -> Callable[[], list[dict[str, Any]] | None]:
    """A check: ``count`` deliveries, none of them still on its way."""

    def check() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = as_json(env, "deliveries")
        moving = [d for d in found if d["status"] in ("pending", "sending")]
        return found if len(found) == count and not moving else None

    return check


README = Path(__file__).parents[2] / "README.md"


def readme_example() -> list[tuple[list[str], list[str]]]:
    """The README's notifications example: each command, and the lines it prints."""
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- notifications-example:start -->")[1]
    block = block.split("<!-- notifications-example:end -->")[0].strip()
    steps: list[tuple[list[str], list[str]]] = []
    for line in block.removeprefix("```console").removesuffix("```").strip().splitlines():
        if line.startswith("$ "):
            steps.append((shlex.split(line[2:]), []))
        else:
            steps[-1][1].append(" ".join(line.split()))
    return steps


def test_the_readmes_notifications_example_runs_as_shown(env: dict[str, str]) -> None:
    """Each command prints what the README shows; a line ending in '...' goes on as it
    will (a date)."""
    steps = readme_example()
    assert len(steps) >= 8
    for words, expected in steps:
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env = env | {name: value}
            continue
        assert words[0] == "agentcron"
        done = agentcron(*words[1:], env=env)
        assert (done.returncode != 0) == expected[0].startswith("error: "), done.stderr
        got = lines_of(done.stdout + done.stderr)
        assert len(got) == len(expected), (words, got)
        for line, shown in zip(got, expected, strict=True):
            if shown.endswith("..."):
                assert line.startswith(shown.removesuffix("...")), (words, line)
            else:
                assert line == shown, words


# channels


def test_channels_add_ls_default_rm(env: dict[str, str], receiver: Receiver) -> None:
    phone = as_json(env, "channels", "add", "phone", f"json://{receiver.address}/phone")
    assert set(phone) == CHANNEL_FIELDS
    assert (phone["name"], phone["url"], phone["default"]) == (
        "phone", f"json://{receiver.address}/phone", True,
    )  # fmt: skip
    added = ok(env, "channels", "add", "desk", f"json://{receiver.address}/desk")
    assert lines_of(added) == [
        f"Added channel desk (json://{receiver.address}/desk), for tasks that name it "
        "(--notify). 'agentcron channels test desk' sends it a test message."
    ]
    assert as_json(env, "channels", "add", "pager", "ntfy://my-alerts", "--default")["default"]

    listed = as_json(env, "channels", "ls")
    assert [(c["name"], c["default"]) for c in listed] == [
        ("desk", False), ("pager", True), ("phone", True),
    ]  # fmt: skip
    table = lines_of(ok(env, "channels", "ls"))
    assert table[0].split() == ["name", "┃", "url", "┃", "default"]
    assert f"phone │ json://{receiver.address}/phone │ yes" in table
    assert f"desk │ json://{receiver.address}/desk │" in table

    assert lines_of(ok(env, "channels", "default", "desk")) == [
        "Channel desk is one of your defaults."
    ]
    assert as_json(env, "channels", "default", "phone", "--off")["default"] is False
    assert as_json(env, "profile", "show")["default_channels"] == ["desk", "pager"]
    ok(env, "channels", "default", "pager", "--off")
    last = ok(env, "channels", "default", "desk", "--off")
    assert "you have no default channel now" in last

    assert ok(env, "channels", "rm", "desk") == "Removed channel desk.\n"
    assert [c["name"] for c in as_json(env, "channels", "ls")] == ["pager", "phone"]
    assert refused(env, "channels", "rm", "desk") == (
        "You have no channel named 'desk'; 'agentcron channels ls' lists yours."
    )
    assert refused(env, "channels", "default", "desk") == (
        "You have no channel named 'desk'; 'agentcron channels ls' lists yours."
    )
    removed = as_json(env, "channels", "rm", "phone")
    assert (removed["name"], removed["default"]) == ("phone", False)


def test_channels_ls_says_how_to_add_one(env: dict[str, str]) -> None:
    assert as_json(env, "channels", "ls") == []
    assert "No channels. Add one with: agentcron channels add" in ok(env, "channels", "ls")


def test_channels_test_sends_to_a_receiver_and_reports_a_closed_port(
    env: dict[str, str], receiver: Receiver
) -> None:
    ok(env, "channels", "add", "hook", f"json://bot:opensesame@{receiver.address}/hook")
    sent = ok(env, "channels", "test", "hook")
    assert sent == f"Sent a test message to hook (json://bot:****@{receiver.address}/hook).\n"
    (request,) = receiver.received.requests
    assert request["path"] == "/hook"
    assert request["authorization"] == "Basic " + base64.b64encode(b"bot:opensesame").decode()
    assert request["json"]["title"] == "agentcron test"
    assert "channel **hook** works" in request["json"]["message"]
    assert as_json(env, "channels", "test", "hook")["sent"] is True
    assert len(receiver.received.requests) == 2

    port = free_port()
    ok(env, "channels", "add", "closed", f"json://127.0.0.1:{port}/hook")
    error = refused(env, "channels", "test", "closed", status=1)
    assert error.startswith(
        "The test message to closed did not go out: cannot reach the receiver at 127.0.0.1: "
    )
    assert f"127.0.0.1:{port}" in error
    done = agentcron("channels", "test", "closed", "--json", env=env)
    assert done.returncode == 1
    assert json.loads(done.stderr)["error"]["code"] == "delivery_failed"
    assert refused(env, "channels", "test", "nope").startswith("You have no channel named 'nope'")


def test_email_channels_go_through_the_operators_mail_server(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    transport = f"mailto://relay:relaypass@127.0.0.1:{mailbox.port}?from=agentcron@example.com"
    env = environment(tmp_path, AGENTCRON_EMAIL_TRANSPORT=transport)
    added = as_json(env, "channels", "add", "mail", "email:ann@example.com")
    assert added["url"] == "email:ann@example.com"
    assert ok(env, "channels", "test", "mail") == (
        "Sent a test message to mail (email:ann@example.com).\n"
    )
    (envelope,) = mailbox.messages
    assert envelope.mail_from == "agentcron@example.com"
    assert envelope.rcpt_tos == ["ann@example.com"]
    assert isinstance(envelope.content, bytes)
    assert message_from_bytes(envelope.content)["Subject"] == "agentcron test"
    assert mailbox.logins == [("relay", "relaypass")]


SMS = "twilio://AC0123456789abcdef0123456789abcdef:0123456789abcdef0123456789abcdef@+15550001111"
REFUSALS = [
    (["bad", "json://"], {}, 2, "The channel URL 'json://…' cannot be used"),
    (["bad", "hello"], {}, 2, "'hello' is not a channel URL"),
    (["bad", "nosuch://x"], {}, 2, "no service is known by 'nosuch://'"),
    (["bad", "email:ann@example.com"], {}, 78, "the operator must set AGENTCRON_EMAIL_TRANSPORT"),
    (["bad", "sms:+15551234567"], {}, 78, "the operator must set AGENTCRON_SMS_TRANSPORT"),
    (["bad", "sms:+12"], {"AGENTCRON_SMS_TRANSPORT": SMS}, 2, "'+12' is not a phone number"),
    (
        ["bad", "email:ann"], {"AGENTCRON_EMAIL_TRANSPORT": "mailto://127.0.0.1"}, 2,
        "'ann' is not an email address",
    ),
    (["phone", "ntfy://other"], {}, 2, "You have a channel named 'phone' already"),
    (["bad name", "ntfy://x"], {}, 2, "'bad name' cannot name a channel"),
]  # fmt: skip


def test_refused_channels_are_one_line_and_write_nothing(env: dict[str, str]) -> None:
    ok(env, "channels", "add", "phone", "ntfy://my-alerts")
    before = as_json(env, "channels", "ls")
    for args, extra, status, fragment in REFUSALS:
        assert fragment in refused(env | extra, "channels", "add", *args, status=status)
    for args, extra, status, fragment in (REFUSALS[2], REFUSALS[3]):
        done = agentcron("channels", "add", *args, "--json", env=env | extra)
        assert done.returncode == status
        assert fragment in json.loads(done.stderr)["error"]["message"]
    assert as_json(env, "channels", "ls") == before


def test_a_url_can_come_from_stdin(env: dict[str, str]) -> None:
    done = agentcron("channels", "add", "phone", "-", "--json", env=env, stdin="ntfy://my-alerts\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["url"].startswith("ntfys://my-alerts")


# tasks


def test_tasks_choose_channels_policy_and_urgency(env: dict[str, str]) -> None:
    ok(env, "channels", "add", "phone", "ntfy://my-alerts")
    ok(env, "channels", "add", "desk", "ntfy://desk-alerts")
    task = as_json(
        env, "add", "Stand-up", "--when", "every weekday at 9", "--notify", "desk, phone",
        "--notify-when", "always", "--urgent",
    )  # fmt: skip
    assert (task["notify"], task["notify_policy"], task["urgent"]) == (
        ["desk", "phone"], "always", True,
    )  # fmt: skip
    shown = lines_of(ok(env, "show", str(task["id"])))
    assert "notify desk, phone" in shown
    assert "notify when always: every run" in shown
    assert "urgent yes: told even in your quiet hours" in shown

    edited = as_json(
        env, "edit", str(task["id"]), "--notify", "", "--not-urgent", "--notify-when", "never"
    )
    assert (edited["notify"], edited["notify_policy"], edited["urgent"]) == ([], "never", False)
    shown = lines_of(ok(env, "show", str(task["id"])))
    assert "notify your defaults: phone" in shown
    assert "notify when never: never" in shown
    assert "urgent no (you have no quiet hours)" in shown
    again = as_json(
        env, "edit", str(task["id"]), "--notify", "desk", "--notify", "phone", "--urgent"
    )
    assert (again["notify"], again["urgent"]) == (["desk", "phone"], True)

    ok(env, "channels", "rm", "desk")
    assert "notify phone (desk was removed)" in lines_of(ok(env, "show", str(task["id"])))
    assert as_json(env, "show", str(task["id"]))["notify"] == ["desk", "phone"]


def test_each_action_has_its_own_default_policy(env: dict[str, str]) -> None:
    reminder = as_json(env, "add", "Call mom", "--when", "tomorrow at 6pm")
    hook = as_json(
        env, "add", "Ping", "--when", "every day at 9", "--action", "http",
        "--payload", '{"url": "https://hooks.example.com/ping"}',
    )  # fmt: skip
    assert (reminder["notify_policy"], reminder["notify"], reminder["urgent"]) == (
        "always", [], False,
    )  # fmt: skip
    assert hook["notify_policy"] == "failure"
    shown = lines_of(ok(env, "show", str(reminder["id"])))
    assert (
        "notify your defaults, but you have none: no one is told ('agentcron channels add')"
        in shown
    )
    assert "notify when failure: when a run fails" in lines_of(ok(env, "show", str(hook["id"])))


def test_unknown_channels_and_policies_are_refused_and_nothing_changes(
    env: dict[str, str],
) -> None:
    ok(env, "channels", "add", "phone", "ntfy://my-alerts")
    assert refused(env, "add", "Gym", "--when", "in 1 hour", "--notify", "phone,nope") == (
        "You have no channel named 'nope' (yours: phone); 'agentcron channels add NAME URL' "
        "adds one."
    )
    assert as_json(env, "ls", "--all") == []
    task = as_json(env, "add", "Gym", "--when", "in 1 hour", "--notify", "phone")
    assert "'nope'" in refused(env, "edit", str(task["id"]), "--notify", "nope", "--urgent")
    error = refused(env, "add", "Gym", "--when", "in 1 hour", "--notify-when", "sometimes")
    assert "'sometimes' is not one of 'always', 'agent', 'failure', 'never'" in error
    kept = as_json(env, "show", str(task["id"]))
    assert (kept["version"], kept["notify"], kept["urgent"]) == (1, ["phone"], False)
    assert len(as_json(env, "ls", "--all")) == 1


# the profile


def test_profile_shows_and_sets_quiet_hours(env: dict[str, str]) -> None:
    shown_json = as_json(env, "profile", "show")
    budget = shown_json.pop("budget")
    assert shown_json == {
        "id": "local", "name": "", "timezone": "Europe/Paris", "quiet_hours": None,
        "default_channels": [], "channels": [],
    }  # fmt: skip
    assert (budget["tokens"], budget["cost"], budget["cost_budget"], budget["reached"]) == (
        0, 0.0, None, False,
    )  # fmt: skip
    shown = lines_of(ok(env, "profile", "show"))
    assert "zone Europe/Paris" in shown
    assert "quiet hours none: you are told at any time" in shown
    ok(env, "channels", "add", "phone", "ntfy://my-alerts")
    ok(env, "channels", "add", "desk", "ntfy://desk-alerts")

    changed = as_json(env, "profile", "set", "--quiet-hours", "22:00-7:00")
    assert changed["quiet_hours"] == "22:00-07:00"
    assert (changed["default_channels"], changed["channels"]) == (["phone"], ["desk", "phone"])
    shown = lines_of(ok(env, "profile", "show"))
    assert "default channels phone" in shown
    assert (
        "quiet hours 22:00-07:00 (Europe/Paris): notifications wait until they end, unless the "
        "task is --urgent" in " ".join(shown)
    )
    assert refused(env, "profile", "set", "--quiet-hours", "25:00-07:00") == (
        "Quiet hours '25:00-07:00' name a time that does not exist."
    )
    assert "HH:MM-HH:MM" in refused(env, "profile", "set", "--quiet-hours", "late")
    assert "Nothing to change" in refused(env, "profile", "set")
    assert as_json(env, "profile", "show")["quiet_hours"] == "22:00-07:00"
    assert as_json(env, "profile", "set", "--quiet-hours", "off")["quiet_hours"] is None


def test_profile_sets_the_zone_new_tasks_are_made_in(env: dict[str, str]) -> None:
    before = as_json(env, "add", "Stretch", "--when", "every day at 9")
    changed = as_json(env, "profile", "set", "--timezone", "asia/tokyo")
    assert (changed["timezone"], changed["quiet_hours"]) == ("Asia/Tokyo", None)
    assert "zone Asia/Tokyo" in lines_of(ok(env, "profile", "show"))
    after = as_json(env, "add", "Stretch again", "--when", "every day at 9")
    assert (before["timezone"], after["timezone"]) == ("Europe/Paris", "Asia/Tokyo")
    assert as_json(env, "show", str(before["id"]))["timezone"] == "Europe/Paris"  # kept its own

    both = as_json(env, "profile", "set", "--tz", "America/New_York", "--quiet-hours", "22:00-7:00")
    assert (both["timezone"], both["quiet_hours"]) == ("America/New_York", "22:00-07:00")
    assert refused(env, "profile", "set", "--timezone", "Mars/Base") == (
        "Unknown time zone 'Mars/Base'. Use an IANA name such as 'Europe/Paris' or "
        "'America/New_York'."
    )
    assert "Did you mean 'Europe/Paris'" in refused(
        env, "profile", "set", "--timezone", "Europe/Pariss", "--quiet-hours", "off"
    )
    assert "does not exist" in refused(
        env, "profile", "set", "--timezone", "Asia/Tokyo", "--quiet-hours", "25:00-07:00"
    )
    assert refused(env, "profile", "set") == (
        "Nothing to change: give --timezone Europe/Paris, --quiet-hours 22:00-07:00 (or off), "
        "or both."
    )
    kept = as_json(env, "profile", "show")  # none of the refused changes was written
    assert (kept["timezone"], kept["quiet_hours"]) == ("America/New_York", "22:00-07:00")
    done = agentcron("profile", "set", "--timezone", "Mars/Base", "--json", env=env)
    assert json.loads(done.stderr)["error"]["code"] == "invalid_input"


# deliveries


def test_runs_show_their_deliveries_and_a_failed_one_is_sent_again(
    tmp_path: Path, receiver: Receiver
) -> None:
    env = environment(tmp_path, AGENTCRON_DELIVERY_MAX_ATTEMPTS="1")
    later = free_port()  # nothing listens there yet
    ok(env, "channels", "add", "hook", f"json://{receiver.address}/hook")
    ok(env, "channels", "add", "later", f"json://127.0.0.1:{later}/later")
    task = as_json(
        env, "add", "Ping", "--when", "in 2 seconds", "--notify", "hook,later",
        "--notify-when", "always",
    )  # fmt: skip
    serve = Serve(env, tmp_path / "serve.log")
    try:
        found = wait_for(settled(env, 2), "both deliveries")
        by_channel = {d["channel"]: d for d in found}
        assert [d["id"] for d in found] == sorted((d["id"] for d in found), reverse=True)
        assert {d["channel"]: (d["status"], d["attempts"]) for d in found} == {
            "hook": ("sent", 1), "later": ("failed", 1),
        }  # fmt: skip
        assert by_channel["hook"]["sent_at"] is not None
        assert "cannot reach the receiver at 127.0.0.1: " in by_channel["later"]["last_error"]
        assert receiver.received.requests[0]["json"]["title"] == "Ping"

        (run,) = as_json(env, "runs", str(task["id"]))
        assert [set(d) for d in run["deliveries"]] == [DELIVERY_FIELDS, DELIVERY_FIELDS]
        assert sorted(run["deliveries"], key=lambda d: d["id"]) == sorted(
            found, key=lambda d: d["id"]
        )
        assert as_json(env, "runs")[0]["deliveries"] == run["deliveries"]
        detail = as_json(env, "run-show", str(run["id"]))
        assert detail["deliveries"] == run["deliveries"]
        assert len(detail["attempts"]) == 1

        failed_id = by_channel["later"]["id"]
        for human in (ok(env, "runs", str(task["id"])), ok(env, "run-show", str(run["id"]))):
            rows = lines_of(human)
            assert "deliveries" in rows
            assert any(
                r.startswith(f"{by_channel['hook']['id']} {run['id']} hook sent 1 attempt sent ")
                for r in rows
            )
            assert any(
                r.startswith(f"{failed_id} {run['id']} later failed 1 attempt gave up cannot reach")
                for r in rows
            )
            assert f"'agentcron deliveries retry {failed_id}' sends it again." in rows

        listed = lines_of(ok(env, "deliveries"))
        assert any("│ hook │ Ping │ sent │ 1 attempt │ sent " in row for row in listed)
        assert [d["id"] for d in as_json(env, "deliveries", "--failed")] == [failed_id]
        assert [d["channel"] for d in as_json(env, "deliveries", "--status", "sent")] == ["hook"]
        assert len(as_json(env, "deliveries", "--status", "sent", "-s", "failed")) == 2
        assert len(as_json(env, "deliveries", "--limit", "1")) == 1
        assert "Unknown delivery status lost" in refused(env, "deliveries", "--status", "lost")
        assert "give one or the other" in refused(env, "deliveries", "--failed", "--status", "sent")
        assert as_json(env, "deliveries", "--status", "held") == []
        assert ok(env, "deliveries", "--status", "held") == "No deliveries.\n"

        assert refused(env, "deliveries", "retry", str(by_channel["hook"]["id"])) == (
            f"Delivery {by_channel['hook']['id']} is sent; only failed or unknown deliveries "
            "are sent again."
        )
        assert "There is no delivery 999" in refused(env, "deliveries", "retry", "999")
        with receiving_on(later) as opened:  # now something listens there
            again = ok(env, "deliveries", "retry", str(failed_id))
            assert (
                again
                == f"Delivery {failed_id} (run {run['id']} to later) will be sent again now.\n"
            )
            assert opened.received.arrived.wait(30)
            assert opened.received.requests[0]["json"]["title"] == "Ping"
        resent = wait_for(settled(env, 2), "the delivery sent again")
        assert {d["channel"]: (d["status"], d["attempts"]) for d in resent} == {
            "hook": ("sent", 1), "later": ("sent", 2),
        }  # fmt: skip
        assert "2 attempts" in ok(env, "deliveries")
    finally:
        assert serve.stop() == 0
    assert len(receiver.received.requests) == 1  # the sent one was not sent again


def test_quiet_hours_hold_deliveries_unless_the_task_is_urgent(
    tmp_path: Path, receiver: Receiver
) -> None:
    env = environment(tmp_path)
    local = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    ok(env, "profile", "set", "--quiet-hours", f"{start:%H:%M}-{end:%H:%M}")
    ok(env, "channels", "add", "hook", f"json://{receiver.address}/hook")
    as_json(env, "add", "Quiet", "--when", "in 2 seconds")
    as_json(env, "add", "Loud", "--when", "in 2 seconds", "--urgent")
    serve = Serve(env, tmp_path / "serve.log")
    try:
        found = wait_for(settled(env, 2), "one delivery sent and one held")
    finally:
        assert serve.stop() == 0
    by_title = {d["title"]: d for d in found}
    assert by_title["Loud"]["status"] == "sent"
    held = by_title["Quiet"]
    assert held["status"] == "held"
    until = datetime.fromisoformat(held["held_until"]).astimezone(ZoneInfo("Europe/Paris"))
    assert f"{until:%H:%M}" == f"{end:%H:%M}"
    assert [r["json"]["title"] for r in receiver.received.requests] == ["Loud"]
    rows = lines_of(ok(env, "deliveries"))
    assert any(f"held until {until:%a %Y-%m-%d %H:%M}" in r and "(quiet hours)" in r for r in rows)
    assert "none yet" in " ".join(rows)


# secrets


@pytest.mark.timeout(300)  # some thirty commands, slow on a loaded machine
def test_channel_secrets_are_shown_nowhere(
    tmp_path: Path, receiver: Receiver, mailbox: Mailbox
) -> None:
    password, token = "Sup3rSecretPw", "TOK3Nsecretvalue99"
    bot = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    relay, twilio = "R3layPassw0rdX", "Tw1l1oAuthT0ken0123456789abcdef"
    secrets = (password, token, bot, relay, twilio)
    env = environment(
        tmp_path,
        AGENTCRON_LOG_LEVEL="DEBUG",
        AGENTCRON_DELIVERY_MAX_ATTEMPTS="1",
        AGENTCRON_EMAIL_TRANSPORT=(
            f"mailto://relay:{relay}@127.0.0.1:{mailbox.port}?from=agentcron@example.com"
        ),
        AGENTCRON_SMS_TRANSPORT=f"twilio://AC0123456789abcdef0123456789abcdef:{twilio}@+15550001111",
    )
    closed = f"127.0.0.1:{free_port()}"
    outputs: list[str] = []

    def run(*args: str, status: int = 0) -> str:
        done = agentcron(*args, env=env)
        assert done.returncode == status, (args, done.stdout, done.stderr)
        outputs.append(done.stdout + done.stderr)
        return done.stdout

    run("channels", "add", "hook", f"json://user:{password}@{closed}/hook?token={token}")
    run(
        "channels", "add", "live",
        f"json://user:{password}@{receiver.address}/hook?token={token}&-apikey={token}",
    )  # fmt: skip
    run("channels", "add", "tg", f"tgram://123456789:{bot}/12345678", "--json")  # never sent
    run("channels", "add", "mail", "email:ann@example.com")
    run("channels", "add", "text", "sms:+15551234567", "--json")  # never sent
    run("channels", "add", "bad", f"nosuch://user:{password}@host/{token}?token={token}", status=2)
    run("channels", "add", "hook", f"json://user:{password}@{closed}/{bot}", "--json", status=2)
    run("channels", "add", "bad2", f"tgram://{bot}", status=2)
    task = json.loads(
        run(
            "add", "Ping", "--when", "in 2 seconds", "--notify", "hook,live,mail",
            "--notify-when", "always", "--json",
        )
    )  # fmt: skip
    serve = Serve(env, tmp_path / "serve.log")
    try:
        found = wait_for(settled(env, 3), "three deliveries")
        assert {d["channel"]: d["status"] for d in found} == {
            "hook": "failed", "live": "sent", "mail": "sent",
        }  # fmt: skip
        failed_id = next(d["id"] for d in found if d["channel"] == "hook")
        run("deliveries", "retry", str(failed_id))
        wait_for(settled(env, 3), "the delivery tried again")
    finally:
        assert serve.stop() == 0

    reads = [
        ["channels", "ls"], ["profile", "show"], ["show", str(task["id"])], ["ls", "--all"],
        ["runs", str(task["id"])], ["runs"], ["run-show", "1"], ["deliveries"],
        ["deliveries", "--failed"], ["status"], ["config", "show"], ["channels", "test", "live"],
    ]  # fmt: skip
    closed_tests = [["channels", "test", "hook"], ["channels", "test", "hook", "--json"]]
    with ThreadPoolExecutor(3) as pool:  # a few at once: they only read
        done = [pool.submit(run, *args) for args in [*reads, *([*r, "--json"] for r in reads)]]
        done += [pool.submit(run, *args, status=1) for args in closed_tests]
        for future in done:
            future.result()
    run("channels", "test", "mail")
    run("channels", "default", "live", "--json")
    run("channels", "default", "live", "--off")
    run("channels", "rm", "tg", "--json")
    run("channels", "rm", "text")
    log = (tmp_path / "serve.log").read_text()

    # the secrets were used: the receiver and the mail server were given them
    assert receiver.received.requests[0]["query"]["apikey"] == [token]
    expected = "Basic " + base64.b64encode(f"user:{password}".encode()).decode()
    assert receiver.received.requests[0]["authorization"] == expected
    assert ("relay", relay) in mailbox.logins
    assert " DEBUG " in log  # serve logged at DEBUG,
    assert f"delivery {failed_id} to hook failed" in log  # failures included
    assert "sms:+1555****67" in " ".join(outputs)
    for text in (*outputs, log):
        for secret in secrets:
            assert secret not in text
