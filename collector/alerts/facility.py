"""Alert events for datacentres and always-on devices (pure): ``pue_above_limit`` and
``device_silent``, derived from the ledger's data on every analysis run, with no state of
their own, so a restart neither loses nor repeats them (the dispatcher deduplicates on
(key, state)).

- **PUE above its limit.** At the end of each whole hour of the analysis period, PUE over the
  trailing ``window`` (default 24 h, :func:`collector.analysis.pue.pue_by_datacentre`, the
  same matched-hours rule as the reports). A figure resting on less than half the window's
  hours is no figure (it neither opens nor resolves). An excursion starts at the first hour
  its figure is above the datacentre's limit and is resolved at the first hour it is back at
  or under it. Key: ``pue:<datacentre>:<start ISO 8601 UTC>``.
- **Device silent.** A device of an ``always_on`` kind (:mod:`contract.kinds`) with no sample
  for more than ``silent_after``: the alert starts ``silent_after`` after its last report and is
  resolved by its next report. Key: ``silent:<device_id>:<last report ISO 8601 UTC>``. A device
  never seen is not "silent" (nothing says it ever reported).

Limitation: an excursion or a silence that began before the analysis period is dated from
the period's first hour (PUE) or from the last report before the period (silence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from collector.alerts.events import AlertEvent, AlertKind, Severity
from collector.model import ReportTimes

MIN_WINDOW_COVERAGE = 0.5


@dataclass(frozen=True, slots=True)
class PuePoint:
    """PUE of one datacentre over the window ending at ``at`` (None: no figure)."""

    datacentre: str
    at: datetime
    pue: float | None
    coverage: float


@dataclass(frozen=True, slots=True)
class Place:
    """Where an alert's device or datacentre is, for its labels."""

    domain: str
    site: str


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def _pue_event(
    dc: str, start: datetime, pue: float, limit: float, place: Place, ends: datetime | None
) -> AlertEvent:
    key = f"pue:{dc}:{_iso(start)}"
    return AlertEvent(
        kind=AlertKind.PUE_ABOVE_LIMIT,
        key=key,
        datacentre=dc,
        domain=place.domain,
        site=place.site,
        group="datacentre",
        severity=Severity.WARNING,
        summary=f"{dc}: PUE {pue:.2f} > {limit:.2f}",
        description=(
            f"PUE {pue:.3f} over the trailing window, above the contractual limit {limit:.2f}"
            if ends is None
            else f"PUE back to {pue:.3f}, at or under the limit {limit:.2f}"
        ),
        starts_at=start,
        ends_at=ends,
        labels=(("alert_key", key),),
    )


def pue_events(
    points: Sequence[PuePoint],
    limits: Mapping[str, float],
    places: Mapping[str, Place],
) -> tuple[list[AlertEvent], list[AlertEvent]]:
    """(the events: each finished excursion's resolution, each open one; the open ones).

    ``limits``: datacentre -> its PUE limit; ``places``: datacentre -> its domain and site.
    """
    events: list[AlertEvent] = []
    still: list[AlertEvent] = []
    by_dc: dict[str, list[PuePoint]] = {}
    for p in points:
        if p.pue is not None and p.coverage >= MIN_WINDOW_COVERAGE:
            by_dc.setdefault(p.datacentre, []).append(p)
    for dc, series in sorted(by_dc.items()):
        limit = limits[dc]
        place = places.get(dc, Place("Environnement serveur", "unknown"))
        start: PuePoint | None = None
        for p in sorted(series, key=lambda p: p.at):
            assert p.pue is not None
            if p.pue > limit and start is None:
                start = p
            elif p.pue <= limit and start is not None:
                events.append(_pue_event(dc, start.at, p.pue, limit, place, p.at))
                start = None
        if start is not None:
            assert start.pue is not None
            last = series[-1].pue if series[-1].pue is not None else start.pue
            opened = _pue_event(dc, start.at, last, limit, place, None)
            events.append(opened)
            still.append(opened)
    return events, still


def _silent_event(
    device_id: str,
    last: datetime,
    silent_after: timedelta,
    place: Place,
    datacentre: str | None,
    back: datetime | None,
) -> AlertEvent:
    key = f"silent:{device_id}:{_iso(last)}"
    minutes = silent_after.total_seconds() / 60
    return AlertEvent(
        kind=AlertKind.DEVICE_SILENT,
        key=key,
        device_id=device_id,
        datacentre=datacentre,
        domain=place.domain,
        site=place.site,
        group="always_on",
        severity=Severity.WARNING,
        summary=f"{device_id}: no report since {last.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        description=(
            f"no report for more than {minutes:g} min"
            if back is None
            else f"reporting again since {back.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        ),
        starts_at=last + silent_after,
        ends_at=back,
        labels=(("alert_key", key),),
    )


def gaps_in(
    times: Sequence[datetime], longer_than: timedelta
) -> tuple[datetime | None, tuple[tuple[datetime, datetime], ...]]:
    """(the last of ``times``, the gaps between them longer than ``longer_than``)."""
    ordered = sorted(set(times))
    gaps = tuple((a, b) for a, b in pairwise(ordered) if b - a > longer_than)
    return (ordered[-1] if ordered else None), gaps


def silent_events(
    reports: Sequence[ReportTimes],
    *,
    now: datetime,
    silent_after: timedelta,
    places: Mapping[str, Place],
    datacentres: Mapping[str, str] | None = None,
) -> tuple[list[AlertEvent], list[AlertEvent]]:
    """(the events: each finished silence's resolution, each open one; the open ones).

    ``reports``: each device's last report and gaps (:meth:`Ledger.report_times`); a gap
    counts when it is longer than ``silent_after`` (the ledger's may be a little shorter).
    """
    if silent_after <= timedelta(0):
        raise ValueError("silent_after must be positive")
    events: list[AlertEvent] = []
    still: list[AlertEvent] = []
    for r in sorted(reports, key=lambda r: r.device_id):
        if r.last is None:
            continue
        place = places.get(r.device_id, Place("", "unknown"))
        dc = (datacentres or {}).get(r.device_id)
        for a, b in r.gaps:
            if b - a > silent_after:
                events.append(_silent_event(r.device_id, a, silent_after, place, dc, b))
        if now - r.last > silent_after:
            opened = _silent_event(r.device_id, r.last, silent_after, place, dc, None)
            events.append(opened)
            still.append(opened)
    return events, still
