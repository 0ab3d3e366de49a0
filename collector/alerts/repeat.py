"""Repeat offenders: how many complete policy windows in a row a device has violated.

Pure functions for whoever turns the ledger's violations into alert events. A window's outcome
is ``True`` (violated), ``False`` (complied) or ``None`` (unknown: the device was silent, or the
evidence rests on nothing the parsers were sure of). An unknown window neither extends nor
breaks a streak: it is no evidence either way, and must not turn a repeat offender into a
first-time one, nor count against the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from collector.alerts.events import AlertEvent, AlertKind


def windows_in_row(outcomes: Sequence[bool | None]) -> int:
    """Violated windows in a row at the end of ``outcomes`` (oldest first), unknowns skipped."""
    n = 0
    for outcome in reversed(outcomes):
        if outcome is None:
            continue
        if not outcome:
            break
        n += 1
    return n


def with_streak(event: AlertEvent, streak: int, threshold: int) -> AlertEvent:
    """``event`` (an open violation) marked with its streak; at ``threshold`` or more it is a
    repeat offender, sent at once as ``violation_repeated``."""
    if event.kind not in (AlertKind.VIOLATION_OPENED, AlertKind.VIOLATION_REPEATED):
        raise ValueError(f"{event.kind}: only an open violation has a streak")
    if threshold < 2:
        raise ValueError("threshold must be at least 2")
    streak = max(streak, 1)
    repeat = streak >= threshold
    return replace(
        event,
        kind=AlertKind.VIOLATION_REPEATED if repeat else AlertKind.VIOLATION_OPENED,
        repeat_offender=repeat,
        windows_in_row=streak,
    )
