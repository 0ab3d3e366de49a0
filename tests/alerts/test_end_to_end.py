"""End to end: a device breaks the sleep policy (real ledger, real analysis job), the alerts
reach a webhook, Alertmanager, the gauge and, through the morning digest, an SMTP server; once
the device sleeps, the resolution reaches each of them. Nothing is sent twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.delivered import DeliveryLog
from collector.alerts.digest import run_digest
from collector.alerts.dispatcher import Channel, Dispatcher, RetryPolicy
from collector.alerts.gauge import ViolationGauge
from collector.alerts.service import AlertService
from collector.alerts.webhook import WebhookChannel
from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from loopback.servers import _Alertmanager
from tests.alerts.end_to_end import alert_run, held_alerts, mail_channel
from tests.alerts.http_sink import Sink, http_sink
from tests.alerts.smtp_server import Mailbox
from tests.collector.test_lifecycle import MONDAY, NIGHT, Device1

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")


def test_violator_then_compliance_reaches_every_channel(
    ledger: Ledger, alertmanager: _Alertmanager, webhook: Sink, mailbox: Mailbox
) -> None:
    cfg = CollectorConfig()
    inv = Inventory(
        [Device(id="pc-1", kind="desktop", policy_group="workstations", site="hotel-de-ville")]
    )
    registry = CollectorRegistry()
    gauge = ViolationGauge(registry)
    pc = Device1()
    hook, box = webhook, mailbox
    channels: list[Channel] = [
        AlertmanagerChannel(alertmanager.url),
        WebhookChannel(hook.url),
        mail_channel(box),
        gauge,
    ]
    with alert_run(cfg, ledger, inv, channels, registry) as run:

        def analyse(hours_after_monday: float) -> None:
            run.analyse(MONDAY + timedelta(hours=hours_after_monday), config=False)

        # Monday evening awake and idle; Tuesday noon's analysis finds it.
        ledger.store(pc.awake_evening(MONDAY))
        analyse(18)
        analyse(18.5)  # nothing new: nothing sent again
        [opened] = hook.wait_for(1)
        assert [e["kind"] for e in opened.body["events"]] == ["violation_opened"]
        event = opened.body["events"][0]
        assert event["key"] == "violation:pc-1:2026-11-16T18:30:00+00:00"
        assert event["site"] == "hotel-de-ville" and event["group"] == "workstations"
        assert event["domain"] == "Environnement utilisateur"
        assert event["summary"] == "pc-1: 2026-11-16 19:30 → 2026-11-17 07:30"
        [alert] = held_alerts(alertmanager.url, device_id="pc-1")
        assert alert.labels["violation"] == event["key"]
        assert gauge.open_devices() == [
            ("pc-1", "Environnement utilisateur", "hotel-de-ville", "workstations")
        ]
        assert box.messages == []  # a first offence waits for the digest

        # Wednesday 08:00 in Paris: the digest of the open violations
        morning = MONDAY + timedelta(hours=37)
        for _ in range(2):  # the job fired twice (a restart): one e-mail
            run_digest(
                run.dispatcher,
                lambda: run.service.open_alerts(morning),
                by="site",
                tz=PARIS,
                now=morning,
            )
            run.drain()
        [digest] = box.wait_for(1)
        assert digest["Subject"] == (
            "[veille] 1 poste(s) hors politique de veille – site hotel-de-ville – 2026-11-18"
        )

        # It slept on Tuesday night: Wednesday noon's analysis resolves Monday's violation.
        ledger.store(pc.sleeps(MONDAY + NIGHT))
        analyse(18 + 24)
        analyse(18.5 + 24)
        assert len(hook.wait_for(2)) == 2
        assert [e["kind"] for e in hook.received[1].body["events"]] == ["violation_resolved"]
        assert hook.received[1].body["events"][0]["ends_at"] == "2026-11-18T06:30:00+00:00"
        assert held_alerts(alertmanager.url, device_id="pc-1") == []
        assert gauge.open_devices() == []
        notice = box.wait_for(2)[1]
        assert notice["Subject"] == "[veille] Conforme à nouveau : pc-1"
    assert len(hook.received) == 2 and len(box.messages) == 2
    assert registry.get_sample_value("veille_alert_deliveries_total", {"channel": "email"}) == 2


def test_events_queued_at_shutdown_go_out_after_the_restart(ledger: Ledger) -> None:
    cfg = CollectorConfig()
    inv = Inventory([Device(id="pc-1", kind="desktop", policy_group="workstations")])
    ledger.store(Device1().awake_evening(MONDAY))
    now = MONDAY + timedelta(hours=18)
    job = recompute(ledger, inv, cfg, start=now - timedelta(hours=48), end=now, now=now)
    assert len(job.events) == 1
    with http_sink() as hook:
        retry = RetryPolicy(max_attempts=2, initial_seconds=0.05)

        def service() -> AlertService:
            d = Dispatcher(
                [WebhookChannel(hook.url)],
                registry=CollectorRegistry(),
                delivery_log=DeliveryLog(ledger.engine),
                retry=retry,
            )
            return AlertService(cfg, ledger, inv, d)

        first = service()  # never started: its queue is lost at "shutdown"
        first.on_analysis(job.events, now)
        first.stop()
        assert hook.received == []

        second = service()
        second.start()
        try:
            second.on_analysis([], now + timedelta(minutes=5))  # first run: replays the period
            assert second.dispatcher.drain(10)
            second.on_analysis([], now + timedelta(minutes=10))
            assert second.dispatcher.drain(10)
        finally:
            second.stop()
        third = service()
        third.start()
        try:
            third.on_analysis([], now + timedelta(minutes=15))  # replays, all delivered already
            assert third.dispatcher.drain(10)
        finally:
            third.stop()
    assert [[e["kind"] for e in r.body["events"]] for r in hook.received] == [["violation_opened"]]


def test_a_ledger_error_skips_the_alerts_and_the_next_run_catches_up(
    ledger: Ledger, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = CollectorConfig()
    inv = Inventory([Device(id="pc-1", kind="desktop", policy_group="workstations")])
    ledger.store(Device1().awake_evening(MONDAY))
    now = MONDAY + timedelta(hours=18)
    job = recompute(ledger, inv, cfg, start=now - timedelta(hours=48), end=now, now=now)
    with http_sink() as hook:
        d = Dispatcher(
            [WebhookChannel(hook.url)],
            registry=CollectorRegistry(),
            delivery_log=DeliveryLog(ledger.engine),
        )
        broken = Ledger(f"sqlite:///{tmp_path / 'not-migrated.sqlite'}")
        service = AlertService(cfg, broken, inv, d)
        d.start()
        try:
            assert service.on_analysis(job.events, now) == []
            assert "alerts: cannot read the violations: OperationalError" in caplog.text
            service.ledger = ledger  # the database is back
            sent = service.on_analysis([], now + timedelta(minutes=5))
            assert [e.kind for e in sent] == ["violation_opened"]
            hook.wait_for(1)
        finally:
            d.stop()
            broken.close()
