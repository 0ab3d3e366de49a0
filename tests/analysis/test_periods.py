"""Civil periods in Europe/Paris and kWh per domain per period, with coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from collector.analysis.aggregate import ALL_DOMAINS, energy_by_period
from collector.analysis.energy import HourlyEnergy
from collector.analysis.periods import period_of, periods_between, trailing_year
from collector.inventory import Device, Inventory


@pytest.mark.parametrize(
    ("kind", "day", "label", "start", "hours"),
    [
        ("day", date(2026, 3, 29), "2026-03-29", "2026-03-28T23:00", 23),
        ("day", date(2026, 10, 25), "2026-10-25", "2026-10-24T22:00", 25),
        ("day", date(2026, 7, 14), "2026-07-14", "2026-07-13T22:00", 24),
        ("week", date(2026, 3, 29), "2026-W13", "2026-03-22T23:00", 167),  # Mon 23 March
        ("week", date(2027, 1, 1), "2026-W53", "2026-12-27T23:00", 168),  # ISO year 2026
        ("month", date(2026, 3, 15), "2026-03", "2026-02-28T23:00", 743),
        ("month", date(2026, 10, 2), "2026-10", "2026-09-30T22:00", 745),
        ("quarter", date(2026, 2, 1), "2026-T1", "2025-12-31T23:00", 2159),
        ("quarter", date(2026, 12, 31), "2026-T4", "2026-09-30T22:00", 2209),
        ("year", date(2026, 6, 1), "2026", "2025-12-31T23:00", 8760),
        ("year", date(2028, 6, 1), "2028", "2027-12-31T23:00", 8784),
    ],
)
def test_periods_are_civil_in_paris(
    kind: str, day: date, label: str, start: str, hours: int
) -> None:
    p = period_of(kind, day, "Europe/Paris")  # type: ignore[arg-type]
    assert p.label == label and p.hours == hours
    assert p.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert p.first_day <= day < p.next_day


def test_periods_between_and_bad_input() -> None:
    months = periods_between("month", date(2026, 1, 31), date(2026, 4, 1), "Europe/Paris")
    assert [m.label for m in months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert all(a.end == b.start for a, b in pairwise(months))
    with pytest.raises(ValueError, match="before first day"):
        periods_between("day", date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(ValueError, match="period kind must be one of"):
        period_of("fortnight", date(2026, 1, 1))  # type: ignore[arg-type]
    end = datetime(2028, 2, 29, tzinfo=UTC)
    assert trailing_year(end) == (datetime(2027, 2, 28, tzinfo=UTC), end)


def _row(device: str, hour: datetime, kwh: float, est: float = 0.0) -> HourlyEnergy:
    return HourlyEnergy(device, hour, kwh, 1.0, kwh - est, est, "ipmi", 0)


def test_energy_by_period_counts_missing_hours_against_coverage() -> None:
    inv = Inventory([Device(id="srv", kind="server"), Device(id="pc", kind="desktop")])
    days = periods_between("day", date(2026, 3, 28), date(2026, 3, 29), "Europe/Paris")
    rows = []
    for p in days:
        h = p.start
        while h < p.end:
            rows.append(_row("srv", h, 0.2))
            h += timedelta(hours=1)
    # the PC reports only 6 hours of the 23-hour day, half of them estimated
    rows += [_row("pc", days[1].start + timedelta(hours=i), 0.05, est=0.025) for i in range(6)]
    rows.append(_row("pc", days[1].end, 9.0))  # outside both periods: ignored
    got = {(f.period.label, f.domain): f for f in energy_by_period(rows, inv, days)}
    assert got[("2026-03-28", ALL_DOMAINS)].kwh == pytest.approx(24 * 0.2)
    sunday = got[("2026-03-29", ALL_DOMAINS)]
    assert sunday.kwh == pytest.approx(23 * 0.2 + 6 * 0.05)
    assert sunday.devices == 2 and sunday.coverage == pytest.approx((23 + 6) / (2 * 23))
    assert sunday.estimated_kwh == pytest.approx(6 * 0.025)
    assert sunday.measured_kwh + sunday.estimated_kwh == pytest.approx(sunday.kwh)
    pc = got[("2026-03-29", "Environnement utilisateur")]
    assert pc.coverage == pytest.approx(6 / 23) and pc.measured_share == pytest.approx(0.5)
    with pytest.raises(ValueError, match="overlap"):
        energy_by_period(rows, inv, [days[0], period_of("week", date(2026, 3, 28))])
