"""The alert end-to-end tests' shared set-up and read-back.

The receivers are real servers on loopback: the session's Alertmanager (``alertmanager``
fixture, tests/conftest.py), a webhook server (``webhook``), aiosmtpd with STARTTLS and AUTH
(``mailbox``) and an MQTT subscriber on the session's Mosquitto (:func:`subscribed`). The
ledger is a migrated SQLite file (``ledger``). :func:`alert_run` starts the dispatcher and the
alert service delivering to the given channels, and :meth:`AlertRun.analyse` runs the real
analysis job the way the scheduler does. :func:`held_alerts` reads Alertmanager back through
API v2, as typed :class:`HeldAlert`.

The fixtures are re-exported by tests/alerts/conftest.py.
"""

from __future__ import annotations

import json
import queue
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from collector.alerts.delivered import DeliveryLog
from collector.alerts.dispatcher import Channel, Dispatcher, RetryPolicy
from collector.alerts.mail import MailChannel
from collector.alerts.service import AlertService
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from tests.alerts.http_sink import Sink, http_sink
from tests.alerts.smtp_server import PASSWORD, USER, Mailbox, smtp_server

RETRY = RetryPolicy(max_attempts=3, initial_seconds=0.05)  # quick retries, a few of them
DRAIN_SECONDS = 15.0


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A migrated SQLite ledger of the test's own."""
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    led.migrate()
    yield led
    led.close()


@pytest.fixture
def webhook() -> Iterator[Sink]:
    """A webhook server on loopback recording the calls it receives (``.url``)."""
    with http_sink() as sink:
        yield sink


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    """aiosmtpd on loopback: STARTTLS, then AUTH as ``USER``, required."""
    with smtp_server(tmp_path) as box:
        yield box


def mail_channel(box: Mailbox) -> MailChannel:
    """The e-mail channel to ``box``, over STARTTLS with its certificate, logged in."""
    return MailChannel(
        host=box.host,
        port=box.port,
        sender="veille@mairie.example",
        to=["infra@mairie.example"],
        username=USER,
        password=SecretStr(PASSWORD),
        ca_file=box.ca_file,
    )


@contextmanager
def subscribed(
    port: int, topic_filter: str, client_id: str
) -> Iterator[queue.Queue[tuple[str, Any]]]:
    """(topic, decoded JSON payload) of every message on ``topic_filter`` (QoS 1) from a real
    broker on 127.0.0.1:``port``; yields once the subscription is acknowledged."""
    got: queue.Queue[tuple[str, Any]] = queue.Queue()
    ready = queue.Queue[int]()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.on_message = lambda _c, _u, m: got.put((m.topic, json.loads(m.payload)))
    client.on_subscribe = lambda *_a: ready.put(1)
    client.on_connect = lambda c, *_a: c.subscribe(topic_filter, qos=1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        ready.get(timeout=10)
        yield got
    finally:
        client.disconnect()
        client.loop_stop()


@dataclass(frozen=True)
class HeldAlert:
    """One alert as Alertmanager's API v2 returns it (``GET /api/v2/alerts``)."""

    labels: dict[str, str]
    annotations: dict[str, str]
    state: str  # status.state: "active", "suppressed" or "unprocessed"

    @classmethod
    def from_api(cls, raw: Any) -> HeldAlert:
        return cls(dict(raw["labels"]), dict(raw.get("annotations", {})), raw["status"]["state"])


def held_alerts(url: str, **labels: str) -> list[HeldAlert]:
    """Alertmanager's alerts (active ones: those whose endsAt is past are left out by the API)
    carrying every given label value; the Alertmanager is shared by the session's tests."""
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=10) as resp:
        body: list[Any] = json.load(resp)
    held = [HeldAlert.from_api(a) for a in body]
    return [a for a in held if all(a.labels.get(k) == v for k, v in labels.items())]


@dataclass
class AlertRun:
    """The alert service of a test, started, with the dispatcher delivering to its channels."""

    cfg: CollectorConfig
    ledger: Ledger
    inventory: Inventory
    service: AlertService

    @property
    def dispatcher(self) -> Dispatcher:
        return self.service.dispatcher

    def drain(self) -> None:
        """Wait until everything queued is delivered (or given up on)."""
        assert self.dispatcher.drain(DRAIN_SECONDS)

    def analyse(self, now: datetime, *, config: bool = True) -> None:
        """The analysis job at ``now`` over the configured look-back, its changes handed to the
        alert service (the configuration violations' too unless ``config`` is False), then
        delivered."""
        start = now - timedelta(hours=self.cfg.analysis.lookback_hours)
        job = recompute(self.ledger, self.inventory, self.cfg, start=start, end=now, now=now)
        self.service.on_analysis(job.events, now, job.config_events if config else ())
        self.drain()


@contextmanager
def alert_run(
    cfg: CollectorConfig,
    ledger: Ledger,
    inventory: Inventory,
    channels: Sequence[Channel],
    registry: CollectorRegistry | None = None,
) -> Iterator[AlertRun]:
    """The dispatcher (deliveries logged in ``ledger``, :data:`RETRY`) and the alert service,
    started; stopped on leaving."""
    dispatcher = Dispatcher(
        channels,
        registry=CollectorRegistry() if registry is None else registry,
        delivery_log=DeliveryLog(ledger.engine),
        retry=RETRY,
    )
    service = AlertService(cfg, ledger, inventory, dispatcher)
    service.start()
    try:
        yield AlertRun(cfg, ledger, inventory, service)
    finally:
        service.stop()
