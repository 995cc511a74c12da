"""Settings: one typed object read once at the edge, from AGENTCRON_* and agentcron.toml."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from agentcron import config_files
from agentcron.config_files import SettingsFile
from agentcron.errors import ConfigurationError, summarize_problems
from agentcron.masking import Secret, mask_url, mask_values, shown

SecretUrl = Annotated[str | None, Secret(mask_url)]
"""A URL that may carry a password (shown as ``user:****@host``); unset, None."""

_LOOKAHEAD_SECONDS = 2.0
_DISTRIBUTED_LOOKAHEAD_SECONDS = 10.0


class McpServer(BaseModel):
    """An MCP server whose tools agent tasks may be allowed: a command (stdio) or a URL."""

    model_config = ConfigDict(extra="forbid")

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: Annotated[dict[str, str] | None, Secret(mask_values)] = None
    url: SecretUrl = None
    """Streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp."""

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.command is None) == (self.url is None):
            raise ValueError("give an MCP server either a command or a url")
        return self


class ModelPrice(BaseModel):
    """What a model costs, in any currency, per million tokens (for estimated run costs)."""

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


class Settings(BaseSettings):
    """agentcron's configuration: AGENTCRON_* variables, then the agentcron.toml files
    (``config_files``), then these defaults."""

    model_config = SettingsConfigDict(env_prefix=config_files.ENV_PREFIX, extra="forbid")

    timezone: str | None = None
    """The person's IANA time zone; when unset, the machine's zone is used."""

    user: str = Field(default="local", min_length=1, max_length=64)
    """The owner of tasks created from the CLI."""

    database_url: SecretUrl = None
    """SQLAlchemy URL of the store; unset means SQLite in ``home``."""

    home: Path | None = None
    """Where the embedded store lives (default: the user's data folder)."""

    store_busy_timeout_seconds: float = Field(default=30.0, ge=0.1)
    """How long a write waits for another program's lock on the SQLite store."""

    log_level: str = Field(default="WARNING", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    """How much ``agentcron serve`` logs: DEBUG, INFO, WARNING or ERROR."""

    api_rate_limit_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    """Requests one API key may make a minute (per API process), in bursts of as many."""
    api_max_body_bytes: int = Field(default=2_000_000, ge=1_000, le=100_000_000)
    """The largest request body the API reads; a larger one is answered 413."""
    public_url: Annotated[str, Secret(mask_url)] = Field(
        default="http://127.0.0.1:8080", max_length=500
    )
    """Where people reach the API, for the addresses agentcron gives out (a calendar feed's,
    from ``agentcron calendar url``; the API itself answers with the address it was asked
    at)."""

    concurrency: int = Field(default=64, ge=1, le=10_000)
    """Runs executed at once by one in-process worker."""

    lease_seconds: float = Field(default=30.0, ge=1.0)
    """How long a run stays owned by a worker without a renewal."""

    scheduler_batch_size: int = Field(default=500, ge=1, le=50_000)
    """Due tasks claimed per scheduler transaction."""

    scheduler_lookahead_seconds: float | None = Field(default=None, ge=0, le=60)
    """Runs are written this long before their occurrence, then started on time; unset,
    ``lookahead_seconds`` picks it for the shape."""

    scheduler_max_sleep_seconds: float = Field(default=60.0, gt=0)
    """Safety net: the scheduler looks at the store at least this often."""

    broker_url: SecretUrl = None
    """Redis URL of the Celery broker (``redis://HOST:6379/0``): the distributed shape's
    ``agentcron scheduler`` and ``agentcron worker`` need it; ``serve`` does not."""

    run_message_size: int = Field(default=500, ge=1, le=10_000)
    """Run ids carried by one broker message: a burst is handed over in a few messages."""

    redispatch_after_seconds: float = Field(default=30.0, ge=1.0)
    """A run handed to the broker and not taken by a worker within this long is handed over
    again (its message was lost: the broker restarted, or was flushed)."""

    maintenance_seconds: float = Field(default=5.0, gt=0, le=3600)
    """How often a scheduler does the upkeep of the distributed shape: runs whose worker
    vanished, runs handed over and never taken, queue depths, old history."""

    retention_days: float = Field(default=90.0, ge=0)
    """Finished runs (with their attempts and deliveries) older than this are deleted by a
    scheduler's upkeep; 0 keeps them forever."""

    heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)
    """How often ``serve`` tells the store it is alive, with its loops' states."""

    loop_give_up_seconds: float = Field(default=120.0, gt=0)
    """How long a loop of ``serve`` may keep failing with an unexpected error before serve
    exits non-zero (a store that is locked, full or unreachable is waited out instead)."""

    run_all_limit: int = Field(default=100, ge=1)
    """At most this many catch-up runs per task under the run_all misfire policy."""

    max_active_tasks: int = Field(default=1000, ge=1)
    """Per-person limit of active and paused tasks."""

    min_agent_interval_seconds: int = Field(default=300, ge=0)
    """Shortest time allowed between two runs of one agent task."""

    max_instructions_chars: int = Field(default=20_000, ge=1)
    """Longest instructions or message a task may carry."""

    shell_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Programs the shell action may run (comma-separated in the environment)."""

    shell_allow_args: dict[str, list[str]] = Field(default_factory=dict)
    """Per allowed program, glob patterns (``fnmatch``, case-sensitive; ``*`` matches ``/``
    too) that each of its arguments must match (JSON in the environment); a program not
    listed takes any arguments, an empty list none."""

    actions: dict[str, str] = Field(default_factory=dict)
    """More actions, by name: ``"module:Class"`` of an Action subclass (JSON in the
    environment), for in-house actions that are not packaged with entry points."""

    model: str | None = None
    """The agent's model, as ``provider:model`` (openai:, anthropic:, ollama:, test)."""

    openai_base_url: SecretUrl = None
    """An OpenAI-compatible server (Ollama, vLLM, llama.cpp...) for ``openai:`` models."""

    openai_api_key: SecretStr | None = None
    """Key for ``openai:`` models; OPENAI_API_KEY is used when unset."""

    anthropic_api_key: SecretStr | None = None
    """Key for ``anthropic:`` models; ANTHROPIC_API_KEY is used when unset."""

    model_prices: dict[str, ModelPrice] = Field(default_factory=dict)
    """Prices by model name (``provider:model``), to estimate each run's cost."""

    agent_max_tool_calls: int = Field(default=20, ge=0)
    """Tool calls one agent run may make."""

    agent_max_requests: int = Field(default=25, ge=1)
    """Model requests one agent run may make."""

    agent_max_output_tokens: int = Field(default=4000, ge=1)
    """Output tokens one agent run may use, all requests together."""

    agent_recent_runs: int = Field(default=3, ge=0, le=50)
    """Outputs of the task's latest runs shown to its agent."""

    agent_max_followups: int = Field(default=1, ge=0, le=20)
    """One-off follow-up tasks one agent run may create."""

    http_get_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Hosts the agent's http_get tool may fetch (comma-separated); empty: no such tool."""

    http_allow_private: bool = False
    """Whether the http action and the agent's http_get may reach private addresses
    (loopback, link-local such as the cloud metadata service, private ranges); refused by
    default, when a task is made and, after DNS and on every connection, when it runs."""

    http_get_max_bytes: int = Field(default=100_000, ge=1)
    http_get_timeout_seconds: float = Field(default=10.0, gt=0)

    mcp_servers: dict[str, McpServer] = Field(default_factory=dict)
    """MCP servers by name (JSON in the environment); a task lists which it may use."""

    chat_history_messages: int = Field(default=40, ge=2, le=1000)
    """Messages of a conversation kept and shown to the chat assistant."""

    chat_max_message_chars: int = Field(default=4000, ge=1, le=1_000_000)
    """The longest message the chat assistant reads: a bound on what one turn may cost."""

    email_transport: SecretUrl = None
    """The Apprise mail URL, without a recipient, that ``email:ADDRESS`` channels go
    through, e.g. ``mailtos://USER:PASSWORD@smtp.example.com?from=agentcron@example.com``."""

    sms_transport: SecretUrl = None
    """The Apprise SMS URL, without a target, that ``sms:+NUMBER`` channels go through, e.g.
    ``twilio://ACCOUNT_SID:AUTH_TOKEN@+15550001111``."""

    sms_max_segments: int = Field(default=3, ge=1, le=10)
    """Parts a text message may take; a longer one is cut and says where the rest is."""

    delivery_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """How long one send to one channel may take."""

    delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    """Sends of one delivery before it is given up as failed."""

    delivery_backoff_seconds: float = Field(default=15.0, ge=0, le=3600)
    """The wait before a failed delivery's second attempt; it doubles after each (at most an
    hour), on the delivery's own timetable."""

    delivery_concurrency: int = Field(default=200, ge=1, le=10_000)
    """Deliveries being sent at once by one process (one channel takes at most a tenth)."""

    @property
    def lookahead_seconds(self) -> float:
        """How long before its instant a run is written: 2 s in one process; with a broker,
        10 s, since runs then cross to other processes, many to a message, and a burst of
        thousands is handed over while it is still being created, not in its last seconds."""
        if self.scheduler_lookahead_seconds is not None:
            return self.scheduler_lookahead_seconds
        return _DISTRIBUTED_LOOKAHEAD_SECONDS if self.broker_url else _LOOKAHEAD_SECONDS

    @field_validator("shell_allow", "http_get_allow_hosts", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _patterns_of_allowed_programs(self) -> Settings:
        unknown = sorted(set(self.shell_allow_args) - set(self.shell_allow))
        if unknown:
            raise ValueError(
                f"AGENTCRON_SHELL_ALLOW_ARGS gives patterns for {', '.join(unknown)}, which "
                "AGENTCRON_SHELL_ALLOW does not allow; allow the program or drop its patterns"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from agentcron.schedules import ScheduleError, get_zone  # noqa: PLC0415 - light import

        try:
            return get_zone(value).key
        except ScheduleError as error:
            raise ValueError(error.message) from None

    @field_validator("home", mode="before")
    @classmethod
    def _not_empty(cls, value: object) -> object:
        """An empty home would put the store in whatever folder a command runs in."""
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                "is empty; set AGENTCRON_HOME to a folder, or unset it to keep the store in "
                "the user's data folder"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = config_files.read_files(settings_cls.model_fields)
        return (
            init_settings,
            env_settings,
            *(InitSettingsSource(settings_cls, found.values) for found in files),
        )


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def load_settings(warn: Callable[[str], None] = _to_stderr) -> Settings:
    """Read the settings, turning a bad value or file into one readable ConfigurationError;
    ``warn`` is told of each name that is not a setting (a misspelling, most likely)."""
    for message in config_files.unknown_names(os.environ, settings_files(), Settings.model_fields):
        warn(message)
    try:
        return Settings()
    except ValidationError as error:
        problems = summarize_problems(error.errors(), "settings")
        raise ConfigurationError(f"Invalid configuration ({problems}).") from None
    except SettingsError as error:  # an environment value that is not the JSON it must be
        # pydantic-settings says 'error parsing value for field "actions" from source
        # "EnvSettingsSource"': the person set AGENTCRON_ACTIONS, so name that.
        field = re.search(r'field "(\w+)"', str(error))
        name = f"AGENTCRON_{field.group(1).upper()}" if field else "An AGENTCRON_* setting"
        cause = error.__cause__
        detail = f" ({cause})" if cause is not None else ""
        raise ConfigurationError(
            f"{name} is not valid JSON{detail}; tables set in the environment are JSON "
            'objects, e.g. AGENTCRON_ACTIONS=\'{"name": "module:Class"}\'.'
        ) from None


def settings_files() -> list[SettingsFile]:
    """The agentcron.toml files found, the first one winning."""
    return config_files.read_files(Settings.model_fields)


def setting_origins(settings: Settings) -> dict[str, Any]:
    """Every setting's value (secrets masked) and where it came from: its AGENTCRON_*
    variable, an agentcron.toml file, or ``default``."""
    values = shown(settings)
    where = config_files.origins(os.environ, settings_files(), Settings.model_fields)
    return {name: {"value": values[name], "source": where[name]} for name in values}


def entry_sources(setting: str) -> dict[str, str]:
    """Where each entry of the table setting ``setting`` (``actions``) was given: its
    AGENTCRON_* variable or an agentcron.toml file (an entry given in neither is absent)."""
    return config_files.entry_origins(os.environ, settings_files(), setting)


def machine_timezone() -> str:
    """The IANA name of this machine's zone, or UTC when it cannot be told."""
    import tzlocal  # noqa: PLC0415 - only needed when no zone is configured

    try:
        return tzlocal.get_localzone_name() or "UTC"
    except (LookupError, ValueError, OSError):
        return "UTC"


def default_timezone(settings: Settings) -> str:
    """The zone for a person who did not name one: theirs if configured, else the machine's."""
    return settings.timezone or machine_timezone()
