"""Alertmanager delivery against Debian's prometheus-alertmanager on loopback: the alert is read
back through API v2 with its labels and times, and the resolution clears it."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector.alerts.alertmanager import AlertmanagerChannel
from collector.alerts.errors import DeliveryError
from collector.alerts.events import Batch
from loopback.servers import _Alertmanager, free_port
from tests.alerts.factory import opened, pue_above, resolved, silent

pytestmark = pytest.mark.integration


def alerts(url: str, device_id: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=10) as resp:
        body: list[dict[str, Any]] = json.load(resp)
    return [a for a in body if a["labels"].get("device_id") == device_id]


def test_open_alert_is_read_back_and_resolution_clears_it(alertmanager: _Alertmanager) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    channel = AlertmanagerChannel(alertmanager.url, ttl_seconds=3600, clock=lambda: now)
    event = opened("PC-AM-01", window_start=now - timedelta(hours=3))
    channel.send(Batch((event,)))

    [alert] = alerts(alertmanager.url, "PC-AM-01")
    assert alert["status"]["state"] == "active"
    assert alert["labels"] == {
        "alertname": "VeilleSleepViolation",
        "severity": "warning",
        "device_id": "PC-AM-01",
        "domain": "Environnement utilisateur",
        "site": "hotel-de-ville",
        "group": "workstations",
        "violation": event.key,
    }
    assert alert["annotations"]["description"] == event.description
    assert alert["annotations"]["repeat_offender"] == "false"
    starts = datetime.fromisoformat(alert["startsAt"].replace("Z", "+00:00"))
    ends = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
    assert starts == event.starts_at
    assert ends == now + timedelta(hours=1)

    channel.send(Batch((resolved(event, at=now - timedelta(seconds=1)),)))
    assert alerts(alertmanager.url, "PC-AM-01") == []


def test_posting_the_same_open_alert_again_keeps_one_alert(alertmanager: _Alertmanager) -> None:
    now = datetime.now(UTC)
    channel = AlertmanagerChannel(alertmanager.url)
    event = opened("PC-AM-02", window_start=now - timedelta(hours=2))
    channel.send(Batch((event,)))
    channel.send(Batch((event,)))
    assert len(alerts(alertmanager.url, "PC-AM-02")) == 1


def test_unreachable_alertmanager_is_a_delivery_error() -> None:
    channel = AlertmanagerChannel(f"http://127.0.0.1:{free_port()}", timeout_seconds=2)
    with pytest.raises(DeliveryError, match=r"alertmanager: cannot reach http://127\.0\.0\.1:"):
        channel.send(Batch((opened(),)))


def test_pue_and_silent_device_alerts_carry_their_own_names(alertmanager: _Alertmanager) -> None:
    now = datetime.now(UTC)
    pue = replace(pue_above("dc-am"), starts_at=now - timedelta(hours=1))
    quiet = replace(silent("SRV-AM-01"), starts_at=now - timedelta(hours=1))
    AlertmanagerChannel(alertmanager.url).send(Batch((pue, quiet)))
    with urllib.request.urlopen(f"{alertmanager.url}/api/v2/alerts", timeout=10) as resp:
        body = json.load(resp)
    [got_pue] = [a for a in body if a["labels"].get("datacentre") == "dc-am"]
    assert got_pue["labels"]["alertname"] == "VeillePueAboveLimit"
    assert "violation" not in got_pue["labels"] and "device_id" not in got_pue["labels"]
    [got_quiet] = alerts(alertmanager.url, "SRV-AM-01")
    assert got_quiet["labels"]["alertname"] == "VeilleDeviceSilent"
    assert got_quiet["labels"]["severity"] == "critical"


def test_a_large_refresh_is_posted_in_chunks(alertmanager: _Alertmanager) -> None:
    now = datetime.now(UTC)
    many = tuple(
        opened(f"PC-BULK-{i:04d}", window_start=now - timedelta(hours=2)) for i in range(1203)
    )
    AlertmanagerChannel(alertmanager.url).send(Batch(many))
    with urllib.request.urlopen(f"{alertmanager.url}/api/v2/alerts", timeout=10) as resp:
        body = json.load(resp)
    bulk = {
        a["labels"]["device_id"]
        for a in body
        if a["labels"].get("device_id", "").startswith("PC-BULK-")
    }
    assert bulk == {e.device_id for e in many}
