"""Roll-ups per domain and device, PUE per datacentre, quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from collector.analysis.energy import HourlyEnergy
from collector.analysis.rollup import (
    kwh_by_device,
    kwh_by_domain,
    pue_by_datacentre,
    quarter_bounds,
    quarter_label,
)
from collector.config import EmissionFactor
from collector.domains import UNASSIGNED
from collector.inventory import Device, Inventory

H0 = datetime(2026, 11, 17, 0, 0, tzinfo=UTC)


def hour(n: int) -> datetime:
    return H0 + timedelta(hours=n)


def row(device: str, n: int, kwh: float, coverage: float = 1.0, est: float = 0.0) -> HourlyEnergy:
    return HourlyEnergy(device, hour(n), kwh, coverage, kwh - est, est, "snmp", 0)


DC = [
    Device(id="dc1-meter", kind="facility_meter", datacentre="dc1", pue_role="facility"),
    Device(id="pdu-a", kind="pdu", datacentre="dc1", pue_role="it", metered_by="dc1-meter"),
    Device(id="pdu-b", kind="pdu", datacentre="dc1", pue_role="it", metered_by="dc1-meter"),
    Device(id="srv-1", kind="server", datacentre="dc1", pue_role="it", metered_by="pdu-a"),
]


def test_kwh_by_domain_with_unknown_devices() -> None:
    inv = Inventory(
        [
            Device(id="pc-1", kind="desktop"),
            Device(id="prn-1", kind="printer"),
            Device(id="pc-2", kind="laptop", domain="Direction informatique"),
        ]
    )
    rows = [
        row("pc-1", 0, 0.1),
        row("pc-1", 1, 0.05, 0.5, 0.05),
        row("pc-2", 0, 0.02),
        row("prn-1", 0, 0.3),
        row("ghost", 0, 0.7),
    ]
    got = {d.domain: d for d in kwh_by_domain(rows, inv)}
    assert list(got) == [
        "Environnement utilisateur",
        "Impression",
        "Direction informatique",
        UNASSIGNED,
    ]
    user = got["Environnement utilisateur"]
    assert (user.kwh, user.measured_kwh, user.estimated_kwh) == pytest.approx((0.15, 0.1, 0.05))
    assert user.devices == 1
    assert user.coverage == pytest.approx(0.75)
    assert got[UNASSIGNED].kwh == pytest.approx(0.7)


def test_metered_devices_count_only_when_their_meter_has_no_data() -> None:
    inv = Inventory(DC[1:])
    # pdu-a has data in hour 0 only; srv-1 behind it reports both hours
    rows = [
        row("pdu-a", 0, 5.0),
        row("pdu-a", 1, 0.0, 0.0),
        row("srv-1", 0, 3.0),
        row("srv-1", 1, 3.2),
    ]
    (server_room,) = kwh_by_domain(rows, inv)
    assert server_room.kwh == pytest.approx(5.0 + 3.2)
    assert server_room.devices == 2
    own = {d.device_id: d.kwh for d in kwh_by_device(rows, inv)}
    assert own == pytest.approx({"pdu-a": 5.0, "srv-1": 6.2})


def dc_rows(fac_hours: range, it_hours: range) -> list[HourlyEnergy]:
    rows = [row("dc1-meter", n, 15.0) for n in fac_hours]
    rows += [row("pdu-a", n, 6.0) for n in it_hours] + [row("pdu-b", n, 4.0) for n in it_hours]
    rows += [row("srv-1", n, 2.5) for n in it_hours]  # behind pdu-a: not added again
    return rows


FACTORS = {
    "grid_fr": EmissionFactor(g_co2e_per_kwh=60, method="location", source="s", year=2021),
    "green": EmissionFactor(g_co2e_per_kwh=31, method="market", source="s", year=2021),
}


def test_pue_facility_150_it_100() -> None:
    (res,) = pue_by_datacentre(
        dc_rows(range(10), range(10)),
        Inventory(DC),
        start=H0,
        end=hour(10),
        renewable_share={"dc1": 0.5},
        factors=FACTORS,
    )
    assert (res.datacentre, res.facility_kwh, res.it_kwh) == ("dc1", 150.0, 100.0)
    assert res.pue == pytest.approx(1.5)
    assert res.category == "category 2 (PDU output)"
    assert res.interim is True
    assert (res.coverage, res.hours) == (1.0, 10)
    assert res.ref == 0.5
    assert res.cue_kg_per_kwh == pytest.approx({"grid_fr": 0.09, "green": 0.0465})


def test_pue_counts_only_hours_where_both_sides_have_data() -> None:
    rows = dc_rows(range(0, 4), range(2, 6))
    rows[3] = row("dc1-meter", 3, 15.0, coverage=0.5)  # a partial facility hour: out
    (res,) = pue_by_datacentre(rows, Inventory(DC), start=H0, end=hour(6))
    assert res.hours == 1
    assert (res.facility_kwh, res.it_kwh) == (15.0, 10.0)
    assert res.coverage == pytest.approx(1 / 6)
    assert "dc1-meter: 3 h without complete data" in res.notes


@pytest.mark.parametrize(
    ("kinds", "category", "mixed"),
    [
        (("ups",), "category 1 (UPS output)", False),
        (("server", "other"), "category 3 (IT equipment input)", False),
        (("server", "ups"), "category 1 (UPS output)", True),
    ],
)
def test_category_from_the_it_meters(kinds, category, mixed) -> None:
    inv = Inventory(
        [DC[0]]
        + [
            Device(id=f"it-{i}", kind=k, datacentre="dc1", pue_role="it")
            for i, k in enumerate(kinds)
        ]
    )
    rows = [row("dc1-meter", 0, 3.0)] + [row(f"it-{i}", 0, 1.0) for i in range(len(kinds))]
    (res,) = pue_by_datacentre(rows, inv, start=H0, end=hour(1))
    assert res.category == category
    assert res.pue == pytest.approx(3.0 / len(kinds))
    assert any(n.startswith("mixed") for n in res.notes) is mixed


def test_no_pue_without_facility_meter_or_it_energy() -> None:
    (res,) = pue_by_datacentre(
        [row("pdu-a", 0, 6.0), row("pdu-b", 0, 4.0)],
        Inventory(DC[1:3]),
        start=H0,
        end=hour(1),
        factors=FACTORS,
    )
    assert res.pue is None and res.cue_kg_per_kwh == {}
    assert any("no facility meter" in n for n in res.notes)
    (zero,) = pue_by_datacentre(
        [*dc_rows(range(1), range(0)), row("pdu-a", 0, 0.0), row("pdu-b", 0, 0.0)],
        Inventory(DC),
        start=H0,
        end=hour(1),
    )
    assert zero.pue is None and zero.facility_kwh == 15.0


def test_a_twelve_month_period_is_not_interim() -> None:
    start, end = datetime(2025, 12, 31, 23, tzinfo=UTC), datetime(2026, 12, 31, 23, tzinfo=UTC)
    (res,) = pue_by_datacentre([], Inventory(DC), start=start, end=end)
    assert res.interim is False and res.pue is None and res.coverage == 0.0


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (date(2026, 11, 17), "2026-09-30T22:00:00+00:00", "2026-12-31T23:00:00+00:00", "2026-T4"),
        (date(2026, 1, 1), "2025-12-31T23:00:00+00:00", "2026-03-31T22:00:00+00:00", "2026-T1"),
        (date(2026, 6, 30), "2026-03-31T22:00:00+00:00", "2026-06-30T22:00:00+00:00", "2026-T2"),
    ],
)
def test_quarter_bounds_in_paris(day, start, end, label) -> None:
    bounds = quarter_bounds(day, "Europe/Paris")
    assert [b.isoformat() for b in bounds] == [start, end]
    assert quarter_label(day) == label


def test_a_meter_covering_part_of_an_hour_replaces_only_that_part() -> None:
    inv = Inventory(DC)
    # The server reports the whole hour (0.3 kWh); its PDU was polled for the last quarter only.
    rows = [row("srv-1", 0, 0.3), row("pdu-a", 0, 0.1, coverage=0.25)]
    (dom,) = kwh_by_domain(rows, inv)
    assert dom.kwh == pytest.approx(0.3 * 0.75 + 0.1)
