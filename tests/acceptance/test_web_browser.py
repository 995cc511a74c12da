"""The web page in a real browser: headless Chromium (Debian's, driven by Playwright) against
``agentcron serve --http``, the chat's model played by a local scripted server.

One person signs in, makes a task by chat, sees it appear, watches it fire (its run shown
without a reload), pauses another task, and reads the task's page and their settings. The
same run makes the screenshots the README shows (``docs/screenshots/``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from agentcron.testing.browser import chromium
from agentcron.testing.model_server import ScriptedModelServer, Text, ToolCall, ToolCalls
from tests.support.agent_rig import report
from tests.support.api_server import Api, serve_with_http

SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
MADE_BY_CHAT = {
    "title": "Call mom",
    "when": "in 4 seconds",
    "instructions": "Call mom: it is her birthday.",
    "kind": "reminder",
}


@pytest.fixture(scope="module")
def model_server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, model_server: ScriptedModelServer
) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("web")
    env = {
        "AGENTCRON_HOME": str(home),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "AGENTCRON_MODEL": "openai:scripted-model",
        "AGENTCRON_OPENAI_BASE_URL": model_server.base_url,
        "AGENTCRON_MIN_AGENT_INTERVAL_SECONDS": "0",
    }
    with serve_with_http(env, home / "serve.log") as url:
        yield Api(env, url, home / "serve.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as started:
        yield started


def make_task(site: Api, title: str, when: str) -> int:
    made = site.call(
        "POST", "/v1/tasks",
        json={"title": title, "when": when, "action": "reminder", "payload": {"message": title}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    task_id: int = made.json()["id"]
    return task_id


def sign_in(page: Page, site: Api) -> None:
    page.goto(f"{site.url}/")
    expect(page).to_have_url(f"{site.url}/signin")
    page.get_by_label("API key").fill(site.keys["ann"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your tasks")).to_be_visible()


def test_a_person_signs_in_makes_a_task_by_chat_watches_it_fire_and_pauses_another(
    site: Api, browser: Browser, model_server: ScriptedModelServer
) -> None:
    plants = make_task(site, "Water the plants", "every day at 9am")
    make_task(site, "Weekly review", "every friday at 17:00")
    page = browser.new_page(viewport=DESKTOP)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    refused = "the server responded with a status of 422"  # the edit refused, below
    page.goto(f"{site.url}/signin")
    page.screenshot(path=SHOTS / "signin.png")
    sign_in(page, site)
    expect(page.locator("#live-state")).to_have_text("live")
    page.evaluate("window.notReloaded = true")

    confirm = "Done: I will remind you to call mom in 4 seconds."
    model_server.script(ToolCalls([ToolCall("create_task", MADE_BY_CHAT)]), Text(confirm))
    page.get_by_label("Message").fill("remind me to call mom in 4 seconds")
    page.get_by_label("Message").press("Enter")
    expect(page.locator("#chat-log .said.assistant").last).to_have_text(confirm)
    row = page.locator("#rows tr", has_text="Call mom")
    expect(row).to_be_visible()  # appeared without a reload
    expect(row.locator("td[data-label='Status']")).to_have_text("active")
    expect(row.locator("td[data-label='Schedule']")).to_contain_text("once on")

    expect(row.locator("td[data-label='Last run'] .badge")).to_have_text(
        "succeeded", timeout=20_000
    )
    expect(row.locator("td[data-label='Status']")).to_have_text("completed")
    assert page.evaluate("window.notReloaded") is True  # the run came over the live stream
    page.screenshot(path=SHOTS / "tasks.png", full_page=True)

    plants_row = page.locator(f"#task-{plants}")
    plants_row.get_by_role("button", name="Pause Water the plants").click()
    expect(plants_row.locator(".badge.paused")).to_be_visible()
    expect(plants_row.get_by_role("button", name="Resume Water the plants")).to_be_visible()
    assert site.call("GET", f"/v1/tasks/{plants}").json()["status"] == "paused"
    assert page.evaluate("window.notReloaded") is True

    row.get_by_role("link", name="Call mom").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    run = page.locator(".runs .run").first
    expect(run.locator(".badge")).to_have_text("succeeded")
    run.locator("summary").click()
    expect(run.locator(".output")).to_contain_text("Call mom: it is her birthday.")
    expect(run).to_contain_text("late")
    expect(page.locator("#edit")).to_have_count(0)  # an ended task is not edited

    page.goto(f"{site.url}/tasks/{plants}")  # edited on its own page, refused, then saved
    page.locator("#edit > summary").click()
    page.get_by_label("When").fill("every blursday")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#edit .flash.error")).to_contain_text("blursday")
    page.get_by_label("When").fill("every day at 7am")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".facts")).to_contain_text("every day at 07:00")
    assert (
        site.call("GET", f"/v1/tasks/{plants}")
        .json()["description"]
        .startswith("every day at 07:00")
    )
    assert [problem for problem in problems if refused not in problem] == []


def test_a_task_s_page_shows_what_the_agent_did_folded_until_opened(
    site: Api, browser: Browser, model_server: ScriptedModelServer
) -> None:
    model_server.script(
        ToolCalls([ToolCall("current_time", {})]),
        report("BTC is at 51,200 USD: still above your 50k line."),
    )
    made = site.call(
        "POST", "/v1/tasks",
        json={"title": "BTC check", "when": "in 2 seconds", "action": "agent",
              "payload": {"instructions": "Check the BTC price; tell me below 50k."}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, site)
    page.goto(f"{site.url}/tasks/{made.json()['id']}")
    run = page.locator(".runs .run").first
    expect(run.locator(".badge")).to_have_text("succeeded", timeout=20_000)  # live, no reload
    trace = run.locator("details.trace")
    expect(trace).to_be_hidden()  # folded with its run
    run.locator("summary").first.click()
    expect(run.locator(".output")).to_contain_text("still above your 50k line")
    expect(trace.locator("summary")).to_have_text("Agent trace: 1 tool call, 2 model requests")
    expect(trace.locator("table").first).to_be_hidden()
    trace.locator("summary").click()
    expect(trace.locator("table").first).to_contain_text("current_time")
    expect(trace.locator("table").last).to_contain_text("scripted-model")
    page.screenshot(path=SHOTS / "task.png", full_page=True)


def test_the_page_reads_well_on_a_phone_and_works_from_the_keyboard(
    site: Api, browser: Browser
) -> None:
    make_task(site, "Stretch", "every hour")
    page = browser.new_page(viewport=PHONE)
    sign_in(page, site)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0  # nothing wider than the screen
    page.keyboard.press("/")  # the search box, from anywhere
    page.keyboard.type("Stretch")
    expect(page.locator("#rows tr.task")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=Stretch$"))
    page.keyboard.press("Tab")  # the status filter, then the filter button, then the row
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Stretch"
    page.screenshot(path=SHOTS / "tasks-phone.png", full_page=True)


def test_the_settings_show_channels_masked_and_add_one(site: Api, browser: Browser) -> None:
    page = browser.new_page(viewport=DESKTOP)
    sign_in(page, site)
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("#channels .empty")).to_contain_text("No channel yet")
    page.get_by_label("Name", exact=True).fill("phone")
    page.get_by_label("URL").fill("json://ann:hunter2secret@127.0.0.1:9/notify")
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator("#channels")).to_contain_text("Added channel phone.")
    assert "hunter2secret" not in page.content()
    expect(page.locator("#channel-phone code")).not_to_contain_text("hunter2")
    page.locator("#timezone").fill("Europe/Pariss")
    page.locator("#quiet-hours").fill("22:00-07:00")
    page.locator("#profile button").click()
    expect(page.locator("#flash .flash.error")).to_contain_text("Did you mean 'Europe/Paris'")
    assert site.call("GET", "/v1/profile").json()["quiet_hours"] is None  # neither written
    page.locator("#timezone").fill("America/New_York")
    page.locator("#profile button").click()
    expect(page.locator("#profile .flash.ok")).to_have_text("Saved.")
    profile = site.call("GET", "/v1/profile").json()
    assert (profile["timezone"], profile["quiet_hours"]) == ("America/New_York", "22:00-07:00")
    page.screenshot(path=SHOTS / "settings.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{site.url}/signin")
    assert httpx.get(f"{site.url}/", follow_redirects=False).status_code == 303
