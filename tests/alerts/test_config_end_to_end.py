"""End to end: a PC reports its sleep set to never (real ledger, real analysis job); the
configuration violation is opened once, stored with its events, and reaches Alertmanager, a
webhook, Mosquitto, the gauge and, through the morning digest, an SMTP server. Once the agent
reports the setting fixed, the resolution reaches each of them. Nothing is sent twice."""

from __future__ import annotations

import json
import queue
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.delivered import DeliveryLog
from collector.alerts.dispatcher import Channel, Dispatcher, RetryPolicy
from collector.alerts.gauge import ViolationGauge
from collector.alerts.mail import MailChannel
from collector.alerts.mqtt_topic import MqttTopicChannel
from collector.alerts.service import AlertService
from collector.alerts.webhook import WebhookChannel
from collector.config import CollectorConfig, MqttSettings
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.ledger.config_violations import config_violation_events, config_violations
from collector.ledger.store import Accepted
from collector.model import ViolationState
from contract.schema import PowerState, SleepSettings, SleepStates, StateBlock, Telemetry
from loopback.servers import Server, _Alertmanager
from tests.alerts.http_sink import http_sink
from tests.alerts.smtp_server import PASSWORD, USER, smtp_server

pytestmark = pytest.mark.integration

TUESDAY = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)  # 10:00 in Paris


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    led.migrate()
    yield led
    led.close()


@pytest.fixture
def subscriber(mosquitto: Server) -> Iterator[queue.Queue[tuple[str, Any]]]:
    got: queue.Queue[tuple[str, Any]] = queue.Queue()
    ready = queue.Queue[int]()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="config-alerts-sub")
    client.on_message = lambda _c, _u, m: got.put((m.topic, json.loads(m.payload)))
    client.on_subscribe = lambda *_a: ready.put(1)
    client.on_connect = lambda c, *_a: c.subscribe("test/config-alerts/#", qos=1)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    ready.get(timeout=10)
    yield got
    client.disconnect()
    client.loop_stop()


def _report(seq: int, at: datetime, sleep_ac_seconds: int) -> Accepted:
    state = StateBlock(
        power_state=PowerState.ACTIVE,
        idle_seconds=0.0,
        sleep_settings=SleepSettings(sleep_ac_seconds=sleep_ac_seconds, screensaver_enabled=False),
        sleep_states=SleepStates(available=["s3", "hibernate"]),
    )
    msg = Telemetry(device_id="pc-7", seq=seq, sent_at=at, kind="desktop", state=state)
    return Accepted(msg, "mairie", at, 0.0)


def _am_alerts(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=10) as resp:
        body: list[dict[str, Any]] = json.load(resp)
    return [a for a in body if a["labels"].get("device_id") == "pc-7"]


def test_a_setting_set_to_never_then_fixed_reaches_every_channel(
    ledger: Ledger,
    tmp_path: Path,
    alertmanager: _Alertmanager,
    mosquitto: Server,
    subscriber: queue.Queue[tuple[str, Any]],
) -> None:
    cfg = CollectorConfig()
    inv = Inventory(
        [Device(id="pc-7", kind="desktop", policy_group="workstations", site="mediatheque")]
    )
    registry = CollectorRegistry()
    gauge = ViolationGauge(registry)
    broker = MqttSettings(embedded=False, port=mosquitto.port, client_id="veille-config-test")
    with smtp_server(tmp_path) as box, http_sink() as hook:
        mail = MailChannel(
            host=box.host,
            port=box.port,
            sender="veille@mairie.example",
            to=["infra@mairie.example"],
            username=USER,
            password=SecretStr(PASSWORD),
            ca_file=box.ca_file,
        )
        channels: list[Channel] = [
            AlertmanagerChannel(alertmanager.url),
            WebhookChannel(hook.url),
            MqttTopicChannel(broker, prefix="test/config-alerts"),
            mail,
            gauge,
        ]
        dispatcher = Dispatcher(
            channels,
            registry=registry,
            delivery_log=DeliveryLog(ledger.engine),
            retry=RetryPolicy(max_attempts=3, initial_seconds=0.05),
        )
        service = AlertService(cfg, ledger, inv, dispatcher)
        service.start()
        try:

            def analyse(now: datetime) -> None:
                start = now - timedelta(hours=cfg.analysis.lookback_hours)
                job = recompute(ledger, inv, cfg, start=start, end=now, now=now)
                service.on_analysis(job.events, now, job.config_events)
                assert dispatcher.drain(15)

            ledger.store([_report(1, TUESDAY, 0)])  # sleep on AC: never
            found = TUESDAY + timedelta(minutes=5)
            analyse(found)
            analyse(found + timedelta(minutes=5))  # the same open violation: nothing again
            [opened] = hook.wait_for(1)
            [event] = opened.body["events"]
            key = f"config:pc-7:sleep_timeout:{found.isoformat()}"
            assert (event["kind"], event["key"], event["state"]) == (
                "config_violation_opened",
                key,
                "open",
            )
            assert event["labels"] == {"rule": "sleep_timeout"}
            assert event["description"] == "sleep on AC set to never (maximum 30 min)"
            assert (event["site"], event["group"]) == ("mediatheque", "workstations")
            topic, payload = subscriber.get(timeout=10)
            assert topic == "test/config-alerts/config_violation_opened"
            assert payload["key"] == key
            [alert] = _am_alerts(alertmanager.url)
            assert alert["labels"]["alertname"] == "VeilleSleepSettings"
            assert (
                alert["labels"]["violation"] == key and alert["labels"]["rule"] == "sleep_timeout"
            )
            assert gauge.open_devices() == [
                ("pc-7", "Environnement utilisateur", "mediatheque", "workstations")
            ]
            assert box.messages == []  # not urgent: it waits for the morning digest

            morning = TUESDAY + timedelta(days=1, hours=-2)  # Wednesday 08:00 in Paris
            service.morning_digest(morning)
            service.morning_digest(morning)  # fired twice: one e-mail
            assert dispatcher.drain(15)
            [digest] = box.wait_for(1)
            assert digest["Subject"] == (
                "[veille] 1 poste(s) hors politique de veille – site mediatheque – 2026-11-18"
            )
            body = digest.get_body(("plain",))
            assert body is not None
            assert "sleep on AC set to never (maximum 30 min)" in body.get_content()

            # The agent reports the timeout set to 20 min: resolved in each channel.
            fixed = TUESDAY + timedelta(days=1, hours=1)
            ledger.store([_report(2, fixed, 20 * 60)])
            analyse(fixed + timedelta(minutes=5))
            analyse(fixed + timedelta(minutes=10))
            assert len(hook.wait_for(2)) == 2
            [done] = hook.received[1].body["events"]
            assert (done["kind"], done["key"], done["state"]) == (
                "config_violation_resolved",
                key,
                "resolved",
            )
            assert done["ends_at"] == (fixed + timedelta(minutes=5)).isoformat()
            assert done["description"] == "sleep on AC after 20 min (maximum 30 min)"
            topic, payload = subscriber.get(timeout=10)
            assert (topic, payload["key"]) == ("test/config-alerts/config_violation_resolved", key)
            assert _am_alerts(alertmanager.url) == []
            assert gauge.open_devices() == []
            notice = box.wait_for(2)[1]
            assert notice["Subject"] == "[veille] Réglages de veille corrigés : pc-7"
        finally:
            service.stop()
    assert len(hook.received) == 2 and len(box.messages) == 2
    assert subscriber.empty()
    # the ledger keeps the violation and its two changes of state
    [rec] = [r for r in config_violations(ledger.engine, changed_since=TUESDAY)]
    assert (rec.state, rec.opened_at) == (ViolationState.RESOLVED, found)
    changes = config_violation_events(ledger.engine, TUESDAY, TUESDAY + timedelta(days=2))
    assert [(c.state, c.previous) for c in changes] == [
        (ViolationState.OPEN, None),
        (ViolationState.RESOLVED, ViolationState.OPEN),
    ]


def test_config_events_queued_at_shutdown_go_out_after_the_restart(ledger: Ledger) -> None:
    cfg = CollectorConfig()
    inv = Inventory([Device(id="pc-7", kind="desktop", policy_group="workstations")])
    ledger.store([_report(1, TUESDAY, 4 * 3600)])
    now = TUESDAY + timedelta(minutes=5)
    job = recompute(ledger, inv, cfg, start=now - timedelta(hours=48), end=now, now=now)
    assert [e.rule for e in job.config_events] == ["sleep_timeout"]
    with http_sink() as hook:

        def service() -> AlertService:
            d = Dispatcher(
                [WebhookChannel(hook.url)],
                registry=CollectorRegistry(),
                delivery_log=DeliveryLog(ledger.engine),
                retry=RetryPolicy(max_attempts=2, initial_seconds=0.05),
            )
            return AlertService(cfg, ledger, inv, d)

        first = service()  # never started: its queue is lost at "shutdown"
        first.on_analysis(job.events, now, job.config_events)
        first.stop()
        for minutes in (10, 15):  # two restarts: each replays the period, one delivery
            again = service()
            again.start()
            try:
                again.on_analysis([], now + timedelta(minutes=minutes))
                assert again.dispatcher.drain(10)
            finally:
                again.stop()
    kinds = [[e["kind"] for e in r.body["events"]] for r in hook.received]
    assert kinds == [["config_violation_opened"]]
    assert hook.received[0].body["events"][0]["description"] == (
        "sleep on AC after 4 h, longer than the maximum 30 min"
    )


def test_an_exempt_device_is_not_alerted_and_an_exemption_ends_the_open_one(
    ledger: Ledger,
) -> None:
    from collector.model import ExemptionRecord

    cfg = CollectorConfig()
    inv = Inventory([Device(id="pc-7", kind="desktop", policy_group="workstations")])
    ledger.store([_report(1, TUESDAY, 0)])
    now = TUESDAY + timedelta(minutes=5)
    job = recompute(ledger, inv, cfg, start=now - timedelta(hours=48), end=now, now=now)
    assert [e.state for e in job.config_events] == [ViolationState.OPEN]
    ledger.add_exemption(
        ExemptionRecord("pc-7", False, (now + timedelta(days=30)).date(), "kiosk", "alice", now)
    )
    later = now + timedelta(minutes=5)
    job = recompute(ledger, inv, cfg, start=later - timedelta(hours=48), end=later, now=later)
    [change] = job.config_events
    assert (change.state, change.previous) == (ViolationState.EXEMPTED, ViolationState.OPEN)
    assert "kiosk" in change.detail
    assert config_violations(ledger.engine) == []  # nothing open any more
