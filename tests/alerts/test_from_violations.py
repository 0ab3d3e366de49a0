"""Alert events from the violation life cycle (pure): opened, repeat offender, resolved,
exempted; never a resolution of a violation that was never announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.alerts.events import AlertKind, Severity
from collector.alerts.violations import alert_events, open_events
from collector.inventory import Device, Inventory
from collector.model import Violation, ViolationEvent, ViolationRecord, ViolationState

PARIS = ZoneInfo("Europe/Paris")
W = datetime(2026, 11, 16, 18, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
OPEN, ONGOING, RESOLVED, EXEMPTED = (
    ViolationState.OPEN,
    ViolationState.ONGOING,
    ViolationState.RESOLVED,
    ViolationState.EXEMPTED,
)
INV = Inventory(
    [Device(id="pc-1", kind="desktop", policy_group="workstations", site="mairie-annexe")]
)


def record(
    state: ViolationState,
    streak: int = 1,
    device: str = "pc-1",
    resolved_at: datetime | None = None,
    blockers: tuple[str, ...] = ("Teams call",),
) -> ViolationRecord:
    v = Violation(
        device_id=device,
        window_start=W,
        window_end=W + timedelta(hours=12),
        first_seen=W + timedelta(minutes=20),
        last_seen=W + timedelta(hours=4),
        max_idle_seconds=9000.0,
        awake_seconds=11700.0,
        blockers=blockers,
        observations=25,
        target_state="sleep",
        evidence="awake and idle 3 h 15 min",
        policy_group="workstations",
    )
    return ViolationRecord(v, state, streak, NOW, NOW, resolved_at)


def change(state: ViolationState, previous: ViolationState | None, device: str = "pc-1"):
    return ViolationEvent(device, W, NOW, state, previous, "detail")


def events(changes, *records: ViolationRecord, threshold: int = 3, sites=None):
    by_key = {r.key: r for r in records}
    return alert_events(
        changes, by_key, INV, tz=PARIS, repeat_threshold=threshold, sites=sites or {}
    )


def test_found_open_is_an_opened_alert_with_evidence_and_placement() -> None:
    [e] = events([change(OPEN, None)], record(OPEN))
    assert e.kind is AlertKind.VIOLATION_OPENED and e.state == "open"
    assert e.key == "violation:pc-1:2026-11-16T18:30:00+00:00"
    assert (e.site, e.group, e.domain) == (
        "mairie-annexe",
        "workstations",
        "Environnement utilisateur",
    )
    assert e.summary == "pc-1: 2026-11-16 19:30 → 2026-11-17 07:30"
    assert e.description == "awake and idle 3 h 15 min; blockers: Teams call"
    assert e.starts_at == W + timedelta(minutes=20)
    assert e.severity is Severity.WARNING


def test_streak_at_threshold_is_a_repeat_offender() -> None:
    [two] = events([change(ONGOING, None)], record(ONGOING, streak=2))
    [three] = events([change(ONGOING, None)], record(ONGOING, streak=3))
    assert (two.kind, two.repeat_offender) == (AlertKind.VIOLATION_OPENED, False)
    assert (three.kind, three.repeat_offender, three.windows_in_row) == (
        AlertKind.VIOLATION_REPEATED,
        True,
        3,
    )


def test_resolution_ends_when_the_device_complied_with_the_same_labels() -> None:
    complied = W + timedelta(days=1, hours=12)
    [opened] = events([change(OPEN, None)], record(OPEN))
    [done] = events([change(RESOLVED, OPEN)], record(RESOLVED, resolved_at=complied))
    assert done.kind is AlertKind.VIOLATION_RESOLVED and done.ends_at == complied
    assert done.key == opened.key
    assert done.label_map() == opened.label_map() and done.severity == opened.severity


def test_exemption_after_open_ends_the_alert_now() -> None:
    [done] = events([change(EXEMPTED, ONGOING)], record(EXEMPTED, streak=2))
    assert done.kind is AlertKind.VIOLATION_RESOLVED and done.ends_at == NOW
    assert done.description == "detail"


def test_never_announced_means_no_resolution() -> None:
    assert events([change(RESOLVED, None)], record(RESOLVED, resolved_at=NOW)) == []
    assert events([change(EXEMPTED, RESOLVED)], record(EXEMPTED)) == []
    assert events([change(OPEN, None, device="pc-gone")], record(OPEN)) == []  # no record: skipped


def test_unplaced_device_takes_its_topic_site_else_unknown() -> None:
    [e] = events([change(OPEN, None, "pc-9")], record(OPEN, device="pc-9"), sites={"pc-9": "ecole"})
    assert e.site == "ecole"
    [u] = events([change(OPEN, None, "pc-9")], record(OPEN, device="pc-9"))
    assert u.site == "unknown" and u.domain == "Non affecté"


def test_open_events_only_for_active_records() -> None:
    got = open_events(
        [record(OPEN), record(RESOLVED, device="pc-2"), record(ONGOING, 4, device="pc-3")],
        INV,
        tz=PARIS,
        repeat_threshold=3,
    )
    assert [(e.device_id, e.kind) for e in got] == [
        ("pc-1", AlertKind.VIOLATION_OPENED),
        ("pc-3", AlertKind.VIOLATION_REPEATED),
    ]
