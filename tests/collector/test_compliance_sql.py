"""Sleep compliance summed in SQL (collector.ledger.compliance) against the pure functions, on
SQLite and on the real PostgreSQL (the both-backends ``ledger`` fixture)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from collector.analysis.compliance import WindowOutcome, WindowStatus, compliance_rate
from collector.analysis.compliance_figures import (
    ComplianceLine,
    lines_from_outcomes,
    lines_from_tallies,
)
from collector.ledger import Ledger
from collector.ledger import compliance as sql
from contract.schema import Quality

TZ = "Europe/Paris"
DEVICES = {
    f"pc-{i:02d}": ("Environnement utilisateur" if i % 3 else "Impression", f"site-{i % 4}")
    for i in range(24)
}
START = datetime(2026, 9, 28, 22, 0, tzinfo=UTC)  # the October change falls inside
END = START + timedelta(days=40)


def _domain(dev: str) -> str:
    return DEVICES.get(dev, ("Non affecté", ""))[0]


def _site(dev: str) -> str:
    return DEVICES.get(dev, ("", ""))[1]


def _outcomes(seed: int) -> list[WindowOutcome]:
    """Every device, every night (19:00 local, two groups), random outcomes and kWh; and a
    device missing from the inventory."""
    rng = random.Random(seed)
    out = []
    for dev in [*DEVICES, "stranger"]:
        group = "office" if dev.endswith(("0", "2", "4")) else "night-shift"
        for night in range(45):
            local = datetime(2026, 9, 26, 17 if group == "office" else 19, 0, tzinfo=UTC)
            ws = local + timedelta(days=night)
            status = rng.choice(list(WindowStatus))
            wasted = round(rng.uniform(0, 0.4), 3) if status == WindowStatus.VIOLATED else 0.0
            quality = rng.choice(list(Quality))
            avoided = round(rng.uniform(0, 0.6), 3) if status == WindowStatus.COMPLIANT else 0.0
            out.append(
                WindowOutcome(
                    dev,
                    ws,
                    ws + timedelta(hours=13),
                    group,
                    status,
                    kwh_wasted=wasted,
                    wasted_quality=quality,
                    kwh_avoided=avoided,
                )
            )
    return out


def _same(a: list[ComplianceLine], b: list[ComplianceLine]) -> None:
    assert [(x.scope, x.name) for x in a] == [(x.scope, x.name) for x in b]
    for x, y in zip(a, b, strict=True):
        assert (x.compliant, x.violated, x.unknown, x.exempt) == (
            y.compliant,
            y.violated,
            y.unknown,
            y.exempt,
        ), x.name
        assert (x.devices, x.unknown_devices) == (y.devices, y.unknown_devices)
        assert x.kwh_wasted_measured == pytest.approx(y.kwh_wasted_measured, abs=1e-9)
        assert x.kwh_wasted_estimated == pytest.approx(y.kwh_wasted_estimated, abs=1e-9)
        assert x.kwh_avoided_estimated == pytest.approx(y.kwh_avoided_estimated, abs=1e-9)
        assert x.rate == pytest.approx(y.rate)


def test_sql_tallies_give_the_pure_figures_on_both_backends(ledger: Ledger) -> None:
    items = _outcomes(7)
    for dev in {o.device_id for o in items}:
        ledger.replace_outcomes(dev, [o for o in items if o.device_id == dev])
    lines = lines_from_tallies(
        sql.device_tallies(ledger.engine, START, END),
        sql.night_tallies(ledger.engine, START, END),
        domain_of=_domain,
        site_of=_site,
        tz=TZ,
    )
    chosen = [o for o in items if START < o.window_end <= END]
    assert len(chosen) < len(items)  # the period cuts the windows on both sides
    reference = lines_from_outcomes(chosen, domain_of=_domain, site_of=_site, tz=TZ)
    _same(lines, reference)
    assert {x.scope for x in lines} == {"total", "domain", "site", "group", "night"}
    # and each domain's counts are those of the original per-window function
    for line in (x for x in lines if x.scope == "domain"):
        rate = compliance_rate(o for o in chosen if _domain(o.device_id) == line.name)
        assert (line.compliant, line.violated, line.unknown, line.exempt) == (
            rate.compliant,
            rate.violated,
            rate.unknown,
            rate.exempt,
        )
        assert line.kwh_wasted == pytest.approx(rate.kwh_wasted)
        assert line.kwh_avoided_estimated == pytest.approx(rate.kwh_avoided)
        assert line.rate == pytest.approx(rate.rate)
    # nights are local dates: the 19:00 UTC windows start on the same Paris date in October
    nights = [x for x in lines if x.scope == "night"]
    assert nights[0].name == date(2026, 9, 28).isoformat()
    assert sum(n.compliant + n.violated + n.unknown + n.exempt for n in nights) == len(chosen)
    assert all(n.devices is None for n in nights)


def test_unknown_windows_are_never_compliant_and_quality_splits_the_waste(
    ledger: Ledger,
) -> None:
    ws = datetime(2026, 10, 5, 17, 0, tzinfo=UTC)

    def o(dev: str, day: int, status: WindowStatus, **kw: object) -> WindowOutcome:
        start = ws + timedelta(days=day)
        return WindowOutcome(dev, start, start + timedelta(hours=13), "office", status, **kw)  # type: ignore[arg-type]

    ledger.replace_outcomes(
        "pc-01",
        [
            o("pc-01", 0, WindowStatus.COMPLIANT, kwh_avoided=0.5),
            o("pc-01", 1, WindowStatus.VIOLATED, kwh_wasted=0.2, wasted_quality=Quality.MEASURED),
        ],
    )
    ledger.replace_outcomes(
        "pc-02",
        [
            o("pc-02", 0, WindowStatus.UNKNOWN),
            o("pc-02", 1, WindowStatus.VIOLATED, kwh_wasted=0.1, wasted_quality=Quality.ESTIMATED),
        ],
    )
    ledger.replace_outcomes("pc-03", [o("pc-03", 0, WindowStatus.UNKNOWN)])
    lines = lines_from_tallies(
        sql.device_tallies(ledger.engine, ws, ws + timedelta(days=3)),
        sql.night_tallies(ledger.engine, ws, ws + timedelta(days=3)),
        domain_of=_domain,
        site_of=_site,
        tz=TZ,
    )
    total = next(x for x in lines if x.scope == "total")
    assert (total.compliant, total.violated, total.unknown) == (1, 2, 2)
    assert total.rate == pytest.approx(1 / 3)  # the two unknown windows are left out
    assert (total.devices, total.unknown_devices) == (3, 2)
    assert total.kwh_wasted_measured == pytest.approx(0.2)
    assert total.kwh_wasted_estimated == pytest.approx(0.1)
    assert total.kwh_avoided_estimated == pytest.approx(0.5)
    only_unknown = next(x for x in lines if x.scope == "night" and x.name == "2026-10-05")
    assert (only_unknown.compliant, only_unknown.unknown) == (1, 2)
    assert only_unknown.rate == pytest.approx(1.0)
    assert lines_from_tallies([], [], domain_of=_domain, site_of=_site, tz=TZ) == []


def test_the_dashboards_compliance_figures_come_from_the_sql_tallies(ledger: Ledger) -> None:
    """collector.figures: per domain, the last 7 days' windows by outcome and kWh wasted
    today and this quarter, as the per-window function gives them."""
    from collector.analysis.compliance import compliance_rate
    from collector.figures import _compliance
    from collector.inventory import Device, Inventory

    items = _outcomes(11)
    for dev in {o.device_id for o in items}:
        ledger.replace_outcomes(dev, [o for o in items if o.device_id == dev])
    inv = Inventory([Device(id=d, kind="desktop", domain=dm) for d, (dm, _s) in DEVICES.items()])
    now = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    since, day_start = now - timedelta(days=7), now - timedelta(hours=10)
    quarter_start = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    got = {
        d.domain: d
        for d in _compliance(
            ledger, inv, since=since, day_start=day_start, quarter_start=quarter_start, now=now
        )
    }
    assert set(got) == {
        inv.domain_of(o.device_id) for o in items if quarter_start < o.window_end <= now
    }
    for domain, d in got.items():
        mine = [o for o in items if inv.domain_of(o.device_id) == domain and o.window_end <= now]
        week = compliance_rate(o for o in mine if o.window_end > since)
        assert d.rate == pytest.approx(week.rate)
        assert dict(d.windows) == {
            "compliant": week.compliant,
            "violated": week.violated,
            "unknown": week.unknown,
            "exempt": week.exempt,
        }
        for label, start in (("today", day_start), ("quarter", quarter_start)):
            want = compliance_rate(o for o in mine if o.window_end > start).kwh_wasted
            assert dict(d.kwh_wasted)[label] == pytest.approx(want, abs=1e-9)
