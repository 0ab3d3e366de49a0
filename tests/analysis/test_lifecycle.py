"""The life-cycle rules on literal records (collector.analysis.lifecycle.advance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.analysis.lifecycle import WITHDRAWN, Evaluation, advance
from collector.model import Violation, ViolationRecord, ViolationState

DAY = timedelta(days=1)
W0 = datetime(2026, 11, 16, 18, 30, tzinfo=UTC)
WINDOWS = [(W0 + i * DAY, W0 + i * DAY + timedelta(hours=12)) for i in range(4)]
NOW = W0 + 4 * DAY


def violation(i: int, evidence: str = "awake") -> Violation:
    start, end = WINDOWS[i]
    return Violation("pc-1", start, end, start, end, 3600.0, 3600.0, (), 6, "sleep", evidence)


def stored(i: int, state: ViolationState, streak: int = 1) -> ViolationRecord:
    return ViolationRecord(violation(i), state, streak, W0, W0)


def test_three_nights_in_a_row_make_a_streak() -> None:
    ev = Evaluation(
        found=[violation(0), violation(1), violation(2)], windows=WINDOWS, judged=(W0, NOW)
    )
    records, events = advance([], ev, now=NOW)
    assert [(r.state, r.streak) for r in records] == [
        (ViolationState.OPEN, 1),
        (ViolationState.ONGOING, 2),
        (ViolationState.ONGOING, 3),
    ]
    assert [e.previous for e in events] == [None, None, None]


def test_a_streak_continues_from_a_stored_window_outside_the_judged_span() -> None:
    ev = Evaluation(found=[violation(1)], windows=WINDOWS, judged=(WINDOWS[1][0], NOW))
    records, _ = advance([stored(0, ViolationState.ONGOING, streak=4)], ev, now=NOW)
    assert [(r.state, r.streak) for r in records] == [(ViolationState.ONGOING, 5)]


def test_unchanged_state_gives_no_event_but_new_evidence_is_saved() -> None:
    ev = Evaluation(found=[violation(0, "awake 2 h")], windows=WINDOWS, judged=(W0, NOW))
    records, events = advance([stored(0, ViolationState.OPEN)], ev, now=NOW)
    assert events == []
    assert [r.violation.evidence for r in records] == ["awake 2 h"]
    assert records[0].changed_at == W0  # the state did not change
    assert advance(
        [stored(0, ViolationState.OPEN)], Evaluation([violation(0)], WINDOWS, (W0, NOW)), now=NOW
    ) == ([], [])


def test_a_violation_no_longer_found_in_judged_data_is_withdrawn_as_resolved() -> None:
    ev = Evaluation(found=[], windows=WINDOWS, judged=(W0, NOW))
    records, (event,) = advance([stored(0, ViolationState.OPEN)], ev, now=NOW)
    assert records[0].state == ViolationState.RESOLVED and records[0].resolved_at == NOW
    assert (event.previous, event.state, event.detail) == (
        ViolationState.OPEN,
        ViolationState.RESOLVED,
        WITHDRAWN,
    )


def test_an_old_open_violation_outside_the_data_stays_open_until_resolved() -> None:
    judged = (WINDOWS[2][0], NOW)
    assert advance([stored(0, ViolationState.OPEN)], Evaluation([], WINDOWS, judged), now=NOW) == (
        [],
        [],
    )
    resolved_at = WINDOWS[2][1]
    ev = Evaluation([], WINDOWS, judged, resolved={WINDOWS[0][0]: resolved_at})
    (record,), (event,) = advance([stored(0, ViolationState.OPEN)], ev, now=NOW)
    assert record.resolved_at == resolved_at and event.state == ViolationState.RESOLVED
