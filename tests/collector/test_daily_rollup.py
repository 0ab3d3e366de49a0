"""The SQL path of the report (daily roll-up + GROUP BY, hourly rows only for metering chains)
gives the same figures as the pure functions over every hourly row, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from collector.analysis.aggregate import ALL_DOMAINS, energy_by_period
from collector.analysis.energy import HourlyEnergy
from collector.analysis.meters import counted_rows
from collector.analysis.periods import local_midnight
from collector.analysis.rollup import kwh_by_domain
from collector.inventory import Device, Inventory
from collector.ledger import Ledger, daily
from collector.report.fast import period_figures
from collector.report.period_args import day_range

TZ = "Europe/Paris"
USER = "Environnement utilisateur"
FIRST, NEXT = date(2026, 10, 20), date(2026, 11, 3)  # the October change inside
INV = Inventory(
    [
        Device(id="dc-meter", kind="facility_meter", domain="Environnement serveur"),
        Device(id="pdu-1", kind="pdu", domain="Environnement serveur", metered_by="dc-meter"),
        Device(id="srv-1", kind="server", domain="Environnement serveur", metered_by="pdu-1"),
        Device(id="srv-2", kind="server", domain="Environnement serveur", metered_by="pdu-1"),
        *[Device(id=f"pc-{i}", kind="desktop", domain=USER) for i in range(6)],
        Device(id="sw-1", kind="switch", domain="Réseaux et télécoms"),
    ]
)


def _rows(rng: random.Random) -> dict[str, list[HourlyEnergy]]:
    """Random hourly rows: gaps, partial hours with covered intervals and slots, estimates."""
    start, end = local_midnight(FIRST, TZ), local_midnight(NEXT, TZ)
    out: dict[str, list[HourlyEnergy]] = defaultdict(list)
    devices = [*INV.devices, "stray-1"]  # a device the inventory does not list
    hour = start - timedelta(hours=3)  # rows outside the period must not count
    while hour < end + timedelta(hours=3):
        for dev in devices:
            if rng.random() < 0.1:
                continue  # a missing hour
            lo = rng.choice([0.0, 0.0, 600.0, 1500.0])
            hi = rng.choice([3600.0, 3600.0, 3000.0])
            slots = tuple(
                rng.uniform(0.001, 0.05) if lo <= k * 300 < hi else 0.0 for k in range(12)
            )
            kwh = sum(slots)
            est = kwh * rng.choice([0.0, 0.0, 0.3])
            out[dev].append(
                HourlyEnergy(
                    device_id=dev,
                    hour=hour,
                    kwh=kwh,
                    coverage=(hi - lo) / 3600,
                    measured_kwh=kwh - est,
                    estimated_kwh=est,
                    source="power",
                    resets=0,
                    covered=((lo, hi),),
                    slot_kwh=slots,
                )
            )
        hour += timedelta(hours=1)
    return out


def _load(ledger: Ledger, rows: dict[str, list[HourlyEnergy]]) -> None:
    for dev, rs in rows.items():
        ledger.replace_hourly(dev, rs)
        daily.refresh_days(ledger.engine, ledger.hourly_for, dev, [r.hour for r in rs], TZ)


def test_sql_path_equals_the_pure_functions(ledger: Ledger) -> None:
    rows = _rows(random.Random(3))
    _load(ledger, rows)
    start, end = local_midnight(FIRST, TZ), local_midnight(NEXT, TZ)
    hourly = ledger.hourly(start, end)
    pure = kwh_by_domain(hourly, INV)
    fast = period_figures(ledger, INV, FIRST, NEXT, TZ)
    assert [d.domain for d in fast.domains] == [d.domain for d in pure]
    for f, p in zip(fast.domains, pure, strict=True):
        assert f.devices == p.devices
        assert f.kwh == pytest.approx(p.kwh, rel=1e-9)
        assert f.measured_kwh == pytest.approx(p.measured_kwh, rel=1e-9)
        assert f.estimated_kwh == pytest.approx(p.estimated_kwh, rel=1e-9)
        assert f.coverage == pytest.approx(p.coverage, rel=1e-9)
    # coverage: the share of the period's device-hours with data, as energy_by_period says
    by_period = energy_by_period(hourly, INV, [day_range(FIRST, NEXT - timedelta(days=1), TZ)])
    assert {e.domain: e.coverage for e in by_period} == pytest.approx(fast.coverage, rel=1e-9)
    assert {e.domain: e.devices for e in by_period if e.domain != ALL_DOMAINS} == {
        d.domain: d.devices for d in fast.domains
    }
    assert fast.coverage[ALL_DOMAINS] < 0.95  # the missing hours and partial hours show
    # the nested meters matter here: summing every device's own kWh would count twice
    assert sum(d.kwh for d in fast.domains) < sum(r.kwh for r in hourly) * 0.95
    # kinds and days add up to the same total, each kWh once
    total = sum(d.kwh for d in pure)
    assert sum(fast.by_kind.values()) == pytest.approx(total, rel=1e-9)
    # own kWh per kind: each device's own rows, what a meter above it counts included
    own: dict[str, float] = defaultdict(float)
    for r in hourly:
        device = INV.get(r.device_id)
        own[device.kind if device else "other"] += r.kwh
    assert fast.own_by_kind == pytest.approx(dict(own), rel=1e-9)
    assert set(fast.by_kind) == set(own)  # every kind listed, even one counted above it
    assert fast.own_by_kind["server"] > 0 and fast.by_kind["server"] < fast.own_by_kind["server"]
    assert sum(fast.own_by_kind.values()) > total * 1.05  # nested: more than the total
    assert sum(fast.by_site.values()) == pytest.approx(total, rel=1e-9)
    assert sum(fast.daily_by_domain.values()) == pytest.approx(total, rel=1e-9)
    # the day of the October change holds 25 hours of rows
    counted = {(r.device_id, r.hour): p.kwh for r, p in counted_rows(hourly, INV)}
    oct25 = local_midnight(date(2026, 10, 25), TZ), local_midnight(date(2026, 10, 26), TZ)
    want = sum(
        k
        for (dev, h), k in counted.items()
        if oct25[0] <= h < oct25[1] and INV.domain_of(dev) == USER
    )
    assert fast.daily_by_domain[(USER, date(2026, 10, 25))] == pytest.approx(want)
    assert (oct25[1] - oct25[0]) == timedelta(hours=25)


def test_refresh_keeps_the_roll_up_equal_to_the_hourly_rows(ledger: Ledger) -> None:
    rows = _rows(random.Random(5))
    _load(ledger, rows)
    # late data: one PC's hours of one day are replaced with bigger figures
    day_start = datetime(2026, 10, 27, 23, 0, tzinfo=UTC)  # 28 Oct local midnight (UTC+1)
    late = [
        HourlyEnergy("pc-0", day_start + timedelta(hours=h), 1.0, 1.0, 1.0, 0.0, "power", 0)
        for h in range(24)
    ]
    ledger.replace_hourly("pc-0", late)
    daily.refresh_days(ledger.engine, ledger.hourly_for, "pc-0", [r.hour for r in late], TZ)
    with ledger.engine.connect() as conn:
        [pc0] = [
            r
            for r in daily.sums_by_device(conn, date(2026, 10, 28), date(2026, 10, 29))
            if r.device_id == "pc-0"
        ]
    assert pc0.kwh == pytest.approx(24.0) and pc0.hours == 24
    start, end = local_midnight(FIRST, TZ), local_midnight(NEXT, TZ)
    want = daily.roll_up(ledger.hourly(start, end), TZ)
    with ledger.engine.connect() as conn:
        got = {
            (r.device_id, r.day): r
            for day in (FIRST + timedelta(days=i) for i in range((NEXT - FIRST).days))
            for r in daily.sums_by_device(conn, day, day + timedelta(days=1))
        }
    assert len(got) == len(want)
    for w in want:
        g = got[(w.device_id, w.day)]
        assert g.kwh == pytest.approx(w.kwh, rel=1e-9) and g.hours == w.hours


def test_a_ledger_from_before_the_roll_up_is_back_filled(tmp_path: Path) -> None:
    from collector.config import CollectorConfig
    from collector.report.command import ensure_daily

    led = Ledger(f"sqlite:///{tmp_path / 'old.sqlite'}")
    led.migrate()
    rows = _rows(random.Random(11))
    for dev, rs in rows.items():
        led.replace_hourly(dev, rs)  # hourly rows only, as before revision 0008
    assert daily.is_empty(led.engine)
    ensure_daily(led, CollectorConfig().policy.timezone, progress=False)
    start, end = local_midnight(FIRST, TZ), local_midnight(NEXT, TZ)
    pure = kwh_by_domain(led.hourly(start, end), INV)
    fast = period_figures(led, INV, FIRST, NEXT, TZ)
    assert [d.kwh for d in fast.domains] == pytest.approx([d.kwh for d in pure], rel=1e-9)
    led.close()
