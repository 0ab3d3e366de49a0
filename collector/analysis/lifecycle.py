"""The life cycle of one device's violations: what was stored, what a new evaluation found,
and the states and events that follow (pure; reads and writes :mod:`collector.model` records).

Identity is (device, window start). A violation found in a window is *open*, or *ongoing* when
the device also broke the policy in the window before (``streak`` counts them); it becomes
*resolved* when the device complied in a later complete window (``resolutions``), or when later
data (a backlog) shows that it complied in that very window; it becomes *exempted* when an
exemption now covers its window. Every change of state is one :class:`ViolationEvent`; a
record whose state did not change is re-saved only when its evidence changed, with no event.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from collector.analysis.windows import Window
from collector.model import (
    ACTIVE_STATES,
    Violation,
    ViolationEvent,
    ViolationRecord,
    ViolationState,
)

WITHDRAWN = "later data shows the device complied in this window"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One evaluation of one device, as the analysis produced it.

    ``windows``: the device's policy windows in order, exempt ones left out, from the oldest
    stored record considered to now; ``judged``: the span the observations covered, in which a
    window without a violation really had none; ``resolved``: window start -> when it resolved.
    """

    found: Sequence[Violation]
    windows: Sequence[Window]
    judged: Window | None
    resolved: Mapping[datetime, datetime] = field(default_factory=dict)
    exempt: Collection[datetime] = ()


def _streaks(
    stored: Mapping[datetime, ViolationRecord], ev: Evaluation, found: Mapping[datetime, Violation]
) -> dict[datetime, int]:
    """Violated windows in a row ending with each found violation."""
    out: dict[datetime, int] = {}
    previous = 0
    for start, _end in ev.windows:
        if start in found:
            previous = out[start] = previous + 1
        elif not _judged(ev.judged, start) and start in stored:
            kept = stored[start]
            previous = kept.streak if kept.state != ViolationState.EXEMPTED else 0
        else:
            previous = 0
    return out


def _judged(span: Window | None, start: datetime) -> bool:
    return span is not None and span[0] <= start <= span[1]


def advance(
    stored: Sequence[ViolationRecord], ev: Evaluation, *, now: datetime
) -> tuple[list[ViolationRecord], list[ViolationEvent]]:
    """The records to save (new or changed) and the events, for one device."""
    by_start = {r.window_start: r for r in stored}
    found = {v.window_start: v for v in ev.found}
    streaks = _streaks(by_start, ev, found)
    records: list[ViolationRecord] = []
    events: list[ViolationEvent] = []

    def save(
        v: Violation,
        state: ViolationState,
        streak: int,
        resolved_at: datetime | None,
        detail: str = "",
    ) -> None:
        prev = by_start.get(v.window_start)
        if prev is not None and prev.state == state:
            if prev.violation != v or prev.streak != streak:
                records.append(
                    ViolationRecord(
                        v,
                        state,
                        streak,
                        prev.opened_at,
                        prev.changed_at,
                        prev.resolved_at if resolved_at is None else resolved_at,
                    )
                )
            return
        opened = prev.opened_at if prev is not None else now
        records.append(ViolationRecord(v, state, streak, opened, now, resolved_at))
        events.append(
            ViolationEvent(
                v.device_id, v.window_start, now, state, prev.state if prev else None, detail
            )
        )

    for start, v in found.items():
        streak = streaks.get(start, 1)
        if start in ev.resolved:
            save(v, ViolationState.RESOLVED, streak, ev.resolved[start])
        else:
            state = ViolationState.ONGOING if streak > 1 else ViolationState.OPEN
            save(v, state, streak, None)
    for start, r in by_start.items():
        if start in found:
            continue
        if start in ev.exempt:
            save(r.violation, ViolationState.EXEMPTED, r.streak, None, "an exemption covers it")
        elif r.state in ACTIVE_STATES and _judged(ev.judged, start):
            save(r.violation, ViolationState.RESOLVED, r.streak, now, WITHDRAWN)
        elif r.state in ACTIVE_STATES and start in ev.resolved:
            save(r.violation, ViolationState.RESOLVED, r.streak, ev.resolved[start])
    return records, events
