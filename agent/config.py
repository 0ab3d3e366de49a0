"""The agent's configuration: ``agent.toml`` checked at start-up, secrets from the environment.

Every key is documented in ``deploy/agent.example.toml``. Environment variables override the
file (``VEILLE_MQTT__PASSWORD``, ``VEILLE_SITE``...). Durations are seconds or days as named,
power in watts. The device id defaults to a hash of ``/etc/machine-id`` (or of the Windows
MachineGuid, or of the host name): stable, and it names no person.

The pydantic models here check the file and name every bad key; the agent's parts read the
checked values as the plain dataclasses of :mod:`agent.settings` (re-exported here), which
``veille-agent run`` loads without importing pydantic (:func:`agent.settings.load_run_config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from agent.settings import (
    AgentConfig,
    AgentMetrics,
    AgentMqtt,
    AgentTls,
    PowerProfile,
    SigningSettings,
    SpoolSettings,
    _default_data_dir,
    config_from_json,
    default_device_id,
    detect_kind,
)
from contract.kinds import AgentKind
from contract.mqtt import TlsSettings
from contract.schema import IDENT_PATTERN
from contract.settings import Section, VeilleSettings, load_settings

__all__ = [  # the dataclasses the agent's parts read, re-exported from agent.settings
    "AgentConfig",
    "AgentMetrics",
    "AgentMqtt",
    "AgentSettings",
    "AgentTls",
    "PowerProfile",
    "SigningSettings",
    "SpoolSettings",
    "default_device_id",
    "detect_kind",
    "load_agent_config",
    "load_agent_settings",
    "resolved_json",
]

SOURCE_NAMES = ("rapl", "ipmi", "battery", "model")

SIGNING_KEY_MIN_CHARS = 16


class MqttSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls: TlsSettings | None = None
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive: int = Field(60, ge=5, le=65535, description="Seconds between pings.")
    qos: Literal[1] = 1
    reconnect_min_seconds: int = Field(1, ge=1, le=3600)
    reconnect_max_seconds: int = Field(120, ge=1, le=3600)
    max_inflight: int = Field(20, ge=1, le=1000, description="Unacknowledged messages at once.")

    @model_validator(mode="after")
    def _delays(self) -> MqttSection:
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds must be >= reconnect_min_seconds")
        return self


class SpoolSection(Section):
    path: Path = Field(default_factory=lambda: _default_data_dir() / "spool.sqlite")
    max_messages: int = Field(20_160, ge=10, description="14 days at one message a minute.")
    max_age_days: float = Field(14.0, gt=0, le=30, description="The collector refuses > 30 d.")


class MetricsSection(Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(9817, ge=0, le=65535, description="0 picks a free port.")


class ProfileSection(Section):
    """Watts used by the model estimate; unset values come from the kind's defaults."""

    idle_watts: float | None = Field(None, ge=0, le=20_000)
    max_watts: float | None = Field(None, ge=0, le=20_000)
    display_watts: float | None = Field(None, ge=0, le=2_000)

    @model_validator(mode="after")
    def _order(self) -> ProfileSection:
        if (
            self.idle_watts is not None
            and self.max_watts is not None
            and self.max_watts < self.idle_watts
        ):
            raise ValueError("max_watts must be >= idle_watts")
        return self


class SigningSection(Section):
    """The device's HMAC key, issued with its broker credentials: ``key_file`` (read at
    start-up) or ``key`` (``VEILLE_SIGNING__KEY``); never both; unset: messages unsigned."""

    key: SecretStr | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _one_key(self) -> SigningSection:
        if self.key is not None and self.key_file is not None:
            raise ValueError("set key or key_file, not both")
        if self.key_file is not None:
            try:
                text = self.key_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"key_file {self.key_file}: {exc}") from None
            self.key = SecretStr(text)  # type: ignore[misc]  # not frozen: filled once
        if self.key is not None and len(self.key.get_secret_value()) < SIGNING_KEY_MIN_CHARS:
            raise ValueError(f"the signing key must have at least {SIGNING_KEY_MIN_CHARS} chars")
        return self


class AgentSettings(VeilleSettings):
    """The whole ``agent.toml``, checked."""

    device_id: str = Field(default_factory=default_device_id, pattern=IDENT_PATTERN)
    site: str = Field("default", pattern=IDENT_PATTERN)
    kind: AgentKind = "desktop"
    interval_seconds: float = Field(60.0, ge=1, le=3600)
    mqtt: MqttSection = Field(default_factory=MqttSection)
    spool: SpoolSection = Field(default_factory=SpoolSection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    profile: ProfileSection = Field(default_factory=ProfileSection)
    signing: SigningSection = Field(default_factory=SigningSection)
    sources: list[str] | None = Field(None, description="None: every source that works here.")
    blocker_details: bool = Field(
        False, description="Opt-in: name the applications that block sleep."
    )
    sysfs_root: Path = Field(Path("/sys"), description="Another root in a container.")
    idle_dir: Path = Field(
        default_factory=lambda: _default_data_dir() / "idle",
        description="Windows: where the per-session idle helper writes.",
    )

    @model_validator(mode="before")
    @classmethod
    def _detect_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") is None:
            data = dict(data)
            data["kind"] = detect_kind(Path(data.get("sysfs_root") or "/sys"))
        return data

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [s for s in value if s not in SOURCE_NAMES]
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; known: {list(SOURCE_NAMES)}")
        return value


def resolved_json(settings: AgentSettings) -> dict[str, Any]:
    """The checked settings as JSON, secrets in clear (for :mod:`agent.resolve`'s pipe only)."""
    doc: dict[str, Any] = settings.model_dump(mode="json")
    if settings.mqtt.password is not None:
        doc["mqtt"]["password"] = settings.mqtt.password.get_secret_value()
    if settings.signing.key is not None:
        doc["signing"]["key"] = settings.signing.key.get_secret_value()
    return doc


def load_agent_settings(path: Path | None = None, **overrides: Any) -> AgentSettings:
    """Load and check ``agent.toml`` (optional); raise ConfigError naming every bad key."""
    return load_settings(AgentSettings, path, **overrides)


def load_agent_config(path: Path | None = None, **overrides: Any) -> AgentConfig:
    """Load and check ``agent.toml`` into the dataclasses the agent's parts read."""
    return config_from_json(resolved_json(load_agent_settings(path, **overrides)))
