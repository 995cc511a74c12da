"""Who may do what, over every route the API serves: ``agentcron api`` in a subprocess, on
SQLite and on PostgreSQL, driven over real HTTP.

``RECIPES`` holds one request for each (method, path) of the app, and a route without one
fails ``test_every_route_has_a_recipe``: a route added later cannot escape the matrix. Each
recipe is sent as ann (whose resource its path names), as bob, with no key, with a revoked key
and with malformed ones, with an admin key as itself and acting for ann, and with a user key
acting for someone else. Another person's ids must answer exactly as ids that do not exist,
and nothing of ann's (the unique markers put in her titles, payload, run output, channel,
conversation and id) may reach anyone else in any answer.

The web page's routes are opened by a session (its cookie), not a key: each is sent with
ann's session, bob's, an admin's (a page acts for its own person only), and with none that is
live (no cookie, a key where the session goes, a revoked key's, one signed out, a forged one);
each change is sent with ann's session but without its CSRF token, or with bob's.

A new route is one line in ``RECIPES``; a Server-Sent Events route takes ``stream=True`` (its
status and the first bytes are read, for a moment at most).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from agentcron.api.app import create_app
from agentcron.bootstrap import build_service, open_store
from agentcron.config import Settings
from agentcron.keys import csrf_token
from agentcron.testing.model_server import Dynamic, RecordedRequest, ScriptedModelServer, Text
from tests.acceptance.test_cli_schedule import agentcron
from tests.support.api_server import Api, Server
from tests.support.sql import private_schema
from tests.support.webhooks import WebhookReceiver

pytestmark = pytest.mark.xdist_group("api-authorization")

MARK = uuid.uuid4().hex[:10]
MARKERS = {
    "title": f"AnnTitle{MARK}",
    "payload": f"AnnPayload{MARK}",
    "output": f"AnnOutput{MARK}",
    "channel": f"ann-channel-{MARK}",
    "channel host": f"ann-host-{MARK}.example.com",
    "chat": f"AnnChat{MARK}",
}
"""Strings only ann's data holds: none may reach another person (her id is one more)."""
SECRET = f"AnnSecret{MARK}"
"""The secret part of ann's channel URL: it reaches nobody, ann included."""
MISSING_ID = 987654321
"""An id no task or run has, whatever its kind (nor a channel, as a name)."""
NDJSON = {"Content-Type": "application/x-ndjson"}
READ_FOR = 3.0
"""Seconds a streamed answer is read at most (an event stream need not end)."""


PUBLIC, PERSON, ADMIN, FEED, PAGE = "public", "person", "admin", "feed", "page"
"""Who a route is for: anyone; a person, on what is theirs; an operator (an admin key);
whoever holds a person's calendar feed token (no key needed, none is enough); a person
signed in on the web page, on what is theirs (their session's cookie; no key is enough)."""
FRAGMENT = {"X-Agentcron-Fragment": "1"}
"""What the page's script sends: the HTML of what changed back, not a redirect."""


@dataclass(frozen=True)
class Recipe:
    """One request for a route: sent as ann (as an admin for an ``ADMIN`` route), ``ok`` is
    its status. ``needs`` names the kind of ann's resource whose id fills the path's
    placeholder; ``shows``, the markers ann's answer must hold (so that their absence
    elsewhere means something)."""

    method: str
    path: str
    ok: int = 200
    needs: str | None = None
    shows: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    stream: bool = False
    access: str = PERSON
    body: Callable[[], dict[str, Any]] | None = None
    """A JSON body made anew for each request (what must be unique, as a channel's name)."""
    verb: str = ""
    """What fills a ``{verb}`` in the path (a page's form of several actions)."""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


CREATED = {"json": {"title": "mine", "when": "in 2 hours", "payload": {"message": "hello"}}}
IMPORTED = {"content": json.dumps({"title": "in", "when": "in 3 hours"}), "headers": NDJSON}
PATCHED = {"json": {"title": "renamed"}, "headers": {"If-Match": '"1"'}}
PROFILE = {"json": {"timezone": "Europe/Paris", "quiet_hours": None}}  # as it was: others read it
SPARES = itertools.count(1)


def new_channel() -> dict[str, Any]:
    """A channel of a name not used yet, its URL holding ann's secret (never to come back)."""
    return {"name": f"new{next(SPARES)}", "url": f"json://localhost/hook?token={SECRET}"}


MCP_VERSION = "2026-07-28"
MCP_CALL = {
    "json": {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "list_tasks",
            "arguments": {"limit": 500},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MCP_VERSION,
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    },
    "headers": {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MCP_VERSION,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "list_tasks",
    },
}
"""An MCP tool call standing alone (the 2026-07-28 revision): the caller's tasks."""
MCP_NO_SESSION = {"headers": {"Accept": "application/json, text/event-stream"}}
"""A handshake-era stream or session end without a session: 400 for anyone let in."""
EDITED = {"data": {"title": "renamed", "version": "1"}, "headers": FRAGMENT}
CHANNEL = {"data": {"name": "spare", "url": "json://spare.example.com/hook"}, "headers": FRAGMENT}
ZONE = {"data": {"timezone": "Europe/Paris"}, "headers": FRAGMENT}
"""The zone everyone has already (a form that changes only quiet hours)."""

# fmt: off
RECIPES = (
    Recipe("GET", "/healthz", access=PUBLIC),
    Recipe("GET", "/readyz", access=PUBLIC),
    Recipe("GET", "/openapi.json", access=PUBLIC),
    Recipe("GET", "/docs", access=PUBLIC),
    Recipe("GET", "/docs/oauth2-redirect", access=PUBLIC),
    Recipe("GET", "/redoc", access=PUBLIC),
    Recipe("GET", "/metrics", access=ADMIN),
    Recipe("POST", "/v1/tasks", 201, options=CREATED),
    Recipe("GET", "/v1/tasks", shows=("title", "payload"), options={"params": {"limit": 500}}),
    Recipe("GET", "/v1/tasks/{task_id}", needs="task", shows=("title", "payload")),
    Recipe("PATCH", "/v1/tasks/{task_id}", needs="task", shows=("payload",), options=PATCHED),
    Recipe("DELETE", "/v1/tasks/{task_id}", needs="task", shows=("title",)),
    Recipe("POST", "/v1/tasks/{task_id}/pause", needs="task", shows=("title",)),
    Recipe("POST", "/v1/tasks/{task_id}/resume", needs="paused_task", shows=("title",)),
    Recipe("POST", "/v1/tasks/{task_id}/cancel", needs="task", shows=("title",)),
    Recipe("POST", "/v1/tasks/{task_id}/run", 202, needs="task"),
    Recipe("GET", "/v1/tasks/{task_id}/runs", needs="ran_task", shows=("output",)),
    Recipe("GET", "/v1/runs/{run_id}", needs="run", shows=("output",)),
    Recipe("POST", "/v1/runs/{run_id}/retry", 202, needs="failed_run"),
    Recipe("POST", "/v1/schedules/parse", options={"json": {"when": "every day at 9"}}),
    Recipe("POST", "/v1/tasks:import", options=IMPORTED),
    Recipe("GET", "/v1/tasks:export", shows=("title", "payload")),
    Recipe("GET", "/v1/profile"),
    Recipe("PATCH", "/v1/profile", options=PROFILE),
    Recipe("GET", "/v1/channels", shows=("channel", "channel host")),
    Recipe("POST", "/v1/channels", 201, body=new_channel),
    Recipe("DELETE", "/v1/channels/{name}", needs="channel"),
    Recipe("POST", "/v1/channels/{name}/test", needs="channel"),
    Recipe("POST", "/v1/chat", stream=True, shows=("chat",), options={"json": {"message": "hi"}}),
    Recipe("DELETE", "/v1/chat", 204, options={"params": {"conversation": "spare"}}),
    Recipe("GET", "/v1/events", stream=True, shows=("title",), options={"params": {"after": 0}}),
    Recipe("GET", "/v1/calendar"),
    Recipe("POST", "/v1/calendar"),
    Recipe("DELETE", "/v1/calendar", 204),
    Recipe("GET", "/v1/calendar.ics", shows=("title",), access=FEED),
    Recipe("POST", "/mcp", shows=("title", "payload"), options=MCP_CALL),
    Recipe("GET", "/mcp", 400, options=MCP_NO_SESSION),
    Recipe("DELETE", "/mcp", 400, options=MCP_NO_SESSION),
    Recipe("GET", "/signin", access=PUBLIC),
    Recipe("POST", "/signin", 403, options={"data": {"key": "agc_x"}}, access=PUBLIC),
    Recipe("GET", "/static/{name}", needs="script", access=PUBLIC),
    Recipe("GET", "/", shows=("title",), access=PAGE),
    Recipe("GET", "/tasks/{task_id}", needs="ran_task", shows=("title", "output"), access=PAGE),
    Recipe("GET", "/tasks/{task_id}/row", needs="task", shows=("title",), access=PAGE),
    Recipe("GET", "/tasks/{task_id}/edit", needs="task", shows=("title", "payload"), access=PAGE),
    Recipe("POST", "/tasks/{task_id}", needs="task", options=EDITED, access=PAGE),
    Recipe("POST", "/tasks/{task_id}/{verb}", needs="task", shows=("title",), verb="pause",
           options={"headers": FRAGMENT}, access=PAGE),
    Recipe("GET", "/settings", shows=("channel", "channel host"), access=PAGE),
    Recipe("POST", "/settings/profile", options=ZONE, access=PAGE),
    Recipe("POST", "/settings/channels", shows=("channel",), options=CHANNEL, access=PAGE),
    Recipe("POST", "/settings/channels/{name}/{verb}", needs="channel", verb="remove",
           options={"headers": FRAGMENT}, access=PAGE),
    Recipe("POST", "/signout", 303, access=PAGE),
    Recipe("POST", "/chat", stream=True, options={"data": {"message": "hi"}}, access=PAGE),
    Recipe("GET", "/live", stream=True, shows=("title",), options={"params": {"after": 0}},
           access=PAGE),
)
# fmt: on
"""One request a route; the test of completeness names any route this leaves out."""


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, those of included routers too (HEAD,
    which Starlette adds beside each GET, left out)."""
    try:
        from fastapi.routing import iter_route_contexts  # newer FastAPI: routers kept whole
    except ImportError:
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    found = set()
    for route in routes:
        methods, path = getattr(route, "methods", None), getattr(route, "path", None)
        assert methods, f"a route of a kind the matrix cannot name: {route}"
        assert path, f"a route of a kind the matrix cannot name: {route}"
        found |= {(method, path) for method in methods if method != "HEAD" or "GET" not in methods}
    return found


def test_every_route_has_a_recipe(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path))
    served = served_routes(app)
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= served, (
        f"routes the schema has and the listing missed: {documented - served}"
    )
    listed = {(recipe.method, recipe.path) for recipe in RECIPES}
    assert len(listed) == len(RECIPES), "a route has two recipes"
    missing = sorted(served - listed)
    assert not missing, (
        "routes without a recipe in RECIPES (add one line each; access=PUBLIC only for a "
        f"route anyone may call): {', '.join(f'{m} {p}' for m, p in missing)}"
    )
    stale = sorted(listed - served)
    assert not stale, f"recipes for routes the app does not serve: {stale}"


@dataclass
class Answer:
    """What one request got back; ``text`` is all of the body that was read."""

    status: int
    headers: httpx.Headers
    text: str

    def error(self) -> tuple[int, str]:
        """(status, code) of an error, its shape checked."""
        body = json.loads(self.text)
        assert set(body) == {"error"}, self.text
        assert set(body["error"]) == {"code", "message"}, self.text
        assert body["error"]["message"], self.text
        return self.status, body["error"]["code"]


@dataclass
class World:
    """One store's server, its people and ann's data."""

    api: Api
    client: httpx.Client
    revoked: str
    revoked_session: str
    """A session opened with the revoked key before it was revoked."""
    signed_out: str
    """A session of ann's, signed out of."""
    shared: dict[str, int]
    failed_runs: list[int]
    hook: WebhookReceiver
    """Where ann's spare channels point: a test message to one is taken."""

    @property
    def ann(self) -> str:
        return self.api.people["ann"]

    def send(
        self,
        recipe: Recipe,
        path: str,
        authorization: str | None,
        acting: str | None = None,
        *,
        session: str | None = None,
        csrf: str | None = None,
    ) -> Answer:
        """The recipe's request; with ``session``, its cookie and the CSRF token of the
        page's forms (the session's own unless ``csrf`` says another, '' for none)."""
        options = dict(recipe.options)
        if recipe.body is not None:
            options["json"] = recipe.body()
        headers = dict(options.pop("headers", {}))
        if authorization is not None:
            headers["Authorization"] = authorization
        if acting is not None:
            headers["X-Agentcron-User"] = acting
        if session is not None:
            headers["Cookie"] = f"agentcron_session={session}"
            csrf = csrf_token(session) if csrf is None else csrf
        if csrf:
            headers["X-CSRF-Token"] = csrf
        if not recipe.stream:
            got = self.client.request(recipe.method, path, headers=headers, **options)
            return Answer(got.status_code, got.headers, got.text)
        read = b""
        timeout = httpx.Timeout(10, read=1)
        with self.client.stream(
            recipe.method, path, headers=headers, timeout=timeout, **options
        ) as got:
            ending = time.monotonic() + READ_FOR
            try:
                for chunk in got.iter_bytes():
                    read += chunk
                    if len(read) > 65_536 or time.monotonic() > ending:
                        break
            except httpx.ReadTimeout:
                pass  # an event stream that waits for news: what came is enough
            return Answer(got.status_code, got.headers, read.decode(errors="replace"))

    def bearer(self, who: str) -> str:
        return f"Bearer {self.api.keys[who]}"

    def sign_in(self, who: str) -> str:
        """A new session of ``who``'s key, opened on the sign-in page as a browser opens it."""
        return sign_in(self.client, self.api.keys[who])

    def resource(self, kind: str) -> int | str:
        """An id of ann's of ``kind``: a fresh task or channel (it may be changed), or a
        shared one, the page's script. A channel's id is its name."""
        if kind == "script":
            return "agentcron.js"
        if kind == "channel":
            name = f"spare{next(SPARES)}"
            url = self.hook.json_url(query=f"token={SECRET}")
            made = self.client.post(
                "/v1/channels",
                headers={"Authorization": self.bearer("ann")},
                json={"name": name, "url": url},
            )
            assert made.status_code == 201, made.text
            return name
        if kind in ("task", "paused_task"):
            made = self.client.post(
                "/v1/tasks",
                headers={"Authorization": self.bearer("ann")},
                json={
                    "title": f"{MARKERS['title']} to change",
                    "when": "in 1 hour",
                    "payload": {"message": MARKERS["payload"]},
                },
            )
            assert made.status_code == 201, made.text
            task_id: int = made.json()["id"]
            if kind == "paused_task":
                paused = self.client.post(
                    f"/v1/tasks/{task_id}/pause", headers={"Authorization": self.bearer("ann")}
                )
                assert paused.status_code == 200, paused.text
            return task_id
        if kind == "failed_run":
            assert self.failed_runs, "no failed run of ann's left: make more in the fixture"
            return self.failed_runs.pop()
        return self.shared[kind]

    def denied_keys(self) -> dict[str, str | None]:
        """Authorization headers that carry no live key, by what is wrong with them."""
        key = self.api.keys["ann"]
        key_id = key.removeprefix("agc_")[:12]
        return {
            "no key": None,
            "revoked key": f"Bearer {self.revoked}",
            "not a key": "Bearer not-a-key",
            "another secret": f"Bearer agc_{key_id}_{'A' * 43}",
            "a bearer of nothing": "Bearer",
            "another scheme": f"Basic {key}",
            "no scheme": key,
        }

    def denied_sessions(self) -> dict[str, tuple[str | None, str | None]]:
        """(Authorization, session cookie) that open no page, by what is wrong with them."""
        live = self.sign_in("ann")
        session_id = live.removeprefix("agw_")[:12]
        return {
            "no session": (None, None),
            "ann's key, no session": (self.bearer("ann"), None),
            "ann's key as the session": (None, self.api.keys["ann"]),
            "a revoked key's session": (None, self.revoked_session),
            "a session signed out of": (None, self.signed_out),
            "another secret": (None, f"agw_{session_id}_{'A' * 43}"),
            "not a session": (None, "not-a-session"),
        }


def echoed(request: RecordedRequest) -> Text:
    """The model says back what the person said so far: another person's conversation, were
    it shown, would be heard."""
    return Text("heard: " + " | ".join(request.message_texts("user")))


@pytest.fixture(scope="module")
def model_server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        server.default = Dynamic(echoed)
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_server: ScriptedModelServer,
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("api-authz")
    env = {
        "AGENTCRON_HOME": str(home),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "AGENTCRON_SHELL_ALLOW": "echo,false",
        "AGENTCRON_MODEL": "openai:scripted-model",
        "AGENTCRON_OPENAI_BASE_URL": model_server.base_url,
        "AGENTCRON_API_RATE_LIMIT_PER_MINUTE": "100000",
    }
    hook = WebhookReceiver()
    with private_schema() as url, hook.running():
        if request.param == "postgresql":
            env["AGENTCRON_DATABASE_URL"] = url
        served = Server(env, home / "api.log")
        try:
            api = Api(served.env, served.url, served.log)
            with httpx.Client(base_url=served.url, timeout=10) as client:
                yield ann_s_data(api, client, hook)
        finally:
            served.stop()
        assert "Traceback" not in served.log.read_text()


def ann_s_data(api: Api, client: httpx.Client, hook: WebhookReceiver) -> World:
    """Ann's tasks, runs (one with output, failed ones to retry), channel, conversation and a
    revoked key; every text of hers carries a marker."""
    ann = {"Authorization": f"Bearer {api.keys['ann']}"}

    def task(body: dict[str, Any]) -> int:
        made = client.post("/v1/tasks", headers=ann, json={"when": "in 1 hour", **body})
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def run(task_id: int) -> int:
        queued = client.post(f"/v1/tasks/{task_id}/run", headers=ann)
        assert queued.status_code == 202, queued.text
        return int(queued.json()["id"])

    task({"title": MARKERS["title"], "payload": {"message": MARKERS["payload"]}})
    echo = {"command": f"echo {MARKERS['output']}"}
    ran_task = task({"title": f"{MARKERS['title']} echo", "action": "shell", "payload": echo})
    done = run(ran_task)
    failing = {"action": "shell", "payload": {"command": "false"}, "max_attempts": 1}
    failed = [run(task({"title": f"{MARKERS['title']} fails", **failing})) for _ in range(2)]
    once = agentcron("serve", "--once", env=api.env)
    assert "3 runs done, 2 failed" in once.stdout, once.stdout + once.stderr
    said = client.post("/v1/chat", headers=ann, json={"message": f"remember {MARKERS['chat']}"})
    assert said.status_code == 200, said.text
    revoked, revoked_session = asyncio.run(channel_and_revoked_key(api))
    signed_out = sign_in(client, api.keys["ann"])
    out = client.post(
        "/signout",
        headers={
            "Cookie": f"agentcron_session={signed_out}",
            "X-CSRF-Token": csrf_token(signed_out),
        },
    )
    assert out.status_code == 303, out.text
    shared = {"ran_task": ran_task, "run": done}
    return World(api, client, revoked, revoked_session, signed_out, shared, failed, hook)


def sign_in(client: httpx.Client, key: str) -> str:
    """The session the sign-in page opens for ``key`` (its form's token sent back with the
    form's cookie, as a browser sends them)."""
    form = client.get("/signin")
    token = form.cookies["agentcron_signin"]
    assert f'name="csrf" value="{token}"' in form.text
    signed = client.post(
        "/signin",
        data={"key": key, "csrf": token},
        headers={"Cookie": f"agentcron_signin={token}"},
    )
    assert signed.status_code == 303, signed.text
    session: str = signed.cookies["agentcron_session"]
    return session


async def channel_and_revoked_key(api: Api) -> tuple[str, str]:
    """Ann's channel (made after her runs ran, so that nothing is sent to it), and a key of
    hers, revoked, with a session it opened before."""
    settings = api.settings()
    store = open_store(settings)
    try:
        service = build_service(settings, store)
        url = f"json://{MARKERS['channel host']}/hook?token={SECRET}"
        await service.notifications.add_channel(api.people["ann"], MARKERS["channel"], url)
        key, secret = await service.people.create_key(api.people["ann"])
        session = await service.people.open_session(secret)
        await service.people.revoke_key(key.id)
    finally:
        await store.close()
    return secret, session.key


def same_answer(theirs: Answer, their_id: int | str, missing: Answer) -> None:
    """Another person's id answered as one that does not exist: status, headers, body (the id
    itself aside: the missing one's answer, its id put in place of MISSING_ID, is theirs)."""
    assert theirs.status == missing.status
    names = {name for name in theirs.headers if name not in ("date", "content-length")}
    assert names == {name for name in missing.headers if name not in ("date", "content-length")}
    assert theirs.headers.get("content-type") == missing.headers.get("content-type")
    assert theirs.text == re.sub(rf"\b{MISSING_ID}\b", str(their_id), missing.text)


def leaks(answer: Answer, markers: list[str]) -> list[str]:
    """The markers found in the answer, its headers included."""
    said = answer.text + json.dumps(dict(answer.headers))
    return [marker for marker in markers if marker in said]


@pytest.mark.parametrize("recipe", RECIPES, ids=[recipe.name for recipe in RECIPES])
def test_each_route_answers_its_owner_and_nobody_else(world: World, recipe: Recipe) -> None:
    matrix = {
        PUBLIC: check_public, PERSON: check_personal, ADMIN: check_admin, FEED: check_feed,
        PAGE: check_page,
    }[recipe.access]  # fmt: skip
    others = matrix(world, recipe)
    ann_s = [*MARKERS.values(), world.ann, SECRET]
    for caller, answer in others.items():
        found = leaks(answer, ann_s)
        assert not found, f"{recipe.name} shows {caller} what is ann's: {found}"


def check_public(world: World, recipe: Recipe) -> dict[str, Answer]:
    """Anyone gets the same, whatever key they hold or lack."""
    path = fill(recipe.path, world.resource(recipe.needs)) if recipe.needs else recipe.path
    said = {}
    for reason, authorization in {**world.denied_keys(), "bob": world.bearer("bob")}.items():
        answer = said[reason] = world.send(recipe, path, authorization)
        assert answer.status == recipe.ok, (reason, answer.text)
    return said


def refusals(world: World, recipe: Recipe, path: str) -> dict[str, Answer]:
    """What every route that needs a key refuses: no live key, a person's key acting for
    another, an admin acting for a person who does not exist."""
    said = {}
    for reason, authorization in world.denied_keys().items():
        answer = said[reason] = world.send(recipe, path, authorization)
        assert answer.error() == (401, "unauthorized"), (reason, answer.text)
    acting = said["bob acting for ann"] = world.send(
        recipe, path, world.bearer("bob"), acting=world.ann
    )
    assert acting.error() == (403, "forbidden"), acting.text
    nobody = said["the admin acting for nobody"] = world.send(
        recipe, path, world.bearer("admin"), acting=f"nobody-{MARK}"
    )
    assert nobody.error() == (404, "not_found"), nobody.text
    return said


def check_personal(world: World, recipe: Recipe) -> dict[str, Answer]:
    """Ann, and an admin acting for her, get her answer; anyone else is refused, and her ids
    are to them as ids that do not exist. Every answer to another than ann is returned."""
    target = world.resource(recipe.needs) if recipe.needs else None
    path = fill(recipe.path, target)
    said = refusals(world, recipe, path)
    for who in ("bob", "admin"):  # the admin acting as itself is one more other person
        answer = said[who] = world.send(recipe, path, world.bearer(who))
        if target is None:
            assert answer.status == recipe.ok, (who, answer.text)
            continue
        assert answer.error() == (404, "not_found"), (who, answer.text)
        missing = said[f"{who} on a missing id"] = world.send(
            recipe, fill(recipe.path, MISSING_ID), world.bearer(who)
        )
        same_answer(answer, target, missing)
    mine = world.send(recipe, path, world.bearer("ann"))  # after the others: none changed it
    again = fill(recipe.path, world.resource(recipe.needs)) if recipe.needs else path
    admin = world.send(recipe, again, world.bearer("admin"), acting=world.ann)
    for caller, answer in (("ann", mine), ("the admin acting for ann", admin)):
        assert answer.status == recipe.ok, (caller, answer.text)
        for shown in recipe.shows:
            assert MARKERS[shown] in answer.text, f"ann's {shown} is not in {caller}'s answer"
        assert SECRET not in answer.text
        if recipe.stream:
            assert answer.headers["content-type"].startswith("text/event-stream"), caller
            assert re.match(r"(event|data|id|retry)?:", answer.text), answer.text[:200]
    return said


def check_admin(world: World, recipe: Recipe) -> dict[str, Answer]:
    """An operator's view: an admin key gets it, acting for someone or not; a person's key is
    refused. It names no person's data, so every answer is returned."""
    said = refusals(world, recipe, recipe.path)
    for who in ("ann", "bob"):
        answer = said[who] = world.send(recipe, recipe.path, world.bearer(who))
        assert answer.error() == (403, "forbidden"), (who, answer.text)
    for acting in (None, world.ann):
        answer = said[f"the admin acting for {acting}"] = world.send(
            recipe, recipe.path, world.bearer("admin"), acting=acting
        )
        assert answer.status == recipe.ok, answer.text
    return said


def check_feed(world: World, recipe: Recipe) -> dict[str, Answer]:
    """Ann's feed token opens her feed, whatever key comes with it or none; keys alone, bob's
    token, a made-up one or her replaced one open nothing of hers."""

    def token_of(who: str, *, new: bool = False) -> str:
        made = world.client.request(
            "POST" if new else "GET", "/v1/calendar", headers={"Authorization": world.bearer(who)}
        )
        assert made.status_code == 200, made.text
        return str(made.json()["url"]).partition("token=")[2]

    def feed(token: str | None, authorization: str | None) -> Answer:
        params = {} if token is None else {"params": {"token": token}}
        return world.send(replace(recipe, options=params), recipe.path, authorization)

    said = {}
    replaced = token_of("ann")
    ann_s = token_of("ann", new=True)
    for reason, authorization in {**world.denied_keys(), "ann": world.bearer("ann")}.items():
        mine = feed(ann_s, authorization)
        assert mine.status == recipe.ok, (reason, mine.text)
        assert mine.headers["content-type"].startswith("text/calendar"), reason
        assert all(MARKERS[shown] in mine.text for shown in recipe.shows), reason
        said[f"ann's key alone ({reason})"] = feed(None, authorization)
        assert said[f"ann's key alone ({reason})"].status == 422
    said["bob's token"] = feed(token_of("bob"), None)
    assert said["bob's token"].status == 200, said["bob's token"].text
    for reason, token in {
        "replaced": replaced,
        "made up": "cal_" + "A" * 32,
        "a key": world.api.keys["ann"],
    }.items():
        said[f"a {reason} token"] = answer = feed(token, world.bearer("ann"))
        assert answer.error() == (404, "not_found"), (reason, answer.text)
    return said


def check_page(world: World, recipe: Recipe) -> dict[str, Answer]:
    """Ann's session gets her page; bob's, an admin's (acting for ann or not: a page acts for
    its own person only) find her ids as ids that do not exist; no live session is sent to
    sign in; a change needs the session's own CSRF token. Every answer to another than ann is
    returned."""
    target = world.resource(recipe.needs) if recipe.needs else None
    path = fill(recipe.path, target, recipe.verb)
    said = {}
    for reason, (authorization, session) in world.denied_sessions().items():
        answer = said[reason] = world.send(recipe, path, authorization, session=session)
        assert sent_to_sign_in(answer, recipe.options), (reason, answer.status, answer.text)
    script = replace(recipe, options={**recipe.options, "headers": FRAGMENT})
    answer = said["no session, from the page's script"] = world.send(script, path, None)
    assert sent_to_sign_in(answer, script.options), answer.status
    if recipe.method == "POST":
        ann_s, bob_s = world.sign_in("ann"), world.sign_in("bob")
        for reason, csrf in (("no token", ""), ("bob's token", csrf_token(bob_s))):
            refused = world.send(recipe, path, None, session=ann_s, csrf=csrf)
            assert refused.status == 403, (reason, refused.status, refused.text)
            assert "its form token does not match" in refused.text, (reason, refused.text)
    for who, acting in (("bob", None), ("admin", None), ("admin", world.ann)):
        caller = who if acting is None else f"{who}'s session acting for ann"
        session = world.sign_in(who)
        answer = said[caller] = world.send(recipe, path, None, acting, session=session)
        if target is None:  # their own page (acting for ann the same: it may repeat a change)
            assert acting is not None or answer.status == recipe.ok, (caller, answer.text)
            continue
        assert answer.status == 404, (caller, answer.status, answer.text)
        missing = said[f"{caller} on a missing id"] = world.send(
            recipe, fill(recipe.path, MISSING_ID, recipe.verb), None, acting, session=session
        )
        same_answer(answer, target, missing)
    mine = world.send(recipe, path, None, session=world.sign_in("ann"))
    assert mine.status == recipe.ok, mine.text
    for shown in recipe.shows:
        assert MARKERS[shown] in mine.text, f"ann's {shown} is not in her page"
    assert SECRET not in mine.text
    if recipe.stream:
        assert mine.headers["content-type"].startswith("text/event-stream")
        assert re.match(r"(event|data|id|retry)?:", mine.text), mine.text[:200]
    return said


def sent_to_sign_in(answer: Answer, options: dict[str, Any]) -> bool:
    """The sign-in page instead: a redirect, or for the page's script a 401 naming it."""
    if "X-Agentcron-Fragment" in options.get("headers", {}):
        return (answer.status, answer.headers.get("x-agentcron-redirect")) == (401, "/signin")
    return (answer.status, answer.headers.get("location")) == (303, "/signin")


def fill(path: str, resource: int | str | None, verb: str = "") -> str:
    path = path.replace("{verb}", verb)
    return path if resource is None else re.sub(r"\{[a-z_]+\}", str(resource), path)
