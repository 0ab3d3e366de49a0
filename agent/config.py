"""The agent's configuration: ``agent.toml`` checked at start-up, secrets from the environment.

Every key is documented in ``deploy/agent.example.toml``. Environment variables override the
file (``VEILLE_MQTT__PASSWORD``, ``VEILLE_SITE``...). Durations are seconds or days as named,
power in watts. The device id defaults to a hash of ``/etc/machine-id`` (or of the Windows
MachineGuid, or of the host name): stable, and it names no person.
"""

from __future__ import annotations

import hashlib
import socket
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from contract.kinds import AgentKind
from contract.mqtt import TlsSettings
from contract.schema import IDENT_PATTERN
from contract.settings import Section, VeilleSettings, load_settings

Kind = str
"""A kind an agent runs on (``contract.kinds.names(agent=True)``); detected when unset."""

SOURCE_NAMES = ("rapl", "ipmi", "battery", "model")

# SMBIOS chassis types (DMTF DSP0134, 7.4.1): which ones are laptops, which are servers.
_LAPTOP_CHASSIS = {8, 9, 10, 14, 30, 31, 32}
_SERVER_CHASSIS = {17, 23, 25, 28, 29}


def _default_data_dir() -> Path:
    if sys.platform == "win32":
        return Path("C:/ProgramData/veille")
    return Path("/var/lib/veille-agent")


def default_device_id(
    machine_id_file: Path = Path("/etc/machine-id"), hostname: str | None = None
) -> str:
    """``m-`` + 16 hex of SHA-256(machine id), or ``h-`` + hash of the host name."""
    secret = ""
    try:
        secret = machine_id_file.read_text().strip()
    except OSError:
        secret = _windows_machine_guid()
    if secret:
        return "m-" + hashlib.sha256(b"veille:" + secret.encode()).hexdigest()[:16]
    name = hostname if hostname is not None else socket.gethostname()
    return "h-" + hashlib.sha256(b"veille:" + name.lower().encode()).hexdigest()[:16]


def _windows_machine_guid() -> str:
    if sys.platform != "win32":
        return ""
    import winreg

    try:
        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography")
        value, _ = winreg.QueryValueEx(key, "MachineGuid")
        return str(value)
    except OSError:
        return ""


def detect_kind(sysfs_root: Path = Path("/sys")) -> Kind:
    """Laptop if a battery is present, else by SMBIOS chassis type; no display means server."""
    supplies = sysfs_root / "class" / "power_supply"
    try:
        for supply in supplies.iterdir():
            if (supply / "type").read_text().strip() == "Battery" and (
                (supply / "scope").read_text().strip() if (supply / "scope").exists() else "System"
            ) == "System":
                return "laptop"
    except OSError:
        pass
    try:
        chassis = int((sysfs_root / "class" / "dmi" / "id" / "chassis_type").read_text())
    except (OSError, ValueError):
        chassis = 0
    if chassis in _LAPTOP_CHASSIS:
        return "laptop"
    if chassis in _SERVER_CHASSIS:
        return "server"
    if sys.platform == "win32":
        return "desktop"
    drm = sysfs_root / "class" / "drm"
    has_display = drm.is_dir() and any("-" in p.name for p in drm.iterdir())
    return "desktop" if has_display else "server"


AgentTls = TlsSettings
"""The agent's TLS settings: the contract's, shared with the collector."""


class AgentMqtt(Section):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls: AgentTls | None = None
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive: int = Field(60, ge=5, le=65535, description="Seconds between pings.")
    qos: Literal[1] = 1
    reconnect_min_seconds: int = Field(1, ge=1, le=3600)
    reconnect_max_seconds: int = Field(120, ge=1, le=3600)
    max_inflight: int = Field(20, ge=1, le=1000, description="Unacknowledged messages at once.")

    @model_validator(mode="after")
    def _delays(self) -> AgentMqtt:
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds must be >= reconnect_min_seconds")
        return self


class SpoolSettings(Section):
    path: Path = Field(default_factory=lambda: _default_data_dir() / "spool.sqlite")
    max_messages: int = Field(20_160, ge=10, description="14 days at one message a minute.")
    max_age_days: float = Field(14.0, gt=0, le=30, description="The collector refuses > 30 d.")


class AgentMetrics(Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(9817, ge=0, le=65535, description="0 picks a free port.")


class PowerProfile(Section):
    """Watts used by the model estimate; unset values come from the kind's defaults."""

    idle_watts: float | None = Field(None, ge=0, le=20_000)
    max_watts: float | None = Field(None, ge=0, le=20_000)
    display_watts: float | None = Field(None, ge=0, le=2_000)

    @model_validator(mode="after")
    def _order(self) -> PowerProfile:
        if (
            self.idle_watts is not None
            and self.max_watts is not None
            and self.max_watts < self.idle_watts
        ):
            raise ValueError("max_watts must be >= idle_watts")
        return self


class AgentConfig(VeilleSettings):
    """The whole ``agent.toml``."""

    device_id: str = Field(default_factory=default_device_id, pattern=IDENT_PATTERN)
    site: str = Field("default", pattern=IDENT_PATTERN)
    kind: AgentKind = "desktop"
    interval_seconds: float = Field(60.0, ge=1, le=3600)
    mqtt: AgentMqtt = Field(default_factory=AgentMqtt)
    spool: SpoolSettings = Field(default_factory=SpoolSettings)
    metrics: AgentMetrics = Field(default_factory=AgentMetrics)
    profile: PowerProfile = Field(default_factory=PowerProfile)
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


def load_agent_config(path: Path | None = None, **overrides: Any) -> AgentConfig:
    """Load and check ``agent.toml`` (optional); raise ConfigError naming every bad key."""
    return load_settings(AgentConfig, path, **overrides)
