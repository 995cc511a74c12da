"""An action plugin as docs/plugins.md tells a person to write one: its package built from the
page's own files, installed next to agentcron in an environment of its own, listed by
``agentcron actions ls`` with where it comes from, and its tasks run through ``agentcron
serve``, against a local server that answers as Open-Meteo does."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.local_http import serving

CHECKOUT = Path(__file__).parents[2]
DOC = CHECKOUT / "docs" / "plugins.md"
UV = CHECKOUT / ".tools" / "bin" / "uv"
"""The uv the Makefile installs (UV_VERSION); it builds the page's package itself (below)."""

PARIS = {"place": "Paris", "latitude": 48.86, "longitude": 2.35}
NOWHERE = {"place": "Nowhere", "latitude": 10.0, "longitude": 10.0}
"""Where the local Open-Meteo is down (503)."""
CURRENT = {
    "time": "2026-11-22T11:00",
    "interval": 900,
    "temperature_2m": 8.4,
    "wind_speed_10m": 12.3,
}

BROKEN_PLUGIN = {
    "pyproject.toml": """\
[project]
name = "agentcron-broken"
version = "0.3.0"
requires-python = ">=3.11"

[project.entry-points."agentcron.actions"]
broken = "agentcron_broken:BrokenAction"

[build-system]
requires = ["uv_build>=0.9,<0.14"]
build-backend = "uv_build"
""",
    "src/agentcron_broken/__init__.py": "import agentcron_no_such_dependency  # noqa: F401\n",
}
"""A plugin whose module cannot be imported: a dependency of its is missing."""


def page_files() -> dict[str, str]:
    """The files of docs/plugins.md's package, by path, as the page shows them."""
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"<!-- plugin-file: (\S+) -->\n```\w+\n(.*?)\n```\n", text, re.DOTALL)
    return {path: body + "\n" for path, body in found}


def page_session() -> list[tuple[str, list[str]]]:
    """The page's commands, each as written, and the lines it prints."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- plugin-use:start -->")[1].split("<!-- plugin-use:end -->")[0]
    steps: list[tuple[str, list[str]]] = []
    for line in block.strip().removeprefix("```console").removesuffix("```").strip().splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def write_package(folder: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


def environment_with(folder: Path, packages: list[Path]) -> Path:
    """A new virtual environment that sees agentcron and its dependencies, with ``packages``
    installed into it; its Python.

    Nothing is downloaded. The environment reaches the project's ``.venv`` through a ``.pth``
    file whose line calls ``site.addsitedir``: a plain path line would add the folder but not
    read the ``.pth`` files in it, and agentcron's editable install is one. The packages are
    installed by uv without an index (``--no-deps``: agentcron and httpx are there already),
    and built without one: their backend, ``uv_build``, is built into uv, which builds them
    itself when its own version is within the ``requires`` range (a hatchling or setuptools
    backend would have to be downloaded, or found in uv's cache, into an isolated build
    environment; ``.venv`` has neither).
    """
    if not UV.is_file():
        pytest.fail(f"{UV} is missing: 'make .venv/.synced' installs uv there")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    paths = sysconfig.get_paths()  # this test's own environment: .venv
    shared = dict.fromkeys([paths["purelib"], paths["platlib"]])
    (Path(site) / "agentcron-checkout.pth").write_text(
        "".join(f"import site; site.addsitedir({path!r})\n" for path in shared),
        encoding="utf-8",
    )
    installed = subprocess.run(
        [str(UV), "pip", "install", "--python", str(python), "--no-index", "--offline",
         "--no-deps", "--no-config", "--cache-dir", str(folder / "uv-cache"),
         *map(str, packages)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    return python


@dataclass(frozen=True)
class Installed:
    weather: Path
    """The Python of an environment with the page's plugin."""
    with_broken: Path
    """The Python of one with the page's plugin and a broken one."""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("plugins")
    weather = write_package(root, page_files()) / "agentcron-weather"
    broken = write_package(root / "agentcron-broken", BROKEN_PLUGIN)
    return Installed(
        weather=environment_with(root / "weather-env", [weather]),
        with_broken=environment_with(root / "broken-env", [weather, broken]),
    )


class OpenMeteo:
    """A local server answering Open-Meteo's forecast requests as Open-Meteo does, but for
    NOWHERE's latitude, where it is down (503); it records every query."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.url = ""

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        with self.lock:
            self.queries.append(query)
        down = parts.path != "/v1/forecast" or query.get("latitude") == str(NOWHERE["latitude"])
        body = json.dumps(
            {"error": True, "reason": "down"} if down
            else {"latitude": 48.86, "longitude": 2.35, "current": CURRENT,
                  "current_units": {"temperature_2m": "°C", "wind_speed_10m": "km/h"}}
        ).encode()  # fmt: skip
        handler.send_response(503 if down else 200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def of(self, place: dict[str, Any]) -> list[dict[str, str]]:
        with self.lock:
            return [q for q in self.queries if q.get("latitude") == str(place["latitude"])]


@pytest.fixture
def open_meteo() -> Iterator[OpenMeteo]:
    server = OpenMeteo()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as base:
        server.url = f"{base}/v1/forecast"
        yield server


def environ(home: Path, open_meteo: OpenMeteo) -> dict[str, str]:
    """What a person's shell has: their settings (none inherited), the plugin's variable."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCRON_")}
    return inherited | {
        "AGENTCRON_HOME": str(home),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "OPEN_METEO_URL": open_meteo.url,
        "COLUMNS": "200",
    }


def agentcron(
    python: Path, env: dict[str, str], *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """The command of the plugin's environment, as a person runs it."""
    return subprocess.run(
        [str(python), "-m", "agentcron", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False,
    )  # fmt: skip


def ok(python: Path, env: dict[str, str], *args: str, cwd: Path) -> Any:
    done = agentcron(python, env, *args, "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_actions_ls_lists_the_plugin_with_its_source_and_schema_and_a_broken_one_apart(
    installed: Installed, open_meteo: OpenMeteo, tmp_path: Path
) -> None:
    listed = agentcron(
        installed.with_broken, environ(tmp_path, open_meteo), "actions", "ls", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line) for line in listed.stderr.splitlines()] == [
        {
            "warning": "Action 'broken' (agentcron-broken 0.3.0, entry point "
            "agentcron_broken:BrokenAction) cannot be loaded: ModuleNotFoundError: No module "
            "named 'agentcron_no_such_dependency'"
        }
    ]
    by_name = {action["name"]: action for action in json.loads(listed.stdout)}
    assert sorted(by_name) == ["agent", "http", "mcp_tool", "reminder", "shell", "weather"]
    weather = by_name["weather"]
    assert weather["source"] == {
        "kind": "entry_point",
        "target": "agentcron_weather:WeatherAction",
        "distribution": "agentcron-weather",
        "version": "1.2.0",
        "built_in": False,
        "configured_in": None,
        "description": "agentcron-weather 1.2.0, entry point agentcron_weather:WeatherAction",
    }
    assert weather["summary"] == "Tell the current temperature and wind at a place (Open-Meteo)."
    assert weather["example"] == PARIS
    schema = weather["payload_schema"]
    assert schema["required"] == ["place", "latitude", "longitude"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["place"] == {
        "description": "the place, as it is told",
        "maxLength": 100,
        "minLength": 1,
        "title": "Place",
        "type": "string",
    }
    assert [(f["name"], f["kind"], f["required"]) for f in weather["fields"]] == [
        ("place", "string", True), ("latitude", "number", True), ("longitude", "number", True),
    ]  # fmt: skip
    assert by_name["reminder"]["source"]["built_in"] is True
    assert by_name["reminder"]["source"]["distribution"] == "agentcron"


def test_the_pages_commands_run_as_written(
    installed: Installed, open_meteo: OpenMeteo, tmp_path: Path
) -> None:
    """Each command of the page, in the plugin's environment: what it prints includes every
    line the page shows (``...`` stands for the rest), errors included."""
    env = environ(tmp_path / "home", open_meteo)
    steps = page_session()
    assert [command.split()[:2] for command, _ in steps] == [
        ["agentcron", "actions"], ["agentcron", "add"], ["agentcron", "add"],
        ["agentcron", "run"], ["agentcron", "serve"],
    ]  # fmt: skip
    for command, shown in steps:
        done = agentcron(installed.weather, env, *shlex.split(command)[1:], cwd=tmp_path)
        refused = any(line.startswith("error: ") for line in shown)
        assert done.returncode == (2 if refused else 0), (command, done.stderr)
        said = " ".join((done.stdout + done.stderr).split())
        for line in shown:
            expected = " ".join(line.removeprefix("...").removesuffix("...").split())
            assert expected in said, (command, line, done.stdout, done.stderr)
    assert open_meteo.queries == [  # the run made one request; the refused task, none
        {
            "latitude": "48.86",
            "longitude": "2.35",
            "current": "temperature_2m,wind_speed_10m",
            "timezone": "Europe/Paris",
        }
    ]


def test_a_task_due_in_a_second_runs_through_serve_and_a_failing_one_is_retried(
    installed: Installed, open_meteo: OpenMeteo, tmp_path: Path
) -> None:
    """The run's output and result are the plugin's; a failure it raises (the server down)
    goes through the task's retry policy."""
    env = environ(tmp_path / "home", open_meteo)
    python = installed.weather

    def add(title: str, payload: dict[str, Any], *options: str) -> dict[str, Any]:
        task: dict[str, Any] = ok(
            python, env, "add", title, "--when", "in 1 second", "--action", "weather",
            "--payload", json.dumps(payload), *options, cwd=tmp_path,
        )  # fmt: skip
        return task

    paris = add("Paris weather", PARIS)
    assert (paris["timeout_seconds"], paris["max_attempts"]) == (20.0, 4)  # the plugin's defaults
    nowhere = add("Nowhere weather", NOWHERE, "--max-attempts", "2")
    due = max(datetime.fromisoformat(t["next_run_at"]) for t in (paris, nowhere))
    time.sleep(max(0.0, (due - datetime.now(due.tzinfo)).total_seconds()) + 0.2)

    served = agentcron(python, env, "serve", "--once", cwd=tmp_path)

    assert served.returncode == 0, served.stderr
    assert "Paris weather (task 1, run 1): Paris: 8.4 °C, wind 12.3 km/h" in served.stdout
    runs = {run["task_id"]: run for run in ok(python, env, "runs", cwd=tmp_path)}
    done = runs[paris["id"]]
    assert (done["status"], done["trigger"], done["output"]) == (
        "succeeded", "schedule", "Paris: 8.4 °C, wind 12.3 km/h",
    )  # fmt: skip
    assert done["result"] == {"temperature_c": 8.4, "wind_kmh": 12.3, "time": CURRENT["time"]}
    again = runs[nowhere["id"]]  # retried after its backoff (10 s), by the next serve
    assert (again["status"], again["attempt"], again["error"]) == (
        "retrying", 1, "attempt 1 of 2: Open-Meteo answered 503",
    )  # fmt: skip
    assert datetime.fromisoformat(again["not_before"]) > datetime.fromisoformat(again["started_at"])
    assert len(open_meteo.of(NOWHERE)) == 1
