"""Where settings come from (variables, the agentcron.toml files, defaults), the names that
are not settings, and secrets masked wherever settings are shown."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest
from pydantic import SecretStr

from agentcron.config import (
    McpServer,
    Settings,
    entry_sources,
    load_settings,
    setting_origins,
)
from agentcron.config_files import (
    NOT_SETTINGS,
    SettingsFile,
    env_name,
    file_paths,
    unknown_names,
    user_config_file,
)
from agentcron.errors import ConfigurationError
from agentcron.masking import Secret, mask_url, shown

ROOT = Path(__file__).parents[2]
SETTINGS = Settings.model_fields


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The current folder and the user's agentcron config folder, both empty."""
    here, config = tmp_path / "here", tmp_path / "config"
    here.mkdir()
    (config / "agentcron").mkdir(parents=True)
    monkeypatch.chdir(here)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return here, config / "agentcron"


def test_no_warning_for_settings_or_for_the_variables_read_elsewhere() -> None:
    environ = {env_name(name): "x" for name in SETTINGS}
    environ |= dict.fromkeys(NOT_SETTINGS, "1")
    environ |= {"AGENTCRON_TEST_PG": "postgresql://", "AGENTCRON_BENCH_PG": "postgresql://"}
    environ |= {"agentcron_timezone": "UTC", "PATH": "/usr/bin", "TIMEZON": "x"}
    assert unknown_names(environ, [], SETTINGS) == []


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("AGENTCRON_TIMEZON", "did you mean AGENTCRON_TIMEZONE?"),
        ("AGENTCRON_DATABASE_URI", "did you mean AGENTCRON_DATABASE_URL?"),
        ("agentcron_concurency", "did you mean AGENTCRON_CONCURRENCY?"),
        ("AGENTCRON_MODELS", "did you mean AGENTCRON_MODEL?"),
        ("AGENTCRON_FROBNICATE", "'agentcron config show' lists the settings."),
    ],
)
def test_a_variable_that_is_not_a_setting_names_the_closest(name: str, hint: str) -> None:
    assert unknown_names({name: "x"}, [], SETTINGS) == [f"{name} is not a setting; {hint}"]


def test_a_file_key_that_is_not_a_setting_names_the_file_and_the_closest() -> None:
    found = SettingsFile(Path("/etc/agentcron.toml"), {"user": "ann"}, ["timezon", "Loglevel"])
    assert unknown_names({}, [found], SETTINGS) == [
        "timezon in /etc/agentcron.toml is not a setting; did you mean timezone?",
        "Loglevel in /etc/agentcron.toml is not a setting; did you mean log_level?",
    ]


def test_every_agentcron_variable_the_code_names_is_a_setting_or_listed() -> None:
    """A variable read somewhere in agentcron but not a setting must be in NOT_SETTINGS (or
    its prefixes), else every use of it would be warned of as a misspelling."""
    named = {
        match
        for folder in ("src", "bench")
        for path in (ROOT / folder).rglob("*.py")
        for match in re.findall(r"\bAGENTCRON_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text())
    }
    assert "AGENTCRON_TRACEBACK" in named
    assert [n for n in sorted(named) if unknown_names({n: "x"}, [], SETTINGS)] == []


def test_the_current_folders_file_wins_over_the_users_and_the_environment_over_both(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, config = folders
    (config / "agentcron.toml").write_text('timezone = "Asia/Kolkata"\nuser = "ann"\n')
    assert file_paths() == [here / "agentcron.toml", config / "agentcron.toml"]
    assert user_config_file() == config / "agentcron.toml"
    settings = load_settings()
    assert (settings.timezone, settings.user) == ("Asia/Kolkata", "ann")
    (here / "agentcron.toml").write_text('timezone = "UTC"\nconcurrency = 8\n')
    settings = load_settings()
    assert (settings.timezone, settings.user, settings.concurrency) == ("UTC", "ann", 8)
    monkeypatch.setenv("AGENTCRON_CONCURRENCY", "16")
    origins = setting_origins(load_settings())
    assert origins["timezone"] == {"value": "UTC", "source": str(here / "agentcron.toml")}
    assert origins["user"] == {"value": "ann", "source": str(config / "agentcron.toml")}
    assert origins["concurrency"] == {"value": 16, "source": "AGENTCRON_CONCURRENCY"}
    assert origins["lease_seconds"] == {"value": 30.0, "source": "default"}


def test_a_tables_entries_are_merged_from_every_source_and_each_says_where_from(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``actions`` is a table: its entries come from the variable and both files at once, the
    first source winning for an entry given twice (what ``agentcron actions ls`` says)."""
    here, config = folders
    (config / "agentcron.toml").write_text(
        '[actions]\nmine = "a.b:Mine"\nshared = "a.b:FromUser"\n'
    )
    (here / "agentcron.toml").write_text('[actions]\nshared = "a.b:FromHere"\nlocal = "a.b:L"\n')
    monkeypatch.setenv("AGENTCRON_ACTIONS", '{"local": "a.b:FromEnv"}')
    assert load_settings().actions == {
        "mine": "a.b:Mine", "shared": "a.b:FromHere", "local": "a.b:FromEnv",
    }  # fmt: skip
    assert entry_sources("actions") == {
        "local": "AGENTCRON_ACTIONS",
        "shared": str(here / "agentcron.toml"),
        "mine": str(config / "agentcron.toml"),
    }
    monkeypatch.setenv("AGENTCRON_ACTIONS", "not JSON")  # refused when the settings are read
    assert entry_sources("actions")["local"] == str(here / "agentcron.toml")
    assert entry_sources("mcp_servers") == {}


def test_the_users_folder_as_current_folder_is_read_once(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, config = folders
    monkeypatch.chdir(config)
    (config / "agentcron.toml").write_text('timezon = "UTC"\n')
    warnings: list[str] = []
    load_settings(warnings.append)
    assert file_paths() == [config / "agentcron.toml"]
    assert warnings == [
        f"timezon in {config / 'agentcron.toml'} is not a setting; did you mean timezone?"
    ]


def test_names_that_are_not_settings_are_warned_of_and_ignored(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, _ = folders
    (here / "agentcron.toml").write_text('user = "ann"\nmodle = "test"\n')
    monkeypatch.setenv("AGENTCRON_TIMEZON", "Asia/Kolkata")
    warnings: list[str] = []
    settings = load_settings(warnings.append)
    assert (settings.user, settings.model, settings.timezone) == ("ann", None, None)
    assert warnings == [
        "AGENTCRON_TIMEZON is not a setting; did you mean AGENTCRON_TIMEZONE?",
        f"modle in {here / 'agentcron.toml'} is not a setting; did you mean model?",
    ]


@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
def test_an_empty_home_is_refused(
    blank: str, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, config = folders
    refusal = "home: is empty; set AGENTCRON_HOME to a folder, or unset it"
    monkeypatch.setenv("AGENTCRON_HOME", blank)
    with pytest.raises(ConfigurationError, match=re.escape(refusal)):
        load_settings()
    monkeypatch.delenv("AGENTCRON_HOME")
    (config / "agentcron.toml").write_text(f'home = "{blank}"\n')
    with pytest.raises(ConfigurationError, match=re.escape(refusal)):
        load_settings()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://ann:s3cret@db:5432/agentcron", "postgresql://ann:****@db:5432/agentcron"),
        ("postgresql://ann:p@ss:w0rd@db/agentcron", "postgresql://ann:****@db/agentcron"),
        ("postgresql://ann@db/agentcron?password=s3cret&x=1", "postgresql://ann@db/agentcron?password=****&x=1"),
        ("postgresql://ann:s3cret@db:::", "postgresql://ann:****@db:::"),
        ("postgresql://ann@db/agentcron", "postgresql://ann@db/agentcron"),
        ("sqlite:////home/ann/agentcron.db", "sqlite:////home/ann/agentcron.db"),
        ("https://api.example.com/v1?a=b@c:d", "https://api.example.com/v1?a=b@c:d"),
        ("not a url", "not a url"),
    ],
)  # fmt: skip
def test_a_url_loses_its_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_secrets_are_masked_when_settings_are_shown() -> None:
    secrets = ["sk-openai-0123456789", "sk-ant-0123456789", "db-pa55word", "ghp_token", "mcp-pw"]
    settings = Settings(
        database_url=f"postgresql://ann:{secrets[2]}@127.0.0.1/test",
        openai_api_key=secrets[0],
        anthropic_api_key=secrets[1],
        mcp_servers={
            "github": McpServer(command="github-mcp", env={"GITHUB_TOKEN": secrets[3]}),
            "remote": McpServer(url=f"https://bot:{secrets[4]}@mcp.example.com/mcp"),
        },
    )
    everything = json.dumps(shown(settings))
    assert [secret for secret in secrets if secret in everything] == []
    values = shown(settings)
    assert values["database_url"] == "postgresql://ann:****@127.0.0.1/test"
    assert values["openai_api_key"] == "****"
    assert values["mcp_servers"]["github"]["env"] == {"GITHUB_TOKEN": "****"}
    assert values["mcp_servers"]["remote"]["url"] == "https://bot:****@mcp.example.com/mcp"
    assert values["anthropic_api_key"] == "****"
    assert Settings().openai_api_key is None
    assert shown(Settings())["openai_api_key"] is None  # unset stays unset


@pytest.mark.parametrize("model", [Settings, McpServer])
def test_every_field_that_may_hold_a_secret_says_so(model: type[Settings | McpServer]) -> None:
    """Masking goes by type or metadata: a new key, token, password or URL field must be a
    SecretStr or carry Secret, or it would be printed whole."""
    looks_secret = re.compile(r"(^|_)(key|token|secret|password|passwd|url|env)($|_)")
    for name, info in model.model_fields.items():
        if not looks_secret.search(name):
            continue
        typed = SecretStr in (info.annotation, *typing.get_args(info.annotation))
        marked = any(isinstance(item, Secret) for item in info.metadata)
        assert typed or marked, f"{model.__name__}.{name} may hold a secret but is shown whole"
