"""What a simulated device is doing at an instant: power state, power (W), idle time (s).

Workstations: at the desk the machine is active (display on); once the user leaves it is idle,
the display goes off after ``display_off_seconds`` and the machine sleeps after
``sleep_after_seconds`` (a laptop whose lid is closed at the end of the day sleeps within a
minute). A machine with an :class:`~collector.sim.fleet.Insomnia` stays awake: a blocking app
holds a sleep request on most nights (and some lunch breaks), or sleep is disabled and the
screensaver runs instead. Power per state (DOMAIN.md): desktop 60-75 W working plus a
20-25 W monitor, 40-50 W idle, 2-3 W asleep (Microsoft ConfigMgr: 70 W on, 3 W asleep);
laptop 15-25 W working, about 6-10 W idle, about 1 W asleep (ConfigMgr: 20 W, 1 W).
Workstations restart once a week, on arrival, to finish installing updates.
Servers never sleep: see :mod:`collector.sim.servers`.

Pure functions of (device, instant): no state is kept between calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from collector.sim import servers as srv_model
from collector.sim.draws import jitter, unit
from collector.sim.fleet import Server, SimDevice, Workstation
from collector.sim.office import (
    at,
    day_plan,
    local_day,
    next_start,
    on_battery,
    present,
    previous_end,
    starts_between,
)

SimPowerState = Literal["active", "idle", "asleep"]
Span = tuple[datetime, datetime]

LID_CLOSED_SECONDS = 60
MAX_BOOT_DAYS = 57
LUNCH_BLOCK_FACTOR = 0.5  # a blocking app holds sleep over lunch half as often as at night


@dataclass(frozen=True, slots=True)
class SimState:
    """One device at one instant. ``watts`` includes the display while it is on."""

    power_state: SimPowerState
    watts: float
    idle_seconds: float
    blockers: tuple[str, ...]
    cpu_util: float
    display_on: bool
    on_battery: bool = False
    boot_time: datetime | None = None


def _overnight(left: datetime, back: datetime | None) -> bool:
    """The gap runs past the end of the day (a night, a weekend), not a lunch or a meeting."""
    return back is None or local_day(back) != local_day(left)


def _blocked(ws: Workstation, left: datetime, back: datetime | None) -> bool:
    """Whether the insomnia keeps the machine awake over the gap starting at ``left``."""
    ins = ws.insomnia
    if ins is None:
        return False
    if ins.since is not None and left < ins.since:
        return False
    if ins.until is not None and left >= ins.until:
        return False
    if ins.blocker is None or ws.sleep_after_seconds == 0:
        return True
    p = ins.nightly_probability
    if not _overnight(left, back):
        p *= LUNCH_BLOCK_FACTOR
    return unit(ws.seed, ws.id, "blocked", left.isoformat()) < p


def _sleep_start(ws: Workstation, left: datetime, back: datetime | None) -> datetime | None:
    """When the machine falls asleep in the gap [left, back), None if it stays awake."""
    if _blocked(ws, left, back):
        return None
    lid = ws.kind == "laptop" and _overnight(left, back)
    after = LID_CLOSED_SECONDS if lid else ws.sleep_after_seconds
    start = left + timedelta(seconds=after)
    return start if back is None or start < back else None


def reboot_on(ws: Workstation, day: date) -> datetime | None:
    """The weekly restart on local ``day``, if it is the restart weekday and a work day."""
    plan = day_plan(ws, day)
    if day.weekday() != ws.reboot_weekday or not plan.presence:
        return None
    a, b = plan.presence[0]
    return a + min(timedelta(hours=1), (b - a) / 2)


@lru_cache(maxsize=65_536)
def _boot_before(ws: Workstation, day: date) -> datetime:
    """The last restart on a local day before ``day`` (eight weeks back at most)."""
    for back in range(1, MAX_BOOT_DAYS):
        boot = reboot_on(ws, day - timedelta(days=back))
        if boot is not None:
            return boot
    return at(day - timedelta(days=MAX_BOOT_DAYS), 0)


def last_boot(ws: Workstation, ts: datetime) -> datetime:
    """The last restart at or before ``ts``."""
    day = local_day(ts)
    boot = reboot_on(ws, day)
    return boot if boot is not None and boot <= ts else _boot_before(ws, day)


def sleeps_between(ws: Workstation, lo: datetime, hi: datetime) -> list[Span]:
    """Sleep intervals that ended in (lo, hi], oldest first: what the agent reports on resume."""
    out = []
    for back in starts_between(ws, lo, hi):
        left = previous_end(ws, back)
        if left is None:
            continue
        start = _sleep_start(ws, left, back)
        if start is not None:
            out.append((start, back))
    return out


def _workstation_state(ws: Workstation, ts: datetime) -> SimState:
    boot = last_boot(ws, ts)
    laptop = ws.kind == "laptop"
    if present(ws, ts):
        battery = laptop and on_battery(ws, ts)
        watts = (
            ws.active_watts + ws.display_watts + jitter(0.05 * ws.active_watts, ws.seed, ws.id, ts)
        )
        return SimState(
            power_state="active",
            watts=round(watts * (0.85 if battery else 1.0), 2),
            idle_seconds=round(unit(ws.seed, ws.id, "input", ts) * 180, 1),
            blockers=(),
            cpu_util=round(0.05 + 0.3 * unit(ws.seed, ws.id, "cpu", ts), 3),
            display_on=True,
            on_battery=battery,
            boot_time=boot,
        )
    left = previous_end(ws, ts) or ts - timedelta(days=40)
    back = next_start(ws, ts)
    idle = (ts - max(left, boot)).total_seconds()
    start = _sleep_start(ws, left, back)
    if start is not None and ts >= start:
        return SimState("asleep", ws.sleep_watts, idle, (), 0.0, False, boot_time=boot)
    blocked = _blocked(ws, left, back)
    ins = ws.insomnia
    display = (
        ws.display_off_seconds == 0
        or idle < ws.display_off_seconds
        or (blocked and ins is not None and ins.keeps_display_on)
    )
    blockers = (ins.blocker,) if blocked and ins is not None and ins.blocker else ()
    watts = ws.idle_watts + (ws.display_watts if display else 0.0)
    watts += jitter(0.03 * ws.idle_watts, ws.seed, ws.id, ts)
    return SimState(
        power_state="idle",
        watts=round(watts, 2),
        idle_seconds=round(idle, 1),
        blockers=blockers,
        cpu_util=round(0.01 + 0.04 * unit(ws.seed, ws.id, "cpu", ts), 3),
        display_on=display,
        boot_time=boot,
    )


def _server_state(srv: Server, ts: datetime) -> SimState:
    return SimState(
        power_state="active",
        watts=round(srv_model.power_at(srv, ts), 2),
        idle_seconds=0.0,
        blockers=(),
        cpu_util=round(srv_model.util_at(srv, ts), 4),
        display_on=False,
        boot_time=srv_model.last_boot(srv, ts),
    )


def state_at(device: SimDevice, ts: datetime) -> SimState:
    """The state of ``device`` at ``ts`` (timezone-aware)."""
    if ts.tzinfo is None:
        raise ValueError(f"naive timestamp {ts.isoformat()}: must be timezone-aware")
    if isinstance(device, Server):
        return _server_state(device, ts)
    return _workstation_state(device, ts)
