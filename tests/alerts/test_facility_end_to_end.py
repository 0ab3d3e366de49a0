"""End to end: PUE above its limit and a silent always-on device, from samples in a real
ledger through the real analysis job and the alert service, to a real Alertmanager and a
webhook; each is resolved once the datacentre is back under its limit or the device reports
again. Nothing is sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.dispatcher import Channel
from collector.alerts.webhook import WebhookChannel
from collector.config import AnalysisSettings, CollectorConfig
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.model import Sample
from contract.schema import Quality
from loopback.servers import _Alertmanager
from tests.alerts.end_to_end import HeldAlert, alert_run, held_alerts
from tests.alerts.http_sink import Sink

pytestmark = pytest.mark.integration

BASE = datetime(2026, 11, 16, tzinfo=UTC)


def _power(device_id: str, start: datetime, end: datetime, watts: float) -> list[Sample]:
    out, ts = [], start
    while ts < end:
        out.append(Sample(device_id, ts, "power_watts", watts, "snmp", Quality.MEASURED))
        ts += timedelta(minutes=1)
    return out


def _am(url: str, alertname: str) -> list[HeldAlert]:
    """This module's alerts (other tests share the Alertmanager)."""
    return [
        a
        for a in held_alerts(url, alertname=alertname)
        if a.labels.get("alert_key", "").startswith(("pue:dc-a:2026-11", "silent:srv-1:"))
    ]


def _channels(am: _Alertmanager, hook: Sink) -> list[Channel]:
    return [AlertmanagerChannel(am.url), WebhookChannel(hook.url)]


def _kinds(hook: Sink) -> list[list[str]]:
    return [[e["kind"] for e in r.body["events"]] for r in hook.received]


def test_pue_above_its_limit_then_back_under(
    ledger: Ledger, alertmanager: _Alertmanager, webhook: Sink
) -> None:
    cfg = CollectorConfig(analysis=AnalysisSettings(pue_limits={"dc-a": 1.5}))
    inv = Inventory(
        [
            Device(id="dc-meter", kind="facility_meter", datacentre="dc-a", site="beaulieu"),
            Device(id="pdu-1", kind="pdu", datacentre="dc-a", site="beaulieu"),
        ]
    )
    # 30 h at PUE 1.6 (1600 W / 1000 W), then 1.3 (cooling fixed)
    turn, stop = BASE + timedelta(hours=30), BASE + timedelta(hours=72)
    ledger.write_samples(_power("pdu-1", BASE, stop, 1000.0))
    ledger.write_samples(_power("dc-meter", BASE, turn, 1600.0))
    ledger.write_samples(_power("dc-meter", turn, stop, 1300.0))
    with alert_run(cfg, ledger, inv, _channels(alertmanager, webhook)) as run:

        def analyse(hours: float) -> None:
            now = BASE + timedelta(hours=hours)
            job = recompute(ledger, inv, cfg, start=BASE, end=now, now=now)
            run.service.on_analysis(job.events, now)
            run.drain()

        analyse(30)
        analyse(30.5)  # still above: nothing new
        [opened] = webhook.wait_for(1)
        [event] = opened.body["events"]
        assert event["kind"] == "pue_above_limit"
        # the first window with half its 24 h matched: 12:00, at PUE 1.6
        assert event["key"] == "pue:dc-a:2026-11-16T12:00:00+00:00"
        assert event["datacentre"] == "dc-a" and event["site"] == "beaulieu"
        assert event["summary"] == "dc-a: PUE 1.60 > 1.50"
        [alert] = _am(alertmanager.url, "VeillePueAboveLimit")
        assert alert.labels["datacentre"] == "dc-a"
        assert alert.state == "active"

        # The trailing 24 h PUE is 1.6 - 0.3 x/24 after x hours at 1.3: at 1.5 for x = 8.
        analyse(48)
        analyse(48.5)
        assert len(webhook.wait_for(2)) == 2
        [resolved] = webhook.received[1].body["events"]
        assert resolved["kind"] == "pue_above_limit" and resolved["key"] == event["key"]
        assert resolved["ends_at"] == "2026-11-17T14:00:00+00:00"
        assert _am(alertmanager.url, "VeillePueAboveLimit") == []
    assert _kinds(webhook) == [["pue_above_limit"], ["pue_above_limit"]]


def test_a_silent_server_then_reporting_again(
    ledger: Ledger, alertmanager: _Alertmanager, webhook: Sink
) -> None:
    cfg = CollectorConfig()  # silent after 15 min by default
    inv = Inventory(
        [
            Device(id="srv-1", kind="server", site="hotel-de-ville"),
            Device(id="pc-1", kind="desktop", site="hotel-de-ville"),  # may sleep: never silent
        ]
    )
    ledger.write_samples(_power("srv-1", BASE, BASE + timedelta(hours=10), 200.0))
    ledger.write_samples(_power("pc-1", BASE, BASE + timedelta(hours=1), 60.0))
    with alert_run(cfg, ledger, inv, _channels(alertmanager, webhook)) as run:

        def analyse(now: datetime) -> None:
            run.service.on_analysis([], now)
            run.drain()

        analyse(BASE + timedelta(hours=10, minutes=10))  # 11 min: not yet
        analyse(BASE + timedelta(hours=10, minutes=20))
        analyse(BASE + timedelta(hours=10, minutes=25))
        [opened] = webhook.wait_for(1)
        [event] = opened.body["events"]
        assert event["kind"] == "device_silent" and event["device_id"] == "srv-1"
        assert event["key"] == "silent:srv-1:2026-11-16T09:59:00+00:00"
        assert event["starts_at"] == "2026-11-16T10:14:00+00:00"
        [alert] = _am(alertmanager.url, "VeilleDeviceSilent")
        assert alert.labels["device_id"] == "srv-1"

        ledger.write_samples(
            _power("srv-1", BASE + timedelta(hours=11), BASE + timedelta(hours=12), 200.0)
        )
        analyse(BASE + timedelta(hours=12))
        analyse(BASE + timedelta(hours=12, minutes=5))
        assert len(webhook.wait_for(2)) == 2
        [resolved] = webhook.received[1].body["events"]
        assert resolved["key"] == event["key"]
        assert resolved["ends_at"] == "2026-11-16T11:00:00+00:00"
        assert _am(alertmanager.url, "VeilleDeviceSilent") == []
    assert _kinds(webhook) == [["device_silent"], ["device_silent"]]
