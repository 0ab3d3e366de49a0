"""Nested meters through the ledger: samples -> recompute job -> hourly rows (with where in the
hour their data is) -> the summary's domain kWh, each stretch of time counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.model import Sample
from collector.report import build_summary
from contract.schema import Quality

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
INV = Inventory(
    [
        Device(id="pdu-1", kind="pdu"),
        Device(id="srv-1", kind="server", metered_by="pdu-1"),
    ]
)


def _power(device: str, t: int, watts: float) -> Sample:
    return Sample(device, T0 + timedelta(seconds=t), "power_watts", watts, "snmp", Quality.MEASURED)


def test_the_meter_gap_is_filled_by_the_server_for_that_stretch(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    # The PDU is polled from 10:40 (the collector was down before, longer than max_gap); the
    # server reads 100 W up to 10:40, then 700 W.
    samples = [_power("pdu-1", t, 800.0) for t in range(2400, 3601, 60)]
    samples += [_power("srv-1", t, 100.0 if t <= 2400 else 700.0) for t in range(0, 3601, 60)]
    ledger.write_samples(samples)
    cfg = CollectorConfig()
    end = T0 + timedelta(hours=1)
    later = end + timedelta(hours=1)  # so the 11:00 reads are in (samples up to, not at, end)
    recompute(ledger, INV, cfg, start=T0, end=later, now=later)

    rows = {r.device_id: r for r in ledger.hourly(T0, end)}
    assert rows["pdu-1"].covered == ((2400.0, 3600.0),)
    assert rows["srv-1"].covered == ((0.0, 3600.0),) and rows["srv-1"].slot_kwh is not None

    summary = build_summary(ledger, INV, cfg, start=T0, end=end)
    [domain] = summary.domains
    # the PDU's 20 min at 800 W, and the server's own 40 min at 100 W before it
    assert domain.kwh == pytest.approx(0.8 / 3 + 0.1 * 2 / 3, rel=1e-6)
    # an even share of the server's whole hour (the old fill-in) would have said otherwise
    srv = rows["srv-1"]
    assert srv.kwh * 2 / 3 + 0.8 / 3 != pytest.approx(domain.kwh, rel=1e-3)
    ledger.close()
