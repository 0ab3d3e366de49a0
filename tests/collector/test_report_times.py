"""The ledger's report times for silence alerts, on SQLite and PostgreSQL: only the times that
bound a silence cross, found in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.ledger import Ledger
from collector.model import ReportTimes, Sample
from contract.schema import Quality

T0 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _at(device: str, *minutes: float) -> list[Sample]:
    out = []
    for m in minutes:
        ts = T0 + m * MIN
        out.append(Sample(device, ts, "power_watts", 100.0, "snmp", Quality.MEASURED))
        out.append(Sample(device, ts, "uptime_seconds", 5.0, "snmp", Quality.MEASURED))
    return out


def test_only_the_bounds_of_silences_cross(ledger: Ledger) -> None:
    # srv-1: before the period at -30, every minute 0..9, silent 9 -> 40 (31 min), 40..42
    ledger.write_samples(_at("srv-1", -30, *range(10), 40, 41, 42))
    ledger.write_samples(_at("srv-2", *range(0, 60, 5)))  # every 5 min: never a silence
    ledger.write_samples(_at("srv-4", -20))  # silent since before the period
    ids = ["srv-1", "srv-2", "srv-3", "srv-4"]
    got = ledger.report_times(ids, T0, T0 + 60 * MIN, 15 * MIN)
    m = [T0 + k * MIN for k in range(-30, 61)]
    assert got == [
        ReportTimes("srv-1", m[30 + 42], ((m[0], m[30]), (m[30 + 9], m[30 + 40]))),
        ReportTimes("srv-2", m[30 + 55]),
        ReportTimes("srv-3", None),
        ReportTimes("srv-4", m[30 - 20]),
    ]
    [longer] = ledger.report_times(["srv-2"], T0, T0 + 60 * MIN, 6 * MIN)
    assert longer.gaps == ()
    [shorter] = ledger.report_times(["srv-2"], T0, T0 + 60 * MIN, 4 * MIN)
    assert len(shorter.gaps) == 11
