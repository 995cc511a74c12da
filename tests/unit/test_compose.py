"""docker-compose.yml and the Dockerfile describe a deployment that can run: every agentcron
service's command is a real command with options agentcron takes (parsed by the CLI itself,
not run), every queue has a worker, two schedulers, and settings that point every process at
the same PostgreSQL and Redis. No Docker engine is needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
import yaml

from agentcron.cli import app
from agentcron.config import Settings
from agentcron.distributed.app import broker_url, shared_store
from agentcron.distributed.queues import QUEUES, parse_queues

ROOT = Path(__file__).parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
AGENTCRON = {name: s for name, s in SERVICES.items() if s.get("image") == "agentcron:latest"}
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def parsed(arguments: list[str]) -> Any:
    """The command's context (its ``params``), as ``agentcron ARGUMENTS`` makes it, without
    running it: an unknown command or option, or a value out of range, raises Typer's
    UsageError as the command line would."""
    group: Any = typer.main.get_command(app)
    root = group.make_context("agentcron", list(arguments))
    # A group keeps the command's name apart from its arguments (click's protected args).
    name, command, rest = group.resolve_command(root, [*root._protected_args, *root.args])
    assert command is not None, arguments
    return command.make_context(name or "", rest, parent=root)


def interpolated(value: str) -> str:
    """``${VAR:?message}`` and ``${VAR:-default}`` as Compose fills them, with a stand-in
    for a value the operator must give."""
    return re.sub(
        r"\$\{(\w+)(?::([?-])([^}]*))?\}",
        lambda m: m[3] if m[2] == "-" else f"given-{m[1].lower()}",
        value,
    )


def test_the_agentcron_services_are_the_schedulers_and_one_worker_per_queue() -> None:
    assert set(AGENTCRON) == {
        "scheduler-1", "scheduler-2", "worker-agent", "worker-notify", "worker-default",
        "worker-maintenance",
    }  # fmt: skip
    for service in AGENTCRON.values():
        assert "entrypoint" not in service  # the image's: agentcron
        assert service["build"] == "."


@pytest.mark.parametrize("name", sorted(AGENTCRON))
def test_each_command_is_one_agentcron_takes(name: str) -> None:
    command = AGENTCRON[name]["command"]
    assert isinstance(command, list), "an exec-form command: no shell between"
    context = parsed(command)
    assert context.info_name == command[0]
    if command[0] == "worker":
        assert parse_queues(context.params["queues"])  # names only queues that exist
        assert context.params["concurrency"] >= 1


def test_a_wrong_option_would_be_caught() -> None:
    with pytest.raises(typer.TyperException, match=r"."):
        parsed(["worker", "--queue", "agent"])
    with pytest.raises(typer.TyperException, match=r"."):
        parsed(["worker", "--concurrency", "0"])
    with pytest.raises(typer.TyperException, match=r"."):
        parsed(["schedule-everything"])


def test_every_queue_has_a_worker_and_there_are_two_schedulers() -> None:
    commands = [service["command"] for service in AGENTCRON.values()]
    assert commands.count(["scheduler"]) == 2
    served = [
        queue
        for command in commands
        if command[0] == "worker"
        for queue in parse_queues(parsed(command).params["queues"])
    ]
    assert sorted(served) == sorted(QUEUES)  # each queue, by a worker of its own


def test_every_process_gets_the_same_postgresql_and_redis() -> None:
    environments = [service["environment"] for service in AGENTCRON.values()]
    assert all(environment == environments[0] for environment in environments)
    environment = {key: interpolated(value) for key, value in environments[0].items()}
    settings = Settings(
        database_url=environment["AGENTCRON_DATABASE_URL"],
        broker_url=environment["AGENTCRON_BROKER_URL"],
    )
    assert shared_store(settings).startswith("postgresql://agentcron:given-postgres_password@")
    assert "@postgres:5432/agentcron" in shared_store(settings)
    assert broker_url(settings) == "redis://redis:6379/0"
    postgres = SERVICES["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("agentcron", "agentcron")
    for service in AGENTCRON.values():
        assert set(service["depends_on"]) == {"postgres", "redis"}


def test_flower_watches_the_same_broker() -> None:
    flower = SERVICES["flower"]
    broker = AGENTCRON["scheduler-1"]["environment"]["AGENTCRON_BROKER_URL"]
    assert f"--broker={broker}" in flower["command"]
    assert "flower" in flower["command"]


def test_the_image_is_slim_python_installed_from_the_lock_and_runs_agentcron_unprivileged() -> None:
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE) == ["python:3.11-slim"] * 2
    assert "uv sync --frozen --no-dev" in DOCKERFILE
    makefile = (ROOT / "Makefile").read_text()
    (pinned,) = re.findall(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert f"ghcr.io/astral-sh/uv:{pinned} " in DOCKERFILE  # the uv the lock was made with
    (user,) = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert user not in ("root", "0")
    assert re.search(r"^ENTRYPOINT \[\"agentcron\"\]$", DOCKERFILE, re.MULTILINE)
