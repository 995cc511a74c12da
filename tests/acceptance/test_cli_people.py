"""``agentcron users`` and ``agentcron keys`` as an operator runs them: a key is printed once
and is nowhere afterwards, not in lists, errors, or the store file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.test_cli_schedule import agentcron


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"AGENTCRON_HOME": str(tmp_path), "AGENTCRON_TIMEZONE": "Europe/Paris", **extra}


def test_a_key_is_shown_once_and_kept_only_as_a_hash(tmp_path: Path) -> None:
    env = environment(tmp_path)
    added = agentcron("users", "add", "ann", "--name", "Ann", "--tz", "America/New_York", env=env)
    assert added.returncode == 0, added.stderr
    assert "Added ann (America/New_York)" in added.stdout
    made = agentcron("keys", "create", "--user", "ann", "--name", "laptop", env=env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("agc_")
    assert "\n" not in key
    assert "shown only this once" in made.stderr
    assert key not in made.stderr
    admin = json.loads(
        agentcron("keys", "create", "--user", "ann", "--admin", "--json", env=env).stdout
    )
    assert admin["admin"] is True
    assert admin["key"].startswith(f"agc_{admin['id']}_")
    listed = agentcron("keys", "ls", env=env)
    as_json = agentcron("keys", "ls", "--json", env=env)
    assert listed.returncode == as_json.returncode == 0
    assert [k["name"] for k in json.loads(as_json.stdout)] == ["laptop", ""]
    files = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    for secret in (key, admin["key"]):
        secret_part = secret.split("_", 2)[2]  # agc_<hex id>_<secret, may hold "_">
        for shown in (listed.stdout, as_json.stdout, files.decode("latin-1")):
            assert secret_part not in shown
    users = json.loads(agentcron("users", "ls", "--json", env=env).stdout)
    assert [(u["id"], u["timezone"]) for u in users] == [
        ("ann", "America/New_York"),
        ("local", "Europe/Paris"),  # the person the CLI acts for (AGENTCRON_USER)
    ]


def test_removing_a_person_ends_their_tasks_and_keys(tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert agentcron("users", "add", "ann", env=env).returncode == 0
    key_id = json.loads(agentcron("keys", "create", "--user", "ann", "--json", env=env).stdout)[
        "id"
    ]
    as_ann = env | {"AGENTCRON_USER": "ann"}
    for when in ("every day at 9", "in 2 hours"):
        made = agentcron("add", "t", "--when", when, "-m", "hi", env=as_ann)
        assert made.returncode == 0, made.stderr
    removed = agentcron("users", "rm", "ann", env=env)
    assert removed.returncode == 0, removed.stderr
    assert "Removed ann: 2 tasks cancelled, 1 key revoked." in removed.stdout
    (key,) = json.loads(agentcron("keys", "ls", "--json", env=env).stdout)
    assert key["id"] == key_id
    assert key["revoked_at"] is not None
    statuses = json.loads(agentcron("ls", "--all", "--json", env=as_ann).stdout)
    assert [task["status"] for task in statuses] == ["cancelled", "cancelled"]
    refused = agentcron("add", "t", "--when", "in 1 hour", "-m", "hi", env=as_ann)
    assert refused.returncode == 2
    assert "No person named 'ann'" in refused.stderr
    left = json.loads(agentcron("users", "ls", "--json", env=env).stdout)
    assert [user["id"] for user in left] == ["local"]


def test_bad_input_is_refused_with_what_to_do(tmp_path: Path) -> None:
    env = environment(tmp_path)
    for args, said in (
        (("users", "add", "no spaces"), "cannot be a person's id"),
        (("users", "add", "ann", "--tz", "Mars/Base"), "Unknown time zone 'Mars/Base'"),
        (("users", "rm", "zed"), "No person named 'zed'"),
        (
            ("keys", "create", "--user", "zed"),
            "No person named 'zed' is known ('agentcron users ls')",
        ),
        (("keys", "revoke", "nope"), "No API key has the id 'nope' ('agentcron keys ls')"),
        (("users", "set", "local", "--monthly-budget", "lots"), "an amount such as 5.00"),
    ):
        refused = agentcron(*args, env=env)
        assert refused.returncode == 2, (args, refused.stdout)
        assert refused.stderr.startswith("error: "), refused.stderr
        assert said in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert agentcron("users", "add", "ann", env=env).returncode == 0
    again = agentcron("users", "add", "ann", env=env)
    assert again.returncode == 2
    assert "'ann' exists already" in again.stderr


def test_a_budget_is_set_and_shown_with_what_is_left(tmp_path: Path) -> None:
    env = environment(tmp_path)
    assert agentcron("users", "add", "ann", env=env).returncode == 0
    set_ = agentcron("users", "set", "ann", "--monthly-budget", "5.00", "--json", env=env)
    assert set_.returncode == 0, set_.stderr
    assert json.loads(set_.stdout)["monthly_cost_budget"] == 5.0
    shown = agentcron("profile", "show", env=env | {"AGENTCRON_USER": "ann"})
    assert shown.returncode == 0, shown.stderr
    assert "0.00 spent, 0 tokens" in shown.stdout
    assert "5.00 left of 5.00" in shown.stdout
