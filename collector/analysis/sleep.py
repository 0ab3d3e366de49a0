"""Sleep-policy violations of one device (reads state observations, writes violations).

Reads :class:`StateObservation` (power state, idle time in seconds, sleep blockers, slept
intervals; UTC times), the device's inventory line and its policy group; writes one
:class:`Violation` per sleep window (see :mod:`collector.analysis.windows`) where the device broke
the policy, with its evidence as a short sentence in the authority's time zone. Blockers an
agent could not read (``blockers_known`` False) are said to be unknown, never "none reported".

- target_state "sleep": the device was seen awake and idle for at least ``group.idle_minutes``
  after the grace period (``group.grace_minutes`` from the window start). Idle time comes from
  ``idle_seconds`` when the agent reports it, otherwise from consecutive "idle" observations no
  further apart than ``max_gap_seconds``; a slept interval ends an idle stretch.
- target_state "off": any awake observation after the grace period counts, idle or not, because
  the authority wants the machine switched off.
- A device exempt that day (``Device.exempt_on`` of the window's local start date) is skipped.
  Observations inside maintenance windows are ignored, and idle time after one is counted
  from its end (a machine woken for a patch night is not idle since the evening).

Resolution rule: a violation resolves by itself at the end of the first *complete* later window
that the device went through without a violation (slept, switched off, or not seen at all), see
:func:`resolutions`.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from collector.analysis.windows import (
    Window,
    in_maintenance,
    maintenance_ends,
    policy_window,
    windows_between,
)
from collector.config import PolicyGroup, PolicySettings
from collector.inventory import Device
from collector.model import StateObservation, Violation

__all__ = [
    "StateObservation",
    "Violation",
    "find_violations",
    "is_exempt",
    "policy_window",
    "resolutions",
]

AWAKE_STATES = frozenset({"active", "idle", "resumed"})
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class _Stretch:
    """What one window's observations show (times UTC, seconds)."""

    awake: tuple[StateObservation, ...]
    awake_seconds: float
    idle_seconds: float
    idle_from: datetime | None
    idle_to: datetime | None


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under 1 min"
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _span(a: datetime, b: datetime, tz: str) -> str:
    zone = ZoneInfo(tz)
    la, lb = a.astimezone(zone), b.astimezone(zone)

    def day(t: datetime) -> str:
        return f"{WEEKDAYS[t.weekday()]} {t.date().isoformat()}"

    if la.date() == lb.date():
        return f"between {la:%H:%M} and {lb:%H:%M} ({tz}) on {day(la)}"
    return f"between {la:%H:%M} on {day(la)} and {lb:%H:%M} on {day(lb)} ({tz})"


def _evidence(
    s: _Stretch, blockers: tuple[str, ...], target: str, tz: str, blockers_known: bool = True
) -> str:
    if target == "sleep" and s.idle_from and s.idle_to:
        text = f"awake and idle {_duration(s.idle_seconds)} {_span(s.idle_from, s.idle_to, tz)}"
    elif s.awake[0].ts == s.awake[-1].ts:
        local = s.awake[0].ts.astimezone(ZoneInfo(tz))
        day = f"{WEEKDAYS[local.weekday()]} {local.date().isoformat()}"
        text = f"seen awake at {local:%H:%M} ({tz}) on {day} (target: off)"
    else:
        span = _span(s.awake[0].ts, s.awake[-1].ts, tz)
        text = f"awake {_duration(s.awake_seconds)} {span} (target: off)"
    if blockers:
        return f"{text}; blocked by: {', '.join(blockers)}"
    if not blockers_known:
        return f"{text}; sleep blockers unknown (the agent could not read them)"
    return f"{text}; no sleep blocker reported"


def _slept_between(slept: list[tuple[datetime, datetime]], a: datetime, b: datetime) -> bool:
    return any(s < b and e > a for s, e in slept)


def _last_wake(slept: list[tuple[datetime, datetime]], ts: datetime) -> datetime | None:
    ends = [e for _, e in slept if e <= ts]
    return max(ends) if ends else None


def _stretch(
    obs: Sequence[StateObservation],
    grace_end: datetime,
    slept: list[tuple[datetime, datetime]],
    max_gap: timedelta,
    restarts: Sequence[datetime] = (),
) -> _Stretch:
    """Awake time and the longest idle stretch after the grace period; an idle stretch never
    starts before a wake or a ``restarts`` instant (the end of a maintenance window)."""
    awake: list[StateObservation] = []
    awake_seconds = best = 0.0
    best_from = best_to = run_from = None
    prev: StateObservation | None = None
    for o in obs:
        if o.power_state not in AWAKE_STATES:
            prev = run_from = None
            continue
        awake.append(o)
        joined = (
            prev is not None
            and o.ts - prev.ts <= max_gap
            and not _slept_between(slept, prev.ts, o.ts)
        )
        if joined and prev is not None:
            awake_seconds += (o.ts - prev.ts).total_seconds()
        if o.power_state == "idle":
            if o.idle_seconds is not None:
                since = o.ts - timedelta(seconds=o.idle_seconds)
            else:
                since = run_from if joined and run_from is not None else o.ts
            wake = _last_wake(slept, o.ts)
            restart = max((r for r in restarts if r <= o.ts), default=grace_end)
            since = max(since, grace_end, wake or grace_end, restart)
            run_from = since
            idle = (o.ts - since).total_seconds()
            if idle > best or best_from is None:
                best, best_from, best_to = idle, since, o.ts
        else:
            run_from = None
        prev = o
    return _Stretch(tuple(awake), awake_seconds, best, best_from, best_to)


def is_exempt(device: Device | None, window: Window, policy: PolicySettings) -> bool:
    day = window[0].astimezone(ZoneInfo(policy.timezone)).date()
    return device is not None and device.exempt_on(day) is not None


def find_violations(
    observations: Sequence[StateObservation],
    device: Device | None,
    group_name: str,
    group: PolicyGroup,
    policy: PolicySettings,
    *,
    now: datetime,
    max_gap_seconds: float = 900.0,
) -> list[Violation]:
    """Violations of ONE device, oldest first; observations after ``now`` are ignored.

    ``device`` is its inventory line (None if unlisted: no exemption). Windows still open at
    ``now`` may already hold a violation. Raises ValueError for observations of several devices.
    """
    ids = {o.device_id for o in observations}
    if len(ids) > 1:
        raise ValueError(f"observations of one device expected, got {sorted(ids)}")
    obs = sorted((o for o in observations if o.ts <= now), key=lambda o: o.ts)
    if not obs:
        return []
    times = [o.ts for o in obs]
    slept = sorted(iv for o in obs for iv in o.slept)
    grace = timedelta(minutes=group.grace_minutes)
    out = []
    for window in windows_between(obs[0].ts, obs[-1].ts + timedelta(microseconds=1), group, policy):
        if is_exempt(device, window, policy):
            continue
        lo, hi = bisect.bisect_left(times, window[0] + grace), bisect.bisect_left(times, window[1])
        inside = [o for o in obs[lo:hi] if not in_maintenance(o.ts, policy)]
        restarts = maintenance_ends(window[0], window[1], policy)
        gap = timedelta(seconds=max_gap_seconds)
        s = _stretch(inside, window[0] + grace, slept, gap, restarts)
        if not s.awake:
            continue
        if group.target_state == "sleep" and s.idle_seconds < group.idle_minutes * 60:
            continue
        blockers = tuple(dict.fromkeys(b for o in s.awake for b in o.blockers))
        out.append(
            Violation(
                device_id=obs[0].device_id,
                window_start=window[0],
                window_end=window[1],
                first_seen=s.awake[0].ts,
                last_seen=s.awake[-1].ts,
                max_idle_seconds=s.idle_seconds,
                awake_seconds=s.awake_seconds,
                blockers=blockers,
                observations=len(s.awake),
                target_state=group.target_state,
                evidence=_evidence(
                    s,
                    blockers,
                    group.target_state,
                    policy.timezone,
                    all(o.blockers_known for o in s.awake),
                ),
                policy_group=group_name,
            )
        )
    return out


def resolutions(
    violations: Sequence[Violation],
    observations: Sequence[StateObservation],
    device: Device | None,
    group_name: str,
    group: PolicyGroup,
    policy: PolicySettings,
    *,
    now: datetime,
) -> dict[tuple[str, datetime], datetime]:
    """(device_id, window_start) of each resolved violation -> when it resolved (UTC).

    A violation resolves at the end of the first later window that ended by ``now``, was not
    exempt, and shows no violation in ``observations`` (which must cover those windows; a
    window without observations counts as slept). Open violations are absent from the result.
    """
    if not violations:
        return {}
    found = {
        v.window_start
        for v in find_violations(observations, device, group_name, group, policy, now=now)
    }
    out: dict[tuple[str, datetime], datetime] = {}
    for v in violations:
        if now <= v.window_end:
            continue
        for window in windows_between(v.window_end, now, group, policy):
            if window[0] < v.window_end or window[1] > now:
                continue
            if window[0] in found or is_exempt(device, window, policy):
                continue
            out[(v.device_id, v.window_start)] = window[1]
            break
    return out
