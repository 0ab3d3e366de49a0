"""End to end: a PC reports its sleep set to never (real ledger, real analysis job); the
configuration violation is opened once, stored with its events, and reaches Alertmanager, a
webhook, Mosquitto, the gauge and, through the morning digest, an SMTP server. Once the agent
reports the setting fixed, the resolution reaches each of them. Nothing is sent twice."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.delivered import DeliveryLog
from collector.alerts.dispatcher import Channel, Dispatcher, RetryPolicy
from collector.alerts.gauge import ViolationGauge
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
from tests.alerts.end_to_end import alert_run, held_alerts, mail_channel, subscribed
from tests.alerts.http_sink import Sink, http_sink
from tests.alerts.smtp_server import Mailbox

pytestmark = pytest.mark.integration

TUESDAY = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)  # 10:00 in Paris


@pytest.fixture
def subscriber(mosquitto: Server) -> Iterator[queue.Queue[tuple[str, Any]]]:
    with subscribed(mosquitto.port, "test/config-alerts/#", "config-alerts-sub") as got:
        yield got


def _report(seq: int, at: datetime, sleep_ac_seconds: int) -> Accepted:
    state = StateBlock(
        power_state=PowerState.ACTIVE,
        idle_seconds=0.0,
        sleep_settings=SleepSettings(sleep_ac_seconds=sleep_ac_seconds, screensaver_enabled=False),
        sleep_states=SleepStates(available=["s3", "hibernate"]),
    )
    msg = Telemetry(device_id="pc-7", seq=seq, sent_at=at, kind="desktop", state=state)
    return Accepted(msg, "mairie", at, 0.0)


def test_a_setting_set_to_never_then_fixed_reaches_every_channel(
    ledger: Ledger,
    alertmanager: _Alertmanager,
    webhook: Sink,
    mailbox: Mailbox,
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
    hook, box = webhook, mailbox
    channels: list[Channel] = [
        AlertmanagerChannel(alertmanager.url),
        WebhookChannel(hook.url),
        MqttTopicChannel(broker, prefix="test/config-alerts"),
        mail_channel(box),
        gauge,
    ]
    with alert_run(cfg, ledger, inv, channels, registry) as run:
        ledger.store([_report(1, TUESDAY, 0)])  # sleep on AC: never
        found = TUESDAY + timedelta(minutes=5)
        run.analyse(found)
        run.analyse(found + timedelta(minutes=5))  # the same open violation: nothing again
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
        [alert] = held_alerts(alertmanager.url, device_id="pc-7")
        assert alert.labels["alertname"] == "VeilleSleepSettings"
        assert alert.labels["violation"] == key and alert.labels["rule"] == "sleep_timeout"
        assert gauge.open_devices() == [
            ("pc-7", "Environnement utilisateur", "mediatheque", "workstations")
        ]
        assert box.messages == []  # not urgent: it waits for the morning digest

        morning = TUESDAY + timedelta(days=1, hours=-2)  # Wednesday 08:00 in Paris
        run.service.morning_digest(morning)
        run.service.morning_digest(morning)  # fired twice: one e-mail
        run.drain()
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
        run.analyse(fixed + timedelta(minutes=5))
        run.analyse(fixed + timedelta(minutes=10))
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
        assert held_alerts(alertmanager.url, device_id="pc-7") == []
        assert gauge.open_devices() == []
        notice = box.wait_for(2)[1]
        assert notice["Subject"] == "[veille] Réglages de veille corrigés : pc-7"
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
