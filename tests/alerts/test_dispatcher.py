"""The dispatcher against real servers: retries with backoff, bounds, counts on /metrics,
never blocks the caller or the other channels, never sends the same thing twice (across a
restart too, through the ledger's ``alert_deliveries``), and never logs a secret."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.delivered import DeliveryLog
from collector.alerts.dispatcher import Channel, Dispatcher, RetryPolicy
from collector.alerts.events import Batch
from collector.alerts.gauge import ViolationGauge
from collector.alerts.mail import MailChannel
from collector.alerts.mqtt_topic import MqttTopicChannel
from collector.alerts.webhook import WebhookChannel
from collector.config import MqttSettings
from collector.ledger import Ledger
from loopback import servers
from loopback.servers import _Alertmanager
from tests.alerts.factory import opened, resolved
from tests.alerts.http_sink import Sink, http_sink
from tests.alerts.smtp_server import USER, smtp_server
from tests.alerts.test_alertmanager import alerts

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=3, max_age_seconds=30, initial_seconds=0.05, max_wait_seconds=0.2)
TOKEN = "tok-3f9a-never-log-me"


class Renamed:
    """A webhook under another channel name (two webhooks in one dispatcher)."""

    def __init__(self, name: str, inner: WebhookChannel) -> None:
        self.name, self.stateful, self._inner = name, False, inner

    def send(self, batch: Batch) -> None:
        self._inner.send(batch)


@pytest.fixture
def sinks() -> Iterator[tuple[Sink, Sink]]:
    with http_sink() as a, http_sink() as b:
        yield a, b


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def make(
    channels: list[Channel],
    *,
    log: DeliveryLog | None = None,
    registry: CollectorRegistry | None = None,
    retry: RetryPolicy = FAST,
    **kw: object,
) -> tuple[Dispatcher, CollectorRegistry]:
    registry = registry or CollectorRegistry()
    d = Dispatcher(channels, registry=registry, delivery_log=log, retry=retry, **kw)  # type: ignore[arg-type]
    d.start()
    return d, registry


def test_failing_delivery_is_retried_then_delivered_and_counted(
    sinks: tuple[Sink, Sink],
) -> None:
    sink, _ = sinks
    sink.fail = 2
    d, reg = make([WebhookChannel(sink.url, token=SecretStr(TOKEN))])
    try:
        d.publish([opened("PC-D-01")])
        [got] = sink.wait_for(1)
        assert d.drain(10)
    finally:
        d.stop()
    assert got.body["events"][0]["device_id"] == "PC-D-01"
    assert value(reg, "veille_alert_deliveries_total", channel="webhook") == 1
    assert value(reg, "veille_alert_deliveries_failed_total", channel="webhook") == 2
    assert (
        value(
            reg,
            "veille_alert_deliveries_dropped_total",
            channel="webhook",
            reason="retries_exhausted",
        )
        == 0
    )


def test_bounded_retries_drop_and_count_and_never_log_secrets(
    sinks: tuple[Sink, Sink], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink, _ = sinks
    sink.fail = 100
    password = "Pa55-that-must-not-leak"
    with smtp_server(tmp_path) as box, caplog.at_level(logging.DEBUG):
        mail = MailChannel(
            host=box.host,
            port=box.port,
            sender="veille@mairie.example",
            to=["infra@mairie.example"],
            username=USER,
            password=SecretStr(password),
            ca_file=box.ca_file,
        )
        d, reg = make([WebhookChannel(sink.url, token=SecretStr(TOKEN)), mail])
        try:
            d.publish([opened("PC-D-02", windows_in_row=3)])
            assert d.drain(10)
        finally:
            d.stop()
    assert value(reg, "veille_alert_deliveries_failed_total", channel="webhook") == 3
    assert (
        value(
            reg,
            "veille_alert_deliveries_dropped_total",
            channel="webhook",
            reason="retries_exhausted",
        )
        == 1
    )
    # a refused login is not retried
    assert value(reg, "veille_alert_deliveries_failed_total", channel="email") == 1
    assert (
        value(reg, "veille_alert_deliveries_dropped_total", channel="email", reason="refused") == 1
    )
    assert "webhook: attempt 3 failed" in caplog.text
    assert "authentication refused for user 'veille'" in caplog.text
    assert TOKEN not in caplog.text and password not in caplog.text


def test_slow_channel_blocks_neither_the_caller_nor_the_others(
    sinks: tuple[Sink, Sink], alertmanager: _Alertmanager
) -> None:
    slow, fast = sinks
    slow.delay_seconds = 5
    d, _ = make(
        [
            Renamed("slow", WebhookChannel(slow.url, timeout_seconds=10)),
            WebhookChannel(fast.url),
            AlertmanagerChannel(alertmanager.url),
        ]
    )
    try:
        t0 = time.monotonic()
        d.publish([opened("PC-D-03")])
        assert time.monotonic() - t0 < 0.5
        fast.wait_for(1, timeout=4)
        # the channels deliver independently: the Alertmanager may come a moment after
        while not alerts(alertmanager.url, "PC-D-03") and time.monotonic() - t0 < 4.5:
            time.sleep(0.05)
        assert len(alerts(alertmanager.url, "PC-D-03")) == 1
        assert time.monotonic() - t0 < 4.5  # both arrived while "slow" was still busy
        assert slow.received == []
        slow.wait_for(1, timeout=10)
    finally:
        d.stop()


def test_full_queue_drops_and_counts(sinks: tuple[Sink, Sink]) -> None:
    slow, _ = sinks
    slow.delay_seconds = 1
    d, reg = make([WebhookChannel(slow.url, timeout_seconds=10)], queue_size=1)
    try:
        for i in range(4):
            d.publish([opened(f"PC-Q-{i}")])
        dropped = value(
            reg, "veille_alert_deliveries_dropped_total", channel="webhook", reason="queue_full"
        )
        assert dropped >= 2  # one in flight, one queued, the rest dropped
        assert d.drain(15)
    finally:
        d.stop()
    delivered = value(reg, "veille_alert_deliveries_total", channel="webhook")
    assert delivered + dropped == 4
    assert len(slow.received) == delivered


def test_same_event_is_never_sent_twice_even_across_a_restart(
    sinks: tuple[Sink, Sink], tmp_path: Path
) -> None:
    sink, _ = sinks
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.migrate()
    event = opened("PC-D-04")
    d, _ = make([WebhookChannel(sink.url)], log=DeliveryLog(ledger.engine))
    try:
        d.publish([event, event])
        d.publish([event])  # still queued or in flight: not queued again
        assert d.drain(10)
        d.publish([event])  # delivered: recorded, not sent again
        assert d.drain(10)
    finally:
        d.stop()
    assert len(sink.received) == 1 and len(sink.received[0].body["events"]) == 1

    # restart: a new dispatcher on the same ledger
    d, _ = make([WebhookChannel(sink.url)], log=DeliveryLog(ledger.engine))
    try:
        d.publish([event, resolved(event)])
        assert d.drain(10)
    finally:
        d.stop()
    assert len(sink.received) == 2
    assert [e["state"] for e in sink.received[1].body["events"]] == ["resolved"]
    assert ledger.count("alert_deliveries") == 2
    ledger.close()


def test_digest_channels_get_opened_violations_only_in_the_digest(
    sinks: tuple[Sink, Sink],
) -> None:
    digest_hook, live_hook = sinks
    d, _ = make(
        [Renamed("digesthook", WebhookChannel(digest_hook.url)), WebhookChannel(live_hook.url)],
        digest_channels=["digesthook"],
    )
    try:
        d.publish([opened("PC-R-01"), opened("PC-R-02", windows_in_row=3)])
        assert d.drain(10)
    finally:
        d.stop()
    [live] = live_hook.received
    assert [e["device_id"] for e in live.body["events"]] == ["PC-R-01", "PC-R-02"]
    [held] = digest_hook.received
    assert [e["device_id"] for e in held.body["events"]] == ["PC-R-02"]  # the repeat offender


def test_refresh_reasserts_state_on_stateful_channels_only(sinks: tuple[Sink, Sink]) -> None:
    sink, _ = sinks
    registry = CollectorRegistry()
    gauge = ViolationGauge(registry)
    d, _ = make([gauge, WebhookChannel(sink.url)], registry=registry)
    try:
        d.refresh([opened("PC-F-01")])
        d.refresh([opened("PC-F-01")])
        assert d.drain(10)
    finally:
        d.stop()
    assert sink.received == []
    assert gauge.open_devices()[0][0] == "PC-F-01"


def test_a_channel_bug_is_counted_and_the_worker_survives(sinks: tuple[Sink, Sink]) -> None:
    sink, _ = sinks

    class Broken:
        name, stateful = "broken", False

        def send(self, batch: Batch) -> None:
            raise KeyError("boom")

    d, reg = make([Broken(), WebhookChannel(sink.url)])
    try:
        d.publish([opened("PC-B-01")])
        d.publish([opened("PC-B-02")])
        assert d.drain(10)
    finally:
        d.stop()
    assert (
        value(
            reg, "veille_alert_deliveries_dropped_total", channel="broken", reason="channel_error"
        )
        == 2
    )
    assert len(sink.received) == 2


def test_duplicate_channel_names_are_refused() -> None:
    hook = WebhookChannel("http://127.0.0.1:9/x")
    with pytest.raises(ValueError, match="channel names must be unique"):
        Dispatcher([hook, hook], registry=CollectorRegistry())


def test_mqtt_broker_outage_is_ridden_out_by_retries(tmp_path: Path) -> None:
    broker = servers.mosquitto(tmp_path / "mosquitto")
    got: queue.Queue[str] = queue.Queue()
    subscribed: queue.Queue[int] = queue.Queue()
    # a persistent subscriber: the broker keeps its messages while it is away
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="outage-sub", clean_session=False)
    sub.on_message = lambda _c, _u, m: got.put(m.topic)
    sub.on_subscribe = lambda *_a: subscribed.put(1)
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    sub.subscribe("outage/alerts/#", qos=1)
    subscribed.get(timeout=10)
    sub.disconnect()
    sub.loop_stop()
    broker.stop()  # down when the event is published

    settings = MqttSettings(embedded=False, port=broker.port, client_id="outage-test")
    retry = RetryPolicy(
        max_attempts=20, max_age_seconds=30, initial_seconds=0.2, max_wait_seconds=0.5
    )
    d, reg = make(
        [MqttTopicChannel(settings, prefix="outage/alerts", timeout_seconds=2)], retry=retry
    )
    try:
        d.publish([opened("PC-OUT-01", windows_in_row=3)])
        time.sleep(1.0)
        assert value(reg, "veille_alert_deliveries_failed_total", channel="mqtt") >= 1
        assert value(reg, "veille_alert_deliveries_total", channel="mqtt") == 0
        broker.start()
        assert d.drain(20)
        assert value(reg, "veille_alert_deliveries_total", channel="mqtt") == 1
        sub.reconnect()
        sub.loop_start()
        assert got.get(timeout=10) == "outage/alerts/violation_repeated"
    finally:
        d.stop()
        sub.disconnect()
        sub.loop_stop()
        broker.stop()
    assert (
        value(
            reg, "veille_alert_deliveries_dropped_total", channel="mqtt", reason="retries_exhausted"
        )
        == 0
    )


def test_batches_older_than_max_age_are_dropped_as_expired(sinks: tuple[Sink, Sink]) -> None:
    slow, _ = sinks
    slow.delay_seconds = 1.5
    retry = RetryPolicy(max_attempts=3, max_age_seconds=1.0, initial_seconds=0.05)
    d, reg = make([WebhookChannel(slow.url, timeout_seconds=10)], retry=retry)
    try:
        d.publish([opened("PC-E-01")])
        time.sleep(0.2)  # the first is in flight
        d.publish([opened("PC-E-02")])  # waits 1.3 s behind it: too old when its turn comes
        assert d.drain(10)
    finally:
        d.stop()
    assert [r.body["events"][0]["device_id"] for r in slow.received] == ["PC-E-01"]
    expired = value(
        reg, "veille_alert_deliveries_dropped_total", channel="webhook", reason="expired"
    )
    assert expired == 1


def test_stop_interrupts_the_backoff(sinks: tuple[Sink, Sink]) -> None:
    sink, _ = sinks
    sink.fail = 100
    retry = RetryPolicy(
        max_attempts=50, max_age_seconds=600, initial_seconds=30, max_wait_seconds=60
    )
    d, reg = make([WebhookChannel(sink.url)], retry=retry)
    d.publish([opened("PC-S-01")])
    time.sleep(0.3)  # first attempt failed, now waiting 30 s
    t0 = time.monotonic()
    d.stop()
    assert time.monotonic() - t0 < 2
    assert not d.workers["webhook"].thread.is_alive()  # type: ignore[union-attr]
    shutdown = value(
        reg, "veille_alert_deliveries_dropped_total", channel="webhook", reason="shutdown"
    )
    assert shutdown == 1


def test_digest_channels_hear_of_a_resolution_only_if_they_were_told(
    sinks: tuple[Sink, Sink], tmp_path: Path
) -> None:
    digest_hook, live_hook = sinks
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.migrate()
    quick, told = opened("PC-T-01"), opened("PC-T-02", windows_in_row=3)
    d, _ = make(
        [Renamed("digesthook", WebhookChannel(digest_hook.url)), WebhookChannel(live_hook.url)],
        log=DeliveryLog(ledger.engine),
        digest_channels=["digesthook"],
    )
    try:
        d.publish([quick, told])
        assert d.drain(10)
        d.publish([resolved(quick), resolved(told)])  # quick was never in a digest
        assert d.drain(10)
    finally:
        d.stop()
        ledger.close()
    got = [[(e["device_id"], e["state"]) for e in r.body["events"]] for r in digest_hook.received]
    assert got == [[("PC-T-02", "repeated")], [("PC-T-02", "resolved")]]
    assert len(live_hook.received) == 2 and len(live_hook.received[1].body["events"]) == 2
