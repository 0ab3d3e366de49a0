"""The agent's settings as the running agent holds them: plain dataclasses, no pydantic.

``agent.toml`` and the ``VEILLE_*`` environment are checked by the pydantic models of
:mod:`agent.config` (every bad key named, as ``veille-agent check`` shows). ``veille-agent
run`` does not import pydantic (about 14 MB of resident memory, bench/README.md): it runs that
check in a short-lived child process (``python -m agent.resolve``), which prints the checked
configuration as JSON on a pipe, or the same errors; the service reads the JSON into these
dataclasses (:func:`load_run_config`). Field names and defaults are those of
:mod:`agent.config`; ``tests/agent/test_settings.py`` checks that they cannot drift.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from contract.errors import ConfigError

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


def detect_kind(sysfs_root: Path = Path("/sys")) -> str:
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


class Secret:
    """A secret string that never shows in a repr or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class AgentTls:
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None


@dataclass(frozen=True, slots=True)
class AgentMqtt:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: Secret | None = None
    tls: AgentTls | None = None
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive: int = 60
    qos: Literal[1] = 1
    reconnect_min_seconds: int = 1
    reconnect_max_seconds: int = 120
    max_inflight: int = 20


@dataclass(frozen=True, slots=True)
class SpoolSettings:
    path: Path = field(default_factory=lambda: _default_data_dir() / "spool.sqlite")
    max_messages: int = 20_160
    max_age_days: float = 14.0


@dataclass(frozen=True, slots=True)
class AgentMetrics:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9817


@dataclass(frozen=True, slots=True)
class PowerProfile:
    """Watts used by the model estimate; unset values come from the kind's defaults."""

    idle_watts: float | None = None
    max_watts: float | None = None
    display_watts: float | None = None


@dataclass(frozen=True, slots=True)
class SigningSettings:
    """Per-device HMAC key (README, "No one speaks for another device"); off when unset."""

    key: Secret | None = None
    key_file: Path | None = None


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """The whole checked ``agent.toml``, as the agent's parts read it."""

    device_id: str = field(default_factory=default_device_id)
    site: str = "default"
    kind: str = ""
    interval_seconds: float = 60.0
    mqtt: AgentMqtt = field(default_factory=AgentMqtt)
    spool: SpoolSettings = field(default_factory=SpoolSettings)
    metrics: AgentMetrics = field(default_factory=AgentMetrics)
    profile: PowerProfile = field(default_factory=PowerProfile)
    signing: SigningSettings = field(default_factory=SigningSettings)
    sources: list[str] | None = None
    blocker_details: bool = False
    sysfs_root: Path = Path("/sys")
    idle_dir: Path = field(default_factory=lambda: _default_data_dir() / "idle")

    def __post_init__(self) -> None:
        if not self.kind:  # as agent.config does: unset means detected
            object.__setattr__(self, "kind", detect_kind(self.sysfs_root))


_SECTIONS: dict[str, type[Any]] = {
    "mqtt": AgentMqtt,
    "tls": AgentTls,
    "spool": SpoolSettings,
    "metrics": AgentMetrics,
    "profile": PowerProfile,
    "signing": SigningSettings,
}
_PATHS = {"ca_file", "cert_file", "key_file", "path", "sysfs_root", "idle_dir"}
_SECRETS = {"password", "key"}


def _build(cls: type[Any], data: dict[str, Any]) -> Any:
    """A dataclass from checked JSON (sections nested, paths and secrets typed)."""
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:  # a field the pydantic model has and this one lacks: a bug, say it
        raise ConfigError("configuration", [f"{k}: not known to the agent" for k in unknown])
    values: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            values[key] = None
        elif key in _SECTIONS and isinstance(value, dict):
            values[key] = _build(_SECTIONS[key], value)
        elif key in _PATHS:
            values[key] = Path(value)
        elif key in _SECRETS:
            values[key] = Secret(str(value))
        else:
            values[key] = value
    return cls(**values)


def config_from_json(doc: dict[str, Any]) -> AgentConfig:
    """The dataclass configuration from :func:`agent.config.resolved_json`'s document."""
    config: AgentConfig = _build(AgentConfig, doc)
    return config


def load_run_config(path: Path | None, timeout: float = 60.0) -> AgentConfig:
    """Check ``agent.toml`` and the environment in a child process; raise ConfigError."""
    cmd = [sys.executable, "-P", "-m", "agent.resolve"]
    if path is not None:
        cmd += ["--config", str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError("configuration", [f"could not check the configuration: {exc}"]) from None
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ConfigError(
            "configuration", [f"the configuration check failed (exit {done.returncode})", *tail]
        ) from None
    if "error" in doc:
        raise ConfigError(doc["error"]["source"], list(doc["error"]["problems"]))
    return config_from_json(doc["config"])
