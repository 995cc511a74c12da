"""Settings: one typed object read once at the edge, from AGENTCRON_* and agentcron.toml."""

from __future__ import annotations

from pydantic import ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from agentcron.errors import ConfigurationError


class Settings(BaseSettings):
    """agentcron's configuration; environment variables override agentcron.toml."""

    model_config = SettingsConfigDict(
        env_prefix="AGENTCRON_", toml_file="agentcron.toml", extra="forbid"
    )

    timezone: str | None = None
    """The person's IANA time zone; when unset, the machine's zone is used."""

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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings() -> Settings:
    """Read the settings, turning a bad value into one readable ConfigurationError."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: "
            + e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        raise ConfigurationError(f"Invalid configuration ({problems}).") from None


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
