"""The optional PoE night policy end to end: a recorded Microsemi PoE midspan served over real
SNMP (UDP on loopback), polled through the collector's poller at simulated times; its
per-port power goes to the ledger; the analysis finds the access point left powered on
Monday night, alerts Alertmanager and a webhook once, and resolves it after Tuesday night,
when the access point was off. A phone port drawing all night is not an access point."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.dispatcher import Channel
from collector.alerts.webhook import WebhookChannel
from collector.config import CollectorConfig, SnmpTarget
from collector.inventory import Device, Inventory
from collector.ledger import Ledger
from collector.model import Sample
from collector.snmp.client import SnmpClient
from collector.snmp.counters import CounterState
from collector.snmp.device import poll_device
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import load_snmprec
from collector.startup import check_startup
from contract.settings import ConfigError
from loopback.servers import _Alertmanager
from tests.alerts.end_to_end import alert_run, held_alerts
from tests.alerts.http_sink import Sink

pytestmark = pytest.mark.integration

WALK = Path(__file__).parents[1] / "fixtures" / "snmp" / "microsemipdsine.snmprec"
PORT_W = "1.3.6.1.4.1.7428.1.2.1.1.1.3.1.{port}"  # PowerDsine per-port power, W
MAIN_W = "1.3.6.1.2.1.105.1.3.1.1.4.1"  # pethMainPseConsumptionPower, W
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # 13:00 in Paris
STEP = timedelta(minutes=15)
DEVICE = "hdv-poe-01"


def _config(snmp_port: int = 161) -> CollectorConfig:
    return CollectorConfig.model_validate(
        {
            "snmp": {
                "targets": [
                    {"device_id": DEVICE, "host": "127.0.0.1", "port": snmp_port,
                     "community": "microsemipdsine"}
                ]
            },
            "policy": {"poe": {"access_point_ports": {DEVICE: ["port-1.1", "port-1.2"]}}},
        }
    )  # fmt: skip


MONDAY_NIGHT = (datetime(2026, 11, 16, 20, tzinfo=PARIS), datetime(2026, 11, 17, 7, tzinfo=PARIS))


def _watts(port: int, at: datetime) -> int:
    """Ports 1 and 2 feed access points, off from 19:00 to 08:00 (Paris) by schedule, except
    port 1's, on from 20:00 to 07:00 on Monday night; port 3 feeds a phone, on all the time."""
    if port == 3:
        return 4
    local = at.astimezone(PARIS)
    if 8 <= local.hour < 19:
        return 7
    return 7 if port == 1 and MONDAY_NIGHT[0] <= at < MONDAY_NIGHT[1] else 0


def _poll_history(responder: SnmpResponder, target: SnmpTarget, until: datetime) -> list[Sample]:
    async def run() -> list[Sample]:
        client, state = SnmpClient(), CounterState()
        out: list[Sample] = []
        at = MONDAY
        try:
            while at <= until:
                for port in (1, 2, 3):
                    responder.set_value(
                        "microsemipdsine", PORT_W.format(port=port), _watts(port, at)
                    )
                responder.set_value(
                    "microsemipdsine", MAIN_W, sum(_watts(p, at) for p in (1, 2, 3))
                )
                r = await poll_device(target, timeout=1.0, retries=1, state=state, client=client)
                assert r.error is None, r.error
                assert r.profile == "microsemi_poe"  # by its sysObjectID, over RFC 3621 alone
                out += [dataclasses.replace(s, ts=at) for s in r.samples]
                at += STEP
        finally:
            client.close()
        return out

    return asyncio.run(run())


def test_an_access_point_powered_at_night_is_alerted_then_resolved(
    ledger: Ledger, alertmanager: _Alertmanager, webhook: Sink
) -> None:
    responder = SnmpResponder()
    responder.add_dataset("microsemipdsine", load_snmprec(WALK))
    port = responder.start()
    try:
        cfg = _config(port)
        target = cfg.snmp.targets[0]
        samples = _poll_history(responder, target, MONDAY + timedelta(days=2))
    finally:
        responder.stop()
    # the poller: the PSE total, and each port as a breakdown (never added to it)
    first = [s for s in samples if s.ts == MONDAY and s.metric == "power_watts"]
    assert {(s.component, s.value) for s in first} >= {
        (None, 18.0),
        ("port-1.1", 7.0),
        ("port-1.2", 7.0),
        ("port-1.3", 4.0),
    }
    ledger.write_samples(samples)
    inv = Inventory([Device(id=DEVICE, kind="poe_midspan", site="hotel-de-ville")])
    check_startup(cfg, inv)  # the PoE ports name an SNMP target: accepted
    hook = webhook
    channels: list[Channel] = [AlertmanagerChannel(alertmanager.url), WebhookChannel(hook.url)]
    with alert_run(cfg, ledger, inv, channels) as run:
        tuesday = MONDAY + timedelta(days=1)  # Tuesday 13:00 in Paris
        run.analyse(tuesday)
        run.analyse(tuesday + timedelta(minutes=5))  # nothing again
        [call] = hook.wait_for(1)
        assert [e["kind"] for e in call.body["events"]] == ["poe_night_draw"], call.body
        [event] = call.body["events"]
        key = "poe:hdv-poe-01:port-1.1:2026-11-16T18:30:00+00:00"  # 19:30 in Paris
        assert (event["kind"], event["key"], event["state"]) == ("poe_night_draw", key, "open")
        assert event["labels"]["port"] == "port-1.1" and event["site"] == "hotel-de-ville"
        assert event["starts_at"] == "2026-11-16T19:00:00+00:00"  # 20:00 in Paris
        # 20:00 to 06:45, its last sample above: 10 h 45 min
        assert event["description"].startswith(
            "port-1.1 drew up to 7 W (limit 2 W) for 10 h 45 min"
        )
        [alert] = held_alerts(alertmanager.url, device_id=DEVICE)
        assert alert.labels["alertname"] == "VeillePoeNightDraw"
        assert alert.labels["port"] == "port-1.1"

        # Tuesday night the access point was off: Wednesday's run resolves Monday's night.
        run.analyse(MONDAY + timedelta(days=2))
        assert len(hook.wait_for(2)) == 2
        [done] = hook.received[1].body["events"]
        assert (done["key"], done["state"]) == (key, "resolved")
        assert done["ends_at"] == "2026-11-18T06:30:00+00:00"  # Wednesday 07:30 in Paris
        assert held_alerts(alertmanager.url, device_id=DEVICE) == []
    assert len(hook.received) == 2


def test_the_poe_policy_is_off_by_default_and_checked_at_start_up() -> None:
    assert CollectorConfig().policy.poe is None
    inv = Inventory([])
    bad = CollectorConfig.model_validate(
        {"policy": {"poe": {"access_point_ports": {"sw-absent": ["port-1.1"]}}}}
    )
    with pytest.raises(ConfigError, match=r"policy.poe.access_point_ports.sw-absent: not an SNMP"):
        check_startup(bad, inv)
    empty = CollectorConfig.model_validate({"policy": {"poe": {}}})
    with pytest.raises(ConfigError, match=r"policy.poe.access_point_ports: empty"):
        check_startup(empty, inv)
    twice = CollectorConfig.model_validate(
        {
            "snmp": _config().snmp.model_dump(mode="json") | {"targets": []},
            "policy": {"poe": {"access_point_ports": {DEVICE: ["port-1.1", "port-1.1"]}}},
        }
    )
    with pytest.raises(ConfigError, match=r"ports listed twice: port-1.1"):
        check_startup(twice, inv)
    with pytest.raises(ValidationError, match=r"policy.poe.access_point_ports\n.*not a port name"):
        CollectorConfig.model_validate(
            {"policy": {"poe": {"access_point_ports": {DEVICE: ["port 1; rm"]}}}}
        )
