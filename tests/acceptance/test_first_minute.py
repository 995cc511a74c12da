"""The first minute as the README tells it: ``make install`` puts a launcher on PATH that
runs this checkout's agentcron from anywhere, with nothing of the checkout in the
environment, and the README's first commands work through it, as written."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from agentcron import __version__
from tests.acceptance.test_serve import Serve

CHECKOUT = Path(__file__).parents[2]
README = CHECKOUT / "README.md"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def make_install(bin_dir: Path, path: str = SYSTEM_PATH) -> subprocess.CompletedProcess[str]:
    """``make install BIN_DIR=...`` in the checkout, as a person runs it (not as a sub-make of
    a test run: the jobserver and variables of an outer make are left out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        ["make", "--no-print-directory", "install", f"BIN_DIR={bin_dir}"],
        cwd=CHECKOUT, env=env | {"PATH": f"{path}:{env['PATH']}"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def clean_environment(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    """A new shell's environment: the launcher's folder on PATH, no virtualenv, a fresh home."""
    return {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": str(tmp_path / "home"),
        "AGENTCRON_HOME": str(tmp_path / "store"),
        "AGENTCRON_TIMEZONE": "Europe/Paris",
        "LANG": "C.UTF-8",
    }


def first_minute() -> list[tuple[str, list[str]]]:
    """The README's first-minute example: each command as written, and the lines it prints."""
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- first-minute:start -->")[1].split("<!-- first-minute:end -->")[0]
    steps: list[tuple[str, list[str]]] = []
    for line in block.strip().removeprefix("```console").removesuffix("```").strip().splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def test_make_install_writes_a_launcher_that_runs_from_anywhere(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    installed = make_install(bin_dir)
    assert installed.returncode == 0, installed.stderr
    launcher = bin_dir / "agentcron"
    assert f"Installed {launcher}: it runs agentcron from {CHECKOUT}." in installed.stdout
    assert f"note: {bin_dir} is not on your PATH" in installed.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    version = subprocess.run(
        ["agentcron", "--version"], cwd=elsewhere, env=clean_environment(tmp_path, bin_dir),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"agentcron {__version__}\n"
    again = make_install(bin_dir, path=str(bin_dir))  # on PATH now: no note
    assert again.returncode == 0, again.stderr
    assert "not on your PATH" not in again.stdout


def test_make_install_leaves_a_program_it_did_not_write(tmp_path: Path) -> None:
    other = tmp_path / "bin" / "agentcron"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\necho another agentcron\n")
    refused = make_install(other.parent)
    assert refused.returncode != 0
    assert f"error: {other} exists and is not an agentcron launcher" in refused.stderr
    assert other.read_text() == "#!/bin/sh\necho another agentcron\n"


def test_the_readmes_first_minute_runs_as_written_through_the_launcher(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    assert make_install(bin_dir).returncode == 0
    env = clean_environment(tmp_path, bin_dir)
    steps = first_minute()
    assert [command.split()[0] for command, _ in steps] == ["agentcron"] * len(steps)
    assert len(steps) >= 4
    serve = Serve(env, tmp_path / "serve.log", command=(str(bin_dir / "agentcron"),))
    try:
        for command, shown in steps:
            done = subprocess.run(
                shlex.split(command, comments=True), cwd=tmp_path, env=env,
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, (command, done.stderr)
            assert done.stderr == "", command
            said = " ".join(done.stdout.split())
            for line in shown:
                expected = " ".join(line.removesuffix("...").split())
                assert expected in said, (command, line, done.stdout)
        status = subprocess.run(
            ["agentcron", "status"], env=env, capture_output=True, text=True, timeout=60,
            check=False,
        )  # fmt: skip
        assert f"serve: running, pid {serve.process.pid} " in status.stdout
    finally:
        assert serve.stop() == 0
