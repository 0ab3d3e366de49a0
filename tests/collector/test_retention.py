"""Every table of the ledger has an end: the policy history and the daily roll-ups expire too,
on SQLite and on a real PostgreSQL; open violations never do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collector.analysis.compliance import WindowOutcome, WindowStatus
from collector.analysis.energy import HourlyEnergy
from collector.ledger import Ledger, daily
from collector.model import (
    ExemptionRecord,
    Violation,
    ViolationEvent,
    ViolationRecord,
    ViolationState,
)

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=900)


def _violation(device: str, start: datetime, state: ViolationState) -> ViolationRecord:
    v = Violation(
        device, start, start + timedelta(hours=10), start, start, 0.0, 36000.0, (), 3, "s3", ""
    )
    return ViolationRecord(v, state, 1, start, start, None)


def _outcome(device: str, start: datetime) -> WindowOutcome:
    return WindowOutcome(
        device, start, start + timedelta(hours=10), "bureaux", WindowStatus.COMPLIANT
    )


def test_old_policy_history_and_daily_rows_expire_open_violations_stay(ledger: Ledger) -> None:
    ledger.replace_outcomes(
        "pc-1", [_outcome("pc-1", OLD), _outcome("pc-1", NOW - timedelta(days=2))]
    )
    ledger.save_violations(
        [
            _violation("pc-1", OLD, ViolationState.RESOLVED),
            _violation("pc-2", OLD, ViolationState.OPEN),
            _violation("pc-3", NOW - timedelta(days=2), ViolationState.RESOLVED),
        ],
        [
            ViolationEvent("pc-1", OLD, OLD, ViolationState.OPEN, None),
            ViolationEvent("pc-3", NOW, NOW, ViolationState.OPEN, None),
        ],
    )
    for until in (OLD.date(), NOW.date() + timedelta(days=30)):
        ledger.add_exemption(ExemptionRecord("pc-9", False, until, "kiosque", "admin", OLD))
    hours = [OLD, NOW - timedelta(days=10)]
    daily.rebuild(
        ledger.engine,
        [HourlyEnergy("pc-1", h, 1.0, 1.0, 1.0, 0.0, "model", 0) for h in hours],
        "Europe/Paris",
    )

    gone = ledger.expire_history(NOW - timedelta(days=800), (NOW - timedelta(days=5 * 366)).date())

    assert (gone.policy_windows, gone.violations, gone.violation_events, gone.exemptions) == (
        1,
        1,
        1,
        1,
    )
    assert gone.daily_rows == 0  # 900 days is inside the 5 years of daily roll-ups
    left = {(r.device_id, r.state) for r in ledger.violations(OLD - timedelta(days=1), NOW)}
    assert left == {("pc-2", ViolationState.OPEN), ("pc-3", ViolationState.RESOLVED)}
    assert [o.window_start for o in ledger.outcomes(OLD - timedelta(days=1), NOW)] == [
        NOW - timedelta(days=2)
    ]
    assert [e.until for e in ledger.exemptions()] == [NOW.date() + timedelta(days=30)]

    later = ledger.expire_history(NOW - timedelta(days=800), date(2025, 1, 1))
    assert later.daily_rows == 1 and later.violations == 0  # the open one still stays
    assert ledger.count("daily_energy") == 1
