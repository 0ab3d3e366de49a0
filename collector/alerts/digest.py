"""The morning digest: the open violations (sleep windows and settings) of each domain or
site, once a day.

:func:`build_digests` is pure (events in, digests out). :func:`schedule_digest` adds an
apscheduler cron job at the configured hour in the authority's time zone, which asks a source
for the open violations, builds the digests and hands them to the dispatcher. A day without an
open violation sends nothing; each (scope, name, day) is delivered once per channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from collector.alerts.dispatcher import Dispatcher
from collector.alerts.events import OPEN_VIOLATIONS, AlertEvent, Digest

log = logging.getLogger(__name__)

Scope = Literal["domain", "site"]
_OPEN = OPEN_VIOLATIONS


def build_digests(
    violations: Sequence[AlertEvent], *, by: Scope, now: datetime, tz: ZoneInfo
) -> list[Digest]:
    """One digest per domain (or site) that has open violations, sorted by name.

    Non-violation events, and violations whose resolution is in ``violations`` too, are left
    out; a key seen twice (opened, then repeated) is listed once, as its latest event.
    """
    closed = {e.key for e in violations if e.resolved}
    latest: dict[str, AlertEvent] = {}
    for e in violations:
        if e.kind in _OPEN and e.key not in closed:
            prev = latest.get(e.key)
            if prev is None or e.windows_in_row >= prev.windows_in_row:
                latest[e.key] = e
    scoped: dict[str, list[AlertEvent]] = {}
    for e in latest.values():
        scoped.setdefault(e.domain if by == "domain" else e.site, []).append(e)
    day = now.astimezone(tz).date().isoformat()
    return [
        Digest(
            scope=by,
            name=name,
            day=day,
            events=tuple(sorted(evs, key=lambda e: (e.group, e.device_id or "", e.starts_at))),
            generated_at=now,
        )
        for name, evs in sorted(scoped.items())
    ]


def run_digest(
    dispatcher: Dispatcher,
    source: Callable[[], Sequence[AlertEvent]],
    *,
    by: Scope,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> list[Digest]:
    """Build today's digests from ``source()`` and queue them; returns them."""
    digests = build_digests(source(), by=by, now=now or datetime.now(UTC), tz=tz)
    for d in digests:
        dispatcher.publish_digest(d)
    log.info("alerts: %d digest(s) queued (%s)", len(digests), by)
    return digests


def schedule_digest(
    scheduler: BaseScheduler,
    dispatcher: Dispatcher,
    source: Callable[[], Sequence[AlertEvent]],
    *,
    at: time,
    timezone: str,
    by: Scope,
) -> Job:
    """Run :func:`run_digest` every day at ``at`` in ``timezone`` (DST handled by the trigger)."""
    tz = ZoneInfo(timezone)
    trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=tz)
    return scheduler.add_job(
        run_digest,
        trigger,
        args=(dispatcher, source),
        kwargs={"by": by, "tz": tz},
        id="alerts-digest",
        replace_existing=True,
        misfire_grace_time=3600,
        coalesce=True,
    )
