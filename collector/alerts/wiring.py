"""Build the alert channels and the dispatcher from ``[alerts]`` (and ``[mqtt]``, ``[policy]``).

The only place that knows which channel classes exist: ``CHANNELS`` maps a config key to its
builder, Telegraf's explicit registry rather than a folder scan.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.delivered import DeliveryLog
from collector.alerts.dispatcher import Channel, Dispatcher, RetryPolicy
from collector.alerts.gauge import ViolationGauge
from collector.alerts.mail import MailChannel
from collector.alerts.mqtt_topic import MqttTopicChannel
from collector.alerts.webhook import WebhookChannel
from collector.config import CollectorConfig


def _email(cfg: CollectorConfig) -> Channel | None:
    s = cfg.alerts.email
    if s is None:
        return None
    return MailChannel(
        host=s.host,
        port=s.port,
        sender=s.sender,
        to=s.to,
        lang=s.lang,
        timezone=cfg.policy.timezone,
        starttls=s.starttls,
        username=s.username,
        password=s.password,
        ca_file=s.ca_file,
        timeout_seconds=s.timeout_seconds,
    )


def _webhook(cfg: CollectorConfig) -> Channel | None:
    s = cfg.alerts.webhook
    if s is None:
        return None
    return WebhookChannel(s.url, token=s.token, timeout_seconds=s.timeout_seconds)


def _alertmanager(cfg: CollectorConfig) -> Channel | None:
    s = cfg.alerts.alertmanager
    if s is None:
        return None
    return AlertmanagerChannel(s.url, ttl_seconds=s.ttl_seconds, timeout_seconds=s.timeout_seconds)


def _mqtt(cfg: CollectorConfig) -> Channel | None:
    s = cfg.alerts.mqtt
    if s is None:
        return None
    return MqttTopicChannel(cfg.mqtt, prefix=s.topic_prefix, qos=s.qos)


CHANNELS: dict[str, Callable[[CollectorConfig], Channel | None]] = {
    "email": _email,
    "webhook": _webhook,
    "alertmanager": _alertmanager,
    "mqtt": _mqtt,
}


def build_dispatcher(
    cfg: CollectorConfig, registry: CollectorRegistry, engine: Engine | None
) -> Dispatcher:
    """The dispatcher for every configured channel; deliveries recorded in ``engine``'s ledger."""
    channels = [c for build in CHANNELS.values() if (c := build(cfg)) is not None]
    if cfg.alerts.gauge:
        channels.append(ViolationGauge(registry))
    a = cfg.alerts
    return Dispatcher(
        channels,
        registry=registry,
        delivery_log=DeliveryLog(engine) if engine is not None else None,
        retry=RetryPolicy(
            max_attempts=a.max_attempts,
            max_age_seconds=a.max_age_seconds,
            initial_seconds=a.retry_initial_seconds,
            max_wait_seconds=a.retry_max_seconds,
        ),
        queue_size=a.queue_size,
        digest_channels=a.digest_channels,
    )
