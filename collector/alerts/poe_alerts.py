"""``poe_night_draw`` alert events (pure): access-point PoE ports powered during the sleep
windows of ``policy.poe.group`` (the optional network-gear policy, off by default).

Like ``pue_above_limit`` and ``device_silent`` they keep no state of their own: each analysis
run derives them again from the samples (:func:`collector.analysis.poe.find_poe_violations`)
and the dispatcher sends each (key, state) once per channel. Per port and complete window:

- *violated*: the port drew more than ``max_port_watts`` for ``min_minutes``: one alert, key
  ``poe:<device_id>:<port>:<window start ISO 8601 UTC>``, starting when it was first seen above;
- *compliant*: samples in the window and no violation; it resolves every earlier violated
  window of the port, ending at its own end (the access point was off that night);
- *unknown*: no sample of the port in the window; it neither opens nor resolves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from collector.alerts.events import AlertEvent, AlertKind, Severity
from collector.alerts.facility import Place
from collector.analysis.poe import PoeViolation
from collector.analysis.windows import Window


@dataclass(frozen=True, slots=True)
class PortNight:
    """One access-point port in one complete window: its violation, or whether any sample
    of the port fell in the window (``judged``)."""

    device_id: str
    port: str
    window: Window
    violation: PoeViolation | None
    judged: bool


def _event(
    v: PoeViolation, place: Place, ends: datetime | None, resolved_by: Window | None
) -> AlertEvent:
    key = f"poe:{v.device_id}:{v.component}:{v.window_start.astimezone(UTC).isoformat()}"
    night = f"{v.window_start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if resolved_by is None:
        description = v.evidence
    else:
        description = (
            f"{v.component} at or under {v.threshold_watts:g} W over the window starting "
            f"{resolved_by[0].astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )
    return AlertEvent(
        kind=AlertKind.POE_NIGHT_DRAW,
        key=key,
        device_id=v.device_id,
        domain=place.domain,
        site=place.site,
        group="poe",
        severity=Severity.WARNING,
        summary=f"{v.device_id} {v.component}: {v.max_watts:g} W in the window of {night}",
        description=description,
        starts_at=v.first_above,
        ends_at=ends,
        labels=(("port", v.component), ("alert_key", key)),
    )


def poe_events(
    nights: Sequence[PortNight], places: Mapping[str, Place]
) -> tuple[list[AlertEvent], list[AlertEvent]]:
    """(the events: each resolved violation's resolution, each open one; the open ones)."""
    by_port: dict[tuple[str, str], list[PortNight]] = {}
    for n in nights:
        by_port.setdefault((n.device_id, n.port), []).append(n)
    events: list[AlertEvent] = []
    still: list[AlertEvent] = []
    for (device_id, _port), rows in sorted(by_port.items()):
        place = places.get(device_id, Place("Réseaux et télécoms", "unknown"))
        pending: list[PoeViolation] = []
        for n in sorted(rows, key=lambda n: n.window[0]):
            if n.violation is not None:
                pending.append(n.violation)
            elif n.judged:
                for v in pending:
                    events.append(_event(v, place, max(n.window[1], v.first_above), n.window))
                pending = []
        for v in pending:
            opened = _event(v, place, None, None)
            events.append(opened)
            still.append(opened)
    return events, still
