"""The ``[alerts]`` section of ``collector.toml``: which channels deliver alerts, and how.

A channel is on when its sub-table is present (``[alerts.email]``, ``[alerts.webhook]``,
``[alerts.alertmanager]``, ``[alerts.mqtt]``); the Prometheus gauge is on by default. Secrets
(SMTP password, webhook token) are SecretStr and best set from the environment:
``VEILLE_ALERTS__EMAIL__PASSWORD``, ``VEILLE_ALERTS__WEBHOOK__TOKEN``. Documented in
``deploy/collector.example.toml``.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, SecretStr, field_validator

from contract.settings import Section

DigestChannel = Literal["email", "webhook", "mqtt"]


def _hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day HH:MM") from None


def _email_only() -> list[DigestChannel]:
    return ["email"]


class SmtpAlertSettings(Section):
    """E-mail channel: SMTP with STARTTLS and AUTH."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = Field(None, description="VEILLE_ALERTS__EMAIL__PASSWORD")
    ca_file: Path | None = Field(None, description="CA bundle for STARTTLS; default: the system's")
    sender: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(min_length=1)
    lang: Literal["fr", "en"] = "fr"
    timeout_seconds: float = Field(10.0, gt=0, le=120)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if "@" not in a or any(c.isspace() for c in a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {bad}")
        return value


class WebhookAlertSettings(Section):
    url: str = Field(pattern=r"^https?://")
    token: SecretStr | None = Field(None, description="Bearer token; VEILLE_ALERTS__WEBHOOK__TOKEN")
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class AlertmanagerAlertSettings(Section):
    url: str = Field(pattern=r"^https?://", description="Base URL, without /api/v2")
    ttl_seconds: float = Field(
        1800.0, ge=60, description="endsAt of an open alert; refreshed on each analysis run"
    )
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class MqttAlertSettings(Section):
    """MQTT channel: publishes on the collector's broker ([mqtt])."""

    topic_prefix: str = Field("veille/v1/alerts", pattern=r"^[^#+]+$")
    qos: Literal[0, 1] = 1


class AlertsSettings(Section):
    """Alert deliveries: channels, digest, repeat offenders, retry bounds."""

    email: SmtpAlertSettings | None = None
    webhook: WebhookAlertSettings | None = None
    alertmanager: AlertmanagerAlertSettings | None = None
    mqtt: MqttAlertSettings | None = None
    gauge: bool = True
    digest_hour: str = Field("08:00", description="HH:MM in policy.timezone")
    digest_by: Literal["domain", "site"] = "site"
    digest_channels: list[DigestChannel] = Field(default_factory=_email_only)
    repeat_threshold: int = Field(3, ge=2, le=100, description="Windows in a row = repeat offender")
    queue_size: int = Field(1000, ge=1, le=1_000_000)
    max_attempts: int = Field(6, ge=1, le=100)
    max_age_seconds: float = Field(3600.0, gt=0)
    retry_initial_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(300.0, gt=0)
    silent_after_minutes: float = Field(
        15.0, gt=0, description="An always-on device silent this long raises device_silent"
    )
    pue_window_hours: int = Field(
        24, ge=1, le=24 * 31, description="pue_above_limit judges PUE over this trailing window"
    )

    @field_validator("digest_hour")
    @classmethod
    def _time(cls, value: str) -> str:
        _hhmm(value)
        return value

    @property
    def digest_time(self) -> time:
        return _hhmm(self.digest_hour)
