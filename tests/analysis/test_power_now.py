"""Power now per domain: the latest whole-device reading, metered devices counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.analysis.power_now import power_by_domain
from collector.inventory import Device, Inventory
from collector.model import Sample
from contract.schema import Quality

AT = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
SRV = "Environnement serveur"
USR = "Environnement utilisateur"


def _w(
    device: str,
    watts: float,
    minutes_ago: float,
    source: str = "pdu_inlet",
    quality: Quality = Quality.MEASURED,
    component: str | None = None,
) -> Sample:
    ts = AT - timedelta(minutes=minutes_ago)
    return Sample(device, ts, "power_watts", watts, source, quality, component)


INVENTORY = Inventory(
    [
        Device(id="pdu", kind="pdu", domain=SRV),
        Device(id="srv", kind="server", domain=SRV, metered_by="pdu"),
        Device(id="srv2", kind="server", domain=SRV, metered_by="pdu"),
        Device(id="pc", kind="desktop", domain=USR),
    ]
)


def test_latest_reading_counts_and_a_metered_device_is_not_counted_again() -> None:
    samples = [
        _w("pdu", 900.0, 10),
        _w("pdu", 1000.0, 1),  # the newest wins
        _w("srv", 400.0, 1, source="ipmi"),  # inside the PDU's 1000 W
        _w("srv", 30.0, 1, source="rapl", component="package"),  # a part, never the device
        _w("pc", 45.5, 2, source="model", quality=Quality.ESTIMATED),
        _w("pc", 80.0, 45),  # too old: 30 min at most
    ]
    got = {d.domain: d for d in power_by_domain(samples, INVENTORY, at=AT, max_age_seconds=1800)}
    assert got[SRV].watts == 1000.0 and got[SRV].measured_watts == 1000.0
    assert got[SRV].devices == 1
    assert got[USR].watts == 45.5 and got[USR].measured_watts == 0.0


def test_a_device_counts_when_its_meter_is_silent() -> None:
    samples = [_w("pdu", 1000.0, 40), _w("srv", 400.0, 1), _w("srv2", 350.0, 2)]
    (srv,) = power_by_domain(samples, INVENTORY, at=AT, max_age_seconds=1800)
    assert (srv.domain, srv.watts, srv.devices) == (SRV, 750.0, 2)


def test_no_reading_no_figure_and_a_bad_age_is_refused() -> None:
    assert power_by_domain([], INVENTORY, at=AT, max_age_seconds=60) == []
    with pytest.raises(ValueError, match="max_age_seconds"):
        power_by_domain([], INVENTORY, at=AT, max_age_seconds=0)
