"""Expiry of the ledger's history: what the policy and the reports keep, and for how long.

Raw samples, hourly roll-ups and dead letters expire in :meth:`collector.ledger.store.Ledger.expire`
and :meth:`~collector.ledger.store.Ledger.expire_dead_letters`. This module expires the rest, so
that every table of the ledger has an end (``[retention]``):

- the sleep policy's history (judged windows, violations no longer open, their events, and
  exemptions that ended) after ``policy_days``;
- the daily kWh roll-up and the hosted rooms' imported figures after ``daily_days``. The
  reports compare a period with the same period a year before, so that is at least 400 days.

An open or ongoing violation never expires: it is still news, whatever its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Engine, delete

from collector.ledger import tables as t
from collector.model import ACTIVE_STATES


@dataclass(frozen=True, slots=True)
class HistoryExpired:
    """Rows deleted by one :func:`expire_history`, per kind."""

    policy_windows: int
    violations: int
    violation_events: int
    exemptions: int
    daily_rows: int
    imported_rows: int

    def __str__(self) -> str:
        return (
            f"{self.policy_windows} judged windows, {self.violations} closed violations, "
            f"{self.violation_events} violation events, {self.exemptions} ended exemptions, "
            f"{self.daily_rows} daily kWh rows, {self.imported_rows} imported rows"
        )


def expire_history(engine: Engine, policy_before: datetime, daily_before: date) -> HistoryExpired:
    """Delete the policy history older than ``policy_before`` and the daily roll-ups (and
    imported figures) of days before ``daily_before``, in one transaction."""
    active = [s.value for s in ACTIVE_STATES]
    with engine.begin() as conn:
        windows = conn.execute(
            delete(t.policy_windows).where(t.policy_windows.c.window_end < policy_before)
        ).rowcount
        violations = conn.execute(
            delete(t.violations).where(
                t.violations.c.window_end < policy_before, t.violations.c.state.not_in(active)
            )
        ).rowcount
        events = conn.execute(
            delete(t.violation_events).where(t.violation_events.c.at < policy_before)
        ).rowcount
        exemptions = conn.execute(
            delete(t.exemptions).where(t.exemptions.c.until < policy_before.date())
        ).rowcount
        daily = conn.execute(
            delete(t.daily_energy).where(t.daily_energy.c.day < daily_before)
        ).rowcount
        imported = conn.execute(
            delete(t.imported_energy).where(
                t.imported_energy.c.period_end < datetime.combine(daily_before, time.min, UTC)
            )
        ).rowcount
    return HistoryExpired(
        int(windows), int(violations), int(events), int(exemptions), int(daily), int(imported)
    )
