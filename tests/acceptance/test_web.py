"""The web page over real HTTP, as a browser without the page's script sends it (forms posted,
redirects seen) and as the script does (fragments): ``agentcron api`` in a subprocess, on
SQLite and on PostgreSQL, people and keys made as ``agentcron keys create`` makes them.

Sign-in is by API key, which opens a session (an HttpOnly, SameSite=Strict cookie); every
change carries the session's CSRF token; a person sees and changes only their own tasks and
channels; what the page shows is checked against what the JSON API says."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentcron.keys import csrf_token
from agentcron.web.timefmt import clock, local
from tests.acceptance.test_cli_schedule import agentcron
from tests.support.api_server import Api, Server, api_serving, serve_with_http
from tests.support.local_http import free_port
from tests.support.sql import private_schema
from tests.support.webhooks import WebhookReceiver

FRAGMENT = {"X-Agentcron-Fragment": "1"}
"""What the page's script sends: it wants the HTML of what changed, not a redirect."""
ZONE = "Europe/Paris"
MISSING_ID = 987654321
"""An id no task has."""
PASSWORD = "hunter2secret"
"""A channel URL's password: used when sending, shown nowhere."""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("web")
    env = {"AGENTCRON_HOME": str(home), "AGENTCRON_TIMEZONE": ZONE}
    env["AGENTCRON_LOG_LEVEL"] = "INFO"  # uvicorn's access log too, to check what it shows
    with private_schema() as url:
        if request.param == "postgresql":
            env["AGENTCRON_DATABASE_URL"] = url
        with api_serving(env, home / "server.log") as served:
            yield served


@pytest.fixture
def api(server: Server) -> Api:
    return Api(server.env, server.url, server.log)


class Browser:
    """One browser on the page: its cookies kept as a browser keeps them on this machine's
    loopback (Secure ones included, which browsers send to 127.0.0.1 over plain HTTP and
    Python's cookie jar would not), every answer remembered for the scans of secrets."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(
            base_url=url, follow_redirects=False, timeout=10,
            event_hooks={"response": [self._as_on_loopback]},
        )  # fmt: skip
        self.answers: list[httpx.Response] = []

    def _as_on_loopback(self, response: httpx.Response) -> None:
        for cookie in self.client.cookies.jar:
            cookie.secure = False

    @property
    def session(self) -> str | None:
        return self.client.cookies.get("agentcron_session")

    @property
    def csrf(self) -> str:
        """The token the page's forms carry, read from the page as its script reads it."""
        page = self.get("/")
        assert page.status_code == 200, page.text
        found = re.search(r'<body[^>]* data-csrf="([0-9a-f]+)"', page.text)
        assert found, page.text[:500]
        return found[1]

    def get(self, path: str, *, fragment: bool = False, **options: Any) -> httpx.Response:
        headers = {**options.pop("headers", {}), **(FRAGMENT if fragment else {})}
        answer = self.client.get(path, headers=headers, **options)
        self.answers.append(answer)
        return answer

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        fragment: bool = False,
        csrf: str | None = None,
        **options: Any,
    ) -> httpx.Response:
        """A form sent: without the script, its ``csrf`` a field; with it, a header."""
        headers = dict(options.pop("headers", {}))
        fields = dict(data or {})
        if fragment:
            headers |= FRAGMENT
            if csrf is not None:
                headers["X-CSRF-Token"] = csrf
        elif csrf is not None:
            fields["csrf"] = csrf
        answer = self.client.post(path, data=fields, headers=headers, **options)
        self.answers.append(answer)
        return answer

    def sign_in(self, key: str) -> httpx.Response:
        form = self.get("/signin")
        assert form.status_code == 200, form.text
        signed = self.post("/signin", {"key": key}, csrf=hidden(form.text, "csrf"))
        assert (signed.status_code, signed.headers.get("location")) == (303, "/"), signed.text
        return signed

    def said(self) -> str:
        """Everything the server answered this browser: bodies, headers, cookies."""
        return "\n".join(
            f"{answer.headers.multi_items()}\n{answer.text}" for answer in self.answers
        )

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def browsers(server: Server) -> Iterator[list[Browser]]:
    """Browsers made by ``browser``: closed after the test."""
    made: list[Browser] = []
    yield made
    for one in made:
        one.close()


@pytest.fixture
def browser(server: Server, browsers: list[Browser]) -> Browser:
    made = Browser(server.url)
    browsers.append(made)
    return made


def signed_in(server: Server, browsers: list[Browser], api: Api, who: str) -> Browser:
    made = Browser(server.url)
    browsers.append(made)
    made.sign_in(api.keys[who])
    return made


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, page[:2000]
    return found[1]


def cookies_set(answer: httpx.Response) -> dict[str, SimpleCookie]:
    """The cookies an answer sets, by name, each with its attributes."""
    parsed = {}
    for header in answer.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        parsed |= dict.fromkeys(cookie, cookie)
    return parsed


def task(api: Api, who: str = "ann", **fields: Any) -> dict[str, Any]:
    """A reminder made over the JSON API."""
    body = {"when": "every day at 9", "action": "reminder", "payload": {"message": "hello"}}
    made = api.call("POST", "/v1/tasks", who=who, json=body | fields)
    assert made.status_code == 201, made.text
    shown: dict[str, Any] = made.json()
    return shown


def task_of(api: Api, task_id: int, who: str = "ann") -> dict[str, Any]:
    read = api.call("GET", f"/v1/tasks/{task_id}", who=who)
    assert read.status_code == 200, read.text
    shown: dict[str, Any] = read.json()
    return shown


def row(page: str, task_id: int) -> str:
    """The row of task ``task_id`` in a page of the list."""
    found = re.search(rf'<tr id="task-{task_id}".*?</tr>', page, re.DOTALL)
    assert found, page[-3000:]
    return found[0]


def rows(page: str) -> list[int]:
    return [int(task_id) for task_id in re.findall(r'<tr id="task-(\d+)"', page)]


def unmarked(page: str, task_id: int) -> str:
    """A refusal with the task's id in its words replaced: another person's id must be
    answered as one that does not exist."""
    found = re.search(r'<p class="flash error" role="alert">(.*?)</p>', page, re.DOTALL)
    assert found, page
    words = re.sub(rf"\b{task_id}\b", "ID", found[1])
    return page.replace(found[0], f'<p class="flash error" role="alert">{words}</p>')


def is_sign_in(answer: httpx.Response) -> bool:
    return (answer.status_code, answer.headers.get("location")) == (303, "/signin")


# signing in


def test_signing_in_takes_the_form_s_token_and_a_live_key(
    api: Api, browser: Browser, server: Server
) -> None:
    assert is_sign_in(browser.get("/"))
    form = browser.get("/signin")
    assert form.status_code == 200
    token = hidden(form.text, "csrf")
    signin = cookies_set(form)["agentcron_signin"]["agentcron_signin"]
    assert signin.value == token
    assert (signin["path"], signin["samesite"].lower(), signin["httponly"], signin["secure"]) == (
        "/signin", "strict", True, True
    )  # fmt: skip
    assert browser.get("/signin").text.count(token) == 1  # the same form token, asked again

    key = api.keys["ann"]
    for refused in (
        browser.post("/signin", {"key": key}),  # no form token
        browser.post("/signin", {"key": key}, csrf=token[::-1]),
        browser.post("/signin", {"key": key}, csrf="é" + token[1:]),  # not even ASCII
    ):
        assert refused.status_code == 403, refused.text
        assert "This sign-in form is out of date" in refused.text
        assert "agentcron_session" not in cookies_set(refused)
    stranger = Browser(server.url)  # another site's form: the right field, no cookie of ours
    try:
        posted = stranger.post("/signin", {"key": key}, csrf=token)
        assert posted.status_code == 403
        assert "agentcron_session" not in cookies_set(posted)
    finally:
        stranger.close()
    token = hidden(browser.get("/signin").text, "csrf")
    for wrong in (key[:-1] + ("A" if key[-1] != "A" else "B"), "agc_nothing", api.keys["bob"][:-2]):
        refused = browser.post("/signin", {"key": wrong}, csrf=token)
        assert refused.status_code == 401, refused.text
        assert "This API key is not valid (unknown or revoked)" in refused.text
        assert "agentcron_session" not in cookies_set(refused)
        token = hidden(refused.text, "csrf")
    assert browser.session is None
    assert is_sign_in(browser.get("/"))

    signed = browser.post("/signin", {"key": key}, csrf=token)
    assert (signed.status_code, signed.headers["location"]) == (303, "/")
    header = next(
        h for h in signed.headers.get_list("set-cookie") if h.startswith("agentcron_session=")
    )
    flags = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "samesite=strict", "secure", "path=/", "max-age=604800"} <= flags, header
    session = header.split(";")[0].removeprefix("agentcron_session=")
    assert re.fullmatch(r"agw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", session), session
    assert browser.session == session
    page = browser.get("/")
    assert page.status_code == 200
    assert f'data-csrf="{csrf_token(session)}"' in page.text
    again = browser.get("/signin")  # signed in already: the tasks instead
    assert (again.status_code, again.headers["location"]) == (303, "/")
    assert key not in browser.said()
    assert key.split("_", 2)[2] not in browser.said()
    assert key not in server.log.read_text()
    assert session.split("_", 2)[2] not in server.log.read_text()


def test_pages_forbid_framing_foreign_scripts_sniffing_and_caching(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    ann = signed_in(server, browsers, api, "ann")
    stranger = Browser(server.url)
    browsers.append(stranger)
    made = task(api, title="Headers")
    for answer in (
        ann.get("/"),
        ann.get("/", fragment=True),
        ann.get(f"/tasks/{made['id']}"),
        ann.get(f"/tasks/{made['id']}/edit"),
        ann.get("/settings"),
        ann.get(f"/tasks/{MISSING_ID}"),  # a refusal is a page too
        ann.post(f"/tasks/{made['id']}/pause", fragment=True, csrf=ann.csrf),
        stranger.get("/signin"),
    ):
        assert answer.headers["content-type"].startswith("text/html"), answer.request.url
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy, policy
        assert "frame-ancestors 'none'" in policy, policy
        assert "default-src 'self'" in policy, policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
    script = ann.get("/static/agentcron.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "X-CSRF-Token" in script.text
    assert ann.get("/static/passwords.txt").status_code == 404


# the list


def test_the_list_shows_the_person_s_tasks_and_nobody_else_s(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    water = task(api, title="Water the plants", when="every day at 9")
    call = task(api, title="Call mom", when="tomorrow at 6pm")
    sneaky = task(api, title="<img src=x onerror=alert(1)> & co", when="every hour")
    assert api.call("POST", f"/v1/tasks/{call['id']}/pause").status_code == 200
    bobs = task(api, "bob", title="Bob's surprise party")
    ann, bob, root = (signed_in(server, browsers, api, who) for who in ("ann", "bob", "admin"))

    page = ann.get("/")
    assert page.status_code == 200
    assert sorted(rows(page.text)) == sorted([water["id"], call["id"], sneaky["id"]])
    for made, status in ((water, "active"), (call, "paused"), (sneaky, "active")):
        shown = row(page.text, made["id"])
        assert f">{html.escape(made['title'], quote=False)}</a>" in shown
        assert f'<td data-label="Schedule">{made["description"]}</td>' in shown
        assert f'<span class="badge {status}">{status}</span>' in shown
    assert "<img src=x" not in page.text  # the title is text, not markup
    assert "every day at 09:00 (Europe/Paris)" in row(page.text, water["id"])
    assert "surprise" not in page.text
    assert f'formaction="/tasks/{call["id"]}/resume"' in row(page.text, call["id"])
    assert f'formaction="/tasks/{water["id"]}/pause"' in row(page.text, water["id"])

    theirs = bob.get("/")
    assert rows(theirs.text) == [bobs["id"]]
    assert "Water the plants" not in theirs.text
    empty = root.get("/")
    assert (empty.status_code, rows(empty.text)) == (200, [])
    assert "You have no tasks yet." in empty.text

    assert rows(ann.get("/", params={"q": "water"}).text) == [water["id"]]
    assert rows(ann.get("/", params={"q": "PLANTS"}).text) == [water["id"]]
    assert rows(ann.get("/", params={"status": "paused"}).text) == [call["id"]]
    assert rows(ann.get("/", params={"q": "call", "status": "active"}).text) == []
    assert rows(bob.get("/", params={"q": "water"}).text) == []
    none = ann.get("/", params={"q": "zebra"})
    assert "No task matches “zebra”." in none.text
    assert "You have no tasks yet." not in none.text

    part = ann.get("/", params={"q": "water"}, fragment=True)
    assert part.status_code == 200
    assert part.text.strip().startswith('<tbody id="rows">')
    assert part.text.strip().endswith("</tbody>")
    assert "<body" not in part.text
    assert rows(part.text) == [water["id"]]
    assert "Water the plants" in part.text

    bad = ann.get("/", params={"status": "sleeping"})
    assert bad.status_code == 422
    assert "This request is not one the page sends" in bad.text
    assert "Traceback" not in bad.text


def test_a_long_list_comes_a_page_at_a_time(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    made = [task(api, "bob", title=f"t{n}", when=f"in {n + 1} hours")["id"] for n in range(3)]
    bob = signed_in(server, browsers, api, "bob")
    first = bob.get("/", params={"limit": 2}, fragment=True)
    assert len(rows(first.text)) == 2
    more = re.search(r'<tr class="more">.*?href="([^"]+)"', first.text, re.DOTALL)
    assert more, first.text
    rest = bob.get(html.unescape(more[1]), fragment=True)
    assert sorted(rows(rest.text)) == sorted(made)
    assert '<tr class="more">' not in rest.text


# changing a task


def test_a_change_needs_the_session_s_token_and_touches_only_the_person_s_task(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    made = task(api, title="Stretch")
    task_id = made["id"]
    ann = signed_in(server, browsers, api, "ann")
    bob = signed_in(server, browsers, api, "bob")
    csrf = ann.csrf

    for refused in (
        ann.post(f"/tasks/{task_id}/pause"),
        ann.post(f"/tasks/{task_id}/pause", csrf="0" * 32),
        ann.post(f"/tasks/{task_id}/pause", fragment=True),
        ann.post(f"/tasks/{task_id}/pause", fragment=True, csrf=bob.csrf),  # bob's token
        ann.post(f"/tasks/{task_id}/pause", headers={"X-CSRF-Token": ""}, csrf=csrf),
        ann.post(f"/tasks/{task_id}/pause", csrf="é" + csrf[1:]),  # not even ASCII
        ann.post(f"/tasks/{task_id}/pause", fragment=True, headers={"X-CSRF-Token": "é".encode()}),
    ):
        assert refused.status_code == 403, refused.text
        assert "its form token does not match" in refused.text
    assert task_of(api, task_id)["status"] == "active"

    paused = ann.post(f"/tasks/{task_id}/pause", csrf=csrf)  # a browser without the script
    assert (paused.status_code, paused.headers["location"]) == (303, "/")
    assert task_of(api, task_id)["status"] == "paused"

    resumed = ann.post(f"/tasks/{task_id}/resume", fragment=True, csrf=csrf)  # with it
    assert resumed.status_code == 200, resumed.text
    assert resumed.text.strip().startswith(f'<tr id="task-{task_id}"')
    assert '<span class="badge active">active</span>' in resumed.text
    assert task_of(api, task_id)["status"] == "active"
    again = ann.post(f"/tasks/{task_id}/pause", fragment=True, csrf=csrf)
    assert '<span class="badge paused">paused</span>' in again.text
    assert f'formaction="/tasks/{task_id}/resume"' in again.text
    assert task_of(api, task_id)["status"] == "paused"

    ran = ann.post(f"/tasks/{task_id}/run", fragment=True, csrf=csrf)
    assert ran.status_code == 200, ran.text
    runs = api.call("GET", f"/v1/tasks/{task_id}/runs").json()["runs"]
    assert [(run["status"], run["trigger"]) for run in runs] == [("queued", "manual")]
    assert ran.text.strip().startswith(f'<tr id="task-{task_id}"')

    on_page = ann.post(f"/tasks/{task_id}/resume", {"view": "task"}, fragment=True, csrf=csrf)
    assert on_page.text.strip().startswith(f'<div id="live" data-task="{task_id}"')
    assert f'id="run-{runs[0]["id"]}"' in on_page.text  # the task's page, its history in it

    for verb in ("pause", "resume", "run", "cancel"):
        theirs = bob.post(f"/tasks/{task_id}/{verb}", fragment=True, csrf=bob.csrf)
        missing = bob.post(f"/tasks/{MISSING_ID}/{verb}", fragment=True, csrf=bob.csrf)
        assert (theirs.status_code, missing.status_code) == (404, 404), verb
        assert theirs.headers["x-agentcron-flash"] == "error"
        assert unmarked(theirs.text, task_id) == unmarked(missing.text, MISSING_ID)
        assert "Stretch" not in theirs.text
    assert task_of(api, task_id)["status"] == "active"
    assert len(api.call("GET", f"/v1/tasks/{task_id}/runs").json()["runs"]) == 1

    for path in ("/tasks/abc/pause", f"/tasks/{task_id}/explode", "/tasks/1e3/run"):
        odd = ann.post(path, csrf=csrf)
        assert odd.status_code == 422, (path, odd.text)
        assert "That was not done" in odd.text
        assert "This request is not one the page sends" in odd.text
        assert "Traceback" not in odd.text
    assert task_of(api, task_id)["status"] == "active"

    cancelled = ann.post(f"/tasks/{task_id}/cancel", fragment=True, csrf=csrf)
    assert '<span class="badge cancelled">cancelled</span>' in cancelled.text
    assert "<form" not in cancelled.text  # nothing more to do with it
    assert task_of(api, task_id)["status"] == "cancelled"
    ended = ann.post(f"/tasks/{task_id}/resume", fragment=True, csrf=csrf)
    assert (ended.status_code, ended.headers["x-agentcron-flash"]) == (409, "error"), ended.text
    assert task_of(api, task_id)["status"] == "cancelled"
    assert "Traceback" not in server.log.read_text()


def test_editing_a_task_saves_it_or_shows_the_form_again_with_why(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    made = task(api, title="Stretch", payload={"message": "stand up"})
    task_id, version = made["id"], made["version"]
    ann = signed_in(server, browsers, api, "ann")
    csrf = ann.csrf

    form = ann.get(f"/tasks/{task_id}/edit", fragment=True)
    assert form.text.strip().startswith(f'<tr id="task-{task_id}" class="task editing"')
    assert hidden(form.text, "version") == str(version)
    assert f'<textarea id="text-{task_id}" name="text" rows="3">stand up</textarea>' in form.text

    blursday = {"title": "Stretch more", "version": version, "when": "every blursday"}
    bad = ann.post(f"/tasks/{task_id}", blursday | {"text": "sit"}, fragment=True, csrf=csrf)
    said = api.call("POST", "/v1/schedules/parse", json={"when": "every blursday"})
    assert said.status_code == 422
    assert bad.status_code == 422, bad.text
    assert f'<form id="edit-form-{task_id}"' in bad.text
    assert 'value="Stretch more"' in bad.text
    assert 'value="every blursday"' in bad.text
    assert ">sit</textarea>" in bad.text
    assert said.json()["error"]["message"] in html.unescape(bad.text)  # the service's words
    unchanged = task_of(api, task_id)
    assert (unchanged["title"], unchanged["version"]) == ("Stretch", version)
    assert unchanged["payload"] == {"message": "stand up"}
    plain = ann.post(f"/tasks/{task_id}", blursday, csrf=csrf)  # without the script: a page
    assert plain.status_code == 422
    assert "That was not done" in plain.text
    assert said.json()["error"]["message"] in html.unescape(plain.text)

    saved = ann.post(
        f"/tasks/{task_id}",
        {"title": "Stretch well", "version": version, "when": "every weekday at 8", "text": "up!"},
        fragment=True,
        csrf=csrf,
    )
    assert saved.status_code == 200, saved.text
    assert saved.text.strip().startswith(f'<tr id="task-{task_id}"')
    now = task_of(api, task_id)
    assert (now["title"], now["payload"], now["version"]) == (
        "Stretch well", {"message": "up!"}, version + 1
    )  # fmt: skip
    assert now["description"] == "every weekday at 08:00 (Europe/Paris)"
    assert ">Stretch well</a>" in saved.text
    assert now["description"] in saved.text

    stale = ann.post(
        f"/tasks/{task_id}",
        {"title": "From an old tab", "version": version, "when": "", "text": "old"},
        fragment=True,
        csrf=csrf,
    )
    assert stale.status_code == 412, stale.text
    assert 'value="From an old tab"' in stale.text  # the form again, what was typed kept
    assert task_of(api, task_id) == now

    kept = ann.post(
        f"/tasks/{task_id}",
        {"title": "Stretch", "version": now["version"], "view": "task"},
        csrf=csrf,
    )  # the task's own page, no schedule given: the schedule and the message stay
    assert (kept.status_code, kept.headers["location"]) == (303, f"/tasks/{task_id}")
    last = task_of(api, task_id)
    assert (last["title"], last["description"], last["payload"]) == (
        "Stretch", now["description"], {"message": "up!"}
    )  # fmt: skip

    bob = signed_in(server, browsers, api, "bob")
    theirs = bob.post(
        f"/tasks/{task_id}",
        {"title": "mine now", "version": last["version"]},
        fragment=True,
        csrf=bob.csrf,
    )
    assert theirs.status_code == 404
    assert bob.get(f"/tasks/{task_id}/edit").status_code == 404
    assert task_of(api, task_id) == last


# one task


def test_a_task_s_page_shows_what_is_coming_and_what_ran(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    made = task(api, title="Water the plants", when="every day at 9")
    task_id = made["id"]
    ann = signed_in(server, browsers, api, "ann")
    page = ann.get(f"/tasks/{task_id}")
    assert page.status_code == 200
    assert "<title>Water the plants · agentcron</title>" in page.text
    upcoming = re.search(r'<ol class="upcoming">(.*?)</ol>', page.text, re.DOTALL)
    assert upcoming, page.text
    instants = re.findall(r'<li><time datetime="([^"]+)">', upcoming[1])
    assert len(instants) == 5
    assert instants[0] == made["next_run_at"].replace("Z", "+00:00")
    assert all(at.endswith("T08:00:00+00:00") for at in instants)  # 9:00 in Paris in winter
    assert "No run yet." in page.text
    assert made["description"] in page.text

    queued = api.call("POST", f"/v1/tasks/{task_id}/run")
    assert queued.status_code == 202
    again = ann.get(f"/tasks/{task_id}")
    history = re.search(r'<ol class="runs">(.*?)</ol>', again.text, re.DOTALL)
    assert history, again.text
    assert f'<li id="run-{queued.json()["id"]}" class="run status-queued">' in history[1]
    assert '<span class="sub">manual</span>' in history[1]
    assert "No run yet." not in again.text

    live = ann.get(f"/tasks/{task_id}", fragment=True)  # what the live stream refreshes
    assert live.text.strip().startswith(f'<div id="live" data-task="{task_id}"')
    assert "<html" not in live.text

    bob = signed_in(server, browsers, api, "bob")
    theirs, missing = bob.get(f"/tasks/{task_id}"), bob.get(f"/tasks/{MISSING_ID}")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert unmarked(theirs.text, task_id) == unmarked(missing.text, MISSING_ID)
    assert "Water the plants" not in theirs.text


def test_a_run_that_ran_shows_its_times_and_output_on_the_task_s_page(tmp_path: Path) -> None:
    """``serve --http``: the API inside the process that fires tasks, so that 'Run now'
    runs."""
    env = {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": ZONE}
    with serve_with_http(env, tmp_path / "serve.log") as url:
        api = Api(env, url, tmp_path / "serve.log")
        made = task(api, title="Stretch", payload={"message": "Stand up & stretch"})
        ann = Browser(url)
        try:
            ann.sign_in(api.keys["ann"])
            ran = ann.post(f"/tasks/{made['id']}/run", csrf=ann.csrf)
            assert ran.status_code == 303
            deadline = time.monotonic() + 30
            runs: list[dict[str, Any]] = []
            while not any(run["status"] == "succeeded" for run in runs):
                assert time.monotonic() < deadline, runs
                time.sleep(0.1)
                runs = api.call("GET", f"/v1/tasks/{made['id']}/runs").json()["runs"]
            (run,) = runs
            page = ann.get(f"/tasks/{made['id']}")
            listed = ann.get("/")
        finally:
            ann.close()
    shown = re.search(rf'<li id="run-{run["id"]}".*?</li>', page.text, re.DOTALL)
    assert shown, page.text
    one = shown[0]
    assert '<span class="badge succeeded">succeeded</span>' in one
    scheduled = datetime.fromisoformat(run["scheduled_for"])
    started = datetime.fromisoformat(run["started_at"])
    shown_at = f'<time datetime="{scheduled.isoformat()}">{local(scheduled, ZONE)}</time>'
    assert f"scheduled {shown_at}" in one
    assert f"started {clock(started, ZONE)}" in one
    assert '<pre class="output">Stand up &amp; stretch</pre>' in one
    assert run["output"] == "Stand up & stretch"
    assert '<span class="sub">manual</span>' in one
    assert f'<a class="badge succeeded" href="/tasks/{made["id"]}#run-{run["id"]}">' in (
        row(listed.text, made["id"])
    )


# settings


def test_channels_are_added_tested_and_removed_their_secrets_shown_nowhere(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    ann = signed_in(server, browsers, api, "ann")
    page = ann.get("/settings")
    assert page.status_code == 200
    assert f"({api.people['ann']}), with key {api.keys['ann'].split('_')[1]}." in page.text
    assert "No channel yet" in page.text
    csrf = hidden(page.text, "csrf")
    receiver = WebhookReceiver()
    with receiver.running():
        url = receiver.json_url(auth=f"user:{PASSWORD}")
        added = ann.post(
            "/settings/channels", {"name": "hook", "url": url, "default": "true"},
            fragment=True, csrf=csrf,
        )  # fmt: skip
        assert added.status_code == 200, added.text
        assert "Added channel hook." in added.text
        (listed,) = api.call("GET", "/v1/channels").json()["channels"]
        assert (listed["name"], listed["default"]) == ("hook", True)
        assert PASSWORD not in listed["url"]
        assert f'<code class="sub">{html.escape(listed["url"])}</code>' in added.text
        assert '<span class="badge active">default</span>' in added.text

        tested = ann.post("/settings/channels/hook/test", fragment=True, csrf=csrf)
        assert tested.status_code == 200, tested.text
        assert "Sent a test message to hook: check that it arrived." in tested.text
        (got,) = receiver.received()
        assert "channel **hook** works" in got.body["message"]
        assert got.headers["authorization"].startswith("Basic ")  # the password was used

    dead = f"json://user:{PASSWORD}@127.0.0.1:{free_port()}/gone"
    plain = ann.post("/settings/channels", {"name": "dead", "url": dead}, csrf=csrf)
    assert (plain.status_code, plain.headers["location"]) == (303, "/settings")
    failed = ann.post("/settings/channels/dead/test", fragment=True, csrf=csrf)
    assert failed.status_code >= 500, failed.text
    assert failed.headers["x-agentcron-flash"] == "error"
    assert failed.text.startswith('<p class="flash error" role="alert">')
    again = ann.post("/settings/channels", {"name": "hook", "url": url}, fragment=True, csrf=csrf)
    assert (again.status_code, again.headers["x-agentcron-flash"]) == (409, "error")
    assert "You have a channel named &#39;hook&#39; already" in again.text
    nonsense = ann.post(
        "/settings/channels",
        {"name": "odd", "url": f"nosuch://user:{PASSWORD}@host/x"},
        fragment=True,
        csrf=csrf,
    )
    assert (nonsense.status_code, nonsense.headers["x-agentcron-flash"]) == (422, "error")

    settings = ann.get("/settings")
    assert 'id="channel-hook"' in settings.text
    assert 'id="channel-dead"' in settings.text
    bob = signed_in(server, browsers, api, "bob")
    assert "channel-hook" not in bob.get("/settings").text
    theirs = bob.post("/settings/channels/hook/remove", fragment=True, csrf=bob.csrf)
    assert theirs.status_code == 404
    removed = ann.post("/settings/channels/hook/remove", fragment=True, csrf=csrf)
    assert removed.status_code == 200, removed.text
    assert "Removed channel hook." in removed.text
    assert 'id="channel-hook"' not in removed.text
    assert 'id="channel-dead"' in removed.text
    assert [c["name"] for c in api.call("GET", "/v1/channels").json()["channels"]] == ["dead"]

    for text in (ann.said(), bob.said(), server.log.read_text()):
        assert PASSWORD not in text
    assert "json://" in ann.said()  # the channels were shown, masked


def test_quiet_hours_are_set_on_the_settings_page(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    ann = signed_in(server, browsers, api, "ann")
    csrf = ann.csrf
    saved = ann.post(
        "/settings/profile", {"timezone": ZONE, "quiet_hours": "22:00-07:00"},
        fragment=True, csrf=csrf,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert "Saved." in saved.text
    assert 'value="22:00-07:00"' in saved.text
    assert api.call("GET", "/v1/profile").json()["quiet_hours"] == "22:00-07:00"
    bad = ann.post(
        "/settings/profile", {"timezone": ZONE, "quiet_hours": "late"}, fragment=True, csrf=csrf
    )
    assert (bad.status_code, bad.headers["x-agentcron-flash"]) == (422, "error")
    assert api.call("GET", "/v1/profile").json()["quiet_hours"] == "22:00-07:00"
    cleared = ann.post("/settings/profile", {"timezone": ZONE, "quiet_hours": ""}, csrf=csrf)
    assert (cleared.status_code, cleared.headers["location"]) == (303, "/settings")
    assert api.call("GET", "/v1/profile").json()["quiet_hours"] is None
    assert api.call("GET", "/v1/profile", who="bob").json()["quiet_hours"] is None


# signing out


def test_signing_out_ends_the_session_for_good(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    ann = signed_in(server, browsers, api, "ann")
    other = signed_in(server, browsers, api, "ann")  # another browser of hers
    old = ann.session
    assert old is not None
    csrf = ann.csrf
    refused = ann.post("/signout")
    assert refused.status_code == 403
    assert ann.get("/").status_code == 200  # still signed in

    out = ann.post("/signout", csrf=csrf)
    assert is_sign_in(out)
    cleared = cookies_set(out)["agentcron_session"]["agentcron_session"]
    assert (cleared.value, cleared["max-age"], cleared["path"]) == ("", "0", "/")
    assert ann.session is None
    assert is_sign_in(ann.get("/"))

    replay = Browser(server.url)  # the old cookie, kept by someone
    browsers.append(replay)
    replay.client.cookies.set("agentcron_session", old)
    assert is_sign_in(replay.get("/"))
    assert is_sign_in(replay.get("/settings"))
    assert replay.get("/signin").status_code == 200  # the form, not a way back in
    late = replay.post("/tasks/1/pause", fragment=True, csrf=csrf)
    assert (late.status_code, late.headers["x-agentcron-redirect"]) == (401, "/signin")
    assert other.get("/").status_code == 200  # her other browser stays signed in


def test_revoking_the_key_signs_its_sessions_out(
    api: Api, browsers: list[Browser], server: Server
) -> None:
    bob = signed_in(server, browsers, api, "bob")
    ann = signed_in(server, browsers, api, "ann")
    assert bob.get("/").status_code == 200
    revoked = agentcron("keys", "revoke", api.keys["bob"].split("_")[1], env=api.env)
    assert revoked.returncode == 0, revoked.stderr
    assert is_sign_in(bob.get("/"))
    assert is_sign_in(bob.get("/settings"))
    assert ann.get("/").status_code == 200


# live updates


def test_the_live_stream_needs_a_session(
    api: Api, browsers: list[Browser], server: Server, browser: Browser
) -> None:
    assert is_sign_in(browser.get("/live"))
    nobody = browser.get("/live", fragment=True)
    assert (nobody.status_code, nobody.headers["x-agentcron-redirect"]) == (401, "/signin")
    ann = signed_in(server, browsers, api, "ann")
    with ann.client.stream("GET", "/live", params={"after": 0}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert next(stream.iter_lines()).startswith("retry: ")
