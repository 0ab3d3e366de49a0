"""Typed configuration loading shared by the agent and the collector.

A TOML file is read into a pydantic-settings model; environment variables override it, which
is how secrets reach production (``VEILLE_MQTT__PASSWORD=...``: prefix ``VEILLE_``, sections
joined by ``__``). Every error names its key, e.g. ``mqtt.port: Input should be less than or
equal to 65535``, and is raised at start-up as :class:`ConfigError`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from contract.errors import ConfigError as ConfigError  # re-exported: its old home

ENV_PREFIX = "VEILLE_"


class Section(BaseModel):
    """Base for config sections: unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid")


class VeilleSettings(BaseSettings):
    """Base for a whole config file; sources are init values (the TOML), then environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: it overrides the file, so secrets never need to be in it.
        return (env_settings, init_settings)


S = TypeVar("S", bound=VeilleSettings)


def format_errors(err: ValidationError) -> list[str]:
    """Turn a pydantic error into 'dotted.key: message' lines."""
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"{key}: {e['msg']}")
    return lines


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning syntax and I/O errors into ConfigError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"TOML syntax: {exc}"]) from None


def load_settings(cls: type[S], path: Path | None = None, **overrides: Any) -> S:
    """Load ``cls`` from ``path`` (optional), the environment and keyword overrides."""
    data: dict[str, Any] = read_toml(path) if path else {}
    data.update(overrides)
    try:
        return cls(**data)
    except ValidationError as exc:
        raise ConfigError(str(path) if path else "configuration", format_errors(exc)) from None
