"""The open-violation gauge on the collector's registry: 1 while open, gone when resolved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from collector.alerts.events import Batch
from collector.alerts.gauge import ViolationGauge
from collector.metrics import CollectorMetrics
from tests.alerts.factory import WINDOW, opened, resolved

LABELS = {
    "device_id": "PC-G-01",
    "domain": "Environnement utilisateur",
    "site": "hotel-de-ville",
    "group": "workstations",
}


def test_one_while_open_removed_when_last_violation_resolves() -> None:
    metrics = CollectorMetrics()
    gauge = ViolationGauge(metrics.registry)
    first = opened("PC-G-01")
    second = opened("PC-G-01", window_start=WINDOW + timedelta(days=1))
    gauge.send(Batch((first, second, opened("PC-G-02"))))
    value = metrics.registry.get_sample_value
    assert value("veille_sleep_violation_open", LABELS) == 1
    gauge.send(Batch((resolved(first),)))
    assert value("veille_sleep_violation_open", LABELS) == 1  # the second window is still open
    gauge.send(Batch((resolved(second),)))
    assert value("veille_sleep_violation_open", LABELS) is None
    assert value("veille_sleep_violation_open", {**LABELS, "device_id": "PC-G-02"}) == 1
    assert b"veille_sleep_violation_open{" in generate_latest(metrics.registry)


def test_resolution_of_an_unknown_violation_is_harmless() -> None:
    gauge = ViolationGauge(CollectorRegistry())
    gauge.send(Batch((resolved(opened("PC-G-03")),)))
    assert gauge.open_devices() == []


def test_name_cannot_be_registered_twice() -> None:
    registry = CollectorRegistry()
    ViolationGauge(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Gauge("veille_sleep_violation_open", "again", registry=registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        ViolationGauge(registry)
